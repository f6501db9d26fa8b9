"""Each shared fact has one definition in the program: a second literal copy is a failure.

The facts are the values of components/conventions.py (project name, label keys, the Pod Security
label, the metrics path), the edge's ports and paths (components/edge/contract.py) and the Pulumi wire
constants (offline/wire.py). The pack keeps its own copies where it must; tests in tests/policies assert
those equal the program's.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

from components import conventions
from components.edge import contract as edge_contract
from offline import ROOT, wire

SCANNED = ("components", "offline", "ops")
ALLOWED = {
    # The live audit probes any endpoint with every spelling of the paths an edge must guard,
    # `/metrics` among them: a list of attack inputs, not the program's own path.
    "ops/audit/checks.py",
}


# Words of a standard's vocabulary, not facts of this program: the Pod Security levels also name
# checks of the standard ("privileged" is a level and a check) wherever the standard is modelled.
VOCABULARY = {conventions.RESTRICTED, conventions.PRIVILEGED}


def string_facts() -> dict[str, str]:
    """value -> the module that is its home."""
    facts = {value: "components/conventions.py" for name, value in vars(conventions).items()
             if name.isupper() and isinstance(value, str) and value not in VOCABULARY}
    facts.update({value: "offline/wire.py" for name, value in vars(wire).items() if name.isupper() and isinstance(value, str)})
    return facts


def int_facts() -> dict[int, str]:
    return {getattr(edge_contract, name): "components/edge/contract.py"
            for name in ("HEALTH_PORT", "METRICS_PORT", "HTTPS_PORT")}


def literals(path: Path) -> Iterator[tuple[object, int]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
                  and node.body and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and id(node) not in docstrings and not isinstance(node.value, bool):
            yield node.value, node.lineno


def copies() -> list[str]:
    strings, ints = string_facts(), int_facts()
    found: list[str] = []
    for package in SCANNED:
        for path in sorted((ROOT / package).rglob("*.py")):
            where = path.relative_to(ROOT).as_posix()
            if where in ALLOWED:
                continue
            for value, line in literals(path):
                home = strings.get(value) if isinstance(value, str) else ints.get(value) if isinstance(value, int) else None
                if home is not None and home != where:
                    found.append(f"{where}:{line}: {value!r} is defined in {home}")
    return found


def test_every_shared_fact_has_one_definition() -> None:
    assert copies() == []


@pytest.mark.parametrize("value", ["app.kubernetes.io/part-of", "/metrics"])
def test_the_scan_would_see_a_second_copy(tmp_path: Path, value: str) -> None:
    module = tmp_path / "copy.py"
    module.write_text(f'"""Docstrings may name {value}."""\nLABELS = {{{value!r}: "x"}}\n', encoding="utf-8")
    assert [v for v, _ in literals(module)] == [value, "x"]
    assert value in string_facts()
