"""AWS rules (pulumi-aws 7 input names): RDS, ElastiCache, EKS, security groups, KMS, Secrets Manager, WAFv2."""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import PolicyResource, Severity

from . import verify
from .aws_iam import Names, grantee, public_statements, referrers, shown, targets, unreadable
from .cloud_tokens import accepts, as_text, canonical, cut, of
from .common import (
    INDEPENDENT,
    Meta,
    Resource,
    Stack,
    depends_on,
    get,
    is_false,
    items,
    mapping,
    number,
    resource_rule,
    stack_rule,
    truthy,
)
from .k8s_objects import NOT_BLIND, Blind, derive, judged_together
from .netaddr import covers_internet, public_ranges
from .provenance import Generated

RDS_INSTANCE = "aws:rds/instance:Instance"
RDS_CLUSTER = "aws:rds/cluster:Cluster"
RDS_CLUSTER_INSTANCE = "aws:rds/clusterInstance:ClusterInstance"
RDS_PARAMETER_GROUP = "aws:rds/parameterGroup:ParameterGroup"
RDS_CLUSTER_PARAMETER_GROUP = "aws:rds/clusterParameterGroup:ClusterParameterGroup"
REDIS = "aws:elasticache/replicationGroup:ReplicationGroup"
CACHE_CLUSTER = "aws:elasticache/cluster:Cluster"
SERVERLESS_CACHE = "aws:elasticache/serverlessCache:ServerlessCache"
MEMORYDB = "aws:memorydb/cluster:Cluster"
# aws-native is not a dependency of the program; its RDS tokens are CloudFormation's AWS::RDS::DBInstance/DBCluster.
NATIVE_DB_INSTANCE = "aws-native:rds:DbInstance"
NATIVE_DB_CLUSTER = "aws-native:rds:DbCluster"
EKS = "aws:eks/cluster:Cluster"
SG = "aws:ec2/securityGroup:SecurityGroup"
DEFAULT_SG = "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"
# aws-native (CloudFormation's AWS::EC2::SecurityGroup / SecurityGroupIngress) spells the same rules differently.
NATIVE_SG = "aws-native:ec2:SecurityGroup"
NATIVE_SG_INGRESS = "aws-native:ec2:SecurityGroupIngress"
GROUPS = (SG, DEFAULT_SG, NATIVE_SG)
PREFIX_LIST = "aws:ec2/managedPrefixList:ManagedPrefixList"
PREFIX_LIST_ENTRY = "aws:ec2/managedPrefixListEntry:ManagedPrefixListEntry"
SG_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
SG_INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
LB = ("aws:lb/loadBalancer:LoadBalancer", "aws:alb/loadBalancer:LoadBalancer")
KMS_KEY = "aws:kms/key:Key"
KMS_POLICY = "aws:kms/keyPolicy:KeyPolicy"
REPLICA_KEY = "aws:kms/replicaKey:ReplicaKey"
SECRET = "aws:secretsmanager/secret:Secret"
SECRET_POLICY = "aws:secretsmanager/secretPolicy:SecretPolicy"
WEB_ACL = "aws:wafv2/webAcl:WebAcl"
WEB_ACL_ASSOCIATION = "aws:wafv2/webAclAssociation:WebAclAssociation"
WEB_ACL_LOGGING = "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration"
RANDOM_PASSWORD = ("random:index/randomPassword:RandomPassword", "random:index/randomString:RandomString")
DATA_STORES = ("aws:rds/instance:Instance", "aws:rds/cluster:Cluster", "aws:rds/clusterInstance:ClusterInstance",
               "aws:elasticache/replicationGroup:ReplicationGroup", "aws:elasticache/cluster:Cluster",
               "aws:elasticache/serverlessCache:ServerlessCache", "aws:memorydb/cluster:Cluster",
               NATIVE_DB_INSTANCE, NATIVE_DB_CLUSTER)
AWS_MANAGED_KEYS = ("alias/aws/",)
DEFAULT_ADMIN_NAMES = {"postgres", "admin", "root", "master", "rdsadmin", "sa", "administrator", "user", "dbadmin"}


def _replica(props: Mapping[str, Any]) -> bool:
    return bool(get(props, "replicateSourceDb"))


def _cmk(key: Any) -> bool:
    """A customer-managed key: set, and not an `alias/aws/...` AWS-managed key in any spelling (bare, in an ARN,
    any case, padded)."""
    text = as_text(key).strip().lower()
    return bool(key) and bool(text) and not any(text.startswith(p) or f":{p}" in text for p in AWS_MANAGED_KEYS)


def _val(value: Any) -> str:
    """A setting as a message shows it: `unset` when absent, else its JSON."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # the engine carries every number as a double: 1.0 was written 1
    return "unset" if value is None else shown(value)


rds_public = Meta(
    name="aws-rds-not-public",
    description="RDS instances, primary and replicas, are not publicly accessible.",
    severity=Severity.CRITICAL,
    categories=("AA",),
    references=("CKV_AWS_17", "CIS AWS 2.3.3", "Pulumi compliance-policies"),
    remediation="Set `publiclyAccessible: false` and place the instance in private subnets.",
)


@resource_rule(rds_public, accepts((RDS_INSTANCE, RDS_CLUSTER, RDS_CLUSTER_INSTANCE, NATIVE_DB_INSTANCE, NATIVE_DB_CLUSTER)))
def aws_rds_not_public(resource: Resource) -> Iterator[str]:
    value = get(resource.props, "publiclyAccessible")
    if truthy(value):
        yield f"publiclyAccessible is {shown(value)}"


rds_encrypted = Meta(
    name="aws-rds-encrypted",
    description="RDS storage is encrypted with a customer-managed KMS key (replicas inherit the primary's).",
    severity=Severity.HIGH,
    categories=("SM",),
    references=("CKV_AWS_16", "CIS AWS 2.3.1", "AWSGuard rds-storage-encrypted"),
    remediation="Set `storageEncrypted: true` and `kmsKeyId` to a customer-managed key's ARN.",
)


@resource_rule(rds_encrypted, accepts((RDS_INSTANCE, RDS_CLUSTER, NATIVE_DB_INSTANCE, NATIVE_DB_CLUSTER)))
def aws_rds_encrypted(resource: Resource) -> Iterator[str]:
    props = resource.props
    encrypted = get(props, "storageEncrypted")
    if _replica(props):
        if is_false(encrypted):
            yield f"storageEncrypted is {shown(encrypted)} on a replica (it disables the primary's encryption)"
        return
    if not truthy(encrypted):
        yield f"storageEncrypted is {shown(encrypted)}"
    key = get(props, "kmsKeyId")
    if not _cmk(key):
        yield f"kmsKeyId {cut(key)} is an AWS-managed key, not a customer-managed one" if key else \
            "no customer-managed kmsKeyId (kmsKeyId unset)"


rds_tls = Meta(
    name="aws-rds-force-tls",
    description="Every PostgreSQL RDS instance has a parameter group with rds.force_ssl=1 attached.",
    severity=Severity.HIGH,
    categories=("TS",),
    references=("CKV2_AWS_69",),
    remediation="Create an `aws.rds.ParameterGroup` with parameter `rds.force_ssl` = `1` and set the instance's "
                "`parameterGroupName` to it (replicas too).",
)


def _force_ssl_problem(group: PolicyResource, label: str) -> str | None:
    """Why the group does not force TLS: rds.force_ssl absent, or set to anything but 1 by any of its entries
    (a duplicate entry is the one RDS may apply: the worse wins). `label` names the group as the holder does."""
    values = [as_text(get(p, "value")).strip() for p in items(get(group.props, "parameters"))[:1000]
              if as_text(get(p, "name")).strip().lower() == "rds.force_ssl"]
    wrong = [v for v in values if v != "1"]
    if values and not wrong:
        return None
    why = f"it sets rds.force_ssl to {', '.join(cut(v, 40) for v in wrong[:3])}" if wrong else "rds.force_ssl is absent"
    return f"parameter group {label} does not set rds.force_ssl=1 ({why})"


def _group_for(resource: PolicyResource, prop: str, groups: Names) -> PolicyResource | None:
    """The declared parameter group the instance names, proved by the name it carries (see `targets`)."""
    found = targets(resource, prop, groups)
    return found[0] if found else None


def _parameter_groups(stack: Stack) -> tuple[Names, Names]:
    """The stack's instance and cluster parameter groups, by every value that may name them."""
    return Names(of(stack, RDS_PARAMETER_GROUP), "name"), Names(of(stack, RDS_CLUSTER_PARAMETER_GROUP), "name")


