"""AWS foundation: VPC + EKS from plain `aws.eks` resources (visible to tests and policies, unlike
pulumi-eks' remote component), a customer-managed key, and the Kubernetes provider every
Kubernetes component uses."""

from __future__ import annotations

import json
import re
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from components.cluster.contract import Foundation, FoundationArgs
from components.conventions import SYSTEM_NAMESPACE
from components.network.aws import AwsNetwork, AwsNetworkArgs, SubnetPlan
from components.secrets.aws import AwsContext, PlatformKey, PlatformKeyArgs

CONTROL_PLANE_LOG_TYPES = ["api", "audit", "authenticator", "controllerManager", "scheduler"]
CLUSTER_ADMIN_POLICY = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
ADDONS = ("kube-proxy", "coredns", "eks-pod-identity-agent", "aws-ebs-csi-driver")
"""Managed add-ons besides the VPC CNI; EBS CSI because Prometheus and Grafana claim gp3 volumes."""
NODE_DISK_GB = 50


def ami_type(instance_type: str) -> str:
    """Amazon Linux 2023 for the instance family's architecture (m7g/c6gn... are Graviton)."""
    family = instance_type.split(".", 1)[0]
    return "AL2023_ARM_64_STANDARD" if re.fullmatch(r"[a-z]+[0-9]+[a-z]*g[a-z]*", family) else "AL2023_x86_64_STANDARD"


def _trust(service: str) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": service}, "Action": ["sts:AssumeRole", "sts:TagSession"]}]})


def irsa_trust(oidc_arn: str, issuer: str, namespace: str, service_account: str) -> str:
    """Trust policy letting exactly one Kubernetes service account assume a role (IRSA)."""
    host = issuer.removeprefix("https://")
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Federated": oidc_arn}, "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {"StringEquals": {f"{host}:sub": f"system:serviceaccount:{namespace}:{service_account}",
                                       f"{host}:aud": "sts.amazonaws.com"}}}]})


def build_kubeconfig(cluster_name: str, endpoint: str, ca_data: str, region: str) -> str:
    """Kubeconfig (JSON is YAML) authenticating through `aws eks get-token`: no long-lived credential."""
    return json.dumps({
        "apiVersion": "v1", "kind": "Config", "current-context": cluster_name,
        "clusters": [{"name": cluster_name, "cluster": {"server": endpoint, "certificate-authority-data": ca_data}}],
        "contexts": [{"name": cluster_name, "context": {"cluster": cluster_name, "user": cluster_name}}],
        "users": [{"name": cluster_name, "user": {"exec": {
            "apiVersion": "client.authentication.k8s.io/v1beta1", "command": "aws", "interactiveMode": "Never",
            "args": ["eks", "get-token", "--cluster-name", cluster_name, "--region", region, "--output", "json"]}}}],
    }, indent=2)


def _managed_policy(partition: pulumi.Output[str], policy: str) -> pulumi.Output[str]:
    return partition.apply(lambda p: f"arn:{p}:iam::aws:policy/{policy}")


