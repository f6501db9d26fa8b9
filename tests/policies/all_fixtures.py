"""Every per-rule fixture file, in one list: each fixture lives beside the rules it tests (kubernetes/, aws/,
azure/, edge/, stack/); the runner (test_fixtures.py), the catalog test and the decode-once equivalence read
them from here."""

from __future__ import annotations

from tests.policies.aws import rule_fixtures as aws
from tests.policies.azure import rule_fixtures as azure
from tests.policies.edge import cloud_fixtures as edge_cloud
from tests.policies.edge import config_files_fixtures as edge_files
from tests.policies.edge import haproxy_fixtures as edge_haproxy
from tests.policies.kubernetes import content_fixtures, pods_fixtures, spelling_fixtures, workload_fixtures
from tests.policies.kubernetes.model import Fixture
from tests.policies.stack import fixtures as stack

MIGRATED: list[Fixture] = [*workload_fixtures.FIXTURES, *aws.FIXTURES, *azure.FIXTURES, *edge_cloud.FIXTURES,
                           *stack.FIXTURES]
"""The cases that were one shared list of (rule, fires, resources) before each got its home and its message."""
FIXTURES: list[Fixture] = [*pods_fixtures.FIXTURES, *content_fixtures.FIXTURES, *spelling_fixtures.FIXTURES, *edge_files.FIXTURES,
                           *edge_haproxy.FIXTURES, *MIGRATED]


def coverage() -> set[tuple[str, bool]]:
    """(rule, fires) pairs the fixtures cover, for the catalog meta-test."""
    return {(f.rule, f.flagged is not None) for f in FIXTURES}


def as_cases() -> list[tuple[str, bool, list[dict]]]:  # type: ignore[type-arg]
    return [(f.rule, f.flagged is not None, f.resources) for f in FIXTURES]
