"""Edge rules: the HAProxy configuration (read from its ConfigMap), the AWS ALB listeners and the
Azure Application Gateway. HAProxy is judged by what it does with a request, per listener, not by
how the configuration is spelled (see haproxy.py)."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any

from pulumi_policy import Severity

from .common import Meta, Resource, get, items, mapping, number, resource_rule
from .haproxy import (
    FLOOD_RATE,
    PUBLIC_CLIENT,
    Config,
    Evaluator,
    Line,
    Outcome,
    OversizeError,
    Request,
    Section,
    client_requests,
    is_public,
    network_binds,
    split_condition,
    split_expression,
    stored_counters,
    walk,
)
from .haproxy import (
    path_spellings as spellings_of,
)
from .k8s_objects import CONFIGMAP
from .netaddr import covers_internet, public_ranges

ALB_LISTENERS = ("aws:lb/listener:Listener", "aws:alb/listener:Listener")
APP_GATEWAY = "azure-native:network:ApplicationGateway"
HAPROXY_KEY = "haproxy.cfg"


@dataclass
class Loaded:
    config: Config | None
    problem: str = ""


def config_files(data: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The configuration files a ConfigMap holds: haproxy.cfg first, then other `.cfg` keys in name order
    (HAProxy loads a directory's `.cfg` files in that order)."""
    files = [(HAPROXY_KEY, str(data[HAPROXY_KEY]))]
    files += [(str(k), str(v)) for k, v in sorted(data.items(), key=lambda kv: str(kv[0]))
              if str(k).endswith(".cfg") and k != HAPROXY_KEY and isinstance(v, str)]
    return files


def haproxy_loaded(resource: Resource) -> Loaded | None:
    data = mapping(get(resource.props, "data"))
    if not isinstance(data.get(HAPROXY_KEY), str):
        return None
    return _parse(tuple(config_files(data)))


@functools.lru_cache(maxsize=8)
def _parse(files: tuple[tuple[str, str], ...]) -> Loaded:
    """Parsed once per process for all edge rules; rules only read the model (and share its memo)."""
    try:
        return Loaded(Config.parse_files(files))
    except OversizeError as error:
        return Loaded(None, f"haproxy.cfg is too large to evaluate ({error}); nothing in it is proven")


def haproxy_config(resource: Resource) -> Config | None:
    loaded = haproxy_loaded(resource)
    return loaded.config if loaded is not None else None


def _configs(resource: Resource) -> Iterator[Config | str]:
    loaded = haproxy_loaded(resource)
    if loaded is None:
        return
    yield loaded.config if loaded.config is not None else loaded.problem


def public_listeners(config: Config) -> list[Section]:
    return [listener for listener in config.listeners() if is_public(config, listener)]


def _serves_content(config: Config, listener: Section) -> bool:
    """A public listener that answers with content: TLS, or plain HTTP that does more than redirect."""
    for bind in network_binds(listener):
        if bind.ssl:
            return True
        if walk(config, listener, Request("/", PUBLIC_CLIENT, tls=False, port=bind.port or 0)).action != "redirect":
            return True
    return False


def describe(outcome: Outcome) -> str:
    where = f" ({outcome.where})" if outcome.where else ""
    if outcome.action == "unknown":
        text = f"the pack cannot prove it is refused: {outcome.unknown}{where}"
    elif outcome.action == "forward":
        text = f"forwarded to {outcome.detail}"
    elif outcome.action == "stats":
        text = f"served by {outcome.detail}"
    elif outcome.action == "service":
        text = f"answered by use-service {outcome.detail}{where}"
    elif outcome.action == "return":
        text = f"answered {outcome.status} by {outcome.detail}{where}"
    elif outcome.action == "redirect":
        text = f"redirected ({outcome.detail}){where}"
    else:
        text = f"{outcome.action} {outcome.detail}{where}".strip()
    if outcome.notes:
        text += "; " + "; ".join(outcome.notes)
    return text


