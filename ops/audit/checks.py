"""The audit itself: probes an HTTPS edge from the outside, one category after another.

Probes that answer 2xx count as "served" only when they differ from what the site answers for a
random path: a catch-all application (an SPA, or the test backends that echo every path) would
otherwise make every probe look served. The rate-limit burst runs last, so its 429s never mask the
other probes; a probe that still meets a 429 after waiting out Retry-After is reported inconclusive.
"""

from __future__ import annotations

import datetime
import difflib
import http.client
import ipaddress
import re
import secrets
import socket
import ssl
import urllib.parse
from collections.abc import Iterable
from dataclasses import dataclass

from ops import UsageError
from ops.audit import tls
from ops.audit.catalog import CHECKS
from ops.audit.probe import REQUEST_BUDGET, Client, Response, Target, UnreachableError, parse_target, tls_context
from ops.audit.report import AuditReport, Finding

MAX_BURST = 500
DEFAULT_BURST = 300
EXPIRY_WARNING = datetime.timedelta(days=14)
HSTS_MIN_AGE = 31_536_000

HEALTH_PATHS = (
    "/health", "/healthz", "/ready", "/readyz", "/livez", "/health/live", "/health/ready",
    # Other spellings of /health an edge's prefix match may miss but a lenient router resolves.
    "//health", "/HEALTH", "/%68ealth", "/./health", "/x/../health", "/%2e/health", "/health/", "/health;x",
)
METRICS_PATHS = (
    "/metrics", "/metrics/", "//metrics", "/METRICS", "/%6detrics", "/./metrics",
    "/actuator", "/actuator/env", "/actuator/prometheus", "/server-status", "/stats", "/debug/pprof/", "/debug/vars",
)
ADMIN_PATHS = (
    "/admin", "/admin/", "//admin", "/ADMIN", "/Admin", "/%61dmin", "/%2561dmin", "/./admin", "/x/../admin",
    "/%2e%2e/admin", "/admin;x",
)
SECRET_PATHS = (
    "/.env", "/.env.production", "/.env.local", "/%2eenv", "/.git/config", "/.git/HEAD", "/%2egit/config",
    "/.svn/entries", "/.hg/hgrc", "/.aws/credentials", "/.ssh/id_rsa", "/id_rsa", "/.htpasswd", "/.npmrc",
    "/.docker/config.json",
)
BACKUP_PATHS = (
    "/backup.sql", "/dump.sql", "/db.sql", "/database.sql", "/backup.zip", "/backup.tar.gz", "/site.tar.gz",
    "/www.zip", "/index.php.bak", "/config.php.bak", "/.env.bak", "/config.json.bak", "/web.config.bak",
)
INJECTION_PROBES: tuple[tuple[str, str, dict[str, str]], ...] = (
    ("SQL injection (tautology)", "/?id=1%27%20OR%20%271%27%3D%271", {}),
    ("SQL injection (UNION)", "/?q=1%20UNION%20SELECT%20username%2Cpassword%20FROM%20users--", {}),
    ("cross-site scripting", "/?q=%3Cscript%3Ealert(document.cookie)%3C%2Fscript%3E", {}),
    ("path traversal", "/?file=..%2F..%2F..%2F..%2Fetc%2Fpasswd", {}),
    ("command injection", "/?host=127.0.0.1%3Bcat%20%2Fetc%2Fpasswd", {}),
    ("JNDI lookup (Log4Shell)", "/", {"X-Api-Version": "${jndi:ldap://audit.invalid/a}"}),
)
BLOCKED_STATUSES = frozenset({400, 403, 406, 418, 451})

VERSION_HEADERS = ("server", "x-powered-by", "x-aspnet-version", "x-aspnetmvc-version", "x-generator", "x-runtime")

