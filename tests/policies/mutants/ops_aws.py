"""Mutation operators for the AWS rules: each makes one insecure change to a shipped AWS stack's export."""

from __future__ import annotations

import json
from typing import Any

from tests.policies.mutants.model import Export, Mutation, add_resource, first, set_input

AWS_STACKS = ("production", "staging")
SG_INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
RDS = "aws:rds/instance:Instance"


def _side(resource: dict[str, Any], key: str) -> Any:
    return (resource.get("outputs") or {}).get(key, (resource.get("inputs") or {}).get(key))


def _group_id(export: Export, rule_name: str) -> str:
    return str(_side(first(export, SG_INGRESS, rule_name), "securityGroupId"))


def _add_rule(export: Export, name: str, **inputs: Any) -> str:
    return add_resource(export, SG_INGRESS, name, {"ipProtocol": "tcp", "description": "mutant", **inputs})


def split_halves(export: Export) -> str | None:
    group = _group_id(export, "database-from-cluster")
    _add_rule(export, "mutant-ssh-low", securityGroupId=group, cidrIpv4="0.0.0.0/1", fromPort=22, toPort=22)
    return _add_rule(export, "mutant-ssh-high", securityGroupId=group, cidrIpv4="128.0.0.0/1", fromPort=22, toPort=22)


def many_pieces(export: Export) -> str | None:
    """The world as 16 /4 rules: none is 0.0.0.0/0, their union is."""
    group = _group_id(export, "cache-from-cluster")
    urns = [_add_rule(export, f"mutant-piece-{i}", securityGroupId=group, cidrIpv4=f"{i * 16}.0.0.0/4", fromPort=22,
                      toPort=22) for i in range(16)]
    return urns[1]


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
    group = first(export, "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup")
    return set_input(group, ("ingress",), [{"protocol": "-1", "fromPort": 0, "toPort": 0, "self": False,
                                            "cidrBlocks": ["0.0.0.0/0"]}])


def prefix_list(export: Export) -> str | None:
    add_resource(export, "aws:ec2/managedPrefixList:ManagedPrefixList", "mutant-everyone", {
        "name": "everyone", "addressFamily": "IPv4", "maxEntries": 1, "entries": [{"cidr": "0.0.0.0/0"}]})
    resource = first(export, "aws:ec2/managedPrefixList:ManagedPrefixList", "mutant-everyone")
    resource["outputs"]["id"] = "pl-0123456789abcdef0"
    return _add_rule(export, "mutant-via-prefix-list", securityGroupId=_group_id(export, "database-from-cluster"),
                     prefixListId="pl-0123456789abcdef0", fromPort=22, toPort=22)


def legacy_rule(export: Export) -> str | None:
    return add_resource(export, "aws:ec2/securityGroupRule:SecurityGroupRule", "mutant-legacy", {
        "type": "ingress", "protocol": "all", "fromPort": 0, "toPort": 65535, "cidrBlocks": ["0.0.0.0/0"],
        "securityGroupId": _group_id(export, "cache-from-cluster")})


def data_port_range(export: Export) -> str | None:
    rule = first(export, SG_INGRESS, "database-from-cluster")
    set_input(rule, ("referencedSecurityGroupId",), None)
    set_input(rule, ("cidrIpv4",), "10.0.0.0/8")
    set_input(rule, ("fromPort",), 5000)
    return set_input(rule, ("toPort",), 6000)


def data_other_group(export: Export) -> str | None:
    """The value now names the ALB's group; the dependency list still says the cluster."""
    alb_group = _group_id(export, "front-door-alb-in-443")
    return set_input(first(export, SG_INGRESS, "cache-from-cluster"), ("referencedSecurityGroupId",), alb_group)


def rds_public(export: Export) -> str | None:
    return set_input(first(export, RDS, "primary"), ("publiclyAccessible",), True)


def replica_public(export: Export) -> str | None:
    return set_input(first(export, RDS, "replica"), ("publiclyAccessible",), "true")


def literal_password(export: Export) -> str | None:
    """An `.apply()` keeps the dependency on the generator while the value becomes a literal."""
    return set_input(first(export, RDS, "primary"), ("password",), "correct-horse-battery")


def redis_no_tls(export: Export) -> str | None:
    return set_input(first(export, "aws:elasticache/replicationGroup:ReplicationGroup"),
                     ("transitEncryptionEnabled",), False)


