"""Kubernetes rules that need the whole stack: replicas vs HPA, PDB vs HPA, NetworkPolicy coverage,
Services vs slots. Everything is indexed once (by namespace and label), so the rules stay linear."""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from pulumi_policy import PolicyResource, Severity

from . import verify
from .common import INDEPENDENT, Meta, Stack, get, items, mapping, number, stack_rule
from .k8s_objects import (
    DEPLOYMENT,
    HPA_TYPES,
    NETWORK_POLICY,
    NOT_BLIND,
    SERVICE,
    STATEFULSET,
    Blind,
    blind_text,
    container_ports,
    derive,
    hiding_pods,
    namespace_of,
    objects,
    opaque,
    selector_is_empty,
    selector_matches,
    settle,
    slot_of,
    whole_pods,
)
from .workloads import WITHOUT_POD_TEMPLATES, Pod, port_number

POD_FREE_KINDS = frozenset({
    "TargetGroupBinding", "IngressClassParams",  # AWS load balancer controller
    "ServiceMonitor", "PodMonitor", "PrometheusRule", "Probe", "ScrapeConfig",  # Prometheus operator
    "Certificate", "CertificateRequest", "Issuer", "ClusterIssuer",  # cert-manager
    "ExternalSecret", "SecretStore", "ClusterSecretStore",  # external-secrets
})
"""Custom resources whose controllers create no pods: they hide no pod a selector might mean."""


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
    replicas_blind: Blind = NOT_BLIND
    _ports: tuple[tuple[set[int], set[str]], Blind] | None = field(default=None, repr=False)

    @functools.cached_property
    def slot(self) -> str | None:
        return slot_of(self.pod_labels)

    def ports(self, *, replay: bool = True) -> tuple[set[int], set[str]]:
        """The container ports of its pods (derived once; a blind one is read again by a caller whose finding
        depends on it)."""
        if self._ports is None:
            self._ports = derive(lambda: container_ports(self.spec), self.resource.props)
        (numbers, names), blind = self._ports
        if replay:
            blind.replay()
        return numbers, names

    def declares(self, port: int | str) -> bool:
        """Whether a container of its pods declares the port (a number, or a name)."""
        numbers, names = self.ports(replay=False)
        return port in numbers if isinstance(port, int) else port in names

    @property
    def min_replicas(self) -> float:
        """Read when a finding depends on it (the HPA's minimum, else spec.replicas): a blind one is read here."""
        if self.hpa is not None:
            return number(get(self.hpa.props, "spec", "minReplicas")) or 1
        self.replicas_blind.replay()
        return self.replicas if self.replicas is not None else 1


@dataclass(frozen=True)
class Doubt:
    """An object whose placement the pack cannot judge: a workload whose labels or namespace, an HPA whose
    target, a policy whose selector is unknown or withheld. It may be what a finding says is missing."""

    resource: PolicyResource
    namespace: str | None
    """None: the namespace itself is blind (it may be any)."""
    blind: Blind
    kind: str | None = None


def _doubt_in(doubts: list[Doubt], namespace: str) -> Blind:
    out = NOT_BLIND
    for doubt in doubts:
        if doubt.namespace is None or doubt.namespace == namespace:
            out = out | doubt.blind
    return out


def _namespace_blind(blind: Blind) -> bool:
    """Whether blind reads hide an object's namespace (its own metadata, not a pod template's)."""
    return any(path and (path[-1] == "namespace" or (path[-1] == "metadata" and "template" not in path))
               for _, path in blind.reads)