def _reachable(config: Config, listener: Section, paths: list[str]) -> Iterator[str]:
    """Why a public client reaches one of `paths` (any spelling) through the listener: the first way found."""
    for bind in network_binds(listener):
        for path in paths:
            for spelling in spellings_of(path):
                requests = client_requests(config, spelling, tls=bind.ssl, port=bind.port or 0)
                # Forged headers and trusted-proxy paths are tried on the plain spelling; other spellings
                # test path handling, so the plain and the forged-header request suffice for them.
                for request in requests if spelling == path else requests[:1]:
                    outcome = walk(config, listener, request)
                    if outcome.blocked or outcome.action == "none":
                        continue
                    if outcome.action == "redirect" and not bind.ssl:
                        continue  # a plaintext bind that redirects; where it leads is checked on its own
                    via = "" if request.src == PUBLIC_CLIENT else f" through the trusted proxy {request.src}"
                    forged = sorted(k for k in request.headers if k != "host")
                    sent = f" with {', '.join(forged)} set by the client" if forged else ""
                    yield (f"listener '{listener.name}' ({bind.describe}, {bind.line.where}): a public client reaches "
                           f"{spelling}{via}{sent}: {describe(outcome)}")
                    return


def _src_acls(config: Config) -> Iterator[tuple[str, Line, list[str]]]:
    """Source-address ACLs: named ones (all lines of a name together) and anonymous `{ src ... }` terms."""
    named: dict[tuple[int, str], tuple[Line, list[str]]] = {}
    for index, section in enumerate(config.sections):
        for entry in section.entries:
            words = entry.words
            if words[0] == "acl" and len(words) > 3 and split_expression(words[2])[0] in ("src", "hdr_ip", "req.hdr_ip"):
                key = (index if section.kind != "defaults" else -1, words[1])
                line, values = named.get(key, (entry, []))
                named[key] = (line, values + [w for w in words[3:] if not w.startswith("-")])
                continue
            for position, word in enumerate(words):
                if word == "{" and position + 1 < len(words) and words[position + 1] == "src":
                    values = []
                    for value in words[position + 2:]:
                        if value.endswith("}"):
                            values.append(value.rstrip("}"))
                            break
                        values.append(value)
                    yield "an anonymous '{ src ... }' condition", entry, [v for v in values if v]
    for (_, name), (line, values) in named.items():
        yield f"acl '{name}'", line, values


admin = Meta(
    name="edge-admin-protected",
    description="HAProxy serves /admin* only to internal addresses (and authenticated clients); no public stats page.",
    severity=Severity.CRITICAL,
    categories=("AA",),
    references=("security audit: admin endpoints protected", "OWASP ASVS V4.3"),
    remediation="Deny `/admin` on the public frontend unless the (proxy-corrected) source is in an internal CIDR, "
                "e.g. `http-request deny deny_status 403 if { path_beg -i /admin } !{ src 10.0.0.0/8 }`, after "
                "rejecting dot segments and decoding the path (`path,url_dec`); bind the stats page and runtime API to "
                "loopback or a unix socket.",
)


@resource_rule(admin, (CONFIGMAP,))
def edge_admin_protected(resource: Resource) -> Iterator[str]:
    for config in _configs(resource):
        if isinstance(config, str):
            yield config
            continue
        for listener in public_listeners(config):
            yield from _reachable(config, listener, ["/admin", "/admin/users"])
            for proxy in (listener, *config.backends_of(listener)):
                for section in (config.defaults_for(proxy), proxy):
                    stats = section.first("stats", "enable") or section.first("stats", "uri") if section else None
                    if section is not None and stats is not None:
                        yield (f"listener '{listener.name}' serves the HAProxy stats page ('{' '.join(stats)}' in "
                               f"{section.label})")
        for what, line, values in _src_acls(config):
            if covers_internet(values):
                yield (f"{what} ({line.where}) trusts source ranges that together cover the Internet: "
                       f"{', '.join(public_ranges(values)[:6])}")
        for words in config.global_.directives("stats", "socket"):
            target = words[2] if len(words) > 2 else ""
            if target.startswith(("ipv4@", "ipv6@", "tcp@")) or re.fullmatch(r"[0-9a-fA-F.:*\[\]]{0,64}:[0-9]{1,5}",
                                                                            target):
                host = target.split("@", 1)[-1].rsplit(":", 1)[0]
                if host not in ("127.0.0.1", "localhost", "[::1]", "::1"):
                    yield f"the runtime API (stats socket {target}) listens on a network address"


