"""Mutation operators for the stack-wide Kubernetes rules and blue/green consistency: the ways a careless or
malicious change to a shipped export breaks replicas, autoscaling, disruption budgets, NetworkPolicy
coverage, the slot Services and the release outputs (several spellings each)."""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from typing import Any

from tests.policies.mutants.model import Export, Mutation, add_resource, first, on, resources, set_input

DEPLOYMENT = "kubernetes:apps/v1:Deployment"
HPA = "kubernetes:autoscaling/v2:HorizontalPodAutoscaler"
PDB = "kubernetes:policy/v1:PodDisruptionBudget"
SERVICE = "kubernetes:core/v1:Service"
NETPOL = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
CONFIGMAP = "kubernetes:core/v1:ConfigMap"
STACK = "pulumi:pulumi:Stack"
APP_NS = "orchestrator"
PROD = ("production", "production-azure")
"""Stacks whose standby slot keeps the full minimum too (staging's and local's standby HPA may run 1)."""


def _output(name: str, value: Any) -> Callable[[Export], None]:
    """Sets a stack output (the root's outputs are what the engine hands the stack rules)."""
    def apply(export: Export) -> None:
        first(export, STACK)["outputs"][name] = value
    return apply


def _outputs(**values: Any) -> Callable[[Export], None]:
    def apply(export: Export) -> None:
        first(export, STACK)["outputs"].update(values)
    return apply


def _remove(export: Export, type_: str, name: str) -> str:
    """Drops a resource from the export (and every reference to it); returns its URN."""
    entry = first(export, type_, name)
    urn = str(entry["urn"])
    export["deployment"]["resources"] = [r for r in resources(export) if r["urn"] != urn]
    for other in resources(export):
        if urn in other.get("dependencies", []):
            other["dependencies"] = [d for d in other["dependencies"] if d != urn]
        for prop, urns in list(other.get("propertyDependencies", {}).items()):
            other["propertyDependencies"][prop] = [d for d in urns if d != urn]
    return urn


def _retype(entry: dict[str, Any], type_: str) -> None:
    """Respells a resource's type (and its URN) as another API version of the same kind."""
    old = entry["type"]
    entry["type"] = type_
    entry["urn"] = entry["urn"].replace(f"{old}::", f"{type_}::")


def _then(*steps: Callable[[Export], Any], flagged: Callable[[Export], str | None]) -> Callable[[Export], str | None]:
    """Applies every step, then returns what `flagged` names."""
    def apply(export: Export) -> str | None:
        for step in steps:
            step(export)
        return flagged(export)
    return apply


def _urn(type_: str, name: str) -> Callable[[Export], str]:
    return lambda export: str(first(export, type_, name)["urn"])


def _stack_level(export: Export) -> None:
    return None


def _set(type_: str, name: str, path: tuple[str | int, ...], value: Any) -> Callable[[Export], str]:
    return on(type_, name, path, value)


def _pop(type_: str, name: str, *path: str) -> Callable[[Export], str]:
    """Deletes `path` from a resource's inputs and outputs."""
    def apply(export: Export) -> str:
        entry = first(export, type_, name)
        for side in ("inputs", "outputs"):
            node = entry.get(side, {})
            for key in path[:-1]:
                node = node.get(key, {})
            node.pop(path[-1], None)
        return str(entry["urn"])
    return apply


# --- k8s-min-replicas ------------------------------------------------------------------------------------

def _hpa_v1(min_replicas: int, max_replicas: int = 20, cpu: int = 70) -> Callable[[Export], str]:
    """The blue HPA respelt in autoscaling/v1 (targetCPUUtilizationPercentage, no metrics list)."""
    def apply(export: Export) -> str:
        entry = first(export, HPA, "app-blue-hpa")
        _retype(entry, "kubernetes:autoscaling/v1:HorizontalPodAutoscaler")
        for side in ("inputs", "outputs"):
            spec = entry[side]["spec"]
            spec.pop("metrics", None)
            spec.pop("behavior", None)
            spec.update({"minReplicas": min_replicas, "maxReplicas": max_replicas, "targetCPUUtilizationPercentage": cpu})
            entry[side]["apiVersion"] = "autoscaling/v1"
        return str(entry["urn"])
    return apply


