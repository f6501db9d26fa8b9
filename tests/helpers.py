"""Helpers the tests share: run a shipped stack under the mocks (once per process), find its resources."""

from __future__ import annotations

import functools
from typing import Any

from components.config import StackConfig, parse
from offline import ROOT
from offline.runner.export import unwrap
from offline.runner.mocks import Registration
from offline.runner.program import ProgramResult, run_program
from offline.runner.stacks import available_stacks, load_stack

SHIPPED_STACKS = available_stacks(ROOT)


@functools.cache
def _cached_run(stack: str, overrides: tuple[str, ...], preview: bool) -> ProgramResult:
    return run_program(load_stack(stack).with_overrides(list(overrides)), preview=preview)


def run_stack(stack: str, *overrides: str, preview: bool = False) -> ProgramResult:
    """The program's registrations for a shipped stack (cached: treat the result as read-only)."""
    return _cached_run(stack, tuple(overrides), preview)


def find(result: ProgramResult, type_: str, name: str | None = None) -> list[Registration]:
    """Registrations of one type (and logical name)."""
    return [r for r in result.resources if r.type == type_ and (name is None or r.name == name)]


def one(result: ProgramResult, type_: str, name: str | None = None) -> Registration:
    matches = find(result, type_, name)
    assert len(matches) == 1, f"expected one {type_} {name or ''}, found {[m.name for m in matches]}"
    return matches[0]


def plain(value: Any) -> Any:
    """Wire-form value with secret envelopes unwrapped and whole floats as ints (for assertions)."""
    return unwrap(value)


def stack_config(*overrides: str, stack: str = "production") -> StackConfig:
    """A shipped stack's config with --path overrides, validated by the real model."""
    spec = load_stack(stack).with_overrides(list(overrides))
    return parse(spec.namespace(), stack)


def tree_rows(preview: str) -> list[tuple[str, str]]:
    """(type, name) of each row of a printed preview tree, wrapped cells joined back, tree lines removed."""
    lines = preview.splitlines()
    header = next(line for line in lines if line.strip().startswith("Type"))
    type_start, name_start, plan_start = header.index("Type"), header.index("Name"), header.index("Plan")
    rows: list[tuple[str, str]] = []
    for line in lines[lines.index(header) + 1:]:
        if not line.startswith((" +   ", "     ")) or not line.strip():
            break
        padded = line.ljust(plan_start)
        type_cell = padded[type_start:name_start].strip().lstrip("│├└─ ")
        name_cell = padded[name_start:plan_start].strip()
        if line.startswith(" +   "):
            rows.append((type_cell, name_cell))
        else:
            rows[-1] = (rows[-1][0] + type_cell, rows[-1][1] + name_cell)
    return rows
