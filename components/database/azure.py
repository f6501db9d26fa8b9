"""Azure Database for PostgreSQL Flexible Server: a zone-redundant primary and read replicas, private
access through the delegated subnet, TLS 1.2+ only, geo-redundant backups in production."""

from __future__ import annotations

import pulumi
import pulumi_random as random
import pulumiverse_time as time
from pulumi_azure_native import dbforpostgresql

from components.cluster.azure import ZONES, aks_foundation
from components.config import ConfigError, stack_file
from components.database.contract import (
    DatabaseArgs,
    PostgresCluster,
    PostgresOutputs,
    credentials_secret,
)
from components.secrets.azure import vault_secret

PORT = 5432
SSL_MODE = "verify-full"
VAULT_SECRET = "database-admin-password"
SERVER_PARAMETERS: dict[str, str] = {
    "require_secure_transport": "on",
    "ssl_min_protocol_version": "TLSv1.2",
}
"""Applied to the primary and every replica (replicas keep their own server parameters)."""


class FlexiblePostgres(PostgresCluster):
    """One primary plus `database.replicas` read replicas (`create_mode=Replica` of the primary)."""

    primary: dbforpostgresql.Server
    replicas: list[dbforpostgresql.Server]

    def __init__(self, name: str, args: DatabaseArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(name, args, opts)
        config = args.config
        db = config.database
        foundation = aks_foundation(args.foundation)
        if config.is_production and not (db.azure.zone_redundant_ha and db.azure.geo_redundant_backup):
            raise ConfigError(
                f"{stack_file(pulumi.get_stack())}: orchestrator:database.azure: production needs zoneRedundantHa and "
                "geoRedundantBackup set to true"
            )
        rg = foundation.resource_group_name
        protect = foundation.protect
        tags = foundation.tags

        rotation = time.Rotating(f"{name}-password-rotation", rotation_days=db.azure.password_rotation_days,
                                 opts=pulumi.ResourceOptions(parent=self))
        # Flexible Server wants three of: upper, lower, digit, symbol. The symbols are URI-safe.
        password = random.RandomPassword(
            f"{name}-admin-password", length=32, special=True, override_special="-_.~", min_upper=2, min_lower=2,
            min_numeric=2, min_special=2,
            # A new password once the rotation date has passed (at the next `pulumi up`).
            keepers={"rotation": rotation.rfc3339},
            opts=pulumi.ResourceOptions(parent=self),
        )
        network = dbforpostgresql.NetworkArgs(
            delegated_subnet_resource_id=foundation.network.subnet_ids["postgres"],
            private_dns_zone_arm_resource_id=foundation.network.postgres_dns_zone_id,
            public_network_access="Disabled",
        )
        sku = dbforpostgresql.SkuArgs(name=db.azure.sku_name, tier="GeneralPurpose")
        storage = dbforpostgresql.StorageArgs(storage_size_gb=db.storage_gb, auto_grow="Enabled", type="Premium_LRS")
        self.primary = dbforpostgresql.Server(
            f"{name}-primary",
            resource_group_name=rg,
            create_mode="Create",
            version=db.engine_version.split(".")[0],
            sku=sku,
            storage=storage,
            administrator_login=db.username,
            administrator_login_password=password.result,
            auth_config=dbforpostgresql.AuthConfigArgs(
                password_auth="Enabled", active_directory_auth="Enabled", tenant_id=foundation.tenant_id
            ),
            availability_zone=ZONES[0],
            high_availability=dbforpostgresql.HighAvailabilityArgs(mode="ZoneRedundant", standby_availability_zone=ZONES[1])
            if db.azure.zone_redundant_ha else dbforpostgresql.HighAvailabilityArgs(mode="Disabled"),
            backup=dbforpostgresql.BackupArgs(
                backup_retention_days=db.backup_retention_days,
                geo_redundant_backup="Enabled" if db.azure.geo_redundant_backup else "Disabled",
            ),
            network=network,
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self, protect=protect),
        )
        primary_settings = self._parameters(f"{name}-primary", self.primary, rg)
        database = dbforpostgresql.Database(
            f"{name}-database", resource_group_name=rg, server_name=self.primary.name, database_name=db.name,
            charset="UTF8", collation="en_US.utf8",
            opts=pulumi.ResourceOptions(parent=self, protect=protect, depends_on=primary_settings),
        )

        self.replicas = []
        previous: list[pulumi.Resource] = [*primary_settings, database]
        for index in range(1, db.replicas + 1):
            replica = dbforpostgresql.Server(
                f"{name}-replica-{index}",
                resource_group_name=rg,
                create_mode="Replica",
                source_server_resource_id=self.primary.id,
                sku=sku,
                storage=storage,
                availability_zone=ZONES[index % len(ZONES)],
                network=network,
                tags=tags,
                # The primary accepts one replica creation at a time; wait for its parameters too.
                opts=pulumi.ResourceOptions(parent=self, protect=protect, depends_on=previous),
            )
            settings = self._parameters(f"{name}-replica-{index}", replica, rg)
            self.replicas.append(replica)
            previous = [replica, *settings]

        vault_secret(
            f"{name}-admin-password-secret", vault=foundation.vault, resource_group_name=rg, secret_name=VAULT_SECRET,
            value=password.result, expires_rfc3339=rotation.rotation_rfc3339, tags=tags,
            opts=pulumi.ResourceOptions(parent=self, protect=protect),
        )
        credentials = credentials_secret(
            name, namespace=args.app_namespace, host=self.primary.fully_qualified_domain_name, port=PORT,
            database=database.name, username=db.username, password=password.result, ssl_mode=SSL_MODE,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.outputs = PostgresOutputs(
            primary_host=self.primary.fully_qualified_domain_name,
            # Flexible Server has no load-balanced reader name: the first replica serves reads, the
            # others are listed in `replicaHosts` (and take over if it is promoted).
            reader_host=self.replicas[0].fully_qualified_domain_name,
            port=pulumi.Output.from_input(PORT),
            database=database.name,
            credentials_secret=credentials.metadata.name,
            ssl_mode=pulumi.Output.from_input(SSL_MODE),
            egress_peers=pulumi.Output.from_input([{"ipBlock": {"cidr": foundation.plan.postgres}}]),
        )
        out = self.outputs
        self.register_outputs({
            "primaryHost": out.primary_host, "readerHost": out.reader_host, "port": out.port, "database": out.database,
            "credentialsSecret": out.credentials_secret, "sslMode": out.ssl_mode, "egressPeers": out.egress_peers,
            "replicaHosts": [replica.fully_qualified_domain_name for replica in self.replicas],
            "primaryId": self.primary.id,
        })

    def _parameters(self, prefix: str, server: dbforpostgresql.Server, rg: pulumi.Input[str]) -> list[pulumi.Resource]:
        """TLS-only server parameters, one after the other (the server refuses concurrent updates)."""
        created: list[pulumi.Resource] = []
        for parameter, value in SERVER_PARAMETERS.items():
            created.append(dbforpostgresql.Configuration(
                f"{prefix}-{parameter.replace('_', '-')}",
                resource_group_name=rg, server_name=server.name, configuration_name=parameter, value=value,
                source="user-override",
                opts=pulumi.ResourceOptions(parent=self, depends_on=list(created)),
            ))
        return created
