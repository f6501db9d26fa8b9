"""Mutation operators for the Azure rules: each makes one insecure change to the production-azure export.

Every spelling of the same defect: NSG sources (`*`, `Internet`, `Any`, `0.0.0.0/0`, lists covering
public space), inline or standalone rules, the ARM `properties` shape, port ranges and lists, case
variations of enum values, firewall ranges in halves, old (`cache:`) tokens of renamed resources, and
drift (a value changed only in the recorded outputs).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.policies.mutants.model import Export, Mutation, add_resource, first, on, resources, set_input
from tests.policies.mutants.ops_aws import set_declared, set_output

AZURE_STACKS = ("production-azure",)
NSG = "azure-native:network:NetworkSecurityGroup"
NSG_RULE = "azure-native:network:SecurityRule"
PG = "azure-native:dbforpostgresql:Server"
PG_FIREWALL = "azure-native:dbforpostgresql:FirewallRule"
PG_CONFIGURATION = "azure-native:dbforpostgresql:Configuration"
VAULT = "azure-native:keyvault:Vault"
AKS = "azure-native:containerservice:ManagedCluster"
WAF = "azure-native:network:WebApplicationFirewallPolicy"
GATEWAY = "azure-native:network:ApplicationGateway"
ENTERPRISE = "azure-native:redisenterprise:RedisEnterprise"
ENTERPRISE_DB = "azure-native:redisenterprise:Database"


def _rg(export: Export) -> str:
    return str(first(export, PG, "primary")["inputs"]["resourceGroupName"])


def _nsg_rule(nsg: str, rule: dict[str, Any], how: Callable[..., str] = set_input) -> Callable[[Export], str]:
    def apply(export: Export) -> str:
        group = first(export, NSG, nsg)
        side = group["outputs"] if how is set_output else group["inputs"]
        base = {"name": "mutant", "direction": "Inbound", "access": "Allow", "protocol": "Tcp", "sourcePortRange": "*",
                "destinationAddressPrefix": "*"}
        return how(group, ("securityRules",), [*side["securityRules"], {**base, **rule}])
    return apply


def _arm_rule(nsg: str, properties: dict[str, Any]) -> Callable[[Export], str]:
    """The ARM shape: the rule's settings under `properties`."""
    def apply(export: Export) -> str:
        group = first(export, NSG, nsg)
        rule = {"name": "mutant-arm", "properties": {"direction": "Inbound", "access": "Allow", "protocol": "*",
                                                      "sourcePortRange": "*", "destinationAddressPrefix": "*",
                                                      **properties}}
        return set_input(group, ("securityRules",), [*group["inputs"]["securityRules"], rule])
    return apply


def _standalone(nsg: str, rule: dict[str, Any], token: str = NSG_RULE) -> Callable[[Export], str]:
    def apply(export: Export) -> str:
        group = first(export, NSG, nsg)
        name = (group.get("outputs") or {}).get("name") or group["inputs"].get("networkSecurityGroupName")
        return add_resource(export, token, "mutant-rule", {
            "networkSecurityGroupName": name, "resourceGroupName": _rg(export), "name": "mutant-rule",
            "direction": "Inbound", "access": "Allow", "protocol": "*", "priority": 100,
            "destinationAddressPrefix": "*", "sourcePortRange": "*", **rule})
    return apply


def _firewall(start: str, end: str, name: str = "mutant-everyone") -> Callable[[Export], str]:
    def apply(export: Export) -> str:
        return add_resource(export, PG_FIREWALL, name, {
            "serverName": first(export, PG, "primary")["outputs"].get("name", "x"), "resourceGroupName": _rg(export),
            "firewallRuleName": name, "startIpAddress": start, "endIpAddress": end})
    return apply


def pg_firewall_halves(export: Export) -> str | None:
    _firewall("0.0.0.0", "127.255.255.255", "mutant-low")(export)
    return _firewall("128.0.0.0", "255.255.255.255", "mutant-high")(export)


