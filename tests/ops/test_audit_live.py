"""`python -m ops audit` against a real HAProxy on loopback running the rendered edge config.

The production stack's config is rendered with only the loopback substitutions of tests/edge/live.py
(listen addresses, slot servers, certificate and errorfile paths; 127.0.0.2/32 as the internal CIDR,
1 s health checks). Weakened variants edit the rendered text the way a hand-edited config would be
weakened, and each must lose exactly the expected finding(s). The slot backends act as an application
that serves its own /health, /metrics and /admin pages and echoes every other path (a catch-all).
"""

from __future__ import annotations

import dataclasses
import json
import re
import subprocess
import sys
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from components.config import Slot
from components.edge import haproxy
from offline.runner.stacks import ROOT
from ops.audit.checks import Options, run_audit
from ops.audit.report import AuditReport
from tests.edge.live import (
    LiveHaproxy,
    LocalCertificate,
    Route,
    SlotBackend,
    app_route_key,
    local_settings,
    make_certificate,
    stack_config,
)

pytestmark = pytest.mark.slow

LOOPBACK_ONLY: dict[str, Any] = {
    "edge.maxConnections": 2000,
    "edge.internalCidrs": ["127.0.0.2/32"],
    "edge.healthCheck": {"intervalSeconds": 1, "fall": 2, "rise": 1},
}
APP_PAGES: dict[str, Route] = {
    "/health": Route(b'{"status":"UP","checks":{"db":"UP","cache":"UP"}}', content_type="application/json"),
    "/metrics": Route(b"# TYPE http_requests_total counter\nhttp_requests_total{code=\"200\"} 1027\n"),
    "/admin": Route(b"<!doctype html><title>Orchestrator admin</title><h1>Users</h1>", content_type="text/html"),
}
Transform = Callable[[str], str]


def without(*patterns: str) -> Transform:
    """Drop every rendered line matching one of the patterns."""
    compiled = [re.compile(p) for p in patterns]
    return lambda text: "\n".join(line for line in text.splitlines() if not any(c.search(line) for c in compiled)) + "\n"


def replacing(old: str, new: str) -> Transform:
    def apply(text: str) -> str:
        assert old in text, f"{old!r} is not in the rendered config"
        return text.replace(old, new)

    return apply


def chain(*transforms: Transform) -> Transform:
    def apply(text: str) -> str:
        for transform in transforms:
            text = transform(text)
        return text

    return apply


NO_SECURITY_HEADERS = without(r"http-after-response set-header")
NO_RATE_LIMIT = without(r"track-sc0", r"deny_status 429")
NO_BANNER_REMOVAL = without(r"http-after-response del-header")


def protecting(*prefixes: str) -> Callable[[haproxy.HaproxySettings], haproxy.HaproxySettings]:
    return lambda settings: dataclasses.replace(settings, protected_prefixes=prefixes)


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> LocalCertificate:
    # Valid for 90 days: a certificate about to expire is a finding of its own.
    return make_certificate(tmp_path_factory.mktemp("audit-tls"), days=90)


class Edge:
    def __init__(self, proxy: LiveHaproxy, certificate: LocalCertificate) -> None:
        self.proxy = proxy
        self.certificate = certificate

    @property
    def url(self) -> str:
        return f"https://localhost:{self.proxy.https_port}"

    @property
    def http_url(self) -> str:
        return f"http://localhost:{self.proxy.http_port}"

    def audit(self, **options: Any) -> AuditReport:
        values: dict[str, Any] = {"ca_file": str(self.certificate.cert), "http_url": self.http_url, **options}
        return run_audit(Options(url=self.url, **values))


@pytest.fixture
def start_edge(tmp_path: Path, certificate: LocalCertificate) -> Iterator[Callable[..., Edge]]:
    started: list[tuple[LiveHaproxy, list[SlotBackend]]] = []

    def start(
        *,
        transform: Transform | None = None,
        settings: Callable[[haproxy.HaproxySettings], haproxy.HaproxySettings] | None = None,
        overrides: Mapping[str, Any] | None = None,
        pages: Mapping[str, Route] | None = None,
    ) -> Edge:
        config = stack_config("production", {**LOOPBACK_ONLY, **(overrides or {})})
        routes = {app_route_key(path): route for path, route in {**APP_PAGES, **(pages or {})}.items()}
        backends = {slot: SlotBackend(slot, config.app.probes.readiness_path, routes) for slot in Slot}
        local = local_settings(config, backends)
        if settings is not None:
            local = settings(local)
        workdir = tmp_path / f"edge-{len(started)}"
        workdir.mkdir()
        proxy = LiveHaproxy(local, workdir, certificate, transform)
        started.append((proxy, list(backends.values())))
        checked = proxy.check()
        assert checked.returncode == 0, checked.stdout + checked.stderr
        proxy.start()
        proxy.wait_for_states({"blue": "UP", "green": "UP"})
        return Edge(proxy, certificate)

    yield start
    for proxy, backends in started:
        proxy.stop()
        for backend in backends:
            backend.stop()