@stack_rule(rds_tls)
def aws_rds_force_tls(stack: Stack) -> Iterator[tuple[str, str | None]]:
    # A group whose name the pack cannot read may be the one an instance names: replayed by "no group" only.
    (groups, cluster_groups), names_blind = derive(lambda: _parameter_groups(stack), *(r.props for r in stack.resources))
    for instance in of(stack, RDS_INSTANCE):
        yield INDEPENDENT  # each database is judged on its own settings and the group it names
        engine = as_text(get(instance.props, "engine", default="postgres"))
        if "postgres" not in engine and not _replica(instance.props):
            continue
        group = _group_for(instance, "parameterGroupName", groups)
        if group is None:
            names_blind.replay()
            named = get(instance.props, "parameterGroupName")
            yield ("no custom parameter group with rds.force_ssl=1 is attached"
                   + (f" (parameterGroupName {cut(named)} is no parameter group of this stack)" if named else
                      " (parameterGroupName unset: the default group)")), instance.urn
        elif (problem := _force_ssl_problem(group, cut(get(instance.props, "parameterGroupName",
                                                            default=group.name)))) is not None:
            yield problem, instance.urn
    for cluster in of(stack, RDS_CLUSTER):
        yield INDEPENDENT
        if "postgres" not in as_text(get(cluster.props, "engine", default="")):
            continue
        group = _group_for(cluster, "dbClusterParameterGroupName", cluster_groups)
        if group is None:
            names_blind.replay()
            named = get(cluster.props, "dbClusterParameterGroupName")
            yield ("no custom cluster parameter group with rds.force_ssl=1 is attached"
                   + (f" (dbClusterParameterGroupName {cut(named)} is no cluster parameter group of this stack)"
                      if named else " (dbClusterParameterGroupName unset: the default group)")), cluster.urn
        elif (problem := _force_ssl_problem(group, cut(get(cluster.props, "dbClusterParameterGroupName",
                                                           default=group.name)))) is not None:
            yield f"the cluster {problem}", cluster.urn


rds_auth = Meta(
    name="aws-rds-auth",
    description="RDS primaries use a generated (or RDS-managed) password, IAM authentication and a non-default admin name.",
    severity=Severity.HIGH,
    categories=("AA", "SM"),
    references=("CKV_AWS_161", "CKV_AWS_296"),
    remediation="Generate the password with pulumi-random (`random.RandomPassword`) or set `manageMasterUserPassword`; "
                "set `iamDatabaseAuthenticationEnabled: true` and a `username` other than postgres/admin/root.",
)


PASSWORD_PROPS = ("password", "passwordWo", "masterPassword", "masterPasswordWo", "masterUserPassword")


def _password_problem(stack: Stack, db: PolicyResource, prop: str, value: Any) -> str | None:
    """Why the password is not proved generated by its value (see `provenance`), or None. An unwired
    ciphertext is reported as unverifiable. Never quotes the value."""
    generated = Generated(stack).proves(value, depends_on(db, prop, RANDOM_PASSWORD))
    if generated is None:
        verify.needs_value(value)
        return None
    if generated:
        return None
    if verify.is_withheld(value):
        return f"{prop} is a literal secret: its value equals no random.RandomPassword result in the stack"
    return f"{prop} is a literal, not the value of a random.RandomPassword (in code or config)"


@stack_rule(rds_auth)
def aws_rds_auth(stack: Stack) -> Iterator[tuple[str, str | None]]:
    for db in of(stack, RDS_INSTANCE, RDS_CLUSTER, NATIVE_DB_INSTANCE, NATIVE_DB_CLUSTER):
        yield INDEPENDENT  # what one database hides concerns that database only
        props = db.props
        if _replica(props) or get(props, "replicationSourceIdentifier") or get(props, "sourceDbInstanceIdentifier") \
                or get(props, "sourceDbClusterIdentifier"):
            continue
        iam_prop = "iamDatabaseAuthenticationEnabled" if "iamDatabaseAuthenticationEnabled" in props \
            else "enableIamDatabaseAuthentication" if "enableIamDatabaseAuthentication" in props \
            else "iamDatabaseAuthenticationEnabled"
        iam_auth = get(props, iam_prop)
        if not truthy(iam_auth):
            yield f"{iam_prop} is {shown(iam_auth)} (IAM authentication off)", db.urn
        user = as_text(get(props, "username", default=get(props, "masterUsername", default="")) or "")
        if user.strip().lower() in DEFAULT_ADMIN_NAMES:
            yield f"the admin user is the default-like name '{user[:64]}'", db.urn
        managed = truthy(get(props, "manageMasterUserPassword"))
        present = [p for p in PASSWORD_PROPS if get(props, p)]
        if not present and not managed:
            yield "no password and no manageMasterUserPassword", db.urn
        for prop in present:
            # A literal beside manageMasterUserPassword still sits in code and state. Never quote the value.
            problem = _password_problem(stack, db, prop, get(props, prop))
            if problem:
                yield problem, db.urn


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
    for db in of(stack, RDS_INSTANCE):
        yield INDEPENDENT  # each database is judged on its own settings
        props = db.props
        replica = _replica(props)
        if not replica:
            multi_az = get(props, "multiAz")
            if not _on(multi_az):
                yield f"multiAz is {_val(multi_az)} (a single Availability Zone)", db.urn
            yield from ((m, db.urn) for m in _retention(props, minimum))
        yield from ((m, db.urn) for m in _instance_resilience(props, stack.production))
    # Aurora: the cluster holds backups, deletion protection and log exports; its instances hold the rest.
    for cluster in of(stack, RDS_CLUSTER):
        yield INDEPENDENT
        props = cluster.props
        if not _replica(props) and not get(props, "replicationSourceIdentifier"):
            yield from ((m, cluster.urn) for m in _retention(props, minimum))
        if stack.production and not _on(get(props, "deletionProtection")):
            yield f"deletionProtection is {_val(get(props, 'deletionProtection'))} (production)", cluster.urn
        if "postgresql" not in _log_exports(props):
            yield "the postgresql log is not exported (enabledCloudwatchLogsExports lacks postgresql)", cluster.urn
    for member in of(stack, RDS_CLUSTER_INSTANCE):
        yield INDEPENDENT
        props = member.props
        if is_false(get(props, "autoMinorVersionUpgrade")):
            yield f"autoMinorVersionUpgrade is {_val(get(props, 'autoMinorVersionUpgrade'))}", member.urn
        problem = _insights_problem(props)
        if problem:
            yield problem, member.urn


def _on(value: Any) -> bool:
    """An explicit true (the engine's booleans, or the string spellings a config value arrives as)."""
    return value is True or (isinstance(value, str) and truthy(value))


def _log_exports(props: Mapping[str, Any]) -> set[str]:
    return {as_text(x).strip().lower() for x in items(get(props, "enabledCloudwatchLogsExports"))[:100]}


def _retention(props: Mapping[str, Any], minimum: float) -> Iterator[str]:
    value = get(props, "backupRetentionPeriod")
    retention = number(value)
    if retention is None or retention < minimum:
        yield f"backupRetentionPeriod is {_val(value)} (< {int(minimum)} days)"


def _insights_problem(props: Mapping[str, Any]) -> str | None:
    enabled = get(props, "performanceInsightsEnabled")
    if not _on(enabled):
        return f"performanceInsightsEnabled is {_val(enabled)} (Performance Insights off)"
    key = get(props, "performanceInsightsKmsKeyId")
    if not _cmk(key):
        return (f"performanceInsightsKmsKeyId {cut(key)} is an AWS-managed key, not a customer-managed one" if key
                else "performanceInsightsKmsKeyId is unset: Performance Insights uses the AWS-managed key")
    return None


