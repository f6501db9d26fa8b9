"""AWS rules, one compliant fragment per family and one property broken per fixture."""

from __future__ import annotations

import json
from typing import Any

from tests.policies.conftest import resource
from tests.policies.fixtures import mutate
from tests.policies.kubernetes.model import Fixture, bad, good, one

KEY = "arn:aws:kms:eu-west-3:123456789012:key/1111"
RANDOM = "random:index/randomPassword:RandomPassword"

PRIMARY = {"identifier": "db-primary", "engine": "postgres", "publiclyAccessible": False, "storageEncrypted": True,
           "kmsKeyId": KEY, "iamDatabaseAuthenticationEnabled": True, "username": "orchestrator_app",
           "password": "generated", "multiAz": True, "backupRetentionPeriod": 14, "deletionProtection": True,
           "performanceInsightsEnabled": True, "performanceInsightsKmsKeyId": KEY,
           "enabledCloudwatchLogsExports": ["postgresql", "upgrade"], "parameterGroupName": "pg-force-ssl"}
REPLICA = {"identifier": "db-replica", "replicateSourceDb": "db-primary", "publiclyAccessible": False,
           "kmsKeyId": KEY, "deletionProtection": True, "performanceInsightsEnabled": True,
           "performanceInsightsKmsKeyId": KEY, "enabledCloudwatchLogsExports": ["postgresql"],
           "parameterGroupName": "pg-force-ssl"}


