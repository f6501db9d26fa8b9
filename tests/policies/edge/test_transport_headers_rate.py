"""edge-https-only, edge-tls-min-version, edge-security-headers, edge-rate-limit, edge-error-pages."""

from __future__ import annotations

import pytest

from tests.policies.edge.support import findings, one, swap
from tests.policies.fixtures import HAPROXY_CFG

REDIRECT = "    http-request redirect scheme https code 301 unless { ssl_fc }\n"
RATE_DENY = "    http-request deny deny_status 429 if { sc_http_req_rate(0) gt 100 }\n"


def test_plaintext_forwarding() -> None:
    one("edge-https-only", swap(REDIRECT, "    default_backend app\n"), "plaintext listener 'public_http'",
        "forwarded to backend 'app'")


@pytest.mark.parametrize("condition", ["if FALSE", "unless { req.hdr(x-forwarded-proto) -m str https }",
                                       "if { path_beg /app }"])
def test_redirect_switched_off(condition: str) -> None:
    cfg = swap(REDIRECT, f"    http-request redirect scheme https code 301 {condition}\n    default_backend app\n")
    one("edge-https-only", cfg, "public_http", "does not only redirect")


@pytest.mark.parametrize("condition", ["if { req.hdr(host) -m found }", "unless !{ hdr(host) -m found }",
                                       "if { hdr_cnt(host) gt 0 }"])
def test_redirect_only_for_requests_naming_a_host(condition: str) -> None:
    """HTTP/1.0 needs no Host header: a redirect that looks for one lets such a request through in the clear."""
    cfg = swap(REDIRECT, f"    http-request redirect scheme https code 301 {condition}\n    default_backend app\n")
    one("edge-https-only", cfg, "public_http", "over HTTP/1.0 without a Host header is forwarded to backend 'app'")


def test_a_condition_on_the_host_that_every_request_meets_passes() -> None:
    cfg = swap(REDIRECT, "    http-request redirect scheme https code 301 if { always_true } || { hdr(host) -m found }\n")
    assert findings("edge-https-only", cfg) == []


def test_plaintext_on_any_port() -> None:
    cfg = swap("frontend stats\n    bind :8405\n", "frontend side\n    bind :9000\n    default_backend app\n"
                                                  "frontend stats\n    bind :8405\n")
    one("edge-https-only", cfg, "listener 'side'", ":9000")


def test_mode_tcp_plaintext() -> None:
    cfg = swap("frontend stats\n", "listen raw\n    mode tcp\n    bind :7000\n    server s app:8080\nfrontend stats\n")
    one("edge-https-only", cfg, "listener 'raw'", "mode tcp")


def test_redirect_to_http() -> None:
    cfg = swap(REDIRECT, "    http-request redirect location http://www.example.com/\n")
    one("edge-https-only", cfg, "non-HTTPS target")


def test_tls_bind_override() -> None:
    cfg = swap("alpn h2,http/1.1", "alpn h2,http/1.1 ssl-min-ver TLSv1.0")
    one("edge-tls-min-version", cfg, "listener 'public_https'", "below TLSv1.2", "haproxy.cfg:")


@pytest.mark.parametrize(("old", "new", "needle"), [
    ("ssl-min-ver TLSv1.2 no-tls-tickets", "no-tls-tickets", "no minimum TLS version"),
    ("ssl-min-ver TLSv1.2", "ssl-min-ver TLSv1.1", "below"),
    ("alpn h2,http/1.1", "alpn h2,http/1.1 force-tlsv10", "below"),
    ("alpn h2,http/1.1", "alpn h2,http/1.1 ciphers AES128-SHA:RC4-MD5", "weak ciphers"),
    ("ECDHE-RSA-AES128-GCM-SHA256:!aNULL", "ECDHE-RSA-AES128-GCM-SHA256:DES-CBC3-SHA", "weak ciphers"),
    ("alpn h2,http/1.1", "alpn h2,http/1.1 ssl-max-ver TLSv1.1", "caps TLS"),
])
def test_tls_spellings(old: str, new: str, needle: str) -> None:
    one("edge-tls-min-version", swap(old, new), needle)


