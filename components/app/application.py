"""Blue/green application slots (empty shell until its issue lands)."""

from __future__ import annotations

import pulumi

from components.app.contract import ApplicationArgs, AppOutputs
from components.config import Slot


class Application(pulumi.ComponentResource):
    outputs: AppOutputs

    def __init__(self, name: str, args: ApplicationArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("orchestrator:app:Application", name, None, opts)
        app = args.config.app
        self.outputs = AppOutputs(
            namespace=pulumi.Output.from_input(args.namespace),
            slot_services={slot: pulumi.Output.from_input(f"{name}-{slot.value}") for slot in Slot},
            live_service=pulumi.Output.from_input(f"{name}-live"),
            port=80,
            active_slot=app.active_slot,
            canary_weight=app.canary_weight,
            pod_labels={"app.kubernetes.io/name": "orchestrator"},
        )
        self.register_outputs({"activeSlot": app.active_slot.value, "canaryWeight": app.canary_weight})
