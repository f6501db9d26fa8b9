"""The rollout's health gate: a slot's error rate, P95 latency and ready replicas from Prometheus.

It fails closed: Prometheus unreachable, a failed query, no series or NaN (no traffic in the
window) all count as unhealthy, so a rollout never proceeds on missing evidence.
"""

from __future__ import annotations

import json
import math
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from typing import Protocol

from components.config import Slot
from ops import OpsError

APP_DEPLOYMENT_PREFIX = "orchestrator"
"""Slot Deployments are `orchestrator-<slot>` (the name kube-state-metrics reports)."""


class PrometheusUnavailableError(OpsError):
    """Prometheus did not answer a query with data."""


@dataclass(frozen=True)
class Thresholds:
    max_error_rate: float
    max_p95_seconds: float
    min_ready_replicas: int
    window_seconds: int


@dataclass(frozen=True)
class GateReading:
    """One gate evaluation: the measured figures and, when unhealthy, why."""

    slot: Slot
    error_rate: float | None = None
    p95_seconds: float | None = None
    ready_replicas: float | None = None
    failures: tuple[str, ...] = ()
    thresholds: Thresholds | None = None
    evaluated: bool = True

    @property
    def ok(self) -> bool:
        return self.evaluated and not self.failures

    def figures(self) -> str:
        if not self.evaluated:
            return "not evaluated"
        limits = self.thresholds
        parts = [
            f"error rate {_percent(self.error_rate)}" + (f" (max {_percent(limits.max_error_rate)})" if limits else ""),
            f"p95 {_millis(self.p95_seconds)}" + (f" (max {_millis(limits.max_p95_seconds)})" if limits else ""),
            f"ready {_count(self.ready_replicas)}" + (f" (min {limits.min_ready_replicas})" if limits else ""),
        ]
        return ", ".join(parts)


def _percent(value: float | None) -> str:
    return "n/a" if value is None else f"{value * 100:.3f} %"


def _millis(value: float | None) -> str:
    return "n/a" if value is None else f"{value * 1000:.0f} ms"


def _count(value: float | None) -> str:
    return "n/a" if value is None else f"{value:g}"


class HealthGate(Protocol):
    def describe(self) -> str: ...

    def check(self, slot: Slot) -> GateReading: ...


