"""StackConfig, the whole `orchestrator:` namespace, and the rules that span sections."""

from __future__ import annotations

import ipaddress

from pydantic import Field, model_validator

from components.config.app import AppConfig
from components.config.base import Model
from components.config.cache import CacheConfig
from components.config.cluster import ClusterConfig
from components.config.database import DatabaseConfig
from components.config.edge import CERT_MANAGER_GROUP, EdgeConfig
from components.config.enums import CertificateSource, Environment, Platform
from components.config.monitoring import MonitoringConfig
from components.config.network import NetworkConfig
from components.config.rollout import RolloutConfig


class StackConfig(Model):
    """`orchestrator:*` of one stack."""

    platform: Platform = Field(description="Where the stack runs: aws, azure or kubernetes.")
    environment: Environment = Field(description="production, staging or development.")
    app: AppConfig
    database: DatabaseConfig = Field(default_factory=DatabaseConfig)
    cache: CacheConfig = Field(default_factory=CacheConfig)
    edge: EdgeConfig
    monitoring: MonitoringConfig = Field(default_factory=MonitoringConfig)
    network: NetworkConfig = Field(default_factory=NetworkConfig)
    cluster: ClusterConfig = Field(default_factory=ClusterConfig)
    rollout: RolloutConfig = Field(default_factory=RolloutConfig)

    @property
    def is_production(self) -> bool:
        return self.environment is Environment.PRODUCTION

    @model_validator(mode="after")
    def _rollout_fits_the_app(self) -> StackConfig:
        ready = self.rollout.min_ready_replicas
        if ready is not None and ready > self.app.autoscaling.max_replicas:
            raise ValueError(
                f"rollout.minReadyReplicas ({ready}) exceeds app.autoscaling.maxReplicas "
                f"({self.app.autoscaling.max_replicas}): no slot can ever pass the gate"
            )
        return self

    @model_validator(mode="after")
    def _edge_certificate_source(self) -> StackConfig:
        tls = self.edge.tls
        if tls.certificate is CertificateSource.PRIVATE_CA and self.platform is Platform.KUBERNETES:
            # Without a front door HAProxy faces the clients, which do not trust the program's CA.
            raise ValueError("edge.tls.certificate 'private-ca' needs a cloud front door that terminates public TLS "
                             "(platform aws or azure); on kubernetes use cert-manager, secret or, outside production, "
                             "self-signed")
        if tls.certificate is CertificateSource.SELF_SIGNED and self.platform is Platform.AZURE:
            # The gateway verifies HAProxy against a trusted root certificate: give it a CA to trust.
            raise ValueError("edge.tls.certificate 'self-signed' cannot be verified by the Application Gateway; use "
                             "'private-ca' on azure (the gateway trusts the program's CA)")
        if tls.certificate is CertificateSource.CERT_MANAGER and CERT_MANAGER_GROUP not in self.cluster.preinstalled_api_groups:
            raise ValueError(f"edge.tls.certificate 'cert-manager' needs {CERT_MANAGER_GROUP} in "
                             "cluster.preinstalledApiGroups: the program does not install cert-manager, so it and the "
                             f"issuer '{tls.issuer}' must be on the cluster before the first deploy; or use 'private-ca' "
                             "behind a cloud front door")
        return self

    @model_validator(mode="after")
    def _production_floor(self) -> StackConfig:
        if not self.is_production:
            return self
        if self.app.autoscaling.min_replicas < 3:
            raise ValueError("production needs app.autoscaling.minReplicas >= 3")
        if self.app.standby_min_replicas is not None and self.app.standby_min_replicas < 3:
            raise ValueError("production needs app.standbyMinReplicas >= 3 (a switch must be instant)")
        if self.edge.tls.certificate is CertificateSource.SELF_SIGNED:
            raise ValueError("production needs edge.tls.certificate 'private-ca' (behind a cloud front door), "
                             "'cert-manager' or 'secret', not self-signed")
        if self.cluster.public_endpoint and any(
            ipaddress.ip_network(c).prefixlen == 0 for c in self.cluster.endpoint_cidrs
        ):
            raise ValueError("production must not open the cluster endpoint to the Internet")
        if self.platform is Platform.AWS and not self.edge.tls.acm_certificate_arn:
            raise ValueError("production on aws needs edge.tls.acmCertificateArn for the ALB")
        return self
