"""Centralised logs: one log store per platform and one shipper everywhere.

The shipper is the OpenTelemetry Collector as a DaemonSet (`filelog` on /var/log/pods): the same
engine and the same redaction statements as the trace gateway, so one set of rules is tested once.
It adds Kubernetes metadata (`container` parser from the file path, `k8sattributes` for labels such
as `slot`), parses the app's JSON lines and drops credentials before anything leaves the node.

Stores: Amazon OpenSearch Service on AWS, Log Analytics on Azure, Loki in the cluster on plain
Kubernetes (see docs/logs.md for why Loki).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pulumi

from components.conventions import NAME_LABEL
from components.monitoring import redaction
from components.monitoring.tracing import (
    COLLECTOR_IMAGE,
    COLLECTOR_VERSION,
    HEALTH_PORT,
    OpenSearchAccess,
)

AGENT_RELEASE = "otel-log-agent"
AGENT_LABELS = {NAME_LABEL: "otel-log-agent"}
POD_LOGS = "/var/log/pods"


@dataclass(frozen=True)
class LogStore:
    """What the shipper and Grafana need from a platform's log store."""

    kind: str
    """`opensearch`, `log-analytics` or `loki`."""
    exporters: dict[str, Any]
    """Collector exporters (name -> config) of the logs pipeline."""
    extensions: dict[str, Any] = field(default_factory=dict)
    env: list[dict[str, Any]] = field(default_factory=list)
    """Agent container env (secretKeyRef only: no credential in values)."""
    datasource: dict[str, Any] = field(default_factory=dict)
    """Grafana datasource of the store (uid `logs`)."""
    grafana_env: dict[str, Any] = field(default_factory=dict)
    """Grafana env (`envValueFrom`) the datasource expands its secret from."""
    opensearch: OpenSearchAccess | None = None
    """AWS: the same domain keeps Jaeger's spans."""
    ready: list[pulumi.Resource] = field(default_factory=list)
    """Resources the shipper waits for (the store, the Secret with its credentials)."""
    endpoint: pulumi.Output[str] | None = None
    slot_logs_query: dict[str, Any] = field(default_factory=dict)
    """Grafana query (target, without refId/datasource) of the store's datasource for one slot's logs,
    `$slot` standing for the slot; values may be Outputs (the Azure workspace id)."""


LOGS_DATASOURCE_UID = "logs"
SLOT_ATTRIBUTE = "slot"
"""Resource attribute `k8sattributes` copies from the pod label: how a log record names its slot."""


def agent_config(store: LogStore) -> dict[str, Any]:
    return {
        "extensions": {"health_check": {"endpoint": f"${{env:MY_POD_IP}}:{HEALTH_PORT}"}, **store.extensions},
        "receivers": {
            "filelog": {
                "include": [f"{POD_LOGS}/*/*/*.log"],
                # Its own lines would loop through itself.
                "exclude": [f"{POD_LOGS}/*_{AGENT_RELEASE}-*/*/*.log"],
                "start_at": "end",
                "include_file_path": True,
                "include_file_name": False,
                "operators": [{"type": "container", "id": "container-parser"}],
            },
        },
        "processors": {
            "memory_limiter": {"check_interval": "1s", "limit_percentage": 80, "spike_limit_percentage": 20},
            "k8sattributes": {
                "auth_type": "serviceAccount",
                "filter": {"node_from_env_var": "K8S_NODE_NAME"},
                "extract": {
                    "metadata": ["k8s.namespace.name", "k8s.pod.name", "k8s.pod.uid", "k8s.deployment.name",
                                 "k8s.node.name", "k8s.container.name"],
                    "labels": [{"tag_name": SLOT_ATTRIBUTE, "key": "slot", "from": "pod"},
                               {"tag_name": "service.version", "key": "app.kubernetes.io/version", "from": "pod"},
                               {"tag_name": "app", "key": NAME_LABEL, "from": "pod"}],
                },
                "pod_association": [{"sources": [{"from": "resource_attribute", "name": "k8s.pod.uid"}]}],
            },
            "transform/redact": redaction.transform_processor("logs"),
            "batch": {"send_batch_size": 4096, "timeout": "5s"},
        },
        "exporters": store.exporters,
        "service": {
            "extensions": ["health_check", *store.extensions],
            "pipelines": {"logs": {
                "receivers": ["filelog"],
                "processors": ["memory_limiter", "k8sattributes", "transform/redact", "batch"],
                "exporters": list(store.exporters),
            }},
        },
    }


def agent_values(store: LogStore) -> dict[str, Any]:
    env = [{"name": "K8S_NODE_NAME", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}}, *store.env]
    return {
        "mode": "daemonset",
        "nameOverride": AGENT_LABELS[NAME_LABEL],
        "fullnameOverride": AGENT_RELEASE,
        "image": {"repository": COLLECTOR_IMAGE, "tag": COLLECTOR_VERSION},
        "command": {"name": "otelcol-contrib"},
        "alternateConfig": agent_config(store),
        # Nothing listens for traffic: the agent only reads files and pushes.
        "ports": {name: {"enabled": False} for name in (
            "otlp", "otlp-http", "jaeger-compact", "jaeger-thrift", "jaeger-grpc", "zipkin", "metrics")},
        "service": {"enabled": False},
        "ingress": {"enabled": False},
        "hostNetwork": False,
        "extraEnvs": env,
        "extraVolumes": [{"name": "pod-logs", "hostPath": {"path": POD_LOGS, "type": "Directory"}}],
        "extraVolumeMounts": [{"name": "pod-logs", "mountPath": POD_LOGS, "readOnly": True}],
        # Pod log files are root-owned (0640): the agent reads them as root, without any capability
        # or privilege escalation, on a read-only mount and a read-only root filesystem.
        "securityContext": {"runAsUser": 0, "runAsGroup": 0, "allowPrivilegeEscalation": False,
                            "readOnlyRootFilesystem": True, "capabilities": {"drop": ["ALL"]},
                            "seccompProfile": {"type": "RuntimeDefault"}},
        "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"memory": "512Mi"}},
        "clusterRole": {"create": True, "rules": [
            {"apiGroups": [""], "resources": ["pods", "namespaces", "nodes"], "verbs": ["get", "list", "watch"]},
            {"apiGroups": ["apps"], "resources": ["replicasets"], "verbs": ["get", "list", "watch"]},
        ]},
        "tolerations": [{"operator": "Exists", "effect": "NoSchedule"}],
        "networkPolicy": {"enabled": False},
    }
