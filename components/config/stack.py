"""StackConfig, the whole `orchestrator:` namespace, and the rules that span sections."""

from __future__ import annotations

import ipaddress
from typing import Any

from pydantic import BaseModel, Field, SerializerFunctionWrapHandler, model_serializer, model_validator

from components.config.app import AppConfig
from components.config.base import Model, platform_sections
from components.config.cache import CacheConfig
from components.config.cluster import ClusterConfig
from components.config.database import DatabaseConfig
from components.config.edge import CERT_MANAGER_GROUP, EdgeConfig
from components.config.enums import CertificateSource, Environment, Platform
from components.config.errors import KeyRuleError
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
    def _platform_sections_match(self) -> StackConfig:
        for path, platform in _platform_section_paths(StackConfig, ()):
            parent: BaseModel = self
            for name, _ in path[:-1]:
                parent = getattr(parent, name)
            if platform != self.platform.value and path[-1][0] in parent.model_fields_set:
                raise KeyRuleError(".".join(alias for _, alias in path),
                                   f"applies to platform {platform}; this stack's platform is {self.platform.value}")
        return self

    @model_serializer(mode="wrap")
    def _without_other_platforms(self, handler: SerializerFunctionWrapHandler) -> Any:
        # A dump parses back (`ops` edits a dumped config and validates it again): the sections of the
        # other platforms, present only as defaults, are left out as the stack file leaves them out.
        data = handler(self)
        if not isinstance(data, dict):
            return data
        for path, platform in _platform_section_paths(StackConfig, ()):
            if platform == self.platform.value:
                continue
            # Keys are aliases or field names, as the caller dumps.
            node: Any = data
            for spellings in path[:-1]:
                node = next((node[s] for s in spellings if isinstance(node, dict) and s in node), None)
            if isinstance(node, dict):
                for spelling in path[-1]:
                    node.pop(spelling, None)
        return data

    @model_validator(mode="after")
    def _platform_settings_fit(self) -> StackConfig:
        # Rules between a platform section and the shared settings hold only where that platform reads them.
        db = self.database
        if self.platform is Platform.AWS and db.aws.max_storage_gb < db.storage_gb:
            raise KeyRuleError("database.aws.maxStorageGb",
                               f"({db.aws.max_storage_gb}) must be at least database.storageGb ({db.storage_gb})")
        if self.platform is Platform.KUBERNETES and db.kubernetes.synchronous_standbys > db.replicas:
            raise KeyRuleError("database.kubernetes.synchronousStandbys",
                               f"({db.kubernetes.synchronous_standbys}) must not exceed database.replicas ({db.replicas})")
        return self

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
        if self.platform is Platform.AWS and not self.edge.tls.aws.acm_certificate_arn:
            raise ValueError("production on aws needs edge.tls.aws.acmCertificateArn for the ALB")
        return self


def _platform_section_paths(
    model: type[BaseModel], prefix: tuple[tuple[str, ...], ...]
) -> list[tuple[tuple[tuple[str, ...], ...], str]]:
    """Where each platform section sits in the model, as (field name, alias) per step from the root, and its platform."""
    found: list[tuple[tuple[tuple[str, ...], ...], str]] = []
    platforms = dict(platform_sections(model))
    for name, field in model.model_fields.items():
        annotation = field.annotation
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            continue
        path = (*prefix, (name, field.alias or name))
        if name in platforms:
            found.append((path, name))
        else:
            found.extend(_platform_section_paths(annotation, path))
    return found
