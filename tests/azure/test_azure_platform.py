"""The Azure platform (issue 9) as the `production-azure` stack declares it, under the mocks."""

from __future__ import annotations

import base64
import ipaddress
import json
import subprocess
import sys
from datetime import timedelta
from typing import Any

import pytest

from components.cache.azure import PRIMARY_SHARDS
from components.config import ConfigError, parse
from components.edge.azure import exposure
from components.network.azure import ADMIN_AND_DATA_PORTS, plan_subnets
from offline.runner.export import is_secret, to_deployment
from offline.runner.mocks.azure import MOCK_NOW
from offline.runner.program import ProgramResult
from offline.runner.stacks import load_stack
from offline.runner.tree import display_type
from tests.helpers import ROOT, find, one, plain, run_stack, tree_rows

STACK = "production-azure"
SERVER = "azure-native:dbforpostgresql:Server"
CONFIGURATION = "azure-native:dbforpostgresql:Configuration"
REDIS = "azure-native:redisenterprise:RedisEnterprise"
REDIS_DB = "azure-native:redisenterprise:Database"
VAULT = "azure-native:keyvault:Vault"
VAULT_SECRET = "azure-native:keyvault:Secret"
NSG = "azure-native:network:NetworkSecurityGroup"
SUBNET = "azure-native:network:Subnet"
GATEWAY = "azure-native:network:ApplicationGateway"
WAF = "azure-native:network:WebApplicationFirewallPolicy"
AKS = "azure-native:containerservice:ManagedCluster"
K8S_SECRET = "kubernetes:core/v1:Secret"


@pytest.fixture(scope="module")
def stack() -> ProgramResult:
    return run_stack(STACK)


def inputs(result: ProgramResult, type_: str, name: str | None = None) -> dict[str, Any]:
    return dict(plain(one(result, type_, name).inputs))


# --- PostgreSQL -------------------------------------------------------------------------------


def test_one_primary_and_two_replicas_of_it(stack: ProgramResult) -> None:
    servers = find(stack, SERVER)
    primaries = [s for s in servers if s.inputs.get("createMode") == "Create"]
    replicas = [s for s in servers if s.inputs.get("createMode") == "Replica"]
    assert [p.name for p in primaries] == ["database-primary"]
    assert sorted(r.name for r in replicas) == ["database-replica-1", "database-replica-2"]
    primary_id = primaries[0].id
    assert primary_id.startswith("/subscriptions/") and "/providers/Microsoft.DBforPostgreSQL/flexibleServers/" in primary_id
    for replica in replicas:
        assert replica.inputs["sourceServerResourceId"] == primary_id
        assert replica.outputs["replicationRole"] == "AsyncReplica"
    # Replicas spread over zones other than the primary's.
    assert {r.inputs["availabilityZone"] for r in replicas} == {"2", "3"}


def test_postgres_private_and_tls_only(stack: ProgramResult) -> None:
    plan = plan_subnets("10.60.0.0/16")
    subnets = {s.id: s.inputs["addressPrefix"] for s in find(stack, SUBNET)}
    zone = one(stack, "azure-native:privatedns:PrivateZone", "cluster-network-postgres-dns")
    for server in find(stack, SERVER):
        network = server.inputs["network"]
        assert network["publicNetworkAccess"] == "Disabled"
        assert subnets[network["delegatedSubnetResourceId"]] == plan.postgres
        assert network["privateDnsZoneArmResourceId"] == zone.id
        settings = {
            c.inputs["configurationName"]: c.inputs["value"]
            for c in find(stack, CONFIGURATION) if c.inputs["serverName"] == server.outputs["name"]
        }
        assert settings == {"require_secure_transport": "on", "ssl_min_protocol_version": "TLSv1.2"}, server.name
    assert not find(stack, "azure-native:dbforpostgresql:FirewallRule")
    delegated = one(stack, SUBNET, "cluster-network-postgres").inputs["delegations"]
    assert [d["serviceName"] for d in delegated] == ["Microsoft.DBforPostgreSQL/flexibleServers"]


