"""The azure-native (and time) emulation answers as the providers do: ARM ids, auto-names, FQDNs,
credential lists with base64 kubeconfigs, access keys, client config."""

from __future__ import annotations

import base64
import re

import pulumi
import pulumiverse_time as time
import pytest
from pulumi_azure_native import authorization, containerservice, dbforpostgresql, keyvault, network, redisenterprise, resources

from components.network.azure import plan_subnets
from offline.runner.mocks.azure import SUBSCRIPTION_ID, TENANT_ID
from offline.runner.program import ProgramResult, run_program
from offline.runner.stacks import StackSpec
from tests.helpers import one, plain

SPEC = StackSpec(name="unit", project="orchestrator", config={"azure-native:location": "westeurope"})
ARM_ID = re.compile(
    r"^/subscriptions/[0-9a-f-]{36}/resourceGroups/[^/]+/providers/[A-Za-z.]+/[A-Za-z]+/[^/]+(/[A-Za-z]+/[^/]+)*$"
)


def _program() -> None:
    group = resources.ResourceGroup("rg")
    vnet = network.VirtualNetwork("vnet", resource_group_name=group.name,
                                  address_space=network.AddressSpaceArgs(address_prefixes=["10.1.0.0/16"]))
    network.Subnet("sub", resource_group_name=group.name, virtual_network_name=vnet.name, address_prefix="10.1.0.0/24")
    for name, private in (("private", True), ("public", False)):
        cluster = containerservice.ManagedCluster(
            f"aks-{name}", resource_group_name=group.name, dns_prefix=f"dns-{name}",
            identity=containerservice.ManagedClusterIdentityArgs(type=containerservice.ResourceIdentityType.SYSTEM_ASSIGNED),
            api_server_access_profile=containerservice.ManagedClusterAPIServerAccessProfileArgs(enable_private_cluster=private),
            oidc_issuer_profile=containerservice.ManagedClusterOIDCIssuerProfileArgs(enabled=True),
        )
        creds = containerservice.list_managed_cluster_user_credentials_output(
            resource_group_name=group.name, resource_name=cluster.name, format="exec")
        pulumi.export(f"kubeconfig-{name}", creds.kubeconfigs[0].value)
        pulumi.export(f"issuer-{name}", cluster.oidc_issuer_profile.apply(lambda p: p.issuer_url if p else None))
    primary = dbforpostgresql.Server("pg", resource_group_name=group.name, create_mode="Create", version="16")
    dbforpostgresql.Server("pg-replica", resource_group_name=group.name, create_mode="Replica",
                           source_server_resource_id=primary.id)
    redis = redisenterprise.RedisEnterprise("redis", resource_group_name=group.name,
                                            sku=redisenterprise.SkuArgs(name="Balanced_B10"), public_network_access="Disabled")
    database = redisenterprise.Database("redis-db", resource_group_name=group.name, cluster_name=redis.name,
                                        database_name="default")
    keys = redisenterprise.list_database_keys_output(resource_group_name=group.name, cluster_name=redis.name,
                                                     database_name=database.name)
    pulumi.export("redisKeys", keys.apply(lambda k: [k.primary_key, k.secondary_key]))
    vault = keyvault.Vault("kv", resource_group_name=group.name, vault_name="kv-unit",
                           properties=keyvault.VaultPropertiesArgs(tenant_id=TENANT_ID, sku=keyvault.SkuArgs(
                               family=keyvault.SkuFamily.A, name=keyvault.SkuName.STANDARD)))
    pulumi.export("vaultUri", vault.properties.apply(lambda p: p.vault_uri))
    keyvault.Secret("kv-secret", resource_group_name=group.name, vault_name=vault.name, secret_name="s1",
                    properties=keyvault.SecretPropertiesArgs(value=pulumi.Output.secret("hunter2-unit")))
    rotation = time.Rotating("rotation", rotation_days=30)
    pulumi.export("rotation", pulumi.Output.all(rotation.rfc3339, rotation.rotation_rfc3339))
    client = authorization.get_client_config_output()
    pulumi.export("client", client.apply(lambda c: [c.subscription_id, c.tenant_id]))


