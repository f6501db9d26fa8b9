"""The PostgreSQL contract every platform honours; the application reads only these outputs."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.cluster.contract import Foundation
from components.config import StackConfig
from components.secrets.app import app_credentials_secret

PASSWORD_KEY = "password"
USERNAME_KEY = "username"
HOST_KEY = "host"
PORT_KEY = "port"
DATABASE_KEY = "dbname"
SSLMODE_KEY = "sslmode"
"""Keys of the credentials Secret in the app namespace."""
CA_CERT_KEY = "ca.crt"
"""Optional key: PEM of a private CA the server certificate chains to (absent when a public/well-known CA is used)."""

CREDENTIAL_KEYS: tuple[str, ...] = (HOST_KEY, PORT_KEY, DATABASE_KEY, USERNAME_KEY, PASSWORD_KEY, SSLMODE_KEY)
"""Every platform writes at least these keys."""
SECRET_KEYS: tuple[str, ...] = (PASSWORD_KEY,)
"""Keys whose values are generated secrets: they travel only as secret Outputs."""


@dataclass(frozen=True, kw_only=True)
class DatabaseArgs:
    config: StackConfig
    foundation: Foundation
    app_namespace: pulumi.Input[str]
    """Namespace where the credentials Secret is written for the app."""
    monitoring_crds: Sequence[pulumi.Resource] = ()
    """Resources installing the prometheus-operator CRDs; this component's PodMonitors wait for them."""


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

    def registered(self) -> dict[str, pulumi.Output[Any]]:
        """What the component passes to `register_outputs` (camelCase, as in the deployment)."""
        return {
            "primaryHost": self.primary_host, "readerHost": self.reader_host, "port": self.port,
            "database": self.database, "credentialsSecret": self.credentials_secret, "sslMode": self.ssl_mode,
            "egressPeers": self.egress_peers,
        }


class PostgresCluster(pulumi.ComponentResource):
    """A primary plus replicas, encrypted, private, TLS-only, backed up."""

    def __init__(self, name: str, args: DatabaseArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        # The type token names the platform's class, e.g. `orchestrator:database:<Class>`.
        super().__init__(f"orchestrator:database:{type(self).__name__}", name, None, opts)

    outputs: PostgresOutputs


CREDENTIALS_SECRET = "database-credentials"


def credentials_secret(
    name: str,
    *,
    namespace: pulumi.Input[str],
    host: pulumi.Input[str],
    port: int,
    database: pulumi.Input[str],
    username: pulumi.Input[str],
    password: pulumi.Input[str],
    ssl_mode: str,
    ca_cert: pulumi.Input[str] | None = None,
    opts: pulumi.ResourceOptions,
) -> k8s.core.v1.Secret:
    """The app's credentials Secret, the same keys on every platform; the password stays a secret Output."""
    data: dict[str, pulumi.Input[str]] = {
        HOST_KEY: host, PORT_KEY: str(port), DATABASE_KEY: database, USERNAME_KEY: username,
        PASSWORD_KEY: pulumi.Output.secret(password), SSLMODE_KEY: ssl_mode,
    }
    if ca_cert is not None:
        data[CA_CERT_KEY] = ca_cert
    return app_credentials_secret(
        name, secret_name=CREDENTIALS_SECRET, component="database", namespace=namespace, data=data, opts=opts
    )
