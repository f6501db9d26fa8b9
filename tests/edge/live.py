"""A real HAProxy on loopback serving the generated config, with small slot backends behind it.

Only what must differ on this machine is substituted, through `HaproxySettings` fields: listen
addresses, server addresses (local HTTP servers that answer with their slot name), the certificate
and errorfile paths. Everything started here is stopped by the caller's fixture (bounded waits).
"""

from __future__ import annotations

import copy
import dataclasses
import http.client
import json
import os
import posixpath
import re
import shutil
import socket
import ssl
import subprocess
import threading
import time
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import yaml

from components.config import Slot, StackConfig, namespace_values, parse
from components.edge import haproxy
from components.edge.contract import EdgeExposure
from offline.runner.stacks import ROOT

LOCALHOST = "127.0.0.1"
INTERNAL_SOURCE = "127.0.0.2"
"""The only source the live configs treat as internal (`edge.internalCidrs: [127.0.0.2/32]`)."""
FRONT_DOOR_SOURCE = "127.0.0.4"
OTHER_CLIENT = "127.0.0.3"
ADMIN_PASSWORD = "correct-horse-battery-staple"
TRACE_HEADERS = ("traceparent", "tracestate", "baggage")
"""W3C trace-context and baggage headers the slot backends echo back (as lists)."""


def require_tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        # CI installs it (.ci/run); a missing tool is a failure, never a skip.
        raise AssertionError(f"{name} is not installed: apt-get install -y {name}")
    return path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((LOCALHOST, 0))
        return int(probe.getsockname()[1])


def stack_config(stack: str, overrides: Mapping[str, Any]) -> StackConfig:
    """A shipped stack's config with dotted-path overrides (camelCase keys, as in the YAML)."""
    values = namespace_values(yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text())["config"])
    values = copy.deepcopy(values)
    for path, value in overrides.items():
        node = values
        parts = path.split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return parse(values, stack)


# --- the slot backends -------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    """A page the application itself serves (an admin page, a health answer, a leaked file)."""

    body: bytes
    status: int = 200
    content_type: str = "text/plain"


def app_route_key(raw_path: str) -> str:
    """How a lenient application router resolves a path: decoded, `;params`, dot segments, repeated and
    trailing slashes removed, case folded. The worst case for an edge that matches prefixes."""
    path = urllib.parse.unquote(raw_path.split("?", 1)[0]).split(";", 1)[0]
    return posixpath.normpath("/" + path.lstrip("/")).lower()


class SlotBackend:
    """An HTTP server standing in for one slot Service: answers every path with its slot name, except
    the `routes` (keyed by `app_route_key`) an application would serve with their own page."""

    def __init__(
        self, slot: Slot, readiness_path: str, routes: Mapping[str, Route] | None = None, *, echo_trace: bool = False,
    ) -> None:
        """`echo_trace` adds the trace-context headers received to the answer; off by default, since
        they differ per request and answers that stay equal are what the audit tests compare."""
        self.slot = slot
        self.echo_trace = echo_trace
        self.readiness_path = readiness_path
        self.ready = True
        self.routes = dict(routes or {})

        backend = self

        class Handler(BaseHTTPRequestHandler):
            # HTTP/1.0: no keep-alive, so stopping the listener stops the backend for good.
            protocol_version = "HTTP/1.0"

            def _answer(self) -> None:
                if self.path == backend.readiness_path and not backend.ready:
                    self.send_response(503)
                    self.end_headers()
                    return
                route = backend.routes.get(app_route_key(self.path))
                if route is not None:
                    self.send_response(route.status)
                    self.send_header("Content-Type", route.content_type)
                    self.send_header("Content-Length", str(len(route.body)))
                    self.end_headers()
                    self.wfile.write(route.body)
                    return
                body = json.dumps({
                    "slot": backend.slot.value,
                    "path": self.path,
                    "xff": self.headers.get("X-Forwarded-For"),
                    "proto": self.headers.get("X-Forwarded-Proto"),
                    "authorization": self.headers.get("Authorization") is not None,
                    # Every occurrence: a forwarded duplicate is a defect the tests must see.
                    **({name: self.headers.get_all(name) or [] for name in TRACE_HEADERS} if backend.echo_trace else {}),
                }).encode()
                self.send_response(200)
                # Version-revealing headers an application might send: the edge must strip them.
                self.send_header("X-Powered-By", "Express/4.17.1")
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:
                self._answer()

            def do_POST(self) -> None:
                self._answer()

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.server = _QuietServer((LOCALHOST, 0), Handler)
        self.server.daemon_threads = True
        self.address = f"{LOCALHOST}:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()
        self.running = True

    def stop(self) -> None:
        if self.running:
            self.server.shutdown()
            self.server.server_close()
            self.thread.join(timeout=5)
            self.running = False


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        # HAProxy's health checks hang up as soon as they have the status line: not an error.
        return


