"""Stack operations the rollout needs, behind one small interface.

Two implementations: `AutomationStackOperations` drives a real stack through the Pulumi Automation
API (it needs the Pulumi CLI and credentials); `ops.dryrun.OfflineStackOperations` runs the program
under the mocks for `--dry-run`.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Protocol

from components.config import NAMESPACE, StackConfig, namespace_values, parse
from offline import OfflineError
from offline.runner.stacks import parse_path, set_path
from ops import OpsError

Settings = Mapping[str, str]
"""`orchestrator:` config paths in Pulumi's --path syntax (`app.canaryWeight`) -> value as text."""
ROUTING_OUTPUTS = {"app.activeSlot": "activeSlot", "app.canaryWeight": "canaryWeight"}
"""Routing config paths -> the stack outputs `__main__.py` exports for them (what is deployed)."""


class UpFailedError(OpsError):
    """An update did not complete: the stack's resources may be between two configs."""


class PreviewRefusedError(OpsError):
    """A preview-only operation refused a step: nothing is deployed, so there is nothing to restore."""


class StackOperations(Protocol):
    """What a rollout does to a stack: read its config, change some keys and update."""

    @property
    def stack(self) -> str: ...

    def read_config(self) -> StackConfig:
        """The stack's current, validated `orchestrator:` config."""
        ...

    def apply(self, settings: Settings, *, message: str) -> None:
        """Set every path in `settings` (none: re-deploy as is), then run ONE update; UpFailedError when it fails."""
        ...

    def read_deployed(self) -> Settings | None:
        """The routing of the last completed update (stack outputs), None when the stack has none."""
        ...


def with_settings(config: StackConfig, settings: Settings, stack: str) -> StackConfig:
    """`config` with `settings` applied, validated like the program would (ConfigError if invalid)."""
    raw: dict[str, Any] = copy.deepcopy(config.model_dump(mode="json", by_alias=True))
    for key, value in settings.items():
        try:
            set_path(raw, parse_path(key), _typed(value))
        except OfflineError as error:
            raise OpsError(str(error)) from None
    return parse(raw, stack)


def _typed(value: str) -> Any:
    # `pulumi config set --path` stores integers as numbers and true/false as booleans.
    if value.lstrip("-").isdigit():
        return int(value)
    if value in {"true", "false"}:
        return value == "true"
    return value


class AutomationStackOperations:
    """A real stack through `pulumi.automation` (LocalWorkspace over the project directory)."""

    def __init__(
        self,
        stack: str,
        work_dir: Path,
        *,
        select: Callable[..., Any] | None = None,
        on_output: Callable[[str], None] | None = None,
    ) -> None:
        if select is None:
            from pulumi import automation

            select = automation.select_stack
        try:
            self._stack = select(stack_name=stack, work_dir=str(work_dir))
        except FileNotFoundError:
            raise OpsError(
                "the Pulumi CLI is not installed (a real rollout runs `pulumi up`); "
                "install it, or preview the rollout offline with --dry-run"
            ) from None
        except Exception as error:  # noqa: BLE001 - the CLI's errors (no such stack, not logged in) as one line
            raise OpsError(f"cannot select stack '{stack}': {_first_line(error)}") from None
        self._name = stack
        self._on_output = on_output

    @property
    def stack(self) -> str:
        return self._name

    def read_config(self) -> StackConfig:
        values = {key: value.value for key, value in self._stack.get_all_config().items()}
        return parse(namespace_values(values), self._name)

    def read_deployed(self) -> Settings | None:
        outputs = self._stack.outputs()
        if not outputs:
            return None
        found = {key: outputs.get(name) for key, name in ROUTING_OUTPUTS.items()}
        if any(value is None for value in found.values()):
            return None
        return {key: str(getattr(value, "value", value)) for key, value in found.items()}

    def apply(self, settings: Settings, *, message: str) -> None:
        from pulumi.automation import ConfigValue

        try:
            for key, value in settings.items():
                self._stack.set_config(f"{NAMESPACE}:{key}", ConfigValue(value=value), path=True)
        except Exception as error:  # noqa: BLE001 - keys may be half-set: the caller restores a known config
            raise UpFailedError(f"pulumi config set failed: {_first_line(error)}") from None
        try:
            # refresh first: time.Rotating (the Key Vault expiries) only expires on a refresh, so a
            # plain `up` would never rotate what has come due.
            result = self._stack.up(message=message, on_output=self._on_output, refresh=True)
        except Exception as error:  # noqa: BLE001 - CommandError and friends: the update failed
            raise UpFailedError(f"pulumi up failed: {_first_line(error)}") from None
        outcome = getattr(getattr(result, "summary", None), "result", "succeeded")
        if outcome != "succeeded":
            raise UpFailedError(f"pulumi up ended with result '{outcome}'")


def _first_line(error: BaseException) -> str:
    # CommandError's text is the whole CLI transcript (code, stdout, stderr); its last `error:` line names the cause.
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    for line in reversed(lines):
        # ` stderr: error: ...` on the transcript's first stderr line, `error: ...` on the others.
        match = re.search(r"(?:^|\s)error:\s*(.+)$", line, flags=re.IGNORECASE)
        if match:
            return match.group(1)
    return lines[-1] if lines else type(error).__name__
