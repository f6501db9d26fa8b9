"""The Automation API driver against a fake of `pulumi.automation`'s Stack (the CLI is not installed here)."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from pulumi.automation import CommandError, ConfigValue
from pulumi.automation._cmd import CommandResult

from components.config import Slot, parse
from offline.runner.stacks import ROOT, load_stack, parse_path, set_path
from ops import OpsError
from ops.cli import main
from ops.health import GateReading
from ops.rollout import EXIT_OK, Rollout, plan_rollout
from ops.stackops import AutomationStackOperations, UpFailedError
from tests.ops.harness import free_port


@dataclass
class FakeSummary:
    result: str = "succeeded"


@dataclass
class FakeUpResult:
    summary: FakeSummary = field(default_factory=FakeSummary)


class FakeAutomationStack:
    """What `select_stack` returns: config in the stack file's form, `up` recorded or failing on demand."""

    def __init__(self, stack: str = "production", *, fail_up: int | None = None, result: str = "succeeded") -> None:
        # `pulumi config --json` gives structured values as JSON text, as runtime_config() does.
        self.config = {key: ConfigValue(value=value) for key, value in load_stack(stack).runtime_config().items()}
        self.calls: list[tuple[Any, ...]] = []
        self.fail_up, self.result = fail_up, result

    def get_all_config(self) -> dict[str, ConfigValue]:
        self.calls.append(("get_all_config",))
        return self.config

    def set_config(self, key: str, value: ConfigValue, *, path: bool = False) -> None:
        self.calls.append(("set_config", key, value.value, path))
        # Like `pulumi config set --path`: the stack file keeps the new value.
        namespace, _, dotted = key.partition(":")
        top, _, rest = dotted.partition(".")
        stored = f"{namespace}:{top}"
        if not rest:
            self.config[stored] = ConfigValue(value=value.value)
            return
        tree = json.loads(self.config[stored].value) if stored in self.config else {}
        set_path(tree, parse_path(rest), int(value.value) if value.value.isdigit() else value.value)
        self.config[stored] = ConfigValue(value=json.dumps(tree))

    def up(self, **kwargs: Any) -> FakeUpResult:
        self.calls.append(("up", kwargs.get("message")))
        ups = sum(1 for call in self.calls if call[0] == "up")
        if ups == self.fail_up:
            raise CommandError(CommandResult(
                stdout="Updating (production):\n", code=255,
                stderr="error: update failed\nerror: the current deployment has 1 resource(s) with pending operations\n",
            ))
        return FakeUpResult(FakeSummary(self.result))


class FakeSelect:
    def __init__(self, stack: FakeAutomationStack) -> None:
        self.stack = stack
        self.kwargs: dict[str, Any] = {}

    def __call__(self, **kwargs: Any) -> FakeAutomationStack:
        self.kwargs = kwargs
        return self.stack


def _ops(fake: FakeAutomationStack) -> tuple[AutomationStackOperations, FakeSelect]:
    select = FakeSelect(fake)
    return AutomationStackOperations("production", ROOT, select=select), select


def test_selects_the_stack_of_the_project_directory() -> None:
    _, select = _ops(FakeAutomationStack())
    assert select.kwargs == {"stack_name": "production", "work_dir": str(ROOT)}


def test_reads_and_validates_the_stack_config() -> None:
    ops, _ = _ops(FakeAutomationStack())
    config = ops.read_config()
    assert config == parse(load_stack("production").namespace(), "production")
    assert config.app.active_slot is Slot.BLUE and config.app.canary_weight == 0


def test_apply_sets_path_config_in_the_namespace_then_runs_one_up() -> None:
    fake = FakeAutomationStack()
    ops, _ = _ops(fake)
    ops.apply({"app.activeSlot": "green", "app.canaryWeight": "0"}, message="finalize")
    assert fake.calls == [
        ("set_config", "orchestrator:app.activeSlot", "green", True),
        ("set_config", "orchestrator:app.canaryWeight", "0", True),
        ("up", "finalize"),
    ]


