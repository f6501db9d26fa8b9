"""The Redis contract every platform honours; the application reads only these outputs."""

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
HOST_KEY = "host"
PORT_KEY = "port"
"""Keys of the credentials Secret in the app namespace."""
CA_CERT_KEY = "ca.crt"
"""Optional key: PEM of a private CA the server certificate chains to (absent when a public/well-known CA is used)."""

CREDENTIAL_KEYS: tuple[str, ...] = (HOST_KEY, PORT_KEY, PASSWORD_KEY)
"""Every platform writes at least these keys."""
SECRET_KEYS: tuple[str, ...] = (PASSWORD_KEY,)
"""Keys whose values are generated secrets: they travel only as secret Outputs."""


@dataclass(frozen=True, kw_only=True)
class CacheArgs:
    config: StackConfig
    foundation: Foundation
    app_namespace: pulumi.Input[str]
    monitoring_crds: Sequence[pulumi.Resource] = ()
    """Resources installing the prometheus-operator CRDs; this component's PodMonitors wait for them."""


@dataclass(frozen=True, kw_only=True)
class RedisOutputs:
    endpoint: pulumi.Output[str]
    """Cluster discovery endpoint (cluster-mode clients)."""
    port: pulumi.Output[int]
    tls: pulumi.Output[bool]
    credentials_secret: pulumi.Output[str]
    """Name of the Kubernetes Secret in the app namespace (keys: host, port, password)."""
    egress_peers: pulumi.Output[list[dict[str, Any]]]
    """NetworkPolicy peers through which the app reaches the cache."""

    def registered(self) -> dict[str, pulumi.Output[Any]]:
        """What the component passes to `register_outputs` (camelCase, as in the deployment)."""
        return {
            "endpoint": self.endpoint, "port": self.port, "tls": self.tls,
            "credentialsSecret": self.credentials_secret, "egressPeers": self.egress_peers,
        }


class RedisCluster(pulumi.ComponentResource):
    """Three primaries (shards) with replicas, TLS, auth, encrypted."""

    def __init__(self, name: str, args: CacheArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        # The type token names the platform's class, e.g. `orchestrator:cache:<Class>`.
        super().__init__(f"orchestrator:cache:{type(self).__name__}", name, None, opts)

    outputs: RedisOutputs


CREDENTIALS_SECRET = "cache-credentials"


def credentials_secret(
    name: str,
    *,
    namespace: pulumi.Input[str],
    host: pulumi.Input[str],
    port: int,
    password: pulumi.Input[str],
    ca_cert: pulumi.Input[str] | None = None,
    opts: pulumi.ResourceOptions,
) -> k8s.core.v1.Secret:
    """The app's credentials Secret, the same keys on every platform; the password stays a secret Output."""
    data: dict[str, pulumi.Input[str]] = {HOST_KEY: host, PORT_KEY: str(port), PASSWORD_KEY: pulumi.Output.secret(password)}
    if ca_cert is not None:
        data[CA_CERT_KEY] = ca_cert
    return app_credentials_secret(
        name, secret_name=CREDENTIALS_SECRET, component="cache", namespace=namespace, data=data, opts=opts
    )
