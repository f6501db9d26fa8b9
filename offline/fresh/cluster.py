"""What a fresh cluster does with the declared resources at `pulumi up`, checked before it runs.

CRD provenance: the API server refuses a custom resource whose CRD is not installed, so every
custom resource must wait, through its recorded dependencies, for the resource that installs its
API group: a CustomResourceDefinition, or a chart whose pinned table entry says it ships that group
(components/charts.py). A stack may instead declare groups it expects pre-installed
(`cluster.preinstalledApiGroups`): they are first-deploy prerequisites, listed in the preview.

Admission: Pod Security admission refuses a pod (and a workload's pods) that breaks its namespace's
level, so every Namespace the program declares carries an explicit `enforce` level; every pod
template it declares (found by structure: a bare Pod, any `template` with containers, a CronJob's
`jobTemplate`, List items) is judged against its namespace's level (offline.fresh.podsecurity); and every
chart it installs is judged by the security contexts its values give each workload, on the value
paths components/charts.py records for it. A chart without such a record cannot be judged, which is
a finding unless its namespace is `privileged`. A pod in a namespace without a label (or one the
program does not declare) is held to `restricted`, the cluster default the program promises.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from components.charts import CHARTS, ChartWorkload
from offline.fresh.podsecurity import CLUSTER_DEFAULT, ENFORCE_LABEL, LEVELS, Pod, Violation, judge
from offline.runner.export import unwrap
from offline.runner.mocks import Registration
from offline.wire import UNKNOWN

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
    return crd_provenance(resources, preinstalled) + admission(as_export(resources)), preinstalled


# --- admission ---------------------------------------------------------------------------------------

NAMESPACE_TYPE = "kubernetes:core/v1:Namespace"
K8S_PROVIDER = "pulumi:providers:kubernetes"
DEFAULT_NAMESPACE = "default"
MAX_NODES = 20_000
MAX_DEPTH = 64
_NOT_WALKED = frozenset({"metadata", "status"})


def as_export(resources: Iterable[Registration]) -> list[dict[str, Any]]:
    """Registrations in the shape of an export's resources (what `admission` reads)."""
    return [{"urn": r.urn, "type": r.type, "inputs": r.inputs, "provider": r.provider} for r in resources]


@dataclass(frozen=True)
class _Level:
    level: str
    default: bool
    """True when no label of a declared Namespace sets it."""

    def __str__(self) -> str:
        return f"{self.level}, the cluster default" if self.default else self.level


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value and value != UNKNOWN else None


def namespace_levels(resources: Sequence[Mapping[str, Any]]) -> tuple[dict[str, str], list[Finding]]:
    """Declared namespace -> its enforced level; a finding for each without a valid explicit level."""
    levels: dict[str, str] = {}
    findings: list[Finding] = []
    for resource in resources:
        if resource.get("type") != NAMESPACE_TYPE:
            continue
        metadata = unwrap(resource.get("inputs") or {}).get("metadata") or {}
        name = _text(metadata.get("name"))
        if name is None:
            findings.append(Finding("namespace-level", str(resource["urn"]),
                                    f"Namespace {resource['urn'].rsplit('::', 1)[-1]!r}: its name is unknown, so no "
                                    "pod's level can be known"))
            continue
        level = (metadata.get("labels") or {}).get(ENFORCE_LABEL)
        if level is None:
            findings.append(Finding("namespace-level", str(resource["urn"]),
                                    f"Namespace '{name}' has no {ENFORCE_LABEL} label: set it to privileged, baseline "
                                    f"or restricted (its pods are held to {CLUSTER_DEFAULT}, the cluster default the "
                                    "program promises)"))
        elif level not in LEVELS:
            findings.append(Finding("namespace-level", str(resource["urn"]),
                                    f"Namespace '{name}' has {ENFORCE_LABEL}={level!r}: use privileged, baseline or "
                                    "restricted"))
        else:
            levels[name] = str(level)
    return levels, findings


