"""Mutation operators for the AWS rules: each makes one insecure change to a shipped AWS stack's export.

The operators are the red team's catalogue: every spelling of the same insecure setting (world access
as halves, pieces, IPv6, mapped IPv6, prefix lists, the default group, inline or standalone rules;
policies as JSON strings or objects, one statement or a list; tokens of other modules), and drift:
a value changed only in the recorded outputs (after `pulumi refresh`) or only in the declared inputs.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from tests.policies.mutants.model import Export, Mutation, add_resource, first, on, resources, set_input

AWS_STACKS = ("production", "staging")
SG_INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
SG_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
SG = "aws:ec2/securityGroup:SecurityGroup"
DEFAULT_SG = "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"
RDS = "aws:rds/instance:Instance"
REDIS = "aws:elasticache/replicationGroup:ReplicationGroup"
EKS = "aws:eks/cluster:Cluster"
KMS = "aws:kms/key:Key"
WEB_ACL = "aws:wafv2/webAcl:WebAcl"
LB = "aws:lb/loadBalancer:LoadBalancer"
BUCKET = "aws:s3/bucket:Bucket"
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
ROLE = "aws:iam/role:Role"
RANDOM = "random:index/randomPassword:RandomPassword"
KEY_ARN_SUFFIX = ":key/"


# --- helpers ------------------------------------------------------------------------------------


def _side(resource: dict[str, Any], key: str) -> Any:
    return (resource.get("outputs") or {}).get(key, (resource.get("inputs") or {}).get(key))


def set_output(resource: dict[str, Any], path: tuple[str | int, ...], value: Any) -> str:
    """Drift: the value changed in the recorded outputs only (`pulumi refresh` after a console edit)."""
    node = resource.setdefault("outputs", {})
    for key in path[:-1]:
        node = node[key] if isinstance(node, list) else node.setdefault(key, {})
    node[path[-1]] = value
    return str(resource["urn"])


def set_declared(resource: dict[str, Any], path: tuple[str | int, ...], value: Any) -> str:
    """The value changed in the declared inputs only (the next `pulumi up` applies it)."""
    node = resource.setdefault("inputs", {})
    for key in path[:-1]:
        node = node[key] if isinstance(node, list) else node.setdefault(key, {})
    node[path[-1]] = value
    return str(resource["urn"])


def remove(resource: dict[str, Any], key: str) -> str:
    for side in ("inputs", "outputs"):
        (resource.get(side) or {}).pop(key, None)
    return str(resource["urn"])


def _group_id(export: Export, rule_name: str) -> str:
    return str(_side(first(export, SG_INGRESS, rule_name), "securityGroupId"))


def _db_group(export: Export) -> str:
    return _group_id(export, "database-from-cluster")


def _cache_group(export: Export) -> str:
    return _group_id(export, "cache-from-cluster")


def _alb_group(export: Export) -> str:
    return _group_id(export, "front-door-alb-in-443")


def _cluster_group(export: Export) -> str:
    return _group_id(export, "front-door-haproxy-from-alb")


def _add_rule(export: Export, name: str, **inputs: Any) -> str:
    return add_resource(export, SG_INGRESS, name, {"ipProtocol": "tcp", "description": "mutant", **inputs})


def _world_rule(cidr_key: str, cidr: str, port: int = 22, group: Callable[[Export], str] = _db_group,
                **extra: Any) -> Callable[[Export], str]:
    def apply(export: Export) -> str:
        inputs: dict[str, Any] = {"securityGroupId": group(export), "fromPort": port, "toPort": port, cidr_key: cidr}
        return _add_rule(export, f"mutant-{port}", **{**inputs, **extra})
    return apply


def _legacy(protocol: Any, from_port: Any, to_port: Any, cidrs: list[str], *, v6: bool = False,
            kind: str = "ingress", group: Callable[[Export], str] = _cache_group) -> Callable[[Export], str]:
    def apply(export: Export) -> str:
        return add_resource(export, SG_RULE, "mutant-legacy", {
            "type": kind, "protocol": protocol, "fromPort": from_port, "toPort": to_port,
            "ipv6CidrBlocks" if v6 else "cidrBlocks": cidrs, "securityGroupId": group(export)})
    return apply


def _inline(group_name: str, rule: dict[str, Any], type_: str = SG) -> Callable[[Export], str]:
    def apply(export: Export) -> str:
        return set_input(first(export, type_, group_name), ("ingress",), [rule])
    return apply


def _flag_target(type_: str, name: str, change: Callable[[Export], Any]) -> Callable[[Export], str]:
    """Apply `change` and return the URN of another resource, the one the finding concerns."""
    def apply(export: Export) -> str:
        change(export)
        return str(first(export, type_, name)["urn"])
    return apply


# --- security groups: the whole Internet in every spelling ---------------------------------------


def split_halves(export: Export) -> str | None:
    group = _db_group(export)
    _add_rule(export, "mutant-ssh-low", securityGroupId=group, cidrIpv4="0.0.0.0/1", fromPort=22, toPort=22)
    return _add_rule(export, "mutant-ssh-high", securityGroupId=group, cidrIpv4="128.0.0.0/1", fromPort=22, toPort=22)


def many_pieces(export: Export) -> str | None:
    """The world as 16 /4 rules: none is 0.0.0.0/0, their union is."""
    group = _cache_group(export)
    urns = [_add_rule(export, f"mutant-piece-{i}", securityGroupId=group, cidrIpv4=f"{i * 16}.0.0.0/4", fromPort=22,
                      toPort=22) for i in range(16)]
    return urns[1]


def pieces_across_kinds(export: Export) -> str | None:
    """Half the world inline on the group, half as a legacy rule, a quarter as a vpc rule."""
    group = first(export, SG, "cache-sg")
    set_input(group, ("ingress",), [{"protocol": "tcp", "fromPort": 22, "toPort": 22, "cidrBlocks": ["0.0.0.0/1"]}])
    add_resource(export, SG_RULE, "mutant-legacy-half", {
        "type": "ingress", "protocol": "tcp", "fromPort": 22, "toPort": 22, "cidrBlocks": ["128.0.0.0/2"],
        "securityGroupId": _cache_group(export)})
    return _add_rule(export, "mutant-quarter", securityGroupId=_cache_group(export), cidrIpv4="192.0.0.0/2",
                     fromPort=22, toPort=22)


def global_ipv6(export: Export) -> str | None:
    rule = first(export, SG_INGRESS, "front-door-alb-in-80")
    set_input(rule, ("cidrIpv4",), None)
    set_input(rule, ("cidrIpv6",), "2000::/3")
    return set_input(rule, ("ipProtocol",), "-1")


def edge_admin_port(export: Export) -> str | None:
    rule = first(export, SG_INGRESS, "front-door-alb-in-443")
    set_input(rule, ("fromPort",), 22)
    return set_input(rule, ("toPort",), 22)


def default_group_open(export: Export) -> str | None:
    group = first(export, DEFAULT_SG)
    return set_input(group, ("ingress",), [{"protocol": "-1", "fromPort": 0, "toPort": 0, "self": False,
                                            "cidrBlocks": ["0.0.0.0/0"]}])


def prefix_list(export: Export) -> str | None:
    add_resource(export, "aws:ec2/managedPrefixList:ManagedPrefixList", "mutant-everyone", {
        "name": "everyone", "addressFamily": "IPv4", "maxEntries": 1, "entries": [{"cidr": "0.0.0.0/0"}]})
    resource = first(export, "aws:ec2/managedPrefixList:ManagedPrefixList", "mutant-everyone")
    resource["outputs"]["id"] = "pl-0123456789abcdef0"
    return _add_rule(export, "mutant-via-prefix-list", securityGroupId=_db_group(export),
                     prefixListId="pl-0123456789abcdef0", fromPort=22, toPort=22)


def prefix_list_entries(export: Export) -> str | None:
    """The list is empty; its standalone entries hold the two halves; a legacy rule uses it."""
    add_resource(export, "aws:ec2/managedPrefixList:ManagedPrefixList", "mutant-halves", {
        "name": "halves", "addressFamily": "IPv4", "maxEntries": 2})
    first(export, "aws:ec2/managedPrefixList:ManagedPrefixList", "mutant-halves")["outputs"]["id"] = "pl-0aaaaaaaaaaaaaaa1"
    for index, cidr in enumerate(("0.0.0.0/1", "128.0.0.0/1")):
        add_resource(export, "aws:ec2/managedPrefixListEntry:ManagedPrefixListEntry", f"mutant-entry-{index}",
                     {"prefixListId": "pl-0aaaaaaaaaaaaaaa1", "cidr": cidr})
    return add_resource(export, SG_RULE, "mutant-legacy-pl", {
        "type": "ingress", "protocol": "tcp", "fromPort": 3389, "toPort": 3389,
        "prefixListIds": ["pl-0aaaaaaaaaaaaaaa1"], "securityGroupId": _db_group(export)})


def legacy_rule(export: Export) -> str | None:
    return add_resource(export, SG_RULE, "mutant-legacy", {
        "type": "ingress", "protocol": "all", "fromPort": 0, "toPort": 65535, "cidrBlocks": ["0.0.0.0/0"],
        "securityGroupId": _cache_group(export)})


def short_token_rule(export: Export) -> str | None:
    """The same rule under the module-less token a hand-written export may carry."""
    return add_resource(export, "aws:ec2:SecurityGroupRule", "mutant-short", {
        "type": "ingress", "protocol": "tcp", "fromPort": 22, "toPort": 22, "cidrBlocks": ["0.0.0.0/0"],
        "securityGroupId": _cache_group(export)})


def short_token_vpc_rule(export: Export) -> str | None:
    return add_resource(export, "aws:vpc:SecurityGroupIngressRule", "mutant-short-vpc", {
        "ipProtocol": "tcp", "fromPort": 22, "toPort": 22, "cidrIpv4": "0.0.0.0/0",
        "securityGroupId": _db_group(export)})


def short_token_default_group(export: Export) -> str | None:
    return add_resource(export, "aws:ec2:DefaultSecurityGroup", "mutant-default", {
        "vpcId": "vpc-0", "ingress": [{"protocol": "-1", "fromPort": 0, "toPort": 0, "cidrBlocks": ["0.0.0.0/0"]}]})


def swapped_ports(export: Export) -> str | None:
    return _add_rule(export, "mutant-swapped", securityGroupId=_cache_group(export), cidrIpv4="0.0.0.0/0",
                     fromPort=6400, toPort=6300)


def new_group_inline(export: Export) -> str | None:
    return add_resource(export, SG, "mutant-bastion", {"vpcId": "vpc-0", "description": "bastion", "ingress": [
        {"protocol": "tcp", "fromPort": "22", "toPort": "22", "cidrBlocks": ["0.0.0.0/0"], "description": "ssh"}]})


def drift_world(export: Export) -> str | None:
    """Only the recorded outputs changed: someone opened the database rule in the console, then refreshed."""
    rule = first(export, SG_INGRESS, "database-from-cluster")
    set_output(rule, ("referencedSecurityGroupId",), None)
    set_output(rule, ("fromPort",), 22)
    set_output(rule, ("toPort",), 22)
    return set_output(rule, ("cidrIpv4",), "0.0.0.0/0")


# --- data tier --------------------------------------------------------------------------------------


def data_port_range(export: Export) -> str | None:
    rule = first(export, SG_INGRESS, "database-from-cluster")
    set_input(rule, ("referencedSecurityGroupId",), None)
    set_input(rule, ("cidrIpv4",), "10.0.0.0/8")
    set_input(rule, ("fromPort",), 5000)
    return set_input(rule, ("toPort",), 6000)


def data_other_group(export: Export) -> str | None:
    """The value now names the ALB's group; the dependency list still says the cluster."""
    return set_input(first(export, SG_INGRESS, "cache-from-cluster"), ("referencedSecurityGroupId",), _alb_group(export))


