"""Azure: a Log Analytics workspace keeps the logs, per-stack retention and an optional daily cap.

The shipper writes through a workspace-based Application Insights component (the collector's
`azuremonitor` exporter), so records land in the workspace's `AppTraces` table beside everything
else Azure Monitor collects; the connection string reaches the agent as a Kubernetes Secret.
"""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s
from pulumi_azure_native import applicationinsights, operationalinsights

from components.cluster.azure import AksFoundation
from components.config import StackConfig
from components.monitoring.logs import LOGS_DATASOURCE_UID, LogStore

CONNECTION_SECRET = "azure-monitor-connection"


def log_analytics_store(
    name: str, config: StackConfig, foundation: AksFoundation, namespace: pulumi.Input[str], parent: pulumi.Resource
) -> LogStore:
    logs = config.monitoring.logs
    child = pulumi.ResourceOptions(parent=parent)
    stateful = pulumi.ResourceOptions(parent=parent, protect=foundation.protect)
    workspace = operationalinsights.Workspace(
        f"{name}-log-analytics",
        resource_group_name=foundation.resource_group_name,
        sku=operationalinsights.WorkspaceSkuArgs(name="PerGB2018"),
        retention_in_days=logs.retention_days,
        workspace_capping=(operationalinsights.WorkspaceCappingArgs(daily_quota_gb=logs.azure.daily_quota_gb)
                           if logs.azure.daily_quota_gb else None),
        # Entra ID only: no shared workspace keys.
        features=operationalinsights.WorkspaceFeaturesArgs(disable_local_auth=True),
        tags=foundation.tags,
        opts=stateful,
    )
    insights = applicationinsights.Component(
        f"{name}-app-insights",
        resource_group_name=foundation.resource_group_name,
        kind="other",
        application_type="other",
        workspace_resource_id=workspace.id,
        ingestion_mode="LogAnalytics",
        retention_in_days=logs.retention_days,
        tags=foundation.tags,
        opts=child,
    )
    connection_string: pulumi.Output[str] = pulumi.Output.secret(insights.connection_string)
    connection = k8s.core.v1.Secret(
        f"{name}-azure-monitor-connection",
        metadata=k8s.meta.v1.ObjectMetaArgs(name=CONNECTION_SECRET, namespace=namespace),
        type="Opaque",
        string_data={"connection-string": connection_string},
        opts=child,
    )
    return LogStore(
        kind="log-analytics",
        exporters={"azuremonitor": {"connection_string": "${APPLICATIONINSIGHTS_CONNECTION_STRING}"}},
        env=[{"name": "APPLICATIONINSIGHTS_CONNECTION_STRING",
              "valueFrom": {"secretKeyRef": {"name": CONNECTION_SECRET, "key": "connection-string"}}}],
        datasource={
            "name": "Logs (Azure Monitor)", "uid": LOGS_DATASOURCE_UID, "type": "grafana-azure-monitor-datasource",
            "access": "proxy",
            # Grafana authenticates with its workload identity (granted Log Analytics Reader).
            "jsonData": {"azureAuthType": "workloadidentity", "cloudName": "azuremonitor"},
        },
        ready=[workspace, connection],
        endpoint=workspace.customer_id,
    )