class EksFoundation(Foundation):
    """VPC across the configured zones, EKS with private nodes, KMS-encrypted secrets, all
    control-plane logs, API-mode access entries and an OIDC provider for service-account roles."""

    vpc_id: pulumi.Output[str]
    public_subnet_ids: list[pulumi.Output[str]]
    private_subnet_ids: list[pulumi.Output[str]]
    data_subnet_ids: list[pulumi.Output[str]]
    subnet_plan: SubnetPlan
    cluster_security_group_id: pulumi.Output[str]
    """EKS-created group on the control plane ENIs and every managed node (so on every pod, VPC CNI)."""
    kms_key_arn: pulumi.Output[str]
    oidc_provider_arn: pulumi.Output[str]
    oidc_issuer: pulumi.Output[str]
    region: pulumi.Output[str]
    context: AwsContext
    zone_names: pulumi.Output[list[str]]

    def zone(self, index: int) -> pulumi.Output[str]:
        """The availability zone of subnet `index` (wrapping around), for spreading instances."""
        return self.zone_names.apply(lambda names: names[index % len(names)])

    def __init__(self, name: str, args: FoundationArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(name, args, opts)
        config = args.config
        production = config.is_production
        cluster_cfg = config.cluster
        child = pulumi.ResourceOptions(parent=self)
        self.context = AwsContext.lookup(pulumi.InvokeOptions(parent=self))
        self.region = self.context.region
        eks_name = f"orchestrator-{pulumi.get_stack()}"

        key = PlatformKey(f"{name}-kms", PlatformKeyArgs(production=production,
                                                          description=f"orchestrator {pulumi.get_stack()} data at rest"),
                          self.context, opts=child)
        self.kms_key_arn = key.arn
        network = AwsNetwork(f"{name}-network", AwsNetworkArgs(network=config.network, cluster_name=eks_name,
                                                               kms_key_arn=key.arn, production=production), opts=child)
        self.vpc_id = network.vpc_id
        self.public_subnet_ids = network.public_subnet_ids
        self.private_subnet_ids = network.private_subnet_ids
        self.data_subnet_ids = network.data_subnet_ids
        self.subnet_plan = network.plan
        self.zone_names = network.zone_names

        partition = self.context.partition
        role = aws.iam.Role(f"{name}-control-plane", assume_role_policy=_trust("eks.amazonaws.com"), opts=child)
        attachment = aws.iam.RolePolicyAttachment(
            f"{name}-control-plane", role=role.name,
            policy_arn=partition.apply(lambda p: f"arn:{p}:iam::aws:policy/AmazonEKSClusterPolicy"), opts=child)
        # Created before the cluster so its retention and encryption are ours, not EKS's defaults.
        log_group = aws.cloudwatch.LogGroup(
            f"{name}-control-plane-logs", name=f"/aws/eks/{eks_name}/cluster",
            retention_in_days=cluster_cfg.aws.log_retention_days, kms_key_id=key.arn, opts=child)

        public = cluster_cfg.public_endpoint
        cluster = aws.eks.Cluster(
            f"{name}-eks",
            name=eks_name,
            version=cluster_cfg.kubernetes_version,
            role_arn=role.arn,
            vpc_config=aws.eks.ClusterVpcConfigArgs(
                subnet_ids=network.private_subnet_ids,
                endpoint_private_access=True,
                endpoint_public_access=public,
                public_access_cidrs=list(cluster_cfg.endpoint_cidrs) if public else None,
            ),
            encryption_config=aws.eks.ClusterEncryptionConfigArgs(
                resources=["secrets"], provider=aws.eks.ClusterEncryptionConfigProviderArgs(key_arn=key.arn)),
            enabled_cluster_log_types=CONTROL_PLANE_LOG_TYPES,
            access_config=aws.eks.ClusterAccessConfigArgs(
                authentication_mode="API", bootstrap_cluster_creator_admin_permissions=False),
            deletion_protection=production,
            upgrade_policy=aws.eks.ClusterUpgradePolicyArgs(support_type="STANDARD"),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[attachment, log_group], protect=production),
        )
        self.cluster_name = cluster.name
        self.cluster_security_group_id = cluster.vpc_config.apply(lambda vpc: str(vpc.cluster_security_group_id))
        self.oidc_issuer = cluster.identities.apply(lambda ids: str(ids[0].oidcs[0].issuer))  # type: ignore[index]
        oidc = aws.iam.OpenIdConnectProvider(f"{name}-oidc", url=self.oidc_issuer, client_id_lists=["sts.amazonaws.com"],
                                             opts=child)
        self.oidc_provider_arn = oidc.arn

        # The CNI first, with its own role: nodes join only once pods can get addresses.
        cni = aws.eks.Addon(
            f"{name}-vpc-cni", cluster_name=cluster.name, addon_name="vpc-cni",
            service_account_role_arn=self._service_role(f"{name}-vpc-cni", "aws-node", "AmazonEKS_CNI_Policy").arn,
            # Off by default on EKS: without it every NetworkPolicy of the stack would be decorative.
            configuration_values=json.dumps({"enableNetworkPolicy": "true"}),
            resolve_conflicts_on_create="OVERWRITE", resolve_conflicts_on_update="PRESERVE", opts=child)
        node_group = self._nodes(name, args, cluster, partition, cni)
        self._addons(name, cluster, node_group)
        admin_associations = self._access(name, args, cluster)

        self.data_cidrs = pulumi.Output.from_input(list(network.plan.data))
        self.kubeconfig = pulumi.Output.secret(pulumi.Output.all(
            cluster.name, cluster.endpoint, cluster.certificate_authority.data, self.region,
        ).apply(lambda v: build_kubeconfig(str(v[0]), str(v[1]), str(v[2]), str(v[3]))))
        self.k8s_provider = k8s.Provider(
            f"{name}-provider", kubeconfig=self.kubeconfig, enable_server_side_apply=True,
            # The provider can authenticate only once the access entries exist; pods need nodes.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[node_group, *admin_associations]))
        self.register_outputs({
            "clusterName": self.cluster_name, "vpcId": self.vpc_id, "kubeconfig": self.kubeconfig,
            "clusterSecurityGroupId": self.cluster_security_group_id, "kmsKeyArn": self.kms_key_arn,
            "oidcProviderArn": self.oidc_provider_arn, "dataCidrs": self.data_cidrs,
        })

    def _nodes(self, name: str, args: FoundationArgs, cluster: aws.eks.Cluster,
               partition: pulumi.Output[str], cni: aws.eks.Addon) -> aws.eks.NodeGroup:
        child = pulumi.ResourceOptions(parent=self)
        nodes = args.config.cluster.nodes
        role = aws.iam.Role(f"{name}-nodes", assume_role_policy=_trust("ec2.amazonaws.com"), opts=child)
        attachments = [
            aws.iam.RolePolicyAttachment(f"{name}-nodes-{policy}", role=role.name, policy_arn=_managed_policy(partition, policy),
                                         opts=child)
            # No CNI policy here: the VPC CNI has its own service-account role.
            for policy in ("AmazonEKSWorkerNodePolicy", "AmazonEC2ContainerRegistryReadOnly",
                           "AmazonSSMManagedInstanceCore")
        ]
        # IMDSv2 only, one hop: pods cannot borrow the node role; encrypted root volumes.
        template = aws.ec2.LaunchTemplate(
            f"{name}-nodes",
            metadata_options=aws.ec2.LaunchTemplateMetadataOptionsArgs(
                http_endpoint="enabled", http_tokens="required", http_put_response_hop_limit=1),
            block_device_mappings=[aws.ec2.LaunchTemplateBlockDeviceMappingArgs(
                device_name="/dev/xvda", ebs=aws.ec2.LaunchTemplateBlockDeviceMappingEbsArgs(
                    volume_size=NODE_DISK_GB, volume_type="gp3", encrypted="true", delete_on_termination="true"))],
            opts=child,
        )
        return aws.eks.NodeGroup(
            f"{name}-nodes",
            cluster_name=cluster.name,
            node_role_arn=role.arn,
            subnet_ids=self.private_subnet_ids,
            instance_types=[nodes.instance_type],
            ami_type=ami_type(nodes.instance_type),
            capacity_type="ON_DEMAND",
            scaling_config=aws.eks.NodeGroupScalingConfigArgs(
                desired_size=nodes.desired_size, min_size=nodes.min_size, max_size=nodes.max_size),
            update_config=aws.eks.NodeGroupUpdateConfigArgs(max_unavailable=1),
            launch_template=aws.eks.NodeGroupLaunchTemplateArgs(id=template.id, version=template.latest_version.apply(str)),
            labels={"orchestrator/pool": "general"},
            # The cluster autoscaler owns the current size once it runs.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[*attachments, cni],
                                        ignore_changes=["scalingConfig.desiredSize"]),
        )

    def _service_role(self, name: str, service_account: str, policy: str) -> aws.iam.Role:
        """IRSA role of one kube-system service account with one AWS managed policy."""
        role = aws.iam.Role(
            name,
            assume_role_policy=pulumi.Output.all(self.oidc_provider_arn, self.oidc_issuer).apply(
                lambda v: irsa_trust(str(v[0]), str(v[1]), SYSTEM_NAMESPACE, service_account)),
            opts=pulumi.ResourceOptions(parent=self))
        aws.iam.RolePolicyAttachment(name, role=role.name, policy_arn=_managed_policy(self.context.partition, policy),
                                     opts=pulumi.ResourceOptions(parent=self))
        return role

    def _addons(self, name: str, cluster: aws.eks.Cluster, node_group: aws.eks.NodeGroup) -> None:
        ebs_role = self._service_role(f"{name}-ebs-csi", "ebs-csi-controller-sa", "service-role/AmazonEBSCSIDriverPolicy")
        for addon in ADDONS:
            extra: dict[str, Any] = {}
            if addon == "aws-ebs-csi-driver":
                extra["service_account_role_arn"] = ebs_role.arn
            # CoreDNS and the CSI controller are Deployments: they need nodes to become healthy.
            needs_nodes = addon in {"coredns", "aws-ebs-csi-driver"}
            aws.eks.Addon(
                f"{name}-{addon}", cluster_name=cluster.name, addon_name=addon,
                resolve_conflicts_on_create="OVERWRITE", resolve_conflicts_on_update="PRESERVE", **extra,
                opts=pulumi.ResourceOptions(parent=self, depends_on=[node_group] if needs_nodes else []))

    def _access(self, name: str, args: FoundationArgs, cluster: aws.eks.Cluster) -> list[pulumi.Resource]:
        """Cluster-admin access entries: the identity running Pulumi (its IAM role, not the STS
        session) and the configured admin roles. No aws-auth ConfigMap (API mode)."""
        deployer = aws.iam.get_session_context_output(arn=self.context.caller_arn,
                                                      opts=pulumi.InvokeOptions(parent=self)).issuer_arn
        principals: list[tuple[str, pulumi.Input[str]]] = [("deployer", deployer)]
        principals += [(f"admin-{index}", arn) for index, arn in enumerate(args.config.cluster.aws.admin_role_arns)]
        associations: list[pulumi.Resource] = []
        for role_name, principal in principals:
            entry = aws.eks.AccessEntry(f"{name}-{role_name}", cluster_name=cluster.name, principal_arn=principal,
                                        type="STANDARD", opts=pulumi.ResourceOptions(parent=self))
            associations.append(aws.eks.AccessPolicyAssociation(
                f"{name}-{role_name}", cluster_name=cluster.name, principal_arn=entry.principal_arn,
                policy_arn=CLUSTER_ADMIN_POLICY,
                access_scope=aws.eks.AccessPolicyAssociationAccessScopeArgs(type="cluster"),
                opts=pulumi.ResourceOptions(parent=self)))
        return associations
