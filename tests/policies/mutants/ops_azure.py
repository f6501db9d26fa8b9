"""Mutation operators for the Azure rules: each makes one insecure change to the production-azure export."""

from __future__ import annotations

from typing import Any

from tests.policies.mutants.model import Export, Mutation, add_resource, first, set_input

AZURE_STACKS = ("production-azure",)
NSG = "azure-native:network:NetworkSecurityGroup"


def _nsg_rule(export: Export, nsg: str, rule: dict[str, Any]) -> str:
    group = first(export, NSG, nsg)
    rules = [*group["inputs"]["securityRules"], {"name": "mutant", "direction": "Inbound", "access": "Allow",
                                                 "protocol": "Tcp", "sourcePortRange": "*",
                                                 "destinationAddressPrefix": "*", **rule}]
    return set_input(group, ("securityRules",), rules)


def nsg_before_deny(export: Export) -> str | None:
    """An Allow from the Internet at a lower number than the shipped Deny of port 22."""
    return _nsg_rule(export, "nodes-nsg", {"priority": 150, "sourceAddressPrefix": "Internet",
                                           "destinationPortRange": "20-30"})


def nsg_split_prefixes(export: Export) -> str | None:
    return _nsg_rule(export, "postgres-nsg", {"priority": 150, "sourceAddressPrefixes": ["0.0.0.0/1", "128.0.0.0/1"],
                                              "destinationPortRanges": ["5432"]})


def nsg_all_ports(export: Export) -> str | None:
    return _nsg_rule(export, "endpoints-nsg", {"priority": 4000, "sourceAddressPrefix": "*",
                                               "destinationPortRange": "0-65535"})


def nsg_standalone(export: Export) -> str | None:
    group = first(export, NSG, "nodes-nsg")
    name = (group.get("outputs") or {}).get("name") or group["inputs"].get("networkSecurityGroupName")
    urn = add_resource(export, "azure-native:network:SecurityRule", "mutant-rdp", {
        "networkSecurityGroupName": name, "resourceGroupName": group["inputs"]["resourceGroupName"],
        "name": "mutant-rdp", "direction": "Inbound", "access": "Allow", "protocol": "*", "priority": 100,
        "sourceAddressPrefix": "0.0.0.0/0", "destinationPortRanges": ["3389"], "destinationAddressPrefix": "*"})
    return urn


def pg_firewall(export: Export) -> str | None:
    server = first(export, "azure-native:dbforpostgresql:Server", "primary")
    return add_resource(export, "azure-native:dbforpostgresql:FirewallRule", "mutant-everyone", {
        "serverName": "x", "resourceGroupName": server["inputs"]["resourceGroupName"],
        "startIpAddress": "1.0.0.0", "endIpAddress": "223.255.255.255"})


def pg_public(export: Export) -> str | None:
    return set_input(first(export, "azure-native:dbforpostgresql:Server", "primary"), ("network", "publicNetworkAccess"),
                     "Enabled")


def redis_plaintext(export: Export) -> str | None:
    return set_input(first(export, "azure-native:redisenterprise:Database"), ("clientProtocol",), "Plaintext")


def redis_old_tls(export: Export) -> str | None:
    return set_input(first(export, "azure-native:redisenterprise:RedisEnterprise"), ("minimumTlsVersion",), "1.0")


def redis_public(export: Export) -> str | None:
    return set_input(first(export, "azure-native:redisenterprise:RedisEnterprise"), ("publicNetworkAccess",), "Enabled")


def vault_acl_allow(export: Export) -> str | None:
    return set_input(first(export, "azure-native:keyvault:Vault"), ("properties", "networkAcls", "defaultAction"),
                     "Allow")


def vault_no_purge(export: Export) -> str | None:
    return set_input(first(export, "azure-native:keyvault:Vault"), ("properties", "enablePurgeProtection"), False)


def aks_local_accounts(export: Export) -> str | None:
    return set_input(first(export, "azure-native:containerservice:ManagedCluster"), ("disableLocalAccounts",), False)


def aks_public_halves(export: Export) -> str | None:
    cluster = first(export, "azure-native:containerservice:ManagedCluster")
    set_input(cluster, ("apiServerAccessProfile", "enablePrivateCluster"), False)
    return set_input(cluster, ("apiServerAccessProfile", "authorizedIPRanges"), ["0.0.0.0/1", "128.0.0.0/1"])


def waf_detection(export: Export) -> str | None:
    return set_input(first(export, "azure-native:network:WebApplicationFirewallPolicy"), ("policySettings", "mode"),
                     "Detection")


def waf_rule_disabled(export: Export) -> str | None:
    policy = first(export, "azure-native:network:WebApplicationFirewallPolicy")
    sets = [dict(s) for s in policy["inputs"]["managedRules"]["managedRuleSets"]]
    sets[0]["ruleGroupOverrides"] = [{"ruleGroupName": "SQLI", "rules": [{"ruleId": "942100", "state": "Disabled"}]}]
    return set_input(policy, ("managedRules", "managedRuleSets"), sets)


def waf_exclusion(export: Export) -> str | None:
    return set_input(first(export, "azure-native:network:WebApplicationFirewallPolicy"), ("managedRules", "exclusions"),
                     [{"matchVariable": "RequestArgNames", "selectorMatchOperator": "EqualsAny", "selector": "*"}])


def _op(name: str, rule: str, apply: Any, message: str) -> Mutation:
    return Mutation(f"{rule}-{name}", rule, apply, AZURE_STACKS, message)


OPERATORS: list[Mutation] = [
    _op("allow-before-deny", "azure-nsg-no-internet-admin", nsg_before_deny, "to port 22 before any deny"),
    _op("split-prefixes", "azure-nsg-no-internet-admin", nsg_split_prefixes, "0.0.0.0/1, 128.0.0.0/1"),
    _op("all-ports", "azure-nsg-no-internet-admin", nsg_all_ports, "to all ports"),
    _op("standalone-rule", "azure-nsg-no-internet-admin", nsg_standalone, "to port 3389"),
    _op("firewall-range", "azure-pg-private-tls", pg_firewall, "covers the public internet"),
    _op("public-access", "azure-pg-private-tls", pg_public, "public network access is enabled"),
    _op("plaintext-protocol", "azure-redis-tls-private", redis_plaintext, "clientProtocol is Plaintext"),
    _op("tls-1.0", "azure-redis-tls-private", redis_old_tls, "minimumTlsVersion is 1.0"),
    _op("public", "azure-redis-tls-private", redis_public, "publicNetworkAccess is Enabled"),
    _op("acl-allow", "azure-keyvault-hardened", vault_acl_allow, "networkAcls.defaultAction is Allow"),
    _op("no-purge", "azure-keyvault-hardened", vault_no_purge, "purge protection off"),
    _op("local-accounts", "azure-aks-access", aks_local_accounts, "local accounts enabled"),
    _op("ranges-halves", "azure-aks-access", aks_public_halves, "cover the public internet"),
    _op("detection", "azure-waf-prevention", waf_detection, "mode is Detection"),
    _op("rule-disabled", "azure-waf-prevention", waf_rule_disabled, "942100 is state Disabled"),
    _op("exclusion", "azure-waf-prevention", waf_exclusion, "exclusions[0] exempts RequestArgNames"),
]
