"""Inputs and outputs of the application component."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from components.cache.contract import RedisOutputs
from components.config import Slot, StackConfig
from components.database.contract import PostgresOutputs


@dataclass(frozen=True, kw_only=True)
class NamespaceArgs:
    config: StackConfig


@dataclass(frozen=True, kw_only=True)
class ApplicationArgs:
    config: StackConfig
    namespace: pulumi.Input[str]
    database: PostgresOutputs
    cache: RedisOutputs
    edge_namespace: str
    """Namespace of the edge proxy pods (the only ingress source besides Prometheus)."""
    edge_pod_labels: dict[str, str]
    monitoring_namespace: str


@dataclass(frozen=True, kw_only=True)
class AppOutputs:
    namespace: pulumi.Output[str]
    slot_services: dict[Slot, pulumi.Output[str]]
    """Per-slot ClusterIP Service names (stable; HAProxy addresses them)."""
    live_service: pulumi.Output[str]
    port: int
    """Service port of every slot Service."""
    active_slot: Slot
    canary_weight: int
    pod_labels: dict[str, str]
    """Labels every app pod carries (both slots)."""