def rds(primary: dict[str, Any] | None = None, replicas: int = 2, password_generated: bool = True,
        group: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    random = resource(RANDOM, "db-password", {"length": 32})
    deps = {"password": [random["urn"]]} if password_generated else None
    out = [random,
           resource("aws:rds/parameterGroup:ParameterGroup", "pg", group or {
               "name": "pg-force-ssl", "family": "postgres16", "parameters": [{"name": "rds.force_ssl", "value": "1"}]}),
           resource("aws:rds/instance:Instance", "db-primary", primary or PRIMARY, protect=True, deps=deps)]
    out += [resource("aws:rds/instance:Instance", f"db-replica-{i}", {**REPLICA, "identifier": f"db-replica-{i}"},
                     protect=True) for i in range(replicas)]
    return out


REDIS = {"transitEncryptionEnabled": True, "atRestEncryptionEnabled": True, "kmsKeyId": KEY, "authToken": "[secret]",
         "clusterMode": "enabled", "numNodeGroups": 3, "replicasPerNodeGroup": 1, "automaticFailoverEnabled": True,
         "multiAzEnabled": True, "snapshotRetentionLimit": 7}
EKS = {"accessConfig": {"authenticationMode": "API", "bootstrapClusterCreatorAdminPermissions": False},
       "vpcConfig": {"endpointPrivateAccess": True, "endpointPublicAccess": False, "clusterSecurityGroupId": "sg-cluster"},
       "encryptionConfig": {"resources": ["secrets"], "provider": {"keyArn": KEY}},
       "enabledClusterLogTypes": ["api", "audit", "authenticator", "controllerManager", "scheduler"]}


def network(*rules: dict[str, Any], alb_groups: list[str] | None = None) -> list[dict[str, Any]]:
    out = [resource("aws:eks/cluster:Cluster", "cluster", {**EKS, "arn": "arn:eks"}),
           resource("aws:ec2/securityGroup:SecurityGroup", "alb-sg", {"id": "sg-alb", "ingress": [
               {"protocol": "tcp", "fromPort": 443, "toPort": 443, "cidrBlocks": ["0.0.0.0/0"], "description": "https"}]}),
           resource("aws:ec2/securityGroup:SecurityGroup", "db-sg", {"id": "sg-db"}),
           resource("aws:lb/loadBalancer:LoadBalancer", "alb", {"arn": "arn:alb", "internal": False,
                                                                "securityGroups": alb_groups or ["sg-alb"]})]
    out += [resource(r.pop("__type", "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"), f"rule-{i}", r)
            for i, r in enumerate(rules)]
    return out


DB_RULE = {"securityGroupId": "sg-db", "referencedSecurityGroupId": "sg-cluster", "fromPort": 5432, "toPort": 5432,
           "ipProtocol": "tcp", "description": "postgres from the cluster"}
WAF_RULES = [
    *({"name": g, "priority": i, "overrideAction": {"none": {}},
       "statement": {"managedRuleGroupStatement": {"vendorName": "AWS", "name": g}}}
      for i, g in enumerate(("AWSManagedRulesCommonRuleSet", "AWSManagedRulesSQLiRuleSet",
                             "AWSManagedRulesKnownBadInputsRuleSet"))),
    {"name": "rate", "priority": 9, "action": {"block": {}},
     "statement": {"rateBasedStatement": {"limit": 2000, "aggregateKeyType": "IP"}}},
]


def waf_stack(associate: bool = True, log: bool = True) -> list[dict[str, Any]]:
    out = [resource("aws:lb/loadBalancer:LoadBalancer", "alb", {"arn": "arn:alb", "internal": False}),
           resource("aws:wafv2/webAcl:WebAcl", "acl", {"arn": "arn:acl", "scope": "REGIONAL", "rules": WAF_RULES})]
    if associate:
        out.append(resource("aws:wafv2/webAclAssociation:WebAclAssociation", "assoc",
                            {"resourceArn": "arn:alb", "webAclArn": "arn:acl"}))
    if log:
        out.append(resource("aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration", "log",
                            {"resourceArn": "arn:acl", "logDestinationConfigs": ["arn:logs"]}))
    return out


KMS_POLICY = json.dumps({"Statement": [{"Sid": "root", "Effect": "Allow",
                                        "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "kms:*"}]})
STAR_POLICY = json.dumps({"Statement": [{"Sid": "all", "Effect": "Allow", "Principal": "*", "Action": "kms:*"}]})


FIXTURES: list[Fixture] = [
    good("aws-rds-not-public", rds(), "aws-rds-not-public-good-1"),
    bad("aws-rds-not-public", rds(primary={**PRIMARY, "publiclyAccessible": True}),
        "db-primary", "publiclyAccessible is true", "aws-rds-not-public-bad-2"),
    good("aws-rds-encrypted", rds(), "aws-rds-encrypted-good-1"),
    bad("aws-rds-encrypted", rds(primary={**PRIMARY, "kmsKeyId": "alias/aws/rds"}),
        "db-primary", "kmsKeyId alias/aws/rds is an AWS-managed key", "aws-rds-encrypted-bad-2"),
    good("aws-rds-force-tls", rds(), "aws-rds-force-tls-good-1"),
    bad("aws-rds-force-tls", rds(group={"name": "pg-force-ssl", "parameters": [{"name": "rds.force_ssl", "value": "0"}]}),
        "db-primary", "pg-force-ssl does not set rds.force_ssl=1 (it sets rds.force_ssl to 0)", "aws-rds-force-tls-bad-2"),
    good("aws-rds-auth", rds(), "aws-rds-auth-good-1"),
    bad("aws-rds-auth", rds(password_generated=False),
        "db-primary", "password is a literal, not the value of a random.RandomPassword (in code or config)",
        "aws-rds-auth-bad-2"),
    bad("aws-rds-auth", rds(primary={**PRIMARY, "username": "postgres"}),
        "db-primary", "the admin user is the default-like name 'postgres'", "aws-rds-auth-bad-3"),
    good("aws-rds-resilience", rds(), "aws-rds-resilience-good-1"),
    bad("aws-rds-resilience", rds(primary={**PRIMARY, "multiAz": False}),
        "db-primary", "multiAz is false", "aws-rds-resilience-bad-2"),
    good("aws-rds-replicas", rds(), "aws-rds-replicas-good-1"),
    bad("aws-rds-replicas", rds(replicas=1),
        "db-primary", "the primary has 1 replica(s)", "aws-rds-replicas-bad-2"),
    good("aws-redis-encryption-auth", one("aws:elasticache/replicationGroup:ReplicationGroup", REDIS),
         "aws-redis-encryption-auth-good-1"),
    bad("aws-redis-encryption-auth", one("aws:elasticache/replicationGroup:ReplicationGroup",
                                            {**REDIS, "transitEncryptionEnabled": False}),
        "subject", "transitEncryptionEnabled is false", "aws-redis-encryption-auth-bad-2"),
    bad("aws-redis-encryption-auth", one("aws:elasticache/replicationGroup:ReplicationGroup",
                                            {k: v for k, v in REDIS.items() if k != "authToken"}),
        "subject", "neither an auth token nor RBAC user groups (authToken/userGroupIds unset)",
        "aws-redis-encryption-auth-bad-3"),
    good("aws-redis-ha", one("aws:elasticache/replicationGroup:ReplicationGroup", REDIS), "aws-redis-ha-good-1"),
    bad("aws-redis-ha", one("aws:elasticache/replicationGroup:ReplicationGroup", {**REDIS, "numNodeGroups": 1}),
        "subject", "1 shard(s)", "aws-redis-ha-bad-2"),
    good("aws-eks-endpoint", one("aws:eks/cluster:Cluster", EKS), "aws-eks-endpoint-good-1"),
    good("aws-eks-endpoint", one("aws:eks/cluster:Cluster", mutate(mutate(EKS, "vpcConfig.endpointPublicAccess", True),
                                                                        "vpcConfig.publicAccessCidrs", ["203.0.113.0/24"])),
         "aws-eks-endpoint-good-2"),
    bad("aws-eks-endpoint", one("aws:eks/cluster:Cluster", mutate(EKS, "vpcConfig.endpointPublicAccess", True)),
        "subject", "endpointPublicAccess is true and there are no vpcConfig.publicAccessCidrs: the public endpoint is "
        "open to 0.0.0.0/0", "aws-eks-endpoint-bad-3"),
    good("aws-eks-secrets-logs", one("aws:eks/cluster:Cluster", EKS), "aws-eks-secrets-logs-good-1"),
    bad("aws-eks-secrets-logs", one("aws:eks/cluster:Cluster", {**EKS, "enabledClusterLogTypes": ["api"]}),
        "subject", "control-plane logs missing: audit, authenticator, controllerManager, scheduler",
        "aws-eks-secrets-logs-bad-2"),
    good("aws-sg-no-world-ingress", network(DB_RULE), "aws-sg-no-world-ingress-good-1"),
    bad("aws-sg-no-world-ingress", network(DB_RULE, alb_groups=["sg-other"]),
        "alb-sg", "ingress[0] admits 0.0.0.0/0 (tcp 443) on a non-edge group: together its rules cover the",
        "aws-sg-no-world-ingress-bad-2"),
    bad("aws-sg-no-world-ingress", network({"__type": "aws:ec2/securityGroupRule:SecurityGroupRule", "type": "ingress",
                                               "securityGroupId": "sg-db", "cidrBlocks": ["0.0.0.0/0"], "fromPort": 22,
                                               "toPort": 22, "protocol": "tcp"}),
        "rule-0", "the rule admits 0.0.0.0/0 (tcp 22) on a non-edge group: together its rules cover the",
        "aws-sg-no-world-ingress-bad-3"),
    bad("aws-sg-no-world-ingress", network({"securityGroupId": "sg-alb", "cidrIpv6": "::/0", "ipProtocol": "-1"}),
        "rule-0", "the rule admits ::/0 (-1 all ports) on the public load balancer's group: together its",
        "aws-sg-no-world-ingress-bad-4"),
    good("aws-sg-data-tier-scoped", network(DB_RULE), "aws-sg-data-tier-scoped-good-1"),
    bad("aws-sg-data-tier-scoped", network({**DB_RULE, "referencedSecurityGroupId": None, "cidrIpv4": "10.40.0.0/16"}),
        "rule-0", "the rule (tcp 5432) to 5432 admits CIDRs 10.40.0.0/16 instead of a security-group",
        "aws-sg-data-tier-scoped-bad-2"),
    bad("aws-sg-data-tier-scoped", network({**DB_RULE, "referencedSecurityGroupId": "sg-alb"}),
        "rule-0", "the rule (tcp 5432) to 5432 references sg-alb, not the cluster's security group",
        "aws-sg-data-tier-scoped-bad-3"),
    bad("aws-sg-data-tier-scoped", network({**DB_RULE, "description": ""}),
        "rule-0", "the rule (tcp 5432) to 5432 has no description", "aws-sg-data-tier-scoped-bad-4"),
    good("aws-kms-hygiene", one("aws:kms/key:Key", {"enableKeyRotation": True, "policy": KMS_POLICY}),
         "aws-kms-hygiene-good-1"),
    bad("aws-kms-hygiene", one("aws:kms/key:Key", {"enableKeyRotation": False, "policy": KMS_POLICY}),
        "subject", "enableKeyRotation is false (key rotation off)", "aws-kms-hygiene-bad-2"),
    bad("aws-kms-hygiene", one("aws:kms/key:Key", {"enableKeyRotation": True, "policy": STAR_POLICY}),
        "subject", "policy Statement[0] (all) allows principal * with no condition", "aws-kms-hygiene-bad-3"),
    good("aws-secrets-cmk", one("aws:secretsmanager/secret:Secret", {"kmsKeyId": KEY}), "aws-secrets-cmk-good-1"),
    bad("aws-secrets-cmk", one("aws:secretsmanager/secret:Secret", {"name": "db"}),
        "subject", "no customer-managed kmsKeyId", "aws-secrets-cmk-bad-2"),
    good("aws-waf-managed-rules", one("aws:wafv2/webAcl:WebAcl", {"rules": WAF_RULES}), "aws-waf-managed-rules-good-1"),
    bad("aws-waf-managed-rules", one("aws:wafv2/webAcl:WebAcl", {"rules": WAF_RULES[1:]}),
        "subject", "AWSManagedRulesCommonRuleSet is missing", "aws-waf-managed-rules-bad-2"),
    bad("aws-waf-managed-rules", one("aws:wafv2/webAcl:WebAcl", {"rules": [
        mutate(WAF_RULES[0], "overrideAction", {"count": {}}), *WAF_RULES[1:]]}),
        "subject", "AWSManagedRulesCommonRuleSet does not block: rules[0] overrideAction {\"count\": {}}",
        "aws-waf-managed-rules-bad-3"),
    good("aws-waf-attached-logged", waf_stack(), "aws-waf-attached-logged-good-1"),
    bad("aws-waf-attached-logged", waf_stack(associate=False),
        "alb", "the Internet-facing load balancer has no WAFv2 web ACL association", "aws-waf-attached-logged-bad-2"),
    bad("aws-waf-attached-logged", waf_stack(log=False),
        "acl", "the web ACL has no logging configuration naming its ARN", "aws-waf-attached-logged-bad-3"),
]


def _kms(statement: dict[str, Any]) -> list[dict[str, Any]]:
    return one("aws:kms/key:Key", {"enableKeyRotation": True, "policy": json.dumps(
        {"Statement": [{"Sid": "root", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
                        "Action": "kms:*", "Resource": "*"}, statement]})})


def _role_policy(statement: dict[str, Any]) -> list[dict[str, Any]]:
    return one("aws:iam/rolePolicy:RolePolicy", {"role": "r", "policy": {"Statement": statement}})


STAR = {"Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*"}
ALLOW_FIRST = {"name": "allow-first", "priority": 0, "action": {"allow": {}},
               "statement": {"byteMatchStatement": {"searchString": "/", "positionalConstraint": "STARTS_WITH"}}}

# Other spellings of the same defects, and the narrow settings that must stay silent.
FIXTURES += [
    bad("aws-sg-no-world-ingress", network({"__type": "aws:ec2:SecurityGroupRule", "type": "Ingress",
                                               "securityGroupId": "sg-db", "cidrBlocks": ["0.0.0.0/0"], "fromPort": 22,
                                               "toPort": 22, "protocol": "6"}),
        "rule-0", "the rule admits 0.0.0.0/0 (6 22)", "aws-sg-no-world-ingress-short-token"),
    bad("aws-sg-no-world-ingress", network({"securityGroupId": "sg-db", "cidrIpv6": "::ffff:0:0/96", "fromPort": 6400,
                                               "toPort": 6300, "ipProtocol": "tcp"}),
        "rule-0", "admits ::ffff:0:0/96 (tcp 6300-6400)", "aws-sg-no-world-ingress-mapped-swapped"),
    good("aws-sg-no-world-ingress", network(DB_RULE, {"securityGroupId": "sg-alb", "cidrIpv6": "::/0", "fromPort": 443,
                                                      "toPort": 443, "ipProtocol": "tcp"}),
         "aws-sg-no-world-ingress-good-edge-ipv6"),
    bad("aws-kms-hygiene", _kms({**STAR, "Condition": {"IpAddress": {"aws:SourceIp": ["0.0.0.0/1", "128.0.0.0/1"]}}}),
        "subject", "allows principal * with a condition every caller meets", "aws-kms-hygiene-source-ip-halves"),
    bad("aws-kms-hygiene", _kms({**STAR, "effect": "allow", "Condition": {"StringLike": {"aws:PrincipalOrgID": "o-*"}}}),
        "subject", "allows principal * with a condition every caller meets", "aws-kms-hygiene-org-wildcard"),
    good("aws-kms-hygiene", _kms({**STAR, "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}}),
         "aws-kms-hygiene-good-org-pinned"),
    bad("aws-kms-hygiene", one("aws:kms/key:Key", {"enableKeyRotation": True, "policy": "{" * 100_000}),
        "subject", "policy is not valid JSON", "aws-kms-hygiene-malformed"),
    bad("aws-iam-no-wildcard", _role_policy({"Effect": "Allow", "Action": ["iam:passrole"], "Resource": ["*"]}),
        "subject", "allows iam:passrole on", "aws-iam-no-wildcard-pass-role"),
    good("aws-iam-no-wildcard", _role_policy({"Effect": "Allow", "Action": "iam:PassRole",
                                              "Resource": "arn:aws:iam::123456789012:role/app"}),
         "aws-iam-no-wildcard-good-pass-named-role"),
    bad("aws-iam-no-wildcard", one("aws:iam/role:Role", {"assumeRolePolicy": json.dumps({"Statement": [
        {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}]})}),
        "subject", 'assumeRolePolicy Statement[0] lets Principal {"AWS": "*"} assume the role',
        "aws-iam-no-wildcard-trust-anyone"),
    bad("aws-waf-managed-rules", one("aws:wafv2/webAcl:WebAcl", {"rules": [ALLOW_FIRST, *WAF_RULES]}),
        "subject", "rules[0] (allow-first) action allow at priority 0 runs before the blocking rules",
        "aws-waf-managed-rules-allow-first"),
    good("aws-waf-managed-rules", one("aws:wafv2/webAcl:WebAcl", {"rules": [*WAF_RULES, {**ALLOW_FIRST, "priority": 99}]}),
         "aws-waf-managed-rules-good-allow-last"),
    good("aws-s3-not-public", [
        resource("aws:s3/bucketV2:BucketV2", "logs", {"bucket": "logs"}),
        resource("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "logs-block", {
            "bucket": "logs", "blockPublicAcls": True, "blockPublicPolicy": True, "ignorePublicAcls": True,
            "restrictPublicBuckets": True}),
        resource("aws:s3/bucketPolicy:BucketPolicy", "logs-policy", {"bucket": "logs", "policy": json.dumps({
            "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::009996457667:root"},
                           "Action": "s3:PutObject", "Resource": "arn:aws:s3:::logs/*"},
                          {"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*",
                           "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]})})],
         "aws-s3-not-public-good-v2"),
    bad("aws-s3-not-public", [resource("aws:s3/bucketV2:BucketV2", "logs", {"bucket": "logs", "acl": "public-read"})],
        "logs", "acl is 'public-read'", "aws-s3-not-public-bucket-v2"),
    bad("aws-rds-encrypted", rds(primary={**PRIMARY, "storageEncrypted": "false"}),
        "db-primary", 'storageEncrypted is "false"', "aws-rds-encrypted-string"),
    bad("aws-redis-encryption-auth", one("aws:elasticache/replicationGroup:ReplicationGroup",
                                            {**REDIS, "transitEncryptionMode": "preferred"}),
        "subject", 'transitEncryptionMode is "preferred"', "aws-redis-encryption-auth-preferred"),
]


# --- references proved by value, protections that do not protect, access beside the endpoint -----------------


def _wired_to_group(instance: str, value: str) -> list[dict[str, Any]]:
    """The stack with `instance` naming `value` while still wired to the declared group (an `.apply()`)."""
    stack = rds()
    group = next(r for r in stack if r["type"] == "aws:rds/parameterGroup:ParameterGroup")
    entry = next(r for r in stack if r["urn"].endswith(f"::{instance}"))
    entry["inputs"] = entry["outputs"] = {**entry["inputs"], "parameterGroupName": value}
    entry["propertyDependencies"] = {**entry.get("propertyDependencies", {}), "parameterGroupName": [group["urn"]]}
    return stack


def _replica_source(value: str) -> list[dict[str, Any]]:
    stack = rds()
    entry = next(r for r in stack if r["urn"].endswith("::db-replica-0"))
    entry["inputs"] = entry["outputs"] = {**entry["inputs"], "replicateSourceDb": value}
    primary = next(r for r in stack if r["urn"].endswith("::db-primary"))
    primary["outputs"] = {**primary["inputs"], "arn": "arn:aws:rds:eu-west-3:123456789012:db:db-primary"}
    entry["propertyDependencies"] = {"replicateSourceDb": [primary["urn"]]}
    return stack


IRSA = "arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-west-3.amazonaws.com/id/ABC"


def _irsa(condition: dict[str, Any]) -> list[dict[str, Any]]:
    return one("aws:iam/role:Role", {"assumeRolePolicy": json.dumps({"Statement": [
        {"Effect": "Allow", "Principal": {"Federated": IRSA}, "Action": "sts:AssumeRoleWithWebIdentity",
         "Condition": condition}]})})


def _secret_policy(statement: dict[str, Any], **extra: Any) -> list[dict[str, Any]]:
    return one("aws:secretsmanager/secretPolicy:SecretPolicy", {
        "secretArn": "arn:aws:secretsmanager:eu-west-3:123456789012:secret:db", **extra,
        "policy": json.dumps({"Statement": [statement]})})


def _logging(config: dict[str, Any]) -> list[dict[str, Any]]:
    stack = waf_stack()
    log = next(r for r in stack if r["urn"].endswith("::log"))
    log["inputs"] = log["outputs"] = {**log["inputs"], "loggingFilter": config}
    return stack


SUB = "oidc.eks.eu-west-3.amazonaws.com/id/ABC:sub"
AUD = {"oidc.eks.eu-west-3.amazonaws.com/id/ABC:aud": "sts.amazonaws.com"}

FIXTURES += [
    bad("aws-rds-force-tls", rds(group={"name": "pg-force-ssl", "parameters": [
        {"name": "rds.force_ssl", "value": "1"}, {"name": "RDS.Force_SSL", "value": "0"}]}),
        "db-primary", "pg-force-ssl does not set rds.force_ssl=1 (it sets rds.force_ssl to 0)",
        "aws-rds-force-tls-duplicate-entry"),
    bad("aws-rds-force-tls", _wired_to_group("db-replica-1", "default.postgres16"), "db-replica-1",
        "parameterGroupName default.postgres16 is no parameter group of this stack", "aws-rds-force-tls-wired-not-named"),
    bad("aws-rds-replicas", _replica_source("arn:aws:rds:eu-west-1:999999999999:db:db-primary"), "db-replica-0",
        "names no primary of this stack", "aws-rds-replicas-namesake-in-another-account"),
    good("aws-rds-replicas", _replica_source("arn:aws:rds:eu-west-3:123456789012:db:db-primary"),
         "aws-rds-replicas-good-by-arn"),
    bad("aws-sg-no-world-ingress", [
        *network({**DB_RULE, "referencedSecurityGroupId": None, "cidrIpv4": "0.0.0.0/0", "fromPort": 443, "toPort": 443},
                 alb_groups=["sg-alb", "sg-db"]),
        resource("aws:rds/instance:Instance", "db", {**PRIMARY, "vpcSecurityGroupIds": ["sg-db"]})],
        "rule-0", "admits 0.0.0.0/0 (tcp 443) on a non-edge group", "aws-sg-no-world-ingress-borrowed-exemption"),
    good("aws-sg-no-world-ingress", network({**DB_RULE, "securityGroupId": "sg-alb", "referencedSecurityGroupId": None,
                                             "cidrIpv4": "0.0.0.0/0", "fromPort": 80, "toPort": 80}),
         "aws-sg-no-world-ingress-good-edge-http"),
    bad("aws-eks-endpoint", one("aws:eks/cluster:Cluster", {**EKS, "accessConfig": {
        "authenticationMode": "CONFIG_MAP", "bootstrapClusterCreatorAdminPermissions": False}}),
        "subject", 'accessConfig.authenticationMode is "CONFIG_MAP": the aws-auth ConfigMap grants cluster access',
        "aws-eks-endpoint-config-map"),
    bad("aws-eks-endpoint", one("aws:eks/cluster:Cluster", {k: v for k, v in EKS.items() if k != "accessConfig"}),
        "subject", "bootstrapClusterCreatorAdminPermissions is unset (true)", "aws-eks-endpoint-access-defaults"),
    bad("aws-secrets-cmk", _secret_policy({"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "secretsmanager:*",
                                           "Resource": "*"}),
        "subject", 'allows "secretsmanager:*" to principal *', "aws-secrets-cmk-public-policy"),
    bad("aws-secrets-cmk", _secret_policy({"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:role/app"},
                                           "Action": "secretsmanager:GetSecretValue", "Resource": "*"},
                                          blockPublicPolicy="false"),
        "subject", 'blockPublicPolicy is "false"', "aws-secrets-cmk-block-public-policy-off"),
    good("aws-secrets-cmk", _secret_policy({"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:role/app"},
                                            "Action": "secretsmanager:GetSecretValue", "Resource": "*"},
                                           blockPublicPolicy=True), "aws-secrets-cmk-good-named-policy"),
    bad("aws-waf-attached-logged", _logging({"defaultBehavior": "DROP", "filters": []}), "acl",
        "loggingFilter.defaultBehavior is DROP and no filter keeps any", "aws-waf-attached-logged-drops-all"),
    good("aws-waf-attached-logged", _logging({"defaultBehavior": "DROP", "filters": [
        {"behavior": "KEEP", "requirement": "MEETS_ANY", "conditions": [{"actionCondition": {"action": "BLOCK"}}]}]}),
         "aws-waf-attached-logged-good-keeps-blocks"),
    bad("aws-iam-no-wildcard", one("aws:iam/rolePolicyAttachment:RolePolicyAttachment", {
        "policyArn": "arn:aws:iam::aws:policy/AmazonDynamoDBFullAccess"}), "subject", "AmazonDynamoDBFullAccess",
        "aws-iam-no-wildcard-full-access"),
    bad("aws-iam-no-wildcard", _irsa({"StringEquals": AUD}), "subject", "no :sub condition",
        "aws-iam-no-wildcard-web-identity-no-sub"),
    bad("aws-iam-no-wildcard", _irsa({"StringLike": {SUB: "system:serviceaccount:*:*", **AUD}}), "subject",
        "does not pin one subject", "aws-iam-no-wildcard-web-identity-any-namespace"),
    good("aws-iam-no-wildcard", _irsa({"StringEquals": {SUB: "system:serviceaccount:kube-system:ebs-csi", **AUD}}),
         "aws-iam-no-wildcard-good-web-identity"),
]

FIXTURES += [
    bad("aws-iam-no-wildcard", _role_policy({"Effect": "Allow", "Action": "iam:UpdateAssumeRolePolicy",
                                             "Resource": "arn:aws:iam::123456789012:role/*"}),
        "subject", 'allows iam:UpdateAssumeRolePolicy on "arn:aws:iam::123456789012:role/*"',
        "aws-iam-no-wildcard-every-role"),
    good("aws-iam-no-wildcard", _role_policy({"Effect": "Allow", "Action": "iam:PassRole",
                                              "Resource": "arn:aws:iam::123456789012:role/app-*"}),
         "aws-iam-no-wildcard-good-role-prefix"),
    bad("aws-sg-no-world-ingress", [*network(), resource("aws-native:ec2:SecurityGroupIngress", "native", {
        "groupId": "sg-db", "ipProtocol": "tcp", "fromPort": 22, "toPort": 22, "cidrIp": "0.0.0.0/1"}),
        resource("aws-native:ec2:SecurityGroupIngress", "native-high", {
            "groupId": "sg-db", "ipProtocol": "tcp", "fromPort": 22, "toPort": 22, "cidrIp": "128.0.0.0/1"})],
        "native-high", "admits 128.0.0.0/1 (tcp 22) on a non-edge group", "aws-sg-no-world-ingress-native-halves"),
    bad("aws-sg-no-world-ingress", [resource("aws-native:ec2:SecurityGroup", "native-sg", {
        "groupId": "sg-native", "securityGroupIngress": [{"ipProtocol": "-1", "cidrIpv6": "::/0"}]})],
        "native-sg", "securityGroupIngress[0] admits ::/0 (-1 all ports)", "aws-sg-no-world-ingress-native-inline"),
    bad("aws-sg-data-tier-scoped", [*network(DB_RULE), resource("aws:rds/instance:Instance", "db", {
        **PRIMARY, "vpcSecurityGroupIds": ["sg-db"]}), resource("aws-native:ec2:SecurityGroupIngress", "native", {
            "groupId": "sg-db", "ipProtocol": "tcp", "fromPort": 5432, "toPort": 5432, "cidrIp": "10.0.0.0/16",
            "description": "vpc"})],
        "native", "admits CIDRs 10.0.0.0/16 instead of a security-group reference",
        "aws-sg-data-tier-scoped-native-cidr"),
]
