"""The rollout state machine with a scripted gate: every exit path, re-runs, other people's changes, audit."""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Mapping, Sequence

import pytest

from components.config import ConfigError, Slot, StackConfig
from ops.health import GateReading, Window
from ops.rollout import (
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_RESTORED,
    EXIT_ROLLED_BACK,
    EXIT_STOPPED,
    EXIT_UNSAFE,
    CommandResult,
    Result,
    Rollout,
    plan_rollout,
    post_finalize_checks,
)
from ops.stackops import UpFailedError
from tests.helpers import stack_config
from tests.ops.harness import FakeStackOperations

ROLLBACK = {"app.activeSlot": "blue", "app.canaryWeight": "0"}
FINALIZE = {"app.activeSlot": "green", "app.canaryWeight": "0"}


class ScriptedGate:
    """Healthy unless told otherwise for a weight; records every window it judged."""

    def __init__(self, unhealthy_at: int | None = None, crash: BaseException | None = None) -> None:
        self.unhealthy_at = unhealthy_at
        self.crash = crash
        self.windows: list[Window] = []
        self.weight = 0

    def describe(self) -> str:
        return "scripted"

    def check(self, window: Window) -> GateReading:
        self.windows.append(window)
        if self.crash is not None:
            raise self.crash
        failures = ("error rate 2.000 % is above 0.1 %",) if self.weight == self.unhealthy_at else ()
        return GateReading(slot=window.slot, requests=5000, error_rate=0.02 if failures else 0.0, p95_seconds=0.05,
                           ready_replicas=3, failures=failures, seconds=window.seconds)


def _run(*overrides: str, gate: ScriptedGate | None = None, target: Slot = Slot.GREEN,
         fail: Callable[[Mapping[str, str]], BaseException | None] | None = None,
         sleep: Callable[[float], None] | None = None, ops: FakeStackOperations | None = None,
         on_apply: Callable[[StackConfig], None] | None = None, **rollout_args: object,
         ) -> tuple[FakeStackOperations, Result, str]:
    config = stack_config("rollout.bakeSeconds=30", "rollout.windowSeconds=10", *overrides)
    gate = gate or ScriptedGate()

    def track(applied: StackConfig) -> None:
        gate.weight = applied.app.canary_weight
        if on_apply:
            on_apply(applied)

    ops = ops or FakeStackOperations(config, on_apply=track, fail=fail)
    gate.weight = ops.config.app.canary_weight
    out = io.StringIO()
    now = [0.0]

    def clock() -> float:
        return now[0]

    def nap(seconds: float) -> None:
        if sleep:
            sleep(seconds)
        now[0] += seconds

    rollout = Rollout(ops, gate, plan_rollout(ops.config, "production", target), out=out, err=out,
                      clock=clock, sleep=nap, **rollout_args)  # type: ignore[arg-type]
    return ops, rollout.run(), out.getvalue()


def test_the_bake_is_judged_in_windows_and_as_a_whole() -> None:
    gate = ScriptedGate()
    _, result, output = _run(gate=gate)
    assert result.exit_code == EXIT_OK
    first_step = gate.windows[:3]
    # Windows of 10 s inside the 30 s bake, then one reading over all 30 s since the update.
    assert [(w.seconds, w.final) for w in first_step] == [(10, False), (10, False), (30, True)]
    assert {w.since_update for w in first_step} == {10, 20, 30}
    assert [w.weight for w in gate.windows if w.final] == [10, 25, 50, 75, 100]
    assert "step 1/5: baking 30s" in output


def test_failed_gate_at_step_3_rolls_back_with_figures() -> None:
    ops, result, output = _run(gate=ScriptedGate(unhealthy_at=50))
    assert ops.applied == [{"app.canaryWeight": "10"}, {"app.canaryWeight": "25"}, {"app.canaryWeight": "50"}, ROLLBACK]
    assert result.exit_code == EXIT_ROLLED_BACK and result.state == ROLLBACK
    assert "step 3/5: gate FAILED: error rate 2.000 % is above 0.1 %" in output
    assert "config of production now (re-read): app.activeSlot=blue, app.canaryWeight=0" in output


