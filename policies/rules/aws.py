"""AWS rules (pulumi-aws 7 input names): RDS, ElastiCache, EKS, security groups, KMS, Secrets Manager, WAFv2."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import PolicyResource, Severity

from .common import (
    Meta,
    Resource,
    Stack,
    depends_on,
    get,
    is_false,
    is_world,
    items,
    mapping,
    number,
    resource_rule,
    stack_rule,
    truthy,
)

RDS_INSTANCE = "aws:rds/instance:Instance"
RDS_CLUSTER = "aws:rds/cluster:Cluster"
RDS_CLUSTER_INSTANCE = "aws:rds/clusterInstance:ClusterInstance"
RDS_PARAMETER_GROUP = "aws:rds/parameterGroup:ParameterGroup"
RDS_CLUSTER_PARAMETER_GROUP = "aws:rds/clusterParameterGroup:ClusterParameterGroup"
REDIS = "aws:elasticache/replicationGroup:ReplicationGroup"
EKS = "aws:eks/cluster:Cluster"
SG = "aws:ec2/securityGroup:SecurityGroup"
SG_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
SG_INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
LB = ("aws:lb/loadBalancer:LoadBalancer", "aws:alb/loadBalancer:LoadBalancer")
KMS_KEY = "aws:kms/key:Key"
KMS_POLICY = "aws:kms/keyPolicy:KeyPolicy"
SECRET = "aws:secretsmanager/secret:Secret"
WEB_ACL = "aws:wafv2/webAcl:WebAcl"
WEB_ACL_ASSOCIATION = "aws:wafv2/webAclAssociation:WebAclAssociation"
WEB_ACL_LOGGING = "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration"
RANDOM_PASSWORD = ("random:index/randomPassword:RandomPassword",)
AWS_MANAGED_KEYS = ("alias/aws/",)
DEFAULT_ADMIN_NAMES = {"postgres", "admin", "root", "master", "rdsadmin", "sa", "administrator", "user", "dbadmin"}


def _replica(props: Mapping[str, Any]) -> bool:
    return bool(get(props, "replicateSourceDb"))


def _cmk(key: Any) -> bool:
    return bool(key) and not any(str(key).startswith(p) or f":{p}" in str(key) for p in AWS_MANAGED_KEYS)


rds_public = Meta(
    name="aws-rds-not-public",
    description="RDS instances, primary and replicas, are not publicly accessible.",
    severity=Severity.CRITICAL,
    categories=("AA",),
    references=("CKV_AWS_17", "CIS AWS 2.3.3", "Pulumi compliance-policies"),
    remediation="Set `publiclyAccessible: false` and place the instance in private subnets.",
)


@resource_rule(rds_public, (RDS_INSTANCE, RDS_CLUSTER_INSTANCE))
def aws_rds_not_public(resource: Resource) -> Iterator[str]:
    if truthy(get(resource.props, "publiclyAccessible")):
        yield "publiclyAccessible is true"


rds_encrypted = Meta(
    name="aws-rds-encrypted",
    description="RDS storage is encrypted with a customer-managed KMS key (replicas inherit the primary's).",
    severity=Severity.HIGH,
    categories=("SM",),
    references=("CKV_AWS_16", "CIS AWS 2.3.1", "AWSGuard rds-storage-encrypted"),
    remediation="Set `storageEncrypted: true` and `kmsKeyId` to a customer-managed key's ARN.",
)


@resource_rule(rds_encrypted, (RDS_INSTANCE, RDS_CLUSTER))
def aws_rds_encrypted(resource: Resource) -> Iterator[str]:
    props = resource.props
    if _replica(props):
        if is_false(get(props, "storageEncrypted")):
            yield "the replica disables storage encryption"
        return
    if get(props, "storageEncrypted") is not True:
        yield "storageEncrypted is not true"
    if not _cmk(get(props, "kmsKeyId")):
        yield "no customer-managed kmsKeyId"


rds_tls = Meta(
    name="aws-rds-force-tls",
    description="Every PostgreSQL RDS instance has a parameter group with rds.force_ssl=1 attached.",
    severity=Severity.HIGH,
    categories=("TS",),
    references=("CKV2_AWS_69",),
    remediation="Create an `aws.rds.ParameterGroup` with parameter `rds.force_ssl` = `1` and set the instance's "
                "`parameterGroupName` to it (replicas too).",
)


def _force_ssl(group: PolicyResource) -> bool:
    return any(get(p, "name") == "rds.force_ssl" and str(get(p, "value")) == "1"
               for p in items(get(group.props, "parameters")))


def _group_for(stack: Stack, resource: PolicyResource, prop: str, group_type: str,
               by_name: dict[str, PolicyResource]) -> PolicyResource | None:
    linked = depends_on(resource, prop, (group_type,))
    if linked:
        return linked[0]
    return by_name.get(str(get(resource.props, prop, default="")))


@stack_rule(rds_tls)
def aws_rds_force_tls(stack: Stack) -> Iterator[tuple[str, str | None]]:
    groups = {str(get(g.props, "name")): g for g in stack.of(RDS_PARAMETER_GROUP)}
    cluster_groups = {str(get(g.props, "name")): g for g in stack.of(RDS_CLUSTER_PARAMETER_GROUP)}
    for instance in stack.of(RDS_INSTANCE):
        engine = str(get(instance.props, "engine", default="postgres"))
        if "postgres" not in engine and not _replica(instance.props):
            continue
        group = _group_for(stack, instance, "parameterGroupName", RDS_PARAMETER_GROUP, groups)
        if group is None:
            yield "no custom parameter group with rds.force_ssl=1 is attached", instance.urn
        elif not _force_ssl(group):
            yield f"parameter group {get(group.props, 'name')} does not set rds.force_ssl=1", instance.urn
    for cluster in stack.of(RDS_CLUSTER):
        if "postgres" not in str(get(cluster.props, "engine", default="")):
            continue
        group = _group_for(stack, cluster, "dbClusterParameterGroupName", RDS_CLUSTER_PARAMETER_GROUP, cluster_groups)
        if group is None or not _force_ssl(group):
            yield "the cluster parameter group does not set rds.force_ssl=1", cluster.urn


rds_auth = Meta(
    name="aws-rds-auth",
    description="RDS primaries use a generated (or RDS-managed) password, IAM authentication and a non-default admin name.",
    severity=Severity.HIGH,
    categories=("AA", "SM"),
    references=("CKV_AWS_161", "CKV_AWS_296"),
    remediation="Generate the password with pulumi-random (`random.RandomPassword`) or set `manageMasterUserPassword`; "
                "set `iamDatabaseAuthenticationEnabled: true` and a `username` other than postgres/admin/root.",
)


@stack_rule(rds_auth)
def aws_rds_auth(stack: Stack) -> Iterator[tuple[str, str | None]]:
    for db in [*stack.of(RDS_INSTANCE), *stack.of(RDS_CLUSTER)]:
        props = db.props
        if _replica(props) or get(props, "replicationSourceIdentifier"):
            continue
        if get(props, "iamDatabaseAuthenticationEnabled") is not True:
            yield "IAM database authentication is not enabled", db.urn
        user = str(get(props, "username", default=get(props, "masterUsername", default="")) or "")
        if user.lower() in DEFAULT_ADMIN_NAMES:
            yield f"the admin user is the default-like name '{user}'", db.urn
        if truthy(get(props, "manageMasterUserPassword")):
            continue
        prop = next((p for p in ("password", "passwordWo", "masterPassword", "masterPasswordWo") if get(props, p)), None)
        if prop is None:
            yield "no password and no manageMasterUserPassword", db.urn
        elif not depends_on(db, prop, RANDOM_PASSWORD):
            yield f"{prop} is not generated by random.RandomPassword (a literal in code or config)", db.urn


rds_resilience = Meta(
    name="aws-rds-resilience",
    description="RDS runs Multi-AZ with 7+ days of backups, deletion protection in production, minor upgrades, "
                "Performance Insights on a CMK and log exports.",
    severity=Severity.MEDIUM,
    categories=("REL",),
    references=("CKV_AWS_133", "CKV_AWS_157", "CKV_AWS_293", "CKV_AWS_129", "CIS AWS 2.3.2", "AWSGuard"),
    remediation="Set `multiAz`, `backupRetentionPeriod` >= 7, `deletionProtection` (production), "
                "`autoMinorVersionUpgrade`, `performanceInsightsEnabled` with `performanceInsightsKmsKeyId`, and "
                "`enabledCloudwatchLogsExports: [postgresql, upgrade]`.",
    config={"environment": {"type": "string", "default": "production",
                            "description": "production requires deletion protection."},
            "minBackupRetentionDays": {"type": "number", "default": 7}},
)


@stack_rule(rds_resilience)
def aws_rds_resilience(stack: Stack) -> Iterator[tuple[str, str | None]]:
    minimum = number(stack.config.get("minBackupRetentionDays")) or 7
    for db in stack.of(RDS_INSTANCE):
        props = db.props
        replica = _replica(props)
        if not replica:
            if get(props, "multiAz") is not True:
                yield "multiAz is not true", db.urn
            retention = number(get(props, "backupRetentionPeriod"))
            if retention is None or retention < minimum:
                shown = "unset" if retention is None else int(retention)
                yield f"backupRetentionPeriod is {shown} (< {int(minimum)})", db.urn
        if stack.production and get(props, "deletionProtection") is not True:
            yield "deletionProtection is not true (production)", db.urn
        if is_false(get(props, "autoMinorVersionUpgrade")):
            yield "autoMinorVersionUpgrade is disabled", db.urn
        if get(props, "performanceInsightsEnabled") is not True or not _cmk(get(props, "performanceInsightsKmsKeyId")):
            yield "Performance Insights is not enabled on a customer-managed key", db.urn
        if "postgresql" not in {str(x) for x in items(get(props, "enabledCloudwatchLogsExports"))}:
            yield "the postgresql log is not exported", db.urn


rds_replicas = Meta(
    name="aws-rds-replicas",
    description="PostgreSQL on RDS is one primary with at least two read replicas pointing at it.",
    severity=Severity.HIGH,
    categories=("REL",),
    references=("REQUIREMENTS: one primary plus two replicas",),
    remediation="Declare the replicas with `replicateSourceDb` set to the primary's identifier (or ARN).",
    config={"minReplicas": {"type": "number", "default": 2}},
)


@stack_rule(rds_replicas)
def aws_rds_replicas(stack: Stack) -> Iterator[tuple[str, str | None]]:
    instances = stack.of(RDS_INSTANCE)
    if not instances:
        return
    wanted = int(number(stack.config.get("minReplicas")) or 2)
    primaries = [i for i in instances if not _replica(i.props)]
    if len(primaries) != 1:
        yield f"expected exactly one primary RDS instance, found {len(primaries)}", None
    # Replicas indexed by what they point at (source text, or the primary they depend on): linear, not pairwise.
    by_source: dict[str, list[PolicyResource]] = {}
    by_dependency: dict[int, list[PolicyResource]] = {}
    for replica in (i for i in instances if _replica(i.props)):
        by_source.setdefault(str(get(replica.props, "replicateSourceDb")), []).append(replica)
        for source in replica.property_dependencies.get("replicateSourceDb", []):
            by_dependency.setdefault(id(source), []).append(replica)
    for primary in primaries:
        keys = {str(v) for v in (get(primary.props, "identifier"), get(primary.props, "arn"), get(primary.props, "id"),
                                 get(primary.props, "resourceId")) if v}
        replicas = {id(r): r for key in keys for r in by_source.get(key, [])}
        replicas.update((id(r), r) for r in by_dependency.get(id(primary), []))
        if len(replicas) < wanted:
            yield f"the primary has {len(replicas)} replica(s); need {wanted}", primary.urn
    for replica in (i for i in instances if _replica(i.props)):
        if not primaries:
            yield "a replica points at no declared primary", replica.urn


redis_secure = Meta(
    name="aws-redis-encryption-auth",
    description="ElastiCache requires TLS in transit, encrypts at rest with a CMK, and requires an auth token or RBAC users.",
    severity=Severity.CRITICAL,
    categories=("TS", "AA"),
    references=("CKV_AWS_29", "CKV_AWS_30", "CKV_AWS_31", "CKV_AWS_191"),
    remediation="Set `transitEncryptionEnabled: true` (mode `required`), `atRestEncryptionEnabled: true` with "
                "`kmsKeyId`, and a generated `authToken` or `userGroupIds`.",
)


@resource_rule(redis_secure, (REDIS,))
def aws_redis_encryption_auth(resource: Resource) -> Iterator[str]:
    props = resource.props
    if get(props, "transitEncryptionEnabled") is not True:
        yield "transit encryption is not enabled"
    elif str(get(props, "transitEncryptionMode", default="required")) != "required":
        yield f"transitEncryptionMode is {get(props, 'transitEncryptionMode')} (plaintext still accepted)"
    if not truthy(get(props, "atRestEncryptionEnabled")):
        yield "at-rest encryption is not enabled"
    if not _cmk(get(props, "kmsKeyId")):
        yield "no customer-managed kmsKeyId"
    if not get(props, "authToken") and not get(props, "authTokenWo") and not items(get(props, "userGroupIds")):
        yield "neither an auth token nor RBAC user groups"


redis_ha = Meta(
    name="aws-redis-ha",
    description="ElastiCache runs in cluster mode with 3 shards, a replica per shard, automatic failover, Multi-AZ "
                "and snapshots.",
    severity=Severity.MEDIUM,
    categories=("REL",),
    references=("CKV2_AWS_50", "CKV_AWS_134", "REQUIREMENTS: 3-node Redis cluster"),
    remediation="Set `clusterMode: enabled`, `numNodeGroups: 3`, `replicasPerNodeGroup` >= 1, "
                "`automaticFailoverEnabled`, `multiAzEnabled` and `snapshotRetentionLimit` >= 1.",
    config={"shards": {"type": "number", "default": 3}},
)


@resource_rule(redis_ha, (REDIS,))
def aws_redis_ha(resource: Resource) -> Iterator[str]:
    props = resource.props
    shards = number(get(props, "numNodeGroups")) or 1
    wanted = number(resource.config.get("shards")) or 3
    cluster_mode = str(get(props, "clusterMode", default="")) == "enabled" or ".cluster.on" in str(
        get(props, "parameterGroupName", default=""))
    if not cluster_mode:
        yield "cluster mode is not enabled"
    if shards < wanted:
        yield f"{int(shards)} shard(s); need {int(wanted)}"
    if (number(get(props, "replicasPerNodeGroup")) or 0) < 1:
        yield "no replica per shard"
    if get(props, "automaticFailoverEnabled") is not True:
        yield "automatic failover is off"
    if get(props, "multiAzEnabled") is not True:
        yield "Multi-AZ is off"
    if (number(get(props, "snapshotRetentionLimit")) or 0) < 1:
        yield "no snapshot retention"


eks_endpoint = Meta(
    name="aws-eks-endpoint",
    description="The EKS API endpoint is private, or public only to listed CIDRs (never 0.0.0.0/0 or ::/0).",
    severity=Severity.CRITICAL,
    categories=("AA",),
    references=("CKV_AWS_38", "CKV_AWS_39", "CIS EKS 5.4.2", "Pulumi compliance-policies"),
    remediation="Set `vpcConfig.endpointPrivateAccess: true` and `endpointPublicAccess: false`, or restrict "
                "`publicAccessCidrs` to your office/VPN ranges.",
)


@resource_rule(eks_endpoint, (EKS,))
def aws_eks_endpoint(resource: Resource) -> Iterator[str]:
    vpc = mapping(get(resource.props, "vpcConfig"))
    if get(vpc, "endpointPrivateAccess") is not True:
        yield "private endpoint access is off"
    if get(vpc, "endpointPublicAccess") is False:
        return
    cidrs = [str(c) for c in items(get(vpc, "publicAccessCidrs"))]
    if not cidrs:
        yield "the public endpoint is open to 0.0.0.0/0 (no publicAccessCidrs)"
    elif any(is_world(c) for c in cidrs):
        yield f"publicAccessCidrs include {', '.join(c for c in cidrs if is_world(c))}"


LOG_TYPES = ("api", "audit", "authenticator", "controllerManager", "scheduler")

eks_secrets = Meta(
    name="aws-eks-secrets-logs",
    description="EKS encrypts Secrets with a KMS key and ships every control-plane log type.",
    severity=Severity.HIGH,
    categories=("SM", "EH"),
    references=("CKV_AWS_58", "CKV_AWS_37", "CIS EKS 5.3.1", "CIS EKS 2.1.1"),
    remediation="Set `encryptionConfig: {resources: [secrets], provider: {keyArn}}` and "
                "`enabledClusterLogTypes: [api, audit, authenticator, controllerManager, scheduler]`.",
)


@resource_rule(eks_secrets, (EKS,))
def aws_eks_secrets_logs(resource: Resource) -> Iterator[str]:
    configs = items(get(resource.props, "encryptionConfig"))
    if not any("secrets" in [str(r) for r in items(get(c, "resources"))] and get(c, "provider", "keyArn")
               for c in configs):
        yield "Kubernetes Secrets are not encrypted with a KMS key"
    enabled = {str(t) for t in items(get(resource.props, "enabledClusterLogTypes"))}
    missing = [t for t in LOG_TYPES if t not in enabled]
    if missing:
        yield f"control-plane logs missing: {', '.join(missing)}"


# --- security groups ----------------------------------------------------------------------------


class IngressRule:
    """Inline blocks, `ec2.SecurityGroupRule` and `vpc.SecurityGroupIngressRule` in one shape."""

    def __init__(self, owner: PolicyResource, group_id: str | None, cidrs: list[str], from_port: Any, to_port: Any, *,
                 protocol: Any, source_group: str | None, description: Any, label: str, source_prop: str) -> None:
        self.owner = owner
        self.group_id = group_id
        self.cidrs = cidrs
        self.protocol = str(protocol if protocol is not None else "tcp").lower()
        self.all_ports = self.protocol in ("-1", "all")
        self.from_port = int(number(from_port) or 0)
        upper = number(to_port)
        self.to_port = int(upper if upper is not None else 65535)
        if self.all_ports or (self.from_port <= 0 and self.to_port in (0, 65535)):
            self.from_port, self.to_port = 0, 65535
        self.source_group = source_group
        self.description = str(description or "")
        self.label = label
        self.source_prop = source_prop

    def covers(self, port: int) -> bool:
        return self.from_port <= port <= self.to_port

    @property
    def ports(self) -> str:
        return "all ports" if (self.from_port, self.to_port) == (0, 65535) else (
            str(self.from_port) if self.from_port == self.to_port else f"{self.from_port}-{self.to_port}")


def ingress_rules(stack: Stack) -> Iterator[IngressRule]:
    for group in stack.of(SG):
        group_id = str(get(group.props, "id", default="")) or None
        for index, rule in enumerate(items(get(group.props, "ingress"))):
            cidrs = [str(c) for c in [*items(get(rule, "cidrBlocks")), *items(get(rule, "ipv6CidrBlocks"))]]
            sources = [str(s) for s in items(get(rule, "securityGroups"))]
            if truthy(get(rule, "self")):
                sources.append(group_id or "self")
            yield IngressRule(group, group_id, cidrs, get(rule, "fromPort"), get(rule, "toPort"),
                              protocol=get(rule, "protocol"), source_group=sources[0] if sources else None,
                              description=get(rule, "description"), label=f"ingress[{index}]", source_prop="ingress")
    for rule in stack.of(SG_RULE):
        if get(rule.props, "type") != "ingress":
            continue
        cidrs = [str(c) for c in [*items(get(rule.props, "cidrBlocks")), *items(get(rule.props, "ipv6CidrBlocks"))]]
        source = get(rule.props, "sourceSecurityGroupId") or (get(rule.props, "securityGroupId")
                                                               if truthy(get(rule.props, "self")) else None)
        yield IngressRule(rule, str(get(rule.props, "securityGroupId", default="")) or None, cidrs,
                          get(rule.props, "fromPort"), get(rule.props, "toPort"), protocol=get(rule.props, "protocol"),
                          source_group=str(source) if source else None, description=get(rule.props, "description"),
                          label="rule", source_prop="sourceSecurityGroupId")
    for rule in stack.of(SG_INGRESS):
        cidrs = [str(c) for c in (get(rule.props, "cidrIpv4"), get(rule.props, "cidrIpv6")) if c]
        source = get(rule.props, "referencedSecurityGroupId")
        yield IngressRule(rule, str(get(rule.props, "securityGroupId", default="")) or None, cidrs,
                          get(rule.props, "fromPort"), get(rule.props, "toPort"), protocol=get(rule.props, "ipProtocol"),
                          source_group=str(source) if source else None, description=get(rule.props, "description"),
                          label="rule", source_prop="referencedSecurityGroupId")


def _owner_group(stack: Stack, rule: IngressRule) -> PolicyResource | None:
    if rule.owner.resource_type == SG:
        return rule.owner
    linked = depends_on(rule.owner, "securityGroupId", (SG,))
    if linked:
        return linked[0]
    return next((g for g in stack.of(SG) if rule.group_id and str(get(g.props, "id", default="")) == rule.group_id), None)


def _public_alb_groups(stack: Stack) -> tuple[set[str], set[str]]:
    ids: set[str] = set()
    urns: set[str] = set()
    for lb in stack.of(*LB):
        if truthy(get(lb.props, "internal")) or str(get(lb.props, "loadBalancerType", default="application")) != "application":
            continue
        ids.update(str(s) for s in items(get(lb.props, "securityGroups")))
        urns.update(d.urn for d in lb.property_dependencies.get("securityGroups", []))
    return ids, urns


sg_world = Meta(
    name="aws-sg-no-world-ingress",
    description="No security group admits 0.0.0.0/0 or ::/0, except ports 80/443 on the public load balancer's group; "
                "inline blocks and standalone rule resources alike.",
    severity=Severity.CRITICAL,
    categories=("AA",),
    references=("CKV_AWS_24", "CKV_AWS_25", "CKV_AWS_260", "CKV_AWS_277", "CIS AWS 5.2", "Pulumi compliance-policies"),
    remediation="Replace the world CIDR with the load balancer's security group or your internal ranges.",
)


@stack_rule(sg_world)
def aws_sg_no_world_ingress(stack: Stack) -> Iterator[tuple[str, str | None]]:
    edge_ids, edge_urns = _public_alb_groups(stack)
    for rule in ingress_rules(stack):
        world = [c for c in rule.cidrs if is_world(c)]
        if not world:
            continue
        group = _owner_group(stack, rule)
        on_edge = (rule.group_id in edge_ids) or (group is not None and (
            group.urn in edge_urns or str(get(group.props, "id", default="")) in edge_ids))
        web = (rule.from_port, rule.to_port) in ((80, 80), (443, 443)) and rule.protocol in ("tcp", "6")
        if on_edge and web:
            continue
        where = "on the public load balancer's group" if on_edge else "on a non-edge group"
        yield f"{rule.label} admits {', '.join(world)} to {rule.ports} {where}", rule.owner.urn


data_tier = Meta(
    name="aws-sg-data-tier-scoped",
    description="PostgreSQL (5432) and Redis (6379) accept traffic only from the cluster's security groups, by reference, "
                "with a description on every rule.",
    severity=Severity.HIGH,
    categories=("AA",),
    references=("CKV2_AWS_12", "CKV_AWS_23"),
    remediation="Use `referencedSecurityGroupId`/`sourceSecurityGroupId` = the EKS cluster (or node) security group "
                "instead of CIDRs, and describe each rule.",
    config={"ports": {"type": "array", "items": {"type": "number"}, "default": [5432, 6379]}},
)


def _cluster_groups(stack: Stack) -> tuple[set[str], set[str]]:
    ids: set[str] = set()
    urns: set[str] = set()
    for cluster in stack.of(EKS):
        urns.add(cluster.urn)
        ids.update(str(x) for x in [get(cluster.props, "vpcConfig", "clusterSecurityGroupId"),
                                    *items(get(cluster.props, "vpcConfig", "securityGroupIds"))] if x)
        urns.update(d.urn for d in cluster.property_dependencies.get("vpcConfig", []))
    for template in stack.of(LAUNCH_TEMPLATE):
        ids.update(str(x) for x in items(get(template.props, "vpcSecurityGroupIds")))
        urns.update(d.urn for d in template.property_dependencies.get("vpcSecurityGroupIds", []))
    for group in stack.of(NODE_GROUP):
        urns.add(group.urn)
    return ids, urns


@stack_rule(data_tier)
def aws_sg_data_tier_scoped(stack: Stack) -> Iterator[tuple[str, str | None]]:
    ports = [int(number(p) or 0) for p in items(stack.config.get("ports"))]
    cluster_ids, cluster_urns = _cluster_groups(stack)
    has_cluster = bool(stack.of(EKS))
    for rule in ingress_rules(stack):
        hit = [p for p in ports if rule.covers(p)]
        if not hit:
            continue
        label = f"{rule.label} to {'/'.join(map(str, hit))}"
        if rule.cidrs:
            yield f"{label} admits CIDRs {', '.join(rule.cidrs)} instead of a security-group reference", rule.owner.urn
        elif not rule.source_group:
            yield f"{label} has no security-group source", rule.owner.urn
        elif has_cluster:
            linked = {d.urn for d in rule.owner.property_dependencies.get(rule.source_prop, [])}
            if rule.source_group not in cluster_ids and not (linked & cluster_urns) and not any(
                    str(get(stack.by_urn[u].props, "id", default="")) in cluster_ids for u in linked if u in stack.by_urn):
                yield f"{label} references a group that is not the cluster's", rule.owner.urn
        if not rule.description.strip():
            yield f"{label} has no description", rule.owner.urn


# --- keys, secrets, WAF ---------------------------------------------------------------------------


def _policy_document(value: Any) -> Mapping[str, Any]:
    if isinstance(value, str):
        try:
            loaded = json.loads(value)
        except json.JSONDecodeError:
            return {}
        return loaded if isinstance(loaded, Mapping) else {}
    return mapping(value)


def _star_principal(principal: Any) -> bool:
    if principal == "*":
        return True
    if isinstance(principal, Mapping):
        return any(v == "*" or (isinstance(v, list) and "*" in v) for v in principal.values())
    return False


kms = Meta(
    name="aws-kms-hygiene",
    description="KMS keys rotate, keep the policy lockout safety check, and grant nothing to a `*` principal.",
    severity=Severity.HIGH,
    categories=("SM",),
    references=("CKV_AWS_7", "CKV_AWS_33", "CIS AWS 3.6", "Pulumi compliance-policies"),
    remediation="Set `enableKeyRotation: true`, drop `bypassPolicyLockoutSafetyCheck`, and name principals "
                "(account root, roles) instead of `*`.",
)


@resource_rule(kms, (KMS_KEY, KMS_POLICY))
def aws_kms_hygiene(resource: Resource) -> Iterator[str]:
    props = resource.props
    if resource.type == KMS_KEY:
        spec = str(get(props, "customerMasterKeySpec", default=get(props, "keySpec", default="SYMMETRIC_DEFAULT")))
        if spec == "SYMMETRIC_DEFAULT" and get(props, "enableKeyRotation") is not True:
            yield "key rotation is off"
    if truthy(get(props, "bypassPolicyLockoutSafetyCheck")):
        yield "bypassPolicyLockoutSafetyCheck is set"
    for statement in items(get(_policy_document(get(props, "policy")), "Statement")):
        if get(statement, "Effect") == "Allow" and _star_principal(get(statement, "Principal")) \
                and not get(statement, "Condition"):
            yield f"policy statement {get(statement, 'Sid', default='')} allows principal * without a condition".replace(
                "  ", " ")


secrets = Meta(
    name="aws-secrets-cmk",
    description="Secrets Manager secrets are encrypted with a customer-managed key and keep a recovery window.",
    severity=Severity.MEDIUM,
    categories=("SM",),
    references=("CKV_AWS_149", "CKV_AWS_304"),
    remediation="Set `kmsKeyId` to a customer-managed key; keep `recoveryWindowInDays` above 0. Database credentials "
                "rotate through RDS-managed passwords or an `aws.secretsmanager.SecretRotation`.",
)


@resource_rule(secrets, (SECRET,))
def aws_secrets_cmk(resource: Resource) -> Iterator[str]:
    if not _cmk(get(resource.props, "kmsKeyId")):
        yield "no customer-managed kmsKeyId"
    if number(get(resource.props, "recoveryWindowInDays")) == 0:
        yield "recoveryWindowInDays is 0 (deleted without recovery)"


MANAGED_GROUPS = ("AWSManagedRulesCommonRuleSet", "AWSManagedRulesSQLiRuleSet", "AWSManagedRulesKnownBadInputsRuleSet")

waf = Meta(
    name="aws-waf-managed-rules",
    description="The WAFv2 web ACL blocks with the Common, SQLi and KnownBadInputs managed groups and a rate-based rule.",
    severity=Severity.HIGH,
    categories=("IV", "RL"),
    references=("CKV_AWS_175", "CKV_AWS_192", "CKV_AWS_342"),
    remediation="Add the managed rule groups with `overrideAction: {none: {}}` and a `rateBasedStatement` rule with "
                "`action: {block: {}}`.",
)


def _waf_rules(props: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    rules = [mapping(r) for r in items(get(props, "rules"))]
    raw = get(props, "ruleJson")
    if isinstance(raw, str):
        try:
            loaded = json.loads(raw)
        except json.JSONDecodeError:
            loaded = []
        rules.extend(_camel(r) for r in loaded if isinstance(r, Mapping))
    return rules


def _camel(value: Any) -> Any:
    """WAF's JSON rule form is PascalCase; the SDK inputs are camelCase."""
    if isinstance(value, Mapping):
        return {str(k)[:1].lower() + str(k)[1:]: _camel(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_camel(v) for v in value]
    return value


@resource_rule(waf, (WEB_ACL,))
def aws_waf_managed_rules(resource: Resource) -> Iterator[str]:
    rules = _waf_rules(resource.props)
    blocking: set[str] = set()
    counting: set[str] = set()
    rate_based = False
    for rule in rules:
        managed = get(rule, "statement", "managedRuleGroupStatement")
        if managed is not None:
            name = str(get(managed, "name"))
            if get(rule, "overrideAction", "count") is not None:
                counting.add(name)
            else:
                blocking.add(name)
        if get(rule, "statement", "rateBasedStatement") is not None and get(rule, "action", "block") is not None:
            rate_based = True
    for group in MANAGED_GROUPS:
        if group in counting:
            yield f"{group} only counts (overrideAction count)"
        elif group not in blocking:
            yield f"{group} is missing"
    if not rate_based:
        yield "no blocking rate-based rule"


waf_attached = Meta(
    name="aws-waf-attached-logged",
    description="Every Internet-facing ALB is associated with a WAFv2 web ACL, and every web ACL logs.",
    severity=Severity.HIGH,
    categories=("IV", "EH"),
    references=("CKV2_AWS_28", "CKV2_AWS_31"),
    remediation="Add an `aws.wafv2.WebAclAssociation` for the ALB and an `aws.wafv2.WebAclLoggingConfiguration` "
                "for the ACL (CloudWatch Logs group named aws-waf-logs-*).",
)


def _refs(resource: PolicyResource, prop: str) -> set[str]:
    value = get(resource.props, prop)
    refs = {str(value)} if value else set()
    refs.update(d.urn for d in resource.property_dependencies.get(prop, []))
    return refs


def _keys(resource: PolicyResource) -> set[str]:
    return {resource.urn, *(str(v) for v in (get(resource.props, "arn"), get(resource.props, "id")) if v)}


@stack_rule(waf_attached)
def aws_waf_attached_logged(stack: Stack) -> Iterator[tuple[str, str | None]]:
    associated: set[str] = set()
    for association in stack.of(WEB_ACL_ASSOCIATION):
        associated.update(_refs(association, "resourceArn"))
    logged: set[str] = set()
    for logging in stack.of(WEB_ACL_LOGGING):
        logged.update(_refs(logging, "resourceArn"))
    for lb in stack.of(*LB):
        if truthy(get(lb.props, "internal")) or str(get(lb.props, "loadBalancerType", default="application")) != "application":
            continue
        if not _keys(lb) & associated:
            yield "the Internet-facing load balancer has no WAFv2 web ACL association", lb.urn
    for acl in stack.of(WEB_ACL):
        if not _keys(acl) & logged:
            yield "the web ACL has no logging configuration", acl.urn


POLICIES = [aws_rds_not_public, aws_rds_encrypted, aws_rds_force_tls, aws_rds_auth, aws_rds_resilience, aws_rds_replicas,
            aws_redis_encryption_auth, aws_redis_ha, aws_eks_endpoint, aws_eks_secrets_logs, aws_sg_no_world_ingress,
            aws_sg_data_tier_scoped, aws_kms_hygiene, aws_secrets_cmk, aws_waf_managed_rules, aws_waf_attached_logged]
