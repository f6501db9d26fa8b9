"""Azure rules, one compliant resource per family and one property broken per fixture."""

from __future__ import annotations

from typing import Any

from tests.policies.conftest import resource
from tests.policies.fixtures import mutate
from tests.policies.kubernetes.model import Fixture, bad, good, one

AKS = {"apiServerAccessProfile": {"enablePrivateCluster": True}, "disableLocalAccounts": True,
       "aadProfile": {"managed": True, "enableAzureRBAC": True},
       "networkProfile": {"networkPlugin": "azure", "networkPolicy": "cilium", "networkDataplane": "cilium"}}
PG = {"serverName": "pg", "id": "/subscriptions/s/resourceGroups/r/providers/Microsoft.DBforPostgreSQL/flexibleServers/pg",
      "network": {"publicNetworkAccess": "Disabled", "delegatedSubnetResourceId": "/subnets/db"},
      "highAvailability": {"mode": "ZoneRedundant"}, "backup": {"geoRedundantBackup": "Enabled", "backupRetentionDays": 14}}


def pg_stack(primary: dict[str, Any] | None = None, replicas: int = 2) -> list[dict[str, Any]]:
    out = [resource("azure-native:dbforpostgresql:Server", "pg", primary or PG, protect=True)]
    out += [resource("azure-native:dbforpostgresql:Server", f"pg-replica-{i}", {
        "createMode": "Replica", "sourceServerResourceId": PG["id"], "network": PG["network"]}, protect=True)
        for i in range(replicas)]
    return out


VAULT = {"properties": {"enablePurgeProtection": True, "enableRbacAuthorization": True, "publicNetworkAccess": "Disabled",
                        "networkAcls": {"defaultAction": "Deny"},
                        "tenantId": "t", "sku": {"family": "A", "name": "standard"}}}
WAF_POLICY = {"policySettings": {"mode": "Prevention", "state": "Enabled"},
              "managedRules": {"managedRuleSets": [{"ruleSetType": "Microsoft_DefaultRuleSet", "ruleSetVersion": "2.1"}]},
              "customRules": [{"name": "rate", "ruleType": "RateLimitRule", "action": "Block", "priority": 1,
                               "rateLimitThreshold": 1000, "matchConditions": [],
                               "groupByUserSession": [{"groupByVariables": [{"variableName": "ClientAddr"}]}]}]}
APP_GW = {"sku": {"name": "WAF_v2", "tier": "WAF_v2"}, "firewallPolicy": {"id": "/policies/waf"},
          "sslPolicy": {"policyType": "Predefined", "policyName": "AppGwSslPolicy20220101S"},
          "httpListeners": [{"name": "https", "protocol": "Https"}, {"name": "http", "protocol": "Http"}],
          "requestRoutingRules": [{"name": "https", "httpListener": {"id": "/gw/httpListeners/https"},
                                   "backendAddressPool": {"id": "/gw/pool"}},
                                  {"name": "http", "httpListener": {"id": "/gw/httpListeners/http"},
                                   "redirectConfiguration": {"id": "/gw/redirect"}}]}
NSG_RULE = {"name": "https", "direction": "Inbound", "access": "Allow", "protocol": "Tcp",
            "sourceAddressPrefix": "Internet", "destinationPortRange": "443", "priority": 100}