class PrometheusClient:
    """Instant queries against Prometheus' HTTP API (`/api/v1/query`), standard library only."""

    def __init__(self, base_url: str, *, timeout: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout

    def query(self, expr: str) -> list[float]:
        """The sample values of an instant-vector result (empty when no series matched)."""
        url = f"{self.base_url}/api/v1/query?" + urllib.parse.urlencode({"query": expr})
        try:
            with urllib.request.urlopen(url, timeout=self.timeout) as response:
                body = json.loads(response.read().decode("utf-8"))
        except urllib.error.HTTPError as error:
            detail = _api_error(error)
            raise PrometheusUnavailableError(f"Prometheus at {self.base_url} answered HTTP {error.code}: {detail}") from None
        except (urllib.error.URLError, OSError, ValueError) as error:
            reason = getattr(error, "reason", error)
            raise PrometheusUnavailableError(f"Prometheus at {self.base_url} is unreachable: {reason}") from None
        if body.get("status") != "success":
            raise PrometheusUnavailableError(f"Prometheus query failed: {body.get('error', 'unknown error')}")
        data = body.get("data") or {}
        if data.get("resultType") != "vector":
            raise PrometheusUnavailableError(f"Prometheus returned a {data.get('resultType')} for an instant vector query")
        return [float(sample["value"][1]) for sample in data.get("result", [])]


def _api_error(error: urllib.error.HTTPError) -> str:
    try:
        return str(json.loads(error.read().decode("utf-8")).get("error", error.reason))
    except (ValueError, OSError):
        return str(error.reason)


@dataclass(frozen=True)
class SlotQueries:
    """The gate's PromQL for one slot of the app in `namespace`."""

    slot: Slot
    namespace: str
    window_seconds: int
    deployment_prefix: str = APP_DEPLOYMENT_PREFIX

    @property
    def _http(self) -> str:
        return f'namespace="{self.namespace}",slot="{self.slot.value}"'

    @property
    def error_rate(self) -> str:
        window = f"{self.window_seconds}s"
        # `or vector(0)`: a healthy slot may have no 5xx series at all; without traffic the
        # denominator stays empty, so the result is still "no data" and the gate fails closed.
        return (
            f'(sum(rate(http_requests_total{{{self._http},code=~"5.."}}[{window}])) or vector(0))'
            f" / sum(rate(http_requests_total{{{self._http}}}[{window}]))"
        )

    @property
    def p95(self) -> str:
        return (
            "histogram_quantile(0.95, sum by (le) "
            f"(rate(http_request_duration_seconds_bucket{{{self._http}}}[{self.window_seconds}s])))"
        )

    @property
    def ready_replicas(self) -> str:
        # max(): two kube-state-metrics replicas report the same Deployment twice.
        return (
            "max(kube_deployment_status_replicas_ready"
            f'{{namespace="{self.namespace}",deployment="{self.deployment_prefix}-{self.slot.value}"}})'
        )


@dataclass
class PrometheusGate:
    """Healthy means: error rate <= max, P95 <= max, ready replicas >= min; anything unknown fails."""

    client: PrometheusClient
    thresholds: Thresholds
    namespace: str
    queries_run: list[str] = field(default_factory=list)

    def describe(self) -> str:
        t = self.thresholds
        return (
            f"Prometheus {self.client.base_url}, window {t.window_seconds}s: error rate <= {_percent(t.max_error_rate)}, "
            f"p95 <= {_millis(t.max_p95_seconds)}, ready >= {t.min_ready_replicas}"
        )

    def check(self, slot: Slot) -> GateReading:
        queries = SlotQueries(slot=slot, namespace=self.namespace, window_seconds=self.thresholds.window_seconds)
        failures: list[str] = []
        figures: dict[str, float | None] = {}
        for name, expr in (("error rate", queries.error_rate), ("p95", queries.p95), ("ready replicas", queries.ready_replicas)):
            self.queries_run.append(expr)
            try:
                values = self.client.query(expr)
            except PrometheusUnavailableError as error:
                # Fail closed: without Prometheus there is no evidence the slot is healthy.
                return GateReading(slot=slot, failures=(str(error),), thresholds=self.thresholds)
            value = values[0] if len(values) == 1 and not math.isnan(values[0]) else None
            figures[name] = value
            if value is None:
                failures.append(f"no data for the {name} of slot {slot.value} (no series or no traffic in the window)")
        error_rate, p95, ready = figures["error rate"], figures["p95"], figures["ready replicas"]
        t = self.thresholds
        if error_rate is not None and error_rate > t.max_error_rate:
            failures.append(f"error rate {_percent(error_rate)} is above {_percent(t.max_error_rate)}")
        if p95 is not None and p95 > t.max_p95_seconds:
            failures.append(f"p95 {_millis(p95)} is above {_millis(t.max_p95_seconds)}")
        if ready is not None and ready < t.min_ready_replicas:
            failures.append(f"{ready:g} ready replicas, fewer than {t.min_ready_replicas}")
        return GateReading(
            slot=slot, error_rate=error_rate, p95_seconds=p95, ready_replicas=ready,
            failures=tuple(failures), thresholds=t,
        )


@dataclass
class SkippedGate:
    """`--dry-run`: nothing is deployed, so there is no health to read; says what it would check."""

    would_check: str

    def describe(self) -> str:
        return f"not evaluated in a dry run (would check {self.would_check})"

    def check(self, slot: Slot) -> GateReading:
        return GateReading(slot=slot, evaluated=False)
