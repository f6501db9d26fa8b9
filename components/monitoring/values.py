"""Values of the kube-prometheus-stack Helm release, computed from the stack config.

helm.v3.Release children are invisible to CrossGuard, so the policy pack reads these values:
they never hold a literal credential and never expose a UI outside the cluster.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi

from components.config import Platform, StackConfig
from components.monitoring.contract import EXEMPLAR_TRACE_ID_LABEL, PROMETHEUS_DATASOURCE_UID

CHART = "kube-prometheus-stack"
CHART_REPOSITORY = "https://prometheus-community.github.io/helm-charts"
CHART_VERSION = "69.5.1"
OPERATOR_VERSION = "0.80.1"
"""prometheus-operator shipped by CHART_VERSION (the chart's appVersion v0.80.1); tests validate against the CRD
models of this version."""
RELEASE_NAME = "kube-prometheus-stack"
FULLNAME = "kube-prometheus"
"""fullnameOverride: Services become kube-prometheus-prometheus / -alertmanager."""
GRAFANA_SERVICE = "grafana"
GRAFANA_ADMIN_USER_KEY = "admin-user"
GRAFANA_ADMIN_PASSWORD_KEY = "admin-password"
DASHBOARD_LABEL = ("grafana_dashboard", "1")
ALERTMANAGER_SECRETS_DIR = "/etc/alertmanager/secrets"
"""Where the operator mounts `alertmanagerSpec.secrets` (one directory per Secret)."""
RECEIVER = "oncall"
WARNING_RECEIVER = "tickets"
HEARTBEAT_RECEIVER = "heartbeat"
NULL_RECEIVER = "null"

# Managed control planes (EKS, AKS) expose no scheduler, controller-manager or etcd endpoints and
# bind kube-proxy metrics to localhost: scraping them would only raise TargetDown alerts.
_CONTROL_PLANE_SCRAPES = ("kubeControllerManager", "kubeScheduler", "kubeEtcd", "kubeProxy")
_CONTROL_PLANE_RULES = ("etcd", "kubeControllerManager", "kubeSchedulerAlerting", "kubeSchedulerRecording", "kubeProxy")


def prometheus_url(namespace: str) -> str:
    return f"http://{FULLNAME}-prometheus.{namespace}.svc:9090"


def alertmanager_url(namespace: str) -> str:
    return f"http://{FULLNAME}-alertmanager.{namespace}.svc:9093"


def retention_size(storage_gb: int) -> str:
    # Leave headroom on the volume for the WAL and compaction: Prometheus stops at 85 %.
    return f"{max(1, int(storage_gb * 0.85))}GB"


@dataclass(frozen=True)
class Receiver:
    """A receiver whose credential the program wrote into a Secret from a stack secret."""

    role: str
    """`pager` (critical), `warning` (ticket/chat) or `heartbeat` (the Watchdog's dead man's switch)."""
    kind: str
    secret_name: str
    key: str

    @property
    def name(self) -> str:
        return {"pager": RECEIVER, "warning": WARNING_RECEIVER, "heartbeat": HEARTBEAT_RECEIVER}[self.role]

    def config(self) -> dict[str, Any]:
        path = f"{ALERTMANAGER_SECRETS_DIR}/{self.secret_name}/{self.key}"
        if self.kind == "pagerduty":
            return {"name": self.name, "pagerduty_configs": [{"routing_key_file": path, "send_resolved": True}]}
        # The heartbeat must keep firing to prove the pipeline; resolved notifications mean nothing there.
        return {"name": self.name, "webhook_configs": [{"url_file": path, "send_resolved": self.role != "heartbeat"}]}


def alertmanager_config(receivers: Sequence[Receiver]) -> dict[str, Any]:
    """Routing by severity: critical pages, warning opens a ticket, the Watchdog beats; a role with no
    receiver (its stack secret unset) falls back to `null`, so Alertmanager never waits for a Secret."""
    by_role = {r.role: r for r in receivers}

    def target(role: str) -> str:
        return by_role[role].name if role in by_role else NULL_RECEIVER

    return {
        "global": {"resolve_timeout": "5m"},
        "route": {
            # Alerts without a known severity are treated as warnings: seen, never lost, not paged.
            "receiver": target("warning"),
            "group_by": ["alertname", "namespace", "slot"],
            "group_wait": "30s",
            "group_interval": "5m",
            "repeat_interval": "4h",
            "routes": [
                # Always firing: the heartbeat service pages when it stops arriving.
                {"receiver": target("heartbeat"), "matchers": ['alertname = "Watchdog"'],
                 "group_wait": "0s", "group_interval": "1m", "repeat_interval": "1m"},
                {"receiver": NULL_RECEIVER, "matchers": ['alertname = "InfoInhibitor"']},
                {"receiver": target("pager"), "matchers": ['severity = "critical"'], "repeat_interval": "1h"},
                {"receiver": target("warning"), "matchers": ['severity = "warning"']},
                {"receiver": NULL_RECEIVER, "matchers": ['severity =~ "info|none"']},
            ],
        },
        "inhibit_rules": [
            {
                # A critical alert mutes the warnings of the same alert in the same place.
                "source_matchers": ['severity = "critical"'],
                "target_matchers": ['severity = "warning"'],
                "equal": ["alertname", "namespace"],
            }
        ],
        "receivers": [{"name": NULL_RECEIVER}, *(r.config() for r in receivers)],
        "templates": ["/etc/alertmanager/config/*.tmpl"],
    }


@dataclass(frozen=True)
class Observability:
    """What the trace and log backends add to Grafana: datasources and the env their secrets come from."""

    datasources: list[dict[str, Any]] = field(default_factory=list)
    grafana_env: dict[str, Any] = field(default_factory=dict)
    plugins: list[str] = field(default_factory=list)
    exemplar_datasource: str | None = None


def chart_values(
    config: StackConfig, grafana_admin_secret: pulumi.Input[str], receivers: Sequence[Receiver] = (),
    observability: Observability | None = None,
) -> dict[str, Any]:
    monitoring = config.monitoring
    managed_control_plane = config.platform is not Platform.KUBERNETES
    storage_spec: dict[str, Any] = {
        "accessModes": ["ReadWriteOnce"],
        "resources": {"requests": {"storage": f"{monitoring.storage_gb}Gi"}},
    }
    if monitoring.storage_class:
        storage_spec["storageClassName"] = monitoring.storage_class
    alertmanager_spec: dict[str, Any] = {
        "resources": {"requests": {"cpu": "50m", "memory": "64Mi"}, "limits": {"memory": "256Mi"}},
    }
    if receivers:
        alertmanager_spec["secrets"] = sorted({r.secret_name for r in receivers})
    extra = observability or Observability()

    values: dict[str, Any] = {
        "fullnameOverride": FULLNAME,
        "crds": {"enabled": True},
        "defaultRules": {
            "create": True,
            "rules": {rule: False for rule in _CONTROL_PLANE_RULES} if managed_control_plane else {},
        },
        "prometheus": {
            "service": {"type": "ClusterIP"},
            "ingress": {"enabled": False},
            "prometheusSpec": {
                "retention": f"{monitoring.retention_days}d",
                "retentionSize": retention_size(monitoring.storage_gb),
                "scrapeInterval": f"{monitoring.scrape_interval_seconds}s",
                "evaluationInterval": "30s",
                "externalLabels": {"environment": config.environment.value, "platform": config.platform.value},
                # Select every monitor and rule in every namespace, not only those carrying this
                # release's label: the app, edge and data components declare their own.
                "serviceMonitorSelectorNilUsesHelmValues": False,
                "podMonitorSelectorNilUsesHelmValues": False,
                "ruleSelectorNilUsesHelmValues": False,
                "probeSelectorNilUsesHelmValues": False,
                "scrapeConfigSelectorNilUsesHelmValues": False,
                "serviceMonitorSelector": {},
                "serviceMonitorNamespaceSelector": {},
                "podMonitorSelector": {},
                "podMonitorNamespaceSelector": {},
                "ruleSelector": {},
                "ruleNamespaceSelector": {},
                "storageSpec": {"volumeClaimTemplate": {"spec": storage_spec}},
                "resources": {"requests": {"cpu": "500m", "memory": "2Gi"}, "limits": {"memory": "4Gi"}},
                # Exemplars carry the trace id of a sampled request beside a latency bucket.
                "enableFeatures": ["exemplar-storage"],
            },
        },
        "alertmanager": {
            "service": {"type": "ClusterIP"},
            "ingress": {"enabled": False},
            "alertmanagerSpec": alertmanager_spec,
            "config": alertmanager_config(receivers),
        },
        "grafana": {
            "fullnameOverride": GRAFANA_SERVICE,
            "admin": {
                "existingSecret": grafana_admin_secret,
                "userKey": GRAFANA_ADMIN_USER_KEY,
                "passwordKey": GRAFANA_ADMIN_PASSWORD_KEY,
            },
            "service": {"type": "ClusterIP"},
            "ingress": {"enabled": False},
            "defaultDashboardsEnabled": True,
            "sidecar": {
                "dashboards": {
                    "enabled": True,
                    "label": DASHBOARD_LABEL[0],
                    "labelValue": DASHBOARD_LABEL[1],
                    "searchNamespace": monitoring.namespace,
                },
                # The chart's own Prometheus datasource; its uid is what dashboards and trace links name.
                "datasources": {"enabled": True, "uid": PROMETHEUS_DATASOURCE_UID, **(
                    {"exemplarTraceIdDestinations": {"datasourceUid": extra.exemplar_datasource,
                                                     "traceIdLabelName": EXEMPLAR_TRACE_ID_LABEL}}
                    if extra.exemplar_datasource else {})},
            },
            "additionalDataSources": extra.datasources,
            "envValueFrom": extra.grafana_env,
            "plugins": extra.plugins,
            "grafana.ini": {
                "users": {"allow_sign_up": False},
                "auth.anonymous": {"enabled": False},
                "analytics": {"reporting_enabled": False, "check_for_updates": False},
                "security": {"disable_gravatar": True, "cookie_samesite": "strict"},
            },
        },
    }
    for component in _CONTROL_PLANE_SCRAPES:
        if managed_control_plane:
            values[component] = {"enabled": False}
    return values
