"""Azure rules (azure-native 3 input names): AKS, PostgreSQL Flexible Server, Redis, Key Vault, NSGs, App Gateway WAF."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from typing import Any

from pulumi_policy import PolicyResource, Severity

from . import verify
from .cloud_tokens import accepts, as_text, canonical, cut, of
from .common import (
    INDEPENDENT,
    Meta,
    Resource,
    Stack,
    get,
    is_false,
    items,
    mapping,
    number,
    resource_rule,
    stack_rule,
    truthy,
)
from .k8s_objects import NOT_BLIND, Blind, derive, judged_together
from .netaddr import covers_internet, public_ranges, range_networks

AKS = "azure-native:containerservice:ManagedCluster"
PG = "azure-native:dbforpostgresql:Server"
PG_FIREWALL = "azure-native:dbforpostgresql:FirewallRule"
PG_CONFIGURATION = "azure-native:dbforpostgresql:Configuration"
# Tokens as the pinned azure-native 3 registers them (`cache:*` survive only as aliases, never as a type).
REDIS = ("azure-native:redis:Redis",)
REDIS_ENTERPRISE = ("azure-native:redisenterprise:RedisEnterprise",)
REDIS_DATABASE = ("azure-native:redisenterprise:Database",)
VAULT = "azure-native:keyvault:Vault"
VAULT_SECRET = "azure-native:keyvault:Secret"
NSG = "azure-native:network:NetworkSecurityGroup"
NSG_RULE = "azure-native:network:SecurityRule"
SUBNET = "azure-native:network:Subnet"
VNET = "azure-native:network:VirtualNetwork"
WAF_POLICY = "azure-native:network:WebApplicationFirewallPolicy"
APP_GATEWAY = "azure-native:network:ApplicationGateway"
MAX_RATE_LIMIT = 100_000
"""Requests per window above which a per-client rate-limit rule never triggers for a real client."""
# The retired Single Server (still in the pinned provider): TLS and network settings under `properties`.
PG_SINGLE = "azure-native:dbforpostgresql:SingleServer"
PG_SINGLE_FIREWALL = "azure-native:dbforpostgresql:SingleServerFirewallRule"
AGENT_POOL = "azure-native:containerservice:AgentPool"
HEX = frozenset("0123456789abcdef")


def names_azure(value: Any, target: PolicyResource, *name_props: str) -> bool:
    """Whether an ARM id or name (`value`) is the target's, proved by the value: its recorded id, its name, or
    (declared inputs, before the name exists) the logical name with azure-native's 8-hex-digit auto-name suffix.
    ARM ids and names compare case-insensitively."""
    text = as_text(value).strip().rstrip("/")[:2048].lower()
    if not text:
        return False
    last = text.rsplit("/", 1)[-1]
    recorded = as_text(get(target.props, "id", default="")).strip().rstrip("/").lower()
    if recorded and text == recorded:
        return True
    names = {as_text(get(target.props, p)).strip().lower() for p in name_props if get(target.props, p)}
    if names:
        return last in names
    if recorded:
        return last == recorded.rsplit("/", 1)[-1]
    logical = target.urn.rsplit("::", 1)[-1].lower()
    rest = last[len(logical):] if last.startswith(logical) else None
    return rest == "" or (rest is not None and len(rest) == 8 and set(rest) <= HEX)


def refers_to(holder: PolicyResource, prop: str, value: Any, candidates: list[PolicyResource],
              *name_props: str) -> list[PolicyResource]:
    """The candidates `value` (read from `holder.prop`) names; the wiring stands in only when there is no value
    (an `.apply()` keeps the wiring while changing the value)."""
    if value:
        return [c for c in candidates if names_azure(value, c, *name_props)]
    urns = {d.urn for d in holder.property_dependencies.get(prop, [])}
    return [c for c in candidates if c.urn in urns]


def _text(value: Any, limit: int = 64) -> str:
    """A setting as a message quotes it: its text, cut short (exports can carry megabyte strings)."""
    text = "unset" if value is None else as_text(value)
    return text if len(text) <= limit else text[:limit] + "..."


NSG_EXEMPT_SUBNETS = {"GatewaySubnet", "AzureFirewallSubnet", "AzureFirewallManagementSubnet", "RouteServerSubnet"}

aks_access = Meta(
    name="azure-aks-access",
    description="AKS is a private cluster or restricted to authorized IP ranges, with local accounts disabled, "
                "Entra ID with Azure RBAC, and no public IP on any node.",
    severity=Severity.CRITICAL,
    categories=("AA",),
    references=("CKV_AZURE_5", "CKV_AZURE_6", "CKV_AZURE_115", "CKV_AZURE_141", "CIS AKS 5.4.1"),
    remediation="Set `apiServerAccessProfile.enablePrivateCluster: true` (or `authorizedIPRanges` without 0.0.0.0/0), "
                "`disableLocalAccounts: true`, `aadProfile: {managed: true, enableAzureRBAC: true}`; keep "
                "`enableNodePublicIP` false on every pool.",
)


def _public_node_ips(pools: list[Any], label: str) -> Iterator[str]:
    for index, pool in enumerate(pools[:1000]):
        value = get(pool, "enableNodePublicIP")
        if truthy(value):
            name = cut(get(pool, "name", default=index))
            yield f"{label}[{name}].enableNodePublicIP is {_text(value).lower()} (nodes reachable from the Internet)"


@resource_rule(aks_access, accepts((AKS, AGENT_POOL)))
def azure_aks_access(resource: Resource) -> Iterator[str]:
    props = resource.props
    if canonical(resource.type) == AGENT_POOL:
        value = get(props, "enableNodePublicIP")
        if truthy(value):
            yield f"enableNodePublicIP is {_text(value).lower()} (nodes reachable from the Internet)"
        return
    yield from _public_node_ips(items(get(props, "agentPoolProfiles")), "agentPoolProfiles")
    access = mapping(get(props, "apiServerAccessProfile"))
    ranges = [as_text(r) for r in items(get(access, "authorizedIPRanges"))[:1000]]
    private = get(access, "enablePrivateCluster")
    if not truthy(private):
        state = f"apiServerAccessProfile.enablePrivateCluster is {_text(private).lower()}"
        if not ranges:
            yield f"{state} and there are no authorizedIPRanges: the API server is public to the Internet"
        elif covers_internet(ranges):
            yield (f"{state} and apiServerAccessProfile.authorizedIPRanges {', '.join(public_ranges(ranges)[:8])} "
                   "cover the public Internet")
    local = get(props, "disableLocalAccounts")
    if not truthy(local):
        yield f"disableLocalAccounts is {_text(local).lower()} (local accounts enabled)"
    rbac = get(props, "enableRBAC")
    if is_false(rbac):
        yield f"enableRBAC is {_text(rbac).lower()} (Kubernetes RBAC disabled)"
    aad = mapping(get(props, "aadProfile"))
    for key in ("managed", "enableAzureRBAC"):
        if not truthy(get(aad, key)):
            yield f"aadProfile.{key} is {_text(get(aad, key)).lower()} (Entra ID with Azure RBAC not enabled)"


aks_netpol = Meta(
    name="azure-aks-network-policy",
    description="AKS runs a network policy engine (azure, calico or cilium); an absent network profile fails.",
    severity=Severity.HIGH,
    categories=("AA",),
    references=("CKV_AZURE_7", "Pulumi compliance-policies"),
    remediation="Set `networkProfile.networkPolicy` to `cilium` (with `networkDataplane: cilium`), `calico` or `azure`.",
)


@resource_rule(aks_netpol, accepts((AKS,)))
def azure_aks_network_policy(resource: Resource) -> Iterator[str]:
    profile = get(resource.props, "networkProfile")
    if profile is None:
        yield "no networkProfile: NetworkPolicies would not be enforced"
        return
    engine = as_text(get(profile, "networkPolicy", default="none")).lower()
    if engine not in ("azure", "calico", "cilium"):
        yield f"networkPolicy is {cut(engine)}"


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


@resource_rule(pg_private, accepts((PG, PG_FIREWALL, PG_CONFIGURATION, PG_SINGLE, PG_SINGLE_FIREWALL)))
def azure_pg_private_tls(resource: Resource) -> Iterator[str]:
    props = resource.props
    kind = canonical(resource.type)
    if kind == PG_SINGLE:
        settings = mapping(get(props, "properties"))
        access = get(settings, "publicNetworkAccess")
        if _text(access if access is not None else "Enabled").strip().lower() != "disabled":
            yield f"properties.publicNetworkAccess is {_text(access) if access is not None else 'unset (Enabled)'}"
        ssl = get(settings, "sslEnforcement")
        if _text(ssl if ssl is not None else "Enabled").strip().lower() != "enabled":
            yield f"properties.sslEnforcement is {_text(ssl)} (plaintext connections accepted)"
        tls = get(settings, "minimalTlsVersion")
        if tls is not None and _text(tls).strip().upper() not in ("TLS1_2", "TLS1_3"):
            yield f"properties.minimalTlsVersion is {_text(tls)} (below TLS 1.2)"
        return
    if kind == PG:
        network = mapping(get(props, "network"))
        access = get(network, "publicNetworkAccess")
        if access is None:
            if not get(network, "delegatedSubnetResourceId"):
                yield ("network.publicNetworkAccess is unset and there is no network.delegatedSubnetResourceId: the "
                       "server is public (publicNetworkAccess defaults to Enabled)")
        elif _text(access).lower() != "disabled":
            yield f"network.publicNetworkAccess is {_text(access)} (public network access enabled)"
    elif kind in (PG_FIREWALL, PG_SINGLE_FIREWALL):
        start = _text(get(props, "startIpAddress", default=""))
        end = _text(get(props, "endIpAddress", default=""))
        if covers_internet(range_networks(start, end)):
            yield f"firewall rule startIpAddress {start} .. endIpAddress {end} covers the public Internet"
        elif start.strip() == "0.0.0.0":
            yield f"firewall rule {start}-{end} opens the server to all Azure services"
    else:
        name = _text(get(props, "configurationName", default=get(props, "name", default=""))).strip().lower()
        value = _text(get(props, "value", default=""))
        if name == "require_secure_transport" and value.strip().lower() in ("off", "0", "false", "no"):
            yield f"require_secure_transport is {value} (plaintext connections accepted)"
        if name == "ssl_min_protocol_version" and value.strip().lower() in ("tlsv1", "tlsv1.0", "tlsv1.1", "tls1.0",
                                                                             "tls1.1", "1.0", "1.1"):
            yield f"ssl_min_protocol_version is {value} (below TLSv1.2)"


pg_resilience = Meta(
    name="azure-pg-resilience",
    description="PostgreSQL Flexible Server has zone-redundant HA and geo-redundant backups in production, and at "
                "least two read replicas of the primary.",
    severity=Severity.MEDIUM,
    categories=("REL",),
    references=("CKV_AZURE_136", "docs/requirements.md: one primary plus two replicas"),
    remediation="Set `highAvailability.mode: ZoneRedundant`, `backup.geoRedundantBackup: Enabled`, and declare "
                "replicas with `createMode: Replica` and `sourceServerResourceId` of the primary.",
    config={"environment": {"type": "string", "default": "production"},
            "minReplicas": {"type": "number", "default": 2}},
)


def _replica_of(props: Any) -> str | None:
    if as_text(get(props, "createMode", default="")).lower() in ("replica", "georestore_replica") or \
            as_text(get(props, "replica", "role", default="")).lower() in ("asyncreplica", "geoasyncreplica"):
        return as_text(get(props, "sourceServerResourceId", default=""))
    return None


def _ha_problems(props: Any) -> Iterator[str]:
    """Zone-redundant HA whose standby really sits in another zone (case as Azure accepts it)."""
    mode = get(props, "highAvailability", "mode")
    if _text(mode).strip().lower() != "zoneredundant":
        yield (f"highAvailability.mode is {_text(mode) if mode is not None else 'unset (Disabled)'} "
               "(high availability is not ZoneRedundant, production)")
        return
    zone, standby = get(props, "availabilityZone"), get(props, "highAvailability", "standbyAvailabilityZone")
    if zone is not None and standby is not None and _text(zone).strip() == _text(standby).strip():
        yield (f"highAvailability.standbyAvailabilityZone {_text(standby)} is the primary's availabilityZone "
               "(high availability is not zone-redundant)")


def _replica_index(servers: list[PolicyResource]) -> tuple[dict[str, list[PolicyResource]], list[PolicyResource]]:
    """Primary URN -> the replicas whose `sourceServerResourceId` names it (proved by the id, see `refers_to`),
    and the replicas that name no primary of this stack."""
    primaries = [s for s in servers if _replica_of(s.props) is None]
    by_primary: dict[str, list[PolicyResource]] = {}
    strays: list[PolicyResource] = []
    for server in servers:
        source = _replica_of(server.props)
        if source is None:
            continue
        found = refers_to(server, "sourceServerResourceId", source, primaries, "serverName", "name")
        for primary in found:
            by_primary.setdefault(primary.urn, []).append(server)
        if not found:
            strays.append(server)
    return by_primary, strays


@stack_rule(pg_resilience)
def azure_pg_resilience(stack: Stack) -> Iterator[tuple[str, str | None]]:
    servers = of(stack, PG)
    wanted = int(number(stack.config.get("minReplicas")) or 2)
    # A server whose role or source the pack cannot read may be a replica of any primary: replayed by a count.
    (by_primary, strays), index_blind = derive(lambda: _replica_index(servers), *(s.props for s in servers))
    for stray in strays:
        yield INDEPENDENT
        index_blind.replay()
        yield (f"sourceServerResourceId {cut(get(stray.props, 'sourceServerResourceId'))} names no primary of this "
               "stack: the replica copies another server"), stray.urn
    for primary in servers:
        yield INDEPENDENT  # each primary is judged on its own settings and the replicas that point at it
        if _replica_of(primary.props) is not None:
            continue
        if stack.production:
            yield from ((m, primary.urn) for m in _ha_problems(primary.props))
            geo = get(primary.props, "backup", "geoRedundantBackup")
            if _text(geo).strip().lower() != "enabled":
                yield (f"backup.geoRedundantBackup is {_text(geo) if geo is not None else 'unset (Disabled)'} "
                       "(geo-redundant backup is off, production)"), primary.urn
        retention = get(primary.props, "backup", "backupRetentionDays")
        days = number(retention)
        if retention is not None and (days is None or days < 7):
            yield f"backup.backupRetentionDays is {_text(retention)} (backups are kept under 7 days)", primary.urn
        mine = by_primary.get(primary.urn, [])
        if len(mine) < wanted:
            index_blind.replay()
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


@resource_rule(redis, accepts((*REDIS, *REDIS_ENTERPRISE, *REDIS_DATABASE)))
def azure_redis_tls_private(resource: Resource) -> Iterator[str]:
    props = resource.props
    kind = canonical(resource.type)
    if kind in REDIS_DATABASE:
        protocol = _text(get(props, "clientProtocol", default="Encrypted"))
        if protocol.strip().lower() != "encrypted":
            yield f"clientProtocol is {protocol} (plaintext clients accepted)"
        return
    tls = get(props, "minimumTlsVersion")
    # Classic Azure Cache for Redis accepted TLS 1.0 when the setting was left out; Managed Redis starts at 1.2.
    if tls is None and kind in REDIS:
        yield "minimumTlsVersion is unset (TLS 1.0 and 1.1 accepted)"
    elif tls is not None and _text(tls).strip().lower().removeprefix("tls").strip(" v") not in ("1.2", "1.3"):
        yield f"minimumTlsVersion is {_text(tls)} (below 1.2)"
    if truthy(get(props, "enableNonSslPort")):
        yield f"enableNonSslPort is {_text(get(props, 'enableNonSslPort')).lower()} (plaintext port 6379 open)"
    if truthy(get(props, "redisConfiguration", "authnotrequired")):
        yield "redisConfiguration.authnotrequired is true (no authentication)"
    public = get(props, "publicNetworkAccess")
    if _text(public if public is not None else "Enabled").strip().lower() != "disabled":
        yield f"publicNetworkAccess is {_text(public) if public is not None else 'unset (defaults to Enabled)'}"


vault = Meta(
    name="azure-keyvault-hardened",
    description="Key Vaults keep soft delete and purge protection, use RBAC, disable public access; secrets expire.",
    severity=Severity.HIGH,
    categories=("SM",),
    references=("CKV_AZURE_42", "CKV_AZURE_110", "CKV_AZURE_189", "CKV_AZURE_41", "CIS Azure 8.5"),
    remediation="Set `properties.enablePurgeProtection: true`, `enableRbacAuthorization: true`, "
                "`publicNetworkAccess: Disabled` and an `attributes.expires` on every secret.",
)


@resource_rule(vault, accepts((VAULT, VAULT_SECRET)))
def azure_keyvault_hardened(resource: Resource) -> Iterator[str]:
    props = mapping(get(resource.props, "properties"))
    if canonical(resource.type) == VAULT_SECRET:
        if not get(props, "attributes", "expires") and not get(props, "attributes", "exp"):
            yield "the secret has no expiry"
        return
    soft_delete = get(props, "enableSoftDelete")
    if is_false(soft_delete):
        yield f"properties.enableSoftDelete is {_text(soft_delete).lower()} (soft delete disabled)"
    purge = get(props, "enablePurgeProtection")
    if not truthy(purge):
        yield f"properties.enablePurgeProtection is {_text(purge).lower()} (purge protection off)"
    rbac = get(props, "enableRbacAuthorization")
    if not truthy(rbac):
        yield f"properties.enableRbacAuthorization is {_text(rbac).lower()} (access policies instead of Azure RBAC)"
    public = get(props, "publicNetworkAccess")
    if _text(public if public is not None else "Enabled").strip().lower() != "disabled":
        yield f"properties.publicNetworkAccess is {_text(public) if public is not None else 'unset (defaults to Enabled)'}"
    action = get(props, "networkAcls", "defaultAction")
    if action is None or _text(action).strip().lower() != "deny":
        yield (f"properties.networkAcls.defaultAction is "
               f"{_text(action) if action is not None else 'unset (defaults to Allow)'}")
    ip_rules = [as_text(get(r, "value", default="")) for r in items(get(props, "networkAcls", "ipRules"))[:1000]]
    if covers_internet(ip_rules):
        yield f"properties.networkAcls.ipRules {', '.join(public_ranges(ip_rules)[:8])} cover the public Internet"


ADMIN_PORTS = (22, 3389, 5432, 6379, 10000)

nsg = Meta(
    name="azure-nsg-no-internet-admin",
    description="No NSG rule admits the Internet to SSH, RDP, PostgreSQL, Redis or all ports, and every subnet has an NSG.",
    severity=Severity.CRITICAL,
    categories=("AA",),
    references=("CKV_AZURE_9", "CKV_AZURE_10", "CKV_AZURE_160", "CKV2_AZURE_31", "CIS Azure 6.1", "CIS Azure 6.2"),
    remediation="Restrict `sourceAddressPrefix(es)` (the Internet in any spelling: *, Internet, 0.0.0.0/0, split "
                "ranges) to internal ranges or service tags such as VirtualNetwork; attach an "
                "NSG to each subnet (`networkSecurityGroup.id`).",
)


def _port_ranges(rule: Any) -> list[tuple[int, int]]:
    out = []
    for value in [get(rule, "destinationPortRange"), *items(get(rule, "destinationPortRanges"))[:1000]]:
        text = as_text(value if value is not None else "").strip()[:64]
        if not text:
            continue
        if text.lower() in ("*", "any", "all"):
            out.append((0, 65535))
            continue
        low, _, high = text.partition("-")
        first, last = number(low), number(high or low)
        if first is not None and last is not None:
            # A swapped range is the same range to anyone reading it for exposure.
            out.append((max(0, int(min(first, last))), min(65535, int(max(first, last)))))
    return out


class NsgRule:
    def __init__(self, owner: PolicyResource, rule: Any, label: str) -> None:
        props = mapping(get(rule, "properties")) or mapping(rule)
        self.owner = owner
        self.label = label
        self.inbound = as_text(get(props, "direction", default="")).strip().lower() == "inbound"
        self.allow = as_text(get(props, "access", default="")).strip().lower() == "allow"
        self.priority = number(get(props, "priority")) or 4096.0
        self.protocol = as_text(get(props, "protocol", default="*")).strip().lower()
        self.sources = [as_text(v) for v in [get(props, "sourceAddressPrefix"),
                                         *items(get(props, "sourceAddressPrefixes"))[:4096]] if v is not None]
        self.ranges = _port_ranges(props)
        destinations = [as_text(v).strip().lower() for v in [get(props, "destinationAddressPrefix"),
                        *items(get(props, "destinationAddressPrefixes"))[:4096]] if v is not None]
        # A Deny shadows later Allows only where it applies to every destination and every source port: one
        # narrowed to a host, an application security group or a source port leaves the rest of the Allow open.
        self.every_destination = ((not destinations or any(d in ("*", "any", "virtualnetwork", "0.0.0.0/0")
                                                            for d in destinations))
                                  and not items(get(props, "destinationApplicationSecurityGroups")))
        source_ports = [as_text(v).strip().lower() for v in [get(props, "sourcePortRange"),
                        *items(get(props, "sourcePortRanges"))[:4096]] if v is not None]
        self.every_source_port = not source_ports or any(p in ("*", "any", "0-65535", "1-65535") for p in source_ports)
        for source in self.sources:
            verify.needs_value(source)  # read now, while `derive` records what it cannot judge

    @property
    def shadows_all(self) -> bool:
        """A Deny of the whole Internet that no later Allow gets past (on the ports it reaches)."""
        return not self.allow and covers_internet(self.sources) and self.every_destination and self.every_source_port

    def reaches(self, port: int) -> bool:
        return self.inbound and self.protocol in ("*", "tcp", "any") and any(lo <= port <= hi for lo, hi in self.ranges)


def _nsg_rules(stack: Stack) -> dict[str, list[tuple[NsgRule, Blind]]]:
    """Inline and standalone rules per NSG (standalone ones by the NSG name their value carries), each with
    the values its reading could not judge (see `Blind`). What hides an NSG's name goes with the standalone
    rules no visible name resolves."""
    roots = [r.props for r in stack.resources]
    groups: dict[str, list[tuple[NsgRule, Blind]]] = {}
    names, names_blind = derive(lambda: _nsg_names(stack), *roots)
    for group in of(stack, NSG):
        entries, entries_blind = derive(lambda group=group: items(get(group.props, "securityRules")),  # type: ignore[misc]
                                        group.props)
        pieces = groups.setdefault(group.urn, [])
        if entries_blind:
            pieces.append((NsgRule(group, {}, "securityRules"), entries_blind))
        for i, entry in enumerate(entries):
            label = f"securityRules '{cut(get(entry, 'name', default=i))}'"
            pieces.append(derive(functools.partial(NsgRule, group, entry, label), group.props))
    for rule in of(stack, NSG_RULE):
        (value, label), blind = derive(functools.partial(_standalone_facts, rule), rule.props)
        linked = [d.urn for d in rule.property_dependencies.get("networkSecurityGroupName", []) if d.urn in groups]
        key = names.get(value) or (linked[0] if linked else f"name:{value}")
        if key not in groups:
            blind = blind | names_blind  # it may belong to an NSG whose name the pack cannot read
        found, read = derive(functools.partial(NsgRule, rule, rule.props, label), rule.props)
        groups.setdefault(key, []).append((found, blind | read))
    return groups


def _nsg_names(stack: Stack) -> dict[str, str]:
    names: dict[str, str] = {}
    for group in of(stack, NSG):
        for name in (get(group.props, "networkSecurityGroupName"), get(group.props, "name")):
            if name:
                names[as_text(name)] = group.urn
    return names


def _standalone_facts(rule: PolicyResource) -> tuple[str, str]:
    """A standalone rule's NSG name and its label."""
    return (as_text(get(rule.props, "networkSecurityGroupName", default="")),
            f"rule '{cut(get(rule.props, 'name', default=rule.name))}'")


