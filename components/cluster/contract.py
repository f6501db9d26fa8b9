"""What every platform's cluster foundation provides to the Kubernetes components."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from components.config import StackConfig


@dataclass(frozen=True, kw_only=True)
class FoundationArgs:
    config: StackConfig


class Foundation(pulumi.ComponentResource):
    """Network + Kubernetes cluster of one platform. Subclasses add their platform's details
    (VPC, subnets, security groups, resource group, ...) for the same platform's data tier."""

    def __init__(self, name: str, args: FoundationArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        # The type token names the platform's class, e.g. `orchestrator:cluster:<Class>`.
        super().__init__(f"orchestrator:cluster:{type(self).__name__}", name, None, opts)

    k8s_provider: k8s.Provider
    """Every Kubernetes resource of the stack is created through this provider."""
    kubeconfig: pulumi.Output[str]
    """Secret: credentials of the cluster."""
    cluster_name: pulumi.Output[str]
    data_cidrs: pulumi.Output[list[str]]
    """Address ranges the data services live in (egress targets for the app on cloud platforms)."""
