"""`--dry-run`: the rollout's stack operations on the offline runner (mocks, no CLI, no cloud).

Each `apply` validates the step's config, runs the real program under the mocks and diffs the
result against the previous step. A step that would touch a stateful resource (database, cache,
volume, secret, key) is refused: routing changes must only move traffic.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from components.config import StackConfig, parse
from offline.diff.compare import StackDiff, diff_programs
from offline.runner.program import ProgramResult, run_program
from offline.runner.stacks import StackSpec, load_stack
from ops.stackops import PreviewRefusedError, Settings


class StatefulChangeError(PreviewRefusedError):
    """A step of the rollout would change a stateful resource."""


@dataclass(frozen=True)
class StepPreview:
    message: str
    overrides: tuple[str, ...]
    diff: StackDiff


class OfflineStackOperations:
    """StackOperations over `offline`: state is the in-memory stack spec and the last program run."""

    def __init__(self, stack: str, *, root: Path | None = None, out: TextIO | None = None) -> None:
        self._spec: StackSpec = load_stack(stack, root)
        self._config = parse(self._spec.namespace(), stack)
        self._result: ProgramResult = run_program(self._spec)
        self._out = out or sys.stdout
        self.previews: list[StepPreview] = []

    @property
    def stack(self) -> str:
        return self._spec.name

    @property
    def overrides(self) -> list[str]:
        """Every override applied so far, in order (what `pulumi config set --path` would have written)."""
        return [item for preview in self.previews for item in preview.overrides]

    def read_config(self) -> StackConfig:
        return self._config

    def read_deployed(self) -> Settings | None:
        app = self._config.app
        return {"app.activeSlot": app.active_slot.value, "app.canaryWeight": str(app.canary_weight)}

    def apply(self, settings: Settings, *, message: str) -> None:
        overrides = tuple(f"{key}={value}" for key, value in settings.items())
        spec = self._spec.with_overrides(list(overrides))
        config = parse(spec.namespace(), spec.name)
        result = run_program(spec)
        diff = diff_programs(self._result, result)
        self.previews.append(StepPreview(message=message, overrides=overrides, diff=diff))
        self._report(diff)
        if diff.stateful_changes:
            names = ", ".join(f"{c.type} {c.name} ({c.kind})" for c in diff.stateful_changes)
            raise StatefulChangeError(f"{', '.join(overrides)} would change stateful resources: {names}")
        self._spec, self._config, self._result = spec, config, result

    def _report(self, diff: StackDiff) -> None:
        write = self._out.write
        counts = {kind: len(diff.of_kind(kind)) for kind in ("create", "update", "replace", "delete")}
        summary = ", ".join(f"{n} to {kind}" for kind, n in counts.items() if n) or "no changes"
        write(f"        preview (mocks): {summary}; stateful resources changed: {len(diff.stateful_changes)}\n")
        for change in diff.changes:
            keys = f" [{', '.join(change.changed_keys)}]" if change.changed_keys else ""
            mark = " STATEFUL" if change.stateful else ""
            write(f"          {change.kind:<8} {change.type} {change.name}{mark}{keys}\n")