def test_postgres_resilience_in_production(stack: ProgramResult) -> None:
    primary = inputs(stack, SERVER, "database-primary")
    assert primary["highAvailability"] == {"mode": "ZoneRedundant", "standbyAvailabilityZone": "2"}
    assert primary["backup"] == {"backupRetentionDays": 14, "geoRedundantBackup": "Enabled"}
    assert primary["sku"] == {"name": "Standard_D4ds_v5", "tier": "GeneralPurpose"}
    assert primary["storage"]["autoGrow"] == "Enabled"
    assert primary["administratorLogin"] == "orchestrator_app"


def test_production_refuses_postgres_without_zone_redundancy() -> None:
    with pytest.raises(ConfigError, match=r"production needs zoneRedundantHa and geoRedundantBackup"):
        run_stack(STACK, "database.azure.zoneRedundantHa=false")


# --- Redis ------------------------------------------------------------------------------------


def test_redis_clustered_with_tls_and_private(stack: ProgramResult) -> None:
    cluster = inputs(stack, REDIS)
    assert cluster["sku"] == {"name": "Balanced_B10"}
    assert PRIMARY_SHARDS[cluster["sku"]["name"]] >= 3
    assert cluster["minimumTlsVersion"] == "1.2"
    assert cluster["publicNetworkAccess"] == "Disabled"
    assert cluster["highAvailability"] == "Enabled"
    database = one(stack, REDIS_DB)
    assert database.inputs["clusterName"] == one(stack, REDIS).outputs["name"]
    assert database.inputs["clusteringPolicy"] == "OSSCluster"
    assert database.inputs["clientProtocol"] == "Encrypted"
    assert plain(database.inputs["port"]) == 10000
    assert plain(database.inputs["persistence"]) == {"rdbEnabled": True, "rdbFrequency": "1h"}
    endpoint = one(stack, "azure-native:network:PrivateEndpoint", "cache-endpoint").inputs
    connection = endpoint["privateLinkServiceConnections"][0]
    assert connection["privateLinkServiceId"] == one(stack, REDIS).id
    assert connection["groupIds"] == ["redisEnterprise"]


def test_cache_sku_below_three_shards_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r"cache.azure.skuName is 'Balanced_B5' \(2 primary shards\); cache.shards asks for 3"):
        run_stack(STACK, "cache.azure.skuName=Balanced_B5")


# --- Key Vault and secrets --------------------------------------------------------------------


def test_key_vault_hardened(stack: ProgramResult) -> None:
    vault = one(stack, VAULT)
    properties = plain(vault.inputs["properties"])
    assert properties["enablePurgeProtection"] is True
    assert properties["enableSoftDelete"] is True
    assert properties["enableRbacAuthorization"] is True
    assert properties["publicNetworkAccess"] == "Disabled"
    assert properties["networkAcls"]["defaultAction"] == "Deny"
    assert "accessPolicies" not in properties
    assert len(vault.inputs["vaultName"]) <= 24
    endpoint = one(stack, "azure-native:network:PrivateEndpoint", "cluster-keyvault-endpoint").inputs
    assert endpoint["privateLinkServiceConnections"][0]["privateLinkServiceId"] == vault.id


def test_vault_secrets_expire_and_stay_secret(stack: ProgramResult) -> None:
    secrets = {s.inputs["secretName"]: s for s in find(stack, VAULT_SECRET)}
    # edge-tls: the gateway's certificate (a 90-day bootstrap one until its stack secret is set).
    assert set(secrets) == {"database-admin-password", "cache-access-key", "edge-tls"}
    expected_expiry = int((MOCK_NOW + timedelta(days=90)).timestamp())
    for secret in secrets.values():
        assert is_secret(secret.inputs["properties"]["value"])
        attributes = plain(secret.inputs["properties"])["attributes"]
        assert attributes == {"enabled": True, "expires": expected_expiry}
        assert secret.inputs["vaultName"] == one(stack, VAULT).outputs["name"]
    password = plain(one(stack, "random:index/randomPassword:RandomPassword", "database-admin-password").outputs["result"])
    assert plain(secrets["database-admin-password"].inputs["properties"])["value"] == password


