"""The audit's HTTP client: raw paths sent as written, bounded bodies, a request budget, 429 handling.

Paths go out byte for byte (`/%61dmin`, `//admin`, `/x/../admin`): `http.client` does not normalise
them, which is the point of probing alternative spellings. Every request counts against a budget so
the audit never sends more than a few hundred requests, however the target answers.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import time
import urllib.parse
from dataclasses import dataclass, field

from ops import OpsError, UsageError

BODY_LIMIT = 64 * 1024
"""Bytes of a response body kept for inspection; the rest is not read."""
REQUEST_BUDGET = 600
"""Hard cap on requests of one audit, the rate-limit burst included."""
RETRY_AFTER_CAP = 15.0
"""Longest wait for one 429 before retrying a probe; the sum of waits is capped at 4x this."""


class UnreachableError(OpsError):
    """The target did not answer (DNS, connection, TLS handshake): exit code 2."""


@dataclass(frozen=True)
class Response:
    status: int
    headers: dict[str, str]
    """Lower-case names; repeated headers joined with ', '."""
    body: bytes
    path: str
    method: str = "GET"

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    def describe(self) -> str:
        return f"{self.method} {self.path} -> {self.status}"


@dataclass(frozen=True)
class Target:
    """The HTTPS origin under audit and its plain-HTTP twin."""

    https_url: str
    host: str
    port: int
    http_host: str
    http_port: int

    @property
    def origin(self) -> str:
        return self.https_url

    def host_header(self) -> str:
        return self.host if self.port == 443 else f"{self.host}:{self.port}"


def _split(url: str, scheme: str, flag: str) -> tuple[str, int]:
    if len(url) > 2048:
        raise UsageError(f"{flag}: the URL is longer than 2048 characters")
    try:
        parts = urllib.parse.urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise UsageError(f"{flag}: '{url}' is not a URL ({error})") from None
    if parts.scheme != scheme or not parts.hostname:
        raise UsageError(f"{flag}: '{url}' is not an {scheme}:// URL with a host name, e.g. {scheme}://orchestrator.example.com")
    if parts.path not in ("", "/") or parts.query or parts.fragment or parts.username or parts.password:
        raise UsageError(f"{flag}: '{url}' must be an origin only ({scheme}://host[:port]), without path, query or credentials")
    return parts.hostname, port or (443 if scheme == "https" else 80)


def parse_target(url: str, http_url: str | None) -> Target:
    host, port = _split(url, "https", "URL")
    if http_url is None:
        http_host, http_port = host, 80
    else:
        http_host, http_port = _split(http_url, "http", "--http-url")
    display = f"https://{host}" + ("" if port == 443 else f":{port}") if ":" not in host else f"https://[{host}]:{port}"
    return Target(https_url=display, host=host, port=port, http_host=http_host, http_port=http_port)


def is_loopback(host: str) -> bool:
    """True when every address the name resolves to is a loopback address."""
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except OSError:
        return False
    addresses = {ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos}
    return bool(addresses) and all(a.is_loopback for a in addresses)


def tls_context(*, ca_file: str | None, insecure: bool) -> ssl.SSLContext:
    if insecure:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    try:
        return ssl.create_default_context(cafile=ca_file)
    except (OSError, ssl.SSLError) as error:
        raise UsageError(f"--ca-file {ca_file}: cannot load it as PEM certificates ({error})") from None


def unverified_context() -> ssl.SSLContext:
    return tls_context(ca_file=None, insecure=True)


@dataclass
class Client:
    target: Target
    context: ssl.SSLContext
    timeout: float = 10.0
    budget: int = REQUEST_BUDGET
    sent: int = 0
    waited: float = 0.0
    rate_limited_paths: list[str] = field(default_factory=list)
    """Probes still answered 429 after waiting: their result is inconclusive."""

    def _connection(self, *, https: bool) -> http.client.HTTPConnection:
        if https:
            return http.client.HTTPSConnection(self.target.host, self.target.port, timeout=self.timeout,
                                               context=self.context)
        return http.client.HTTPConnection(self.target.http_host, self.target.http_port, timeout=self.timeout)

    def _take(self) -> None:
        if self.sent >= self.budget:
            raise OpsError(f"the audit's request budget ({self.budget}) is spent; this is a bug in the audit")
        self.sent += 1

    def send(
        self,
        path: str,
        *,
        method: str = "GET",
        https: bool = True,
        headers: dict[str, str] | None = None,
        connection: http.client.HTTPConnection | None = None,
    ) -> Response:
        """One request; connection and TLS errors propagate (the caller decides what they mean)."""
        self._take()
        own = connection is None
        conn = connection or self._connection(https=https)
        try:
            conn.putrequest(method, path, skip_accept_encoding=True)
            for name, value in {"User-Agent": "orchestrator-audit", "Accept": "*/*", **(headers or {})}.items():
                conn.putheader(name, value)
            conn.endheaders()
            answer = conn.getresponse()
            body = answer.read(BODY_LIMIT)
            if not answer.isclosed():
                # The rest of a long body is not needed; a closed connection reopens on the next request.
                conn.close()
            found: dict[str, str] = {}
            for name, value in answer.getheaders():
                key = name.lower()
                found[key] = f"{found[key]}, {value}" if key in found else value
            return Response(answer.status, found, body, path, method)
        finally:
            if own:
                conn.close()

    def get(self, path: str, *, method: str = "GET", https: bool = True, headers: dict[str, str] | None = None) -> Response:
        """A probe: a 429 is waited out (Retry-After, bounded) and retried; connection errors are fatal."""
        try:
            answer = self.send(path, method=method, https=https, headers=headers)
            for _ in range(2):
                if answer.status != 429:
                    break
                pause = _retry_after(answer.header("retry-after"))
                if self.waited + pause > 4 * RETRY_AFTER_CAP:
                    break
                time.sleep(pause)
                self.waited += pause
                answer = self.send(path, method=method, https=https, headers=headers)
            if answer.status == 429:
                self.rate_limited_paths.append(path)
            return answer
        except (OSError, http.client.HTTPException) as error:
            where = self.target.https_url if https else f"http://{self.target.http_host}:{self.target.http_port}"
            raise UnreachableError(f"{where} stopped answering during the audit ({method} {path}): {error}") from None


def _retry_after(value: str | None) -> float:
    try:
        seconds = float(value) if value is not None else 1.0
    except ValueError:
        seconds = 1.0
    return min(max(seconds, 0.5), RETRY_AFTER_CAP)
