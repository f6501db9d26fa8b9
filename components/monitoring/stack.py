"""kube-prometheus-stack, the app and edge ServiceMonitors, the SLO rules and the dashboards."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, cast

import pulumi
import pulumi_kubernetes as k8s
import pulumi_random as random

from components.config import Platform, StackConfig
from components.conventions import (
    MANAGED_BY,
    NAME_LABEL,
    NAMESPACE_NAME_LABEL,
    PART_OF,
    POD_SECURITY_ENFORCE,
    PRIVILEGED,
    SYSTEM_NAMESPACE,
)
from components.monitoring import alerting, assets, monitors
from components.monitoring.contract import (
    APP_SERVICE_LABELS,
    COLLECTOR_POD_LABELS,
    COLLECTOR_SERVICE,
    JAEGER_DATASOURCE_UID,
    JAEGER_QUERY_PORT,
    JAEGER_SERVICE,
    OTLP_GRPC_PORT,
    OTLP_HTTP_PORT,
    PROMETHEUS_DATASOURCE_UID,
    MonitoringArgs,
    MonitoringOutputs,
)
from components.monitoring.logs import AGENT_RELEASE, LogStore, agent_values
from components.monitoring.telemetry import collector_endpoint
from components.monitoring.tracing import (
    BADGER_CLAIM,
    COLLECTOR_CHART,
    COLLECTOR_CHART_REPOSITORY,
    COLLECTOR_CHART_VERSION,
    COLLECTOR_HEADLESS,
    JAEGER_CHART,
    JAEGER_CHART_REPOSITORY,
    JAEGER_CHART_VERSION,
    SAMPLING_PORT,
    gateway_values,
    jaeger_values,
    trace_store,
)
from components.monitoring.values import (
    CHART,
    CHART_REPOSITORY,
    CHART_VERSION,
    DASHBOARD_LABEL,
    GRAFANA_ADMIN_PASSWORD_KEY,
    GRAFANA_ADMIN_USER_KEY,
    GRAFANA_SERVICE,
    RELEASE_NAME,
    Observability,
    alertmanager_url,
    chart_values,
    prometheus_url,
)

STACK_LABELS = {**PART_OF, **MANAGED_BY}
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
            metadata=k8s.meta.v1.ObjectMetaArgs(name=ns_name, labels={
                NAMESPACE_NAME_LABEL: ns_name,
                # node-exporter (host network and PID namespace) and the log agent (read-only hostPath
                # /var/log/pods) cannot meet `baseline`; every other pod here is hardened to `restricted`.
                POD_SECURITY_ENFORCE: PRIVILEGED,
                **STACK_LABELS,
            }),
            opts=child,
        )
        ns = namespace.metadata.name
        self._network_policies(name, ns, args.app_namespace)
        receivers, receiver_secrets = alerting.receivers(name, monitoring, ns, STACK_LABELS, self)
        store = self._log_store(name, config, args, ns) if monitoring.logs.enabled else None
        tracing = monitoring.tracing.enabled

        password = random.RandomPassword(f"{name}-grafana-admin-password", length=32, special=False, opts=child)
        admin_password: pulumi.Output[str] = pulumi.Output.secret(password.result)
        admin_secret = k8s.core.v1.Secret(
            f"{name}-grafana-admin",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=GRAFANA_ADMIN_SECRET, namespace=ns, labels=dict(STACK_LABELS)),
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
                values=chart_values(config, admin_secret.metadata.name, receivers, _grafana_extras(config, store, tracing)),
                cleanup_on_fail=True,
                max_history=10,
                timeout=900,
            ),
            # Alertmanager mounts the receivers' Secrets: they exist before it starts.
            opts=pulumi.ResourceOptions(parent=self, depends_on=receiver_secrets),
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
            board = json.loads(text)
            titles.append(str(board["title"]))
            data: pulumi.Input[str] = text
            if assets.log_panels(board):
                # The logs panels query the platform's store: written here, per platform (or dropped).
                filled = assets.with_log_queries(
                    board, store.datasource["type"] if store else None, store.slot_logs_query if store else None)
                data = pulumi.Output.json_dumps(filled, indent=2)
            k8s.core.v1.ConfigMap(
                f"{name}-dashboard-{stem}",
                metadata=k8s.meta.v1.ObjectMetaArgs(
                    name=f"grafana-dashboard-{stem}",
                    namespace=ns,
                    labels={DASHBOARD_LABEL[0]: DASHBOARD_LABEL[1], **STACK_LABELS},
                ),
                data={file: data},
                opts=child,
            )

        if tracing:
            self._tracing(name, config, ns, store, release)
        if store is not None:
            _release(self, f"{name}-log-agent", AGENT_RELEASE, COLLECTOR, ns, values=agent_values(store),
                     depends_on=store.ready)

        ready = release.status.apply(lambda _: True)
        self.outputs = MonitoringOutputs(
            namespace=ns,
            grafana_service=ready.apply(lambda _: GRAFANA_SERVICE),
            prometheus_url=ready.apply(lambda _: prometheus_url(ns_name)),
            alertmanager_url=ready.apply(lambda _: alertmanager_url(ns_name)),
            dashboards=titles,
            alerts=alert_names(rendered),
            collector_endpoint=collector_endpoint(config) if tracing else "",
            jaeger_url=f"http://{JAEGER_SERVICE}.{ns_name}.svc:{JAEGER_QUERY_PORT}" if tracing else "",
            log_store=store.kind if store is not None else "",
            crds=[release],
        )
        self.register_outputs({
            "namespace": self.outputs.namespace,
            "grafanaService": self.outputs.grafana_service,
            "prometheusUrl": self.outputs.prometheus_url,
            "alertmanagerUrl": self.outputs.alertmanager_url,
            "dashboards": titles,
            "alerts": self.outputs.alerts,
            "collectorEndpoint": self.outputs.collector_endpoint,
            "jaegerUrl": self.outputs.jaeger_url,
            "logStore": self.outputs.log_store,
            "logStoreEndpoint": store.endpoint if store is not None and store.endpoint is not None else "",
        })

    def _log_store(self, name: str, config: StackConfig, args: MonitoringArgs, ns: pulumi.Output[str]) -> LogStore:
        # Imported here: each platform's store pulls in its cloud SDK.
        if config.platform is Platform.AWS:
            from components.cluster.aws import EksFoundation
            from components.monitoring.logs_aws import opensearch_store

            if not isinstance(args.foundation, EksFoundation):
                raise TypeError("the AWS log store needs the EksFoundation (MonitoringArgs.foundation)")
            return opensearch_store(name, config, args.foundation, ns, self)
        if config.platform is Platform.AZURE:
            from components.cluster.azure import AksFoundation
            from components.monitoring.logs_azure import log_analytics_store

            if not isinstance(args.foundation, AksFoundation):
                raise TypeError("the Azure log store needs the AksFoundation (MonitoringArgs.foundation)")
            return log_analytics_store(name, config, args.foundation, ns, self)
        from components.monitoring.logs_kubernetes import loki_store

        return loki_store(name, config, ns, self)

    def _tracing(self, name: str, config: StackConfig, ns: pulumi.Output[str], store: LogStore | None,
                 prometheus: pulumi.Resource) -> None:
        """Jaeger first (the gateway exports to it), then the gateway (its ServiceMonitor needs the CRDs)."""
        child = pulumi.ResourceOptions(parent=self)
        tracing = config.monitoring.tracing
        spans = trace_store(config, store.opensearch if store is not None else None)
        jaeger_needs: list[pulumi.Resource] = list(store.ready) if spans.kind == "opensearch" and store else []
        if spans.kind == "badger":
            storage_spec: Any = {"accessModes": ["ReadWriteOnce"],
                                            "resources": {"requests": {"storage": f"{tracing.storage_gb}Gi"}}}
            if config.monitoring.storage_class:
                storage_spec["storageClassName"] = config.monitoring.storage_class
            jaeger_needs.append(k8s.core.v1.PersistentVolumeClaim(
                f"{name}-jaeger-badger",
                metadata=k8s.meta.v1.ObjectMetaArgs(name=BADGER_CLAIM, namespace=ns, labels=dict(STACK_LABELS)),
                spec=storage_spec,
                opts=pulumi.ResourceOptions(parent=self, protect=config.is_production,
                                            retain_on_delete=config.is_production),
            ))
        jaeger = _release(self, f"{name}-jaeger", JAEGER_SERVICE, JAEGER, ns, values=jaeger_values(spans),
                          depends_on=jaeger_needs)
        if tracing.sampling.mode == "tail":
            # Peers of the gateway's loadbalancing exporter: every replica, by pod address.
            k8s.core.v1.Service(
                f"{name}-collector-sampling",
                metadata=k8s.meta.v1.ObjectMetaArgs(name=COLLECTOR_HEADLESS, namespace=ns, labels=dict(STACK_LABELS)),
                spec=cast(Any, {"clusterIP": "None", "selector": dict(COLLECTOR_POD_LABELS), "publishNotReadyAddresses": False,
                      "ports": [{"name": "otlp-sampling", "port": SAMPLING_PORT, "targetPort": SAMPLING_PORT,
                                 "protocol": "TCP"}]}),
                opts=child,
            )
        _release(self, f"{name}-otel-collector", COLLECTOR_SERVICE, COLLECTOR, ns,
                 values=gateway_values(config, config.monitoring.namespace),
                 depends_on=[jaeger, prometheus])

    def _custom(
        self, kind: str, resource_name: str, object_name: str, namespace: pulumi.Input[str],
        spec: dict[str, Any], *, opts: pulumi.ResourceOptions,
    ) -> k8s.apiextensions.CustomResource:
        return k8s.apiextensions.CustomResource(
            resource_name,
            api_version=monitors.API_VERSION,
            kind=kind,
            metadata=k8s.meta.v1.ObjectMetaArgs(name=object_name, namespace=namespace, labels=dict(STACK_LABELS)),
            spec=spec,
            opts=opts,
        )

    def _network_policies(self, name: str, namespace: pulumi.Input[str], app_namespace: pulumi.Input[str]) -> None:
        """Default deny, then what the stack needs: in-namespace traffic (collector -> Jaeger, Grafana ->
        backends), DNS, the API server, the operator's webhook, Prometheus scraping every namespace,
        Alertmanager and the log shipper calling HTTPS endpoints, the app sending OTLP to the gateway."""
        child = pulumi.ResourceOptions(parent=self)
        everyone: dict[str, Any] = {}
        anywhere = [{"ipBlock": {"cidr": "0.0.0.0/0"}}]
        same_namespace: list[dict[str, Any]] = [{"podSelector": {}}]
        dns = {
            "to": [{"namespaceSelector": {"matchLabels": {NAMESPACE_NAME_LABEL: SYSTEM_NAMESPACE}}}],
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
                "podSelector": {"matchLabels": {NAME_LABEL: "prometheus"}},
                "policyTypes": ["Egress"],
                # Targets live in every namespace and on node addresses (kubelet, node-exporter).
                "egress": [{"to": anywhere}],
            },
            # The app's pods reach the collector gateway on the OTLP ports, and nothing else here.
            "otlp-from-app": {
                "podSelector": {"matchLabels": dict(COLLECTOR_POD_LABELS)},
                "policyTypes": ["Ingress"],
                "ingress": [{
                    "from": [{"namespaceSelector": {"matchLabels": {NAMESPACE_NAME_LABEL: app_namespace}},
                              "podSelector": {"matchLabels": dict(APP_SERVICE_LABELS)}}],
                    "ports": [{"protocol": "TCP", "port": OTLP_GRPC_PORT}, {"protocol": "TCP", "port": OTLP_HTTP_PORT}],
                }],
            },
        }
        for role, spec in policies.items():
            k8s.networking.v1.NetworkPolicy(
                f"{name}-{role}",
                metadata=k8s.meta.v1.ObjectMetaArgs(name=role, namespace=namespace, labels=dict(STACK_LABELS)),
                spec=spec,
                opts=child,
            )


@dataclass(frozen=True)
class Chart:
    name: str
    version: str
    repository: str


def _release(
    parent: pulumi.Resource, resource_name: str, release_name: str, chart: Chart, namespace: pulumi.Input[str],
    *, values: dict[str, Any], depends_on: list[pulumi.Resource],
) -> k8s.helm.v3.Release:
    return k8s.helm.v3.Release(
        resource_name,
        k8s.helm.v3.ReleaseArgs(
            name=release_name, chart=chart.name, version=chart.version,
            repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=chart.repository),
            namespace=namespace, values=values, cleanup_on_fail=True, max_history=10, timeout=600,
        ),
        opts=pulumi.ResourceOptions(parent=parent, depends_on=depends_on),
    )


def _grafana_extras(config: StackConfig, store: LogStore | None, tracing: bool) -> Observability:
    """Jaeger and the log store as Grafana datasources, linked both ways (traces -> logs and metrics,
    exemplars -> traces)."""
    datasources: list[dict[str, Any]] = []
    if store is not None:
        datasources.append(store.datasource)
    if tracing:
        ns = config.monitoring.namespace
        span_window = {"spanStartTimeShift": "-5m", "spanEndTimeShift": "5m"}
        links: dict[str, Any] = {
            "tracesToMetrics": {
                "datasourceUid": PROMETHEUS_DATASOURCE_UID, **span_window,
                "tags": [{"key": "orchestrator.slot", "value": "slot"}],
                "queries": [
                    {"name": "Request rate", "query": 'sum(rate(http_requests_total{job="orchestrator",$__tags}[5m]))'},
                    {"name": "P95 latency", "query": 'histogram_quantile(0.95, sum by (le) (rate('
                                                     'http_request_duration_seconds_bucket{job="orchestrator",$__tags}[5m])))'},
                ],
            },
            "nodeGraph": {"enabled": True},
        }
        if store is not None:
            links["tracesToLogsV2"] = {"datasourceUid": store.datasource["uid"], **span_window,
                                       "filterByTraceID": True, "filterBySpanID": False}
        datasources.append({"name": "Traces (Jaeger)", "uid": JAEGER_DATASOURCE_UID, "type": "jaeger", "access": "proxy",
                            "url": f"http://{JAEGER_SERVICE}.{ns}.svc:{JAEGER_QUERY_PORT}", "jsonData": links})
    plugins = ["grafana-opensearch-datasource"] if store is not None and store.kind == "opensearch" else []
    return Observability(datasources=datasources, grafana_env=store.grafana_env if store else {}, plugins=plugins,
                         exemplar_datasource=JAEGER_DATASOURCE_UID if tracing else None)


COLLECTOR = Chart(COLLECTOR_CHART, COLLECTOR_CHART_VERSION, COLLECTOR_CHART_REPOSITORY)
JAEGER = Chart(JAEGER_CHART, JAEGER_CHART_VERSION, JAEGER_CHART_REPOSITORY)
