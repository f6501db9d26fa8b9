"""The generated haproxy.cfg, proven on a real HAProxy (Debian's `haproxy`) on loopback.

Each test renders the config for the `local` stack (plus the overrides it is about), substitutes
only listen addresses, slot server addresses, the certificate and errorfile paths (fields of
`HaproxySettings`), starts HAProxy and talks to it. Nothing here fakes a header to look internal:
the internal CIDR is 127.0.0.2/32 and requests come from 127.0.0.1 or 127.0.0.2 for real.
"""

from __future__ import annotations

import base64
import dataclasses
import math
import socket
import ssl
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from components.config import Slot, TlsVersion
from components.edge import FrontDoor, haproxy
from components.edge.contract import EdgeExposure
from components.platforms import implementation
from offline.runner.stacks import ROOT, available_stacks
from tests.edge.live import (
    ADMIN_PASSWORD,
    FRONT_DOOR_SOURCE,
    INTERNAL_SOURCE,
    LOCALHOST,
    OTHER_CLIENT,
    LiveHaproxy,
    LocalCertificate,
    SlotBackend,
    local_settings,
    make_certificate,
    require_tool,
    stack_config,
)

pytestmark = pytest.mark.slow

BASE: dict[str, Any] = {
    # File descriptors: a developer machine's ulimit is far below a container's.
    "edge.maxConnections": 2000,
    "edge.internalCidrs": ["127.0.0.2/32"],
    "edge.healthCheck": {"intervalSeconds": 1, "fall": 2, "rise": 1},
    "app.slots.green": "2.16.0",
}
RELAXED = {"edge.rateLimit": {"requests": 1_000_000, "windowSeconds": 10}}


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> LocalCertificate:
    return make_certificate(tmp_path_factory.mktemp("tls"))


class Edge:
    """A started HAProxy plus the slot backends behind it."""

    def __init__(self, proxy: LiveHaproxy, backends: dict[Slot, SlotBackend]) -> None:
        self.proxy = proxy
        self.backends = backends


@pytest.fixture
def start_edge(tmp_path: Path, certificate: LocalCertificate) -> Iterator[Callable[..., Edge]]:
    started: list[Edge] = []

    def start(overrides: dict[str, Any] | None = None, exposure: EdgeExposure | None = None) -> Edge:
        config = stack_config("local", {**BASE, **(overrides or {})})
        backends = {slot: SlotBackend(slot, config.app.probes.readiness_path) for slot in Slot}
        workdir = tmp_path / f"edge-{len(started)}"
        workdir.mkdir()
        proxy = LiveHaproxy(local_settings(config, backends, exposure), workdir, certificate)
        edge = Edge(proxy, backends)
        started.append(edge)
        proxy.start()
        proxy.wait_for_states({"blue": "UP", "green": "UP"})
        return edge

    yield start
    for edge in started:
        edge.proxy.stop()
        for backend in edge.backends.values():
            backend.stop()


# --- haproxy -c -----------------------------------------------------------------------------------


@pytest.mark.parametrize("stack", available_stacks(ROOT))
def test_haproxy_accepts_the_config_rendered_for_each_stack(stack: str, tmp_path: Path, certificate: LocalCertificate) -> None:
    """The cluster config as rendered (Service DNS names, kube-dns resolvers), only file paths local."""
    config = stack_config(stack, {})
    exposure_of = implementation(FrontDoor, config.platform).exposure
    settings = haproxy.settings_from_config(
        config, exposure_of(config), namespace=config.app.namespace,
        services={slot: f"orchestrator-{slot.value}" for slot in Slot}, port=80,
    )
    proxy = LiveHaproxy(settings, tmp_path, certificate)
    # The local rewrite touched only listen addresses and file paths, never the servers.
    assert proxy.settings.servers == settings.servers
    checked = proxy.check()
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "Configuration file is valid" in checked.stdout + checked.stderr


def test_the_local_config_has_no_warnings(tmp_path: Path, certificate: LocalCertificate) -> None:
    config = stack_config("local", BASE)
    backends = {slot: SlotBackend(slot, config.app.probes.readiness_path) for slot in Slot}
    try:
        proxy = LiveHaproxy(local_settings(config, backends), tmp_path, certificate)
        args = [require_tool("haproxy"), "-c", "-dW"] + [a for f in proxy.files for a in ("-f", f)]
        import subprocess

        checked = subprocess.run(args, check=False, capture_output=True, text=True, timeout=30, env=proxy.environment)
        assert checked.returncode == 0, checked.stdout + checked.stderr
    finally:
        for backend in backends.values():
            backend.stop()


