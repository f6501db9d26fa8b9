"""edge-admin-protected and edge-health-not-public: every spelling of a path, every way around the ACLs."""

from __future__ import annotations

import pytest

from tests.policies.edge.support import findings, one, swap
from tests.policies.fixtures import HAPROXY_CFG

ADMIN_DENY = "    http-request deny deny_status 403 if { path_beg /admin } !internal\n"
ADMIN_DENY_REG = "    http-request deny deny_status 403 if admin_path !internal\n"


def without_regex_admin(cfg: str = HAPROXY_CFG) -> str:
    return swap(ADMIN_DENY_REG, "", cfg)


def test_admin_deny_removed() -> None:
    cfg = swap(ADMIN_DENY, "", without_regex_admin())
    one("edge-admin-protected", cfg, "listener 'public_https'", "reaches /admin", "forwarded to backend 'app'")


@pytest.mark.parametrize(("spelling", "needle"), [
    ("{ path_beg /admin }", "/ADMIN"),            # case
    ("{ path_beg -i /admin }", "//admin"),       # doubled slash
    ("{ path_beg -i //admin /admin }", "/./admin"),
])
def test_spellings_of_admin(spelling: str, needle: str) -> None:
    cfg = swap(ADMIN_DENY, f"    http-request deny deny_status 403 if {spelling} !internal\n", without_regex_admin())
    cfg = swap("    http-request deny deny_status 400 if dot_segment\n", "", cfg)
    one("edge-admin-protected", cfg, needle)


def test_percent_encoded_admin() -> None:
    cfg = swap(ADMIN_DENY_REG, "    http-request deny deny_status 403 if { path -m reg -i ^/+admin } !internal\n")
    cfg = swap(ADMIN_DENY, "", cfg)
    one("edge-admin-protected", cfg, "/%61dmin")


def test_allow_before_deny() -> None:
    cfg = swap("    http-request track-sc0 src\n", "    http-request track-sc0 src\n    http-request allow\n")
    text = one("edge-admin-protected", cfg, "reaches /admin", "http-request allow")
    assert "haproxy.cfg:" in text


@pytest.mark.parametrize("condition", ["if FALSE", "if !TRUE", "unless TRUE", "if { always_false }",
                                       "unless { req.hdr(x-debug) -m found }"])
def test_deny_switched_off(condition: str) -> None:
    cfg = without_regex_admin(swap(ADMIN_DENY, f"    http-request deny deny_status 403 {condition}\n"))
    one("edge-admin-protected", cfg, "reaches /admin")


def test_set_src_from_client_header() -> None:
    cfg = swap("    http-request track-sc0 src\n",
               "    http-request set-src hdr_ip(x-forwarded-for)\n    http-request track-sc0 src\n")
    one("edge-admin-protected", cfg, "x-forwarded-for", "sets the source address from the client header")


def test_internal_cidrs_covering_the_internet() -> None:
    cfg = swap("acl internal src 10.0.0.0/8", "acl internal src 0.0.0.0/1 128.0.0.0/2 192.0.0.0/2")
    one("edge-admin-protected", cfg, "acl 'internal'", "cover the Internet", "0.0.0.0/1")


def test_internal_cidrs_split_over_lines() -> None:
    cfg = swap("acl internal src 10.0.0.0/8", "acl internal src 10.0.0.0/8\n    acl internal src 0.0.0.0/1\n"
                                             "    acl internal src 128.0.0.0/1")
    one("edge-admin-protected", cfg, "acl 'internal'", "cover the Internet")


def test_stats_page_on_public_listener() -> None:
    cfg = swap("    default_backend app\n", "    default_backend app\n    stats enable\n    stats uri /haproxy\n")
    one("edge-admin-protected", cfg, "stats page")


def test_mode_tcp_bypasses_http_rules() -> None:
    cfg = swap("frontend public_https\n", "frontend public_https\n    mode tcp\n")
    one("edge-admin-protected", cfg, "mode tcp")


def test_runtime_api_on_network() -> None:
    cfg = swap("stats socket /var/run/haproxy/admin.sock", "stats socket ipv4@0.0.0.0:9999")
    one("edge-admin-protected", cfg, "runtime API")


def test_unknown_condition_is_not_a_pass() -> None:
    cfg = without_regex_admin(swap(ADMIN_DENY, "    http-request deny if { path_beg -f /etc/haproxy/admin.lst }\n"))
    one("edge-admin-protected", cfg, "cannot prove", "path_beg -f /etc/haproxy/admin.lst")


def test_health_path_dropped() -> None:
    cfg = swap("path_beg /health /ready /metrics", "path_beg /health /ready")
    cfg = swap("(health|ready|metrics)", "(health|ready)", cfg)
    one("edge-health-not-public", cfg, "reaches /metrics", "listener 'public_https'")


def test_monitor_uri_on_public_listener() -> None:
    cfg = swap("    default_backend app\n", "    monitor-uri /healthz\n    default_backend app\n")
    one("edge-health-not-public", cfg, "/healthz", "monitor-uri")


def test_health_compliant_with_internal_only_listener() -> None:
    assert findings("edge-health-not-public", HAPROXY_CFG) == []