@pytest.mark.parametrize("crash", [ValueError("could not convert string to float: 'abc'"), TypeError("'NoneType'"),
                                   KeyError("data")])
def test_a_gate_that_crashes_fails_closed_and_rolls_back(crash: BaseException) -> None:
    # Class 1: an unexpected exception inside the gate is a failed gate, never a stack left at 10 %.
    ops, result, output = _run(gate=ScriptedGate(crash=crash))
    assert ops.applied == [{"app.canaryWeight": "10"}, ROLLBACK]
    assert result.exit_code == EXIT_ROLLED_BACK
    assert f"gate FAILED: the gate could not be evaluated: {type(crash).__name__}" in output


def test_an_unexpected_error_after_the_first_change_restores() -> None:
    calls = {"n": 0}

    def sleep(seconds: float) -> None:
        calls["n"] += 1
        if calls["n"] == 5:
            raise RuntimeError("disk full")

    ops, result, output = _run(sleep=sleep)
    assert ops.applied[-1] == {"app.activeSlot": "blue", "app.canaryWeight": "10"}
    assert result.exit_code == EXIT_RESTORED and result.state == ops.applied[-1]
    assert "unexpected RuntimeError: disk full" in output


def test_failed_update_restores_the_last_good_config() -> None:
    def fail(settings: Mapping[str, str]) -> BaseException | None:
        return UpFailedError("pulumi up failed: timeout") if settings == {"app.canaryWeight": "50"} else None

    ops, result, output = _run(fail=fail)
    last_good = {"app.activeSlot": "blue", "app.canaryWeight": "25"}
    assert ops.applied[-2:] == [{"app.canaryWeight": "50"}, last_good]
    assert result.exit_code == EXIT_RESTORED and result.state == last_good and result.consistent
    assert "pulumi up failed: timeout" in output


def test_ctrl_c_while_baking_restores_the_last_good_config() -> None:
    calls = {"n": 0}

    def sleep(seconds: float) -> None:
        calls["n"] += 1
        if calls["n"] == 4:
            raise KeyboardInterrupt

    ops, result, output = _run(sleep=sleep)
    assert ops.applied == [{"app.canaryWeight": "10"}, {"app.canaryWeight": "25"},
                           {"app.activeSlot": "blue", "app.canaryWeight": "10"}]
    assert result.exit_code == EXIT_INTERRUPTED and result.consistent
    assert "SIGINT received: restoring the last good config" in output


def test_a_rollback_whose_update_fails_is_retried_then_reported_truthfully() -> None:
    # Class 7: the rollback's config writes fail half-way; the message reports the config on disk.
    def half_written(settings: Mapping[str, str]) -> BaseException | None:
        if settings == ROLLBACK:
            ops.config = ops.config.model_copy(update={"app": ops.config.app.model_copy(
                update={"canary_weight": 0})})  # only one of the two keys landed, and the up failed
            return UpFailedError("pulumi config set failed: lock")
        return None

    gate = ScriptedGate(unhealthy_at=25)
    config = stack_config("rollout.bakeSeconds=30", "rollout.windowSeconds=10")
    ops = FakeStackOperations(config, on_apply=lambda c: setattr(gate, "weight", c.app.canary_weight))

    def apply_fail(settings: Mapping[str, str], *, message: str) -> None:
        error = half_written(settings)
        if error is not None:
            ops.applied.append(dict(settings))
            raise error
        FakeStackOperations.apply(ops, settings, message=message)

    ops.apply = apply_fail  # type: ignore[method-assign]
    _, result, output = _run(gate=gate, ops=ops)
    assert ops.applied == [{"app.canaryWeight": "10"}, {"app.canaryWeight": "25"}, ROLLBACK, ROLLBACK]
    assert result.exit_code == EXIT_UNSAFE and not result.consistent
    assert "rollback update failed (pulumi config set failed: lock); retrying once" in output
    # The truth on disk: active blue, weight 0 written, but the deployed resources still at 25 %.
    assert result.state == {"app.activeSlot": "blue", "app.canaryWeight": "0"}
    assert "deployed by the last completed update: app.activeSlot=blue, app.canaryWeight=25" in output
    assert ("pulumi config set --path --stack production orchestrator:app.activeSlot blue && "
            "pulumi config set --path --stack production orchestrator:app.canaryWeight 0 && "
            "pulumi up --stack production") in output


