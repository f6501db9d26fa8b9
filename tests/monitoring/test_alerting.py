"""Alertmanager end to end from stack secrets: Secrets the program writes, routing by severity,
inhibition, the heartbeat, and the rendered config accepted by the real `amtool check-config`."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from components.monitoring.values import ALERTMANAGER_SECRETS_DIR
from offline.runner.export import is_secret
from tests.helpers import SHIPPED_STACKS, find, one, plain, run_stack

RELEASE = "kubernetes:helm.sh/v3:Release"
NAME = "monitoring-kube-prometheus-stack"
SECRET = "kubernetes:core/v1:Secret"
ROUTING_KEY = "R0UTINGKEYfromTheStackSecret42"
WEBHOOK = "https://tickets.example.net/hooks/T0K3N"
HEARTBEAT = "https://heartbeat.example.net/ping/abc123"
ALL_SECRETS = (f"alertReceiverSecret={ROUTING_KEY}", "monitoring.warningReceiver.kind=webhook",
               "monitoring.warningReceiver.secretName=alertmanager-tickets", f"warningReceiverSecret={WEBHOOK}",
               f"heartbeatUrl={HEARTBEAT}")


def alertmanager(stack: str, *overrides: str) -> dict[str, Any]:
    values: dict[str, Any] = plain(one(run_stack(stack, *overrides), RELEASE, NAME).inputs["values"])
    return dict(values["alertmanager"])


def route_for(config: dict[str, Any], labels: dict[str, str]) -> str:
    """First matching child route (as Alertmanager walks them, `continue` unset), else the root receiver."""
    for route in config["route"]["routes"]:
        if all(_matches(m, labels) for m in route["matchers"]):
            return str(route["receiver"])
    return str(config["route"]["receiver"])


def _matches(matcher: str, labels: dict[str, str]) -> bool:
    import re

    name, op, value = re.fullmatch(r'(\w+) (=~|=) "(.*)"', matcher).groups()  # type: ignore[union-attr]
    actual = labels.get(name, "")
    return bool(re.fullmatch(value, actual)) if op == "=~" else actual == value


def test_unset_stack_secret_leaves_the_receiver_out_and_says_so() -> None:
    """Issue: Alertmanager waited for `alertmanager-pagerduty`, which nothing created."""
    result = run_stack("production")
    spec = alertmanager("production")
    assert "secrets" not in spec["alertmanagerSpec"]
    assert [s.name for s in find(result, SECRET) if s.name.startswith("monitoring-receiver-")] == []
    assert route_for(spec["config"], {"alertname": "X", "severity": "critical"}) == "null"
    warnings = [d.message for d in result.diagnostics if d.severity == "warning"]
    assert any("orchestrator:alertReceiverSecret is not set" in w and "pulumi config set --secret" in w for w in warnings)


def test_pagerduty_receiver_comes_from_the_stack_secret() -> None:
    result = run_stack("production", f"alertReceiverSecret={ROUTING_KEY}")
    secret = one(result, SECRET, "monitoring-receiver-pager")
    assert plain(secret.inputs["metadata"]) ["name"] == "alertmanager-pagerduty"
    assert plain(secret.inputs["metadata"])["namespace"] == "monitoring"
    assert is_secret(secret.inputs["stringData"])
    assert plain(secret.inputs["stringData"]) == {"routing-key": ROUTING_KEY}
    release = one(result, RELEASE, NAME)
    assert secret.urn in release.dependencies
    assert ROUTING_KEY not in str(plain(release.inputs))
    spec = alertmanager("production", f"alertReceiverSecret={ROUTING_KEY}")
    assert spec["alertmanagerSpec"]["secrets"] == ["alertmanager-pagerduty"]
    oncall = next(r for r in spec["config"]["receivers"] if r["name"] == "oncall")
    assert oncall["pagerduty_configs"] == [
        {"routing_key_file": f"{ALERTMANAGER_SECRETS_DIR}/alertmanager-pagerduty/routing-key", "send_resolved": True}]


@pytest.mark.parametrize(("labels", "receiver"), [
    ({"alertname": "SloErrorBudgetBurn", "severity": "critical"}, "oncall"),
    ({"alertname": "PodCrashLooping", "severity": "warning"}, "tickets"),
    ({"alertname": "Unlabelled"}, "tickets"),
    ({"alertname": "Watchdog", "severity": "none"}, "heartbeat"),
    ({"alertname": "InfoInhibitor", "severity": "none"}, "null"),
    ({"alertname": "Something", "severity": "info"}, "null"),
])
def test_routing_by_severity(labels: dict[str, str], receiver: str) -> None:
    assert route_for(alertmanager("production", *ALL_SECRETS)["config"], labels) == receiver


def test_heartbeat_repeats_every_minute_and_warnings_are_inhibited_under_a_critical() -> None:
    config = alertmanager("production", *ALL_SECRETS)["config"]
    watchdog = next(r for r in config["route"]["routes"] if r["receiver"] == "heartbeat")
    assert watchdog["repeat_interval"] == "1m"
    heartbeat = next(r for r in config["receivers"] if r["name"] == "heartbeat")
    assert heartbeat["webhook_configs"][0]["url_file"].endswith("/alertmanager-heartbeat/url")
    assert config["inhibit_rules"] == [{"source_matchers": ['severity = "critical"'],
                                        "target_matchers": ['severity = "warning"'],
                                        "equal": ["alertname", "namespace"]}]


def amtool() -> str:
    path = shutil.which("amtool")
    if path is None:
        pytest.fail("amtool is not installed: `apt-get install prometheus-alertmanager` (.ci/run installs it)")
    return path


CASES = [(stack, ()) for stack in SHIPPED_STACKS] + [("production", ALL_SECRETS)]


@pytest.mark.parametrize(("stack", "overrides"), CASES, ids=[f"{s}-{'all' if o else 'none'}" for s, o in CASES])
def test_amtool_accepts_the_rendered_config(stack: str, overrides: tuple[str, ...], tmp_path: Path) -> None:
    spec = alertmanager(stack, *overrides)
    config = spec["config"]
    for receiver in config["receivers"]:
        for entry in receiver.get("pagerduty_configs", []):
            # The file is the mounted Secret in the pod; amtool reads it.
            local = tmp_path / entry["routing_key_file"].lstrip("/")
            local.parent.mkdir(parents=True, exist_ok=True)
            local.write_text(ROUTING_KEY)
            entry["routing_key_file"] = str(local)
        for entry in receiver.get("webhook_configs", []):
            # Debian's amtool (0.25) predates webhook `url_file` (Alertmanager 0.26; the chart runs
            # 0.28): for the check only, the URL the file would hold is inlined.
            assert entry.pop("url_file").startswith(ALERTMANAGER_SECRETS_DIR + "/")
            entry["url"] = HEARTBEAT
    config["templates"] = [str(tmp_path / "*.tmpl")]
    path = tmp_path / "alertmanager.yaml"
    path.write_text(yaml.safe_dump(config))
    run = subprocess.run([amtool(), "check-config", str(path)], capture_output=True, text=True, timeout=60, check=False)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "SUCCESS" in run.stdout


def test_amtool_refuses_a_broken_route(tmp_path: Path) -> None:
    """The check can fail: a route to a receiver that does not exist."""
    config = alertmanager("production")["config"]
    config["route"]["routes"].append({"receiver": "nobody", "matchers": ['severity = "page"']})
    config["templates"] = []
    path = tmp_path / "alertmanager.yaml"
    path.write_text(yaml.safe_dump(config))
    run = subprocess.run([amtool(), "check-config", str(path)], capture_output=True, text=True, timeout=60, check=False)
    assert run.returncode != 0
    assert "nobody" in run.stdout + run.stderr