@pytest.fixture(scope="module")
def result() -> ProgramResult:
    return run_program(SPEC, entry=_program)


def test_resource_group_and_children_have_arm_ids_and_azure_native_autonames(result: ProgramResult) -> None:
    group = one(result, "azure-native:resources:ResourceGroup")
    assert re.fullmatch(r"rg[0-9a-f]{8}", group.outputs["name"])
    assert group.id == f"/subscriptions/{SUBSCRIPTION_ID}/resourceGroups/{group.outputs['name']}"
    assert group.outputs["location"] == "westeurope"
    vnet = one(result, "azure-native:network:VirtualNetwork")
    subnet = one(result, "azure-native:network:Subnet")
    assert vnet.id == f"{group.id}/providers/Microsoft.Network/virtualNetworks/{vnet.outputs['name']}"
    assert subnet.id == f"{vnet.id}/subnets/{subnet.outputs['name']}"
    for record in result.resources:
        if record.type.startswith("azure-native:") and record.type != "azure-native:resources:ResourceGroup":
            assert ARM_ID.match(record.id), record.id


def test_private_cluster_has_only_a_private_fqdn_and_a_matching_exec_kubeconfig(result: ProgramResult) -> None:
    private = one(result, "azure-native:containerservice:ManagedCluster", "aks-private").outputs
    public = one(result, "azure-native:containerservice:ManagedCluster", "aks-public").outputs
    assert "fqdn" not in private and private["privateFQDN"].endswith(".privatelink.westeurope.azmk8s.io")
    assert public["fqdn"].startswith("dns-public-") and public["fqdn"].endswith(".hcp.westeurope.azmk8s.io")
    assert public["identity"]["principalId"] and public["identity"]["tenantId"] == TENANT_ID
    for name, server in (("private", private["privateFQDN"]), ("public", public["fqdn"])):
        text = base64.b64decode(plain(result.outputs[f"kubeconfig-{name}"])).decode()
        assert f"server: https://{server}:443" in text
        assert "command: kubelogin" in text
        issuer = plain(result.outputs[f"issuer-{name}"])
        assert issuer.startswith("https://westeurope.oic.prod-aks.azure.com/") and issuer.endswith("/")


def test_credentials_of_a_cluster_that_does_not_exist_fail() -> None:
    def program() -> None:
        creds = containerservice.list_managed_cluster_user_credentials_output(resource_group_name="rg", resource_name="nope")
        pulumi.export("k", creds.kubeconfigs)

    with pytest.raises(Exception, match="ResourceNotFound: managed cluster nope"):
        run_program(SPEC, entry=program)


def test_postgres_fqdn_and_replication_role(result: ProgramResult) -> None:
    primary = one(result, "azure-native:dbforpostgresql:Server", "pg").outputs
    replica = one(result, "azure-native:dbforpostgresql:Server", "pg-replica").outputs
    assert primary["fullyQualifiedDomainName"] == f"{primary['name']}.postgres.database.azure.com"
    assert (primary["replicationRole"], replica["replicationRole"]) == ("Primary", "AsyncReplica")


def test_redis_host_name_and_access_keys(result: ProgramResult) -> None:
    redis = one(result, "azure-native:redisenterprise:RedisEnterprise").outputs
    assert redis["hostName"] == f"{redis['name']}.westeurope.redis.azure.net"
    assert plain(one(result, "azure-native:redisenterprise:Database").outputs["port"]) == 10000
    primary, secondary = plain(result.outputs["redisKeys"])
    assert primary != secondary and len(primary) == 44 and len(base64.b64decode(primary)) == 32


