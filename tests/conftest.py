"""Fixtures shared by every test; the helpers behind them live in tests/helpers.py."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from offline.runner.export import to_deployment  # noqa: E402
from offline.runner.program import ProgramResult  # noqa: E402
from tests.helpers import run_stack  # noqa: E402


@pytest.fixture(scope="session")
def stack_result() -> Callable[..., ProgramResult]:
    return run_stack


@pytest.fixture(scope="session")
def stack_export() -> Callable[..., dict[str, Any]]:
    def export(stack: str, *overrides: str) -> dict[str, Any]:
        return to_deployment(run_stack(stack, *overrides))

    return export
