"""What the in-cluster data tier's implementations share: operator namespaces, operator charts,
generated TLS, network policy and monitoring helpers. Neutral ground, so the PostgreSQL and Redis
implementations never import each other."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, cast

import pulumi
import pulumi_kubernetes as k8s
import pulumi_tls as tls

from components.charts import ChartPin
from components.conventions import (
    METRICS_PATH,
    NAMESPACE_NAME_LABEL,
    PART_OF,
    PROJECT,
    RESTRICTED,
    SYSTEM_NAMESPACE,
    pod_security_labels,
)

OPERATOR_METRICS_PORT = 8080
"""Where the operators the program installs serve their metrics (controller-runtime's default)."""
CERT_VALIDITY_HOURS = 3 * 365 * 24
CERT_EARLY_RENEWAL_HOURS = 60 * 24
API_SERVER_PORTS = (443, 6443)
"""Where a managed control plane (443) or a kubeadm one (6443) listens; it has no in-cluster selector."""
WEBHOOK_PORT = 9443
CLUSTER_PRIVATE_RANGES = ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10")
"""Where a cluster's nodes and control plane live (RFC 1918 and shared address space)."""
"""controller-runtime's webhook server port, which the API server calls."""


def restricted_operator_values() -> dict[str, Any]:
    """Security contexts that pass Pod Security `restricted`, for charts that ship none."""
    return {
        "podSecurityContext": {"runAsNonRoot": True, "runAsUser": 65532, "runAsGroup": 65532,
                               "seccompProfile": {"type": "RuntimeDefault"}},
        "securityContext": {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True, "runAsNonRoot": True,
                            "capabilities": {"drop": ["ALL"]}, "seccompProfile": {"type": "RuntimeDefault"}},
    }


def service_hosts(service: str, namespace: str) -> list[str]:
    """Every name a client may use for an in-cluster Service (all go into the certificate)."""
    return [service, f"{service}.{namespace}", f"{service}.{namespace}.svc", f"{service}.{namespace}.svc.cluster.local"]


def data_namespace(
    resource_name: str, namespace: str, parent: pulumi.Resource, opts: pulumi.ResourceOptions
) -> k8s.core.v1.Namespace:
    """A namespace for in-cluster state; deleting it would delete the data, hence the caller's protect."""
    return k8s.core.v1.Namespace(
        resource_name,
        metadata=k8s.meta.v1.ObjectMetaArgs(name=namespace, labels={**PART_OF, **pod_security_labels(RESTRICTED)}),
        opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(parent=parent)),
    )


def operator_namespace(
    resource_name: str,
    namespace: str,
    *,
    parent: pulumi.Resource,
    opts: pulumi.ResourceOptions,
    egress: Sequence[Mapping[str, Any]] = (),
    ingress: Sequence[Mapping[str, Any]] = (),
) -> k8s.core.v1.Namespace:
    """An operator's own namespace: Pod Security `restricted`, default-deny, then DNS, the API server,
    its webhook from the API server, and the operator-specific `egress` / `ingress` rules."""
    ns = data_namespace(resource_name, namespace, parent, opts)
    child = pulumi.ResourceOptions(parent=parent, depends_on=[ns])
    dns = {"to": [namespace_peer(SYSTEM_NAMESPACE)],
           "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]}
    api_server = {"ports": [{"protocol": "TCP", "port": port} for port in API_SERVER_PORTS]}
    # The API server calls the webhook from outside any pod network selector, but always from the
    # cluster's private network (control-plane ENIs, konnectivity, node addresses), never the Internet.
    webhook = {"from": [{"ipBlock": {"cidr": cidr}} for cidr in CLUSTER_PRIVATE_RANGES],
               "ports": [{"protocol": "TCP", "port": WEBHOOK_PORT}]}
    specs: dict[str, dict[str, Any]] = {
        "default-deny": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]},
        "operator": {
            "podSelector": {},
            "policyTypes": ["Ingress", "Egress"],
            "ingress": [webhook, *ingress],
            "egress": [dns, api_server, *egress],
        },
    }
    for role, spec in specs.items():
        k8s.networking.v1.NetworkPolicy(
            f"{resource_name}-{role}",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=role, namespace=ns.metadata.name, labels=dict(PART_OF)),
            spec=cast(Any, spec),
            opts=child,
        )
    return ns


