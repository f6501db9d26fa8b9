"""cache: one contract, one module per platform."""

from __future__ import annotations

from components.cache.contract import CacheArgs, RedisCluster, RedisOutputs
from components.config import Platform


def implementation(platform: Platform) -> type[RedisCluster]:
    # Imported lazily: each cloud SDK costs import time the other platforms need not pay.
    if platform is Platform.AWS:
        from components.cache.aws import ElastiCacheRedis

        return ElastiCacheRedis
    if platform is Platform.AZURE:
        from components.cache.azure import ManagedRedis

        return ManagedRedis
    from components.cache.kubernetes import OperatorRedis

    return OperatorRedis


__all__ = ["CacheArgs", "RedisCluster", "RedisOutputs", "implementation"]
