"""Fixtures shared by every test: run a shipped stack under the mocks, once per session."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from offline.runner.export import to_deployment  # noqa: E402
from offline.runner.mocks import Registration  # noqa: E402
from offline.runner.program import ProgramResult, run_program  # noqa: E402
from offline.runner.stacks import available_stacks, load_stack  # noqa: E402

SHIPPED_STACKS = available_stacks(ROOT)


@functools.cache
def _cached_run(stack: str, overrides: tuple[str, ...], preview: bool) -> ProgramResult:
    return run_program(load_stack(stack).with_overrides(list(overrides)), preview=preview)


def run_stack(stack: str, *overrides: str, preview: bool = False) -> ProgramResult:
    """The program's registrations for a shipped stack (cached: treat the result as read-only)."""
    return _cached_run(stack, tuple(overrides), preview)


@pytest.fixture(scope="session")
def stack_result() -> Callable[..., ProgramResult]:
    return run_stack


@pytest.fixture(scope="session")
def stack_export() -> Callable[..., dict[str, Any]]:
    def export(stack: str, *overrides: str) -> dict[str, Any]:
        return to_deployment(run_stack(stack, *overrides))

    return export


def find(result: ProgramResult, type_: str, name: str | None = None) -> list[Registration]:
    """Registrations of one type (and logical name)."""
    return [r for r in result.resources if r.type == type_ and (name is None or r.name == name)]


def one(result: ProgramResult, type_: str, name: str | None = None) -> Registration:
    matches = find(result, type_, name)
    assert len(matches) == 1, f"expected one {type_} {name or ''}, found {[m.name for m in matches]}"
    return matches[0]


def plain(value: Any) -> Any:
    """Wire-form value with secret envelopes unwrapped and whole floats as ints (for assertions)."""
    from offline.runner.export import unwrap

    return unwrap(value)
