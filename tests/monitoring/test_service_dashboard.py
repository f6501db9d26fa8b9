"""The service dashboard: metrics -> traces (exemplars) -> logs, per blue/green slot, on every platform.

Read from what each shipped stack deploys (the dashboard ConfigMap and the kube-prometheus-stack
values that provision Grafana's datasources), not from the file alone: the logs panels' queries are
written by the program for the platform's log store.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from components.monitoring import assets
from tests.helpers import SHIPPED_STACKS, find, one, plain, run_stack

FILE = "service-slots.json"
CONFIG_MAP = "kubernetes:core/v1:ConfigMap"
RELEASE = "kubernetes:helm.sh/v3:Release"
STORE_TYPES = {"production": "grafana-opensearch-datasource", "staging": "grafana-opensearch-datasource",
               "production-azure": "grafana-azure-monitor-datasource", "local": "loki"}


def board(stack: str, *overrides: str) -> dict[str, Any]:
    result = run_stack(stack, *overrides)
    (config_map,) = [r for r in find(result, CONFIG_MAP) if r.name == "monitoring-dashboard-service-slots"]
    parsed: dict[str, Any] = json.loads(plain(config_map.inputs)["data"][FILE])
    return parsed


def grafana(stack: str, *overrides: str) -> dict[str, Any]:
    values: dict[str, Any] = plain(one(run_stack(stack, *overrides), RELEASE, "monitoring-kube-prometheus-stack")
                                   .inputs["values"])["grafana"]
    return values


def provisioned(stack: str) -> dict[str, str]:
    """uid -> type of every datasource the stack provisions in Grafana."""
    values = grafana(stack)
    sidecar = values["sidecar"]["datasources"]
    assert sidecar["enabled"] and sidecar.get("defaultDatasourceEnabled", True)
    return {sidecar["uid"]: "prometheus", **{d["uid"]: d["type"] for d in values["additionalDataSources"]}}


def targets(dashboard: dict[str, Any]) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    for panel in dashboard["panels"]:
        for target in panel["targets"]:
            yield panel, target


def query_text(target: dict[str, Any]) -> str:
    """The query a target runs, whatever the datasource calls it."""
    for key in ("expr", "query"):
        if isinstance(target.get(key), str):
            return str(target[key])
    return str(target["azureLogAnalytics"]["query"])


def datasource_refs(value: Any) -> Iterator[dict[str, Any]]:
    if isinstance(value, dict):
        if isinstance(value.get("datasource"), dict):
            yield value["datasource"]
        for item in value.values():
            yield from datasource_refs(item)
    elif isinstance(value, list):
        for item in value:
            yield from datasource_refs(item)


def test_file_parses_and_ships_on_every_platform() -> None:
    shipped = json.loads((assets.DASHBOARDS_DIR / FILE).read_text())
    assert shipped["uid"] == "orchestrator-service-slots"
    assert next(a for a in assets.DASHBOARDS if a.file == FILE).platforms == assets.EVERYWHERE


@pytest.mark.parametrize("stack", SHIPPED_STACKS)
def test_every_query_names_the_slot(stack: str) -> None:
    dashboard = board(stack)
    variables = {v["name"]: v for v in dashboard["templating"]["list"]}
    assert "slot" in variables["slot"]["definition"] and variables["slot"]["multi"]
    found = list(targets(dashboard))
    assert found
    for panel, target in found:
        text = query_text(target)
        assert "$slot" in text, (panel["title"], text)
        if panel["type"] == "timeseries":
            # Per-slot series: selected by the slot and kept apart by it.
            assert 'slot=~"$slot"' in text or 'server=~"$slot"' in text, text
            assert "by (slot" in text or '"slot", "$1", "server"' in text, text
            assert target["legendFormat"].startswith("{{slot}}")


@pytest.mark.parametrize("stack", SHIPPED_STACKS)
def test_rate_errors_and_latency_quantiles_per_slot(stack: str) -> None:
    texts = [query_text(t) for _, t in targets(board(stack))]
    assert any("rate(http_requests_total{" in t and "code=~" not in t and t.startswith("sum by (slot)") for t in texts)
    assert any('code=~"5.."' in t and " / " in t for t in texts)
    quantiles = {t.split(",")[0] for t in texts if t.startswith("histogram_quantile(")}
    assert quantiles == {"histogram_quantile(0.5", "histogram_quantile(0.95", "histogram_quantile(0.99"}
    assert any("haproxy_server_weight" in t for t in texts)  # which slot is active and which the canary


@pytest.mark.parametrize("stack", SHIPPED_STACKS)
def test_every_datasource_it_uses_is_provisioned(stack: str) -> None:
    dashboard = board(stack)
    available = provisioned(stack)
    variables = {v["name"]: v for v in dashboard["templating"]["list"]}
    refs = list(datasource_refs(dashboard))
    assert refs
    for ref in refs:
        uid = ref["uid"]
        if uid.startswith("${"):
            variable = variables[uid[2:-1]]
            # A datasource variable resolves to a provisioned datasource of its type.
            assert variable["type"] == "datasource" and variable["query"] in available.values(), variable
            continue
        assert uid in available, (uid, available)
        if "type" in ref:
            assert ref["type"] == available[uid], ref


@pytest.mark.parametrize("stack", SHIPPED_STACKS)
def test_latency_exemplars_open_the_tracing_datasource(stack: str) -> None:
    dashboard = board(stack)
    (latency,) = [p for p in dashboard["panels"] if "histogram_quantile" in json.dumps(p["targets"])]
    assert latency["targets"] and all(t["exemplar"] is True for t in latency["targets"])
    values = grafana(stack)
    destination = values["sidecar"]["datasources"]["exemplarTraceIdDestinations"]
    tracing = {d["uid"] for d in values["additionalDataSources"] if d["type"] == "jaeger"}
    assert destination == {"datasourceUid": next(iter(tracing)), "traceIdLabelName": "trace_id"} and len(tracing) == 1
    # Prometheus keeps the exemplars the link needs.
    prometheus = plain(one(run_stack(stack), RELEASE, "monitoring-kube-prometheus-stack").inputs["values"])["prometheus"]
    assert "exemplar-storage" in prometheus["prometheusSpec"]["enableFeatures"]


@pytest.mark.parametrize("stack", SHIPPED_STACKS)
def test_traces_link_to_the_log_store_and_to_the_slot_metrics(stack: str) -> None:
    values = grafana(stack)
    (jaeger,) = [d for d in values["additionalDataSources"] if d["type"] == "jaeger"]
    (logs,) = [d for d in values["additionalDataSources"] if d["uid"] == "logs"]
    assert logs["type"] == STORE_TYPES[stack]
    links = jaeger["jsonData"]
    assert links["tracesToLogsV2"]["datasourceUid"] == logs["uid"] and links["tracesToLogsV2"]["filterByTraceID"]
    assert links["tracesToMetrics"]["datasourceUid"] == values["sidecar"]["datasources"]["uid"]
    assert {"key": "orchestrator.slot", "value": "slot"} in links["tracesToMetrics"]["tags"]


@pytest.mark.parametrize("stack", SHIPPED_STACKS)
def test_one_logs_panel_per_slot_on_the_platforms_store(stack: str) -> None:
    dashboard = board(stack)
    (panel,) = assets.log_panels(dashboard)
    assert panel["repeat"] == "slot" and "$slot" in panel["title"]
    assert panel["datasource"] == {"type": STORE_TYPES[stack], "uid": "logs"}
    (target,) = panel["targets"]
    text = query_text(target)
    expected = {
        "loki": '{k8s_namespace_name="orchestrator"} | slot="$slot"',
        "grafana-opensearch-datasource": 'resource.slot:"$slot"',
        "grafana-azure-monitor-datasource": 'tostring(Properties["slot"]) == "$slot"',
    }[STORE_TYPES[stack]]
    assert expected in text, text


def test_azure_logs_panel_queries_the_stacks_workspace() -> None:
    (target,) = assets.log_panels(board("production-azure"))[0]["targets"]
    workspace = one(run_stack("production-azure"), "azure-native:operationalinsights:Workspace")
    assert target["azureLogAnalytics"]["resources"] == [workspace.id]
    assert target["azureLogAnalytics"]["query"].startswith("AppTraces | where $__timeFilter(TimeGenerated)")


def test_without_a_log_store_the_logs_panels_are_dropped() -> None:
    dashboard = board("local", "monitoring.logs.enabled=false")
    assert assets.log_panels(dashboard) == []
    assert [p["id"] for p in dashboard["panels"]] == [1, 2, 3, 4]
    assert "logs" not in {ref["uid"] for ref in datasource_refs(dashboard)}
