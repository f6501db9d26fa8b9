"""kube-prometheus-stack, the app and edge ServiceMonitors, the SLO rules and the dashboards."""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import pulumi_random as random

from components.monitoring import assets, monitors
from components.monitoring.contract import MonitoringArgs, MonitoringOutputs
from components.monitoring.values import (
    CHART,
    CHART_REPOSITORY,
    CHART_VERSION,
    DASHBOARD_LABEL,
    GRAFANA_ADMIN_PASSWORD_KEY,
    GRAFANA_ADMIN_USER_KEY,
    GRAFANA_SERVICE,
    RELEASE_NAME,
    alertmanager_url,
    chart_values,
    prometheus_url,
)

PART_OF = {"app.kubernetes.io/part-of": "orchestrator", "app.kubernetes.io/managed-by": "pulumi"}
GRAFANA_ADMIN_SECRET = "grafana-admin"
GRAFANA_ADMIN_USER = "orchestrator-admin"
API_SERVER_PORTS = (443, 6443)
OPERATOR_WEBHOOK_PORT = 10250
"""prometheus-operator's admission webhook / metrics port; the API server calls it."""


def alert_names(rendered: dict[str, dict[str, Any]]) -> list[str]:
    return sorted(
        {rule["alert"] for data in rendered.values() for group in data["groups"] for rule in group["rules"] if "alert" in rule}
    )


