"""The HAProxy rules, good and bad, per rule: each bad configuration is one other spelling of an insecure edge
and its finding must name the listener, the directive and the line (haproxy.cfg:N) or the value at fault.
Run through the real pack by test_haproxy_fixtures.py; the same spellings on the shipped exports are the
mutation operators in tests/policies/mutants/ops_edge.py."""

from __future__ import annotations

from typing import Any

from tests.policies.fixtures import HAPROXY_CFG, app_stack, haproxy_configmap
from tests.policies.kubernetes.model import Fixture, bad, good

CONFIGMAP = "edge-config"
HTTPS_BIND = "    bind :8443 ssl crt /etc/haproxy/certs/tls.pem alpn h2,http/1.1\n"
HTTPS = "frontend public_https\n"
REDIRECT = "    http-request redirect scheme https code 301 unless { ssl_fc }\n"
ADMIN_DENY = "    http-request deny deny_status 403 if { path_beg /admin } !internal\n"
ADMIN_DENY_2 = "    http-request deny deny_status 403 if admin_path !internal\n"
RATE = "    http-request deny deny_status 429 if { sc_http_req_rate(0) gt 100 }\n"
TRACK = "    http-request track-sc0 src\n"
HSTS = '    http-response set-header Strict-Transport-Security "max-age=63072000; includeSubDomains"\n'
BACKEND = "    default_backend app\n"


def edge(cfg: str) -> list[dict[str, Any]]:
    return app_stack(**{"haproxy-config": haproxy_configmap(cfg)})


def swap(*pairs: str, cfg: str = HAPROXY_CFG) -> str:
    """`cfg` with each (old, new) pair replaced once; every `old` must be there."""
    for old, new in zip(pairs[::2], pairs[1::2], strict=True):
        assert old in cfg, old
        cfg = cfg.replace(old, new, 1)
    return cfg


def line(cfg: str, text: str) -> str:
    """`haproxy.cfg:N` of the first line containing `text` (messages cite lines this way)."""
    number = next(n for n, raw in enumerate(cfg.split("\n"), start=1) if text in raw)
    return f"haproxy.cfg:{number}"


def case(rule: str, cfg: str, ident: str, *message: str) -> Fixture:
    """A bad configuration whose message must contain `message` (joined), or a good one when none is given."""
    if not message:
        return good(rule, edge(cfg), f"{rule}-{ident}")
    return bad(rule, edge(cfg), CONFIGMAP, "".join(message), f"{rule}-{ident}")


ADMIN, HEALTH, HTTPS_ONLY, TLS = "edge-admin-protected", "edge-health-not-public", "edge-https-only", "edge-tls-min-version"
HEADERS, RATE_LIMIT = "edge-security-headers", "edge-rate-limit"
NO_ADMIN_DENY = swap(ADMIN_DENY, "", ADMIN_DENY_2, "")
ALLOW_FIRST = swap(HTTPS_BIND, HTTPS_BIND + "    http-request allow if { path_beg /admin }\n")
SET_SRC = swap(HTTPS_BIND, HTTPS_BIND + "    http-request set-src hdr_ip(x-forwarded-for,-1)\n")
PROXY = swap(HTTPS_BIND, HTTPS_BIND.rstrip("\n") + " accept-proxy\n")
REWRITE = swap(ADMIN_DENY_2, ADMIN_DENY_2 + "    http-request replace-path /static(/.*) \\1\n")
SOCKET = swap("stats socket /var/run/haproxy/admin.sock mode 600 level admin",
              "stats socket edge-admin.example.com:9999 level admin")
IF_ZERO = swap("    http-request deny deny_status 404 if protected_path !internal\n",
               ".if 0\n    http-request deny deny_status 404 if protected_path !internal\n.endif\n",
               "    http-request deny deny_status 404 if { path_beg /health /ready /metrics } !internal\n", "")
IF_ONE = swap("    http-request deny deny_status 404 if protected_path !internal\n",
              ".if 1 && !0\n    http-request deny deny_status 404 if protected_path !internal\n.else\n"
              "    http-request allow\n.endif\n")