@dataclass
class Cluster:
    """The stack's Kubernetes objects, indexed (derived once per request; see `Blind` for why the pieces of
    a rule still read what they depend on)."""

    workloads: list[Workload] = field(default_factory=list)
    by_namespace: dict[str, list[Workload]] = field(default_factory=dict)
    by_label: dict[tuple[str, str, str], list[Workload]] = field(default_factory=dict)
    by_name: dict[tuple[str, str, str], Workload] = field(default_factory=dict)
    opaque_namespaces: set[str] = field(default_factory=set)
    doubts: list[Doubt] = field(default_factory=list)
    """Workloads (and objects that may hold pods) whose namespace, labels or structure are blind."""
    hpa_doubts: list[Doubt] = field(default_factory=list)
    """HPAs whose target or namespace is blind."""
    _selected: dict[tuple[str, str], list[Workload]] = field(default_factory=dict, repr=False)

    @classmethod
    def of(cls, stack: Stack) -> Cluster:
        """The stack's cluster index, built once per request."""
        return verify.per_request("k8s-cluster", stack.by_urn, lambda: cls._build(stack))

    @classmethod
    def _build(cls, stack: Stack) -> Cluster:
        cluster = cls()
        for resource in stack.resources:
            if resource.resource_type.startswith("kubernetes:"):
                cluster._add(resource)
        for hpa in stack.of(*HPA_TYPES):
            def target(hpa: PolicyResource = hpa) -> tuple[str, str, str]:
                ref = mapping(get(hpa.props, "spec", "scaleTargetRef"))
                kind, name = settle(get(ref, "kind")), settle(get(ref, "name"))
                return namespace_of(hpa.props, _provider_props(hpa)), str(kind), str(name)
            ref, blind = derive(target, hpa.props, _provider_props(hpa))
            if blind:
                cluster.hpa_doubts.append(Doubt(hpa, None if _namespace_blind(blind) else ref[0], blind))
            elif ref in cluster.by_name:
                cluster.by_name[ref].hpa = hpa
        return cluster

    def _add(self, resource: PolicyResource) -> None:
        type_ = resource.resource_type
        provider = _provider_props(resource)
        found, structure = derive(lambda: whole_pods(type_, resource.props), resource.props, provider)
        if not found:
            structure = hiding_pods(structure)
            if structure and type_ not in WITHOUT_POD_TEMPLATES:
                # Its pod template (or the whole object) is blind: it may hold pods the rules would look for.
                namespace, blind = derive(lambda: namespace_of(resource.props, provider), resource.props, provider)
                blind = structure | blind
                self.doubts.append(Doubt(resource, None if _namespace_blind(blind) or blind_text(namespace)
                                         else namespace, blind))
            elif opaque(type_) and type_.rsplit(":", 1)[-1] not in POD_FREE_KINDS:
                # Pods we cannot see may live where this object installs: only that namespace's selectors stop
                # being called dangling. An object without a namespace hides nothing (it never silences the stack).
                hidden_in = get(resource.props, "namespace") or get(resource.props, "metadata", "namespace") \
                    or get(provider, "namespace")
                if hidden_in:
                    self.opaque_namespaces.add(str(hidden_in))
            return
        # Where the pods are and how they are labelled decide every selection: a blind value there (not the
        # rest of the structure: a blind strategy hides no pod) makes the workload a doubt.
        structure = Blind(tuple(r for r in structure.reads if "metadata" in r[1]))
        for pod in found:
            (namespace, pod_labels), placement = derive(functools.partial(_placement, resource, pod, provider),
                                                        resource.props, provider)
            placement = structure | placement
            if placement or blind_text(namespace):
                self.doubts.append(Doubt(resource, None if _namespace_blind(placement) or blind_text(namespace)
                                         else namespace, placement, pod.kind))
                continue
            replicas, replicas_blind = (derive(lambda: number(get(resource.props, "spec", "replicas")), resource.props)
                                        if pod.path == "spec.template.spec" else (None, NOT_BLIND))
            workload = Workload(resource, pod.kind, namespace, pod.name, pod_labels, pod.spec, replicas,
                                replicas_blind=replicas_blind)
            self.workloads.append(workload)
            self.by_namespace.setdefault(namespace, []).append(workload)
            self.by_name[(namespace, workload.kind, workload.name)] = workload
            for key, value in pod_labels.items():
                self.by_label.setdefault((namespace, key, value), []).append(workload)

    def selected(self, namespace: str, selector: Any) -> list[Workload]:
        """Workloads in a namespace whose pod labels match a selector (candidates via the label index; one
        answer per distinct selector, so a thousand Services selecting the same pods cost one match)."""
        try:
            key = (namespace, json.dumps(selector, sort_keys=True, default=str))
        except (TypeError, ValueError):  # keys of mixed types: match without the memo
            return self._select(namespace, selector)
        found = self._selected.get(key)
        if found is None:
            found = self._selected[key] = self._select(namespace, selector)
        return found

    def _select(self, namespace: str, selector: Any) -> list[Workload]:
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

    def doubt(self, namespace: str) -> Blind:
        """What a finding of "no pod in `namespace` ..." depends on beyond the known workloads: read it (`replay`)
        in the piece that yields such a finding."""
        return _doubt_in(self.doubts, namespace)

    def hpa_doubt(self, namespace: str) -> Blind:
        """HPAs whose target is blind: any workload in `namespace` without a known HPA may be theirs."""
        return _doubt_in(self.hpa_doubts, namespace)

    def namespaces(self) -> list[str]:
        """Namespaces that certainly hold pods."""
        known = set(self.by_namespace)
        known.update(d.namespace for d in self.doubts if d.namespace is not None and d.kind is not None)
        return sorted(known)


