"""Every mutation operator on a first deploy's preview (`--unknowns`): with the computed outputs
unknown, a rule still reports the mutant, or says which values it could not evaluate; it never
passes silently and never crashes."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator

import pytest

from offline.gate.engine import Report
from tests.policies.mutants.harness import REFUSED, Harness, Mutant, caught, describe, mutants, root_urn, start_pack
from tests.policies.mutants.model import Export

STACKS = ("production", "production-azure", "local")
"""One stack per platform (staging shares production's operators and program)."""
MUTANTS = [m for m in mutants() if m.stack in STACKS and m.operator.rule != REFUSED]


class PreviewHarness(Harness):
    def export(self, stack: str) -> Export:
        if stack not in self.exports:
            from offline.runner.export import to_deployment
            from offline.runner.program import run_program
            from offline.runner.stacks import load_stack

            self.exports[stack] = to_deployment(run_program(load_stack(stack), preview=True))
        return self.exports[stack]

    def check(self, stack: str, export: Export) -> Report:
        report = super().check(stack, export)
        report.preview = True
        return report


@pytest.fixture(scope="module")
def harness() -> Iterator[PreviewHarness]:
    pack = start_pack()
    try:
        yield PreviewHarness(pack)
    finally:
        pack.stop()


@pytest.mark.parametrize("stack", STACKS)
def test_unmutated_preview_passes_with_unverifiable_values_reported(harness: PreviewHarness, stack: str) -> None:
    report = harness.check(stack, harness.export(stack))
    assert report.violations == [] and report.crashes == [], describe(report)
    assert report.unverifiable and report.passed


@pytest.mark.parametrize("mutant", MUTANTS, ids=[m.id for m in MUTANTS])
def test_mutant_is_caught_or_its_rule_says_what_it_could_not_evaluate(harness: PreviewHarness, mutant: Mutant) -> None:
    export = copy.deepcopy(harness.export(mutant.stack))
    try:
        urn = mutant.operator.apply(export)
    except json.JSONDecodeError:
        # The operator edits a JSON document (a policy) the preview cannot know yet: nothing to
        # mutate, and the unmutated preview must already report the rule could not evaluate it.
        export = harness.export(mutant.stack)
        urn = None
    report = harness.check(mutant.stack, export)
    assert report.crashes == [], describe(report)
    target = urn or root_urn(export)
    unverified = [u for u in report.unverifiable if u.policy == mutant.operator.rule]
    assert caught(report, mutant.operator, target) or unverified, \
        f"{mutant.operator.rule} neither reported {target!r} nor any value it could not evaluate:\n{describe(report)}"
