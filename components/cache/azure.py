"""azure implementation of the cache contract (empty shell until its issue lands)."""

from __future__ import annotations

import pulumi

from components.cache.contract import CacheArgs, RedisCluster, RedisOutputs


class ManagedRedis(RedisCluster):
    def __init__(self, name: str, args: CacheArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("orchestrator:cache:ManagedRedis", name, None, opts)
        self.outputs = RedisOutputs(
            endpoint=pulumi.Output.from_input("pending"), port=pulumi.Output.from_input(6379),
            tls=pulumi.Output.from_input(True), credentials_secret=pulumi.Output.from_input("cache-credentials"),
            egress_peers=pulumi.Output.from_input([]))
        self.register_outputs({})
