"""Tracing: the OpenTelemetry Collector gateway the app sends OTLP to, and Jaeger v2 behind it.

The gateway drops what must never be stored (`redaction`), samples per stack (head: the SDKs keep a
share; tail: the collector keeps every error and slow trace and a share of the rest) and exports
to Jaeger over OTLP. Both are Helm releases (helm.v3: their objects are invisible to CrossGuard, so
the pack reads these values). Tail sampling needs a whole trace on one replica: the gateway's first
pipeline only redacts and fans spans out by trace id (`loadbalancing` exporter over a headless
Service) to the second pipeline, which samples.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pulumi

from components.charts import JAEGER, OPENTELEMETRY_COLLECTOR
from components.config import Environment, Platform, StackConfig
from components.conventions import NAME_LABEL
from components.monitoring import redaction
from components.monitoring.contract import (
    COLLECTOR_POD_LABELS,
    COLLECTOR_SERVICE,
    JAEGER_QUERY_PORT,
    JAEGER_SERVICE,
    OTLP_GRPC_PORT,
    OTLP_HTTP_PORT,
)

COLLECTOR_CHART = OPENTELEMETRY_COLLECTOR.chart
COLLECTOR_CHART_REPOSITORY = OPENTELEMETRY_COLLECTOR.repository
COLLECTOR_CHART_VERSION = OPENTELEMETRY_COLLECTOR.version
COLLECTOR_IMAGE = "otel/opentelemetry-collector-contrib"
COLLECTOR_VERSION = OPENTELEMETRY_COLLECTOR.app_version
"""The chart's appVersion; contrib carries transform, tail_sampling, loadbalancing, k8sattributes, filelog."""
JAEGER_CHART = JAEGER.chart
JAEGER_CHART_REPOSITORY = JAEGER.repository
JAEGER_CHART_VERSION = JAEGER.version
JAEGER_VERSION = JAEGER.app_version
SAMPLING_PORT = 4319
"""Second OTLP receiver of the gateway: spans already routed by trace id, for tail sampling."""
HEALTH_PORT = 13133
COLLECTOR_HEADLESS = f"{COLLECTOR_SERVICE}-sampling"
BADGER_DIR = "/badger"
BADGER_CLAIM = "jaeger-badger"
NON_ROOT_UID = 10001


def storage_kind(config: StackConfig) -> str:
    tracing = config.monitoring.tracing
    if tracing.storage is not None:
        return tracing.storage
    if config.environment is Environment.DEVELOPMENT:
        return "memory"
    if config.platform is Platform.AWS and config.monitoring.logs.enabled:
        return "opensearch"
    return "badger"


