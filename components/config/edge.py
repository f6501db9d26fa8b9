"""`edge`: HAProxy, its TLS certificate and the front door."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator, model_validator

from components.config.app import ResourceQuantities, ResourcesConfig
from components.config.base import Model, PlatformSection
from components.config.enums import CertificateSource, TlsVersion
from components.config.values import Cidr, DnsName, K8sName, cpu_millicores
from components.netaddr import covers_internet, public_ranges

CERT_MANAGER_GROUP = "cert-manager.io"
"""The API group of cert-manager's Certificate: never installed by the program, so a prerequisite."""


class AwsEdgeTlsConfig(PlatformSection):
    """aws only: the ALB's HTTPS listener."""

    acm_certificate_arn: str | None = Field(
        default=None, pattern=r"^arn:aws[a-z-]*:acm:[a-z0-9-]+:[0-9]{12}:certificate/[0-9a-f-]+$",
        description="ACM certificate for the ALB (issued, in the stack's region): a first-deploy prerequisite; "
        "production requires it.",
    )
    alb_ssl_policy: str | None = Field(
        default=None, pattern=r"^ELBSecurityPolicy-TLS13-1-[23]-[A-Za-z0-9-]+$",
        description="The HTTPS listener's TLS 1.3 security policy; unset picks one from edge.tls.minVersion.",
    )


class EdgeTlsConfig(Model):
    min_version: TlsVersion = TlsVersion.TLS12
    certificate: CertificateSource = Field(
        default=CertificateSource.SELF_SIGNED,
        description="Where HAProxy's certificate comes from: self-signed (not in production), private-ca (a CA the "
        "program issues, behind a cloud front door), cert-manager (pre-installed) or secret (an existing Secret).",
    )
    issuer: str | None = Field(
        default=None,
        description="cert-manager issuer when certificate=cert-manager: a first-deploy prerequisite, like cert-manager "
        "itself (cert-manager.io in cluster.preinstalledApiGroups).",
    )
    secret_name: K8sName | None = Field(
        default=None,
        description="Existing TLS Secret in the edge namespace when certificate=secret (a first-deploy prerequisite).",
    )
    issuer_kind: Literal["ClusterIssuer", "Issuer"] = Field(
        default="ClusterIssuer", description="Kind of edge.tls.issuer (an Issuer must live in the edge namespace)."
    )
    aws: AwsEdgeTlsConfig = Field(default_factory=AwsEdgeTlsConfig)

    @model_validator(mode="after")
    def _source_complete(self) -> EdgeTlsConfig:
        if self.certificate is CertificateSource.CERT_MANAGER and not self.issuer:
            raise ValueError("certificate 'cert-manager' needs edge.tls.issuer")
        if self.certificate is CertificateSource.SECRET and not self.secret_name:
            raise ValueError("certificate 'secret' needs edge.tls.secretName")
        return self


class RateLimitConfig(Model):
    requests: int = Field(default=100, ge=1, le=1_000_000, description="Requests allowed per client per window.")
    window_seconds: int = Field(
        default=10, ge=1, le=3600, description="Sliding window of the per-client request rate; a 429 says Retry-After this."
    )


class EdgeHealthCheckConfig(Model):
    interval_seconds: int = Field(default=2, ge=1, le=60, description="HAProxy health check interval per slot server.")
    fall: int = Field(default=3, ge=1, le=10, description="Failed checks before a slot server is taken out.")
    rise: int = Field(default=2, ge=1, le=10, description="Passed checks before a slot server takes traffic again.")


_CSP = re.compile(r"^[A-Za-z0-9 ;:'/.*_+=,-]+$")


def _edge_resources() -> ResourcesConfig:
    # Sized for max_connections: HAProxy holds up to two 16 KiB buffers per active connection.
    return ResourcesConfig(
        requests=ResourceQuantities(cpu="500m", memory="256Mi"), limits=ResourceQuantities(cpu="2", memory="512Mi")
    )


class EdgeConfig(Model):
    hostname: DnsName = Field(description="Public host name served by the edge.")
    image: str = Field(default="haproxy:3.2.9-alpine", pattern=r"^[a-z0-9./-]+:[0-9]+\.[0-9]+\.[0-9]+[A-Za-z0-9_.-]*$")
    replicas: int = Field(default=2, ge=2, le=20)
    tls: EdgeTlsConfig = Field(default_factory=EdgeTlsConfig)
    rate_limit: RateLimitConfig = Field(default_factory=RateLimitConfig)
    internal_cidrs: list[Cidr] = Field(
        default_factory=lambda: ["10.0.0.0/8"],
        min_length=1,
        description="Sources allowed to reach /health*, /metrics and /admin*.",
    )
    load_balancer_source_ranges: list[Cidr] = Field(
        default_factory=list, description="Optional allow-list on the public load balancer."
    )
    admin_auth: bool = Field(default=True, description="Require basic auth on /admin* besides the CIDR check.")
    max_connections: int = Field(
        default=10000, ge=1000, le=1_000_000,
        description="HAProxy maxconn per pod; about 35 KiB each under load, so keep it within resources.limits.memory.",
    )
    resources: ResourcesConfig = Field(default_factory=_edge_resources, description="HAProxy container requests and limits.")
    health_check: EdgeHealthCheckConfig = Field(
        default_factory=EdgeHealthCheckConfig,
        description="HAProxy's HTTP checks of each slot Service on app.probes.readinessPath.",
    )
    content_security_policy: str = Field(
        default="default-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'; object-src 'none'",
        description="Content-Security-Policy set on every response (letters, digits, spaces and ;:'/.*_+=,- only).",
    )
    hsts_max_age_seconds: int = Field(
        default=63_072_000, ge=31_536_000, le=126_144_000, description="Strict-Transport-Security max-age (at least a year)."
    )
    cluster_domain: DnsName = Field(
        default="cluster.local", description="Cluster DNS domain the slot Services resolve under."
    )

    @field_validator("internal_cidrs")
    @classmethod
    def _internal_not_world(cls, cidrs: list[str]) -> list[str]:
        # Judged on the union: 0.0.0.0/1 + 128.0.0.0/1 or 2000::/3 is the Internet as much as 0.0.0.0/0.
        if covers_internet(cidrs):
            raise ValueError(f"{', '.join(public_ranges(cidrs))} cover the public Internet; list internal ranges only")
        return cidrs

    @field_validator("content_security_policy")
    @classmethod
    def _csp_safe(cls, value: str) -> str:
        # The value lands in a quoted HAProxy log-format string: no double quotes, percent signs, backslashes or newlines.
        if not _CSP.match(value) or "frame-ancestors" not in value:
            raise ValueError("a policy of letters, digits, spaces and ;:'/.*_+=,- that includes frame-ancestors")
        return value

    @property
    def nbthread(self) -> int:
        """HAProxy threads: one per whole CPU of the limit (HAProxy otherwise starts one per node CPU)."""
        return max(1, int(cpu_millicores(self.resources.limits.cpu) // 1000))
