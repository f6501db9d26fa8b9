"""What pulumi-azure-native computes for the resources and invokes this program uses."""

from __future__ import annotations

from pulumi.runtime import config as runtime_config

from offline.mocks.core import CallHandler, Props, ResourceCall, ResourceHandler, autoname, merge

SUBSCRIPTION_ID = "00000000-0000-4000-8000-000000000001"
TENANT_ID = "00000000-0000-4000-8000-000000000002"
CLIENT_ID = "00000000-0000-4000-8000-000000000003"
OBJECT_ID = "00000000-0000-4000-8000-000000000004"


def location() -> str:
    return str(runtime_config.get_config("azure-native:location") or "francecentral")


def _generic(call: ResourceCall) -> Props:
    computed: Props = {"name": call.inputs.get("name") or autoname(call.type, call.name)}
    if "location" not in call.inputs:
        computed["location"] = location()
    return merge(call.inputs, computed)


RESOURCES: dict[str, ResourceHandler] = {}
PACKAGE_DEFAULTS: dict[str, ResourceHandler] = {"azure-native": _generic}


def _client_config(_args: Props) -> Props:
    return {"clientId": CLIENT_ID, "objectId": OBJECT_ID, "subscriptionId": SUBSCRIPTION_ID, "tenantId": TENANT_ID}


CALLS: dict[str, CallHandler] = {
    "azure-native:authorization:getClientConfig": _client_config,
}
