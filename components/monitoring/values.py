"""Values of the kube-prometheus-stack Helm release, computed from the stack config.

helm.v3.Release children are invisible to CrossGuard, so the policy pack reads these values:
they never hold a literal credential and never expose a UI outside the cluster.
"""

from __future__ import annotations

from typing import Any

import pulumi

from components.config import MonitoringConfig, Platform, StackConfig

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


def alertmanager_config(monitoring: MonitoringConfig) -> dict[str, Any]:
    """Routing and receivers; the key or URL is read from the mounted Secret, never inlined."""
    receiver = monitoring.alert_receiver
    receivers: list[dict[str, Any]] = [{"name": NULL_RECEIVER}]
    default = NULL_RECEIVER
    if receiver.kind != "none":
        path = f"{ALERTMANAGER_SECRETS_DIR}/{receiver.secret_name}/{receiver.key}"
        if receiver.kind == "pagerduty":
            receivers.append({"name": RECEIVER, "pagerduty_configs": [{"routing_key_file": path, "send_resolved": True}]})
        else:
            receivers.append({"name": RECEIVER, "webhook_configs": [{"url_file": path, "send_resolved": True}]})
        default = RECEIVER
    return {
        "global": {"resolve_timeout": "5m"},
        "route": {
            "receiver": default,
            "group_by": ["alertname", "namespace", "slot"],
            "group_wait": "30s",
            "group_interval": "5m",
            "repeat_interval": "4h",
            "routes": [
                # The chart's always-firing heartbeat; it proves the pipeline, it pages nobody.
                {"receiver": NULL_RECEIVER, "matchers": ['alertname = "Watchdog"']},
                {"receiver": NULL_RECEIVER, "matchers": ['alertname = "InfoInhibitor"']},
            ],
        },
        "inhibit_rules": [
            {
                "source_matchers": ['severity = "critical"'],
                "target_matchers": ['severity = "warning"'],
                "equal": ["alertname", "namespace"],
            }
        ],
        "receivers": receivers,
        "templates": ["/etc/alertmanager/config/*.tmpl"],
    }


def chart_values(config: StackConfig, grafana_admin_secret: pulumi.Input[str]) -> dict[str, Any]:
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
    if monitoring.alert_receiver.secret_name:
        alertmanager_spec["secrets"] = [monitoring.alert_receiver.secret_name]

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
            },
        },
        "alertmanager": {
            "service": {"type": "ClusterIP"},
            "ingress": {"enabled": False},
            "alertmanagerSpec": alertmanager_spec,
            "config": alertmanager_config(monitoring),
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
                "datasources": {"enabled": True},
            },
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
