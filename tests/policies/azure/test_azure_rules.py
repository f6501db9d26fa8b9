"""Azure rules: NSGs in every spelling and priority order, firewall ranges, Redis, Key Vault, AKS, WAF."""

from __future__ import annotations

from typing import Any

import pytest

from offline.gate.analyzer import PolicyPackProcess
from tests.policies.cloud import Bad, Good, assert_bad, assert_good
from tests.policies.conftest import resource

NSG = "azure-native:network:NetworkSecurityGroup"
NSG_RULE = "azure-native:network:SecurityRule"
RULE = "azure-nsg-no-internet-admin"
DENY_22 = {"name": "deny-22", "direction": "Inbound", "access": "Deny", "protocol": "*", "priority": 200,
           "sourceAddressPrefix": "Internet", "destinationPortRange": "22"}


def allow(priority: int, **values: Any) -> dict[str, Any]:
    return {"name": f"allow-{priority}", "direction": "Inbound", "access": "Allow", "protocol": "Tcp",
            "priority": priority, **values}


def nsg(*rules: dict[str, Any]) -> list[dict[str, Any]]:
    return [resource(NSG, "nsg", {"networkSecurityGroupName": "nodes", "securityRules": [DENY_22, *rules]})]


def one(type_: str, props: dict[str, Any]) -> list[dict[str, Any]]:
    return [resource(type_, "subject", props)]


VAULT = {"properties": {"enablePurgeProtection": True, "enableRbacAuthorization": True, "publicNetworkAccess": "Disabled",
                        "networkAcls": {"defaultAction": "Deny"}}}
WAF = {"policySettings": {"mode": "Prevention", "state": "Enabled"},
       "managedRules": {"managedRuleSets": [{"ruleSetType": "Microsoft_DefaultRuleSet", "ruleSetVersion": "2.1"}]},
       "customRules": [{"ruleType": "RateLimitRule", "action": "Block", "state": "Enabled",
                        "groupByUserSession": [{"groupByVariables": [{"variableName": "ClientAddr"}]}]}]}

BAD = [
    Bad("allow-before-deny", RULE, nsg(allow(100, sourceAddressPrefix="*", destinationPortRange="20-30")), "nsg",
        "allow-100' (priority 100) admits * to port 22"),
    Bad("internet-tag-prefixes", RULE, nsg(allow(300, sourceAddressPrefixes=["Internet"],
                                                 destinationPortRanges=["3389"])), "nsg", "to port 3389"),
    Bad("split-ranges", RULE, nsg(allow(300, sourceAddressPrefixes=["0.0.0.0/1", "128.0.0.0/1"],
                                        destinationPortRange="5432")), "nsg", "0.0.0.0/1, 128.0.0.0/1 to port 5432"),
    Bad("all-ports-behind-denies", RULE, nsg(allow(4000, sourceAddressPrefix="0.0.0.0/0",
                                                   destinationPortRange="0-65535")), "nsg", "to all ports"),
    Bad("standalone-rule", RULE, [*nsg(), resource(NSG_RULE, "rdp", {
        "networkSecurityGroupName": "nodes", **allow(100, sourceAddressPrefix="Any", destinationPortRanges=["3389"])})],
        "rdp", "to port 3389"),
    Bad("firewall-covers-all", "azure-pg-private-tls", one("azure-native:dbforpostgresql:FirewallRule", {
        "startIpAddress": "1.0.0.0", "endIpAddress": "255.255.255.254"}), "subject", "covers the public internet"),
    Bad("redis-plaintext", "azure-redis-tls-private", one("azure-native:redisenterprise:Database", {
        "clientProtocol": "Plaintext"}), "subject", "clientProtocol is Plaintext"),
    Bad("redis-non-ssl-port", "azure-redis-tls-private", one("azure-native:redis:Redis", {
        "minimumTlsVersion": "1.2", "publicNetworkAccess": "Disabled", "enableNonSslPort": True}), "subject",
        "enableNonSslPort is true"),
    Bad("vault-acl-allow", "azure-keyvault-hardened", one("azure-native:keyvault:Vault", {"properties": {
        **VAULT["properties"], "networkAcls": {"defaultAction": "Allow"}}}), "subject",
        "networkAcls.defaultAction is Allow"),
    Bad("vault-no-purge", "azure-keyvault-hardened", one("azure-native:keyvault:Vault", {"properties": {
        **VAULT["properties"], "enablePurgeProtection": False}}), "subject", "purge protection off"),
    Bad("aks-ranges-halves", "azure-aks-access", one("azure-native:containerservice:ManagedCluster", {
        "apiServerAccessProfile": {"authorizedIPRanges": ["0.0.0.0/1", "128.0.0.0/1"]}, "disableLocalAccounts": True,
        "aadProfile": {"managed": True, "enableAzureRBAC": True}}), "subject", "cover the public internet"),
    Bad("waf-detection", "azure-waf-prevention", one("azure-native:network:WebApplicationFirewallPolicy", {
        **WAF, "policySettings": {"mode": "Detection", "state": "Enabled"}}), "subject", "mode is Detection"),
    Bad("waf-rule-log", "azure-waf-prevention", one("azure-native:network:WebApplicationFirewallPolicy", {
        **WAF, "managedRules": {"managedRuleSets": [{"ruleSetType": "OWASP", "ruleGroupOverrides": [
            {"ruleGroupName": "REQUEST-942-APPLICATION-ATTACK-SQLI", "rules": [{"ruleId": "942100", "action": "Log"}]}]}]}}),
        "subject", "942100 is state Enabled, action Log"),
]

GOOD = [
    Good("deny-first", RULE, nsg(allow(300, sourceAddressPrefix="Internet", destinationPortRange="22"))),
    Good("internal-source", RULE, nsg(allow(100, sourceAddressPrefix="10.0.0.0/8", destinationPortRange="*"))),
    Good("https-from-internet", RULE, nsg(allow(100, sourceAddressPrefix="Internet", destinationPortRanges=["443"]))),
    Good("firewall-narrow", "azure-pg-private-tls", one("azure-native:dbforpostgresql:FirewallRule", {
        "startIpAddress": "203.0.113.1", "endIpAddress": "203.0.113.9"})),
    Good("vault", "azure-keyvault-hardened", one("azure-native:keyvault:Vault", VAULT)),
    Good("waf", "azure-waf-prevention", one("azure-native:network:WebApplicationFirewallPolicy", WAF)),
]


@pytest.mark.parametrize("case", BAD, ids=[c.id for c in BAD])
def test_bad(pack: PolicyPackProcess, case: Bad) -> None:
    assert_bad(pack, case)


@pytest.mark.parametrize("case", GOOD, ids=[c.id for c in GOOD])
def test_good(pack: PolicyPackProcess, case: Good) -> None:
    assert_good(pack, case)
