"""Azure: VNet + AKS. (Issue 9 builds it; until then the stack has no cluster on AWS.)"""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s

from components.cluster.contract import Foundation, FoundationArgs


class AksFoundation(Foundation):
    def __init__(self, name: str, args: FoundationArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("orchestrator:cluster:AksFoundation", name, None, opts)
        self.kubeconfig = pulumi.Output.secret("{}")
        self.k8s_provider = k8s.Provider(f"{name}-provider", kubeconfig=self.kubeconfig,
                                         opts=pulumi.ResourceOptions(parent=self))
        self.cluster_name = pulumi.Output.from_input(name)
        self.data_cidrs = pulumi.Output.from_input([args.config.network.cidr])
        self.register_outputs({"clusterName": self.cluster_name})
