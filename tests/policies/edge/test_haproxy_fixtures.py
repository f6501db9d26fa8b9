"""The HAProxy per-rule fixtures through the real pack: a bad configuration is flagged by the intended rule on
the edge ConfigMap with the defect named; a good one leaves the rule silent."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.policies.conftest import Messages
from tests.policies.edge.haproxy_fixtures import FIXTURES
from tests.policies.kubernetes.model import Fixture


@pytest.mark.parametrize("fixture", FIXTURES, ids=[f.id for f in FIXTURES])
def test_fixture(messages: Callable[[list[dict[str, Any]]], Messages], fixture: Fixture) -> None:
    found = messages(fixture.resources).get(fixture.rule, {})
    if fixture.flagged is None:
        assert not found, f"{fixture.rule} fired: {found}"
        return
    assert fixture.flagged in found, f"{fixture.rule} did not flag {fixture.flagged}; flagged {found}"
    assert fixture.message.lower() in found[fixture.flagged].lower(), found[fixture.flagged]


def test_every_rule_has_good_and_bad_fixtures() -> None:
    rules = {f.rule for f in FIXTURES}
    assert rules == {"edge-admin-protected", "edge-health-not-public", "edge-https-only", "edge-tls-min-version",
                     "edge-security-headers", "edge-rate-limit"}
    for rule in rules:
        assert {f.flagged is None for f in FIXTURES if f.rule == rule} == {True, False}, rule


def test_fixture_ids_are_unique() -> None:
    ids = [f.id for f in FIXTURES]
    assert len(ids) == len(set(ids))
