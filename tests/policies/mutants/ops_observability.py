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


AWS = ("production", "staging")
OPERATORS: list[Mutation] = [
    Mutation("aws-log-store-hardened-public", "aws-log-store-hardened", _public_domain, AWS, "public endpoint"),
    Mutation("aws-log-store-hardened-unencrypted", "aws-log-store-hardened", _unencrypted_domain, AWS,
             "encryptAtRest is not enabled"),
    Mutation("k8s-telemetry-internal-load-balancer", "k8s-telemetry-internal", _collector_load_balancer,
             message="service.type is LoadBalancer"),
    Mutation("k8s-telemetry-redaction-removed", "k8s-telemetry-redaction", _agent_without_redaction,
             message="pipeline logs exports without transform/redact"),
]