@stack_rule(nsg)
def azure_nsg_no_internet_admin(stack: Stack) -> Iterator[tuple[str, str | None]]:
    for pieces in _nsg_rules(stack).values():
        doubts = NOT_BLIND
        for _, blind in pieces:
            if blind:
                yield INDEPENDENT  # a rule the pack cannot read: its values are named, nothing else
                blind.replay()
                doubts = doubts | blind
        known = [r for r, blind in pieces if not blind]
        ordered = sorted((r for r in known if r.inbound), key=lambda r: r.priority)
        for rule in ordered:
            if rule.allow and any(lo <= 1 and hi >= 65535 for lo, hi in rule.ranges) and covers_internet(rule.sources):
                yield INDEPENDENT  # judged on its own values: no other rule changes what it admits
                yield (f"{rule.label} (priority {int(rule.priority)}) admits {', '.join(public_ranges(rule.sources))} "
                       "to all ports"), rule.owner.urn
        for port in ADMIN_PORTS:
            allowed: list[str] = []
            for rule in (r for r in ordered if r.reaches(port)):
                if not rule.allow:
                    if rule.shadows_all:
                        break  # a Deny of the whole Internet at a lower number wins
                    continue
                allowed.extend(rule.sources)
                if covers_internet(allowed):
                    yield INDEPENDENT
                    doubts.replay()  # a rule the pack cannot read may be a Deny ahead of this one
                    yield (f"{rule.label} (priority {int(rule.priority)}) admits "
                           f"{', '.join(public_ranges(rule.sources)) or ', '.join(rule.sources)} to port {port} "
                           "before any Deny of the Internet"), rule.owner.urn
                    break
    groups = of(stack, NSG)
    for subnet in of(stack, SUBNET):
        yield INDEPENDENT  # each subnet is judged on its own settings
        name = as_text(get(subnet.props, "subnetName", default=get(subnet.props, "name", default="")))
        problem = _subnet_nsg_problem(subnet, subnet.props, groups)
        if name not in NSG_EXEMPT_SUBNETS and problem:
            yield f"subnet {name or subnet.name} {problem}", subnet.urn
    for vnet in of(stack, VNET):
        yield INDEPENDENT
        for subnet in items(get(vnet.props, "subnets")):
            name = as_text(get(subnet, "name", default=""))
            problem = _subnet_nsg_problem(vnet, subnet, groups)
            if name not in NSG_EXEMPT_SUBNETS and problem:
                yield f"subnets '{name or '?'}' {problem}", vnet.urn