def _instance_resilience(props: Mapping[str, Any], production: bool) -> Iterator[str]:
    if production and not _on(get(props, "deletionProtection")):
        yield f"deletionProtection is {_val(get(props, 'deletionProtection'))} (production)"
    if is_false(get(props, "autoMinorVersionUpgrade")):
        yield f"autoMinorVersionUpgrade is {_val(get(props, 'autoMinorVersionUpgrade'))}"
    problem = _insights_problem(props)
    if problem:
        yield problem
    if "postgresql" not in _log_exports(props):
        yield "the postgresql log is not exported (enabledCloudwatchLogsExports lacks postgresql)"


rds_replicas = Meta(
    name="aws-rds-replicas",
    description="PostgreSQL on RDS is one primary with at least two read replicas pointing at it.",
    severity=Severity.HIGH,
    categories=("REL",),
    references=("docs/requirements.md: one primary plus two replicas",),
    remediation="Declare the replicas with `replicateSourceDb` set to the primary's identifier (or ARN).",
    config={"minReplicas": {"type": "number", "default": 2}},
)


def _replica_index(replicas: list[PolicyResource], primaries: list[PolicyResource]) -> dict[str, list[PolicyResource]]:
    """Primary URN -> the replicas whose `replicateSourceDb` names it, proved by the value (identifier, ARN or
    resource id; the wiring only where the value is not there yet): linear, not pairwise."""
    names = Names(primaries, "identifier", "resourceId")
    out: dict[str, list[PolicyResource]] = {}
    for replica in replicas:
        for primary in targets(replica, "replicateSourceDb", names):
            out.setdefault(primary.urn, []).append(replica)
    return out


@stack_rule(rds_replicas)
def aws_rds_replicas(stack: Stack) -> Iterator[tuple[str, str | None]]:
    instances = of(stack, RDS_INSTANCE)
    if not instances:
        return
    wanted = int(number(stack.config.get("minReplicas")) or 2)
    # Which instances are replicas, each with what hides it: a count that one of them could change replays it.
    kinds = [(i, *derive(functools.partial(_replica, i.props), i.props)) for i in instances]
    doubts = NOT_BLIND
    for _, _, blind in kinds:
        doubts = doubts | blind
    primaries = [i for i, replica, _ in kinds if not replica]
    replicas = [i for i, replica, _ in kinds if replica]
    by_primary, index_blind = derive(lambda: _replica_index(replicas, primaries),
                                     *(i.props for i in instances))
    pointed = {id(r) for mine in by_primary.values() for r in mine}
    yield INDEPENDENT
    if len(primaries) != 1:
        doubts.replay()
        yield f"expected exactly one primary RDS instance, found {len(primaries)}", None
    for primary in primaries:
        yield INDEPENDENT  # each primary is judged on the replicas that point at it
        mine = by_primary.get(primary.urn, [])
        if len(mine) < wanted:
            (doubts | index_blind).replay()  # a replica whose source the pack cannot read may point here
            yield f"the primary has {len(mine)} replica(s); need {wanted}", primary.urn
    for replica in replicas:
        yield INDEPENDENT
        if not primaries:
            doubts.replay()
            yield "a replica points at no declared primary", replica.urn
        elif id(replica) not in pointed:
            (doubts | index_blind).replay()
            yield (f"replicateSourceDb {cut(get(replica.props, 'replicateSourceDb'))} names no primary of this stack: "
                   "the replica copies another database"), replica.urn


redis_secure = Meta(
    name="aws-redis-encryption-auth",
    description="ElastiCache requires TLS in transit, encrypts at rest with a CMK, and requires an auth token or RBAC users.",
    severity=Severity.CRITICAL,
    categories=("TS", "AA"),
    references=("CKV_AWS_29", "CKV_AWS_30", "CKV_AWS_31", "CKV_AWS_191"),
    remediation="Set `transitEncryptionEnabled: true` (mode `required`), `atRestEncryptionEnabled: true` with "
                "`kmsKeyId`, and a generated `authToken` or `userGroupIds`.",
)


def _auth_problem(props: Mapping[str, Any]) -> str | None:
    if get(props, "authToken") or get(props, "authTokenWo") or items(get(props, "userGroupIds")) or \
            get(props, "userGroupId"):
        return None
    return "neither an auth token nor RBAC user groups (authToken/userGroupIds unset)"


@resource_rule(redis_secure, accepts((REDIS, CACHE_CLUSTER, SERVERLESS_CACHE, MEMORYDB)))
def aws_redis_encryption_auth(resource: Resource) -> Iterator[str]:
    props = resource.props
    if canonical(resource.type) == MEMORYDB:
        if is_false(get(props, "tlsEnabled")):
            yield "tlsEnabled is false"
        acl = as_text(get(props, "aclName", default="open-access"))
        if acl.strip().lower() == "open-access":
            yield f"aclName is '{cut(acl)}' (no authentication)"
        if not _cmk(get(props, "kmsKeyArn")):
            yield "no customer-managed kmsKeyArn"
        return
    if canonical(resource.type) == SERVERLESS_CACHE:  # always TLS; authentication is a user group
        if not get(props, "userGroupId") and as_text(get(props, "engine", default="redis")) != "memcached":
            yield "userGroupId is unset (no authentication)"
        if not _cmk(get(props, "kmsKeyId")):
            yield "no customer-managed kmsKeyId"
        return
    if canonical(resource.type) == CACHE_CLUSTER:
        if get(props, "replicationGroupId"):
            return  # a member of a replication group: the group is judged
        # A standalone cache cluster takes no auth token and no user group: anyone on the network is in.
        yield (f"a standalone {cut(get(props, 'engine', default='cache'))} cluster has no authentication "
               f"(transitEncryptionEnabled {shown(get(props, 'transitEncryptionEnabled'))}); use a replication group")
        return
    transit = get(props, "transitEncryptionEnabled")
    if not truthy(transit):
        yield f"transitEncryptionEnabled is {shown(transit)}"
    elif as_text(get(props, "transitEncryptionMode", default="required")).strip().lower() != "required":
        yield f"transitEncryptionMode is {shown(get(props, 'transitEncryptionMode'))} (plaintext still accepted)"
    at_rest = get(props, "atRestEncryptionEnabled")
    if not truthy(at_rest):
        yield f"atRestEncryptionEnabled is {shown(at_rest)} (no encryption at rest)"
    if not _cmk(get(props, "kmsKeyId")):
        yield "no customer-managed kmsKeyId"
    problem = _auth_problem(props)
    if problem:
        yield problem


redis_ha = Meta(
    name="aws-redis-ha",
    description="ElastiCache runs in cluster mode with 3 shards, a replica per shard, automatic failover, Multi-AZ "
                "and snapshots.",
    severity=Severity.MEDIUM,
    categories=("REL",),
    references=("CKV2_AWS_50", "CKV_AWS_134", "docs/requirements.md: 3-node Redis cluster"),
    remediation="Set `clusterMode: enabled`, `numNodeGroups: 3`, `replicasPerNodeGroup` >= 1, "
                "`automaticFailoverEnabled`, `multiAzEnabled` and `snapshotRetentionLimit` >= 1.",
    config={"shards": {"type": "number", "default": 3}},
)


@resource_rule(redis_ha, accepts((REDIS, MEMORYDB)))
def aws_redis_ha(resource: Resource) -> Iterator[str]:
    props = resource.props
    wanted = number(resource.config.get("shards")) or 3
    if canonical(resource.type) == MEMORYDB:
        # MemoryDB is always cluster mode and Multi-AZ with replicas; shards and replicas default to 1.
        yield from _shards("numShards", get(props, "numShards"), wanted)
        yield from _replicas("numReplicasPerShard", get(props, "numReplicasPerShard", default=1))
        yield from _snapshots(get(props, "snapshotRetentionLimit"))
        return
    mode = get(props, "clusterMode")
    group = as_text(get(props, "parameterGroupName", default="")).strip().lower()
    cluster_mode = as_text(mode if mode is not None else "").strip().lower() == "enabled" or (
        mode is None and ".cluster.on" in group)
    if not cluster_mode:
        yield (f"clusterMode is {_val(mode)} (cluster mode is not enabled"
               + (f"; parameterGroupName {cut(group)})" if group else ")"))
    # Without cluster mode the group is one shard of numCacheClusters nodes (a primary and its replicas).
    shards = get(props, "numNodeGroups")
    if shards is None and cluster_mode:
        shards = get(props, "nodeGroupConfigurations")
        shards = len(items(shards)) if shards is not None else None
    yield from _shards("numNodeGroups", shards, wanted)
    replicas = get(props, "replicasPerNodeGroup")
    if replicas is None and not cluster_mode and get(props, "numCacheClusters") is not None:
        count = number(get(props, "numCacheClusters"))
        replicas = None if count is None else count - 1
    yield from _replicas("replicasPerNodeGroup", replicas)
    for key, label in (("automaticFailoverEnabled", "automatic failover is off"),
                       ("multiAzEnabled", "Multi-AZ is off")):
        value = get(props, key)
        if not (value is True or (isinstance(value, str) and truthy(value))):
            yield f"{key} is {_val(value)} ({label})"
    yield from _snapshots(get(props, "snapshotRetentionLimit"))