XFF_ACL = swap("acl internal src 10.0.0.0/8", "acl internal hdr_ip(x-forwarded-for) 10.0.0.0/8")
UA_BYPASS = swap("if protected_path !internal\n", "if protected_path !internal !{ req.hdr(user-agent) -m sub kube-probe }\n",
               "    http-request deny deny_status 404 if { path_beg /health /ready /metrics } !internal\n", "")
SECOND_GLOBAL = HAPROXY_CFG + "\nglobal\n    ssl-default-bind-options ssl-min-ver TLSv1.1\n"
TWICE = swap(HTTPS_BIND, HTTPS_BIND.rstrip("\n") + " ssl-min-ver TLSv1.2 ssl-min-ver TLSv1.0\n")
HIGH = swap("ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:!aNULL", "HIGH:!aNULL:!MD5")
NO_CIPHERS = swap("    ssl-default-bind-ciphers ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:!aNULL\n", "")
STATIC_RSA = swap("ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:!aNULL", "AES128-GCM-SHA256")
CRT_LIST = swap("crt /etc/haproxy/certs/tls.pem", "crt-list /etc/haproxy/certs/list.txt")
DEL_PREFIX = swap(BACKEND, "    http-response del-header Strict -m beg\n" + BACKEND)
REPLACE = swap(BACKEND, "    http-response replace-value Strict-Transport-Security max-age=[0-9]+ max-age=0\n" + BACKEND)
REPLACE_MISS = swap(BACKEND, "    http-response replace-value Strict-Transport-Security max-age=1[0-9]+ max-age=0\n"
                    + BACKEND)
DUPLICATE = swap("max-age=63072000;", "max-age=63072000; max-age=0;")
ALLOWALL = swap("    http-response set-header X-Frame-Options DENY\n", "    http-response set-header X-Frame-Options ALLOWALL\n")
UNSAFE = swap("Referrer-Policy no-referrer", "Referrer-Policy unsafe-url")
QUOTED = swap("max-age=63072000", 'MAX-AGE=\\"63072000\\"')
EXPIRE = swap("expire 10s", "expire 1ms")
TINY = swap("size 1m", "size 100")
PERIOD = swap("http_req_rate(10s)", "http_req_rate(1ms)")
RETURN_429 = swap(RATE, '    http-request return status 429 content-type text/plain string "slow down" if '
                        '{ sc_http_req_rate(0) gt 100 }\n')
PARTNER = swap(RATE, "    http-request deny deny_status 429 if { sc_http_req_rate(0) gt 100 } !{ req.hdr(x-partner) -m found }\n")

CSP = swap("Content-Security-Policy \"default-src 'self'\"",
           "Content-Security-Policy \"default-src 'self'; script-src 'self' 'unsafe-inline'\"")
CSP_NONCE = swap("Content-Security-Policy \"default-src 'self'\"",
                 "Content-Security-Policy \"default-src 'self'; script-src 'nonce-r4nd' 'unsafe-inline'\"")
STATS_AUTH = HAPROXY_CFG + "\nlisten stats_ui\n    bind 127.0.0.1:9000\n    mode http\n    stats enable\n" \
                           "    stats auth admin:s3cret\n"
LITERAL_HASH = HAPROXY_CFG + "\nuserlist admins\n    user admin password $6$salt$0123456789abcdef\n"
ENV_HASH = HAPROXY_CFG + '\nuserlist admins\n    user admin password "${ADMIN_HASH}"\n'
MONITOR_DEFAULTS = swap("defaults\n", "defaults\n    monitor-uri /healthz\n")
PLAIN_API = swap(REDIRECT, REDIRECT.replace("unless { ssl_fc }", "unless { ssl_fc } || { path_beg /api/ }")
                 + "    use_backend app if { path_beg /api/ }\n")

