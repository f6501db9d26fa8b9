"""Mutation operators for the Kubernetes rules: each makes one shipped export insecure in one spelling.

The Deployments of every shipped stack carry the application pod (`orchestrator-blue`/`-green`) and the
edge (`edge-deployment`); the operators reach every container list, the pod- and container-level security
contexts, other kinds carrying the same pod template, and the secret, exposure and RBAC spellings.
"""

from __future__ import annotations

import base64
import copy
from collections.abc import Callable
from typing import Any

from tests.policies.mutants.model import Export, Mutation, add_resource, first, set_input

DEPLOYMENT = "kubernetes:apps/v1:Deployment"
CONFIGMAP = "kubernetes:core/v1:ConfigMap"
SERVICE = "kubernetes:core/v1:Service"
NETPOL = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
POD = ("spec", "template", "spec")
APP = (*POD, "containers", 0)
DEBUG = {"name": "debug", "image": "busybox:1.36.1"}


def _app(export: Export) -> dict[str, Any]:
    return first(export, DEPLOYMENT, "app-blue")


def on_app(path: tuple[str | int, ...], value: Any) -> Callable[[Export], str]:
    return lambda export: set_input(_app(export), path, copy.deepcopy(value))


def _init(export: Export, security: dict[str, Any]) -> str:
    app = _app(export)
    init = {"name": "init", "image": "busybox:1.36.1", "securityContext": security}
    return set_input(app, (*POD, "initContainers"), [init])


def _ephemeral(export: Export, security: dict[str, Any]) -> str:
    return set_input(_app(export), (*POD, "ephemeralContainers"), [{**DEBUG, "securityContext": security}])


def _as_kind(type_: str, kind: str, path: tuple[str | int, ...], value: Any) -> Callable[[Export], str]:
    def apply(export: Export) -> str:
        inputs = copy.deepcopy(_app(export)["inputs"])
        inputs["kind"] = kind
        node: Any = inputs
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value
        return add_resource(export, type_, f"{kind.lower()}-copy", inputs)
    return apply


def _cronjob(export: Export) -> str:
    template = copy.deepcopy(_app(export)["inputs"]["spec"]["template"])
    template["spec"]["containers"][0]["securityContext"]["privileged"] = True
    return add_resource(export, "kubernetes:batch/v1:CronJob", "cron", {
        "metadata": {"name": "cron", "namespace": "orchestrator"},
        "spec": {"schedule": "@daily", "jobTemplate": {"spec": {"template": template}}}})


def _configmap(data: dict[str, Any], section: str = "data") -> Callable[[Export], str]:
    return lambda export: add_resource(export, CONFIGMAP, "leaky", {"metadata": {"name": "leaky", "namespace": "x"},
                                                                      section: data})


def _public_app_service(export: Export) -> str:
    service = first(export, SERVICE, "app-live")
    return set_input(service, ("spec", "type"), "LoadBalancer")


def _second_edge_door(export: Export) -> str:
    edge = first(export, SERVICE, "edge-service")
    inputs = copy.deepcopy(edge["inputs"])
    inputs["metadata"]["name"] = "haproxy-stats"
    inputs["spec"]["type"] = "LoadBalancer"
    inputs["spec"]["externalTrafficPolicy"] = "Local"
    return add_resource(export, SERVICE, "edge-stats", inputs)


def _public_edge_door(export: Export) -> str:
    edge = first(export, SERVICE, "edge-service")
    inputs = copy.deepcopy(edge["inputs"])
    inputs["metadata"]["name"] = "haproxy-direct"
    inputs["metadata"].pop("annotations", None)
    inputs["spec"]["type"] = "LoadBalancer"
    inputs["spec"]["externalTrafficPolicy"] = "Local"
    return add_resource(export, SERVICE, "edge-direct", inputs)


def _edge_service_public(export: Export) -> str:
    edge = first(export, SERVICE, "edge-service")
    set_input(edge, ("spec", "type"), "LoadBalancer")
    set_input(edge, ("spec", "externalTrafficPolicy"), "Local")
    for side in ("inputs", "outputs"):
        edge[side]["metadata"].pop("annotations", None)
    return str(edge["urn"])


def _netpol_open(export: Export) -> str:
    policy = first(export, NETPOL, "app-allow-ingress")
    return set_input(policy, ("spec", "ingress"), [{"from": [{"ipBlock": {"cidr": "0.0.0.0/1"}},
                                                             {"ipBlock": {"cidr": "128.0.0.0/1"}}]}])


