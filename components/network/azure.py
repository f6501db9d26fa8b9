"""Azure VNet: subnets for AKS nodes, the Application Gateway, PostgreSQL (delegated) and private
endpoints; an NSG on every subnet; private DNS zones linked to the VNet."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

import pulumi
from pulumi_azure_native import network, privatedns

from components.config import NetworkConfig

ADMIN_AND_DATA_PORTS: tuple[str, ...] = ("22", "3389", "5432", "6379", "10000")
"""SSH, RDP, PostgreSQL, Redis and Azure Managed Redis: never reachable from the Internet."""
POSTGRES_DELEGATION = "Microsoft.DBforPostgreSQL/flexibleServers"
REDIS_DNS_ZONE = "privatelink.redis.azure.net"
VAULT_DNS_ZONE = "privatelink.vaultcore.azure.net"
POSTGRES_DNS_SUFFIX = ".private.postgres.database.azure.com"


@dataclass(frozen=True)
class AzureSubnetPlan:
    """Deterministic carving of the VNet range, so every component knows the CIDRs without lookups."""

    nodes: str
    """AKS nodes (CNI overlay: pods take addresses outside the VNet, so a quarter is plenty)."""
    gateway: str
    """Application Gateway v2 (a dedicated subnet is mandatory)."""
    postgres: str
    """Delegated to Flexible Server."""
    endpoints: str
    """Private endpoints (Key Vault, Redis)."""

    @property
    def edge_address(self) -> str:
        """A fixed internal load-balancer address for HAProxy, at the top of the node subnet
        (AKS hands node addresses out from the bottom), so the gateway's backend never moves."""
        block = ipaddress.ip_network(self.nodes)
        return str(block.broadcast_address - 10)


def plan_subnets(cidr: str) -> AzureSubnetPlan:
    vnet = ipaddress.IPv4Network(cidr)
    quarters = list(vnet.subnets(prefixlen_diff=2))
    # The second quarter holds the small subnets: /24s, which a /20 VNet's /22 quarter still fits.
    small = list(quarters[1].subnets(new_prefix=max(24, quarters[1].prefixlen)))
    if len(small) < 3:
        small = list(quarters[1].subnets(prefixlen_diff=2))
    return AzureSubnetPlan(nodes=str(quarters[0]), gateway=str(small[0]), postgres=str(small[1]), endpoints=str(small[2]))


def _deny_internet_rules(first_priority: int) -> list[network.SecurityRuleArgs]:
    # Explicit denies (not only the implicit default) so the intent survives any later allow rule
    # with a lower priority number and is visible to the policy pack.
    return [
        network.SecurityRuleArgs(
            name=f"deny-internet-{port}", priority=first_priority + index, direction="Inbound", access="Deny",
            protocol="*", source_address_prefix="Internet", source_port_range="*",
            destination_address_prefix="*", destination_port_range=port,
            description=f"No Internet ingress to port {port}",
        )
        for index, port in enumerate(ADMIN_AND_DATA_PORTS)
    ]


def _allow(name: str, priority: int, source: str, ports: list[str], description: str) -> network.SecurityRuleArgs:
    return network.SecurityRuleArgs(
        name=name, priority=priority, direction="Inbound", access="Allow", protocol="Tcp",
        source_address_prefix=source, source_port_range="*", destination_address_prefix="*",
        destination_port_ranges=ports, description=description,
    )


def security_rules(plan: AzureSubnetPlan) -> dict[str, list[network.SecurityRuleArgs]]:
    """The inbound rules of each subnet's NSG (allows first, then the explicit Internet denies)."""
    return {
        "nodes": [
            _allow("allow-gateway-https", 100, plan.gateway, ["443"], "Application Gateway to HAProxy's internal LB"),
            *_deny_internet_rules(200),
        ],
        "gateway": [
            # Required by Application Gateway v2: infrastructure health on 65200-65535 and the
            # Azure load balancer probe; the public listeners on 443 and 80 (80 only redirects).
            _allow("allow-gateway-manager", 100, "GatewayManager", ["65200-65535"], "Application Gateway v2 infrastructure"),
            _allow("allow-azure-load-balancer", 110, "AzureLoadBalancer", ["*"], "Azure load balancer health probes"),
            _allow("allow-internet-https", 120, "Internet", ["443"], "Public HTTPS listener"),
            _allow("allow-internet-http-redirect", 130, "Internet", ["80"], "HTTP listener that only redirects to HTTPS"),
            *_deny_internet_rules(200),
        ],
        "postgres": [
            _allow("allow-nodes-postgres", 100, plan.nodes, ["5432"], "AKS nodes to PostgreSQL"),
            _allow("allow-postgres-peers", 110, plan.postgres, ["*"], "Replication and HA between the servers"),
            *_deny_internet_rules(200),
            network.SecurityRuleArgs(
                name="deny-vnet-postgres", priority=300, direction="Inbound", access="Deny", protocol="*",
                source_address_prefix="VirtualNetwork", source_port_range="*", destination_address_prefix="*",
                destination_port_range="5432", description="Only the node subnet reaches PostgreSQL",
            ),
        ],
        "endpoints": [
            _allow("allow-nodes-endpoints", 100, plan.nodes, ["443", "10000"], "AKS nodes to Key Vault and Redis"),
            _allow("allow-gateway-vault", 110, plan.gateway, ["443"], "Application Gateway reads its certificate"),
            *_deny_internet_rules(200),
        ],
    }


