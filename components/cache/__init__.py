"""cache: one contract, one module per platform."""

from __future__ import annotations

from components.cache.contract import CacheArgs, RedisCluster, RedisOutputs

__all__ = ["CacheArgs", "RedisCluster", "RedisOutputs"]