def _role(rules: list[dict[str, Any]]) -> Callable[[Export], str]:
    return lambda export: add_resource(export, "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole", "operator",
                                       {"metadata": {"name": "operator"}, "rules": rules})


def _workload_copy(type_: str, kind: str, where: str, **security: Any) -> Callable[[Export], str]:
    """The blue pod template, with `security` set on its app container, carried by another kind or API version."""
    def apply(export: Export) -> str:
        template = copy.deepcopy(_app(export)["inputs"]["spec"]["template"])
        template["spec"]["containers"][0]["securityContext"].update(security)
        spec: dict[str, Any] = {"template": template}
        if where == "job":
            spec = {"schedule": "@daily", "jobTemplate": {"spec": {"template": template}}}
        elif where == "pod":
            spec = template["spec"]
        name = f"{kind.lower()}-{type_.split(':')[1].replace('/', '-').replace('.', '-')}"
        return add_resource(export, type_, name, {"kind": kind, "metadata": {"name": name, "namespace": "orchestrator"},
                                                  "spec": spec})
    return apply


def _pod_level(field: str, value: Any) -> Callable[[Export], str]:
    """Sets a pod-level securityContext field and removes the container's own, so the pod's value applies."""
    def apply(export: Export) -> str:
        app = _app(export)
        for side in ("inputs", "outputs"):
            app[side]["spec"]["template"]["spec"]["containers"][0]["securityContext"].pop(field, None)
        return set_input(app, (*POD, "securityContext", field), value)
    return apply


def _binding(type_: str, role: str, subjects: list[dict[str, Any]] | None = None) -> Callable[[Export], str]:
    return lambda export: add_resource(export, type_, "grant", {
        "metadata": {"name": "grant", "namespace": "orchestrator"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role},
        "subjects": subjects or [{"kind": "ServiceAccount", "name": "ci", "namespace": "orchestrator"}]})


def _env(name: str, value: str) -> Callable[[Export], str]:
    def apply(export: Export) -> str:
        app = _app(export)
        env = copy.deepcopy(app["inputs"]["spec"]["template"]["spec"]["containers"][0].get("env", []))
        return set_input(app, (*APP, "env"), [*env, {"name": name, "value": value}])
    return apply


def _app_internal_lb(export: Export) -> str:
    service = first(export, SERVICE, "app-live")
    set_input(service, ("spec", "type"), "LoadBalancer")
    return set_input(service, ("metadata", "annotations"), {"service.beta.kubernetes.io/aws-load-balancer-internal": "true"})


JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhZG1pbiJ9.c2lnbmF0dXJlLWJ5dGVzLWhlcmU"


def _template_in_list(export: Export) -> str:
    template = copy.deepcopy(_app(export)["inputs"]["spec"]["template"])
    template["spec"]["containers"][0]["securityContext"]["privileged"] = True
    return add_resource(export, "kubernetes:example.com/v1:WorkerPool", "pool", {
        "metadata": {"name": "pool", "namespace": "orchestrator"}, "spec": {"pools": [{"name": "a", "template": template}]}})


def _helm_values(path: tuple[str, ...], value: Any) -> Callable[[Export], str]:
    """Sets a value in the first Helm Release's values (every shipped stack installs charts by Release)."""
    def apply(export: Export) -> str:
        release = next(r for r in export["deployment"]["resources"] if r["type"] == "kubernetes:helm.sh/v3:Release")
        return set_input(release, ("values", *path), copy.deepcopy(value))
    return apply


def _ingress_redirect_off(export: Export) -> str:
    return add_resource(export, "kubernetes:networking.k8s.io/v1:Ingress", "web", {
        "metadata": {"name": "web", "namespace": "orchestrator",
                     "annotations": {"nginx.ingress.kubernetes.io/ssl-redirect": "false"}},
        "spec": {"tls": [{"hosts": ["app.example.com"], "secretName": "tls"}], "rules": [{"host": "app.example.com"}]}})


