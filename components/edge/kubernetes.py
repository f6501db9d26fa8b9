"""kubernetes front door (empty shell until its issue lands)."""

from __future__ import annotations

import pulumi

from components.config import StackConfig
from components.edge.contract import EdgeExposure, FrontDoor, FrontDoorArgs


def exposure(config: StackConfig) -> EdgeExposure:
    return EdgeExposure()


class LoadBalancerEntry(FrontDoor):
    def __init__(self, name: str, args: FrontDoorArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("orchestrator:edge:LoadBalancerEntry", name, None, opts)
        self.public_hostname = pulumi.Output.from_input(args.config.edge.hostname)
        self.register_outputs({"publicHostname": self.public_hostname})
