"""The one place `haproxy.cfg` (admin userlist included) and its errorfiles are rendered from typed settings.

`settings_from_config` turns the stack config into `HaproxySettings`; `render` writes the config.
What must differ on a developer machine (listen addresses, server addresses, file paths, DNS) is a
field of `HaproxySettings`, so the live tests substitute values, never text.

Every directive here is accepted by both the pinned image (HAProxy 3.2 LTS) and Debian 12's
HAProxy 2.6 LTS, which the tests run (`haproxy -c` and a live instance). Directives newer than 2.6
(`crt-store`, stable `normalize-uri`) are avoided on purpose.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass

from components.config import Slot, StackConfig, TlsVersion
from components.conventions import METRICS_PATH
from components.edge.contract import HEALTH_PORT, HEALTH_URI, HTTP_PORT, HTTPS_PORT, METRICS_PORT, EdgeExposure
from components.monitoring.telemetry import edge_sampled_percent

CONFIG_DIR = "/usr/local/etc/haproxy"
CONFIG_FILE = f"{CONFIG_DIR}/haproxy.cfg"
ERRORS_DIR = f"{CONFIG_DIR}/errors"
TLS_DIR = "/etc/haproxy/tls"
CERT_FILE = f"{TLS_DIR}/site.pem"
"""The certificate chain. HAProxy loads the key from `site.pem.key` when the PEM holds none
(`ssl-load-extra-files` default), so a kubernetes.io/tls Secret mounts as is: no init step."""
KEY_FILE = f"{CERT_FILE}.key"
ADMIN_HASH_ENV = "HAPROXY_ADMIN_PASSWORD_HASH"
"""The admin password's crypt(3) hash reaches HAProxy only through this variable (from a Secret): the
userlist itself is part of haproxy.cfg, so the ConfigMap is the whole configuration the pack evaluates
and the container loads no second file. HAProxy expands `"${VAR}"` inside double quotes (2.6 and 3.2)."""
ADMIN_USERLIST = "edge_admins"
ADMIN_USER = "admin"

METRICS_URI = METRICS_PATH
BACKEND = "app"
HTTPS_FRONTEND = "public_https"

PROTECTED_PREFIXES: tuple[str, ...] = ("/health", "/ready", METRICS_PATH, "/admin")
"""Public requests under these prefixes get 403 unless they come from an internal CIDR."""
ADMIN_PREFIX = "/admin"

ERROR_STATUSES: dict[int, tuple[str, str]] = {
    400: ("Bad Request", "The request could not be understood."),
    403: ("Forbidden", "You are not allowed to access this resource."),
    405: ("Method Not Allowed", "This method is not allowed."),
    408: ("Request Timeout", "The request took too long to arrive."),
    429: ("Too Many Requests", "Too many requests. Please slow down and try again later."),
    500: ("Internal Server Error", "Something went wrong. Please try again later."),
    502: ("Bad Gateway", "The service is temporarily unavailable. Please try again later."),
    503: ("Service Unavailable", "The service is temporarily unavailable. Please try again later."),
    504: ("Gateway Timeout", "The service took too long to respond. Please try again later."),
}

# Mozilla "intermediate" TLS 1.2 suites (forward secrecy, AEAD only) and the TLS 1.3 suites.
TLS12_CIPHERS = ":".join((
    "ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES256-GCM-SHA384",
    "ECDHE-RSA-AES256-GCM-SHA384", "ECDHE-ECDSA-CHACHA20-POLY1305", "ECDHE-RSA-CHACHA20-POLY1305",
))
TLS13_CIPHERSUITES = "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256"

VERSION_REVEALING_HEADERS: tuple[str, ...] = (
    "Server", "X-Powered-By", "X-AspNet-Version", "X-AspNetMvc-Version", "X-Generator", "X-Runtime",
)

TRACEPARENT_PATTERN = "^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$"
"""A W3C trace-context version-00 `traceparent`: lower-case hex only, as the specification requires."""
TRACE_CONTEXT_HEADERS: tuple[str, ...] = ("tracestate", "baggage")
"""Ride along with a `traceparent`: kept only when the caller's `traceparent` is kept."""
SAMPLING_RESOLUTION = 1_000_000
"""`rand()` range of the sampling decision: parts per million, so 0.5 % is exact."""
LOG_FORMAT = (
    # HAProxy's `option httplog` fields, then the trace id the request was forwarded with.
    "%ci:%cp [%tr] %ft %b/%s %TR/%Tw/%Tc/%Tr/%Ta %ST %B %CC %CS %tsc %ac/%fc/%bc/%sc/%rc %sq/%bq "
    "%{+Q}r trace_id=%[var(txn.trace_id)]"
)

