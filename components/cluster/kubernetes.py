"""The `kubernetes` platform: an existing cluster reached through the local kubeconfig."""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s

from components.cluster.contract import Foundation, FoundationArgs


class ExistingCluster(Foundation):
    def __init__(self, name: str, args: FoundationArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(name, args, opts)
        context = args.config.cluster.kubernetes.kubeconfig_context
        self.k8s_provider = k8s.Provider(
            f"{name}-provider",
            context=context,
            # Server-side apply and no default namespace: every object names its namespace.
            enable_server_side_apply=True,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.kubeconfig = pulumi.Output.secret(f"<local kubeconfig, context {context or 'current'}>")
        self.cluster_name = pulumi.Output.from_input(context or "current-context")
        self.data_cidrs = pulumi.Output.from_input([])
        self.register_outputs({"clusterName": self.cluster_name})