RBAC = "kubernetes:rbac.authorization.k8s.io/v1"
WORKLOAD_SPELLINGS = (
    ("kubernetes:apps/v1:StatefulSet", "StatefulSet", "template"), ("kubernetes:apps/v1:DaemonSet", "DaemonSet", "template"),
    ("kubernetes:apps/v1:ReplicaSet", "ReplicaSet", "template"), ("kubernetes:batch/v1:Job", "Job", "template"),
    ("kubernetes:core/v1:ReplicationController", "ReplicationController", "template"),
    ("kubernetes:batch/v1beta1:CronJob", "CronJob", "job"), ("kubernetes:core/v1:Pod", "Pod", "pod"),
    ("kubernetes:apps/v1beta1:Deployment", "Deployment", "template"),
    ("kubernetes:extensions/v1beta1:DaemonSet", "DaemonSet", "template"),
    ("kubernetes:apps.openshift.io/v1:DeploymentConfig", "DeploymentConfig", "template"),
    ("kubernetes:example.com/v1:Widget", "Widget", "template"),
)


PEM = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXk\n-----END OPENSSH PRIVATE KEY-----\n"

# Medium rules are mandatory only where the stack's policy configuration escalates them (production).
MANDATORY_MEDIUM = ("production", "production-azure")

