"""Kubernetes object readers shared by the Kubernetes, edge and stack rules."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from . import verify
from .common import get, is_list, items, mapping
from .workloads import declared_ports, is_config_group, is_list_kind, manifests, pods

T = TypeVar("T")

DEPLOYMENT = "kubernetes:apps/v1:Deployment"
STATEFULSET = "kubernetes:apps/v1:StatefulSet"
DAEMONSET = "kubernetes:apps/v1:DaemonSet"
REPLICASET = "kubernetes:apps/v1:ReplicaSet"
JOB = "kubernetes:batch/v1:Job"
CRONJOB = "kubernetes:batch/v1:CronJob"
POD = "kubernetes:core/v1:Pod"
SERVICE = "kubernetes:core/v1:Service"
CONFIGMAP = "kubernetes:core/v1:ConfigMap"
SERVICE_ACCOUNT = "kubernetes:core/v1:ServiceAccount"
NAMESPACE = "kubernetes:core/v1:Namespace"
HPA = "kubernetes:autoscaling/v2:HorizontalPodAutoscaler"
HPA_TYPES = (HPA, "kubernetes:autoscaling/v1:HorizontalPodAutoscaler", "kubernetes:autoscaling/v2beta2:HorizontalPodAutoscaler",
             "kubernetes:autoscaling/v2beta1:HorizontalPodAutoscaler")
PDB = "kubernetes:policy/v1:PodDisruptionBudget"
NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
HELM_RELEASE = "kubernetes:helm.sh/v3:Release"
HELM_TYPES = (HELM_RELEASE, "kubernetes:helm.sh/v4:Chart", "kubernetes:helm.sh/v3:Chart", "kubernetes:helm.sh/v2:Chart")

WORKLOADS = (DEPLOYMENT, STATEFULSET, DAEMONSET, REPLICASET, JOB, CRONJOB, POD)
LONG_RUNNING = (DEPLOYMENT, STATEFULSET, DAEMONSET, REPLICASET, POD)
SLOTS = ("blue", "green")

# Kubernetes objects whose children Pulumi cannot see (Helm installs, operators' custom resources).
_VISIBLE_GROUPS = verify.pattern(
    r"^kubernetes:(core|apps|batch|policy|autoscaling|networking\.k8s\.io|rbac\.authorization\.k8s\.io|storage\.k8s\.io|"
    r"scheduling\.k8s\.io|coordination\.k8s\.io|discovery\.k8s\.io|admissionregistration\.k8s\.io|certificates\.k8s\.io|"
    r"node\.k8s\.io|apiextensions\.k8s\.io)/"
)


def opaque(type_: str) -> bool:
    """A Kubernetes resource that creates pods/services the stack cannot see (Helm, operators, CRs)."""
    return type_.startswith("kubernetes:") and not _VISIBLE_GROUPS.match(type_) and not type_.startswith("pulumi:")


def pod_template(type_: str, props: Mapping[str, Any]) -> tuple[Mapping[str, Any], Mapping[str, Any]]:
    """(pod spec, pod metadata) of a workload's first pod, wherever its kind keeps it ({} when it has none)."""
    found = pods(type_, props)
    if not found:
        return {}, {}
    return found[0].spec, found[0].metadata


