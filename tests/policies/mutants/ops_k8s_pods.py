"""Mutation operators for the advisory pod rules (read-only root filesystem, resources, service account, zone
spread): each weakens one shipped workload -- an application slot or the edge proxy -- in one spelling, and the
message substring names the defect."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from tests.policies.mutants.model import Export, Mutation, add_resource, first, set_input

DEPLOYMENT = "kubernetes:apps/v1:Deployment"
SERVICE_ACCOUNT = "kubernetes:core/v1:ServiceAccount"
POD = ("spec", "template", "spec")
MAIN = (*POD, "containers", 0)
BUSYBOX = "busybox:1.36.1"
# Everything the rules ask of a container except the field an operator is about.
SAFE_CONTEXT = {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True, "runAsNonRoot": True,
                "runAsUser": 10001, "runAsGroup": 10001, "capabilities": {"drop": ["ALL"]}}
RESOURCES = {"requests": {"cpu": "50m", "memory": "32Mi"}, "limits": {"cpu": "100m", "memory": "64Mi"}}

Apply = Callable[[Export], str]


def _workload(name: str) -> Callable[[Export], dict[str, Any]]:
    return lambda export: first(export, DEPLOYMENT, name)


APP_BLUE, APP_GREEN, EDGE = _workload("app-blue"), _workload("app-green"), _workload("edge-deployment")


def _set(target: Callable[[Export], dict[str, Any]], path: tuple[str | int, ...], value: Any) -> Apply:
    return lambda export: set_input(target(export), path, copy.deepcopy(value))


def _drop(target: Callable[[Export], dict[str, Any]], *paths: tuple[str | int, ...]) -> Apply:
    """Removes each path from the resource's inputs and outputs (a field the engine never recorded)."""
    def apply(export: Export) -> str:
        resource = target(export)
        for path in paths:
            for side in ("inputs", "outputs"):
                node: Any = resource.get(side, {})
                for key in path[:-1]:
                    node = node[key]
                node.pop(path[-1], None)
        return str(resource["urn"])
    return apply


def _extra_container(target: Callable[[Export], dict[str, Any]], list_name: str, container: dict[str, Any]) -> Apply:
    return _set(target, (*POD, list_name), [container])


def _copy_as(kind_type: str, kind: str, target: Callable[[Export], dict[str, Any]],
             change: Callable[[dict[str, Any]], None]) -> Apply:
    """The workload's inputs under another kind (same pod template), changed, added beside it."""
    def apply(export: Export) -> str:
        inputs = copy.deepcopy(target(export)["inputs"])
        inputs["kind"] = kind
        inputs["metadata"]["name"] = f"{inputs['metadata']['name']}-{kind.lower()}"
        change(inputs)
        return add_resource(export, kind_type, f"{kind.lower()}-copy", inputs)
    return apply


def _without_zone_spread(inputs: dict[str, Any]) -> None:
    inputs["spec"]["template"]["spec"].pop("topologySpreadConstraints", None)


