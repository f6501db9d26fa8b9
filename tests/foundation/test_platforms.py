"""One way to pick a platform's implementation, the same for every concern."""

from __future__ import annotations

import pytest

from components.cache import RedisCluster
from components.cluster import Foundation
from components.config import Platform
from components.database import PostgresCluster
from components.edge import FrontDoor
from components.platforms import IMPLEMENTATIONS, implementation
from tests.helpers import stack_config

CONTRACTS = [Foundation, PostgresCluster, RedisCluster, FrontDoor]


@pytest.mark.parametrize("contract", CONTRACTS, ids=lambda c: c.__name__)
@pytest.mark.parametrize("platform", list(Platform))
def test_every_contract_has_one_implementation_per_platform(contract: type, platform: Platform) -> None:
    found = implementation(contract, platform)
    assert issubclass(found, contract) and found is not contract


def test_the_table_covers_exactly_the_contracts() -> None:
    assert set(IMPLEMENTATIONS) == {c.__name__ for c in CONTRACTS}


def test_a_front_door_says_how_haproxy_is_exposed_before_haproxy_exists() -> None:
    for stack, internal in (("production", True), ("production-azure", True), ("local", False)):
        config = stack_config(stack=stack)
        exposure = implementation(FrontDoor, config.platform).exposure(config)
        # Behind a cloud front door HAProxy is internal; on plain Kubernetes it is the front door.
        assert exposure.internal is internal


def test_a_class_that_is_not_the_contracts_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(IMPLEMENTATIONS, "FrontDoor", {Platform.AWS: "components.cache.aws:ElastiCacheRedis"})
    with pytest.raises(TypeError, match="ElastiCacheRedis does not implement FrontDoor"):
        implementation(FrontDoor, Platform.AWS)
