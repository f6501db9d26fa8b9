"""HAProxy edge proxy (empty shell until its issue lands)."""

from __future__ import annotations

import pulumi

from components.edge.contract import EDGE_NAMESPACE, EdgeArgs, EdgeOutputs


class EdgeProxy(pulumi.ComponentResource):
    outputs: EdgeOutputs

    def __init__(self, name: str, args: EdgeArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("orchestrator:edge:EdgeProxy", name, None, opts)
        self.outputs = EdgeOutputs(
            namespace=pulumi.Output.from_input(EDGE_NAMESPACE),
            service_name=pulumi.Output.from_input(name),
            address=pulumi.Output.from_input("pending"),
            config_checksum=pulumi.Output.from_input(""),
            https_port=443,
            metrics_port=8405,
        )
        self.register_outputs({})