class Monitoring(pulumi.ComponentResource):
    outputs: MonitoringOutputs

    def __init__(self, name: str, args: MonitoringArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("orchestrator:monitoring:Monitoring", name, None, opts)
        config = args.config
        monitoring = config.monitoring
        ns_name = monitoring.namespace
        if not monitoring.enabled:
            empty = pulumi.Output.from_input("")
            self.outputs = MonitoringOutputs(namespace=empty, grafana_service=empty, prometheus_url=empty)
            self.register_outputs({"enabled": False})
            return

        child = pulumi.ResourceOptions(parent=self)
        namespace = k8s.core.v1.Namespace(
            f"{name}-namespace",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=ns_name, labels={"kubernetes.io/metadata.name": ns_name, **PART_OF}),
            opts=child,
        )
        ns = namespace.metadata.name
        self._network_policies(name, ns)

        password = random.RandomPassword(f"{name}-grafana-admin-password", length=32, special=False, opts=child)
        admin_password: pulumi.Output[str] = pulumi.Output.secret(password.result)
        admin_secret = k8s.core.v1.Secret(
            f"{name}-grafana-admin",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=GRAFANA_ADMIN_SECRET, namespace=ns, labels=dict(PART_OF)),
            type="Opaque",
            string_data={
                GRAFANA_ADMIN_USER_KEY: GRAFANA_ADMIN_USER,
                GRAFANA_ADMIN_PASSWORD_KEY: admin_password,
            },
            opts=child,
        )

        release = k8s.helm.v3.Release(
            f"{name}-kube-prometheus-stack",
            k8s.helm.v3.ReleaseArgs(
                name=RELEASE_NAME,
                chart=CHART,
                version=CHART_VERSION,
                repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=CHART_REPOSITORY),
                namespace=ns,
                # The Secret's name as an Output: Helm installs only after the Secret exists.
                values=chart_values(config, admin_secret.metadata.name),
                cleanup_on_fail=True,
                max_history=10,
                timeout=900,
            ),
            opts=child,
        )
        # Monitors and rules are custom resources whose CRDs the release installs.
        after_release = pulumi.ResourceOptions(parent=self, depends_on=[release])
        scrape = monitoring.scrape_interval_seconds
        self._custom("ServiceMonitor", f"{name}-app", "orchestrator-app", ns,
                     monitors.app_service_monitor(args.app_namespace, scrape), opts=after_release)
        self._custom("ServiceMonitor", f"{name}-edge", "orchestrator-edge", ns,
                     monitors.edge_service_monitor(args.edge_namespace, scrape), opts=after_release)

        rendered = assets.render_rules(config.platform, monitoring.runbook_base_url)
        for file, rules in rendered.items():
            stem = file.removesuffix(".yaml")
            self._custom("PrometheusRule", f"{name}-rules-{stem}", f"orchestrator-{stem}", ns, rules, opts=after_release)

        titles: list[str] = []
        for file, text in assets.dashboards(config.platform).items():
            stem = file.removesuffix(".json")
            titles.append(str(json.loads(text)["title"]))
            k8s.core.v1.ConfigMap(
                f"{name}-dashboard-{stem}",
                metadata=k8s.meta.v1.ObjectMetaArgs(
                    name=f"grafana-dashboard-{stem}",
                    namespace=ns,
                    labels={DASHBOARD_LABEL[0]: DASHBOARD_LABEL[1], **PART_OF},
                ),
                data={file: text},
                opts=child,
            )

        ready = release.status.apply(lambda _: True)
        self.outputs = MonitoringOutputs(
            namespace=ns,
            grafana_service=ready.apply(lambda _: GRAFANA_SERVICE),
            prometheus_url=ready.apply(lambda _: prometheus_url(ns_name)),
            alertmanager_url=ready.apply(lambda _: alertmanager_url(ns_name)),
            dashboards=titles,
            alerts=alert_names(rendered),
            crds=[release],
        )
        self.register_outputs({
            "namespace": self.outputs.namespace,
            "grafanaService": self.outputs.grafana_service,
            "prometheusUrl": self.outputs.prometheus_url,
            "alertmanagerUrl": self.outputs.alertmanager_url,
            "dashboards": titles,
            "alerts": self.outputs.alerts,
        })

    def _custom(
        self, kind: str, resource_name: str, object_name: str, namespace: pulumi.Input[str],
        spec: dict[str, Any], *, opts: pulumi.ResourceOptions,
    ) -> k8s.apiextensions.CustomResource:
        return k8s.apiextensions.CustomResource(
            resource_name,
            api_version=monitors.API_VERSION,
            kind=kind,
            metadata=k8s.meta.v1.ObjectMetaArgs(name=object_name, namespace=namespace, labels=dict(PART_OF)),
            spec=spec,
            opts=opts,
        )

    def _network_policies(self, name: str, namespace: pulumi.Input[str]) -> None:
        """Default deny, then what the stack needs: in-namespace traffic, DNS, the API server, the
        operator's webhook, Prometheus scraping every namespace, Alertmanager calling its receiver."""
        child = pulumi.ResourceOptions(parent=self)
        everyone: dict[str, Any] = {}
        anywhere = [{"ipBlock": {"cidr": "0.0.0.0/0"}}]
        same_namespace: list[dict[str, Any]] = [{"podSelector": {}}]
        dns = {
            "to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}}}],
            "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}],
        }
        # Plain wire-form specs (camelCase), as the API server takes them.
        policies: dict[str, Any] = {
            "default-deny": {"podSelector": everyone, "policyTypes": ["Ingress", "Egress"]},
            "allow-stack": {
                "podSelector": everyone,
                "policyTypes": ["Ingress", "Egress"],
                "ingress": [
                    {"from": same_namespace},
                    {"from": anywhere, "ports": [{"protocol": "TCP", "port": OPERATOR_WEBHOOK_PORT}]},
                ],
                "egress": [
                    {"to": same_namespace},
                    dns,
                    # The API server (operator, kube-state-metrics, Grafana's sidecar) and HTTPS
                    # receivers (PagerDuty, webhooks) have no in-cluster selector.
                    {"to": anywhere, "ports": [{"protocol": "TCP", "port": port} for port in API_SERVER_PORTS]},
                ],
            },
            "prometheus-scrape": {
                "podSelector": {"matchLabels": {"app.kubernetes.io/name": "prometheus"}},
                "policyTypes": ["Egress"],
                # Targets live in every namespace and on node addresses (kubelet, node-exporter).
                "egress": [{"to": anywhere}],
            },
        }
        for role, spec in policies.items():
            k8s.networking.v1.NetworkPolicy(
                f"{name}-{role}",
                metadata=k8s.meta.v1.ObjectMetaArgs(name=role, namespace=namespace, labels=dict(PART_OF)),
                spec=spec,
                opts=child,
            )
