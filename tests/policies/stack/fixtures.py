"""Stack-level rules: blue/green consistency between the slots, the root outputs and the HAProxy weights;
stateful resources protected."""

from __future__ import annotations

from tests.policies.aws.rule_fixtures import rds
from tests.policies.conftest import resource, root
from tests.policies.fixtures import app_stack, cfg_replace, haproxy_configmap
from tests.policies.kubernetes.model import Fixture, bad, good

FIXTURES: list[Fixture] = [
    good("stack-blue-green-consistent", app_stack(), "stack-blue-green-consistent-good-1"),
    bad("stack-blue-green-consistent", app_stack(**{"app-green": None, "hpa-green": None, "pdb-green": None,
                                                       "svc-green": None}),
        "stack", "no Deployment for the green slot", "stack-blue-green-consistent-bad-2"),
    bad("stack-blue-green-consistent", app_stack(**{"root": root(activeSlot="blue", canaryWeight=25)}),
        "edge-config", "HAProxy weights are blue 100 / green 0", "stack-blue-green-consistent-bad-3"),
    good("stack-blue-green-consistent", app_stack(**{
        "root": root(activeSlot="blue", canaryWeight=25),
        "haproxy-config": haproxy_configmap(cfg_replace("weight 100", "weight 75", cfg_replace("weight 0", "weight 25")))}),
         "stack-blue-green-consistent-good-4"),
    good("stack-stateful-protected", rds(), "stack-stateful-protected-good-1"),
    bad("stack-stateful-protected", [resource("aws:kms/key:Key", "key", {"enableKeyRotation": True})],
        "key", "Key key is neither protected nor deletion-protected", "stack-stateful-protected-bad-2"),
    bad("stack-stateful-protected", [resource("kubernetes:core/v1:PersistentVolumeClaim", "data", {"spec": {}})],
        "data", "PersistentVolumeClaim data is neither protected nor deletion-protected", "stack-stateful-protected-bad-3"),
    bad("stack-stateful-protected", [resource("aws:elasticache/cluster:Cluster", "memcache", {"engine": "redis"})],
        "memcache", "Cluster memcache is neither protected nor deletion-protected", "stack-stateful-protected-cache-node"),
    bad("stack-stateful-protected", [resource("aws-native:rds:DbInstance", "native-db", {"deletionProtection": False})],
        "native-db", "DbInstance native-db is neither protected nor deletion-protected",
        "stack-stateful-protected-aws-native"),
    good("stack-stateful-protected", [resource("aws-native:rds:DbCluster", "native-cluster",
                                               {"deletionProtection": True})], "stack-stateful-protected-native-flag"),
]