# --- the certificate ---------------------------------------------------------------------------


@dataclass(frozen=True)
class LocalCertificate:
    cert: Path
    key: Path


def make_certificate(directory: Path, *, days: int = 2) -> LocalCertificate:
    """A self-signed P-256 certificate for localhost, split like a kubernetes.io/tls Secret mount."""
    openssl = require_tool("openssl")
    cert = directory / "site.pem"
    key = directory / "site.pem.key"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
         "-keyout", str(key), "-out", str(cert), "-days", str(days), "-subj", "/CN=localhost",
         "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
        check=True, capture_output=True, timeout=30,
    )
    return LocalCertificate(cert=cert, key=key)


def admin_password_hash() -> str:
    """A bcrypt `$2a$` hash like pulumi-random's bcrypt_hash, made with the system crypt(3)."""
    import crypt  # deprecated in 3.11, but it is the libc crypt HAProxy itself calls

    hashed = crypt.crypt(ADMIN_PASSWORD, "$2a$05$" + "abcdefghijklmnopqrstuv")
    assert hashed and hashed.startswith("$2a$05$"), f"crypt(3) here lacks bcrypt: {hashed!r}"
    return hashed


# --- the live HAProxy --------------------------------------------------------------------------


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    """Lower-case names."""
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class LiveHaproxy:
    def __init__(
        self,
        settings: haproxy.HaproxySettings,
        workdir: Path,
        certificate: LocalCertificate,
        transform: Callable[[str], str] | None = None,
    ) -> None:
        """`transform` edits the rendered text: how tests build a deliberately weakened edge."""
        self.workdir = workdir
        self.certificate = certificate
        self.http_port, self.https_port, self.metrics_port = free_port(), free_port(), free_port()
        self.health_port = free_port()
        errors = workdir / "errors"
        errors.mkdir(parents=True, exist_ok=True)
        local = dataclasses.replace(
            settings,
            http_bind=f"{LOCALHOST}:{self.http_port}",
            https_bind=f"{LOCALHOST}:{self.https_port}",
            metrics_bind=f"{LOCALHOST}:{self.metrics_port}",
            health_bind=f"{LOCALHOST}:{self.health_port}",
            certificate_file=str(certificate.cert),
            errors_dir=str(errors),
        )
        self.settings = local
        self.errorfiles = haproxy.errorfiles(local)
        for name, text in self.errorfiles.items():
            (errors / name).write_text(text)
        self.config_path = workdir / "haproxy.cfg"
        rendered = haproxy.render(local)
        self.config_path.write_text(transform(rendered) if transform else rendered)
        self.files = [str(self.config_path)]
        # As in the pod: the userlist is in haproxy.cfg and only the hash comes from the environment.
        self.environment = {**os.environ, haproxy.ADMIN_HASH_ENV: admin_password_hash()} if local.admin_auth \
            else dict(os.environ)
        self.log_path = workdir / "haproxy.log"
        self.process: subprocess.Popen[bytes] | None = None

    def check(self) -> subprocess.CompletedProcess[str]:
        args = [require_tool("haproxy"), "-c"]
        for file in self.files:
            args += ["-f", file]
        return subprocess.run(args, check=False, capture_output=True, text=True, timeout=30, env=self.environment)

    def start(self) -> LiveHaproxy:
        args = [require_tool("haproxy"), "-db"]
        for file in self.files:
            args += ["-f", file]
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, env=self.environment)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"haproxy exited {self.process.returncode}:\n{self.log_path.read_text()}")
            try:
                with socket.create_connection((LOCALHOST, self.https_port), timeout=0.5):
                    return self
            except OSError:
                time.sleep(0.05)
        raise AssertionError(f"haproxy did not listen within 10 s:\n{self.log_path.read_text()}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        self.process = None

    # -- clients --

    def tls_context(self, *, version: ssl.TLSVersion | None = None) -> ssl.SSLContext:
        context = ssl.create_default_context(cafile=str(self.certificate.cert))
        if version is not None:
            context.minimum_version = version
            context.maximum_version = version
            # OpenSSL 3 clients refuse TLS < 1.2 at the default security level; the server must refuse it instead.
            context.set_ciphers("DEFAULT:@SECLEVEL=0")
        return context

    def connection(self, *, source: str = LOCALHOST, https: bool = True) -> http.client.HTTPConnection:
        if https:
            return http.client.HTTPSConnection(
                "localhost", self.https_port, source_address=(source, 0), context=self.tls_context(), timeout=10
            )
        return http.client.HTTPConnection(LOCALHOST, self.http_port, source_address=(source, 0), timeout=10)

    def request(
        self,
        path: str,
        *,
        source: str = LOCALHOST,
        headers: Mapping[str, str] | None = None,
        https: bool = True,
        conn: http.client.HTTPConnection | None = None,
    ) -> Response:
        own = conn is None
        connection = conn or self.connection(source=source, https=https)
        try:
            connection.request("GET", path, headers=dict(headers or {}))
            answer = connection.getresponse()
            body = answer.read()
            return Response(answer.status, {k.lower(): v for k, v in answer.getheaders()}, body)
        finally:
            if own:
                connection.close()

    def metrics(self) -> str:
        connection = http.client.HTTPConnection(LOCALHOST, self.metrics_port, timeout=5)
        try:
            connection.request("GET", haproxy.METRICS_URI)
            return connection.getresponse().read().decode()
        finally:
            connection.close()

    def server_states(self) -> dict[str, str]:
        """`{server: state}` of the app backend, as the Prometheus exporter reports it."""
        states: dict[str, str] = {}
        pattern = re.compile(r'^haproxy_server_status\{proxy="app",server="([^"]+)",state="([A-Z_]+)"\} 1$')
        for line in self.metrics().splitlines():
            match = pattern.match(line)
            if match:
                states[match.group(1)] = match.group(2)
        return states

    def wait_for_states(self, expected: Mapping[str, str], timeout: float = 15) -> None:
        deadline = time.monotonic() + timeout
        states: dict[str, str] = {}
        while time.monotonic() < deadline:
            states = self.server_states()
            if all(states.get(server) == state for server, state in expected.items()):
                return
            time.sleep(0.1)
        raise AssertionError(f"backend states {states}, expected {dict(expected)} within {timeout} s")


def local_settings(
    config: StackConfig,
    backends: Mapping[Slot, SlotBackend],
    exposure: EdgeExposure | None = None,
) -> haproxy.HaproxySettings:
    """The settings the cluster would get, with the slot servers pointed at the local backends."""
    settings = haproxy.settings_from_config(
        config,
        exposure or EdgeExposure(),
        namespace=config.app.namespace,
        services={slot: f"orchestrator-{slot.value}" for slot in Slot},
        port=80,
    )
    servers = tuple(dataclasses.replace(s, address=backends[s.slot].address) for s in settings.servers)
    return dataclasses.replace(settings, servers=servers)