def containers(spec: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """Every container of a pod spec, init and ephemeral ones included, as (label, container)."""
    for kind, label in (("initContainers", "init container"), ("containers", "container"),
                        ("ephemeralContainers", "ephemeral container")):
        for container in items(get(spec, kind)):
            if isinstance(container, Mapping):
                yield f"{label} '{get(container, 'name', default='?')}'", container
            else:
                verify.needs_value(container)  # a blind container may be the one a rule looks for


def app_containers(spec: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    for container in items(get(spec, "containers")):
        if isinstance(container, Mapping):
            yield f"container '{get(container, 'name', default='?')}'", container
        else:
            verify.needs_value(container)


def labels(metadata: Any) -> dict[str, str]:
    return {str(k): str(v) for k, v in mapping(get(metadata, "labels")).items()}


def slot_of(pod_labels: Mapping[str, str]) -> str | None:
    """The blue/green slot a pod belongs to: a label whose key ends in `slot` with value blue or green."""
    for key, value in pod_labels.items():
        last = key.rsplit("/", 1)[-1].lower()
        if (last == "slot" or last.endswith("-slot") or last.endswith("_slot")) and value in SLOTS:
            return value
    return None


def namespace_of(props: Mapping[str, Any], provider_props: Mapping[str, Any] | None = None) -> str:
    namespace = get(props, "metadata", "namespace")
    verify.needs_value(namespace)  # a withheld namespace names no namespace a rule can compare
    if namespace:
        return str(namespace)
    if provider_props:
        provider_namespace = get(provider_props, "namespace")
        verify.needs_value(provider_namespace)
        if provider_namespace:
            return str(provider_namespace)
    return "default"


def name_of(props: Mapping[str, Any]) -> str:
    return str(get(props, "metadata", "name", default=""))


def selector_matches(selector: Any, pod_labels: Mapping[str, str]) -> bool:
    """A LabelSelector (matchLabels + matchExpressions) or a plain Service selector map."""
    if selector is None:
        return False
    sel = mapping(selector)
    if "matchLabels" in sel or "matchExpressions" in sel:
        match_labels = mapping(get(sel, "matchLabels"))
        expressions = items(get(sel, "matchExpressions"))
    else:
        match_labels, expressions = sel, []
    for key, value in match_labels.items():
        if pod_labels.get(str(key)) != str(value):
            return False
    for expression in expressions:
        key = str(get(expression, "key", default=""))
        operator = str(get(expression, "operator", default=""))
        values = {str(v) for v in items(get(expression, "values"))}
        present = key in pod_labels
        if operator == "In" and (not present or pod_labels[key] not in values):
            return False
        if operator == "NotIn" and present and pod_labels[key] in values:
            return False
        if operator == "Exists" and not present:
            return False
        if operator == "DoesNotExist" and present:
            return False
    return True


def selector_is_empty(selector: Any) -> bool:
    sel = mapping(selector)
    return not mapping(get(sel, "matchLabels")) and not items(get(sel, "matchExpressions"))


def container_ports(spec: Mapping[str, Any]) -> tuple[set[int], set[str]]:
    """The port numbers and names every container of a pod spec declares."""
    numbers: set[int] = set()
    names: set[str] = set()
    for _, container in containers(spec):
        own_numbers, own_names = declared_ports(container)
        numbers |= own_numbers
        names |= own_names
    return numbers, names


_QUANTITY = verify.pattern(r"([+-]?)([0-9]+\.?[0-9]*|\.[0-9]+)(?:(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)|[eE]([+-]?[0-9]{1,3}))?")
"""A Kubernetes quantity: a decimal number, then a binary or decimal suffix or a decimal exponent (`5e8`)."""
_SUFFIX_BYTES = {None: 1.0, "Ki": 2.0**10, "Mi": 2.0**20, "Gi": 2.0**30, "Ti": 2.0**40, "Pi": 2.0**50, "Ei": 2.0**60,
                 "n": 1e-9, "u": 1e-6, "m": 1e-3, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "P": 1e15, "E": 1e18}


def memory_mi(quantity: Any) -> float | None:
    """A memory quantity in MiB, or None when it is not a Kubernetes quantity."""
    verify.needs_value(quantity)
    if isinstance(quantity, bool):
        return None
    text = repr(float(quantity)) if isinstance(quantity, (int, float)) else str(quantity).strip()
    match = _QUANTITY.fullmatch(text[:64])
    if match is None:
        return None
    sign, digits, suffix, exponent = match.groups()
    value = float(digits) * (10.0 ** int(exponent) if exponent else _SUFFIX_BYTES[suffix])
    return (-value if sign == "-" else value) / 2.0**20


# --- values a stack rule cannot judge ---------------------------------------------------------------


@dataclass(frozen=True)
class Blind:
    """The values (resource properties) a derived fact was computed from that the pack could not judge.

    Stack rules index the stack once (pods by namespace and label, policies by namespace), but the engine
    learns what a piece of the rule could not judge only from what that piece reads. So a fact derived
    once keeps its blind values here, and every piece whose finding depends on the fact calls `replay`:
    the values are read again inside that piece, which withholds its finding and reports them there."""

    reads: tuple[tuple[Mapping[str, Any], verify.Path], ...] = ()

    def __bool__(self) -> bool:
        return bool(self.reads)

    def __or__(self, other: Blind) -> Blind:
        return Blind(self.reads + other.reads) if other.reads else self

    def replay(self) -> None:
        for root, path in self.reads:
            node: Any = root
            for key in path:
                try:
                    node = node[key]
                except (KeyError, IndexError, TypeError):
                    break
            verify.needs_value(node)


NOT_BLIND = Blind()


def derive(compute: Callable[[], T], *roots: Any) -> tuple[T, Blind]:
    """`compute()` and the values of `roots` (resources' Props) it could not judge. It runs with its own
    recording and its own memo, so what it reads is seen here whether or not another rule already derived
    the same pods this request, and nothing is reported until a piece replays it."""
    by_id = {id(root): root for root in roots if isinstance(root, verify.Props)}
    with verify.request_memo_scope(), verify.recording() as reads:
        value = compute()
    seen: dict[tuple[int, verify.Path], tuple[Mapping[str, Any], verify.Path]] = {}
    for read in reads:
        if read.root in by_id:
            seen.setdefault((read.root, read.path), (by_id[read.root], read.path))
    return value, Blind(tuple(seen.values()))



def judged_together(findings: Callable[[], Iterable[T]], *roots: Any) -> Iterator[T]:
    """The findings of a verdict that weighs many values at once ("X is missing" after reading every rule of
    a list): a value among them the pack could not judge withholds every one of them, and is reported."""
    found, blind = derive(lambda: list(findings()), *roots)
    for finding in found:
        blind.replay()
        yield finding

MAX_SETTLED_NODES = 10_000
MAX_SETTLED_DEPTH = 20


def settle(value: Any) -> Any:
    """A plain copy of a (small) property, every leaf read and interpreted, so that whatever in it the
    pack cannot judge is recorded now (inside `derive`) rather than in whichever rule first matches it."""
    budget = [MAX_SETTLED_NODES]

    def copy(node: Any, depth: int) -> Any:
        budget[0] -= 1
        if budget[0] < 0 or depth > MAX_SETTLED_DEPTH:
            return None
        if isinstance(node, Mapping):
            return {str(k): copy(v, depth + 1) for k, v in node.items()}
        if is_list(node):
            return [copy(v, depth + 1) for v in node]
        verify.needs_value(node)
        return node

    return copy(value, 0)


def blind_text(value: Any) -> bool:
    """A value read as text that stands for an unknown or a withheld secret (it names nothing)."""
    return isinstance(value, (verify.Unknown, verify.Withheld)) or (
        isinstance(value, str) and (value in verify.UNKNOWNS or value == verify.WITHHELD))


POD_HOLDERS = (("spec",), ("spec", "template"), ("spec", "template", "spec"), ("spec", "template", "metadata"),
               ("spec", "jobTemplate"), ("spec", "jobTemplate", "spec"), ("spec", "jobTemplate", "spec", "template"),
               ("items",), ("objs",), ("yaml",))
"""Where an object keeps its pods: a withheld value there hides whether it has any."""


POD_KEYS = frozenset({"spec", "template", "jobTemplate", "items", "objs", "yaml"})
"""Keys under which an object may keep a pod template: only a blind value there may hide pods (a blind
`targetGroupARN` or Helm value does not)."""


def hiding_pods(blind: Blind) -> Blind:
    """The part of what deriving a resource's pods could not read that may hide pods."""
    return Blind(tuple(r for r in blind.reads if r[1] and r[1][-1] in POD_KEYS))


def whole_pods(type_: str, props: Mapping[str, Any]) -> list[Any]:
    """The complete (not patch) pods of a resource; when it shows none, whether a withheld value where pods are
    kept hides them is interpreted too (so `derive` sees it: an unknown one is seen when read)."""
    found = [p for p in pods(type_, props) if not p.partial]
    if not found:
        for path in POD_HOLDERS:
            verify.needs_value(get(props, *path))
    return found


# --- objects inside other resources ---------------------------------------------------------------


def manifest_type(container_type: str, manifest: Any) -> str:
    """The type token of an object inside a List or a ConfigGroup: its own apiVersion and kind, else the List's
    group and version (`kubernetes:apps/v1:DeploymentList` holds `kubernetes:apps/v1:Deployment`)."""
    api = get(manifest.props, "apiVersion")
    if isinstance(api, str) and api.strip():
        api = api.strip()
        group = api if "/" in api else f"core/{api}"
    else:
        group = container_type.split(":")[1] if container_type.count(":") >= 2 else "core/v1"
    return f"kubernetes:{group}:{manifest.kind}"


def objects(stack: Any) -> list[Any]:
    """Every Kubernetes object of the stack as a resource: the stack's resources, then one per item of a
    `*List` resource and per object given inline to a yaml ConfigGroup (`objs`, `yaml`), typed by its own
    kind and carrying the URN of the resource that declares it (findings land there). Stack rules that
    judge Services, Ingresses or NetworkPolicies read these, so a List or ConfigGroup is no way around them."""
    def build() -> list[Any]:
        out = list(stack.resources)
        for resource in stack.resources:
            type_ = resource.resource_type
            if not (is_list_kind(type_) or is_config_group(type_)):
                continue
            for manifest in manifests(type_, resource.props):
                if not manifest.path:
                    continue
                inner = copy.copy(resource)
                inner.resource_type = manifest_type(type_, manifest)
                inner.props = manifest.props
                out.append(inner)
        return out

    return verify.per_request("k8s-objects", stack.resources, build)