READ_ONLY = [
    Mutation("k8s-read-only-root-fs-false", "k8s-read-only-root-fs",
             _set(APP_BLUE, (*MAIN, "securityContext", "readOnlyRootFilesystem"), False),
             message="readOnlyRootFilesystem: False"),
    Mutation("k8s-read-only-root-fs-string-false", "k8s-read-only-root-fs",
             _set(EDGE, (*MAIN, "securityContext", "readOnlyRootFilesystem"), "false"),
             message="readOnlyRootFilesystem: false"),
    Mutation("k8s-read-only-root-fs-zero", "k8s-read-only-root-fs",
             _set(APP_GREEN, (*MAIN, "securityContext", "readOnlyRootFilesystem"), 0),
             message="readOnlyRootFilesystem: 0"),
    Mutation("k8s-read-only-root-fs-unset", "k8s-read-only-root-fs",
             _drop(EDGE, (*MAIN, "securityContext", "readOnlyRootFilesystem")),
             message="container 'haproxy' (spec.template.spec.containers[0]) does not set readOnlyRootFilesystem"),
    # Only containers have the field: a pod-level spelling leaves every container writable.
    Mutation("k8s-read-only-root-fs-pod-level", "k8s-read-only-root-fs",
             lambda e: (_set(APP_BLUE, (*POD, "securityContext", "readOnlyRootFilesystem"), True)(e),
                        _drop(APP_BLUE, (*MAIN, "securityContext", "readOnlyRootFilesystem"))(e))[1],
             message="does not set readOnlyRootFilesystem: true"),
    Mutation("k8s-read-only-root-fs-init", "k8s-read-only-root-fs",
             _extra_container(APP_BLUE, "initContainers", {
                 "name": "init", "image": BUSYBOX, "resources": RESOURCES,
                 "securityContext": {k: v for k, v in SAFE_CONTEXT.items() if k != "readOnlyRootFilesystem"}}),
             message="init container 'init' (spec.template.spec.initContainers[0]) does not set readOnlyRootFilesystem"),
    Mutation("k8s-read-only-root-fs-ephemeral", "k8s-read-only-root-fs",
             _extra_container(EDGE, "ephemeralContainers", {
                 "name": "debug", "image": BUSYBOX,
                 "securityContext": {**SAFE_CONTEXT, "readOnlyRootFilesystem": False}}),
             message="ephemeral container 'debug'"),
]

RESOURCE_LIMITS = [
    Mutation("k8s-resources-no-limits", "k8s-resources", _drop(APP_BLUE, (*MAIN, "resources", "limits")),
             message="has no resources.limits.cpu, resources.limits.memory"),
    Mutation("k8s-resources-no-memory-request", "k8s-resources",
             _drop(EDGE, (*MAIN, "resources", "requests", "memory")), message="resources.requests.memory"),
    Mutation("k8s-resources-no-resources", "k8s-resources", _drop(APP_GREEN, (*MAIN, "resources")),
             message="has no resources.requests.cpu"),
    Mutation("k8s-resources-app-memory-gi", "k8s-resources",
             _set(APP_BLUE, (*MAIN, "resources", "limits", "memory"), "2Gi"), message="memory limit 2Gi is above 512Mi"),
    Mutation("k8s-resources-app-memory-ki", "k8s-resources",
             _set(APP_GREEN, (*MAIN, "resources", "limits", "memory"), "600000Ki"),
             message="memory limit 600000Ki is above 512Mi"),
    Mutation("k8s-resources-app-memory-bytes", "k8s-resources",
             _set(APP_BLUE, (*MAIN, "resources", "limits", "memory"), 1073741824),
             message="memory limit 1073741824 is above 512Mi"),
    Mutation("k8s-resources-init", "k8s-resources",
             _extra_container(EDGE, "initContainers", {"name": "init", "image": BUSYBOX, "securityContext": SAFE_CONTEXT}),
             message="init container 'init'"),
]

ACCOUNTS = [
    Mutation("k8s-service-account-automount-pod", "k8s-service-account",
             _set(APP_BLUE, (*POD, "automountServiceAccountToken"), True),
             message="does not set automountServiceAccountToken: false"),
    Mutation("k8s-service-account-automount-unset", "k8s-service-account",
             _drop(EDGE, (*POD, "automountServiceAccountToken")),
             message="does not set automountServiceAccountToken: false"),
    Mutation("k8s-service-account-default-name", "k8s-service-account",
             _set(APP_GREEN, (*POD, "serviceAccountName"), "default"), message="the `default` service account"),
    Mutation("k8s-service-account-no-name", "k8s-service-account", _drop(EDGE, (*POD, "serviceAccountName")),
             message="the `default` service account"),
    # The deprecated field spells the same account.
    Mutation("k8s-service-account-deprecated-field", "k8s-service-account",
             lambda e: (_drop(APP_BLUE, (*POD, "serviceAccountName"))(e),
                        _set(APP_BLUE, (*POD, "serviceAccount"), "default")(e))[1],
             message="the `default` service account"),
    Mutation("k8s-service-account-default-namespace", "k8s-service-account",
             _set(EDGE, ("metadata", "namespace"), "default"), message="`default` namespace"),
    Mutation("k8s-service-account-token-on-account", "k8s-service-account",
             _set(lambda e: first(e, SERVICE_ACCOUNT, "app-service-account"), ("automountServiceAccountToken",), "true"),
             message="sets automountServiceAccountToken: true"),
]

