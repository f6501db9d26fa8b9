"""The HAProxy per-rule fixtures cover every configuration rule both ways. They run through the real pack
with every other fixture (tests/policies/all_fixtures.py, test_fixtures.py): a bad configuration is flagged
by the intended rule on the edge ConfigMap with the defect named; a good one leaves the rule silent."""

from __future__ import annotations

from tests.policies.all_fixtures import FIXTURES as ALL
from tests.policies.edge.haproxy_fixtures import FIXTURES


def test_every_rule_has_good_and_bad_fixtures() -> None:
    rules = {f.rule for f in FIXTURES}
    assert rules == {"edge-admin-protected", "edge-health-not-public", "edge-https-only", "edge-tls-min-version",
                     "edge-security-headers", "edge-rate-limit"}
    for rule in rules:
        assert {f.flagged is None for f in FIXTURES if f.rule == rule} == {True, False}, rule


def test_they_run_with_every_other_fixture() -> None:
    assert {f.id for f in FIXTURES} <= {f.id for f in ALL}