health = Meta(
    name="edge-health-not-public",
    description="HAProxy denies /health*, /ready* and /metrics to public clients.",
    severity=Severity.HIGH,
    categories=("HE",),
    references=("security audit: health endpoint not publicly accessible",),
    remediation="On the public frontend, deny the health, readiness and metrics paths (every spelling: case, "
                "percent-encoding, dot segments) unless the source is internal; serve Prometheus and the health "
                "check from separate frontends bound to internal ports.",
    config={"paths": {"type": "array", "items": {"type": "string"},
                      "default": ["/health", "/healthz", "/health/live", "/ready", "/readyz", "/metrics"],
                      "description": "Paths that must not be reachable from the Internet."}},
)


@resource_rule(health, (CONFIGMAP,))
def edge_health_not_public(resource: Resource) -> Iterator[str]:
    for config in _configs(resource):
        if isinstance(config, str):
            yield config
            continue
        for listener in public_listeners(config):
            for path in items(resource.config.get("paths")):
                yield from _reachable(config, listener, [str(path)])


https = Meta(
    name="edge-https-only",
    description="Plain HTTP is only redirected to HTTPS: no plaintext listener forwards traffic.",
    severity=Severity.CRITICAL,
    categories=("TS",),
    references=("Pulumi compliance-policies disallow-unencrypted-traffic", "AWSGuard alb-http-to-https-redirection",
                "CKV2_AWS_20", "CKV_AWS_2"),
    remediation="HAProxy: `http-request redirect scheme https code 301` on every listener without `ssl`, whatever its "
                "port, and no `mode tcp` plaintext listener with a backend. ALB: the HTTP listener's default action "
                "redirects to HTTPS. Application Gateway: the HTTP listener's routing rule uses a redirect configuration.",
)


def _app_gateway_names(value: Any) -> str:
    """`.../httpListeners/<name>` ARM ids or plain names -> name."""
    return str(get(value, "id", default=value) or "").rstrip("/").rsplit("/", 1)[-1]


def _https_target(detail: str) -> bool:
    words = detail.split()
    for key in ("scheme", "location", "prefix"):
        if key in words[:-1]:
            target = words[words.index(key) + 1].lower()
            return target == "https" or target.startswith("https://")
    return False


def _plaintext_problems(config: Config) -> Iterator[str]:
    for listener in config.listeners():
        for bind in network_binds(listener):
            if bind.ssl:
                continue
            problem = ""
            for path in ("/", "/login"):
                for request in client_requests(config, path, tls=False, port=bind.port or 0):
                    outcome = walk(config, listener, request)
                    if outcome.forwards or outcome.action == "unknown" or (
                            outcome.action == "return" and outcome.status == 200 and outcome.detail != "monitor-uri"):
                        forged = sorted(k for k in request.headers if k != "host")
                        sent = f" (client sent {', '.join(forged)})" if forged else ""
                        problem = f"{path}{sent} is {describe(outcome)}"
                    elif outcome.action == "redirect" and not _https_target(outcome.detail):
                        problem = f"{path} is redirected to a non-HTTPS target ({outcome.detail}, {outcome.where})"
                    if problem:
                        break
                if problem:
                    break
            if problem:
                yield (f"plaintext listener '{listener.name}' ({bind.describe}, {bind.line.where}) does not only "
                       f"redirect to HTTPS: {problem}")


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
    for config in _configs(resource):
        if isinstance(config, str):
            yield config
            continue
        yield from _plaintext_problems(config)


TLS_ORDER = {"SSLV3": 0, "TLSV1.0": 1, "TLSV1.1": 2, "TLSV1.2": 3, "TLSV1.3": 4}
WEAK_CIPHERS = re.compile(r"(^|[-_+])(RC4|DES|3DES|MD5|NULL|EXPORT|EXP|ADH|AECDH|aNULL|eNULL|LOW|MEDIUM|ALL|DEFAULT|"
                          r"CBC|SHA)([-_+]|$)", re.IGNORECASE)
ALB_TLS13 = re.compile(r"^ELBSecurityPolicy-TLS13-1-[23]-")
APP_GATEWAY_MODERN = {"AppGwSslPolicy20220101", "AppGwSslPolicy20220101S"}

