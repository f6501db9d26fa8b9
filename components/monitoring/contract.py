"""Inputs and outputs of the monitoring component, and the scrape contract other components meet."""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi

from components.cluster.contract import Foundation
from components.config import StackConfig
from components.conventions import COMPONENT_LABEL, NAME_LABEL, PROJECT

APP_SERVICE_LABELS = {NAME_LABEL: PROJECT, COMPONENT_LABEL: "api"}
"""Labels of the slot Services `orchestrator-blue`/`orchestrator-green`; each also carries `slot`."""
APP_METRICS_PORT = "http"
EDGE_SERVICE_LABELS = {NAME_LABEL: "haproxy"}
EDGE_METRICS_PORT = "metrics"
"""HAProxy's built-in Prometheus exporter (8405) on the edge Service."""
JOB_LABEL = NAME_LABEL
"""The Service label Prometheus uses as `job`: the rules select job="orchestrator" / job="haproxy"."""


@dataclass(frozen=True, kw_only=True)
class MonitoringArgs:
    """Monitoring comes up before the workloads it watches: monitors only name their namespaces."""

    config: StackConfig
    app_namespace: pulumi.Input[str]
    edge_namespace: pulumi.Input[str]
    foundation: Foundation | None = None
    """The platform's foundation: the AWS and Azure log stores live in its network / resource group."""


@dataclass(frozen=True, kw_only=True)
class MonitoringOutputs:
    namespace: pulumi.Output[str]
    grafana_service: pulumi.Output[str]
    prometheus_url: pulumi.Output[str]
    """In-cluster Prometheus HTTP API base URL."""
    alertmanager_url: pulumi.Output[str] = field(default_factory=lambda: pulumi.Output.from_input(""))
    """In-cluster Alertmanager base URL."""
    dashboards: list[str] = field(default_factory=list)
    """Titles of the Grafana dashboards shipped as ConfigMaps."""
    alerts: list[str] = field(default_factory=list)
    """Names of the alerts installed on this platform."""
    collector_endpoint: str = ""
    """OTLP/HTTP address of the collector gateway ("" when tracing is off)."""
    jaeger_url: str = ""
    """In-cluster Jaeger UI / query API ("" when tracing is off)."""
    log_store: str = ""
    """`opensearch`, `log-analytics` or `loki` ("" when logs are off)."""
    crds: list[pulumi.Resource] = field(default_factory=list)
    """What installs the prometheus-operator CRDs: other components' PodMonitors/ServiceMonitors
    depend on these so a first `pulumi up` never creates a monitor before its kind exists."""


OTLP_GRPC_PORT = 4317
OTLP_HTTP_PORT = 4318
COLLECTOR_SERVICE = "otel-collector"
"""The collector gateway's Service (chart fullnameOverride): apps send OTLP here."""
COLLECTOR_POD_LABELS = {NAME_LABEL: "otel-collector"}
"""Labels the gateway's pods carry (chart nameOverride); NetworkPolicies select them."""
JAEGER_SERVICE = "jaeger"
PROMETHEUS_DATASOURCE_UID = "prometheus"
"""Grafana datasource uids the stack provisions (the log store's is `logs.LOGS_DATASOURCE_UID`)."""
JAEGER_DATASOURCE_UID = "jaeger"
EXEMPLAR_TRACE_ID_LABEL = "trace_id"
"""Exemplar label carrying the trace id: the Prometheus datasource links it to Jaeger."""
JAEGER_QUERY_PORT = 16686
SERVICE_NAME = PROJECT
"""OTEL_SERVICE_NAME of the app: the `service` of its traces and its log stream."""