def _placement(resource: PolicyResource, pod: Pod, provider: Mapping[str, Any]) -> tuple[str, dict[str, str]]:
    own = namespace_of(resource.props, provider)  # read even when the pod names its own: it records a blind one
    namespace = pod.namespace or own
    labels = settle(get(pod.metadata, "labels"))
    verify.needs_value(labels)
    verify.needs_value(pod.name)  # HPAs and PDB floors find a workload by its name
    return namespace, {str(k): str(v) for k, v in mapping(labels).items()}


def _provider_props(resource: PolicyResource) -> Mapping[str, Any]:
    return resource.provider.props if resource.provider is not None else {}


def active_slot(stack: Stack, cluster: Cluster | None = None) -> str | None:
    """The exported active slot, read afresh: a piece that depends on it reads it itself."""
    exported = stack.output("activeSlot")
    verify.needs_value(exported)
    if exported in ("blue", "green"):
        return str(exported)
    return None


def app_workloads(cluster: Cluster) -> list[Workload]:
    return [w for w in cluster.workloads if w.kind == "Deployment" and w.slot is not None]


def doubtful_deployments(cluster: Cluster) -> list[Doubt]:
    """Blind objects that may be an application slot's Deployment."""
    return [d for d in cluster.doubts if d.kind in (None, "Deployment")]


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
    for workload in app_workloads(cluster):
        yield INDEPENDENT  # each slot's Deployment is judged on its own replicas
        active = active_slot(stack)
        if active is not None and workload.slot != active:
            continue
        low = workload.min_replicas
        if low < wanted:
            if workload.hpa is None:
                cluster.hpa_doubt(workload.namespace).replay()  # an HPA with a blind target may raise it
            via = "its HPA minReplicas" if workload.hpa is not None else "spec.replicas"
            yield f"the {workload.slot} slot runs {int(low)} replica(s) ({via}); need {int(wanted)}", \
                workload.resource.urn
    for doubt in doubtful_deployments(cluster):
        yield INDEPENDENT  # a Deployment whose slot the pack cannot read: that value is reported, nothing else
        doubt.blind.replay()


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
    targets = {id(w.hpa): w for w in cluster.workloads if w.hpa is not None}
    ceiling = number(config.get("maxReplicas")) or 20
    for hpa in stack.of(*HPA_TYPES):
        yield INDEPENDENT  # each HPA is judged on its own settings and its own target
        workload = targets.get(id(hpa))
        if workload is None:
            ref = mapping(get(hpa.props, "spec", "scaleTargetRef"))
            kind, name = get(ref, "kind"), get(ref, "name")
            for part in (kind, name):
                verify.needs_value(part)  # a blind target may name a workload the stack declares
            # A workload whose name or namespace is blind may be the target.
            cluster.doubt(namespace_of(hpa.props, _provider_props(hpa))).replay()
            yield f"targets {kind}/{name}, which the stack does not declare", hpa.urn
            continue
        low = number(get(hpa.props, "spec", "minReplicas")) or 1
        high = number(get(hpa.props, "spec", "maxReplicas")) or 0
        if high <= low or high > ceiling:
            yield f"maxReplicas {int(high)} is not between minReplicas and {int(ceiling)}", hpa.urn
        for resource_name, key in (("cpu", "cpuUtilization"), ("memory", "memoryUtilization")):
            yield INDEPENDENT
            actual = _utilization(hpa, resource_name)
            wanted = number(config.get(key))
            if actual != wanted:
                yield f"{resource_name} target is {actual if actual is None else int(actual)} " \
                      f"(need {wanted if wanted is None else int(wanted)})", hpa.urn
        yield INDEPENDENT
        active = active_slot(stack)  # the floor depends on which slot is live
        standby = workload.slot is not None and active is not None and workload.slot != active
        floor = number(config.get("standbyMinReplicas" if standby else "minReplicas")) or 1
        low = number(get(hpa.props, "spec", "minReplicas")) or 1
        if low < floor:
            yield f"minReplicas {int(low)} < {int(floor)}", hpa.urn


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


