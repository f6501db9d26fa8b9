"""The edge starts W3C trace context: proven on a real HAProxy (Debian's 2.6) on loopback.

Every request forwarded to a slot carries one well-formed `traceparent` the edge made, whatever
an Internet client sent; a caller's context survives only from an internal address; the access log
line names the trace id the backend received; the sampled flag follows the stack's sampling.
"""

from __future__ import annotations

import json
import math
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from components.config import Slot
from components.edge import haproxy
from components.edge.contract import EdgeExposure
from tests.edge.live import (
    INTERNAL_SOURCE,
    OTHER_CLIENT,
    LiveHaproxy,
    LocalCertificate,
    SlotBackend,
    local_settings,
    make_certificate,
    stack_config,
)

pytestmark = pytest.mark.slow

TRACEPARENT = re.compile(r"^00-(?P<trace>[0-9a-f]{32})-(?P<parent>[0-9a-f]{16})-(?P<flags>[0-9a-f]{2})$")
BASE: dict[str, Any] = {
    "edge.maxConnections": 2000,
    "edge.internalCidrs": ["127.0.0.2/32"],
    "edge.healthCheck": {"intervalSeconds": 1, "fall": 2, "rise": 1},
    "edge.rateLimit": {"requests": 1_000_000, "windowSeconds": 10},
    "app.slots.green": "2.16.0",
}
CLIENT_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
CLIENT_PARENT = "00f067aa0ba902b7"
CLIENT_CONTEXT = {
    "traceparent": f"00-{CLIENT_TRACE}-{CLIENT_PARENT}-01",
    "tracestate": "vendor=forced",
    "baggage": "user.role=admin",
}


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> LocalCertificate:
    return make_certificate(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def start_edge(tmp_path: Path, certificate: LocalCertificate) -> Iterator[Callable[..., LiveHaproxy]]:
    started: list[tuple[LiveHaproxy, dict[Slot, SlotBackend]]] = []

    def start(overrides: dict[str, Any] | None = None) -> LiveHaproxy:
        config = stack_config("local", {**BASE, **(overrides or {})})
        backends = {slot: SlotBackend(slot, config.app.probes.readiness_path, echo_trace=True) for slot in Slot}
        workdir = tmp_path / f"edge-{len(started)}"
        workdir.mkdir()
        proxy = LiveHaproxy(local_settings(config, backends), workdir, certificate)
        started.append((proxy, backends))
        proxy.start()
        proxy.wait_for_states({"blue": "UP", "green": "UP"})
        return proxy

    yield start
    for proxy, backends in started:
        proxy.stop()
        for backend in backends.values():
            backend.stop()


def forwarded(proxy: LiveHaproxy, path: str, *, source: str = OTHER_CLIENT, headers: dict[str, str] | None = None,
              ) -> dict[str, Any]:
    answer = proxy.request(path, source=source, headers=headers)
    assert answer.status == 200, answer
    echoed: dict[str, Any] = answer.json()
    return echoed


def edge_context(echoed: dict[str, Any]) -> re.Match[str]:
    """The one traceparent the backend got, checked against the W3C version-00 grammar."""
    values = echoed["traceparent"]
    assert len(values) == 1, values
    match = TRACEPARENT.match(values[0])
    assert match, values[0]
    assert match["trace"] != "0" * 32 and match["parent"] != "0" * 16
    return match


def log_line(proxy: LiveHaproxy, path: str, timeout: float = 5) -> str:
    """The access log line of the (unique) request for `path`; HAProxy logs after the response."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        lines = [line for line in proxy.log_path.read_text().splitlines() if f'"GET {path} HTTP/1.1"' in line]
        if lines:
            assert len(lines) == 1, lines
            return lines[0]
        time.sleep(0.05)
    raise AssertionError(f"no access log line for {path}:\n{proxy.log_path.read_text()}")


def test_every_forwarded_request_gets_a_fresh_well_formed_traceparent(start_edge: Callable[..., LiveHaproxy]) -> None:
    proxy = start_edge()
    first = edge_context(forwarded(proxy, "/one"))
    second = edge_context(forwarded(proxy, "/two"))
    assert first["trace"] != second["trace"]
    assert first["parent"] != second["parent"]
    # The local stack samples everything: the app's parent-based sampler records the trace.
    assert first["flags"] == second["flags"] == "01"
    assert f"trace_id={first['trace']}" in log_line(proxy, "/one")
    assert log_line(proxy, "/two").endswith(f"trace_id={second['trace']}")


@pytest.mark.parametrize("hostile", [
    CLIENT_CONTEXT,
    # Sampling forced off, or on through a crafted flag byte.
    {"traceparent": f"00-{CLIENT_TRACE}-{CLIENT_PARENT}-00"},
    {"traceparent": f"00-{CLIENT_TRACE}-{CLIENT_PARENT}-ff"},
    # Malformed: upper case, a future version, junk, an oversized value.
    {"traceparent": f"00-{CLIENT_TRACE.upper()}-{CLIENT_PARENT}-01"},
    {"traceparent": f"ff-{CLIENT_TRACE}-{CLIENT_PARENT}-01"},
    {"traceparent": "not a trace context"},
    {"traceparent": "00-" + "a" * 4000},
])
def test_an_internet_clients_context_is_replaced(start_edge: Callable[..., LiveHaproxy], hostile: dict[str, str]) -> None:
    proxy = start_edge()
    echoed = forwarded(proxy, "/hostile", headers=hostile)
    context = edge_context(echoed)
    assert context["trace"] != CLIENT_TRACE and context["parent"] != CLIENT_PARENT
    assert context["flags"] == "01"
    assert echoed["tracestate"] == [] and echoed["baggage"] == []
    line = log_line(proxy, "/hostile")
    assert line.endswith(f"trace_id={context['trace']}")
    assert CLIENT_TRACE not in line


def test_an_internal_callers_context_is_continued(start_edge: Callable[..., LiveHaproxy]) -> None:
    proxy = start_edge()
    echoed = forwarded(proxy, "/internal", source=INTERNAL_SOURCE, headers=CLIENT_CONTEXT)
    assert echoed["traceparent"] == [CLIENT_CONTEXT["traceparent"]]
    assert echoed["tracestate"] == [CLIENT_CONTEXT["tracestate"]]
    assert echoed["baggage"] == [CLIENT_CONTEXT["baggage"]]
    assert log_line(proxy, "/internal").endswith(f"trace_id={CLIENT_TRACE}")


@pytest.mark.parametrize("invalid", [
    f"00-{'0' * 32}-{CLIENT_PARENT}-01",
    f"00-{CLIENT_TRACE}-{'0' * 16}-01",
    f"00-{CLIENT_TRACE}-{CLIENT_PARENT}-01-extra",
    f"00-{CLIENT_TRACE}-{CLIENT_PARENT}-01,00-{CLIENT_TRACE}-{CLIENT_PARENT}-00",
])
def test_an_internal_callers_invalid_context_is_replaced(start_edge: Callable[..., LiveHaproxy], invalid: str) -> None:
    proxy = start_edge()
    echoed = forwarded(proxy, "/internal", source=INTERNAL_SOURCE,
                       headers={"traceparent": invalid, "tracestate": "vendor=x"})
    assert edge_context(echoed)["trace"] != CLIENT_TRACE
    assert echoed["tracestate"] == []


def test_two_traceparent_headers_from_an_internal_caller_are_replaced(start_edge: Callable[..., LiveHaproxy]) -> None:
    proxy = start_edge()
    connection = proxy.connection(source=INTERNAL_SOURCE)
    try:
        connection.putrequest("GET", "/twice")
        connection.putheader("traceparent", CLIENT_CONTEXT["traceparent"])
        connection.putheader("traceparent", f"00-{'1' * 32}-{CLIENT_PARENT}-01")
        connection.endheaders()
        answer = connection.getresponse()
        echoed = json.loads(answer.read())
    finally:
        connection.close()
    context = edge_context(echoed)
    assert context["trace"] not in {CLIENT_TRACE, "1" * 32}


def test_head_sampling_sets_the_flag_on_the_configured_share(start_edge: Callable[..., LiveHaproxy]) -> None:
    proxy = start_edge({"monitoring.tracing.sampling": {"mode": "head", "percentage": 25}})
    total = 400
    flags = [edge_context(forwarded(proxy, f"/s/{i}"))["flags"] for i in range(total)]
    assert set(flags) == {"00", "01"}
    tolerance = 4 * math.sqrt(total * 0.25 * 0.75)
    assert abs(flags.count("01") - total * 0.25) <= tolerance, flags.count("01")


def test_tail_sampling_and_tracing_off_set_the_flag_on_all_and_none(start_edge: Callable[..., LiveHaproxy]) -> None:
    tail = start_edge({"monitoring.tracing.sampling": {"mode": "tail", "percentage": 5}})
    assert {edge_context(forwarded(tail, f"/t/{i}"))["flags"] for i in range(20)} == {"01"}
    off = start_edge({"monitoring.tracing.enabled": False})
    assert {edge_context(forwarded(off, f"/o/{i}"))["flags"] for i in range(20)} == {"00"}


def test_the_sampling_threshold_is_exact_in_parts_per_million() -> None:
    config = stack_config("local", {**BASE, "monitoring.tracing.sampling": {"mode": "head", "percentage": 0.5}})
    settings = haproxy.settings_from_config(config, EdgeExposure(), namespace="app",
                                            services={slot: slot.value for slot in Slot}, port=80)
    assert "set-var(txn.trace_sampled) rand(1000000),div(5000),bool,not unless" in haproxy.render(settings)
