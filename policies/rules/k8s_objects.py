"""Kubernetes object readers shared by the Kubernetes, edge and stack rules."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from .common import get, items, mapping
from .workloads import declared_ports, pods

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
_VISIBLE_GROUPS = re.compile(
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


def app_containers(spec: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    for container in items(get(spec, "containers")):
        if isinstance(container, Mapping):
            yield f"container '{get(container, 'name', default='?')}'", container


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
    if namespace:
        return str(namespace)
    if provider_props:
        provider_namespace = get(provider_props, "namespace")
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


_QUANTITY = re.compile(r"^([0-9.]+)(Ki|Mi|Gi|Ti|k|M|G|T|m)?$")


def memory_mi(quantity: Any) -> float | None:
    match = _QUANTITY.match(str(quantity).strip())
    if match is None:
        return None
    try:
        value = float(match.group(1))
    except ValueError:
        return None
    factor = {None: 1 / 1048576, "Ki": 1 / 1024, "Mi": 1.0, "Gi": 1024.0, "Ti": 1048576.0,
              "k": 1000 / 1048576, "M": 1e6 / 1048576, "G": 1e9 / 1048576, "T": 1e12 / 1048576, "m": 1e-3 / 1048576}
    return value * factor[match.group(2)]
