"""Azure: resource group, VNet (components.network.azure), Key Vault (components.secrets.azure) and AKS."""

from __future__ import annotations

import base64
import ipaddress

import pulumi
import pulumi_kubernetes as k8s
from pulumi_azure_native import authorization, containerservice, resources

from components.cluster.contract import Foundation, FoundationArgs
from components.config import ConfigError, StackConfig, stack_file
from components.conventions import PROJECT
from components.network.azure import AzureNetwork, AzureNetworkArgs, AzureSubnetPlan
from components.secrets.azure import KeyVaultArgs, KeyVaultStore

ZONES = ["1", "2", "3"]
NETWORK_CONTRIBUTOR_ROLE = "4d97b98b-1d4f-4787-a291-c67861a2b2e8"
"""Built-in role id: lets the cluster identity place internal load balancers in the node subnet."""


def role_definition_id(subscription_id: str, role: str) -> str:
    return f"/subscriptions/{subscription_id}/providers/Microsoft.Authorization/roleDefinitions/{role}"


def _check(config: StackConfig) -> None:
    where = f"{stack_file(pulumi.get_stack())}: orchestrator:cluster"
    vnet = ipaddress.ip_network(config.network.cidr)
    for key, cidr in (("azure.podCidr", config.cluster.azure.pod_cidr), ("azure.serviceCidr", config.cluster.azure.service_cidr)):
        if ipaddress.ip_network(cidr).overlaps(vnet):
            raise ConfigError(f"{where}.{key} is '{cidr}'; use a range outside network.cidr {config.network.cidr}")
    if not config.cluster.nodes.instance_type.startswith("Standard_"):
        raise ConfigError(
            f"{where}.nodes.instanceType is '{config.cluster.nodes.instance_type}'; use an Azure VM size such as Standard_D4ds_v5"
        )


def decode_kubeconfig(credentials: containerservice.ListManagedClusterUserCredentialsResult) -> str:
    """The first kubeconfig of the credential list, base64-decoded."""
    if not credentials.kubeconfigs:
        raise ValueError("AKS returned no user credentials")
    return base64.b64decode(credentials.kubeconfigs[0].value).decode()


