"""The rendered manifests of every shipped stack against real tools: kubernetes-validate and checkov."""

from __future__ import annotations

import fnmatch
import functools
import json
import subprocess
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from offline.render.manifests import render_manifests, write_rendered
from offline.runner.stacks import ROOT, available_stacks
from tests.helpers import run_stack

STACKS = available_stacks(ROOT)
CHECKOV = ROOT / ".venv-checkov" / "bin" / "checkov"
ALLOWLIST = ROOT / "checkov-allowlist.yaml"
SCHEMAS = Path(kubernetes_validate.__file__).parent / "kubernetes-json-schema"

CUSTOM_RESOURCE_API_VERSIONS = frozenset({
    # kubernetes-validate ships only the core API's schemas. These CRDs' objects are validated by
    # their owners' tests against the operators' own schemas.
    "postgresql.cnpg.io/v1",            # CloudNativePG Cluster, ScheduledBackup (database)
    "monitoring.coreos.com/v1",         # ServiceMonitor, PodMonitor, PrometheusRule (monitoring)
    "monitoring.coreos.com/v1alpha1",   # AlertmanagerConfig (monitoring)
    "cert-manager.io/v1",               # Certificate, Issuer (edge)
    "redis.redis.opstreelabs.in/v1beta2",  # RedisCluster (cache)
    "elbv2.k8s.aws/v1beta1",            # TargetGroupBinding of the AWS Load Balancer Controller (front door)
})


def _kubernetes_version() -> str:
    """1.33 (the clusters' version), else the newest shipped version >= 1.31."""
    versions = []
    for entry in SCHEMAS.iterdir():
        if entry.name.endswith("-local-strict"):
            major, minor, patch = entry.name.removeprefix("v").removesuffix("-local-strict").split(".")
            versions.append((int(major), int(minor), int(patch)))
    wanted = [v for v in versions if v[:2] == (1, 33)]
    chosen = max(wanted or versions)
    assert chosen >= (1, 31, 0), f"kubernetes-validate ships no schema for 1.31 or newer: {sorted(versions)}"
    return ".".join(map(str, chosen))


VERSION = _kubernetes_version()


@functools.cache
def rendered(stack: str) -> tuple[tuple[str, Any], ...]:
    return tuple(render_manifests(run_stack(stack)))


def objects(stack: str) -> list[tuple[str, dict[str, Any]]]:
    return [(path, obj) for path, obj in rendered(stack) if path.startswith("manifests/")]


def test_version_is_current() -> None:
    assert tuple(int(p) for p in VERSION.split(".")[:2]) >= (1, 31)


@pytest.mark.parametrize("stack", STACKS)
def test_kubernetes_validate_strict(stack: str) -> None:
    checked: set[str] = set()
    problems: list[str] = []
    for path, obj in objects(stack):
        if obj["apiVersion"] in CUSTOM_RESOURCE_API_VERSIONS:
            continue
        try:
            kubernetes_validate.validate(obj, VERSION, strict=True)
            checked.add(path)
        except kubernetes_validate.SchemaNotFoundError:
            problems.append(f"{path}: no schema for {obj['apiVersion']}/{obj['kind']} in {VERSION}; "
                            "if it is a custom resource, list its apiVersion in CUSTOM_RESOURCE_API_VERSIONS")
        except kubernetes_validate.ValidationError as error:
            problems.append(f"{path}: {error.message} at {'/'.join(map(str, error.path))}")
    assert problems == []
    # A render that validated nothing would prove nothing: the app's objects at least were checked.
    assert {p for p in checked if p.startswith("manifests/orchestrator/")} >= {
        "manifests/orchestrator/deployment-orchestrator-blue.yaml", "manifests/orchestrator/deployment-orchestrator-green.yaml",
        "manifests/orchestrator/service-orchestrator-live.yaml", "manifests/orchestrator/networkpolicy-default-deny.yaml",
        "manifests/orchestrator/horizontalpodautoscaler-orchestrator-green.yaml",
        "manifests/orchestrator/poddisruptionbudget-orchestrator-blue.yaml",
    }
    assert "manifests/_cluster/namespace-orchestrator.yaml" in checked


def test_strict_validation_rejects_what_the_api_server_would() -> None:
    deployment = next(o for p, o in objects("production") if p.endswith("deployment-orchestrator-blue.yaml"))
    broken = json.loads(json.dumps(deployment))
    broken["spec"]["template"]["spec"]["containers"][0]["readinessProbes"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, VERSION, strict=True)
    wrong_type = json.loads(json.dumps(deployment))
    wrong_type["spec"]["revisionHistoryLimit"] = "five"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(wrong_type, VERSION, strict=True)


# --- checkov -------------------------------------------------------------------------------


def allowlist() -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = yaml.safe_load(ALLOWLIST.read_text(encoding="utf-8")) or []
    return entries


def test_allowlist_entries_are_justified() -> None:
    for entry in allowlist():
        assert set(entry) == {"check", "resources", "reason"}, entry
        assert entry["check"].startswith(("CKV_K8S_", "CKV2_K8S_")), entry
        assert entry["resources"] and all(isinstance(r, str) for r in entry["resources"]), entry
        assert len(entry["reason"].split()) >= 12, f"{entry['check']}: say why in a sentence or two"


def allowed(check: str, resource: str) -> bool:
    return any(e["check"] == check and any(fnmatch.fnmatchcase(resource, r) for r in e["resources"]) for e in allowlist())


@pytest.fixture(scope="module")
def checkov_report(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    assert CHECKOV.exists(), f"{CHECKOV} is missing: run `make checkov-venv` (checkov==3.3.30 in its own virtualenv)"
    root = tmp_path_factory.mktemp("rendered")
    for stack in STACKS:
        write_rendered([(p, o) for p, o in rendered(stack) if p.startswith("manifests/")], root / stack)
    run = subprocess.run(
        [str(CHECKOV), "-d", str(root), "--framework", "kubernetes", "-o", "json", "--skip-download"],
        capture_output=True, text=True, timeout=600, check=False,
    )
    # Exit 1 means failed checks (judged below); anything else is checkov itself failing.
    assert run.returncode in (0, 1), run.stderr[-2000:]
    report = json.loads(run.stdout)
    reports: list[dict[str, Any]] = report if isinstance(report, list) else [report]
    return reports


def failures(reports: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
    return [(f["check_id"], f["resource"], f["file_path"]) for r in reports for f in r["results"]["failed_checks"]]


def test_checkov_scanned_every_stack(checkov_report: list[dict[str, Any]]) -> None:
    passed = [p["file_path"] for r in checkov_report for p in r["results"]["passed_checks"]]
    for stack in STACKS:
        assert any(path.startswith(f"/{stack}/") for path in passed), stack
    assert all(r["summary"]["parsing_errors"] == 0 for r in checkov_report)


def test_checkov_no_failed_checks_beyond_the_allowlist(checkov_report: list[dict[str, Any]]) -> None:
    unexpected = [f for f in failures(checkov_report) if not allowed(f[0], f[1])]
    assert unexpected == []


def test_checkov_allowlist_has_no_stale_entries(checkov_report: list[dict[str, Any]]) -> None:
    found = failures(checkov_report)
    for entry in allowlist():
        for pattern in entry["resources"]:
            assert any(c == entry["check"] and fnmatch.fnmatchcase(r, pattern) for c, r, _ in found), (
                f"{entry['check']} {pattern} no longer fails: remove it from {ALLOWLIST.name}")