def pg_firewall_pieces(export: Export) -> str | None:
    """The world as 64 /6 ranges, each too small to be "the Internet" on its own."""
    urns = [_firewall(f"{i * 4}.0.0.0", f"{i * 4 + 3}.255.255.255", f"mutant-piece-{i}")(export) for i in range(64)]
    return urns[5]


def pg_not_delegated(export: Export) -> str | None:
    server = first(export, PG, "primary")
    for side in ("inputs", "outputs"):
        network = dict(server[side].get("network") or {})
        network.pop("delegatedSubnetResourceId", None)
        network.pop("publicNetworkAccess", None)
        server[side]["network"] = network
    return str(server["urn"])


def _configuration(name: str, value: str) -> Callable[[Export], str]:
    def apply(export: Export) -> str:
        for resource in resources(export):
            if resource.get("type") == PG_CONFIGURATION and resource["inputs"].get("configurationName") == name \
                    and "primary" in resource["urn"]:
                return set_input(resource, ("value",), value)
        raise KeyError(name)
    return apply


def classic_redis(props: dict[str, Any], token: str = "azure-native:redis:Redis") -> Callable[[Export], str]:
    def apply(export: Export) -> str:
        base = {"resourceGroupName": _rg(export), "sku": {"name": "Premium", "family": "P", "capacity": 1},
                "minimumTlsVersion": "1.2", "enableNonSslPort": False, "publicNetworkAccess": "Disabled"}
        return add_resource(export, token, "mutant-redis", {**base, **props})
    return apply


def vault_ip_halves(export: Export) -> str | None:
    vault = first(export, VAULT)
    set_input(vault, ("properties", "networkAcls", "defaultAction"), "Deny")
    return set_input(vault, ("properties", "networkAcls", "ipRules"), [{"value": "0.0.0.0/1"}, {"value": "128.0.0.0/1"}])


def waf_override(rule: dict[str, Any]) -> Callable[[Export], str]:
    def apply(export: Export) -> str:
        policy = first(export, WAF)
        sets = [dict(s) for s in policy["inputs"]["managedRules"]["managedRuleSets"]]
        sets[0]["ruleGroupOverrides"] = [{"ruleGroupName": "SQLI", "rules": [{"ruleId": "942100", **rule}]}]
        return set_input(policy, ("managedRules", "managedRuleSets"), sets)
    return apply


def waf_rate_rule(change: dict[str, Any]) -> Callable[[Export], str]:
    def apply(export: Export) -> str:
        policy = first(export, WAF)
        rules = [dict(r) for r in policy["inputs"]["customRules"]]
        for rule in rules:
            if rule.get("ruleType") == "RateLimitRule":
                rule.update(change)
        return set_input(policy, ("customRules",), rules)
    return apply


def waf_no_default_set(export: Export) -> str | None:
    policy = first(export, WAF)
    sets = [s for s in policy["inputs"]["managedRules"]["managedRuleSets"]
            if s.get("ruleSetType") != "Microsoft_DefaultRuleSet"]
    return set_input(policy, ("managedRules", "managedRuleSets"), sets)


def subnet_without_nsg(export: Export) -> str | None:
    subnet = first(export, "azure-native:network:Subnet", "nodes")
    for side in ("inputs", "outputs"):
        subnet[side].pop("networkSecurityGroup", None)
    return str(subnet["urn"])


def _op(name: str, rule: str, apply: Any, message: str) -> Mutation:
    return Mutation(f"{rule}-{name}", rule, apply, AZURE_STACKS, message)


NSG_RULE_ID = "azure-nsg-no-internet-admin"
PG_RULE = "azure-pg-private-tls"
REDIS_RULE = "azure-redis-tls-private"
VAULT_RULE = "azure-keyvault-hardened"
AKS_RULE = "azure-aks-access"
WAF_RULE = "azure-waf-prevention"