def rds_port_moved(export: Export) -> str | None:
    """PostgreSQL moved to 15432, reachable from a CIDR through the cluster's group rule."""
    set_input(first(export, RDS, "primary"), ("port",), 15432)
    return _add_rule(export, "mutant-moved-db", securityGroupId=_db_group(export), cidrIpv4="10.0.0.0/8",
                     fromPort=15432, toPort=15432)


def redis_port_moved(export: Export) -> str | None:
    set_input(first(export, REDIS), ("port",), 16379)
    return add_resource(export, SG_RULE, "mutant-moved-cache", {
        "type": "ingress", "protocol": "6", "fromPort": 16379, "toPort": 16379, "cidrBlocks": ["172.16.0.0/12"],
        "securityGroupId": _cluster_group(export)})


def data_all_protocols(export: Export) -> str | None:
    return _add_rule(export, "mutant-all", securityGroupId=_db_group(export), cidrIpv4="10.0.0.0/8", ipProtocol="-1",
                     fromPort=-1, toPort=-1)


def data_prefix_list_source(export: Export) -> str | None:
    rule = first(export, SG_INGRESS, "cache-from-cluster")
    set_input(rule, ("referencedSecurityGroupId",), None)
    return set_input(rule, ("prefixListId",), "pl-0123456789abcdef0")


