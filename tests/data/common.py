"""Shared lookups for the data-tier tests (wire-form registrations of a ProgramResult)."""

from __future__ import annotations

from typing import Any

from offline.runner.mocks import Registration
from offline.runner.program import ProgramResult
from tests.helpers import one, plain

PRODUCTION = (
    "environment=production", "edge.tls.certificate=secret", "edge.tls.secretName=edge-tls", "app.standbyMinReplicas=3",
)
"""Overrides that turn the local stack into a valid production one (production refuses self-signed edge certs)."""

CNPG_CLUSTER = "kubernetes:postgresql.cnpg.io/v1:Cluster"
REDIS_CLUSTER = "kubernetes:redis.redis.opstreelabs.in/v1beta2:RedisCluster"
POD_MONITOR = "kubernetes:monitoring.coreos.com/v1:PodMonitor"
SECRET = "kubernetes:core/v1:Secret"
CHART = "kubernetes:helm.sh/v4:Chart"


def manifest(record: Registration) -> dict[str, Any]:
    """The Kubernetes object a resource renders to (secrets unwrapped, whole numbers as ints)."""
    inputs = plain(record.inputs)
    return {key: inputs[key] for key in ("apiVersion", "kind", "metadata", "spec", "type", "data", "stringData") if key in inputs}


def spec(result: ProgramResult, type_: str) -> dict[str, Any]:
    return dict(manifest(one(result, type_))["spec"])


def children(result: ProgramResult, component_type: str) -> list[Registration]:
    """Every resource below a component of this type (any depth)."""
    roots = {r.urn for r in result.resources if r.type == component_type}
    found: list[Registration] = []
    frontier = set(roots)
    while frontier:
        batch = [r for r in result.resources if r.parent in frontier]
        found.extend(batch)
        frontier = {r.urn for r in batch}
    return found


def secret_named(result: ProgramResult, namespace: str, name: str) -> Registration:
    matches = [
        r for r in result.resources
        if r.type == SECRET and plain(r.inputs).get("metadata", {}).get("namespace") == namespace
        and plain(r.inputs)["metadata"].get("name") == name
    ]
    assert len(matches) == 1, f"expected one Secret {namespace}/{name}, found {[m.name for m in matches]}"
    return matches[0]
