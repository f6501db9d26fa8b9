"""`network`: the VPC / VNet and, on Azure, the Application Gateway."""

from __future__ import annotations

import ipaddress

from pydantic import Field, field_validator

from components.config.base import Model
from components.config.values import Cidr


class NetworkConfig(Model):
    cidr: Cidr = Field(default="10.40.0.0/16", description="VPC / VNet address space.")
    az_count: int = Field(default=3, ge=2, le=6, description="Availability zones to spread over.")
    flow_log_retention_days: int = Field(
        default=90, ge=1, le=3653, description="AWS: days the VPC flow logs are kept in CloudWatch Logs."
    )
    app_gateway_certificate: str = Field(
        default="edge-tls", pattern=r"^[0-9A-Za-z-]{1,127}$",
        description="Azure: name of the Key Vault secret (in the stack's vault) the program writes the Application "
        "Gateway's public certificate into, from the stack secret appGatewayCertificatePfx.",
    )
    app_gateway_min_capacity: int = Field(default=2, ge=0, le=125, description="Azure: Application Gateway autoscale floor.")
    app_gateway_max_capacity: int = Field(default=10, ge=2, le=125, description="Azure: Application Gateway autoscale ceiling.")

    @field_validator("cidr")
    @classmethod
    def _private_space(cls, cidr: str) -> str:
        network = ipaddress.ip_network(cidr)
        if not network.is_private or network.prefixlen > 20 or network.prefixlen < 8:
            raise ValueError("a private range between /8 and /20")
        return cidr
