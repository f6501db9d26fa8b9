"""The rollout's health gate: evidence about one slot from Prometheus, judged against the SLOs.

A gate passes only on evidence that is
- sufficient: enough real requests (health checks excluded) reached the slot during the judged
  span, and the slot's share of all requests is consistent with its canary weight;
- fresh: every series of the slot has a sample taken after the step's update;
- complete: every scrape target of the slot is up, as many as the slot has ready pods; every
  request carries its status label; Prometheus reported no warning (a partial response);
  no value is impossible (NaN, infinite, negative);
- about that slot alone: every query selects the slot by exact label and every answer is checked
  to carry that slot and no other.
Anything else — Prometheus unreachable, slow, cut off, answering something that is not its API —
is a failure too: the gate fails closed and says why.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import math
import re
import socket
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from typing import Any, Protocol

from components.config import ProbesConfig, Slot
from components.conventions import METRICS_PATH, PROJECT
from ops import OpsError

APP_DEPLOYMENT_PREFIX = PROJECT
"""Slot Deployments are `orchestrator-<slot>` (the name kube-state-metrics reports)."""
DEFAULT_PROBE_PATHS = (ProbesConfig().liveness_path, ProbesConfig().readiness_path, METRICS_PATH)
"""The app's own paths, which the edge must answer for internal sources only."""
CANARY_ALERTS = ("OrchestratorCanarySlotErrorRateHigh", "OrchestratorCanarySlotLatencyHigh")
"""monitoring/rules/rollout.yaml: while one fires for the canary slot, the rollout stops."""
ROUTE_LABELS = ("route", "path", "handler")
"""Labels that may name the request path; requests to probe paths are not evidence of health."""
MAX_ANSWER_BYTES = 8 * 1024 * 1024


class PrometheusUnavailableError(OpsError):
    """Prometheus did not answer a query with usable data."""


@dataclass(frozen=True)
class Thresholds:
    max_error_rate_percent: float
    max_p95_milliseconds: int
    min_ready_replicas: int
    """Below 100 %: the slot's HPA minimum while it is the canary."""
    min_requests: int
    min_ready_at_full: int = 0
    """At 100 %: the slot is about to take all traffic alone, so it needs the active slot's floor."""

    def ready_needed(self, weight: int) -> int:
        return max(self.min_ready_replicas, self.min_ready_at_full) if weight >= 100 else self.min_ready_replicas


@dataclass(frozen=True)
class Window:
    """What one gate reading judges: `seconds` up to now, for a slot that should get `weight` %."""

    slot: Slot
    weight: int
    seconds: int
    since_update: float
    """Seconds since the step's update completed: every sample judged must be younger."""
    bake_seconds: float
    final: bool
    """The reading that closes the bake; earlier readings only stop a rollout on a violation."""

    @property
    def required_requests_share(self) -> float:
        return 1.0 if self.final else min(1.0, self.seconds / self.bake_seconds) if self.bake_seconds else 1.0


@dataclass(frozen=True)
class GateReading:
    """One gate evaluation: the figures and, when unhealthy, why.

    `failures` are violations (the slot is unhealthy or the data is wrong); `gaps` are missing
    evidence (too few requests, nothing fresh). Both fail the final reading; an earlier reading
    in the bake stops the rollout only on a failure.
    """

    slot: Slot
    requests: float | None = None
    error_rate: float | None = None
    """Fraction (0.001 = 0.1 %)."""
    p95_seconds: float | None = None
    ready_replicas: float | None = None
    targets_up: int | None = None
    share: float | None = None
    failures: tuple[str, ...] = ()
    gaps: tuple[str, ...] = ()
    thresholds: Thresholds | None = None
    evaluated: bool = True
    seconds: int = 0
    ready_needed: int = 0

    @property
    def ok(self) -> bool:
        return self.evaluated and not self.failures and not self.gaps

    @property
    def reasons(self) -> tuple[str, ...]:
        return self.failures + self.gaps

    def figures(self) -> str:
        if not self.evaluated:
            return "not evaluated"
        limits = self.thresholds
        parts = [
            f"{_count(self.requests)} requests in {self.seconds}s"
            + (f" (min {limits.min_requests})" if limits else ""),
            f"error rate {_percent(self.error_rate)}" + (f" (max {limits.max_error_rate_percent:g} %)" if limits else ""),
            f"p95 {_millis(self.p95_seconds)}" + (f" (max {limits.max_p95_milliseconds} ms)" if limits else ""),
            f"ready {_count(self.ready_replicas)}" + (f" (min {self.ready_needed})" if limits else ""),
        ]
        return ", ".join(parts)


