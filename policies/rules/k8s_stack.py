"""Kubernetes rules that need the whole stack: replicas vs HPA, PDB vs HPA, NetworkPolicy coverage,
Services vs slots. Everything is indexed once (by namespace and label), so the rules stay linear."""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from pulumi_policy import PolicyResource, Severity

from .common import Meta, Stack, get, items, mapping, number, stack_rule
from .k8s_objects import (
    DEPLOYMENT,
    HPA_TYPES,
    NETWORK_POLICY,
    PDB,
    SERVICE,
    STATEFULSET,
    container_ports,
    namespace_of,
    opaque,
    selector_is_empty,
    selector_matches,
    slot_of,
)
from .workloads import pods, port_number


@dataclass
class Workload:
    resource: PolicyResource
    kind: str
    namespace: str
    name: str
    pod_labels: dict[str, str]
    spec: Mapping[str, Any]
    replicas: float | None
    hpa: PolicyResource | None = None

    @property
    def slot(self) -> str | None:
        return slot_of(self.pod_labels)

    @property
    def min_replicas(self) -> float:
        if self.hpa is not None:
            return number(get(self.hpa.props, "spec", "minReplicas")) or 1
        return self.replicas if self.replicas is not None else 1


@dataclass
class Cluster:
    """The stack's Kubernetes objects, indexed."""

    workloads: list[Workload] = field(default_factory=list)
    by_namespace: dict[str, list[Workload]] = field(default_factory=dict)
    by_label: dict[tuple[str, str, str], list[Workload]] = field(default_factory=dict)
    by_name: dict[tuple[str, str, str], Workload] = field(default_factory=dict)
    opaque_namespaces: set[str] = field(default_factory=set)

    @classmethod
    def of(cls, stack: Stack) -> Cluster:
        cluster = cls()
        for resource in stack.resources:
            type_ = resource.resource_type
            if not type_.startswith("kubernetes:"):
                continue
            found = [p for p in pods(type_, resource.props) if not p.partial]
            for pod in found:
                replicas = number(get(resource.props, "spec", "replicas")) if pod.path == "spec.template.spec" else None
                workload = Workload(resource, pod.kind, pod.namespace or namespace_of(resource.props, _provider_props(resource)),
                                    pod.name, pod.labels, pod.spec, replicas)
                cluster.workloads.append(workload)
                cluster.by_namespace.setdefault(workload.namespace, []).append(workload)
                cluster.by_name[(workload.namespace, workload.kind, workload.name)] = workload
                for key, value in workload.pod_labels.items():
                    cluster.by_label.setdefault((workload.namespace, key, value), []).append(workload)
            if not found and opaque(type_):
                # Pods we cannot see may live where this object installs: only that namespace's selectors stop
                # being called dangling. An object without a namespace hides nothing (it never silences the stack).
                hidden_in = get(resource.props, "namespace") or get(resource.props, "metadata", "namespace") \
                    or get(_provider_props(resource), "namespace")
                if hidden_in:
                    cluster.opaque_namespaces.add(str(hidden_in))
        for hpa in stack.of(*HPA_TYPES):
            target = mapping(get(hpa.props, "spec", "scaleTargetRef"))
            ref = (namespace_of(hpa.props, _provider_props(hpa)), str(get(target, "kind")), str(get(target, "name")))
            if ref in cluster.by_name:
                cluster.by_name[ref].hpa = hpa
        return cluster

    def selected(self, namespace: str, selector: Any) -> list[Workload]:
        """Workloads in a namespace whose pod labels match a selector (candidates via the label index)."""
        sel = mapping(selector)
        match_labels = mapping(get(sel, "matchLabels")) if ("matchLabels" in sel or "matchExpressions" in sel) else sel
        if match_labels:
            key, value = next(iter(match_labels.items()))
            candidates = self.by_label.get((namespace, str(key), str(value)), [])
        else:
            candidates = self.by_namespace.get(namespace, [])
        return [w for w in candidates if selector_matches(selector, w.pod_labels)]

    def hidden(self, namespace: str) -> bool:
        """Pods we cannot see may live there (Helm releases, operator resources)."""
        return namespace in self.opaque_namespaces


def _provider_props(resource: PolicyResource) -> Mapping[str, Any]:
    return resource.provider.props if resource.provider is not None else {}