tls = Meta(
    name="edge-tls-min-version",
    description="TLS 1.2 or newer everywhere (1.3 where configured), modern ciphers, and a TLS 1.3 ALB policy.",
    severity=Severity.HIGH,
    categories=("TS",),
    references=("Pulumi compliance-policies lb-listener-configure-secure-tls", "CKV_AWS_103", "Mozilla TLS guidelines"),
    remediation="HAProxy: `ssl-default-bind-options ssl-min-ver TLSv1.2 no-tls-tickets` and an ECDHE/AEAD cipher "
                "list, not overridden on any `bind`. ALB: `ELBSecurityPolicy-TLS13-1-2-2021-06`. Application Gateway: "
                "`AppGwSslPolicy20220101S`.",
    config={"minVersion": {"type": "string", "enum": ["TLSv1.2", "TLSv1.3"], "default": "TLSv1.2",
                           "description": "Lowest TLS version accepted from clients."}},
)


def _haproxy_min_version(options: list[str]) -> int | None:
    """The lowest version the options allow, None when they do not say."""
    lowered = [o.lower() for o in options]
    forced = [TLS_ORDER[v] for o in lowered if o.startswith("force-")
              and (v := o.removeprefix("force-").upper().replace("TLSV1", "TLSV1.").replace("..", ".")) in TLS_ORDER]
    if forced:
        return min(forced)
    if "ssl-min-ver" in lowered:
        index = lowered.index("ssl-min-ver")
        if index + 1 < len(options):
            return TLS_ORDER.get(options[index + 1].upper(), -1)
    disabled = {"no-sslv3": 0, "no-tlsv10": 1, "no-tlsv11": 2, "no-tlsv12": 3}
    floor = None
    for option, level in sorted(disabled.items(), key=lambda kv: kv[1]):
        if option in lowered and (floor is None or floor == level):
            floor = level + 1
    return floor


def _weak(ciphers: str) -> list[str]:
    return [c for c in re.split(r"[:, ]", ciphers) if c and c[0] not in "!-" and WEAK_CIPHERS.search(c)
            and not re.search(r"GCM|CHACHA20|POLY1305", c, re.IGNORECASE)]


def _option_value(words: list[str], name: str) -> str | None:
    if name in words[:-1]:
        return words[words.index(name) + 1]
    return None


def _tls_problems(config: Config, wanted: int, wanted_label: str) -> Iterator[str]:
    global_ = config.global_
    defaults = global_.first("ssl-default-bind-options") or []
    default_ciphers = (global_.first("ssl-default-bind-ciphers") or [])[1:2]
    for listener in config.listeners():
        for bind in network_binds(listener):
            if not bind.ssl:
                continue
            where = f"listener '{listener.name}' ({bind.describe}, {bind.line.where})"
            options = list(bind.words)
            level = _haproxy_min_version(options)
            if level is None:
                level = _haproxy_min_version(defaults)
            if level is None or level < wanted:
                yield f"{where} accepts TLS below {wanted_label}"
            ciphers = _option_value(options, "ciphers") or (default_ciphers[0] if default_ciphers else None)
            if ciphers is not None and _weak(ciphers):
                yield f"{where} allows weak ciphers {', '.join(_weak(ciphers)[:4])}"
            maximum = _option_value(options, "ssl-max-ver") or _option_value(defaults, "ssl-max-ver")
            if maximum is not None and TLS_ORDER.get(maximum.upper(), 9) < TLS_ORDER["TLSV1.2"]:
                yield f"{where} caps TLS at {maximum}"


@resource_rule(tls, (CONFIGMAP, *ALB_LISTENERS, APP_GATEWAY))
def edge_tls_min_version(resource: Resource) -> Iterator[str]:
    label = str(resource.config.get("minVersion", "TLSv1.2"))
    wanted = TLS_ORDER.get(label.upper(), TLS_ORDER["TLSV1.2"])
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
    for config in _configs(resource):
        if isinstance(config, str):
            yield config
            continue
        yield from _tls_problems(config, wanted, label)


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
    remediation="In the public frontend (or its backends), unconditionally: `http-after-response set-header "
                "Strict-Transport-Security \"max-age=63072000; includeSubDomains\"`, `X-Content-Type-Options nosniff`, "
                "`X-Frame-Options DENY`, `Referrer-Policy no-referrer`, `Content-Security-Policy ...`, and "
                "`http-after-response del-header Server`; never delete a security header afterwards.",
    config={"minHstsMaxAge": {"type": "number", "default": 31536000,
                              "description": "Shortest accepted HSTS max-age (seconds)."}},
)


@dataclass
class HeaderState:
    present: bool | None
    """True: always sent; None: only sometimes; False: never."""
    value: str = ""
    line: Line | None = None
    why: str = ""