def _hpa_v2beta2(cpu: int) -> Callable[[Export], str]:
    def apply(export: Export) -> str:
        entry = first(export, HPA, "app-blue-hpa")
        _retype(entry, "kubernetes:autoscaling/v2beta2:HorizontalPodAutoscaler")
        for side in ("inputs", "outputs"):
            for metric in entry[side]["spec"]["metrics"]:
                if metric["resource"]["name"] == "cpu":
                    metric["resource"]["target"]["averageUtilization"] = cpu
        return str(entry["urn"])
    return apply


def _unscaled_blue(replicas: int) -> Callable[[Export], str]:
    """The blue HPA gone; the Deployment's own spec.replicas then is the floor."""
    def apply(export: Export) -> str:
        _remove(export, HPA, "app-blue-hpa")
        return set_input(first(export, DEPLOYMENT, "app-blue"), ("spec", "replicas"), replicas)
    return apply


MIN_REPLICAS = [
    Mutation("k8s-min-replicas-hpa-min-1", "k8s-min-replicas",
             _then(_set(HPA, "app-blue-hpa", ("spec", "minReplicas"), 1), flagged=_urn(DEPLOYMENT, "app-blue")),
             message="the blue slot runs 1 replica(s) (its HPA minReplicas); need 3"),
    Mutation("k8s-min-replicas-hpa-min-text", "k8s-min-replicas",
             _then(_set(HPA, "app-blue-hpa", ("spec", "minReplicas"), "2"), flagged=_urn(DEPLOYMENT, "app-blue")),
             message="the blue slot runs 2 replica(s)"),
    Mutation("k8s-min-replicas-no-hpa", "k8s-min-replicas",
             _then(_unscaled_blue(2), flagged=_urn(DEPLOYMENT, "app-blue")),
             message="the blue slot runs 2 replica(s) (spec.replicas); need 3"),
    Mutation("k8s-min-replicas-hpa-elsewhere", "k8s-min-replicas",
             _then(_set(HPA, "app-blue-hpa", ("spec", "scaleTargetRef", "name"), "orchestrator-canary"),
                   flagged=_urn(DEPLOYMENT, "app-blue")),
             message="the blue slot runs 1 replica(s) (spec.replicas)"),
    Mutation("k8s-min-replicas-autoscaling-v1", "k8s-min-replicas",
             _then(_hpa_v1(1), flagged=_urn(DEPLOYMENT, "app-blue")),
             message="the blue slot runs 1 replica(s) (its HPA minReplicas)"),
    Mutation("k8s-min-replicas-green-live", "k8s-min-replicas",
             _then(_outputs(activeSlot="green"), _set(HPA, "app-green-hpa", ("spec", "minReplicas"), 2),
                   flagged=_urn(DEPLOYMENT, "app-green")),
             message="the green slot runs 2 replica(s)"),
]


# --- k8s-hpa-valid ---------------------------------------------------------------------------------------