TIMEOUTS: dict[str, str] = {
    # Short request/connect timeouts shed slow clients; 30 s server timeout bounds a stuck backend.
    "connect": "5s", "client": "30s", "server": "30s", "http-request": "10s", "http-keep-alive": "10s",
    "queue": "5s", "tunnel": "1h", "check": "3s",
}


@dataclass(frozen=True, kw_only=True)
class SlotServer:
    slot: Slot
    address: str
    """`host:port` (a Service DNS name in the cluster, 127.0.0.1:<port> in the live tests)."""
    weight: int


@dataclass(frozen=True, kw_only=True)
class HaproxySettings:
    """Everything `haproxy.cfg` depends on."""

    hostname: str
    servers: tuple[SlotServer, ...]
    readiness_path: str
    tls_min_version: TlsVersion
    rate_limit_requests: int
    rate_limit_window_seconds: int
    internal_cidrs: tuple[str, ...]
    trusted_proxy_cidrs: tuple[str, ...] = ()
    """Front-door sources whose last X-Forwarded-For entry is taken as the client address."""
    protected_prefixes: tuple[str, ...] = PROTECTED_PREFIXES
    admin_auth: bool = True
    max_connections: int = 10000
    nbthread: int = 2
    content_security_policy: str = "default-src 'self'; frame-ancestors 'none'"
    hsts_max_age_seconds: int = 63_072_000
    check_interval_seconds: int = 2
    check_fall: int = 3
    check_rise: int = 2
    trace_sampled_percent: float = 100.0
    """Share (%) of the trace contexts the edge starts with the sampled flag set (the app's
    parent-based sampler follows it); 0 sets it on none."""
    # What differs between a pod and a developer machine:
    http_bind: str = f"*:{HTTP_PORT}"
    https_bind: str = f"*:{HTTPS_PORT}"
    metrics_bind: str = f"*:{METRICS_PORT}"
    health_bind: str = f"*:{HEALTH_PORT}"
    certificate_file: str = CERT_FILE
    errors_dir: str = ERRORS_DIR
    cluster_dns: bool = True
    """Resolve server names through the pod's resolv.conf nameserver (kube-dns) at run time."""


def slot_address(service: str, namespace: str, port: int, cluster_domain: str = "cluster.local") -> str:
    return f"{service}.{namespace}.svc.{cluster_domain}:{port}"


def settings_from_config(
    config: StackConfig,
    exposure: EdgeExposure,
    *,
    namespace: str,
    services: Mapping[Slot, str],
    port: int,
) -> HaproxySettings:
    """The cluster's settings: one server per slot Service, weighted by the active slot and canary."""
    edge = config.edge
    app = config.app
    probe_paths = (app.probes.readiness_path, app.probes.liveness_path)
    protected = PROTECTED_PREFIXES + tuple(
        p for p in probe_paths if not any(p.lower().startswith(prefix) for prefix in PROTECTED_PREFIXES)
    )
    return HaproxySettings(
        hostname=edge.hostname,
        servers=tuple(
            SlotServer(
                slot=slot,
                address=slot_address(services[slot], namespace, port, edge.cluster_domain),
                weight=app.slot_weight(slot),
            )
            # The active slot first: it is the one a reader looks for.
            for slot in (app.active_slot, app.inactive_slot)
        ),
        readiness_path=app.probes.readiness_path,
        tls_min_version=edge.tls.min_version,
        rate_limit_requests=edge.rate_limit.requests,
        rate_limit_window_seconds=edge.rate_limit.window_seconds,
        internal_cidrs=tuple(edge.internal_cidrs),
        trusted_proxy_cidrs=tuple(exposure.trusted_proxy_cidrs),
        protected_prefixes=protected,
        admin_auth=edge.admin_auth,
        max_connections=edge.max_connections,
        nbthread=edge.nbthread,
        content_security_policy=edge.content_security_policy,
        hsts_max_age_seconds=edge.hsts_max_age_seconds,
        check_interval_seconds=edge.health_check.interval_seconds,
        check_fall=edge.health_check.fall,
        check_rise=edge.health_check.rise,
        trace_sampled_percent=edge_sampled_percent(config),
    )


