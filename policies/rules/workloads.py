"""Where the pods are: every object that carries a pod spec, found by its structure, not its kind.

A Deployment, an Argo `Rollout`, an OpenShift `DeploymentConfig` and a `DeploymentPatch` all hold a pod
template at `spec.template`; a CronJob (or a KEDA ScaledJob) at `spec.jobTemplate.spec.template`; a Pod is
one; a `*List` holds several objects under `items`; a yaml ConfigGroup holds whole manifests inline. The
rules ask this module for pods and containers, so a new kind with a pod template is checked on day one.

A patch (`*Patch` kinds, or a custom resource that carries a container fragment such as a Prometheus
`spec.containers` override) is partial: the API server merges it into an object the stack does not hold.
Only what it sets explicitly is judged there; "field missing" findings would be noise.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from . import verify
from .common import get, is_list, items, mapping

CONTAINER_LISTS = (("initContainers", "init container"), ("containers", "container"),
                   ("ephemeralContainers", "ephemeral container"))
POD_SPEC_KEYS = frozenset({"containers", "initContainers", "ephemeralContainers", "volumes", "securityContext",
                           "hostNetwork", "hostPID", "hostIPC", "hostUsers", "serviceAccountName",
                           "shareProcessNamespace", "automountServiceAccountToken"})
MAX_DEPTH = 10
MAX_NODES = 20_000
MAX_INLINE_MANIFEST = 1_000_000  # characters of a ConfigGroup's inline YAML the pack parses


@dataclass(frozen=True)
class Pod:
    """One pod spec inside a resource."""

    path: str
    """Dotted location of the pod spec in the resource's inputs (`spec.template.spec`)."""
    spec: Mapping[str, Any]
    metadata: Mapping[str, Any]
    kind: str
    """The kind of the object holding the pod (`Deployment`, `Rollout`, ...)."""
    name: str
    namespace: str | None
    partial: bool
    """A patch or fragment: judge only the values it sets."""

    @property
    def labels(self) -> dict[str, str]:
        return {str(k): str(v) for k, v in mapping(get(self.metadata, "labels")).items()}

    def annotation(self, key: str) -> str:
        """One annotation's value ("" when absent). It reads no other annotation, so a value computed
        at apply elsewhere (a checksum of a generated certificate) leaves this rule verifiable."""
        return str(get(self.metadata, "annotations", key, default=""))

    def containers(self) -> Iterator[Container]:
        for list_name, label in CONTAINER_LISTS:
            for index, container in enumerate(items(get(self.spec, list_name))):
                if isinstance(container, Mapping):
                    yield Container(self, list_name, index, str(get(container, "name", default="?")), label, container)


@dataclass(frozen=True)
class Container:
    pod: Pod
    list_name: str
    index: int
    name: str
    kind_label: str
    data: Mapping[str, Any]

    @property
    def path(self) -> str:
        return f"{self.pod.path}.{self.list_name}[{self.index}]"

    @property
    def label(self) -> str:
        """`init container 'migrate' (spec.template.spec.initContainers[0])`: names the list and the place."""
        return f"{self.kind_label} '{self.name}' ({self.path})"

    def context(self, key: str) -> tuple[Any, str]:
        """A securityContext field with Kubernetes' precedence: the container's value wins over the pod's.
        Returns (value, where it was set) -- `where` is '' when neither sets it."""
        value = get(self.data, "securityContext", key)
        if value is not None:
            return value, f"{self.path}.securityContext.{key}"
        value = get(self.pod.spec, "securityContext", key)
        if value is not None:
            return value, f"{self.pod.path}.securityContext.{key}"
        return None, ""

    def nested(self, *path: str) -> tuple[Any, str]:
        """A nested securityContext field (`windowsOptions.runAsUserName`) with the same precedence, field by
        field: the container's value wins, else the pod's."""
        for value, owner in ((get(self.data, "securityContext", *path), self.path),
                             (get(self.pod.spec, "securityContext", *path), self.pod.path)):
            if value is not None:
                return value, f"{owner}.securityContext.{'.'.join(path)}"
        return None, ""

    def own(self, *path: str) -> Any:
        return get(self.data, "securityContext", *path)

    def ports(self) -> tuple[set[int], set[str]]:
        return declared_ports(self.data)


