"""The rollout engine's decisions with a scripted gate: restore on failed updates and Ctrl-C, planning."""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping

import pytest

from components.config import ConfigError, Slot, StackConfig
from ops.health import GateReading
from ops.rollout import EXIT_INTERRUPTED, EXIT_OK, EXIT_ROLLED_BACK, Result, Rollout, plan_rollout
from ops.stackops import UpFailedError
from tests.ops.conftest import FakeStackOperations, stack_config

ROLLBACK = {"app.activeSlot": "blue", "app.canaryWeight": "0"}


class ScriptedGate:
    """Healthy unless told otherwise for a weight; counts checks."""

    def __init__(self, unhealthy_at: int | None = None) -> None:
        self.unhealthy_at = unhealthy_at
        self.checks: list[Slot] = []
        self.weight = 0

    def describe(self) -> str:
        return "scripted"

    def check(self, slot: Slot) -> GateReading:
        self.checks.append(slot)
        failures = ("error rate 2.000 % is above 0.100 %",) if self.weight == self.unhealthy_at else ()
        return GateReading(slot=slot, error_rate=0.02 if failures else 0.0, p95_seconds=0.05, ready_replicas=3,
                           failures=failures)


def _run(*overrides: str, gate: ScriptedGate | None = None, target: Slot = Slot.GREEN,
         fail: Callable[[Mapping[str, str]], BaseException | None] | None = None,
         sleep: Callable[[float], None] | None = None) -> tuple[FakeStackOperations, Result, str]:
    config = stack_config("rollout.bakeSeconds=30", *overrides)
    gate = gate or ScriptedGate()

    def track(applied: StackConfig) -> None:
        gate.weight = applied.app.canary_weight

    ops = FakeStackOperations(config, on_apply=track, fail=fail)
    out = io.StringIO()
    ticks = iter(range(0, 10_000, 7))
    rollout = Rollout(ops, gate, plan_rollout(config, "production", target), out=out,
                      clock=lambda: float(next(ticks)), sleep=sleep or (lambda seconds: None))
    return ops, rollout.run(), out.getvalue()


def test_bake_happens_before_every_gate() -> None:
    slept: list[float] = []
    _, result, output = _run(sleep=slept.append)
    assert slept == [30.0] * 5
    assert result.exit_code == EXIT_OK
    assert "step 1/5: baking 30s" in output
    # Elapsed time comes from the clock: minutes and seconds.
    assert any(line.startswith("[01:") for line in output.splitlines())


def test_failed_gate_at_step_3_rolls_back_with_figures() -> None:
    ops, result, output = _run(gate=ScriptedGate(unhealthy_at=50))
    assert ops.applied == [{"app.canaryWeight": "10"}, {"app.canaryWeight": "25"}, {"app.canaryWeight": "50"}, ROLLBACK]
    assert result.exit_code == EXIT_ROLLED_BACK
    assert "step 3/5: gate FAILED: error rate 2.000 % is above 0.100 %" in output


def test_failed_update_restores_the_last_good_config() -> None:
    def fail(settings: Mapping[str, str]) -> BaseException | None:
        return UpFailedError("pulumi up failed: timeout") if settings == {"app.canaryWeight": "50"} else None

    ops, result, output = _run(fail=fail)
    last_good = {"app.activeSlot": "blue", "app.canaryWeight": "25"}
    assert ops.applied[-2:] == [{"app.canaryWeight": "50"}, last_good]
    assert result.exit_code == EXIT_ROLLED_BACK and result.state == last_good and result.consistent
    assert ops.config.app.canary_weight == 25
    assert "step 3/5: pulumi up failed: timeout" in output
    assert "stack production is at the last good config: app.activeSlot=blue, app.canaryWeight=25" in output


def test_ctrl_c_while_baking_restores_the_last_good_config() -> None:
    calls = {"n": 0}

    def sleep(seconds: float) -> None:
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt

    ops, result, output = _run(sleep=sleep)
    assert ops.applied == [{"app.canaryWeight": "10"}, {"app.canaryWeight": "25"},
                           {"app.activeSlot": "blue", "app.canaryWeight": "10"}]
    assert result.exit_code == EXIT_INTERRUPTED and result.consistent
    assert "interrupted while baking step 2/5; restoring the last good config" in output


def test_ctrl_c_during_an_update_restores_and_a_second_one_says_half_way() -> None:
    seen: list[Mapping[str, str]] = []

    def fail(settings: Mapping[str, str]) -> BaseException | None:
        seen.append(settings)
        return KeyboardInterrupt() if len(seen) in (2, 3) else None

    ops, result, output = _run(fail=fail)
    assert ops.applied == [{"app.canaryWeight": "10"}, {"app.canaryWeight": "25"},
                           {"app.activeSlot": "blue", "app.canaryWeight": "10"}]
    assert result.exit_code == EXIT_INTERRUPTED and not result.consistent
    assert ("restore did NOT complete (interrupted): the config of production says app.activeSlot=blue, "
            "app.canaryWeight=10 but its resources may be half-way; run `pulumi up --stack production`") in output


def test_failed_rollback_is_reported_as_such() -> None:
    def fail(settings: Mapping[str, str]) -> BaseException | None:
        return UpFailedError("pulumi up failed: quota") if settings == ROLLBACK else None

    _, result, output = _run(gate=ScriptedGate(unhealthy_at=10), fail=fail)
    assert result.exit_code == EXIT_ROLLED_BACK and not result.consistent
    assert "rollback did NOT complete (pulumi up failed: quota)" in output
    assert "rolled back:" not in output


def test_resume_continues_after_the_current_weight() -> None:
    ops, result, _ = _run("app.canaryWeight=25")
    assert ops.applied == [{"app.canaryWeight": "50"}, {"app.canaryWeight": "75"}, {"app.canaryWeight": "100"},
                           {"app.activeSlot": "green", "app.canaryWeight": "0"}]
    assert result.exit_code == EXIT_OK


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


def test_custom_steps_and_bake_override() -> None:
    config = stack_config()
    plan = plan_rollout(config, "production", Slot.GREEN, steps=[50, 100], bake_seconds=5)
    assert [s.settings for s in plan.steps] == [{"app.canaryWeight": "50"}, {"app.canaryWeight": "100"},
                                               {"app.activeSlot": "green", "app.canaryWeight": "0"}]
    assert [s.gated for s in plan.steps] == [True, True, False]
    assert plan.bake_seconds == 5
