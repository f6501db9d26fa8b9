"""Inputs and outputs of the application component, and the labels/names others address it by."""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi

from components.cache.contract import RedisOutputs
from components.config import Slot, StackConfig
from components.conventions import (
    COMPONENT_LABEL,
    METRICS_PATH,
    NAME_LABEL,
    PART_OF,
    PROJECT,
    SYSTEM_NAMESPACE,
)
from components.database.contract import PostgresOutputs

APP_NAME = PROJECT
"""`app.kubernetes.io/name` of every app pod and the prefix of every app object's name."""
COMPONENT = "api"
SERVICE_PORT = 80
SERVICE_PORT_NAME = "http"
"""The app serves Prometheus metrics on its HTTP port."""
PROMETHEUS_POD_LABELS = {NAME_LABEL: "prometheus"}
"""Labels of the Prometheus server pods (the Prometheus operator sets this one on every server pod)."""
DNS_NAMESPACE = SYSTEM_NAMESPACE
"""Set by the API server on every namespace (immutable), so namespace selectors can name a namespace."""


def selector_labels() -> dict[str, str]:
    """Labels both slots' pods share (the NetworkPolicies select on these)."""
    return {NAME_LABEL: APP_NAME, COMPONENT_LABEL: COMPONENT}


def common_labels() -> dict[str, str]:
    return {**selector_labels(), **PART_OF}


def slot_selector(slot: Slot) -> dict[str, str]:
    """A slot's Deployment/Service/PDB selector: never includes the version, which changes per release."""
    return {**selector_labels(), "slot": slot.value}


def slot_object_name(slot: Slot) -> str:
    """`orchestrator-blue` / `orchestrator-green`: Deployment, Service, HPA and PDB of a slot."""
    return f"{APP_NAME}-{slot.value}"


LIVE_SERVICE_NAME = f"{APP_NAME}-live"


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
    prometheus_pod_labels: dict[str, str] = field(default_factory=lambda: dict(PROMETHEUS_POD_LABELS))


@dataclass(frozen=True, kw_only=True)
class AppOutputs:
    namespace: pulumi.Output[str]
    slot_services: dict[Slot, pulumi.Output[str]]
    """Per-slot ClusterIP Service names (stable; HAProxy addresses them)."""
    live_service: pulumi.Output[str]
    port: int
    """Service port of every slot Service (named `http`; targets `container_port`)."""
    active_slot: Slot
    canary_weight: int
    pod_labels: dict[str, str]
    """Labels every app pod carries (both slots); the slot Services carry them too, plus `slot`."""
    port_name: str = SERVICE_PORT_NAME
    container_port: int = 8080
    metrics_path: str = METRICS_PATH
    slot_labels: dict[Slot, dict[str, str]] = field(default_factory=dict)
    """Full pod labels per slot, including `slot` and `app.kubernetes.io/version`."""
    deployments: dict[Slot, pulumi.Output[str]] = field(default_factory=dict)
    """Per-slot Deployment names (the HPA targets)."""
    service_account: pulumi.Output[str] | None = None
