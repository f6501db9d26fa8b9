"""`offline render`: every Kubernetes object as one YAML file, an index, and the generated artifacts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from offline.cli import main
from offline.render.manifests import REDACTED, manifest, render_manifests, write_rendered
from offline.runner.mocks import Registration
from offline.runner.program import ProgramResult
from tests.helpers import run_stack

STACKS = ["production", "staging", "local", "production-azure"]
ENVELOPE = {"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270"}


def k8s(name: str, type_: str, inputs: dict[str, Any], outputs: dict[str, Any] | None = None) -> Registration:
    return Registration(urn=f"urn:pulumi:s::p::{type_}::{name}", type=type_, name=name, custom=True, parent="",
                        inputs=inputs, outputs=outputs or {})


def program(*records: Registration) -> ProgramResult:
    return ProgramResult(stack="s", project="p", preview=False, resources=list(records), outputs={})


@pytest.mark.parametrize("stack", STACKS)
def test_every_kubernetes_object_is_rendered_once(stack: str) -> None:
    result = run_stack(stack)
    files = dict(render_manifests(result))
    index = files["index.yaml"]["objects"]
    expected = [r.urn for r in result.resources
                if r.custom and r.type.startswith("kubernetes:") and not r.type.startswith("kubernetes:helm.sh/")]
    assert [entry["urn"] for entry in index] == expected
    for entry in index:
        obj = files[entry["path"]]
        assert (obj["apiVersion"], obj["kind"], obj["metadata"]["name"]) == (entry["apiVersion"], entry["kind"], entry["name"])
        assert obj["metadata"].get("namespace") == entry["namespace"]
        assert entry["path"].startswith(f"manifests/{entry['namespace'] or '_cluster'}/")
        assert not entry["unknowns"]


def test_app_objects_in_production() -> None:
    files = dict(render_manifests(run_stack("production")))
    deployment = files["manifests/orchestrator/deployment-orchestrator-green.yaml"]
    assert deployment["apiVersion"] == "apps/v1"
    assert deployment["spec"]["template"]["spec"]["containers"][0]["image"] == "ghcr.io/acme/orchestrator:2.15.0"
    assert files["manifests/orchestrator/horizontalpodautoscaler-orchestrator-blue.yaml"]["spec"]["minReplicas"] == 3
    assert files["manifests/_cluster/namespace-orchestrator.yaml"]["metadata"]["name"] == "orchestrator"
    assert "namespace" not in files["manifests/_cluster/namespace-orchestrator.yaml"]["metadata"]


def test_autoname_default_namespace_and_whole_numbers() -> None:
    record = k8s("cm", "kubernetes:core/v1:ConfigMap",
                 {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"labels": {"a": "b"}}, "data": {"n": "1"}},
                 {"metadata": {"name": "cm-1a2b3c4d", "namespace": "default", "uid": "x"}})
    obj = manifest(record)
    assert obj["metadata"] == {"labels": {"a": "b"}, "name": "cm-1a2b3c4d", "namespace": "default"}
    port = manifest(k8s("svc", "kubernetes:core/v1:Service",
                        {"metadata": {"name": "s", "namespace": "n"}, "spec": {"ports": [{"port": 80.0}]}}))
    assert port["apiVersion"] == "v1" and port["kind"] == "Service"
    assert port["spec"]["ports"][0]["port"] == 80
    assert isinstance(port["spec"]["ports"][0]["port"], int)


def test_secrets_never_reach_the_files(tmp_path: Path) -> None:
    secret = k8s("s", "kubernetes:core/v1:Secret", {
        "apiVersion": "v1", "kind": "Secret", "metadata": {"name": "creds", "namespace": "app"},
        "stringData": {**ENVELOPE, "value": {"password": "hunter2-plaintext"}},
        "data": {"token": {**ENVELOPE, "value": "aHVudGVyMg=="}},
    })
    written = write_rendered(render_manifests(program(secret)), tmp_path)
    text = "".join(p.read_text() for p in written)
    assert "hunter2" not in text and "aHVudGVyMg==" not in text
    obj = yaml.safe_load((tmp_path / "manifests/app/secret-creds.yaml").read_text())
    assert obj["stringData"] == {"password": REDACTED}
    # `data` stays valid base64.
    import base64
    assert base64.b64decode(obj["data"]["token"]).decode() == REDACTED


def test_artifacts_haproxy_rules_dashboards_and_helm_values() -> None:
    cfg = "global\n  maxconn 100\n"
    rules = {"groups": [{"name": "slo", "rules": [{"alert": "HighErrorRate", "expr": "vector(1) > 0"}]}]}
    result = program(
        k8s("edge-config", "kubernetes:core/v1:ConfigMap", {
            "apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "haproxy", "namespace": "edge"},
            "data": {"haproxy.cfg": cfg}}),
        k8s("rules", "kubernetes:monitoring.coreos.com/v1:PrometheusRule", {
            "apiVersion": "monitoring.coreos.com/v1", "kind": "PrometheusRule",
            "metadata": {"name": "slo", "namespace": "monitoring"}, "spec": rules}),
        k8s("dash", "kubernetes:core/v1:ConfigMap", {
            "apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "dash", "namespace": "monitoring"},
            "data": {"overview.json": json.dumps({"title": "Overview"})}}),
        k8s("prom", "kubernetes:helm.sh/v3:Release", {
            "name": "prometheus", "namespace": "monitoring", "chart": "kube-prometheus-stack",
            "values": {"grafana": {"adminPassword": {**ENVELOPE, "value": "s3cret"}}}}),
    )
    files = dict(render_manifests(result))
    assert files["haproxy/haproxy.cfg"] == cfg
    assert files["haproxy/haproxy.cfg"] == files["haproxy/haproxy.cfg"]
    assert files["prometheus/monitoring-slo.rules.yaml"] == rules
    assert json.loads(files["grafana/overview.json"]) == {"title": "Overview"}
    assert files["helm/monitoring-prometheus.values.yaml"] == {"grafana": {"adminPassword": REDACTED}}
    assert [e["kind"] for e in files["index.yaml"]["objects"]] == ["ConfigMap", "PrometheusRule", "ConfigMap"]


def test_cli_render_writes_files_and_clears_stale_ones(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    stale = tmp_path / "manifests" / "old" / "deployment-gone.yaml"
    stale.parent.mkdir(parents=True)
    stale.write_text("kind: Deployment\n")
    keep = tmp_path / "notes.txt"
    keep.write_text("mine")
    assert main(["render", "production", "--out", str(tmp_path)]) == 0
    assert "Rendered" in capsys.readouterr().out
    assert not stale.exists() and keep.read_text() == "mine"
    index = yaml.safe_load((tmp_path / "index.yaml").read_text())
    assert index["stack"] == "production"
    for entry in index["objects"]:
        assert yaml.safe_load((tmp_path / entry["path"]).read_text())["kind"] == entry["kind"]
    assert (tmp_path / "manifests/orchestrator/service-orchestrator-live.yaml").exists()
