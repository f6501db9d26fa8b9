"""What pulumi-azure-native computes for the resources and invokes this program uses.

Resource ids follow Azure Resource Manager: `/subscriptions/<sub>/resourceGroups/<rg>/providers/<ns>/<type>/<name>`
(child resources append `/<type>/<name>` to their parent's id); names the program leaves out are auto-named
as azure-native does (`<logical name><8 hex>`); each type adds the outputs the service computes (FQDNs,
host names, principal ids, ...). The `time` package (pulumiverse-time, used for Key Vault expiries) is
emulated here too, since only the Azure components use it.
"""

from __future__ import annotations

import base64
import hashlib
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from pulumi.runtime import config as runtime_config

from offline.runner.mocks.core import CallHandler, PreviewModel, Props, ResourceCall, ResourceHandler, merge, stable_hex
from offline.wire import SECRET_SIG, SECRET_SIG_KEY

SUBSCRIPTION_ID = "00000000-0000-4000-8000-000000000001"
TENANT_ID = "00000000-0000-4000-8000-000000000002"
CLIENT_ID = "00000000-0000-4000-8000-000000000003"
OBJECT_ID = "00000000-0000-4000-8000-000000000004"
MOCK_NOW = datetime(2026, 1, 1, tzinfo=UTC)
"""The emulated clock: `time` resources created in a mocked run are created at this instant (stable exports)."""


def location() -> str:
    return str(runtime_config.get_config("azure-native:location") or "francecentral")


def azure_autoname(type_: str, name: str) -> str:
    """azure-native's auto-naming: the logical name plus 8 random hex characters."""
    return f"{name}{stable_hex(type_, name, length=8)}"


def guid(*parts: str) -> str:
    return str(uuid.UUID(hashlib.sha256("\0".join(parts).encode()).hexdigest()[:32]))


def resource_group_id(group: str) -> str:
    return f"/subscriptions/{SUBSCRIPTION_ID}/resourceGroups/{group}"


@dataclass(frozen=True)
class ArmType:
    """Where a resource type lives in ARM: provider namespace, type path with the inputs naming each
    segment (`{key}` placeholders), and the input that carries the resource's own name."""

    path: str
    name_key: str
    global_location: bool = False


ARM_TYPES: dict[str, ArmType] = {
    "azure-native:network:VirtualNetwork": ArmType(
        "Microsoft.Network/virtualNetworks/{virtualNetworkName}", "virtualNetworkName"),
    "azure-native:network:Subnet": ArmType(
        "Microsoft.Network/virtualNetworks/{virtualNetworkName}/subnets/{subnetName}", "subnetName"),
    "azure-native:network:NetworkSecurityGroup": ArmType(
        "Microsoft.Network/networkSecurityGroups/{networkSecurityGroupName}", "networkSecurityGroupName"),
    "azure-native:network:PrivateEndpoint": ArmType(
        "Microsoft.Network/privateEndpoints/{privateEndpointName}", "privateEndpointName"),
    "azure-native:network:PrivateDnsZoneGroup": ArmType(
        "Microsoft.Network/privateEndpoints/{privateEndpointName}/privateDnsZoneGroups/{privateDnsZoneGroupName}",
        "privateDnsZoneGroupName"),
    "azure-native:network:PublicIPAddress": ArmType(
        "Microsoft.Network/publicIPAddresses/{publicIpAddressName}", "publicIpAddressName"),
    "azure-native:network:ApplicationGateway": ArmType(
        "Microsoft.Network/applicationGateways/{applicationGatewayName}", "applicationGatewayName"),
    "azure-native:network:WebApplicationFirewallPolicy": ArmType(
        "Microsoft.Network/ApplicationGatewayWebApplicationFirewallPolicies/{policyName}", "policyName"),
    "azure-native:privatedns:PrivateZone": ArmType(
        "Microsoft.Network/privateDnsZones/{privateZoneName}", "privateZoneName", True),
    "azure-native:privatedns:VirtualNetworkLink": ArmType(
        "Microsoft.Network/privateDnsZones/{privateZoneName}/virtualNetworkLinks/{virtualNetworkLinkName}",
        "virtualNetworkLinkName", True),
    "azure-native:containerservice:ManagedCluster": ArmType(
        "Microsoft.ContainerService/managedClusters/{resourceName}", "resourceName"),
    "azure-native:containerservice:AgentPool": ArmType(
        "Microsoft.ContainerService/managedClusters/{resourceName}/agentPools/{agentPoolName}", "agentPoolName"),
    "azure-native:dbforpostgresql:Server": ArmType("Microsoft.DBforPostgreSQL/flexibleServers/{serverName}", "serverName"),
    "azure-native:dbforpostgresql:Configuration": ArmType(
        "Microsoft.DBforPostgreSQL/flexibleServers/{serverName}/configurations/{configurationName}", "configurationName"),
    "azure-native:dbforpostgresql:Database": ArmType(
        "Microsoft.DBforPostgreSQL/flexibleServers/{serverName}/databases/{databaseName}", "databaseName"),
    "azure-native:redisenterprise:RedisEnterprise": ArmType("Microsoft.Cache/redisEnterprise/{clusterName}", "clusterName"),
    "azure-native:redisenterprise:Database": ArmType(
        "Microsoft.Cache/redisEnterprise/{clusterName}/databases/{databaseName}", "databaseName"),
    "azure-native:keyvault:Vault": ArmType("Microsoft.KeyVault/vaults/{vaultName}", "vaultName"),
    "azure-native:keyvault:Secret": ArmType("Microsoft.KeyVault/vaults/{vaultName}/secrets/{secretName}", "secretName"),
    "azure-native:managedidentity:UserAssignedIdentity": ArmType(
        "Microsoft.ManagedIdentity/userAssignedIdentities/{resourceName}", "resourceName"),
}