def _subnet_nsg_problem(holder: PolicyResource, subnet: Any, groups: list[PolicyResource]) -> str | None:
    """Why a subnet is not behind one of this stack's NSGs (whose rules the rule judges): none, or an id naming
    another (its rules are nobody's to verify)."""
    value = get(subnet, "networkSecurityGroup", "id")
    if not value:
        return "has no network security group"
    if not refers_to(holder, "networkSecurityGroup", value, groups, "networkSecurityGroupName", "name"):
        return (f"networkSecurityGroup.id {cut(value)} names no network security group of this stack: its rules "
                "are not verified")
    return None


waf = Meta(
    name="azure-waf-prevention",
    description="The Application Gateway is WAF_v2 and applies only this stack's WAF policies (gateway, listener, "
                "path), each in Prevention mode with body inspection, a managed rule set and a rate-limit rule.",
    severity=Severity.HIGH,
    categories=("IV", "RL"),
    references=("CKV_AZURE_122", "CKV_AZURE_135", "security audit: input validation, rate limiting"),
    remediation="Use `sku.tier: WAF_v2` with `firewallPolicy.id`; in the policy set `policySettings.mode: Prevention`, "
                "`state: Enabled`, an OWASP/Microsoft_DefaultRuleSet managed rule set and a `RateLimitRule` that blocks.",
)


