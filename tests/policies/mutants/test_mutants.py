"""Every mutation operator on every shipped stack it names: the gate reports the intended rule on
the intended resource with the defect named, and the unmutated exports pass with no finding."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from offline import OfflineError
from tests.policies.mutants.harness import REFUSED, Harness, Mutant, caught_by, describe, mutants, root_urn, session
from tests.policies.mutants.model import SHIPPED_STACKS

MUTANTS = mutants()


@pytest.fixture(scope="session")
def harness() -> Iterator[Harness]:
    yield from session()


@pytest.mark.parametrize("stack", SHIPPED_STACKS)
def test_unmutated_export_passes_with_no_finding(harness: Harness, stack: str) -> None:
    report = harness.check(stack, harness.export(stack))
    assert report.violations == [] and report.unverifiable == [] and report.crashes == [], describe(report)
    assert report.passed and report.score == 100


def test_there_are_operators_for_every_shipped_stack() -> None:
    assert {m.stack for m in MUTANTS} == set(SHIPPED_STACKS)


@pytest.mark.parametrize("mutant", MUTANTS, ids=[m.id for m in MUTANTS])
def test_mutant_is_caught_by_its_rule(harness: Harness, mutant: Mutant) -> None:
    export, urn = harness.mutate(mutant)
    operator = mutant.operator
    if operator.rule == REFUSED:
        with pytest.raises(OfflineError) as refused:
            harness.check(mutant.stack, export)
        assert operator.message.lower() in str(refused.value).lower(), str(refused.value)
        assert "\n" not in str(refused.value)
        return
    report = harness.check(mutant.stack, export)
    target = urn or root_urn(export)
    hits = caught_by(report, operator, target)
    assert hits, \
        f"{operator.rule} did not report {target!r} with {operator.message!r}; the gate reported:\n{describe(report)}"
    if any(hit.enforcement == "mandatory" for hit in hits):
        assert not report.passed
    else:
        # An advisory (medium or low) rule does not fail the gate by itself; its finding still costs points.
        assert report.score < 100, describe(report)


def test_every_rule_of_the_pack_has_operators() -> None:
    """A rule without operators is a promise nothing keeps: each one is broken at least once in a shipped export."""
    from policies.rules import all_policies

    covered = {m.operator.rule for m in MUTANTS}
    assert sorted({p.name for p in all_policies()} - covered) == []
