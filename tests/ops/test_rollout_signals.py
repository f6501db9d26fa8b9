"""Real signals and a closed stdout against the CLI in its own process, on a stack that persists like Pulumi's."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from offline.runner.stacks import ROOT
from tests.helpers import stack_config
from tests.ops.fakestack import initial_state
from tests.ops.harness import PrometheusHarness, free_port, route_traffic

pytestmark = pytest.mark.slow
NAMESPACE = "ops-signals"


def _start(tmp_path: Path, prometheus_url: str, *, up_seconds: float = 0.0,
           stdout: int = subprocess.PIPE) -> subprocess.Popen[str]:
    initial_state(tmp_path, "production", {
        "app.namespace": NAMESPACE, "rollout.prometheusUrl": prometheus_url, "rollout.bakeSeconds": "3",
        "rollout.windowSeconds": "1", "rollout.minRequests": "20", "rollout.queryTimeoutSeconds": "2",
        "rollout.steps[0]": "50", "rollout.steps[1]": "100",
    })
    (tmp_path / "control.json").write_text(json.dumps({"up_seconds": up_seconds}))
    return subprocess.Popen(
        [sys.executable, "-m", "tests.ops.fakestack", str(tmp_path), "rollout", "production", "--to", "green"],
        cwd=ROOT, stdout=stdout, stderr=subprocess.PIPE, text=True,
    )


def _wait_for(tmp_path: Path, event: str, process: subprocess.Popen[str], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    log = tmp_path / "events.log"
    while time.monotonic() < deadline:
        if log.exists() and event in log.read_text().splitlines():
            return
        if process.poll() is not None:
            pytest.fail(f"exited {process.returncode} before {event!r}: {process.communicate()}")
        time.sleep(0.05)
    process.kill()
    pytest.fail(f"no {event!r} within {seconds}s")


def _routing(tmp_path: Path) -> tuple[str, int]:
    app = json.loads(json.loads((tmp_path / "config.json").read_text())["orchestrator:app"])
    return app["activeSlot"], app.get("canaryWeight", 0)


def _events(tmp_path: Path) -> list[str]:
    return [e for e in (tmp_path / "events.log").read_text().splitlines() if e.startswith("up-")]


@pytest.fixture
def healthy(prometheus: PrometheusHarness) -> str:
    exporter = prometheus.exporter
    exporter.reset(NAMESPACE)
    # Green gets 75 % whatever the weight: enough real requests and share for every step's gate (50 and 100 %).
    route_traffic(exporter, NAMESPACE)(stack_config("app.canaryWeight=75"))
    return prometheus.url


@pytest.mark.parametrize(("number", "code"), [(signal.SIGTERM, 143), (signal.SIGHUP, 129), (signal.SIGINT, 130)])
def test_a_signal_while_baking_restores_the_last_good_config(tmp_path: Path, healthy: str, number: int,
                                                             code: int) -> None:
    process = _start(tmp_path, healthy)
    _wait_for(tmp_path, "up-done blue/50", process)
    time.sleep(0.8)  # inside step 1's bake
    process.send_signal(number)
    out, err = process.communicate(timeout=60)
    assert process.returncode == code, err
    assert _routing(tmp_path) == ("blue", 0)
    assert _events(tmp_path) == ["up-start blue/50", "up-done blue/50", "up-start blue/0", "up-done blue/0"]
    name = signal.Signals(number).name
    assert f"{name} received: restoring the last good config (app.activeSlot=blue, app.canaryWeight=0)" in out
    assert "config of production now (re-read): app.activeSlot=blue, app.canaryWeight=0" in out


def test_a_signal_during_an_update_lets_it_finish_then_restores(tmp_path: Path, healthy: str) -> None:
    process = _start(tmp_path, healthy, up_seconds=1.5)
    _wait_for(tmp_path, "up-start blue/50", process)
    time.sleep(0.3)
    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 143, err
    # The update in flight completed (no half-deployed resources), then the restore ran.
    assert _events(tmp_path) == ["up-start blue/50", "up-done blue/50", "up-start blue/0", "up-done blue/0"]
    assert _routing(tmp_path) == ("blue", 0)
    assert "SIGTERM received during the update of step 1/2: it was allowed to finish" in out


def test_signals_during_the_rollback_never_abandon_it(tmp_path: Path) -> None:
    closed = f"http://127.0.0.1:{free_port()}"  # the gate fails closed: a rollback follows step 1
    process = _start(tmp_path, closed, up_seconds=1.5)
    _wait_for(tmp_path, "up-start blue/0", process)
    process.send_signal(signal.SIGTERM)
    time.sleep(0.2)
    process.send_signal(signal.SIGHUP)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 1, err
    assert _events(tmp_path)[-2:] == ["up-start blue/0", "up-done blue/0"]
    assert _routing(tmp_path) == ("blue", 0)
    assert "SIGTERM, SIGHUP received during it: the update was completed first" in out


def test_a_closed_stdout_restores_and_reports_on_stderr(tmp_path: Path, healthy: str) -> None:
    process = _start(tmp_path, healthy)
    assert process.stdout is not None
    _wait_for(tmp_path, "up-done blue/50", process)
    process.stdout.close()  # the reader went away (a pipe into `head`, a dead CI log collector)
    err = process.stderr.read() if process.stderr else ""
    process.wait(timeout=60)
    assert process.returncode == 141, err
    assert _routing(tmp_path) == ("blue", 0)
    assert "stdout closed received: restoring the last good config" in err
    assert "RESULT (exit 141): stopped by stdout closed" in err
    assert "Exception ignored" not in err and "BrokenPipeError" not in err


def test_a_rerun_after_a_kill_reconciles_before_moving_on(tmp_path: Path, healthy: str) -> None:
    process = _start(tmp_path, healthy, up_seconds=1.5)
    _wait_for(tmp_path, "up-start blue/100", process)
    process.kill()  # SIGKILL mid-update: config at 100 %, resources still at 50 %
    process.wait()
    assert _routing(tmp_path) == ("blue", 100)
    (tmp_path / "control.json").write_text(json.dumps({"up_seconds": 0}))
    rerun = subprocess.run(
        [sys.executable, "-m", "tests.ops.fakestack", str(tmp_path), "rollout", "production", "--to", "green"],
        cwd=ROOT, capture_output=True, text=True, timeout=90, check=False,
    )
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert ("found: config app.activeSlot=blue, app.canaryWeight=100; deployed app.activeSlot=blue, "
            "app.canaryWeight=50") in rerun.stdout
    assert "a canary of 100 % toward green is live but not proven healthy: gating it before moving on" in rerun.stdout
    assert _events(tmp_path)[-4:] == ["up-start blue/100", "up-done blue/100", "up-start green/0", "up-done green/0"]
    assert _routing(tmp_path) == ("green", 0)