class AksFoundation(Foundation):
    """Resource group, network, Key Vault and an AKS cluster with Entra ID + Azure RBAC, local accounts
    disabled, Azure CNI overlay with Cilium network policy, workload identity and automatic upgrades."""

    resource_group_name: pulumi.Output[str]
    subscription_id: pulumi.Output[str]
    tenant_id: pulumi.Output[str]
    network: AzureNetwork
    plan: AzureSubnetPlan
    vault: KeyVaultStore
    tags: dict[str, str]
    protect: bool
    """Production: stateful Azure resources are protected."""
    oidc_issuer_url: pulumi.Output[str]

    def __init__(self, name: str, args: FoundationArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(name, args, opts)
        config = args.config
        _check(config)
        child = pulumi.ResourceOptions(parent=self)
        stack = pulumi.get_stack()
        self.protect = config.is_production
        self.tags = {"app": PROJECT, "environment": config.environment.value, "stack": stack, "managed-by": "pulumi"}
        client = authorization.get_client_config_output(opts=pulumi.InvokeOptions(parent=self))
        self.subscription_id = client.subscription_id
        self.tenant_id = client.tenant_id

        group = resources.ResourceGroup(
            f"{name}-rg", tags=self.tags, opts=pulumi.ResourceOptions(parent=self, protect=self.protect)
        )
        self.resource_group_name = group.name
        self.network = AzureNetwork(
            f"{name}-network",
            AzureNetworkArgs(
                config=config.network, resource_group_name=group.name, tags=self.tags, dns_label=f"orchestrator-{stack}"
            ),
            opts=child,
        )
        self.plan = self.network.plan
        self.vault = KeyVaultStore(
            f"{name}-keyvault",
            KeyVaultArgs(
                resource_group_name=group.name, tenant_id=self.tenant_id,
                endpoint_subnet_id=self.network.subnet_ids["endpoints"], dns_zone_id=self.network.vault_dns_zone_id,
                tags=self.tags, protect=self.protect,
            ),
            opts=child,
        )

        cluster_config = config.cluster
        nodes = cluster_config.nodes
        if cluster_config.public_endpoint:
            access = containerservice.ManagedClusterAPIServerAccessProfileArgs(
                authorized_ip_ranges=list(cluster_config.endpoint_cidrs), disable_run_command=True
            )
        else:
            # Private API server: `pulumi up` runs from inside the VNet (a peered runner or Bastion).
            access = containerservice.ManagedClusterAPIServerAccessProfileArgs(
                enable_private_cluster=True, enable_private_cluster_public_fqdn=False, private_dns_zone="system",
                disable_run_command=True,
            )
        service_network = ipaddress.ip_network(cluster_config.azure.service_cidr)
        cluster = containerservice.ManagedCluster(
            f"{name}-aks",
            resource_group_name=group.name,
            dns_prefix=f"orchestrator-{stack}",
            kubernetes_version=cluster_config.kubernetes_version,
            sku=containerservice.ManagedClusterSKUArgs(name="Base", tier=cluster_config.azure.sku_tier),
            identity=containerservice.ManagedClusterIdentityArgs(type=containerservice.ResourceIdentityType.SYSTEM_ASSIGNED),
            enable_rbac=True,
            disable_local_accounts=True,
            aad_profile=containerservice.ManagedClusterAADProfileArgs(
                managed=True, enable_azure_rbac=True, tenant_id=self.tenant_id,
                admin_group_object_ids=list(cluster_config.azure.admin_group_object_ids),
            ),
            api_server_access_profile=access,
            network_profile=containerservice.ContainerServiceNetworkProfileArgs(
                network_plugin="azure", network_plugin_mode="overlay", network_dataplane="cilium",
                network_policy="cilium", pod_cidr=cluster_config.azure.pod_cidr, service_cidr=cluster_config.azure.service_cidr,
                dns_service_ip=str(service_network.network_address + 10), load_balancer_sku="standard",
                outbound_type="loadBalancer",
            ),
            agent_pool_profiles=[containerservice.ManagedClusterAgentPoolProfileArgs(
                name="system", mode="System", type="VirtualMachineScaleSets", os_type="Linux", os_sku="AzureLinux",
                vm_size=cluster_config.azure.system_vm_size, availability_zones=ZONES,
                vnet_subnet_id=self.network.subnet_ids["nodes"], enable_auto_scaling=True,
                count=cluster_config.azure.system_min_count, min_count=cluster_config.azure.system_min_count,
                max_count=cluster_config.azure.system_max_count, max_pods=110, enable_node_public_ip=False,
                # Keep application pods off the system pool.
                node_taints=["CriticalAddonsOnly=true:NoSchedule"],
                upgrade_settings=containerservice.AgentPoolUpgradeSettingsArgs(max_surge="33%"),
            )],
            auto_upgrade_profile=containerservice.ManagedClusterAutoUpgradeProfileArgs(
                upgrade_channel=cluster_config.azure.upgrade_channel, node_os_upgrade_channel="NodeImage"
            ),
            oidc_issuer_profile=containerservice.ManagedClusterOIDCIssuerProfileArgs(enabled=True),
            security_profile=containerservice.ManagedClusterSecurityProfileArgs(
                workload_identity=containerservice.ManagedClusterSecurityProfileWorkloadIdentityArgs(enabled=True),
                image_cleaner=containerservice.ManagedClusterSecurityProfileImageCleanerArgs(enabled=True, interval_hours=168),
            ),
            auto_scaler_profile=containerservice.ManagedClusterPropertiesAutoScalerProfileArgs(
                balance_similar_node_groups="true", expander="least-waste"
            ),
            tags=self.tags,
            # The autoscaler owns the node counts once the cluster exists.
            opts=pulumi.ResourceOptions(parent=self, ignore_changes=["agentPoolProfiles[0].count"]),
        )
        containerservice.AgentPool(
            f"{name}-user-pool",
            resource_group_name=group.name,
            resource_name_=cluster.name,
            agent_pool_name="user",
            mode="User", type="VirtualMachineScaleSets", os_type="Linux", os_sku="AzureLinux",
            vm_size=nodes.instance_type, availability_zones=ZONES, vnet_subnet_id=self.network.subnet_ids["nodes"],
            enable_auto_scaling=True, count=nodes.desired_size, min_count=nodes.min_size, max_count=nodes.max_size,
            max_pods=110, enable_node_public_ip=False,
            upgrade_settings=containerservice.AgentPoolUpgradeSettingsArgs(max_surge="33%"),
            opts=pulumi.ResourceOptions(parent=self, ignore_changes=["count"]),
        )
        # The internal load balancer of the HAProxy Service lives in the node subnet (BYO VNet).
        authorization.RoleAssignment(
            f"{name}-aks-subnet-access",
            principal_id=cluster.identity.apply(lambda identity: identity.principal_id if identity else ""),
            principal_type="ServicePrincipal",
            role_definition_id=self.subscription_id.apply(lambda sub: role_definition_id(sub, NETWORK_CONTRIBUTOR_ROLE)),
            scope=self.network.subnet_ids["nodes"],
            opts=child,
        )

        credentials = containerservice.list_managed_cluster_user_credentials_output(
            resource_group_name=group.name, resource_name=cluster.name,
            # Entra ID clusters: an exec kubeconfig (kubelogin), since local accounts are disabled.
            format="exec",
            opts=pulumi.InvokeOutputOptions(parent=self),
        )
        self.kubeconfig = pulumi.Output.secret(credentials.apply(decode_kubeconfig))
        self.k8s_provider = k8s.Provider(f"{name}-provider", kubeconfig=self.kubeconfig, opts=child)
        self.cluster_name = cluster.name
        self.oidc_issuer_url = cluster.oidc_issuer_profile.apply(lambda profile: profile.issuer_url if profile else "")
        self.data_cidrs = pulumi.Output.from_input([self.plan.postgres, self.plan.endpoints])
        self.register_outputs({
            "clusterName": self.cluster_name,
            "resourceGroupName": self.resource_group_name,
            "oidcIssuerUrl": self.oidc_issuer_url,
            "vaultUri": self.vault.vault_uri,
            "dataCidrs": self.data_cidrs,
            "kubeconfig": self.kubeconfig,
        })


def aks_foundation(foundation: Foundation) -> AksFoundation:
    """The Azure data tier and front door need the Azure foundation's details."""
    if not isinstance(foundation, AksFoundation):
        raise TypeError(f"the Azure components need an AksFoundation, got {type(foundation).__name__}")
    return foundation