def _response_headers(config: Config, listener: Section, request: Request) -> dict[str, HeaderState]:
    """The response headers clients get, after every `http-response` / `http-after-response` rule in HAProxy's
    order (backend before frontend), with conditions evaluated three-valued."""
    state: dict[str, HeaderState] = {"server": HeaderState(True, "backend", None, "sent by the backend")}
    backends = [b for b in config.backends_of(listener) if b is not listener]
    order = []
    for keyword in ("http-response", "http-after-response"):
        for proxy in (*backends, listener):
            order.append((keyword, proxy))
    for keyword, proxy in order:
        sections = [s for s in (config.defaults_for(proxy), proxy) if s is not None]
        evaluator = Evaluator(config, sections, request)
        for section in sections:
            for entry in section.matching(keyword):
                action, condition = split_condition(entry.words[1:])
                if len(action) < 2 or action[0] not in ("set-header", "add-header", "del-header", "replace-header"):
                    continue
                name = action[1].lower()
                matched = evaluator.condition(condition)
                current = state.get(name, HeaderState(False))
                cond = " ".join(condition)
                if action[0] in ("set-header", "add-header") and len(action) > 2:
                    if matched is True:
                        state[name] = HeaderState(True, action[2], entry, "")
                    elif matched is None and current.present is not True:
                        state[name] = HeaderState(None, action[2], entry, f"only when '{cond}' holds, which the pack "
                                                                          "cannot prove")
                    elif matched is False and current.present is not True:
                        state[name] = HeaderState(False, action[2], entry, f"under '{cond}', which never holds")
                elif action[0] == "del-header":
                    if matched is True and current.present is not False:
                        state[name] = HeaderState(False, "", entry, f"deleted on {entry.where}" +
                                                  (f" after being set on {current.line.where}" if current.line
                                                   and current.present else ""))
                    elif matched is None and current.present is True:
                        state[name] = HeaderState(None, current.value, entry, f"deleted on {entry.where} when "
                                                                               f"'{cond}' holds")
                    elif matched is False and name == "server":
                        state[name] = HeaderState(current.present, current.value, entry,
                                                  f"removed only under '{cond}', which never holds")
    return state


@resource_rule(headers, (CONFIGMAP,))
def edge_security_headers(resource: Resource) -> Iterator[str]:
    min_age = number(resource.config.get("minHstsMaxAge")) or 31536000
    for config in _configs(resource):
        if isinstance(config, str):
            yield config
            continue
        for listener in public_listeners(config):
            if not _serves_content(config, listener):
                continue  # a redirect-only listener serves no content
            bind = next(network_binds(listener))
            request = Request("/", PUBLIC_CLIENT, tls=bind.ssl, headers={"host": ["www.example.com"]},
                              port=bind.port or 0)
            found = _response_headers(config, listener, request)
            name = f"listener '{listener.name}'"
            for key, label in REQUIRED_HEADERS.items():
                header = found.get(key)
                if header is None:
                    yield f"{name} does not set {label}"
                elif header.present is not True:
                    yield f"{name} does not always send {label}: {header.why}" + (
                        f" ({header.line.where})" if header.line else "")
            frame = found.get("x-frame-options")
            csp = found.get("content-security-policy")
            if not (frame and frame.present) and not (csp and csp.present and "frame-ancestors" in csp.value):
                yield f"{name} does not set X-Frame-Options (or CSP frame-ancestors)"
            nosniff = found.get("x-content-type-options")
            if nosniff is not None and nosniff.present and nosniff.value.lower() != "nosniff":
                yield f"{name} sets X-Content-Type-Options to {nosniff.value} ({nosniff.line.where if nosniff.line else ''})"
            hsts = found.get("strict-transport-security")
            if hsts is not None and hsts.present:
                age = re.search(r"max-age=([0-9]{1,12})", hsts.value)
                if age is None or int(age.group(1)) < min_age:
                    yield f"{name} HSTS max-age is below {int(min_age)} s ({hsts.line.where if hsts.line else ''})"
            server = found["server"]
            if server.present is not False:
                why = f": {server.why}" if server.why and server.line is not None else ""
                yield f"{name} does not remove the Server header{why}"