def standalone_cache(export: Export) -> str | None:
    return add_resource(export, "aws:elasticache/cluster:Cluster", "mutant-cache", {
        "engine": "redis", "nodeType": "cache.t4g.micro", "numCacheNodes": 1})


def memorydb_open(export: Export) -> str | None:
    return add_resource(export, "aws:memorydb/cluster:Cluster", "mutant-memorydb", {
        "aclName": "open-access", "nodeType": "db.t4g.small", "tlsEnabled": False})


def _key_policy(export: Export, statement: dict[str, Any]) -> str:
    key = first(export, "aws:kms/key:Key")
    document = json.loads(key["inputs"]["policy"])
    document["Statement"].append(statement)
    return set_input(key, ("policy",), json.dumps(document))


def kms_vacuous_condition(export: Export) -> str | None:
    return _key_policy(export, {"Sid": "Anyone", "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "kms:Decrypt",
                                "Resource": "*", "Condition": {"StringLike": {"aws:PrincipalArn": "*"}}})


def kms_transport_only(export: Export) -> str | None:
    return _key_policy(export, {"Sid": "Tls", "Effect": "Allow", "Principal": "*", "Action": "kms:*", "Resource": "*",
                                "Condition": {"Bool": {"aws:SecureTransport": "true"}}})


def kms_bypass(export: Export) -> str | None:
    return set_input(first(export, "aws:kms/key:Key"), ("bypassPolicyLockoutSafetyCheck",), True)


def eks_halves(export: Export) -> str | None:
    cluster = first(export, "aws:eks/cluster:Cluster")
    set_input(cluster, ("vpcConfig", "endpointPublicAccess"), True)
    return set_input(cluster, ("vpcConfig", "publicAccessCidrs"), ["0.0.0.0/1", "128.0.0.0/1"])


def _waf_rules(export: Export) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    acl = first(export, "aws:wafv2/webAcl:WebAcl")
    return acl, json.loads(json.dumps(acl["inputs"]["rules"]))


def _named(rules: list[dict[str, Any]], name: str) -> dict[str, Any]:
    return next(r for r in rules if r.get("name") == name)


def waf_rule_override(export: Export) -> str | None:
    acl, rules = _waf_rules(export)
    statement = _named(rules, "AWSManagedRulesSQLiRuleSet")["statement"]["managedRuleGroupStatement"]
    statement["ruleActionOverrides"] = [{"name": "SQLi_BODY", "actionToUse": {"count": {}}}]
    return set_input(acl, ("rules",), rules)


def waf_group_count(export: Export) -> str | None:
    acl, rules = _waf_rules(export)
    _named(rules, "AWSManagedRulesCommonRuleSet")["overrideAction"] = {"count": {}}
    return set_input(acl, ("rules",), rules)


def waf_rate_count(export: Export) -> str | None:
    acl, rules = _waf_rules(export)
    next(r for r in rules if "rateBasedStatement" in r["statement"])["action"] = {"count": {}}
    return set_input(acl, ("rules",), rules)


def waf_other_alb(export: Export) -> str | None:
    association = first(export, "aws:wafv2/webAclAssociation:WebAclAssociation")
    set_input(association, ("resourceArn",),
              "arn:aws:elasticloadbalancing:eu-west-3:123456789012:loadbalancer/app/internal-tools/0123456789abcdef")
    return str(first(export, "aws:lb/loadBalancer:LoadBalancer")["urn"])


def waf_logging_elsewhere(export: Export) -> str | None:
    logging = first(export, "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration")
    set_input(logging, ("resourceArn",), "arn:aws:wafv2:eu-west-3:123456789012:regional/webacl/other/0000")
    return str(first(export, "aws:wafv2/webAcl:WebAcl")["urn"])


def s3_public_policy(export: Export) -> str | None:
    policy = first(export, "aws:s3/bucketPolicy:BucketPolicy")
    document = json.loads(policy["inputs"]["policy"])
    document["Statement"].append({"Sid": "Public", "Effect": "Allow", "Principal": {"AWS": "*"},
                                  "Action": "s3:GetObject", "Resource": "*"})
    return set_input(policy, ("policy",), json.dumps(document))


