"""Every per-rule fixture, good and bad, through the real analyzer protocol: a bad one must be flagged by the
intended rule on the intended resource with a message naming the defect; a good one must leave the rule silent."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest

from tests.policies.all_fixtures import FIXTURES, MIGRATED
from tests.policies.conftest import Messages
from tests.policies.kubernetes.model import Fixture

MIGRATED_FLOOR = 146
"""How many Kubernetes, cloud, front-door and stack cases the shared case list held when they moved beside their
rules: the fixtures never fall below it unnoticed."""


@pytest.mark.parametrize("fixture", FIXTURES, ids=[f.id for f in FIXTURES])
def test_fixture(messages: Callable[[list[dict[str, Any]]], Messages], fixture: Fixture) -> None:
    found = messages(fixture.resources).get(fixture.rule, {})
    if fixture.flagged is None:
        assert not found, f"{fixture.rule} fired: {found}"
        return
    assert fixture.flagged in found, f"{fixture.rule} did not flag {fixture.flagged}; flagged {found}"
    assert fixture.message.lower() in found[fixture.flagged].lower(), found[fixture.flagged]


def test_fixture_ids_are_unique() -> None:
    ids = [f.id for f in FIXTURES]
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)


def test_no_migrated_case_was_dropped() -> None:
    assert len(MIGRATED) >= MIGRATED_FLOOR
    per_rule = Counter((f.rule, f.flagged is not None) for f in MIGRATED)
    # Every migrated rule keeps a compliant and a violating case.
    for rule in {f.rule for f in MIGRATED}:
        assert per_rule[(rule, False)] >= 1 and per_rule[(rule, True)] >= 1, rule
