"""The whole stack of one environment, wired once: `__main__.py` and the tests both call `build`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi

from components import cache, cluster, database, edge
from components.app import Application, ApplicationArgs, AppNamespace, NamespaceArgs
from components.config import StackConfig
from components.edge.contract import EDGE_NAMESPACE, EDGE_POD_LABELS
from components.monitoring import Monitoring, MonitoringArgs
from components.platforms import implementation


@dataclass(frozen=True)
class Stack:
    """Every top-level component of a stack, for the exports and for tests that read their outputs."""

    config: StackConfig
    foundation: cluster.Foundation
    namespace: AppNamespace
    monitoring: Monitoring
    database: database.PostgresCluster
    cache: cache.RedisCluster
    app: Application
    proxy: edge.EdgeProxy
    front_door: edge.FrontDoor

    def exports(self) -> dict[str, Any]:
        """The stack outputs, by the names users and `ops` read."""
        return {
            "platform": self.config.platform.value,
            "activeSlot": self.app.outputs.active_slot.value,
            "canaryWeight": self.app.outputs.canary_weight,
            "publicHostname": self.front_door.public_hostname,
            "edgeAddress": self.proxy.outputs.address,
            "edgeConfigChecksum": self.proxy.outputs.config_checksum,
            "appNamespace": self.app.outputs.namespace,
            "databaseEndpoint": self.database.outputs.primary_host,
            "databaseReaderEndpoint": self.database.outputs.reader_host,
            "cacheEndpoint": self.cache.outputs.endpoint,
            "grafanaService": self.monitoring.outputs.grafana_service,
            "prometheusUrl": self.monitoring.outputs.prometheus_url,
            "kubeconfig": self.foundation.kubeconfig,
        }


def build(config: StackConfig) -> Stack:
    """Declare every component of the stack in dependency order."""
    foundation = implementation(cluster.Foundation, config.platform)("cluster", cluster.FoundationArgs(config=config))
    on_cluster = pulumi.ResourceOptions(providers=[foundation.k8s_provider])

    namespace = AppNamespace("app-namespace", NamespaceArgs(config=config), opts=on_cluster)
    # Monitoring first: it installs the CRDs the other components' monitors are made of.
    monitoring = Monitoring(
        "monitoring",
        MonitoringArgs(config=config, app_namespace=namespace.name, edge_namespace=EDGE_NAMESPACE, foundation=foundation),
        opts=on_cluster,
    )

    data_args: dict[str, Any] = {
        "config": config,
        "foundation": foundation,
        "app_namespace": namespace.name,
        "monitoring_crds": monitoring.outputs.crds,
    }
    db = implementation(database.PostgresCluster, config.platform)(
        "database", database.DatabaseArgs(**data_args), opts=on_cluster)
    redis = implementation(cache.RedisCluster, config.platform)("cache", cache.CacheArgs(**data_args), opts=on_cluster)

    app = Application(
        "app",
        ApplicationArgs(
            config=config,
            namespace=namespace.name,
            database=db.outputs,
            cache=redis.outputs,
            edge_namespace=EDGE_NAMESPACE,
            edge_pod_labels=EDGE_POD_LABELS,
            monitoring_namespace=config.monitoring.namespace,
        ),
        opts=on_cluster,
    )

    front_door_class = implementation(edge.FrontDoor, config.platform)
    proxy = edge.EdgeProxy(
        "edge", edge.EdgeArgs(config=config, app=app.outputs, exposure=front_door_class.exposure(config)), opts=on_cluster)
    front_door = front_door_class(
        "front-door", edge.FrontDoorArgs(config=config, foundation=foundation, edge=proxy.outputs), opts=on_cluster
    )
    return Stack(config=config, foundation=foundation, namespace=namespace, monitoring=monitoring, database=db,
                 cache=redis, app=app, proxy=proxy, front_door=front_door)