FIXTURES: list[Fixture] = [
    good("azure-aks-access", one("azure-native:containerservice:ManagedCluster", AKS), "azure-aks-access-good-1"),
    bad("azure-aks-access", one("azure-native:containerservice:ManagedCluster", {**AKS, "disableLocalAccounts": False}),
        "subject", "disableLocalAccounts is False (local accounts enabled)", "azure-aks-access-bad-2"),
    bad("azure-aks-access", one("azure-native:containerservice:ManagedCluster", {
        **AKS, "apiServerAccessProfile": {"authorizedIPRanges": ["0.0.0.0/0"]}}),
        "subject", "apiServerAccessProfile.authorizedIPRanges 0.0.0.0/0 cover the public Internet",
        "azure-aks-access-bad-3"),
    good("azure-aks-network-policy", one("azure-native:containerservice:ManagedCluster", AKS),
         "azure-aks-network-policy-good-1"),
    bad("azure-aks-network-policy", one("azure-native:containerservice:ManagedCluster",
                                           {k: v for k, v in AKS.items() if k != "networkProfile"}),
        "subject", "no networkProfile: NetworkPolicies would not be enforced", "azure-aks-network-policy-bad-2"),
    good("azure-pg-private-tls", pg_stack(), "azure-pg-private-tls-good-1"),
    bad("azure-pg-private-tls", pg_stack(primary=mutate(PG, "network", {"publicNetworkAccess": "Enabled"})),
        "pg", "network.publicNetworkAccess is Enabled", "azure-pg-private-tls-bad-2"),
    bad("azure-pg-private-tls", one("azure-native:dbforpostgresql:FirewallRule", {
        "startIpAddress": "0.0.0.0", "endIpAddress": "255.255.255.255"}),
        "subject", "firewall rule startIpAddress 0.0.0.0 .. endIpAddress 255.255.255.255 covers the public",
        "azure-pg-private-tls-bad-3"),
    bad("azure-pg-private-tls", one("azure-native:dbforpostgresql:Configuration", {
        "configurationName": "require_secure_transport", "value": "off", "source": "user-override"}),
        "subject", "require_secure_transport is off", "azure-pg-private-tls-bad-4"),
    good("azure-pg-resilience", pg_stack(), "azure-pg-resilience-good-1"),
    bad("azure-pg-resilience", pg_stack(replicas=1),
        "pg", "the primary has 1 replica(s)", "azure-pg-resilience-bad-2"),
    bad("azure-pg-resilience", pg_stack(primary=mutate(PG, "highAvailability.mode", "SameZone")),
        "pg", "highAvailability.mode is SameZone (high availability is not ZoneRedundant", "azure-pg-resilience-bad-3"),
    good("azure-redis-tls-private", one("azure-native:redisenterprise:RedisEnterprise", {
        "minimumTlsVersion": "1.2", "publicNetworkAccess": "Disabled"}), "azure-redis-tls-private-good-1"),
    bad("azure-redis-tls-private", one("azure-native:redis:Redis", {"minimumTlsVersion": "1.0",
                                                                       "publicNetworkAccess": "Disabled"}),
        "subject", "minimumTlsVersion is 1.0", "azure-redis-tls-private-bad-2"),
    bad("azure-redis-tls-private", one("azure-native:redisenterprise:Database", {"clientProtocol": "Plaintext"}),
        "subject", "clientProtocol is Plaintext (plaintext clients accepted)", "azure-redis-tls-private-bad-3"),
    good("azure-keyvault-hardened", one("azure-native:keyvault:Vault", VAULT), "azure-keyvault-hardened-good-1"),
    bad("azure-keyvault-hardened", one("azure-native:keyvault:Vault",
                                          mutate(VAULT, "properties.enablePurgeProtection", False)),
        "subject", "properties.enablePurgeProtection is False (purge protection off)", "azure-keyvault-hardened-bad-2"),
    bad("azure-keyvault-hardened", one("azure-native:keyvault:Secret", {"properties": {"value": "[secret]"}}),
        "subject", "the secret has no expiry", "azure-keyvault-hardened-bad-3"),
    good("azure-nsg-no-internet-admin", one("azure-native:network:NetworkSecurityGroup", {"securityRules": [NSG_RULE]}),
         "azure-nsg-no-internet-admin-good-1"),
    bad("azure-nsg-no-internet-admin", one("azure-native:network:SecurityRule", {**NSG_RULE, "destinationPortRange": "22"}),
        "subject", "rule 'https' (priority 100) admits Internet to port 22 before any Deny of the Internet",
        "azure-nsg-no-internet-admin-bad-2"),
    bad("azure-nsg-no-internet-admin", one("azure-native:network:NetworkSecurityGroup", {"securityRules": [
        {**NSG_RULE, "destinationPortRange": "*"}]}),
        "subject", "securityRules 'https' (priority 100) admits Internet to all ports", "azure-nsg-no-internet-admin-bad-3"),
    bad("azure-nsg-no-internet-admin", one("azure-native:network:Subnet",
                                              {"subnetName": "app", "addressPrefix": "10.0.0.0/24"}),
        "subject", "subnet app has no network security group", "azure-nsg-no-internet-admin-bad-4"),
    good("azure-waf-prevention", one("azure-native:network:WebApplicationFirewallPolicy", WAF_POLICY),
         "azure-waf-prevention-good-1"),
    bad("azure-waf-prevention", one("azure-native:network:WebApplicationFirewallPolicy",
                                       mutate(WAF_POLICY, "policySettings.mode", "Detection")),
        "subject", "mode is Detection", "azure-waf-prevention-bad-2"),
    bad("azure-waf-prevention", one("azure-native:network:ApplicationGateway", mutate(APP_GW, "sku.tier", "Standard_v2")),
        "subject", "sku tier is Standard_v2 (need WAF_v2)", "azure-waf-prevention-bad-3"),
]

