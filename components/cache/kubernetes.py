"""The `kubernetes` platform's Redis: an OT-Container-Kit redis-operator `RedisCluster`.

Three masters (`cache.shards`), each with `cache.replicasPerShard` replicas, TLS on client and
cluster-bus traffic, password auth from a generated secret, AOF persistence on volumes, and the
redis_exporter sidecar. The operator names its Services after the CR (`<cluster>-leader`, ...) and
labels its pods `app=<cluster>-leader|follower`, so nothing is read back from the provider.
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import pulumi_random as random

from components.cache.contract import (
    CacheArgs,
    RedisCluster,
    RedisOutputs,
    credentials_secret,
)
from components.charts import REDIS_OPERATOR
from components.config import StackConfig
from components.conventions import PART_OF
from components.operators import (
    OPERATOR_METRICS_PORT,
    data_namespace,
    ingress_policy,
    ingress_rule,
    namespace_peer,
    operator_chart,
    operator_namespace,
    pod_monitor,
    restricted_operator_values,
    secret_text,
    self_signed_tls,
    service_hosts,
)

OPERATOR_NAMESPACE = "redis-operator"
CLUSTER_NAME = "orchestrator-redis"
REDIS_PORT = 6379
BUS_PORT = 16379
EXPORTER_PORT = 9121
PASSWORD_SECRET_KEY = "password"
CONFIG_KEY = "redis-additional.conf"
REDIS_UID = 1000
"""The opstree Redis image runs as this user; volumes are group-owned by it."""
ROLES = ("leader", "follower")


def pod_apps(cluster: str) -> list[str]:
    """Values of the `app` label the operator puts on the cluster's pods."""
    return [f"{cluster}-{role}" for role in ROLES]