def test_hsts_set_then_deleted() -> None:
    cfg = swap("    http-response del-header Server\n",
               "    http-response del-header Server\n    http-response del-header Strict-Transport-Security\n")
    one("edge-security-headers", cfg, "Strict-Transport-Security", "deleted by", "on haproxy.cfg:46", "after being set")


@pytest.mark.parametrize("condition", ["if FALSE", "unless TRUE", "if !TRUE"])
def test_header_never_set(condition: str) -> None:
    cfg = swap("X-Content-Type-Options nosniff", f"X-Content-Type-Options nosniff {condition}")
    one("edge-security-headers", cfg, "X-Content-Type-Options", "never holds")


def test_header_under_client_condition() -> None:
    cfg = swap("X-Content-Type-Options nosniff", "X-Content-Type-Options nosniff if { res.hdr(x-a) -m found }")
    one("edge-security-headers", cfg, "X-Content-Type-Options", "cannot prove")


def test_server_header_kept() -> None:
    one("edge-security-headers", swap("    http-response del-header Server\n", ""), "Server header")


def test_server_header_removed_never() -> None:
    cfg = swap("    http-response del-header Server\n", "    http-response del-header Server if FALSE\n")
    one("edge-security-headers", cfg, "Server header", "never holds")


def test_short_hsts() -> None:
    one("edge-security-headers", swap("max-age=63072000", "max-age=300"), "max-age=300 is below", "haproxy.cfg:40")


def test_rate_limit_removed() -> None:
    one("edge-rate-limit", swap(RATE_DENY, ""), "listener 'public_https'", "not answered 429")


@pytest.mark.parametrize(("old", "new", "needle"), [
    (RATE_DENY, "    http-request deny deny_status 429 if { sc_http_req_rate(0) gt 1000000 }\n", "compares the rate"),
    ("    http-request track-sc0 src\n", "", "no track-sc"),
    ("    http-request track-sc0 src\n", "    http-request track-sc0 src if FALSE\n", "not answered 429"),
    ("store http_req_rate(10s)", "store conn_cur", "no stick-table stores http_req_rate"),
    ("    http-request track-sc0 src\n", "    http-request track-sc0 hdr(x-client-id)\n", "each client chooses"),
    ("    http-request track-sc0 src\n", "    http-request track-sc0 src\n    http-request allow\n", "allow"),
    (RATE_DENY, "    http-request deny deny_status 429 if { sc_http_req_rate(0) gt 100 } FALSE\n", "not answered 429"),
])
def test_rate_limit_that_never_triggers(old: str, new: str, needle: str) -> None:
    one("edge-rate-limit", swap(old, new), needle)


def test_rate_limit_tracking_after_deny() -> None:
    cfg = swap("    http-request track-sc0 src\n", "")
    cfg = swap(RATE_DENY, RATE_DENY + "    http-request track-sc0 src\n", cfg)
    one("edge-rate-limit", cfg, "not answered 429")


def test_error_pages_missing() -> None:
    one("edge-error-pages", swap("    errorfiles site-errors\n", ""), "no custom page for 400")


def test_error_page_leaks() -> None:
    found = findings("edge-error-pages", swap("    errorfiles site-errors\n", "    errorfiles site-errors\n"),
                     {"503.http": "HTTP/1.1 503\r\n\r\nHAProxy 3.2 backend down"})
    assert len(found) == 1 and found[0].startswith("listener 'public_http': the 503 page (file "
                                                   "/etc/haproxy/errors/503.http, "), found
    assert found[0].endswith("reveals backend details: software 'HAProxy'"), found


