"""Facts the self-contained pack keeps its own copy of: each copy equals the program's."""

from __future__ import annotations

from offline.diff.stateful_types import DATA_STORE_TYPES, STATEFUL_TYPES, is_stateful_type
from policies.rules import stack as stack_rules
from tests.helpers import SHIPPED_STACKS, run_stack


def test_the_pack_protects_exactly_the_programs_data_stores() -> None:
    assert set(stack_rules.STATEFUL) == set(DATA_STORE_TYPES)
    # A data store is stateful for `offline diff` too: a release never touches one.
    assert DATA_STORE_TYPES <= STATEFUL_TYPES


def test_every_data_store_a_production_stack_declares_is_protected_by_the_program() -> None:
    for stack in SHIPPED_STACKS:
        result = run_stack(stack)
        if not result.stack.startswith("production"):
            continue
        unprotected = [r.urn for r in result.resources if r.type in DATA_STORE_TYPES and not r.protect]
        assert unprotected == [], (stack, unprotected)


def test_operator_data_stores_are_stateful() -> None:
    assert is_stateful_type("kubernetes:redis.redis.opstreelabs.in/v1beta2:RedisCluster")
    assert is_stateful_type("kubernetes:postgresql.cnpg.io/v1:Cluster")