HPA_VALID = [
    Mutation("k8s-hpa-valid-missing-target", "k8s-hpa-valid",
             _set(HPA, "app-blue-hpa", ("spec", "scaleTargetRef", "name"), "orchestrator-canary"),
             message="targets Deployment/orchestrator-canary, which the stack does not declare"),
    Mutation("k8s-hpa-valid-wrong-kind", "k8s-hpa-valid",
             _set(HPA, "app-blue-hpa", ("spec", "scaleTargetRef", "kind"), "StatefulSet"),
             message="targets StatefulSet/orchestrator-blue, which the stack does not declare"),
    Mutation("k8s-hpa-valid-max-100", "k8s-hpa-valid",
             _set(HPA, "app-blue-hpa", ("spec", "maxReplicas"), 100),
             message="maxReplicas 100 is not between minReplicas and 20"),
    Mutation("k8s-hpa-valid-max-equals-min", "k8s-hpa-valid",
             _set(HPA, "app-blue-hpa", ("spec", "maxReplicas"), 3),
             message="maxReplicas 3 is not between minReplicas and 20"),
    Mutation("k8s-hpa-valid-min-1", "k8s-hpa-valid",
             _set(HPA, "app-blue-hpa", ("spec", "minReplicas"), 1), message="minReplicas 1 < 3"),
    Mutation("k8s-hpa-valid-standby-min-1", "k8s-hpa-valid",
             _set(HPA, "app-green-hpa", ("spec", "minReplicas"), 1), stacks=PROD, message="minReplicas 1 < 3"),
    Mutation("k8s-hpa-valid-v1-min-1-max-100", "k8s-hpa-valid", _hpa_v1(1, 100),
             message="maxReplicas 100 is not between minReplicas and 20"),
    Mutation("k8s-hpa-valid-v1-cpu-95", "k8s-hpa-valid", _hpa_v1(3, 20, 95), message="cpu target is 95 (need 70)"),
    Mutation("k8s-hpa-valid-v2beta2-cpu-95", "k8s-hpa-valid", _hpa_v2beta2(95), message="cpu target is 95 (need 70)"),
    Mutation("k8s-hpa-valid-no-memory-metric", "k8s-hpa-valid",
             lambda export: set_input(first(export, HPA, "app-blue-hpa"), ("spec", "metrics"), [
                 m for m in first(export, HPA, "app-blue-hpa")["inputs"]["spec"]["metrics"]
                 if m["resource"]["name"] != "memory"]),
             message="memory target is None (need 80)"),
]


# --- k8s-pdb-sane ----------------------------------------------------------------------------------------

def _budget(name: str, **spec: Any) -> Callable[[Export], str]:
    """Replaces a PDB's budget (minAvailable/maxUnavailable) with `spec`."""
    def apply(export: Export) -> str:
        entry = first(export, PDB, name)
        for side in ("inputs", "outputs"):
            entry[side]["spec"].pop("minAvailable", None)
            entry[side]["spec"].pop("maxUnavailable", None)
            entry[side]["spec"].update(spec)
        return str(entry["urn"])
    return apply


PDB_SANE = [
    Mutation("k8s-pdb-sane-max-unavailable-0", "k8s-pdb-sane", _budget("app-blue-pdb", maxUnavailable=0),
             message="maxUnavailable is 0: no voluntary disruption is possible"),
    Mutation("k8s-pdb-sane-max-unavailable-0-percent", "k8s-pdb-sane", _budget("app-blue-pdb", maxUnavailable="0%"),
             message="maxUnavailable is 0%"),
    Mutation("k8s-pdb-sane-edge-max-unavailable-0", "k8s-pdb-sane", _budget("edge-pdb", maxUnavailable=0),
             message="maxUnavailable is 0"),
    Mutation("k8s-pdb-sane-min-available-100-percent", "k8s-pdb-sane", _budget("app-blue-pdb", minAvailable="100%"),
             message="minAvailable 100% is not below the minimum of 3 replica(s)"),
    Mutation("k8s-pdb-sane-min-available-equals-hpa-min", "k8s-pdb-sane", _budget("app-blue-pdb", minAvailable=3),
             message="minAvailable 3 is not below the minimum of 3 replica(s)"),
    Mutation("k8s-pdb-sane-edge-min-available-all", "k8s-pdb-sane", _budget("edge-pdb", minAvailable="100%"),
             message="minAvailable 100% is not below the minimum of"),
    Mutation("k8s-pdb-sane-dangling-selector", "k8s-pdb-sane",
             _set(PDB, "app-blue-pdb", ("spec", "selector", "matchLabels", "slot"), "purple"),
             message="the selector matches no pods the stack declares"),
    Mutation("k8s-pdb-sane-live-slot-uncovered", "k8s-pdb-sane",
             _then(_set(PDB, "app-blue-pdb", ("spec", "selector", "matchLabels", "slot"), "green"),
                   flagged=_urn(DEPLOYMENT, "app-blue")),
             message="the blue slot has no PodDisruptionBudget"),
    Mutation("k8s-pdb-sane-live-slot-budget-removed", "k8s-pdb-sane",
             _then(lambda export: _remove(export, PDB, "app-blue-pdb"), flagged=_urn(DEPLOYMENT, "app-blue")),
             message="the blue slot has no PodDisruptionBudget"),
]