def found(report: AuditReport) -> dict[str, str]:
    return {f.check.id: f.evidence for f in report.findings}


# --- the generated production config ------------------------------------------------------------


def test_the_generated_production_edge_scores_100(start_edge: Callable[..., Edge]) -> None:
    config = stack_config("production", LOOPBACK_ONLY)
    edge = start_edge()
    report = edge.audit(rate_limit=config.edge.rate_limit.requests)
    assert found(report) == {}
    assert report.score == 100
    assert report.counts == {"critical": 0, "high": 0, "medium": 0, "low": 0}
    assert len(report.categories) == 7
    assert "rate-limit-loose" in report.checks_run  # the configured limit was checked, and held
    assert any(n.startswith("rate limit: first 429 at request") for n in report.notes)
    # No WAF on loopback: the injection probes are notes, never findings, without --expect-waf.
    assert any(n.startswith("input validation: 6 of 6 injection probes reached") for n in report.notes)
    assert report.requests <= 500


def test_the_specification_example_scores_85_through_the_cli(start_edge: Callable[..., Edge]) -> None:
    """TLS 1.2+, modern ciphers, the redirect, no Server banner, /admin protected; no security headers,
    no rate limit, /health served publicly: 0 critical, 0 high, 2 medium, 1 low -> 85."""
    edge = start_edge(
        transform=chain(NO_SECURITY_HEADERS, NO_RATE_LIMIT),
        settings=protecting("/ready", "/metrics", "/admin"),
    )
    done = subprocess.run(
        [sys.executable, "-m", "ops", "audit", edge.url, "--ca-file", str(edge.certificate.cert),
         "--http-url", edge.http_url, "--format", "json"],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
    )
    assert done.returncode == 1, done.stderr  # 85 is below the production minimum of 90
    result = json.loads(done.stdout)
    assert result["score"] == 85
    assert result["counts"] == {"critical": 0, "high": 0, "medium": 2, "low": 1}
    assert result["tests"] == 7
    assert {(f["id"], f["severity"]) for f in result["findings"]} == {
        ("security-headers-missing", "medium"), ("rate-limit-missing", "medium"), ("health-public", "low")}
    headers = next(f for f in result["findings"] if f["id"] == "security-headers-missing")
    # One finding naming every missing header, HSTS included.
    for name in ("Strict-Transport-Security", "X-Content-Type-Options", "frame-ancestors", "Referrer-Policy"):
        assert name in headers["evidence"]
    health = next(f for f in result["findings"] if f["id"] == "health-public")
    assert "GET /health -> 200" in health["evidence"]
    assert all(set(f) >= {"category", "severity", "title", "evidence", "remediation"} for f in result["findings"])


# --- weakened variants: each loses exactly its finding ----------------------------------------------


VARIANTS: dict[str, tuple[dict[str, Any], set[str]]] = {
    "security headers removed": ({"transform": NO_SECURITY_HEADERS}, {"security-headers-missing"}),
    "rate limit removed": ({"transform": NO_RATE_LIMIT}, {"rate-limit-missing"}),
    "Server banner kept": ({"transform": NO_BANNER_REMOVAL}, {"version-banner"}),
    "/health public": ({"settings": protecting("/ready", "/metrics", "/admin")}, {"health-public"}),
    "/metrics public": ({"settings": protecting("/health", "/ready", "/admin")}, {"metrics-public"}),
    # Only the exact prefix protected: `//admin`, `/%61dmin` and `/Admin` reach the application's admin page.
    "/admin open to other spellings": (
        {"transform": chain(
            replacing("acl protected_path path,url_dec -m reg -i", "acl protected_path path -m beg"),
            replacing("'^/+(\\./+)*(health|ready|metrics|admin)'", "/health /ready /metrics /admin"),
            without(r"dot_segment", r"http-request auth", r"del-header Authorization"),
        )},
        {"admin-unauthenticated", "health-public", "metrics-public"},
    ),
    "/admin open": (
        {"settings": protecting("/health", "/ready", "/metrics"), "overrides": {"edge.adminAuth": False}},
        {"admin-unauthenticated"},
    ),
    "plaintext served": (
        {"transform": replacing("http-request redirect scheme https code 301", "use_backend app")},
        {"https-redirect"},
    ),
    "CBC suites accepted": (
        {"transform": replacing("ssl-default-bind-ciphers ", "ssl-default-bind-ciphers ECDHE-ECDSA-AES128-SHA256:")},
        {"tls-legacy-ciphers"},
    ),
    "TLS 1.3 disabled": (
        {"transform": replacing("ssl-min-ver TLSv1.2", "ssl-min-ver TLSv1.2 ssl-max-ver TLSv1.2")},
        {"tls-1-3-missing"},
    ),
    ".env, a dump and a stack trace served by the application": (
        {"pages": {
            "/.env": Route(b"DATABASE_URL=postgres://app:hunter2@db:5432/app\nSECRET_KEY=abc\n"),
            "/backup.sql": Route(b"-- PostgreSQL database dump\nCREATE TABLE users (id int);\n"),
            "/%zz": Route(b'Traceback (most recent call last):\n  File "/srv/app/routes.py", line 42, in view\n'
                          b"ValueError: bad escape\n", status=500),
        }},
        {"secret-files-served", "backup-files-served", "error-stack-trace"},
    ),
    "an error page naming versions and internal hosts": (
        {"pages": {"/%zz": Route(b"<h1>502</h1><p>upstream 10.40.3.17:8080 (orchestrator-blue.orchestrator.svc."
                                 b"cluster.local) failed</p><hr>nginx/1.25.3", status=502, content_type="text/html")}},
        {"error-version-disclosure", "error-internal-address"},
    ),
}


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_a_weakened_edge_loses_exactly_its_finding(start_edge: Callable[..., Edge], variant: str) -> None:
    arguments, expected = VARIANTS[variant]
    report = start_edge(**arguments).audit()
    assert set(found(report)) == expected, found(report)
    assert report.score == 100 - sum({"critical": 30, "high": 20, "medium": 6, "low": 3}[f.severity] for f in report.findings)