# Other spellings of the same defects (old tokens, ARM shapes, case), and what must stay silent.
FIXTURES += [
    bad("azure-redis-tls-private", one("azure-native:cache:Redis", {"enableNonSslPort": True, "minimumTlsVersion": "1.2",
                                                                       "publicNetworkAccess": "Disabled"}),
        "subject", "enableNonSslPort is true", "azure-redis-tls-private-old-token"),
    bad("azure-nsg-no-internet-admin", one("azure-native:network/v20240501:NetworkSecurityGroup", {"securityRules": [
        {"name": "arm", "properties": {**NSG_RULE, "name": None, "sourceAddressPrefixes": ["0.0.0.0/1", "128.0.0.0/1"],
                                       "sourceAddressPrefix": None, "destinationPortRanges": ["3000-3400"],
                                       "access": "allow", "direction": "inbound"}}]}),
        "subject", "admits 0.0.0.0/1, 128.0.0.0/1 to port 3389", "azure-nsg-no-internet-admin-arm-halves"),
    good("azure-nsg-no-internet-admin", one("azure-native:network:NetworkSecurityGroup", {"securityRules": [
        {**NSG_RULE, "name": "deny", "access": "Deny", "priority": 90, "destinationPortRange": "22", "protocol": "*"},
        {**NSG_RULE, "destinationPortRange": "22"}]}), "azure-nsg-no-internet-admin-good-deny-first"),
    bad("azure-keyvault-hardened", one("azure-native:keyvault:Vault", mutate(VAULT, "properties.networkAcls", None)),
        "subject", "properties.networkAcls.defaultAction is unset (defaults to Allow)", "azure-keyvault-hardened-acl-unset"),
    bad("azure-pg-private-tls", one("azure-native:dbforpostgresql:SingleServer", {"properties": {
        "sslEnforcement": "Disabled", "publicNetworkAccess": "Disabled"}}),
        "subject", "properties.sslEnforcement is Disabled", "azure-pg-private-tls-single-server"),
    bad("azure-waf-prevention", one("azure-native:network:WebApplicationFirewallPolicy", mutate(
        WAF_POLICY, "customRules", [{"name": "letmein", "ruleType": "MatchRule", "action": "Allow", "priority": 1},
                                    *WAF_POLICY["customRules"]])),
        "subject", "customRules[0] (letmein) action is Allow", "azure-waf-prevention-custom-allow"),
    bad("azure-aks-access", one("azure-native:containerservice:ManagedCluster", {
        **AKS, "apiServerAccessProfile": {"enablePrivateCluster": "false", "authorizedIPRanges": ["::/0"]}}),
        "subject", "authorizedIPRanges ::/0 cover the public Internet", "azure-aks-access-ipv6"),
]


# --- references proved by value, Denies that do not cover, overrides that disable, public nodes -------------------
WAF_ID = "/subscriptions/s/resourceGroups/r/providers/Microsoft.Network/ApplicationGatewayWebApplicationFirewallPolicies/waf"
FOREIGN = "/subscriptions/x/resourceGroups/y/providers/Microsoft.Network/ApplicationGatewayWebApplicationFirewallPolicies/open"


def gateway(**changes: Any) -> list[dict[str, Any]]:
    return [resource("azure-native:network:WebApplicationFirewallPolicy", "waf", {**WAF_POLICY, "id": WAF_ID,
                                                                                  "policyName": "waf"}),
            resource("azure-native:network:ApplicationGateway", "gw", {**APP_GW, "firewallPolicy": {"id": WAF_ID},
                                                                       **changes})]


def denied_then_allowed(**deny: Any) -> list[dict[str, Any]]:
    return one("azure-native:network:NetworkSecurityGroup", {"securityRules": [
        {**NSG_RULE, "name": "deny-22", "access": "Deny", "priority": 90, "destinationPortRange": "22", "protocol": "*",
         "sourcePortRange": "*", "destinationAddressPrefix": "*", **deny},
        {**NSG_RULE, "name": "ssh", "priority": 100, "destinationPortRange": "22", "destinationAddressPrefix": "*"}]})


NSG_ID = "/subscriptions/s/resourceGroups/r/providers/Microsoft.Network/networkSecurityGroups/nodes"


