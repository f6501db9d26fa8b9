"""Every rule, fed its own insecure values as secrets it cannot see: each mutation operator's changed
scalars on its target resource become ciphertext envelopes (tests/policies/secrets/blinding.py).

The rule must then say what it could not judge (unverifiable, naming the resource and a hidden
property) or judge the secret by its presence alone (a secret written into a pod's env, a hostPath that
is there, a CIDR where a group reference belongs); it never passes silently and never crashes. Two
outcomes are silent by design and asserted as such: a top-level property hidden in the recorded outputs
only is judged by its declared input (offline/gate/analyzer.py `bag_of`), and a password (database,
Helm value) that is only a ciphertext stands on its wiring to a generator (see test_provenance.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.policies.mutants.harness import REFUSED, Harness, Mutant, describe, load_operators, session
from tests.policies.mutants.model import Export, Mutation
from tests.policies.secrets.blinding import blinded, changed_scalars

OPERATORS = [o for o in load_operators() if o.rule != REFUSED]
RULES = sorted({o.rule for o in OPERATORS})


@pytest.fixture(scope="module")
def harness() -> Iterator[Harness]:
    yield from session()


def _judged_by_declared_value(original: Export, mutated: Export, urn: str) -> bool:
    """Only top-level outputs were hidden: the gate judges those by the declared inputs."""
    before = next(r for r in original["deployment"]["resources"] if r["urn"] == urn)
    after = next(r for r in mutated["deployment"]["resources"] if r["urn"] == urn)
    paths = changed_scalars(before, after)
    return set(paths) == {"outputs"} and all(len(p) == 1 and p[0] in (before.get("inputs") or {})
                                             for p in paths["outputs"])


PROVENANCE = ("aws-rds-auth", "k8s-helm-release-values")
"""Rules that take a ciphertext wired to a generator as generated: nothing else of the value is visible."""


def _wired(export: Export, urn: str) -> bool:
    entry = next(r for r in export["deployment"]["resources"] if r["urn"] == urn)
    return any("random:index/random" in u for urns in (entry.get("propertyDependencies") or {}).values() for u in urns)


def _outcome(harness: Harness, operator: Mutation) -> tuple[str, str] | None:
    """(kind, detail) of the rule on its blinded mutant; None when the operator writes no scalar on its target."""
    stack = operator.stacks[0]
    mutated, urn = harness.mutate(Mutant(operator, stack))
    if urn is None:
        return None
    found = blinded(harness.export(stack), mutated, urn)
    if found is None:
        return None
    export, hidden = found
    report = harness.check(stack, export)
    assert report.crashes == [], describe(report)
    named = [u for u in report.unverifiable if u.policy == operator.rule and u.urn == urn
             and any(u.path == p or u.path.startswith((p + ".", p + "[")) or p.startswith(u.path) for p in hidden)]
    if named:
        return "unverifiable", named[0].path
    findings = [v for v in report.violations if v.policy == operator.rule and v.urn == urn]
    if findings:
        return "presence", findings[0].message
    if _judged_by_declared_value(harness.export(stack), mutated, urn):
        return "declared", ""
    if operator.rule in PROVENANCE and _wired(mutated, urn):
        return "wired ciphertext", ""
    return "silent", f"hidden {hidden}; the gate reported:\n{describe(report)}"


PER_RULE = 4
"""Operators blinded per rule (the first ones): each costs a gate run; together they cover every rule."""


@pytest.mark.parametrize("rule", RULES)
def test_a_hidden_value_is_reported_not_judged(harness: Harness, rule: str) -> None:
    outcomes = {o.name: _outcome(harness, o) for o in [o for o in OPERATORS if o.rule == rule][:PER_RULE]}
    silent = {name: o[1] for name, o in outcomes.items() if o is not None and o[0] == "silent"}
    assert silent == {}, silent


def test_an_unverifiable_secret_names_rule_resource_and_property(harness: Harness) -> None:
    """The image of the issue: a ciphertext container image is not an untagged image "[secret]"."""
    operator = next(o for o in OPERATORS if o.rule == "k8s-image-pinned")
    mutated, urn = harness.mutate(Mutant(operator, operator.stacks[0]))
    assert urn is not None
    found = blinded(harness.export(operator.stacks[0]), mutated, urn)
    assert found is not None
    export, hidden = found
    report = harness.check(operator.stacks[0], export)
    assert not [v for v in report.violations if v.policy == "k8s-image-pinned"], describe(report)
    entries = [(u.urn, u.path, u.reason, u.message) for u in report.unverifiable if u.policy == "k8s-image-pinned"]
    assert entries == [(urn, hidden[0], "secret", f"cannot evaluate {hidden[0]}: a secret whose value the gate "
                                                  "withholds")]
    assert hidden[0].endswith(".image")
    assert not report.passed  # a state export has no excuse for a value the gate cannot judge