def _percent(value: float | None) -> str:
    return "n/a" if value is None else f"{value * 100:.3f} %"


def _millis(value: float | None) -> str:
    return "n/a" if value is None else f"{value * 1000:.0f} ms"


def _count(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0f}"


class HealthGate(Protocol):
    def describe(self) -> str: ...

    def check(self, window: Window) -> GateReading: ...


# --- the client -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sample:
    labels: dict[str, str]
    value: float


class PrometheusClient:
    """Instant queries against Prometheus' HTTP API (`/api/v1/query`), standard library only.

    `timeout` is a deadline for the whole answer: connecting, the headers and every byte of the
    body. A watchdog shuts the socket at the deadline, so a server trickling its answer a byte at
    a time cannot hold the rollout longer than that.
    """

    def __init__(self, base_url: str, *, timeout: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        parts = urllib.parse.urlsplit(self.base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise OpsError(f"Prometheus URL {base_url!r} is not an http(s) URL")
        self._parts = parts

    def query(self, expr: str) -> list[Sample]:
        """The samples of an instant-vector result (empty when no series matched)."""
        path = f"{self._parts.path.rstrip('/')}/api/v1/query?" + urllib.parse.urlencode({"query": expr})
        status, raw = self._get(path)
        try:
            body = json.loads(raw.decode("utf-8"))
        except (ValueError, RecursionError):
            raise PrometheusUnavailableError(
                f"Prometheus at {self.base_url} answered HTTP {status} with something that is not its JSON API"
            ) from None
        return _vector(body, status, self.base_url)

    def _get(self, path: str) -> tuple[int, bytes]:
        parts = self._parts
        connection_type = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
        connection = connection_type(parts.hostname or "", parts.port, timeout=self.timeout)
        expired = threading.Event()

        def cut() -> None:
            expired.set()
            sock = connection.sock
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

        deadline = time.monotonic() + self.timeout
        watchdog = threading.Timer(self.timeout, cut)
        watchdog.daemon = True
        watchdog.start()
        try:
            connection.request("GET", path, headers={"Accept": "application/json"})
            response = connection.getresponse()
            chunks: list[bytes] = []
            size = 0
            while True:
                chunk = response.read1(65536)
                if expired.is_set() or time.monotonic() > deadline:
                    raise TimeoutError
                if not chunk:
                    if response.length:  # Content-Length not reached: the connection was cut
                        raise http.client.IncompleteRead(b"".join(chunks), response.length)
                    break
                size += len(chunk)
                if size > MAX_ANSWER_BYTES:
                    raise PrometheusUnavailableError(
                        f"Prometheus at {self.base_url} answered more than {MAX_ANSWER_BYTES // 1024 // 1024} MB"
                    )
                chunks.append(chunk)
            return response.status, b"".join(chunks)
        except PrometheusUnavailableError:
            raise
        except (OSError, http.client.HTTPException, ValueError) as error:
            if expired.is_set() or isinstance(error, TimeoutError):
                raise PrometheusUnavailableError(
                    f"Prometheus at {self.base_url} did not answer within {self.timeout:g}s"
                ) from None
            detail = "the answer was cut short" if isinstance(error, http.client.IncompleteRead) else _describe(error)
            raise PrometheusUnavailableError(
                f"Prometheus at {self.base_url} is unreachable or broke off: {detail}"
            ) from None
        finally:
            watchdog.cancel()
            connection.close()


def _describe(error: BaseException) -> str:
    text = str(error).strip() or type(error).__name__
    return text.splitlines()[0][:200]


def _vector(body: Any, status: int, where: str) -> list[Sample]:
    """The samples of a `/api/v1/query` answer, every field checked (anything else is an error)."""
    def bad(what: str) -> PrometheusUnavailableError:
        return PrometheusUnavailableError(f"Prometheus at {where} answered HTTP {status} with {what}")

    if not isinstance(body, dict):
        raise bad(f"a JSON {type(body).__name__ if body is not None else 'null'} instead of an API response")
    if body.get("status") != "success":
        error = body.get("error")
        raise bad(f"an error: {str(error)[:200] if error else 'no reason given'}")
    warnings = body.get("warnings")
    if warnings:
        shown = "; ".join(str(w)[:200] for w in warnings) if isinstance(warnings, list) else str(warnings)[:200]
        raise bad(f"warnings (the answer may be partial): {shown}")
    data = body.get("data")
    if not isinstance(data, dict) or data.get("resultType") != "vector" or not isinstance(data.get("result"), list):
        raise bad("no instant vector in its data")
    samples: list[Sample] = []
    for item in data["result"]:
        if not isinstance(item, dict):
            raise bad("a malformed sample")
        labels, pair = item.get("metric", {}), item.get("value")
        if not isinstance(labels, dict) or not all(isinstance(v, str) for v in labels.values()):
            raise bad("malformed sample labels")
        if not isinstance(pair, list) or len(pair) != 2 or not isinstance(pair[1], str):
            raise bad("a malformed sample value")
        try:
            value = float(pair[1])
        except ValueError:
            raise bad(f"a sample value that is not a number: {pair[1][:40]!r}") from None
        samples.append(Sample(labels=dict(labels), value=value))
    return samples


# --- the queries ------------------------------------------------------------------------------


_RE2_SPECIAL = re.compile(r"([\\.^$|?*+()\[\]{}])")


def _literal(path: str) -> str:
    return _RE2_SPECIAL.sub(r"\\\1", path)


@dataclass(frozen=True)
class SlotQueries:
    """The gate's PromQL for one slot of the app in `namespace`, over the last `seconds`."""

    slot: Slot
    namespace: str
    seconds: int
    probe_paths: tuple[str, ...] = DEFAULT_PROBE_PATHS
    deployment_prefix: str = APP_DEPLOYMENT_PREFIX

    @property
    def _slot(self) -> str:
        return f'namespace="{self.namespace}",slot="{self.slot.value}"'

    @property
    def _real(self) -> str:
        # Probes and scrapes are not user traffic. Absent labels read as "" and never match.
        paths = "|".join(_literal(p.rstrip("/")) + "(/.*)?" for p in self.probe_paths)
        return ",".join(f'{label}!~"{paths}"' for label in ROUTE_LABELS)

    def _increase(self, extra: str = "", by: str = "slot") -> str:
        selector = ",".join(part for part in (self._slot, self._real, extra) if part)
        return f"sum by ({by}) (increase(http_requests_total{{{selector}}}[{self.seconds}s]))"

    @property
    def requests(self) -> str:
        return self._increase()

    @property
    def errors(self) -> str:
        return self._increase('code=~"5.."')

    @property
    def unlabelled(self) -> str:
        return self._increase('code=""')

    @property
    def all_slots(self) -> str:
        selector = f'namespace="{self.namespace}",slot=~"{"|".join(s.value for s in Slot)}",{self._real}'
        return f"sum(increase(http_requests_total{{{selector}}}[{self.seconds}s]))"

    @property
    def p95(self) -> str:
        return (
            "histogram_quantile(0.95, sum by (slot, le) "
            f"(rate(http_request_duration_seconds_bucket{{{self._slot},{self._real}}}[{self.seconds}s])))"
        )

    @property
    def ready_replicas(self) -> str:
        # max(): two kube-state-metrics replicas report the same Deployment twice.
        return (
            "max by (deployment) (kube_deployment_status_replicas_ready"
            f'{{namespace="{self.namespace}",deployment="{self.deployment_prefix}-{self.slot.value}"}})'
        )

    @property
    def targets(self) -> str:
        return f"up{{{self._slot}}}"

    @property
    def oldest_sample_age(self) -> str:
        # Seconds since the last sample of the slot's stalest series, on Prometheus' own clock.
        return f"time() - min by (slot) (timestamp(http_requests_total{{{self._slot}}}))"

    @property
    def alerts(self) -> str:
        names = "|".join(CANARY_ALERTS)
        return f'ALERTS{{alertname=~"{names}",alertstate="firing",slot="{self.slot.value}"}}'


# --- the gate ---------------------------------------------------------------------------------


@dataclass
class _Evidence:
    slot: Slot
    failures: list[str] = field(default_factory=list)
    gaps: list[str] = field(default_factory=list)

    def one(self, samples: list[Sample], what: str, *, label: str = "slot", empty_is: float | None = None) -> float | None:
        """The single value for this slot, or None (recorded) when there is none or it is impossible."""
        expected = self.slot.value if label == "slot" else f"{APP_DEPLOYMENT_PREFIX}-{self.slot.value}"
        foreign = [s for s in samples if s.labels.get(label) != expected]
        if foreign:
            seen = sorted({s.labels.get(label, "<none>") for s in foreign})
            self.failures.append(f"the {what} query matched other series ({label} {', '.join(seen)})")
            return None
        if not samples:
            if empty_is is None:
                self.gaps.append(f"no data for the {what} of slot {self.slot.value}")
            return empty_is
        if len(samples) > 1:
            self.failures.append(f"the {what} query returned {len(samples)} series for slot {self.slot.value}")
            return None
        value = samples[0].value
        if math.isnan(value):
            self.gaps.append(f"no data for the {what} of slot {self.slot.value} (NaN: nothing in the window)")
            return None
        if math.isinf(value) or value < 0:
            self.failures.append(f"impossible {what} for slot {self.slot.value}: {value}")
            return None
        return value


@dataclass
class PrometheusGate:
    """Healthy means: sufficient, fresh, complete evidence for the slot alone, within the thresholds."""

    client: PrometheusClient
    thresholds: Thresholds
    namespace: str
    probe_paths: tuple[str, ...] = DEFAULT_PROBE_PATHS
    queries_run: list[str] = field(default_factory=list)

    def describe(self) -> str:
        t = self.thresholds
        return (
            f"Prometheus {self.client.base_url}: >= {t.min_requests} real requests per bake, error rate <= "
            f"{t.max_error_rate_percent:g} %, p95 <= {t.max_p95_milliseconds} ms, ready >= {t.min_ready_replicas} "
            f"({t.ready_needed(100)} at 100 %), "
            "every target up, samples fresh, canary alerts silent"
        )

    def _run(self, expr: str) -> list[Sample]:
        self.queries_run.append(expr)
        return self.client.query(expr)

    def check(self, window: Window) -> GateReading:
        try:
            return self._check(window)
        except PrometheusUnavailableError as error:
            # Fail closed: without an answer there is no evidence the slot is healthy.
            return GateReading(slot=window.slot, failures=(str(error),), thresholds=self.thresholds,
                               seconds=window.seconds)

    def _check(self, window: Window) -> GateReading:
        slot, t = window.slot, self.thresholds
        q = SlotQueries(slot=slot, namespace=self.namespace, seconds=max(1, window.seconds),
                        probe_paths=self.probe_paths)
        evidence = _Evidence(slot)
        failures, gaps = evidence.failures, evidence.gaps

        firing = sorted({s.labels.get("alertname", "?") for s in self._run(q.alerts)})
        for name in firing:
            failures.append(f"alert {name} is firing for slot {slot.value}")

        requests = evidence.one(self._run(q.requests), "requests")
        errors = evidence.one(self._run(q.errors), "5xx requests", empty_is=0.0)
        unlabelled = evidence.one(self._run(q.unlabelled), "requests without status", empty_is=0.0)
        if unlabelled:
            failures.append(f"{unlabelled:.0f} requests of slot {slot.value} have no status label (code): "
                            "their errors cannot be counted")
        totals = self._run(q.all_slots)
        total = totals[0].value if len(totals) == 1 and math.isfinite(totals[0].value) else None

        needed = max(1, math.ceil(t.min_requests * window.required_requests_share))
        sufficient = requests is not None and requests >= needed
        if requests is not None and not sufficient:
            gaps.append(f"only {requests:.0f} real requests reached slot {slot.value} in {window.seconds}s; "
                        f"the gate needs {needed} (health checks do not count)")
        share = None
        if requests is not None and total:
            share = requests / total
            if window.weight and share * 100 < window.weight / 2:
                gaps.append(f"slot {slot.value} got {share * 100:.1f} % of the requests; at weight {window.weight} % "
                            f"it should get about {window.weight} % (is routing applied?)")
        error_rate = None
        if requests and errors is not None:
            error_rate = errors / requests
            if error_rate * 100 > t.max_error_rate_percent and (sufficient or window.final):
                failures.append(f"error rate {_percent(error_rate)} is above {t.max_error_rate_percent:g} % "
                                f"({errors:.0f} of {requests:.0f} requests)")

        p95 = evidence.one(self._run(q.p95), "p95")
        if p95 is not None and p95 * 1000 > t.max_p95_milliseconds and (sufficient or window.final):
            failures.append(f"p95 {_millis(p95)} is above {t.max_p95_milliseconds} ms")

        ready = evidence.one(self._run(q.ready_replicas), "ready replicas", label="deployment")
        ready_needed = t.ready_needed(window.weight)
        if ready is not None and ready < ready_needed:
            failures.append(f"{ready:g} ready replicas, fewer than {ready_needed}"
                            + (" (it is about to take all traffic)" if window.weight >= 100 else ""))

        targets = self._run(q.targets)
        up = sum(1 for s in targets if s.value == 1)
        if not targets:
            failures.append(f"Prometheus scrapes no target of slot {slot.value} ({q.targets} is empty)")
        elif up < len(targets):
            failures.append(f"{len(targets) - up} of {len(targets)} scrape targets of slot {slot.value} are down")
        if ready is not None and targets and up < ready:
            failures.append(f"{ready:g} pods of slot {slot.value} are ready but only {up} are scraped: "
                            "the others' requests are not seen")

        ages = self._run(q.oldest_sample_age)
        if not ages:
            gaps.append(f"no current sample of slot {slot.value}: its targets are not being scraped")
        elif window.final:
            age = ages[0].value
            if not math.isfinite(age) or age > window.since_update:
                gaps.append(f"stale data: the oldest series of slot {slot.value} was last scraped {age:.0f}s ago, "
                            f"before the update {window.since_update:.0f}s ago")

        return GateReading(
            slot=slot, requests=requests, error_rate=error_rate, p95_seconds=p95, ready_replicas=ready,
            targets_up=up, share=share, failures=tuple(failures), gaps=tuple(gaps), thresholds=t,
            seconds=window.seconds, ready_needed=ready_needed,
        )


@dataclass
class SkippedGate:
    """`--dry-run`: nothing is deployed, so there is no health to read; says what it would check."""

    would_check: str

    def describe(self) -> str:
        return f"not evaluated in a dry run (would check {self.would_check})"

    def check(self, window: Window) -> GateReading:
        return GateReading(slot=window.slot, evaluated=False)