def test_app_credentials_secrets_follow_the_contract(stack: ProgramResult) -> None:
    db = one(stack, K8S_SECRET, "database-credentials")
    cache = one(stack, K8S_SECRET, "cache-credentials")
    namespace = one(stack, "kubernetes:core/v1:Namespace", "app-namespace").outputs["metadata"]["name"]
    assert db.inputs["metadata"]["namespace"] == namespace == cache.inputs["metadata"]["namespace"]
    assert is_secret(db.inputs["stringData"]) and is_secret(cache.inputs["stringData"])
    db_data, cache_data = plain(db.inputs["stringData"]), plain(cache.inputs["stringData"])
    primary = one(stack, SERVER, "database-primary").outputs["fullyQualifiedDomainName"]
    assert db_data == {
        "host": primary, "port": "5432", "dbname": "orchestrator", "username": "orchestrator_app",
        "password": db_data["password"], "sslmode": "verify-full",
    }
    redis = one(stack, REDIS).outputs
    assert cache_data["host"] == redis["hostName"] and cache_data["port"] == "10000"
    assert len(base64.b64decode(cache_data["password"])) == 32
    # Secrets travel as secret outputs all the way to the export: no value in clear text.
    text = json.dumps(to_deployment(stack))
    for value in (db_data["password"], cache_data["password"]):
        assert value not in text


def test_data_tier_outputs_and_egress_peers(stack: ProgramResult) -> None:
    plan = plan_subnets("10.60.0.0/16")
    database = plain(one(stack, "orchestrator:database:FlexiblePostgres").outputs)
    cache = plain(one(stack, "orchestrator:cache:ManagedRedis").outputs)
    assert database["egressPeers"] == [{"ipBlock": {"cidr": plan.postgres}}]
    assert cache["egressPeers"] == [{"ipBlock": {"cidr": plan.endpoints}}]
    assert database["readerHost"] == one(stack, SERVER, "database-replica-1").outputs["fullyQualifiedDomainName"]
    assert cache["primaryShards"] == 4 and cache["tls"] is True
    assert plain(stack.outputs["databaseEndpoint"]) == database["primaryHost"]
    assert plain(stack.outputs["cacheEndpoint"]) == cache["endpoint"]


# --- network ----------------------------------------------------------------------------------


def _covers(rule: dict[str, Any], port: int) -> bool:
    ranges = rule.get("destinationPortRanges") or [rule.get("destinationPortRange", "")]
    for text in ranges:
        if text == "*":
            return True
        low, _, high = str(text).partition("-")
        if int(low) <= port <= int(high or low):
            return True
    return False


def internet_verdict(rules: list[dict[str, Any]], port: int) -> str:
    """What an NSG does with Internet traffic to `port`: the first matching rule by priority."""
    for rule in sorted(rules, key=lambda r: r["priority"]):
        if rule["direction"] == "Inbound" and rule.get("sourceAddressPrefix") in {"Internet", "*", "0.0.0.0/0"} \
                and _covers(rule, port):
            return str(rule["access"])
    return "Deny"


def test_every_subnet_has_an_nsg_denying_internet_admin_and_data_ports(stack: ProgramResult) -> None:
    nsgs = {n.id: plain(n.inputs["securityRules"]) for n in find(stack, NSG)}
    subnets = find(stack, SUBNET)
    assert sorted(s.name for s in subnets) == [f"cluster-network-{r}" for r in ("endpoints", "gateway", "nodes", "postgres")]
    for subnet in subnets:
        rules = nsgs[subnet.inputs["networkSecurityGroup"]["id"]]
        for port in ADMIN_AND_DATA_PORTS:
            assert internet_verdict(rules, int(port)) == "Deny", (subnet.name, port)
            explicit = [r for r in rules if r["access"] == "Deny" and r.get("destinationPortRange") == port]
            assert explicit and explicit[0]["sourceAddressPrefix"] == "Internet"
        if subnet.name != "cluster-network-gateway":
            assert internet_verdict(rules, 443) == "Deny", subnet.name


