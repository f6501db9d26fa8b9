"""RBAC least privilege for Roles, ClusterRoles and their bindings (every API version, Patch and List forms)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import Severity

from .common import Meta, Resource, get, items, mapping, resource_rule
from .workloads import is_config_group, manifests

RBAC_GROUP = "kubernetes:rbac.authorization.k8s.io/"
ROLE_KINDS = ("Role", "ClusterRole")
BINDING_KINDS = ("RoleBinding", "ClusterRoleBinding")
POWERFUL_ROLES = frozenset({"cluster-admin", "admin", "edit", "system:masters"})
BROAD_GROUPS = frozenset({"system:anonymous", "system:unauthenticated", "system:authenticated", "system:masters",
                          "system:serviceaccounts"})
ESCALATING_VERBS = frozenset({"escalate", "bind", "impersonate"})
READ_VERBS = frozenset({"get", "list", "watch"})
# Subresources that hand out a shell or the node: any verb on them is cluster-level power.
DANGEROUS_SUBRESOURCES = {"pods/exec": "a shell in any pod", "pods/attach": "attaching to any pod",
                          "nodes/proxy": "the kubelet API of every node", "serviceaccounts/token": "tokens for any "
                          "service account", "pods/ephemeralcontainers": "injecting containers into pods"}
AGGREGATION_LABEL = "rbac.authorization.k8s.io/aggregate-to-"

rbac = Meta(
    name="k8s-rbac-least-privilege",
    description="Roles grant no wildcards, no escalate/bind/impersonate, no exec/attach/node proxy, no cluster-wide "
                "Secret reads and no aggregation into built-in roles; bindings grant no cluster-admin/admin/edit and "
                "no role to anonymous or all authenticated users.",
    severity=Severity.HIGH,
    categories=("AA",),
    references=("CKV_K8S_49", "CKV_K8S_155", "CKV_K8S_156", "CKV_K8S_157", "kube-linter wildcard-in-rules",
                "kube-linter access-to-secrets", "kube-linter cluster-admin-role-binding", "Kubescape C-0035",
                "Kubescape C-0185"),
    remediation="List the exact apiGroups, resources and verbs a controller needs; read Secrets by `resourceNames` "
                "or in a namespaced Role; bind a dedicated role instead of cluster-admin/admin/edit; never label a "
                "ClusterRole `rbac.authorization.k8s.io/aggregate-to-*`.",
)


def _words(value: Any) -> list[str]:
    return [str(v).strip() for v in items(value)]


def role_problems(kind: str, props: Mapping[str, Any], where: str) -> Iterator[str]:
    labels = mapping(get(props, "metadata", "labels"))
    for key, value in labels.items():
        if str(key).startswith(AGGREGATION_LABEL) and str(value).lower() == "true":
            yield f"{where}{kind} label {key}: true aggregates its rules into the built-in " \
                  f"'{str(key)[len(AGGREGATION_LABEL):]}' role"
    if get(props, "aggregationRule") is not None and kind == "ClusterRole":
        selectors = items(get(props, "aggregationRule", "clusterRoleSelectors"))
        if any(not mapping(get(s, "matchLabels")) and not items(get(s, "matchExpressions")) for s in selectors):
            yield f"{where}aggregationRule selects every ClusterRole"
    for index, rule in enumerate(items(get(props, "rules"))):
        at = f"{where}rules[{index}]"
        verbs = {v.lower() for v in _words(get(rule, "verbs"))}
        resources = {r.lower() for r in _words(get(rule, "resources"))}
        groups = set(_words(get(rule, "apiGroups")))
        for field, values in (("verbs", verbs), ("resources", resources), ("apiGroups", groups)):
            if "*" in values:
                yield f"{at}.{field} contains '*'"
        if any(r.endswith("/*") for r in resources):
            yield f"{at}.resources grants every subresource ({', '.join(sorted(r for r in resources if r.endswith('/*')))})"
        if get(rule, "nonResourceURLs") is not None and "*" in " ".join(_words(get(rule, "nonResourceURLs"))):
            yield f"{at}.nonResourceURLs contains a wildcard"
        escalating = sorted(verbs & ESCALATING_VERBS)
        if escalating:
            yield f"{at}.verbs grants {', '.join(escalating)} (privilege escalation)"
        for subresource, meaning in DANGEROUS_SUBRESOURCES.items():
            if subresource in resources and verbs:
                yield f"{at} grants {', '.join(sorted(verbs))} on {subresource} ({meaning})"
        core = not groups or "" in groups or "*" in groups
        reads = verbs & (READ_VERBS | {"*"})
        secrets = "secrets" in resources or "*" in resources
        if kind == "ClusterRole" and core and secrets and reads and not items(get(rule, "resourceNames")):
            yield f"{at} grants {', '.join(sorted(reads))} on secrets in every namespace"


def binding_problems(kind: str, props: Mapping[str, Any], where: str) -> Iterator[str]:
    role = str(get(props, "roleRef", "name", default=""))
    role_kind = str(get(props, "roleRef", "kind", default="ClusterRole"))
    if role_kind == "ClusterRole" and role in POWERFUL_ROLES:
        scope = "the whole cluster" if kind == "ClusterRoleBinding" else "its namespace"
        yield f"{where}roleRef binds the built-in ClusterRole '{role}' over {scope}"
    for index, subject in enumerate(items(get(props, "subjects"))):
        name = str(get(subject, "name", default=""))
        if str(get(subject, "kind", default="")) == "Group" and name in BROAD_GROUPS:
            yield f"{where}subjects[{index}] is the group {name}"
        if str(get(subject, "kind", default="")) == "User" and name == "system:anonymous":
            yield f"{where}subjects[{index}] is the anonymous user"


def _is_rbac(type_: str) -> bool:
    return type_.startswith(RBAC_GROUP) or is_config_group(type_)


@resource_rule(rbac, _is_rbac)
def k8s_rbac_least_privilege(resource: Resource) -> Iterator[str]:
    for manifest in manifests(resource.type, resource.props):
        kind = manifest.kind.removesuffix("Patch")
        where = f"{manifest.path}: " if manifest.path else ""
        if kind in ROLE_KINDS:
            yield from role_problems(kind, manifest.props, where)
        elif kind in BINDING_KINDS:
            yield from binding_problems(kind, manifest.props, where)


POLICIES = [k8s_rbac_least_privilege]
