"""What HAProxy does with a request: the ordered rules of a listener, evaluated like HAProxy does.

The edge rules ask behavioural questions ("does a public client reach /admin?", "is plain HTTP only
redirected?") and answer them by walking probe requests through the configuration model: the
`http-request` rules in order (first final action wins, `allow` ends the ruleset), `redirect`
rules, `use_backend`/`default_backend`, then the backend's own rules. Conditions are three-valued:
an ACL this evaluator cannot read makes the outcome "unknown", which the rules report as "cannot
prove" rather than as a pass.
"""

from __future__ import annotations

import functools
import ipaddress
import posixpath
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from urllib.parse import unquote

from .haproxy_config import Bind, Config, Line, OversizeError, Section, binds
from .haproxy_regex import UnsupportedPatternError, compile_pattern

__all__ = ["Bind", "Config", "Line", "Outcome", "OversizeError", "Request", "Section", "binds", "walk"]

PUBLIC_CLIENT = "198.51.100.23"
"""A documentation address (TEST-NET-2): outside every range a config calls internal."""
SPOOFED_INTERNAL = "10.0.0.1"
FLOOD_RPS = 100
"""An abusive client: requests per second, steadily (a rate counter over P seconds reads FLOOD_RPS x P)."""
FLOOD_RATE = 1000
"""What such a client's counter reads over the usual 10 s period (messages quote it)."""
MAX_SPOOFED = 8
MAX_TERM_MEMO = 100_000
"""Forged source addresses tried per request: the documented one and hosts of the ranges the config trusts."""
WEB_PORTS = frozenset({80, 443, 8080, 8443, 8000, 8888})
FINAL_DENY = {"deny": 403, "reject": 403, "tarpit": 500, "silent-drop": 403}
CLIENT_FETCHES = ("hdr", "req.hdr", "req.fhdr", "hdr_ip", "req.hdr_ip", "cook", "req.cook", "url_param",
                  "urlp", "query", "req.body", "req.body_param", "hdr_val", "req.hdr_val")

Tri = bool | None
BUILTIN_ACLS = frozenset({
    "TRUE", "FALSE", "HTTP", "HTTP_1.0", "HTTP_1.1", "HTTP_2.0", "HTTP_CONTENT", "HTTP_URL_ABS", "HTTP_URL_SLASH",
    "HTTP_URL_STAR", "LOCALHOST", "METH_CONNECT", "METH_DELETE", "METH_GET", "METH_HEAD", "METH_OPTIONS", "METH_POST",
    "METH_PUT", "METH_TRACE", "RDP_COOKIE", "REQ_CONTENT", "WAIT_END", "HTTP_3.0"})


class UnknownConditionError(Exception):
    """A condition this evaluator cannot evaluate."""


@dataclass
class Request:
    path: str
    src: str
    tls: bool
    headers: dict[str, list[str]] = field(default_factory=dict)
    method: str = "GET"
    version: str = "1.1"
    query: str = ""
    port: int = 443
    flood: int = 0
    """Requests per second this client sends (a rate-limit probe sets it)."""
    authenticated: bool = False
    """The client holds valid HTTP credentials (a stolen or guessed password)."""
    tracked: dict[int, str] = field(default_factory=dict)
    variables: dict[str, list[str]] = field(default_factory=dict)
    dynamic_path: str = ""
    notes: list[str] = field(default_factory=list)

    def header(self, name: str) -> list[str]:
        return self.headers.get(name.lower(), [])

    def copy(self) -> Request:
        return replace(self, headers={k: list(v) for k, v in self.headers.items()}, tracked=dict(self.tracked),
                       variables=dict(self.variables), notes=list(self.notes))


@dataclass
class Outcome:
    action: str
    """deny | auth | redirect | return | service | stats | forward | none | unknown"""
    detail: str = ""
    status: int | None = None
    line: Line | None = None
    unknown: str = ""
    notes: tuple[str, ...] = ()
    rewritten: bool = False
    """Forwarded with a path rewritten after the rules judged it."""

    @property
    def where(self) -> str:
        return self.line.where if self.line is not None else ""

    @property
    def blocked(self) -> bool:
        return self.action in ("deny", "auth") or (self.action == "return" and (self.status or 200) >= 400)

    @property
    def forwards(self) -> bool:
        return self.action in ("forward", "stats", "service")


# --- fetches and conditions ---------------------------------------------------------------------------


@functools.lru_cache(maxsize=4096)
def split_expression(expr: str) -> tuple[str, str, list[str]]:
    """`name(args),conv1,conv2(x)` -> (name, args, converters); commas inside parentheses stay."""
    parts: list[str] = []
    depth, start = 0, 0
    for index, char in enumerate(expr):
        if char == "(":
            depth += 1
        elif char == ")":
            depth = max(0, depth - 1)
        elif char == "," and depth == 0:
            parts.append(expr[start:index])
            start = index + 1
    parts.append(expr[start:])
    head = parts[0]
    name, _, rest = head.partition("(")
    args = rest[:-1] if rest.endswith(")") else rest
    return name.lower(), args, parts[1:]


