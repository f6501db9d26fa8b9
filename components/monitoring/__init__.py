"""Monitoring: Prometheus, alert rules for the SLOs, Grafana dashboards."""

from components.monitoring.contract import MonitoringArgs, MonitoringOutputs
from components.monitoring.stack import Monitoring

__all__ = ["Monitoring", "MonitoringArgs", "MonitoringOutputs"]
