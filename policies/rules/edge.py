"""Edge rules: the HAProxy configuration (read from its ConfigMap), the AWS ALB listeners and the
Azure Application Gateway. HAProxy is judged by what it does with a request, per listener, not by
how the configuration is spelled (see haproxy.py)."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any

from pulumi_policy import PolicyResource, Severity

from . import verify
from .common import (
    INDEPENDENT,
    Meta,
    Resource,
    Stack,
    base_type,
    depends_on,
    get,
    items,
    mapping,
    number,
    resource_rule,
    stack_rule,
)
from .edge_files import configmap_texts
from .haproxy import (
    FLOOD_RATE,
    FLOOD_RPS,
    PUBLIC_CLIENT,
    Config,
    Evaluator,
    Line,
    Outcome,
    OversizeError,
    Request,
    Section,
    client_requests,
    config_paths,
    is_public,
    network_binds,
    proxy_protocol,
    seconds,
    size_of,
    split_condition,
    split_expression,
    stick_table,
    stored_counters,
    walk,
)
from .haproxy import (
    path_spellings as spellings_of,
)
from .haproxy_config import is_loopback, parse_address
from .haproxy_regex import UnsupportedPatternError, compile_pattern
from .k8s_objects import CONFIGMAP
from .netaddr import covers_internet, public_ranges

ALB_LISTENERS = ("aws:lb/listener:Listener", "aws:alb/listener:Listener")
ALB_LISTENER_RULES = ("aws:lb/listenerRule:ListenerRule", "aws:alb/listenerRule:ListenerRule")
CLASSIC_ELB = "aws:elb/loadBalancer:LoadBalancer"
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
    data = configmap_texts(resource.props)
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


def _forged(request: Request) -> str:
    """How the probe differs from a plain GET: the method, the protocol version, the query, and the headers the
    client forged with the value it claims (` with x-forwarded-for, ... set by the client (claiming ...)`)."""
    text = ""
    if request.method != "GET":
        text += f" as a {request.method}"
    if request.version != "1.1":
        text += f" over HTTP/{request.version}"
    if request.query:
        text += f" with the query {request.query[:60]!r}"
    if not request.header("host"):
        text += " without a Host header"
    forged = sorted(k for k, v in request.headers.items() if k != "host" and v)
    if not forged:
        return text
    claimed = next((v[0] for k in ("x-forwarded-for", "x-real-ip", *forged) if (v := request.headers.get(k))), "")
    return text + f" with {', '.join(forged)} set by the client (claiming {claimed[:60]!r})"


def _reachable(config: Config, listener: Section, paths: list[str], *, password_only: bool = False) -> Iterator[str]:
    """Why a public client reaches one of `paths` (any spelling) through the listener: the first way found.
    With `password_only`, a client holding valid HTTP credentials is a public client too: an admin path
    must be refused by source, not only behind a password."""
    for bind in network_binds(listener):
        proxied = proxy_protocol(config, listener, bind)
        # A path rewritten after the checks turns any harmless path into one of `paths` at the backend: probed
        # with a neutral path and with each path the configuration singles out (a rewrite `if { path_beg /x }`).
        rewritten = None
        for probe in dict.fromkeys(("/static/x", *config_paths(config))):
            if probe in paths:
                continue
            neutral = walk(config, listener, Request(probe, PUBLIC_CLIENT, tls=bind.ssl, port=bind.port or 0,
                                                     headers={"host": ["www.example.com"]}))
            if neutral.rewritten:
                rewritten = (probe, neutral)
                break
        if rewritten is not None:
            probe, neutral = rewritten
            yield (f"listener '{listener.name}' ({bind.describe}, {bind.line.where}): a public client may reach "
                   f"{paths[0]}: {neutral.unknown} (a request for {probe})")
            return
        for path in paths:
            for spelling in spellings_of(path):
                requests = client_requests(config, spelling, tls=bind.ssl, port=bind.port or 0, proxied=proxied)
                # Forged headers and trusted-proxy paths are tried on the plain spelling; other spellings
                # test path handling, so the plain and the forged-header request suffice for them.
                requests = requests if spelling == path else requests[:2]
                if password_only:
                    requests = [*requests, *(replace(r, authenticated=True) for r in requests)]
                for request in requests:
                    outcome = walk(config, listener, request)
                    if outcome.blocked or outcome.action == "none":
                        continue
                    if outcome.action == "redirect" and not bind.ssl:
                        continue  # a plaintext bind that redirects; where it leads is checked on its own
                    via = "" if request.src == PUBLIC_CLIENT or request.notes else \
                        f" through the trusted proxy {request.src}"
                    sent = _forged(request)
                    creds = " with valid HTTP credentials (only a password stands in the way)" \
                        if request.authenticated else ""
                    yield (f"listener '{listener.name}' ({bind.describe}, {bind.line.where}): a public client reaches "
                           f"{spelling}{via}{sent}{creds}: {describe(outcome)}")
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


def _literal_credentials(config: Config) -> Iterator[str]:
    """Credentials written into the configuration (a ConfigMap anyone who reads the namespace can read): `stats
    auth user:password`, userlist `insecure-password`, or a password hash not taken from the environment."""
    for section in config.sections:
        for entry in section.entries:
            words = entry.words
            if words[:2] == ["stats", "auth"] and len(words) > 2:
                user = words[2].split(":", 1)[0]
                yield f"'stats auth {user[:40]}:...' ({entry.where}) writes a stats password into the configuration"
            elif section.kind == "userlist" and words[0] == "user" and len(words) > 3:
                kind, value = words[2], words[3]
                if kind == "insecure-password":
                    yield f"userlist '{section.name}' ({entry.where}) gives user '{words[1][:40]}' a clear-text " \
                          "password (insecure-password)"
                elif kind == "password" and not value.startswith("${"):
                    yield f"userlist '{section.name}' ({entry.where}) writes the password hash of user " \
                          f"'{words[1][:40]}' into the configuration instead of taking it from a Secret"


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
            yield from _reachable(config, listener, ["/admin", "/admin/users"], password_only=True)
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
        yield from _literal_credentials(config)
        for entry in config.global_.matching("stats", "socket"):
            target = entry.words[2] if len(entry.words) > 2 else ""
            host, port = parse_address(target)
            if port is not None and not is_loopback(host):
                level = entry.words[entry.words.index("level") + 1] if "level" in entry.words[3:-1] else "user"
                yield (f"the runtime API ('stats socket {target[:80]}', level {level[:20]}, {entry.where}) listens on a "
                       "network address: bind it to a unix socket or loopback")


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
                "and every listener rule attached to it redirect to HTTPS (or answer an error status); a classic load "
                "balancer has no `http` listener. Application Gateway: the HTTP listener's routing rule uses a "
                "redirect configuration.",
)


def _app_gateway_names(value: Any) -> str:
    """`.../httpListeners/<name>` ARM ids or plain names -> name, case-folded: Azure resolves a gateway's own
    references ignoring case, so `.../httpListeners/HTTP` is the listener named `http`."""
    return str(get(value, "id", default=value) or "").rstrip("/").rsplit("/", 1)[-1].casefold()


def _https_target(detail: str) -> bool:
    words = detail.split()
    for key in ("scheme", "location", "prefix"):
        if key in words[:-1]:
            target = words[words.index(key) + 1].lower()
            return target == "https" or target.startswith("https://")
    return False


def _plaintext_problems(config: Config) -> Iterator[str]:
    for listener in config.listeners():
        # An answer HAProxy makes itself (a service such as the Prometheus exporter, a `return` page) counts on
        # a listener clients use; on an internal port only forwarding application traffic does.
        public = is_public(config, listener)
        for bind in network_binds(listener):
            if bind.ssl:
                continue
            problem = ""
            for path in dict.fromkeys(("/", "/login", *config_paths(config))):
                for request in client_requests(config, path, tls=False, port=bind.port or 0):
                    outcome = walk(config, listener, request)
                    answered = outcome.action in ("service", "return") and outcome.status == 200 \
                        and outcome.detail != "monitor-uri"
                    if outcome.action in ("forward", "stats", "unknown") or (answered and public):
                        problem = f"{path}{_forged(request)} is {describe(outcome)}"
                    elif outcome.action == "redirect" and not _https_target(outcome.detail):
                        problem = f"{path} is redirected to a non-HTTPS target ({outcome.detail}, {outcome.where})"
                    if problem:
                        break
                if problem:
                    break
            if problem:
                yield (f"plaintext listener '{listener.name}' ({bind.describe}, {bind.line.where}) does not only "
                       f"redirect to HTTPS: {problem}")


def _redirect_problem(config: Any, listeners: Mapping[str, str]) -> str | None:
    """Why an Application Gateway redirect configuration does not lead to HTTPS (None: it does)."""
    if config is None:
        return None  # not among the gateway's redirect configurations: Azure refuses the gateway
    target = get(config, "targetListener")
    if target is not None:
        name = _app_gateway_names(target)
        protocol = listeners.get(name)
        if protocol is None or protocol.lower() != "https":
            return f"targets listener '{name}' ({protocol or 'not declared'}), not an HTTPS listener"
        return None
    url = str(get(config, "targetUrl", default="") or "")
    if not url.strip().lower().startswith("https://"):
        return f"targets URL {url[:120] or 'unset'}, not an https:// URL"
    return None


def _alb_action_problem(action: Any) -> str | None:
    """Why one ALB action serves plain HTTP (None: it sends the client to HTTPS, or refuses it with an error)."""
    kind = str(get(action, "type", default="")).lower()
    if kind == "redirect":
        protocol = str(get(action, "redirect", "protocol", default="#{protocol}"))
        return None if protocol.upper() == "HTTPS" else f"redirect to {protocol[:40]}"
    if kind == "fixed-response":
        status = number(get(action, "fixedResponse", "statusCode"))
        if status is not None and 400 <= status < 600:
            return None  # an error page answered in the clear carries no application traffic
        return f"fixed-response {int(status) if status is not None else 'with no status'}"
    return kind[:40] or "an action with no type"


def _alb_actions_problem(actions: list[Any]) -> str | None:
    if not actions:
        return "no actions"
    shown = [p for p in (_alb_action_problem(a) for a in actions[:1000]) if p]
    return ", ".join(shown[:5]) if shown else None


def _plaintext_listener(props: Any) -> bool:
    """An ALB listener that takes plain HTTP (the provider's default protocol for an application load balancer)."""
    return str(get(props, "protocol", default="HTTP")).upper() == "HTTP"


def _port(value: Any) -> str:
    port = number(value)
    return str(int(port)) if port is not None else "unset"


def _alb_listener_problems(listener: Any) -> Iterator[str]:
    if not _plaintext_listener(listener):
        return
    problem = _alb_actions_problem(items(get(listener, "defaultActions")))
    if problem:
        yield (f"an HTTP listener forwards traffic instead of redirecting to HTTPS (port "
               f"{_port(get(listener, 'port'))}, defaultActions: {problem})")


def _listener_of(rule: PolicyResource, listeners: list[PolicyResource]) -> list[PolicyResource]:
    """The listeners a listener rule is attached to, proved by the ARN it names: a listener whose `arn` (or `id`)
    is that value. Only where no listener records its ARN (the declared inputs of a stack not yet deployed)
    does the rule's dependency say which one; an unknown ARN could be any of them."""
    arn = get(rule.props, "listenerArn")
    if isinstance(arn, verify.Unknown) or verify.is_withheld(arn):
        verify.needs_value(arn)
        return listeners
    by_value = [listener for listener in listeners
                if arn and arn in (get(listener.props, "arn"), get(listener.props, "id"))]
    if by_value or any(get(listener.props, "arn") for listener in listeners):
        return by_value
    return depends_on(rule, "listenerArn", ALB_LISTENERS)


def _alb_rule_problems(stack: Stack) -> Iterator[tuple[str, str | None]]:
    listeners = stack.of(*ALB_LISTENERS)
    for rule in stack.of(*ALB_LISTENER_RULES):
        problem = _alb_actions_problem(items(get(rule.props, "actions")))
        if problem:
            plaintext = [listener for listener in _listener_of(rule, listeners) if _plaintext_listener(listener.props)]
            if plaintext:
                yield (f"a listener rule on the HTTP listener '{plaintext[0].name}' (port "
                       f"{_port(get(plaintext[0].props, 'port'))}) serves plain HTTP instead of redirecting to "
                       f"HTTPS (actions: {problem})", rule.urn)
        yield INDEPENDENT


def _classic_elb_problems(props: Any) -> Iterator[str]:
    """A classic load balancer cannot redirect: an `http` front-end listener serves plain HTTP."""
    for listener in items(get(props, "listeners"))[:1000]:
        if str(get(listener, "lbProtocol", default="")).lower() == "http":
            yield (f"classic load balancer listener on port {_port(get(listener, 'lbPort'))} takes plain "
                   f"HTTP (lbProtocol http), and a classic load balancer cannot redirect it to HTTPS")


def _app_gateway_problems(props: Any) -> Iterator[str]:
    listeners = {_app_gateway_names(get(listener, "name")): str(get(listener, "protocol", default="Http"))
                 for listener in items(get(props, "httpListeners"))}
    configurations = {_app_gateway_names(get(r, "name")): r for r in items(get(props, "redirectConfigurations"))[:1000]}
    for rule in items(get(props, "requestRoutingRules"))[:1000]:
        listener = _app_gateway_names(get(rule, "httpListener"))
        if listeners.get(listener, "").lower() != "http":
            continue
        if get(rule, "redirectConfiguration") is None:
            yield f"routing rule '{get(rule, 'name')}' forwards plain HTTP from listener '{listener}'"
            continue
        name = _app_gateway_names(get(rule, "redirectConfiguration"))
        problem = _redirect_problem(configurations.get(name), listeners)
        if problem:
            yield (f"routing rule '{get(rule, 'name')}' on plain-HTTP listener '{listener}' uses redirect "
                   f"configuration '{name}', which {problem}")


def https_problems(type_: str, props: Any) -> Iterator[str]:
    """What serves plain HTTP on one front door: an ALB listener, a classic load balancer, an Application
    Gateway or the HAProxy configuration in a ConfigMap."""
    if type_ in ALB_LISTENERS:
        yield from _alb_listener_problems(props)
    elif type_ == CLASSIC_ELB:
        yield from _classic_elb_problems(props)
    elif type_ == APP_GATEWAY:
        yield from _app_gateway_problems(props)
    else:
        for config in _configs(Resource(type_, "", "", props, {}, {})):
            if isinstance(config, str):
                yield config
                continue
            yield from _plaintext_problems(config)


@stack_rule(https)
def edge_https_only(stack: Stack) -> Iterator[tuple[str, str | None]]:
    """A stack rule, not a resource rule, because a listener rule is attached to its listener by ARN: only the
    stack shows whether that listener takes plain HTTP. Every front door is judged on its own."""
    for resource in stack.of(CONFIGMAP, *ALB_LISTENERS, CLASSIC_ELB, APP_GATEWAY):
        for message in https_problems(base_type(resource.resource_type), resource.props):
            yield message, resource.urn
        yield INDEPENDENT
    yield from _alb_rule_problems(stack)


# One front door on its own, as the resource rules offer it to unit tests (listener rules need the stack).
edge_https_only.check = lambda resource: https_problems(resource.type, resource.props)  # type: ignore[attr-defined]


TLS_ORDER = {"SSLV3": 0, "TLSV1.0": 1, "TLSV1.1": 2, "TLSV1.2": 3, "TLSV1.3": 4}
ALB_TLS13 = verify.pattern(r"^ELBSecurityPolicy-TLS13-1-[23]-")
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


VERSION_WORDS = {"sslv3": 0, "tlsv10": 1, "tlsv11": 2, "tlsv12": 3, "tlsv13": 4}
VERSION_LABELS = ("SSLv3", "TLSv1.0", "TLSv1.1", "TLSv1.2", "TLSv1.3")
AEAD = ("GCM", "CHACHA20", "POLY1305", "CCM")
FORWARD_SECRET = ("ECDHE", "DHE", "EECDH", "EDH", "KEECDH", "KEDH", "TLS_")


@dataclass
class TlsVersions:
    """The protocol versions a TLS listener accepts, from HAProxy's options applied in order (global
    `ssl-default-bind-options` lines, then the bind line, whose settings win)."""

    low: int | None = None
    high: int = 4
    low_from: str = ""
    high_from: str = ""
    disabled: frozenset[int] = frozenset()

    def apply(self, words: list[str], where: str) -> None:
        index = 0
        while index < len(words):
            word = words[index].lower()
            following = words[index + 1] if index + 1 < len(words) else ""
            if word in ("ssl-min-ver", "ssl-max-ver"):
                level = TLS_ORDER.get(following.upper(), -1)
                if word == "ssl-min-ver":
                    self.low, self.low_from = level, f"'ssl-min-ver {following}' ({where})"
                else:
                    self.high, self.high_from = level, f"'ssl-max-ver {following}' ({where})"
                index += 2
                continue
            if word.startswith("force-") and word[6:] in VERSION_WORDS:
                level = VERSION_WORDS[word[6:]]
                self.low, self.high = level, level
                self.low_from = self.high_from = f"'{words[index]}' ({where})"
            elif word.startswith("no-") and word[3:] in VERSION_WORDS:
                self.disabled = self.disabled | {VERSION_WORDS[word[3:]]}
                if self.low is None or self.low_from.startswith("'no-"):
                    self.low_from = f"'{' '.join(w for w in words if w.lower().startswith('no-'))}' ({where})"
            index += 1

    def lowest(self) -> int | None:
        """The lowest version accepted; None when no option sets a minimum (the pack wants it explicit)."""
        if self.low is None and not self.disabled:
            return None
        start = self.low if self.low is not None and self.low >= 0 else 0
        if self.low is not None and self.low < 0:
            return -1  # a version HAProxy does not know: not proven
        accepted = [v for v in range(start, 5) if v not in self.disabled and v <= self.high]
        return accepted[0] if accepted else 4


def _weak(ciphers: str) -> list[str]:
    """Cipher-list entries that enable suites without AEAD or forward secrecy (classes such as HIGH or ALL
    included); entries removing (`!`, `-`) or reordering (`+`, `@`) suites add nothing."""
    out = []
    for entry in verify.pattern(r"[:, ]").split(ciphers):
        if not entry or entry[0] in "!-+@":
            continue
        upper = entry.upper()
        if any(token in upper for token in ("NULL", "ADH", "AECDH", "EXP", "RC4", "DES", "MD5", "PSK", "SRP")):
            out.append(entry)
        elif not any(token in upper for token in AEAD):
            out.append(entry)  # CBC suites, SHA-1 MACs and broad classes (HIGH, MEDIUM, ALL, DEFAULT, AES...)
        elif "-" in entry and not upper.startswith(FORWARD_SECRET) and "+" not in entry:
            out.append(entry)  # a static-RSA suite: no forward secrecy
    return out


def _option_value(words: list[str], name: str) -> str | None:
    """The value of the last `name <value>` pair."""
    found = None
    for index, word in enumerate(words[:-1]):
        if word == name:
            found = words[index + 1]
    return found


def _tls_problems(config: Config, wanted: int, wanted_label: str) -> Iterator[str]:
    global_ = config.global_
    option_lines = list(global_.matching("ssl-default-bind-options"))
    cipher_lines = list(global_.matching("ssl-default-bind-ciphers"))
    for listener in config.listeners():
        for bind in network_binds(listener):
            if not bind.ssl:
                continue
            where = f"listener '{listener.name}' ({bind.describe}, {bind.line.where})"
            versions = TlsVersions()
            for line in option_lines:
                versions.apply(line.words[1:], line.where)
            versions.apply(list(bind.words[2:]), f"bind line {bind.line.where}")
            lowest = versions.lowest()
            if lowest is None:
                yield f"{where} sets no minimum TLS version (no ssl-min-ver on the bind line or in " \
                      f"ssl-default-bind-options); {wanted_label} must be required explicitly"
            elif lowest < wanted:
                shown = VERSION_LABELS[lowest] if lowest >= 0 else "an unknown version"
                yield f"{where} accepts TLS below {wanted_label}: {shown} through {versions.low_from or 'the defaults'}"
            if versions.high < TLS_ORDER["TLSV1.2"]:
                shown = VERSION_LABELS[versions.high] if versions.high >= 0 else "an unknown version"
                yield f"{where} caps TLS at {shown} through {versions.high_from}"
            own = _option_value(list(bind.words), "ciphers")
            if own is not None:
                ciphers, source = own, f"'ciphers' on the bind line {bind.line.where}"
            elif cipher_lines and len(cipher_lines[-1].words) > 1:
                ciphers, source = cipher_lines[-1].words[1], f"ssl-default-bind-ciphers ({cipher_lines[-1].where})"
            else:
                ciphers, source = "", ""
            if not source and wanted < TLS_ORDER["TLSV1.3"]:
                yield f"{where} sets no cipher list (ssl-default-bind-ciphers or ciphers): the TLS library's default " \
                      "enables CBC and SHA-1 suites"
            elif _weak(ciphers):
                yield f"{where} allows weak ciphers {', '.join(_weak(ciphers)[:4])} through {source}"
            crt_list = _option_value(list(bind.words), "crt-list")
            if crt_list is not None:
                yield f"{where} loads certificates from crt-list {crt_list[:80]}, whose per-certificate TLS options " \
                      "(ssl-min-ver, ciphers) the pack cannot read"


@resource_rule(tls, (CONFIGMAP, *ALB_LISTENERS, APP_GATEWAY))
def edge_tls_min_version(resource: Resource) -> Iterator[str]:
    label = str(resource.config.get("minVersion", "TLSv1.2"))
    wanted = TLS_ORDER.get(label.upper(), TLS_ORDER["TLSV1.2"])
    if resource.type in ALB_LISTENERS:
        if str(get(resource.props, "protocol", default="HTTP")).upper() in ("HTTPS", "TLS"):
            policy = str(get(resource.props, "sslPolicy", default="ELBSecurityPolicy-2016-08 (the default)"))
            verify.needs_value(policy)  # a regular expression reads the text without asking
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


REWRITTEN = "<rewritten>"
"""The value of a header a `replace-header`/`replace-value` rule rewrites into something only known at run time."""


def _name_matches(method: str, pattern: str, name: str) -> bool:
    """`del-header <pattern> -m <method>`: which header names it deletes (names compare case-insensitively)."""
    pattern = pattern.lower()
    if method == "reg":
        try:
            return compile_pattern(pattern, ignore_case=True).search(name)
        except UnsupportedPatternError:
            return True  # cannot tell: assume the worst for a deletion
    return {"str": name == pattern, "beg": name.startswith(pattern), "end": name.endswith(pattern),
            "sub": pattern in name}.get(method, name == pattern)


def _replaced(current: HeaderState, regex: str, replacement: str) -> str | None:
    """The value after `replace-header/-value <name> <regex> <fmt>`; None when the regex does not match."""
    try:
        if not compile_pattern(regex).search(current.value):
            return None
    except UnsupportedPatternError:
        return REWRITTEN
    return REWRITTEN if "\\" in replacement or "%[" in replacement or current.value == REWRITTEN else replacement


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
                if len(action) < 2 or action[0] not in ("set-header", "add-header", "del-header", "replace-header",
                                                        "replace-value"):
                    continue
                name = action[1].lower()
                matched = evaluator.condition(condition)
                cond = " ".join(condition)
                if action[0] == "del-header":
                    method = action[action.index("-m") + 1] if "-m" in action[2:-1] else "str"
                    names = [n for n in {*state, *REQUIRED_HEADERS, "x-frame-options"} if _name_matches(method, name, n)]
                    for target in names or [name]:
                        _delete(state, target, entry, matched, cond)
                    continue
                current = state.get(name, HeaderState(False))
                if action[0] in ("replace-header", "replace-value"):
                    if len(action) < 4 or current.present is False or matched is False:
                        continue
                    value = _replaced(current, action[2], action[3])
                    if value is not None:
                        how = f"rewritten by '{action[0]} {action[1]} {action[2][:40]} {action[3][:40]}' on {entry.where}"
                        state[name] = HeaderState(current.present if matched else None, value, entry, how)
                elif len(action) > 2:
                    if matched is True:
                        state[name] = HeaderState(True, action[2], entry, "")
                    elif matched is None and current.present is not True:
                        state[name] = HeaderState(None, action[2], entry, f"only when '{cond}' holds, which the pack "
                                                                          "cannot prove")
                    elif matched is False and current.present is not True:
                        state[name] = HeaderState(False, action[2], entry, f"under '{cond}', which never holds")
    return state


def _delete(state: dict[str, HeaderState], name: str, entry: Line, matched: bool | None, cond: str) -> None:
    current = state.get(name, HeaderState(False))
    rule = f"'{entry.text[:80]}' on {entry.where}"
    if matched is True and current.present is not False:
        state[name] = HeaderState(False, "", entry, f"deleted by {rule}" + (
            f" after being set on {current.line.where}" if current.line and current.present else ""))
    elif matched is None and current.present is True:
        state[name] = HeaderState(None, current.value, entry, f"deleted by {rule} when '{cond}' holds")
    elif matched is False and name == "server":
        state[name] = HeaderState(current.present, current.value, entry, f"removed only under '{cond}', which never holds")


def _directives(value: str) -> list[tuple[str, str]]:
    """`a=1; b; c="x"` -> [(a, 1), (b, ""), (c, x)], names lower-cased, quotes removed."""
    out = []
    for part in value.split(";"):
        name, _, argument = part.partition("=")
        if name.strip():
            out.append((name.strip().lower(), argument.strip().strip('"')))
    return out


def _csp(value: str) -> dict[str, str]:
    """Content-Security-Policy directives: name (lower-cased) -> its sources; the first of a name counts."""
    out: dict[str, str] = {}
    for part in value.split(";"):
        name, _, sources = part.strip().partition(" ")
        if name:
            out.setdefault(name.lower(), sources.strip())
    return out


def _hsts_problem(value: str, min_age: float) -> str:
    if value == REWRITTEN:
        return "its value is rewritten at run time"
    found = _directives(value)
    names = [n for n, _ in found]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        return f"'{value[:80]}' repeats {', '.join(repeated)}, so browsers ignore the header"
    age = next((a for n, a in found if n == "max-age"), None)
    if age is None or not age.isdigit() or len(age) > 12:
        return f"'{value[:80]}' has no valid max-age"
    if int(age) < min_age:
        return f"max-age={age} is below {int(min_age)} s"
    return ""


WEAK_REFERRER = frozenset({"unsafe-url", "no-referrer-when-downgrade"})


def _header_value_problems(found: dict[str, HeaderState], min_age: float) -> Iterator[str]:
    def where(header: HeaderState) -> str:
        return f" ({header.why or 'set'} on {header.line.where})" if header.line else ""

    frame = found.get("x-frame-options")
    csp = found.get("content-security-policy")
    frame_ok = frame is not None and frame.present is True and frame.value.strip().lower() in ("deny", "sameorigin")
    ancestors = _csp(csp.value).get("frame-ancestors") if csp is not None and csp.present is True else None
    ancestors_ok = ancestors is not None and "*" not in ancestors and not any(
        w in ("http:", "https:") for w in ancestors.split())
    if not frame_ok and not ancestors_ok:
        shown = f"X-Frame-Options is '{frame.value[:40]}'" if frame is not None and frame.present else \
            "X-Frame-Options is not always sent"
        yield f"does not protect against framing: {shown}{where(frame) if frame else ''} and CSP frame-ancestors " + \
              (f"is '{ancestors[:40]}'" if ancestors is not None else "is not set")
    if csp is not None and csp.present is True and csp.value != REWRITTEN:
        directives = _csp(csp.value)
        scripts = directives.get("script-src", directives.get("default-src"))
        which = "script-src" if "script-src" in directives else "default-src"
        sources = (scripts or "").split()
        nonce = any(s.startswith(("'nonce-", "'sha256-", "'sha384-", "'sha512-", "'strict-dynamic'")) for s in sources)
        weak = [s for s in sources if s in ("*", "http:", "https:", "data:", "'unsafe-eval'")
                or (s == "'unsafe-inline'" and not nonce)]
        if scripts is None or weak:
            shown = f"{which} allows {', '.join(weak[:3])}" if weak else "it sets neither script-src nor default-src"
            yield f"sets a Content-Security-Policy that does not restrict scripts: {shown}{where(csp)}"
    nosniff = found.get("x-content-type-options")
    if nosniff is not None and nosniff.present and nosniff.value.strip().lower() != "nosniff":
        yield f"sets X-Content-Type-Options to '{nosniff.value[:40]}'{where(nosniff)}"
    referrer = found.get("referrer-policy")
    if referrer is not None and referrer.present:
        policies = [p.strip().lower() for p in referrer.value.split(",") if p.strip()]
        if referrer.value == REWRITTEN or not policies or policies[-1] in WEAK_REFERRER:
            yield f"sets Referrer-Policy to '{referrer.value[:40]}', which sends full URLs to other sites{where(referrer)}"
    hsts = found.get("strict-transport-security")
    if hsts is not None and hsts.present:
        problem = _hsts_problem(hsts.value, min_age)
        if problem:
            yield f"HSTS is ineffective: {problem}{where(hsts)}"


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
            for problem in _header_value_problems(found, min_age):
                yield f"{name} {problem}"
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


MIN_TABLE_ENTRIES = 10000
"""A rate-limit table holding fewer clients than this evicts counters under a spread-out flood."""


def _tracks(config: Config, listener: Section) -> list[tuple[Line, str, str]]:
    """(line, key, table) of every `track-scN` rule of the listener and its defaults."""
    sections = [s for s in (config.defaults_for(listener), listener) if s is not None]
    out = []
    for entry in (e for s in sections for e in s.entries):
        if entry.words[0] not in ("http-request", "tcp-request"):
            continue
        index = next((i for i, w in enumerate(entry.words[:6]) if w.startswith("track-sc")), None)
        if index is None:
            continue
        key = entry.words[index + 1] if index + 1 < len(entry.words) else ""
        table = _option_value(entry.words[index:], "table") or listener.name
        out.append((entry, key, table))
    return out


def _table_problems(config: Config, listener: Section) -> Iterator[str]:
    """Tables the listener counts clients in that cannot hold a flood: too few entries, or entries that expire
    before the rate period they measure ends."""
    for table in dict.fromkeys(t for _, _, t in _tracks(config, listener)):
        found = stick_table(config, table)
        if found is None or found.line is None:
            continue
        rates = {n: p for n, p in found.periods.items() if n.endswith("_rate") and p}
        size = size_of(found.option("size") or "")
        label = f"stick-table '{table}' ({found.line.where})"
        if size is not None and size < MIN_TABLE_ENTRIES:
            yield f"{label} holds only {size} entries (size {found.option('size')}): a flood from more clients evicts " \
                  "each other's counters"
        expire = seconds(found.option("expire") or "")
        longest = max(rates.values(), default=0.0) or 0.0
        if expire is not None and expire < longest:
            yield f"{label} expires entries after {found.option('expire')}, sooner than the rate period it measures " \
                  f"({longest:g} s), so counters reset before they reach the limit"


def _any_rate_table(config: Config) -> bool:
    cached = config.memo.get("any_rate_table")
    if isinstance(cached, bool):
        return cached
    found = any(stored_counters(config, s.name) & {"http_req_rate", "http_req_cnt", "conn_rate"}
                for s in config.sections if s.first("stick-table"))
    config.memo["any_rate_table"] = found
    return found


def _rate_hints(config: Config, listener: Section) -> list[str]:
    hints = []
    sections = [s for s in (config.defaults_for(listener), listener) if s is not None]
    tracks = _tracks(config, listener)
    if not _any_rate_table(config):
        hints.append("no stick-table stores http_req_rate")
    if not tracks:
        hints.append("no track-sc rule tracks clients")
    for entry, key, table in tracks:
        if split_expression(key)[0].removeprefix("req.").startswith(("hdr", "fhdr", "cook", "url_param")):
            hints.append(f"{entry.where} tracks clients by {key}, which each client chooses")
        found = stick_table(config, table)
        if found is None:
            continue
        for name, period in found.periods.items():
            if name.endswith("_rate") and period is not None and period < 1:
                hints.append(f"stick-table '{table}' stores {found.spelled(name)}, a period of {period:g} s")
    for entry in (e for s in sections for e in s.entries):
        for index, word in enumerate(entry.words[:-2]):
            if "_rate" in word and entry.words[index + 1] in ("gt", "ge") and entry.words[index + 2].rstrip("}").isdigit() \
                    and len(entry.words[index + 2]) < 13 and int(entry.words[index + 2].rstrip("}")) >= FLOOD_RATE:
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
            bind = next(network_binds(listener))
            problem = ""
            proxied = proxy_protocol(config, listener, bind)
            for path in dict.fromkeys(("/", "/login", "/api/orders", *config_paths(config))):
                for request in client_requests(config, path, tls=bind.ssl, port=bind.port or 0, proxied=proxied):
                    outcome = walk(config, listener, replace(request, flood=FLOOD_RPS))
                    if outcome.blocked and outcome.status == 429:
                        continue
                    problem = (f"a client sending {FLOOD_RPS} requests per second for {path}{_forged(request)} is not "
                               f"answered 429: {describe(outcome)}")
                    break
                if problem:
                    break
            if problem:
                hints = _rate_hints(config, listener)
                yield f"listener '{listener.name}': {problem}" + (f" ({'; '.join(hints)})" if hints else "")
            for table_problem in _table_problems(config, listener):
                yield f"listener '{listener.name}': {table_problem}"


ERROR_CODES = (400, 403, 408, 429, 500, 502, 503, 504)

errors = Meta(
    name="edge-error-pages",
    description="HAProxy answers errors with its own pages, and no error page or answer of HAProxy, the ALB or the "
                "Application Gateway reveals backend or software details.",
    severity=Severity.MEDIUM,
    categories=("EH",),
    references=("security audit: error handling", "OWASP WSTG-ERRH-01"),
    remediation="Declare an `http-errors` section (or `errorfile` lines) for 400, 403, 408, 429, 500, 502, 503 and "
                "504 and use it in defaults; keep every page, `http-error`/`return` string, ALB fixed-response body and "
                "Application Gateway customErrorPageUrl free of software names, internal hosts and addresses.",
)


@dataclass(frozen=True)
class Page:
    """Where an answer's body comes from: a file HAProxy reads, an inline string, or a URL it redirects to."""

    kind: str  # "file", "text" or "url"
    value: str
    where: str


def _page(words: list[str], start: int, where: str) -> Page | None:
    """The body named by `string`/`lf-string`/`file`/`lf-file`/`errorfile` after `words[start]`."""
    for index in range(start, len(words) - 1):
        key = words[index]
        if key in ("string", "lf-string"):
            return Page("text", words[index + 1], where)
        if key in ("file", "lf-file", "errorfile"):
            return Page("file", words[index + 1], where)
    return None


def _error_files(config: Config, listener: Section) -> tuple[dict[int, Page], list[Page]]:
    """(the page each error status gets, other bodies HAProxy writes itself: `return`/`deny` answers)."""
    covered: dict[int, Page] = {}
    answers: list[Page] = []
    sections = [s for s in (config.defaults_for(listener), listener, *config.backends_of(listener)) if s is not None]
    for section in sections:
        for entry in section.entries:
            words = entry.words
            status = words[1] if len(words) > 2 else ""
            if words[0] == "errorfile" and status.isdigit():
                covered[int(status)] = Page("file", words[2], entry.where)
            elif words[0] in ("errorloc", "errorloc302", "errorloc303") and status.isdigit():
                covered[int(status)] = Page("url", words[2], entry.where)
            elif words[0] == "errorfiles" and len(words) > 1:
                group = config.named("http-errors", words[1])
                for line in group.matching("errorfile") if group else []:
                    if len(line.words) > 2 and line.words[1].isdigit():
                        covered[int(line.words[1])] = Page("file", line.words[2], line.where)
            elif words[:2] == ["http-error", "status"] and len(words) > 2 and words[2].isdigit():
                page = _page(words, 3, entry.where)
                covered[int(words[2])] = page or Page("text", "", entry.where)
            elif len(words) > 1 and words[0] in ("http-request", "http-response", "http-after-response") \
                    and words[1] in ("return", "deny", "tarpit"):
                page = _page(words, 2, entry.where)
                if page is not None:
                    answers.append(page)
    return covered, answers


# What a page must not show: software and versions, stack traces, internal host names and addresses, the
# response headers that name them, and HAProxy log-format fields that expand to a backend or server.
LEAK_PATTERNS = (
    ("software", verify.pattern(r"\b(haproxy|nginx|apache|httpd|gunicorn|uwsgi|werkzeug|django|flask|tomcat|jetty|envoy|"
                                r"openresty|traefik|kestrel|iis|php|node\.js|spring|rails|express\.js)\b", re.IGNORECASE)),
    ("a header naming the software", verify.pattern(r"^(server|x-powered-by|via|x-backend[\w-]*|x-aspnet-version|"
                                                   r"x-upstream[\w-]*)[ \t]*:", re.IGNORECASE | re.MULTILINE)),
    ("a stack trace", verify.pattern(r"traceback|exception|stack ?trace|\bat [a-z_$][\w$]*(\.[\w$]+)+\(", re.IGNORECASE)),
    ("a backend", verify.pattern(r"\b(backend|upstream|server (blue|green|app)\b)", re.IGNORECASE)),
    # One bounded label before the suffix: linear in the page, whatever its dots.
    ("an internal host name", verify.pattern(r"[a-z0-9-]{1,63}\.(svc|cluster\.local|internal|localdomain|local)\b"
                                             r"|\blocalhost\b", re.IGNORECASE)),
    ("a private address", verify.pattern(r"\b(10\.\d{1,3}|127\.\d{1,3}|192\.168|172\.(1[6-9]|2\d|3[01]))\.\d{1,3}\.\d{1,3}\b"
                                         r"|\b169\.254\.\d{1,3}\.\d{1,3}\b")),
    # Case matters: %B is the byte count, %b the backend.
    ("a log-format field naming the backend", verify.pattern(r"%(\{[^}%]{0,64}\})?(b|s|si|sp|bi|bp|H)\b|%\[(srv_|be_|"
                                                              r"env\(|hostname|nbsrv|bc_|be_server)")),
)


def leaks(text: str) -> str | None:
    """What of the inside `text` shows (`'nginx' (software)`), or None."""
    for label, pattern in LEAK_PATTERNS:
        found = pattern.search(text[:65536])
        if found:
            return f"{label} '{found.group(0).strip()[:60]}'"
    return None


def _page_leak(page: Page, data: Mapping[str, Any]) -> str | None:
    if page.kind == "url":
        host = verify.pattern(r"^[a-z][a-z0-9+.-]*://", re.IGNORECASE).sub("", page.value).split("/", 1)[0]
        return leaks(host.rsplit("@", 1)[-1].rsplit(":", 1)[0] if not host.startswith("[") else host)
    if page.kind == "text":
        return leaks(page.value)
    body = data.get(page.value.rsplit("/", 1)[-1])
    return leaks(body) if isinstance(body, str) else None


@resource_rule(errors, (CONFIGMAP, *ALB_LISTENERS, *ALB_LISTENER_RULES, APP_GATEWAY))
def edge_error_pages(resource: Resource) -> Iterator[str]:
    if resource.type in ALB_LISTENERS or resource.type in ALB_LISTENER_RULES:
        yield from _alb_pages(resource)
        return
    if resource.type == APP_GATEWAY:
        yield from _app_gateway_pages(resource)
        return
    data = configmap_texts(resource.props)
    for config in _configs(resource):
        if isinstance(config, str):
            yield config
            continue
        seen: set[tuple[str, str]] = set()
        for listener in public_listeners(config):
            covered, answers = _error_files(config, listener)
            missing = [str(code) for code in ERROR_CODES if code not in covered]
            if missing:
                yield f"listener '{listener.name}' has no custom page for {', '.join(missing)}"
            pages = [(f"the {code} page", page) for code, page in sorted(covered.items())]
            pages += [("the answer", page) for page in answers]
            for label, page in pages:
                leak = _page_leak(page, data)
                if leak and (page.where, page.value) not in seen:
                    seen.add((page.where, page.value))
                    yield (f"listener '{listener.name}': {label} ({page.kind} {cut_text(page.value)}, {page.where}) "
                           f"reveals backend details: {leak}")


def cut_text(value: str, limit: int = 60) -> str:
    return value if len(value) <= limit else value[:limit] + "..."


def _alb_pages(resource: Resource) -> Iterator[str]:
    """ALB fixed-response bodies (listener default actions and listener rules) reveal nothing of the inside."""
    key = "defaultActions" if resource.type in ALB_LISTENERS else "actions"
    for index, action in enumerate(items(get(resource.props, key))[:100]):
        body = get(action, "fixedResponse", "messageBody")
        if isinstance(body, str):
            leak = leaks(body)
            if leak:
                yield (f"{key}[{index}] fixedResponse.messageBody ({cut_text(body)}) reveals backend details: {leak}")


def _app_gateway_pages(resource: Resource) -> Iterator[str]:
    """Application Gateway custom error pages (gateway-wide and per listener) are not served from the inside."""
    where = [("customErrorConfigurations", get(resource.props, "customErrorConfigurations"))]
    where += [(f"httpListeners '{cut_text(str(get(listener, 'name', default=i)))}'.customErrorConfigurations",
               get(listener, "customErrorConfigurations"))
              for i, listener in enumerate(items(get(resource.props, "httpListeners"))[:100])]
    for label, configs in where:
        for config in items(configs)[:100]:
            url = get(config, "customErrorPageUrl")
            if not isinstance(url, str):
                continue
            leak = _page_leak(Page("url", url, label), {})
            if leak:
                yield (f"{label} {cut_text(str(get(config, 'statusCode', default='?')))} customErrorPageUrl "
                       f"{cut_text(url)} reveals backend details: {leak}")


POLICIES = [edge_admin_protected, edge_health_not_public, edge_https_only, edge_tls_min_version, edge_security_headers,
            edge_rate_limit, edge_error_pages]
