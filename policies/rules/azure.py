"""Azure rules (azure-native 3 input names): AKS, PostgreSQL Flexible Server, Redis, Key Vault, NSGs, App Gateway WAF."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pulumi_policy import PolicyResource, Severity

from .common import (
    Meta,
    Resource,
    Stack,
    get,
    is_false,
    is_world,
    items,
    mapping,
    number,
    resource_rule,
    stack_rule,
    truthy,
)

AKS = "azure-native:containerservice:ManagedCluster"
PG = "azure-native:dbforpostgresql:Server"
PG_FIREWALL = "azure-native:dbforpostgresql:FirewallRule"
PG_CONFIGURATION = "azure-native:dbforpostgresql:Configuration"
REDIS = ("azure-native:cache:Redis",)
REDIS_ENTERPRISE = ("azure-native:redisenterprise:RedisEnterprise", "azure-native:cache:RedisEnterprise")
REDIS_DATABASE = ("azure-native:redisenterprise:Database", "azure-native:cache:Database")
VAULT = "azure-native:keyvault:Vault"
VAULT_SECRET = "azure-native:keyvault:Secret"
NSG = "azure-native:network:NetworkSecurityGroup"
NSG_RULE = "azure-native:network:SecurityRule"
SUBNET = "azure-native:network:Subnet"
VNET = "azure-native:network:VirtualNetwork"
WAF_POLICY = "azure-native:network:WebApplicationFirewallPolicy"
APP_GATEWAY = "azure-native:network:ApplicationGateway"
NSG_EXEMPT_SUBNETS = {"GatewaySubnet", "AzureFirewallSubnet", "AzureFirewallManagementSubnet", "RouteServerSubnet"}

aks_access = Meta(
    name="azure-aks-access",
    description="AKS is a private cluster or restricted to authorized IP ranges, with local accounts disabled and "
                "Entra ID with Azure RBAC.",
    severity=Severity.CRITICAL,
    categories=("AA",),
    references=("CKV_AZURE_5", "CKV_AZURE_6", "CKV_AZURE_115", "CKV_AZURE_141", "CIS AKS 5.4.1"),
    remediation="Set `apiServerAccessProfile.enablePrivateCluster: true` (or `authorizedIPRanges` without 0.0.0.0/0), "
                "`disableLocalAccounts: true`, `aadProfile: {managed: true, enableAzureRBAC: true}`.",
)


@resource_rule(aks_access, (AKS,))
def azure_aks_access(resource: Resource) -> Iterator[str]:
    props = resource.props
    access = mapping(get(props, "apiServerAccessProfile"))
    ranges = [str(r) for r in items(get(access, "authorizedIPRanges"))]
    if get(access, "enablePrivateCluster") is not True:
        if not ranges:
            yield "the API server is public to the Internet (not private, no authorizedIPRanges)"
        elif any(is_world(r) for r in ranges):
            yield "authorizedIPRanges include the whole Internet"
    if get(props, "disableLocalAccounts") is not True:
        yield "local accounts are enabled"
    if is_false(get(props, "enableRBAC")):
        yield "Kubernetes RBAC is disabled"
    aad = mapping(get(props, "aadProfile"))
    if get(aad, "managed") is not True or get(aad, "enableAzureRBAC") is not True:
        yield "Entra ID integration with Azure RBAC is not enabled"


aks_netpol = Meta(
    name="azure-aks-network-policy",
    description="AKS runs a network policy engine (azure, calico or cilium); an absent network profile fails.",
    severity=Severity.HIGH,
    categories=("AA",),
    references=("CKV_AZURE_7", "Pulumi compliance-policies"),
    remediation="Set `networkProfile.networkPolicy` to `cilium` (with `networkDataplane: cilium`), `calico` or `azure`.",
)


@resource_rule(aks_netpol, (AKS,))
def azure_aks_network_policy(resource: Resource) -> Iterator[str]:
    profile = get(resource.props, "networkProfile")
    if profile is None:
        yield "no networkProfile: NetworkPolicies would not be enforced"
        return
    engine = str(get(profile, "networkPolicy", default="none")).lower()
    if engine not in ("azure", "calico", "cilium"):
        yield f"networkPolicy is {engine}"


pg_private = Meta(
    name="azure-pg-private-tls",
    description="PostgreSQL Flexible Server is private (no public access, no 0.0.0.0 firewall rule) and requires TLS 1.2+.",
    severity=Severity.CRITICAL,
    categories=("AA", "TS"),
    references=("CKV2_AZURE_26", "CKV2_AZURE_57", "CIS Azure 4.3.1", "CIS Azure 4.3.8"),
    remediation="Use VNet integration (`network.delegatedSubnetResourceId` + `privateDnsZoneArmResourceId`) with "
                "`publicNetworkAccess: Disabled`; delete 0.0.0.0 firewall rules; keep `require_secure_transport` on "
                "and `ssl_min_protocol_version` at TLSv1.2+.",
)


@resource_rule(pg_private, (PG, PG_FIREWALL, PG_CONFIGURATION))
def azure_pg_private_tls(resource: Resource) -> Iterator[str]:
    props = resource.props
    if resource.type == PG:
        network = mapping(get(props, "network"))
        access = str(get(network, "publicNetworkAccess", default="Enabled" if not get(network, "delegatedSubnetResourceId")
                         else "Disabled"))
        if access.lower() != "disabled":
            yield "public network access is enabled"
    elif resource.type == PG_FIREWALL:
        start = str(get(props, "startIpAddress", default=""))
        end = str(get(props, "endIpAddress", default=""))
        if start == "0.0.0.0":
            whom = "all Azure services" if end == "0.0.0.0" else "the Internet"
            yield f"firewall rule {start}-{end} opens the server to {whom}"
    else:
        name = str(get(props, "configurationName", default=get(props, "name", default=""))).lower()
        value = str(get(props, "value", default="")).lower()
        if name == "require_secure_transport" and value in ("off", "0", "false"):
            yield "require_secure_transport is off"
        if name == "ssl_min_protocol_version" and value in ("tlsv1", "tlsv1.0", "tlsv1.1"):
            yield f"ssl_min_protocol_version is {value}"


pg_resilience = Meta(
    name="azure-pg-resilience",
    description="PostgreSQL Flexible Server has zone-redundant HA and geo-redundant backups in production, and at "
                "least two read replicas of the primary.",
    severity=Severity.MEDIUM,
    categories=("REL",),
    references=("CKV_AZURE_136", "REQUIREMENTS: one primary plus two replicas"),
    remediation="Set `highAvailability.mode: ZoneRedundant`, `backup.geoRedundantBackup: Enabled`, and declare "
                "replicas with `createMode: Replica` and `sourceServerResourceId` of the primary.",
    config={"environment": {"type": "string", "default": "production"},
            "minReplicas": {"type": "number", "default": 2}},
)


def _replica_of(props: Any) -> str | None:
    if str(get(props, "createMode", default="")).lower() in ("replica", "georestore_replica") or \
            str(get(props, "replica", "role", default="")).lower() in ("asyncreplica", "geoasyncreplica"):
        return str(get(props, "sourceServerResourceId", default=""))
    return None


@stack_rule(pg_resilience)
def azure_pg_resilience(stack: Stack) -> Iterator[tuple[str, str | None]]:
    servers = stack.of(PG)
    wanted = int(number(stack.config.get("minReplicas")) or 2)
    # Replicas indexed by their source (full id and last segment) and by the primary they depend on.
    by_key: dict[str, list[PolicyResource]] = {}
    by_dependency: dict[int, list[PolicyResource]] = {}
    for server in servers:
        source = _replica_of(server.props)
        if source is None:
            continue
        for key in {source, source.rsplit("/", 1)[-1]}:
            by_key.setdefault(key, []).append(server)
        for dependency in server.property_dependencies.get("sourceServerResourceId", []):
            by_dependency.setdefault(id(dependency), []).append(server)
    for primary in (s for s in servers if _replica_of(s.props) is None):
        if stack.production:
            if str(get(primary.props, "highAvailability", "mode", default="Disabled")) != "ZoneRedundant":
                yield "high availability is not ZoneRedundant (production)", primary.urn
            if str(get(primary.props, "backup", "geoRedundantBackup", default="Disabled")) != "Enabled":
                yield "geo-redundant backup is off (production)", primary.urn
        if (number(get(primary.props, "backup", "backupRetentionDays")) or 7) < 7:
            yield "backups are kept under 7 days", primary.urn
        keys = {str(v) for v in (get(primary.props, "id"), get(primary.props, "serverName"), primary.urn) if v}
        mine = {id(r): r for key in keys for r in by_key.get(key, [])}
        mine.update((id(r), r) for r in by_dependency.get(id(primary), []))
        if len(mine) < wanted:
            yield f"the primary has {len(mine)} replica(s); need {wanted}", primary.urn


redis = Meta(
    name="azure-redis-tls-private",
    description="Azure Redis requires TLS 1.2 and encrypted client connections and disables public network access.",
    severity=Severity.HIGH,
    categories=("TS", "AA"),
    references=("CKV_AZURE_89", "CKV_AZURE_91", "CKV_AZURE_148"),
    remediation="Set `minimumTlsVersion: \"1.2\"`, `publicNetworkAccess: Disabled` (use a private endpoint), "
                "`enableNonSslPort: false`, and `clientProtocol: Encrypted` on Managed Redis databases.",
)


@resource_rule(redis, (*REDIS, *REDIS_ENTERPRISE, *REDIS_DATABASE))
def azure_redis_tls_private(resource: Resource) -> Iterator[str]:
    props = resource.props
    if resource.type in REDIS_DATABASE:
        if str(get(props, "clientProtocol", default="Encrypted")) != "Encrypted":
            yield "the database accepts plaintext clients"
        return
    if str(get(props, "minimumTlsVersion", default="1.0" if resource.type in REDIS else "1.2")) not in ("1.2", "1.3"):
        yield f"minimumTlsVersion is {get(props, 'minimumTlsVersion', default='unset')}"
    if truthy(get(props, "enableNonSslPort")):
        yield "the non-TLS port is enabled"
    if str(get(props, "publicNetworkAccess", default="Enabled")).lower() != "disabled":
        yield "public network access is enabled"


vault = Meta(
    name="azure-keyvault-hardened",
    description="Key Vaults keep soft delete and purge protection, use RBAC, disable public access; secrets expire.",
    severity=Severity.HIGH,
    categories=("SM",),
    references=("CKV_AZURE_42", "CKV_AZURE_110", "CKV_AZURE_189", "CKV_AZURE_41", "CIS Azure 8.5"),
    remediation="Set `properties.enablePurgeProtection: true`, `enableRbacAuthorization: true`, "
                "`publicNetworkAccess: Disabled` and an `attributes.expires` on every secret.",
)


@resource_rule(vault, (VAULT, VAULT_SECRET))
def azure_keyvault_hardened(resource: Resource) -> Iterator[str]:
    props = mapping(get(resource.props, "properties"))
    if resource.type == VAULT_SECRET:
        if not get(props, "attributes", "expires") and not get(props, "attributes", "exp"):
            yield "the secret has no expiry"
        return
    if is_false(get(props, "enableSoftDelete")):
        yield "soft delete is disabled"
    if get(props, "enablePurgeProtection") is not True:
        yield "purge protection is off"
    if get(props, "enableRbacAuthorization") is not True:
        yield "access policies instead of Azure RBAC"
    public = str(get(props, "publicNetworkAccess", default="Enabled")).lower()
    if public != "disabled" and str(get(props, "networkAcls", "defaultAction", default="Allow")) != "Deny":
        yield "public network access is enabled"


ADMIN_PORTS = (22, 3389, 5432, 6379, 10000)

nsg = Meta(
    name="azure-nsg-no-internet-admin",
    description="No NSG rule admits the Internet to SSH, RDP, PostgreSQL, Redis or all ports, and every subnet has an NSG.",
    severity=Severity.CRITICAL,
    categories=("AA",),
    references=("CKV_AZURE_9", "CKV_AZURE_10", "CKV_AZURE_160", "CKV2_AZURE_31", "CIS Azure 6.1", "CIS Azure 6.2"),
    remediation="Restrict `sourceAddressPrefix` to internal ranges or service tags such as VirtualNetwork; attach an "
                "NSG to each subnet (`networkSecurityGroup.id`).",
)


def _port_ranges(rule: Any) -> list[tuple[int, int]]:
    ranges = [str(r) for r in [get(rule, "destinationPortRange"), *items(get(rule, "destinationPortRanges"))] if r]
    out = []
    for text in ranges:
        if text == "*":
            out.append((0, 65535))
        elif "-" in text:
            low, high = text.split("-", 1)
            out.append((int(low), int(high)))
        elif text.isdigit():
            out.append((int(text), int(text)))
    return out


def _nsg_rule_problem(rule: Any, label: str) -> str | None:
    rule_props = mapping(get(rule, "properties")) or mapping(rule)
    if str(get(rule_props, "direction", default="")).lower() != "inbound" or \
            str(get(rule_props, "access", default="")).lower() != "allow":
        return None
    sources = [str(s) for s in [get(rule_props, "sourceAddressPrefix"), *items(get(rule_props, "sourceAddressPrefixes"))] if s]
    if not any(is_world(s) for s in sources):
        return None
    exposed = sorted({p for low, high in _port_ranges(rule_props) for p in ADMIN_PORTS if low <= p <= high})
    everything = any((low, high) == (0, 65535) for low, high in _port_ranges(rule_props))
    if everything:
        return f"{label} admits the Internet to all ports"
    if exposed:
        return f"{label} admits the Internet to {', '.join(map(str, exposed))}"
    return None


@resource_rule(nsg, (NSG, NSG_RULE, SUBNET, VNET))
def azure_nsg_no_internet_admin(resource: Resource) -> Iterator[str]:
    props = resource.props
    if resource.type == NSG:
        for rule in items(get(props, "securityRules")):
            problem = _nsg_rule_problem(rule, f"rule '{get(rule, 'name', default='?')}'")
            if problem:
                yield problem
    elif resource.type == NSG_RULE:
        problem = _nsg_rule_problem(props, "the rule")
        if problem:
            yield problem
    elif resource.type == SUBNET:
        name = str(get(props, "subnetName", default=get(props, "name", default="")))
        if name not in NSG_EXEMPT_SUBNETS and not get(props, "networkSecurityGroup", "id"):
            yield f"subnet {name or resource.name} has no network security group"
    else:
        for subnet in items(get(props, "subnets")):
            name = str(get(subnet, "name", default=""))
            if name not in NSG_EXEMPT_SUBNETS and not get(subnet, "networkSecurityGroup", "id"):
                yield f"subnet {name or '?'} has no network security group"


waf = Meta(
    name="azure-waf-prevention",
    description="The Application Gateway is WAF_v2 with a policy in Prevention mode, a managed rule set and a "
                "rate-limit rule.",
    severity=Severity.HIGH,
    categories=("IV", "RL"),
    references=("CKV_AZURE_122", "CKV_AZURE_135", "security audit: input validation, rate limiting"),
    remediation="Use `sku.tier: WAF_v2` with `firewallPolicy.id`; in the policy set `policySettings.mode: Prevention`, "
                "`state: Enabled`, an OWASP/Microsoft_DefaultRuleSet managed rule set and a `RateLimitRule` that blocks.",
)


@resource_rule(waf, (WAF_POLICY, APP_GATEWAY))
def azure_waf_prevention(resource: Resource) -> Iterator[str]:
    props = resource.props
    if resource.type == APP_GATEWAY:
        if str(get(props, "sku", "tier", default="")) != "WAF_v2":
            yield f"sku tier is {get(props, 'sku', 'tier', default='unset')} (need WAF_v2)"
        if not get(props, "firewallPolicy", "id") and str(get(
                props, "webApplicationFirewallConfiguration", "firewallMode", default="")) != "Prevention":
            yield "no WAF policy is attached"
        return
    settings = mapping(get(props, "policySettings"))
    if str(get(settings, "mode", default="Detection")) != "Prevention":
        yield f"mode is {get(settings, 'mode', default='Detection')}"
    if str(get(settings, "state", default="Enabled")) != "Enabled":
        yield "the policy is disabled"
    sets = [str(get(s, "ruleSetType", default="")) for s in items(get(props, "managedRules", "managedRuleSets"))]
    if not any(t in ("OWASP", "Microsoft_DefaultRuleSet") for t in sets):
        yield "no OWASP / Microsoft_DefaultRuleSet managed rule set"
    if not any(str(get(r, "ruleType")) == "RateLimitRule" and str(get(r, "action")) == "Block"
               and str(get(r, "state", default="Enabled")) == "Enabled" for r in items(get(props, "customRules"))):
        yield "no blocking RateLimitRule"


POLICIES = [azure_aks_access, azure_aks_network_policy, azure_pg_private_tls, azure_pg_resilience,
            azure_redis_tls_private, azure_keyvault_hardened, azure_nsg_no_internet_admin, azure_waf_prevention]
