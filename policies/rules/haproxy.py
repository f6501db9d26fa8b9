"""A small reader of haproxy.cfg: sections, directives, ACLs, and a request walk through a frontend.

The edge rules check what HAProxy would DO with a request (denied, redirected, forwarded), not
how the config is spelled: a request from a public address for /admin must end denied, whatever
the ACL names are. Conditions this reader cannot evaluate count as "not proven".
"""

from __future__ import annotations

import functools
import ipaddress
import re
import shlex
from collections.abc import Iterator
from dataclasses import dataclass, field

PUBLIC_CLIENT = "198.51.100.23"
"""A documentation address (TEST-NET-2): never internal."""
SPOOFED_INTERNAL = "10.0.0.1"
PUBLIC_PORTS = {80, 443, 8080, 8443}
PROXY_KINDS = {"frontend", "listen", "backend", "defaults"}


class UnknownConditionError(Exception):
    """A condition this reader cannot evaluate."""


@dataclass
class Section:
    kind: str
    name: str
    lines: list[list[str]] = field(default_factory=list)

    def directives(self, *head: str) -> Iterator[list[str]]:
        for words in self.lines:
            if words[: len(head)] == list(head):
                yield words

    def first(self, *head: str) -> list[str] | None:
        return next(self.directives(*head), None)


def _split(line: str) -> list[str]:
    text = line.strip()
    if not text or text.startswith("#"):
        return []
    lexer = shlex.shlex(text, posix=True)
    lexer.whitespace_split = True
    lexer.commenters = "#"
    lexer.escapedquotes = '"'
    try:
        return list(lexer)
    except ValueError:
        return text.split("#", 1)[0].split()


@functools.lru_cache(maxsize=32)
def _tokens(text: str) -> tuple[tuple[str, ...], ...]:
    """The words of every directive line. Cached: several edge rules read the same config and shlex is
    the slow part; Config.parse builds fresh objects from it, so no rule sees another's."""
    return tuple(tuple(words) for raw in text.splitlines() if (words := _split(raw)))


@dataclass
class Config:
    sections: list[Section]

    @classmethod
    def parse(cls, text: str) -> Config:
        sections: list[Section] = []
        current: Section | None = None
        for words in _tokens(text):
            if words[0] in {"global", "defaults", "frontend", "backend", "listen", "userlist", "resolvers", "peers",
                            "http-errors", "cache", "program", "ring", "mailers", "traces", "crt-store"}:
                current = Section(words[0], words[1] if len(words) > 1 else "")
                sections.append(current)
            elif current is not None:
                current.lines.append(list(words))
        return cls(sections)

    def of(self, kind: str) -> list[Section]:
        return [s for s in self.sections if s.kind == kind]

    def named(self, kind: str, name: str) -> Section | None:
        return next((s for s in self.sections if s.kind == kind and s.name == name), None)

    @property
    def global_(self) -> Section:
        return next((s for s in self.sections if s.kind == "global"), Section("global", ""))

    def defaults_for(self, section: Section) -> Section | None:
        """The last `defaults` before a proxy section (HAProxy's inheritance)."""
        found: Section | None = None
        for s in self.sections:
            if s is section:
                return found
            if s.kind == "defaults":
                found = s
        return found

    def frontends(self) -> list[Section]:
        return [s for s in self.sections if s.kind in ("frontend", "listen")]

    def backends_of(self, frontend: Section) -> list[Section]:
        names = []
        for words in frontend.lines:
            if words[0] == "default_backend" and len(words) > 1:
                names.append(words[1])
            if words[0] == "use_backend" and len(words) > 1:
                names.append(words[1])
        out = [b for n in dict.fromkeys(names) if (b := self.named("backend", n)) is not None]
        if frontend.kind == "listen":
            out.append(frontend)
        return out


@dataclass(frozen=True)
class Bind:
    address: str
    port: int | None
    ssl: bool
    words: tuple[str, ...]

    @property
    def loopback(self) -> bool:
        host = self.address.strip("[]")
        if host in ("localhost",):
            return True
        try:
            return ipaddress.ip_address(host).is_loopback
        except ValueError:
            return False


def binds(section: Section) -> list[Bind]:
    out = []
    for words in section.directives("bind"):
        if len(words) < 2:
            continue
        for spec in words[1].split(","):
            target = spec.split("@", 1)[-1]
            if target.startswith("/"):  # a unix socket
                out.append(Bind(target, None, "ssl" in words, tuple(words)))
                continue
            host, _, port = target.rpartition(":")
            port_number = int(port.split("-")[0]) if port.split("-")[0].isdigit() else None
            out.append(Bind(host, port_number, "ssl" in words, tuple(words)))
    return out