def test_an_unreadable_config_is_reported_as_unknown() -> None:
    gate = ScriptedGate(unhealthy_at=10)
    config = stack_config("rollout.bakeSeconds=30", "rollout.windowSeconds=10")
    ops = FakeStackOperations(config, on_apply=lambda c: setattr(gate, "weight", c.app.canary_weight))
    reads = {"n": 0}
    real_read = ops.read_config

    def read() -> StackConfig:
        reads["n"] += 1
        if ops.applied and ops.applied[-1] == ROLLBACK:
            raise OSError("backend unreachable")
        return real_read()

    ops.read_config = read  # type: ignore[method-assign]
    _, result, output = _run(gate=gate, ops=ops)
    assert result.state is None
    assert "config of production now (re-read): unknown (cannot read it: backend unreachable)" in output


def test_rerun_gates_a_live_canary_before_moving_on() -> None:
    # Class 3: a canary left at 100 % and failing is rolled back, not finalized.
    gate = ScriptedGate(unhealthy_at=100)
    ops, result, output = _run("app.canaryWeight=100", gate=gate)
    assert ops.applied == [ROLLBACK]
    assert result.exit_code == EXIT_ROLLED_BACK
    assert "a canary of 100 % toward green is live but not proven healthy: gating it before moving on" in output
    assert gate.windows[-1].weight == 100


def test_rerun_redeploys_a_config_its_resources_do_not_match() -> None:
    # Class 3: config at 50 %, resources at 25 %: re-deploy and gate 50 % before going to 75 %.
    gate = ScriptedGate()
    config = stack_config("rollout.bakeSeconds=30", "rollout.windowSeconds=10", "app.canaryWeight=50")
    ops = FakeStackOperations(config, on_apply=lambda c: setattr(gate, "weight", c.app.canary_weight))
    ops.deployed = {"app.activeSlot": "blue", "app.canaryWeight": "25"}
    _, result, output = _run(gate=gate, ops=ops)
    assert ops.applied[:2] == [{}, {"app.canaryWeight": "75"}]
    assert "found: config app.activeSlot=blue, app.canaryWeight=50; deployed app.activeSlot=blue, " \
           "app.canaryWeight=25" in output
    assert "config and deployed resources disagree" in output
    assert [w.weight for w in gate.windows if w.final][:2] == [50, 75]
    assert result.exit_code == EXIT_OK


def test_a_manual_cancel_during_a_bake_is_not_overwritten() -> None:
    # Class 4: the runbook's "weight 0 and pulumi up" during a bake stops the tool.
    config = stack_config("rollout.bakeSeconds=30", "rollout.windowSeconds=10")
    ops = FakeStackOperations(config)
    naps = {"n": 0}

    def someone_cancels(seconds: float) -> None:
        naps["n"] += 1
        if naps["n"] == 4:  # during step 2's bake
            FakeStackOperations.apply(ops, {"app.canaryWeight": "0"}, message="manual")
            ops.applied.pop()

    _, result, output = _run(ops=ops, sleep=someone_cancels)
    assert ops.applied == [{"app.canaryWeight": "10"}, {"app.canaryWeight": "25"}]
    assert result.exit_code == EXIT_STOPPED
    assert ("STOPPED: the config of production changed while step 2/5 baked: app.canaryWeight 25 -> 0; "
            "nothing was overwritten") in output
    assert ops.config.app.canary_weight == 0


def test_rolling_to_the_active_slot_cancels_a_canary_or_does_nothing() -> None:
    ops, result, output = _run("app.canaryWeight=50", target=Slot.BLUE)
    assert ops.applied == [{"app.canaryWeight": "0"}]
    assert result.exit_code == EXIT_OK
    ops, result, output = _run(target=Slot.BLUE)
    assert ops.applied == []
    assert "blue is already active with no canary; nothing to do" in output


