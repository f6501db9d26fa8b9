"""Progressive delivery toward one slot: canary steps, bake, health gate, finalize or roll back.

Routing is stack config (`app.activeSlot`, `app.canaryWeight` = share of traffic sent to the
inactive slot), so every step is one config change and one update. The engine keeps the last
config that was known good; a failed gate rolls back to `canaryWeight` 0, a failed update or
Ctrl-C restores the last good config, and whatever happens the final line says where the stack is.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TextIO

from components.config import Slot, StackConfig
from ops.health import GateReading, HealthGate, PrometheusClient, PrometheusGate, Thresholds
from ops.stackops import Settings, StackOperations, UpFailedError, with_settings

EXIT_OK, EXIT_ROLLED_BACK, EXIT_INTERRUPTED = 0, 1, 130
ACTIVE_SLOT, CANARY_WEIGHT = "app.activeSlot", "app.canaryWeight"


@dataclass(frozen=True)
class Step:
    label: str
    settings: dict[str, str]
    target_share: int
    """Percent of traffic on the target slot once this step is applied."""
    gated: bool

    def describe(self, target: Slot) -> str:
        return f"{self.target_share} % of traffic to {target.value} ({_show(self.settings)})"


@dataclass(frozen=True)
class Plan:
    stack: str
    source: Slot
    target: Slot
    start_weight: int
    steps: tuple[Step, ...]
    bake_seconds: float

    @property
    def start_settings(self) -> dict[str, str]:
        return {ACTIVE_SLOT: self.source.value, CANARY_WEIGHT: str(self.start_weight)}


def plan_rollout(
    config: StackConfig, stack: str, target: Slot, *, steps: Sequence[int] | None = None, bake_seconds: float | None = None
) -> Plan:
    """The steps from the stack's current routing to `target`; every step's config validated up front."""
    source, weight = config.app.active_slot, config.app.canary_weight
    weights = list(steps if steps is not None else config.rollout.steps)
    planned: list[Step] = []
    if target is source:
        if weight > 0:
            # A canary toward the other slot is in progress: going "to" the active slot cancels it.
            planned.append(Step("cancel canary", {CANARY_WEIGHT: "0"}, 100, gated=False))
    else:
        remaining = [w for w in weights if w > weight]
        for number, share in enumerate(remaining, start=1):
            planned.append(Step(f"step {number}/{len(remaining)}", {CANARY_WEIGHT: str(share)}, share, gated=True))
        planned.append(Step("finalize", {ACTIVE_SLOT: target.value, CANARY_WEIGHT: "0"}, 100, gated=False))
    current = config
    for step in planned:
        current = with_settings(current, step.settings, stack)
    bake = float(config.rollout.bake_seconds if bake_seconds is None else bake_seconds)
    return Plan(stack=stack, source=source, target=target, start_weight=weight, steps=tuple(planned), bake_seconds=bake)


@dataclass
class Result:
    exit_code: int
    state: dict[str, str]
    """The routing config the stack was left with."""
    readings: list[GateReading] = field(default_factory=list)
    consistent: bool = True
    """False when the last update failed: resources may lag behind `state`."""


class Rollout:
    def __init__(
        self,
        ops: StackOperations,
        gate: HealthGate,
        plan: Plan,
        *,
        out: TextIO | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.ops, self.gate, self.plan = ops, gate, plan
        self.out = out or sys.stdout
        self.clock, self.sleep = clock, sleep
        self._started = clock()
        self.readings: list[GateReading] = []

    def _say(self, text: str) -> None:
        elapsed = int(self.clock() - self._started)
        self.out.write(f"[{elapsed // 60:02d}:{elapsed % 60:02d}] {text}\n")
        self.out.flush()

    def run(self) -> Result:
        plan = self.plan
        self._started = self.clock()
        if not plan.steps:
            self._say(f"{plan.stack}: {plan.target.value} is already active with no canary; nothing to do")
            return Result(EXIT_OK, plan.start_settings)
        self._say(
            f"rollout of {plan.stack}: {plan.source.value} (active, canary {plan.start_weight} %) -> {plan.target.value}; "
            f"{len(plan.steps)} updates, bake {plan.bake_seconds:g}s; gate: {self.gate.describe()}"
        )
        last_good = plan.start_settings
        for step in plan.steps:
            self._say(f"{step.label}: {step.describe(plan.target)}")
            began = self.clock()
            try:
                self.ops.apply(step.settings, message=f"ops rollout {plan.stack} to {plan.target.value}: {step.label}")
            except UpFailedError as error:
                self._say(f"{step.label}: {error}")
                return self._restore(last_good, f"the update of {step.label} failed", EXIT_ROLLED_BACK)
            except KeyboardInterrupt:
                return self._restore(last_good, f"interrupted during the update of {step.label}", EXIT_INTERRUPTED)
            self._say(f"{step.label}: updated in {self.clock() - began:.1f}s")
            if step.gated:
                try:
                    reading = self._bake_and_check(step)
                except KeyboardInterrupt:
                    return self._restore(last_good, f"interrupted while baking {step.label}", EXIT_INTERRUPTED)
                if not reading.ok and reading.evaluated:
                    self._say(f"{step.label}: gate FAILED: {'; '.join(reading.failures)}")
                    return self._roll_back(reading)
            last_good = {**last_good, **step.settings}
        self._say(f"done: {plan.target.value} is active with canary 0 % ({plan.stack})")
        return Result(EXIT_OK, last_good, self.readings)

    def _bake_and_check(self, step: Step) -> GateReading:
        if self.plan.bake_seconds > 0:
            self._say(f"{step.label}: baking {self.plan.bake_seconds:g}s")
            self.sleep(self.plan.bake_seconds)
        reading = self.gate.check(self.plan.target)
        self.readings.append(reading)
        verdict = "healthy" if reading.ok else ("skipped" if not reading.evaluated else "UNHEALTHY")
        self._say(f"{step.label}: gate {self.plan.target.value} at {step.target_share} %: {reading.figures()} -> {verdict}")
        return reading

    def _roll_back(self, reading: GateReading) -> Result:
        rollback = {ACTIVE_SLOT: self.plan.source.value, CANARY_WEIGHT: "0"}
        self._say(f"rolling back: {CANARY_WEIGHT}=0, all traffic to {self.plan.source.value}")
        result = self._update_to(rollback, "rollback")
        result.readings = self.readings
        if result.consistent:
            self._say(
                f"rolled back: {self.plan.source.value} active, canary 0 %; "
                f"{self.plan.target.value} failed its gate ({reading.figures()})"
            )
        return result

    def _restore(self, last_good: Settings, why: str, exit_code: int) -> Result:
        self._say(f"{why}; restoring the last good config ({_show(last_good)})")
        result = self._update_to(dict(last_good), "restore")
        result.exit_code = EXIT_INTERRUPTED if exit_code == EXIT_INTERRUPTED else result.exit_code
        result.readings = self.readings
        if result.consistent:
            self._say(f"stack {self.plan.stack} is at the last good config: {_show(last_good)}")
        return result

    def _update_to(self, settings: dict[str, str], label: str) -> Result:
        try:
            self.ops.apply(settings, message=f"ops rollout {self.plan.stack}: {label}")
        except (UpFailedError, KeyboardInterrupt) as error:
            cause = "interrupted" if isinstance(error, KeyboardInterrupt) else str(error)
            self._say(
                f"{label} did NOT complete ({cause}): the config of {self.plan.stack} says {_show(settings)} but its "
                f"resources may be half-way; run `pulumi up --stack {self.plan.stack}` to converge"
            )
            code = EXIT_INTERRUPTED if isinstance(error, KeyboardInterrupt) else EXIT_ROLLED_BACK
            return Result(code, settings, consistent=False)
        return Result(EXIT_ROLLED_BACK, settings)


def _show(settings: Settings) -> str:
    return ", ".join(f"{k}={v}" for k, v in settings.items())


def prometheus_gate(config: StackConfig, target: Slot) -> PrometheusGate:
    """The gate `rollout:` describes, for the app's namespace; ready replicas default to the slot's HPA minimum."""
    rollout = config.rollout
    thresholds = Thresholds(
        max_error_rate=rollout.max_error_rate,
        max_p95_seconds=rollout.max_p95_seconds,
        min_ready_replicas=rollout.min_ready_replicas or config.app.slot_min_replicas(target),
        window_seconds=rollout.window_seconds,
    )
    client = PrometheusClient(rollout.prometheus_url, timeout=rollout.query_timeout_seconds)
    return PrometheusGate(client=client, thresholds=thresholds, namespace=config.app.namespace)
