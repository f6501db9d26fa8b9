"""Names, labels and paths every component agrees on; each has its home here and nowhere else.

A test walks components/ and fails on a second literal copy of any of these values.
"""

from __future__ import annotations

PROJECT = "orchestrator"
"""The Pulumi project, its config namespace, the app's name and the `part-of` of everything it runs."""

NAME_LABEL = "app.kubernetes.io/name"
COMPONENT_LABEL = "app.kubernetes.io/component"
PART_OF_LABEL = "app.kubernetes.io/part-of"
MANAGED_BY_LABEL = "app.kubernetes.io/managed-by"

PART_OF = {PART_OF_LABEL: PROJECT}
"""Carried by every object the program runs in the cluster; Prometheus selects monitors by it."""
MANAGED_BY = {MANAGED_BY_LABEL: "pulumi"}

NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name"
"""Set by the API server on every namespace: what a NetworkPolicy's namespaceSelector matches."""
SYSTEM_NAMESPACE = "kube-system"
"""Where the cluster's DNS and system controllers run."""

POD_SECURITY_PREFIX = "pod-security.kubernetes.io/"
POD_SECURITY_ENFORCE = POD_SECURITY_PREFIX + "enforce"
RESTRICTED = "restricted"
PRIVILEGED = "privileged"

METRICS_PATH = "/metrics"
"""Where every scraped workload (app, HAProxy, operators) serves Prometheus metrics."""


def pod_security_labels(level: str) -> dict[str, str]:
    """Enforced, and also audited and warned, so a violation is visible before it is refused."""
    return {f"{POD_SECURITY_PREFIX}{mode}": level for mode in ("enforce", "audit", "warn")}