rate = Meta(
    name="edge-rate-limit",
    description="HAProxy tracks a per-client request rate and answers 429 above the limit.",
    severity=Severity.HIGH,
    categories=("RL",),
    references=("security audit: rate limiting", "OWASP API4:2023"),
    remediation="`stick-table type ip size 1m expire 10s store http_req_rate(10s)`, `http-request track-sc0 src` and "
                "`http-request deny deny_status 429 if { sc_http_req_rate(0) gt 100 }` in the public frontend, "
                "before any `allow` and without a condition a client controls.",
)


def _rate_hints(config: Config, listener: Section) -> list[str]:
    hints = []
    sections = [s for s in (config.defaults_for(listener), listener) if s is not None]
    tracks = [e for s in sections for e in s.entries if (e.words[0] == "http-request" and len(e.words) > 2
              and e.words[1].startswith("track-sc")) or (e.words[0] == "tcp-request" and any(
                  w.startswith("track-sc") for w in e.words))]
    if not any(stored_counters(config, s.name) & {"http_req_rate", "http_req_cnt", "conn_rate"}
               for s in config.sections if s.first("stick-table")):
        hints.append("no stick-table stores http_req_rate")
    if not tracks:
        hints.append("no track-sc rule tracks clients")
    for entry in tracks:
        index = next(i for i, w in enumerate(entry.words) if w.startswith("track-sc"))
        key = entry.words[index + 1] if index + 1 < len(entry.words) else ""
        if split_expression(key)[0].removeprefix("req.").startswith(("hdr", "fhdr", "cook", "url_param")):
            hints.append(f"{entry.where} tracks clients by {key}, which each client chooses")
    for entry in (e for s in sections for e in s.entries):
        for index, word in enumerate(entry.words[:-2]):
            if "_rate" in word and entry.words[index + 1] in ("gt", "ge") and entry.words[index + 2].rstrip("}").isdigit() \
                    and int(entry.words[index + 2].rstrip("}")) >= FLOOD_RATE:
                hints.append(f"{entry.where} compares the rate with {entry.words[index + 2].rstrip('}')}")
    return hints


@resource_rule(rate, (CONFIGMAP,))
def edge_rate_limit(resource: Resource) -> Iterator[str]:
    for config in _configs(resource):
        if isinstance(config, str):
            yield config
            continue
        for listener in public_listeners(config):
            if not _serves_content(config, listener):
                continue
            bind = next(b for b in network_binds(listener) if True)
            problem = ""
            for path in ("/", "/login", "/api/orders"):
                for request in client_requests(config, path, tls=bind.ssl, port=bind.port or 0):
                    outcome = walk(config, listener, replace(request, flood=FLOOD_RATE))
                    if outcome.action in ("deny",) and outcome.status == 429:
                        continue
                    forged = sorted(k for k in request.headers if k != "host")
                    sent = f" with {', '.join(forged)} set" if forged else ""
                    problem = (f"a client sending {FLOOD_RATE} requests per period for {path}{sent} is not answered "
                               f"429: {describe(outcome)}")
                    break
                if problem:
                    break
            if problem:
                hints = _rate_hints(config, listener)
                yield f"listener '{listener.name}': {problem}" + (f" ({'; '.join(hints)})" if hints else "")


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


def _error_files(config: Config, listener: Section) -> dict[int, str]:
    covered: dict[int, str] = {}
    sections = [s for s in (config.defaults_for(listener), listener, *config.backends_of(listener)) if s is not None]
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


LEAKY_PAGE = re.compile(r"haproxy|traceback|exception|stack trace|nginx|gunicorn", re.IGNORECASE)


@resource_rule(errors, (CONFIGMAP,))
def edge_error_pages(resource: Resource) -> Iterator[str]:
    data = mapping(get(resource.props, "data"))
    for config in _configs(resource):
        if isinstance(config, str):
            yield config
            continue
        for listener in public_listeners(config):
            covered = _error_files(config, listener)
            missing = [str(code) for code in ERROR_CODES if code not in covered]
            if missing:
                yield f"listener '{listener.name}' has no custom page for {', '.join(missing)}"
            for code, target in sorted(covered.items()):
                page = data.get(target.rsplit("/", 1)[-1])
                if isinstance(page, str) and LEAKY_PAGE.search(page[:65536]):
                    yield f"the {code} page ({target}) reveals software details"


POLICIES = [edge_admin_protected, edge_health_not_public, edge_https_only, edge_tls_min_version, edge_security_headers,
            edge_rate_limit, edge_error_pages]