def operator_chart(
    resource_name: str,
    *,
    pin: ChartPin,
    namespace: pulumi.Input[str],
    values: Mapping[str, Any],
    opts: pulumi.ResourceOptions,
) -> k8s.helm.v4.Chart:
    return k8s.helm.v4.Chart(
        resource_name,
        chart=pin.chart,
        version=pin.version,
        namespace=namespace,
        repository_opts=k8s.helm.v4.RepositoryOptsArgs(repo=pin.repository),
        values=dict(values),
        opts=opts,
    )


def self_signed_tls(
    name: str, common_name: str, dns_names: Sequence[str], opts: pulumi.ResourceOptions
) -> tuple[tls.PrivateKey, tls.SelfSignedCert]:
    """A private key and a self-signed server certificate that is also its own CA.

    The app verifies the server against this certificate (`ca.crt`), which is why it is generated
    here rather than by the operator: the operator's CA lives in a namespace the app cannot read.
    """
    key = tls.PrivateKey(f"{name}-tls-key", algorithm="ECDSA", ecdsa_curve="P256", opts=opts)
    cert = tls.SelfSignedCert(
        f"{name}-tls-cert",
        private_key_pem=key.private_key_pem,
        subject=tls.SelfSignedCertSubjectArgs(common_name=common_name, organization=PROJECT),
        dns_names=list(dns_names),
        is_ca_certificate=True,
        allowed_uses=["cert_signing", "digital_signature", "key_encipherment", "server_auth", "client_auth"],
        validity_period_hours=CERT_VALIDITY_HOURS,
        early_renewal_hours=CERT_EARLY_RENEWAL_HOURS,
        opts=opts,
    )
    return key, cert


def pod_monitor(
    resource_name: str,
    *,
    name: str,
    namespace: pulumi.Input[str],
    selector: Mapping[str, Any],
    port: str,
    opts: pulumi.ResourceOptions,
) -> k8s.apiextensions.CustomResource:
    return k8s.apiextensions.CustomResource(
        resource_name,
        api_version="monitoring.coreos.com/v1",
        kind="PodMonitor",
        metadata=k8s.meta.v1.ObjectMetaArgs(name=name, namespace=namespace, labels=dict(PART_OF)),
        spec={
            "selector": dict(selector),
            "namespaceSelector": {"matchNames": [namespace]},
            "podMetricsEndpoints": [{"port": port, "path": METRICS_PATH, "scheme": "http"}],
        },
        opts=opts,
    )


def secret_text(value: pulumi.Output[str]) -> pulumi.Output[str]:
    """Marked secret whatever the provider schema says: a generated credential or key."""
    return value.apply(pulumi.Output.secret)


def ingress_policy(
    resource_name: str,
    *,
    name: str,
    namespace: pulumi.Input[str],
    pod_selector: Mapping[str, Any],
    rules: list[dict[str, Any]],
    opts: pulumi.ResourceOptions,
) -> k8s.networking.v1.NetworkPolicy:
    """Ingress-only: who may reach the data pods (their egress is left to the operator's needs)."""
    spec = {"podSelector": dict(pod_selector), "policyTypes": ["Ingress"], "ingress": rules}
    return k8s.networking.v1.NetworkPolicy(
        resource_name,
        metadata=k8s.meta.v1.ObjectMetaArgs(name=name, namespace=namespace, labels=dict(PART_OF)),
        # Wire-form (camelCase) dicts, the same shape the contract's egress peers use.
        spec=cast(Any, spec),
        opts=opts,
    )


def namespace_peer(namespace: pulumi.Input[str]) -> dict[str, Any]:
    return {"namespaceSelector": {"matchLabels": {NAMESPACE_NAME_LABEL: namespace}}}


def ingress_rule(peers: list[dict[str, Any]], ports: Sequence[int]) -> dict[str, Any]:
    return {"from": peers, "ports": [{"protocol": "TCP", "port": port} for port in ports]}
