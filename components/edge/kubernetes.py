"""Plain Kubernetes front door: HAProxy's own LoadBalancer Service is what the Internet reaches.

Nothing sits in front of HAProxy here, so the Service is `type: LoadBalancer` with
`externalTrafficPolicy: Local` (client addresses reach the rate limiter and ACLs unchanged) and no
X-Forwarded-For is trusted. DNS for `edge.hostname` points at `address`.
"""

from __future__ import annotations

import pulumi

from components.config import StackConfig
from components.edge.contract import EdgeExposure, FrontDoor, FrontDoorArgs


def exposure(config: StackConfig) -> EdgeExposure:
    return EdgeExposure(service_type="LoadBalancer", internal=False, trusted_proxy_cidrs=[])


class LoadBalancerEntry(FrontDoor):

    exposure = staticmethod(exposure)
    address: pulumi.Output[str]

    def __init__(self, name: str, args: FrontDoorArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(name, args, opts)
        self.public_hostname = pulumi.Output.from_input(args.config.edge.hostname)
        self.address = args.edge.address
        self.register_outputs({"publicHostname": self.public_hostname, "address": self.address})
