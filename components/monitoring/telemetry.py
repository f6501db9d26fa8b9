"""The OpenTelemetry SDK environment of the app's pods: where to send, what to sample, who is speaking.

`service.version` is the slot's image tag and `orchestrator.slot` its slot, so during a canary the
two slots' traces stay apart even when both run the same tag.
"""

from __future__ import annotations

from components.config import Slot, StackConfig
from components.conventions import PROJECT
from components.monitoring.contract import COLLECTOR_SERVICE, OTLP_HTTP_PORT, SERVICE_NAME

SLOT_ATTRIBUTE = "orchestrator.slot"


def collector_endpoint(config: StackConfig) -> str:
    namespace = config.monitoring.namespace
    return f"http://{COLLECTOR_SERVICE}.{namespace}.svc.{config.edge.cluster_domain}:{OTLP_HTTP_PORT}"


def resource_attributes(config: StackConfig, slot: Slot) -> dict[str, str]:
    tag = config.app.slots.tag(slot)
    return {
        "service.namespace": PROJECT,
        "service.version": tag,
        SLOT_ATTRIBUTE: slot.value,
        "deployment.environment.name": config.environment.value,
        # The pre-1.27 key: Jaeger and Grafana still offer it as a filter.
        "deployment.environment": config.environment.value,
        "cloud.platform.kind": config.platform.value,
        "k8s.namespace.name": config.app.namespace,
        "k8s.deployment.name": f"orchestrator-{slot.value}",
    }


def otel_environment(config: StackConfig, slot: Slot) -> dict[str, str]:
    """OTEL_* variables of one slot (empty when tracing is off): the SDK's standard settings."""
    tracing = config.monitoring.tracing
    if not (config.monitoring.enabled and tracing.enabled):
        return {}
    sampling = tracing.sampling
    if sampling.mode == "tail":
        # The collector decides after seeing the whole trace: the SDK sends every span.
        sampler, argument = "parentbased_always_on", None
    else:
        sampler, argument = "parentbased_traceidratio", f"{sampling.percentage / 100:g}"
    attributes = ",".join(f"{key}={value}" for key, value in resource_attributes(config, slot).items())
    env = {
        "OTEL_SERVICE_NAME": SERVICE_NAME,
        "OTEL_EXPORTER_OTLP_ENDPOINT": collector_endpoint(config),
        "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
        "OTEL_RESOURCE_ATTRIBUTES": attributes,
        "OTEL_PROPAGATORS": "tracecontext,baggage",
        "OTEL_TRACES_SAMPLER": sampler,
        # Metrics are scraped by Prometheus and logs go to stdout for the shipper: only traces are pushed.
        "OTEL_METRICS_EXPORTER": "none",
        "OTEL_LOGS_EXPORTER": "none",
    }
    if argument is not None:
        env["OTEL_TRACES_SAMPLER_ARG"] = argument
    return env


def edge_sampled_percent(config: StackConfig) -> float:
    """Share (%) of requests the edge marks sampled when it starts their trace context.

    The app's samplers are parent-based, so this flag is the head-sampling decision for every
    request through the edge: `percentage` in head mode, all in tail mode (the collector decides
    later), none when tracing is off.
    """
    tracing = config.monitoring.tracing
    if not (config.monitoring.enabled and tracing.enabled):
        return 0.0
    return 100.0 if tracing.sampling.mode == "tail" else tracing.sampling.percentage
