"""ServiceMonitors, PrometheusRules and dashboard ConfigMaps as declared, per platform, against the CRD models."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from components.config import Platform
from components.monitoring import assets
from components.monitoring.values import OPERATOR_VERSION
from tests.helpers import ROOT, SHIPPED_STACKS, find, one, plain, run_stack
from tests.monitoring import crd

SERVICE_MONITOR = "kubernetes:monitoring.coreos.com/v1:ServiceMonitor"
POD_MONITOR = "kubernetes:monitoring.coreos.com/v1:PodMonitor"
RULE = "kubernetes:monitoring.coreos.com/v1:PrometheusRule"
CONFIG_MAP = "kubernetes:core/v1:ConfigMap"
RELEASE = "kubernetes:helm.sh/v3:Release"
PLATFORM = {"production": Platform.AWS, "staging": Platform.AWS, "production-azure": Platform.AZURE, "local": Platform.KUBERNETES}


def manifest(record: Any) -> dict[str, Any]:
    inputs = plain(record.inputs)
    return {key: inputs[key] for key in ("apiVersion", "kind", "metadata", "spec") if key in inputs}


@pytest.mark.parametrize("stack", SHIPPED_STACKS)
def test_app_service_monitor_scrapes_both_slots_labelled_by_slot(stack: str) -> None:
    spec = plain(one(run_stack(stack), SERVICE_MONITOR, "monitoring-app").inputs["spec"])
    assert spec["namespaceSelector"] == {"matchNames": ["orchestrator"]}
    assert spec["selector"] == {
        "matchLabels": {"app.kubernetes.io/name": "orchestrator", "app.kubernetes.io/component": "api"},
        "matchExpressions": [{"key": "slot", "operator": "In", "values": ["blue", "green"]}],
    }
    assert spec["jobLabel"] == "app.kubernetes.io/name"  # job="orchestrator", as the rules select
    (endpoint,) = spec["endpoints"]
    assert (endpoint["port"], endpoint["path"]) == ("http", "/metrics")
    assert {"action": "replace", "sourceLabels": ["__meta_kubernetes_service_label_slot"], "targetLabel": "slot"} in endpoint[
        "relabelings"]


def test_scrape_interval_from_config() -> None:
    result = run_stack("staging", "monitoring.scrapeIntervalSeconds=30")
    spec = plain(one(result, SERVICE_MONITOR, "monitoring-edge").inputs["spec"])
    assert spec["endpoints"][0]["interval"] == "30s"


@pytest.mark.parametrize("stack", SHIPPED_STACKS)
def test_edge_service_monitor_scrapes_haproxy_exporter(stack: str) -> None:
    spec = plain(one(run_stack(stack), SERVICE_MONITOR, "monitoring-edge").inputs["spec"])
    assert spec["namespaceSelector"] == {"matchNames": ["edge"]}
    assert spec["selector"] == {"matchLabels": {"app.kubernetes.io/name": "haproxy"}}
    assert [(e["port"], e["path"]) for e in spec["endpoints"]] == [("metrics", "/metrics")]


@pytest.mark.parametrize("stack", SHIPPED_STACKS)
def test_rules_per_platform_are_the_rendered_rule_files(stack: str) -> None:
    result = run_stack(stack)
    platform = PLATFORM[stack]
    rules = {r.name: plain(r.inputs["spec"]) for r in find(result, RULE)}
    expected = assets.render_rules(platform, "https://github.com/acme/orchestrator-infra/blob/main/docs/runbooks.md")
    assert rules == {f"monitoring-rules-{file.removesuffix('.yaml')}": data for file, data in expected.items()}
    in_cluster_data = {"monitoring-rules-database", "monitoring-rules-cache"}
    assert (in_cluster_data <= set(rules)) is (platform is Platform.KUBERNETES)
    assert in_cluster_data.isdisjoint(rules) is (platform is not Platform.KUBERNETES)


def test_runbook_links_use_the_configured_base() -> None:
    result = run_stack("production", "monitoring.runbookBaseUrl=https://wiki.acme.example/runbooks")
    urls = [rule["annotations"]["runbook_url"] for record in find(result, RULE)
            for group in plain(record.inputs["spec"])["groups"] for rule in group["rules"] if "alert" in rule]
    assert urls and all(re.fullmatch(r"https://wiki\.acme\.example/runbooks#[a-z0-9-]+", url) for url in urls)


@pytest.mark.parametrize("stack", SHIPPED_STACKS)
def test_dashboards_ship_as_labelled_configmaps(stack: str) -> None:
    result = run_stack(stack)
    platform = PLATFORM[stack]
    maps = {r.name: plain(r.inputs) for r in find(result, CONFIG_MAP) if r.name.startswith("monitoring-dashboard-")}
    expected = {a.file for a in assets.DASHBOARDS if a.applies_to(platform)}
    assert {f"monitoring-dashboard-{f.removesuffix('.json')}" for f in expected} == set(maps)
    for name, inputs in maps.items():
        assert inputs["metadata"]["labels"]["grafana_dashboard"] == "1"
        assert inputs["metadata"]["namespace"] == "monitoring"
        ((key, text),) = inputs["data"].items()
        shipped = (ROOT / "monitoring" / "dashboards" / key).read_text()
        if assets.log_panels(json.loads(shipped)):
            # Only the logs panels' queries are the platform's: the rest is the file, unchanged.
            board = json.loads(text)
            assert [p for p in board["panels"] if p["type"] != "logs"] == [
                p for p in json.loads(shipped)["panels"] if p["type"] != "logs"]
            assert {k: v for k, v in board.items() if k != "panels"} == {
                k: v for k, v in json.loads(shipped).items() if k != "panels"}
        else:
            assert text == shipped
        assert name == f"monitoring-dashboard-{key.removesuffix('.json')}"
    titles = one(result, "orchestrator:monitoring:Monitoring").outputs["dashboards"]
    assert sorted(titles) == sorted(json.loads((ROOT / "monitoring" / "dashboards" / f).read_text())["title"] for f in expected)


@pytest.mark.parametrize("stack", SHIPPED_STACKS)
def test_custom_resources_wait_for_the_release_that_installs_their_crds(stack: str) -> None:
    result = run_stack(stack)
    release = one(result, RELEASE, "monitoring-kube-prometheus-stack")
    mine = [r for r in find(result, SERVICE_MONITOR) + find(result, RULE) if r.name.startswith("monitoring-")]
    assert len(mine) >= 6
    assert [r.name for r in mine if release.urn not in r.dependencies] == []


@pytest.mark.parametrize("stack", SHIPPED_STACKS)
def test_every_declared_monitor_and_rule_validates_strictly(stack: str) -> None:
    result = run_stack(stack)
    records = find(result, SERVICE_MONITOR) + find(result, POD_MONITOR) + find(result, RULE)
    assert records
    assert {r.name: crd.problems(manifest(r)) for r in records} == {r.name: [] for r in records}


GOOD_SERVICE_MONITOR = {
    "apiVersion": "monitoring.coreos.com/v1", "kind": "ServiceMonitor", "metadata": {"name": "m", "namespace": "monitoring"},
    "spec": {"selector": {"matchLabels": {"a": "b"}}, "endpoints": [{"port": "http", "relabelings": [
        {"sourceLabels": ["__meta_kubernetes_service_label_slot"], "targetLabel": "slot"}]}]},
}


@pytest.mark.parametrize(("mutate", "expected"), [
    (lambda o: o["spec"].update(endpoint=o["spec"].pop("endpoints")), ["spec.endpoints: Field required"]),
    (lambda o: o["spec"].update(namespaceSelectors={"any": True}), ["ServiceMonitor.spec.namespaceSelectors: unknown field"]),
    (lambda o: o["spec"]["endpoints"][0]["relabelings"][0].update(target_label="slot"),
     ["ServiceMonitor.spec.endpoints[0].relabelings[0].target_label: unknown field"]),
    (lambda o: o["spec"]["endpoints"][0].update(interval=15), ["spec.endpoints.0.interval: Input should be a valid string"]),
])
def test_strict_validation_catches_misspelt_and_mistyped_fields(mutate: Any, expected: list[str]) -> None:
    assert crd.problems(GOOD_SERVICE_MONITOR) == []
    broken = json.loads(json.dumps(GOOD_SERVICE_MONITOR))
    mutate(broken)
    assert crd.problems(broken) == expected


def test_strict_validation_of_pod_monitor_and_rule() -> None:
    pod_monitor = {"apiVersion": "monitoring.coreos.com/v1", "kind": "PodMonitor", "metadata": {"name": "p"},
                   "spec": {"selector": {}, "podMetricsEndpoints": [{"port": "metrics"}]}}
    assert crd.problems(pod_monitor) == []
    # The misspelling this test's author first made, caught by the check.
    pod_monitor["spec"]["podMetricEndpoints"] = pod_monitor["spec"].pop("podMetricsEndpoints")
    assert crd.problems(pod_monitor) == ["PodMonitor.spec.podMetricEndpoints: unknown field"]
    rule = {"apiVersion": "monitoring.coreos.com/v1", "kind": "PrometheusRule", "metadata": {"name": "r"},
            "spec": {"groups": [{"name": "g", "rules": [{"alert": "A", "expr": "vector(1)", "for": "5m"}]}]}}
    assert crd.problems(rule) == []
    rule["spec"]["groups"][0]["rules"][0]["annotation"] = {"summary": "x"}
    assert crd.problems(rule) == ["PrometheusRule.spec.groups[0].rules[0].annotation: unknown field"]


def test_crd_models_match_the_operator_of_the_pinned_chart() -> None:
    pins = dict(line.split("==", 1) for line in (ROOT / "requirements.txt").read_text().splitlines() if "==" in line)
    model = pins["cloudcoil.models.prometheus_operator"]
    # cloudcoil's model versions are the operator's version plus a build number.
    assert model.rsplit(".", 1)[0] == OPERATOR_VERSION


@pytest.mark.parametrize("stack", SHIPPED_STACKS)
def test_monitoring_namespace_is_default_deny(stack: str) -> None:
    policies = {r.name: plain(r.inputs["spec"]) for r in find(run_stack(stack), "kubernetes:networking.k8s.io/v1:NetworkPolicy")
                if r.name.startswith("monitoring-")}
    assert policies["monitoring-default-deny"] == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
    stack_policy = policies["monitoring-allow-stack"]
    # Ingress from outside the namespace only to the operator's webhook port.
    outside = [rule for rule in stack_policy["ingress"] if rule["from"] != [{"podSelector": {}}]]
    assert outside == [{"from": [{"ipBlock": {"cidr": "0.0.0.0/0"}}], "ports": [{"protocol": "TCP", "port": 10250}]}]
    assert policies["monitoring-prometheus-scrape"]["podSelector"] == {"matchLabels": {"app.kubernetes.io/name": "prometheus"}}


def test_rule_and_dashboard_registries_match_the_files() -> None:
    assert sorted(a.file for a in assets.RULE_FILES) == sorted(p.name for p in assets.RULES_DIR.glob("*.yaml"))
    assert sorted(a.file for a in assets.DASHBOARDS) == sorted(p.name for p in assets.DASHBOARDS_DIR.glob("*.json"))
    assert Path(assets.ROOT) == ROOT / "monitoring"
