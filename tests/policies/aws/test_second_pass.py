"""The second red-team pass on single AWS resources, without the engine: rate limits that do not count each
client, `service:*` on wildcard ARNs, MemoryDB and replica-region keys. (The shipped-export spellings run
through the gate in tests/policies/mutants/ops_redteam_cloud_edge.py and ops_medium_cloud_edge.py.)"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from policies.rules import aws, aws_iam
from policies.rules.common import Resource, config_with_defaults

RULES = {p.meta.name: p for p in (*aws.POLICIES, *aws_iam.POLICIES)}  # type: ignore[attr-defined]
KEY = "arn:aws:kms:eu-west-3:123456789012:key/1111"
RATE = {"name": "rate", "priority": 1, "action": {"block": {}},
        "statement": {"rateBasedStatement": {"limit": 2000, "aggregateKeyType": "IP"}}}
MANAGED = [{"name": n, "priority": 10 + i, "overrideAction": {"none": {}},
            "statement": {"managedRuleGroupStatement": {"vendorName": "AWS", "name": n}}}
           for i, n in enumerate(aws.MANAGED_GROUPS)]


def check(rule: str, type_: str, props: dict[str, Any]) -> list[str]:
    policy = RULES[rule]
    resource = Resource(type_, "urn:test", "subject", props, config_with_defaults(policy.meta, {}), {})
    return list(policy.check(resource))


def acl(**rate: Any) -> dict[str, Any]:
    rule = copy.deepcopy(RATE)
    rule["statement"]["rateBasedStatement"].update(rate)
    return {"rules": [rule, *MANAGED]}


def test_per_ip_rate_rule_passes() -> None:
    assert check("aws-waf-managed-rules", aws.WEB_ACL, acl()) == []
    assert check("aws-waf-managed-rules", aws.WEB_ACL, acl(aggregateKeyType="CUSTOM_KEYS", customKeys=[{"ip": {}}])) == []


@pytest.mark.parametrize(("rate", "named"), [
    ({"aggregateKeyType": "FORWARDED_IP", "forwardedIpConfig": {"headerName": "X-Client"}},
     "aggregateKeyType is FORWARDED_IP: it counts by a header the client writes (X-Client)"),
    ({"aggregateKeyType": "constant"}, "aggregateKeyType is CONSTANT"),
    ({"aggregateKeyType": "CUSTOM_KEYS", "customKeys": [{"ip": {}}, {"header": {"name": "x-id"}}]},
     "customKeys count by header: the client chooses its counter"),
    ({"aggregateKeyType": "CUSTOM_KEYS"}, "customKeys count by nothing"),
    ({"scopeDownStatement": {"byteMatchStatement": {"searchString": "never"}}}, "scopeDownStatement"),
])
def test_rate_rule_that_does_not_count_each_client(rate: dict[str, Any], named: str) -> None:
    found = check("aws-waf-managed-rules", aws.WEB_ACL, acl(**rate))
    assert any("rules[0] (rate) rateBasedStatement." in f and named in f for f in found), found
    assert "no blocking rate-based rule" in found


@pytest.mark.parametrize("resource", ["arn:aws:iam::*:*", "arn:aws:s3:::*/*", "arn:aws:kms:eu-west-3:123456789012:*",
                                      "arn:*:iam::*:*"])
def test_service_star_on_a_wildcard_arn(resource: str) -> None:
    action = resource.split(":")[2].replace("*", "iam") + ":*"
    document = json.dumps({"Statement": [{"Effect": "Allow", "Action": action, "Resource": resource}]})
    assert check("aws-iam-no-wildcard", "aws:iam/rolePolicy:RolePolicy", {"policy": document}) == [
        f"policy Statement[0] allows {action} on {json.dumps(resource)}"]


def test_service_star_on_named_resources_passes() -> None:
    document = json.dumps({"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::logs/*"}]})
    assert check("aws-iam-no-wildcard", "aws:iam/rolePolicy:RolePolicy", {"policy": document}) == []


MEMORYDB = {"numShards": 3, "numReplicasPerShard": 1, "snapshotRetentionLimit": 7}


def test_memorydb_ha() -> None:
    assert check("aws-redis-ha", aws.MEMORYDB, MEMORYDB) == []
    assert check("aws-redis-ha", aws.MEMORYDB, {**MEMORYDB, "numShards": 1.0, "numReplicasPerShard": 0}) == [
        "numShards is 1: 1 shard(s); need 3", "numReplicasPerShard is 0 (no replica per shard)"]
    assert check("aws-redis-ha", aws.MEMORYDB, {"numShards": 3}) == ["snapshotRetentionLimit is unset (no snapshot retention)"]


def test_redis_without_cluster_mode_counts_cache_clusters() -> None:
    found = check("aws-redis-ha", aws.REDIS, {"clusterMode": "disabled", "numCacheClusters": 1,
                                               "automaticFailoverEnabled": "true", "multiAzEnabled": True,
                                               "snapshotRetentionLimit": 1})
    assert found == ['clusterMode is "disabled" (cluster mode is not enabled)', "numNodeGroups is unset: 1 shard(s); need 3",
                     "replicasPerNodeGroup is 0 (no replica per shard)"]


@pytest.mark.parametrize(("replica", "named"), [
    ({"region": "eu-west-1"}, "replicas[0] (eu-west-1) has no customer-managed kmsKeyId"),
    ({"region": "eu-west-1", "kmsKeyId": "ALIAS/AWS/SECRETSMANAGER"}, "replicas[0] (eu-west-1) kmsKeyId ALIAS/AWS/"),
])
def test_secret_replica_region_keys(replica: dict[str, Any], named: str) -> None:
    found = check("aws-secrets-cmk", aws.SECRET, {"kmsKeyId": KEY, "replicas": [replica]})
    assert len(found) == 1 and found[0].startswith(named), found
    assert check("aws-secrets-cmk", aws.SECRET, {"kmsKeyId": KEY, "replicas": [{"region": "x", "kmsKeyId": KEY}]}) == []