def _matches_every_client(condition: Any) -> bool:
    """A match condition every public client meets: `Any`, an IPMatch covering the Internet, or a negated IPMatch
    of addresses no public client has (the shipped `not 255.255.255.255/32`)."""
    operator = _text(get(condition, "operator")).strip().lower()
    negated = truthy(get(condition, "negationConditon")) or truthy(get(condition, "negationCondition"))
    if operator == "any":
        return not negated
    if operator != "ipmatch":
        return False
    values = [as_text(v) for v in items(get(condition, "matchValues"))[:1000]]
    return not public_ranges(values) if negated else covers_internet(values)


def _rate_scope_problem(rule: Any) -> str | None:
    """Why a rate-limit rule does not limit each client: it counts all clients together, or only some requests."""
    variables = [_text(get(v, "variableName")).strip().lower() for group in items(get(rule, "groupByUserSession"))[:100]
                 for v in items(get(group, "groupByVariables"))[:100]]
    if "clientaddr" not in variables and "socketaddr" not in variables:
        shown = ", ".join(variables) or "unset"
        return f"groupByUserSession groups by {shown}: every client shares one counter (group by ClientAddr)"
    for index, condition in enumerate(items(get(rule, "matchConditions"))[:100]):
        if not _matches_every_client(condition):
            names = ", ".join(_text(get(v, "variableName")) for v in items(get(condition, "matchVariables"))[:5])
            return (f"matchConditions[{index}] ({names} {_text(get(condition, 'operator'))} "
                    f"{cut(get(condition, 'matchValues'), 80)}) limits it to the requests that condition matches")
    return None