def _shards(key: str, value: Any, wanted: float) -> Iterator[str]:
    count = number(value)
    if count is None or count < wanted:
        yield f"{key} is {_val(value)}: {int(count) if count is not None else 1} shard(s); need {int(wanted)}"


def _replicas(key: str, value: Any) -> Iterator[str]:
    count = number(value)
    if count is None or count < 1:
        yield f"{key} is {_val(value)} (no replica per shard)"


def _snapshots(value: Any) -> Iterator[str]:
    days = number(value)
    if days is None or days < 1:
        yield f"snapshotRetentionLimit is {_val(value)} (no snapshot retention)"


eks_endpoint = Meta(
    name="aws-eks-endpoint",
    description="The EKS API endpoint is private, or public only to listed CIDRs that do not cover the Internet "
                "in any spelling (0.0.0.0/0, split halves, ::/0); access goes through access entries only, with no "
                "standing cluster-admin for the cluster's creator.",
    severity=Severity.CRITICAL,
    categories=("AA",),
    references=("CKV_AWS_38", "CKV_AWS_39", "CIS EKS 5.4.2", "Pulumi compliance-policies"),
    remediation="Set `vpcConfig.endpointPrivateAccess: true` and `endpointPublicAccess: false`, or restrict "
                "`publicAccessCidrs` to your office/VPN ranges; set `accessConfig: {authenticationMode: API, "
                "bootstrapClusterCreatorAdminPermissions: false}`.",
)


@resource_rule(eks_endpoint, accepts((EKS,)))
def aws_eks_endpoint(resource: Resource) -> Iterator[str]:
    yield from _access_problems(resource.props)
    vpc = mapping(get(resource.props, "vpcConfig"))
    private = get(vpc, "endpointPrivateAccess")
    if not truthy(private):
        yield f"vpcConfig.endpointPrivateAccess is {shown(private)} (private endpoint access off)"
    public = get(vpc, "endpointPublicAccess")
    if is_false(public):
        return
    # EKS defaults the public endpoint to on, open to 0.0.0.0/0.
    state = f"vpcConfig.endpointPublicAccess is {shown(public)}" + (" (defaults to true)" if public is None else "")
    cidrs = [as_text(c) for c in items(get(vpc, "publicAccessCidrs"))]
    if not cidrs:
        yield f"{state} and there are no vpcConfig.publicAccessCidrs: the public endpoint is open to 0.0.0.0/0"
    elif covers_internet(cidrs):
        yield f"{state} and vpcConfig.publicAccessCidrs {', '.join(public_ranges(cidrs)[:8])} cover the public Internet"


def _access_problems(props: Mapping[str, Any]) -> Iterator[str]:
    """Who may call the API server once it is reached: access entries only (EKS defaults to the aws-auth
    ConfigMap, which anyone who can edit kube-system rewrites), and no standing cluster-admin for the creator."""
    access = mapping(get(props, "accessConfig"))
    mode = get(access, "authenticationMode")
    if as_text(mode if mode is not None else "").strip().upper() != "API":
        yield (f"accessConfig.authenticationMode is {shown(mode) if mode is not None else 'unset (CONFIG_MAP)'}: "
               "the aws-auth ConfigMap grants cluster access (use API, access entries only)")
    bootstrap = get(access, "bootstrapClusterCreatorAdminPermissions")
    if bootstrap is None or not is_false(bootstrap):
        yield (f"accessConfig.bootstrapClusterCreatorAdminPermissions is "
               f"{shown(bootstrap) if bootstrap is not None else 'unset (true)'}: the identity that created the "
               "cluster keeps cluster-admin")


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


@resource_rule(eks_secrets, accepts((EKS,)))
def aws_eks_secrets_logs(resource: Resource) -> Iterator[str]:
    configs = items(get(resource.props, "encryptionConfig"))
    if not any("secrets" in [as_text(r) for r in items(get(c, "resources"))] and get(c, "provider", "keyArn")
               for c in configs):
        yield "Kubernetes Secrets are not encrypted with a KMS key"
    enabled = {as_text(t) for t in items(get(resource.props, "enabledClusterLogTypes"))}
    missing = [t for t in LOG_TYPES if t not in enabled]
    if missing:
        yield f"control-plane logs missing: {', '.join(missing)}"


# --- security groups ----------------------------------------------------------------------------


class IngressRule:
    """Inline blocks (security group, default security group), `ec2.SecurityGroupRule` and
    `vpc.SecurityGroupIngressRule` in one shape, with prefix lists already expanded to their CIDRs."""

    def __init__(self, owner: PolicyResource, group: str, cidrs: list[str], from_port: Any, to_port: Any, *,
                 protocol: Any, source_group: str | None, description: Any, label: str, source_prop: str,
                 prefix_lists: list[str] | None = None) -> None:
        self.owner = owner
        self.group = group
        self.cidrs = cidrs
        self.prefix_lists = prefix_lists or []
        """Prefix-list ids the rule admits (expanded into `cidrs` when the stack declares the list)."""
        self.protocol = as_text(protocol if protocol is not None else "tcp").strip().lower()[:32]
        # -1, "all", "-1.0": every protocol (and so every port).
        self.all_ports = self.protocol in ("-1", "all", "-1.0", "any", "*")
        low, high = number(from_port), number(to_port)
        first = int(low) if low is not None else 0
        last = int(high) if high is not None else 65535
        # A swapped range is the same range to anyone reading it for exposure.
        self.from_port, self.to_port = min(first, last), max(first, last)
        if self.all_ports or self.from_port < 0 or (self.from_port == 0 and self.to_port == 0):
            self.from_port, self.to_port = 0, 65535
        self.to_port = min(self.to_port, 65535)
        self.source_group = source_group
        self.description = as_text(description or "")
        self.label = label
        self.source_prop = source_prop
        for value in (*cidrs, source_group):
            verify.needs_value(value)  # read now, while `derive` records what it cannot judge

    def covers(self, port: int) -> bool:
        return self.from_port <= port <= self.to_port

    @property
    def web_only(self) -> bool:
        return self.protocol in ("tcp", "6") and (self.from_port, self.to_port) in ((80, 80), (443, 443))

    @property
    def ports(self) -> str:
        return "all ports" if (self.from_port, self.to_port) == (0, 65535) else (
            as_text(self.from_port) if self.from_port == self.to_port else f"{self.from_port}-{self.to_port}")


def _prefix_lists(stack: Stack) -> PrefixLists:
    """Managed prefix lists with their CIDRs (inline entries plus standalone entry resources)."""
    declared = of(stack, PREFIX_LIST)
    cidrs: dict[str, list[str]] = {pl.urn: [as_text(get(e, "cidr")) for e in items(get(pl.props, "entries"))[:10_000]
                                            if get(e, "cidr")] for pl in declared}
    names = Names(declared, "name")
    for entry in of(stack, PREFIX_LIST_ENTRY):
        value = get(entry.props, "prefixListId")
        targets = [t.urn for t in names.find(value)] if value else \
            [d.urn for d in entry.property_dependencies.get("prefixListId", [])]
        for urn in targets:
            if urn in cidrs:
                cidrs[urn].append(as_text(get(entry.props, "cidr", default="")))
    return PrefixLists(names, cidrs)


class PrefixLists:
    """The stack's prefix lists by what names them, with their CIDRs."""

    def __init__(self, names: Names, cidrs: dict[str, list[str]]) -> None:
        self.names = names
        self.cidrs = cidrs