FIXTURES: list[Fixture] = [
    # edge-admin-protected: who reaches /admin, and how
    case(ADMIN, HAPROXY_CFG, "shipped-shape"),
    case(ADMIN, ALLOW_FIRST, "allow-first", "listener 'public_https' (*:8443, ", line(ALLOW_FIRST, "bind :8443"),
         "): a public client reaches /admin"),
    case(ADMIN, NO_ADMIN_DENY.replace("    default_backend app\n", "    http-request auth if { path_beg /admin } "
                                      "!{ http_auth(admins) }\n    default_backend app\n", 1), "password-only",
         "reaches /admin with valid HTTP credentials (only a password stands in the way)"),
    case(ADMIN, SET_SRC, "set-src-from-header", line(SET_SRC, "set-src"),
         " sets the source address from the client header hdr_ip(x-forwarded-for,-1)"),
    case(ADMIN, XFF_ACL, "internal-by-header", "with forwarded, true-client-ip, x-client-ip, x-forwarded-for, "
         "x-forwarded-port, x-forwarded-proto, x-forwarded-ssl, x-real-ip set by the client (claiming '10.0.0.1')"),
    case(ADMIN, PROXY, "proxy-protocol", "comes from a PROXY protocol header the client sends (accept-proxy on ",
         line(PROXY, "accept-proxy"), ")"),
    case(ADMIN, REWRITE, "rewrite-after-check", "may reach /admin: ", "cannot evaluate '{ path_beg /health /ready /metrics } "
         "!internal' after the path is rewritten by ", line(REWRITE, "replace-path"), " (replace-path)"),
    case(ADMIN, SOCKET, "runtime-api-hostname", "the runtime API ('stats socket edge-admin.example.com:9999', level admin, ",
         line(SOCKET, "stats socket"), ") listens on a network address"),
    case(ADMIN, swap("    stats socket /var/run/haproxy/admin.sock mode 600 level admin\n",
                     "    stats socket ipv4@127.0.0.1:9999 level admin\n    stats socket abns@admin level admin\n"),
         "runtime-api-local"),
    case(ADMIN, STATS_AUTH, "stats-auth-literal", "'stats auth admin:...' (", line(STATS_AUTH, "stats auth"),
         ") writes a stats password into the configuration"),
    case(ADMIN, LITERAL_HASH, "literal-password-hash", "userlist 'admins' (", line(LITERAL_HASH, "$6$"),
         ") writes the password hash of user 'admin' into the configuration"),
    case(ADMIN, ENV_HASH, "password-hash-from-environment"),
    # edge-health-not-public
    case(HEALTH, HAPROXY_CFG, "shipped-shape"),
    case(HEALTH, MONITOR_DEFAULTS, "monitor-uri-inherited", "reaches /healthz: answered 200 by monitor-uri (",
         line(MONITOR_DEFAULTS, "monitor-uri"), ")"),
    case(HEALTH, IF_ZERO, "if-zero-drops-deny", "listener 'public_https' (*:8443, ", line(IF_ZERO, "bind :8443"),
         "): a public client reaches /health"),
    case(HEALTH, IF_ONE, "if-one-keeps-deny"),
    case(HEALTH, UA_BYPASS, "client-header-bypass", "reaches /health with user-agent set by the client (claiming "
         "'kube-probe')"),
    # edge-https-only
    case(HTTPS_ONLY, HAPROXY_CFG, "shipped-shape"),
    case(HTTPS_ONLY, swap(REDIRECT, REDIRECT.replace("unless { ssl_fc }", "if { always_false }") + BACKEND),
         "redirect-always-false", "plaintext listener 'public_http' (*:8080, haproxy.cfg:"),
    case(HTTPS_ONLY, swap(HTTPS_BIND, HTTPS_BIND + "    bind ipv4@:8081\n"), "plain-bind-in-tls-frontend",
         "plaintext listener 'public_https' (*:8081, ", line(swap(HTTPS_BIND, HTTPS_BIND + "    bind ipv4@:8081\n"),
                                                             "8081"), ") does not only redirect"),
    case(HTTPS_ONLY, swap(HTTPS_BIND, HTTPS_BIND + "    bind unix@/var/run/edge.sock\n    bind 127.0.0.1:8081\n"),
         "local-sockets-are-not-listeners"),
    case(HTTPS_ONLY, PLAIN_API, "path-the-config-singles-out", "plaintext listener 'public_http' (*:8080, ",
         line(PLAIN_API, "bind :8080"), ") does not only redirect to HTTPS: /api/ is forwarded to backend 'app'"),
    # edge-tls-min-version
    case(TLS, HAPROXY_CFG, "shipped-shape"),
    case(TLS, SECOND_GLOBAL, "second-global-section", "accepts TLS below TLSv1.2: TLSv1.1 through "
         "'ssl-min-ver TLSv1.1' (", line(SECOND_GLOBAL, "TLSv1.1"), ")"),
    case(TLS, TWICE, "last-option-wins", "TLSv1.0 through 'ssl-min-ver TLSv1.0' (bind line ", line(TWICE, "TLSv1.0"), ")"),
    case(TLS, HIGH, "cipher-class", "allows weak ciphers HIGH through ssl-default-bind-ciphers (", line(HIGH, "HIGH"),
         ")"),
    case(TLS, STATIC_RSA, "no-forward-secrecy", "allows weak ciphers AES128-GCM-SHA256"),
    case(TLS, NO_CIPHERS, "no-cipher-list", "sets no cipher list"),
    case(TLS, CRT_LIST, "crt-list", "loads certificates from crt-list /etc/haproxy/certs/list.txt"),
    case(TLS, swap(HTTPS_BIND, HTTPS_BIND.rstrip("\n") + " no-sslv3 no-tlsv10 no-tlsv11\n",
                   "ssl-min-ver TLSv1.2 no-tls-tickets", "no-tls-tickets"), "floor-by-exclusions"),
    # edge-security-headers
    case(HEADERS, HAPROXY_CFG, "shipped-shape"),
    case(HEADERS, DEL_PREFIX, "deleted-by-prefix", "does not always send Strict-Transport-Security: deleted by "
         "'http-response del-header Strict -m beg' on ", line(DEL_PREFIX, "-m beg")),
    case(HEADERS, REPLACE, "replace-value", "HSTS is ineffective: max-age=0 is below 31536000 s (rewritten by "
         "'replace-value Strict-Transport-Security max-age=[0-9]+ max-age=0' on ", line(REPLACE, "replace-value")),
    case(HEADERS, REPLACE_MISS, "replace-value-not-matching"),
    case(HEADERS, DUPLICATE, "repeated-directive", "repeats max-age, so browsers ignore the header"),
    case(HEADERS, ALLOWALL, "frame-allowall", "does not protect against framing: X-Frame-Options is 'ALLOWALL' "
         "(set on ", line(ALLOWALL, "ALLOWALL"), ")"),
    case(HEADERS, UNSAFE, "referrer-unsafe", "sets Referrer-Policy to 'unsafe-url'"),
    case(HEADERS, QUOTED, "quoted-and-upper-case-max-age"),
    case(HEADERS, CSP, "csp-inline-scripts", "sets a Content-Security-Policy that does not restrict scripts: script-src "
         "allows 'unsafe-inline' (set on ", line(CSP, "unsafe-inline"), ")"),
    case(HEADERS, CSP_NONCE, "csp-nonce-overrides-inline"),
    # edge-rate-limit
    case(RATE_LIMIT, HAPROXY_CFG, "shipped-shape"),
    case(RATE_LIMIT, RETURN_429, "return-429"),
    case(RATE_LIMIT, EXPIRE, "expire-before-period", "stick-table 'public_https' (", line(EXPIRE, "stick-table"),
         ") expires entries after 1ms, sooner than the rate period it measures (10 s)"),
    case(RATE_LIMIT, TINY, "tiny-table", "holds only 100 entries (size 100)"),
    case(RATE_LIMIT, PERIOD, "tiny-period", "stores http_req_rate(1ms), a period of 0.001 s"),
    case(RATE_LIMIT, PARTNER, "client-header-exemption", "for / with x-partner set by the client"),
    case(RATE_LIMIT, swap(TRACK, "    tcp-request content track-sc0 src\n"), "tracked-by-tcp-request"),
]