def _shown(value: Any) -> str:
    """A budget as written: an integral number without a decimal point (the protocol sends every number as a float)."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _no_disruption(pdb: PolicyResource) -> str | None:
    """maxUnavailable 0 (in any spelling): whatever the replica count, nothing may be evicted."""
    max_unavailable = get(pdb.props, "spec", "maxUnavailable")
    if max_unavailable is None:
        return None
    verify.needs_value(max_unavailable)
    text = _shown(max_unavailable)
    value = number(text[:-1] if text.endswith("%") else text)
    if value is not None and value <= 0:
        shown = "0%" if text.endswith("%") else "0"
        return f"maxUnavailable is {shown}: no voluntary disruption is possible (node drains block)"
    return None


def _min_available(pdb: PolicyResource, replicas: float) -> str | None:
    """minAvailable that leaves no pod to evict at the workload's minimum replica count."""
    if get(pdb.props, "spec", "maxUnavailable") is not None:
        return None  # the API server refuses both; maxUnavailable is judged on its own
    min_available = get(pdb.props, "spec", "minAvailable")
    if min_available is None:
        return None
    verify.needs_value(min_available)
    text = _shown(min_available)
    value = number(text[:-1] if text.endswith("%") else text)
    if value is None or math.isnan(value):
        return f"minAvailable {text[:40]} is not a number or percentage"
    required = math.ceil(value / 100 * replicas) if text.endswith("%") else value
    if required >= replicas:
        return f"minAvailable {text[:40]} is not below the minimum of {int(replicas)} replica(s): no disruption is allowed"
    return None


@dataclass(frozen=True)
class _Budget:
    pdb: PolicyResource
    namespace: str
    selector: Any
    """Settled (plain); None when the PDB has none."""


def _budgets(stack: Stack) -> tuple[list[_Budget], list[Doubt]]:
    """PDBs whose namespace and selector can be judged, and those that cannot (they may cover anything)."""
    known: list[_Budget] = []
    doubts: list[Doubt] = []
    # Every version (policy/v1beta1 too) and every form (an item of a List, an object of a ConfigGroup).
    budgets = [o for o in objects(stack) if o.resource_type.startswith("kubernetes:policy/")
               and o.resource_type.rsplit(":", 1)[-1] == "PodDisruptionBudget"]
    for pdb in budgets:
        def facts(pdb: PolicyResource = pdb) -> tuple[str, Any]:
            return namespace_of(pdb.props, _provider_props(pdb)), settle(get(pdb.props, "spec", "selector"))
        (namespace, selector), blind = derive(facts, pdb.props, _provider_props(pdb))
        if blind:
            doubts.append(Doubt(pdb, None if _namespace_blind(blind) else namespace, blind))
        else:
            known.append(_Budget(pdb, namespace, selector))
    return known, doubts


