"""Where the pods are: every object that carries a pod spec, found by its structure, not its kind.

A Deployment, an Argo `Rollout`, an OpenShift `DeploymentConfig` and a `DeploymentPatch` all hold a pod
template at `spec.template`; a CronJob (or a KEDA ScaledJob) at `spec.jobTemplate.spec.template`; a Pod is
one; a `*List` holds several objects under `items`; a yaml ConfigGroup holds whole manifests inline. The
rules ask this module for pods and containers, so a new kind with a pod template is checked on day one.

A template is any mapping under a key named `template` or `...Template` (`podTemplate` of Elastic and
Flink, `workerTemplate`) whose `spec` looks like a pod spec, and any mapping whose `spec` holds a
container list (`spec.pod.spec`), at any depth up to MAX_DEPTH.

A patch (`*Patch` kinds, or a custom resource that carries container fragments: a Prometheus
`spec.containers` override, an Argo Workflow's `templates[].container` / `script` / `sidecars`, Tekton
`steps`, `stepTemplate`) is partial: the operator or the API server merges it into an object the stack
does not hold. Only what it sets explicitly is judged there; "field missing" findings would be noise.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from . import verify
from .common import get, is_list, items, mapping

CONTAINER_LISTS = (("initContainers", "init container"), ("containers", "container"),
                   ("ephemeralContainers", "ephemeral container"))
POD_SPEC_KEYS = frozenset({"containers", "initContainers", "ephemeralContainers", "volumes", "securityContext",
                           "hostNetwork", "hostPID", "hostIPC", "hostUsers", "serviceAccountName",
                           "shareProcessNamespace", "automountServiceAccountToken"})
MAX_DEPTH = 32
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
    fragments: tuple[tuple[str, Mapping[str, Any]], ...] = ()
    """Containers a custom resource keeps outside a pod spec (Argo `templates[].container`, Tekton `steps[]`),
    each with its dotted path in the resource."""

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
        for index, (path, container) in enumerate(self.fragments):
            yield Container(self, "", index, str(get(container, "name", default="?")), "container", container, path)


@dataclass(frozen=True)
class Container:
    pod: Pod
    list_name: str
    index: int
    name: str
    kind_label: str
    data: Mapping[str, Any]
    at: str = ""
    """The container's own path when it sits outside a pod spec's container lists (a fragment)."""

    @property
    def path(self) -> str:
        return self.at or f"{self.pod.path}.{self.list_name}[{self.index}]"

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
        if isinstance(obj, Mapping) and str(get(obj, "kind", default="")).endswith("List") and is_list(get(obj, "items")):
            for number, item in enumerate(items(get(obj, "items"))):
                if isinstance(item, Mapping):
                    yield Manifest(f"objs[{index}].items[{number}]", kind_of("", item), item, False)
        elif isinstance(obj, Mapping):
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
    if found or kind in ("PodTemplate",) or not isinstance(spec, Mapping):
        return
    own_list = is_list(spec.get("containers"))
    fragments = tuple((f"{prefix}spec.{path}", c) for path, c in _fragments(spec, skip_lists=own_list))
    if own_list or fragments:
        # A custom resource carrying container fragments (an operator or a workflow engine builds the pods): its
        # pod-level fields are judged where its spec sets them, its containers where they are.
        yield Pod(f"{prefix}spec", spec if _looks_like_pod_spec(spec) else {}, metadata, kind, name, namespace, True,
                  fragments)


def _template_key(key: str) -> bool:
    """`template`, `podTemplate`, `workerTemplate`: a key that names a pod template."""
    return key == "template" or key.endswith("Template")


FRAGMENT_KEYS = frozenset({"container", "script", "stepTemplate", "podTemplateSpec"})
"""Keys under which a custom resource keeps one container (Argo `container`/`script`, Tekton `stepTemplate`)."""
FRAGMENT_LISTS = frozenset({"containers", "initContainers", "ephemeralContainers", "sidecars", "steps"})
"""Lists of containers in custom resources (Argo `sidecars`/`containerSet.containers`, Tekton `steps`)."""
CONTAINER_KEYS = frozenset({"image", "securityContext", "command", "args", "env", "envFrom", "ports", "resources",
                            "volumeMounts", "livenessProbe", "readinessProbe"})


CONTAINER_ONLY_CONTEXT = frozenset({"privileged", "allowPrivilegeEscalation", "capabilities", "readOnlyRootFilesystem",
                                    "procMount"})
"""securityContext fields only a container has: a mapping carrying them is a container's settings."""