def _expand(holder: PolicyResource, prop: str, ids: list[Any], lists: PrefixLists) -> list[str]:
    """Prefix-list ids as the CIDRs they stand for (a list the value cannot show yet: by its dependency)."""
    out: list[str] = []
    for value in ids[:100]:
        urns = [t.urn for t in lists.names.find(value)] if value else \
            [d.urn for d in holder.property_dependencies.get(prop, [])]
        for urn in urns:
            out.extend(lists.cidrs.get(urn, []))
    return out


def _group_key(stack: Stack, rule: PolicyResource, groups: Names, prop: str = "securityGroupId") -> str:
    """The group a standalone rule belongs to: the declared group its value names, else the value itself."""
    value = get(rule.props, prop)
    found = groups.find(value) if value else []
    if found:
        return found[0].urn
    linked = [d.urn for d in rule.property_dependencies.get(prop, [])]
    if not value and linked:
        return linked[0]
    if value:
        return f"id:{cut(value, 2048)}"
    return linked[0] if linked else rule.urn


def _classic(rule: Any) -> dict[str, Any]:
    """An aws-native ingress entry (`cidrIp`, `sourceSecurityGroupId`, ...) in pulumi-aws's inline shape."""
    return {"cidrBlocks": items(get(rule, "cidrIp")), "ipv6CidrBlocks": items(get(rule, "cidrIpv6")),
            "prefixListIds": items(get(rule, "sourcePrefixListId")),
            "securityGroups": items(get(rule, "sourceSecurityGroupId")) or items(get(rule, "sourceSecurityGroupName")),
            "protocol": get(rule, "ipProtocol"), "fromPort": get(rule, "fromPort"), "toPort": get(rule, "toPort"),
            "description": get(rule, "description")}


def _inline_rule(group: PolicyResource, index: int, rule: Any, lists: PrefixLists) -> IngressRule:
    if canonical(group.resource_type) == NATIVE_SG:
        rule = _classic(rule)
    cidrs = [as_text(c) for c in [*items(get(rule, "cidrBlocks")), *items(get(rule, "ipv6CidrBlocks"))]]
    prefix_lists = [as_text(p) for p in items(get(rule, "prefixListIds"))]
    cidrs += _expand(group, "ingress", prefix_lists, lists)
    sources = [as_text(s) for s in items(get(rule, "securityGroups"))]
    if truthy(get(rule, "self")):
        sources.append(group.urn)
    prop = _inline_prop(group)
    return IngressRule(group, group.urn, cidrs, get(rule, "fromPort"), get(rule, "toPort"),
                       protocol=get(rule, "protocol"), source_group=sources[0] if sources else None,
                       description=get(rule, "description"), label=f"{prop}[{index}]", source_prop=prop,
                       prefix_lists=prefix_lists)


def _inline_prop(group: PolicyResource) -> str:
    return "securityGroupIngress" if canonical(group.resource_type) == NATIVE_SG else "ingress"


def _native_rule(stack: Stack, rule: PolicyResource, lists: PrefixLists, groups: Names) -> IngressRule:
    """An `aws-native:ec2:SecurityGroupIngress` resource."""
    entry = _classic(rule.props)
    cidrs = [as_text(c) for c in [*entry["cidrBlocks"], *entry["ipv6CidrBlocks"]]]
    prefix_lists = [as_text(p) for p in entry["prefixListIds"]]
    cidrs += _expand(rule, "sourcePrefixListId", prefix_lists, lists)
    source = entry["securityGroups"][0] if entry["securityGroups"] else None
    prop = "groupId" if get(rule.props, "groupId") or not get(rule.props, "groupName") else "groupName"
    return IngressRule(rule, _group_key(stack, rule, groups, prop), cidrs, entry["fromPort"], entry["toPort"],
                       protocol=entry["protocol"], source_group=as_text(source) if source else None,
                       description=entry["description"], label="the rule", source_prop="sourceSecurityGroupId",
                       prefix_lists=prefix_lists)


def _group_rule(stack: Stack, rule: PolicyResource, lists: PrefixLists, groups: Names) -> IngressRule | None:
    if as_text(get(rule.props, "type", default="")).strip().lower() != "ingress":
        return None
    cidrs = [as_text(c) for c in [*items(get(rule.props, "cidrBlocks")), *items(get(rule.props, "ipv6CidrBlocks"))]]
    prefix_lists = [as_text(p) for p in items(get(rule.props, "prefixListIds"))]
    cidrs += _expand(rule, "prefixListIds", prefix_lists, lists)
    source = get(rule.props, "sourceSecurityGroupId") or (get(rule.props, "securityGroupId")
                                                           if truthy(get(rule.props, "self")) else None)
    return IngressRule(rule, _group_key(stack, rule, groups), cidrs, get(rule.props, "fromPort"), get(rule.props, "toPort"),
                       protocol=get(rule.props, "protocol"), source_group=as_text(source) if source else None,
                       description=get(rule.props, "description"), label="the rule",
                       source_prop="sourceSecurityGroupId", prefix_lists=prefix_lists)


def _vpc_rule(stack: Stack, rule: PolicyResource, lists: PrefixLists, groups: Names) -> IngressRule:
    cidrs = [as_text(c) for c in (get(rule.props, "cidrIpv4"), get(rule.props, "cidrIpv6")) if c]
    prefix_lists = [as_text(p) for p in items(get(rule.props, "prefixListId"))]
    cidrs += _expand(rule, "prefixListId", prefix_lists, lists)
    source = get(rule.props, "referencedSecurityGroupId")
    return IngressRule(rule, _group_key(stack, rule, groups), cidrs, get(rule.props, "fromPort"), get(rule.props, "toPort"),
                       protocol=get(rule.props, "ipProtocol"), source_group=as_text(source) if source else None,
                       description=get(rule.props, "description"), label="the rule",
                       source_prop="referencedSecurityGroupId", prefix_lists=prefix_lists)


def derived_ingress(stack: Stack) -> list[tuple[IngressRule, Blind]]:
    """Every ingress rule (inline blocks, `ec2.SecurityGroupRule`, `vpc.SecurityGroupIngressRule`), each with
    the values its reading could not judge (derived once per request, see `Blind`): a rule's finding
    replays its own, so one blind rule withholds nothing about another. What hides a prefix list's
    CIDRs goes with the rules that name a prefix list; what hides a group's name, with the standalone
    rules whose group no declared group's visible name resolves."""
    # Keyed by the request's stack index, which every stack rule of one request shares (see `_stack_index`).
    return list(verify.per_request("aws-ingress", stack.by_urn, lambda: _ingress_rules(stack)))


def _ingress_rules(stack: Stack) -> list[tuple[IngressRule, Blind]]:
    roots = [r.props for r in stack.resources]
    lists, lists_blind = derive(lambda: _prefix_lists(stack), *roots)
    groups, names_blind = derive(lambda: Names(of(stack, *GROUPS, EKS), "name", "groupId", "groupName"), *roots)
    out: list[tuple[IngressRule, Blind]] = []

    def add(rule: IngressRule | None, blind: Blind) -> None:
        if rule is None:
            return
        if rule.prefix_lists:
            blind = blind | lists_blind
        if rule.owner.urn != rule.group and not rule.group.startswith("urn:"):
            blind = blind | names_blind  # its group may be one whose name the pack cannot read
        out.append((rule, blind))

    for group in of(stack, *GROUPS):
        prop = _inline_prop(group)
        entries, entries_blind = derive(lambda group=group, prop=prop: items(get(group.props, prop)),  # type: ignore[misc]
                                        group.props)
        if entries_blind:
            out.append((IngressRule(group, group.urn, [], None, None, protocol=None, source_group=None,
                                    description=None, label=prop, source_prop=prop), entries_blind))
        for index, entry in enumerate(entries):
            rule, blind = derive(functools.partial(_inline_rule, group, index, entry, lists), group.props)
            add(rule, blind)
    for resource in of(stack, SG_RULE):
        found, blind = derive(functools.partial(_group_rule, stack, resource, lists, groups), resource.props)
        if found is None and blind:  # its direction is blind: it may be an ingress rule
            found = IngressRule(resource, resource.urn, [], None, None, protocol=None, source_group=None,
                                description=None, label="the rule", source_prop="type")
        add(found, blind)
    for resource in of(stack, SG_INGRESS):
        rule, blind = derive(functools.partial(_vpc_rule, stack, resource, lists, groups), resource.props)
        add(rule, blind)
    for resource in of(stack, NATIVE_SG_INGRESS):
        rule, blind = derive(functools.partial(_native_rule, stack, resource, lists, groups), resource.props)
        add(rule, blind)
    return out