@stack_rule(pdb_sane)
def k8s_pdb_sane(stack: Stack) -> Iterator[tuple[str, str | None]]:
    cluster = Cluster.of(stack)
    budgets, blind_budgets = _budgets(stack)
    covered: set[int] = set()
    for budget in budgets:
        yield INDEPENDENT  # each PDB is judged on its own settings and the pods it selects
        pdb = budget.pdb
        matched = cluster.selected(budget.namespace, budget.selector) if budget.selector is not None else []
        if not matched:
            if not cluster.hidden(budget.namespace):
                cluster.doubt(budget.namespace).replay()  # a workload with blind labels may be the one selected
                yield "the selector matches no pods the stack declares", pdb.urn
            continue
        covered.update(id(w) for w in matched)
        problem = _no_disruption(pdb)
        if problem:
            yield problem, pdb.urn
        yield INDEPENDENT
        replicas = min(w.min_replicas for w in matched)
        problem = _min_available(pdb, replicas)
        if problem:
            # A pod with blind labels could only lower the minimum (the finding stands); an HPA with a blind
            # target could raise it.
            if any(w.hpa is None for w in matched):
                cluster.hpa_doubt(budget.namespace).replay()
            yield problem, pdb.urn
    for doubt in blind_budgets:
        yield INDEPENDENT
        doubt.blind.replay()  # the PDB itself: reported, its findings withheld
    for workload in app_workloads(cluster):
        yield INDEPENDENT  # each slot is judged on the budgets that may cover it
        active = active_slot(stack)
        if (active is None or workload.slot == active) and id(workload) not in covered:
            _doubt_in(blind_budgets, workload.namespace).replay()  # a PDB with a blind selector may cover it
            yield f"the {workload.slot} slot has no PodDisruptionBudget", workload.resource.urn
    for doubt in doubtful_deployments(cluster):
        yield INDEPENDENT
        doubt.blind.replay()


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


@dataclass(frozen=True)
class _Policy:
    """A NetworkPolicy's facts, settled."""

    resource: PolicyResource
    namespace: str
    pod_selector: Any
    types: frozenset[str]
    ingress: list[Any]
    egress: list[Any]

    @property
    def default_deny(self) -> bool:
        return selector_is_empty(self.pod_selector) and self.types >= {"Ingress", "Egress"} \
            and not self.ingress and not self.egress


def _policy_facts(policy: PolicyResource) -> _Policy:
    spec = mapping(get(policy.props, "spec"))
    declared = frozenset(str(t) for t in items(settle(get(spec, "policyTypes"))))
    ingress = items(settle(get(spec, "ingress")))
    egress = items(settle(get(spec, "egress")))
    if not declared:
        declared = frozenset({"Ingress", "Egress"} if get(spec, "egress") is not None else {"Ingress"})
    return _Policy(policy, namespace_of(policy.props, _provider_props(policy)), settle(get(spec, "podSelector")),
                   declared, ingress, egress)