# --- headers, TLS, redirect -----------------------------------------------------------------------


def assert_security_headers(headers: dict[str, str], proxy: LiveHaproxy) -> None:
    for name, value in haproxy.security_headers(proxy.settings):
        assert headers.get(name.lower()) == value, f"{name} missing or wrong in {headers}"
    assert "server" not in headers
    assert "x-powered-by" not in headers


def test_security_headers_on_every_response_and_no_server_header(start_edge: Callable[..., Edge]) -> None:
    proxy = start_edge(RELAXED).proxy
    ok = proxy.request("/")
    assert ok.status == 200
    assert ok.json()["proto"] == "https"
    assert_security_headers(ok.headers, proxy)
    assert ok.headers["strict-transport-security"].startswith("max-age=63072000")
    assert "frame-ancestors 'none'" in ok.headers["content-security-policy"]
    # HAProxy's own answers carry them too: a deny and the plaintext redirect.
    assert_security_headers(proxy.request("/admin").headers, proxy)
    assert_security_headers(proxy.request("/", https=False).headers, proxy)


def _handshake(port: int, context: ssl.SSLContext) -> str:
    with socket.create_connection((LOCALHOST, port), timeout=5) as raw, context.wrap_socket(
        raw, server_hostname="localhost"
    ) as tls_socket:
        return str(tls_socket.version())


def _tls11_capable_server(certificate: LocalCertificate) -> tuple[int, threading.Thread, socket.socket]:
    """A control server that accepts TLS 1.1, proving the client below really offers it."""
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.minimum_version = ssl.TLSVersion.TLSv1_1
    server.set_ciphers("DEFAULT:@SECLEVEL=0")
    server.load_cert_chain(str(certificate.cert), str(certificate.key))
    listener = socket.socket()
    listener.bind((LOCALHOST, 0))
    listener.listen(1)
    listener.settimeout(5)

    def serve() -> None:
        try:
            connection, _ = listener.accept()
            with server.wrap_socket(connection, server_side=True) as tls_socket:
                tls_socket.recv(1)
        except OSError:
            return

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return int(listener.getsockname()[1]), thread, listener


def test_tls_1_1_refused_1_2_and_1_3_accepted(start_edge: Callable[..., Edge], certificate: LocalCertificate) -> None:
    proxy = start_edge(RELAXED).proxy
    tls11 = proxy.tls_context(version=ssl.TLSVersion.TLSv1_1)
    port, thread, listener = _tls11_capable_server(certificate)
    try:
        assert _handshake(port, tls11) == "TLSv1.1"
    finally:
        thread.join(timeout=5)
        listener.close()
    with pytest.raises(ssl.SSLError):
        _handshake(proxy.https_port, tls11)
    assert _handshake(proxy.https_port, proxy.tls_context(version=ssl.TLSVersion.TLSv1_2)) == "TLSv1.2"
    assert _handshake(proxy.https_port, proxy.tls_context(version=ssl.TLSVersion.TLSv1_3)) == "TLSv1.3"


def test_alpn_offers_h2(start_edge: Callable[..., Edge]) -> None:
    proxy = start_edge(RELAXED).proxy
    context = proxy.tls_context()
    context.set_alpn_protocols(["h2", "http/1.1"])
    with socket.create_connection((LOCALHOST, proxy.https_port), timeout=5) as raw, context.wrap_socket(
        raw, server_hostname="localhost"
    ) as tls_socket:
        assert tls_socket.selected_alpn_protocol() == "h2"


def test_tls_1_3_only_when_configured(start_edge: Callable[..., Edge]) -> None:
    proxy = start_edge({**RELAXED, "edge.tls": {"minVersion": TlsVersion.TLS13.value}}).proxy
    with pytest.raises(ssl.SSLError):
        _handshake(proxy.https_port, proxy.tls_context(version=ssl.TLSVersion.TLSv1_2))
    assert _handshake(proxy.https_port, proxy.tls_context(version=ssl.TLSVersion.TLSv1_3)) == "TLSv1.3"