@functools.lru_cache(maxsize=4096)
def _ip(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(value.strip().strip("[]"))
    except ValueError:
        return None


@functools.lru_cache(maxsize=4096)
def _network(value: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    try:
        return ipaddress.ip_network(value.strip(), strict=False)
    except ValueError:
        return None


class Evaluator:
    """Evaluates fetches and `if`/`unless` conditions of one proxy for one request."""

    def __init__(self, config: Config, sections: list[Section], request: Request) -> None:
        self.config = config
        self.request = request
        memo = config.memo.setdefault("acls", {})
        assert isinstance(memo, dict)
        key = tuple(id(section) for section in sections)
        if key not in memo:  # the ACLs of a proxy are the same for every probe request
            acls: dict[str, list[Line]] = {}
            for section in sections:
                for entry in section.entries:
                    if entry.words[0] == "acl" and len(entry.words) >= 3:
                        acls.setdefault(entry.words[1], []).append(entry)
            memo[key] = acls
        self.acls: dict[str, list[Line]] = memo[key]

    # sample fetches: (default match method, samples)
    def fetch(self, expr: str, *, sample: bool = False) -> tuple[str, list[str]]:
        name, args, converters = split_expression(expr)
        method, values = self._fetch(name, args, sample)
        for converter in converters:
            conv = converter.split("(", 1)[0].strip().lower()
            if conv == "lower":
                values = [v.lower() for v in values]
            elif conv == "upper":
                values = [v.upper() for v in values]
            elif conv == "url_dec":
                values = [unquote(v) for v in values]
            elif conv in ("ipmask", "table_http_req_rate"):
                raise UnknownConditionError(f"converter {conv}")
            else:
                raise UnknownConditionError(f"converter {conv} in {expr}")
        return method, values

    def _headers(self, args: str, *, sample: bool, split_commas: bool = True) -> list[str]:
        parts = [a.strip() for a in args.split(",")] if args else []
        name = parts[0] if parts else ""
        values: list[str] = []
        for raw in (self.request.header(name) if name else [v for vs in self.request.headers.values() for v in vs]):
            values.extend(v.strip() for v in raw.split(",")) if split_commas else values.append(raw)
        if len(parts) > 1 and parts[1].lstrip("-").isdigit():
            occurrence = int(parts[1])
            index = occurrence - 1 if occurrence > 0 else occurrence
            return [values[index]] if values and -len(values) <= index < len(values) else []
        if sample:  # as a sample expression, HAProxy uses the last occurrence
            return values[-1:]
        return values

    def _fetch(self, name: str, args: str, sample: bool) -> tuple[str, list[str]]:
        request = self.request
        bare = name.removeprefix("req.") if name.startswith("req.hdr") or name.startswith("req.fhdr") else name
        if name in ("path", "url", "base", "pathq", "path_beg", "path_end", "path_sub", "path_reg", "path_dir",
                    "path_dom", "path_len", "url_beg", "url_end", "url_sub", "url_reg", "url_dir", "pathq_beg"):
            if request.dynamic_path:
                raise UnknownConditionError(f"{name} after {request.dynamic_path}")
            value = request.path
            if name.startswith(("url", "pathq")) and request.query:
                value = f"{request.path}?{request.query}"
            if name == "base":
                value = "".join(request.header("host")[:1]) + request.path
            method = name.split("_", 1)[1] if "_" in name else "str"
            return method, [value]
        if name == "query":
            return "str", [request.query] if request.query else []
        if name in ("url_param", "urlp"):
            key = args.split(",", maxsplit=1)[0]
            found = [p.partition("=")[2] for p in request.query.split("&") if p.partition("=")[0] == key]
            return "str", found
        if name == "src":
            return "ip", [request.src]
        if name in ("dst_port", "so_name"):
            return "int", [str(request.port)]
        if name in ("ssl_fc", "ssl_fc_has_sni", "ssl_c_used"):
            return "bool", ["1" if request.tls else "0"]
        if name == "method":
            return "str", [request.method]
        if bare in ("hdr", "fhdr"):
            return "str", self._headers(args, sample=sample, split_commas=bare == "hdr")
        if bare in ("hdr_beg", "hdr_end", "hdr_sub", "hdr_reg", "hdr_dom", "hdr_len", "hdr_dir"):
            return bare.split("_", 1)[1], self._headers(args, sample=sample)
        if bare in ("hdr_ip", "fhdr_ip"):
            return "ip", self._headers(args, sample=sample)
        if bare in ("hdr_val",):
            return "int", self._headers(args, sample=sample)
        if bare in ("hdr_cnt", "fhdr_cnt"):
            return "int", [str(len(self._headers(args, sample=False, split_commas=bare == "hdr_cnt")))]
        if name in ("cook", "req.cook"):
            jar = "; ".join(request.header("cookie"))
            return "str", [c.partition("=")[2] for c in jar.split("; ") if c.partition("=")[0] == args]
        if name in ("http_auth", "http_auth_group", "http_auth_bearer"):
            return "bool", ["1" if request.authenticated else "0"]
        if name in ("always_true", "always_false"):
            return "bool", ["1" if name == "always_true" else "0"]
        if name in ("bool", "int", "str"):
            return name if name != "str" else "str", [args]
        if name == "var":
            return "str", list(request.variables.get(args.split(",", maxsplit=1)[0], []))
        if name in ("req.ver", "req_ver"):
            return "str", [request.version]
        return self._rate(name, args)

    def _rate(self, name: str, args: str) -> tuple[str, list[str]]:
        """Stick counters: a client over the limit has FLOOD requests in the period when it is tracked into a
        table that stores the counter read; otherwise the fetch has no sample (HAProxy: no match)."""
        counter = ""
        index: int | None = None
        table = ""
        parts = [a.strip() for a in args.split(",")] if args else []
        if name.startswith("sc_"):
            counter = name[3:]
            if parts and parts[0].isdigit():
                index = int(parts[0])
                table = parts[1] if len(parts) > 1 else ""
        elif len(name) > 4 and name[:2] == "sc" and name[2].isdigit() and name[3] == "_":
            counter, index = name[4:], int(name[2])
            table = parts[0] if parts else ""
        elif name.startswith("src_"):
            counter = name[4:]
            table = parts[0] if parts else ""
            tables = set(self.request.tracked.values())
            if not table and tables:
                table = next(iter(tables))
            return "int", [str(self._counter(table, counter))] if table in tables else []
        if not counter or index is None:
            raise UnknownConditionError(f"fetch {name}")
        tracked = self.request.tracked.get(index)
        if tracked is None:
            return "int", []
        return "int", [str(self._counter(table or tracked, counter))]

    def _counter(self, table: str, counter: str) -> int:
        periods = stored_periods(self.config, table)
        name = counter.split("(", maxsplit=1)[0]
        if name not in periods:
            return 0
        if name.endswith("_rate"):
            return int(self.request.flood * (periods[name] or 0.0))
        return self.request.flood * 10 if name.endswith("_cnt") else 0

    def term(self, words: list[str]) -> Tri:
        """One ACL body: `<fetch> [flags] [patterns...]`; None when it cannot be evaluated. The match depends
        only on the body and the samples fetched, so it is computed once per pair for the configuration (every
        probe request asks again)."""
        if not words:
            raise UnknownConditionError("empty condition")
        default_method, samples = self.fetch(words[0])
        memo = self.config.memo.setdefault("terms", {})
        assert isinstance(memo, dict)
        key = (tuple(words), default_method, tuple(samples))
        if key not in memo:
            if len(memo) > MAX_TERM_MEMO:
                memo.clear()
            memo[key] = self._match_term(words, default_method, samples)
        return memo[key]

    def _match_term(self, words: list[str], default_method: str, samples: list[str]) -> bool:
        method = default_method
        ignore_case = False
        patterns: list[str] = []
        position = 1
        flags_done = False
        while position < len(words):
            word = words[position]
            if not flags_done and word == "-m" and position + 1 < len(words):
                method = words[position + 1]
                position += 2
                continue
            if not flags_done and word == "-i":
                ignore_case = True
            elif not flags_done and word in ("-f", "-M", "-u"):
                raise UnknownConditionError(f"{words[0]} {word} {' '.join(words[position + 1:position + 2])} "
                                            "(patterns from a file)")
            elif not flags_done and word in ("-n",):
                pass
            elif not flags_done and word == "--":
                flags_done = True
            else:
                flags_done = True
                patterns.append(word)
            position += 1
        if method == "bool":
            return any(s not in ("", "0") for s in samples)
        if method == "found":
            return bool(samples)
        if method == "int":
            return _int_match(samples, patterns)
        if method == "ip":
            return _ip_match(samples, patterns)
        if method == "len":
            return any(str(len(s)) in patterns for s in samples)
        if method == "reg":
            try:
                compiled = [compile_pattern(p, ignore_case=ignore_case) for p in patterns]
            except UnsupportedPatternError as error:
                raise UnknownConditionError(f"regex: {error}") from error
            return any(c.search(s) for c in compiled for s in samples)
        if ignore_case:
            samples = [s.lower() for s in samples]
            patterns = [p.lower() for p in patterns]
        for sample in samples:
            for pattern in patterns:
                if _match(method, sample, pattern):
                    return True
        return False

    def acl(self, name: str) -> Tri:
        if name in self.acls:
            return _any([self.term(line.words[2:]) for line in self.acls[name]])
        if name not in BUILTIN_ACLS:
            raise UnknownConditionError(f"acl {name} is not defined")
        method, version = self.request.method, self.request.version
        if name.startswith("METH_"):
            return method in ("GET", "HEAD") if name == "METH_GET" else method == name[5:]
        builtin: dict[str, Tri] = {
            "TRUE": True, "FALSE": False, "HTTP": True, "HTTP_1.0": version == "1.0", "HTTP_1.1": version == "1.1",
            "HTTP_2.0": version == "2.0", "HTTP_3.0": version == "3.0", "HTTP_CONTENT": method == "POST",
            "HTTP_URL_ABS": False, "HTTP_URL_SLASH": self.request.path.startswith("/"), "HTTP_URL_STAR": False,
            "LOCALHOST": _ip_match([self.request.src], ["127.0.0.0/8", "::1"]), "RDP_COOKIE": False,
            "REQ_CONTENT": method == "POST", "WAIT_END": False}
        return builtin.get(name)

    def condition(self, words: list[str]) -> Tri:
        """`if`/`unless` followed by ACL names, `!`, `{ anonymous acl }`, `||`/`or`; True when none."""
        if not words:
            return True
        negate_all = words[0] == "unless"
        body = words[1:] if words[0] in ("if", "unless") else words
        groups: list[list[Tri]] = [[]]
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
                    if position >= len(body):
                        raise UnknownConditionError("'!' at the end of a condition")
                    word = body[position]
            try:
                if word.startswith("{"):
                    inner: list[str] = [word[1:]] if len(word) > 1 else []
                    position += 1
                    while position < len(body) and not body[position].endswith("}"):
                        inner.append(body[position])
                        position += 1
                    if position >= len(body) and not word.endswith("}"):
                        position += 1
                        raise UnknownConditionError("unclosed '{' in a condition")
                    if position < len(body) and not (len(word) > 1 and word.endswith("}")):
                        inner.append(body[position][:-1])
                    elif word.endswith("}") and len(word) > 1:
                        inner = [word[1:-1]]
                    position += 1
                    value = self.term([w for w in inner if w])
                else:
                    position += 1
                    value = self.acl(word)
            except UnknownConditionError:
                value = None
                if not self.last_unknown:  # joined once: a long condition must not make this quadratic
                    self.last_unknown = " ".join(body[:16]) + (" ..." if len(body) > 16 else "")
            groups[-1].append(None if value is None else value != negate)
        result = _any([_all(group) for group in groups if group])
        if result is None:
            return None
        return not result if negate_all else result

    last_unknown = ""


def _all(values: list[Tri]) -> Tri:
    if any(v is False for v in values):
        return False
    return None if any(v is None for v in values) else True


def _any(values: list[Tri]) -> Tri:
    if any(v is True for v in values):
        return True
    return None if any(v is None for v in values) else False


def _int_match(samples: list[str], patterns: list[str]) -> bool:
    numbers = [float(s) for s in samples if _is_number(s)]
    if not patterns:
        return any(n != 0 for n in numbers)
    operator = patterns[0] if patterns[0] in ("gt", "ge", "lt", "le", "eq") else ""
    values = patterns[1:] if operator else patterns
    for number in numbers:
        for value in values:
            if ":" in value and not operator:
                low, _, high = value.partition(":")
                if (not low or number >= float(low)) and (not high or number <= float(high)):
                    return True
                continue
            if not _is_number(value):
                continue
            limit = float(value)
            if {"gt": number > limit, "ge": number >= limit, "lt": number < limit, "le": number <= limit,
                    "eq": number == limit, "": number == limit}[operator]:
                return True
    return False


def _is_number(text: str) -> bool:
    return text.strip().lstrip("-").replace(".", "", 1).isdigit() and len(text) < 40


def _ip_match(samples: list[str], patterns: list[str]) -> bool:
    networks = [n for p in patterns if (n := _network(p)) is not None]
    for sample in samples:
        address = _ip(sample)
        if address is not None and any(address.version == n.version and address in n for n in networks):
            return True
    return False


def _match(method: str, sample: str, value: str) -> bool:
    if method in ("str", "ip"):
        return sample == value
    if method == "beg":
        return sample.startswith(value)
    if method == "end":
        return sample.endswith(value)
    if method == "sub":
        return value in sample
    if method == "dir":
        return value.strip("/") in sample.split("?", maxsplit=1)[0].strip("/").split("/")
    if method == "dom":
        return value in sample.replace("/", ".").split(".")
    raise UnknownConditionError(f"-m {method}")


TIME_UNITS = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
SIZE_UNITS = {"k": 1024, "m": 1024**2, "g": 1024**3}


def seconds(text: str, default_unit: str = "ms") -> float | None:
    """An HAProxy time (`10s`, `1m`, `500` = 500 ms); None when it does not parse."""
    digits = text[:len(text) - len(text.lstrip("0123456789"))]
    unit = text[len(digits):] or default_unit
    if not digits or len(digits) > 12 or unit not in TIME_UNITS:
        return None
    return int(digits) * TIME_UNITS[unit]


def size_of(text: str) -> int | None:
    digits = text[:len(text) - len(text.lstrip("0123456789"))]
    unit = text[len(digits):].lower()
    if not digits or len(digits) > 12 or (unit and unit not in SIZE_UNITS):
        return None
    return int(digits) * SIZE_UNITS.get(unit, 1)


@dataclass(frozen=True)
class StickTable:
    name: str
    line: Line | None
    words: tuple[str, ...]

    def option(self, key: str) -> str | None:
        """The value of the last `key <value>` pair (HAProxy keeps the last)."""
        found = None
        for index, word in enumerate(self.words[:-1]):
            if word == key:
                found = self.words[index + 1]
        return found

    def spelled(self, counter: str) -> str:
        """The `store` item for `counter` as written (`http_req_rate(1ms)`)."""
        for index, word in enumerate(self.words[:-1]):
            if word == "store":
                for item in self.words[index + 1].split(","):
                    if item.partition("(")[0] == counter:
                        return item[:40]
        return counter

    @property
    def periods(self) -> dict[str, float | None]:
        """Stored data types -> their period in seconds (None for counters without one)."""
        stored: dict[str, float | None] = {}
        words = list(self.words)
        for index, word in enumerate(words[:-1]):
            if word != "store":
                continue
            for item in words[index + 1].split(","):
                name, _, rest = item.partition("(")
                if name:
                    stored[name] = seconds(rest.rstrip(")")) if rest else None
        return stored


def stick_table(config: Config, table: str) -> StickTable | None:
    """The stick table a proxy (or a peers section) declares under `table`."""
    section = config.named("backend", table) or config.named("frontend", table) or config.named("listen", table)
    if section is not None:
        found = list(section.matching("stick-table"))
        return StickTable(table, found[-1], tuple(found[-1].words[1:])) if found else None
    for peers in config.of("peers"):
        for entry in peers.matching("table"):
            if entry.words[1:2] == [table]:
                return StickTable(table, entry, tuple(entry.words[2:]))
    return None


def stored_periods(config: Config, table: str) -> dict[str, float | None]:
    found = stick_table(config, table)
    return found.periods if found is not None else {}


def stored_counters(config: Config, table: str) -> set[str]:
    """The data types a stick table stores (`store http_req_rate(10s),conn_cur`)."""
    return set(stored_periods(config, table))


def split_condition(words: list[str]) -> tuple[list[str], list[str]]:
    for index, word in enumerate(words):
        if word in ("if", "unless"):
            return words[:index], words[index:]
    return words, []


def status_of(action: list[str]) -> int | None:
    for key in ("deny_status", "status", "code"):
        if key in action:
            index = action.index(key)
            if index + 1 < len(action) and action[index + 1].isdigit():
                return int(action[index + 1])
    return None


def _normalize(request: Request, how: str) -> None:
    path = request.path
    if how == "path-merge-slashes":
        while "//" in path:
            path = path.replace("//", "/")
    elif how in ("path-strip-dotdot", "path-strip-dot"):
        trailing = path.endswith("/")
        path = posixpath.normpath(path) if how == "path-strip-dotdot" else "/".join(
            p for p in path.split("/") if p != ".") or "/"
        path = path.replace("//", "/") if path.startswith("//") else path
        if trailing and not path.endswith("/"):
            path += "/"
    elif how == "percent-decode-unreserved":
        out, index = [], 0
        while index < len(path):
            chunk = path[index:index + 3]
            if len(chunk) == 3 and chunk[0] == "%":
                decoded = unquote(chunk)
                if decoded.isalnum() or decoded in "-._~":
                    out.append(decoded)
                    index += 3
                    continue
            out.append(path[index])
            index += 1
        path = "".join(out)
    request.path = path


# --- the walk -----------------------------------------------------------------------------------------


def _proxy_sections(config: Config, proxy: Section) -> list[Section]:
    return [s for s in (config.defaults_for(proxy), proxy) if s is not None]


def _rule_lines(config: Config, sections: list[Section], keyword: str) -> list[Line]:
    """The lines of `sections` that start with `keyword` (or `block`, an old spelling of a deny), in order;
    computed once per configuration."""
    memo = config.memo.setdefault("rule_lines", {})
    assert isinstance(memo, dict)
    key = (keyword, *(id(section) for section in sections))
    if key not in memo:
        wanted = {keyword, "block"} if keyword == "http-request" else {keyword}
        memo[key] = [entry for section in sections for entry in section.entries if entry.words[0] in wanted]
    return memo[key]


def _run_rules(config: Config, proxy: Section, request: Request, keyword: str) -> Outcome | None:
    """One proxy's `http-request` (or `tcp-request content`) ruleset; a final Outcome, or None to go on."""
    sections = _proxy_sections(config, proxy)
    evaluator = Evaluator(config, sections, request)
    for entry in _rule_lines(config, sections, keyword):
        words = entry.words
        if keyword == "tcp-request":
            if words[:2] not in (["tcp-request", "content"], ["tcp-request", "connection"]) or len(words) < 3:
                continue
            action, condition = split_condition(words[2:])
        elif words[0] == "block":
            action, condition = split_condition(["deny", *words[1:]])
        elif words[0] != "http-request" or len(words) < 2:
            continue
        else:
            action, condition = split_condition(words[1:])
        verb = action[0] if action else ""
        matched = evaluator.condition(condition)
        if matched is False:
            continue
        if matched is None:
            if verb in ("set-header", "add-header", "set-log-level", "capture", "set-var", "del-header"):
                continue  # an uncertain cosmetic action does not decide the outcome
            after = f" after the path is rewritten by {request.dynamic_path}" if request.dynamic_path else ""
            return Outcome("unknown", " ".join(words), line=entry,
                           unknown=f"cannot evaluate '{evaluator.last_unknown}'{after}", notes=tuple(request.notes),
                           rewritten=bool(request.dynamic_path))
        outcome = _apply(proxy, request, evaluator, entry, action)
        if outcome is not None:
            return outcome
    return None


def _apply(proxy: Section, request: Request, evaluator: Evaluator, entry: Line,
           action: list[str]) -> Outcome | None:
    verb = action[0]
    notes = tuple(request.notes)
    if verb in FINAL_DENY or verb == "reject":
        return Outcome("deny", " ".join(action), status_of(action) or FINAL_DENY.get(verb, 403), entry, notes=notes)
    if verb == "auth":
        return Outcome("auth", " ".join(action), 401, entry, notes=notes)
    if verb == "redirect":
        return Outcome("redirect", " ".join(action[1:]), status_of(action) or 302, entry, notes=notes)
    if verb == "return":
        return Outcome("return", " ".join(action), status_of(action) or 200, entry, notes=notes)
    if verb == "use-service":
        return Outcome("service", " ".join(action[1:]), 200, entry, notes=notes)
    if verb in {"allow", "accept"}:
        return Outcome("allow", "", None, entry, notes=notes)
    if verb == "set-src" and len(action) > 1:
        name = split_expression(action[1])[0]
        try:
            _, values = evaluator.fetch(action[1], sample=True)
        except UnknownConditionError as error:
            return Outcome("unknown", " ".join(action), line=entry, unknown=str(error), notes=notes)
        if values and _ip(values[0]) is not None:
            request.src = values[0]
            if name.removeprefix("req.").startswith(("hdr", "fhdr")):
                request.notes.append(f"{entry.where} sets the source address from the client header "
                                     f"{action[1]}")
    elif verb in ("set-header", "add-header") and len(action) > 2:
        name = action[1].lower()
        value = action[2] if "%[" not in action[2] else "<dynamic>"
        request.headers[name] = [value] if verb == "set-header" else [*request.header(name), value]
    elif verb == "del-header" and len(action) > 1:
        request.headers.pop(action[1].lower(), None)
    elif verb in ("set-path", "set-uri", "set-pathq", "replace-path", "replace-uri", "replace-pathq"):
        target = action[1] if len(action) > 1 else ""
        if verb.startswith("set-") and "%" not in target and target.startswith("/"):
            request.path = target.split("?")[0]
        else:
            request.dynamic_path = f"{entry.where} ({verb})"
    elif verb == "normalize-uri" and len(action) > 1:
        _normalize(request, action[1])
    elif verb.startswith("track-sc") and len(action) > 1:
        index = verb.removeprefix("track-sc")
        if index.isdigit():
            try:
                _, key = evaluator.fetch(action[1], sample=True)
            except UnknownConditionError as error:
                return Outcome("unknown", " ".join(action), line=entry, unknown=str(error), notes=notes)
            table = action[action.index("table") + 1] if "table" in action[:-1] else proxy.name
            if key:
                request.tracked.setdefault(int(index), table)
    elif verb.startswith("set-var") and len(action) > 1:
        target = action[0].partition("(")[2].rstrip(")")
        try:
            _, values = evaluator.fetch(action[1], sample=True)
        except UnknownConditionError:
            values = ["<dynamic>"]
        request.variables[target] = values
    return None


def _route(config: Config, frontend: Section, request: Request) -> Section | str | None:
    evaluator = Evaluator(config, _proxy_sections(config, frontend), request)
    for entry in frontend.matching("use_backend"):
        action, condition = split_condition(entry.words)
        matched = evaluator.condition(condition)
        if matched is None:
            return f"cannot evaluate '{evaluator.last_unknown}' ({entry.where})"
        if matched and len(action) > 1:
            return config.named("backend", action[1]) or Section("backend", action[1])
    names = [w for w in frontend.directives("default_backend")]
    defaults = config.defaults_for(frontend)
    if not names and defaults is not None:
        names = list(defaults.directives("default_backend"))
    if names and len(names[-1]) > 1:
        return config.named("backend", names[-1][1]) or Section("backend", names[-1][1])
    if frontend.kind == "listen":
        return frontend
    return None


def _serves_stats(config: Config, proxy: Section) -> bool:
    return any(section.first("stats", "enable") or section.first("stats", "uri") for section in _proxy_sections(config, proxy))


def walk(config: Config, listener: Section, request: Request) -> Outcome:
    """What the listener does with the request (memoised per configuration: several rules ask the same)."""
    memo = config.memo.setdefault("walk", {})
    assert isinstance(memo, dict)
    key = (id(listener), request.path, request.query, request.src, request.tls, request.port, request.flood,
           request.method, request.version, request.authenticated,
           tuple(sorted((k, tuple(v)) for k, v in request.headers.items())))
    if key not in memo:
        memo[key] = _walk(config, listener, request.copy())
    return memo[key]


def _walk(config: Config, listener: Section, request: Request) -> Outcome:
    if config.mode(listener) != "http":
        target = _route(config, listener, request)
        name = target.name if isinstance(target, Section) else target
        if target is None:
            return Outcome("none", "no backend")
        return Outcome("forward", f"mode tcp: the HTTP rules do not apply; to {name}")
    monitor = config.setting(listener, "monitor-uri")  # a defaults section gives it to every proxy
    if monitor is not None and len(monitor.words) > 1 and request.path == monitor.words[1]:
        return Outcome("return", "monitor-uri", 200, monitor)
    for keyword in ("tcp-request", "http-request"):
        outcome = _run_rules(config, listener, request, keyword)
        if outcome is not None and outcome.action == "allow":
            if keyword == "http-request":  # a tcp-request accept ends only the tcp-request rules
                request.notes.append(f"'http-request allow' on {outcome.where} skips the rules after it")
        elif outcome is not None:
            return outcome
    evaluator = Evaluator(config, _proxy_sections(config, listener), request)
    for entry in listener.matching("redirect"):
        action, condition = split_condition(entry.words)
        matched = evaluator.condition(condition)
        if matched is None:
            return Outcome("unknown", entry.text, line=entry, unknown=f"cannot evaluate '{evaluator.last_unknown}'")
        if matched:
            return Outcome("redirect", " ".join(action[1:]), status_of(action) or 302, entry)
    if _serves_stats(config, listener):
        return Outcome("stats", f"the HAProxy stats page of {listener.label}", 200, listener.line)
    target = _route(config, listener, request)
    if isinstance(target, str):
        return Outcome("unknown", "use_backend", unknown=target)
    if target is None:
        return Outcome("none", "no backend", notes=tuple(request.notes))
    if target is not listener:
        outcome = _run_rules(config, target, request, "http-request")
        if outcome is not None and outcome.action != "allow":
            return outcome
        if _serves_stats(config, target):
            return Outcome("stats", f"the HAProxy stats page of {target.label}", 200, target.line)
    if request.dynamic_path:
        # The checks above judged the client's path; the backend gets another one, which may be /admin.
        return Outcome("unknown", f"backend '{target.name}'", unknown=f"the path is rewritten by {request.dynamic_path}, "
                       "so the backend may receive a path the rules before it never judged",
                       notes=tuple(request.notes), rewritten=True)
    return Outcome("forward", f"backend '{target.name}'", notes=tuple(request.notes))


# --- who reaches a listener, and how ------------------------------------------------------------------


def is_public(config: Config, listener: Section) -> bool:
    """A listener clients can reach: a network bind (not loopback, not a socket) that terminates TLS, uses a
    web port, or forwards to a backend."""
    network = [b for b in binds(listener) if b.network]
    if not network:
        return False
    if any(b.ssl or b.port in WEB_PORTS for b in network):
        return True
    return walk(config, listener, Request("/", PUBLIC_CLIENT, tls=False, port=network[0].port or 0)).forwards


def header_names(config: Config) -> dict[str, list[str]]:
    """Client-controlled headers the conditions read, with the patterns they are compared to."""
    cached = config.memo.get("header_names")
    if isinstance(cached, dict):
        return cached
    found: dict[str, list[str]] = {}
    config.memo["header_names"] = found
    for section in config.sections:
        for entry in section.entries:
            for term in condition_terms(entry.words):
                name, args, _ = split_expression(term[0])
                if name.removeprefix("req.").startswith(("hdr", "fhdr")) and args:
                    header = args.split(",")[0].strip().lower()
                    found.setdefault(header, []).extend(term_patterns(term)[:3])
                elif name in ("cook", "req.cook", "cook_val", "req.cook_val") and args:
                    cookie = args.split(",")[0].strip()
                    found.setdefault("cookie", []).extend(f"{cookie}={p}" for p in term_patterns(term)[:2] or ["1"])
    return found


def parameter_names(config: Config) -> dict[str, list[str]]:
    """Query parameters the conditions read (`url_param(debug)`), with the patterns they are compared to."""
    cached = config.memo.get("parameter_names")
    if isinstance(cached, dict):
        return cached
    found: dict[str, list[str]] = {}
    for section in config.sections:
        for entry in section.entries:
            for term in condition_terms(entry.words):
                name, args, _ = split_expression(term[0])
                if name in ("url_param", "urlp") and args:
                    found.setdefault(args.split(",")[0].strip(), []).extend(term_patterns(term)[:2])
    config.memo["parameter_names"] = found
    return found


def condition_terms(words: list[str]) -> Iterator[list[str]]:
    """The ACL bodies of a line: `acl <name> <fetch> ...` and each anonymous `{ <fetch> ... }`."""
    if not words:
        return
    if words[0] == "acl" and len(words) > 2:
        yield words[2:]
        return
    index = 0
    while index < len(words):
        word = words[index].lstrip("!")
        if word.startswith("{"):
            inner = [word[1:]] if len(word) > 1 else []
            index += 1
            while index < len(words) and not words[index - 1].endswith("}"):
                inner.append(words[index])
                index += 1
            inner = [w.removesuffix("}") for w in inner]
            inner = [w for w in inner if w]
            if inner:
                yield inner
            continue
        index += 1


def term_patterns(term: list[str]) -> list[str]:
    """The patterns of an ACL body (`<fetch> [-i] [-m method] [--] patterns...`)."""
    out: list[str] = []
    index = 1
    while index < len(term):
        word = term[index]
        if word in ("-m", "-f", "-M", "-u") and not out:
            index += 2
            continue
        if word.startswith("-") and not out and word != "--":
            index += 1
            continue
        if word != "--" or out:
            out.append(word)
        index += 1
    return out


def source_networks(config: Config, words: list[str]) -> list[str]:
    """The address patterns a condition compares the source with: anonymous `{ src ... }` terms and named
    ACLs whose fetch is `src` (all lines of the name, anywhere in the configuration)."""
    out: list[str] = []
    names = {w.lstrip("!") for w in words if w.lstrip("!")[:1].isalpha() and w not in ("if", "unless", "or")}
    for term in condition_terms(words):
        if split_expression(term[0])[0] == "src":
            out += term_patterns(term)
    cached = config.memo.get("src_acls")
    by_name: dict[str, list[str]] = cached if isinstance(cached, dict) else {}
    if not isinstance(cached, dict):
        for section in config.sections:
            for entry in section.matching("acl"):
                if len(entry.words) > 3 and split_expression(entry.words[2])[0] == "src":
                    by_name.setdefault(entry.words[1], []).extend(term_patterns(entry.words[2:]))
        config.memo["src_acls"] = by_name
    for name in sorted(names):
        out += by_name.get(name, [])
    return out


SPOOFED_HEADERS = {
    "x-forwarded-for": [SPOOFED_INTERNAL], "x-real-ip": [SPOOFED_INTERNAL], "forwarded": [f"for={SPOOFED_INTERNAL}"],
    "x-client-ip": [SPOOFED_INTERNAL], "true-client-ip": [SPOOFED_INTERNAL], "x-forwarded-proto": ["https"],
    "x-forwarded-ssl": ["on"], "x-forwarded-port": ["443"], "host": ["localhost"]}


def trusted_addresses(config: Config) -> list[str]:
    """A host inside each address range the configuration names (the ranges it calls internal or trusted):
    the values a client forges in a header or a PROXY protocol line to be taken for an insider."""
    cached = config.memo.get("trusted_addresses")
    if isinstance(cached, list):
        return cached
    found: list[str] = [SPOOFED_INTERNAL]
    chosen = [ipaddress.ip_address(SPOOFED_INTERNAL)]
    for section in config.sections:
        for entry in section.entries:
            if entry.words[0] not in ("acl", "http-request", "tcp-request", "use_backend", "redirect"):
                continue
            for raw in entry.words:
                word = raw.strip("{}")
                network = _network(word) if 0 < len(word) <= 49 and word[:1].isalnum() and ("." in word or ":" in word) \
                    else None
                if network is None or network.num_addresses > 2**24 or len(found) >= MAX_SPOOFED \
                        or any(a.version == network.version and a in network for a in chosen):
                    continue  # one claimed address per trusted range is enough
                host = network.network_address + (1 if network.num_addresses > 2 else 0)
                chosen.append(host)
                found.append(str(host))
    config.memo["trusted_addresses"] = found
    return found


def proxy_protocol(config: Config, listener: Section, bind: Bind | None) -> str:
    """Why the listener takes the client address from a PROXY protocol header the client itself may send."""
    if bind is not None and "accept-proxy" in bind.words:
        return f"accept-proxy on {bind.line.where}"
    for section in _proxy_sections(config, listener):
        for entry in section.matching("tcp-request", "connection", "expect-proxy"):
            return f"'{entry.text}' on {entry.where}"
    return ""


def client_requests(config: Config, path: str, *, tls: bool, port: int, query: str = "",
                    proxied: str = "") -> list[Request]:
    """How an outside client can present a request: plain, with forged forwarding headers (claiming each
    address range the config trusts), with each header the config's conditions read set to the values they
    compare against, where HAProxy trusts a proxy (`set-src ... if { src <cidrs> }`) through that proxy with
    a forged header prefix, and, where the listener reads a PROXY protocol header (`proxied`), with a forged
    source address."""
    plain = Request(path, PUBLIC_CLIENT, tls=tls, headers={"host": ["www.example.com"]}, port=port, query=query)
    requests = [plain]
    for address in trusted_addresses(config):
        forged = {k: [v[0].replace(SPOOFED_INTERNAL, address)] for k, v in SPOOFED_HEADERS.items()}
        requests.append(replace(plain, headers=forged))
    if proxied:
        for address in trusted_addresses(config):
            requests.append(replace(plain, src=address, notes=[f"the source address {address} comes from a PROXY "
                                                               f"protocol header the client sends ({proxied})"]))
    for header, patterns in list(header_names(config).items())[:8]:
        for pattern in dict.fromkeys(patterns[:3] or ["1"]):
            requests.append(replace(plain, headers={"host": ["www.example.com"], header: [pattern]}))
    for name, patterns in list(parameter_names(config).items())[:4]:
        for pattern in dict.fromkeys(patterns[:2] or ["1"]):
            requests.append(replace(plain, query=f"{name}={pattern}"))
    # Conditions on the method or the protocol version: the same request as a POST and over HTTP/2.
    requests += [replace(plain, method="POST"), replace(plain, version="2.0")]
    if "host" in header_names(config):
        # HTTP/1.0 needs no Host header (HAProxy refuses only an HTTP/1.1 request without one): a condition
        # that looks for the host is false for such a client.
        requests.append(replace(plain, headers={}, version="1.0"))
    for proxy in trusted_proxies(config):
        for address in trusted_addresses(config)[:2]:
            requests.append(replace(plain, src=proxy, headers={
                "host": ["www.example.com"], "x-forwarded-for": [f"{address}, {PUBLIC_CLIENT}"],
                "x-real-ip": [address], "x-forwarded-proto": ["https"]}))
    return requests


def trusted_proxies(config: Config) -> list[str]:
    """An address of each proxy whose forwarding header HAProxy believes (`set-src ... if <src acl>`)."""
    cached = config.memo.get("trusted_proxies")
    if isinstance(cached, list):
        return cached
    found: list[str] = []
    for section in config.sections:
        for entry in section.matching("http-request", "set-src"):
            _, condition = split_condition(entry.words)
            for word in source_networks(config, condition):
                network = _network(word) if "/" in word else None
                if network is not None and network.version == 4 and network.num_addresses > 1:
                    proxy = str(next(network.hosts()))
                    if proxy not in found and len(found) < MAX_SPOOFED:
                        found.append(proxy)
                    break
    config.memo["trusted_proxies"] = found
    return found


MAX_CONFIG_PATHS = 8


def config_paths(config: Config) -> list[str]:
    """Paths the configuration's conditions single out (`path_beg /api`, `path /x`): a rule that treats them
    apart (forwards them over plain HTTP, leaves them out of the rate limit) is found by probing them."""
    cached = config.memo.get("config_paths")
    if isinstance(cached, list):
        return cached
    found: list[str] = []
    for section in config.sections:
        for entry in section.entries:
            for term in condition_terms(entry.words):
                name = split_expression(term[0])[0]
                if name not in ("path", "path_beg", "path_dir", "path_end", "url", "url_beg", "base", "pathq"):
                    continue
                for pattern in term_patterns(term):
                    if pattern.startswith("/") and len(pattern) < 200 and pattern not in found:
                        found.append(pattern)
                    if len(found) >= MAX_CONFIG_PATHS:
                        config.memo["config_paths"] = found
                        return found
    config.memo["config_paths"] = found
    return found


def path_spellings(path: str) -> list[str]:
    """The ways a client can spell `path` that a backend may still route to it."""
    inner = path.lstrip("/")
    first = inner[:1]
    spellings = [path, path.upper(), "//" + inner, "/./" + inner, "/x/../" + inner]
    if first:
        spellings.append("/%" + format(ord(first), "02x") + inner[1:])
    return list(dict.fromkeys(spellings))


def network_binds(listener: Section) -> Iterator[Bind]:
    for bind in binds(listener):
        if bind.network:
            yield bind
