"""The kube-prometheus-stack Release: pinned chart, values from config, no secret and nothing public."""

from __future__ import annotations

import re
from typing import Any

import pytest

from components.monitoring.values import (
    ALERTMANAGER_SECRETS_DIR,
    CHART,
    CHART_REPOSITORY,
    CHART_VERSION,
    GRAFANA_ADMIN_PASSWORD_KEY,
)
from offline.runner.export import is_secret
from offline.runner.mocks.core import ResourceCall
from offline.runner.mocks.kubernetes import RESOURCES
from tests.helpers import SHIPPED_STACKS, find, one, plain, run_stack

RELEASE = "kubernetes:helm.sh/v3:Release"
NAME = "monitoring-kube-prometheus-stack"
SECRET = "kubernetes:core/v1:Secret"
PASSWORD = "random:index/randomPassword:RandomPassword"
# Keys that would hold a credential if given a literal; `*_file`, `*Key` and `existingSecret`
# name where the credential lives instead.
NAMES_A_SECRET = frozenset({"existingSecret"})
IN_CLUSTER_URL = re.compile(r"^https?://[a-z0-9.-]+(:[0-9]+)?(/[^@?]*)?$")
"""A datasource address (in-cluster Service or VPC endpoint): no user info or query, so no credential."""
ENV_REFERENCE = re.compile(r"^\$\{[A-Z_][A-Z0-9_]*\}$")
"""Grafana expands `${NAME}` from its env (secretKeyRef): a reference, not a value."""
CREDENTIAL_KEY = re.compile(r"(?i)(password|passwd|secret|token|routing_key|service_key|api_key|url)$")


def release_values(stack: str, *overrides: str) -> dict[str, Any]:
    return plain(one(run_stack(stack, *overrides), RELEASE, NAME).inputs["values"])


def walk(value: Any, path: str = "") -> list[tuple[str, Any]]:
    if isinstance(value, dict):
        return [item for key, child in value.items() for item in walk(child, f"{path}.{key}")]
    if isinstance(value, list):
        return [item for index, child in enumerate(value) for item in walk(child, f"{path}[{index}]")]
    return [(path, value)]


@pytest.mark.parametrize("stack", SHIPPED_STACKS)
def test_chart_is_pinned_in_the_monitoring_namespace(stack: str) -> None:
    release = plain(one(run_stack(stack), RELEASE, NAME).inputs)
    assert (release["chart"], release["version"], release["repositoryOpts"]) == (
        CHART, CHART_VERSION, {"repo": CHART_REPOSITORY})
    assert release["namespace"] == "monitoring"
    assert re.fullmatch(r"[0-9]+\.[0-9]+\.[0-9]+", release["version"])


@pytest.mark.parametrize(("stack", "days", "size", "retention_size"), [
    ("production", 30, "100Gi", "85GB"), ("staging", 7, "20Gi", "17GB"), ("local", 3, "10Gi", "8GB"),
    ("production-azure", 30, "100Gi", "85GB"),
])
def test_retention_and_storage_come_from_config(stack: str, days: int, size: str, retention_size: str) -> None:
    spec = release_values(stack)["prometheus"]["prometheusSpec"]
    assert spec["retention"] == f"{days}d"
    assert spec["retentionSize"] == retention_size
    claim = spec["storageSpec"]["volumeClaimTemplate"]["spec"]
    assert claim["resources"]["requests"]["storage"] == size
    assert "storageClassName" not in claim


def test_storage_class_from_config() -> None:
    claim = release_values("local", "monitoring.storageClass=fast-ssd")["prometheus"]["prometheusSpec"]["storageSpec"]
    assert claim["volumeClaimTemplate"]["spec"]["storageClassName"] == "fast-ssd"


@pytest.mark.parametrize("stack", SHIPPED_STACKS)
def test_selectors_pick_up_monitors_and_rules_without_release_labels(stack: str) -> None:
    spec = release_values(stack)["prometheus"]["prometheusSpec"]
    for kind in ("serviceMonitor", "podMonitor", "rule", "probe", "scrapeConfig"):
        assert spec[f"{kind}SelectorNilUsesHelmValues"] is False
    for kind in ("serviceMonitor", "podMonitor", "rule"):
        assert spec[f"{kind}Selector"] == {} and spec[f"{kind}NamespaceSelector"] == {}


@pytest.mark.parametrize("stack", SHIPPED_STACKS)
def test_nothing_is_exposed_outside_the_cluster(stack: str) -> None:
    values = release_values(stack)
    for part in ("prometheus", "alertmanager", "grafana"):
        assert values[part]["service"]["type"] == "ClusterIP"
        assert values[part]["ingress"]["enabled"] is False
    leaves = walk(values)
    assert [p for p, v in leaves if v in ("LoadBalancer", "NodePort")] == []
    assert [p for p, v in leaves if p.endswith(".ingress.enabled") and v is not False] == []


