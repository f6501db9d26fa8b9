"""A Prometheus that misbehaves on the wire: every answer that is not its API fails the gate and rolls back."""

from __future__ import annotations

import io
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from components.config import Slot
from offline.runner.stacks import ROOT
from ops.health import PrometheusClient, PrometheusUnavailableError
from ops.rollout import EXIT_ROLLED_BACK, Rollout, plan_rollout, prometheus_gate
from tests.helpers import stack_config
from tests.ops.harness import FakeStackOperations

ROLLBACK = {"app.activeSlot": "blue", "app.canaryWeight": "0"}


def _http(body: bytes, status: str = "200 OK", length: int | None = None) -> bytes:
    size = len(body) if length is None else length
    return (f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {size}\r\n"
            "Connection: close\r\n\r\n").encode() + body


def _vector(value: str) -> bytes:
    return json.dumps({"status": "success", "data": {"resultType": "vector", "result": [
        {"metric": {"slot": "green"}, "value": [time.time(), value]}]}}).encode()


class Misbehaving:
    """Accepts connections and answers each with `reply(connection)`."""

    def __init__(self, reply: Callable[[socket.socket], None]) -> None:
        self.reply = reply
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.closed = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.listener.getsockname()[1]}"

    def _serve(self) -> None:
        while not self.closed.is_set():
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._one, args=(connection,), daemon=True).start()

    def _one(self, connection: socket.socket) -> None:
        with connection:
            try:
                connection.recv(65536)
                self.reply(connection)
            except OSError:
                pass

    def close(self) -> None:
        self.closed.set()
        self.listener.close()


def _send(data: bytes) -> Callable[[socket.socket], None]:
    return lambda connection: connection.sendall(data)


def _trickle(connection: socket.socket) -> None:
    # A valid answer, one byte every 0.2 s: per-read timeouts never fire, the whole answer takes minutes.
    for byte in _http(_vector("0")):
        connection.sendall(bytes([byte]))
        time.sleep(0.2)


CASES: dict[str, tuple[Callable[[socket.socket], None], str]] = {
    "cut mid-response": (_send(_http(_vector("0"))[:-20]), "broke off"),
    "cut before the body": (_send(_http(b"", length=500)), "broke off"),
    "not HTTP": (_send(b"SSH-2.0-OpenSSH_9.6\r\n"), "broke off"),
    "HTML page": (_send(_http(b"<html><body>login</body></html>")), "not its JSON API"),
    "JSON null": (_send(_http(b"null")), "a JSON null instead of an API response"),
    "non-numeric sample": (_send(_http(_vector("abc"))), "a sample value that is not a number: 'abc'"),
    "numeric JSON sample": (_send(_http(json.dumps({"status": "success", "data": {"resultType": "vector", "result": [
        {"metric": {}, "value": [1, None]}]}}).encode())), "a malformed sample value"),
    "partial response": (_send(_http(json.dumps({"status": "success", "warnings": ["partial response: store down"],
                                                 "data": {"resultType": "vector", "result": []}}).encode())),
                         "warnings (the answer may be partial): partial response: store down"),
    "error status": (_send(_http(json.dumps({"status": "error", "error": "query timed out"}).encode(),
                                 status="503 Service Unavailable")), "an error: query timed out"),
    "trickling answer": (_trickle, "did not answer within 1s"),
}


@pytest.fixture
def server(request: pytest.FixtureRequest) -> Iterator[Misbehaving]:
    reply, _ = CASES[request.param]
    fake = Misbehaving(reply)
    yield fake
    fake.close()


@pytest.mark.parametrize("server", list(CASES), indirect=True)
def test_the_client_turns_every_bad_answer_into_one_error(server: Misbehaving, request: pytest.FixtureRequest) -> None:
    _, message = CASES[request.node.callspec.params["server"]]
    trickling = request.node.callspec.params["server"] == "trickling answer"
    client = PrometheusClient(server.url, timeout=1 if trickling else 10)
    began = time.monotonic()
    with pytest.raises(PrometheusUnavailableError) as caught:
        client.query("up")
    assert message in str(caught.value)
    if trickling:
        # The deadline covers the whole answer (about 40 bytes a second would take minutes), not each read.
        assert time.monotonic() - began < 3