OPERATORS: list[Mutation] = [
    Mutation("k8s-no-privileged-container", "k8s-no-privileged", on_app((*APP, "securityContext", "privileged"), True),
             message="securityContext.privileged: true"),
    Mutation("k8s-no-privileged-init", "k8s-no-privileged", lambda e: _init(e, {"privileged": True}),
             message="init container 'init'"),
    Mutation("k8s-no-privileged-ephemeral", "k8s-no-privileged", lambda e: _ephemeral(e, {"privileged": True}),
             message="ephemeral container 'debug'"),
    Mutation("k8s-no-privileged-rollout", "k8s-no-privileged",
             _as_kind("kubernetes:argoproj.io/v1alpha1:Rollout", "Rollout", (*APP, "securityContext", "privileged"), True),
             message="privileged: true"),
    Mutation("k8s-no-privileged-cronjob", "k8s-no-privileged", _cronjob, message="jobTemplate"),
    Mutation("k8s-no-privileged-procmount", "k8s-no-privileged",
             on_app((*APP, "securityContext", "procMount"), "Unmasked"), message="procMount"),
    Mutation("k8s-no-privileged-host-process", "k8s-no-privileged",
             on_app((*POD, "securityContext", "windowsOptions"), {"hostProcess": True}), message="hostProcess"),
    Mutation("k8s-no-privilege-escalation-ephemeral", "k8s-no-privilege-escalation",
             lambda e: _ephemeral(e, {"allowPrivilegeEscalation": True}), message="allowPrivilegeEscalation"),
    Mutation("k8s-run-as-non-root-uid0", "k8s-run-as-non-root", on_app((*APP, "securityContext", "runAsUser"), 0),
             message="UID 0"),
    Mutation("k8s-run-as-non-root-fsgroup0", "k8s-run-as-non-root", on_app((*POD, "securityContext", "fsGroup"), 0),
             message="fsGroup: 0"),
    Mutation("k8s-run-as-non-root-group0", "k8s-run-as-non-root", on_app((*APP, "securityContext", "runAsGroup"), 0),
             message="runAsGroup 0"),
    Mutation("k8s-drop-capabilities-chown", "k8s-drop-capabilities",
             on_app((*APP, "securityContext", "capabilities"), {"drop": ["ALL"], "add": ["CHOWN"]}), message="CHOWN"),
    Mutation("k8s-no-host-namespaces-share", "k8s-no-host-namespaces", on_app((*POD, "shareProcessNamespace"), True),
             message="shareProcessNamespace"),
    Mutation("k8s-safe-sysctls-msgmax", "k8s-safe-sysctls",
             on_app((*POD, "securityContext", "sysctls"), [{"name": "kernel.msgmax", "value": "65536"}]),
             message="kernel.msgmax"),
    Mutation("k8s-apparmor-unconfined", "k8s-apparmor-selinux",
             on_app((*APP, "securityContext", "appArmorProfile"), {"type": "Unconfined"}), message="Unconfined"),
    Mutation("k8s-seccomp-annotation", "k8s-seccomp",
             on_app(("spec", "template", "metadata", "annotations"),
                    {"seccomp.security.alpha.kubernetes.io/pod": "unconfined"}), message="unconfined",
             stacks=MANDATORY_MEDIUM),
    Mutation("k8s-image-pinned-bare-major", "k8s-image-pinned", on_app((*APP, "image"), "ghcr.io/acme/orchestrator:2"),
             message="not a full version"),
    Mutation("k8s-no-host-path-pv", "k8s-no-host-path-or-port",
             lambda e: add_resource(e, "kubernetes:core/v1:PersistentVolume", "pv", {"spec": {"hostPath": {"path": "/"}}}),
             message="hostPath"),
    Mutation("k8s-probes-foreign-port", "k8s-probes", on_app((*APP, "livenessProbe", "httpGet", "port"), 9999),
             message="port 9999", stacks=MANDATORY_MEDIUM),
    Mutation("k8s-no-literal-secret-env-dsn", "k8s-no-literal-secret-env",
             on_app((*APP, "env"), [{"name": "SENTRY_DSN", "value": "https://abc@sentry.example/1"}]),
             message="SENTRY_DSN"),
    Mutation("k8s-configmap-no-secrets-binary", "k8s-configmap-no-secrets",
             _configmap({"id": base64.b64encode(PEM.encode()).decode()}, "binaryData"), message="private key"),
    Mutation("k8s-configmap-no-secrets-json", "k8s-configmap-no-secrets",
             _configmap({"app.json": '{"redis": {"auth": "hunter2"}}'}), message="redis.auth"),
    Mutation("k8s-no-public-service-app-lb", "k8s-no-public-service", _public_app_service, message="LoadBalancer"),
    Mutation("k8s-no-public-service-second-door", "k8s-no-public-service", _second_edge_door, message="edge pods"),
    # A public copy (no internal-load-balancer annotation): beside production-azure's internal front door it would
    # bypass the Application Gateway's WAF.
    Mutation("k8s-no-public-service-public-beside", "k8s-no-public-service", _public_edge_door,
             message="exposes the edge pods"),
    # Behind a cloud front door (the ALB, the Application Gateway) the edge Service itself turned public.
    Mutation("k8s-no-public-service-edge-around-waf", "k8s-no-public-service", _edge_service_public,
             message="around its WAF", stacks=("production", "staging", "production-azure")),
    Mutation("k8s-network-policy-open-halves", "k8s-network-policy-no-allow-all", _netpol_open,
             message="covering the Internet"),
    Mutation("k8s-rbac-secrets-cluster-wide", "k8s-rbac-least-privilege",
             _role([{"apiGroups": [""], "resources": ["secrets"], "verbs": ["get", "list"]}]), message="secrets"),
    Mutation("k8s-rbac-wildcard", "k8s-rbac-least-privilege",
             _role([{"apiGroups": ["apps"], "resources": ["*"], "verbs": ["get"]}]), message="'*'"),
    Mutation("k8s-opaque-config-file", "k8s-opaque-content",
             lambda e: add_resource(e, "kubernetes:yaml/v2:ConfigFile", "extra", {"file": "extra.yaml"}),
             message="extra.yaml"),
    *(Mutation(f"k8s-no-privileged-{kind.lower()}-{type_.split(':')[1].replace('/', '-')}", "k8s-no-privileged",
               _workload_copy(type_, kind, where, privileged=True), stacks=("production",), message="privileged: true")
      for type_, kind, where in WORKLOAD_SPELLINGS),
    Mutation("k8s-run-as-non-root-pod-uid0", "k8s-run-as-non-root", _pod_level("runAsUser", "0"), message="UID 0"),
    Mutation("k8s-run-as-non-root-supplemental", "k8s-run-as-non-root",
             on_app((*POD, "securityContext", "supplementalGroups"), ["0"]), message="supplementalGroups"),
    Mutation("k8s-drop-capabilities-all", "k8s-drop-capabilities",
             on_app((*APP, "securityContext", "capabilities"), {"drop": ["ALL"], "add": ["all"]}), message="ALL"),
    Mutation("k8s-no-privileged-procmount-other", "k8s-no-privileged",
             on_app((*APP, "securityContext", "procMount"), "Other"), message="procMount: Other"),
    Mutation("k8s-seccomp-pod-unconfined", "k8s-seccomp", _pod_level("seccompProfile", {"type": "Unconfined"}),
             message="Unconfined", stacks=MANDATORY_MEDIUM),
    Mutation("k8s-apparmor-selinux-spc", "k8s-apparmor-selinux",
             on_app((*APP, "securityContext", "seLinuxOptions"), {"type": "spc_t"}), message="spc_t"),
    Mutation("k8s-image-pinned-digest-looking-tag", "k8s-image-pinned",
             on_app((*APP, "image"), "ghcr.io/acme/orchestrator:" + "e" * 64), message="not a full version or digest"),
    Mutation("k8s-image-pinned-upper-latest", "k8s-image-pinned", on_app((*APP, "image"), "ghcr.io/acme/orchestrator:LATEST"),
             message="LATEST"),
    Mutation("k8s-no-literal-secret-env-empty-user-url", "k8s-no-literal-secret-env",
             _env("CACHE_URL", "rediss://:hunter2@cache:6379/0"), message="password inside a URL"),
    Mutation("k8s-no-literal-secret-env-split-flag", "k8s-no-literal-secret-env",
             on_app((*APP, "args"), ["--api-token", "abc123"]), message="--api-token followed by a literal value"),
    Mutation("k8s-configmap-no-secrets-export", "k8s-configmap-no-secrets",
             _configmap({"app.env": "export DB_PASSWORD=hunter2\n"}), message="DB_PASSWORD"),
    Mutation("k8s-configmap-no-secrets-short-dashes", "k8s-configmap-no-secrets",
             _configmap({"id": "---BEGIN OPENSSH PRIVATE KEY---\nb3Bl\n---END OPENSSH PRIVATE KEY---\n"}),
             message="private key"),
    Mutation("k8s-no-public-service-internal-app-lb", "k8s-no-public-service", _app_internal_lb,
             message="an internal LoadBalancer Service"),
    Mutation("k8s-network-policy-every-namespace-every-pod", "k8s-network-policy-no-allow-all",
             lambda e: set_input(first(e, NETPOL, "app-allow-ingress"), ("spec", "ingress"),
                                 [{"from": [{"namespaceSelector": {}, "podSelector": {}}]}]),
             message="every pod of every namespace"),
    Mutation("k8s-rbac-create-pods", "k8s-rbac-least-privilege",
             _role([{"apiGroups": [""], "resources": ["pods"], "verbs": ["create"]}]), message="create on pods"),
    Mutation("k8s-rbac-rolebinding-cluster-admin", "k8s-rbac-least-privilege",
             _binding(f"{RBAC}:RoleBinding", "cluster-admin"), message="'cluster-admin' over its namespace"),
    Mutation("k8s-rbac-authenticated-group", "k8s-rbac-least-privilege",
             _binding(f"{RBAC}:ClusterRoleBinding", "view", [{"kind": "Group", "name": "system:authenticated"}]),
             message="system:authenticated"),
    Mutation("k8s-rbac-binding-to-broad-role", "k8s-rbac-least-privilege",
             lambda e: (_role([{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}])(e),
                        _binding(f"{RBAC}:ClusterRoleBinding", "operator")(e))[1],
             message="roleRef binds ClusterRole 'operator', which grants too much"),
    Mutation("k8s-rbac-nonresource-wildcard", "k8s-rbac-least-privilege",
             _role([{"nonResourceURLs": ["/metrics*"], "verbs": ["get"]}]), message="nonResourceURLs"),
    Mutation("k8s-opaque-service-list", "k8s-opaque-content",
             lambda e: add_resource(e, "kubernetes:core/v1:ServiceList", "svcs", {"items": [
                 {"kind": "Service", "metadata": {"name": "s"}, "spec": {"type": "LoadBalancer"}}]}),
             message="ServiceList items of kind Service"),
    Mutation("k8s-no-privileged-template-in-list", "k8s-no-privileged", _template_in_list, stacks=("production",),
             message="spec.pools[0].template.spec.containers[0]"),
    Mutation("k8s-no-literal-secret-env-jwt", "k8s-no-literal-secret-env", _env("INIT_DATA", JWT),
             message="a JSON Web Token"),
    Mutation("k8s-configmap-no-secrets-env-list", "k8s-configmap-no-secrets",
             _configmap({"env.json": '[{"name": "REDIS_PASSWORD", "value": "hunter2"}]'}), message="REDIS_PASSWORD"),
    Mutation("k8s-helm-release-values-extra-env", "k8s-helm-release-values",
             _helm_values(("extraEnv",), [{"name": "ADMIN_TOKEN", "value": "abc123"}]), message="ADMIN_TOKEN"),
    Mutation("k8s-helm-release-values-seccomp-off", "k8s-helm-release-values",
             _helm_values(("podSecurityContext",), {"seccompProfile": {"type": "Unconfined"}}), message="seccomp"),
    Mutation("k8s-ingress-tls-redirect-off", "k8s-ingress-tls", _ingress_redirect_off, message="ssl-redirect"),
    Mutation("k8s-opaque-patch", "k8s-opaque-content",
             lambda e: add_resource(e, "kubernetes:apps/v1:DeploymentPatch", "patch",
                                    {"metadata": {"name": "coredns", "namespace": "kube-system"}}),
             message="DeploymentPatch"),
]