@pytest.mark.parametrize("stack", SHIPPED_STACKS)
def test_no_literal_credential_in_values(stack: str) -> None:
    result = run_stack(stack)
    values = release_values(stack)
    literal = [(p, v) for p, v in walk(values)
               if CREDENTIAL_KEY.search(key := p.rsplit(".", 1)[-1]) and key not in NAMES_A_SECRET and isinstance(v, str)
               and not IN_CLUSTER_URL.match(v) and not ENV_REFERENCE.match(v)]
    assert literal == []
    # The generated Grafana password is nowhere in the release's inputs.
    generated = one(result, PASSWORD, "monitoring-grafana-admin-password").outputs["result"]
    assert str(generated) not in str(plain(one(result, RELEASE, NAME).inputs))


@pytest.mark.parametrize("stack", SHIPPED_STACKS)
def test_grafana_admin_comes_from_the_generated_secret(stack: str) -> None:
    result = run_stack(stack)
    secret = one(result, SECRET, "monitoring-grafana-admin")
    admin = release_values(stack)["grafana"]["admin"]
    assert admin["existingSecret"] == secret.outputs["metadata"]["name"]
    assert is_secret(secret.inputs["stringData"])
    password = one(result, PASSWORD, "monitoring-grafana-admin-password")
    assert plain(secret.inputs["stringData"])[GRAFANA_ADMIN_PASSWORD_KEY] == plain(password.outputs["result"])
    assert int(plain(password.inputs["length"])) >= 32
    release = one(result, RELEASE, NAME)
    assert secret.urn in release.dependencies


def test_dashboard_sidecar_watches_the_labelled_configmaps() -> None:
    dashboards = release_values("production")["grafana"]["sidecar"]["dashboards"]
    assert dashboards == {"enabled": True, "label": "grafana_dashboard", "labelValue": "1", "searchNamespace": "monitoring"}


def test_webhook_url_is_read_from_the_mounted_secret() -> None:
    config = release_values(
        "staging", "monitoring.alertReceiver.kind=webhook", "monitoring.alertReceiver.secretName=hooks",
        "monitoring.alertReceiver.secretKey=endpoint", "alertReceiverSecret=https://hooks.example/x")["alertmanager"]["config"]
    oncall = next(r for r in config["receivers"] if r["name"] == "oncall")
    assert oncall["webhook_configs"] == [{"url_file": f"{ALERTMANAGER_SECRETS_DIR}/hooks/endpoint", "send_resolved": True}]


def test_without_receiver_alerts_stay_in_alertmanager() -> None:
    alertmanager = release_values("staging")["alertmanager"]
    assert alertmanager["config"]["route"]["receiver"] == "null"
    assert [r["name"] for r in alertmanager["config"]["receivers"]] == ["null"]
    assert "secrets" not in alertmanager["alertmanagerSpec"]


@pytest.mark.parametrize(("stack", "managed"), [
    ("production", True), ("staging", True), ("production-azure", True), ("local", False)])
def test_control_plane_scrapes_only_where_the_control_plane_is_reachable(stack: str, managed: bool) -> None:
    values = release_values(stack)
    for component in ("kubeControllerManager", "kubeScheduler", "kubeEtcd", "kubeProxy"):
        assert (values.get(component) == {"enabled": False}) is managed
    assert (values["defaultRules"]["rules"].get("etcd") is False) is managed


def test_release_mock_emulates_helm_status_and_autoname() -> None:
    call = ResourceCall(type=RELEASE, name="x", inputs={"chart": "c", "version": "1.2.3", "namespace": "ns"}, id="x", custom=True)
    state = RESOURCES[RELEASE](call)
    assert state["status"] == {"name": state["name"], "namespace": "ns", "chart": "c", "version": "1.2.3",
                               "revision": 1, "status": "deployed"}
    assert re.fullmatch(r"x-[0-9a-f]{8}", state["name"])
    named = RESOURCES[RELEASE](ResourceCall(type=RELEASE, name="y", inputs={"name": "fixed"}, id="y", custom=True))
    assert (named["name"], named["status"]["namespace"]) == ("fixed", "default")


def test_release_status_is_what_outputs_wait_for() -> None:
    result = run_stack("production")
    release = one(result, RELEASE, NAME)
    assert release.outputs["status"]["status"] == "deployed"
    component = one(result, "orchestrator:monitoring:Monitoring")
    assert component.outputs["grafanaService"] == "grafana"
    assert component.outputs["prometheusUrl"] == "http://kube-prometheus-prometheus.monitoring.svc:9090"
    assert component.outputs["alertmanagerUrl"] == "http://kube-prometheus-alertmanager.monitoring.svc:9093"


def test_disabled_monitoring_declares_nothing() -> None:
    result = run_stack("staging", "monitoring.enabled=false")
    children = [r for r in result.resources if r.parent.endswith("orchestrator:monitoring:Monitoring::monitoring")]
    assert children == []
    assert find(result, RELEASE, NAME) == []