def _prefix_regex(prefixes: tuple[str, ...]) -> str:
    # Matched on the URL-decoded path, case-insensitively, tolerating repeated slashes and `./`
    # segments, so `//Admin` or `/%61dmin` cannot slip past the prefix check.
    names = "|".join(re.escape(p.lstrip("/")) for p in prefixes)
    return f"'^/+(\\./+)*({names})'"


def security_headers(settings: HaproxySettings) -> list[tuple[str, str]]:
    return [
        ("Strict-Transport-Security", f"max-age={settings.hsts_max_age_seconds}; includeSubDomains"),
        ("X-Content-Type-Options", "nosniff"),
        ("X-Frame-Options", "DENY"),
        ("Referrer-Policy", "strict-origin-when-cross-origin"),
        ("Content-Security-Policy", settings.content_security_policy),
        ("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=(), usb=()"),
        ("Cross-Origin-Opener-Policy", "same-origin"),
    ]


def _response_header_rules(settings: HaproxySettings) -> list[str]:
    # http-after-response also covers answers HAProxy makes itself (403, 429, 503, redirects).
    lines = [f'http-after-response set-header {name} "{value}"' for name, value in security_headers(settings)]
    lines += [f"http-after-response del-header {name}" for name in VERSION_REVEALING_HEADERS]
    return lines


def _sampled_flag(percent: float) -> str:
    """A sample expression that is 1 on `percent` % of requests, else 0. Arithmetic converters, not
    an ACL on `rand`: the choice shows up only in a header, never in a rule's condition."""
    if percent <= 0:
        return "bool(false)"
    threshold = min(SAMPLING_RESOLUTION, max(1, round(percent * SAMPLING_RESOLUTION / 100)))
    # rand(N) / threshold is 0 exactly when rand(N) < threshold.
    return f"rand({SAMPLING_RESOLUTION}),div({threshold}),bool,not"


def _front_door_health_rules() -> list[str]:
    """HEALTH_URI answered on the public listener for a front door that can only probe over TLS
    (an Application Gateway's probe must use its backend's protocol)."""
    return [
        f"http-request set-log-level silent if from_front_door {{ path {HEALTH_URI} }}",
        f'http-request return status 200 content-type text/plain string "ok" if from_front_door {{ path {HEALTH_URI} }}',
    ]


def trace_context_rules(settings: HaproxySettings) -> list[str]:
    """Start a W3C trace context for every forwarded request.

    A caller's `traceparent` is kept only when it comes from an internal CIDR, is the single such
    header, is well formed and names a non-zero trace and parent; its `tracestate` and `baggage`
    go with it. From anyone else all three are replaced or dropped: an Internet client must not pick
    the trace id, force sampling or inject baggage. Runs after `set-src`, so behind a front door the
    real client is judged. Only `uuid`, `rand`, `regsub`, `bytes` and `field` are used: HAProxy 2.6
    and 3.2 both have them.
    """
    uuid_hex = "uuid,regsub(-,,g)"
    kept = "trace_context_kept"
    return [
        "acl trace_context_single req.fhdr_cnt(traceparent) eq 1",
        f"acl trace_context_valid req.fhdr(traceparent) -m reg {TRACEPARENT_PATTERN}",
        "acl trace_context_zero req.fhdr(traceparent) -m reg ^00-(0{32}-|[0-9a-f]{32}-0{16}-)",
        f"acl {kept} var(txn.trace_kept) -m bool",
        "http-request set-var(txn.trace_kept) bool(true) "
        "if internal_client trace_context_single trace_context_valid !trace_context_zero",
        f"http-request set-var(txn.trace_id) req.fhdr(traceparent),field(2,-) if {kept}",
        *(f"http-request del-header {name} unless {kept}" for name in TRACE_CONTEXT_HEADERS),
        # A version-4 UUID is 122 random bits and never all zero (its version nibble is 4).
        f"http-request set-var(txn.trace_id) {uuid_hex} unless {kept}",
        f"http-request set-var(txn.parent_id) {uuid_hex},bytes(0,16) unless {kept}",
        f"http-request set-var(txn.trace_sampled) {_sampled_flag(settings.trace_sampled_percent)} unless {kept}",
        "http-request set-header traceparent "
        f"00-%[var(txn.trace_id)]-%[var(txn.parent_id)]-0%[var(txn.trace_sampled)] unless {kept}",
    ]