def arm_id(type_: str, inputs: Props, name: str) -> str:
    """The ARM id of a resource of `type_` whose own name is `name`."""
    arm = ARM_TYPES[type_]
    values = {**{k: str(v) for k, v in inputs.items() if isinstance(v, str)}, arm.name_key: name}
    return f"{resource_group_id(str(inputs['resourceGroupName']))}/providers/{arm.path.format(**values)}"


def _named(call: ResourceCall) -> tuple[str, Props]:
    """Own name (given or auto-named), ARM id and the common outputs of a typed resource."""
    arm = ARM_TYPES[call.type]
    own = str(call.inputs.get(arm.name_key) or azure_autoname(call.type, call.name))
    computed: Props = {
        "__id": arm_id(call.type, call.inputs, own),
        "name": own,
        arm.name_key: own,
        "provisioningState": "Succeeded",
        "azureApiVersion": "2024-05-01",
    }
    if "location" not in call.inputs:
        computed["location"] = "global" if arm.global_location else location()
    computed["id"] = computed["__id"]
    return own, computed


def _identity_response(identity: Props, own: str) -> Props:
    """Inputs list user-assigned identity ids; the service answers with a map id -> principal/client ids."""
    response = dict(identity)
    assigned = identity.get("userAssignedIdentities")
    if isinstance(assigned, list):
        response["userAssignedIdentities"] = {
            str(rid): {"principalId": guid(str(rid), "principal"), "clientId": guid(str(rid), "client")} for rid in assigned
        }
    if "SystemAssigned" in str(identity.get("type", "")):
        response.update({"principalId": guid(own, "principal"), "tenantId": TENANT_ID})
    return response


def _typed(call: ResourceCall, extra: Props | None = None) -> Props:
    own, computed = _named(call)
    if isinstance(call.inputs.get("identity"), dict):
        computed["identity"] = _identity_response(call.inputs["identity"], own)
    computed.update(extra or {})
    return merge(call.inputs, computed)


def _resource_group(call: ResourceCall) -> Props:
    own = str(call.inputs.get("resourceGroupName") or azure_autoname(call.type, call.name))
    rid = resource_group_id(own)
    return merge(call.inputs, {
        "__id": rid, "id": rid, "name": own, "resourceGroupName": own, "location": call.inputs.get("location") or location(),
        "properties": {"provisioningState": "Succeeded"}, "type": "Microsoft.Resources/resourceGroups",
    })


_CLUSTERS: dict[tuple[str, str], Props] = {}
"""Managed clusters declared in this run, for the credential invoke (the service answers for what exists)."""


