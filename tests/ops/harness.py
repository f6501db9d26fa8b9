"""A real Prometheus on loopback scraping a local exporter whose per-slot traffic the tests control,
and the fake stack operations the rollout tests drive."""

from __future__ import annotations

import contextlib
import json
import shutil
import socket
import subprocess
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from components.config import Slot, StackConfig
from ops.stackops import with_settings

BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.25, 0.5, 1.0, 2.5)
NAMESPACES = (
    "ops-happy", "ops-errors", "ops-latency", "ops-ready", "ops-cli", "ops-health-only", "ops-stale",
    "ops-pod-down", "ops-unlabelled", "ops-burst", "ops-impossible", "ops-dilute", "ops-signals",
)
"""One app namespace per test, so one test's traffic never shows in another's window."""
PODS = 3
"""Scrape targets (pods) per slot: as many as the production HPA minimum."""
SCRAPE_SECONDS = 1


@dataclass
class PodSeries:
    ok: float = 0.0
    errors: float = 0.0
    health: float = 0.0
    unlabelled: float = 0.0
    buckets: dict[float, float] = field(default_factory=lambda: dict.fromkeys(BUCKETS, 0.0))
    latency_sum: float = 0.0


@dataclass
class SlotTraffic:
    """Simulated requests of one slot, spread over its pods: `rps` real requests per second, a share of
    5xx, every request at `latency`; plus probe traffic and requests without a status label."""

    rps: float = 0.0
    error_ratio: float = 0.0
    latency: float = 0.04
    ready: float = PODS
    health_rps: float = 0.0
    unlabelled_rps: float = 0.0
    pod_error_ratio: dict[int, float] = field(default_factory=dict)
    """Per-pod override of `error_ratio`."""
    down: set[int] = field(default_factory=set)
    """Pods whose /metrics fails: Prometheus marks the target down and its series stale."""
    pods: list[PodSeries] = field(default_factory=lambda: [PodSeries() for _ in range(PODS)])
    last: float = field(default_factory=time.monotonic)

    def advance_to(self, now: float) -> None:
        seconds, self.last = now - self.last, now
        for index, pod in enumerate(self.pods):
            requests = self.rps * seconds / len(self.pods)
            ratio = self.pod_error_ratio.get(index, self.error_ratio)
            pod.errors += requests * ratio
            pod.ok += requests * (1 - ratio)
            pod.latency_sum += requests * self.latency
            pod.health += self.health_rps * seconds / len(self.pods)
            pod.unlabelled += self.unlabelled_rps * seconds / len(self.pods)
            for bound in BUCKETS:
                if self.latency <= bound:
                    pod.buckets[bound] += requests


class Exporter:
    """One `/metrics/<namespace>/<slot>/<pod>` per pod (the app's http metrics) and `/ksm` (ready replicas)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.slots: dict[tuple[str, Slot], SlotTraffic] = {
            (namespace, slot): SlotTraffic() for namespace in NAMESPACES for slot in Slot
        }
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.server.server_address[1]}"

    def slot(self, namespace: str, slot: Slot) -> SlotTraffic:
        return self.slots[(namespace, slot)]

    def update(self, namespace: str, slot: Slot, **changes: object) -> None:
        with self.lock:
            traffic = self.slots[(namespace, slot)]
            traffic.advance_to(time.monotonic())
            for name, value in changes.items():
                setattr(traffic, name, value)

    def reset(self, namespace: str) -> None:
        for slot in Slot:
            self.update(namespace, slot, error_ratio=0.0, latency=0.04, ready=PODS, health_rps=0.0, unlabelled_rps=0.0,
                        pod_error_ratio={}, down=set())

    def render_pod(self, namespace: str, slot: Slot, index: int) -> str | None:
        with self.lock:
            # Only the scraped slot moves on: a scrape stays cheap however many slots there are.
            t = self.slots[(namespace, slot)]
            t.advance_to(time.monotonic())
            if index in t.down:
                return None
            pod = t.pods[index]
            labels = f'namespace="{namespace}",slot="{slot.value}",pod="{slot.value}-{index}"'
            lines = [
                "# TYPE http_requests_total counter",
                f'http_requests_total{{{labels},route="/api",code="200"}} {pod.ok:.6f}',
                f'http_requests_total{{{labels},route="/api",code="500"}} {pod.errors:.6f}',
                f'http_requests_total{{{labels},route="/healthz",code="200"}} {pod.health:.6f}',
                f'http_requests_total{{{labels},route="/api"}} {pod.unlabelled:.6f}',
                "# TYPE http_request_duration_seconds histogram",
            ]
            for bound in BUCKETS:
                lines.append(f'http_request_duration_seconds_bucket{{{labels},route="/api",le="{bound}"}} '
                             f"{pod.buckets[bound]:.6f}")
            total = pod.ok + pod.errors
            lines.append(f'http_request_duration_seconds_bucket{{{labels},route="/api",le="+Inf"}} {total:.6f}')
            lines.append(f'http_request_duration_seconds_sum{{{labels},route="/api"}} {pod.latency_sum:.6f}')
            lines.append(f'http_request_duration_seconds_count{{{labels},route="/api"}} {total:.6f}')
            return "\n".join(lines) + "\n"

    def render_ksm(self) -> str:
        with self.lock:
            lines = ["# TYPE kube_deployment_status_replicas_ready gauge"]
            for (namespace, slot), t in self.slots.items():
                lines.append(f'kube_deployment_status_replicas_ready{{namespace="{namespace}",'
                             f'deployment="orchestrator-{slot.value}"}} {t.ready}')
            return "\n".join(lines) + "\n"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        exporter = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                parts = self.path.strip("/").split("/")
                body: str | None = None
                if parts == ["ksm"]:
                    body = exporter.render_ksm()
                elif len(parts) == 4 and parts[0] == "metrics":
                    body = exporter.render_pod(parts[1], Slot(parts[2]), int(parts[3]))
                data = (body or "unavailable\n").encode()
                self.send_response(200 if body is not None else 503)
                self.send_header("Content-Type", "text/plain; version=0.0.4")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                with contextlib.suppress(OSError):  # Prometheus stopped mid-scrape at teardown
                    self.wfile.write(data)

            def log_message(self, format: str, *args: object) -> None:
                return

        return Handler

    def scrape_config(self) -> str:
        """Prometheus scrape jobs: one target per pod, labelled like the app's ServiceMonitor does."""
        lines = ["scrape_configs:", "  - job_name: ksm", "    honor_labels: true", "    metrics_path: /ksm",
                 f"    static_configs: [{{targets: ['{self.address}']}}]", "  - job_name: app",
                 "    honor_labels: true", "    static_configs:"]
        for namespace, slot in self.slots:
            for index in range(PODS):
                lines.append(
                    f"      - targets: ['{self.address}']\n        labels: {{namespace: {namespace}, slot: {slot.value}, "
                    f"pod: {slot.value}-{index}, __metrics_path__: /metrics/{namespace}/{slot.value}/{index}}}"
                )
        return "\n".join(lines) + "\n"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def query(url: str, expr: str) -> list[float]:
    with urllib.request.urlopen(f"{url}/api/v1/query?" + urllib.parse.urlencode({"query": expr}), timeout=5) as response:
        body = json.loads(response.read())
    return [float(sample["value"][1]) for sample in body["data"]["result"]]