def ingress_rules(stack: Stack) -> Iterator[IngressRule]:
    """Every ingress rule the pack can read whole (see `derived_ingress` for the blind ones)."""
    for rule, blind in derived_ingress(stack):
        if not blind:
            yield rule


# Where a resource names the security groups it sits in (top level, or under vpcOptions/vpcConfig).
ATTACHING_PROPS = ("vpcSecurityGroupIds", "securityGroupIds", "securityGroups")
RULE_TYPES = (SG_RULE, SG_INGRESS, "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule")


def _attached_keys(resource: PolicyResource, groups: Names) -> set[str]:
    """Keys (as `_group_key` makes them) of the groups a resource sits in."""
    keys: set[str] = set()
    for path in [(p,) for p in ATTACHING_PROPS] + [(n, p) for n in ("vpcOptions", "vpcConfig") for p in ATTACHING_PROPS]:
        values = items(get(resource.props, *path))[:100]
        for value in values:
            matched = [g.urn for g in groups.find(value)]
            keys.update(matched or [f"id:{cut(value, 2048)}"])
        if not values:
            keys.update(d.urn for d in resource.property_dependencies.get(path[0], []) if d.urn in groups.urns)
    return keys


def _public_alb_groups(stack: Stack) -> set[str]:
    """Keys (as `_group_key` makes them) of the groups that front only Internet-facing application load
    balancers. A group some other resource also sits in (a database, a search domain, the cluster's nodes, an
    internal load balancer) is not the edge's, whatever load balancer lists it too: its 80/443 world rules
    would open that resource."""
    keys: set[str] = set()
    elsewhere: set[str] = set()
    groups = Names(of(stack, *GROUPS), "name", "groupId", "groupName")
    skip = {r.urn for r in of(stack, *GROUPS, *RULE_TYPES)}
    for lb in of(stack, *LB):
        skip.add(lb.urn)
        public = _public_alb(lb)
        (keys if public else elsewhere).update(_attached_keys(lb, groups))
    for resource in stack.resources:
        if resource.urn not in skip and keys:
            elsewhere.update(_attached_keys(resource, groups))
    return keys - elsewhere


sg_world = Meta(
    name="aws-sg-no-world-ingress",
    description="No security group admits the Internet (0.0.0.0/0, ::/0, split halves, 2000::/3, a prefix list "
                "covering it), except TCP 80/443 on the public load balancer's group; inline blocks, the default "
                "group and standalone rule resources are judged together.",
    severity=Severity.CRITICAL,
    categories=("AA",),
    references=("CKV_AWS_24", "CKV_AWS_25", "CKV_AWS_260", "CKV_AWS_277", "CKV2_AWS_12", "CIS AWS 5.2",
                "Pulumi compliance-policies"),
    remediation="Replace the world CIDRs (in any spelling) with the load balancer's security group or your internal "
                "ranges; keep the default security group without rules.",
)


@stack_rule(sg_world)
def aws_sg_no_world_ingress(stack: Stack) -> Iterator[tuple[str, str | None]]:
    edge, edge_blind = derive(lambda: _public_alb_groups(stack), *(r.props for r in stack.resources))
    by_group: dict[str, list[tuple[IngressRule, Blind]]] = {}
    for rule, blind in derived_ingress(stack):
        if blind or rule.cidrs:
            by_group.setdefault(rule.group, []).append((rule, blind))
    for group, pieces in by_group.items():
        for _, blind in pieces:
            if blind:
                yield INDEPENDENT  # a rule the pack cannot read: its values are named, nothing else
                blind.replay()
        exempt = group in edge
        counted = [r for r, blind in pieces if not blind and not (exempt and r.web_only)]
        # The union decides: 256 /16 rules are the Internet as much as one 0.0.0.0/0. Rules the pack cannot
        # read add nothing to it, so what it covers without them it covers with them.
        if not covers_internet(c for r in counted for c in r.cidrs):
            continue
        # A blind load balancer may make this group the public one, whose 80/443 rules are exempt.
        doubt_web = bool(edge_blind) and not exempt
        needs_web = doubt_web and not covers_internet(c for r in counted if not r.web_only for c in r.cidrs)
        where = "the public load balancer's group" if exempt else "a non-edge group"
        for rule in counted:
            public = public_ranges(rule.cidrs)
            if public:
                yield INDEPENDENT
                if doubt_web and (rule.web_only or needs_web):
                    edge_blind.replay()
                yield (f"{rule.label} admits {', '.join(public)} ({rule.protocol} {rule.ports}) on {where}: together "
                       f"its rules cover the public Internet"), rule.owner.urn


data_tier = Meta(
    name="aws-sg-data-tier-scoped",
    description="The database and cache (PostgreSQL 5432, Redis 6379, or whatever port they are moved to) accept "
                "traffic only from the cluster's security groups, by reference, with a description on every rule.",
    severity=Severity.HIGH,
    categories=("AA",),
    references=("CKV2_AWS_12", "CKV_AWS_23"),
    remediation="Use `referencedSecurityGroupId`/`sourceSecurityGroupId` = the EKS cluster (or node) security group "
                "instead of CIDRs or prefix lists, and describe each rule.",
    config={"ports": {"type": "array", "items": {"type": "number"}, "default": [5432, 6379]}},
)


def _cluster_groups(stack: Stack) -> tuple[set[str], set[str]]:
    """(visible group ids, resources whose group the value may not show yet) of the EKS cluster and nodes."""
    ids: set[str] = set()
    urns: set[str] = set()
    for cluster in of(stack, EKS):
        urns.add(cluster.urn)
        ids.update(as_text(x) for x in [get(cluster.props, "vpcConfig", "clusterSecurityGroupId"),
                                    *items(get(cluster.props, "vpcConfig", "securityGroupIds"))] if x)
    for template in of(stack, LAUNCH_TEMPLATE):
        ids.update(as_text(x) for x in items(get(template.props, "vpcSecurityGroupIds")))
        urns.update(d.urn for d in template.property_dependencies.get("vpcSecurityGroupIds", []))
    for group in of(stack, NODE_GROUP):
        urns.add(group.urn)
    return ids, urns


def _from_cluster(rule: IngressRule, ids: set[str], urns: set[str], cluster: Names) -> bool:
    source = rule.source_group or ""
    if source in ids or source in urns or cluster.find(source):
        return True
    # The cluster group's id is an output: before it exists only the dependency can stand for it.
    linked = {d.urn for d in rule.owner.property_dependencies.get(rule.source_prop, [])}
    return bool(linked & urns) and not ids


def _data_groups(stack: Stack) -> dict[str, set[int]]:
    """Groups attached to databases and caches, with the ports the stores behind each listen on (one group
    may front a primary and replicas on different ports)."""
    attached: dict[str, set[int]] = {}
    groups = Names(of(stack, *GROUPS), "name", "groupId", "groupName")
    for store in of(stack, *DATA_STORES):
        port = number(get(store.props, "port"))
        ports = {int(port)} if port is not None and 0 < port <= 65535 else set()
        for prop in ("vpcSecurityGroupIds", "securityGroupIds"):
            values = items(get(store.props, prop))[:100]
            for value in values:
                matched = [g.urn for g in groups.find(value)]
                for key in matched or [f"id:{cut(value, 2048)}"]:
                    attached.setdefault(key, set()).update(ports)
            if not values:
                for d in store.property_dependencies.get(prop, []):
                    attached.setdefault(d.urn, set()).update(ports)
    return attached