class OperatorRedis(RedisCluster):
    """redis-operator + a `RedisCluster` with `cache.shards` masters."""

    def __init__(self, name: str, args: CacheArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(name, args, opts)
        config = args.config
        cache = config.cache
        namespace = cache.kubernetes.namespace
        child = pulumi.ResourceOptions(parent=self)
        stateful = pulumi.ResourceOptions(parent=self, protect=config.is_production)

        redis_pods = {**namespace_peer(namespace),
                      "podSelector": {"matchExpressions": [{"key": "app", "operator": "In", "values": pod_apps(CLUSTER_NAME)}]}}
        operator_ns = operator_namespace(
            f"{name}-operator-namespace", OPERATOR_NAMESPACE, parent=self, opts=stateful,
            # The operator forms and heals the cluster by talking Redis to every node.
            egress=[{"to": [redis_pods], "ports": [{"protocol": "TCP", "port": REDIS_PORT}]}],
            ingress=[ingress_rule([namespace_peer(config.monitoring.namespace)], [OPERATOR_METRICS_PORT])],
        )
        operator = operator_chart(
            f"{name}-operator",
            pin=REDIS_OPERATOR,
            namespace=operator_ns.metadata.name,
            # The chart ships empty security contexts, which `restricted` refuses.
            values={"redisOperator": {"imagePullPolicy": "IfNotPresent"}, **restricted_operator_values()},
            # Removing the chart removes the CRDs and with them the RedisCluster: protected like the data.
            opts=pulumi.ResourceOptions.merge(stateful, pulumi.ResourceOptions(depends_on=[operator_ns])),
        )

        data_ns = data_namespace(f"{name}-namespace", namespace, self, stateful)
        ns_name = data_ns.metadata.name

        password = random.RandomPassword(
            f"{name}-password", length=32, special=False, min_lower=4, min_upper=4, min_numeric=4, opts=stateful
        )
        secret_password = secret_text(password.result)

        leader_service = f"{CLUSTER_NAME}-leader"
        dns_names = [
            *service_hosts(leader_service, namespace),
            *service_hosts(f"{CLUSTER_NAME}-follower", namespace),
            # Pods address each other through the headless services.
            *(f"*.{app}-headless.{namespace}.svc" for app in pod_apps(CLUSTER_NAME)),
            *(f"*.{app}-headless.{namespace}.svc.cluster.local" for app in pod_apps(CLUSTER_NAME)),
        ]
        key, cert = self_signed_tls(name, leader_service, dns_names, stateful)

        auth = k8s.core.v1.Secret(
            f"{name}-auth",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=f"{CLUSTER_NAME}-auth", namespace=ns_name, labels=dict(PART_OF)),
            type="Opaque",
            string_data={PASSWORD_SECRET_KEY: secret_password},
            opts=stateful,
        )
        server_tls = k8s.core.v1.Secret(
            f"{name}-server-tls",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=f"{CLUSTER_NAME}-tls", namespace=ns_name, labels=dict(PART_OF)),
            type="kubernetes.io/tls",
            string_data={
                "ca.crt": cert.cert_pem,
                "tls.crt": cert.cert_pem,
                "tls.key": secret_text(key.private_key_pem),
            },
            opts=stateful,
        )
        redis_config = k8s.core.v1.ConfigMap(
            f"{name}-config",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=f"{CLUSTER_NAME}-config", namespace=ns_name, labels=dict(PART_OF)),
            # AOF on top of the operator's RDB snapshots: at most a second of writes lost on a crash.
            data={CONFIG_KEY: "appendonly yes\nappendfsync everysec\ntls-protocols \"TLSv1.2 TLSv1.3\"\n"},
            opts=child,
        )

        cluster = k8s.apiextensions.CustomResource(
            f"{name}-cluster",
            api_version="redis.redis.opstreelabs.in/v1beta2",
            kind="RedisCluster",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=CLUSTER_NAME, namespace=ns_name, labels=dict(PART_OF)),
            spec=redis_cluster_spec(
                config,
                password_secret=auth.metadata.name,
                tls_secret=server_tls.metadata.name,
                config_map=redis_config.metadata.name,
            ),
            opts=pulumi.ResourceOptions.merge(stateful, pulumi.ResourceOptions(depends_on=[operator])),
        )

        pods = {"matchExpressions": [{"key": "app", "operator": "In", "values": pod_apps(CLUSTER_NAME)}]}
        if config.monitoring.enabled:
            pod_monitor(
                f"{name}-pod-monitor",
                name=CLUSTER_NAME,
                namespace=ns_name,
                selector=pods,
                port="redis-exporter",
                opts=pulumi.ResourceOptions.merge(
                    child, pulumi.ResourceOptions(depends_on=[cluster, *args.monitoring_crds])
                ),
            )

        ingress_policy(
            f"{name}-ingress",
            name=f"{CLUSTER_NAME}-ingress",
            namespace=ns_name,
            pod_selector=pods,
            rules=[
                ingress_rule([namespace_peer(args.app_namespace)], [REDIS_PORT]),
                # Replication and the cluster bus between the nodes.
                ingress_rule([{"podSelector": pods}], [REDIS_PORT, BUS_PORT]),
                ingress_rule([namespace_peer(OPERATOR_NAMESPACE)], [REDIS_PORT]),
                ingress_rule([namespace_peer(config.monitoring.namespace)], [EXPORTER_PORT]),
            ],
            opts=child,
        )

        endpoint = f"{leader_service}.{namespace}.svc"
        credentials = credentials_secret(
            name, namespace=args.app_namespace, host=endpoint, port=REDIS_PORT, password=secret_password,
            ca_cert=cert.cert_pem, opts=child,
        )

        self.cluster_name = CLUSTER_NAME
        self.namespace = namespace
        self.outputs = RedisOutputs(
            endpoint=pulumi.Output.from_input(endpoint),
            port=pulumi.Output.from_input(REDIS_PORT),
            tls=pulumi.Output.from_input(True),
            credentials_secret=credentials.metadata.name,
            egress_peers=pulumi.Output.from_input([{**namespace_peer(namespace), "podSelector": pods}]),
        )
        self.register_outputs(self.outputs.registered())


