"""The Redis contract every platform honours; the application reads only these outputs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi

from components.cluster.contract import Foundation
from components.config import StackConfig

PASSWORD_KEY = "password"
HOST_KEY = "host"
PORT_KEY = "port"
"""Keys of the credentials Secret in the app namespace."""


@dataclass(frozen=True, kw_only=True)
class CacheArgs:
    config: StackConfig
    foundation: Foundation
    app_namespace: pulumi.Input[str]


@dataclass(frozen=True, kw_only=True)
class RedisOutputs:
    endpoint: pulumi.Output[str]
    """Cluster discovery endpoint (cluster-mode clients)."""
    port: pulumi.Output[int]
    tls: pulumi.Output[bool]
    credentials_secret: pulumi.Output[str]
    """Name of the Kubernetes Secret in the app namespace (keys: host, port, password)."""
    egress_peers: pulumi.Output[list[dict[str, Any]]]


class RedisCluster(pulumi.ComponentResource):
    """Three primaries (shards) with replicas, TLS, auth, encrypted."""

    outputs: RedisOutputs