def s3_block_off(export: Export) -> str | None:
    return set_input(first(export, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"),
                     ("restrictPublicBuckets",), False)


def s3_public_acl(export: Export) -> str | None:
    bucket = _side(first(export, "aws:s3/bucket:Bucket"), "bucket")
    return add_resource(export, "aws:s3/bucketAcl:BucketAcl", "mutant-acl", {"bucket": bucket,
                                                                            "acl": "public-read-write"})


def iam_star(export: Export) -> str | None:
    policy = first(export, "aws:iam/rolePolicy:RolePolicy")
    document = json.loads(policy["inputs"]["policy"])
    document["Statement"].append({"Effect": "Allow", "Action": "*", "Resource": "*"})
    return set_input(policy, ("policy",), json.dumps(document))


def iam_service_star(export: Export) -> str | None:
    policy = first(export, "aws:iam/rolePolicy:RolePolicy")
    document = json.loads(policy["inputs"]["policy"])
    document["Statement"][0]["Action"] = ["ec2:*"]
    document["Statement"][0]["Resource"] = "*"
    return set_input(policy, ("policy",), json.dumps(document))


def iam_admin(export: Export) -> str | None:
    return set_input(first(export, "aws:iam/rolePolicyAttachment:RolePolicyAttachment"), ("policyArn",),
                     "arn:aws:iam::aws:policy/AdministratorAccess")


def _op(name: str, rule: str, apply: Any, message: str) -> Mutation:
    return Mutation(f"{rule}-{name}", rule, apply, AWS_STACKS, message)


OPERATORS: list[Mutation] = [
    _op("split-halves", "aws-sg-no-world-ingress", split_halves, "cover the public internet"),
    _op("sixteen-pieces", "aws-sg-no-world-ingress", many_pieces, "16.0.0.0/4"),
    _op("global-ipv6", "aws-sg-no-world-ingress", global_ipv6, "2000::/3"),
    _op("edge-ssh", "aws-sg-no-world-ingress", edge_admin_port, "(tcp 22) on the public load balancer's group"),
    _op("default-group", "aws-sg-no-world-ingress", default_group_open, "ingress[0] admits 0.0.0.0/0"),
    _op("prefix-list", "aws-sg-no-world-ingress", prefix_list, "0.0.0.0/0"),
    _op("legacy-rule", "aws-sg-no-world-ingress", legacy_rule, "all ports"),
    _op("port-range", "aws-sg-data-tier-scoped", data_port_range, "admits cidrs 10.0.0.0/8"),
    _op("other-group", "aws-sg-data-tier-scoped", data_other_group, "not the cluster's security group"),
    _op("primary", "aws-rds-not-public", rds_public, "publiclyAccessible is true"),
    _op("replica-string", "aws-rds-not-public", replica_public, 'publiclyAccessible is "true"'),
    _op("literal-behind-apply", "aws-rds-auth", literal_password, "password is a literal"),
    _op("no-tls", "aws-redis-encryption-auth", redis_no_tls, "transitEncryptionEnabled is false"),
    _op("standalone-cluster", "aws-redis-encryption-auth", standalone_cache, "no authentication"),
    _op("memorydb", "aws-redis-encryption-auth", memorydb_open, "tlsEnabled is false"),
    _op("vacuous-condition", "aws-kms-hygiene", kms_vacuous_condition, "a condition every caller meets"),
    _op("transport-only", "aws-kms-hygiene", kms_transport_only, "allows principal *"),
    _op("bypass", "aws-kms-hygiene", kms_bypass, "bypassPolicyLockoutSafetyCheck is true"),
    _op("halves", "aws-eks-endpoint", eks_halves, "cover the public internet"),
    _op("rule-override", "aws-waf-managed-rules", waf_rule_override, "sets SQLi_BODY to count"),
    _op("group-count", "aws-waf-managed-rules", waf_group_count, "AWSManagedRulesCommonRuleSet does not block"),
    _op("rate-count", "aws-waf-managed-rules", waf_rate_count, "rate-based rule action is count"),
    _op("other-alb", "aws-waf-attached-logged", waf_other_alb, "no WAFv2 web ACL association"),
    _op("logging-elsewhere", "aws-waf-attached-logged", waf_logging_elsewhere, "no logging configuration"),
    _op("bucket-policy", "aws-s3-not-public", s3_public_policy, "without a restricting condition"),
    _op("block-off", "aws-s3-not-public", s3_block_off, "restrictPublicBuckets=false"),
    _op("acl", "aws-s3-not-public", s3_public_acl, "acl is 'public-read-write'"),
    _op("star", "aws-iam-no-wildcard", iam_star, "allows * on"),
    _op("service-star", "aws-iam-no-wildcard", iam_service_star, "allows ec2:*"),
    _op("admin-attachment", "aws-iam-no-wildcard", iam_admin, "AdministratorAccess"),
]
