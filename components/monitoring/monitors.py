"""ServiceMonitor specs (prometheus-operator `monitoring.coreos.com/v1`) for the app and the edge.

The in-cluster data tier (kubernetes platform) declares its own PodMonitors for CloudNativePG and
redis_exporter beside the pods it runs; Prometheus picks them up through the empty selectors.
"""

from __future__ import annotations

from typing import Any

import pulumi

from components.config import Slot
from components.conventions import METRICS_PATH
from components.monitoring.contract import (
    APP_METRICS_PORT,
    APP_SERVICE_LABELS,
    EDGE_METRICS_PORT,
    EDGE_SERVICE_LABELS,
    JOB_LABEL,
)

API_VERSION = "monitoring.coreos.com/v1"
SLOT_LABEL = "slot"


def _interval(seconds: int) -> str:
    return f"{seconds}s"


def app_service_monitor(app_namespace: pulumi.Input[str], scrape_seconds: int) -> dict[str, Any]:
    """Both slot Services; every series gets `slot` from the Service label of the same name."""
    return {
        "jobLabel": JOB_LABEL,
        "namespaceSelector": {"matchNames": [app_namespace]},
        "selector": {
            "matchLabels": dict(APP_SERVICE_LABELS),
            # Only the slot Services: the live Service selects the same pods and would double-count.
            "matchExpressions": [{"key": SLOT_LABEL, "operator": "In", "values": [slot.value for slot in Slot]}],
        },
        "endpoints": [
            {
                "port": APP_METRICS_PORT,
                "path": METRICS_PATH,
                "interval": _interval(scrape_seconds),
                "relabelings": [
                    {
                        "action": "replace",
                        "sourceLabels": [f"__meta_kubernetes_service_label_{SLOT_LABEL}"],
                        "targetLabel": SLOT_LABEL,
                    }
                ],
            }
        ],
    }


def edge_service_monitor(edge_namespace: pulumi.Input[str], scrape_seconds: int) -> dict[str, Any]:
    return {
        "jobLabel": JOB_LABEL,
        "namespaceSelector": {"matchNames": [edge_namespace]},
        "selector": {"matchLabels": dict(EDGE_SERVICE_LABELS)},
        "endpoints": [{"port": EDGE_METRICS_PORT, "path": METRICS_PATH, "interval": _interval(scrape_seconds)}],
    }

