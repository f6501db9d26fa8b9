"""The PostgreSQL contract every platform honours; the application reads only these outputs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi

from components.cluster.contract import Foundation
from components.config import StackConfig

PASSWORD_KEY = "password"
USERNAME_KEY = "username"
HOST_KEY = "host"
PORT_KEY = "port"
DATABASE_KEY = "dbname"
SSLMODE_KEY = "sslmode"
"""Keys of the credentials Secret in the app namespace."""


@dataclass(frozen=True, kw_only=True)
class DatabaseArgs:
    config: StackConfig
    foundation: Foundation
    app_namespace: pulumi.Input[str]
    """Namespace where the credentials Secret is written for the app."""


@dataclass(frozen=True, kw_only=True)
class PostgresOutputs:
    primary_host: pulumi.Output[str]
    """Read-write endpoint."""
    reader_host: pulumi.Output[str]
    """Read-only endpoint (the replicas)."""
    port: pulumi.Output[int]
    database: pulumi.Output[str]
    credentials_secret: pulumi.Output[str]
    """Name of the Kubernetes Secret in the app namespace (keys: host, port, dbname, username, password, sslmode)."""
    ssl_mode: pulumi.Output[str]
    """libpq sslmode the app uses (TLS is always on)."""
    egress_peers: pulumi.Output[list[dict[str, Any]]]
    """NetworkPolicy peers through which the app reaches the database."""


class PostgresCluster(pulumi.ComponentResource):
    """A primary plus replicas, encrypted, private, TLS-only, backed up."""

    outputs: PostgresOutputs
