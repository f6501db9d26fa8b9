"""Inputs and outputs of the edge: HAProxy in the cluster and each platform's front door."""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi

from components.app.contract import AppOutputs
from components.cluster.contract import Foundation
from components.config import StackConfig
from components.conventions import COMPONENT_LABEL, METRICS_PATH, NAME_LABEL

EDGE_NAMESPACE = "edge"
EDGE_POD_LABELS = {NAME_LABEL: "haproxy", COMPONENT_LABEL: "edge"}

# HAProxy's container ports and its own health answer: the proxy's config, its pods, the front doors'
# health checks and the NetworkPolicies all read them from here.
HTTP_PORT = 8080
HTTPS_PORT = 8443
METRICS_PORT = 8405
HEALTH_PORT = 8404
"""Answers only HEALTH_URI: kubelet probes and front-door health checks, never the exporter."""
HEALTH_URI = "/healthz"
"""HAProxy's own liveness/readiness URI, on the internal health port only."""


@dataclass(frozen=True, kw_only=True)
class EdgeExposure:
    """How a platform wants the HAProxy Service exposed (its front door sits in front)."""

    service_type: str = "LoadBalancer"
    """`LoadBalancer`, or `ClusterIP` when the front door targets the pods directly."""
    service_annotations: dict[str, str] = field(default_factory=dict)
    internal: bool = False
    """True when a cloud load balancer with WAF fronts HAProxy, so HAProxy itself is not public."""
    trusted_proxy_cidrs: list[str] = field(default_factory=list)
    """Sources (the front door's subnets) whose X-Forwarded-For HAProxy trusts as the client address
    for rate limiting and ACLs; empty means the TCP source is the client (externalTrafficPolicy Local)."""


@dataclass(frozen=True, kw_only=True)
class EdgeArgs:
    config: StackConfig
    app: AppOutputs
    exposure: EdgeExposure


@dataclass(frozen=True, kw_only=True)
class EdgeOutputs:
    namespace: pulumi.Output[str]
    service_name: pulumi.Output[str]
    address: pulumi.Output[str]
    """The HAProxy Service's load-balancer address."""
    config_checksum: pulumi.Output[str]
    """sha256 of the rendered haproxy.cfg."""
    https_port: int
    """Service port of HTTPS (443)."""
    metrics_port: int
    """Container and Service port of HAProxy's Prometheus exporter (`/metrics`), port name `metrics`."""
    http_port: int = 80
    """Service port of plain HTTP (answers only with a redirect to HTTPS)."""
    https_target_port: int = HTTPS_PORT
    """Container port behind `https_port`: what pod-IP targets and security groups must allow."""
    metrics_service: pulumi.Output[str] | None = None
    """ClusterIP Service `haproxy-metrics` in `namespace`, port `metrics` (never on the public Service)."""
    metrics_service_labels: dict[str, str] = field(default_factory=dict)
    """Labels of the metrics Service (for a ServiceMonitor selector)."""
    metrics_path: str = METRICS_PATH
    pod_labels: dict[str, str] = field(default_factory=dict)
    """Labels of the HAProxy pods (EDGE_POD_LABELS; a PodMonitor can select them with port `metrics`)."""
    health_path: str = HEALTH_URI
    """HAProxy's own health answer (kubelet probes, front-door health checks), on `health_port`."""
    health_port: int = HEALTH_PORT
    """HAProxy's health-only port (HEALTH_URI): what front doors health-check."""
    trusted_ca_pem: pulumi.Output[str] | None = None
    """PEM of the CA that signed HAProxy's serving certificate (edge.tls.certificate 'private-ca'), for a
    front door that verifies the backend; None when the certificate comes from elsewhere."""
    serving_host_name: str = ""
    """The DNS name HAProxy's certificate is issued for: the SNI/Host a verifying front door must send."""


@dataclass(frozen=True, kw_only=True)
class FrontDoorArgs:
    config: StackConfig
    foundation: Foundation
    edge: EdgeOutputs


class FrontDoor(pulumi.ComponentResource):
    """What the Internet reaches: ALB + WAF on AWS, Application Gateway WAF on Azure, the
    HAProxy load balancer itself on plain Kubernetes."""

    def __init__(self, name: str, args: FrontDoorArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        # The type token names the platform's class, e.g. `orchestrator:edge:<Class>`.
        super().__init__(f"orchestrator:edge:{type(self).__name__}", name, None, opts)

    public_hostname: pulumi.Output[str]

    @staticmethod
    def exposure(config: StackConfig) -> EdgeExposure:
        """How this front door wants the HAProxy Service exposed (decided before HAProxy exists)."""
        raise NotImplementedError
