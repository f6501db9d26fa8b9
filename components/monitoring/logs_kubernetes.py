"""Plain Kubernetes: Loki in the monitoring namespace, single binary on a persistent volume.

Why Loki rather than Elastic: one pod in a few hundred MiB against Elasticsearch's multi-GiB heaps
and an operator; it indexes labels only (cheap at development volumes), accepts OTLP natively and is
Grafana's own log datasource; retention is a single setting enforced by its compactor.
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.charts import LOKI
from components.config import StackConfig
from components.monitoring.logs import LOGS_DATASOURCE_UID, SLOT_ATTRIBUTE, LogStore
from components.monitoring.tracing import hardened_container, hardened_pod

CHART = LOKI.chart
CHART_REPOSITORY = LOKI.repository
CHART_VERSION = LOKI.version
LOKI_VERSION = LOKI.app_version
SERVICE = "loki"
PORT = 3100


def loki_values(config: StackConfig) -> dict[str, Any]:
    logs = config.monitoring.logs
    storage: dict[str, Any] = {"size": f"{logs.kubernetes.storage_gb}Gi"}
    if config.monitoring.storage_class:
        storage["storageClass"] = config.monitoring.storage_class
    return {
        "deploymentMode": "SingleBinary",
        "fullnameOverride": SERVICE,
        "loki": {
            "auth_enabled": False,
            "commonConfig": {"replication_factor": 1},
            "storage": {"type": "filesystem"},
            "schemaConfig": {"configs": [{"from": "2024-04-01", "store": "tsdb", "object_store": "filesystem",
                                          "schema": "v13", "index": {"prefix": "loki_index_", "period": "24h"}}]},
            "limits_config": {"retention_period": f"{logs.retention_days * 24}h", "allow_structured_metadata": True},
            "compactor": {"retention_enabled": True, "delete_request_store": "filesystem"},
            "podSecurityContext": hardened_pod(),
            "containerSecurityContext": hardened_container(),
        },
        "singleBinary": {"replicas": 1, "persistence": {"enabled": True, **storage},
                         "resources": {"requests": {"cpu": "100m", "memory": "256Mi"}, "limits": {"memory": "1Gi"}}},
        "backend": {"replicas": 0}, "read": {"replicas": 0}, "write": {"replicas": 0},
        "chunksCache": {"enabled": False}, "resultsCache": {"enabled": False},
        "gateway": {"enabled": False}, "minio": {"enabled": False},
        "lokiCanary": {"enabled": False}, "test": {"enabled": False},
        "service": {"type": "ClusterIP"}, "ingress": {"enabled": False},
    }


def loki_store(name: str, config: StackConfig, namespace: pulumi.Input[str], parent: pulumi.Resource) -> LogStore:
    release = k8s.helm.v3.Release(
        f"{name}-loki",
        k8s.helm.v3.ReleaseArgs(
            name=SERVICE, chart=CHART, version=CHART_VERSION,
            repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=CHART_REPOSITORY),
            namespace=namespace, values=loki_values(config), cleanup_on_fail=True, max_history=10, timeout=600,
        ),
        opts=pulumi.ResourceOptions(parent=parent),
    )
    url = f"http://{SERVICE}.{config.monitoring.namespace}.svc:{PORT}"
    return LogStore(
        kind="loki",
        exporters={"otlphttp/loki": {"endpoint": f"{url}/otlp"}},
        datasource={"name": "Logs (Loki)", "uid": LOGS_DATASOURCE_UID, "type": "loki", "access": "proxy", "url": url},
        # Loki indexes k8s.namespace.name as a stream label; `slot` arrives as structured metadata.
        slot_logs_query={"queryType": "range",
                         "expr": f'{{k8s_namespace_name="{config.app.namespace}"}} | {SLOT_ATTRIBUTE}="$slot"'},
        ready=[release],
        endpoint=pulumi.Output.from_input(url),
    )
