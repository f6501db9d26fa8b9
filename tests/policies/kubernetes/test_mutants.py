"""The Kubernetes mutation operators, proven on the production export before the shared harness runs them:
the unmutated export raises nothing, and each mutant is caught by its intended rule on the intended
resource with a message naming the defect."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from offline.gate.analyzer import PolicyPackProcess
from tests.policies.mutants.model import Mutation
from tests.policies.mutants.ops_kubernetes import OPERATORS

STACK = "production"


@pytest.fixture(scope="module")
def production(stack_export: Callable[..., dict[str, Any]]) -> dict[str, Any]:
    return stack_export(STACK)


def findings(pack: PolicyPackProcess, export: dict[str, Any]) -> dict[tuple[str, str], str]:
    results = pack.analyze(export["deployment"]["resources"])
    assert not results.crashes, results.crashes
    return {(d.policy, d.urn): d.message for d in results.diagnostics}


def test_unmutated_export_is_clean(pack: PolicyPackProcess, production: dict[str, Any]) -> None:
    assert findings(pack, copy.deepcopy(production)) == {}


def test_operator_names_are_unique() -> None:
    names = [op.name for op in OPERATORS]
    assert len(names) == len(set(names))
    assert all(op.name.startswith(op.rule.removeprefix("k8s-").split("-")[0]) or op.name.startswith("k8s-")
               for op in OPERATORS)


@pytest.mark.parametrize("operator", [op for op in OPERATORS if STACK in op.stacks], ids=lambda op: op.name)
def test_mutant_is_caught(pack: PolicyPackProcess, production: dict[str, Any], operator: Mutation) -> None:
    export = copy.deepcopy(production)
    urn = operator.apply(export)
    found = findings(pack, export)
    root = export["deployment"]["resources"][0]["urn"]
    key = (operator.rule, urn or root)
    assert key in found, f"{operator.name}: {operator.rule} did not flag {urn}; found {sorted(found)}"
    assert operator.message.lower() in found[key].lower(), found[key]
