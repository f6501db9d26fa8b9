"""What a fresh cluster does with the declared resources at `pulumi up`, checked before it runs.

CRD provenance: the API server refuses a custom resource whose CRD is not installed, so every
custom resource must wait, through its recorded dependencies, for the resource that installs its
API group: a CustomResourceDefinition, or a chart whose pinned table entry says it ships that group
(components/charts.py). A stack may instead declare groups it expects pre-installed
(`cluster.preinstalledApiGroups`): they are first-deploy prerequisites, listed in the preview.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from components.charts import CHARTS
from offline.runner.export import unwrap
from offline.runner.mocks import Registration

CRD_TYPE = "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition"
CHART_TYPES = frozenset({"kubernetes:helm.sh/v4:Chart", "kubernetes:helm.sh/v3:Chart", "kubernetes:helm.sh/v3:Release"})
_PSEUDO_GROUPS = frozenset({"helm.sh", "yaml", "kustomize"})
_BUILT_IN_GROUPS = frozenset({
    "core", "apps", "batch", "autoscaling", "policy",
    *(f"{name}.k8s.io" for name in (
        "admissionregistration", "apiextensions", "apiregistration", "authentication", "authorization",
        "certificates", "coordination", "discovery", "events", "flowcontrol.apiserver", "internal.apiserver",
        "networking", "node", "rbac.authorization", "resource", "scheduling", "storage", "storagemigration")),
})


@dataclass(frozen=True)
class Finding:
    check: str
    urn: str
    message: str


def api_group(type_: str) -> str | None:
    """The API group of a Kubernetes resource type token, or None when not a Kubernetes object."""
    package, _, rest = type_.partition(":")
    if package != "kubernetes" or "/" not in rest:
        return None
    group = rest.split(":", 1)[0].rsplit("/", 1)[0]
    return None if group in _PSEUDO_GROUPS else group


def is_custom(type_: str) -> bool:
    group = api_group(type_)
    return group is not None and group not in _BUILT_IN_GROUPS


def _installed_groups(record: Registration) -> set[str]:
    inputs = unwrap(record.inputs)
    if record.type == CRD_TYPE:
        group = (inputs.get("spec") or {}).get("group")
        return {group} if isinstance(group, str) else set()
    if record.type in CHART_TYPES:
        pin = CHARTS.get(str(inputs.get("chart", "")))
        return set(pin.provides) if pin else set()
    return set()


def _waits_for(resources: Iterable[Registration]) -> dict[str, set[str]]:
    """URN -> every URN it waits for: its dependencies, transitively; waiting for a component
    means waiting for all its descendants."""
    records = list(resources)
    children: dict[str, list[str]] = {}
    for record in records:
        children.setdefault(record.parent, []).append(record.urn)
    direct = {r.urn: set(r.dependencies) | {u for urns in r.property_dependencies.values() for u in urns}
              for r in records}
    closure: dict[str, set[str]] = {}
    for record in records:
        seen: set[str] = set()
        stack = list(direct[record.urn])
        while stack:
            urn = stack.pop()
            if urn in seen:
                continue
            seen.add(urn)
            stack.extend(direct.get(urn, ()))
            stack.extend(children.get(urn, ()))
        closure[record.urn] = seen
    return closure


def crd_provenance(resources: list[Registration], preinstalled: Iterable[str] = ()) -> list[Finding]:
    expected = set(preinstalled)
    installers = {r.urn: _installed_groups(r) for r in resources}
    waits = _waits_for(resources)
    findings: list[Finding] = []
    for record in resources:
        group = api_group(record.type)
        if group is None or not is_custom(record.type) or group in expected:
            continue
        if any(group in installers.get(urn, ()) for urn in waits[record.urn]):
            continue
        shipped_by = [r.name for r in resources if group in installers[r.urn]]
        how = (f"add depends_on={shipped_by}" if shipped_by
               else "install its CRD (a CustomResourceDefinition or a pinned chart that ships it) first, "
                    "or list the group in cluster.preinstalledApiGroups")
        findings.append(Finding("crd-provenance", record.urn,
                                f"{record.type} '{record.name}' uses API group {group}, which nothing it waits for "
                                f"installs on a fresh cluster: {how}"))
    return findings


def check(resources: list[Registration], namespace_config: Mapping[str, Any]) -> tuple[list[Finding], list[str]]:
    """Findings, and the API groups the stack declares as prerequisites."""
    cluster = namespace_config.get("cluster") or {}
    preinstalled = [str(g) for g in cluster.get("preinstalledApiGroups", [])] if isinstance(cluster, dict) else []
    return crd_provenance(resources, preinstalled), preinstalled