def active_slot(stack: Stack, cluster: Cluster) -> str | None:
    exported = stack.output("activeSlot")
    if exported in ("blue", "green"):
        return str(exported)
    return None


def app_workloads(cluster: Cluster) -> list[Workload]:
    return [w for w in cluster.workloads if w.kind == "Deployment" and w.slot is not None]


min_replicas = Meta(
    name="k8s-min-replicas",
    description="The active application slot runs at least 3 replicas (directly or through its HPA's minimum).",
    severity=Severity.HIGH,
    categories=("REL",),
    references=("Pulumi compliance-policies minimum-replica-count", "kube-linter minimum-three-replicas"),
    remediation="Set the active slot's HPA `minReplicas` (or `spec.replicas`) to 3 or more.",
    config={"minReplicas": {"type": "number", "default": 3}},
)


@stack_rule(min_replicas)
def k8s_min_replicas(stack: Stack) -> Iterator[tuple[str, str | None]]:
    cluster = Cluster.of(stack)
    wanted = number(stack.config.get("minReplicas")) or 3
    active = active_slot(stack, cluster)
    for workload in app_workloads(cluster):
        if active is not None and workload.slot != active:
            continue
        if workload.min_replicas < wanted:
            via = "its HPA minReplicas" if workload.hpa is not None else "spec.replicas"
            yield f"the {workload.slot} slot runs {int(workload.min_replicas)} replica(s) ({via}); need {int(wanted)}", \
                workload.resource.urn


hpa_valid = Meta(
    name="k8s-hpa-valid",
    description="Every HPA targets an existing workload, scales between 3 and 20 and targets CPU 70 % / memory 80 %.",
    severity=Severity.MEDIUM,
    categories=("REL",),
    references=("kube-linter dangling-horizontalpodautoscaler", "Polaris hpaMinAvailability", "Polaris hpaMaxAvailability"),
    remediation="Point `scaleTargetRef` at the slot Deployment; `minReplicas` 3 (a standby slot may use 1), "
                "`maxReplicas` 20, resource metrics cpu 70 and memory 80 averageUtilization.",
    config={"minReplicas": {"type": "number", "default": 3}, "maxReplicas": {"type": "number", "default": 20},
            "standbyMinReplicas": {"type": "number", "default": 1},
            "cpuUtilization": {"type": "number", "default": 70}, "memoryUtilization": {"type": "number", "default": 80}},
)


def _utilization(hpa: PolicyResource, resource_name: str) -> float | None:
    if resource_name == "cpu" and get(hpa.props, "spec", "targetCPUUtilizationPercentage") is not None:
        return number(get(hpa.props, "spec", "targetCPUUtilizationPercentage"))
    for metric in items(get(hpa.props, "spec", "metrics")):
        if get(metric, "type") == "Resource" and get(metric, "resource", "name") == resource_name:
            # v2/v2beta2 say target.averageUtilization; v2beta1 said targetAverageUtilization.
            value = get(metric, "resource", "target", "averageUtilization")
            return number(value if value is not None else get(metric, "resource", "targetAverageUtilization"))
    return None


@stack_rule(hpa_valid)
def k8s_hpa_valid(stack: Stack) -> Iterator[tuple[str, str | None]]:
    cluster = Cluster.of(stack)
    config = stack.config
    active = active_slot(stack, cluster)
    targets = {id(w.hpa): w for w in cluster.workloads if w.hpa is not None}
    for hpa in stack.of(*HPA_TYPES):
        workload = targets.get(id(hpa))
        if workload is None:
            ref = mapping(get(hpa.props, "spec", "scaleTargetRef"))
            yield f"targets {get(ref, 'kind')}/{get(ref, 'name')}, which the stack does not declare", hpa.urn
            continue
        low = number(get(hpa.props, "spec", "minReplicas")) or 1
        high = number(get(hpa.props, "spec", "maxReplicas")) or 0
        standby = workload.slot is not None and active is not None and workload.slot != active
        floor = number(config.get("standbyMinReplicas" if standby else "minReplicas")) or 1
        if low < floor:
            yield f"minReplicas {int(low)} < {int(floor)}", hpa.urn
        if high <= low or high > (number(config.get("maxReplicas")) or 20):
            yield f"maxReplicas {int(high)} is not between minReplicas and {int(number(config.get('maxReplicas')) or 20)}", \
                hpa.urn
        for resource_name, key in (("cpu", "cpuUtilization"), ("memory", "memoryUtilization")):
            actual = _utilization(hpa, resource_name)
            if actual != number(config.get(key)):
                yield f"{resource_name} target is {actual if actual is None else int(actual)} (need {config.get(key)})", \
                    hpa.urn


