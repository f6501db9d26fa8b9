"""Progressive delivery toward one slot, failing closed: canary steps, bake, gate, finalize, verify.

Routing is stack config (`app.activeSlot`, `app.canaryWeight` = share of traffic sent to the
inactive slot), so every step is one config change and one update. The engine is one state
machine:

- it starts by reconciling: the config, what the last update deployed and the health of a live
  canary are checked before anything moves (a half-deployed config is re-deployed, a live canary
  is gated first);
- every write is journalled, and the stack is re-read before each step: a change someone else
  made stops the tool without overwriting it;
- every way out after the first write — a failed gate or check, a failed update, an unexpected
  error, SIGINT/SIGTERM/SIGHUP, a closed stdout — ends in one place that restores the last good
  config (or rolls back to the source slot when the target was judged unhealthy); signals and a
  closed stdout during an update or that restore are deferred, never abandon it;
- the final lines re-read the stack and report what it really says (or that it is unknown),
  and each outcome has its own exit code (see EXIT_CODES).
"""

from __future__ import annotations

import json
import math
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import FrameType
from typing import Any, TextIO

from components.config import Platform, Slot, StackConfig
from components.conventions import METRICS_PATH
from ops.health import GateReading, HealthGate, PrometheusClient, PrometheusGate, Thresholds, Window
from ops.stackops import PreviewRefusedError, Settings, StackOperations, UpFailedError, with_settings

EXIT_OK = 0
EXIT_ROLLED_BACK = 1
EXIT_STOPPED = 3
EXIT_RESTORED = 4
EXIT_UNSAFE = 5
EXIT_OUTPUT_CLOSED = 128 + signal.SIGPIPE
EXIT_INTERRUPTED = 128 + signal.SIGINT
EXIT_CODES = {
    EXIT_OK: "finalized (and verified when asked)",
    EXIT_ROLLED_BACK: "the target failed a gate or a post-finalize check; all traffic is back on the source slot",
    2: "usage or config error; nothing was changed",
    EXIT_STOPPED: "someone else changed the stack; the tool stopped without overwriting it",
    EXIT_RESTORED: "an update failed or an unexpected error; the last good config was restored",
    EXIT_UNSAFE: "the restore or rollback itself did not complete; the final lines say what the stack really is",
    128 + signal.SIGHUP: "SIGHUP (terminal closed); the last good config was restored",
    EXIT_INTERRUPTED: "SIGINT (Ctrl-C); the last good config was restored",
    128 + signal.SIGTERM: "SIGTERM (job cancelled); the last good config was restored",
    EXIT_OUTPUT_CLOSED: "stdout was closed; the last good config was restored",
}
ACTIVE_SLOT, CANARY_WEIGHT = "app.activeSlot", "app.canaryWeight"
TRAPPED_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


@dataclass(frozen=True)
class Step:
    label: str
    settings: dict[str, str]
    target_share: int
    """Percent of traffic on the target slot once this step is applied."""
    gated: bool

    def describe(self, target: Slot) -> str:
        return f"{self.target_share} % of traffic to {target.value} ({show(self.settings)})"


@dataclass(frozen=True)
class Plan:
    stack: str
    config: StackConfig
    """The config the plan was made from: the reference for noticing someone else's change."""
    source: Slot
    target: Slot
    start_weight: int
    steps: tuple[Step, ...]
    bake_seconds: float
    window_seconds: float

    @property
    def start_settings(self) -> dict[str, str]:
        return routing(self.config)

    @property
    def rollback_settings(self) -> dict[str, str]:
        return {ACTIVE_SLOT: self.source.value, CANARY_WEIGHT: "0"}

    @property
    def canary_live(self) -> bool:
        """A canary toward the target already takes traffic: it is unproven until gated."""
        return self.target is not self.source and self.start_weight > 0


def routing(config: StackConfig) -> dict[str, str]:
    return {ACTIVE_SLOT: config.app.active_slot.value, CANARY_WEIGHT: str(config.app.canary_weight)}


def show(settings: Settings | None) -> str:
    return "unknown" if settings is None else ", ".join(f"{k}={v}" for k, v in settings.items()) or "no change"


