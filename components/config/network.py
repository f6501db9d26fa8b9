"""`network`: the VPC / VNet; what one platform alone reads sits under its name."""

from __future__ import annotations

import ipaddress

from pydantic import Field, field_validator

from components.config.base import Model, PlatformSection
from components.config.values import Cidr


class AwsNetworkConfig(PlatformSection):
    """aws only: the VPC's flow logs."""

    flow_log_retention_days: int = Field(
        default=90, ge=1, le=3653, description="Days the VPC flow logs are kept in CloudWatch Logs."
    )


class AzureNetworkConfig(PlatformSection):
    """azure only: the Application Gateway."""

    app_gateway_certificate: str = Field(
        default="edge-tls", pattern=r"^[0-9A-Za-z-]{1,127}$",
        description="Name of the Key Vault secret (in the stack's vault) the program writes the Application "
        "Gateway's public certificate into, from the stack secret appGatewayCertificatePfx.",
    )
    app_gateway_min_capacity: int = Field(default=2, ge=0, le=125, description="Application Gateway autoscale floor.")
    app_gateway_max_capacity: int = Field(default=10, ge=2, le=125, description="Application Gateway autoscale ceiling.")


class NetworkConfig(Model):
    cidr: Cidr = Field(default="10.40.0.0/16", description="VPC / VNet address space.")
    az_count: int = Field(default=3, ge=2, le=6, description="Availability zones to spread over.")
    aws: AwsNetworkConfig = Field(default_factory=AwsNetworkConfig)
    azure: AzureNetworkConfig = Field(default_factory=AzureNetworkConfig)

    @field_validator("cidr")
    @classmethod
    def _private_space(cls, cidr: str) -> str:
        network = ipaddress.ip_network(cidr)
        if not network.is_private or network.prefixlen > 20 or network.prefixlen < 8:
            raise ValueError("a private range between /8 and /20")
        return cidr