@pytest.mark.parametrize(("page", "named"), [
    ("HTTP/1.1 502\r\nServer: gunicorn\r\n\r\nBad gateway", "software 'gunicorn'"),
    ("HTTP/1.1 502\r\nX-Powered-By: PHP\r\n\r\nBad gateway", "software 'PHP'"),
    ("HTTP/1.1 502\r\nX-Backend-Server: blue\r\n\r\nBad gateway", "a header naming the software 'X-Backend-Server:'"),
    ("HTTP/1.1 503\r\n\r\nTry orchestrator-blue.orchestrator.svc.cluster.local", "an internal host name"),
    ("HTTP/1.1 503\r\n\r\nupstream 10.50.3.17:8080 refused", "a backend 'upstream'"),
    ("HTTP/1.1 503\r\n\r\nnode 172.20.1.9 refused", "a private address '172.20.1.9'"),
    ("HTTP/1.1 500\r\n\r\nTraceback (most recent call last):", "a stack trace 'Traceback'"),
])
def test_error_page_leak_spellings(page: str, named: str) -> None:
    found = findings("edge-error-pages", HAPROXY_CFG, {"503.http": page})
    assert len(found) == 1 and "the 503 page" in found[0] and f"reveals backend details: {named}" in found[0], found


@pytest.mark.parametrize(("line", "named"), [
    ('    http-error status 503 content-type text/plain lf-string "down: %b/%s"', "a log-format field naming the backend"),
    ('    http-error status 503 content-type text/plain string "nginx backend down"', "software 'nginx'"),
    ("    errorloc 503 http://10.50.3.17:8080/maintenance", "a private address '10.50.3.17'"),
    ("    errorloc302 503 https://status.internal/down", "an internal host name 'status.internal'"),
    ('    http-request return status 200 content-type text/plain lf-string "%[hostname]" if { path /whoami }',
     "a log-format field naming the backend '%[hostname'"),
])
def test_inline_answers_that_leak(line: str, named: str) -> None:
    cfg = swap("    default_backend app\n", f"{line}\n    default_backend app\n")
    found = findings("edge-error-pages", cfg)
    assert any(f"reveals backend details: {named}" in f for f in found), found


def test_generic_inline_answers_pass() -> None:
    cfg = swap("    default_backend app\n", '    http-error status 503 content-type text/plain string "try later"\n'
               '    http-request return status 200 content-type text/plain string "ok" if { path /ping }\n'
               "    default_backend app\n")
    assert findings("edge-error-pages", cfg) == []


def test_error_pages_lost_to_a_later_defaults_section() -> None:
    # A proxy inherits the last `defaults` before it: an empty one in between drops every custom page.
    cfg = swap("frontend public_http\n", "defaults bare\n    mode http\n\nfrontend public_http\n")
    one("edge-error-pages", cfg, "listener 'public_https'", "no custom page for 400, 403")


def test_error_pages_follow_defaults_named_by_from() -> None:
    cfg = swap("frontend public_https\n", "defaults bare\n    mode http\n\nfrontend public_https from bare\n")
    assert findings("edge-error-pages", cfg) == ["listener 'public_https' has no custom page for 400, 403, 408, 429, "
                                                 "500, 502, 503, 504"]


def test_defaults_chain_is_inherited() -> None:
    # `defaults child from base` starts from base's settings: the pages and `mode http` of base still apply.
    cfg = swap("defaults\n", "defaults base\n", HAPROXY_CFG)
    cfg = swap("http-errors site-errors\n", "defaults child from base\n    timeout client 30s\n\nhttp-errors site-errors\n",
               cfg)
    assert findings("edge-error-pages", cfg) == []
    assert findings("edge-admin-protected", cfg) == []


def test_tcp_accept_does_not_skip_http_rules() -> None:
    cfg = swap("    http-request track-sc0 src\n", "    tcp-request content accept\n    http-request track-sc0 src\n")
    assert findings("edge-admin-protected", cfg) == [] and findings("edge-rate-limit", cfg) == []


@pytest.mark.parametrize("page", ["at " + "a." * 40_000, "a-" * 40_000 + ".x", "%{" * 30_000, "1." * 40_000,
                                  "x" * 63 + "." + "y" * 70_000])
def test_leak_reading_is_linear_on_hostile_pages(page: str) -> None:
    import time

    from policies.rules.edge import leaks

    started = time.perf_counter()
    assert leaks(page) is None
    assert time.perf_counter() - started < 2.0
