"""Inputs and outputs of the monitoring component."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from components.app.contract import AppOutputs
from components.cache.contract import RedisOutputs
from components.config import StackConfig
from components.database.contract import PostgresOutputs
from components.edge.contract import EdgeOutputs


@dataclass(frozen=True, kw_only=True)
class MonitoringArgs:
    config: StackConfig
    app: AppOutputs
    edge: EdgeOutputs
    database: PostgresOutputs
    cache: RedisOutputs


@dataclass(frozen=True, kw_only=True)
class MonitoringOutputs:
    namespace: pulumi.Output[str]
    grafana_service: pulumi.Output[str]
    prometheus_url: pulumi.Output[str]
    """In-cluster Prometheus HTTP API base URL."""
