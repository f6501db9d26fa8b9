"""RBAC least privilege for Roles, ClusterRoles and their bindings (every API version, Patch and List forms)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import Severity

from .common import Meta, Stack, get, items, mapping, stack_rule
from .k8s_objects import namespace_of
from .workloads import is_config_group, manifests

RBAC_GROUP = "kubernetes:rbac.authorization.k8s.io/"
ROLE_KINDS = ("Role", "ClusterRole")
BINDING_KINDS = ("RoleBinding", "ClusterRoleBinding")
POWERFUL_ROLES = frozenset({"cluster-admin", "admin", "edit", "system:masters"})
BROAD_GROUPS = frozenset({"system:anonymous", "system:unauthenticated", "system:authenticated", "system:masters",
                          "system:serviceaccounts"})
ESCALATING_VERBS = frozenset({"escalate", "bind", "impersonate", "approve"})  # approve: signing client certificates
READ_VERBS = frozenset({"get", "list", "watch"})
# Subresources that hand out a shell or the node: any verb on them is cluster-level power.
DANGEROUS_SUBRESOURCES = {"pods/exec": "a shell in any pod", "pods/attach": "attaching to any pod",
                          "nodes/proxy": "the kubelet API of every node", "serviceaccounts/token": "tokens for any "
                          "service account", "pods/ephemeralcontainers": "injecting containers into pods",
                          "certificatesigningrequests/approval": "approving client certificates for any identity",
                          "pods/portforward": "tunnels into any pod's ports", "pods/proxy": "proxying into any pod",
                          "services/proxy": "proxying into any Service, around NetworkPolicies"}
WRITE_VERBS = frozenset({"create", "update", "patch", "*"})
# Writing these is cluster-level power whatever the verb's scope: a pod runs any image as any service account of
# its namespace; an admission webhook sees (and may rewrite) every object the API server admits.
POWERFUL_WRITES = {"pods": "pods run any image under any service account of the namespace",
                   "mutatingwebhookconfigurations": "an admission webhook sees and rewrites every object",
                   "validatingwebhookconfigurations": "an admission webhook sees every object",
                   "certificatesigningrequests/approval": "approving client certificates for any identity",
                   "persistentvolumes": "a PersistentVolume mounts any path of a node (hostPath)",
                   "nodes": "relabelling or tainting nodes steers any workload onto them",
                   **{workload: "it creates pods: any image under any service account of the namespace" for workload in (
                       "deployments", "daemonsets", "statefulsets", "replicasets", "replicationcontrollers", "jobs",
                       "cronjobs")}}
CORE_ONLY = frozenset({"pods", "persistentvolumes", "nodes", "replicationcontrollers"})
"""Resources of the core group: a rule naming them under another group grants nothing of theirs."""
SYSTEM_ROLES = ("system:controller:", "system:kube-controller-manager", "system:kube-scheduler", "system:node",
                "system:aggregate-to-admin", "system:aggregate-to-edit")
"""Built-in ClusterRoles of the control plane: binding one hands out a controller's (or a node's) powers."""
AGGREGATION_LABEL = "rbac.authorization.k8s.io/aggregate-to-"
WILDCARD_MEANS = {"verbs": " (every verb: escalate, bind and impersonate included)",
                  "resources": " (every resource: secrets, pods/exec and roles included)",
                  "apiGroups": " (every API group, custom resources included)"}

rbac = Meta(
    name="k8s-rbac-least-privilege",
    description="Roles grant no wildcards, no escalate/bind/impersonate, no exec/attach/node proxy, no pod creation, no "
                "admission webhook or certificate approval, no cluster-wide Secret reads and no aggregation into "
                "built-in roles; bindings grant no cluster-admin/admin/edit (nor a declared role as broad) and no role "
                "to anonymous or all authenticated users.",
    severity=Severity.HIGH,
    categories=("AA",),
    references=("CKV_K8S_49", "CKV_K8S_155", "CKV_K8S_156", "CKV_K8S_157", "CKV_K8S_158", "kube-linter wildcard-in-rules",
                "kube-linter access-to-secrets", "kube-linter access-to-create-pods", "kube-linter cluster-admin-role-binding",
                "Polaris clusterrolebindingClusterAdmin", "Kubescape C-0035", "Kubescape C-0185", "Kubescape C-0188"),
    remediation="List the exact apiGroups, resources and verbs a controller needs; read Secrets by `resourceNames` "
                "or in a namespaced Role; let controllers (not people or apps) create pods; bind a dedicated narrow role "
                "instead of cluster-admin/admin/edit or a home-made equivalent; never label a ClusterRole "
                "`rbac.authorization.k8s.io/aggregate-to-*`; never bind system:anonymous, system:unauthenticated or "
                "system:authenticated.",
)


def _show_kind(kind: str) -> str:
    return kind if kind in ROLE_KINDS else repr(kind[:40])


def _words(value: Any) -> list[str]:
    return [str(v).strip() for v in items(value) if v is not None]


def _listed(values: set[str]) -> str:
    return ", ".join(sorted(values))[:120]


def rule_grants(rule: Any, kind: str, at: str) -> Iterator[str]:
    """What one PolicyRule grants that a least-privilege role must not (each message names the field and value)."""
    verbs = {v.lower() for v in _words(get(rule, "verbs"))}
    resources = {r.lower() for r in _words(get(rule, "resources"))}
    groups = set(_words(get(rule, "apiGroups")))
    for field, values in (("verbs", verbs), ("resources", resources), ("apiGroups", groups)):
        if "*" in values:
            yield f"{at}.{field} contains '*'{WILDCARD_MEANS[field]}"
    if any(r.endswith("/*") or r.startswith("*/") for r in resources):
        yield f"{at}.resources grants every subresource " \
              f"({_listed({r for r in resources if r.endswith('/*') or r.startswith('*/')})})"
    urls = _words(get(rule, "nonResourceURLs"))
    if any("*" in url for url in urls):
        yield f"{at}.nonResourceURLs contains a wildcard ({', '.join(u for u in urls if '*' in u)[:80]})"
    escalating = sorted(verbs & ESCALATING_VERBS)
    if escalating:
        yield f"{at}.verbs grants {', '.join(escalating)} (privilege escalation) on {_listed(resources) or '?'}"
    for subresource, meaning in DANGEROUS_SUBRESOURCES.items():
        if subresource in resources and verbs:
            yield f"{at} grants {_listed(verbs)} on {subresource} ({meaning})"
    core = not groups or "" in groups or "*" in groups
    writes = verbs & WRITE_VERBS
    for resource, meaning in POWERFUL_WRITES.items():
        if resource in resources and writes and resource not in DANGEROUS_SUBRESOURCES \
                and (resource not in CORE_ONLY or core):
            yield f"{at} grants {_listed(writes)} on {resource} ({meaning})"
    reads = verbs & (READ_VERBS | {"*"})
    secrets = "secrets" in resources or "*" in resources
    if kind == "ClusterRole" and core and secrets and reads and not items(get(rule, "resourceNames")):
        yield f"{at} grants {_listed(reads)} on secrets in every namespace"


def role_problems(kind: str, props: Mapping[str, Any], where: str) -> Iterator[str]:
    labels = mapping(get(props, "metadata", "labels"))
    for key, value in labels.items():
        if str(key).startswith(AGGREGATION_LABEL) and str(value).strip().lower() == "true":
            yield f"{where}{kind} label {key}: true aggregates its rules into the built-in " \
                  f"'{str(key)[len(AGGREGATION_LABEL):]}' role"
    if get(props, "aggregationRule") is not None and kind == "ClusterRole":
        selectors = items(get(props, "aggregationRule", "clusterRoleSelectors"))
        if any(not mapping(get(s, "matchLabels")) and all(str(get(e, "operator", default="")) in ("NotIn", "DoesNotExist")
                                                          for e in items(get(s, "matchExpressions"))) for s in selectors):
            yield f"{where}aggregationRule selects every ClusterRole (cluster-admin's rules included)"
        for index, selector in enumerate(selectors):
            for key, value in mapping(get(selector, "matchLabels")).items():
                if str(key).startswith(AGGREGATION_LABEL) and str(value).strip().lower() == "true":
                    yield f"{where}aggregationRule.clusterRoleSelectors[{index}] collects every role labelled {key}: " \
                          f"it grants what the built-in '{str(key)[len(AGGREGATION_LABEL):]}' role grants"
    for index, rule in enumerate(items(get(props, "rules"))):
        yield from rule_grants(rule, kind, f"{where}rules[{index}]")


def binding_problems(kind: str, props: Mapping[str, Any], where: str) -> Iterator[str]:
    role = str(get(props, "roleRef", "name", default=""))
    role_kind = str(get(props, "roleRef", "kind", default="ClusterRole"))
    if role_kind == "ClusterRole" and role in POWERFUL_ROLES:
        scope = "the whole cluster" if kind == "ClusterRoleBinding" else "its namespace"
        yield f"{where}roleRef binds the built-in ClusterRole '{role}' over {scope}"
    elif role in POWERFUL_ROLES:
        # A namespaced Role spelled like a built-in one: either a typo for the built-in (kind fixed later, the binding
        # becomes cluster-admin) or a look-alike meant to pass review; neither is a narrow role.
        yield f"{where}roleRef binds {_show_kind(role_kind)} '{role}', named like the built-in ClusterRole '{role}'"
    if role_kind == "ClusterRole" and (role.startswith(SYSTEM_ROLES[0]) or role in SYSTEM_ROLES[1:]):
        yield f"{where}roleRef binds the control plane's ClusterRole '{role[:80]}' (a controller's or a node's powers)"
    for index, subject in enumerate(items(get(props, "subjects"))):
        name = str(get(subject, "name", default=""))
        subject_kind = str(get(subject, "kind", default=""))
        if subject_kind == "Group" and name in BROAD_GROUPS:
            yield f"{where}subjects[{index}] is the group {name}"
        elif subject_kind == "Group" and name.startswith("system:serviceaccounts:"):
            yield f"{where}subjects[{index}] is the group {name[:80]} (every service account of that namespace)"
        elif subject_kind == "Group" and name == "system:nodes":
            yield f"{where}subjects[{index}] is the group system:nodes (every kubelet)"
        if subject_kind == "ServiceAccount" and name == "default":
            yield f"{where}subjects[{index}] is the 'default' ServiceAccount of " \
                  f"{str(get(subject, 'namespace', default='its namespace'))[:60]} (every pod that names no account)"
        if subject_kind == "User" and name in ("system:anonymous", "system:unauthenticated"):
            yield f"{where}subjects[{index}] is the user {name} (anonymous requests)"


def _is_rbac(type_: str) -> bool:
    return type_.startswith("kubernetes:") and (type_.startswith(RBAC_GROUP) or is_config_group(type_)
                                                or type_.endswith("List"))


@stack_rule(rbac)
def k8s_rbac_least_privilege(stack: Stack) -> Iterator[tuple[str, str | None]]:
    """Roles and bindings one by one, then each binding against the role it names when the stack declares that
    role (a binding to a home-made role that grants everything is as broad as one to cluster-admin)."""
    granted: dict[tuple[str, str, str], str] = {}
    bindings: list[tuple[str, str, Mapping[str, Any], str, str]] = []
    for resource in stack.resources:
        type_ = resource.resource_type
        if not _is_rbac(type_):
            continue
        provider = resource.provider.props if resource.provider is not None else {}
        for manifest in manifests(type_, resource.props):
            kind = manifest.kind.removesuffix("Patch")
            where = f"{manifest.path}: " if manifest.path else ""
            if kind in ROLE_KINDS:
                problems = list(role_problems(kind, manifest.props, where))
                for problem in problems:
                    yield problem, resource.urn
                grants = [p for p in problems if "rules[" in p]
                if grants:
                    namespace = "" if kind == "ClusterRole" else namespace_of(manifest.props, provider)
                    granted.setdefault((kind, namespace, str(get(manifest.props, "metadata", "name", default=""))),
                                       grants[0].removeprefix(where))
            elif kind in BINDING_KINDS:
                for problem in binding_problems(kind, manifest.props, where):
                    yield problem, resource.urn
                bindings.append((kind, where, manifest.props, resource.urn, namespace_of(manifest.props, provider)))
    for _, where, props, urn, namespace in bindings:
        role = str(get(props, "roleRef", "name", default=""))
        role_kind = str(get(props, "roleRef", "kind", default="ClusterRole"))
        if role_kind == "ClusterRole" and role in POWERFUL_ROLES:
            continue
        grant = granted.get((role_kind, "" if role_kind == "ClusterRole" else namespace, role))
        if grant is not None:
            broad = " -- as broad as cluster-admin" if "contains '*'" in grant else ""
            yield f"{where}roleRef binds {role_kind} '{role[:80]}', which grants too much ({grant}){broad}", urn


POLICIES = [k8s_rbac_least_privilege]
