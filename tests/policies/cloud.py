"""Per-rule fixtures for the cloud rules: each case names the rule, the resource it must flag and the defect
the message must name; each good case must leave its rule silent."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from offline.gate.analyzer import PolicyPackProcess
from tests.policies.conftest import ROOT_URN, root

Resources = list[dict[str, Any]]


@dataclass(frozen=True)
class Bad:
    id: str
    rule: str
    resources: Resources
    flagged: str
    """The resource name (last URN segment) the rule must report; 'stack' for a stack-wide finding."""
    message: str
    """A case-insensitive substring of the violation message: the defect, named."""


@dataclass(frozen=True)
class Good:
    id: str
    rule: str
    resources: Resources
    also_silent: Sequence[str] = field(default_factory=tuple)


def findings(pack: PolicyPackProcess, resources: Resources) -> dict[str, dict[str, str]]:
    """{policy: {resource name: message}} for one analysis of `resources` (plus a stack root)."""
    if not any(r["type"] == "pulumi:pulumi:Stack" for r in resources):
        resources = [root(), *resources]
    results = pack.analyze(resources)
    assert not results.crashes, results.crashes
    found: dict[str, dict[str, str]] = {}
    for d in results.diagnostics:
        name = d.urn.rsplit("::", 1)[-1] if d.urn and d.urn != ROOT_URN else "stack"
        found.setdefault(d.policy, {})[name] = d.message
    return found


def assert_bad(pack: PolicyPackProcess, case: Bad) -> None:
    found = findings(pack, case.resources).get(case.rule, {})
    assert case.flagged in found, f"{case.rule} did not flag {case.flagged}; flagged {found}"
    assert case.message.lower() in found[case.flagged].lower(), found[case.flagged]


def assert_good(pack: PolicyPackProcess, case: Good) -> None:
    found = findings(pack, case.resources)
    for rule in (case.rule, *case.also_silent):
        assert rule not in found, f"{rule} fired: {found[rule]}"


def coverage(bad: Sequence[Bad], good: Sequence[Good]) -> list[tuple[str, bool, Resources]]:
    """The (rule, fires, resources) triples the pack-wide catalog test counts."""
    return [(c.rule, True, c.resources) for c in bad] + [(c.rule, False, c.resources) for c in good]