def is_public(section: Section) -> bool:
    """A frontend clients reach: TLS, or a web port, on a non-loopback address."""
    return any(not b.loopback and b.port is not None and (b.ssl or b.port in PUBLIC_PORTS) for b in binds(section))


# --- requests and conditions -------------------------------------------------------------------


@dataclass
class Request:
    path: str
    src: str
    tls: bool
    headers: dict[str, list[str]] = field(default_factory=dict)
    method: str = "GET"

    def header(self, name: str) -> list[str]:
        return self.headers.get(name.lower(), [])


@dataclass
class Outcome:
    action: str
    """deny | auth | redirect | return | backend | none"""
    detail: str = ""
    status: int | None = None
    unknown: str = ""


_FETCH = re.compile(r"^([a-z0-9_.]+)(\(([^)]*)\))?((,[a-z_]+(\([^)]*\))?)*)$", re.IGNORECASE)


def _in_networks(address: str, values: list[str]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    for value in values:
        try:
            if ip in ipaddress.ip_network(value, strict=False):
                return True
        except ValueError:
            continue
    return False


def _header_values(request: Request, args: str) -> list[str]:
    parts = [a.strip() for a in args.split(",")] if args else []
    name = parts[0] if parts else ""
    values: list[str] = []
    for raw in request.header(name):
        values.extend(v.strip() for v in raw.split(","))
    if len(parts) > 1 and parts[1].lstrip("-").isdigit():
        occurrence = int(parts[1])
        if not values:
            return []
        index = occurrence - 1 if occurrence > 0 else occurrence
        return [values[index]] if -len(values) <= index < len(values) else []
    return values


class Evaluator:
    """Evaluates `if`/`unless` conditions of one proxy section for one request."""

    def __init__(self, config: Config, sections: list[Section], request: Request) -> None:
        self.config = config
        self.request = request
        self.acls: dict[str, list[list[str]]] = {}
        for section in sections:
            for words in section.directives("acl"):
                if len(words) >= 3:
                    self.acls.setdefault(words[1], []).append(words[2:])

    def fetch(self, expr: str) -> tuple[str, list[str]]:
        match = _FETCH.match(expr)
        if match is None:
            raise UnknownConditionError(expr)
        name, args, converters = match.group(1).lower(), match.group(3) or "", match.group(4) or ""
        request = self.request
        if name in ("path", "url", "base"):
            values = [request.path]
        elif name in ("path_beg", "path_end", "path_sub", "path_reg", "path_dir", "url_beg", "url_sub", "url_reg"):
            return name.split("_", 1)[1], [request.path]
        elif name == "src":
            values = [request.src]
        elif name in ("ssl_fc", "ssl_fc_has_sni"):
            return "bool", ["1" if request.tls else "0"]
        elif name in ("hdr", "req.hdr", "req.fhdr", "hdr_ip", "req.hdr_ip"):
            values = _header_values(request, args)
            if name.endswith("hdr_ip"):
                return "ip", values
        elif name in ("hdr_beg", "hdr_end", "hdr_sub", "hdr_reg"):
            return name.split("_", 1)[1], _header_values(request, args)
        elif name in ("hdr_cnt", "req.hdr_cnt"):
            return "int", [str(len(_header_values(request, args)))]
        elif name in ("method",):
            values = [request.method]
        elif re.fullmatch(r"(sc[0-2]_|sc_)(http_req_rate|http_err_rate|conn_rate|conn_cur|gpc0_rate|gpc[01]|http_req_cnt)", name):
            return "int", ["0"]
        elif name in ("http_auth", "http_auth_group", "http_auth_bearer"):
            return "bool", ["0"]
        elif name in ("always_true",):
            return "bool", ["1"]
        elif name in ("always_false",):
            return "bool", ["0"]
        else:
            raise UnknownConditionError(expr)
        if "lower" in converters:
            values = [v.lower() for v in values]
        return "str", values

    def term(self, words: list[str]) -> bool:
        """One ACL body: `<fetch> [flags] [values...]`."""
        if not words:
            raise UnknownConditionError("empty condition")
        default_method, samples = self.fetch(words[0])
        method = default_method
        ignore_case = False
        values: list[str] = []
        position = 1
        while position < len(words):
            word = words[position]
            if word == "-m" and position + 1 < len(words):
                method = words[position + 1]
                position += 2
                continue
            if word == "-i":
                ignore_case = True
            elif word in ("-f", "-M", "-u"):
                raise UnknownConditionError(f"{words[0]} {word} (patterns from a file)")
            elif word == "--" or (word.startswith("-") and word in ("-n",)):
                pass
            else:
                values.append(word)
            position += 1
        if method == "bool":
            return any(s not in ("", "0") for s in samples)
        if method == "found":
            return bool(samples)
        if method == "int":
            return self._int(samples, values)
        if default_method == "str" and words[0] == "src" and method == "str":
            method = "ip"
        if ignore_case:
            samples = [s.lower() for s in samples]
            values = [v.lower() for v in values]
        for sample in samples:
            for value in values:
                if self._match(method, sample, value):
                    return True
            if method == "ip" and _in_networks(sample, values):
                return True
        return False

    @staticmethod
    def _int(samples: list[str], values: list[str]) -> bool:
        if not values:
            return any(s not in ("", "0") for s in samples)
        operator = values[0] if values[0] in ("gt", "ge", "lt", "le", "eq") else "eq"
        limit = float(values[-1])
        for sample in samples:
            number = float(sample)
            if {"gt": number > limit, "ge": number >= limit, "lt": number < limit,
                    "le": number <= limit, "eq": number == limit}[operator]:
                return True
        return False

    @staticmethod
    def _match(method: str, sample: str, value: str) -> bool:
        if method in ("str", "ip"):
            return sample == value
        if method == "beg":
            return sample.startswith(value)
        if method == "end":
            return sample.endswith(value)
        if method == "sub":
            return value in sample
        if method == "reg":
            return re.search(value, sample) is not None
        if method == "dir":
            return value.strip("/") in sample.strip("/").split("/")
        if method == "dom":
            return value in re.split(r"[./]", sample)
        if method == "len":
            return len(sample) == int(value)
        raise UnknownConditionError(f"-m {method}")

    def acl(self, name: str) -> bool:
        builtin = {"TRUE": True, "FALSE": False, "HTTP": True, "METH_GET": self.request.method == "GET",
                   "LOCALHOST": _in_networks(self.request.src, ["127.0.0.0/8", "::1/128"]),
                   "HTTP_1.1": True, "HTTP_CONTENT": False, "WAIT_END": False}
        if name in self.acls:
            return any(self.term(body) for body in self.acls[name])
        if name in builtin:
            return builtin[name]
        raise UnknownConditionError(f"acl {name}")

    def condition(self, words: list[str]) -> bool:
        """`if`/`unless` followed by ACL names, `!`, `{ anonymous acl }`, `||`/`or`."""
        if not words:
            return True
        negate_all = words[0] == "unless"
        body = words[1:] if words[0] in ("if", "unless") else words
        groups: list[list[bool]] = [[]]
        position = 0
        while position < len(body):
            word = body[position]
            if word in ("||", "or", "OR"):
                groups.append([])
                position += 1
                continue
            negate = False
            while word.startswith("!"):
                negate = not negate
                word = word[1:]
                if not word:
                    position += 1
                    word = body[position]
            if word == "{":
                end = body.index("}", position)
                value = self.term(body[position + 1: end])
                position = end + 1
            elif word.startswith("{"):
                end = next(i for i in range(position, len(body)) if body[i].endswith("}"))
                inner = [body[position][1:], *body[position + 1: end + 1]]
                inner[-1] = inner[-1][:-1]
                value = self.term([w for w in inner if w])
                position = end + 1
            else:
                value = self.acl(word)
                position += 1
            groups[-1].append(value != negate)
        result = any(all(group) for group in groups if group)
        return not result if negate_all else result


def _split_condition(words: list[str]) -> tuple[list[str], list[str]]:
    for index, word in enumerate(words):
        if word in ("if", "unless"):
            return words[:index], words[index:]
    return words, []


_STOP = {"deny", "reject", "tarpit", "silent-drop"}


def walk(config: Config, frontend: Section, request: Request) -> Outcome:
    """What the frontend does with the request: the first final `http-request` action, else routing."""
    defaults = config.defaults_for(frontend)
    sections = [s for s in (defaults, frontend) if s is not None]
    request = Request(request.path, request.src, tls=any(b.ssl for b in binds(frontend)),
                      headers=dict(request.headers), method=request.method)
    evaluator = Evaluator(config, sections, request)
    monitor = frontend.first("monitor-uri")
    if monitor and len(monitor) > 1 and request.path == monitor[1]:
        return Outcome("return", "monitor-uri", 200)
    for words in (w for s in sections for w in s.lines):
        if words[0] not in ("http-request", "redirect", "use_backend", "default_backend", "block"):
            continue
        action, condition = _split_condition(words)
        if words[0] in ("use_backend", "default_backend"):
            continue
        try:
            matched = evaluator.condition(condition)
        except UnknownConditionError as error:
            return Outcome("none", unknown=str(error))
        if not matched:
            continue
        verb = action[1] if words[0] == "http-request" and len(action) > 1 else action[0]
        if words[0] == "block" or verb in _STOP:
            status = _status(action) or 403
            return Outcome("deny", " ".join(action), status)
        if verb == "auth":
            return Outcome("auth", " ".join(action), 401)
        if verb == "redirect" or words[0] == "redirect":
            return Outcome("redirect", " ".join(action), 302)
        if verb == "return":
            return Outcome("return", " ".join(action), _status(action) or 200)
        if verb == "set-src" and len(action) > 2:
            _, values = evaluator.fetch(action[2])
            if values:
                request.src = values[0]
                evaluator.request = request
    for words in frontend.directives("use_backend"):
        action, condition = _split_condition(words)
        try:
            if evaluator.condition(condition):
                return _through_backend(config, action[1], request)
        except UnknownConditionError as error:
            return Outcome("none", unknown=str(error))
    chosen = frontend.first("default_backend")
    if chosen and len(chosen) > 1:
        return _through_backend(config, chosen[1], request)
    if frontend.kind == "listen" and frontend.first("server"):
        return Outcome("backend", frontend.name)
    return Outcome("none", "no backend")


def _through_backend(config: Config, name: str, request: Request) -> Outcome:
    backend = config.named("backend", name)
    if backend is None:
        return Outcome("backend", name)
    evaluator = Evaluator(config, [s for s in (config.defaults_for(backend), backend) if s is not None], request)
    for words in backend.directives("http-request"):
        action, condition = _split_condition(words)
        try:
            matched = evaluator.condition(condition)
        except UnknownConditionError as error:
            return Outcome("none", unknown=str(error))
        if not matched or len(action) < 2:
            continue
        if action[1] in _STOP:
            return Outcome("deny", " ".join(action), _status(action) or 403)
        if action[1] == "auth":
            return Outcome("auth", " ".join(action), 401)
        if action[1] == "return":
            return Outcome("return", " ".join(action), _status(action) or 200)
        if action[1] == "redirect":
            return Outcome("redirect", " ".join(action), 302)
    if backend.first("stats", "enable") or backend.first("stats", "uri"):
        return Outcome("backend", f"{name} (HAProxy stats page)")
    return Outcome("backend", name)


def _status(action: list[str]) -> int | None:
    for key in ("deny_status", "status"):
        if key in action:
            index = action.index(key)
            if index + 1 < len(action) and action[index + 1].isdigit():
                return int(action[index + 1])
    return None


def public_requests(config: Config, path: str) -> list[Request]:
    """How an outside client can present a request: directly with spoofed forwarding headers, and,
    when HAProxy trusts a proxy (`set-src ... if { src <cidrs> }`), through that proxy."""
    spoof = {"x-forwarded-for": [SPOOFED_INTERNAL], "x-real-ip": [SPOOFED_INTERNAL], "x-forwarded-proto": ["https"]}
    requests = [Request(path, PUBLIC_CLIENT, tls=True, headers=dict(spoof))]
    for section in config.sections:
        for words in section.directives("http-request", "set-src"):
            _, condition = _split_condition(words)
            networks = [w for w in condition if _looks_like_network(w)]
            if networks:
                proxy = str(next(iter(ipaddress.ip_network(networks[0], strict=False).hosts()), networks[0].split("/")[0]))
                requests.append(Request(path, proxy, tls=True, headers={
                    "x-forwarded-for": [f"{SPOOFED_INTERNAL}, {PUBLIC_CLIENT}"],
                    "x-real-ip": [SPOOFED_INTERNAL], "x-forwarded-proto": ["https"]}))
    return requests


def _looks_like_network(word: str) -> bool:
    try:
        ipaddress.ip_network(word.strip("{}"), strict=False)
        return "/" in word or word.count(".") == 3
    except ValueError:
        return False