def _managed_cluster(call: ResourceCall) -> Props:
    own, computed = _named(call)
    rg = str(call.inputs["resourceGroupName"])
    prefix = str(call.inputs.get("dnsPrefix") or own)
    suffix = stable_hex(rg, own, length=8)
    region = str(call.inputs.get("location") or location())
    access = dict(call.inputs.get("apiServerAccessProfile") or {})
    private = bool(access.get("enablePrivateCluster"))
    oidc = dict(call.inputs.get("oidcIssuerProfile") or {})
    computed.update({
        "fqdn": None if private else f"{prefix}-{suffix}.hcp.{region}.azmk8s.io",
        "privateFQDN": f"{prefix}-{suffix}.{guid(own, 'dns')}.privatelink.{region}.azmk8s.io" if private else None,
        "azurePortalFQDN": f"{prefix}-{suffix}.portal.hcp.{region}.azmk8s.io",
        "nodeResourceGroup": f"MC_{rg}_{own}_{region}",
        "currentKubernetesVersion": f"{call.inputs.get('kubernetesVersion', '1.33')}.2",
        "maxAgentPools": 100,
        "powerState": {"code": "Running"},
        "resourceUID": stable_hex(own, length=24),
        "identity": _identity_response(dict(call.inputs.get("identity") or {}), own),
        "identityProfile": {"kubeletidentity": {
            "clientId": guid(own, "kubelet-client"), "objectId": guid(own, "kubelet-object"),
            "resourceId": f"{resource_group_id(f'MC_{rg}_{own}_{region}')}/providers/Microsoft.ManagedIdentity"
                          f"/userAssignedIdentities/{own}-agentpool",
        }},
        "oidcIssuerProfile": {**oidc, "issuerURL": f"https://{region}.oic.prod-aks.azure.com/{TENANT_ID}/{guid(own, 'oidc')}/"}
        if oidc.get("enabled") else oidc,
    })
    state = merge(call.inputs, {k: v for k, v in computed.items() if v is not None})
    _CLUSTERS[(rg, own)] = state
    return state


def _postgres_server(call: ResourceCall) -> Props:
    own, computed = _named(call)
    replica = call.inputs.get("createMode") == "Replica"
    computed.update({
        "fullyQualifiedDomainName": f"{own}.postgres.database.azure.com",
        "state": "Ready",
        "minorVersion": "6",
        "replicaCapacity": 0 if replica else 5,
        "replicationRole": "AsyncReplica" if replica else "Primary",
        "replica": {"role": "AsyncReplica" if replica else "Primary", "capacity": 0 if replica else 5},
        "type": "Microsoft.DBforPostgreSQL/flexibleServers",
    })
    if not replica:
        computed["version"] = str(call.inputs.get("version", "16"))
    return merge(call.inputs, computed)


def _redis_enterprise(call: ResourceCall) -> Props:
    own, computed = _named(call)
    region = str(call.inputs.get("location") or location())
    ha = call.inputs.get("highAvailability", "Enabled") == "Enabled"
    computed.update({
        # Azure Managed Redis (Balanced/Memory/Compute/Flash SKUs) names hosts <name>.<region>.redis.azure.net.
        "hostName": f"{own}.{region}.redis.azure.net",
        "redisVersion": "7.4",
        "resourceState": "Running",
        "redundancyMode": "ZR" if ha else "None",
        "kind": "v2",
        "highAvailability": call.inputs.get("highAvailability", "Enabled"),
        "privateEndpointConnections": [],
        "type": "Microsoft.Cache/redisEnterprise",
    })
    return merge(call.inputs, computed)


def _redis_database(call: ResourceCall) -> Props:
    return _typed(call, {
        "port": call.inputs.get("port", 10000),
        "clientProtocol": call.inputs.get("clientProtocol", "Encrypted"),
        "clusteringPolicy": call.inputs.get("clusteringPolicy", "OSSCluster"),
        "evictionPolicy": call.inputs.get("evictionPolicy", "VolatileLRU"),
        "redisVersion": "7.4",
        "resourceState": "Running",
        "type": "Microsoft.Cache/redisEnterprise/databases",
    })


def _vault(call: ResourceCall) -> Props:
    own, computed = _named(call)
    properties = dict(call.inputs.get("properties") or {})
    properties.update({"vaultUri": f"https://{own}.vault.azure.net/", "provisioningState": "Succeeded"})
    computed["properties"] = properties
    computed["type"] = "Microsoft.KeyVault/vaults"
    return merge(call.inputs, computed)




def _unwrap(value: object) -> tuple[Props, bool]:
    """A property object and whether it arrived as a secret (a secret nested value makes the whole
    top-level property secret on the wire)."""
    if isinstance(value, dict) and SECRET_SIG_KEY in value:
        return dict(value.get("value") or {}), True
    return dict(value) if isinstance(value, dict) else {}, False