# --- RDS ----------------------------------------------------------------------------------------


def rds_public(export: Export) -> str | None:
    return set_input(first(export, RDS, "primary"), ("publiclyAccessible",), True)


def replica_public(export: Export) -> str | None:
    return set_input(first(export, RDS, "replica"), ("publiclyAccessible",), "true")


def _aurora(export: Export, **overrides: Any) -> str:
    key = _side(first(export, KMS), "arn")
    cluster = {"engine": "aurora-postgresql", "clusterIdentifier": "mutant-aurora", "storageEncrypted": True,
               "kmsKeyId": key, "masterUsername": "orchestrator_app", "manageMasterUserPassword": True,
               "iamDatabaseAuthenticationEnabled": True, "dbClusterParameterGroupName": "x"}
    cluster.update(overrides)
    return add_resource(export, "aws:rds/cluster:Cluster", "mutant-aurora", cluster)


def aurora_instance_public(export: Export) -> str | None:
    _aurora(export)
    return add_resource(export, "aws:rds/clusterInstance:ClusterInstance", "mutant-aurora-1", {
        "clusterIdentifier": "mutant-aurora", "instanceClass": "db.r6g.large", "engine": "aurora-postgresql",
        "publiclyAccessible": True})


def native_instance_public(export: Export) -> str | None:
    return add_resource(export, "aws-native:rds:DbInstance", "mutant-native", {
        "engine": "postgres", "publiclyAccessible": True, "storageEncrypted": True,
        "kmsKeyId": _side(first(export, KMS), "arn"), "manageMasterUserPassword": True,
        "enableIamDatabaseAuthentication": True, "masterUsername": "orchestrator_app"})


def drift_public(export: Export) -> str | None:
    return set_output(first(export, RDS, "primary"), ("publiclyAccessible",), True)


def rds_unencrypted(export: Export) -> str | None:
    return set_input(first(export, RDS, "primary"), ("storageEncrypted",), False)


def rds_unencrypted_string(export: Export) -> str | None:
    return set_input(first(export, RDS, "primary"), ("storageEncrypted",), "false")


def replica_unencrypted(export: Export) -> str | None:
    return set_input(first(export, RDS, "replica-2"), ("storageEncrypted",), False)


def aurora_unencrypted(export: Export) -> str | None:
    return _aurora(export, storageEncrypted=False)


def native_cluster_unencrypted(export: Export) -> str | None:
    return add_resource(export, "aws-native:rds:DbCluster", "mutant-native-cluster", {
        "engine": "aurora-postgresql", "storageEncrypted": False, "manageMasterUserPassword": True,
        "enableIamDatabaseAuthentication": True, "masterUsername": "orchestrator_app"})


def drift_unencrypted(export: Export) -> str | None:
    return set_output(first(export, RDS, "primary"), ("storageEncrypted",), False)


def literal_password(export: Export) -> str | None:
    """An `.apply()` keeps the dependency on the generator while the value becomes a literal."""
    return set_input(first(export, RDS, "primary"), ("password",), "correct-horse-battery")


def literal_master_password(export: Export) -> str | None:
    return _aurora(export, manageMasterUserPassword=False, masterPassword="correct-horse-battery-staple")


def managed_off_literal(export: Export) -> str | None:
    primary = first(export, RDS, "primary")
    set_input(primary, ("manageMasterUserPassword",), False)
    return set_input(primary, ("password",), "Sup3rS3cret!")


def native_literal_password(export: Export) -> str | None:
    return add_resource(export, "aws-native:rds:DbInstance", "mutant-native-pw", {
        "engine": "postgres", "publiclyAccessible": False, "storageEncrypted": True,
        "kmsKeyId": _side(first(export, KMS), "arn"), "masterUserPassword": "Sup3rS3cret!",
        "enableIamDatabaseAuthentication": True, "masterUsername": "orchestrator_app"})


def plaintext_envelope_password(export: Export) -> str | None:
    """A `--show-secrets` export: the password is a secret envelope whose plaintext is a literal."""
    envelope = {"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270",
                "plaintext": '"correct-horse-battery"'}
    primary = first(export, RDS, "primary")
    primary["propertyDependencies"].pop("password", None)
    return set_input(primary, ("password",), envelope)


def iam_auth_off(export: Export) -> str | None:
    return set_input(first(export, RDS, "primary"), ("iamDatabaseAuthenticationEnabled",), False)


def default_admin(export: Export) -> str | None:
    return set_input(first(export, RDS, "primary"), ("username",), "Postgres")


# --- ElastiCache / MemoryDB -------------------------------------------------------------------------


def redis_no_tls(export: Export) -> str | None:
    return set_input(first(export, REDIS), ("transitEncryptionEnabled",), False)


def redis_no_tls_string(export: Export) -> str | None:
    return set_input(first(export, REDIS), ("transitEncryptionEnabled",), "false")


def redis_preferred(export: Export) -> str | None:
    return set_input(first(export, REDIS), ("transitEncryptionMode",), "preferred")


def redis_no_at_rest(export: Export) -> str | None:
    return set_input(first(export, REDIS), ("atRestEncryptionEnabled",), False)


def redis_no_auth(export: Export) -> str | None:
    return remove(first(export, REDIS), "authToken")


def drift_redis_tls(export: Export) -> str | None:
    return set_output(first(export, REDIS), ("transitEncryptionEnabled",), False)