def test_vault_uri_and_secret_uris_without_revealing_the_value(result: ProgramResult) -> None:
    assert plain(result.outputs["vaultUri"]) == "https://kv-unit.vault.azure.net/"
    secret = one(result, "azure-native:keyvault:Secret")
    properties = plain(secret.outputs["properties"])
    assert properties["secretUri"] == "https://kv-unit.vault.azure.net/secrets/s1"
    assert properties["secretUriWithVersion"].startswith(properties["secretUri"] + "/")
    assert secret.id.endswith("/providers/Microsoft.KeyVault/vaults/kv-unit/secrets/s1")


def test_rotating_adds_the_rotation_period(result: ProgramResult) -> None:
    base, rotation = plain(result.outputs["rotation"])
    assert (base, rotation) == ("2026-01-01T00:00:00Z", "2026-01-31T00:00:00Z")


def test_client_config(result: ProgramResult) -> None:
    assert plain(result.outputs["client"]) == [SUBSCRIPTION_ID, TENANT_ID]


@pytest.mark.parametrize("cidr", ["10.60.0.0/16", "10.0.0.0/8", "172.20.16.0/20"])
def test_subnet_plan_fits_and_never_overlaps(cidr: str) -> None:
    import ipaddress

    plan = plan_subnets(cidr)
    blocks = [ipaddress.ip_network(c) for c in (plan.nodes, plan.gateway, plan.postgres, plan.endpoints)]
    vnet = ipaddress.ip_network(cidr)
    assert all(block.subnet_of(vnet) for block in blocks)  # type: ignore[arg-type]
    assert not any(a.overlaps(b) for i, a in enumerate(blocks) for b in blocks[i + 1:])
    assert ipaddress.ip_address(plan.edge_address) in blocks[0]


def test_role_assignment_and_user_assigned_identity_map() -> None:
    from pulumi_azure_native import managedidentity

    def program() -> None:
        group = resources.ResourceGroup("rg")
        identity = managedidentity.UserAssignedIdentity("id", resource_group_name=group.name)
        authorization.RoleAssignment("ra", principal_id=identity.principal_id, scope=group.id,
                                     role_definition_id="/subscriptions/x/providers/Microsoft.Authorization/roleDefinitions/r")
        policy = network.WebApplicationFirewallPolicy(
            "waf", resource_group_name=group.name,
            managed_rules=network.ManagedRulesDefinitionArgs(managed_rule_sets=[
                network.ManagedRuleSetArgs(rule_set_type="Microsoft_DefaultRuleSet", rule_set_version="2.1")]))
        gateway = network.ApplicationGateway(
            "agw", resource_group_name=group.name, firewall_policy=network.SubResourceArgs(id=policy.id),
            identity=network.ManagedServiceIdentityArgs(type=network.ResourceIdentityType.USER_ASSIGNED,
                                                        user_assigned_identities=[identity.id]))
        pulumi.export("assigned", gateway.identity.apply(lambda i: dict(i.user_assigned_identities or {}) if i else {}))

    result = run_program(SPEC, entry=program)
    identity = one(result, "azure-native:managedidentity:UserAssignedIdentity")
    assert re.fullmatch(r"[0-9a-f-]{36}", identity.outputs["principalId"])
    assignment = one(result, "azure-native:authorization:RoleAssignment")
    group = one(result, "azure-native:resources:ResourceGroup")
    assert assignment.inputs["principalId"] == identity.outputs["principalId"]
    assert re.fullmatch(re.escape(group.id) + r"/providers/Microsoft\.Authorization/roleAssignments/[0-9a-f-]{36}", assignment.id)
    # The service answers a map of identity id -> principal/client ids for what the inputs listed.
    assert list(plain(result.outputs["assigned"])) == [identity.id]
    waf = one(result, "azure-native:network:WebApplicationFirewallPolicy")
    assert waf.id.endswith(f"/providers/Microsoft.Network/ApplicationGatewayWebApplicationFirewallPolicies/{waf.outputs['name']}")
