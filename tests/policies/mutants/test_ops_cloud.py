"""The AWS and Azure mutation operators, run against the program's own exports: each mutant is caught by
its intended rule on the intended resource with the defect named, and the shipped exports stay clean."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from offline.gate.analyzer import PolicyPackProcess
from tests.policies.mutants import ops_aws, ops_azure
from tests.policies.mutants.model import Mutation, resources

OPERATORS = [*ops_aws.OPERATORS, *ops_azure.OPERATORS]
CASES = [(op, stack) for op in OPERATORS for stack in op.stacks]
CLOUD_RULES = {op.rule for op in OPERATORS}


def test_operator_names_are_unique() -> None:
    names = [op.name for op in OPERATORS]
    assert len(names) == len(set(names))


@pytest.mark.parametrize("stack", sorted({s for op in OPERATORS for s in op.stacks}))
def test_shipped_exports_have_no_cloud_finding(pack: PolicyPackProcess, stack_export: Callable[..., dict[str, Any]],
                                               stack: str) -> None:
    results = pack.analyze(resources(stack_export(stack)))
    assert not results.crashes, results.crashes
    assert [d for d in results.diagnostics if d.policy in CLOUD_RULES] == []


@pytest.mark.parametrize(("op", "stack"), CASES, ids=[f"{op.name}@{stack}" for op, stack in CASES])
def test_mutant_is_caught_by_its_rule(pack: PolicyPackProcess, stack_export: Callable[..., dict[str, Any]],
                                      op: Mutation, stack: str) -> None:
    export = copy.deepcopy(stack_export(stack))
    target = op.apply(export)
    results = pack.analyze(resources(export))
    assert not results.crashes, results.crashes
    mine = [d for d in results.diagnostics if d.policy == op.rule and (target is None or d.urn == target)]
    assert mine, f"{op.rule} did not flag {target}; got {[(d.policy, d.urn) for d in results.diagnostics]}"
    assert any(op.message.lower() in d.message.lower() for d in mine), [d.message for d in mine]