def port_number(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().isdigit() and len(value.strip()) <= 6:
        return int(value.strip())
    return None


def kind_of(type_: str, props: Mapping[str, Any]) -> str:
    kind = get(props, "kind")
    if isinstance(kind, str) and kind:
        return kind
    return type_.rsplit(":", 1)[-1]


def is_patch(type_: str) -> bool:
    return type_.startswith("kubernetes:") and type_.endswith("Patch")


def is_list_kind(type_: str) -> bool:
    return type_.startswith("kubernetes:") and type_.endswith("List")


def is_config_group(type_: str) -> bool:
    return type_.startswith("kubernetes:yaml") and type_.endswith(":ConfigGroup")


def _looks_like_pod_spec(value: Any) -> bool:
    return isinstance(value, Mapping) and any(k in value for k in POD_SPEC_KEYS)


@dataclass(frozen=True)
class Manifest:
    """One Kubernetes object inside a resource: the resource itself, an item of a List, or a document of an
    inline yaml ConfigGroup."""

    path: str
    kind: str
    props: Mapping[str, Any]
    partial: bool


def manifests(type_: str, props: Mapping[str, Any]) -> Iterator[Manifest]:
    if not type_.startswith("kubernetes:"):
        return
    if is_config_group(type_):
        yield from inline_manifests(props)
        return
    partial = is_patch(type_)
    if is_list_kind(type_) and is_list(get(props, "items")):
        for index, item in enumerate(items(get(props, "items"))):
            if isinstance(item, Mapping):
                yield Manifest(f"items[{index}]", kind_of(type_[:-4], item), item, partial)
        return
    yield Manifest("", kind_of(type_, props), props, partial)


def inline_manifests(props: Mapping[str, Any]) -> Iterator[Manifest]:
    """The objects of a ConfigGroup given inline (`objs`, or `yaml` text); `files` are not readable here."""
    for index, obj in enumerate(items(get(props, "objs"))):
        if isinstance(obj, Mapping):
            yield Manifest(f"objs[{index}]", kind_of("", obj), obj, False)
    for index, text in enumerate(items(get(props, "yaml"))):
        for number, doc in enumerate(parse_documents(text)):
            yield Manifest(f"yaml[{index}] document {number}", kind_of("", doc), doc, False)


def parse_documents(text: Any) -> list[Mapping[str, Any]]:
    """YAML (or JSON) documents of an inline manifest, bounded; [] when it does not parse."""
    if not isinstance(text, str) or len(text) > MAX_INLINE_MANIFEST:
        return []
    try:
        import yaml  # the pulumi SDK's own dependency: always present where the pack runs

        docs = list(yaml.safe_load_all(text))
    except Exception:  # noqa: BLE001 - unparseable inline YAML is reported by k8s-opaque-content
        try:
            docs = [json.loads(text)]
        except ValueError:
            return []
    out: list[Mapping[str, Any]] = []
    for doc in docs:
        if isinstance(doc, Mapping) and str(doc.get("kind", "")).endswith("List") and is_list(doc.get("items")):
            out.extend(d for d in doc["items"] if isinstance(d, Mapping))
        elif isinstance(doc, Mapping):
            out.append(doc)
    return out


def pods_of(manifest: Manifest) -> Iterator[Pod]:
    props = manifest.props
    metadata = mapping(get(props, "metadata"))
    name = str(get(metadata, "name", default="")) or ""
    namespace = get(metadata, "namespace")
    namespace = str(namespace) if namespace else None
    prefix = f"{manifest.path}." if manifest.path else ""
    kind = manifest.kind
    spec = get(props, "spec")
    if kind in ("Pod", "PodPatch") or (kind.endswith("Pod") and _looks_like_pod_spec(spec)):
        if isinstance(spec, Mapping):
            yield Pod(f"{prefix}spec", spec, metadata, kind, name, namespace, manifest.partial)
        return
    found = False
    for path, template in _templates(props):
        found = True
        yield Pod(f"{prefix}{path}.spec", mapping(get(template, "spec")), mapping(get(template, "metadata")), kind, name,
                  namespace, manifest.partial)
    if not found and isinstance(spec, Mapping) and is_list(spec.get("containers")) and kind not in ("PodTemplate",):
        # A custom resource carrying a container fragment (an operator merges it into its own pods).
        yield Pod(f"{prefix}spec", spec, metadata, kind, name, namespace, True)


def _templates(props: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """Every `template` mapping whose `spec` looks like a pod spec, breadth-first, bounded."""
    queue: deque[tuple[str, Any, int]] = deque((str(k), v, 1) for k, v in props.items() if k not in ("metadata", "status"))
    visited = 0
    while queue and visited < MAX_NODES:
        path, value, depth = queue.popleft()
        visited += 1
        if depth > MAX_DEPTH:
            continue
        if isinstance(value, Mapping):
            if path.rsplit(".", 1)[-1] == "template" and _looks_like_pod_spec(value.get("spec")):
                yield path, value
                continue
            queue.extend((f"{path}.{k}", v, depth + 1) for k, v in value.items() if isinstance(v, Mapping) or is_list(v))
        elif is_list(value) and path.rsplit(".", 1)[-1] not in ("containers", "initContainers", "ephemeralContainers"):
            queue.extend((f"{path}[{i}]", v, depth + 1) for i, v in enumerate(value) if isinstance(v, Mapping))


WITHOUT_POD_TEMPLATES = frozenset({
    "kubernetes:core/v1:" + kind for kind in (
        "Secret", "ConfigMap", "Service", "ServiceAccount", "Namespace", "PersistentVolumeClaim", "PersistentVolume",
        "LimitRange", "ResourceQuota", "Endpoints")} | {
    "kubernetes:networking.k8s.io/v1:NetworkPolicy", "kubernetes:networking.k8s.io/v1:Ingress",
    "kubernetes:policy/v1:PodDisruptionBudget", "kubernetes:autoscaling/v2:HorizontalPodAutoscaler",
    *(f"kubernetes:rbac.authorization.k8s.io/v1:{kind}" for kind in ("Role", "RoleBinding", "ClusterRole", "ClusterRoleBinding")),
})
"""Built-in types whose schema has no pod template: the API server keeps no unknown field of theirs,
so they are not walked (a value unknown during preview there cannot hide a pod)."""


def pods(type_: str, props: Mapping[str, Any]) -> list[Pod]:
    """Every pod spec a Kubernetes resource declares, wherever its kind keeps it (found once per request:
    many rules ask for the same resource's pods)."""
    if not type_.startswith("kubernetes:") or type_ in WITHOUT_POD_TEMPLATES:
        return []
    memo = verify.request_memo()
    key = ("pods", type_, id(props))
    cached = memo.get(key) if memo is not None else None
    if cached is not None and cached[0] is props:
        return list(cached[1])
    out: list[Pod] = []
    for manifest in manifests(type_, props):
        out.extend(pods_of(manifest))
    if memo is not None:
        memo[key] = (props, out)  # the reference keeps the id unique for the request
    return list(out)


def declared_ports(container: Any) -> tuple[set[int], set[str]]:
    """The port numbers and port names a container declares."""
    numbers: set[int] = set()
    names: set[str] = set()
    for port in items(get(container, "ports")):
        value = port_number(get(port, "containerPort"))
        if value is not None:
            numbers.add(value)
        if get(port, "name"):
            names.add(str(get(port, "name")))
    return numbers, names
