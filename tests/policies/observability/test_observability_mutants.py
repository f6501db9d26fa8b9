"""The observability mutation operators, proven by the real gate on the production export."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import ROOT
from tests.policies.mutants.ops_observability import OPERATORS


@pytest.mark.parametrize("operator", OPERATORS, ids=[o.name for o in OPERATORS])
def test_operator_is_caught_with_its_defect(operator: Any, stack_export: Callable[..., dict[str, Any]],
                                            tmp_path: Path) -> None:
    # The first stack the operator names (the Azure operators need the Azure stack).
    export = copy.deepcopy(stack_export(operator.stacks[0]))
    urn = operator.apply(export)
    state = tmp_path / "state.json"
    state.write_text(json.dumps(export))
    run = subprocess.run([sys.executable, "-m", "offline", "check", "--state", str(state)], cwd=ROOT,
                         capture_output=True, text=True, timeout=300, check=False)
    out = run.stdout + run.stderr
    assert run.returncode != 0, out
    lines = [line for line in out.splitlines() if operator.rule in line]
    assert lines and urn.rsplit("::", 1)[-1] in " ".join(lines), out
    assert operator.message.lower() in out.lower(), out