@stack_rule(waf)
def azure_waf_prevention(stack: Stack) -> Iterator[tuple[str, str | None]]:
    policies = of(stack, WAF_POLICY)
    for policy in policies:
        yield INDEPENDENT  # each policy is judged on its own settings
        for message in waf_policy_findings(policy.props):
            yield message, policy.urn
    for gateway in of(stack, APP_GATEWAY):
        yield INDEPENDENT
        for message in _gateway_findings(gateway, policies):
            yield message, gateway.urn


# Where a gateway names WAF policies: the gateway itself, and per listener or path rule (which override it).
LISTENER_POLICIES = ("httpListeners", "urlPathMaps")


def _gateway_findings(gateway: PolicyResource, policies: list[PolicyResource]) -> Iterator[str]:
    """The gateway is WAF_v2 and every WAF policy it applies (its own, per listener, per path) is one of this
    stack's, proved by the id it carries: a policy the pack does not see is in no known mode."""
    props = gateway.props
    tier = get(props, "sku", "tier")
    if _text(tier).strip().lower() != "waf_v2":
        yield f"sku tier is {_text(tier)} (need WAF_v2)"
    policy_id = get(props, "firewallPolicy", "id")
    if not policy_id:
        legacy = mapping(get(props, "webApplicationFirewallConfiguration"))
        if not truthy(get(legacy, "enabled")) or _text(get(legacy, "firewallMode")).strip().lower() != "prevention":
            yield (f"no WAF policy is attached (firewallPolicy.id unset; webApplicationFirewallConfiguration enabled "
                   f"{_text(get(legacy, 'enabled')).lower()}, firewallMode {_text(get(legacy, 'firewallMode'))})")
    elif not refers_to(gateway, "firewallPolicy", policy_id, policies, "policyName", "name"):
        yield (f"firewallPolicy.id {cut(policy_id)} names no WAF policy of this stack: its mode and rules are not "
               "verified")
    for collection in LISTENER_POLICIES:
        for index, entry in enumerate(items(get(props, collection))[:1000]):
            places = [(f"{collection}[{index}]", entry)]
            places += [(f"{collection}[{index}].pathRules[{j}]", rule)
                       for j, rule in enumerate(items(get(entry, "pathRules"))[:1000])]
            for label, place in places:
                value = get(place, "firewallPolicy", "id")
                if value and not any(names_azure(value, p, "policyName", "name") for p in policies):
                    yield (f"{label} ({cut(get(place, 'name', default='?'))}) firewallPolicy.id {cut(value)} names no "
                           "WAF policy of this stack: requests it serves skip the gateway's policy")


