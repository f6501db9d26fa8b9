"""A real Prometheus on loopback scraping a local exporter whose per-slot traffic the tests control."""

from __future__ import annotations

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

from components.config import Slot, StackConfig, parse
from offline.stacks import load_stack
from ops.stackops import with_settings

BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.25, 0.5, 1.0, 2.5)
NAMESPACES = ("ops-happy", "ops-errors", "ops-latency", "ops-ready", "ops-cli")
"""One app namespace per test, so one test's traffic never shows in another's rate window."""
SCRAPE_SECONDS = 1


@dataclass
class SlotTraffic:
    """Simulated requests of one slot: `rps` per second, a share of 5xx, every request at `latency`."""

    rps: float = 0.0
    error_ratio: float = 0.0
    latency: float = 0.04
    ready: int = 3
    ok_total: float = 0.0
    error_total: float = 0.0
    buckets: dict[float, float] = field(default_factory=lambda: dict.fromkeys(BUCKETS, 0.0))
    latency_sum: float = 0.0

    def advance(self, seconds: float) -> None:
        requests = self.rps * seconds
        self.error_total += requests * self.error_ratio
        self.ok_total += requests * (1 - self.error_ratio)
        self.latency_sum += requests * self.latency
        for bound in BUCKETS:
            if self.latency <= bound:
                self.buckets[bound] += requests


class Exporter:
    """`/metrics` in the text format: the app's http metrics and kube-state-metrics' ready replicas."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.slots: dict[tuple[str, Slot], SlotTraffic] = {
            (namespace, slot): SlotTraffic() for namespace in NAMESPACES for slot in Slot
        }
        self.last = time.monotonic()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.server.server_address[1]}"

    def slot(self, namespace: str, slot: Slot) -> SlotTraffic:
        return self.slots[(namespace, slot)]

    def update(self, namespace: str, slot: Slot, **changes: float) -> None:
        with self.lock:
            self._advance()
            traffic = self.slots[(namespace, slot)]
            for name, value in changes.items():
                setattr(traffic, name, value)

    def _advance(self) -> None:
        now = time.monotonic()
        for traffic in self.slots.values():
            traffic.advance(now - self.last)
        self.last = now

    def render(self) -> str:
        with self.lock:
            self._advance()
            lines = [
                "# TYPE http_requests_total counter",
                "# TYPE http_request_duration_seconds histogram",
                "# TYPE kube_deployment_status_replicas_ready gauge",
            ]
            for (namespace, slot), t in self.slots.items():
                labels = f'namespace="{namespace}",slot="{slot.value}"'
                lines.append(f'http_requests_total{{{labels},code="200"}} {t.ok_total:.6f}')
                lines.append(f'http_requests_total{{{labels},code="500"}} {t.error_total:.6f}')
                for bound in BUCKETS:
                    lines.append(f'http_request_duration_seconds_bucket{{{labels},le="{bound}"}} {t.buckets[bound]:.6f}')
                total = t.ok_total + t.error_total
                lines.append(f'http_request_duration_seconds_bucket{{{labels},le="+Inf"}} {total:.6f}')
                lines.append(f"http_request_duration_seconds_sum{{{labels}}} {t.latency_sum:.6f}")
                lines.append(f"http_request_duration_seconds_count{{{labels}}} {total:.6f}")
                lines.append(
                    f'kube_deployment_status_replicas_ready{{namespace="{namespace}",'
                    f'deployment="orchestrator-{slot.value}"}} {t.ready}'
                )
            return "\n".join(lines) + "\n"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        exporter = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = exporter.render().encode() if self.path == "/metrics" else b"not found\n"
                self.send_response(200 if self.path == "/metrics" else 404)
                self.send_header("Content-Type", "text/plain; version=0.0.4")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                return

        return Handler


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


@pytest.fixture(scope="session")
def prometheus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrometheusHarness]:
    binary = shutil.which("prometheus")
    if binary is None:
        pytest.fail("the `prometheus` binary is missing: install the Debian package (apt-get install prometheus)")
    exporter = Exporter()
    exporter.thread.start()
    workdir: Path = tmp_path_factory.mktemp("prometheus")
    config = workdir / "prometheus.yml"
    config.write_text(
        f"global:\n  scrape_interval: {SCRAPE_SECONDS}s\n  evaluation_interval: {SCRAPE_SECONDS}s\n"
        "scrape_configs:\n  - job_name: app\n    honor_labels: true\n"
        f"    static_configs:\n      - targets: ['{exporter.address}']\n",
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
            == 2 * len(Slot) * len(NAMESPACES),
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
        self._stack = stack
        self.applied: list[dict[str, str]] = []
        self.on_apply = on_apply
        self.fail = fail

    @property
    def stack(self) -> str:
        return self._stack

    def read_config(self) -> StackConfig:
        return self.config

    def apply(self, settings: Mapping[str, str], *, message: str) -> None:
        self.applied.append(dict(settings))
        error = self.fail(settings) if self.fail else None
        self.config = with_settings(self.config, settings, self._stack)
        if error is not None:
            raise error
        if self.on_apply:
            self.on_apply(self.config)


def stack_config(*overrides: str, stack: str = "production") -> StackConfig:
    """A shipped stack's config with --path overrides, validated by the real model."""
    spec = load_stack(stack).with_overrides(list(overrides))
    return parse(spec.namespace(), stack)


TOTAL_RPS = 200.0


def route_traffic(exporter: Exporter, namespace: str) -> Callable[[StackConfig], None]:
    """What HAProxy does with the config: the active slot gets 100 - canaryWeight %, the other the rest."""

    def apply(config: StackConfig) -> None:
        for slot in Slot:
            exporter.update(namespace, slot, rps=TOTAL_RPS * config.app.slot_weight(slot) / 100)

    return apply
