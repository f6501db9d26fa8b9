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