def test_tls_1_0_accepted_is_a_legacy_protocol(start_edge: Callable[..., Edge]) -> None:
    # TLS 1.0 has no AEAD suites, so its CBC suites are also accepted under TLS 1.2: two findings.
    edge = start_edge(transform=chain(
        replacing("ssl-min-ver TLSv1.2", "ssl-min-ver TLSv1.0"),
        replacing("ssl-default-bind-ciphers ", "ssl-default-bind-ciphers ECDHE-ECDSA-AES128-SHA:@SECLEVEL=0:"),
    ))
    report = edge.audit()
    assert set(found(report)) == {"tls-legacy-protocols", "tls-legacy-ciphers"}
    assert "TLS 1.0: TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA" in found(report)["tls-legacy-protocols"]


# --- options --------------------------------------------------------------------------------------


def test_expect_waf_turns_unblocked_probes_into_a_finding(start_edge: Callable[..., Edge]) -> None:
    report = start_edge().audit(expect_waf=True)
    assert set(found(report)) == {"waf-not-blocking"}
    assert "6 of 6 probes not blocked" in found(report)["waf-not-blocking"]
    assert "SQL injection (UNION)" in found(report)["waf-not-blocking"]


def test_injection_probes_blocked_at_the_edge_pass_with_expect_waf(start_edge: Callable[..., Edge]) -> None:
    # A crude stand-in for WAF rules, enough to show blocked probes are not findings.
    rules = ("http-request deny deny_status 403 if { query,url_dec -m reg -i (union|<script|\\.\\./|;cat|or.{1,3}1.=.1) }\n"
             "    http-request deny deny_status 403 if { req.hdr(x-api-version) -m sub jndi }\n    ")
    edge = start_edge(transform=replacing("http-request set-header X-Forwarded-Proto https", rules +
                                          "http-request set-header X-Forwarded-Proto https"))
    report = edge.audit(expect_waf=True)
    assert found(report) == {}


def test_a_limit_looser_than_configured_is_a_finding(start_edge: Callable[..., Edge]) -> None:
    report = start_edge().audit(rate_limit=5)  # the edge allows 100 per 10 s
    assert set(found(report)) == {"rate-limit-loose"}
    assert "the configured limit is 5" in found(report)["rate-limit-loose"]


def test_an_untrusted_certificate_is_a_finding_and_insecure_a_note(start_edge: Callable[..., Edge]) -> None:
    edge = start_edge()
    untrusted = run_audit(Options(url=edge.url, http_url=edge.http_url))  # system trust store only
    assert set(found(untrusted)) == {"certificate-invalid"}
    assert "the system trust store" in found(untrusted)["certificate-invalid"]
    skipped = start_edge().audit(ca_file=None, insecure=True)
    assert found(skipped) == {}
    assert any(n.startswith("certificate not verified (--insecure)") for n in skipped.notes)


def test_a_host_name_the_certificate_does_not_name(start_edge: Callable[..., Edge]) -> None:
    edge = start_edge()
    # `127.1` is 127.0.0.1 to the resolver but not a name or address the certificate carries.
    report = run_audit(Options(url=f"https://127.1:{edge.proxy.https_port}", http_url=f"http://127.1:{edge.proxy.http_port}",
                               ca_file=str(edge.certificate.cert)))
    assert set(found(report)) == {"certificate-invalid"}
    assert "Hostname mismatch" in found(report)["certificate-invalid"]
