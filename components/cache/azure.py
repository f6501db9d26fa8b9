"""Azure Managed Redis (Redis Enterprise stack): OSS-clustered database, TLS-only client protocol,
TLS 1.2 minimum, high availability, reachable only through a private endpoint."""

from __future__ import annotations

import pulumi
import pulumiverse_time as time
from pulumi_azure_native import network, redisenterprise

from components.cache.contract import CacheArgs, RedisCluster, RedisOutputs, credentials_secret
from components.cluster.azure import aks_foundation
from components.config import ConfigError, stack_file
from components.secrets.azure import vault_secret

PORT = 10000
"""Azure Managed Redis serves TLS on 10000 (no plaintext port exists with the Encrypted protocol)."""
DATABASE_NAME = "default"
"""Azure Managed Redis hosts exactly one database, which must be named `default`."""
VAULT_SECRET = "cache-access-key"
REDIS_GROUP_ID = "redisEnterprise"

PRIMARY_SHARDS: dict[str, int] = {
    # Azure Managed Redis: primary shards per SKU (Microsoft's "sharding configuration" table for the
    # in-memory tiers). The service picks the count from the SKU; the requirement's "3 masters"
    # means a SKU with at least 3 primary shards.
    "Balanced_B0": 1, "Balanced_B1": 1, "Balanced_B3": 2, "Balanced_B5": 2, "Balanced_B10": 4, "Balanced_B20": 6,
    "Balanced_B50": 12, "Balanced_B100": 24,
    "MemoryOptimized_M10": 2, "MemoryOptimized_M20": 4, "MemoryOptimized_M50": 6, "MemoryOptimized_M100": 12,
    "ComputeOptimized_X3": 2, "ComputeOptimized_X5": 4, "ComputeOptimized_X10": 6, "ComputeOptimized_X20": 12,
    "ComputeOptimized_X50": 24, "ComputeOptimized_X100": 48,
}


def primary_shards(sku: str, wanted: int) -> int:
    """The SKU's primary shard count, or a one-line ConfigError when it is unknown or too small."""
    where = f"{stack_file(pulumi.get_stack())}: orchestrator:cache.azure.skuName"
    shards = PRIMARY_SHARDS.get(sku)
    if shards is None:
        raise ConfigError(f"{where} is '{sku}'; use one of {', '.join(PRIMARY_SHARDS)} (shard counts known to this program)")
    if shards < wanted:
        bigger = [name for name, count in PRIMARY_SHARDS.items() if count >= wanted]
        raise ConfigError(
            f"{where} is '{sku}' ({shards} primary shards); cache.shards asks for {wanted}: use e.g. {', '.join(bigger[:3])}"
        )
    return shards


class ManagedRedis(RedisCluster):
    """Access keys (not Entra ID tokens) authenticate the app: the platform-neutral contract hands the
    app host, port and password, and the same client code then runs on every platform. The key is read
    from Azure (`listDatabaseKeys`) as a secret, copied to Key Vault with an expiry and to the app's Secret."""

    cluster: redisenterprise.RedisEnterprise
    database: redisenterprise.Database
    shards: int

    def __init__(self, name: str, args: CacheArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(name, args, opts)
        config = args.config
        cache = config.cache
        self.shards = primary_shards(cache.azure.sku_name, cache.shards)
        foundation = aks_foundation(args.foundation)
        rg = foundation.resource_group_name
        protect = foundation.protect
        tags = foundation.tags

        self.cluster = redisenterprise.RedisEnterprise(
            f"{name}-redis",
            resource_group_name=rg,
            sku=redisenterprise.SkuArgs(name=cache.azure.sku_name),
            high_availability="Enabled",
            minimum_tls_version="1.2",
            public_network_access="Disabled",
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self, protect=protect),
        )
        self.database = redisenterprise.Database(
            f"{name}-database",
            resource_group_name=rg,
            cluster_name=self.cluster.name,
            database_name=DATABASE_NAME,
            client_protocol="Encrypted",
            clustering_policy="OSSCluster",
            port=PORT,
            eviction_policy="VolatileLRU",
            access_keys_authentication="Enabled",
            persistence=redisenterprise.PersistenceArgs(rdb_enabled=True, rdb_frequency="1h")
            if config.is_production else None,
            opts=pulumi.ResourceOptions(parent=self, protect=protect),
        )
        endpoint = network.PrivateEndpoint(
            f"{name}-endpoint",
            resource_group_name=rg,
            subnet=network.SubnetArgs(id=foundation.network.subnet_ids["endpoints"]),
            private_link_service_connections=[network.PrivateLinkServiceConnectionArgs(
                name="redis", private_link_service_id=self.cluster.id, group_ids=[REDIS_GROUP_ID],
            )],
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self),
        )
        network.PrivateDnsZoneGroup(
            f"{name}-endpoint-dns",
            resource_group_name=rg,
            private_endpoint_name=endpoint.name,
            private_dns_zone_configs=[network.PrivateDnsZoneConfigArgs(
                name="redis", private_dns_zone_id=foundation.network.redis_dns_zone_id,
            )],
            opts=pulumi.ResourceOptions(parent=self),
        )

        keys = redisenterprise.list_database_keys_output(
            resource_group_name=rg, cluster_name=self.cluster.name, database_name=self.database.name,
            opts=pulumi.InvokeOutputOptions(parent=self),
        )
        access_key: pulumi.Output[str] = pulumi.Output.secret(keys.apply(lambda listed: str(listed.primary_key)))
        expiry = time.Rotating(
            f"{name}-key-expiry", rotation_days=cache.azure.key_expiry_days, opts=pulumi.ResourceOptions(parent=self)
        )
        vault_secret(
            f"{name}-access-key-secret", vault=foundation.vault, resource_group_name=rg, secret_name=VAULT_SECRET,
            value=access_key, expires_rfc3339=expiry.rotation_rfc3339, tags=tags,
            opts=pulumi.ResourceOptions(parent=self, protect=protect),
        )
        host = self.cluster.host_name
        credentials = credentials_secret(
            name, namespace=args.app_namespace, host=host, port=PORT, password=access_key,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.outputs = RedisOutputs(
            endpoint=host,
            port=pulumi.Output.from_input(PORT),
            tls=pulumi.Output.from_input(True),
            credentials_secret=credentials.metadata.name,
            egress_peers=pulumi.Output.from_input([{"ipBlock": {"cidr": foundation.plan.endpoints}}]),
        )
        out = self.outputs
        self.register_outputs({
            "endpoint": out.endpoint, "port": out.port, "tls": out.tls, "credentialsSecret": out.credentials_secret,
            "egressPeers": out.egress_peers, "primaryShards": self.shards,
        })