def test_gateway_subnet_allows_only_what_application_gateway_needs(stack: ProgramResult) -> None:
    gateway = one(stack, SUBNET, "cluster-network-gateway")
    nsg = next(n for n in find(stack, NSG) if n.id == gateway.inputs["networkSecurityGroup"]["id"])
    rules = plain(nsg.inputs["securityRules"])
    assert internet_verdict(rules, 443) == "Allow" and internet_verdict(rules, 80) == "Allow"
    manager = [r for r in rules if r["sourceAddressPrefix"] == "GatewayManager"]
    assert manager and manager[0]["access"] == "Allow" and manager[0]["destinationPortRanges"] == ["65200-65535"]


def test_private_dns_zones_linked_to_the_vnet(stack: ProgramResult) -> None:
    vnet = one(stack, "azure-native:network:VirtualNetwork")
    zones = {z.outputs["name"]: z for z in find(stack, "azure-native:privatedns:PrivateZone")}
    assert set(zones) == {
        "orchestrator-production-azure.private.postgres.database.azure.com", "privatelink.redis.azure.net",
        "privatelink.vaultcore.azure.net",
        # The Azure Monitor Private Link endpoint's zones (the log store).
        "privatelink.monitor.azure.com", "privatelink.oms.opinsights.azure.com", "privatelink.ods.opinsights.azure.com",
        "privatelink.agentsvc.azure-automation.net", "privatelink.blob.core.windows.net",
    }
    links = find(stack, "azure-native:privatedns:VirtualNetworkLink")
    assert sorted(link.inputs["privateZoneName"] for link in links) == sorted(zones)
    assert all(link.inputs["virtualNetwork"]["id"] == vnet.id for link in links)


# --- AKS --------------------------------------------------------------------------------------


def test_aks_access_identity_and_network_policy(stack: ProgramResult) -> None:
    cluster = inputs(stack, AKS)
    assert cluster["disableLocalAccounts"] is True
    assert cluster["aadProfile"]["managed"] is True and cluster["aadProfile"]["enableAzureRBAC"] is True
    assert cluster["apiServerAccessProfile"]["enablePrivateCluster"] is True
    assert cluster["networkProfile"]["networkPlugin"] == "azure"
    assert cluster["networkProfile"]["networkPolicy"] == "cilium"
    assert cluster["oidcIssuerProfile"] == {"enabled": True}
    assert cluster["securityProfile"]["workloadIdentity"] == {"enabled": True}
    assert cluster["autoUpgradeProfile"]["upgradeChannel"] == "patch"


def test_aks_pools_span_zones_and_autoscale(stack: ProgramResult) -> None:
    system = inputs(stack, AKS)["agentPoolProfiles"]
    user = inputs(stack, "azure-native:containerservice:AgentPool")
    nodes = one(stack, SUBNET, "cluster-network-nodes").id
    assert [p["mode"] for p in system] == ["System"] and user["mode"] == "User"
    for pool in (system[0], user):
        assert pool["availabilityZones"] == ["1", "2", "3"]
        assert pool["enableAutoScaling"] is True and pool["minCount"] >= 3
        assert pool["vnetSubnetID"] == nodes
    assert (user["vmSize"], user["minCount"], user["maxCount"]) == ("Standard_D4ds_v5", 3, 12)
    assert user["resourceName"] == one(stack, AKS).outputs["name"]


def test_public_endpoint_uses_authorized_ranges() -> None:
    result = run_stack(STACK, "cluster.publicEndpoint=true", "cluster.endpointCidrs[0]=203.0.113.0/24")
    access = plain(one(result, AKS).inputs["apiServerAccessProfile"])
    assert access["authorizedIPRanges"] == ["203.0.113.0/24"]
    assert "enablePrivateCluster" not in access