def _section(header: str, lines: list[str]) -> str:
    return "\n".join([header, *(f"    {line}" for line in lines)]) + "\n"


def render(settings: HaproxySettings) -> str:
    """The complete haproxy.cfg."""
    window = f"{settings.rate_limit_window_seconds}s"
    min_version = settings.tls_min_version.value
    trusted = bool(settings.trusted_proxy_cidrs)
    sections: list[str] = ["# Generated by components/edge/haproxy.py from the stack config; do not edit.\n"]

    sections.append(_section("global", [
        "log stdout format raw local0 info",
        f"maxconn {settings.max_connections}",
        f"nbthread {settings.nbthread}",
        "hard-stop-after 30s",
        f"ssl-default-bind-options ssl-min-ver {min_version} no-tls-tickets",
        f"ssl-default-bind-ciphers {TLS12_CIPHERS}",
        f"ssl-default-bind-ciphersuites {TLS13_CIPHERSUITES}",
    ]))

    if settings.cluster_dns:
        # The pod's resolv.conf names kube-dns; re-resolving follows Service changes without a reload.
        sections.append(_section("resolvers cluster", [
            "parse-resolv-conf",
            "resolve_retries 3",
            "timeout resolve 1s",
            "timeout retry 1s",
            "hold valid 10s",
            "hold obsolete 30s",
            "accepted_payload_size 8192",
        ]))

    defaults = [
        "mode http",
        "log global",
        "option httplog",
        "option dontlognull",
        "option forwardfor if-none",
        # A refused connection is retried on the other slot instead of failing the request.
        "option redispatch 1",
        "retries 3",
        "retry-on conn-failure",
        f"maxconn {settings.max_connections}",
        *(f"timeout {name} {value}" for name, value in TIMEOUTS.items()),
        *(f"errorfile {status} {settings.errors_dir}/{status}.http" for status in ERROR_STATUSES),
    ]
    sections.append(_section("defaults", defaults))

    client = []
    if trusted:
        cidrs = " ".join(settings.trusted_proxy_cidrs)
        client += [
            f"acl from_front_door src {cidrs}",
            # Only the front door's own (last) X-Forwarded-For entry is believed.
            "http-request set-src hdr_ip(x-forwarded-for,-1) if from_front_door { req.hdr_cnt(x-forwarded-for) gt 0 }",
            "http-request del-header X-Forwarded-For unless from_front_door",
        ]
    else:
        client += ["http-request del-header X-Forwarded-For"]
    client += ["http-request del-header Forwarded", "http-request del-header X-Real-IP"]

    rate_limit = [
        f"http-request track-sc0 src table {HTTPS_FRONTEND}",
        f"http-request deny deny_status 429 if {{ sc_http_req_rate(0) gt {settings.rate_limit_requests} }}",
    ]

    sections.append(_section("frontend public_http", [
        f"bind {settings.http_bind}",
        # Plaintext is only ever redirected: nothing on this port reaches a backend.
        *client,
        *rate_limit,
        "http-request redirect scheme https code 301",
        *_response_header_rules(settings),
    ]))

    https = [
        f"bind {settings.https_bind} ssl crt {settings.certificate_file} alpn h2,http/1.1",
        f'log-format "{LOG_FORMAT}"',
        f"stick-table type ipv6 size 1m expire {window} store http_req_rate({window})",
        f"acl internal_client src {' '.join(settings.internal_cidrs)}",
        f"acl protected_path path,url_dec -m reg -i {_prefix_regex(settings.protected_prefixes)}",
        f"acl admin_path path,url_dec -m reg -i {_prefix_regex((ADMIN_PREFIX,))}",
        "acl dot_segment path,url_dec -m reg '(^|/)\\.\\.?(/|$)'",
        *client,
        # The front door's own health probe (no X-Forwarded-For, so its address is still the source)
        # gets HAProxy's answer, as on the health port: every front door judges HAProxy, not the app
        # behind it (HAProxy health-checks the slots itself). A relayed client never gets here.
        *(_front_door_health_rules() if trusted else []),
        # Before any deny: every log line of this frontend carries a trace id.
        *trace_context_rules(settings),
        *rate_limit,
        "http-request deny deny_status 400 if dot_segment",
        "http-request deny deny_status 403 if protected_path !internal_client",
    ]
    if settings.admin_auth:
        https += [
            f"http-request auth realm orchestrator-admin if admin_path !{{ http_auth({ADMIN_USERLIST}) }}",
            # The edge credential is not the application's business.
            "http-request del-header Authorization if admin_path",
        ]
    https += [
        "http-request set-header X-Forwarded-Proto https",
        *_response_header_rules(settings),
        f"default_backend {BACKEND}",
    ]
    sections.append(_section(f"frontend {HTTPS_FRONTEND}", https))

    sections.append(_section("frontend internal_metrics", [
        f"bind {settings.metrics_bind}",
        # Reachable only through the NetworkPolicy (monitoring namespace).
        "http-request set-log-level silent",
        f"http-request use-service prometheus-exporter if {{ path {METRICS_URI} }}",
        "http-request return status 404",
    ]))
    sections.append(_section("frontend internal_health", [
        f"bind {settings.health_bind}",
        # Kubelet probes and the front door's health checks: HAProxy is up, nothing more is told.
        "http-request set-log-level silent",
        f"monitor-uri {HEALTH_URI}",
        "http-request return status 404",
    ]))

    server_options = [
        "check",
        f"inter {settings.check_interval_seconds}s",
        f"fall {settings.check_fall}",
        f"rise {settings.check_rise}",
    ]
    if settings.cluster_dns:
        server_options += ["resolvers cluster", "resolve-prefer ipv4", "init-addr last,libc,none"]
    sections.append(_section(f"backend {BACKEND}", [
        "balance roundrobin",
        "option httpchk",
        f"http-check send meth GET uri {settings.readiness_path} ver HTTP/1.1 hdr Host {settings.hostname}",
        "http-check expect status 200",
        f"default-server {' '.join(server_options)}",
        # Weight 0 keeps a slot health-checked but idle (no canary traffic).
        *(f"server {s.slot.value} {s.address} weight {s.weight}" for s in settings.servers),
    ]))
    if settings.admin_auth:
        sections.append(admin_userlist())
    return "\n".join(sections)