def subnet(nsg_id: str) -> list[dict[str, Any]]:
    return [resource("azure-native:network:NetworkSecurityGroup", "nodes-nsg", {
                "id": NSG_ID, "networkSecurityGroupName": "nodes", "securityRules": [NSG_RULE]}),
            resource("azure-native:network:Subnet", "nodes", {"subnetName": "nodes",
                                                              "networkSecurityGroup": {"id": nsg_id}})]


FIXTURES += [
    good("azure-waf-prevention", gateway(), "azure-waf-prevention-good-gateway"),
    bad("azure-waf-prevention", gateway(firewallPolicy={"id": FOREIGN}), "gw",
        "firewallPolicy.id " + FOREIGN + " names no WAF policy of this stack", "azure-waf-prevention-foreign-policy"),
    bad("azure-waf-prevention", gateway(httpListeners=[{"name": "https", "protocol": "Https",
                                                          "firewallPolicy": {"id": FOREIGN}}]), "gw",
        "httpListeners[0] (https) firewallPolicy.id", "azure-waf-prevention-foreign-listener-policy"),
    bad("azure-waf-prevention", one("azure-native:network:WebApplicationFirewallPolicy", mutate(
        WAF_POLICY, "managedRules.managedRuleSets.0.ruleGroupOverrides", [{"ruleGroupName": "SQLI", "rules": []}])),
        "subject", "ruleGroupOverrides[0] (SQLI) lists no rules: every rule of the group is disabled",
        "azure-waf-prevention-override-without-rules"),
    bad("azure-waf-prevention", one("azure-native:network:WebApplicationFirewallPolicy", mutate(
        WAF_POLICY, "policySettings.requestBodyCheck", "false")),
        "subject", "policySettings.requestBodyCheck is false (request bodies are not inspected)",
        "azure-waf-prevention-body-check-off"),
    good("azure-nsg-no-internet-admin", denied_then_allowed(), "azure-nsg-no-internet-admin-good-full-deny"),
    bad("azure-nsg-no-internet-admin", denied_then_allowed(destinationAddressPrefix="10.0.0.4/32"), "subject",
        "securityRules 'ssh' (priority 100) admits Internet to port 22", "azure-nsg-no-internet-admin-deny-one-host"),
    bad("azure-nsg-no-internet-admin", denied_then_allowed(sourcePortRanges=["1024-2048"], sourcePortRange=None),
        "subject", "admits Internet to port 22", "azure-nsg-no-internet-admin-deny-some-source-ports"),
    good("azure-nsg-no-internet-admin", subnet(NSG_ID.upper()), "azure-nsg-no-internet-admin-good-subnet-nsg"),
    bad("azure-nsg-no-internet-admin", subnet(NSG_ID.replace("/nodes", "/elsewhere")), "nodes",
        "networkSecurityGroup.id", "azure-nsg-no-internet-admin-foreign-subnet-nsg"),
    bad("azure-pg-resilience", [*pg_stack(replicas=1), resource("azure-native:dbforpostgresql:Server", "stray", {
        "createMode": "Replica", "sourceServerResourceId": PG["id"].replace("/pg", "/other"), "network": PG["network"]},
        protect=True)], "stray", "names no primary of this stack", "azure-pg-resilience-replica-of-another-server"),
    bad("azure-aks-access", one("azure-native:containerservice:ManagedCluster", {
        **AKS, "agentPoolProfiles": [{"name": "system", "enableNodePublicIP": "true"}]}),
        "subject", "agentPoolProfiles[system].enableNodePublicIP is true", "azure-aks-access-node-public-ip"),
    bad("azure-aks-access", one("azure-native:containerservice:AgentPool", {"enableNodePublicIP": True}),
        "subject", "enableNodePublicIP is true (nodes reachable from the Internet)", "azure-aks-access-pool-public-ip"),
    good("azure-aks-access", one("azure-native:containerservice:AgentPool", {"enableNodePublicIP": False}),
         "azure-aks-access-good-pool"),
]

FIXTURES += [
    bad("azure-waf-prevention", one("azure-native:network:ApplicationGateway", mutate(mutate(
        APP_GW, "firewallPolicy", None), "webApplicationFirewallConfiguration", {"enabled": False,
                                                                              "firewallMode": "Prevention"})),
        "subject", "webApplicationFirewallConfiguration enabled false", "azure-waf-prevention-legacy-config-off"),
]