def _secret(call: ResourceCall) -> Props:
    own, computed = _named(call)
    vault = str(call.inputs["vaultName"])
    properties, was_secret = _unwrap(call.inputs.get("properties"))
    uri = f"https://{vault}.vault.azure.net/secrets/{own}"
    properties.update({"secretUri": uri, "secretUriWithVersion": f"{uri}/{stable_hex(vault, own, length=32)}"})
    attributes = dict(properties.get("attributes") or {})
    attributes.update({"created": int(MOCK_NOW.timestamp()), "updated": int(MOCK_NOW.timestamp())})
    properties["attributes"] = attributes
    # The service never returns the value; the provider keeps the input in state, still secret.
    computed["properties"] = {SECRET_SIG_KEY: SECRET_SIG, "value": properties} if was_secret else properties
    computed["type"] = "Microsoft.KeyVault/vaults/secrets"
    return merge(call.inputs, computed)


def _public_ip(call: ResourceCall) -> Props:
    own, computed = _named(call)
    digest = hashlib.sha256(own.encode()).digest()
    computed["ipAddress"] = f"20.{digest[0]}.{digest[1]}.{max(1, digest[2] % 255)}"
    computed["resourceGuid"] = guid(own, "ip")
    dns = dict(call.inputs.get("dnsSettings") or {})
    if dns.get("domainNameLabel"):
        dns["fqdn"] = f"{dns['domainNameLabel']}.{call.inputs.get('location') or location()}.cloudapp.azure.com"
        computed["dnsSettings"] = dns
    return merge(call.inputs, computed)


def _private_endpoint(call: ResourceCall) -> Props:
    own, computed = _named(call)
    rg = str(call.inputs["resourceGroupName"])
    nic = f"{resource_group_id(rg)}/providers/Microsoft.Network/networkInterfaces/{own}.nic.{guid(own)}"
    computed["networkInterfaces"] = [{"id": nic}]
    computed["customDnsConfigs"] = []
    return merge(call.inputs, computed)


def _identity(call: ResourceCall) -> Props:
    own, _computed = _named(call)
    return _typed(call, {"principalId": guid(own, "principal"), "clientId": guid(own, "client"), "tenantId": TENANT_ID})


_GATEWAY_COLLECTIONS = (
    "gatewayIPConfigurations", "frontendIPConfigurations", "frontendPorts", "sslCertificates", "trustedRootCertificates",
    "trustedClientCertificates", "sslProfiles", "httpListeners", "listeners", "redirectConfigurations",
    "backendAddressPools", "probes", "backendHttpSettingsCollection", "backendSettingsCollection", "rewriteRuleSets",
    "urlPathMaps", "requestRoutingRules", "routingRules",
)


def _gateway_references(value: object) -> list[str]:
    """Every `{id: ...}` sub-resource reference inside a gateway's properties."""
    if isinstance(value, list):
        return [ref for item in value for ref in _gateway_references(item)]
    if not isinstance(value, dict):
        return []
    if set(value) == {"id"} and isinstance(value["id"], str):
        return [value["id"]]
    return [ref for item in value.values() for ref in _gateway_references(item)]


def _application_gateway(call: ResourceCall) -> Props:
    """The service gives each named part an id under the gateway's and refuses a reference into the
    gateway that names no such part (ARM's InvalidResourceReference)."""
    own, computed = _named(call)
    gateway_id = str(computed["__id"])
    parts: dict[str, list[Props]] = {}
    for collection in _GATEWAY_COLLECTIONS:
        items = call.inputs.get(collection)
        if isinstance(items, list):
            parts[collection] = [{**item, "id": f"{gateway_id}/{collection}/{item.get('name')}", "provisioningState": "Succeeded"}
                                 if isinstance(item, dict) else item for item in items]
    known = {str(item["id"]) for items in parts.values() for item in items if isinstance(item, dict)}
    for ref in _gateway_references({k: v for k, v in call.inputs.items() if k in _GATEWAY_COLLECTIONS}):
        if ref.lower().startswith(gateway_id.lower() + "/") and ref not in known:
            raise ValueError(f"InvalidResourceReference: resource {ref} referenced by application gateway {own} "
                             "was not found")
    return _typed(call, {"operationalState": "Running", "resourceGuid": guid(call.name, "agw"), **parts})


def _role_assignment(call: ResourceCall) -> Props:
    own = str(call.inputs.get("roleAssignmentName") or guid(call.name, str(call.inputs.get("scope", ""))))
    rid = f"{call.inputs['scope']}/providers/Microsoft.Authorization/roleAssignments/{own}"
    return merge(call.inputs, {"__id": rid, "id": rid, "name": own, "type": "Microsoft.Authorization/roleAssignments"})


