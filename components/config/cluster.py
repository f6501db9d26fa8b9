"""`cluster`: the Kubernetes cluster, its node pools and API endpoint access."""

from __future__ import annotations

import ipaddress
from typing import Annotated, Literal

from pydantic import Field, model_validator

from components.config.base import Model, PlatformSection
from components.config.values import Cidr
from components.netaddr import covers_internet, public_ranges

_GUID = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"


class NodePoolConfig(Model):
    instance_type: str = Field(default="m6i.large", description="AWS instance type or Azure VM size.")
    min_size: int = Field(default=3, ge=1, le=100)
    max_size: int = Field(default=10, ge=1, le=500)
    desired_size: int = Field(default=3, ge=1, le=500)

    @model_validator(mode="after")
    def _ordered(self) -> NodePoolConfig:
        if not self.min_size <= self.desired_size <= self.max_size:
            raise ValueError(
                f"need minSize <= desiredSize <= maxSize, got {self.min_size}, {self.desired_size}, {self.max_size}"
            )
        return self


class AwsClusterConfig(PlatformSection):
    """aws only: the EKS cluster."""

    admin_role_arns: list[Annotated[str, Field(pattern=r"^arn:aws[a-z-]*:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]+$")]] = Field(
        default_factory=list,
        description="IAM roles given cluster-admin access entries besides the identity running Pulumi.",
    )
    log_retention_days: int = Field(
        default=90, ge=1, le=3653, description="Days the EKS control-plane logs are kept."
    )


class AzureClusterConfig(PlatformSection):
    """azure only: the AKS cluster."""

    system_vm_size: str = Field(
        default="Standard_D4ds_v5", pattern=r"^Standard_[A-Za-z0-9_]+$", description="VM size of the AKS system pool."
    )
    system_min_count: int = Field(default=3, ge=1, le=100, description="System pool autoscaler floor (one per zone).")
    system_max_count: int = Field(default=5, ge=1, le=100, description="System pool autoscaler ceiling.")
    pod_cidr: Cidr = Field(default="192.168.0.0/16", description="CNI overlay pod range (outside the VNet).")
    service_cidr: Cidr = Field(default="172.16.0.0/16", description="Kubernetes service range (outside the VNet).")
    upgrade_channel: Literal["patch", "stable", "rapid", "node-image"] = Field(
        default="patch", description="AKS automatic upgrade channel."
    )
    sku_tier: Literal["Free", "Standard", "Premium"] = Field(
        default="Standard", description="AKS control-plane tier (Standard carries the uptime SLA)."
    )
    admin_group_object_ids: list[Annotated[str, Field(pattern=_GUID)]] = Field(
        default_factory=list, description="Entra ID groups given cluster-admin through Azure RBAC."
    )

    @model_validator(mode="after")
    def _pools_and_ranges(self) -> AzureClusterConfig:
        if self.system_min_count > self.system_max_count:
            raise ValueError(
                f"systemMinCount ({self.system_min_count}) must not exceed systemMaxCount ({self.system_max_count})"
            )
        if ipaddress.ip_network(self.pod_cidr).overlaps(ipaddress.ip_network(self.service_cidr)):
            raise ValueError(f"podCidr {self.pod_cidr} overlaps serviceCidr {self.service_cidr}")
        return self


class KubernetesClusterConfig(PlatformSection):
    """kubernetes only: the existing cluster."""

    kubeconfig_context: str | None = Field(
        default=None, description="The kubeconfig context of the existing cluster; unset = the current context."
    )


class ClusterConfig(Model):
    kubernetes_version: str = Field(default="1.33", pattern=r"^1\.[0-9]{2}$")
    nodes: NodePoolConfig = Field(default_factory=NodePoolConfig)
    public_endpoint: bool = Field(default=False, description="Expose the API server publicly (restricted CIDRs).")
    endpoint_cidrs: list[Cidr] = Field(
        default_factory=list, description="CIDRs allowed to reach a public API endpoint."
    )
    preinstalled_api_groups: list[Annotated[str, Field(pattern=r"^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$")]] = Field(
        default_factory=list,
        description="API groups whose CRDs must already be on the cluster (a first-deploy prerequisite the preview lists).",
    )
    aws: AwsClusterConfig = Field(default_factory=AwsClusterConfig)
    azure: AzureClusterConfig = Field(default_factory=AzureClusterConfig)
    kubernetes: KubernetesClusterConfig = Field(default_factory=KubernetesClusterConfig)

    @model_validator(mode="after")
    def _endpoint_restricted(self) -> ClusterConfig:
        if self.public_endpoint and not self.endpoint_cidrs:
            raise ValueError("publicEndpoint needs endpointCidrs")
        if covers_internet(self.endpoint_cidrs):
            raise ValueError(f"endpointCidrs {', '.join(public_ranges(self.endpoint_cidrs))} cover the public Internet; "
                             "list your office/VPN ranges only")
        return self