def waf_policy_findings(props: Any) -> Iterator[str]:
    settings = mapping(get(props, "policySettings"))
    mode = get(settings, "mode")
    if _text(mode).strip().lower() != "prevention":
        yield f"policySettings.mode is {_text(mode) if mode is not None else 'unset (defaults to Detection)'}"
    state = get(settings, "state")
    if state is not None and _text(state).strip().lower() != "enabled":
        yield f"policySettings.state is {_text(state)} (the policy is disabled)"
    body = get(settings, "requestBodyCheck")
    if is_false(body):
        yield f"policySettings.requestBodyCheck is {_text(body).lower()} (request bodies are not inspected)"
    rule_sets = items(get(props, "managedRules", "managedRuleSets"))[:100]
    sets = [_text(get(r, "ruleSetType", default="")).strip().lower() for r in rule_sets]
    if not any(t in ("owasp", "microsoft_defaultruleset") for t in sets):
        present = ", ".join(_text(get(r, "ruleSetType", default="?")) for r in rule_sets[:5]) or "none"
        yield f"no OWASP / Microsoft_DefaultRuleSet managed rule set (managedRules.managedRuleSets: {present})"
    for i, rule_set in enumerate(rule_sets):
        for j, group in enumerate(items(get(rule_set, "ruleGroupOverrides"))[:1000]):
            if not items(get(group, "rules")):
                # An override that lists no rule disables every rule of its group.
                yield (f"managedRuleSets[{i}].ruleGroupOverrides[{j}] ({cut(get(group, 'ruleGroupName', default='?'))}) "
                       "lists no rules: every rule of the group is disabled")
            for k, rule in enumerate(items(get(group, "rules"))[:1000]):
                state = _text(get(rule, "state", default="Enabled"))
                action = _text(get(rule, "action", default="AnomalyScoring"))
                if state.strip().lower() == "disabled" or action.strip().lower() in ("log", "allow"):
                    yield (f"managedRuleSets[{i}].ruleGroupOverrides[{j}] ({cut(get(group, 'ruleGroupName', default='?'))}) "
                           f"rules[{k}] {cut(get(rule, 'ruleId', default='?'))} is state {state}, action {action}")
    for i, exclusion in enumerate(items(get(props, "managedRules", "exclusions"))[:100]):
        operator, selector = get(exclusion, "selectorMatchOperator", default=""), get(exclusion, "selector", default="")
        yield (f"managedRules.exclusions[{i}] exempts {cut(get(exclusion, 'matchVariable', default='?'))} "
               f"{cut(operator)} {cut(selector)}".rstrip())
    custom = items(get(props, "customRules"))[:1000]
    for i, rule in enumerate(custom):
        # Custom rules run before the managed rule sets: an Allow lets what it matches skip them.
        if _text(get(rule, "action")).strip().lower() == "allow" and \
                _text(get(rule, "state", default="Enabled")).strip().lower() == "enabled":
            yield (f"customRules[{i}] ({_text(get(rule, 'name', default='?'))}) action is Allow: requests it matches "
                   "skip the managed rule sets")
    # Whether some rule limits each client weighs every custom rule: a blind one withholds the verdict.
    yield from judged_together(lambda: _rate_limit_findings(custom), props)