def test_a_failed_up_becomes_one_line() -> None:
    ops, _ = _ops(FakeAutomationStack(fail_up=1))
    with pytest.raises(UpFailedError) as caught:
        ops.apply({"app.canaryWeight": "10"}, message="step 1")
    assert str(caught.value) == "pulumi up failed: the current deployment has 1 resource(s) with pending operations"


def test_a_failed_config_set_is_a_failed_update() -> None:
    fake = FakeAutomationStack()

    def broken(key: str, value: ConfigValue, *, path: bool = False) -> None:
        raise CommandError(CommandResult(stdout="", stderr="error: could not lock Pulumi.production.yaml\n", code=255))

    fake.set_config = broken  # type: ignore[method-assign]
    ops, _ = _ops(fake)
    with pytest.raises(UpFailedError, match=r"^pulumi config set failed: could not lock Pulumi\.production\.yaml$"):
        ops.apply({"app.canaryWeight": "10"}, message="step 1")
    assert [call[0] for call in fake.calls].count("up") == 0


def test_an_up_that_does_not_succeed_is_a_failure() -> None:
    ops, _ = _ops(FakeAutomationStack(result="failed"))
    with pytest.raises(UpFailedError, match="ended with result 'failed'"):
        ops.apply({"app.canaryWeight": "10"}, message="step 1")


def test_missing_cli_says_to_use_dry_run() -> None:
    def select(**kwargs: Any) -> None:
        raise FileNotFoundError(2, "No such file or directory", "pulumi")

    with pytest.raises(OpsError, match=r"Pulumi CLI is not installed.*--dry-run"):
        AutomationStackOperations("production", Path("."), select=select)


class HealthyGate:
    def describe(self) -> str:
        return "always healthy"

    def check(self, slot: Slot) -> GateReading:
        return GateReading(slot=slot, error_rate=0.0, p95_seconds=0.04, ready_replicas=3)


def test_a_whole_rollout_through_the_automation_api() -> None:
    fake = FakeAutomationStack()
    ops, _ = _ops(fake)
    config = ops.read_config()
    plan = plan_rollout(config, "production", Slot.GREEN, bake_seconds=0)
    result = Rollout(ops, HealthyGate(), plan, out=io.StringIO()).run()
    assert result.exit_code == EXIT_OK
    mutations = [call[:3] if call[0] == "set_config" else call[:1] for call in fake.calls if call[0] != "get_all_config"]
    weights = [("set_config", "orchestrator:app.canaryWeight", w) for w in ("10", "25", "50", "75", "100")]
    expected: list[tuple[Any, ...]] = []
    for weight in weights:
        expected += [weight, ("up",)]
    expected += [("set_config", "orchestrator:app.activeSlot", "green"), ("set_config", "orchestrator:app.canaryWeight", "0"),
                 ("up",)]
    assert mutations == expected


def test_cli_with_the_automation_driver_fails_closed_and_rolls_back(capsys: pytest.CaptureFixture[str]) -> None:
    fake = FakeAutomationStack()
    closed = f"http://127.0.0.1:{free_port()}"

    def factory(args: Any) -> AutomationStackOperations:
        return AutomationStackOperations(args.stack, ROOT, select=FakeSelect(fake))

    code = main(["rollout", "production", "--to", "green", "--bake", "2", "--window", "1", "--prometheus-url", closed],
                factory=factory)
    assert code == 1
    sets = [call[1:3] for call in fake.calls if call[0] == "set_config"]
    assert sets == [("orchestrator:app.canaryWeight", "10"), ("orchestrator:app.activeSlot", "blue"),
                    ("orchestrator:app.canaryWeight", "0")]
    assert [call[0] for call in fake.calls].count("up") == 2
    output = capsys.readouterr().out
    assert f"gate FAILED: Prometheus at {closed} is unreachable" in output
    assert "config of production now (re-read): app.activeSlot=blue, app.canaryWeight=0" in output