@stack_rule(data_tier)
def aws_sg_data_tier_scoped(stack: Stack) -> Iterator[tuple[str, str | None]]:
    ports = {int(number(p) or 0) for p in items(stack.config.get("ports"))}
    roots = [r.props for r in stack.resources]
    data_groups, data_blind = derive(lambda: _data_groups(stack), *roots)
    # What hides a store's group or port can only hide findings (it adds groups and ports): named once.
    yield INDEPENDENT
    data_blind.replay()
    for store_ports in data_groups.values():
        ports.update(store_ports)
    (ids, urns), cluster_blind = derive(lambda: _cluster_groups(stack), *roots)
    cluster = Names((stack.by_urn[u] for u in urns if u in stack.by_urn), "name")
    has_cluster = bool(of(stack, EKS))
    for rule, blind in derived_ingress(stack):
        yield INDEPENDENT  # each rule is judged on its own values (and the cluster's groups)
        blind.replay()
        hit = sorted(p for p in ports if rule.covers(p))
        if not hit and rule.group not in data_groups:
            continue
        label = f"{rule.label} ({rule.protocol} {rule.ports})" + (
            f" to {'/'.join(map(str, hit))}" if hit else " on a database/cache group")
        if rule.cidrs:
            yield f"{label} admits CIDRs {', '.join(rule.cidrs[:8])} instead of a security-group reference", rule.owner.urn
        elif rule.prefix_lists:
            yield (f"{label} admits prefix list {', '.join(rule.prefix_lists[:8])} instead of a security-group "
                   "reference"), rule.owner.urn
        elif not rule.source_group:
            yield f"{label} has no security-group source", rule.owner.urn
        elif has_cluster and not _from_cluster(rule, ids, urns, cluster):
            cluster_blind.replay()  # the group it references may be the cluster's, whose id the pack cannot read
            yield f"{label} references {cut(rule.source_group)}, not the cluster's security group", rule.owner.urn
        if not rule.description.strip():
            yield f"{label} has no description", rule.owner.urn


# --- keys, secrets, WAF ---------------------------------------------------------------------------


kms = Meta(
    name="aws-kms-hygiene",
    description="KMS keys rotate, keep the policy lockout safety check, and grant nothing to a `*` principal.",
    severity=Severity.HIGH,
    categories=("SM",),
    references=("CKV_AWS_7", "CKV_AWS_33", "CIS AWS 3.6", "Pulumi compliance-policies"),
    remediation="Set `enableKeyRotation: true`, drop `bypassPolicyLockoutSafetyCheck`, and name principals "
                "(account root, roles) instead of `*`.",
)


@resource_rule(kms, accepts((KMS_KEY, KMS_POLICY, REPLICA_KEY)))
def aws_kms_hygiene(resource: Resource) -> Iterator[str]:
    props = resource.props
    if canonical(resource.type) == KMS_KEY:
        spec = as_text(get(props, "customerMasterKeySpec", default=get(props, "keySpec", default="SYMMETRIC_DEFAULT")))
        if spec.strip().upper() == "SYMMETRIC_DEFAULT" and not truthy(get(props, "enableKeyRotation")):
            yield f"enableKeyRotation is {shown(get(props, 'enableKeyRotation'))} (key rotation off)"
    if truthy(get(props, "bypassPolicyLockoutSafetyCheck")):
        yield f"bypassPolicyLockoutSafetyCheck is {shown(get(props, 'bypassPolicyLockoutSafetyCheck'))}"
    problem = unreadable(get(props, "policy"))
    if problem:
        yield f"policy {problem}"
    for label, statement in public_statements(get(props, "policy")):
        condition = get(statement, "Condition")
        why = f"a condition every caller meets ({shown(condition, 80)})" if condition else "no condition"
        yield f"policy {label} allows principal * with {why}: {grantee(statement)}"


secrets = Meta(
    name="aws-secrets-cmk",
    description="Secrets Manager secrets are encrypted with a customer-managed key, keep a recovery window, and "
                "no resource policy grants them to `*`.",
    severity=Severity.MEDIUM,
    categories=("SM",),
    references=("CKV_AWS_149", "CKV_AWS_304"),
    remediation="Set `kmsKeyId` to a customer-managed key; keep `recoveryWindowInDays` above 0; grant secret "
                "policies to named principals with `blockPublicPolicy: true`. Database credentials "
                "rotate through RDS-managed passwords or an `aws.secretsmanager.SecretRotation`.",
)


def _secret_policy_problems(props: Mapping[str, Any]) -> Iterator[str]:
    """A resource policy on a secret (the standalone resource or the secret's own `policy`): no `*` grant."""
    problem = unreadable(get(props, "policy"))
    if problem:
        yield f"policy {problem}"
    for label, statement in public_statements(get(props, "policy")):
        yield (f"policy {label} allows {shown(get(statement, 'Action'))} to principal * ({grantee(statement)}) "
               "without a restricting condition")
    if is_false(get(props, "blockPublicPolicy")):
        yield f"blockPublicPolicy is {shown(get(props, 'blockPublicPolicy'))} (a public resource policy is accepted)"


@resource_rule(secrets, accepts((SECRET, SECRET_POLICY)))
def aws_secrets_cmk(resource: Resource) -> Iterator[str]:
    yield from _secret_policy_problems(resource.props)
    if canonical(resource.type) == SECRET_POLICY:
        return
    key = get(resource.props, "kmsKeyId")
    if not _cmk(key):
        yield f"kmsKeyId {cut(key)} is an AWS-managed key, not a customer-managed one" if key else \
            "no customer-managed kmsKeyId (kmsKeyId unset)"
    if number(get(resource.props, "recoveryWindowInDays")) == 0:
        yield f"recoveryWindowInDays is {_val(get(resource.props, 'recoveryWindowInDays'))} (deleted without recovery)"
    # A replica region without its own key falls back to that region's aws/secretsmanager key.
    for index, replica in enumerate(items(get(resource.props, "replicas"))[:100]):
        key = get(replica, "kmsKeyId")
        if not _cmk(key):
            where = f"replicas[{index}] ({cut(get(replica, 'region', default='?'))})"
            yield f"{where} kmsKeyId {cut(key)} is an AWS-managed key, not a customer-managed one" if key else \
                f"{where} has no customer-managed kmsKeyId (the region's aws/secretsmanager key)"


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
    rules = [mapping(r) for r in items(get(props, "rules"))[:1000]]
    raw = get(props, "ruleJson")
    if isinstance(raw, str) and len(raw) <= 1_000_000:
        try:
            loaded = json.loads(raw)
        except (ValueError, RecursionError):
            loaded = []
        rules.extend(_camel(r) for r in items(loaded)[:1000] if isinstance(r, Mapping))
    return rules