def _generic(call: ResourceCall) -> Props:
    if call.type in ARM_TYPES and "resourceGroupName" in call.inputs:
        return _typed(call)
    computed: Props = {"name": call.inputs.get("name") or azure_autoname(call.type, call.name)}
    if "location" not in call.inputs:
        computed["location"] = location()
    return merge(call.inputs, computed)


def _rfc3339(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _rotating(call: ResourceCall) -> Props:
    """pulumiverse-time Rotating: base time (given or now) and the rotation instant after it."""
    base = datetime.fromisoformat(str(call.inputs["rfc3339"]).replace("Z", "+00:00")) if call.inputs.get("rfc3339") else MOCK_NOW
    step = timedelta(
        days=float(call.inputs.get("rotationDays") or 0) + 365 * float(call.inputs.get("rotationYears") or 0)
        + 30 * float(call.inputs.get("rotationMonths") or 0),
        hours=float(call.inputs.get("rotationHours") or 0), minutes=float(call.inputs.get("rotationMinutes") or 0),
    )
    return merge(call.inputs, {
        "__id": _rfc3339(base), "rfc3339": _rfc3339(base), "rotationRfc3339": _rfc3339(base + step),
        "unix": int(base.timestamp()), "year": base.year, "month": base.month, "day": base.day, "hour": base.hour,
        "minute": base.minute, "second": base.second,
    })


RESOURCES: dict[str, ResourceHandler] = {
    "azure-native:resources:ResourceGroup": _resource_group,
    "azure-native:containerservice:ManagedCluster": _managed_cluster,
    "azure-native:dbforpostgresql:Server": _postgres_server,
    "azure-native:redisenterprise:RedisEnterprise": _redis_enterprise,
    "azure-native:redisenterprise:Database": _redis_database,
    "azure-native:keyvault:Vault": _vault,
    "azure-native:keyvault:Secret": _secret,
    "azure-native:network:PublicIPAddress": _public_ip,
    "azure-native:network:PrivateEndpoint": _private_endpoint,
    "azure-native:network:ApplicationGateway": _application_gateway,
    "azure-native:managedidentity:UserAssignedIdentity": _identity,
    "azure-native:authorization:RoleAssignment": _role_assignment,
    "time:index/rotating:Rotating": _rotating,
}
PACKAGE_DEFAULTS: dict[str, ResourceHandler] = {"azure-native": _generic}


def _client_config(_args: Props) -> Props:
    return {"clientId": CLIENT_ID, "objectId": OBJECT_ID, "subscriptionId": SUBSCRIPTION_ID, "tenantId": TENANT_ID}


def user_kubeconfig(cluster: Props, exec_format: bool) -> str:
    """The kubeconfig AKS returns for an Entra ID cluster (kubelogin exec plugin in `exec` format)."""
    server = cluster.get("privateFQDN") or cluster.get("fqdn")
    name = str(cluster["name"])
    pem = f"-----BEGIN CERTIFICATE-----\n{stable_hex(name, length=64)}\n-----END CERTIFICATE-----\n"
    ca = base64.b64encode(pem.encode()).decode()
    user_name = f"clusterUser_{cluster['resourceGroupName']}_{name}"
    if exec_format:
        user = (
            "    exec:\n"
            "      apiVersion: client.authentication.k8s.io/v1beta1\n"
            "      command: kubelogin\n"
            "      args: [get-token, --login, devicecode, --server-id, 6dae42f8-4368-4678-94ff-3960e28e3630,\n"
            f"             --tenant-id, {TENANT_ID}, --environment, AzurePublicCloud]\n"
            "      provideClusterInfo: false\n"
        )
    else:
        user = "    auth-provider:\n      name: azure\n"
    return (
        "apiVersion: v1\nkind: Config\n"
        f"clusters:\n- name: {name}\n  cluster:\n    certificate-authority-data: {ca}\n    server: https://{server}:443\n"
        f"contexts:\n- name: {name}\n  context:\n    cluster: {name}\n    user: {user_name}\n"
        f"current-context: {name}\n"
        f"users:\n- name: {user_name}\n  user:\n{user}"
    )


def _user_credentials(args: Props) -> Props:
    key = (str(args.get("resourceGroupName")), str(args.get("resourceName")))
    cluster = _CLUSTERS.get(key)
    if cluster is None:
        raise LookupError(f"ResourceNotFound: managed cluster {key[1]} in resource group {key[0]}")
    text = user_kubeconfig(cluster, exec_format=args.get("format") == "exec")
    return {"kubeconfigs": [{"name": "clusterUser", "value": base64.b64encode(text.encode()).decode()}]}


def redis_access_key(cluster: str, database: str, which: str) -> str:
    """A 44-character base64 key, as Azure Managed Redis generates (deterministic here)."""
    return base64.b64encode(hashlib.sha256(f"{cluster}/{database}/{which}".encode()).digest()[:32]).decode()


def _database_keys(args: Props) -> Props:
    cluster, database = str(args.get("clusterName")), str(args.get("databaseName"))
    return {"primaryKey": redis_access_key(cluster, database, "primary"),
            "secondaryKey": redis_access_key(cluster, database, "secondary")}


CALLS: dict[str, CallHandler] = {
    "azure-native:authorization:getClientConfig": _client_config,
    "azure-native:containerservice:listManagedClusterUserCredentials": _user_credentials,
    "azure-native:redisenterprise:listDatabaseKeys": _database_keys,
}


# --- observability: Log Analytics workspace and Application Insights (the log store on Azure) ----

ARM_TYPES.update({
    "azure-native:operationalinsights:Workspace": ArmType(
        "Microsoft.OperationalInsights/workspaces/{workspaceName}", "workspaceName"),
    "azure-native:applicationinsights:Component": ArmType(
        "Microsoft.Insights/components/{resourceName}", "resourceName"),
})


PUBLIC_ACCESS_DEFAULTS: Props = {"publicNetworkAccessForIngestion": "Enabled", "publicNetworkAccessForQuery": "Enabled"}
"""What the service reports for a workspace or component created without these properties: open."""


def _public_access(call: ResourceCall) -> Props:
    return {key: call.inputs.get(key) or value for key, value in PUBLIC_ACCESS_DEFAULTS.items()}


def _log_analytics_workspace(call: ResourceCall) -> Props:
    own, _ = _named(call)
    return _typed(call, {"customerId": guid(own, "workspace-customer"), **_public_access(call)})


def _app_insights(call: ResourceCall) -> Props:
    own, _ = _named(call)
    key = guid(own, "instrumentation-key")
    region = str(call.inputs.get("location") or location())
    return _typed(call, {
        "instrumentationKey": key, "appId": guid(own, "app"), **_public_access(call),
        "connectionString": f"InstrumentationKey={key};IngestionEndpoint=https://{region}-1.in.applicationinsights.azure.com/",
    })


RESOURCES.update({
    "azure-native:operationalinsights:Workspace": _log_analytics_workspace,
    "azure-native:applicationinsights:Component": _app_insights,
})


# --- Azure Monitor Private Link Scope (the log store over Private Link) -----------------------------

ARM_TYPES.update({
    "azure-native:monitor:PrivateLinkScope": ArmType(
        "Microsoft.Insights/privateLinkScopes/{scopeName}", "scopeName", True),
    "azure-native:monitor:PrivateLinkScopedResource": ArmType(
        "Microsoft.Insights/privateLinkScopes/{scopeName}/scopedResources/{name}", "name"),
})


def _private_link_scope(call: ResourceCall) -> Props:
    # Connections appear when an endpoint is approved; a new scope has none.
    return _typed(call, {"privateEndpointConnections": [], "type": "microsoft.insights/privatelinkscopes"})


def _scoped_resource(call: ResourceCall) -> Props:
    # A proxy resource: its schema has no location output.
    _own, computed = _named(call)
    computed.pop("location", None)
    return merge(call.inputs, {
        **computed, "type": "Microsoft.Insights/privateLinkScopes/scopedResources",
        "kind": call.inputs.get("kind") or "Resource",
    })


RESOURCES.update({
    "azure-native:monitor:PrivateLinkScope": _private_link_scope,
    "azure-native:monitor:PrivateLinkScopedResource": _scoped_resource,
})


# --- preview: what azure-native knows before anything exists --------------------------------------


def _checked(call: ResourceCall) -> tuple[str, ...]:
    # Check auto-names the resource's own name input and fills the location from the provider's
    # configuration; ARM assigns everything else (ids, FQDNs, principal ids) at create.
    names = {"azure-native:resources:ResourceGroup": "resourceGroupName",
             "azure-native:authorization:RoleAssignment": "roleAssignmentName"}
    own = ARM_TYPES[call.type].name_key if call.type in ARM_TYPES else names.get(call.type, "name")
    return (own, "location")


PREVIEW: dict[str, PreviewModel] = {"azure-native": PreviewModel(checked=_checked), "time": PreviewModel()}
