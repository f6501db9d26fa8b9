"""Azure: the Log Analytics workspace and its Application Insights component are reachable over
Private Link only, and the mocks answer for the new resources as the service does."""

from __future__ import annotations

from typing import Any

from components.monitoring.logs_azure import MONITOR_DNS_ZONES, PRIVATE_LINK_GROUP_ID
from offline.runner.mocks.azure import RESOURCES
from offline.runner.mocks.core import ResourceCall
from tests.helpers import find, one, plain, run_stack

STACK = "production-azure"
WORKSPACE = "azure-native:operationalinsights:Workspace"
COMPONENT = "azure-native:applicationinsights:Component"
SCOPE = "azure-native:monitor:PrivateLinkScope"
SCOPED = "azure-native:monitor:PrivateLinkScopedResource"
ENDPOINT = "azure-native:network:PrivateEndpoint"
ZONE = "azure-native:privatedns:PrivateZone"
LINK = "azure-native:privatedns:VirtualNetworkLink"
ZONE_GROUP = "azure-native:network:PrivateDnsZoneGroup"
RELEASE = "kubernetes:helm.sh/v3:Release"
EXPECTED_ZONES = {
    "privatelink.monitor.azure.com", "privatelink.oms.opinsights.azure.com", "privatelink.ods.opinsights.azure.com",
    "privatelink.agentsvc.azure-automation.net", "privatelink.blob.core.windows.net",
}


def inputs(type_: str, name: str | None = None) -> dict[str, Any]:
    return dict(plain(one(run_stack(STACK), type_, name).inputs))


def test_workspace_and_component_refuse_public_ingestion_and_query() -> None:
    for type_ in (WORKSPACE, COMPONENT):
        registration = one(run_stack(STACK), type_)
        for side in (registration.inputs, registration.outputs):
            assert side["publicNetworkAccessForIngestion"] == "Disabled", type_
            assert side["publicNetworkAccessForQuery"] == "Disabled", type_


def test_scope_is_global_and_private_only_and_holds_the_workspace_and_component() -> None:
    result = run_stack(STACK)
    scope = one(result, SCOPE)
    assert scope.inputs["location"] == "global"
    assert scope.inputs["accessModeSettings"] == {"ingestionAccessMode": "PrivateOnly", "queryAccessMode": "PrivateOnly"}
    scoped = find(result, SCOPED)
    assert {r.inputs["scopeName"] for r in scoped} == {scope.outputs["name"]}
    assert {r.inputs["linkedResourceId"] for r in scoped} == {one(result, WORKSPACE).id, one(result, COMPONENT).id}
    assert {r.inputs["kind"] for r in scoped} == {"Resource"}


def test_endpoint_in_the_endpoints_subnet_with_the_azuremonitor_group() -> None:
    result = run_stack(STACK)
    monitoring = [r for r in find(result, ENDPOINT) if "monitoring:Monitoring" in r.urn]
    assert len(monitoring) == 1
    endpoint = monitoring[0]
    subnet = next(r for r in find(result, "azure-native:network:Subnet") if r.name.endswith("-endpoints"))
    assert endpoint.inputs["subnet"]["id"] == subnet.id
    (connection,) = endpoint.inputs["privateLinkServiceConnections"]
    assert connection["groupIds"] == [PRIVATE_LINK_GROUP_ID] == ["azuremonitor"]
    assert connection["privateLinkServiceId"] == one(result, SCOPE).id
    # Created after the scope holds its resources: the endpoint publishes DNS records for them.
    assert {r.urn for r in find(result, SCOPED)} <= set(endpoint.dependencies)


def test_azure_monitor_dns_zones_are_linked_to_the_vnet_and_fed_by_the_endpoint() -> None:
    result = run_stack(STACK)
    assert set(MONITOR_DNS_ZONES.values()) == EXPECTED_ZONES
    zones = {r.inputs["privateZoneName"]: r for r in find(result, ZONE) if r.inputs["privateZoneName"] in EXPECTED_ZONES}
    assert set(zones) == EXPECTED_ZONES
    vnet = one(result, "azure-native:network:VirtualNetwork")
    links = [r for r in find(result, LINK) if r.inputs["privateZoneName"] in EXPECTED_ZONES]
    assert {r.inputs["privateZoneName"] for r in links} == EXPECTED_ZONES
    for link in links:
        assert link.inputs["virtualNetwork"]["id"] == vnet.id
        assert link.inputs["registrationEnabled"] is False
    endpoint = next(r for r in find(result, ENDPOINT) if "monitoring:Monitoring" in r.urn)
    group = next(r for r in find(result, ZONE_GROUP) if r.inputs["privateEndpointName"] == endpoint.outputs["name"])
    assert {c["privateDnsZoneId"] for c in group.inputs["privateDnsZoneConfigs"]} == {z.id for z in zones.values()}


def test_the_log_agent_waits_for_private_dns() -> None:
    result = run_stack(STACK)
    agent = one(result, RELEASE, "monitoring-log-agent")
    endpoint = next(r for r in find(result, ENDPOINT) if "monitoring:Monitoring" in r.urn)
    group = next(r for r in find(result, ZONE_GROUP) if r.inputs["privateEndpointName"] == endpoint.outputs["name"])
    assert group.urn in agent.dependencies


def _call(type_: str, name: str, props: dict[str, Any]) -> dict[str, Any]:
    return dict(RESOURCES[type_](ResourceCall(type=type_, name=name, inputs=props, id="", custom=True)))


def test_mock_answers_like_the_service() -> None:
    # A workspace created without the properties is public: the mock must not hide that from the pack.
    workspace = _call(WORKSPACE, "ws", {"resourceGroupName": "rg"})
    assert workspace["publicNetworkAccessForIngestion"] == workspace["publicNetworkAccessForQuery"] == "Enabled"
    scope = _call(SCOPE, "scope", {"resourceGroupName": "rg", "accessModeSettings": {}})
    assert scope["location"] == "global" and scope["privateEndpointConnections"] == []
    assert scope["id"].endswith(f"/providers/Microsoft.Insights/privateLinkScopes/{scope['name']}")
    scoped = _call(SCOPED, "scoped", {"resourceGroupName": "rg", "scopeName": scope["name"], "name": "workspace",
                                      "linkedResourceId": "/x"})
    assert scoped["id"] == f"{scope['id']}/scopedResources/workspace"
    assert "location" not in scoped