def _provider_namespaces(resources: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """Explicit Kubernetes provider URN -> the namespace it puts objects without one in."""
    out: dict[str, str] = {}
    for resource in resources:
        if resource.get("type") == K8S_PROVIDER:
            namespace = _text(unwrap(resource.get("inputs") or {}).get("namespace"))
            if namespace:
                out[str(resource["urn"])] = namespace
    return out


@dataclass(frozen=True)
class PodTemplate:
    kind: str
    name: str
    namespace: str | None
    pod: Pod


def pod_templates(type_: str, inputs: Mapping[str, Any]) -> Iterator[PodTemplate]:
    """Every pod spec an object declares, found by structure, bounded in size and depth."""
    found = inputs.get("metadata")
    metadata: Mapping[str, Any] = found if isinstance(found, Mapping) else {}
    kind = type_.rsplit(":", 1)[-1]
    queue: deque[tuple[Mapping[str, Any], str, str, str | None, int]] = deque(
        [(inputs, kind, str(_text(metadata.get("name")) or ""), _text(metadata.get("namespace")), 0)])
    visited = 0
    while queue and visited < MAX_NODES:
        node, kind, name, namespace, depth = queue.popleft()
        visited += 1
        if depth and isinstance(node.get("kind"), str) and isinstance(node.get("metadata"), Mapping):
            # An object inside this one (a List item): its own kind, name and namespace.
            kind, name = node["kind"], str(_text(node["metadata"].get("name")) or name)
            namespace = _text(node["metadata"].get("namespace")) or namespace
        if kind == "Pod" and _is_pod_spec(node.get("spec")):
            yield PodTemplate(kind, name, namespace, Pod(node["spec"], _annotations(node)))
            continue
        for key, value in node.items():
            if key in _NOT_WALKED or depth >= MAX_DEPTH:
                continue
            if key == "template" and isinstance(value, Mapping) and _is_pod_spec(value.get("spec")):
                yield PodTemplate(kind, name, namespace, Pod(value["spec"], _annotations(value)))
            elif isinstance(value, Mapping):
                queue.append((value, kind, name, namespace, depth + 1))
            elif isinstance(value, list):
                queue.extend((item, kind, name, namespace, depth + 1) for item in value if isinstance(item, Mapping))


def _is_pod_spec(value: Any) -> bool:
    return isinstance(value, Mapping) and any(isinstance(value.get(key), list) for key in ("containers", "initContainers"))


def _annotations(node: Mapping[str, Any]) -> Mapping[str, Any]:
    metadata = node.get("metadata")
    annotations = metadata.get("annotations") if isinstance(metadata, Mapping) else None
    return annotations if isinstance(annotations, Mapping) else {}


def admission(resources: Sequence[Mapping[str, Any]]) -> list[Finding]:
    """What Pod Security admission would refuse, one finding per violation (export-shaped resources)."""
    levels, findings = namespace_levels(resources)
    defaults = _provider_namespaces(resources)

    def level_of(namespace: str) -> _Level:
        return _Level(levels[namespace], False) if namespace in levels else _Level(CLUSTER_DEFAULT, True)

    for resource in resources:
        type_ = str(resource.get("type", ""))
        if not type_.startswith("kubernetes:") or type_ == NAMESPACE_TYPE:
            continue
        inputs = unwrap(resource.get("inputs") or {})
        fallback = defaults.get(str(resource.get("provider") or "").rsplit("::", 1)[0], DEFAULT_NAMESPACE)
        urn = str(resource["urn"])
        if type_ in CHART_TYPES:
            namespace = _text(inputs.get("namespace")) or fallback
            findings.extend(_chart_findings(urn, type_, inputs, namespace, level_of(namespace)))
            continue
        for template in pod_templates(type_, inputs):
            namespace = template.namespace or fallback
            level = level_of(namespace)
            for violation in judge(template.pod, level.level):
                findings.append(Finding("pod-security", urn, _line(namespace, level, f"{template.kind} '{template.name}'",
                                                                   violation)))
    return findings


def _line(namespace: str, level: _Level, what: str, violation: Violation, values: str = "") -> str:
    where = f"container '{violation.container}'" if violation.container else "pod"
    return f"namespace '{namespace}' ({level}): {what} {where}: {violation.check}: {violation.detail}{values}"


def _chart_findings(urn: str, type_: str, inputs: Mapping[str, Any], namespace: str, level: _Level) -> list[Finding]:
    if level.level == "privileged":
        return []  # admits every pod: nothing to judge
    chart = str(inputs.get("chart", ""))
    what = f"chart {chart} ({type_.rsplit(':', 1)[-1]} '{urn.rsplit('::', 1)[-1]}')"
    pin = CHARTS.get(chart)
    if pin is None or pin.workloads is None:
        why = "it is not in the pinned chart table" if pin is None else "no security-context value paths are recorded for it"
        return [Finding("pod-security", urn, f"namespace '{namespace}' ({level}): {what}: its pods cannot be judged: {why} "
                                             "(components/charts.py)")]
    given = inputs.get("values")
    values: Mapping[str, Any] = given if isinstance(given, Mapping) else {}
    findings: list[Finding] = []
    for workload in pin.workloads:
        if not _enabled(workload, values):
            continue
        subject = f"{what} workload '{workload.name}'"
        if workload.host_access:
            findings.append(Finding("pod-security", urn, f"namespace '{namespace}' ({level}): {subject}: host-access: "
                                                         "it needs host namespaces or host paths, which only privileged "
                                                         "admits"))
            continue
        pod_context = _coalesce(workload.pod_default, values, workload.pod_path)
        container_context = _coalesce(workload.container_default, values, workload.container_path)
        pod = Pod({"securityContext": pod_context,
                   "containers": [{"name": workload.name, "securityContext": container_context}]})
        for violation in judge(pod, level.level):
            path = workload.container_path if violation.container else workload.pod_path
            shown = f" (values {'.'.join(path)})" if path else " (the chart takes no values for it)"
            findings.append(Finding("pod-security", urn, _line(namespace, level, subject, violation, shown)))
    return findings


def _enabled(workload: ChartWorkload, values: Mapping[str, Any]) -> bool:
    if workload.enabled_path is None:
        return True
    found, value = _at(values, workload.enabled_path)
    return bool(value) if found and value is not None else workload.enabled_default


def _at(values: Any, path: tuple[str, ...]) -> tuple[bool, Any]:
    for key in path:
        if not isinstance(values, Mapping) or key not in values:
            return False, None
        values = values[key]
    return True, values


def _coalesce(default: Mapping[str, Any], values: Mapping[str, Any], path: tuple[str, ...] | None) -> Any:
    """The chart's default for a value merged with the program's, as Helm merges them: maps merge
    key by key, anything else replaces, and a null deletes the chart's key."""
    if path is None:
        return dict(default)
    found, given = _at(values, path)
    if not found:
        return dict(default)
    return _merge(default, given)


def _merge(default: Any, given: Any) -> Any:
    if given is None:
        return {}
    if not isinstance(given, Mapping) or not isinstance(default, Mapping):
        return given
    out = dict(default)
    for key, value in given.items():
        if value is None:
            out.pop(key, None)
        elif isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out
