"""Every Kubernetes rule, good and bad objects, through the real analyzer protocol: the bad ones must be
flagged by the intended rule on the intended resource with a message naming the defect."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.policies.conftest import Messages
from tests.policies.kubernetes import content_fixtures, pods_fixtures
from tests.policies.kubernetes.model import Fixture

FIXTURES: list[Fixture] = [*pods_fixtures.FIXTURES, *content_fixtures.FIXTURES]


def coverage() -> set[tuple[str, bool]]:
    """(rule, fires) pairs these fixtures cover, for the catalog meta-test."""
    return {(f.rule, f.flagged is not None) for f in FIXTURES}


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
