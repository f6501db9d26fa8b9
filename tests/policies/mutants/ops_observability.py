"""Mutation operators for the observability rules: one insecure change each to a shipped export."""

from __future__ import annotations

from typing import Any

from tests.policies.mutants.model import Mutation

Export = dict[str, Any]


def _find(export: Export, type_: str, suffix: str = "") -> dict[str, Any]:
    for entry in export["deployment"]["resources"]:
        if entry["type"] == type_ and entry["urn"].endswith(suffix):
            return entry  # type: ignore[no-any-return]
    raise LookupError(f"no {type_} {suffix}")


def _public_domain(export: Export) -> str:
    entry = _find(export, "aws:opensearch/domain:Domain")
    entry["inputs"].pop("vpcOptions", None)
    return str(entry["urn"])


def _unencrypted_domain(export: Export) -> str:
    entry = _find(export, "aws:opensearch/domain:Domain")
    entry["inputs"]["encryptAtRest"] = {"enabled": False}
    return str(entry["urn"])


def _values(entry: dict[str, Any]) -> list[dict[str, Any]]:
    """A Release's values as recorded in inputs and in outputs (stack rules read the outputs)."""
    return [entry[part]["values"] for part in ("inputs", "outputs") if "values" in entry.get(part, {})]


def _collector_load_balancer(export: Export) -> str:
    entry = _find(export, "kubernetes:helm.sh/v3:Release", "::monitoring-otel-collector")
    for values in _values(entry):
        values["service"] = {"type": "LoadBalancer"}
    return str(entry["urn"])


def _agent_without_redaction(export: Export) -> str:
    entry = _find(export, "kubernetes:helm.sh/v3:Release", "::monitoring-log-agent")
    for values in _values(entry):
        pipeline = values["alternateConfig"]["service"]["pipelines"]["logs"]
        pipeline["processors"] = [p for p in pipeline["processors"] if p != "transform/redact"]
    return str(entry["urn"])


UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"


def _collector_exposed_beside_a_blind_agent(export: Export) -> str:
    """The log agent's service type is unknown (a preview); the collector's is LoadBalancer: the unknown
    concerns the agent only."""
    for values in _values(_find(export, "kubernetes:helm.sh/v3:Release", "::monitoring-log-agent")):
        values["service"] = {"type": UNKNOWN}
    return _collector_load_balancer(export)


def _agent_unredacted_beside_a_blind_collector(export: Export) -> str:
    for values in _values(_find(export, "kubernetes:helm.sh/v3:Release", "::monitoring-otel-collector")):
        values["alternateConfig"]["service"]["pipelines"] = UNKNOWN
    return _agent_without_redaction(export)


def _set(entry: dict[str, Any], key: str, value: Any) -> str:
    """Sets an input as the engine records it, in inputs and outputs (None removes it)."""
    for side in ("inputs", "outputs"):
        props = entry.setdefault(side, {})
        if value is None:
            props.pop(key, None)
        else:
            props[key] = value
    return str(entry["urn"])


def _workspace_public_ingestion(export: Export) -> str:
    return _set(_find(export, "azure-native:operationalinsights:Workspace"), "publicNetworkAccessForIngestion", "Enabled")


def _workspace_public_query_by_default(export: Export) -> str:
    # Removing the property is the same defect: the service's default is Enabled.
    return _set(_find(export, "azure-native:operationalinsights:Workspace"), "publicNetworkAccessForQuery", None)


def _component_public_ingestion(export: Export) -> str:
    return _set(_find(export, "azure-native:applicationinsights:Component"), "publicNetworkAccessForIngestion", "enabled")


def _scope_open_query(export: Export) -> str:
    entry = _find(export, "azure-native:monitor:PrivateLinkScope")
    settings = {**entry["inputs"]["accessModeSettings"], "queryAccessMode": "Open"}
    return _set(entry, "accessModeSettings", settings)


def _scope_reopened_by_exclusion(export: Export) -> str:
    entry = _find(export, "azure-native:monitor:PrivateLinkScope")
    exclusion = {"privateEndpointConnectionName": "office", "ingestionAccessMode": "Open", "queryAccessMode": "PrivateOnly"}
    return _set(entry, "accessModeSettings", {**entry["inputs"]["accessModeSettings"], "exclusions": [exclusion]})


AWS = ("production", "staging")
AZURE = ("production-azure",)
OPERATORS: list[Mutation] = [
    Mutation("aws-log-store-hardened-public", "aws-log-store-hardened", _public_domain, AWS, "public endpoint"),
    Mutation("aws-log-store-hardened-unencrypted", "aws-log-store-hardened", _unencrypted_domain, AWS,
             "encryptAtRest is not enabled"),
    Mutation("azure-log-store-hardened-public-ingestion", "azure-log-store-hardened", _workspace_public_ingestion,
             AZURE, "publicNetworkAccessForIngestion is Enabled"),
    Mutation("azure-log-store-hardened-public-query-default", "azure-log-store-hardened",
             _workspace_public_query_by_default, AZURE, "publicNetworkAccessForQuery is unset (Enabled)"),
    Mutation("azure-log-store-hardened-component-public", "azure-log-store-hardened", _component_public_ingestion,
             AZURE, "publicNetworkAccessForIngestion is enabled"),
    Mutation("azure-log-store-hardened-scope-open", "azure-log-store-hardened", _scope_open_query, AZURE,
             "accessModeSettings.queryAccessMode is Open"),
    Mutation("azure-log-store-hardened-scope-exclusion", "azure-log-store-hardened", _scope_reopened_by_exclusion,
             AZURE, "exclusions[0].ingestionAccessMode is Open for office"),
    Mutation("k8s-telemetry-internal-load-balancer", "k8s-telemetry-internal", _collector_load_balancer,
             message="service.type is LoadBalancer"),
    Mutation("k8s-telemetry-internal-beside-unknown-release", "k8s-telemetry-internal",
             _collector_exposed_beside_a_blind_agent, message="service.type is LoadBalancer"),
    Mutation("k8s-telemetry-redaction-beside-unknown-release", "k8s-telemetry-redaction",
             _agent_unredacted_beside_a_blind_collector, message="pipeline logs exports without transform/redact"),
    Mutation("k8s-telemetry-redaction-removed", "k8s-telemetry-redaction", _agent_without_redaction,
             message="pipeline logs exports without transform/redact"),
]