def test_kubeconfig_is_the_decoded_user_credential_and_secret(stack: ProgramResult) -> None:
    exported = stack.outputs["kubeconfig"]
    assert is_secret(exported)
    text = plain(exported)
    cluster = one(stack, AKS).outputs
    assert f"server: https://{cluster['privateFQDN']}:443" in text
    assert "command: kubelogin" in text
    provider = one(stack, "pulumi:providers:kubernetes", "cluster-provider")
    assert is_secret(provider.inputs["kubeconfig"]) and plain(provider.inputs["kubeconfig"]) == text


# --- edge -------------------------------------------------------------------------------------


def test_waf_policy_in_prevention_with_managed_rules_and_rate_limit(stack: ProgramResult) -> None:
    waf = inputs(stack, WAF)
    assert waf["policySettings"]["mode"] == "Prevention" and waf["policySettings"]["state"] == "Enabled"
    sets = {(s["ruleSetType"], s["ruleSetVersion"]) for s in waf["managedRules"]["managedRuleSets"]}
    assert ("Microsoft_DefaultRuleSet", "2.1") in sets
    rules = {r["name"]: r for r in waf["customRules"]}
    rate = rules["ratelimitperclient"]
    assert (rate["ruleType"], rate["action"], rate["rateLimitDuration"]) == ("RateLimitRule", "Block", "OneMin")
    # edge.rateLimit: 100 requests per 10 s = 600 per minute.
    assert rate["rateLimitThreshold"] == 600
    assert rate["groupByUserSession"][0]["groupByVariables"] == [{"variableName": "ClientAddr"}]
    assert rules["blockinternalpaths"]["matchConditions"][0]["matchValues"] == ["/admin", "/health", "/ready", "/metrics"]


def test_gateway_attached_to_waf_tls12_and_redirects_http(stack: ProgramResult) -> None:
    gateway = inputs(stack, GATEWAY)
    assert gateway["sku"] == {"name": "WAF_v2", "tier": "WAF_v2"}
    assert gateway["firewallPolicy"]["id"] == one(stack, WAF).id
    assert gateway["forceFirewallPolicyAssociation"] is True
    assert gateway["sslPolicy"] == {"policyType": "Predefined", "policyName": "AppGwSslPolicy20220101S"}
    listeners = {item["name"]: item for item in gateway["httpListeners"]}
    assert listeners["https"]["protocol"] == "Https" and listeners["http"]["protocol"] == "Http"
    rules = {r["name"]: r for r in gateway["requestRoutingRules"]}
    http_rule = next(r for r in rules.values() if r["httpListener"]["id"].endswith("/httpListeners/http"))
    assert "backendAddressPool" not in http_rule
    assert http_rule["redirectConfiguration"]["id"].endswith("/redirectConfigurations/http-to-https")
    redirect = gateway["redirectConfigurations"][0]
    assert redirect["targetListener"]["id"].endswith("/httpListeners/https") and redirect["redirectType"] == "Permanent"
    assert gateway["gatewayIPConfigurations"][0]["subnet"]["id"] == one(stack, SUBNET, "cluster-network-gateway").id
    # Self-references point into this very gateway.
    gateway_id = one(stack, GATEWAY).id
    assert rules["https"]["backendAddressPool"]["id"] == f"{gateway_id}/backendAddressPools/haproxy"


def test_gateway_forwards_https_to_haproxy_internal_address(stack: ProgramResult) -> None:
    plan = plan_subnets("10.60.0.0/16")
    gateway = inputs(stack, GATEWAY)
    backend = gateway["backendAddressPools"][0]["backendAddresses"]
    assert backend == [{"ipAddress": plan.edge_address}]
    settings = gateway["backendHttpSettingsCollection"][0]
    assert (settings["protocol"], settings["port"], settings["hostName"]) == ("Https", 443, "orchestrator-az.acme.example")
    certificate = gateway["sslCertificates"][0]["keyVaultSecretId"]
    assert certificate == f"https://{one(stack, VAULT).outputs['name']}.vault.azure.net/secrets/edge-tls"
    assert plain(stack.outputs["publicHostname"]) == "orchestrator-az.acme.example"