# Simple alternations and bounded classes only: linear on the (capped) bodies they scan.
_STACK_TRACE = re.compile(
    r"Traceback \(most recent call last\)|File \"[^\"\n]{1,300}\", line [0-9]+|"
    r"\bat [A-Za-z0-9_$.]{1,200}\([A-Za-z0-9_]{1,100}\.(?:java|kt|scala):[0-9]+\)|"
    r"Exception in thread|\.cs:line [0-9]+|goroutine [0-9]+ \[running\]|node_modules/|"
    r"You have an error in your SQL syntax|SQLSTATE\[|ORA-[0-9]{5}|psycopg2?\.|PG::[A-Za-z]+Error|"
    r"syntax error at or near|Fatal error: |Stack trace:",
)
_VERSION = re.compile(
    r"\b(?:nginx|apache|haproxy|openresty|envoy|microsoft-iis|iis|php|express|werkzeug|gunicorn|uvicorn|"
    r"jetty|tomcat|kestrel|python|node\.?js|openssl|django|flask|rails|spring boot|caddy|traefik)"
    r"[/ ]v?[0-9]{1,4}(?:\.[0-9]{1,6}){1,3}",
    re.IGNORECASE,
)
_IPV4 = re.compile(r"(?<![0-9.])(?:[0-9]{1,3}\.){3}[0-9]{1,3}(?![0-9.])")
_CLUSTER_NAME = re.compile(r"\b[a-z0-9-]{1,63}(?:\.[a-z0-9-]{1,63}){0,4}\.(?:svc\.cluster\.local|svc|internal|localdomain)\b")


@dataclass(frozen=True)
class Options:
    url: str
    http_url: str | None = None
    ca_file: str | None = None
    insecure: bool = False
    expect_waf: bool = False
    rate_limit: int | None = None
    """The edge's configured requests per window; the first 429 must come by request rate_limit + 1."""
    burst: int = DEFAULT_BURST
    min_score: int = 90
    timeout: float = 10.0


def _similar(a: str, b: str) -> bool:
    if a == b:
        return True
    if not a or not b or min(len(a), len(b)) / max(len(a), len(b)) < 0.9:
        return False
    return difflib.SequenceMatcher(None, a[:2048], b[:2048]).quick_ratio() >= 0.95


def _normalized(response: Response) -> str:
    text = response.text[:8192]
    for spelling in {response.path, urllib.parse.unquote(response.path)}:
        text = text.replace(spelling, "\x00")
    return text


def _media_type(response: Response) -> str:
    return (response.header("content-type") or "").split(";", 1)[0].strip().lower()


