"""Azure Key Vault: RBAC-authorized, purge-protected, reachable only through a private endpoint,
and the expiring secrets the data tier stores in it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pulumi
import pulumi_random as random
from pulumi_azure_native import keyvault, network

VAULT_GROUP_ID = "vault"
SOFT_DELETE_RETENTION_DAYS = 90


@dataclass(frozen=True, kw_only=True)
class KeyVaultArgs:
    resource_group_name: pulumi.Input[str]
    tenant_id: pulumi.Input[str]
    endpoint_subnet_id: pulumi.Input[str]
    dns_zone_id: pulumi.Input[str]
    tags: dict[str, str]
    protect: bool
    """Production: the vault cannot be deleted by `pulumi destroy` (purge protection guards the rest)."""


class KeyVaultStore(pulumi.ComponentResource):
    """The stack's Key Vault. Secrets are written through Azure Resource Manager (the control plane),
    so the deployment needs no data-plane network path and public access stays disabled."""

    vault_name: pulumi.Output[str]
    vault_id: pulumi.Output[str]
    vault_uri: pulumi.Output[str]

    def __init__(self, name: str, args: KeyVaultArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("orchestrator:secrets:KeyVaultStore", name, None, opts)
        # Vault names are global and at most 24 characters: too short for auto-naming's suffix.
        suffix = random.RandomString(f"{name}-suffix", length=8, special=False, upper=False,
                                     opts=pulumi.ResourceOptions(parent=self))
        vault = keyvault.Vault(
            f"{name}-vault",
            resource_group_name=args.resource_group_name,
            vault_name=suffix.result.apply(lambda text: f"orch-kv-{text}"),
            tags=args.tags,
            properties=keyvault.VaultPropertiesArgs(
                tenant_id=args.tenant_id,
                sku=keyvault.SkuArgs(family=keyvault.SkuFamily.A, name=keyvault.SkuName.STANDARD),
                enable_rbac_authorization=True,
                enable_soft_delete=True,
                soft_delete_retention_in_days=SOFT_DELETE_RETENTION_DAYS,
                enable_purge_protection=True,
                public_network_access="Disabled",
                network_acls=keyvault.NetworkRuleSetArgs(default_action="Deny", bypass="None"),
                enabled_for_deployment=False,
                enabled_for_disk_encryption=False,
                enabled_for_template_deployment=False,
            ),
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
        )
        endpoint = network.PrivateEndpoint(
            f"{name}-endpoint",
            resource_group_name=args.resource_group_name,
            subnet=network.SubnetArgs(id=args.endpoint_subnet_id),
            private_link_service_connections=[network.PrivateLinkServiceConnectionArgs(
                name="vault", private_link_service_id=vault.id, group_ids=[VAULT_GROUP_ID],
            )],
            tags=args.tags,
            opts=pulumi.ResourceOptions(parent=self),
        )
        network.PrivateDnsZoneGroup(
            f"{name}-endpoint-dns",
            resource_group_name=args.resource_group_name,
            private_endpoint_name=endpoint.name,
            private_dns_zone_configs=[network.PrivateDnsZoneConfigArgs(name="vault", private_dns_zone_id=args.dns_zone_id)],
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.vault_name = vault.name
        self.vault_id = vault.id
        self.vault_uri = vault.properties.apply(lambda p: p.vault_uri)
        self.register_outputs({"vaultName": self.vault_name, "vaultId": self.vault_id, "vaultUri": self.vault_uri})


def rfc3339_to_unix(stamp: str) -> int:
    """`2026-04-01T00:00:00Z` -> seconds since the epoch (Key Vault's `expires` attribute)."""
    return int(datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp())


def vault_secret(
    name: str,
    *,
    vault: KeyVaultStore,
    resource_group_name: pulumi.Input[str],
    secret_name: str,
    value: pulumi.Output[str],
    expires_rfc3339: pulumi.Output[str],
    tags: dict[str, str],
    opts: pulumi.ResourceOptions,
) -> keyvault.Secret:
    """A Key Vault secret holding `value` (kept a secret Output) that expires at `expires_rfc3339`."""
    return keyvault.Secret(
        name,
        resource_group_name=resource_group_name,
        vault_name=vault.vault_name,
        secret_name=secret_name,
        tags=tags,
        properties=keyvault.SecretPropertiesArgs(
            value=pulumi.Output.secret(value),
            content_type="text/plain",
            attributes=keyvault.SecretAttributesArgs(enabled=True, expires=expires_rfc3339.apply(rfc3339_to_unix)),
        ),
        opts=opts,
    )