def errorfiles(settings: HaproxySettings) -> dict[str, str]:
    """`<status>.http` -> a complete HTTP response that names nothing about the backend."""
    files: dict[str, str] = {}
    for status, (reason, text) in ERROR_STATUSES.items():
        body = (
            "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{status} {reason}</title></head>\n<body><h1>{reason}</h1><p>{text}</p></body></html>\n"
        )
        headers = [
            f"HTTP/1.1 {status} {reason}",
            "Content-Type: text/html; charset=utf-8",
            f"Content-Length: {len(body.encode())}",
            "Cache-Control: no-store",
            "Connection: close",
        ]
        if status == 429:
            headers.append(f"Retry-After: {settings.rate_limit_window_seconds}")
        files[f"{status}.http"] = "\r\n".join(headers) + "\r\n\r\n" + body
    return files


def admin_userlist() -> str:
    """The admin userlist: the hash (crypt(3), e.g. pulumi-random's bcrypt_hash) is read from ADMIN_HASH_ENV
    when HAProxy parses the configuration; the text holds no credential."""
    return _section(f"userlist {ADMIN_USERLIST}", [f'user {ADMIN_USER} password "${{{ADMIN_HASH_ENV}}}"'])


def checksum(*texts: str) -> str:
    """sha256 over the given texts (the pod template annotation that rolls pods on a change)."""
    digest = hashlib.sha256()
    for text in texts:
        digest.update(text.encode())
    return digest.hexdigest()


def errorfiles_checksum(files: Mapping[str, str]) -> str:
    return checksum(*(f"{name}\0{files[name]}" for name in sorted(files)))
