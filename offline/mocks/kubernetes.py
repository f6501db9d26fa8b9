"""What pulumi-kubernetes computes: auto-named metadata.name, namespaces, server-set fields."""

from __future__ import annotations

from offline.mocks.core import CallHandler, Props, ResourceCall, ResourceHandler, stable_hex

CLUSTER_SCOPED_KINDS = frozenset({
    "Namespace", "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition", "StorageClass",
    "PriorityClass", "ValidatingWebhookConfiguration", "MutatingWebhookConfiguration", "ClusterIssuer",
    "PersistentVolume", "IngressClass",
})


def _kind(type_: str) -> str:
    return type_.rsplit(":", 1)[-1]


def k8s_autoname(type_: str, name: str) -> str:
    # The provider appends 8 random characters to the logical name.
    return f"{name}-{stable_hex(type_, name, length=8)}"


def _generic(call: ResourceCall) -> Props:
    state = dict(call.inputs)
    metadata = dict(state.get("metadata") or {})
    metadata.setdefault("name", k8s_autoname(call.type, call.name))
    if _kind(call.type) not in CLUSTER_SCOPED_KINDS and not call.type.endswith("List"):
        metadata.setdefault("namespace", "default")
    metadata.setdefault("uid", f"{stable_hex(call.type, call.name, length=8)}-0000-4000-8000-{stable_hex(call.name, length=12)}")
    state["metadata"] = metadata
    return state


RESOURCES: dict[str, ResourceHandler] = {}
PACKAGE_DEFAULTS: dict[str, ResourceHandler] = {"kubernetes": _generic}
CALLS: dict[str, CallHandler] = {}