def _container_like(value: Any) -> bool:
    return isinstance(value, Mapping) and (isinstance(value.get("image"), str) or isinstance(
        value.get("securityContext"), Mapping)) and any(k in value for k in CONTAINER_KEYS)


def _anonymous_container(value: Mapping[str, Any]) -> bool:
    """A container under a key nobody listed (Spark's `driver`): one with an image and a command or settings, or
    container-only securityContext fields, and no container of its own inside."""
    if any(k in value for k in (*FRAGMENT_KEYS, *FRAGMENT_LISTS)):
        return False
    context = value.get("securityContext")
    if isinstance(context, Mapping) and any(k in context for k in CONTAINER_ONLY_CONTEXT):
        return True
    return isinstance(value.get("image"), str) and sum(1 for k in CONTAINER_KEYS if k in value) >= 2


POD_CONTAINER_LISTS = frozenset(name for name, _ in CONTAINER_LISTS)

Found = list[tuple[str, Mapping[str, Any]]]


def _breadth_first(start: Iterator[tuple[str, Any]], judge: Callable[[str, str, Any], Found | None]) -> Iterator[
        tuple[str, Mapping[str, Any]]]:
    """Walks mappings and lists of mappings breadth-first, at most MAX_NODES nodes and MAX_DEPTH deep (bounded on
    any input). `judge(path, key, value)` says what a node holds (the walk then stays out of it) or None (the walk
    goes on into it)."""
    queue: deque[tuple[str, Any, int]] = deque((path, value, 1) for path, value in start)
    visited = 0
    while queue and visited < MAX_NODES:
        path, value, depth = queue.popleft()
        visited += 1
        if depth > MAX_DEPTH:
            continue
        found = judge(path, path.rsplit(".", 1)[-1].split("[", 1)[0], value)
        if found is not None:
            yield from found
        elif isinstance(value, Mapping):
            queue.extend((f"{path}.{k}", v, depth + 1) for k, v in value.items() if isinstance(v, Mapping) or is_list(v))
        elif is_list(value):
            queue.extend((f"{path}[{i}]", v, depth + 1) for i, v in enumerate(value) if isinstance(v, Mapping))


def _fragment(path: str, key: str, value: Any) -> Found | None:
    if isinstance(value, Mapping):
        if (key in FRAGMENT_KEYS and _container_like(value)) or _anonymous_container(value):
            return [(path, value)]
    elif is_list(value) and key in FRAGMENT_LISTS:
        return [(f"{path}[{i}]", v) for i, v in enumerate(value) if _container_like(v)]
    return None


def _fragments(spec: Mapping[str, Any], skip_lists: bool) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """Containers a custom resource's spec keeps outside a pod spec. `skip_lists`: the spec's own container lists
    are read as a pod's (not again here)."""
    return _breadth_first(((str(k), v) for k, v in spec.items() if not (skip_lists and k in POD_CONTAINER_LISTS)),
                          _fragment)


def _template(path: str, key: str, value: Any) -> Found | None:
    if isinstance(value, Mapping):
        inner = value.get("spec")
        if (_template_key(key) and _looks_like_pod_spec(inner)) or (
                isinstance(inner, Mapping) and is_list(inner.get("containers"))):
            return [(path, value)]
    elif is_list(value) and key in POD_CONTAINER_LISTS:
        return []  # a pod's own containers hold no template
    return None


def _templates(props: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """Every `template` mapping whose `spec` looks like a pod spec."""
    return _breadth_first(((str(k), v) for k, v in props.items() if k not in ("metadata", "status")), _template)


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