# --- k8s-network-policy-coverage -------------------------------------------------------------------------

def _scratch_namespace(export: Export) -> None:
    """A new Deployment (the blue pod template) in a namespace no NetworkPolicy governs."""
    template = copy.deepcopy(first(export, DEPLOYMENT, "app-blue")["inputs"]["spec"]["template"])
    add_resource(export, DEPLOYMENT, "scratch", {"kind": "Deployment", "metadata": {"name": "scratch", "namespace": "scratch"},
                                                 "spec": {"selector": {"matchLabels": template["metadata"]["labels"]},
                                                          "template": template}})


COVERAGE = [
    Mutation("k8s-network-policy-coverage-default-deny-ingress-only", "k8s-network-policy-coverage",
             _then(_set(NETPOL, "app-namespace-default-deny", ("spec", "policyTypes"), ["Ingress"]), flagged=_stack_level),
             message=f"namespace {APP_NS} has no default-deny NetworkPolicy"),
    Mutation("k8s-network-policy-coverage-default-deny-narrowed", "k8s-network-policy-coverage",
             _then(_set(NETPOL, "edge-default-deny", ("spec", "podSelector"),
                        {"matchLabels": {"app.kubernetes.io/name": "haproxy"}}), flagged=_stack_level),
             message="namespace edge has no default-deny NetworkPolicy"),
    Mutation("k8s-network-policy-coverage-default-deny-removed", "k8s-network-policy-coverage",
             _then(lambda export: _remove(export, NETPOL, "app-namespace-default-deny"), flagged=_stack_level),
             message=f"namespace {APP_NS} has no default-deny NetworkPolicy"),
    Mutation("k8s-network-policy-coverage-new-namespace", "k8s-network-policy-coverage",
             _then(_scratch_namespace, flagged=_stack_level),
             message="namespace scratch has no default-deny NetworkPolicy"),
    Mutation("k8s-network-policy-coverage-edge-pods-unselected", "k8s-network-policy-coverage",
             _then(_set(NETPOL, "edge-haproxy", ("spec", "podSelector", "matchLabels", "app.kubernetes.io/name"),
                        "haproxy-old"), flagged=_urn(DEPLOYMENT, "edge-deployment")),
             message="Deployment edge/haproxy is selected by no policy governing Ingress and Egress"),
    Mutation("k8s-network-policy-coverage-app-egress-ungoverned", "k8s-network-policy-coverage",
             _then(_set(NETPOL, "app-allow-egress", ("spec", "policyTypes"), ["Ingress"]),
                   flagged=_urn(DEPLOYMENT, "app-blue")),
             message="is selected by no policy governing Egress"),
    Mutation("k8s-network-policy-coverage-dangling-peer", "k8s-network-policy-coverage",
             _set(NETPOL, "app-allow-ingress", ("spec", "ingress", 0, "from", 0, "podSelector", "matchLabels",
                                                "app.kubernetes.io/name"), "haproxy-old"),
             message="selects no pods (a dangling rule)"),
]


# --- k8s-service-selects-slot ----------------------------------------------------------------------------

def _drop_selector_slot(name: str) -> Callable[[Export], str]:
    return _pop(SERVICE, name, "spec", "selector", "slot")


SERVICES = [
    Mutation("k8s-service-selects-slot-live-both-slots", "k8s-service-selects-slot", _drop_selector_slot("app-live"),
             message="the selector spans both slots (no slot label)"),
    Mutation("k8s-service-selects-slot-slot-service-both-slots", "k8s-service-selects-slot",
             _drop_selector_slot("app-green-service"), message="the selector spans both slots"),
    Mutation("k8s-service-selects-slot-no-slot", "k8s-service-selects-slot",
             _set(SERVICE, "app-blue-service", ("spec", "selector", "slot"), "purple"),
             message="matches no pods the stack declares"),
    Mutation("k8s-service-selects-slot-target-port-number", "k8s-service-selects-slot",
             _set(SERVICE, "app-blue-service", ("spec", "ports", 0, "targetPort"), 9090),
             message="targetPort 9090 is not a container port of Deployment orchestrator-blue"),
    Mutation("k8s-service-selects-slot-target-port-name", "k8s-service-selects-slot",
             _set(SERVICE, "app-live", ("spec", "ports", 0, "targetPort"), "grpc"),
             message="targetPort grpc is not a container port of Deployment orchestrator-blue"),
    Mutation("k8s-service-selects-slot-edge-target-port", "k8s-service-selects-slot",
             _set(SERVICE, "edge-service", ("spec", "ports", 1, "targetPort"), "htps"),
             message="targetPort htps is not a container port of Deployment haproxy"),
]


