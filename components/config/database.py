"""`database`: PostgreSQL on every platform; what one platform alone reads sits under its name."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from components.config.base import Model, PlatformSection
from components.config.values import CpuQuantity, K8sName, MemoryQuantity, as_int
from components.conventions import PROJECT


class AwsDatabaseConfig(PlatformSection):
    """aws only: the RDS instances."""

    instance_class: str = Field(default="db.r6g.large", description="RDS instance class.")
    max_storage_gb: int = Field(
        default=500, ge=20, le=65536, description="Storage autoscaling ceiling; at least database.storageGb."
    )
    ca_cert_identifier: str = Field(
        default="rds-ca-rsa2048-g1", pattern=r"^rds-ca-[a-z0-9-]+$", description="RDS certificate authority."
    )
    performance_insights_retention_days: int = Field(
        default=7, ge=7, le=731, description="Performance Insights retention (7, or a multiple of 31 up to 731)."
    )


class AzureDatabaseConfig(PlatformSection):
    """azure only: the PostgreSQL Flexible Server."""

    sku_name: str = Field(
        default="Standard_D4ds_v5", pattern=r"^Standard_[A-Za-z0-9_]+$",
        description="Flexible Server SKU (General Purpose).",
    )
    zone_redundant_ha: bool = Field(
        default=True, description="Zone-redundant HA standby for the primary (production requires it)."
    )
    geo_redundant_backup: bool = Field(
        default=True, description="Backups copied to the paired region (production requires it)."
    )
    password_rotation_days: int = Field(
        default=90, ge=7, le=365,
        description=("The admin password's Key Vault expiry; the first `pulumi up --refresh` after it "
                     "(or `ops rollout`) generates a new one."),
    )


class KubernetesDatabaseConfig(PlatformSection):
    """kubernetes only: the CloudNativePG cluster."""

    storage_class: str | None = Field(default=None, description="StorageClass of the CNPG volumes.")
    cpu: CpuQuantity = "1"
    memory: MemoryQuantity = "2Gi"
    backup_bucket: str | None = Field(default=None, description="Object storage URL for CNPG backups (s3://...).")
    namespace: K8sName = Field(default="orchestrator-db", description="Namespace of the CloudNativePG cluster.")
    synchronous_standbys: int = Field(
        default=1, ge=1, le=5,
        description="Standbys every commit waits for (CNPG postgresql.synchronous.number); at most database.replicas.",
    )
    data_durability: Literal["required", "preferred"] = Field(
        default="required",
        description="'required' blocks writes without a synchronous standby; 'preferred' degrades to async.",
    )
    image: str | None = Field(
        default=None, pattern=r"^[a-z0-9./-]+:[0-9]+\.[0-9]+[A-Za-z0-9_.-]*(@sha256:[0-9a-f]{64})?$",
        description="PostgreSQL operand image; unset = the pinned CNPG image of database.engineVersion.",
    )
    backup_schedule: str = Field(
        default="0 0 3 * * *", pattern=r"^(\S+\s+){5}\S+$",
        description="CNPG ScheduledBackup cron (six fields, seconds first).",
    )
    backup_endpoint_url: str | None = Field(
        default=None, pattern=r"^https://\S+$",
        description="S3-compatible endpoint for backupBucket (unset = AWS S3).",
    )
    backup_credentials_secret: K8sName | None = Field(
        default=None,
        description="Secret in the database namespace with ACCESS_KEY_ID / ACCESS_SECRET_KEY; unset = IAM role.",
    )


class DatabaseConfig(Model):
    engine_version: str = Field(default="16", pattern=r"^1[4-8](\.[0-9]+)?$", description="PostgreSQL major (14-18).")
    name: str = Field(default=PROJECT, pattern=r"^[a-z][a-z0-9_]{0,62}$")
    username: str = Field(default="orchestrator_app", pattern=r"^[a-z][a-z0-9_]{0,62}$")
    replicas: int = Field(default=2, ge=2, le=5, description="Read replicas beside the primary (HA: at least 2).")
    storage_gb: int = Field(default=100, ge=20, le=65536)
    backup_retention_days: int = Field(default=14, ge=7, le=35)
    aws: AwsDatabaseConfig = Field(default_factory=AwsDatabaseConfig)
    azure: AzureDatabaseConfig = Field(default_factory=AzureDatabaseConfig)
    kubernetes: KubernetesDatabaseConfig = Field(default_factory=KubernetesDatabaseConfig)

    @field_validator("engine_version", mode="before")
    @classmethod
    def _version_text(cls, value: Any) -> Any:
        # YAML and `--set` read `17` as a number; a version is text.
        return str(as_int(value)) if isinstance(value, (int, float)) and not isinstance(value, bool) else value

    @model_validator(mode="after")
    def _reserved_username(self) -> DatabaseConfig:
        if self.username in {"postgres", "admin", "root", "rdsadmin", "azure_superuser"}:
            raise ValueError(f"username '{self.username}' is a default/reserved admin name; choose another")
        return self
