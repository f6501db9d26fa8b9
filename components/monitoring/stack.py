"""kube-prometheus-stack, monitors, SLO rules, dashboards (empty shell until its issue lands)."""

from __future__ import annotations

import pulumi

from components.monitoring.contract import MonitoringArgs, MonitoringOutputs


class Monitoring(pulumi.ComponentResource):
    outputs: MonitoringOutputs

    def __init__(self, name: str, args: MonitoringArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("orchestrator:monitoring:Monitoring", name, None, opts)
        namespace = args.config.monitoring.namespace
        self.outputs = MonitoringOutputs(
            namespace=pulumi.Output.from_input(namespace),
            grafana_service=pulumi.Output.from_input("grafana"),
            prometheus_url=pulumi.Output.from_input(f"http://prometheus.{namespace}.svc:9090"),
        )
        self.register_outputs({})
