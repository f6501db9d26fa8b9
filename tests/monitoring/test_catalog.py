"""Every metric the rules and dashboards query is produced by an exporter in the catalog, or by a rule."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from components.monitoring import assets
from tests.helpers import ROOT
from tests.monitoring.promql import metric_names, variable_metric_names

CATALOG = ROOT / "monitoring" / "catalog"


def catalog(exporter: str) -> set[str]:
    data = yaml.safe_load((CATALOG / f"{exporter}.yaml").read_text())
    return set(data["metrics"])


def recorded() -> set[str]:
    return {rule["record"] for a in assets.RULE_FILES for group in assets.load_rule_file(a.file)["groups"]
            for rule in group["rules"] if "record" in rule}


def rule_exprs(file: str) -> list[str]:
    return [rule["expr"] for group in assets.load_rule_file(file)["groups"] for rule in group["rules"]]


def dashboard_queries(file: str) -> tuple[list[str], list[str]]:
    board = json.loads((assets.DASHBOARDS_DIR / file).read_text())
    # Logs panels' queries are written per platform by the program (tests/monitoring/test_service_dashboard.py).
    exprs = [target["expr"] for panel in board["panels"] if panel["type"] != assets.LOGS_PANEL_TYPE
             for target in panel.get("targets", [])]
    variables = [v["query"]["query"] if isinstance(v["query"], dict) else v["query"]
                 for v in board["templating"]["list"] if v["type"] == "query"]
    return exprs, variables


@pytest.mark.parametrize(("expr", "expected"), [
    ('sum by (slot) (rate(http_requests_total{job="orchestrator",code=~"5.."}[5m]))', {"http_requests_total"}),
    ("histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket{slot=\"green\"}[5m])))",
     {"http_request_duration_seconds_bucket"}),
    ('a:b:ratio_rate1h{job="x"} > (14.4 * 0.001) and on () count(up offset 5m) > 1e3', {"a:b:ratio_rate1h", "up"}),
    ('absent(up{job="haproxy"} == 1)', {"up"}),
    ('max by (pod) (x{namespace="$namespace",l!="by"}) / ignoring(pod) group_left y[$__rate_interval]', {"x", "y"}),
    ('sum without (instance) (rate(z_total{a="sum(q)"}[5m:1m]))', {"z_total"}),
])
def test_metric_name_extraction(expr: str, expected: set[str]) -> None:
    assert metric_names(expr) == expected


def test_variable_query_extraction() -> None:
    assert variable_metric_names('label_values(http_requests_total{job="orchestrator"}, slot)') == {"http_requests_total"}
    assert variable_metric_names("label_values(cnpg_collector_up, namespace)") == {"cnpg_collector_up"}


def test_catalog_files_are_well_formed() -> None:
    exporters = {e for a in (*assets.RULE_FILES, *assets.DASHBOARDS) for e in a.exporters}
    assert exporters == {p.stem for p in CATALOG.glob("*.yaml")}
    for exporter in exporters:
        data: dict[str, Any] = yaml.safe_load((CATALOG / f"{exporter}.yaml").read_text())
        assert data["exporter"] and data["metrics"]
        for name, meta in data["metrics"].items():
            assert meta["type"] in {"counter", "gauge", "histogram", "summary"}, name


@pytest.mark.parametrize("asset", assets.RULE_FILES, ids=lambda a: a.file)
def test_rule_metrics_are_catalogued(asset: assets.Asset) -> None:
    known = set().union(*(catalog(e) for e in asset.exporters)) | recorded()
    used = set().union(*(metric_names(expr) for expr in rule_exprs(asset.file)))
    assert used, asset.file
    assert used - known == set()


@pytest.mark.parametrize("asset", assets.DASHBOARDS, ids=lambda a: a.file)
def test_dashboard_metrics_are_catalogued(asset: assets.Asset) -> None:
    known = set().union(*(catalog(e) for e in asset.exporters)) | recorded()
    exprs, variables = dashboard_queries(asset.file)
    used = set().union(*(metric_names(e) for e in exprs), *(variable_metric_names(v) for v in variables))
    assert used, asset.file
    assert used - known == set()


def test_recorded_series_used_by_dashboards_are_recorded_on_every_platform_they_ship_to() -> None:
    everywhere = {rule["record"] for a in assets.RULE_FILES if a.platforms == assets.EVERYWHERE
                  for group in assets.load_rule_file(a.file)["groups"] for rule in group["rules"] if "record" in rule}
    for asset in assets.DASHBOARDS:
        exprs, _ = dashboard_queries(asset.file)
        used = set().union(*(metric_names(e) for e in exprs))
        assert (used & recorded()) - everywhere == set(), asset.file


@pytest.mark.parametrize("path", sorted((ROOT / "monitoring" / "dashboards").glob("*.json")), ids=lambda p: p.name)
def test_dashboards_parse_and_are_self_contained(path: Path) -> None:
    board = json.loads(path.read_text())
    assert board["uid"].startswith("orchestrator-") and board["title"].startswith("Orchestrator / ")
    assert board["panels"]
    assert board["templating"]["list"][0]["name"] == "datasource"
    ids = [panel["id"] for panel in board["panels"]]
    assert len(ids) == len(set(ids))
    for panel in board["panels"]:
        if panel["type"] == assets.LOGS_PANEL_TYPE:
            # The log store's datasource; the program writes the query for the platform's store.
            assert panel["datasource"] == {"uid": "logs"} and panel["targets"] == []
            continue
        assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}
        assert panel["targets"] and all(t["expr"].strip() for t in panel["targets"])


def test_service_overview_shows_rps_p95_and_errors_per_slot() -> None:
    exprs, _ = dashboard_queries("service-overview.json")
    per_slot = [e for e in exprs if "sum by (slot" in e]
    assert any("http_requests_total" in e and "code=~" not in e for e in per_slot)
    assert any("histogram_quantile(0.95" in e and "http_request_duration_seconds_bucket" in e for e in per_slot)
    assert any('code=~"5.."' in e for e in per_slot)