# --- stack-blue-green-consistent -------------------------------------------------------------------------

def _config(edit: Callable[[str], str]) -> Callable[[Export], str]:
    """Rewrites the edge's haproxy.cfg (inputs and outputs)."""
    def apply(export: Export) -> str:
        entry = first(export, CONFIGMAP, "edge-config")
        for side in ("inputs", "outputs"):
            entry[side]["data"]["haproxy.cfg"] = edit(entry[side]["data"]["haproxy.cfg"])
        return str(entry["urn"])
    return apply


def _server(slot: str, rest: str) -> Callable[[str], str]:
    """Replaces what follows the slot's server address (its weight and flags)."""
    return lambda text: re.sub(rf"(server {slot} \S+) weight \d+", rf"\1 {rest}", text, count=1)


def _no_server(slot: str) -> Callable[[str], str]:
    return lambda text: "\n".join(line for line in text.splitlines() if not line.strip().startswith(f"server {slot} "))


def _relabel(name: str, slot: str) -> Callable[[Export], str]:
    """Gives a Deployment's pods the other slot's label (so the stack has two of one slot, none of the other)."""
    return on(DEPLOYMENT, name, ("spec", "template", "metadata", "labels", "slot"), slot)


BLUE_GREEN = [
    Mutation("stack-blue-green-consistent-active-slot-missing", "stack-blue-green-consistent",
             _then(lambda export: _remove(export, DEPLOYMENT, "app-blue"), flagged=_stack_level),
             message="the active slot blue has no Deployment"),
    Mutation("stack-blue-green-consistent-active-slot-unknown-name", "stack-blue-green-consistent",
             _then(_output("activeSlot", "purple"), flagged=_stack_level),
             message="the active slot purple has no Deployment"),
    Mutation("stack-blue-green-consistent-slot-relabelled", "stack-blue-green-consistent",
             _then(_relabel("app-blue", "green"), flagged=_stack_level), message="no Deployment for the blue slot"),
    Mutation("stack-blue-green-consistent-canary-off-step", "stack-blue-green-consistent",
             _then(_output("canaryWeight", 30), flagged=_stack_level),
             message="canaryWeight 30 is not one of (0, 10, 25, 50, 75, 100)"),
    Mutation("stack-blue-green-consistent-canary-weights-unchanged", "stack-blue-green-consistent",
             _then(_output("canaryWeight", 25), flagged=_urn(CONFIGMAP, "edge-config")),
             message="HAProxy weights are blue 100 / green 0; expected blue 75 / green 25"),
    Mutation("stack-blue-green-consistent-weights-not-100", "stack-blue-green-consistent",
             _then(_outputs(canaryWeight=25), _config(_server("green", "weight 50")),
                   flagged=_urn(CONFIGMAP, "edge-config")),
             message="HAProxy weights are blue 67 / green 33; expected blue 75 / green 25"),
    Mutation("stack-blue-green-consistent-switched-without-weights", "stack-blue-green-consistent",
             _then(_output("activeSlot", "green"), flagged=_urn(CONFIGMAP, "edge-config")),
             message="expected green 100 / blue 0"),
    Mutation("stack-blue-green-consistent-green-server-missing", "stack-blue-green-consistent",
             _config(_no_server("green")), message="HAProxy routes to ['blue'] (need servers for blue and green)"),
    Mutation("stack-blue-green-consistent-live-server-disabled", "stack-blue-green-consistent",
             _config(_server("blue", "weight 100 disabled")), message="both slots have weight 0"),
]


OPERATORS: list[Mutation] = [*MIN_REPLICAS, *HPA_VALID, *PDB_SANE, *COVERAGE, *SERVICES, *BLUE_GREEN]