pdb_sane = Meta(
    name="k8s-pdb-sane",
    description="PodDisruptionBudgets select existing pods, allow disruption, keep minAvailable below the HPA minimum, "
                "and cover the active application slot.",
    severity=Severity.HIGH,
    categories=("REL",),
    references=("Pulumi compliance-policies zero-voluntary-disruption", "kube-linter pdb-max-unavailable",
                "kube-linter pdb-min-available", "Polaris pdbMinAvailableGreaterThanHPAMinReplicas"),
    remediation="Use `maxUnavailable: 1` (or minAvailable below the HPA's minReplicas) and a selector that matches "
                "the slot's pod labels.",
)


def _disruption_budget(pdb: PolicyResource, replicas: float) -> str | None:
    spec = mapping(get(pdb.props, "spec"))
    max_unavailable = get(spec, "maxUnavailable")
    min_available = get(spec, "minAvailable")
    if max_unavailable is not None:
        if str(max_unavailable).strip() in ("0", "0%", "0.0"):
            return "maxUnavailable is 0: no voluntary disruption is possible (node drains block)"
        return None
    if min_available is None:
        return None
    text = str(min_available).strip()
    value = number(text[:-1] if text.endswith("%") else text)
    if value is None or math.isnan(value):
        return f"minAvailable {text[:40]} is not a number or percentage"
    required = math.ceil(value / 100 * replicas) if text.endswith("%") else value
    if required >= replicas:
        return f"minAvailable {text} is not below the minimum of {int(replicas)} replica(s): no disruption is allowed"
    return None


@stack_rule(pdb_sane)
def k8s_pdb_sane(stack: Stack) -> Iterator[tuple[str, str | None]]:
    cluster = Cluster.of(stack)
    covered: set[int] = set()
    for pdb in stack.of(PDB):
        namespace = namespace_of(pdb.props, _provider_props(pdb))
        selector = get(pdb.props, "spec", "selector")
        matched = cluster.selected(namespace, selector) if selector is not None else []
        if not matched:
            if not cluster.hidden(namespace):
                yield "the selector matches no pods the stack declares", pdb.urn
            continue
        covered.update(id(w) for w in matched)
        replicas = min(w.min_replicas for w in matched)
        problem = _disruption_budget(pdb, replicas)
        if problem:
            yield problem, pdb.urn
    active = active_slot(stack, cluster)
    for workload in app_workloads(cluster):
        if (active is None or workload.slot == active) and id(workload) not in covered:
            yield f"the {workload.slot} slot has no PodDisruptionBudget", workload.resource.urn


coverage = Meta(
    name="k8s-network-policy-coverage",
    description="Every namespace with workloads has a default-deny NetworkPolicy, every pod is selected by a policy "
                "governing Ingress and Egress, and policy peers select pods that exist.",
    severity=Severity.HIGH,
    categories=("AA", "HE"),
    references=("CKV2_K8S_6", "kube-linter non-isolated-pod", "Polaris missingNetworkPolicy", "CIS EKS 4.3.2"),
    remediation="Add a NetworkPolicy with `podSelector: {}` and `policyTypes: [Ingress, Egress]` per namespace, then "
                "one per workload allowing exactly its traffic (peers by namespace and pod labels).",
)


def _types(policy: PolicyResource) -> set[str]:
    declared = {str(t) for t in items(get(policy.props, "spec", "policyTypes"))}
    if declared:
        return declared
    return {"Ingress", "Egress"} if get(policy.props, "spec", "egress") is not None else {"Ingress"}


def _peer_namespaces(peer: Any, own: str, known: set[str]) -> list[str] | None:
    """Namespaces a peer refers to, or None when they cannot be named (label-selected namespaces)."""
    selector = get(peer, "namespaceSelector")
    if selector is None:
        return [own]
    wanted = mapping(get(selector, "matchLabels")).get("kubernetes.io/metadata.name")
    if wanted is not None:
        return [str(wanted)]
    if selector_is_empty(selector):
        return sorted(known)
    return None