def plan_rollout(
    config: StackConfig, stack: str, target: Slot, *, steps: Sequence[int] | None = None,
    bake_seconds: float | None = None, window_seconds: float | None = None,
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
    window = float(config.rollout.window_seconds if window_seconds is None else window_seconds)
    return Plan(stack=stack, config=config, source=source, target=target, start_weight=weight,
                steps=tuple(planned), bake_seconds=bake, window_seconds=window)


# --- post-finalize checks (ops audit, ops loadtest) ---------------------------------------------


@dataclass(frozen=True)
class CommandResult:
    code: int
    stdout: str
    stderr: str


Runner = Callable[[Sequence[str], float], CommandResult]
"""Runs a command with a deadline; raises TimeoutError when it passes."""


def run_command(argv: Sequence[str], timeout: float) -> CommandResult:
    try:
        done = subprocess.run(list(argv), capture_output=True, text=True, timeout=timeout, check=False,
                              stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        raise TimeoutError(f"no answer within {timeout:g}s") from None
    return CommandResult(done.returncode, done.stdout, done.stderr)


@dataclass(frozen=True)
class Verdict:
    ok: bool
    summary: str
    score: int | None = None


@dataclass(frozen=True)
class Verification:
    """A check of the finalized stack run as a subprocess; anything but a clear pass fails it."""

    name: str
    argv: tuple[str, ...]
    timeout: float
    min_score: int | None = None
    """Set for the audit: the JSON's `score` must reach it."""

    def judge(self, result: CommandResult) -> Verdict:
        try:
            report = json.loads(result.stdout)
        except ValueError:
            report = None
        last = (result.stderr.strip().splitlines() or [""])[-1][:200]
        if result.code == 2 or not isinstance(report, dict):
            detail = f"exit {result.code}" + (f": {last}" if last else "")
            return Verdict(False, f"{self.name} gave no usable report ({detail})")
        if self.min_score is None:
            figures = ", ".join(f"{k} {v}" for k, v in report.items() if isinstance(v, (int, float)) and
                                not isinstance(v, bool))[:300]
            return Verdict(result.code == 0, f"{self.name} exit {result.code}" + (f": {figures}" if figures else ""))
        score, counts = report.get("score"), report.get("counts")
        if not isinstance(score, int) or isinstance(score, bool) or not 0 <= score <= 100:
            return Verdict(False, f"{self.name} report has no score from 0 to 100 (exit {result.code})")
        shown = ""
        if isinstance(counts, dict):
            shown = ", ".join(f"{k} {counts.get(k)}" for k in ("critical", "high", "medium", "low"))
        titles = [str(f.get("title"))[:80] for f in report.get("findings", []) or [] if isinstance(f, dict)][:5]
        summary = f"{self.name} score {score}/100 (min {self.min_score})" + (f": {shown}" if shown else "")
        if titles:
            summary += f"; findings: {'; '.join(titles)}"
        # Both must agree: a pass needs exit 0 AND a score at the threshold.
        return Verdict(result.code == 0 and score >= self.min_score, summary, score)


def post_finalize_checks(
    config: StackConfig, *, stack: str = "production", audit: bool, loadtest: bool, url: str | None = None,
    http_url: str | None = None, ca_file: str | None = None, insecure: bool = False, loadtest_args: Sequence[str] = (),
) -> list[Verification]:
    """`ops audit` (and `ops loadtest`) against the public hostname, as the rollout runs them."""
    rollout = config.rollout
    target = url or f"https://{config.edge.hostname}"
    checks: list[Verification] = []
    if audit:
        argv = [sys.executable, "-m", "ops", "audit", target, "--format", "json", "--min-score",
                str(rollout.audit_min_score)]
        if http_url:
            argv += ["--http-url", http_url]
        if ca_file:
            argv += ["--ca-file", ca_file]
        if insecure:
            argv.append("--insecure")
        if config.platform in (Platform.AWS, Platform.AZURE):
            argv.append("--expect-waf")  # a WAF sits in front of the edge on the cloud platforms
        checks.append(Verification("audit", tuple(argv), rollout.verify_timeout_seconds, rollout.audit_min_score))
    if loadtest:
        argv = [sys.executable, "-m", "ops", "loadtest", target, "--format", "json", "--stack", stack]
        if ca_file:
            argv += ["--ca-file", ca_file]
        if insecure:
            argv.append("--insecure")
        argv += loadtest_args
        checks.append(Verification("loadtest", tuple(argv), rollout.verify_timeout_seconds))
    return checks


# --- signals and output -------------------------------------------------------------------------


class Stop(BaseException):
    """A signal or a closed stdout: the rollout stops and restores."""

    def __init__(self, code: int, what: str) -> None:
        super().__init__(what)
        self.code, self.what = code, what


class Guard:
    """SIGINT/SIGTERM/SIGHUP become `Stop`: at once, or after an update or a restore is complete."""

    def __init__(self) -> None:
        self.deferring = 0
        self.pending: Stop | None = None
        self.notes: list[str] = []

    def install(self) -> Callable[[], None]:
        if threading.current_thread() is not threading.main_thread():
            return lambda: None
        previous = {number: signal.signal(number, self._handler) for number in TRAPPED_SIGNALS}

        def restore() -> None:
            for number, handler in previous.items():
                signal.signal(number, handler)

        return restore

    def _handler(self, number: int, frame: FrameType | None) -> None:
        self.notify(Stop(128 + number, signal.Signals(number).name))

    def notify(self, stop: Stop) -> None:
        if self.deferring:
            if self.pending is None:
                self.pending = stop
            self.notes.append(stop.what)
            return
        raise stop

    @contextmanager
    def deferred(self) -> Iterator[None]:
        self.deferring += 1
        try:
            yield
        finally:
            self.deferring -= 1

    def check(self) -> None:
        if self.pending is not None and not self.deferring:
            stop, self.pending = self.pending, None
            raise stop


# --- the engine ---------------------------------------------------------------------------------


class _GateFailedError(Exception):
    def __init__(self, label: str, reasons: Sequence[str], figures: str) -> None:
        super().__init__(label)
        self.label, self.reasons, self.figures = label, tuple(reasons), figures


class _ChangedElsewhereError(Exception):
    pass


@dataclass
class JournalEntry:
    label: str
    settings: dict[str, str]
    before: dict[str, str] | None
    outcome: str = "started"


@dataclass
class Result:
    exit_code: int
    state: dict[str, str] | None
    """The routing config re-read from the stack at the end; None when it could not be read."""
    readings: list[GateReading] = field(default_factory=list)
    consistent: bool = True
    """False when the config and the deployed resources may disagree (an update did not complete)."""
    journal: list[JournalEntry] = field(default_factory=list)
    deployed: dict[str, str] | None = None
    scores: dict[str, int] = field(default_factory=dict)


class Rollout:
    def __init__(
        self,
        ops: StackOperations,
        gate: HealthGate,
        plan: Plan,
        *,
        out: TextIO | None = None,
        err: TextIO | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        checks: Sequence[Verification] = (),
        runner: Runner = run_command,
        trap_signals: bool = False,
    ) -> None:
        self.ops, self.gate, self.plan = ops, gate, plan
        self.out = out or sys.stdout
        self.err = err or sys.stderr
        self.clock, self.sleep = clock, sleep
        self.checks, self.runner = tuple(checks), runner
        self.guard = Guard()
        self.trap_signals = trap_signals
        self._started = clock()
        self.readings: list[GateReading] = []
        """The reading that closed each bake (early when a window inside it failed)."""
        self.window_readings: list[GateReading] = []
        """Readings of the windows inside the bakes."""
        self.journal: list[JournalEntry] = []
        self.scores: dict[str, int] = {}
        self.expected: StackConfig | None = plan.config
        """What the stack's config should be; None after one of our own writes failed half-way."""
        self.last_good: dict[str, str] = plan.rollback_settings if plan.canary_live else plan.start_settings
        self.output_closed = False

    # output: a closed stdout moves the messages to stderr and stops the rollout like a signal
    def _say(self, text: str) -> None:
        elapsed = max(0, int(self.clock() - self._started))
        line = f"[{elapsed // 60:02d}:{elapsed % 60:02d}] {text}\n"
        if not self.output_closed:
            try:
                self.out.write(line)
                self.out.flush()
                return
            except (OSError, ValueError):
                self.output_closed = True
                self._silence_stdout()
                self._err(line)
                self.guard.notify(Stop(EXIT_OUTPUT_CLOSED, "stdout closed"))
                return
        self._err(line)

    def _err(self, line: str) -> None:
        try:
            self.err.write(line)
            self.err.flush()
        except (OSError, ValueError):
            pass

    def _silence_stdout(self) -> None:
        # Python would report the broken pipe again when it flushes stdout at exit.
        if self.out is sys.stdout:
            try:
                import os

                devnull = os.open(os.devnull, os.O_WRONLY)
                os.dup2(devnull, sys.stdout.fileno())
                os.close(devnull)
            except (OSError, ValueError):
                pass

    def echo(self, line: str) -> None:
        """For `pulumi up` output: never raises (an exception inside the Automation API orphans the CLI)."""
        try:
            self._say(f"        | {line.rstrip()}")
        except Stop as stop:
            self.guard.pending = self.guard.pending or stop

    # the state machine
    def run(self) -> Result:
        restore = self.guard.install() if self.trap_signals else (lambda: None)
        try:
            return self._run()
        finally:
            restore()

    def _run(self) -> Result:
        plan = self.plan
        self._started = self.clock()
        try:
            self._say(
                f"rollout of {plan.stack}: {plan.source.value} (active, canary {plan.start_weight} %) -> "
                f"{plan.target.value}; {len(plan.steps)} updates, bake {plan.bake_seconds:g}s judged whole and in "
                f"{plan.window_seconds:g}s windows; gate: {self.gate.describe()}"
            )
            self._reconcile()
            for step in plan.steps:
                self._step(step)
            self._verify()
        except (Exception, KeyboardInterrupt, Stop) as caught:
            if isinstance(caught, PreviewRefusedError) or (
                isinstance(caught, Exception) and not isinstance(caught, (_ChangedElsewhereError, _GateFailedError))
                and not self.journal
            ):
                raise  # nothing deployed or nothing changed: the CLI reports it as an error
            with self.guard.deferred():
                return self._handle(caught)
        return self._finish(EXIT_OK, f"{plan.target.value} is active with canary 0 %")

    def _handle(self, caught: BaseException) -> Result:
        """Every way out after a failure: stop, roll back or restore."""
        plan = self.plan
        if isinstance(caught, _ChangedElsewhereError):
            self._say(f"STOPPED: {caught}; nothing was overwritten")
            return self._finish(EXIT_STOPPED, "someone else changed the stack")
        if isinstance(caught, _GateFailedError):
            self._say(f"{caught.label}: gate FAILED: {'; '.join(caught.reasons)}")
            return self._converge(plan.rollback_settings, EXIT_ROLLED_BACK,
                                  f"rolling back: all traffic to {plan.source.value}",
                                  f"{plan.target.value} failed {caught.label}'s gate ({caught.figures})")
        if isinstance(caught, (Stop, KeyboardInterrupt)):
            code, what = (caught.code, caught.what) if isinstance(caught, Stop) else (EXIT_INTERRUPTED, "SIGINT")
            if not self.journal:
                self._say(f"{what}: stopped before any change")
                return self._finish(code, f"stopped by {what} before any change")
            return self._converge(self.last_good, code, f"{what} received: restoring the last good config",
                                  f"stopped by {what}")
        if isinstance(caught, UpFailedError):
            self._say(str(caught))
            return self._converge(self.last_good, EXIT_RESTORED, "the update failed: restoring the last good config",
                                  f"an update failed ({caught})")
        what = f"unexpected {type(caught).__name__}: {str(caught).strip()[:200]}"
        self._say(what)
        return self._converge(self.last_good, EXIT_RESTORED, "restoring the last good config", what)

    def _reconcile(self) -> None:
        """What is there, before anything moves: config, deployed resources, a live canary's health."""
        plan = self.plan
        found = plan.start_settings
        deployed, why = self._deployed()
        self._say(f"found: config {show(found)}; deployed {show(deployed) if deployed else f'unknown ({why})'}")
        if deployed is not None and deployed != found:
            self._say("config and deployed resources disagree (an earlier update did not complete): "
                      "re-deploying the config as it is before anything else")
            self._apply({}, "re-deploy")
        elif deployed is None and plan.canary_live:
            self._say("a canary is configured but what is deployed is unknown: re-deploying the config as it is")
            self._apply({}, "re-deploy")
        if plan.canary_live:
            self._say(f"a canary of {plan.start_weight} % toward {plan.target.value} is live but not proven "
                      "healthy: gating it before moving on")
            self._bake(Step("current canary", {}, plan.start_weight, gated=True))
            self.last_good = plan.start_settings
        if not plan.steps:
            self._say(f"{plan.stack}: {plan.target.value} is already active with no canary; nothing to do")

    def _step(self, step: Step) -> None:
        self.guard.check()
        self._unchanged(f"before {step.label}")
        self._say(f"{step.label}: {step.describe(self.plan.target)}")
        self._apply(step.settings, step.label)
        if step.gated:
            self._bake(step)
        if step.gated or not self.checks or step.label != "finalize":
            self.last_good = {**self.last_good, **step.settings}

    def _verify(self) -> None:
        if not self.checks or not self.plan.steps or self.plan.steps[-1].label != "finalize":
            return
        for check in self.checks:
            self.guard.check()
            self._say(f"verify: running {check.name} ({' '.join(check.argv[3:])})")
            try:
                verdict = check.judge(self.runner(check.argv, check.timeout))
            except TimeoutError as error:
                verdict = Verdict(False, f"{check.name} timed out: {error}")
            except OSError as error:
                verdict = Verdict(False, f"{check.name} could not start: {error}")
            if verdict.score is not None:
                self.scores[check.name] = verdict.score
            self._say(f"verify: {verdict.summary} -> {'passed' if verdict.ok else 'FAILED'}")
            if not verdict.ok:
                raise _GateFailedError(f"post-finalize {check.name}", [verdict.summary], verdict.summary)
        self.last_good = {**self.last_good, **self.plan.steps[-1].settings}

    def _apply(self, settings: dict[str, str], label: str) -> None:
        """One journalled write + update; signals wait until it is over."""
        entry = JournalEntry(label, dict(settings), routing(self.expected) if self.expected else None)
        self.journal.append(entry)
        began = self.clock()
        with self.guard.deferred():
            try:
                self.ops.apply(settings, message=f"ops rollout {self.plan.stack} to {self.plan.target.value}: {label}")
            except BaseException:
                entry.outcome = "failed"
                self.expected = None  # keys may be half-set
                raise
            entry.outcome = "applied"
            if self.expected is not None:
                self.expected = with_settings(self.expected, settings, self.plan.stack)
            self._say(f"{label}: updated in {self.clock() - began:.1f}s")
            if self.guard.notes:
                self._say(f"{', '.join(self.guard.notes)} received during the update of {label}: it was allowed to "
                          "finish")
                self.guard.notes.clear()
        self.guard.check()

    def _unchanged(self, when: str) -> None:
        """Stop when the stack's config is not what this run left it at."""
        if self.expected is None:
            return
        current = self.ops.read_config()
        if not same_stack(current, self.expected):
            raise _ChangedElsewhereError(f"the config of {self.plan.stack} changed {when}: "
                                    f"{differences(self.expected, current)}")

    def _bake(self, step: Step) -> None:
        """Wait `bake`, judging every window of it and, at the end, all of it since the update."""
        plan = self.plan
        updated = self.clock()
        if plan.bake_seconds > 0:
            self._say(f"{step.label}: baking {plan.bake_seconds:g}s")
        while True:
            elapsed = self.clock() - updated
            if elapsed >= plan.bake_seconds:
                break
            self.sleep(max(0.0, min(plan.window_seconds, plan.bake_seconds - elapsed)))
            elapsed = self.clock() - updated
            if elapsed >= plan.bake_seconds:
                break
            self._unchanged(f"while {step.label} baked")
            reading = self._read(step, min(plan.window_seconds, elapsed), elapsed, final=False)
            if reading.failures:
                self.readings.append(reading)  # it closes the bake early
                raise _GateFailedError(step.label, reading.failures, reading.figures())
        elapsed = self.clock() - updated
        self._unchanged(f"while {step.label} baked")
        reading = self._read(step, elapsed, elapsed, final=True)
        verdict = "healthy" if reading.ok else ("skipped" if not reading.evaluated else "UNHEALTHY")
        self._say(f"{step.label}: gate {plan.target.value} at {step.target_share} %: {reading.figures()} -> {verdict}")
        if reading.evaluated and not reading.ok:
            raise _GateFailedError(step.label, reading.reasons, reading.figures())

    def _read(self, step: Step, seconds: float, since_update: float, *, final: bool) -> GateReading:
        window = Window(slot=self.plan.target, weight=step.target_share, seconds=max(1, math.floor(seconds)),
                        since_update=since_update, bake_seconds=self.plan.bake_seconds, final=final)
        try:
            reading = self.gate.check(window)
        except Exception as error:  # noqa: BLE001 - a gate that cannot judge fails closed
            reading = GateReading(slot=self.plan.target, failures=(
                f"the gate could not be evaluated: {type(error).__name__}: {str(error).strip()[:200]}",))
        (self.readings if final else self.window_readings).append(reading)
        return reading

    def _deployed(self) -> tuple[dict[str, str] | None, str]:
        try:
            deployed = self.ops.read_deployed()
        except Exception as error:  # noqa: BLE001 - outputs unreadable: say so, treat as unknown
            return None, f"cannot read the stack outputs: {str(error).strip()[:120] or type(error).__name__}"
        return (dict(deployed), "") if deployed else (None, "the stack has no routing outputs")

    def _converge(self, settings: dict[str, str], code: int, doing: str, cause: str) -> Result:
        """Restore or roll back; signals and a closed stdout are deferred until it is over."""
        with self.guard.deferred():
            self._say(f"{doing} ({show(settings)})")
            if self.expected is not None:
                try:
                    current = self.ops.read_config()
                except Exception as error:  # noqa: BLE001 - cannot check: writing the safe config still helps
                    self._say(f"cannot re-read the config ({str(error).strip()[:120]}); writing it anyway")
                else:
                    if not same_stack(current, self.expected):
                        self._say(f"NOT writing: the config of {self.plan.stack} was changed by someone else: "
                                  f"{differences(self.expected, current)}")
                        return self._finish(EXIT_STOPPED, f"{cause}; someone else changed the stack meanwhile")
            for attempt in (1, 2):
                try:
                    self.ops.apply(settings, message=f"ops rollout {self.plan.stack}: {doing}")
                except BaseException as error:  # noqa: BLE001 - even a Ctrl-C must not abandon a rollback
                    what = "interrupted" if isinstance(error, (KeyboardInterrupt, Stop)) else str(error)
                    self.journal.append(JournalEntry(doing, dict(settings), None, f"failed: {what}"))
                    self.expected = None
                    self._say(f"{'restore' if code != EXIT_ROLLED_BACK else 'rollback'} update failed ({what})"
                              + ("; retrying once" if attempt == 1 else ""))
                    continue
                self.journal.append(JournalEntry(doing, dict(settings), None, "applied"))
                if self.guard.notes:
                    self._say(f"{', '.join(self.guard.notes)} received during it: the update was completed first")
                return self._finish(code, cause, intended=settings)
            return self._finish(EXIT_UNSAFE, f"{cause}; then the {'rollback' if code == EXIT_ROLLED_BACK else 'restore'}"
                                " did NOT complete", intended=settings)

    def _finish(self, code: int, headline: str, *, intended: dict[str, str] | None = None) -> Result:
        """The truth, re-read from the stack: its config, what is deployed, and what to do next."""
        with self.guard.deferred():
            try:
                state: dict[str, str] | None = routing(self.ops.read_config())
                config_text = show(state)
            except Exception as error:  # noqa: BLE001 - report, never guess
                state, config_text = None, f"unknown (cannot read it: {str(error).strip()[:120]})"
            deployed, why = self._deployed()
            consistent = state is not None and (deployed is None or deployed == state) and code != EXIT_UNSAFE
            if intended is not None and state is not None and state != intended:
                consistent = False
                if code != EXIT_UNSAFE:
                    code, headline = EXIT_UNSAFE, f"{headline}; but the config is not what was written"
            if code == EXIT_OK:
                self._say(f"done: {self.plan.target.value} is active with canary 0 % ({self.plan.stack})")
            self._say(f"RESULT (exit {code}): {headline}")
            self._say(f"  config of {self.plan.stack} now (re-read): {config_text}")
            self._say(f"  deployed by the last completed update: {show(deployed) if deployed else f'unknown ({why})'}")
            for line in self._advice(code, state):
                self._say(f"  next: {line}")
            if code != EXIT_OK and self.journal:
                self._say("  journal: " + "; ".join(f"{e.label} {show(e.settings)} {e.outcome}" for e in self.journal))
        return Result(code, state, self.readings, consistent, self.journal, deployed, self.scores)

    def _advice(self, code: int, state: dict[str, str] | None) -> list[str]:
        plan, stack = self.plan, self.plan.stack
        again = f"`python -m ops rollout {stack} --to {plan.target.value}`"
        if code == EXIT_OK:
            return []
        if code == EXIT_ROLLED_BACK:
            return [f"all traffic is on {plan.source.value}; compare the slots in Service overview and read "
                    f"{plan.target.value}'s logs before trying again"]
        if code == EXIT_STOPPED:
            return ["someone else changed the stack; agree with them what it should be. "
                    f"{again} continues from whatever state it finds (it gates a live canary first)"]
        if code == EXIT_UNSAFE:
            safe = plan.rollback_settings
            sets = " && ".join(f"pulumi config set --path --stack {stack} orchestrator:{k} {v}" for k, v in safe.items())
            return [
                "the stack may be half-way: act now. Check no update is still running (`pulumi stack --stack "
                f"{stack}`; `pulumi cancel` a stuck one), then put all traffic back on {plan.source.value}:",
                f"{sets} && pulumi up --stack {stack}",
                "(a bare `pulumi up` would deploy whatever the config says now"
                + (f": {show(state)})" if state else ", which could not be read)"),
            ]
        return [f"the stack is at its last good config; {again} re-checks it and continues"]


def same_stack(a: StackConfig, b: StackConfig) -> bool:
    """Equal apart from `rollout:` (the tool's own settings, which its flags may override)."""
    return a.model_dump(exclude={"rollout"}) == b.model_dump(exclude={"rollout"})


def differences(expected: StackConfig, current: StackConfig) -> str:
    """The dotted keys whose values differ, with both values (the first few)."""
    before = _flatten(expected.model_dump(mode="json", by_alias=True, exclude={"rollout"}))
    after = _flatten(current.model_dump(mode="json", by_alias=True, exclude={"rollout"}))
    keys = sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
    shown = [f"{k} {before.get(k)!r} -> {after.get(k)!r}" for k in keys[:5]]
    return ", ".join(shown) + (f" (+{len(keys) - 5} more)" if len(keys) > 5 else "")


def _flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, dict):
        flat: dict[str, Any] = {}
        for key, item in value.items():
            flat.update(_flatten(item, f"{prefix}.{key}" if prefix else str(key)))
        return flat
    return {prefix: value}


def thresholds(config: StackConfig, target: Slot) -> Thresholds:
    """The gate's limits: the rollout settings, ready replicas defaulting to the HPA floors."""
    rollout = config.rollout
    explicit = rollout.min_ready_replicas
    return Thresholds(
        max_error_rate_percent=rollout.max_error_rate_percent,
        max_p95_milliseconds=rollout.max_p95_milliseconds,
        min_ready_replicas=explicit or config.app.slot_min_replicas(target),
        min_ready_at_full=explicit or max(2, config.app.autoscaling.min_replicas),
        min_requests=rollout.min_requests or math.ceil(100 / rollout.max_error_rate_percent),
    )


def prometheus_gate(config: StackConfig, target: Slot) -> PrometheusGate:
    """The gate `rollout:` describes, for the app's namespace."""
    rollout = config.rollout
    client = PrometheusClient(rollout.prometheus_url, timeout=rollout.query_timeout_seconds)
    probes = config.app.probes
    return PrometheusGate(client=client, thresholds=thresholds(config, target), namespace=config.app.namespace,
                          probe_paths=(probes.liveness_path, probes.readiness_path, METRICS_PATH))