@pytest.mark.parametrize("server", ["cut mid-response", "not HTTP", "JSON null", "non-numeric sample",
                                    "trickling answer"], indirect=True)
def test_a_misbehaving_prometheus_rolls_the_canary_back(server: Misbehaving) -> None:
    # Issue class 1: never an unexpected exception with the stack left at 10 %.
    config = stack_config("rollout.bakeSeconds=2", "rollout.windowSeconds=5", "rollout.queryTimeoutSeconds=1",
                          f"rollout.prometheusUrl={server.url}")
    ops = FakeStackOperations(config)
    out = io.StringIO()
    result = Rollout(ops, prometheus_gate(config, Slot.GREEN), plan_rollout(config, "production", Slot.GREEN),
                     out=out, err=out).run()
    assert ops.applied == [{"app.canaryWeight": "10"}, ROLLBACK]
    assert result.exit_code == EXIT_ROLLED_BACK and result.state == ROLLBACK
    assert f"step 1/5: gate FAILED: Prometheus at {server.url}" in out.getvalue()


@pytest.mark.parametrize(("value", "reason"), [
    ("-Inf", "impossible p95 for slot green: -inf"),
    ("+Inf", "impossible p95 for slot green: inf"),
    ("-0.5", "impossible p95 for slot green: -0.5"),
])
def test_impossible_values_fail(value: str, reason: str) -> None:
    answers = {"histogram_quantile": value}

    def reply(connection: socket.socket) -> None:
        connection.sendall(_http(_vector(answers["histogram_quantile"])))

    fake = Misbehaving(reply)
    try:
        config = stack_config(f"rollout.prometheusUrl={fake.url}", "rollout.queryTimeoutSeconds=1")
        from ops.health import Window

        reading = prometheus_gate(config, Slot.GREEN).check(
            Window(slot=Slot.GREEN, weight=10, seconds=60, since_update=60, bake_seconds=60, final=True))
    finally:
        fake.close()
    assert not reading.ok
    assert reason in reading.failures


def test_the_canary_alert_firing_for_the_slot_stops_the_rollout() -> None:
    # Issue class 9: monitoring/rules/rollout.yaml's canary alert is acted on, for the canary slot only.
    def reply(connection: socket.socket) -> None:
        connection.sendall(_http(json.dumps({"status": "success", "data": {"resultType": "vector", "result": [
            {"metric": {"alertname": "OrchestratorCanarySlotErrorRateHigh", "alertstate": "firing", "slot": "green"},
             "value": [time.time(), "1"]}]}}).encode()))

    fake = Misbehaving(reply)
    try:
        config = stack_config(f"rollout.prometheusUrl={fake.url}", "rollout.queryTimeoutSeconds=1")
        gate = prometheus_gate(config, Slot.GREEN)
        from ops.health import Window

        reading = gate.check(Window(slot=Slot.GREEN, weight=25, seconds=5, since_update=5, bake_seconds=60,
                                    final=False))
    finally:
        fake.close()
    assert "alert OrchestratorCanarySlotErrorRateHigh is firing for slot green" in reading.failures
    assert gate.queries_run[0] == ('ALERTS{alertname=~"OrchestratorCanarySlotErrorRateHigh|'
                                   'OrchestratorCanarySlotLatencyHigh",alertstate="firing",slot="green"}')


def test_the_alert_names_are_the_ones_monitoring_defines() -> None:
    import yaml

    from ops.health import CANARY_ALERTS

    rules = yaml.safe_load((ROOT / "monitoring" / "rules" / "rollout.yaml").read_text())
    names = {rule["alert"] for group in rules["groups"] for rule in group["rules"]}
    assert set(CANARY_ALERTS) == names