def test_haproxy_exposed_on_the_internal_address_trusting_only_the_gateway() -> None:
    config = parse(load_stack(STACK).namespace(), STACK)
    plan = plan_subnets(config.network.cidr)
    shown = exposure(config)
    assert shown.internal and shown.service_type == "LoadBalancer"
    assert shown.service_annotations == {
        "service.beta.kubernetes.io/azure-load-balancer-internal": "true",
        "service.beta.kubernetes.io/azure-load-balancer-ipv4": plan.edge_address,
    }
    assert shown.trusted_proxy_cidrs == [plan.gateway] == ["10.60.64.0/24"]
    assert ipaddress.ip_address(plan.edge_address) in ipaddress.ip_network(plan.nodes)


# --- production protections ------------------------------------------------------------------


STATEFUL = (SERVER, "azure-native:dbforpostgresql:Database", REDIS, REDIS_DB, VAULT, VAULT_SECRET,
            "azure-native:resources:ResourceGroup")


def test_stateful_resources_protected_in_production(stack: ProgramResult) -> None:
    for type_ in STATEFUL:
        registered = find(stack, type_)
        assert registered, type_
        assert all(r.protect for r in registered), [r.name for r in registered if not r.protect]
    assert not one(stack, GATEWAY).protect


# --- preview ----------------------------------------------------------------------------------


def test_offline_preview_prints_the_whole_tree(stack: ProgramResult) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "offline", "preview", STACK, "--no-policy"], cwd=ROOT, capture_output=True, text=True,
        timeout=120, check=False,
    )
    assert done.returncode == 0, done.stderr
    shown = tree_rows(done.stdout)
    assert sorted(shown[1:]) == sorted((display_type(r.type), r.name) for r in stack.resources)
    assert f"+ {len(stack.resources) + 1} to create" in done.stdout


def test_protections_and_ha_are_production_only() -> None:
    result = run_stack(STACK, "environment=staging", "database.azure.zoneRedundantHa=false",
                       "database.azure.geoRedundantBackup=false")
    for type_ in STATEFUL:
        assert not any(r.protect for r in find(result, type_)), type_
    primary = plain(one(result, SERVER, "database-primary").inputs)
    assert primary["highAvailability"]["mode"] == "Disabled"
    assert primary["backup"]["geoRedundantBackup"] == "Disabled"
    assert "persistence" not in one(result, REDIS_DB).inputs
    # What is security, not cost, stays on everywhere.
    assert one(result, VAULT).inputs["properties"]["enablePurgeProtection"] is True
    assert one(result, REDIS_DB).inputs["clientProtocol"] == "Encrypted"


def test_policy_pack_passes_production_azure_with_no_finding(stack: ProgramResult) -> None:
    from offline.gate.engine import run_gate

    report = run_gate(to_deployment(stack))
    azure_rules = {name for name in report.pack.policies if name.startswith("azure-")}
    assert {"azure-aks-access", "azure-pg-private-tls", "azure-keyvault-hardened", "azure-nsg-no-internet-admin",
            "azure-waf-prevention", "azure-redis-tls-private"} <= azure_rules
    assert [(v.policy, v.urn) for v in report.violations] == []
    assert report.crashes == [] and report.passed and report.score == 100


def test_the_gateway_probes_haproxys_own_health_as_the_alb_does() -> None:
    """Same contract, same behaviour: both front doors ask HAProxy's health answer, not the app's."""
    from components.edge.contract import HEALTH_PORT, HEALTH_URI

    gateway = one(run_stack(STACK), "azure-native:network:ApplicationGateway")
    probes = plain(gateway.inputs["probes"])
    assert [(p["protocol"], p["path"]) for p in probes] == [("Https", HEALTH_URI)]
    target_group = one(run_stack("production"), "aws:lb/targetGroup:TargetGroup")
    health = plain(target_group.inputs["healthCheck"])
    assert (health["path"], int(health["port"])) == (HEALTH_URI, HEALTH_PORT)
