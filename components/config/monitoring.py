"""`monitoring`: metrics, alert receivers, tracing and logs."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from components.config.base import Model, PlatformSection
from components.config.values import K8sName


class AlertReceiverConfig(Model):
    kind: Literal["none", "webhook", "pagerduty"] = Field(
        default="none", description="Where Alertmanager sends alerts: nowhere (UI only), a webhook URL or PagerDuty."
    )
    secret_name: K8sName | None = Field(
        default=None,
        description="Secret in the monitoring namespace the program writes the receiver's stack secret into.",
    )
    secret_key: str | None = Field(
        default=None,
        pattern=r"^[-._a-zA-Z0-9]+$",
        description="Key inside that Secret; unset means `routing-key` (pagerduty) or `url` (webhook).",
    )

    @model_validator(mode="after")
    def _secret_for_kind(self) -> AlertReceiverConfig:
        if self.kind != "none" and not self.secret_name:
            raise ValueError(f"receiver kind '{self.kind}' needs monitoring.alertReceiver.secretName")
        return self

    @property
    def key(self) -> str:
        if self.secret_key:
            return self.secret_key
        return "routing-key" if self.kind == "pagerduty" else "url"


class SamplingConfig(Model):
    mode: Literal["head", "tail"] = Field(
        default="head",
        description="head: the SDK keeps `percentage` of traces; tail: the collector keeps every error and slow "
        "trace and `percentage` of the rest.",
    )
    percentage: float = Field(default=100, gt=0, le=100, description="Share (%) of ordinary traces kept.")
    latency_threshold_ms: int = Field(
        default=500, ge=1, le=600_000, description="tail: traces slower than this are always kept."
    )


class TracingConfig(Model):
    enabled: bool = Field(default=True, description="OpenTelemetry Collector, Jaeger and the app's OTEL_* env.")
    sampling: SamplingConfig = Field(default_factory=SamplingConfig)
    retention_days: int = Field(default=7, ge=1, le=90, description="Days Jaeger keeps spans.")
    storage: Literal["memory", "badger", "opensearch"] | None = Field(
        default=None,
        description="Jaeger span store; unset: opensearch on aws (the log domain), badger on a volume elsewhere, "
        "memory in development.",
    )
    storage_gb: int = Field(default=20, ge=1, le=4096, description="badger: volume size (GiB).")
    collector_replicas: int = Field(default=2, ge=1, le=20, description="Collector gateway replicas.")


class AwsLogsConfig(PlatformSection):
    """aws only: the OpenSearch domain."""

    opensearch_instance_type: str = Field(
        default="r7g.large.search", pattern=r"^[a-z0-9]+\.[a-z0-9]+\.search$", description="OpenSearch data nodes."
    )
    opensearch_instance_count: int = Field(default=3, ge=1, le=80, description="Data nodes (one per zone).")
    opensearch_volume_gb: int = Field(default=100, ge=10, le=16384, description="gp3 volume per data node (GiB).")


class AzureLogsConfig(PlatformSection):
    """azure only: the Log Analytics workspace."""

    daily_quota_gb: float | None = Field(
        default=None, gt=0, description="Log Analytics daily ingestion cap (GiB); unset = none."
    )


class KubernetesLogsConfig(PlatformSection):
    """kubernetes only: Loki."""

    storage_gb: int = Field(default=10, ge=1, le=4096, description="Loki volume size (GiB).")


class LogsConfig(Model):
    enabled: bool = Field(default=True, description="Log store of the platform and the log shipper.")
    retention_days: int = Field(default=30, ge=1, le=3650, description="Days logs are kept.")
    aws: AwsLogsConfig = Field(default_factory=AwsLogsConfig)
    azure: AzureLogsConfig = Field(default_factory=AzureLogsConfig)
    kubernetes: KubernetesLogsConfig = Field(default_factory=KubernetesLogsConfig)


class MonitoringConfig(Model):
    enabled: bool = Field(default=True, description="Install kube-prometheus-stack, monitors, rules and dashboards.")
    namespace: K8sName = Field(default="monitoring", description="Namespace of Prometheus, Alertmanager and Grafana.")
    retention_days: int = Field(default=15, ge=1, le=400, description="Prometheus TSDB retention (days).")
    storage_gb: int = Field(default=50, ge=1, le=16384, description="Prometheus persistent volume size (GiB).")
    storage_class: str | None = Field(default=None, description="StorageClass of the Prometheus volume; unset = cluster default.")
    scrape_interval_seconds: int = Field(
        default=15, ge=5, le=300, description="Scrape interval of the app, HAProxy and exporters."
    )
    runbook_base_url: str = Field(
        default="https://github.com/acme/orchestrator-infra/blob/main/docs/runbooks.md",
        pattern=r"^https://[^\s#]+$",
        description="Where docs/runbooks.md is browsable; alerts link to `<this>#<anchor>`.",
    )
    alert_receiver: AlertReceiverConfig = Field(default_factory=AlertReceiverConfig)
    warning_receiver: AlertReceiverConfig = Field(
        default_factory=AlertReceiverConfig, description="Where warnings go (ticket or chat); critical alerts page."
    )
    tracing: TracingConfig = Field(default_factory=TracingConfig)
    logs: LogsConfig = Field(default_factory=LogsConfig)
