"""orchestrator: the whole production stack of one environment, chosen by stack config."""

import pulumi

from components import cache, cluster, database, edge
from components.app import Application, ApplicationArgs, AppNamespace, NamespaceArgs
from components.config import load
from components.edge.contract import EDGE_NAMESPACE, EDGE_POD_LABELS
from components.monitoring import Monitoring, MonitoringArgs

config = load()

foundation = cluster.foundation_class(config.platform)("cluster", cluster.FoundationArgs(config=config))
on_cluster = pulumi.ResourceOptions(providers=[foundation.k8s_provider])

namespace = AppNamespace("app-namespace", NamespaceArgs(config=config), opts=on_cluster)
# Monitoring first: it installs the CRDs the other components' monitors are made of.
monitoring = Monitoring(
    "monitoring",
    MonitoringArgs(config=config, app_namespace=namespace.name, edge_namespace=EDGE_NAMESPACE, foundation=foundation),
    opts=on_cluster,
)

data_args = {
    "config": config,
    "foundation": foundation,
    "app_namespace": namespace.name,
    "monitoring_crds": monitoring.outputs.crds,
}
db = database.implementation(config.platform)("database", database.DatabaseArgs(**data_args), opts=on_cluster)
redis = cache.implementation(config.platform)("cache", cache.CacheArgs(**data_args), opts=on_cluster)

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

exposure, front_door_class = edge.front_door(config.platform)
proxy = edge.EdgeProxy("edge", edge.EdgeArgs(config=config, app=app.outputs, exposure=exposure(config)), opts=on_cluster)
front_door = front_door_class(
    "front-door", edge.FrontDoorArgs(config=config, foundation=foundation, edge=proxy.outputs), opts=on_cluster
)

pulumi.export("platform", config.platform.value)
pulumi.export("activeSlot", app.outputs.active_slot.value)
pulumi.export("canaryWeight", app.outputs.canary_weight)
pulumi.export("publicHostname", front_door.public_hostname)
pulumi.export("edgeAddress", proxy.outputs.address)
pulumi.export("edgeConfigChecksum", proxy.outputs.config_checksum)
pulumi.export("appNamespace", app.outputs.namespace)
pulumi.export("databaseEndpoint", db.outputs.primary_host)
pulumi.export("databaseReaderEndpoint", db.outputs.reader_host)
pulumi.export("cacheEndpoint", redis.outputs.endpoint)
pulumi.export("grafanaService", monitoring.outputs.grafana_service)
pulumi.export("prometheusUrl", monitoring.outputs.prometheus_url)
pulumi.export("kubeconfig", foundation.kubeconfig)