def _anti_affinity(app: str, required: bool) -> dict[str, Any]:
    """Pods of one role on distinct nodes; leaders and followers apart where possible."""
    own = {"labelSelector": {"matchLabels": {"app": app}}, "topologyKey": "kubernetes.io/hostname"}
    any_node = {
        "weight": 50,
        "podAffinityTerm": {
            "labelSelector": {"matchExpressions": [{"key": "app", "operator": "In", "values": pod_apps(CLUSTER_NAME)}]},
            "topologyKey": "kubernetes.io/hostname",
        },
    }
    if required:
        return {"podAntiAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": [own],
            "preferredDuringSchedulingIgnoredDuringExecution": [any_node],
        }}
    preferred = [{"weight": 100, "podAffinityTerm": own}, any_node]
    return {"podAntiAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": preferred}}


def _role(config: StackConfig, app: str, replicas: int) -> dict[str, Any]:
    return {
        "replicas": replicas,
        "affinity": _anti_affinity(app, required=config.is_production),
        "topologySpreadConstraints": [{
            "maxSkew": 1,
            "topologyKey": "topology.kubernetes.io/zone",
            "whenUnsatisfiable": "ScheduleAnyway",
            "labelSelector": {"matchLabels": {"app": app}},
        }],
        "pdb": {"enabled": True, "maxUnavailable": 1},
        "securityContext": _container_security(),
    }


def _container_security() -> dict[str, Any]:
    return {
        "allowPrivilegeEscalation": False,
        "capabilities": {"drop": ["ALL"]},
        "runAsNonRoot": True,
        "runAsUser": REDIS_UID,
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def redis_cluster_spec(
    config: StackConfig,
    *,
    password_secret: pulumi.Input[str],
    tls_secret: pulumi.Input[str],
    config_map: pulumi.Input[str],
) -> dict[str, Any]:
    """The `RedisCluster` spec (validated against schemas/redis-operator/rediscluster.schema.json)."""
    cache = config.cache
    resources = {
        "requests": {"cpu": cache.kubernetes.cpu, "memory": cache.kubernetes.memory},
        "limits": {"cpu": cache.kubernetes.cpu, "memory": cache.kubernetes.memory},
    }
    claim: dict[str, Any] = {
        "accessModes": ["ReadWriteOnce"],
        "resources": {"requests": {"storage": f"{cache.kubernetes.storage_gb}Gi"}},
    }
    node_conf_claim: dict[str, Any] = {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}
    if cache.kubernetes.storage_class:
        claim["storageClassName"] = cache.kubernetes.storage_class
        node_conf_claim["storageClassName"] = cache.kubernetes.storage_class
    leader, follower = pod_apps(CLUSTER_NAME)
    return {
        "clusterSize": cache.shards,
        "clusterVersion": "v7",
        "port": REDIS_PORT,
        "persistenceEnabled": True,
        "kubernetesConfig": {
            "image": cache.kubernetes.image,
            "imagePullPolicy": "IfNotPresent",
            "resources": resources,
            "redisSecret": {"name": password_secret, "key": PASSWORD_SECRET_KEY},
        },
        "redisConfig": {"additionalRedisConfig": config_map},
        "redisLeader": _role(config, leader, cache.shards),
        "redisFollower": _role(config, follower, cache.shards * cache.replicas_per_shard),
        "redisExporter": {
            "enabled": True,
            "image": cache.kubernetes.exporter_image,
            "imagePullPolicy": "IfNotPresent",
            "port": EXPORTER_PORT,
            "resources": {"requests": {"cpu": "50m", "memory": "64Mi"}, "limits": {"cpu": "100m", "memory": "128Mi"}},
            "securityContext": _container_security(),
        },
        "storage": {
            # The volumes outlive the CR: deleting the cluster object never deletes the data.
            "keepAfterDelete": True,
            "volumeClaimTemplate": {"spec": claim},
            "nodeConfVolume": True,
            "nodeConfVolumeClaimTemplate": {"spec": node_conf_claim},
        },
        "podSecurityContext": {
            "runAsNonRoot": True,
            "runAsUser": REDIS_UID,
            "fsGroup": REDIS_UID,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "TLS": {"ca": "ca.crt", "cert": "tls.crt", "key": "tls.key", "secret": {"secretName": tls_secret}},
    }