def _clip(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


class Audit:
    def __init__(self, options: Options) -> None:
        if options.insecure and options.ca_file:
            raise UsageError("--insecure and --ca-file exclude each other: verify against the CA, or skip verification")
        if not 1 <= options.burst <= MAX_BURST:
            raise UsageError(f"--burst {options.burst} is out of range; use 1 to {MAX_BURST}")
        if options.rate_limit is not None and not 1 <= options.rate_limit < MAX_BURST - 10:
            raise UsageError(
                f"--rate-limit {options.rate_limit} cannot be tested within the bounded burst; use 1 to {MAX_BURST - 11}")
        if not 0 <= options.min_score <= 100:
            raise UsageError(f"--min-score {options.min_score} is out of range; use 0 to 100")
        self.options = options
        self.target: Target = parse_target(options.url, options.http_url)
        self.verify_context = tls_context(ca_file=options.ca_file, insecure=options.insecure)
        self.client = Client(self.target, self.verify_context, timeout=options.timeout, budget=REQUEST_BUDGET)
        self.report = AuditReport(target=self.target.https_url, min_score=options.min_score)
        self.seen: list[Response] = []
        self.baselines: list[Response] = []
        self.address = ""

    # -- plumbing --

    def _fail(self, check_id: str, evidence: str) -> None:
        self.report.findings.append(Finding(CHECKS[check_id], evidence))

    def _ran(self, *check_ids: str) -> None:
        self.report.checks_run.extend(check_ids)

    def _get(self, path: str, *, method: str = "GET", headers: dict[str, str] | None = None) -> Response:
        response = self.client.get(path, method=method, headers=headers)
        self.seen.append(response)
        return response

    def served(self, response: Response) -> bool:
        """2xx and not what the site answers for any random path."""
        if not 200 <= response.status < 300:
            return False
        mine = _normalized(response)
        return not any(
            base.status == response.status and _media_type(base) == _media_type(response)
            and _similar(_normalized(base), mine)
            for base in self.baselines
        )

    def _served_paths(self, paths: Iterable[str]) -> list[Response]:
        return [r for r in (self._get(p) for p in paths) if self.served(r)]

    # -- the run --

    def run(self) -> AuditReport:
        self._connect()
        self._transport()
        self._baselines()
        self._security_headers()
        self._exposure()
        self._secrets()
        self._error_handling()
        self._input_validation()
        self._banners()
        self._rate_limit()
        if self.client.rate_limited_paths:
            paths = ", ".join(self.client.rate_limited_paths[:5])
            self.report.notes.append(
                f"{len(self.client.rate_limited_paths)} probe(s) still got 429 after waiting out Retry-After "
                f"({paths}{', …' if len(self.client.rate_limited_paths) > 5 else ''}); their results are inconclusive")
        self.report.requests = self.client.sent
        return self.report

    def _connect(self) -> None:
        """Reachability and the certificate: one handshake verified as a browser would."""
        host, port = self.target.host, self.target.port
        try:
            self.address = tls.resolve(host, port)
        except OSError as error:
            raise UnreachableError(f"cannot reach {self.target.https_url}: {error}") from None
        self._ran("certificate-invalid", "certificate-expiring")
        if self.options.insecure:
            self.report.notes.append("certificate not verified (--insecure): chain, host name and expiry were not checked")
            return
        try:
            with socket.create_connection((self.address, port), timeout=self.options.timeout) as raw, \
                    self.verify_context.wrap_socket(raw, server_hostname=host) as tls_socket:
                der = tls_socket.getpeercert(binary_form=True)
        except ssl.SSLCertVerificationError as error:
            against = f"the CA in {self.options.ca_file}" if self.options.ca_file else "the system trust store"
            self._fail("certificate-invalid", f"verification against {against} for '{host}' failed: {error.verify_message}")
            # The other probes still run, without verification.
            self.client.context = tls_context(ca_file=None, insecure=True)
            return
        except ssl.SSLError as error:
            raise UnreachableError(f"TLS handshake with {self.target.https_url} failed: {error}") from None
        except OSError as error:
            raise UnreachableError(f"cannot reach {self.target.https_url}: {error}") from None
        if der:
            expires = tls.not_after(der)
            left = expires - datetime.datetime.now(datetime.UTC)
            if left < EXPIRY_WARNING:
                self._fail("certificate-expiring", f"notAfter {expires:%Y-%m-%d %H:%M} UTC, in {left.days} day(s)")

    def _transport(self) -> None:
        self._ran("https-redirect", "tls-legacy-protocols", "tls-broken-ciphers", "tls-legacy-ciphers", "tls-1-3-missing")
        self._redirect()
        result = tls.scan(self.target.host, self.target.port, self.address, timeout=max(1, int(self.options.timeout)))
        if result.error:
            self.report.notes.append(f"TLS scan inconclusive: {_clip(result.error, 300)}")
            return
        legacy = [p for p in tls.LEGACY_PROTOCOLS if p in result.accepted]
        if legacy:
            detail = "; ".join(f"{p}: {', '.join(result.accepted[p][:3])}" for p in legacy)
            self._fail("tls-legacy-protocols", f"handshakes accepted with {detail}")
        broken = tls.broken_suites(result)
        if broken:
            self._fail("tls-broken-ciphers", f"TLS 1.2 accepts {', '.join(broken)}")
        weak = tls.legacy_suites(result)
        if weak:
            self._fail("tls-legacy-ciphers", f"TLS 1.2 accepts {', '.join(weak)}")
        if "TLS 1.3" not in result.accepted:
            self._fail("tls-1-3-missing", f"protocols accepted: {', '.join(result.protocols) or 'none'}")

    def _redirect(self) -> None:
        target = self.target
        where = f"http://{target.http_host}:{target.http_port}"
        path = "/audit/redirect?check=1"
        try:
            answer = self.client.send(path, https=False)
        except (OSError, http.client.HTTPException) as error:
            self.report.notes.append(f"no plain-HTTP answer at {where} ({error}): HTTPS only")
            return
        self.seen.append(answer)
        location = answer.header("location") or ""
        if answer.status in (301, 302, 307, 308):
            parts = urllib.parse.urlsplit(location)
            if parts.scheme == "https" and (parts.hostname or "").lower() == target.host.lower():
                return
            self._fail("https-redirect", f"GET {where}{path} -> {answer.status} Location: {_clip(location)}")
            return
        self._fail("https-redirect", f"GET {where}{path} -> {answer.status} over plain HTTP, no redirect to https://")

    def _baselines(self) -> None:
        token = secrets.token_hex(8)
        self.root = self._get("/")
        self.baselines = [self._get(p) for p in (f"/audit-{token}", f"/.audit-{token}", f"/audit-{token}.sql")]

    def _security_headers(self) -> None:
        self._ran("security-headers-missing")
        problems: list[str] = []
        for response in (self.root, self.baselines[0]):
            missing = _missing_headers(response)
            if missing:
                problems.append(f"{response.describe()}: {', '.join(missing)}")
        if problems:
            self._fail("security-headers-missing", "; ".join(problems))

    def _exposure(self) -> None:
        self._ran("admin-unauthenticated", "metrics-public", "health-public")
        admin = [self._get(p) for p in ADMIN_PATHS]
        served = [r for r in admin if self.served(r)]
        if served:
            self._fail("admin-unauthenticated", _describe(served))
        challenged = [r for r in admin if r.status == 401]
        if challenged:
            self.report.notes.append(
                f"the admin endpoint asks public clients for credentials ({_describe(challenged)}); "
                "it is protected, but reachable from the Internet")
        metrics = self._served_paths(METRICS_PATHS)
        if metrics:
            self._fail("metrics-public", _describe(metrics))
        health = self._served_paths(HEALTH_PATHS)
        if health:
            self._fail("health-public", _describe(health))

    def _secrets(self) -> None:
        self._ran("secret-files-served", "backup-files-served")
        leaked = self._served_paths(SECRET_PATHS)
        if leaked:
            self._fail("secret-files-served", _describe(leaked))
        backups = self._served_paths(BACKUP_PATHS)
        if backups:
            self._fail("backup-files-served", _describe(backups))

    def _error_handling(self) -> None:
        self._ran("error-stack-trace", "error-version-disclosure", "error-internal-address")
        # Provoke errors an application handles itself: a bad escape, an unknown method.
        self._get("/%zz")
        self._get("/", method="AUDIT")
        errors = [r for r in self.seen if r.status >= 400]
        own = {self.address, self.target.host}
        traces, versions, addresses = [], [], []
        for response in errors:
            text = response.text
            if match := _STACK_TRACE.search(text):
                traces.append(f"{response.describe()}: '{_clip(match.group(0), 80)}'")
            if match := _VERSION.search(text):
                versions.append(f"{response.describe()}: '{match.group(0)}'")
            internal = _internal_addresses(text, own)
            if internal:
                addresses.append(f"{response.describe()}: {', '.join(sorted(internal)[:3])}")
        if traces:
            self._fail("error-stack-trace", "; ".join(_unique(traces)[:4]))
        if versions:
            self._fail("error-version-disclosure", "; ".join(_unique(versions)[:4]))
        if addresses:
            self._fail("error-internal-address", "; ".join(_unique(addresses)[:4]))

    def _input_validation(self) -> None:
        passed: list[str] = []
        for name, path, headers in INJECTION_PROBES:
            answer = self._get(path, headers=headers)
            if answer.status not in BLOCKED_STATUSES and answer.status != 429:
                passed.append(f"{name} ({answer.describe()})")
        if self.options.expect_waf:
            self._ran("waf-not-blocking")
            if passed:
                self._fail("waf-not-blocking",
                           f"{len(passed)} of {len(INJECTION_PROBES)} probes not blocked: " + "; ".join(passed))
        elif passed:
            self.report.notes.append(
                f"input validation: {len(passed)} of {len(INJECTION_PROBES)} injection probes reached the application "
                f"(no WAF expected, so not scored; pass --expect-waf where one is in front): {'; '.join(passed)}")

    def _banners(self) -> None:
        self._ran("version-banner")
        banners: dict[str, str] = {}
        for response in self.seen:
            for name in VERSION_HEADERS:
                value = response.header(name)
                if value is not None and name not in banners:
                    banners[name] = f"{name}: {_clip(value, 80)} ({response.describe()})"
        if banners:
            self._fail("version-banner", "; ".join(banners.values()))

    def _rate_limit(self) -> None:
        self._ran("rate-limit-missing")
        limit = self.options.rate_limit
        # Long enough to find a limit looser than the configured one, so "loose" and "missing" differ.
        burst = self.options.burst if limit is None else max(self.options.burst, min(MAX_BURST, limit + max(10, limit // 10)))
        earlier = self.client.sent
        connection = self.client._connection(https=True)
        first_429: int | None = None
        statuses: dict[int, int] = {}
        try:
            for number in range(1, burst + 1):
                try:
                    answer = self.client.send("/", connection=connection)
                except (OSError, http.client.HTTPException) as error:
                    self.report.notes.append(f"rate-limit burst stopped at request {number}: {error}")
                    break
                statuses[answer.status] = statuses.get(answer.status, 0) + 1
                if answer.status == 429:
                    first_429 = number
                    break
        finally:
            connection.close()
        counted = ", ".join(f"{count}x {status}" for status, count in sorted(statuses.items()))
        if first_429 is None:
            self._fail("rate-limit-missing", f"{sum(statuses.values())} requests in a burst, no 429 ({counted})")
            return
        if limit is not None:
            self._ran("rate-limit-loose")
            if first_429 > limit + 1:
                self._fail("rate-limit-loose", f"first 429 at request {first_429} of the burst; the configured limit is {limit}")
        self.report.notes.append(
            f"rate limit: first 429 at request {first_429} of the burst ({earlier} audit requests before it)")


def _missing_headers(response: Response) -> list[str]:
    missing = []
    hsts = response.header("strict-transport-security") or ""
    age = re.search(r"max-age=\"?([0-9]{1,12})", hsts)
    if not age:
        missing.append("Strict-Transport-Security")
    elif int(age.group(1)) < HSTS_MIN_AGE:
        missing.append(f"Strict-Transport-Security (max-age {age.group(1)} < {HSTS_MIN_AGE})")
    if (response.header("x-content-type-options") or "").strip().lower() != "nosniff":
        missing.append("X-Content-Type-Options: nosniff")
    frame = (response.header("x-frame-options") or "").strip().upper()
    csp = (response.header("content-security-policy") or "").lower()
    if frame not in ("DENY", "SAMEORIGIN") and "frame-ancestors" not in csp:
        missing.append("X-Frame-Options or CSP frame-ancestors")
    referrer = (response.header("referrer-policy") or "").strip().lower()
    if not referrer or referrer == "unsafe-url":
        missing.append("Referrer-Policy")
    return missing


def _internal_addresses(text: str, own: set[str]) -> set[str]:
    found: set[str] = set()
    for match in _IPV4.finditer(text):
        try:
            address = ipaddress.ip_address(match.group(0))
        except ValueError:
            continue
        if str(address) not in own and (address.is_private or address.is_loopback or address.is_link_local):
            found.add(str(address))
    found.update(m.group(0) for m in _CLUSTER_NAME.finditer(text.lower()))
    return found


def _describe(responses: list[Response]) -> str:
    shown = ", ".join(r.describe() for r in responses[:6])
    return shown + (f" and {len(responses) - 6} more" if len(responses) > 6 else "")


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


def run_audit(options: Options) -> AuditReport:
    return Audit(options).run()