SPREAD = [
    Mutation("k8s-spread-removed", "k8s-spread", _drop(EDGE, (*POD, "topologySpreadConstraints")),
             message="no zone topologySpreadConstraints"),
    Mutation("k8s-spread-hostname-only", "k8s-spread",
             _set(APP_BLUE, (*POD, "topologySpreadConstraints"),
                  [{"maxSkew": 1, "topologyKey": "kubernetes.io/hostname", "whenUnsatisfiable": "ScheduleAnyway",
                    "labelSelector": {"matchLabels": {"slot": "blue"}}}]),
             message="no zone topologySpreadConstraints"),
    Mutation("k8s-spread-huge-skew", "k8s-spread", _set(EDGE, (*POD, "topologySpreadConstraints", 0, "maxSkew"), 100),
             message="maxSkew 100"),
    Mutation("k8s-spread-selects-nothing", "k8s-spread",
             _set(APP_GREEN, (*POD, "topologySpreadConstraints", 0, "labelSelector"),
                  {"matchLabels": {"app.kubernetes.io/name": "something-else"}}),
             message="does not select this pod"),
    Mutation("k8s-spread-statefulset-copy", "k8s-spread",
             _copy_as("kubernetes:apps/v1:StatefulSet", "StatefulSet", EDGE, _without_zone_spread),
             message="no zone topologySpreadConstraints"),
    Mutation("k8s-spread-empty-anti-affinity", "k8s-spread",
             lambda e: (_drop(APP_BLUE, (*POD, "topologySpreadConstraints"))(e),
                        _set(APP_BLUE, (*POD, "affinity"),
                             {"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": []}})(e))[1],
             message="no zone topologySpreadConstraints and no podAntiAffinity"),
]

def _operator_writable_root(release: str, value: Any) -> Apply:
    """The first `readOnlyRootFilesystem` of an operator's Helm values turned off (the pack sees an operator's pods
    only through its chart values)."""
    def apply(export: Export) -> str:
        resource = first(export, HELM_RELEASE, release)
        for side in ("inputs", "outputs"):
            stack: list[Any] = [resource.get(side, {}).get("values", {})]
            while stack:
                node = stack.pop()
                if isinstance(node, dict):
                    if node.get("readOnlyRootFilesystem") is True:
                        node["readOnlyRootFilesystem"] = value
                        break
                    stack.extend(node.values())
                elif isinstance(node, list):
                    stack.extend(node)
        return str(resource["urn"])
    return apply


HELM_RELEASE = "kubernetes:helm.sh/v3:Release"
OPERATOR_CHARTS = [
    Mutation("k8s-helm-release-values-collector-writable-root", "k8s-helm-release-values",
             _operator_writable_root("monitoring-otel-collector", False),
             message="readOnlyRootFilesystem is False: the chart lets a container write to its root filesystem"),
    Mutation("k8s-helm-release-values-lb-controller-writable-root", "k8s-helm-release-values",
             _operator_writable_root("front-door-lbc", "false"), stacks=("production", "staging"),
             message="readOnlyRootFilesystem is false"),
]

OPERATORS: list[Mutation] = [*READ_ONLY, *RESOURCE_LIMITS, *ACCOUNTS, *SPREAD, *OPERATOR_CHARTS]