OPERATORS: list[Mutation] = [
    # NSGs
    _op("allow-before-deny", NSG_RULE_ID, _nsg_rule("nodes-nsg", {"priority": 150, "sourceAddressPrefix": "Internet",
                                                                  "destinationPortRange": "20-30"}),
        "to port 22 before any deny"),
    _op("split-prefixes", NSG_RULE_ID, _nsg_rule("postgres-nsg", {"priority": 150, "destinationPortRanges": ["5432"],
                                                                  "sourceAddressPrefixes": ["0.0.0.0/1", "128.0.0.0/1"]}),
        "0.0.0.0/1, 128.0.0.0/1"),
    _op("all-ports", NSG_RULE_ID, _nsg_rule("endpoints-nsg", {"priority": 4000, "sourceAddressPrefix": "*",
                                                              "destinationPortRange": "0-65535"}), "to all ports"),
    _op("star-port", NSG_RULE_ID, _nsg_rule("endpoints-nsg", {"priority": 4001, "sourceAddressPrefix": "Internet",
                                                              "destinationPortRange": "*"}), "to all ports"),
    _op("any-source", NSG_RULE_ID, _nsg_rule("nodes-nsg", {"priority": 120, "sourceAddressPrefix": "Any",
                                                           "destinationPortRange": "3389"}), "Any to port 3389"),
    _op("cidr-source", NSG_RULE_ID, _nsg_rule("nodes-nsg", {"priority": 121, "sourceAddressPrefix": "0.0.0.0/0",
                                                            "destinationPortRange": "22"}), "0.0.0.0/0 to port 22"),
    _op("lowercase-internet", NSG_RULE_ID, _nsg_rule("nodes-nsg", {"priority": 122, "sourceAddressPrefix": "internet",
                                                                   "destinationPortRange": "6379", "protocol": "TCP",
                                                                   "direction": "inbound", "access": "allow"}),
        "internet to port 6379"),
    _op("ipv6-source", NSG_RULE_ID, _nsg_rule("postgres-nsg", {"priority": 123, "sourceAddressPrefix": "::/0",
                                                               "destinationPortRange": "5432"}), "::/0 to port 5432"),
    _op("port-list-range", NSG_RULE_ID, _nsg_rule("postgres-nsg", {"priority": 124, "sourceAddressPrefix": "*",
                                                                   "destinationPortRanges": ["80", "5000-5500"]}),
        "to port 5432"),
    _op("string-priority", NSG_RULE_ID, _nsg_rule("nodes-nsg", {"priority": "125", "sourceAddressPrefix": "Internet",
                                                                "destinationPortRange": "22-22"}), "to port 22"),
    _op("partial-deny-first", NSG_RULE_ID, lambda e: (
        _nsg_rule("nodes-nsg", {"priority": 90, "access": "Deny", "sourceAddressPrefix": "203.0.113.7",
                                "destinationPortRange": "22", "name": "deny-one"})(e),
        _nsg_rule("nodes-nsg", {"priority": 91, "sourceAddressPrefix": "Internet", "destinationPortRange": "22"})(e))[1],
        "to port 22"),
    _op("arm-properties", NSG_RULE_ID, _arm_rule("nodes-nsg", {"priority": 126, "sourceAddressPrefix": "*",
                                                               "destinationPortRange": "3389"}), "to port 3389"),
    _op("standalone-rule", NSG_RULE_ID, _standalone("nodes-nsg", {"sourceAddressPrefix": "0.0.0.0/0",
                                                                  "destinationPortRanges": ["3389"]}), "to port 3389"),
    _op("standalone-prefixes", NSG_RULE_ID, _standalone("postgres-nsg", {
        "sourceAddressPrefixes": [f"{i * 32}.0.0.0/3" for i in range(8)], "destinationPortRange": "5432"}),
        "to port 5432"),
    _op("standalone-versioned-token", NSG_RULE_ID, _standalone("nodes-nsg", {
        "sourceAddressPrefix": "Internet", "destinationPortRange": "22"}, "azure-native:network/v20240501:SecurityRule"),
        "to port 22"),
    _op("drift-outputs", NSG_RULE_ID, _nsg_rule("nodes-nsg", {"priority": 127, "sourceAddressPrefix": "Internet",
                                                              "destinationPortRange": "22"}, set_output), "to port 22"),
    _op("subnet-without-nsg", NSG_RULE_ID, subnet_without_nsg, "has no network security group"),
    # PostgreSQL
    _op("firewall-range", PG_RULE, _firewall("1.0.0.0", "223.255.255.255"), "covers the public internet"),
    _op("firewall-everything", PG_RULE, _firewall("0.0.0.0", "255.255.255.255"), "255.255.255.255"),
    _op("firewall-halves", PG_RULE, pg_firewall_halves, "128.0.0.0"),
    _op("firewall-pieces", PG_RULE, pg_firewall_pieces, "20.0.0.0"),
    _op("firewall-azure-services", PG_RULE, _firewall("0.0.0.0", "0.0.0.0"), "all Azure services"),
    _op("single-server-ssl", PG_RULE, lambda e: add_resource(e, "azure-native:dbforpostgresql:SingleServer", "mutant-ss", {
        "resourceGroupName": _rg(e), "properties": {"createMode": "Default", "sslEnforcement": "Disabled",
                                                    "publicNetworkAccess": "Disabled"}}), "sslEnforcement is Disabled"),
    _op("single-server-firewall", PG_RULE, lambda e: add_resource(
        e, "azure-native:dbforpostgresql:SingleServerFirewallRule", "mutant-ss-fw", {
            "resourceGroupName": _rg(e), "serverName": "x", "startIpAddress": "0.0.0.0",
            "endIpAddress": "255.255.255.255"}), "covers the public internet"),
    _op("public-access", PG_RULE, on(PG, "primary", ("network", "publicNetworkAccess"), "Enabled"),
        "publicNetworkAccess is Enabled"),
    _op("public-access-lowercase", PG_RULE, on(PG, "primary", ("network", "publicNetworkAccess"), "enabled"),
        "publicNetworkAccess is enabled"),
    _op("not-delegated", PG_RULE, pg_not_delegated, "publicNetworkAccess"),
    _op("drift-public", PG_RULE, on(PG, "primary", ("network", "publicNetworkAccess"), "Enabled", set_output),
        "publicNetworkAccess is Enabled"),
    _op("replica-public", PG_RULE, on(PG, "replica-1", ("network", "publicNetworkAccess"), "Enabled"),
        "publicNetworkAccess is Enabled"),
    _op("tls-off", PG_RULE, _configuration("require_secure_transport", "OFF"), "require_secure_transport is OFF"),
    _op("tls-1.1", PG_RULE, _configuration("ssl_min_protocol_version", "TLSv1.1"), "ssl_min_protocol_version is TLSv1.1"),
    # Redis
    _op("plaintext-protocol", REDIS_RULE, on(ENTERPRISE_DB, "", ("clientProtocol",), "Plaintext"),
        "clientProtocol is Plaintext"),
    _op("plaintext-lowercase", REDIS_RULE, on(ENTERPRISE_DB, "", ("clientProtocol",), "plaintext"),
        "clientProtocol is plaintext"),
    _op("tls-1.0", REDIS_RULE, on(ENTERPRISE, "", ("minimumTlsVersion",), "1.0"), "minimumTlsVersion is 1.0"),
    _op("tls-1.1", REDIS_RULE, on(ENTERPRISE, "", ("minimumTlsVersion",), "1.1"), "minimumTlsVersion is 1.1"),
    _op("public", REDIS_RULE, on(ENTERPRISE, "", ("publicNetworkAccess",), "Enabled"), "publicNetworkAccess is Enabled"),
    _op("public-lowercase", REDIS_RULE, on(ENTERPRISE, "", ("publicNetworkAccess",), "enabled"),
        "publicNetworkAccess is enabled"),
    _op("drift-plaintext", REDIS_RULE, on(ENTERPRISE_DB, "", ("clientProtocol",), "Plaintext", set_output),
        "clientProtocol is Plaintext"),
    _op("classic-non-ssl", REDIS_RULE, classic_redis({"enableNonSslPort": True}), "enableNonSslPort is true"),
    _op("classic-tls-1.0", REDIS_RULE, classic_redis({"minimumTlsVersion": "1.0"}), "minimumTlsVersion is 1.0"),
    _op("classic-tls-unset", REDIS_RULE, classic_redis({"minimumTlsVersion": None}), "minimumTlsVersion"),
    _op("classic-public", REDIS_RULE, classic_redis({"publicNetworkAccess": "Enabled"}), "publicNetworkAccess is Enabled"),
    _op("old-cache-token", REDIS_RULE, classic_redis({"enableNonSslPort": True}, "azure-native:cache:Redis"),
        "enableNonSslPort is true"),
    _op("old-enterprise-token", REDIS_RULE, lambda e: add_resource(e, "azure-native:cache:RedisEnterprise", "mutant-re", {
        "resourceGroupName": _rg(e), "sku": {"name": "Balanced_B10"}, "minimumTlsVersion": "1.0",
        "publicNetworkAccess": "Disabled"}), "minimumTlsVersion is 1.0"),
    _op("classic-no-auth", REDIS_RULE, classic_redis({"redisConfiguration": {"authnotrequired": "true"}}),
        "authnotrequired"),
    _op("access-keys-no-tls", REDIS_RULE, on(ENTERPRISE_DB, "", ("clientProtocol",), "PLAINTEXT", set_declared),
        "clientProtocol is PLAINTEXT"),
    # Key Vault
    _op("acl-allow", VAULT_RULE, on(VAULT, "", ("properties", "networkAcls", "defaultAction"), "Allow"),
        "networkAcls.defaultAction is Allow"),
    _op("acl-allow-lowercase", VAULT_RULE, on(VAULT, "", ("properties", "networkAcls", "defaultAction"), "allow"),
        "networkAcls.defaultAction is allow"),
    _op("acl-removed", VAULT_RULE, on(VAULT, "", ("properties", "networkAcls"), None), "networkAcls.defaultAction"),
    _op("ip-halves", VAULT_RULE, vault_ip_halves, "128.0.0.0/1"),
    _op("no-purge", VAULT_RULE, on(VAULT, "", ("properties", "enablePurgeProtection"), False), "purge protection off"),
    _op("purge-unset", VAULT_RULE, on(VAULT, "", ("properties", "enablePurgeProtection"), None),
        "enablePurgeProtection"),
    _op("no-soft-delete", VAULT_RULE, on(VAULT, "", ("properties", "enableSoftDelete"), "false"),
        "enableSoftDelete is false"),
    _op("public", VAULT_RULE, on(VAULT, "", ("properties", "publicNetworkAccess"), "enabled"),
        "publicNetworkAccess is enabled"),
    _op("access-policies", VAULT_RULE, on(VAULT, "", ("properties", "enableRbacAuthorization"), False),
        "enableRbacAuthorization"),
    _op("secret-no-expiry", VAULT_RULE, lambda e: set_input(
        first(e, "azure-native:keyvault:Secret"), ("properties", "attributes"), {"enabled": True}), "has no expiry"),
    _op("drift-allow", VAULT_RULE, on(VAULT, "", ("properties", "networkAcls", "defaultAction"), "Allow", set_output),
        "networkAcls.defaultAction is Allow"),
    # AKS
    _op("local-accounts", AKS_RULE, on(AKS, "", ("disableLocalAccounts",), False), "local accounts enabled"),
    _op("local-accounts-unset", AKS_RULE, on(AKS, "", ("disableLocalAccounts",), None), "disableLocalAccounts"),
    _op("local-accounts-string", AKS_RULE, on(AKS, "", ("disableLocalAccounts",), "false"), "disableLocalAccounts"),
    _op("rbac-off", AKS_RULE, on(AKS, "", ("enableRBAC",), False), "enableRBAC is false"),
    _op("azure-rbac-off", AKS_RULE, on(AKS, "", ("aadProfile", "enableAzureRBAC"), False), "enableAzureRBAC"),
    _op("ranges-halves", AKS_RULE, lambda e: (
        on(AKS, "", ("apiServerAccessProfile", "enablePrivateCluster"), False)(e),
        on(AKS, "", ("apiServerAccessProfile", "authorizedIPRanges"), ["0.0.0.0/1", "128.0.0.0/1"])(e))[1],
        "cover the public internet"),
    _op("ranges-world", AKS_RULE, lambda e: (
        on(AKS, "", ("apiServerAccessProfile", "enablePrivateCluster"), "false")(e),
        on(AKS, "", ("apiServerAccessProfile", "authorizedIPRanges"), ["0.0.0.0/0"])(e))[1], "0.0.0.0/0"),
    _op("public-no-ranges", AKS_RULE, on(AKS, "", ("apiServerAccessProfile", "enablePrivateCluster"), False),
        "no authorizedIPRanges"),
    _op("drift-local-accounts", AKS_RULE, on(AKS, "", ("disableLocalAccounts",), False, set_output),
        "local accounts enabled"),
    _op("no-network-policy", "azure-aks-network-policy", on(AKS, "", ("networkProfile", "networkPolicy"), "none"),
        "networkPolicy is none"),
    # WAF
    _op("detection", WAF_RULE, on(WAF, "", ("policySettings", "mode"), "Detection"), "mode is Detection"),
    _op("detection-lowercase", WAF_RULE, on(WAF, "", ("policySettings", "mode"), "detection"), "mode is detection"),
    _op("disabled", WAF_RULE, on(WAF, "", ("policySettings", "state"), "Disabled"), "state is Disabled"),
    _op("rule-disabled", WAF_RULE, waf_override({"state": "Disabled"}), "942100 is state Disabled"),
    _op("rule-log", WAF_RULE, waf_override({"action": "Log"}), "action Log"),
    _op("rule-allow", WAF_RULE, waf_override({"state": "Enabled", "action": "Allow"}), "action Allow"),
    _op("exclusion", WAF_RULE, on(WAF, "", ("managedRules", "exclusions"),
                                   [{"matchVariable": "RequestArgNames", "selectorMatchOperator": "EqualsAny",
                                     "selector": "*"}]), "exclusions[0] exempts RequestArgNames"),
    _op("no-default-rule-set", WAF_RULE, waf_no_default_set, "no OWASP / Microsoft_DefaultRuleSet"),
    _op("rate-log", WAF_RULE, waf_rate_rule({"action": "Log"}), "no blocking RateLimitRule"),
    _op("rate-disabled", WAF_RULE, waf_rate_rule({"state": "Disabled"}), "no blocking RateLimitRule"),
    _op("custom-allow", WAF_RULE, lambda e: set_input(first(e, WAF), ("customRules",), [
        {"name": "letmein", "ruleType": "MatchRule", "action": "Allow", "priority": 1, "state": "Enabled",
         "matchConditions": [{"matchVariables": [{"variableName": "RequestUri"}], "operator": "Any"}]},
        *first(e, WAF)["inputs"]["customRules"]]), "customRules[0] (letmein) action is Allow"),
    _op("rate-unreachable", WAF_RULE, waf_rate_rule({"rateLimitThreshold": 10_000_000}), "rateLimitThreshold is 10000000"),
    _op("drift-detection", WAF_RULE, on(WAF, "", ("policySettings", "mode"), "Detection", set_output),
        "mode is Detection"),
    _op("gateway-standard", WAF_RULE, on(GATEWAY, "", ("sku", "tier"), "Standard_v2"), "sku tier is Standard_v2"),
    _op("gateway-no-policy", WAF_RULE, on(GATEWAY, "", ("firewallPolicy",), None), "no WAF policy is attached"),
]
