"""`python -m ops rollout --dry-run` on the offline runner, and the command line's usage errors."""

from __future__ import annotations

import argparse
import subprocess
import sys

import pytest

from components.config import Slot
from offline.diff.compare import Change, StackDiff
from offline.runner.stacks import ROOT
from ops.cli import main
from ops.dryrun import OfflineStackOperations, StatefulChangeError


def test_dry_run_of_production_previews_every_step_without_stateful_changes(capsys: pytest.CaptureFixture[str]) -> None:
    made: list[OfflineStackOperations] = []

    def factory(args: argparse.Namespace) -> OfflineStackOperations:
        made.append(OfflineStackOperations(args.stack))
        return made[0]

    assert main(["rollout", "production", "--to", "green", "--dry-run"], factory=factory) == 0
    (ops,) = made
    assert ops.overrides == [
        "app.canaryWeight=10", "app.canaryWeight=25", "app.canaryWeight=50", "app.canaryWeight=75",
        "app.canaryWeight=100", "app.activeSlot=green", "app.canaryWeight=0",
    ]
    assert len(ops.previews) == 6
    for preview in ops.previews:
        assert preview.diff.stateful_changes == []
        assert all(not change.stateful for change in preview.diff.changes)
    # Switching the live slot must change routing: the finalize step is not a no-op.
    assert not ops.previews[-1].diff.empty
    assert ops.read_config().app.active_slot is Slot.GREEN

    output = capsys.readouterr().out
    assert output.startswith("dry run of production: nothing is deployed; bake (300s) and health gate are skipped\n")
    for number, weight in enumerate((10, 25, 50, 75, 100), start=1):
        assert f"step {number}/5: {weight} % of traffic to green (app.canaryWeight={weight})" in output
    assert "finalize: 100 % of traffic to green (app.activeSlot=green, app.canaryWeight=0)" in output
    assert output.count("stateful resources changed: 0") == 6
    assert ("would check Prometheus http://127.0.0.1:9090: >= 1000 real requests per bake, error rate <= 0.1 %, "
            "p95 <= 200 ms, ready >= 3 (3 at 100 %), every target up, samples fresh, canary alerts silent") in output
    assert output.rstrip().endswith("dry run: 6 updates validated and previewed; no step changes a stateful resource")


def test_dry_run_refuses_a_step_that_touches_a_stateful_resource(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    database = Change(urn="urn:pulumi:production::orchestrator::aws:rds/instance:Instance::database-primary",
                      type="aws:rds/instance:Instance", kind="replace", stateful=True, changed_keys=["engine"])
    monkeypatch.setattr("ops.dryrun.diff_programs", lambda before, after: StackDiff(before.stack, after.stack, [database]))
    assert main(["rollout", "production", "--to", "green", "--dry-run"]) == 1
    captured = capsys.readouterr()
    assert "replace  aws:rds/instance:Instance database-primary STATEFUL [engine]" in captured.out
    assert captured.err == ("dry run REFUSED: app.canaryWeight=10 would change stateful resources: "
                            "aws:rds/instance:Instance database-primary (replace)\n")
    with pytest.raises(StatefulChangeError):
        OfflineStackOperations("production").apply({"app.canaryWeight": "10"}, message="x")


@pytest.mark.parametrize(("argv", "message"), [
    (["--steps", "10,30,100"], "--steps: a list of weights from 10, 25, 50, 75, 100"),
    (["--steps", "50,25,100"], "--steps: strictly increasing weights ending at 100"),
    (["--bake", "five"], "'five' is not a duration"),
    (["--window", "0s"], "--window: Input should be greater than or equal to 1"),
    (["--bake", "0"], "--bake: Input should be greater than or equal to 2"),
    (["--prometheus-url", "prometheus:9090"], "--prometheus-url: an http(s) base URL"),
])
def test_bad_flags_are_one_line_and_exit_2(argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rollout", "production", "--to", "green", "--dry-run", *argv]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_unknown_stack_and_slot(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rollout", "nope", "--to", "green", "--dry-run"]) == 2
    assert capsys.readouterr().err == "error: unknown stack 'nope'; stacks here: local, production, production-azure, staging\n"
    assert main(["rollout", "production", "--to", "purple"]) == 2
    assert "argument --to: invalid choice: 'purple'" in capsys.readouterr().err


def test_module_entry_point_without_pulumi_cli() -> None:
    # A real rollout needs the Pulumi CLI; without it the command says so in one line.
    done = subprocess.run([sys.executable, "-m", "ops", "rollout", "staging", "--to", "green"], cwd=ROOT,
                          capture_output=True, text=True, timeout=60, env={"PATH": "/nonexistent"}, check=False)
    assert done.returncode == 1
    assert done.stderr == ("error: the Pulumi CLI is not installed (a real rollout runs `pulumi up`); "
                           "install it, or preview the rollout offline with --dry-run\n")