def standalone_cache(export: Export) -> str | None:
    return add_resource(export, "aws:elasticache/cluster:Cluster", "mutant-cache", {
        "engine": "redis", "nodeType": "cache.t4g.micro", "numCacheNodes": 1})


def memorydb_open(export: Export) -> str | None:
    return add_resource(export, "aws:memorydb/cluster:Cluster", "mutant-memorydb", {
        "aclName": "open-access", "nodeType": "db.t4g.small", "tlsEnabled": False})


def memorydb_open_access_only(export: Export) -> str | None:
    return add_resource(export, "aws:memorydb/cluster:Cluster", "mutant-memorydb-acl", {
        "aclName": "open-access", "nodeType": "db.t4g.small", "tlsEnabled": True,
        "kmsKeyArn": _side(first(export, KMS), "arn")})


def serverless_no_auth(export: Export) -> str | None:
    return add_resource(export, "aws:elasticache/serverlessCache:ServerlessCache", "mutant-serverless", {
        "engine": "valkey", "kmsKeyId": _side(first(export, KMS), "arn")})


# --- KMS ------------------------------------------------------------------------------------------


def _key_policy(export: Export, statement: dict[str, Any], *, as_object: bool = False, how: Any = set_input) -> str:
    key = first(export, KMS)
    document = json.loads(key["inputs"]["policy"])
    document["Statement"].append(statement)
    return str(how(key, ("policy",), document if as_object else json.dumps(document)))


def _kms(statement: dict[str, Any], **options: Any) -> Callable[[Export], str]:
    def apply(export: Export) -> str:
        return _key_policy(export, statement, **options)
    return apply


def kms_single_statement(export: Export) -> str | None:
    """`Statement` as one object, not a list."""
    return set_input(first(export, KMS), ("policy",), json.dumps(
        {"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Principal": "*", "Action": "kms:*",
                                                 "Resource": "*"}}))


def kms_bypass(export: Export) -> str | None:
    return set_input(first(export, KMS), ("bypassPolicyLockoutSafetyCheck",), True)


def kms_no_rotation(export: Export) -> str | None:
    return set_input(first(export, KMS), ("enableKeyRotation",), "false")


def kms_key_policy_resource(export: Export) -> str | None:
    return add_resource(export, "aws:kms/keyPolicy:KeyPolicy", "mutant-key-policy", {
        "keyId": _side(first(export, KMS), "id"), "policy": json.dumps({"Statement": [
            {"Effect": "Allow", "Principal": {"AWS": ["arn:aws:iam::123456789012:root", "*"]}, "Action": "kms:Decrypt",
             "Resource": "*"}]})})


# --- EKS ------------------------------------------------------------------------------------------


def _eks(public: Any, cidrs: Any = None, how: Any = set_input) -> Callable[[Export], str]:
    def apply(export: Export) -> str:
        cluster = first(export, EKS)
        how(cluster, ("vpcConfig", "endpointPublicAccess"), public)
        # None: no CIDRs at all (the API then defaults to 0.0.0.0/0).
        how(cluster, ("vpcConfig", "publicAccessCidrs"), cidrs)
        return str(cluster["urn"])
    return apply


# --- WAF ------------------------------------------------------------------------------------------


def _waf(change: Callable[[list[dict[str, Any]]], None]) -> Callable[[Export], str]:
    def apply(export: Export) -> str:
        acl = first(export, WEB_ACL)
        rules = json.loads(json.dumps(acl["inputs"]["rules"]))
        change(rules)
        return set_input(acl, ("rules",), rules)
    return apply


def _named(rules: list[dict[str, Any]], name: str) -> dict[str, Any]:
    return next(r for r in rules if r.get("name") == name)


def _managed(rules: list[dict[str, Any]], name: str) -> dict[str, Any]:
    return _named(rules, name)["statement"]["managedRuleGroupStatement"]  # type: ignore[no-any-return]


def _rate(rules: list[dict[str, Any]]) -> dict[str, Any]:
    return next(r for r in rules if "rateBasedStatement" in r["statement"])


def _waf_drift(export: Export) -> str:
    acl = first(export, WEB_ACL)
    rules = json.loads(json.dumps(acl["outputs"]["rules"]))
    _named(rules, "AWSManagedRulesCommonRuleSet")["overrideAction"] = {"count": {}}
    return set_output(acl, ("rules",), rules)


def waf_other_alb(export: Export) -> str | None:
    association = first(export, "aws:wafv2/webAclAssociation:WebAclAssociation")
    set_input(association, ("resourceArn",),
              "arn:aws:elasticloadbalancing:eu-west-3:123456789012:loadbalancer/app/internal-tools/0123456789abcdef")
    return str(first(export, LB)["urn"])


def waf_same_name_other_alb(export: Export) -> str | None:
    """The ARN keeps the ALB's name but another id: a namesake in another account or region."""
    association = first(export, "aws:wafv2/webAclAssociation:WebAclAssociation")
    arn = str(_side(association, "resourceArn"))
    set_input(association, ("resourceArn",), arn.replace(":123456789012:", ":210987654321:").rsplit("/", 1)[0] + "/0")
    return str(first(export, LB)["urn"])


def waf_association_removed(export: Export) -> str | None:
    export["deployment"]["resources"] = [r for r in resources(export)
                                         if r.get("type") != "aws:wafv2/webAclAssociation:WebAclAssociation"]
    return str(first(export, LB)["urn"])


def waf_logging_elsewhere(export: Export) -> str | None:
    logging = first(export, "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration")
    set_input(logging, ("resourceArn",), "arn:aws:wafv2:eu-west-3:123456789012:regional/webacl/other/0000")
    return str(first(export, WEB_ACL)["urn"])


def waf_logging_removed(export: Export) -> str | None:
    export["deployment"]["resources"] = [
        r for r in resources(export) if r.get("type") != "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration"]
    return str(first(export, WEB_ACL)["urn"])


# --- S3 -----------------------------------------------------------------------------------------


def _bucket_statement(statement: dict[str, Any], *, as_object: bool = False) -> Callable[[Export], str]:
    def apply(export: Export) -> str:
        policy = first(export, BUCKET_POLICY)
        document = json.loads(policy["inputs"]["policy"])
        document["Statement"].append(statement)
        return set_input(policy, ("policy",), document if as_object else json.dumps(document))
    return apply


