"""Every Helm chart the program installs: one pinned version each, and what a fresh cluster needs to
know about it.

`checked` is the day the version was confirmed published in the chart repository's `index.yaml`
(and its values read at that version). `provides` are the API groups whose CRDs the chart installs,
`requires` the API groups its own templates use without installing them: the offline fresh-cluster
check reads both to prove every custom resource waits for its CRD. `workloads` says where the chart
takes each workload's security contexts in its values and what it defaults to, so the same check
can prove the pods pass their namespace's Pod Security level; `None` means the chart's pods are not
modelled, which only a `privileged` namespace admits unverified.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, kw_only=True)
class ChartWorkload:
    """One pod template of a chart, as its values shape it."""

    name: str
    pod_path: tuple[str, ...] | None
    """Values key of the pod-level securityContext (None: the chart exposes none)."""
    container_path: tuple[str, ...] | None
    """Values key of the container-level securityContext (None: the chart exposes none)."""
    pod_default: Mapping[str, Any] = field(default_factory=dict)
    container_default: Mapping[str, Any] = field(default_factory=dict)
    enabled_path: tuple[str, ...] | None = None
    """Values key that turns the workload off (absent: always rendered)."""
    enabled_default: bool = True
    host_access: bool = False
    """Needs host namespaces or host paths (node agents): only `privileged` admits it."""


@dataclass(frozen=True, kw_only=True)
class ChartPin:
    chart: str
    version: str
    repository: str
    app_version: str
    checked: str
    """ISO date the version was confirmed in the repository's index.yaml."""
    provides: tuple[str, ...] = ()
    requires: tuple[str, ...] = ()
    workloads: tuple[ChartWorkload, ...] | None = None


_RESTRICTED_CONTAINER = {
    "allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True, "runAsUser": 10001, "runAsGroup": 10001,
    "seccompProfile": {"type": "RuntimeDefault"}, "capabilities": {"drop": ["ALL"]},
}
_RESTRICTED_POD = {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}}

CLOUDNATIVE_PG = ChartPin(
    chart="cloudnative-pg", version="0.29.0", repository="https://cloudnative-pg.github.io/charts",
    app_version="1.30.0", checked="2026-12-01", provides=("postgresql.cnpg.io",),
    workloads=(ChartWorkload(name="operator", pod_path=("podSecurityContext",),
                             container_path=("containerSecurityContext",), pod_default=_RESTRICTED_POD,
                             container_default=_RESTRICTED_CONTAINER),),
)
BARMAN_CLOUD_PLUGIN = ChartPin(
    chart="plugin-barman-cloud", version="0.7.0", repository="https://cloudnative-pg.github.io/charts",
    app_version="v0.13.0", checked="2026-12-01", provides=("barmancloud.cnpg.io",),
    # Its templates issue the plugin's mTLS certificates through cert-manager.
    requires=("cert-manager.io",),
    workloads=(ChartWorkload(name="plugin", pod_path=("podSecurityContext",),
                             container_path=("containerSecurityContext",), pod_default=_RESTRICTED_POD,
                             container_default=_RESTRICTED_CONTAINER),),
)
REDIS_OPERATOR = ChartPin(
    chart="redis-operator", version="0.23.0", repository="https://ot-container-kit.github.io/helm-charts",
    app_version="0.23.0", checked="2026-12-01", provides=("redis.redis.opstreelabs.in",),
    # The chart ships empty security contexts: the program must fill them.
    workloads=(ChartWorkload(name="operator", pod_path=("podSecurityContext",), container_path=("securityContext",)),),
)
AWS_LOAD_BALANCER_CONTROLLER = ChartPin(
    chart="aws-load-balancer-controller", version="1.17.0", repository="https://aws.github.io/eks-charts",
    app_version="v2.17.0", checked="2026-12-01", provides=("elbv2.k8s.aws",),
    workloads=(ChartWorkload(
        name="controller", pod_path=("podSecurityContext",), container_path=("securityContext",),
        pod_default={"fsGroup": 65534},
        container_default={"readOnlyRootFilesystem": True, "runAsNonRoot": True, "allowPrivilegeEscalation": False}),),
)
KUBE_PROMETHEUS_STACK = ChartPin(
    chart="kube-prometheus-stack", version="69.5.1", repository="https://prometheus-community.github.io/helm-charts",
    app_version="v0.80.1", checked="2026-12-01", provides=("monitoring.coreos.com",),
    # Many workloads (node-exporter among them, with host namespaces): not modelled one by one.
    workloads=None,
)

OPENTELEMETRY_COLLECTOR = ChartPin(
    chart="opentelemetry-collector", version="0.170.0",
    repository="https://open-telemetry.github.io/opentelemetry-helm-charts", app_version="0.158.0", checked="2026-12-01",
    # The gateway (restricted values) and the node log agent (hostPath, root): not modelled one by one.
    workloads=None,
)
JAEGER = ChartPin(
    chart="jaeger", version="4.11.1", repository="https://jaegertracing.github.io/helm-charts", app_version="2.19.0",
    checked="2026-12-01", workloads=None,
)
LOKI = ChartPin(
    chart="loki", version="6.29.0", repository="https://grafana.github.io/helm-charts", app_version="3.4.2",
    checked="2026-12-01", workloads=None,
)

CHARTS: dict[str, ChartPin] = {pin.chart: pin for pin in (
    CLOUDNATIVE_PG, BARMAN_CLOUD_PLUGIN, REDIS_OPERATOR, AWS_LOAD_BALANCER_CONTROLLER, KUBE_PROMETHEUS_STACK,
    OPENTELEMETRY_COLLECTOR, JAEGER, LOKI)}
"""By chart name, the key the fresh-cluster check looks a Chart or Release up by."""
