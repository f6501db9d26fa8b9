"""The redis-operator RedisCluster on the `kubernetes` platform (the local stack)."""

from __future__ import annotations

import pytest

from components.cache.kubernetes import (
    CLUSTER_NAME,
    CONFIG_KEY,
    OPERATOR_NAMESPACE,
    PASSWORD_SECRET_KEY,
)
from components.charts import REDIS_OPERATOR
from offline.runner.export import is_secret
from tests.data.common import CHART, POD_MONITOR, PRODUCTION, REDIS_CLUSTER, children, manifest, secret_named, spec
from tests.helpers import find, one, plain, run_stack

CACHE_COMPONENT = "orchestrator:cache:OperatorRedis"
NAMESPACE = "orchestrator-cache"
PODS = ["orchestrator-redis-leader", "orchestrator-redis-follower"]


def test_three_masters_each_with_a_replica() -> None:
    result = run_stack("local")
    assert len(find(result, REDIS_CLUSTER)) == 1
    cluster = spec(result, REDIS_CLUSTER)
    assert cluster["clusterSize"] == 3
    assert cluster["redisLeader"]["replicas"] == 3
    assert cluster["redisFollower"]["replicas"] == 3


def test_replicas_per_shard_scale_the_followers() -> None:
    cluster = spec(run_stack("local", "cache.replicasPerShard=2"), REDIS_CLUSTER)
    assert (cluster["clusterSize"], cluster["redisFollower"]["replicas"]) == (3, 6)


def test_tls_uses_a_declared_secret_with_every_file() -> None:
    result = run_stack("local")
    tls = spec(result, REDIS_CLUSTER)["TLS"]
    secret = manifest(secret_named(result, NAMESPACE, tls["secret"]["secretName"]))
    assert secret["type"] == "kubernetes.io/tls"
    assert {tls["ca"], tls["cert"], tls["key"]} == set(secret["stringData"]) == {"ca.crt", "tls.crt", "tls.key"}
    config = manifest(one(result, "kubernetes:core/v1:ConfigMap", "cache-config"))
    assert 'tls-protocols "TLSv1.2 TLSv1.3"' in config["data"][CONFIG_KEY]


def test_password_auth_from_a_generated_secret() -> None:
    result = run_stack("local")
    reference = spec(result, REDIS_CLUSTER)["kubernetesConfig"]["redisSecret"]
    assert reference["key"] == PASSWORD_SECRET_KEY
    auth = secret_named(result, NAMESPACE, reference["name"])
    assert is_secret(auth.inputs["stringData"])
    password = one(result, "random:index/randomPassword:RandomPassword", "cache-password")
    assert plain(auth.inputs)["stringData"] == {PASSWORD_SECRET_KEY: plain(password.outputs["result"])}
    assert password.urn in auth.property_dependencies["stringData"]


def test_persistence_on_volumes_from_config() -> None:
    result = run_stack("local")
    cluster = spec(result, REDIS_CLUSTER)
    assert cluster["persistenceEnabled"] is True
    storage = cluster["storage"]
    assert storage["keepAfterDelete"] is True and storage["nodeConfVolume"] is True
    claim = storage["volumeClaimTemplate"]["spec"]
    assert claim["resources"]["requests"]["storage"] == "2Gi" and claim["storageClassName"] == "standard"
    config = manifest(one(result, "kubernetes:core/v1:ConfigMap", "cache-config"))
    assert cluster["redisConfig"] == {"additionalRedisConfig": config["metadata"]["name"]}
    assert "appendonly yes" in config["data"][CONFIG_KEY].splitlines()


@pytest.mark.parametrize(("overrides", "required"), [((), False), (PRODUCTION, True)])
def test_anti_affinity_per_role(overrides: tuple[str, ...], required: bool) -> None:
    cluster = spec(run_stack("local", *overrides), REDIS_CLUSTER)
    for role, app in (("redisLeader", PODS[0]), ("redisFollower", PODS[1])):
        anti = cluster[role]["affinity"]["podAntiAffinity"]
        own = {"labelSelector": {"matchLabels": {"app": app}}, "topologyKey": "kubernetes.io/hostname"}
        if required:
            assert anti["requiredDuringSchedulingIgnoredDuringExecution"] == [own]
        else:
            assert "requiredDuringSchedulingIgnoredDuringExecution" not in anti
            assert {"weight": 100, "podAffinityTerm": own} in anti["preferredDuringSchedulingIgnoredDuringExecution"]
        assert cluster[role]["topologySpreadConstraints"][0]["topologyKey"] == "topology.kubernetes.io/zone"
        assert cluster[role]["pdb"] == {"enabled": True, "maxUnavailable": 1}


def test_exporter_and_pod_monitor() -> None:
    result = run_stack("local")
    exporter = spec(result, REDIS_CLUSTER)["redisExporter"]
    assert exporter["enabled"] is True and exporter["port"] == 9121
    assert exporter["image"] == "quay.io/opstree/redis-exporter:v1.44.0"
    (monitor,) = [manifest(r) for r in find(result, POD_MONITOR) if r.parent.endswith("::cache")]
    assert monitor["spec"]["selector"] == {"matchExpressions": [{"key": "app", "operator": "In", "values": PODS}]}
    assert monitor["spec"]["podMetricsEndpoints"][0]["port"] == "redis-exporter"


def test_containers_run_unprivileged() -> None:
    cluster = spec(run_stack("local"), REDIS_CLUSTER)
    assert cluster["podSecurityContext"]["runAsNonRoot"] is True
    for block in (cluster["redisLeader"], cluster["redisFollower"], cluster["redisExporter"]):
        context = block["securityContext"]
        assert context["allowPrivilegeEscalation"] is False and context["capabilities"] == {"drop": ["ALL"]}


def test_operator_chart_is_pinned_and_precedes_the_cluster() -> None:
    result = run_stack("local")
    chart = one(result, CHART, "cache-operator")
    inputs = plain(chart.inputs)
    expected = (REDIS_OPERATOR.chart, REDIS_OPERATOR.version, OPERATOR_NAMESPACE)
    assert (inputs["chart"], inputs["version"], inputs["namespace"]) == expected
    assert chart.urn in one(result, REDIS_CLUSTER).dependencies


def test_stateful_resources_are_protected_in_production_only() -> None:
    stateful_types = {
        REDIS_CLUSTER, CHART, "kubernetes:core/v1:Namespace", "random:index/randomPassword:RandomPassword",
        "tls:index/privateKey:PrivateKey", "tls:index/selfSignedCert:SelfSignedCert",
    }
    production = children(run_stack("local", *PRODUCTION), CACHE_COMPONENT)
    stateful = [r for r in production if r.type in stateful_types or r.name in {"cache-auth", "cache-server-tls"}]
    assert len(stateful) == 9
    assert [r.name for r in stateful if not r.protect] == []
    assert [r.name for r in children(run_stack("local"), CACHE_COMPONENT) if r.protect] == []


def test_endpoint_is_the_leader_service() -> None:
    assert run_stack("local").outputs["cacheEndpoint"] == f"{CLUSTER_NAME}-leader.{NAMESPACE}.svc"
