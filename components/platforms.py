"""The one way to pick a platform's implementation of a contract.

Each concern (cluster, database, cache, front door) declares a contract class; each platform module
subclasses it. `implementation(Contract, platform)` names the subclass and imports its module only
then: each cloud SDK costs import time the other platforms need not pay.
"""

from __future__ import annotations

import importlib
from typing import TypeVar

from components.config import Platform

Contract = TypeVar("Contract", bound=type)

# contract class name -> platform -> "module:Class"
IMPLEMENTATIONS: dict[str, dict[Platform, str]] = {
    "Foundation": {
        Platform.AWS: "components.cluster.aws:EksFoundation",
        Platform.AZURE: "components.cluster.azure:AksFoundation",
        Platform.KUBERNETES: "components.cluster.kubernetes:ExistingCluster",
    },
    "PostgresCluster": {
        Platform.AWS: "components.database.aws:RdsPostgres",
        Platform.AZURE: "components.database.azure:FlexiblePostgres",
        Platform.KUBERNETES: "components.database.kubernetes:CnpgPostgres",
    },
    "RedisCluster": {
        Platform.AWS: "components.cache.aws:ElastiCacheRedis",
        Platform.AZURE: "components.cache.azure:ManagedRedis",
        Platform.KUBERNETES: "components.cache.kubernetes:OperatorRedis",
    },
    "FrontDoor": {
        Platform.AWS: "components.edge.aws:AlbWafEntry",
        Platform.AZURE: "components.edge.azure:AppGatewayEntry",
        Platform.KUBERNETES: "components.edge.kubernetes:LoadBalancerEntry",
    },
}


def implementation(contract: Contract, platform: Platform) -> Contract:
    """The subclass of `contract` that implements it on `platform`."""
    module_name, class_name = IMPLEMENTATIONS[contract.__name__][platform].split(":")
    found = getattr(importlib.import_module(module_name), class_name)
    if not (isinstance(found, type) and issubclass(found, contract)):
        raise TypeError(f"{module_name}.{class_name} does not implement {contract.__name__}")
    return found  # type: ignore[return-value]  # checked just above: a subclass of the contract