def s3_block_off(export: Export) -> str | None:
    return set_input(first(export, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"),
                     ("restrictPublicBuckets",), False)


def s3_block_string(export: Export) -> str | None:
    return set_input(first(export, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"),
                     ("blockPublicPolicy",), "false")


def s3_block_removed(export: Export) -> str | None:
    export["deployment"]["resources"] = [
        r for r in resources(export) if r.get("type") != "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"]
    return str(first(export, BUCKET)["urn"])


def s3_public_acl(export: Export) -> str | None:
    bucket = _side(first(export, BUCKET), "bucket")
    return add_resource(export, "aws:s3/bucketAcl:BucketAcl", "mutant-acl", {"bucket": bucket,
                                                                            "acl": "public-read-write"})


def s3_acl_v2_grant(export: Export) -> str | None:
    bucket = _side(first(export, BUCKET), "bucket")
    return add_resource(export, "aws:s3/bucketAclV2:BucketAclV2", "mutant-acl-v2", {"bucket": bucket,
        "accessControlPolicy": {"owner": {"id": "owner"}, "grants": [
            {"grantee": {"type": "Group", "uri": "http://acs.amazonaws.com/groups/global/AllUsers"},
             "permission": "READ"}]}})


def s3_bucket_v2_public(export: Export) -> str | None:
    """A second bucket under the V2 token, with a public ACL and no public access block."""
    return add_resource(export, "aws:s3/bucketV2:BucketV2", "mutant-bucket-v2", {"bucket": "mutant-public",
                                                                                 "acl": "public-read"})


def s3_bucket_v2_policy(export: Export) -> str | None:
    return add_resource(export, "aws:s3/bucketPolicy:BucketPolicy", "mutant-policy-object", {
        "bucket": "front-door-access-logs", "policy": {"Version": "2012-10-17", "Statement": {
            "Effect": "Allow", "Principal": {"AWS": ["*"]}, "Action": ["s3:GetObject"], "Resource": "*"}}})


# --- IAM ------------------------------------------------------------------------------------------


def _iam_statement(statement: dict[str, Any], *, as_object: bool = False, single: bool = False) -> Callable[[Export], str]:
    def apply(export: Export) -> str:
        policy = first(export, ROLE_POLICY)
        document = json.loads(policy["inputs"]["policy"])
        if single:
            document["Statement"] = statement
        else:
            document["Statement"].append(statement)
        return set_input(policy, ("policy",), document if as_object else json.dumps(document))
    return apply


def iam_admin(export: Export) -> str | None:
    return set_input(first(export, "aws:iam/rolePolicyAttachment:RolePolicyAttachment"), ("policyArn",),
                     "arn:aws:iam::aws:policy/AdministratorAccess")


def iam_new_policy(export: Export) -> str | None:
    return add_resource(export, "aws:iam/policy:Policy", "mutant-policy", {"policy": json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:*", "Resource": "*"}]})})


def iam_inline_role_policy(export: Export) -> str | None:
    return set_input(first(export, ROLE, "database-monitoring"), ("inlinePolicies",), [
        {"name": "mutant", "policy": json.dumps({"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})}])


def iam_trust_anyone(export: Export) -> str | None:
    role = first(export, ROLE, "database-monitoring")
    return set_input(role, ("assumeRolePolicy",), json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}]}))


def iam_managed_arns(export: Export) -> str | None:
    return set_input(first(export, ROLE, "database-monitoring"), ("managedPolicyArns",),
                     ["arn:aws:iam::aws:policy/PowerUserAccess"])


def _op(name: str, rule: str, apply: Any, message: str) -> Mutation:
    return Mutation(f"{rule}-{name}", rule, apply, AWS_STACKS, message)


WORLD = "aws-sg-no-world-ingress"
DATA = "aws-sg-data-tier-scoped"
KMS_RULE = "aws-kms-hygiene"
WAF = "aws-waf-managed-rules"
S3 = "aws-s3-not-public"
IAM = "aws-iam-no-wildcard"
STAR_KMS = {"Sid": "Anyone", "Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"}

OPERATORS: list[Mutation] = [
    # world ingress
    _op("split-halves", WORLD, split_halves, "cover the public internet"),
    _op("sixteen-pieces", WORLD, many_pieces, "16.0.0.0/4"),
    _op("pieces-across-kinds", WORLD, pieces_across_kinds, "192.0.0.0/2"),
    _op("global-ipv6", WORLD, global_ipv6, "2000::/3"),
    _op("edge-ssh", WORLD, edge_admin_port, "(tcp 22) on the public load balancer's group"),
    _op("edge-all-ports", WORLD, on(SG_INGRESS, "front-door-alb-in-443", ("toPort",), 65535), "443-65535"),
    _op("edge-protocol-all", WORLD, on(SG_INGRESS, "front-door-alb-in-80", ("ipProtocol",), "-1"), "all ports"),
    _op("edge-ipv6-all", WORLD, _world_rule("cidrIpv6", "::/0", 0, _alb_group, ipProtocol="-1", toPort=0),
        "::/0"),
    _op("default-group", WORLD, default_group_open, "ingress[0] admits 0.0.0.0/0"),
    _op("default-group-ipv6", WORLD, _inline("default", {"protocol": "tcp", "fromPort": 5432, "toPort": 5432,
                                                         "ipv6CidrBlocks": ["::/0"]}, DEFAULT_SG), "::/0"),
    _op("inline-world", WORLD, _inline("database-sg", {"protocol": "-1", "fromPort": 0, "toPort": 0,
                                                      "cidrBlocks": ["0.0.0.0/0"]}), "ingress[0] admits 0.0.0.0/0"),
    _op("inline-protocol-number", WORLD, _inline("cache-sg", {"protocol": -1, "fromPort": 0, "toPort": 0,
                                                             "cidrBlocks": ["0.0.0.0/0"]}), "all ports"),
    _op("new-group-inline", WORLD, new_group_inline, "ingress[0] admits 0.0.0.0/0 (tcp 22)"),
    _op("prefix-list", WORLD, prefix_list, "0.0.0.0/0"),
    _op("prefix-list-entries", WORLD, prefix_list_entries, "128.0.0.0/1"),
    _op("legacy-rule", WORLD, legacy_rule, "all ports"),
    _op("legacy-protocol-6", WORLD, _legacy("6", 22, 22, ["0.0.0.0/0"]), "0.0.0.0/0 (6 22)"),
    _op("legacy-ingress-case", WORLD, _legacy("tcp", 3389, 3389, ["0.0.0.0/0"], kind="Ingress"), "0.0.0.0/0"),
    _op("legacy-ipv6", WORLD, _legacy("tcp", 0, 65535, ["::/0"], v6=True), "::/0"),
    _op("legacy-string-ports", WORLD, _legacy("tcp", "22", "22", ["0.0.0.0/0"]), "0.0.0.0/0 (tcp 22)"),
    _op("mapped-ipv6", WORLD, _world_rule("cidrIpv6", "::ffff:0.0.0.0/96"), "::ffff:0.0.0.0/96"),
    _op("mapped-ipv6-hex", WORLD, _world_rule("cidrIpv6", "::ffff:0:0/96", 3389), "::ffff:0:0/96"),
    _op("ipv6-world", WORLD, _world_rule("cidrIpv6", "::/0", 6379, _cache_group), "::/0"),
    _op("ipv6-global-unicast", WORLD, _world_rule("cidrIpv6", "2000::/3", 5432), "2000::/3"),
    _op("host-bits", WORLD, _world_rule("cidrIpv4", "10.1.2.3/0"), "10.1.2.3/0"),
    _op("swapped-ports", WORLD, swapped_ports, "6300-6400"),
    _op("short-token-rule", WORLD, short_token_rule, "0.0.0.0/0 (tcp 22)"),
    _op("short-token-vpc-rule", WORLD, short_token_vpc_rule, "0.0.0.0/0 (tcp 22)"),
    _op("short-token-default-group", WORLD, short_token_default_group, "ingress[0] admits 0.0.0.0/0"),
    _op("drift-outputs", WORLD, drift_world, "0.0.0.0/0 (tcp 22)"),
    # data tier
    _op("port-range", DATA, data_port_range, "admits cidrs 10.0.0.0/8"),
    _op("other-group", DATA, data_other_group, "not the cluster's security group"),
    _op("rds-port-moved", DATA, rds_port_moved, "to 15432 admits cidrs 10.0.0.0/8"),
    _op("redis-port-moved", DATA, redis_port_moved, "to 16379 admits cidrs 172.16.0.0/12"),
    _op("all-protocols", DATA, data_all_protocols, "admits cidrs 10.0.0.0/8"),
    _op("prefix-list-source", DATA, data_prefix_list_source, "pl-0123456789abcdef0"),
    _op("drift-cidr", DATA, on(SG_INGRESS, "database-from-cluster", ("cidrIpv4",), "10.0.0.0/8", set_output),
        "admits cidrs 10.0.0.0/8"),
    # RDS
    _op("primary", "aws-rds-not-public", rds_public, "publiclyAccessible is true"),
    _op("replica-string", "aws-rds-not-public", replica_public, 'publiclyAccessible is "true"'),
    _op("aurora-instance", "aws-rds-not-public", aurora_instance_public, "publiclyAccessible is true"),
    _op("aws-native", "aws-rds-not-public", native_instance_public, "publiclyAccessible is true"),
    _op("drift-outputs", "aws-rds-not-public", drift_public, "publiclyAccessible is true"),
    _op("declared-only", "aws-rds-not-public",
        on(RDS, "primary", ("publiclyAccessible",), True, set_declared), "publiclyAccessible is true"),
    _op("unencrypted", "aws-rds-encrypted", rds_unencrypted, "storageEncrypted is false"),
    _op("unencrypted-string", "aws-rds-encrypted", rds_unencrypted_string, "storageEncrypted is \"false\""),
    _op("replica-unencrypted", "aws-rds-encrypted", replica_unencrypted, "storageEncrypted is false"),
    _op("aurora-unencrypted", "aws-rds-encrypted", aurora_unencrypted, "storageEncrypted is false"),
    _op("native-cluster-unencrypted", "aws-rds-encrypted", native_cluster_unencrypted, "storageEncrypted is false"),
    _op("aws-managed-key", "aws-rds-encrypted", on(RDS, "primary", ("kmsKeyId",), "alias/aws/rds"),
        "kmsKeyId alias/aws/rds"),
    _op("drift-outputs", "aws-rds-encrypted", drift_unencrypted, "storageEncrypted is false"),
    _op("literal-behind-apply", "aws-rds-auth", literal_password, "password is a literal"),
    _op("aurora-master-password", "aws-rds-auth", literal_master_password, "masterPassword is a literal"),
    _op("managed-off-literal", "aws-rds-auth", managed_off_literal, "password is a literal"),
    _op("native-literal", "aws-rds-auth", native_literal_password, "masterUserPassword is a literal"),
    _op("show-secrets-literal", "aws-rds-auth", plaintext_envelope_password, "password is a literal"),
    _op("iam-auth-off", "aws-rds-auth", iam_auth_off, "iamDatabaseAuthenticationEnabled is false"),
    _op("default-admin", "aws-rds-auth", default_admin, "default-like name 'Postgres'"),
    # caches
    _op("no-tls", "aws-redis-encryption-auth", redis_no_tls, "transitEncryptionEnabled is false"),
    _op("no-tls-string", "aws-redis-encryption-auth", redis_no_tls_string, 'transitEncryptionEnabled is "false"'),
    _op("tls-preferred", "aws-redis-encryption-auth", redis_preferred, 'transitEncryptionMode is "preferred"'),
    _op("no-at-rest", "aws-redis-encryption-auth", redis_no_at_rest, "atRestEncryptionEnabled is false"),
    _op("no-auth", "aws-redis-encryption-auth", redis_no_auth, "authToken/userGroupIds unset"),
    _op("drift-no-tls", "aws-redis-encryption-auth", drift_redis_tls, "transitEncryptionEnabled is false"),
    _op("standalone-cluster", "aws-redis-encryption-auth", standalone_cache, "no authentication"),
    _op("memorydb", "aws-redis-encryption-auth", memorydb_open, "tlsEnabled is false"),
    _op("memorydb-open-access", "aws-redis-encryption-auth", memorydb_open_access_only, "aclName is 'open-access'"),
    _op("serverless-no-auth", "aws-redis-encryption-auth", serverless_no_auth, "userGroupId is unset"),
    # KMS
    _op("vacuous-condition", KMS_RULE, _kms({**STAR_KMS, "Principal": {"AWS": "*"},
                                             "Condition": {"StringLike": {"aws:PrincipalArn": "*"}}}),
        "a condition every caller meets"),
    _op("transport-only", KMS_RULE, _kms({**STAR_KMS, "Principal": "*",
                                          "Condition": {"Bool": {"aws:SecureTransport": "true"}}}), "allows principal *"),
    _op("transport-both", KMS_RULE, _kms({**STAR_KMS, "Principal": "*",
                                          "Condition": {"Bool": {"aws:SecureTransport": ["true", "false"]}}}),
        "allows principal *"),
    _op("principal-list", KMS_RULE, _kms({**STAR_KMS, "Principal": {"AWS": ["arn:aws:iam::123456789012:root", "*"]}}),
        "allows principal *"),
    _op("any-account-root", KMS_RULE, _kms({**STAR_KMS, "Principal": {"AWS": "arn:aws:iam::*:root"}}),
        "allows principal *"),
    _op("not-principal", KMS_RULE, _kms({**STAR_KMS, "NotPrincipal": {"AWS": "arn:aws:iam::123456789012:root"}}),
        "allows principal *"),
    _op("policy-object", KMS_RULE, _kms({**STAR_KMS, "Principal": {"AWS": "*"}}, as_object=True), "allows principal *"),
    _op("single-statement", KMS_RULE, kms_single_statement, "allows principal *"),
    _op("lowercase-allow", KMS_RULE, _kms({**STAR_KMS, "Effect": "allow", "Principal": "*"}), "allows principal *"),
    _op("principal-account-star", KMS_RULE, _kms({**STAR_KMS, "Principal": "*",
                                                  "Condition": {"StringLike": {"aws:PrincipalAccount": "*"}}}),
        "a condition every caller meets"),
    _op("drift-outputs", KMS_RULE, _kms({**STAR_KMS, "Principal": "*"}, how=set_output), "allows principal *"),
    _op("key-policy-resource", KMS_RULE, kms_key_policy_resource, "allows principal *"),
    _op("source-ip-world", KMS_RULE, _kms({**STAR_KMS, "Principal": "*",
                                           "Condition": {"IpAddress": {"aws:SourceIp": "0.0.0.0/0"}}}),
        "a condition every caller meets"),
    _op("org-wildcard", KMS_RULE, _kms({**STAR_KMS, "Principal": "*",
                                        "Condition": {"StringLike": {"aws:PrincipalOrgID": "o-*"}}}),
        "a condition every caller meets"),
    _op("bypass", KMS_RULE, kms_bypass, "bypassPolicyLockoutSafetyCheck is true"),
    _op("no-rotation", KMS_RULE, kms_no_rotation, 'enableKeyRotation is "false"'),
    # EKS
    _op("halves", "aws-eks-endpoint", _eks(True, ["0.0.0.0/1", "128.0.0.0/1"]), "cover the public internet"),
    _op("world", "aws-eks-endpoint", _eks(True, ["0.0.0.0/0"]), "publicAccessCidrs 0.0.0.0/0"),
    _op("no-cidrs", "aws-eks-endpoint", _eks(True), "no vpcConfig.publicAccessCidrs"),
    _op("public-string", "aws-eks-endpoint", _eks("true", ["10.0.0.0/1", "128.0.0.0/1"]), "128.0.0.0/1"),
    _op("public-unset", "aws-eks-endpoint", _eks(None), "endpointPublicAccess"),
    _op("drift-outputs", "aws-eks-endpoint", _eks(True, ["0.0.0.0/0"], set_output), "0.0.0.0/0"),
    # WAF
    _op("rule-override", WAF, _waf(lambda r: _managed(r, "AWSManagedRulesSQLiRuleSet").__setitem__(
        "ruleActionOverrides", [{"name": "SQLi_BODY", "actionToUse": {"count": {}}}])), "sets SQLi_BODY to count"),
    _op("rule-override-allow", WAF, _waf(lambda r: _managed(r, "AWSManagedRulesCommonRuleSet").__setitem__(
        "ruleActionOverrides", [{"name": "CrossSiteScripting_BODY", "actionToUse": {"allow": {}}}])),
        "sets CrossSiteScripting_BODY to allow"),
    _op("excluded-rules", WAF, _waf(lambda r: _managed(r, "AWSManagedRulesKnownBadInputsRuleSet").__setitem__(
        "excludedRules", [{"name": "Log4JRCE"}])), "excludes Log4JRCE"),
    _op("group-count", WAF, _waf(lambda r: _named(r, "AWSManagedRulesCommonRuleSet").__setitem__(
        "overrideAction", {"count": {}})), "AWSManagedRulesCommonRuleSet does not block"),
    _op("group-removed", WAF, _waf(lambda r: r.remove(_named(r, "AWSManagedRulesSQLiRuleSet"))),
        "AWSManagedRulesSQLiRuleSet is missing"),
    _op("other-vendor", WAF, _waf(lambda r: _managed(r, "AWSManagedRulesSQLiRuleSet").__setitem__(
        "vendorName", "AcmeSecurity")), 'vendorName "AcmeSecurity"'),
    _op("rate-count", WAF, _waf(lambda r: _rate(r).__setitem__("action", {"count": {}})),
        "rate-based rule action is count"),
    _op("rate-removed", WAF, _waf(lambda r: r.remove(_rate(r))), "no blocking rate-based rule"),
    _op("scope-down", WAF, _waf(lambda r: _managed(r, "AWSManagedRulesCommonRuleSet").__setitem__(
        "scopeDownStatement", {"byteMatchStatement": {"searchString": "never", "fieldToMatch": {"uriPath": {}},
                                                      "positionalConstraint": "EXACTLY", "textTransformations": []}})),
        "scopeDownStatement"),
    _op("rate-unreachable", WAF, _waf(lambda r: _rate(r)["statement"]["rateBasedStatement"].__setitem__(
        "limit", 2_000_000_000)), "rateBasedStatement.limit is 2000000000"),
    _op("allow-first", WAF, _waf(lambda r: r.append({
        "name": "allow-everything", "priority": 0, "action": {"allow": {}},
        "statement": {"notStatement": {"statement": {"byteMatchStatement": {
            "searchString": "never", "fieldToMatch": {"uriPath": {}}, "positionalConstraint": "EXACTLY",
            "textTransformations": [{"priority": 0, "type": "NONE"}]}}}},
        "visibilityConfig": {"metricName": "x", "sampledRequestsEnabled": False, "cloudwatchMetricsEnabled": False}})),
        "(allow-everything) action allow at priority 0"),
    _op("drift-count", WAF, _waf_drift, "AWSManagedRulesCommonRuleSet does not block"),
    _op("other-alb", "aws-waf-attached-logged", waf_other_alb, "no WAFv2 web ACL association"),
    _op("namesake-alb", "aws-waf-attached-logged", waf_same_name_other_alb, "no WAFv2 web ACL association"),
    _op("association-removed", "aws-waf-attached-logged", waf_association_removed, "no WAFv2 web ACL association"),
    _op("logging-elsewhere", "aws-waf-attached-logged", waf_logging_elsewhere, "no logging configuration"),
    _op("logging-removed", "aws-waf-attached-logged", waf_logging_removed, "no logging configuration"),
    _op("logging-no-destination", "aws-waf-attached-logged", _flag_target(WEB_ACL, "", lambda e: set_input(
        first(e, "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration"), ("logDestinationConfigs",), [])),
        "no logDestinationConfigs"),
    # S3
    _op("bucket-policy", S3, _bucket_statement({"Sid": "Public", "Effect": "Allow", "Principal": {"AWS": "*"},
                                                "Action": "s3:GetObject", "Resource": "*"}),
        "without a restricting condition"),
    _op("bucket-policy-star", S3, _bucket_statement({"Effect": "Allow", "Principal": "*", "Action": "s3:*",
                                                     "Resource": "*"}), 'principal "*"'),
    _op("bucket-not-principal", S3, _bucket_statement({"Effect": "Allow", "NotPrincipal": {"AWS": "arn:aws:iam::1:root"},
                                                       "Action": "s3:GetObject", "Resource": "*"}), "NotPrincipal"),
    _op("bucket-policy-object", S3, _bucket_statement({"Effect": "Allow", "Principal": {"AWS": ["*"]},
                                                       "Action": "s3:GetObject", "Resource": "*"}, as_object=True),
        "without a restricting condition"),
    _op("bucket-policy-new", S3, s3_bucket_v2_policy, "without a restricting condition"),
    _op("block-off", S3, s3_block_off, "restrictPublicBuckets=false"),
    _op("block-string", S3, s3_block_string, 'blockPublicPolicy="false"'),
    _op("block-removed", S3, s3_block_removed, "no public access block"),
    _op("acl", S3, s3_public_acl, "acl is 'public-read-write'"),
    _op("acl-v2-all-users", S3, s3_acl_v2_grant, "AllUsers"),
    _op("bucket-v2-acl", S3, s3_bucket_v2_public, "acl is 'public-read'"),
    # EKS secrets encryption, RDS TLS, replicas
    _op("replica-removed", "aws-rds-replicas", _flag_target(RDS, "primary", lambda e: e["deployment"].__setitem__(
        "resources", [r for r in resources(e) if not (r.get("type") == RDS and "replica-2" in r["urn"])])),
        "the primary has 1 replica(s); need 2"),
    _op("secrets-unencrypted", "aws-eks-secrets-logs", on(EKS, "", ("encryptionConfig",), None),
        "Kubernetes Secrets are not encrypted"),
    _op("force-ssl-off", "aws-rds-force-tls", _flag_target(RDS, "primary", lambda e: set_input(
        first(e, "aws:rds/parameterGroup:ParameterGroup"), ("parameters",),
        [{"name": "rds.force_ssl", "value": "0", "applyMethod": "pending-reboot"}])), "does not set rds.force_ssl=1"),
    # IAM
    _op("star", IAM, _iam_statement({"Effect": "Allow", "Action": "*", "Resource": "*"}), "allows * on"),
    _op("star-list", IAM, _iam_statement({"Effect": "Allow", "Action": ["*"], "Resource": ["*"]}), "allows * on"),
    _op("service-star", IAM, _iam_statement({"Effect": "Allow", "Action": ["ec2:*"], "Resource": "*"}),
        "allows ec2:*"),
    _op("service-star-case", IAM, _iam_statement({"Effect": "Allow", "Action": "IAM:*", "Resource": "*"}),
        "allows IAM:*"),
    _op("not-action", IAM, _iam_statement({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}), "NotAction"),
    _op("pass-role", IAM, _iam_statement({"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*"}),
        "iam:PassRole"),
    _op("pass-role-case", IAM, _iam_statement({"Effect": "Allow", "Action": ["iam:passrole"], "Resource": ["*"]}),
        "iam:passrole"),
    _op("single-statement", IAM, _iam_statement({"Effect": "Allow", "Action": "*", "Resource": "*"}, single=True),
        "allows * on"),
    _op("policy-object", IAM, _iam_statement({"Effect": "Allow", "Action": "s3:*", "Resource": "*"}, as_object=True),
        "allows s3:*"),
    _op("star-star", IAM, _iam_statement({"Effect": "Allow", "Action": "*:*", "Resource": "*"}), "allows *:*"),
    _op("new-policy", IAM, iam_new_policy, "allows iam:*"),
    _op("role-inline", IAM, iam_inline_role_policy, "inlinePolicies[0].policy Statement[0] allows *"),
    _op("trust-anyone", IAM, iam_trust_anyone, "assumeRolePolicy"),
    _op("admin-attachment", IAM, iam_admin, "AdministratorAccess"),
    _op("managed-arns", IAM, iam_managed_arns, "PowerUserAccess"),
    _op("exclusive-attachments", IAM, lambda e: add_resource(
        e, "aws:iam/rolePolicyAttachmentsExclusive:RolePolicyAttachmentsExclusive", "mutant-exclusive",
        {"roleName": "x", "policyArns": ["arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess",
                                         "arn:aws:iam::aws:policy/AdministratorAccess"]}), "AdministratorAccess"),
    _op("pass-wildcard", IAM, _iam_statement({"Effect": "Allow", "Action": "iam:Pass*", "Resource": "*"}),
        "iam:Pass*"),
]