def test_http_redirects_to_https(start_edge: Callable[..., Edge]) -> None:
    proxy = start_edge(RELAXED).proxy
    answer = proxy.request("/orders?id=7", https=False)
    assert answer.status == 301
    assert answer.headers["location"] == f"https://{LOCALHOST}:{proxy.http_port}/orders?id=7"
    assert b"slot" not in answer.body  # never forwarded to a backend


# --- rate limit, internal paths, admin ------------------------------------------------------------


def test_the_request_after_the_limit_gets_429(start_edge: Callable[..., Edge]) -> None:
    proxy = start_edge({"edge.rateLimit": {"requests": 5, "windowSeconds": 30}}).proxy
    connection = proxy.connection()
    try:
        statuses = [proxy.request(f"/item/{i}", conn=connection).status for i in range(5)]
    finally:
        connection.close()
    assert statuses == [200] * 5
    limited = proxy.request("/item/6")
    assert limited.status == 429
    assert limited.headers["retry-after"] == "30"
    assert limited.body == proxy.errorfiles["429.http"].split("\r\n\r\n", 1)[1].encode()
    assert_security_headers(limited.headers, proxy)
    # Per client: another address still has its whole budget.
    assert proxy.request("/item/1", source=OTHER_CLIENT).status == 200


PROTECTED = ["/health", "/healthz", "/ready", "/metrics", "/admin", "/admin/users", "//admin", "/ADMIN", "/%61dmin", "/Health/"]


def test_health_metrics_admin_are_403_from_a_public_address(start_edge: Callable[..., Edge]) -> None:
    proxy = start_edge(RELAXED).proxy
    statuses = {path: proxy.request(path).status for path in PROTECTED}
    assert statuses == dict.fromkeys(PROTECTED, 403)
    # Dot segments never reach a backend that might resolve them to a protected path.
    assert {p: proxy.request(p).status for p in ("/x/../admin", "/./health", "/%2e%2e/admin")} == dict.fromkeys(
        ("/x/../admin", "/./health", "/%2e%2e/admin"), 400
    )
    assert proxy.request("/healthy-food").status == 403  # prefix match, on purpose
    assert proxy.request("/api/health").status == 200  # only the leading segment is protected


def test_health_and_admin_pass_from_an_internal_address(start_edge: Callable[..., Edge]) -> None:
    proxy = start_edge(RELAXED).proxy
    health = proxy.request("/health", source=INTERNAL_SOURCE)
    assert health.status == 200
    assert health.json()["path"] == "/health"
    assert proxy.request("/metrics", source=INTERNAL_SOURCE).status == 200
    # Admin: internal source AND the credential.
    assert proxy.request("/admin", source=INTERNAL_SOURCE).status == 401
    wrong = base64.b64encode(b"admin:wrong").decode()
    assert proxy.request("/admin", source=INTERNAL_SOURCE, headers={"Authorization": f"Basic {wrong}"}).status == 401
    good = base64.b64encode(f"admin:{ADMIN_PASSWORD}".encode()).decode()
    admin = proxy.request("/admin", source=INTERNAL_SOURCE, headers={"Authorization": f"Basic {good}"})
    assert admin.status == 200
    assert admin.json()["authorization"] is False  # the edge credential is not forwarded
    # The right credential from a public address is still refused.
    assert proxy.request("/admin", headers={"Authorization": f"Basic {good}"}).status == 403


def test_admin_hash_is_read_from_the_environment(start_edge: Callable[..., Edge]) -> None:
    """The userlist in haproxy.cfg names `"${HAPROXY_ADMIN_PASSWORD_HASH}"`: HAProxy expands it when it parses the
    file (a bcrypt hash's `$` signs are taken literally), so the credential is whatever the Secret's hash says."""
    import crypt  # deprecated in 3.11, but it is the libc crypt HAProxy itself calls

    edge = start_edge(RELAXED)
    proxy = edge.proxy
    assert f'password "${{{haproxy.ADMIN_HASH_ENV}}}"' in proxy.config_path.read_text()
    proxy.stop()
    proxy.environment[haproxy.ADMIN_HASH_ENV] = crypt.crypt("rotated-password", "$2a$05$" + "zyxwvutsrqponmlkjihgfe")
    proxy.start()
    proxy.wait_for_states({"blue": "UP", "green": "UP"})
    old = base64.b64encode(f"admin:{ADMIN_PASSWORD}".encode()).decode()
    new = base64.b64encode(b"admin:rotated-password").decode()
    assert proxy.request("/admin", source=INTERNAL_SOURCE, headers={"Authorization": f"Basic {old}"}).status == 401
    assert proxy.request("/admin", source=INTERNAL_SOURCE, headers={"Authorization": f"Basic {new}"}).status == 200


