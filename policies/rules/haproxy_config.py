"""haproxy.cfg as HAProxy reads it: words of each line, sections, binds and their TLS settings.

The tokenizer follows HAProxy's own line parser: words are separated by blanks; `#` outside quotes
starts a comment; double quotes keep blanks and still honour backslash escapes; single quotes keep
everything literally; a backslash outside quotes escapes the next character (`\\ `, `\\#`, `\\"`),
and `\\r \\n \\t \\xHH` are control characters. HAProxy has no line continuations: a trailing
backslash stays a word and the next line is a directive of its own (haproxy -c refuses such a line).

Every step is a single left-to-right pass over the text, and the input is capped: an export can
carry a configuration of any size, so a larger one is reported instead of read.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

MAX_CONFIG_BYTES = 256 * 1024
"""The largest configuration read; the generated one is a few kilobytes."""
MAX_DIRECTIVES = 5000
"""Directive lines evaluated; beyond this a configuration is reported, not walked."""

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


@dataclass
class Config:
    sections: list[Section]
    problems: list[str] = field(default_factory=list)
    """Syntax HAProxy refuses (reported, the rest is still read)."""
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
            for number, raw in enumerate(text.split("\n"), start=1):
                words, problem = split_line(raw)
                if problem:
                    config.problems.append(f"{file}:{number}: {problem}")
                if not words:
                    continue
                line = Line(words, number, file)
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

    def of(self, kind: str) -> list[Section]:
        return [s for s in self.sections if s.kind == kind]

    def named(self, kind: str, name: str) -> Section | None:
        return next((s for s in self.sections if s.kind == kind and s.name == name), None)

    @property
    def global_(self) -> Section:
        found = [s for s in self.sections if s.kind == "global"]
        if len(found) <= 1:
            return found[0] if found else Section("global", "")
        merged = Section("global", "")  # HAProxy merges every global section, in order
        for section in found:
            merged.entries.extend(section.entries)
        return merged

    def defaults_for(self, section: Section) -> Section | None:
        """The defaults a proxy inherits: `from <name>`, else the last `defaults` section before it."""
        if section.line is not None and "from" in section.line.words:
            index = section.line.words.index("from")
            if index + 1 < len(section.line.words):
                return self.named("defaults", section.line.words[index + 1])
        found: Section | None = None
        for s in self.sections:
            if s is section:
                return found
            if s.kind == "defaults":
                found = s
        return found

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
        host = self.address.strip("[]").lower()
        return host == "localhost" or host.startswith("127.") or host == "::1"

    @property
    def socket(self) -> bool:
        """A unix or abstract socket, or an fd: not reachable over the network."""
        return self.port is None

    @property
    def network(self) -> bool:
        return not self.socket and not self.loopback

    def option(self, name: str) -> str | None:
        words = self.line.words
        if name in words:
            index = words.index(name)
            return words[index + 1] if index + 1 < len(words) else ""
        return None

    @property
    def describe(self) -> str:
        return f"{self.address or '*'}:{self.port}" if self.port is not None else self.address


def binds(section: Section) -> list[Bind]:
    out = []
    for entry in section.matching("bind"):
        words = entry.words
        if len(words) < 2:
            continue
        ssl = "ssl" in words[2:]
        for spec in words[1].split(","):
            family, _, target = spec.rpartition("@")
            if family in ("unix", "abns", "fd", "sockpair", "uxst", "uxdg") or target.startswith("/"):
                out.append(Bind(target, None, ssl, entry))
                continue
            host, _, port = target.rpartition(":")
            first_port = port.split("-")[0]
            # A port HAProxy cannot read still marks a network listener (port 0), never a socket.
            out.append(Bind(host, int(first_port) if first_port.isdigit() else 0, ssl, entry))
    return out
