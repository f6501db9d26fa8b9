"""`cache`: Redis on every platform; what one platform alone reads sits under its name."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from components.config.base import Model, PlatformSection
from components.config.values import CpuQuantity, K8sName, MemoryQuantity


class AwsCacheConfig(PlatformSection):
    """aws only: the ElastiCache replication group."""

    engine: Literal["valkey", "redis"] = "valkey"
    engine_version: str = Field(default="8.0", pattern=r"^[0-9]+(\.[0-9]+)?$")
    node_type: str = Field(default="cache.r7g.large", description="ElastiCache node type.")
    snapshot_retention_days: int = Field(default=7, ge=1, le=35)


class AzureCacheConfig(PlatformSection):
    """azure only: Azure Managed Redis."""

    sku_name: str = Field(
        default="Balanced_B10",
        pattern=r"^(Balanced_B|MemoryOptimized_M|ComputeOptimized_X|FlashOptimized_A)[0-9]+$",
        description="Managed Redis SKU; its primary shard count must reach `cache.shards` (see docs/platform-azure.md).",
    )
    key_expiry_days: int = Field(
        default=90, ge=7, le=365, description="Expiry of the access key copy kept in Key Vault (rotation due date)."
    )


class KubernetesCacheConfig(PlatformSection):
    """kubernetes only: the Redis cluster the redis-operator runs."""

    storage_gb: int = Field(default=10, ge=1, le=1024, description="Persistent volume per node (GiB).")
    storage_class: str | None = Field(default=None, description="StorageClass of the Redis volumes.")
    cpu: CpuQuantity = "500m"
    memory: MemoryQuantity = "1Gi"
    namespace: K8sName = Field(default="orchestrator-cache", description="Namespace of the Redis cluster.")
    image: str = Field(
        default="quay.io/opstree/redis:v7.0.15", pattern=r"^[a-z0-9./-]+:v?[0-9]+\.[0-9]+\.[0-9]+[A-Za-z0-9_.-]*$",
        description="Redis image run by the redis-operator (a pinned release tag).",
    )
    exporter_image: str = Field(
        default="quay.io/opstree/redis-exporter:v1.44.0", pattern=r"^[a-z0-9./-]+:v?[0-9]+\.[0-9]+\.[0-9]+[A-Za-z0-9_.-]*$",
        description="redis_exporter sidecar image (a pinned release tag).",
    )


class CacheConfig(Model):
    shards: int = Field(default=3, ge=3, le=500, description="Primary shards (masters); the requirement is 3.")
    replicas_per_shard: int = Field(default=1, ge=1, le=5)
    aws: AwsCacheConfig = Field(default_factory=AwsCacheConfig)
    azure: AzureCacheConfig = Field(default_factory=AzureCacheConfig)
    kubernetes: KubernetesCacheConfig = Field(default_factory=KubernetesCacheConfig)