def _network_policies(stack: Stack) -> tuple[list[_Policy], list[Doubt]]:
    """NetworkPolicies the pack can judge, and those whose namespace, selector or rules are blind (they may
    be the policy a namespace or a pod is missing)."""
    known: list[_Policy] = []
    doubts: list[Doubt] = []
    for policy in stack.of(NETWORK_POLICY):
        facts, blind = derive(functools.partial(_policy_facts, policy), policy.props, _provider_props(policy))
        if blind:
            doubts.append(Doubt(policy, None if _namespace_blind(blind) else facts.namespace, blind))
        else:
            known.append(facts)
    return known, doubts


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
    known_policies, blind_policies = _network_policies(stack)
    policies: dict[str, list[_Policy]] = {}
    for policy in known_policies:
        policies.setdefault(policy.namespace, []).append(policy)
    known = set(cluster.namespaces())
    for namespace in cluster.namespaces():
        yield INDEPENDENT  # each namespace, then each pod, is judged on the policies that may govern it
        mine = policies.get(namespace, [])
        if not any(p.default_deny for p in mine):
            _doubt_in(blind_policies, namespace).replay()  # a policy the pack cannot read may be the default deny
            yield f"namespace {namespace} has no default-deny NetworkPolicy (podSelector {{}}, Ingress and Egress)", None
        ingress_cover: set[int] = set()
        egress_cover: set[int] = set()
        for policy in mine:
            if selector_is_empty(policy.pod_selector):
                continue
            for workload in cluster.selected(namespace, policy.pod_selector):
                if "Ingress" in policy.types:
                    ingress_cover.add(id(workload))
                if "Egress" in policy.types:
                    egress_cover.add(id(workload))
        for workload in cluster.by_namespace.get(namespace, []):
            yield INDEPENDENT
            missing = [t for t, cover in (("Ingress", ingress_cover), ("Egress", egress_cover)) if id(workload) not in cover]
            if missing:
                _doubt_in(blind_policies, namespace).replay()
                yield f"{workload.kind} {namespace}/{workload.name} is selected by no policy governing " \
                      f"{' and '.join(missing)}", workload.resource.urn
    for doubt in cluster.doubts + blind_policies:
        yield INDEPENDENT  # a pod or policy the pack cannot place: its blind value is reported, nothing else
        doubt.blind.replay()
    for policy in known_policies:
        for direction, peer_key, rules in (("ingress", "from", policy.ingress), ("egress", "to", policy.egress)):
            for rule in rules:
                for peer in items(get(rule, peer_key)):
                    yield INDEPENDENT  # each peer is judged on the pods it may select
                    if get(peer, "podSelector") is None or selector_is_empty(get(peer, "podSelector")):
                        continue
                    targets = _peer_namespaces(peer, policy.namespace, known)
                    if targets is None or any(cluster.hidden(t) or t not in known for t in targets):
                        continue
                    if not any(cluster.selected(t, get(peer, "podSelector")) for t in targets):
                        for target in targets:
                            cluster.doubt(target).replay()  # a pod with blind labels may be the peer
                        yield f"{direction} peer {dict(mapping(get(peer, 'podSelector', 'matchLabels')))} in " \
                              f"{', '.join(targets)} selects no pods (a dangling rule)", policy.resource.urn


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
    first_lacking: dict[tuple[int, int | str], Workload | None] = {}
    slots_of: dict[int, set[str]] = {}  # per selection (the Cluster keeps one list per distinct selector)
    for service in stack.of(SERVICE):
        yield INDEPENDENT  # each Service is judged on its own selector and the pods it may select
        def facts(service: PolicyResource = service) -> tuple[Any, str, str]:
            return (settle(get(service.props, "spec", "selector")), str(settle(get(service.props, "spec", "type"))),
                    namespace_of(service.props, _provider_props(service)))
        (selector, kind, namespace), blind = derive(facts, service.props, _provider_props(service))
        if blind:
            blind.replay()  # the Service's own selector, type or namespace: reported, its findings withheld
            continue
        selector = mapping(selector)
        if not selector or kind == "ExternalName":
            continue
        matched = cluster.selected(namespace, selector)
        if not matched:
            if not cluster.hidden(namespace):
                cluster.doubt(namespace).replay()  # a pod with blind labels may be the one selected
                yield f"selector {dict(selector)} matches no pods the stack declares", service.urn
            continue
        if id(matched) not in slots_of:
            slots_of[id(matched)] = {w.slot for w in matched if w.slot is not None}
        slots = slots_of[id(matched)]
        if slot_of({str(k): str(v) for k, v in selector.items()}) is None and len(slots) > 1:
            yield "the selector spans both slots (no slot label): blue/green switching cannot work", service.urn
        for port in items(get(service.props, "spec", "ports")):
            yield INDEPENDENT  # each port on its own: the first selected workload without it is named
            target = get(port, "targetPort", default=get(port, "port"))
            verify.needs_value(target)
            as_number = port_number(target)
            wanted = as_number if as_number is not None else str(target)
            key = (id(matched), wanted)  # one answer per selection and port, however many Services share them
            if key not in first_lacking:
                first_lacking[key] = next((w for w in matched if not w.declares(wanted)), None)
            workload = first_lacking[key]
            if workload is not None:
                workload.ports()  # a port it cannot read may be this one: read it here
                shown = as_number if as_number is not None else str(target)[:63]
                yield f"targetPort {shown} is not a container port of {workload.kind} {workload.name}", service.urn


POLICIES = [k8s_min_replicas, k8s_hpa_valid, k8s_pdb_sane, k8s_network_policy_coverage, k8s_service_selects_slot]

__all__ = ["DEPLOYMENT", "POLICIES", "STATEFULSET"]
