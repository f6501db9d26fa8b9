"""Edge rules: the generated HAProxy config (read from its ConfigMap), the AWS ALB listeners and the
Azure Application Gateway. HAProxy is checked by what it does with a request, not by spelling."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from pulumi_policy import Severity

from .common import Meta, Resource, get, is_private_network, items, mapping, number, resource_rule
from .haproxy import Config, Request, Section, binds, is_public, public_requests, walk
from .k8s import CONFIGMAP

ALB_LISTENERS = ("aws:lb/listener:Listener", "aws:alb/listener:Listener")
APP_GATEWAY = "azure-native:network:ApplicationGateway"
HAPROXY_KEY = "haproxy.cfg"


def haproxy_config(resource: Resource) -> Config | None:
    text = get(resource.props, "data", HAPROXY_KEY)
    if not isinstance(text, str):
        return None
    return Config.parse(text)


def public_frontends(config: Config) -> list[Section]:
    return [f for f in config.frontends() if is_public(f)]


def _blocked(config: Config, frontend: Section, path: str) -> Iterator[str]:
    """Why a public client can reach `path` through the frontend (nothing when every way is blocked)."""
    for request in public_requests(config, path):
        outcome = walk(config, frontend, request)
        if outcome.action in ("deny", "auth"):
            continue
        if outcome.action == "return" and (outcome.status or 200) >= 400:
            continue
        if outcome.action == "redirect" and not any(b.ssl for b in binds(frontend)):
            continue  # the plaintext frontend only redirects to HTTPS; the TLS frontend is checked itself
        via = "" if request.src.startswith("198.51.100.") else f" via the trusted proxy {request.src}"
        if outcome.unknown:
            yield f"frontend '{frontend.name}': cannot prove {path} is denied to public clients{via} ({outcome.unknown})"
        else:
            what = outcome.detail or outcome.action
            yield f"frontend '{frontend.name}' lets a public client reach {path}{via} ({outcome.action}: {what})"


admin = Meta(
    name="edge-admin-protected",
    description="HAProxy serves /admin* only to internal addresses (and authenticated clients); no public stats page.",
    severity=Severity.CRITICAL,
    categories=("AA",),
    references=("security audit: admin endpoints protected", "OWASP ASVS V4.3"),
    remediation="Deny `/admin` on the public frontend unless the (proxy-corrected) source is in an internal CIDR, "
                "e.g. `http-request deny deny_status 403 if { path_beg /admin } !{ src 10.0.0.0/8 }`; bind the "
                "stats page and runtime API to loopback or a unix socket.",
)


@resource_rule(admin, (CONFIGMAP,))
def edge_admin_protected(resource: Resource) -> Iterator[str]:
    config = haproxy_config(resource)
    if config is None:
        return
    for frontend in public_frontends(config):
        for path in ("/admin", "/admin/", "/admin/users"):
            yield from _blocked(config, frontend, path)
        defaults = config.defaults_for(frontend)
        for section in (defaults, frontend):
            if section is not None and (section.first("stats", "enable") or section.first("stats", "uri")):
                yield f"the HAProxy stats page is enabled on public frontend '{frontend.name}'"
    for words in config.global_.directives("stats", "socket"):
        target = words[2] if len(words) > 2 else ""
        if target.startswith(("ipv4@", "ipv6@", "tcp@")) or re.match(r"^[0-9.:*]+:[0-9]+$", target):
            host = target.split("@", 1)[-1].rsplit(":", 1)[0]
            if host not in ("127.0.0.1", "localhost", "[::1]", "::1"):
                yield f"the runtime API (stats socket {target}) listens on a network address"
    for words in (w for s in config.sections for w in s.lines if w[:1] == ["acl"]):
        if len(words) > 3 and words[2] == "src" and any(w in ("0.0.0.0/0", "::/0") for w in words[3:]):
            yield f"acl {words[1]} treats the whole Internet as a trusted source"
        elif len(words) > 3 and words[2] == "src" and "admin" in words[1].lower():
            public = [w for w in words[3:] if not w.startswith("-") and "/" in w and not is_private_network(w)]
            if public:
                yield f"acl {words[1]} admits public ranges {', '.join(public)}"


health = Meta(
    name="edge-health-not-public",
    description="HAProxy denies /health*, /ready* and /metrics to public clients.",
    severity=Severity.HIGH,
    categories=("HE",),
    references=("security audit: health endpoint not publicly accessible",),
    remediation="On the public frontend, deny the health, readiness and metrics paths unless the source is internal; "
                "serve Prometheus from a separate frontend bound to an internal port.",
    config={"paths": {"type": "array", "items": {"type": "string"},
                      "default": ["/health", "/healthz", "/health/live", "/ready", "/readyz", "/metrics"],
                      "description": "Paths that must not be reachable from the Internet."}},
)


@resource_rule(health, (CONFIGMAP,))
def edge_health_not_public(resource: Resource) -> Iterator[str]:
    config = haproxy_config(resource)
    if config is None:
        return
    for frontend in public_frontends(config):
        for path in items(resource.config.get("paths")):
            yield from _blocked(config, frontend, str(path))


https = Meta(
    name="edge-https-only",
    description="Plain HTTP is only redirected to HTTPS: no plaintext listener forwards traffic.",
    severity=Severity.CRITICAL,
    categories=("TS",),
    references=("Pulumi compliance-policies disallow-unencrypted-traffic", "AWSGuard alb-http-to-https-redirection",
                "CKV2_AWS_20", "CKV_AWS_2"),
    remediation="HAProxy: `http-request redirect scheme https code 301 unless { ssl_fc }` on the port-80 frontend. "
                "ALB: the HTTP listener's default action redirects to HTTPS. Application Gateway: the HTTP listener's "
                "routing rule uses a redirect configuration.",
)


def _app_gateway_names(value: Any) -> str:
    """`.../httpListeners/<name>` ARM ids or plain names -> name."""
    return str(get(value, "id", default=value) or "").rstrip("/").rsplit("/", 1)[-1]


@resource_rule(https, (CONFIGMAP, *ALB_LISTENERS, APP_GATEWAY))
def edge_https_only(resource: Resource) -> Iterator[str]:
    if resource.type in ALB_LISTENERS:
        if str(get(resource.props, "protocol", default="HTTP")).upper() == "HTTP":
            actions = items(get(resource.props, "defaultActions"))
            redirects = [a for a in actions if get(a, "type") == "redirect"
                         and str(get(a, "redirect", "protocol", default="")).upper() == "HTTPS"]
            if not redirects or len(redirects) != len(actions):
                yield "an HTTP listener forwards traffic instead of redirecting to HTTPS"
        return
    if resource.type == APP_GATEWAY:
        listeners = {str(get(listener, "name")): str(get(listener, "protocol", default="Http"))
                     for listener in items(get(resource.props, "httpListeners"))}
        for rule in items(get(resource.props, "requestRoutingRules")):
            listener = _app_gateway_names(get(rule, "httpListener"))
            if listeners.get(listener, "").lower() == "http" and get(rule, "redirectConfiguration") is None:
                yield f"routing rule '{get(rule, 'name')}' forwards plain HTTP from listener '{listener}'"
        return
    config = haproxy_config(resource)
    if config is None:
        return
    for frontend in public_frontends(config):
        if any(b.ssl for b in binds(frontend)):
            continue
        outcome = walk(config, frontend, Request("/", "198.51.100.23", tls=False, headers={}))
        if outcome.action != "redirect" or "https" not in outcome.detail:
            yield f"plaintext frontend '{frontend.name}' does not redirect every request to HTTPS ({outcome.action})"


TLS_ORDER = {"SSLV3": 0, "TLSV1.0": 1, "TLSV1.1": 2, "TLSV1.2": 3, "TLSV1.3": 4}
WEAK_CIPHERS = re.compile(r"(^|[-_+])(RC4|DES|3DES|MD5|NULL|EXPORT|EXP|ADH|AECDH|aNULL|eNULL|LOW|MEDIUM|ALL|DEFAULT)"
                          r"([-_+]|$)", re.IGNORECASE)
ALB_TLS13 = re.compile(r"^ELBSecurityPolicy-TLS13-1-[23]-")
APP_GATEWAY_MODERN = {"AppGwSslPolicy20220101", "AppGwSslPolicy20220101S"}

tls = Meta(
    name="edge-tls-min-version",
    description="TLS 1.2 or newer everywhere (1.3 where configured), modern ciphers, and a TLS 1.3 ALB policy.",
    severity=Severity.HIGH,
    categories=("TS",),
    references=("Pulumi compliance-policies lb-listener-configure-secure-tls", "CKV_AWS_103", "Mozilla TLS guidelines"),
    remediation="HAProxy: `ssl-default-bind-options ssl-min-ver TLSv1.2 no-tls-tickets` and an ECDHE/AEAD cipher "
                "list. ALB: `ELBSecurityPolicy-TLS13-1-2-2021-06`. Application Gateway: `AppGwSslPolicy20220101S`.",
    config={"minVersion": {"type": "string", "enum": ["TLSv1.2", "TLSv1.3"], "default": "TLSv1.2",
                           "description": "Lowest TLS version accepted from clients."}},
)


def _haproxy_min_version(options: list[str]) -> int | None:
    if "ssl-min-ver" in options:
        index = options.index("ssl-min-ver")
        if index + 1 < len(options):
            return TLS_ORDER.get(options[index + 1].upper())
    disabled = {"no-sslv3": 0, "no-tlsv10": 1, "no-tlsv11": 2, "no-tlsv12": 3}
    floor = None
    for option, level in sorted(disabled.items(), key=lambda kv: kv[1]):
        if option in options and (floor is None or floor == level):
            floor = level + 1
    return floor


def _weak(ciphers: str) -> list[str]:
    return [c for c in re.split(r"[:, ]", ciphers) if c and c[0] not in "!-" and WEAK_CIPHERS.search(c)]


@resource_rule(tls, (CONFIGMAP, *ALB_LISTENERS, APP_GATEWAY))
def edge_tls_min_version(resource: Resource) -> Iterator[str]:
    wanted = TLS_ORDER[str(resource.config.get("minVersion", "TLSv1.2")).upper()]
    if resource.type in ALB_LISTENERS:
        if str(get(resource.props, "protocol", default="HTTP")).upper() in ("HTTPS", "TLS"):
            policy = str(get(resource.props, "sslPolicy", default="ELBSecurityPolicy-2016-08 (the default)"))
            if not ALB_TLS13.match(policy) or (wanted == TLS_ORDER["TLSV1.3"] and "TLS13-1-3" not in policy):
                yield f"listener uses SSL policy {policy}"
        return
    if resource.type == APP_GATEWAY:
        gateway_policy = mapping(get(resource.props, "sslPolicy"))
        name = str(get(gateway_policy, "policyName", default=""))
        minimum = str(get(gateway_policy, "minProtocolVersion", default="")).upper().replace("_", ".")
        if name in APP_GATEWAY_MODERN:
            return
        if minimum in ("TLSV1.2", "TLSV1.3") and TLS_ORDER[minimum] >= wanted:
            return
        yield f"Application Gateway SSL policy {dict(gateway_policy) or 'unset (legacy default allows TLS 1.0)'}"
        return
    config = haproxy_config(resource)
    if config is None:
        return
    defaults = config.global_.first("ssl-default-bind-options") or []
    default_min = _haproxy_min_version(defaults)
    ciphers = config.global_.first("ssl-default-bind-ciphers")
    if ciphers and len(ciphers) > 1 and _weak(ciphers[1]):
        yield f"ssl-default-bind-ciphers allows {', '.join(_weak(ciphers[1]))}"
    for frontend in config.frontends():
        for bind in binds(frontend):
            if not bind.ssl:
                continue
            options = list(bind.words)
            level = _haproxy_min_version(options)
            level = level if level is not None else default_min
            if level is None or level < wanted:
                yield f"frontend '{frontend.name}' accepts TLS below {resource.config.get('minVersion', 'TLSv1.2')}"
            if "ciphers" in options:
                index = options.index("ciphers")
                if index + 1 < len(options) and _weak(options[index + 1]):
                    yield f"frontend '{frontend.name}' allows weak ciphers"
            max_index = options.index("ssl-max-ver") if "ssl-max-ver" in options else -1
            if max_index >= 0 and max_index + 1 < len(options) and TLS_ORDER.get(options[max_index + 1].upper(), 9) < 3:
                yield f"frontend '{frontend.name}' caps TLS at {options[max_index + 1]}"


REQUIRED_HEADERS = {
    "strict-transport-security": "Strict-Transport-Security",
    "x-content-type-options": "X-Content-Type-Options",
    "referrer-policy": "Referrer-Policy",
    "content-security-policy": "Content-Security-Policy",
}

headers = Meta(
    name="edge-security-headers",
    description="HAProxy adds HSTS, nosniff, frame protection, Referrer-Policy and CSP, and removes the Server header.",
    severity=Severity.HIGH,
    categories=("SH", "EH"),
    references=("security audit: security headers", "OWASP Secure Headers Project"),
    remediation="In the public frontend (or its backends): `http-response set-header Strict-Transport-Security "
                "\"max-age=63072000; includeSubDomains\"`, `X-Content-Type-Options nosniff`, `X-Frame-Options DENY`, "
                "`Referrer-Policy no-referrer`, `Content-Security-Policy ...`, and `http-response del-header Server`.",
    config={"minHstsMaxAge": {"type": "number", "default": 31536000,
                              "description": "Shortest accepted HSTS max-age (seconds)."}},
)


def _response_headers(config: Config, frontend: Section) -> tuple[dict[str, str], set[str]]:
    sections = [s for s in (config.defaults_for(frontend), frontend, *config.backends_of(frontend)) if s is not None]
    set_headers: dict[str, str] = {}
    deleted: set[str] = set()
    for section in sections:
        for words in section.lines:
            if words[0] not in ("http-response", "http-after-response") or len(words) < 3:
                continue
            if words[1] in ("set-header", "add-header") and len(words) >= 4:
                set_headers[words[2].lower()] = words[3]
            elif words[1] == "del-header":
                deleted.add(words[2].lower())
    return set_headers, deleted


@resource_rule(headers, (CONFIGMAP,))
def edge_security_headers(resource: Resource) -> Iterator[str]:
    config = haproxy_config(resource)
    if config is None:
        return
    min_age = number(resource.config.get("minHstsMaxAge")) or 31536000
    for frontend in public_frontends(config):
        if not any(b.ssl for b in binds(frontend)) and walk(
                config, frontend, Request("/", "198.51.100.23", tls=False)).action == "redirect":
            continue  # a redirect-only frontend serves no content
        found, deleted = _response_headers(config, frontend)
        missing = [label for key, label in REQUIRED_HEADERS.items() if key not in found]
        csp = found.get("content-security-policy", "")
        if "x-frame-options" not in found and "frame-ancestors" not in csp:
            missing.append("X-Frame-Options (or CSP frame-ancestors)")
        if missing:
            yield f"frontend '{frontend.name}' does not set {', '.join(missing)}"
        if "x-content-type-options" in found and found["x-content-type-options"].lower() != "nosniff":
            yield f"frontend '{frontend.name}' sets X-Content-Type-Options to {found['x-content-type-options']}"
        hsts = found.get("strict-transport-security")
        if hsts is not None:
            age = re.search(r"max-age=([0-9]+)", hsts)
            if age is None or int(age.group(1)) < min_age:
                yield f"frontend '{frontend.name}' HSTS max-age is below {int(min_age)} s"
        if "server" not in deleted:
            yield f"frontend '{frontend.name}' does not remove the Server header"


rate = Meta(
    name="edge-rate-limit",
    description="HAProxy tracks a per-client request rate and answers 429 above the limit.",
    severity=Severity.HIGH,
    categories=("RL",),
    references=("security audit: rate limiting", "OWASP API4:2023"),
    remediation="`stick-table type ip size 1m expire 10s store http_req_rate(10s)`, `http-request track-sc0 src` and "
                "`http-request deny deny_status 429 if { sc_http_req_rate(0) gt 100 }` in the public frontend.",
)

RATE_FETCH = re.compile(r"sc[0-2]?_?http_req_rate|sc_http_req_rate|src_http_req_rate|sc[0-2]_conn_rate")


@resource_rule(rate, (CONFIGMAP,))
def edge_rate_limit(resource: Resource) -> Iterator[str]:
    config = haproxy_config(resource)
    if config is None:
        return
    tables = [words for s in config.sections for words in s.directives("stick-table")
              if any("http_req_rate" in w or "conn_rate" in w for w in words)]
    for frontend in public_frontends(config):
        if not any(b.ssl for b in binds(frontend)) and walk(
                config, frontend, Request("/", "198.51.100.23", tls=False)).action == "redirect":
            continue
        sections = [s for s in (config.defaults_for(frontend), frontend) if s is not None]
        lines = [w for s in sections for w in s.lines]
        acls = {w[1] for w in lines if w[0] == "acl" and len(w) > 2 and RATE_FETCH.search(w[2])}
        tracks = [w for w in lines if (w[0] == "http-request" and len(w) > 2 and w[1].startswith("track-sc"))
                  or (w[0] == "tcp-request" and any(x.startswith("track-sc") for x in w))]
        denies = [w for w in lines if w[0] == "http-request" and len(w) > 1 and w[1] in ("deny", "return", "tarpit")
                  and ("429" in w) and (any(RATE_FETCH.search(x) for x in w) or any(a in w or f"!{a}" in w for a in acls))]
        problems = []
        if not tables:
            problems.append("no stick-table stores a request rate")
        if not tracks:
            problems.append("no track-sc rule tracks clients")
        if not denies:
            problems.append("no rule answers 429 above the rate")
        if problems:
            yield f"frontend '{frontend.name}': {', '.join(problems)}"


ERROR_CODES = (400, 403, 408, 429, 500, 502, 503, 504)

errors = Meta(
    name="edge-error-pages",
    description="HAProxy answers errors with its own pages that reveal no backend or software details.",
    severity=Severity.MEDIUM,
    categories=("EH",),
    references=("security audit: error handling", "OWASP WSTG-ERRH-01"),
    remediation="Declare an `http-errors` section (or `errorfile` lines) for 400, 403, 408, 429, 500, 502, 503 and "
                "504 and use it in defaults; keep the pages generic.",
)


def _error_files(config: Config, frontend: Section) -> dict[int, str]:
    covered: dict[int, str] = {}
    sections = [s for s in (config.defaults_for(frontend), frontend, *config.backends_of(frontend)) if s is not None]
    for section in sections:
        for words in section.lines:
            if words[0] in ("errorfile", "errorloc", "errorloc302", "errorloc303") and len(words) > 2 \
                    and words[1].isdigit():
                covered[int(words[1])] = words[2]
            elif words[0] == "errorfiles" and len(words) > 1:
                group = config.named("http-errors", words[1])
                for line in group.directives("errorfile") if group else []:
                    if len(line) > 2 and line[1].isdigit():
                        covered[int(line[1])] = line[2]
            elif words[:2] == ["http-error", "status"] and len(words) > 2 and words[2].isdigit():
                covered[int(words[2])] = " ".join(words[3:])
    return covered


@resource_rule(errors, (CONFIGMAP,))
def edge_error_pages(resource: Resource) -> Iterator[str]:
    config = haproxy_config(resource)
    if config is None:
        return
    data = mapping(get(resource.props, "data"))
    for frontend in public_frontends(config):
        covered = _error_files(config, frontend)
        missing = [str(code) for code in ERROR_CODES if code not in covered]
        if missing:
            yield f"frontend '{frontend.name}' has no custom page for {', '.join(missing)}"
        for code, target in sorted(covered.items()):
            page = data.get(target.rsplit("/", 1)[-1])
            if isinstance(page, str) and re.search(r"(?i)haproxy|traceback|exception|stack trace|nginx|gunicorn", page):
                yield f"the {code} page reveals software details"


POLICIES = [edge_admin_protected, edge_health_not_public, edge_https_only, edge_tls_min_version, edge_security_headers,
            edge_rate_limit, edge_error_pages]