def test_admin_without_auth_when_disabled(start_edge: Callable[..., Edge]) -> None:
    proxy = start_edge({**RELAXED, "edge.adminAuth": False}).proxy
    assert "userlist" not in proxy.config_path.read_text()
    assert haproxy.ADMIN_HASH_ENV not in proxy.environment
    assert proxy.request("/admin", source=INTERNAL_SOURCE).status == 200
    assert proxy.request("/admin").status == 403


def test_forwarded_for_is_believed_only_from_the_front_door(start_edge: Callable[..., Edge]) -> None:
    exposure = EdgeExposure(service_type="ClusterIP", internal=True, trusted_proxy_cidrs=["127.0.0.4/32"])
    proxy = start_edge({"edge.rateLimit": {"requests": 3, "windowSeconds": 30}}, exposure).proxy
    via_front_door = {"X-Forwarded-For": f"203.0.113.9, {INTERNAL_SOURCE}"}
    assert proxy.request("/health", source=FRONT_DOOR_SOURCE, headers=via_front_door).status == 200
    # The same header from anyone else is ignored (and dropped before the backend).
    assert proxy.request("/health", headers={"X-Forwarded-For": INTERNAL_SOURCE}).status == 403
    echoed = proxy.request("/", headers={"X-Forwarded-For": INTERNAL_SOURCE}).json()
    assert echoed["xff"] == LOCALHOST
    # The rate limit keys on the forwarded client, not on the front door's address.
    client_a = {"X-Forwarded-For": "198.51.100.1"}
    statuses = [proxy.request("/", source=FRONT_DOOR_SOURCE, headers=client_a).status for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    assert proxy.request("/", source=FRONT_DOOR_SOURCE, headers={"X-Forwarded-For": "198.51.100.2"}).status == 200


def test_internal_ports_serve_the_exporter_and_health_apart(start_edge: Callable[..., Edge]) -> None:
    proxy = start_edge(RELAXED).proxy
    assert 'haproxy_server_status{proxy="app",server="blue",state="UP"} 1' in proxy.metrics()
    import http.client

    def status(port: int, path: str) -> int:
        connection = http.client.HTTPConnection(LOCALHOST, port, timeout=5)
        try:
            connection.request("GET", path)
            return connection.getresponse().status
        finally:
            connection.close()

    assert status(proxy.health_port, haproxy.HEALTH_URI) == 200
    # Front doors may reach the health port: it tells nothing else.
    assert status(proxy.health_port, haproxy.METRICS_URI) == 404
    assert status(proxy.metrics_port, haproxy.HEALTH_URI) == 404


# --- blue/green weights and failover --------------------------------------------------------------


def _slots_of(proxy: LiveHaproxy, count: int) -> Counter[str]:
    seen: Counter[str] = Counter()
    connection = proxy.connection()
    try:
        for i in range(count):
            answer = proxy.request(f"/r/{i}", conn=connection)
            seen[answer.json()["slot"] if answer.status == 200 else str(answer.status)] += 1
    finally:
        connection.close()
    return seen


@pytest.mark.parametrize("canary", [0, 25])
def test_canary_weight_sends_that_share_to_the_inactive_slot(start_edge: Callable[..., Edge], canary: int) -> None:
    proxy = start_edge({**RELAXED, "app.canaryWeight": canary}).proxy
    total = 2000
    seen = _slots_of(proxy, total)
    assert sum(seen.values()) == total
    assert set(seen) <= {"blue", "green"}, seen
    if canary == 0:
        assert seen["green"] == 0
        return
    # Binomial tolerance: four standard deviations around n*p.
    p = canary / 100
    tolerance = 4 * math.sqrt(total * p * (1 - p))
    assert abs(seen["green"] - total * p) <= tolerance, seen


def test_active_slot_green_carries_the_main_weight(start_edge: Callable[..., Edge]) -> None:
    proxy = start_edge({**RELAXED, "app.activeSlot": "green", "app.canaryWeight": 10}).proxy
    seen = _slots_of(proxy, 400)
    assert abs(seen["blue"] - 40) <= 4 * math.sqrt(400 * 0.1 * 0.9), seen


def test_stopping_the_active_slot_fails_over_by_health_check(start_edge: Callable[..., Edge]) -> None:
    edge = start_edge({**RELAXED, "app.canaryWeight": 25})
    proxy = edge.proxy
    edge.backends[Slot.BLUE].stop()
    # Until the checks notice, a refused connection is retried on the other slot: no failures.
    early = _slots_of(proxy, 50)
    assert early == Counter({"green": 50}), early
    proxy.wait_for_states({"blue": "DOWN", "green": "UP"})
    assert _slots_of(proxy, 200) == Counter({"green": 200})

    # With no slot left, the answer is the custom page: nothing about the backend.
    edge.backends[Slot.GREEN].stop()
    proxy.wait_for_states({"blue": "DOWN", "green": "DOWN"})
    down = proxy.request("/")
    assert down.status == 503
    assert down.body == proxy.errorfiles["503.http"].split("\r\n\r\n", 1)[1].encode()
    for leak in (b"haproxy", b"127.0.0.1", b"blue", b"green", b"orchestrator"):
        assert leak not in down.body.lower()
    assert_security_headers(down.headers, proxy)


def test_a_slot_failing_readiness_is_taken_out(start_edge: Callable[..., Edge]) -> None:
    """The check is HTTP on the readiness path, not a TCP connect: an unready slot is drained."""
    edge = start_edge({**RELAXED, "app.canaryWeight": 50})
    edge.backends[Slot.BLUE].ready = False
    edge.proxy.wait_for_states({"blue": "DOWN", "green": "UP"})
    assert _slots_of(edge.proxy, 100) == Counter({"green": 100})
    edge.backends[Slot.BLUE].ready = True
    edge.proxy.wait_for_states({"blue": "UP"})
    assert 30 <= _slots_of(edge.proxy, 100)["blue"] <= 70


def test_substitution_changes_only_local_fields(tmp_path: Path, certificate: LocalCertificate) -> None:
    config = stack_config("local", BASE)
    backends = {slot: SlotBackend(slot, config.app.probes.readiness_path) for slot in Slot}
    try:
        settings = local_settings(config, backends)
        proxy = LiveHaproxy(settings, tmp_path, certificate)
        local_only = {"http_bind", "https_bind", "metrics_bind", "health_bind", "certificate_file", "errors_dir"}
        for field in dataclasses.fields(settings):
            if field.name not in local_only:
                assert getattr(proxy.settings, field.name) == getattr(settings, field.name), field.name
    finally:
        for backend in backends.values():
            backend.stop()


def test_the_front_doors_own_probe_gets_haproxys_answer_over_tls(start_edge: Callable[..., Edge]) -> None:
    """A front door that can only probe the TLS listener (Azure's gateway) is answered by HAProxy itself,
    as the health port answers the ALB: a front door judges HAProxy, not the app behind it."""
    exposure = EdgeExposure(service_type="ClusterIP", internal=True, trusted_proxy_cidrs=["127.0.0.4/32"])
    edge = start_edge(RELAXED, exposure)
    proxy = edge.proxy
    probe = proxy.request(haproxy.HEALTH_URI, source=FRONT_DOOR_SOURCE)
    assert (probe.status, probe.body) == (200, b"ok")
    # Answered even with every slot down: it is HAProxy's health, not the app's.
    for backend in edge.backends.values():
        backend.stop()
    assert proxy.request(haproxy.HEALTH_URI, source=FRONT_DOOR_SOURCE).status == 200
    # A client relayed by the front door, or anyone else, meets the protected-path rule.
    relayed = {"X-Forwarded-For": "203.0.113.9"}
    assert proxy.request(haproxy.HEALTH_URI, source=FRONT_DOOR_SOURCE, headers=relayed).status == 403
    assert proxy.request(haproxy.HEALTH_URI).status == 403


def test_without_a_front_door_the_listener_answers_no_health(start_edge: Callable[..., Edge]) -> None:
    proxy = start_edge(RELAXED).proxy
    assert "string \"ok\"" not in proxy.config_path.read_text()
    assert proxy.request(haproxy.HEALTH_URI, source=FRONT_DOOR_SOURCE).status == 403
