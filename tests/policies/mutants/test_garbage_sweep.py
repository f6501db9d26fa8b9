"""Every rule of the pack fed garbage where the shipped stacks have real values: any property of any resource
(AWS, Azure, Kubernetes, the edge proxy's configuration text, the stack) replaced by a hostile value. The gate
either refuses the export with one line or judges it; a rule reports a finding or nothing and never crashes.

Each round replaces many properties at once, drawn uniformly from every property of every resource, so the
sweep reaches every rule quickly; the draws come from fixed seeds, so a failure reproduces."""

from __future__ import annotations

import copy
import json
import pathlib
import random
from collections.abc import Iterator
from typing import Any

import pytest

from offline import OfflineError
from offline.gate.exportfile import read_state
from tests.policies.mutants.harness import Harness, describe, session
from tests.policies.mutants.model import SHIPPED_STACKS, Export, resources

Path = tuple[str | int, ...]

HOSTILE: list[Any] = [
    None, True, False, 0, -1, 2**63, -(2**63), 1e308, -0.0, 3.5, "", " ", "*", "0.0.0.0/0", "::/0", "-1", "NaN",
    "x" * 200_000, "\n" * 20_000, "{{", "[]", "\u202e\x1b[31m", "[secret]", [], {}, [None], [[]], {"": None},
    {"0": {"1": {"2": {"3": "deep"}}}}, ["a", 1, None, {}], list(range(500)),
]


def leaves(value: Any, path: Path = ()) -> Iterator[Path]:
    """Every path below `value` (objects and lists included, so whole subtrees get replaced too)."""
    if path:
        yield path
    if isinstance(value, dict):
        for key, child in value.items():
            yield from leaves(child, (*path, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from leaves(child, (*path, index))


def replace(node: Any, path: Path, value: Any) -> None:
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value


@pytest.fixture(scope="module")
def harness() -> Iterator[Harness]:
    yield from session()


@pytest.fixture(scope="module")
def targets(harness: Harness) -> dict[str, list[tuple[int, str, Path]]]:
    """Per shipped stack: (resource index, property bag, path) of every property of every resource."""
    out: dict[str, list[tuple[int, str, Path]]] = {}
    for stack in SHIPPED_STACKS:
        export = harness.export(stack)
        out[stack] = [(index, side, path)
                      for index, resource in enumerate(resources(export))
                      for side in ("inputs", "outputs")
                      for path in leaves(resource.get(side) or {})]
    return out


def judged_without_crash(harness: Harness, stack: str, export: Export, folder: pathlib.Path) -> None:
    """Read back as `check --state` reads a file, then judged."""
    state = folder / "export.json"
    state.write_text(json.dumps(export))
    try:
        report = harness.check(stack, read_state(state))
    except OfflineError as refused:
        # Refusing a value a reader could misread is allowed; it must be one line.
        assert "\n" not in str(refused), str(refused)
        return
    assert report.crashes == [], describe(report)


ROUNDS = 30
PICKS = 40
"""Per shipped stack: ROUNDS exports, each with PICKS properties replaced (uniformly drawn, fixed seeds)."""


@pytest.mark.parametrize("round_", range(ROUNDS))
@pytest.mark.parametrize("stack", SHIPPED_STACKS)
def test_no_rule_crashes_on_garbage_anywhere(harness: Harness, targets: dict[str, list[tuple[int, str, Path]]],
                                            tmp_path: pathlib.Path, stack: str, round_: int) -> None:
    draw = random.Random(f"{stack}/{round_}")
    export = copy.deepcopy(harness.export(stack))
    for index, side, path in draw.sample(targets[stack], PICKS):
        try:
            replace(resources(export)[index][side], path, copy.deepcopy(draw.choice(HOSTILE)))
        except (KeyError, IndexError, TypeError):
            continue  # an earlier pick replaced an ancestor of this path
    judged_without_crash(harness, stack, export, tmp_path)
