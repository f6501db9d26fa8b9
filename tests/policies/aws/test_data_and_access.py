"""RDS, caches, KMS, IAM, S3, EKS and WAF rules: one defect per case, message asserted."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from offline.gate.analyzer import PolicyPackProcess
from tests.policies.aws.base import EKS, KEY, RANDOM, changed, dep, policy
from tests.policies.aws.rule_fixtures import WAF_RULES
from tests.policies.cloud import Bad, Good, assert_bad, assert_good
from tests.policies.conftest import resource

ROOT_ARN = "arn:aws:iam::123456789012:root"
DB = {"engine": "postgres", "publiclyAccessible": False, "storageEncrypted": True, "kmsKeyId": KEY,
      "iamDatabaseAuthenticationEnabled": True, "username": "orchestrator_app", "password": "[secret redacted]"}


def db(type_: str = "aws:rds/instance:Instance", password_from: str | None = "db-password",
       random_result: str | None = None, **values: Any) -> list[dict[str, Any]]:
    generator = resource(RANDOM, "db-password", {"length": 32, **({"result": random_result} if random_result else {})})
    deps = {"password": [generator["urn"]], "masterUserPassword": [generator["urn"]]} if password_from else None
    return [generator, resource(type_, "db", changed(DB, **values), deps=deps)]


def one(type_: str, props: dict[str, Any]) -> list[dict[str, Any]]:
    return [resource(type_, "subject", props)]


REDIS = {"transitEncryptionEnabled": True, "atRestEncryptionEnabled": True, "kmsKeyId": KEY, "authToken": "x"}
KMS = "aws:kms/key:Key"
ADMIN = {"Sid": "Admin", "Effect": "Allow", "Principal": {"AWS": ROOT_ARN}, "Action": "kms:*", "Resource": "*"}
ALB_ARN = "arn:aws:elasticloadbalancing:eu-west-3:1:loadbalancer/app/alb-1234567/abc"
ACL_ARN = "arn:aws:wafv2:eu-west-3:1:regional/webacl/acl-1234567/def"


def waf_stack(association: str = ALB_ARN, logged: str = ACL_ARN) -> list[dict[str, Any]]:
    alb = resource("aws:lb/loadBalancer:LoadBalancer", "alb", {"internal": False})
    acl = resource("aws:wafv2/webAcl:WebAcl", "acl", {"rules": WAF_RULES})
    return [alb, acl,
            resource("aws:wafv2/webAclAssociation:WebAclAssociation", "assoc",
                     {"resourceArn": association, "webAclArn": ACL_ARN},
                     deps={"resourceArn": [alb["urn"]], "webAclArn": [acl["urn"]]}),
            resource("aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration", "log",
                     {"resourceArn": logged, "logDestinationConfigs": ["arn:logs"]}, deps={"resourceArn": [acl["urn"]]})]


def waf_rule(index: int, **values: Any) -> list[dict[str, Any]]:
    rules = copy.deepcopy(WAF_RULES)
    rules[index].update(values)
    return one("aws:wafv2/webAcl:WebAcl", {"rules": rules})


def bucket(policy_doc: str | None = None, block: dict[str, Any] | None = None, acl: str | None = None) -> list[dict[str, Any]]:
    out = [resource("aws:s3/bucket:Bucket", "logs", {}),
           resource("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "logs-block", block or {
               "bucket": "logs-89abcde", "blockPublicAcls": True, "blockPublicPolicy": True, "ignorePublicAcls": True,
               "restrictPublicBuckets": True})]
    if policy_doc:
        out.append(resource("aws:s3/bucketPolicy:BucketPolicy", "logs-policy", {"bucket": "logs-89abcde",
                                                                                "policy": policy_doc}))
    if acl:
        out.append(resource("aws:s3/bucketAcl:BucketAcl", "logs-acl", {"bucket": "logs-89abcde", "acl": acl}))
    return out


STAR = {"Sid": "Open", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*"}

BAD = [
    Bad("rds-public", "aws-rds-not-public", db(publiclyAccessible=True), "db", "publiclyAccessible is true"),
    Bad("aurora-public", "aws-rds-not-public", db("aws:rds/clusterInstance:ClusterInstance", publiclyAccessible="true"),
        "db", 'publiclyAccessible is "true"'),
    Bad("native-rds-public", "aws-rds-not-public", db("aws-native:rds:DbInstance", publiclyAccessible=True), "db",
        "publiclyAccessible is true"),
    Bad("literal-password", "aws-rds-auth", db(password_from=None, password="hunter2"), "db",
        "password is a literal"),
    Bad("literal-behind-dependency", "aws-rds-auth", db(random_result="generated-value", password="hunter2"), "db",
        "password is a literal"),
    Bad("native-literal-password", "aws-rds-auth", db("aws-native:rds:DbCluster", password_from=None,
                                                      masterUserPassword="hunter2", password=None), "db",
        "masterUserPassword is a literal"),
    Bad("redis-no-tls", "aws-redis-encryption-auth", one("aws:elasticache/replicationGroup:ReplicationGroup",
                                                         changed(REDIS, transitEncryptionEnabled=False)),
        "subject", "transitEncryptionEnabled is false"),
    Bad("cache-cluster", "aws-redis-encryption-auth", one("aws:elasticache/cluster:Cluster", {"engine": "redis"}),
        "subject", "standalone redis cluster has no authentication"),
    Bad("memorydb-open", "aws-redis-encryption-auth", one("aws:memorydb/cluster:Cluster", {
        "tlsEnabled": False, "aclName": "open-access", "kmsKeyArn": KEY}), "subject", "tlsEnabled is false"),
    Bad("memorydb-no-auth", "aws-redis-encryption-auth", one("aws:memorydb/cluster:Cluster", {"kmsKeyArn": KEY}),
        "subject", "aclName is 'open-access'"),
    Bad("kms-star-vacuous-like", "aws-kms-hygiene", one(KMS, {"enableKeyRotation": True, "policy": policy(
        ADMIN, {**STAR, "Action": "kms:*", "Condition": {"StringLike": {"aws:PrincipalArn": "*"}}})}),
        "subject", "allows principal * with a condition every caller meets"),
    Bad("kms-star-transport-only", "aws-kms-hygiene", one(KMS, {"enableKeyRotation": True, "policy": policy(
        {**STAR, "Principal": {"AWS": "*"}, "Condition": {"Bool": {"aws:SecureTransport": "true"}}})}),
        "subject", "Statement[0] (Open) allows principal *"),
    Bad("kms-bypass", "aws-kms-hygiene", one(KMS, {"enableKeyRotation": True, "bypassPolicyLockoutSafetyCheck": True,
                                                   "policy": policy(ADMIN)}), "subject",
        "bypassPolicyLockoutSafetyCheck is true"),
    Bad("iam-star", "aws-iam-no-wildcard", one("aws:iam/rolePolicy:RolePolicy", {"policy": policy(
        {"Effect": "Allow", "Action": "*", "Resource": "*"})}), "subject", "Statement[0] allows * on"),
    Bad("iam-service-star", "aws-iam-no-wildcard", one("aws:iam/policy:Policy", {"policy": {
        "Statement": [{"Effect": "Allow", "Action": ["s3:*"], "Resource": ["*"]}]}}), "subject", "allows s3:*"),
    Bad("iam-not-action", "aws-iam-no-wildcard", one("aws:iam/userPolicy:UserPolicy", {"policy": policy(
        {"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"})}), "subject", "NotAction"),
    Bad("iam-admin-attachment", "aws-iam-no-wildcard", one("aws:iam/rolePolicyAttachment:RolePolicyAttachment", {
        "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}), "subject", "AdministratorAccess"),
    Bad("s3-policy-star", "aws-s3-not-public", bucket(policy(STAR)), "logs-policy", "Statement[0] (Open)"),
    Bad("s3-policy-aws-star", "aws-s3-not-public", bucket(policy({**STAR, "Principal": {"AWS": ["*"]}})),
        "logs-policy", "without a restricting condition"),
    Bad("s3-acl", "aws-s3-not-public", bucket(acl="public-read"), "logs-acl", "acl is 'public-read'"),
    Bad("s3-block-off", "aws-s3-not-public", bucket(block={"bucket": "logs-89abcde", "blockPublicAcls": True,
                                                           "blockPublicPolicy": False, "ignorePublicAcls": True,
                                                           "restrictPublicBuckets": True}),
        "logs-block", "blockPublicPolicy=false"),
    Bad("eks-halves", "aws-eks-endpoint", one("aws:eks/cluster:Cluster", changed(EKS, vpcConfig={
        "endpointPrivateAccess": True, "endpointPublicAccess": True,
        "publicAccessCidrs": ["0.0.0.0/1", "128.0.0.0/1"]})), "subject", "0.0.0.0/1, 128.0.0.0/1 cover"),
    Bad("waf-rule-override-count", "aws-waf-managed-rules", waf_rule(
        1, statement={"managedRuleGroupStatement": {"vendorName": "AWS", "name": "AWSManagedRulesSQLiRuleSet",
                                                    "ruleActionOverrides": [{"name": "SQLi_BODY",
                                                                             "actionToUse": {"count": {}}}]}}),
        "subject", "ruleActionOverrides[0] sets SQLi_BODY to count"),
    Bad("waf-group-count", "aws-waf-managed-rules", waf_rule(0, overrideAction={"count": {}}), "subject",
        "AWSManagedRulesCommonRuleSet does not block"),
    Bad("waf-rate-count", "aws-waf-managed-rules", waf_rule(3, action={"count": {}}), "subject",
        "rate-based rule action is count"),
    Bad("waf-other-alb", "aws-waf-attached-logged", waf_stack(
        association="arn:aws:elasticloadbalancing:eu-west-3:1:loadbalancer/app/internal-7654321/xyz"), "alb",
        "no WAFv2 web ACL association"),
    Bad("waf-not-logged", "aws-waf-attached-logged", waf_stack(logged="arn:aws:wafv2:eu-west-3:1:regional/webacl/x/y"),
        "acl", "no logging configuration"),
]

GOOD = [
    Good("rds-private", "aws-rds-not-public", db()),
    Good("generated-password", "aws-rds-auth", db()),
    Good("password-equals-generator", "aws-rds-auth", db(random_result="s3cr3t-generated", password="s3cr3t-generated")),
    Good("redis-secure", "aws-redis-encryption-auth", one("aws:elasticache/replicationGroup:ReplicationGroup", REDIS)),
    Good("kms-account-pinned", "aws-kms-hygiene", one(KMS, {"enableKeyRotation": True, "policy": policy(
        ADMIN, {**STAR, "Action": "kms:Decrypt", "Condition": {
            "StringEquals": {"kms:CallerAccount": "123456789012"}}})})),
    Good("iam-named-actions", "aws-iam-no-wildcard", one("aws:iam/rolePolicy:RolePolicy", {"policy": policy(
        {"Effect": "Allow", "Action": ["ec2:DescribeSubnets"], "Resource": "*"},
        {"Effect": "Allow", "Action": "logs:*", "Resource": "arn:aws:logs:eu-west-3:1:log-group:x:*"})})),
    Good("s3-private", "aws-s3-not-public", bucket(policy({"Sid": "Tls", "Effect": "Deny", "Principal": "*",
                                                          "Action": "s3:*", "Resource": "*", "Condition": {
                                                              "Bool": {"aws:SecureTransport": "false"}}}))),
    Good("eks-private", "aws-eks-endpoint", one("aws:eks/cluster:Cluster", EKS)),
    Good("waf-blocking", "aws-waf-managed-rules", one("aws:wafv2/webAcl:WebAcl", {"rules": WAF_RULES})),
    Good("waf-attached", "aws-waf-attached-logged", waf_stack()),
]
_ = dep


@pytest.mark.parametrize("case", BAD, ids=[c.id for c in BAD])
def test_bad(pack: PolicyPackProcess, case: Bad) -> None:
    assert_bad(pack, case)


@pytest.mark.parametrize("case", GOOD, ids=[c.id for c in GOOD])
def test_good(pack: PolicyPackProcess, case: Good) -> None:
    assert_good(pack, case)