@stack_rule(coverage)
def k8s_network_policy_coverage(stack: Stack) -> Iterator[tuple[str, str | None]]:
    cluster = Cluster.of(stack)
    policies: dict[str, list[PolicyResource]] = {}
    for policy in stack.of(NETWORK_POLICY):
        policies.setdefault(namespace_of(policy.props, _provider_props(policy)), []).append(policy)
    known = set(cluster.by_namespace)
    for namespace, workloads in sorted(cluster.by_namespace.items()):
        mine = policies.get(namespace, [])
        default_deny = [p for p in mine if selector_is_empty(get(p.props, "spec", "podSelector"))
                        and _types(p) >= {"Ingress", "Egress"}
                        and not items(get(p.props, "spec", "ingress")) and not items(get(p.props, "spec", "egress"))]
        if not default_deny:
            yield f"namespace {namespace} has no default-deny NetworkPolicy (podSelector {{}}, Ingress and Egress)", None
        specific = [p for p in mine if not selector_is_empty(get(p.props, "spec", "podSelector"))]
        ingress_cover: set[int] = set()
        egress_cover: set[int] = set()
        for policy in specific:
            for workload in cluster.selected(namespace, get(policy.props, "spec", "podSelector")):
                if "Ingress" in _types(policy):
                    ingress_cover.add(id(workload))
                if "Egress" in _types(policy):
                    egress_cover.add(id(workload))
        for workload in workloads:
            missing = [t for t, cover in (("Ingress", ingress_cover), ("Egress", egress_cover)) if id(workload) not in cover]
            if missing:
                yield f"{workload.kind} {namespace}/{workload.name} is selected by no policy governing " \
                      f"{' and '.join(missing)}", workload.resource.urn
    for namespace, mine in policies.items():
        for policy in mine:
            for direction, peer_key in (("ingress", "from"), ("egress", "to")):
                for rule in items(get(policy.props, "spec", direction)):
                    for peer in items(get(rule, peer_key)):
                        if get(peer, "podSelector") is None or selector_is_empty(get(peer, "podSelector")):
                            continue
                        targets = _peer_namespaces(peer, namespace, known)
                        if targets is None or any(cluster.hidden(t) or t not in known for t in targets):
                            continue
                        if not any(cluster.selected(t, get(peer, "podSelector")) for t in targets):
                            yield f"{direction} peer {dict(mapping(get(peer, 'podSelector', 'matchLabels')))} in " \
                                  f"{', '.join(targets)} selects no pods (a dangling rule)", policy.urn


services = Meta(
    name="k8s-service-selects-slot",
    description="Services select existing pods; slot and live Services select exactly one slot; target ports exist.",
    severity=Severity.MEDIUM,
    categories=("REL",),
    references=("kube-linter dangling-service", "kube-linter invalid-target-ports"),
    remediation="Select pods by the slot label (blue or green) plus the app labels, and target a declared container "
                "port (by number or name).",
)


@stack_rule(services)
def k8s_service_selects_slot(stack: Stack) -> Iterator[tuple[str, str | None]]:
    cluster = Cluster.of(stack)
    for service in stack.of(SERVICE):
        selector = mapping(get(service.props, "spec", "selector"))
        if not selector or get(service.props, "spec", "type") == "ExternalName":
            continue
        namespace = namespace_of(service.props, _provider_props(service))
        matched = cluster.selected(namespace, selector)
        if not matched:
            if not cluster.hidden(namespace):
                yield f"selector {dict(selector)} matches no pods the stack declares", service.urn
            continue
        slots = {w.slot for w in matched if w.slot is not None}
        if slot_of({str(k): str(v) for k, v in selector.items()}) is None and len(slots) > 1:
            yield "the selector spans both slots (no slot label): blue/green switching cannot work", service.urn
        for port in items(get(service.props, "spec", "ports")):
            target = get(port, "targetPort", default=get(port, "port"))
            for workload in matched:
                numbers, names = container_ports(workload.spec)
                as_number = port_number(target)
                ok = as_number in numbers if as_number is not None else str(target) in names
                if not ok:
                    yield f"targetPort {target} is not a container port of {workload.kind} {workload.name}", service.urn
                    break


POLICIES = [k8s_min_replicas, k8s_hpa_valid, k8s_pdb_sane, k8s_network_policy_coverage, k8s_service_selects_slot]

__all__ = ["DEPLOYMENT", "POLICIES", "STATEFULSET"]