@dataclass(frozen=True, kw_only=True)
class AzureNetworkArgs:
    config: NetworkConfig
    resource_group_name: pulumi.Input[str]
    tags: dict[str, str]
    dns_label: str
    """Prefix of the PostgreSQL private DNS zone (`<label>.private.postgres.database.azure.com`)."""


class AzureNetwork(pulumi.ComponentResource):
    """VNet, four subnets each with its NSG, and the private DNS zones the data tier resolves through."""

    plan: AzureSubnetPlan
    vnet_id: pulumi.Output[str]
    subnet_ids: dict[str, pulumi.Output[str]]
    """Keyed by `nodes`, `gateway`, `postgres`, `endpoints`."""
    postgres_dns_zone_id: pulumi.Output[str]
    redis_dns_zone_id: pulumi.Output[str]
    vault_dns_zone_id: pulumi.Output[str]

    def __init__(self, name: str, args: AzureNetworkArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("orchestrator:network:AzureNetwork", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        rg = args.resource_group_name
        self.plan = plan_subnets(args.config.cidr)
        vnet = network.VirtualNetwork(
            f"{name}-vnet", resource_group_name=rg, tags=args.tags,
            address_space=network.AddressSpaceArgs(address_prefixes=[args.config.cidr]), opts=child,
        )
        self.vnet_id = vnet.id
        rules = security_rules(self.plan)
        cidrs = {"nodes": self.plan.nodes, "gateway": self.plan.gateway, "postgres": self.plan.postgres,
                 "endpoints": self.plan.endpoints}
        self.subnet_ids = {}
        previous: pulumi.Resource | None = None
        for role, cidr in cidrs.items():
            nsg = network.NetworkSecurityGroup(
                f"{name}-{role}-nsg", resource_group_name=rg, tags=args.tags, security_rules=rules[role], opts=child
            )
            subnet = network.Subnet(
                f"{name}-{role}", resource_group_name=rg, virtual_network_name=vnet.name, address_prefix=cidr,
                network_security_group=network.NetworkSecurityGroupArgs(id=nsg.id),
                delegations=[network.DelegationArgs(name="postgres", service_name=POSTGRES_DELEGATION)]
                if role == "postgres" else None,
                # NSGs apply to private endpoints only with network policies enabled on the subnet.
                private_endpoint_network_policies="Enabled" if role == "endpoints" else None,
                # No implicit outbound Internet address: egress goes through the AKS load balancer.
                default_outbound_access=False,
                # Azure serializes subnet writes on one VNet: creating them in parallel fails with
                # AnotherOperationInProgress, hence the chain.
                opts=pulumi.ResourceOptions(parent=self, depends_on=[previous] if previous else []),
            )
            previous = subnet
            self.subnet_ids[role] = subnet.id

        zone_ids: dict[str, pulumi.Output[str]] = {}
        for role, zone_name in (("postgres", f"{args.dns_label}{POSTGRES_DNS_SUFFIX}"), ("redis", REDIS_DNS_ZONE),
                                ("vault", VAULT_DNS_ZONE)):
            zone = privatedns.PrivateZone(
                f"{name}-{role}-dns", resource_group_name=rg, private_zone_name=zone_name, location="global",
                tags=args.tags, opts=child,
            )
            privatedns.VirtualNetworkLink(
                f"{name}-{role}-dns-link", resource_group_name=rg, private_zone_name=zone.name, location="global",
                virtual_network=privatedns.SubResourceArgs(id=vnet.id), registration_enabled=False, tags=args.tags,
                opts=child,
            )
            zone_ids[role] = zone.id
        self.postgres_dns_zone_id = zone_ids["postgres"]
        self.redis_dns_zone_id = zone_ids["redis"]
        self.vault_dns_zone_id = zone_ids["vault"]
        self.register_outputs({
            "vnetId": self.vnet_id,
            "subnetIds": self.subnet_ids,
            "subnetCidrs": cidrs,
            "postgresDnsZoneId": self.postgres_dns_zone_id,
        })
