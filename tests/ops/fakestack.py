"""`python -m tests.ops.fakestack STATE_DIR ARGS...`: `python -m ops ARGS...` against a fake Automation API stack.

The fake keeps what Pulumi keeps, in files, so a killed run leaves them behind: the stack's config
(`config.json`, written by every `set_config` at once), the outputs of the last completed update
(`outputs.json`) and an event log the tests time their signals on. `up` takes `up_seconds`
(`control.json`), printing progress through `on_output` as the CLI does.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pulumi.automation import ConfigValue

from offline.runner.stacks import ROOT, load_stack, parse_path, set_path
from ops.cli import main
from ops.stackops import AutomationStackOperations


@dataclass
class Value:
    value: Any


class PersistentStack:
    def __init__(self, state: Path) -> None:
        self.state = state

    def _load(self, name: str, default: Any) -> Any:
        path = self.state / name
        return json.loads(path.read_text()) if path.exists() else default

    def _save(self, name: str, value: Any) -> None:
        temporary = self.state / f"{name}.tmp"
        temporary.write_text(json.dumps(value))
        temporary.replace(self.state / name)

    def log(self, event: str) -> None:
        with (self.state / "events.log").open("a") as events:
            events.write(event + "\n")

    def get_all_config(self) -> dict[str, ConfigValue]:
        return {key: ConfigValue(value=value) for key, value in self._load("config.json", {}).items()}

    def set_config(self, key: str, value: ConfigValue, *, path: bool = False) -> None:
        config = self._load("config.json", {})
        set_config_path(config, key, value.value)
        self._save("config.json", config)
        self.log(f"set {key}={value.value}")

    def outputs(self) -> dict[str, Value]:
        return {key: Value(value) for key, value in self._load("outputs.json", {}).items()}

    def up(self, *, message: str, on_output: Callable[[str], None] | None = None, **_: Any) -> Any:
        app = json.loads(self._load("config.json", {})["orchestrator:app"])
        routing = f"{app['activeSlot']}/{app.get('canaryWeight', 0)}"
        self.log(f"up-start {routing}")
        seconds = float(self._load("control.json", {}).get("up_seconds", 0))
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if on_output:
                on_output(f"updating {routing}")
            time.sleep(min(0.1, max(0.0, deadline - time.monotonic())))
        self._save("outputs.json", {"activeSlot": app["activeSlot"], "canaryWeight": app.get("canaryWeight", 0)})
        self.log(f"up-done {routing}")
        return Value(None)


def set_config_path(config: dict[str, str], key: str, value: str) -> None:
    """`pulumi config set --path KEY VALUE` on the stack's `key -> text` map (objects stored as JSON)."""
    namespace, _, dotted = key.partition(":")
    top, _, rest = dotted.partition(".")
    stored = f"{namespace}:{top}"
    if not rest:
        config[stored] = value
        return
    tree = json.loads(config[stored]) if stored in config else {}
    set_path(tree, parse_path(rest), int(value) if value.isdigit() else value)
    config[stored] = json.dumps(tree)


def initial_state(state: Path, stack: str, overrides: dict[str, str]) -> None:
    """The shipped stack's config with `--path` overrides, deployed (outputs match the config)."""
    config = dict(load_stack(stack).runtime_config())
    for key, value in overrides.items():
        set_config_path(config, f"orchestrator:{key}", value)
    (state / "config.json").write_text(json.dumps(config))
    app = json.loads(config["orchestrator:app"])
    (state / "outputs.json").write_text(json.dumps({"activeSlot": app["activeSlot"],
                                                    "canaryWeight": app.get("canaryWeight", 0)}))


def run(argv: list[str]) -> int:
    state = Path(argv[0])
    stack = PersistentStack(state)

    def factory(args: Any) -> AutomationStackOperations:
        return AutomationStackOperations(args.stack, ROOT, select=lambda **_: stack)

    return main(argv[1:], factory=factory)


if __name__ == "__main__":
    sys.exit(run(sys.argv[1:]))
