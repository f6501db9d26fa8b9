"""Azure: a Log Analytics workspace keeps the logs, per-stack retention and an optional daily cap.

The shipper writes through a workspace-based Application Insights component (the collector's
`azuremonitor` exporter), so records land in the workspace's `AppTraces` table beside everything
else Azure Monitor collects; the connection string reaches the agent as a Kubernetes Secret.

Both are reachable only over Private Link: an Azure Monitor Private Link Scope holds them, in
private-only access mode for ingestion and query; its private endpoint sits in the VNet's
`endpoints` subnet with the Azure Monitor private DNS zones linked to the VNet; the workspace and
the component refuse public ingestion and query.
"""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s
from pulumi_azure_native import applicationinsights, monitor, network, operationalinsights, privatedns

from components.cluster.azure import AksFoundation
from components.config import StackConfig
from components.monitoring.logs import LOGS_DATASOURCE_UID, SLOT_ATTRIBUTE, LogStore

CONNECTION_SECRET = "azure-monitor-connection"
PRIVATE_LINK_GROUP_ID = "azuremonitor"
MONITOR_DNS_ZONES: dict[str, str] = {
    # Private endpoint DNS zones of the `azuremonitor` sub-resource: role -> zone.
    "monitor": "privatelink.monitor.azure.com",  # query API, App Insights ingestion and live metrics
    "oms": "privatelink.oms.opinsights.azure.com",  # workspace onboarding
    "ods": "privatelink.ods.opinsights.azure.com",  # workspace ingestion
    "agentsvc": "privatelink.agentsvc.azure-automation.net",  # agent service automation
    "blob": "privatelink.blob.core.windows.net",  # agent solution packs
}
PRIVATE = "Disabled"
"""`publicNetworkAccessForIngestion` / `ForQuery` of the workspace and the component."""


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
        # Only through the Private Link Scope below.
        public_network_access_for_ingestion=PRIVATE,
        public_network_access_for_query=PRIVATE,
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
        public_network_access_for_ingestion=PRIVATE,
        public_network_access_for_query=PRIVATE,
        tags=foundation.tags,
        opts=child,
    )
    endpoint = _private_link(name, foundation, {"workspace": workspace.id, "app-insights": insights.id}, parent)
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
        # The agent starts once its endpoint answers privately: public ingestion is refused.
        ready=[workspace, connection, endpoint],
        # The exporter copies resource attributes into AppTraces.Properties.
        slot_logs_query={"queryType": "Azure Log Analytics", "azureLogAnalytics": {
            "query": f'AppTraces | where $__timeFilter(TimeGenerated) | where tostring(Properties["{SLOT_ATTRIBUTE}"]) '
                     '== "$slot" | project TimeGenerated, SeverityLevel, Message, OperationId, Properties '
                     '| order by TimeGenerated desc',
            "resources": [workspace.id], "resultFormat": "logs"}},
        endpoint=workspace.customer_id,
    )


def _private_link(
    name: str, foundation: AksFoundation, scoped: dict[str, pulumi.Input[str]], parent: pulumi.Resource
) -> network.PrivateDnsZoneGroup:
    """The Private Link Scope holding `scoped` (role -> resource id), its endpoint and DNS; returns the
    endpoint's DNS zone group, the last piece before a name resolves privately."""
    child = pulumi.ResourceOptions(parent=parent)
    rg = foundation.resource_group_name
    scope = monitor.PrivateLinkScope(
        f"{name}-private-link-scope",
        resource_group_name=rg,
        location="global",  # the service accepts no other location for a scope
        # Private-only: clients on this VNet reach only the resources in the scope, and only privately.
        access_mode_settings=monitor.AccessModeSettingsArgs(
            ingestion_access_mode=monitor.AccessMode.PRIVATE_ONLY, query_access_mode=monitor.AccessMode.PRIVATE_ONLY,
        ),
        tags=foundation.tags,
        opts=child,
    )
    scoped_resources = [
        monitor.PrivateLinkScopedResource(
            f"{name}-scoped-{role}",
            resource_group_name=rg,
            scope_name=scope.name,
            name=role,
            linked_resource_id=resource_id,
            kind=monitor.ScopedResourceKind.RESOURCE,
            opts=child,
        )
        for role, resource_id in scoped.items()
    ]
    endpoint = network.PrivateEndpoint(
        f"{name}-monitor-endpoint",
        resource_group_name=rg,
        subnet=network.SubnetArgs(id=foundation.network.subnet_ids["endpoints"]),
        private_link_service_connections=[network.PrivateLinkServiceConnectionArgs(
            name="azure-monitor", private_link_service_id=scope.id, group_ids=[PRIVATE_LINK_GROUP_ID],
        )],
        tags=foundation.tags,
        # The endpoint publishes DNS records for what the scope holds at creation time.
        opts=pulumi.ResourceOptions(parent=parent, depends_on=scoped_resources),
    )
    zones: dict[str, privatedns.PrivateZone] = {}
    for role, zone_name in MONITOR_DNS_ZONES.items():
        zone = privatedns.PrivateZone(
            f"{name}-{role}-dns", resource_group_name=rg, private_zone_name=zone_name, location="global",
            tags=foundation.tags, opts=child,
        )
        privatedns.VirtualNetworkLink(
            f"{name}-{role}-dns-link", resource_group_name=rg, private_zone_name=zone.name, location="global",
            virtual_network=privatedns.SubResourceArgs(id=foundation.network.vnet_id), registration_enabled=False,
            tags=foundation.tags, opts=child,
        )
        zones[role] = zone
    return network.PrivateDnsZoneGroup(
        f"{name}-monitor-endpoint-dns",
        resource_group_name=rg,
        private_endpoint_name=endpoint.name,
        private_dns_zone_configs=[
            network.PrivateDnsZoneConfigArgs(name=role, private_dns_zone_id=zone.id) for role, zone in zones.items()
        ],
        opts=child,
    )
