"""The rendered rules under the real tool: `promtool check rules` and the unit tests in monitoring/tests."""

from __future__ import annotations

import functools
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from components.monitoring import assets
from offline.render.manifests import render_manifests, write_rendered
from tests.helpers import ROOT, SHIPPED_STACKS, run_stack

UNIT_TESTS = ROOT / "monitoring" / "tests"
TEST_RUNBOOKS = "https://runbooks.test/docs/runbooks.md"
"""The runbook base the unit tests' expected annotations use."""


def promtool() -> str:
    path = shutil.which("promtool")
    if path is None:
        pytest.fail("promtool is not installed: `apt-get install prometheus` (.ci/run installs it)")
    return path


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([promtool(), *args], cwd=cwd, capture_output=True, text=True, timeout=300, check=False)


@functools.cache
def _rendered(stack: str, *overrides: str) -> dict[str, str]:
    """Rule files as `python -m offline render` writes them, keyed by their source file's name."""
    files = {}
    for path, content in render_manifests(run_stack(stack, *overrides)):
        if path.startswith("prometheus/monitoring-orchestrator-"):
            stem = path.removeprefix("prometheus/monitoring-orchestrator-").removesuffix(".rules.yaml")
            files[f"{stem}.yaml"] = yaml.safe_dump(content, sort_keys=False, width=1_000_000)
    return files


def write_rules(stack: str, target: Path, *overrides: str) -> list[str]:
    files = _rendered(stack, *overrides)
    for name, text in files.items():
        (target / name).write_text(text)
    return sorted(files)


def test_promtool_is_required(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(pytest.fail.Exception, match="apt-get install prometheus"):
        promtool()


def test_render_writes_one_rule_file_per_prometheus_rule(tmp_path: Path) -> None:
    written = write_rendered(render_manifests(run_stack("local")), tmp_path)
    rule_files = sorted(p.name for p in written
                        if p.parent.name == "prometheus" and p.name.startswith("monitoring-orchestrator-"))
    assert rule_files == sorted(f"monitoring-orchestrator-{a.file.removesuffix('.yaml')}.rules.yaml" for a in assets.RULE_FILES)


@pytest.mark.parametrize("stack", SHIPPED_STACKS)
def test_promtool_check_rules_accepts_the_rendered_rules(stack: str, tmp_path: Path) -> None:
    names = write_rules(stack, tmp_path)
    assert names, "no PrometheusRule rendered"
    result = run("check", "rules", *names, cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("SUCCESS") == len(names)


def _unit_test_files() -> list[str]:
    return sorted(p.name for p in UNIT_TESTS.glob("*_test.yaml"))


@pytest.mark.parametrize("test_file", _unit_test_files())
def test_promtool_unit_tests_pass_on_the_rendered_rules(test_file: str, tmp_path: Path) -> None:
    # The kubernetes platform renders every rule file; the unit tests run against what it declares.
    write_rules("local", tmp_path, f"monitoring.runbookBaseUrl={TEST_RUNBOOKS}")
    shutil.copy(UNIT_TESTS / test_file, tmp_path / test_file)
    result = run("test", "rules", test_file, cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_every_rule_file_has_unit_tests() -> None:
    covered = {f for p in UNIT_TESTS.glob("*_test.yaml") for f in yaml.safe_load(p.read_text())["rule_files"]}
    assert covered == {a.file for a in assets.RULE_FILES}


def test_every_alert_has_a_firing_and_a_quiet_case() -> None:
    fires: set[str] = set()
    quiet: set[str] = set()
    for path in UNIT_TESTS.glob("*_test.yaml"):
        for case in yaml.safe_load(path.read_text())["tests"]:
            for check in case.get("alert_rule_test", []):
                (fires if check["exp_alerts"] else quiet).add(check["alertname"])
    alerts = {rule["alert"] for a in assets.RULE_FILES for group in assets.load_rule_file(a.file)["groups"]
              for rule in group["rules"] if "alert" in rule}
    assert alerts - fires == set()
    assert alerts - quiet == set()


@pytest.mark.parametrize(("original", "mutated", "failing"), [
    # A laxer latency threshold: the 250 ms case no longer fires.
    ("sum by (job, le) (rate(http_request_duration_seconds_bucket{job=\"orchestrator\"}[5m]))) > 0.2",
     "sum by (job, le) (rate(http_request_duration_seconds_bucket{job=\"orchestrator\"}[5m]))) > 0.3",
     "OrchestratorLatencyP95High"),
    # A stricter one: the 150 ms case and the healthy service fire.
    ("sum by (job, le) (rate(http_request_duration_seconds_bucket{job=\"orchestrator\"}[5m]))) > 0.2",
     "sum by (job, le) (rate(http_request_duration_seconds_bucket{job=\"orchestrator\"}[5m]))) > 0.05",
     "OrchestratorLatencyP95High"),
    ("job:http_request_errors:ratio_rate5m{job=\"orchestrator\"} > 0.001",
     "job:http_request_errors:ratio_rate5m{job=\"orchestrator\"} > 0.003",
     "OrchestratorErrorRateHigh"),
    ("> (14.4 * 0.001)", "> (1 * 0.001)", "OrchestratorErrorBudgetBurnFast"),
])
def test_unit_tests_fail_when_a_threshold_is_wrong(original: str, mutated: str, failing: str, tmp_path: Path) -> None:
    write_rules("local", tmp_path, f"monitoring.runbookBaseUrl={TEST_RUNBOOKS}")
    rules = tmp_path / "slo.yaml"
    text = rules.read_text()
    assert original in text
    rules.write_text(text.replace(original, mutated))
    shutil.copy(UNIT_TESTS / "slo_test.yaml", tmp_path / "slo_test.yaml")
    result = run("test", "rules", "slo_test.yaml", cwd=tmp_path)
    assert result.returncode != 0
    assert f"alertname: {failing}" in result.stdout + result.stderr