def _rate_limit_findings(custom: Any) -> Iterator[str]:
    rate_rules = [r for r in custom if _text(get(r, "ruleType")).lower() == "ratelimitrule"
                  and _text(get(r, "action")).lower() == "block"
                  and _text(get(r, "state", default="Enabled")).lower() == "enabled"]
    per_client = []
    for rule in rate_rules:
        problem = _rate_scope_problem(rule)
        if problem:
            yield f"RateLimitRule {_text(get(rule, 'name', default='?'))} {problem}"
        else:
            per_client.append(rule)
    rate_rules = per_client
    for rule in rate_rules:
        threshold = number(get(rule, "rateLimitThreshold"))
        if threshold is not None and threshold > MAX_RATE_LIMIT:
            yield (f"RateLimitRule {_text(get(rule, 'name', default='?'))} rateLimitThreshold is {int(threshold)}: "
                   f"no single client ever reaches it (at most {MAX_RATE_LIMIT})")
    if not any((number(get(r, "rateLimitThreshold")) or 0) <= MAX_RATE_LIMIT for r in rate_rules):
        yield "no blocking RateLimitRule"


POLICIES = [azure_aks_access, azure_aks_network_policy, azure_pg_private_tls, azure_pg_resilience,
            azure_redis_tls_private, azure_keyvault_hardened, azure_nsg_no_internet_admin, azure_waf_prevention]
