"""What pulumi-kubernetes computes: auto-named metadata.name, namespaces, server-set fields."""

from __future__ import annotations

from offline.runner.mocks.core import CallHandler, PreviewModel, Props, ResourceCall, ResourceHandler, stable_hex

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


def _helm_release(call: ResourceCall) -> Props:
    # helm.sh/v3 Release: `name` auto-named like other resources when unset, the namespace
    # defaulted, and the `status` block Helm reports after a successful install (its appVersion
    # comes from the chart, which the mock does not fetch, so it is left out).
    state = dict(call.inputs)
    state.setdefault("name", k8s_autoname(call.type, call.name))
    state.setdefault("namespace", "default")
    state["status"] = {
        "name": state["name"],
        "namespace": state["namespace"],
        "chart": state.get("chart", ""),
        "version": state.get("version", ""),
        "revision": 1,
        "status": "deployed",
    }
    return state


AZURE_IP_ANNOTATION = "service.beta.kubernetes.io/azure-load-balancer-ipv4"
INTERNAL_ANNOTATIONS = {
    "service.beta.kubernetes.io/azure-load-balancer-internal": "true",
    "service.beta.kubernetes.io/aws-load-balancer-scheme": "internal",
    "networking.gke.io/load-balancer-type": "Internal",
}


def _load_balancer_ip(state: Props, digest: bytes) -> str:
    """What the cloud controller assigns: the requested address when one is pinned (annotation
    or the deprecated spec.loadBalancerIP), a private one for internal load balancers, else public."""
    annotations = (state.get("metadata") or {}).get("annotations") or {}
    requested = annotations.get(AZURE_IP_ANNOTATION) or (state.get("spec") or {}).get("loadBalancerIP")
    if requested:
        return str(requested)
    if any(annotations.get(key) == value for key, value in INTERNAL_ANNOTATIONS.items()):
        return f"10.255.{digest[0]}.{max(digest[1], 1)}"
    return f"198.51.100.{max(digest[0] % 255, 1)}"


def _service(call: ResourceCall) -> Props:
    # core/v1 Service: the API server allocates the cluster IP (and node ports for NodePort and
    # LoadBalancer types); the provider waits for a LoadBalancer's ingress and reports it in status.
    state = _generic(call)
    spec = dict(state.get("spec") or {})
    kind = spec.setdefault("type", "ClusterIP")
    digest = bytes.fromhex(stable_hex(call.type, call.name, length=8))
    if kind != "ExternalName" and spec.get("clusterIP") != "None":
        spec.setdefault("clusterIP", f"10.96.{digest[0]}.{max(digest[1], 1)}")
        spec.setdefault("clusterIPs", [spec["clusterIP"]])
    if kind in {"NodePort", "LoadBalancer"}:
        spec["ports"] = [
            {**port, "nodePort": port.get("nodePort", 30000 + (digest[2] * 256 + digest[3] + index) % 2768)}
            for index, port in enumerate(spec.get("ports") or [])
        ]
    state["spec"] = spec
    ingress = [{"ip": _load_balancer_ip(state, digest), "ipMode": "VIP"}] if kind == "LoadBalancer" else []
    state["status"] = {"loadBalancer": {"ingress": ingress} if ingress else {}}
    return state


RESOURCES: dict[str, ResourceHandler] = {"kubernetes:helm.sh/v3:Release": _helm_release, "kubernetes:core/v1:Service": _service}
PACKAGE_DEFAULTS: dict[str, ResourceHandler] = {"kubernetes": _generic}
CALLS: dict[str, CallHandler] = {}


def _auto_named(call: ResourceCall) -> tuple[str, ...]:
    return ("name",) if call.type == "kubernetes:helm.sh/v3:Release" else ("metadata.name",)


PREVIEW: dict[str, PreviewModel] = {"kubernetes": PreviewModel(checked=_auto_named, echo_only=True)}
"""On a first deploy the cluster does not exist during the preview (its kubeconfig is unknown), so
the provider cannot dry-run against an API server: it answers with the checked inputs, names
assigned; server-set fields (uid, cluster IPs, status) are unknown to the program."""
