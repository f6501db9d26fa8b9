"""haproxy.cfg as HAProxy reads it: words of each line, sections, binds and their TLS settings.

The tokenizer follows HAProxy's own line parser: words are separated by blanks; `#` outside quotes
starts a comment; double quotes keep blanks and still honour backslash escapes; single quotes keep
everything literally; a backslash outside quotes escapes the next character (`\\ `, `\\#`, `\\"`),
and `\\r \\n \\t \\xHH` are control characters. HAProxy has no line continuations: a trailing
backslash stays a word and the next line is a directive of its own (haproxy -c refuses such a line).

Conditional blocks (`.if` / `.elif` / `.else` / `.endif`) are applied as HAProxy applies them when their
condition is a constant (`0`, `1`, `!`, `&&`, `||`, `streq(a,b)` ...): lines of a block that is never taken
are not part of the configuration. A condition that depends on the environment or the build (`defined()`,
`feature()`, versions) cannot be decided here: its lines are kept and the block is recorded in
`Config.conditionals`, which edge-config-evaluated reports.

Every step is a single left-to-right pass over the text, and the input is capped: an export can
carry a configuration of any size, so a larger one is reported instead of read.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

MAX_CONFIG_BYTES = 256 * 1024
"""The largest configuration read; the generated one is a few kilobytes."""
MAX_DIRECTIVES = 5000
"""Directive lines evaluated; beyond this a configuration is reported, not walked."""
MAX_DEFAULTS_CHAIN = 32
"""`defaults b from a` links followed (a loop or a longer chain stops there)."""
MAX_NESTED_CONDITIONS = 10
"""HAProxy refuses `.if` blocks nested deeper than this."""
MAX_CONDITION = 512
"""The longest `.if` condition evaluated; a longer one is undecided."""
MAX_CONDITION_DEPTH = 16
"""Parentheses nested deeper than this make a condition undecided (the evaluator recurses per level)."""

SECTION_KEYWORDS = frozenset({
    "global", "defaults", "frontend", "backend", "listen", "userlist", "resolvers", "peers", "http-errors",
    "cache", "program", "ring", "mailers", "traces", "crt-store", "log-forward", "fcgi-app", "acme"})
PROXY_KINDS = frozenset({"defaults", "frontend", "listen", "backend"})

_SIMPLE_ESCAPES = {"r": "\r", "n": "\n", "t": "\t", " ": " ", "#": "#", "\\": "\\", '"': '"', "'": "'", "$": "$"}
_HEX = frozenset("0123456789abcdefABCDEF")


class OversizeError(ValueError):
    """The configuration is larger than the pack reads."""


def split_line(line: str) -> tuple[list[str], str | None]:
    """The words of one line and a syntax problem HAProxy would refuse (an unterminated quote)."""
    if '"' not in line and "'" not in line and "\\" not in line:
        return line.split("#", 1)[0].split(), None
    words: list[str] = []
    current: list[str] = []
    in_word = False
    quote = ""
    index, length = 0, len(line)
    while index < length:
        char = line[index]
        if quote == "'":
            if char == "'":
                quote = ""
            else:
                current.append(char)
            index += 1
            continue
        if char == "\\" and index + 1 < length:
            following = line[index + 1]
            if following == "x" and index + 3 < length and line[index + 2] in _HEX and line[index + 3] in _HEX:
                current.append(chr(int(line[index + 2:index + 4], 16)))
                index += 4
            elif following in _SIMPLE_ESCAPES:
                current.append(_SIMPLE_ESCAPES[following])
                index += 2
            else:
                current.append(char)
                index += 1
            in_word = True
            continue
        if quote == '"':
            if char == '"':
                quote = ""
            else:
                current.append(char)
            index += 1
            continue
        if char in " \t\r":
            if in_word:
                words.append("".join(current))
                current = []
                in_word = False
        elif char == "#":
            break
        elif char in "\"'":
            quote = char
            in_word = True
        else:
            current.append(char)
            in_word = True
        index += 1
    if in_word:
        words.append("".join(current))
    return words, ("unterminated quote" if quote else None)


@dataclass
class Line:
    words: list[str]
    number: int
    file: str = "haproxy.cfg"

    @property
    def where(self) -> str:
        return f"{self.file}:{self.number}"

    @property
    def text(self) -> str:
        return " ".join(self.words)


@dataclass
class Section:
    kind: str
    name: str
    line: Line | None = None
    entries: list[Line] = field(default_factory=list)

    @property
    def lines(self) -> list[list[str]]:
        return [entry.words for entry in self.entries]

    def matching(self, *head: str) -> Iterator[Line]:
        wanted = list(head)
        for entry in self.entries:
            if entry.words[: len(wanted)] == wanted:
                yield entry

    def directives(self, *head: str) -> Iterator[list[str]]:
        for entry in self.matching(*head):
            yield entry.words

    def first(self, *head: str) -> list[str] | None:
        return next(self.directives(*head), None)

    @property
    def label(self) -> str:
        return f"{self.kind} '{self.name}'"


Tri = bool | None


def _condition_words(text: str) -> list[str]:
    """`!`, `(`, `)`, `&&`, `||` and terms (`name(args)` kept whole) of a `.if` condition."""
    out: list[str] = []
    index, length = 0, len(text)
    while index < length:
        char = text[index]
        if char in " \t":
            index += 1
        elif char in "!()":
            out.append(char)
            index += 1
        elif text.startswith("&&", index) or text.startswith("||", index):
            out.append(text[index:index + 2])
            index += 2
        else:
            start = index
            depth = 0
            while index < length and (depth or text[index] not in " \t!)&|"):
                if text[index] == "(":
                    depth += 1
                elif text[index] == ")":
                    depth -= 1
                index += 1
            out.append(text[start:index])
    return out


def evaluate_condition(words: list[str]) -> Tri:
    """A `.if` condition: True/False when it is a constant, None when the environment or build decides it."""
    text = " ".join(words)
    if not text.strip():
        return False
    if len(text) > MAX_CONDITION or "$" in text:
        return None
    tokens = _condition_words(text)
    position = 0
    depth = 0

    def term() -> Tri:
        nonlocal position, depth
        if position >= len(tokens):
            return None
        token = tokens[position]
        position += 1
        if token == "!":
            value = term() if tokens[position:position + 1] != ["!"] else not_not()
            return None if value is None else not value
        if token == "(":
            depth += 1
            if depth > MAX_CONDITION_DEPTH:
                return None
            value = disjunction()
            depth -= 1
            if position < len(tokens) and tokens[position] == ")":
                position += 1
            return value
        if token.lstrip("-").isdigit():
            return int(token) != 0
        name, _, args = token.partition("(")
        parts = args.rstrip(")").split(",")
        if name in ("streq", "strneq") and len(parts) == 2:
            return (parts[0] == parts[1]) == (name == "streq")
        if name == "strstr" and len(parts) == 2:
            return parts[1] in parts[0]
        return None  # defined(), feature(), enabled(), versions: the runtime decides

    def chain(operator: str, operand: Callable[[], Tri], decisive: bool) -> Tri:
        """Operands joined by `operator`: `decisive` if any operand is, undecided if any is, else the other."""
        nonlocal position
        values = [operand()]
        while position < len(tokens) and tokens[position] == operator:
            position += 1
            values.append(operand())
        if any(v is decisive for v in values):
            return decisive
        return None if any(v is None for v in values) else not decisive

    def conjunction() -> Tri:
        return chain("&&", term, False)

    def disjunction() -> Tri:
        return chain("||", conjunction, True)

    def not_not() -> Tri:
        """A run of `!` flips once per mark, without recursing per mark."""
        nonlocal position
        marks = 0
        while position < len(tokens) and tokens[position] == "!":
            marks += 1
            position += 1
        value = term()
        return value if value is None or marks % 2 == 0 else not value

    return disjunction()


@dataclass
class _Block:
    taking: Tri
    """Whether lines of the current branch are part of the configuration (None: undecided)."""
    taken: Tri
    """Whether an earlier branch of this block was taken."""


@dataclass
class Config:
    sections: list[Section]
    problems: list[str] = field(default_factory=list)
    """Syntax HAProxy refuses (reported, the rest is still read)."""
    conditionals: list[Line] = field(default_factory=list)
    """`.if`/`.elif` lines whose condition the environment or the build decides."""
    directive_count: int = 0
    memo: dict[str, object] = field(default_factory=dict, repr=False, compare=False)
    """Derived facts computed once per configuration (the walk asks for them per probe)."""

    @classmethod
    def parse(cls, text: str, file: str = "haproxy.cfg") -> Config:
        return cls.parse_files([(file, text)])

    @classmethod
    def parse_files(cls, files: Iterable[tuple[str, str]]) -> Config:
        """Several files loaded in order (`haproxy -f a -f b`) form one configuration, as in HAProxy."""
        files = list(files)
        size = sum(len(text) for _, text in files)
        if size > MAX_CONFIG_BYTES:
            raise OversizeError(f"{size} characters, over the {MAX_CONFIG_BYTES} the pack reads")
        config = cls([])
        for file, text in files:
            current: Section | None = None
            blocks: list[_Block] = []
            for number, raw in enumerate(text.split("\n"), start=1):
                words, problem = split_line(raw)
                if problem:
                    config.problems.append(f"{file}:{number}: {problem}")
                if not words:
                    continue
                line = Line(words, number, file)
                if words[0].startswith("."):
                    config._directive(line, blocks)
                    continue
                if blocks and blocks[-1].taking is False:
                    continue  # a branch HAProxy skips
                if words[0] in SECTION_KEYWORDS:
                    current = Section(words[0], words[1] if len(words) > 1 else "", line)
                    config.sections.append(current)
                elif current is not None:
                    current.entries.append(line)
                    config.directive_count += 1
                else:
                    config.problems.append(f"{line.where}: '{words[0]}' outside any section")
            if config.directive_count > MAX_DIRECTIVES:
                raise OversizeError(f"{config.directive_count} directives, over the {MAX_DIRECTIVES} the pack walks")
        return config

    def _directive(self, line: Line, blocks: list[_Block]) -> None:
        """`.if`/`.elif`/`.else`/`.endif` (other dot directives only print messages)."""
        keyword = line.words[0]
        # Each block's `taking` already includes the blocks around it, so the enclosing state is one look-up.
        depth = len(blocks) if keyword == ".if" else len(blocks) - 1
        outer: Tri = blocks[depth - 1].taking if depth > 0 else True
        if keyword == ".if":
            if len(blocks) >= MAX_NESTED_CONDITIONS:
                self.problems.append(f"{line.where}: '.if' nested deeper than {MAX_NESTED_CONDITIONS}")
            value = evaluate_condition(line.words[1:])
            if value is None and outer is not False:
                self.conditionals.append(line)
            taking = False if outer is False else _and(outer, value)
            blocks.append(_Block(taking, value))
        elif keyword in (".elif", ".else"):
            if not blocks:
                self.problems.append(f"{line.where}: '{keyword}' without '.if'")
                return
            block = blocks[-1]
            value = evaluate_condition(line.words[1:]) if keyword == ".elif" else True
            if value is None and outer is not False and block.taken is not True:
                self.conditionals.append(line)
            this = _and(_not(block.taken), value)
            block.taking = False if outer is False else _and(outer, this)
            block.taken = _or(block.taken, value)
        elif keyword == ".endif":
            if blocks:
                blocks.pop()
            else:
                self.problems.append(f"{line.where}: '.endif' without '.if'")

    def _index(self) -> tuple[dict[tuple[str, str], Section], dict[int, Section | None], Section]:
        """Sections by (kind, name), the last `defaults` before each section, and the merged global section;
        built once (rules ask per probe request, and a configuration may hold thousands of sections)."""
        cached = self.memo.get("index")
        if isinstance(cached, tuple) and cached[0] == len(self.sections):
            return cached[1]
        named: dict[tuple[str, str], Section] = {}
        before: dict[int, Section | None] = {}
        last: Section | None = None
        found = [s for s in self.sections if s.kind == "global"]
        merged = found[0] if len(found) == 1 else Section("global", "")
        for section in self.sections:
            named.setdefault((section.kind, section.name), section)
            before[id(section)] = last
            if section.kind == "defaults":
                last = section
            if section.kind == "global" and len(found) > 1:
                merged.entries.extend(section.entries)  # HAProxy merges every global section, in order
        before[0] = last  # a section of another parse: the last defaults, as a scan to its end would find
        index = (named, before, merged)
        self.memo["index"] = (len(self.sections), index)
        return index

    def of(self, kind: str) -> list[Section]:
        return [s for s in self.sections if s.kind == kind]

    def named(self, kind: str, name: str) -> Section | None:
        return self._index()[0].get((kind, name))

    @property
    def global_(self) -> Section:
        return self._index()[2]

    def defaults_for(self, section: Section) -> Section | None:
        """The defaults a proxy inherits: `from <name>`, else the last `defaults` section before it. A defaults
        section that itself says `from <other>` starts from the other's settings (HAProxy copies them), so the
        chain is returned as one section, outermost lines first."""
        found = self._direct_defaults(section)
        if found is None or found.line is None or "from" not in found.line.words:
            return found
        memo = self.memo.setdefault("defaults_chain", {})
        assert isinstance(memo, dict)
        if id(found) not in memo:
            chain: list[Section] = []
            current: Section | None = found
            while current is not None and current not in chain and len(chain) < MAX_DEFAULTS_CHAIN:
                chain.append(current)
                current = self._direct_defaults(current) if current.line is not None and \
                    "from" in current.line.words else None
            merged = Section("defaults", found.name, found.line)
            for part in reversed(chain):
                merged.entries.extend(part.entries)
            memo[id(found)] = merged
        chained = memo[id(found)]
        return chained if isinstance(chained, Section) else found

    def _direct_defaults(self, section: Section) -> Section | None:
        if section.line is not None and "from" in section.line.words:
            index = section.line.words.index("from")
            if index + 1 < len(section.line.words):
                return self.named("defaults", section.line.words[index + 1])
        before = self._index()[1]
        return before[id(section)] if id(section) in before else before[0]

    def listeners(self) -> list[Section]:
        """Every proxy that accepts connections: frontends and listens with a bind line."""
        return [s for s in self.sections if s.kind in ("frontend", "listen") and s.first("bind") is not None]

    def frontends(self) -> list[Section]:
        return [s for s in self.sections if s.kind in ("frontend", "listen")]

    def setting(self, section: Section, keyword: str) -> Line | None:
        """The last `keyword` line in the section, else in its defaults (HAProxy's inheritance)."""
        for source in (section, self.defaults_for(section)):
            if source is None:
                continue
            found = [entry for entry in source.entries if entry.words[0] == keyword]
            if found:
                return found[-1]
        return None

    def mode(self, section: Section) -> str:
        line = self.setting(section, "mode")
        return line.words[1].lower() if line is not None and len(line.words) > 1 else "tcp"

    def backend_names(self, frontend: Section) -> list[str]:
        names = []
        for entry in frontend.entries:
            if entry.words[0] in ("default_backend", "use_backend") and len(entry.words) > 1:
                names.append(entry.words[1])
        defaults = self.defaults_for(frontend)
        if not names and defaults is not None:
            names += [w[1] for w in defaults.directives("default_backend") if len(w) > 1]
        return list(dict.fromkeys(names))

    def backends_of(self, frontend: Section) -> list[Section]:
        out = [b for n in self.backend_names(frontend) if (b := self.named("backend", n)) is not None]
        if frontend.kind == "listen":
            out.append(frontend)
        return out


def _not(value: Tri) -> Tri:
    return None if value is None else not value


def _and(left: Tri, right: Tri) -> Tri:
    if left is False or right is False:
        return False
    return None if left is None or right is None else True


def _or(left: Tri, right: Tri) -> Tri:
    if left is True or right is True:
        return True
    return None if left is None or right is None else False


@dataclass(frozen=True)
class Bind:
    address: str
    port: int | None
    ssl: bool
    line: Line

    @property
    def words(self) -> list[str]:
        return self.line.words

    @property
    def loopback(self) -> bool:
        return is_loopback(self.address)

    @property
    def socket(self) -> bool:
        """A unix or abstract socket, or an fd: not reachable over the network."""
        return self.port is None

    @property
    def network(self) -> bool:
        return not self.socket and not self.loopback

    def option(self, name: str) -> str | None:
        """The value of the last `name <value>` on the line (HAProxy keeps the last one)."""
        found = None
        words = self.line.words
        for index, word in enumerate(words):
            if word == name:
                found = words[index + 1] if index + 1 < len(words) else ""
        return found

    @property
    def describe(self) -> str:
        return f"{self.address or '*'}:{self.port}" if self.port is not None else self.address


LOCAL_FAMILIES = frozenset({"unix", "abns", "abnsz", "fd", "sockpair", "uxst", "uxdg"})


def is_loopback(host: str) -> bool:
    """A literal loopback address or `localhost` (a host name may resolve anywhere)."""
    host = host.strip("[]").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def parse_address(spec: str) -> tuple[str, int | None]:
    """(host, port) of an HAProxy address; port None for a unix/abstract socket or a file descriptor.
    A port HAProxy cannot read still marks a network address (port 0), never a socket."""
    family, _, target = spec.rpartition("@")
    if family.lower() in LOCAL_FAMILIES or target.startswith("/"):
        return target, None
    host, _, port = target.rpartition(":")
    first_port = port.split("-")[0]
    return host, int(first_port) if first_port.isdigit() and len(first_port) < 6 else 0


def binds(section: Section) -> list[Bind]:
    out = []
    for entry in section.matching("bind"):
        words = entry.words
        if len(words) < 2:
            continue
        ssl = "ssl" in words[2:]
        for spec in words[1].split(","):
            host, port = parse_address(spec)
            out.append(Bind(host, port, ssl, entry))
    return out