def test_every_step_is_validated_before_anything_changes() -> None:
    # The local stack declares no green slot: a canary toward it is refused up front.
    config = stack_config(stack="local")
    with pytest.raises(ConfigError, match=r"canaryWeight > 0 needs both app\.slots\.blue and app\.slots\.green"):
        plan_rollout(config, "local", Slot.GREEN)


# --- post-finalize audit (issue: prove the deployed edge) --------------------------------------


def _audit_runner(code: int, stdout: str, seen: list[Sequence[str]] | None = None,
                  error: BaseException | None = None) -> Callable[[Sequence[str], float], CommandResult]:
    def run(argv: Sequence[str], timeout: float) -> CommandResult:
        if seen is not None:
            seen.append(list(argv))
        if error is not None:
            raise error
        return CommandResult(code, stdout, "")

    return run


def _report(score: int) -> str:
    return json.dumps({"score": score, "counts": {"critical": 0, "high": 0, "medium": 2, "low": 1},
                       "findings": [{"category": "headers", "severity": "medium", "title": "security headers missing",
                                     "evidence": "no HSTS"}]})


def test_audit_after_finalize_records_the_score() -> None:
    config = stack_config()
    seen: list[Sequence[str]] = []
    checks = post_finalize_checks(config, audit=True, loadtest=False)
    _, result, output = _run(checks=checks, runner=_audit_runner(0, _report(95), seen))
    assert result.exit_code == EXIT_OK and result.scores == {"audit": 95}
    (argv,) = seen
    # production runs on aws: a WAF is in front, so the audit expects injection probes to be blocked.
    assert argv[1:] == ["-m", "ops", "audit", f"https://{config.edge.hostname}", "--format", "json",
                        "--min-score", "90", "--expect-waf"]
    assert "verify: audit score 95/100 (min 90): critical 0, high 0, medium 2, low 1" in output


@pytest.mark.parametrize(("code", "stdout", "error", "reason"), [
    (1, _report(85), None, "audit score 85/100 (min 90)"),
    (0, _report(85), None, "audit score 85/100 (min 90)"),  # exit 0 but the score says otherwise
    (2, "", None, "audit gave no usable report (exit 2)"),
    (0, "Traceback (most recent call last):", None, "audit gave no usable report (exit 0)"),
    (0, json.dumps({"score": "high"}), None, "audit report has no score from 0 to 100"),
    (0, "", TimeoutError("no answer within 900s"), "audit timed out: no answer within 900s"),
])
def test_a_failed_or_unusable_audit_rolls_back(code: int, stdout: str, error: BaseException | None,
                                               reason: str) -> None:
    checks = post_finalize_checks(stack_config(), audit=True, loadtest=False)
    ops, result, output = _run(checks=checks, runner=_audit_runner(code, stdout, error=error))
    assert ops.applied[-2:] == [FINALIZE, ROLLBACK]
    assert result.exit_code == EXIT_ROLLED_BACK
    assert f"post-finalize audit: gate FAILED: {reason}" in output


def test_audit_on_kubernetes_does_not_expect_a_waf_and_loadtest_runs_after_it() -> None:
    config = stack_config(stack="local").model_copy()
    checks = post_finalize_checks(config, stack="local", audit=True, loadtest=True, ca_file="ca.pem",
                                  loadtest_args=["--yes-this-is-my-endpoint"])
    assert [c.name for c in checks] == ["audit", "loadtest"]
    assert "--expect-waf" not in checks[0].argv and checks[0].argv[-2:] == ("--ca-file", "ca.pem")
    assert checks[1].argv[4:] == (f"https://{config.edge.hostname}", "--format", "json", "--stack", "local",
                                  "--ca-file", "ca.pem", "--yes-this-is-my-endpoint")
    assert not checks[1].judge(CommandResult(1, json.dumps({"p95_ms": 250}), "")).ok
    assert checks[1].judge(CommandResult(0, json.dumps({"p95_ms": 120}), "")).ok