@dataclass
class PrometheusHarness:
    url: str
    exporter: Exporter


@contextlib.contextmanager
def running_prometheus(workdir: Path) -> Iterator[PrometheusHarness]:
    """A Prometheus on a free loopback port scraping a fresh exporter, stopped on exit."""
    binary = shutil.which("prometheus")
    if binary is None:
        pytest.fail("the `prometheus` binary is missing: install the Debian package (apt-get install prometheus)")
    exporter = Exporter()
    exporter.thread.start()
    config = workdir / "prometheus.yml"
    config.write_text(
        f"global:\n  scrape_interval: {SCRAPE_SECONDS}s\n  evaluation_interval: {SCRAPE_SECONDS}s\n"
        + exporter.scrape_config(),
        encoding="utf-8",
    )
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = (workdir / "prometheus.log").open("w")
    process = subprocess.Popen(
        [binary, f"--config.file={config}", f"--storage.tsdb.path={workdir / 'data'}",
         f"--web.listen-address=127.0.0.1:{port}", "--log.level=warn"],
        stdout=log, stderr=subprocess.STDOUT,
    )
    try:
        _wait_until(lambda: _ready(url), 30, process, workdir)
        # Every test namespace needs a few samples before a rate over them means anything.
        _wait_until(
            lambda: len(query(url, f"count_over_time(http_requests_total[{4 * SCRAPE_SECONDS}s]) >= 3"))
            == 4 * PODS * len(Slot) * len(NAMESPACES),
            30, process, workdir,
        )
        yield PrometheusHarness(url=url, exporter=exporter)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
        exporter.server.shutdown()
        exporter.server.server_close()


def _ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/-/ready", timeout=2) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def _wait_until(check: Callable[[], bool], seconds: float, process: subprocess.Popen[bytes], workdir: Path) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"prometheus exited with {process.returncode}: {(workdir / 'prometheus.log').read_text()[-2000:]}")
        try:
            if check():
                return
        except OSError:
            pass
        time.sleep(0.25)
    pytest.fail(f"prometheus was not ready within {seconds}s: {(workdir / 'prometheus.log').read_text()[-2000:]}")


# --- stack operations fake ----------------------------------------------------------------------


class FakeStackOperations:
    """Records every `apply` (the config sequence) and validates it like the program would."""

    def __init__(self, config: StackConfig, stack: str = "production",
                 on_apply: Callable[[StackConfig], None] | None = None,
                 fail: Callable[[Mapping[str, str]], BaseException | None] | None = None) -> None:
        self.config = config
        self.deployed: dict[str, str] | None = {
            "app.activeSlot": config.app.active_slot.value, "app.canaryWeight": str(config.app.canary_weight)}
        self._stack = stack
        self.applied: list[dict[str, str]] = []
        self.on_apply = on_apply
        self.fail = fail

    @property
    def stack(self) -> str:
        return self._stack

    def read_config(self) -> StackConfig:
        return self.config

    def read_deployed(self) -> Mapping[str, str] | None:
        return self.deployed

    def apply(self, settings: Mapping[str, str], *, message: str) -> None:
        self.applied.append(dict(settings))
        error = self.fail(settings) if self.fail else None
        self.config = with_settings(self.config, settings, self._stack)
        if error is not None:
            raise error
        self.deployed = {"app.activeSlot": self.config.app.active_slot.value,
                         "app.canaryWeight": str(self.config.app.canary_weight)}
        if self.on_apply:
            self.on_apply(self.config)


TOTAL_RPS = 200.0


def route_traffic(exporter: Exporter, namespace: str) -> Callable[[StackConfig], None]:
    """What HAProxy does with the config: the active slot gets 100 - canaryWeight %, the other the rest."""

    def apply(config: StackConfig) -> None:
        for slot in Slot:
            exporter.update(namespace, slot, rps=TOTAL_RPS * config.app.slot_weight(slot) / 100)

    return apply