def _camel(value: Any, depth: int = 0) -> Any:
    """WAF's JSON rule form is PascalCase; the SDK inputs are camelCase (bounded depth: rules are shallow)."""
    if depth > 32:
        return None
    if isinstance(value, Mapping):
        return {as_text(k)[:1].lower() + as_text(k)[1:]: _camel(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [_camel(v, depth + 1) for v in value]
    return value


def _weakened(rule: Mapping[str, Any], managed: Mapping[str, Any]) -> list[str]:
    """Ways a managed group is present but does not block: the group or some of its rules only count/allow."""
    out = []
    override = mapping(get(rule, "overrideAction"))
    if get(override, "count") is not None or (override and get(override, "none") is None):
        out.append(f"overrideAction {shown(override)}")
    for index, item in enumerate(items(get(managed, "ruleActionOverrides"))):
        action = mapping(get(item, "actionToUse"))
        if get(action, "block") is None and action:
            out.append(f"ruleActionOverrides[{index}] sets {cut(get(item, 'name', default='?'))} to "
                       f"{'/'.join(sorted(action))}")
    for index, item in enumerate(items(get(managed, "excludedRules"))):
        out.append(f"excludedRules[{index}] excludes {cut(get(item, 'name', default='?'))}")
    return out


# Custom aggregation keys a client cannot choose; any other key (a header, cookie, query argument, label...) lets
# it spread its requests over as many counters as it likes.
CLIENT_KEYS = ("ip",)


def _rate_key_problem(rate: Mapping[str, Any]) -> str | None:
    """Why a rate-based statement does not limit each client: what it counts by, or which requests it counts."""
    key = as_text(get(rate, "aggregateKeyType", default="IP")).strip().upper()
    if key == "FORWARDED_IP":
        return ("aggregateKeyType is FORWARDED_IP: it counts by a header the client writes "
                f"({cut(get(rate, 'forwardedIpConfig', 'headerName', default='X-Forwarded-For'))})")
    if key == "CONSTANT":
        return "aggregateKeyType is CONSTANT: every client shares one counter, no client is limited on its own"
    if key == "CUSTOM_KEYS":
        keys = [sorted(mapping(k))[:1] for k in items(get(rate, "customKeys"))[:100]]
        chosen = [k[0] for k in keys if k and k[0] not in CLIENT_KEYS]
        if chosen or not keys:
            return (f"customKeys count by {', '.join(cut(k, 40) for k in chosen) or 'nothing'}: the client chooses "
                    "its counter")
    elif key not in ("IP", ""):
        return f"aggregateKeyType is {cut(key)}, not IP"
    scope = get(rate, "scopeDownStatement")
    if scope is not None:
        return f"scopeDownStatement {shown(scope, 80)} limits it to the requests that statement matches"
    return None


@resource_rule(waf, accepts((WEB_ACL,)))
def aws_waf_managed_rules(resource: Resource) -> Iterator[str]:
    # "X is missing" and "no rate-based rule" weigh every rule of the ACL: a blind one withholds the verdict.
    yield from judged_together(lambda: _waf_managed_findings(resource), resource.props)


def _waf_managed_findings(resource: Resource) -> Iterator[str]:
    rules = _waf_rules(resource.props)
    blocking: set[str] = set()
    weakened: dict[str, list[str]] = {}
    rate_based = False
    protecting: list[float] = []  # priorities of the rules that block
    allowing: list[tuple[float, int, Any]] = []
    for index, rule in enumerate(rules):
        priority = number(get(rule, "priority"))
        order = priority if priority is not None else float(index)
        if get(mapping(get(rule, "action")), "allow") is not None:
            allowing.append((order, index, get(rule, "name", default="?")))
        managed = get(rule, "statement", "managedRuleGroupStatement")
        if managed is not None:
            name = as_text(get(managed, "name"))
            problems = _weakened(rule, mapping(managed))
            vendor = get(managed, "vendorName")
            if as_text(vendor).strip() != "AWS":
                # Only AWS publishes these groups: another vendor's namesake is not the managed protection.
                problems.append(f"vendorName {shown(vendor)} is not AWS")
            if get(managed, "scopeDownStatement") is not None:
                problems.append(f"scopeDownStatement {shown(get(managed, 'scopeDownStatement'), 80)} limits it to "
                                "the requests that statement matches")
            if problems:
                weakened.setdefault(name, []).extend(f"rules[{index}] {p}" for p in problems)
            else:
                blocking.add(name)
                protecting.append(order)
        rate = get(rule, "statement", "rateBasedStatement")
        if rate is not None:
            action = mapping(get(rule, "action"))
            limit = number(get(rate, "limit"))
            if get(action, "block") is None:
                yield f"rules[{index}] ({cut(get(rule, 'name', default='?'))}) rate-based rule action is " \
                      f"{'/'.join(sorted(action)) or 'unset'}, not block"
            elif limit is not None and limit > MAX_RATE_LIMIT:
                yield (f"rules[{index}] ({cut(get(rule, 'name', default='?'))}) rateBasedStatement.limit is "
                       f"{int(limit)}: no single client ever reaches it (at most {MAX_RATE_LIMIT})")
            elif (key_problem := _rate_key_problem(mapping(rate))) is not None:
                yield f"rules[{index}] ({cut(get(rule, 'name', default='?'))}) rateBasedStatement.{key_problem}"
            else:
                rate_based = True
                protecting.append(order)
    for group in MANAGED_GROUPS:
        if group in weakened and group not in blocking:
            yield f"{group} does not block: {'; '.join(weakened[group])}"
        elif group not in blocking:
            yield f"{group} is missing"
    if not rate_based:
        yield "no blocking rate-based rule"
    # WAF stops at the first terminating action: an allow evaluated first lets its requests skip every block.
    for order, index, name in allowing:
        if any(order < later for later in protecting):
            yield (f"rules[{index}] ({cut(name)}) action allow at priority {order:g} runs before the blocking "
                   "rules: requests it matches skip them")


MAX_RATE_LIMIT = 100_000
"""Requests per evaluation window above which a per-IP rate rule never triggers for a real client."""


waf_attached = Meta(
    name="aws-waf-attached-logged",
    description="Every Internet-facing ALB is associated with a WAFv2 web ACL, and every web ACL logs.",
    severity=Severity.HIGH,
    categories=("IV", "EH"),
    references=("CKV2_AWS_28", "CKV2_AWS_31"),
    remediation="Add an `aws.wafv2.WebAclAssociation` for the ALB and an `aws.wafv2.WebAclLoggingConfiguration` "
                "for the ACL (CloudWatch Logs group named aws-waf-logs-*).",
)


def _public_alb(lb: PolicyResource) -> bool:
    return not truthy(get(lb.props, "internal")) and \
        as_text(get(lb.props, "loadBalancerType", default="application")) == "application"


def _associations(stack: Stack) -> tuple[dict[str, list[PolicyResource]], str]:
    """Associations by the load balancer their ARN names (proved by the ARN, not by what they depend on),
    and the first few ARNs as a message quotes them."""
    associations = of(stack, WEB_ACL_ASSOCIATION)
    return (referrers(associations, "resourceArn", Names(of(stack, *LB), "name")),
            ", ".join(cut(get(a.props, "resourceArn")) for a in associations[:3]))


@stack_rule(waf_attached)
def aws_waf_attached_logged(stack: Stack) -> Iterator[tuple[str, str | None]]:
    # What hides a reference may hide the missing association or logging configuration: replayed by those.
    roots = [r.props for r in stack.resources]
    (by_alb, others), associations_blind = derive(lambda: _associations(stack), *roots)
    acl_names, acls_blind = derive(lambda: Names(of(stack, WEB_ACL), "name"), *roots)
    by_acl, logs_blind = derive(lambda: referrers(of(stack, WEB_ACL_LOGGING), "resourceArn", acl_names),
                                *(r.props for r in of(stack, WEB_ACL_LOGGING)))
    for lb in of(stack, *LB):
        yield INDEPENDENT  # each load balancer is judged on its own settings and what names it
        if not _public_alb(lb):
            continue
        mine = by_alb.get(lb.urn, [])
        if not mine:
            associations_blind.replay()
            yield ("the Internet-facing load balancer has no WAFv2 web ACL association"
                   + (f" (resourceArn {others} is another resource)" if others else "")), lb.urn
        elif not referrers(mine, "webAclArn", acl_names):
            acls_blind.replay()
            yield "the load balancer's association names no web ACL of this stack (webAclArn)", lb.urn
    for acl in of(stack, WEB_ACL):
        yield INDEPENDENT
        mine = by_acl.get(acl.urn, [])
        if not mine:
            (acls_blind | logs_blind).replay()
            yield "the web ACL has no logging configuration naming its ARN", acl.urn
        elif not any(items(get(log.props, "logDestinationConfigs")) for log in mine):
            yield "the web ACL's logging configuration has no logDestinationConfigs", acl.urn
        elif not any(_keeps_logs(log) for log in mine):
            yield ("the web ACL's logging configuration drops every request: loggingFilter.defaultBehavior is "
                   "DROP and no filter keeps any"), acl.urn


def _keeps_logs(log: PolicyResource) -> bool:
    """Whether a logging configuration writes anything: no filter, a KEEP default, or a filter that keeps."""
    config = get(log.props, "loggingFilter")
    if config is None:
        return True
    if as_text(get(config, "defaultBehavior", default="KEEP")).strip().upper() != "DROP":
        return True
    return any(as_text(get(f, "behavior")).strip().upper() == "KEEP" for f in items(get(config, "filters"))[:100])


POLICIES = [aws_rds_not_public, aws_rds_encrypted, aws_rds_force_tls, aws_rds_auth, aws_rds_resilience, aws_rds_replicas,
            aws_redis_encryption_auth, aws_redis_ha, aws_eks_endpoint, aws_eks_secrets_logs, aws_sg_no_world_ingress,
            aws_sg_data_tier_scoped, aws_kms_hygiene, aws_secrets_cmk, aws_waf_managed_rules, aws_waf_attached_logged]
