"""The HAProxy edge cases that run through the real pack process (tests/policies/test_rules.py): one
compliant and one violating stack per rule. The per-spelling fixtures with messages are the test_*.py
modules beside this one (they call each rule directly, which is quicker)."""

from __future__ import annotations

from typing import Any

from tests.policies.fixtures import app_stack, cfg_replace, cfg_without, haproxy_configmap

Case = tuple[str, bool, list[dict[str, Any]]]


def edge(cfg: str) -> list[dict[str, Any]]:
    return app_stack(**{"haproxy-config": haproxy_configmap(cfg)})


EDGE_CASES: list[Case] = [
    ("edge-admin-protected", False, app_stack()),
    ("edge-admin-protected", True, edge(cfg_replace("acl internal src 10.0.0.0/8",
                                                    "acl internal hdr_ip(x-forwarded-for) 10.0.0.0/8"))),
    ("edge-admin-protected", True, edge(cfg_replace("acl internal src 10.0.0.0/8",
                                                    "acl internal src 0.0.0.0/1 128.0.0.0/1"))),
    ("edge-health-not-public", False, app_stack()),
    ("edge-health-not-public", True, edge(cfg_replace("    default_backend app\n",
                                                      "    monitor-uri /healthz\n    default_backend app\n"))),
    ("edge-https-only", False, app_stack()),
    ("edge-https-only", True, edge(cfg_replace("    http-request redirect scheme https code 301 unless { ssl_fc }\n",
                                               "    default_backend app\n"))),
    ("edge-tls-min-version", False, app_stack()),
    ("edge-tls-min-version", True, edge(cfg_replace("ssl-min-ver TLSv1.2", "ssl-min-ver TLSv1.0"))),
    ("edge-security-headers", False, app_stack()),
    ("edge-security-headers", True, edge(cfg_without("    http-response del-header Server\n"))),
    ("edge-rate-limit", False, app_stack()),
    ("edge-rate-limit", True, edge(cfg_without("    http-request deny deny_status 429 if { sc_http_req_rate(0) gt 100 }\n"))),
    ("edge-error-pages", False, app_stack()),
    ("edge-error-pages", True, edge(cfg_without("    errorfiles site-errors\n"))),
]