def hardened_container() -> dict[str, Any]:
    return {
        "runAsNonRoot": True,
        "runAsUser": NON_ROOT_UID,
        "runAsGroup": NON_ROOT_UID,
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def hardened_pod() -> dict[str, Any]:
    return {"runAsNonRoot": True, "runAsUser": NON_ROOT_UID, "runAsGroup": NON_ROOT_UID, "fsGroup": NON_ROOT_UID,
            "seccompProfile": {"type": "RuntimeDefault"}}


def _listen(port: int) -> str:
    return f"${{env:MY_POD_IP}}:{port}"


def sampling_processor(config: StackConfig) -> dict[str, Any]:
    sampling = config.monitoring.tracing.sampling
    return {
        "decision_wait": "10s",
        "num_traces": 100_000,
        "expected_new_traces_per_sec": 1_000,
        # A trace is kept when any policy keeps it: errors and slow traces always, a share of the rest.
        "policies": [
            {"name": "errors", "type": "status_code", "status_code": {"status_codes": ["ERROR"]}},
            {"name": "slow", "type": "latency", "latency": {"threshold_ms": sampling.latency_threshold_ms}},
            {"name": "share", "type": "probabilistic", "probabilistic": {"sampling_percentage": sampling.percentage}},
        ],
    }


def gateway_config(config: StackConfig, namespace: str) -> dict[str, Any]:
    """The gateway collector's whole configuration (the chart's `alternateConfig`: nothing merged in)."""
    tail = config.monitoring.tracing.sampling.mode == "tail"
    jaeger = f"{JAEGER_SERVICE}.{namespace}.svc:{OTLP_GRPC_PORT}"
    receivers: dict[str, Any] = {
        "otlp": {"protocols": {"grpc": {"endpoint": _listen(OTLP_GRPC_PORT)}, "http": {"endpoint": _listen(OTLP_HTTP_PORT)}}},
    }
    processors: dict[str, Any] = {
        "memory_limiter": {"check_interval": "1s", "limit_percentage": 80, "spike_limit_percentage": 20},
        "transform/redact": redaction.transform_processor("traces"),
        "batch": {"send_batch_size": 8192, "send_batch_max_size": 16384, "timeout": "5s"},
    }
    exporters: dict[str, Any] = {
        # In-cluster hop inside the monitoring namespace, fenced by NetworkPolicy; Jaeger serves no TLS here.
        "otlp/jaeger": {"endpoint": jaeger, "tls": {"insecure": True},
                        "sending_queue": {"enabled": True, "queue_size": 5000}, "retry_on_failure": {"enabled": True}},
    }
    pipelines: dict[str, Any] = {}
    if tail:
        receivers["otlp/sampling"] = {"protocols": {"grpc": {"endpoint": _listen(SAMPLING_PORT)}}}
        processors["tail_sampling"] = sampling_processor(config)
        exporters["loadbalancing"] = {
            "routing_key": "traceID",
            "protocol": {"otlp": {"tls": {"insecure": True}, "timeout": "5s"}},
            "resolver": {"dns": {"hostname": f"{COLLECTOR_HEADLESS}.{namespace}.svc", "port": SAMPLING_PORT}},
        }
        pipelines["traces"] = {"receivers": ["otlp"], "processors": ["memory_limiter", "transform/redact"],
                               "exporters": ["loadbalancing"]}
        pipelines["traces/sampled"] = {"receivers": ["otlp/sampling"],
                                       "processors": ["memory_limiter", "tail_sampling", "batch"],
                                       "exporters": ["otlp/jaeger"]}
    else:
        pipelines["traces"] = {"receivers": ["otlp"], "processors": ["memory_limiter", "transform/redact", "batch"],
                               "exporters": ["otlp/jaeger"]}
    return {
        "extensions": {"health_check": {"endpoint": _listen(HEALTH_PORT)}},
        "receivers": receivers,
        "processors": processors,
        "exporters": exporters,
        "service": {
            "extensions": ["health_check"],
            "pipelines": pipelines,
            "telemetry": {"metrics": {"readers": [{"pull": {"exporter": {"prometheus": {
                "host": "${env:MY_POD_IP}", "port": 8888}}}}]}},
        },
    }


def _only_otlp_ports() -> dict[str, Any]:
    """The chart opens Jaeger/Zipkin ports by default: the gateway listens for OTLP only."""
    closed = {name: {"enabled": False} for name in ("jaeger-compact", "jaeger-thrift", "jaeger-grpc", "zipkin")}
    return {
        **closed,
        "otlp": {"enabled": True, "containerPort": OTLP_GRPC_PORT, "servicePort": OTLP_GRPC_PORT, "protocol": "TCP",
                 "appProtocol": "grpc"},
        "otlp-http": {"enabled": True, "containerPort": OTLP_HTTP_PORT, "servicePort": OTLP_HTTP_PORT, "protocol": "TCP"},
        "sampling": {"enabled": True, "containerPort": SAMPLING_PORT, "servicePort": SAMPLING_PORT, "protocol": "TCP"},
        "metrics": {"enabled": True, "containerPort": 8888, "servicePort": 8888, "protocol": "TCP"},
    }


def gateway_values(config: StackConfig, namespace: str) -> dict[str, Any]:
    tracing = config.monitoring.tracing
    return {
        "mode": "deployment",
        "nameOverride": COLLECTOR_POD_LABELS[NAME_LABEL],
        "fullnameOverride": COLLECTOR_SERVICE,
        "image": {"repository": COLLECTOR_IMAGE, "tag": COLLECTOR_VERSION},
        "command": {"name": "otelcol-contrib"},
        "replicaCount": tracing.collector_replicas,
        "alternateConfig": gateway_config(config, namespace),
        "ports": _only_otlp_ports(),
        # Never reachable from outside the cluster: a ClusterIP Service, no Ingress, no host ports.
        "service": {"type": "ClusterIP"},
        "ingress": {"enabled": False},
        "hostNetwork": False,
        "podSecurityContext": hardened_pod(),
        "securityContext": hardened_container(),
        "resources": {"requests": {"cpu": "200m", "memory": "256Mi"}, "limits": {"memory": "1Gi"}},
        "useGOMEMLIMIT": True,
        "podDisruptionBudget": {"enabled": tracing.collector_replicas > 1, "minAvailable": 1},
        "topologySpreadConstraints": [{
            "maxSkew": 1, "topologyKey": "topology.kubernetes.io/zone", "whenUnsatisfiable": "ScheduleAnyway",
            "labelSelector": {"matchLabels": dict(COLLECTOR_POD_LABELS)},
        }],
        "serviceMonitor": {"enabled": True},
        "networkPolicy": {"enabled": False},
    }


@dataclass(frozen=True)
class TraceStore:
    """Where Jaeger keeps spans, with what it needs from the log store on AWS."""

    kind: str
    backend: dict[str, Any]
    env: list[dict[str, Any]] = field(default_factory=list)
    volumes: list[dict[str, Any]] = field(default_factory=list)
    mounts: list[dict[str, Any]] = field(default_factory=list)


def trace_store(config: StackConfig, opensearch: OpenSearchAccess | None) -> TraceStore:
    kind = storage_kind(config)
    retention = f"{config.monitoring.tracing.retention_days * 24}h"
    if kind == "opensearch":
        if opensearch is None:
            raise ValueError("Jaeger on OpenSearch needs the AWS log domain (monitoring.logs.enabled)")
        return TraceStore(
            kind,
            {"opensearch": {
                "server_urls": [opensearch.url],
                "tls": {"insecure": False},
                # `${NAME}`: the collector's default `env` scheme, filled from secretKeyRef env (no literal).
                "auth": {"basic": {"username": "${OPENSEARCH_USERNAME}", "password": "${OPENSEARCH_PASSWORD}"}},
                "indices": {"index_prefix": "jaeger", "spans": {"date_layout": "2006-01-02", "rollover_frequency": "day",
                                                               "shards": 3, "replicas": 1}},
            }},
            env=opensearch.env,
        )
    if kind == "badger":
        return TraceStore(
            kind,
            {"badger": {"directories": {"keys": f"{BADGER_DIR}/keys", "values": f"{BADGER_DIR}/values"},
                        "ephemeral": False, "ttl": {"spans": retention}}},
            volumes=[{"name": "badger", "persistentVolumeClaim": {"claimName": BADGER_CLAIM}}],
            mounts=[{"name": "badger", "mountPath": BADGER_DIR}],
        )
    return TraceStore(kind, {"memory": {"max_traces": 100_000}})


@dataclass(frozen=True)
class OpenSearchAccess:
    """How in-cluster clients reach the AWS log domain: its URL and the env that carries credentials."""

    url: pulumi.Input[str]
    env: list[dict[str, Any]]


def jaeger_config(store: TraceStore) -> dict[str, Any]:
    return {
        "service": {
            "extensions": ["jaeger_storage", "jaeger_query", "healthcheckv2"],
            "pipelines": {"traces": {"receivers": ["otlp"], "processors": ["batch"], "exporters": ["jaeger_storage_exporter"]}},
        },
        "extensions": {
            "healthcheckv2": {"use_v2": True, "http": {"endpoint": "0.0.0.0:13133"}},
            "jaeger_query": {"storage": {"traces": "primary"}, "http": {"endpoint": f"0.0.0.0:{JAEGER_QUERY_PORT}"}},
            "jaeger_storage": {"backends": {"primary": store.backend}},
        },
        "receivers": {"otlp": {"protocols": {"grpc": {"endpoint": f"0.0.0.0:{OTLP_GRPC_PORT}"}}}},
        "processors": {"batch": {}},
        "exporters": {"jaeger_storage_exporter": {"trace_storage": "primary"}},
    }


def jaeger_values(store: TraceStore) -> dict[str, Any]:
    return {
        "fullnameOverride": JAEGER_SERVICE,
        "userconfig": jaeger_config(store),
        "jaeger": {
            # badger and memory are single-writer stores: one replica (OpenSearch could take more).
            "replicas": 1,
            "image": {"repository": "jaegertracing/jaeger", "tag": JAEGER_VERSION},
            "service": {"type": "ClusterIP"},
            "ingress": {"enabled": False},
            "serviceAccount": {"automountServiceAccountToken": False},
            "podSecurityContext": hardened_pod(),
            "securityContext": hardened_container(),
            "resources": {"requests": {"cpu": "100m", "memory": "256Mi"}, "limits": {"memory": "1Gi"}},
            "extraEnv": store.env,
            "extraVolumes": store.volumes,
            "extraVolumeMounts": store.mounts,
        },
        "networkPolicy": {"enabled": False},
    }
