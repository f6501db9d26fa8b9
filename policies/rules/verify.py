"""Values a rule cannot judge, reported per resource and property instead of silencing the rule.

The policy SDK hands rules proxies that raise UnknownValueError on the first unknown value read, and
catches it around the whole policy: for a stack rule, one unknown anywhere switched the rule off for
the entire stack. Here rules read resources through `Props`: an unknown value (the engine's preview
sentinels) is recorded and read as an `Unknown` marker, so the rule runs to the end.

The wrappers in `common` then decide per finding: a finding computed while a value the rule could
not judge was being read (between two of the check's yields), or one about a resource whose
unknown value the rule read, is not trusted and dropped; every other finding stands. What could
not be judged is reported once per (resource, property) as the SDK's advisory "can't run during
preview" diagnostic, carrying `unverifiable <JSON list of [urn, property, reason]>`, so the engine
shows it as a preview note and the offline gate turns it into an explicit "unverifiable" finding
(fatal for a state export, where the engine never leaves unknowns).

A secret the gate could not or would not show (ciphertext only, or a `--show-secrets` plaintext it
redacted) arrives as a marker and is read as a `Withheld` string whose text is `WITHHELD`. Knowing it
is there is free (`if value:`, `is_withheld`, quoting it: its text never holds the value); every
operation on its text (`strip`, `lower`, `split`, `==`, `in`, `startswith`, hashing...) records it as a
blind read, so a rule that judges the text of a secret it cannot see reports that property as
unverifiable instead of judging the marker. A rule that reads the text on purpose says so:
`is_withheld` first. When the gate saw the value it sends its keyed fingerprint (`[secret:<hex>]`):
`fingerprint` and `same_value` compare two withheld values (a password and its generator's result)
without either being shown; the fingerprint is never part of the text.

Code written in C reads a string's characters without calling its methods, so the overrides cannot see it:
a regular expression, `str.lower(value)`, `int(value, 16)`, `value in "text"`. Rules therefore match text
only through `pattern` (a compiled regex that records a withheld subject, matches as `re` would on the marker,
and keeps what it derives withheld: groups, split parts, each further match of a lazy `finditer`, so a finding
computed from a scan after the rule's next yield is still dropped), never through `re` directly (a test walks
the rules' source for it); `int(value)`, `float(value)` and `"x" + value` consult the overrides below. Every
recorded read computes through `Withheld._readable` and `_derive`: the test sweeps substitute the real value
there to prove that no verdict depends on a channel that records nothing.
"""

from __future__ import annotations

import functools
import json
import re
import sys
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar, cast

UNKNOWNS = frozenset({
    "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7",  # boolean
    "3eeb2bf0-c639-47a8-9e75-3b44932eb421",  # number
    "04da6b54-80e4-46f7-96ec-b56ff0331ba9",  # string
    "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2",  # array
    "030794c1-ac77-496b-92df-f27374a8bd58",  # asset
    "e48ece36-62e2-4504-bad9-02848725956a",  # archive
    "dd056dcd-154b-4c76-9bd3-c8f88648b5ff",  # object
})
"""The engine's sentinels for values unknown until apply (the policy SDK's list)."""
WITHHELD = "[secret]"
"""What the offline gate sends in place of a secret's value it cannot see, and the text of every `Withheld`."""
_FINGERPRINTED = re.compile(r"\[secret:([0-9a-f]{24})\]")
"""The gate's marker for a secret whose value it saw: its keyed fingerprint (offline/gate/encode.py)."""
MARKER = "unverifiable "
"""Prefix of the JSON list inside the SDK's "can't run during preview" diagnostic."""

Path = tuple[str | int, ...]


class Unknown(str):
    """An unknown value as a rule reads it: a string equal to no setting a rule looks for."""

    path: Path


class Withheld(str):
    """A secret whose value the gate withheld: present, but not to be judged by its content. Its text is
    always `WITHHELD`; any operation on the text records a blind read (see the module's docstring) and
    what it derives stays `Withheld`, so a rule never judges the marker as if it were the value."""

    root: Any
    path: Path
    fingerprint: str | None
    """The gate's keyed fingerprint of the value, or None when the gate saw only a ciphertext."""

    def __str__(self) -> str:
        return self  # `str(value)` is how rules start reading text: the marker stays a marker

    def __format__(self, spec: str) -> str:
        return WITHHELD  # quoting it in a message shows the marker, never the fingerprint

    def __repr__(self) -> str:
        return repr(WITHHELD)

    def __reduce__(self) -> Any:
        return (str, (WITHHELD,))

    def __bool__(self) -> bool:
        return True  # `if value:` asks whether a value is there, which is known (and the marker is never empty)

    # `int(value)` and `float(value)` read the characters in C unless the type says how to convert it; each is a
    # read of the value, then fails as on the marker text. (`int(value, base)` and `complex(value)` never ask:
    # rules do not call them, which a test checks.)
    def __int__(self) -> int:
        _record(self.root, self.path, "secret")
        return int(self._readable())

    def __float__(self) -> float:
        _record(self.root, self.path, "secret")
        return float(self._readable())

    def __radd__(self, other: Any) -> Any:
        # `"prefix" + value`: str has no reflected add, so without this the concatenation copies the marker
        # into a plain string unrecorded.
        _record(self.root, self.path, "secret")
        if not isinstance(other, str):
            return NotImplemented
        return self._derive(other + self._readable())

    def _readable(self) -> str:
        """The text a recorded read computes on: the marker's (never the value: the pack does not have it)."""
        return WITHHELD

    def _derive(self, text: str) -> Withheld:
        """What a recorded read computed (`text`, from `_readable()`) as the rule receives it: still withheld."""
        return self.derived()

    def derived(self) -> Withheld:
        """Text computed from this marker: still withheld, the same property, no longer the same value."""
        out = Withheld(WITHHELD)
        out.root, out.path, out.fingerprint = self.root, self.path, None
        return out


def _blind(name: str) -> Any:
    method = getattr(str, name)

    def read(self: Withheld, *args: Any, **kwargs: Any) -> Any:
        _record(self.root, self.path, "secret")
        result = method(self._readable(), *args, **kwargs)
        if isinstance(result, str):
            return self._derive(result)
        if isinstance(result, (list, tuple)):
            return type(result)(self._derive(r) if isinstance(r, str) else r for r in result)
        return result

    read.__name__ = name
    return read


# Every str operation on the text: methods, comparison, hashing, containment, indexing, iteration, arithmetic.
# Left out: what only says a value is there (`__len__`, so `if value:`), quoting (`__str__`, `__format__`,
# `__repr__`) and object plumbing.
_PLUMBING = frozenset({"__new__", "__init__", "__init_subclass__", "__subclasshook__", "__getattribute__",
                       "__setattr__", "__delattr__", "__dir__", "__sizeof__", "__class__", "__doc__", "__len__",
                       "__str__", "__format__", "__repr__", "__reduce__", "__reduce_ex__", "__getnewargs__",
                       "__getstate__", "maketrans"})
for _name in dir(str):
    if _name not in _PLUMBING and callable(getattr(str, _name)):
        setattr(Withheld, _name, _blind(_name))


def _derived_result(owner: Withheld, result: Any) -> Any:
    """What a regex answered on a withheld text, as the rule receives it: its texts still withheld, its
    matches recording every look at what they matched."""
    if isinstance(result, str):
        return owner._derive(result)
    if isinstance(result, (list, tuple)):
        return type(result)(_derived_result(owner, r) for r in result)
    if isinstance(result, re.Match):
        return WithheldMatch(result, owner)
    return result


class WithheldMatch:
    """A match found in a withheld text. Whether there was one was read when the regex ran; what it matched
    (`group`, `span`, `[1]`...) is read again whenever the rule looks, so a finding computed from it after a
    later yield is still dropped."""

    __slots__ = ("_match", "_owner")

    def __init__(self, match: re.Match[str], owner: Withheld) -> None:
        self._match = match
        self._owner = owner

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._match, name)
        if not callable(value):
            _record(self._owner.root, self._owner.path, "secret")
            return _derived_result(self._owner, value)

        def look(*args: Any, **kwargs: Any) -> Any:
            _record(self._owner.root, self._owner.path, "secret")
            return _derived_result(self._owner, value(*args, **kwargs))

        return look

    def __getitem__(self, group: int | str) -> Any:
        _record(self._owner.root, self._owner.path, "secret")
        return _derived_result(self._owner, self._match[group])

    def __bool__(self) -> bool:
        return True


def _finditer(owner: Withheld, found: Iterator[re.Match[str]]) -> Iterator[re.Match[str]]:
    for match in found:  # the scan goes on lazily: each step reads the text again
        _record(owner.root, owner.path, "secret")
        yield cast(re.Match[str], WithheldMatch(match, owner))


def _read(string: Any, call: Callable[[str], Any]) -> Any:
    """`call(string)` for a regex method: on a plain string exactly that; on a withheld one the read is recorded,
    the regex runs on the text recorded reads compute on (the marker) and its answer stays withheld."""
    if not isinstance(string, Withheld):
        return call(string)
    _record(string.root, string.path, "secret")
    return _derived_result(string, call(string._readable()))


class Pattern:
    """A compiled regular expression for rules: the same matches as `re.compile(regex, flags)` gives, but a
    withheld secret it reads (subject or replacement) is recorded as a blind read first, as every str method
    of `Withheld` does; `re` reads the characters in C, past the overrides."""

    __slots__ = ("_compiled",)

    def __init__(self, compiled: re.Pattern[str]) -> None:
        self._compiled = compiled

    @property
    def pattern(self) -> str:
        return self._compiled.pattern

    @property
    def flags(self) -> int:
        return self._compiled.flags

    @property
    def groups(self) -> int:
        return self._compiled.groups

    @property
    def groupindex(self) -> Mapping[str, int]:
        return self._compiled.groupindex

    def match(self, string: str, pos: int = 0, endpos: int = sys.maxsize) -> re.Match[str] | None:
        return cast("re.Match[str] | None", _read(string, lambda text: self._compiled.match(text, pos, endpos)))

    def fullmatch(self, string: str, pos: int = 0, endpos: int = sys.maxsize) -> re.Match[str] | None:
        return cast("re.Match[str] | None", _read(string, lambda text: self._compiled.fullmatch(text, pos, endpos)))

    def search(self, string: str, pos: int = 0, endpos: int = sys.maxsize) -> re.Match[str] | None:
        return cast("re.Match[str] | None", _read(string, lambda text: self._compiled.search(text, pos, endpos)))

    def findall(self, string: str, pos: int = 0, endpos: int = sys.maxsize) -> list[Any]:
        return cast("list[Any]", _read(string, lambda text: self._compiled.findall(text, pos, endpos)))

    def finditer(self, string: str, pos: int = 0, endpos: int = sys.maxsize) -> Iterator[re.Match[str]]:
        found = _read(string, lambda text: self._compiled.finditer(text, pos, endpos))
        return _finditer(string, found) if isinstance(string, Withheld) else cast("Iterator[re.Match[str]]", found)

    def split(self, string: str, maxsplit: int = 0) -> list[str | Any]:
        return cast("list[str | Any]", _read(string, lambda text: self._compiled.split(text, maxsplit)))

    def sub(self, repl: str | Callable[[re.Match[str]], str], string: str, count: int = 0) -> str:
        return self.subn(repl, string, count)[0]

    def subn(self, repl: str | Callable[[re.Match[str]], str], string: str, count: int = 0) -> tuple[str, int]:
        if isinstance(repl, Withheld) and not isinstance(string, Withheld):
            # The replacement's text lands in the result: what is computed from it stays withheld.
            text, made = _read(repl, lambda marker: self._compiled.subn(marker, string, count))
            return repl._derive(text), made
        if isinstance(repl, Withheld):
            _record(repl.root, repl.path, "secret")
            repl = repl._readable()
        return cast("tuple[str, int]", _read(string, lambda text: self._compiled.subn(repl, text, count)))

    def __repr__(self) -> str:
        return f"verify.pattern({self._compiled.pattern!r}, {self._compiled.flags!r})"


@functools.lru_cache(maxsize=1024)
def pattern(regex: str, flags: int = 0) -> Pattern:
    """`re.compile` for rules (see `Pattern`); compiled once per (regex, flags), as `re` caches them."""
    return Pattern(re.compile(regex, flags))


def is_withheld(value: Any) -> bool:
    """Whether `value` is a secret the gate withheld (a `Withheld`, or the gate's marker text not yet read
    through `Props`): an explicit look that records nothing."""
    if isinstance(value, Withheld):
        return True
    return type(value) is str and value.startswith("[secret") and _marker(value)[0]


def fingerprint(value: Any) -> str | None:
    """The gate's keyed fingerprint of a withheld value, or None (a ciphertext, or not withheld)."""
    if isinstance(value, Withheld):
        return value.fingerprint
    return _marker(value)[1] if type(value) is str else None


def same_value(a: Any, b: Any) -> bool:
    """Two withheld values the gate saw and found equal (never true for a ciphertext: it shows nothing)."""
    first = fingerprint(a)
    return first is not None and first == fingerprint(b)


def _marker(text: str) -> tuple[bool, str | None]:
    """(whether `text` is the gate's marker, the fingerprint it carries or None)."""
    if text == WITHHELD:
        return True, None
    match = _FINGERPRINTED.fullmatch(text)
    return (True, match.group(1)) if match else (False, None)


@dataclass(frozen=True)
class Read:
    root: int
    """id() of the resource's root Props."""
    path: Path
    reason: str
    """"unknown" (preview) or "secret" (value withheld)."""


_local = threading.local()


def _record(root: Any, path: Path, reason: str) -> None:
    reads: list[Read] | None = getattr(_local, "reads", None)
    if reads is not None:
        reads.append(Read(id(root), path, reason))


@contextmanager
def recording() -> Iterator[list[Read]]:
    """Collect what the current rule read and could not judge."""
    previous = getattr(_local, "reads", None)
    reads: list[Read] = []
    _local.reads = reads
    try:
        yield reads
    finally:
        _local.reads = previous


@contextmanager
def request_memo_scope() -> Iterator[dict[Any, Any]]:
    """A memo for derived facts (a resource's pods, a stack's index) shared by every rule of one request."""
    previous = getattr(_local, "memo", None)
    memo: dict[Any, Any] = {}
    _local.memo = memo
    try:
        yield memo
    finally:
        _local.memo = previous


def request_memo() -> dict[Any, Any] | None:
    """The current request's memo, or None outside a request (unit tests call rules directly)."""
    memo: dict[Any, Any] | None = getattr(_local, "memo", None)
    return memo


T = TypeVar("T")


def per_request(name: str, owner: object, build: Callable[[], T]) -> T:
    """`build()` once per request for `owner` (an object the request keeps alive, so its id stays unique), shared
    by every rule of the request; outside a request it is simply built."""
    memo = request_memo()
    if memo is None:
        return build()
    key = (name, id(owner))
    cached = memo.get(key)
    if cached is not None and cached[0] is owner:
        found: T = cached[1]
        return found
    value = build()
    memo[key] = (owner, value)
    return value


def needs_value(value: Any) -> None:
    """Called by readers that interpret a value: a withheld secret cannot be interpreted."""
    if isinstance(value, Withheld):
        _record(value.root, value.path, "secret")


def _wrap(value: Any, root: Any, path: Path) -> Any:
    if isinstance(value, str):
        if value in UNKNOWNS:
            _record(root, path, "unknown")
            marker = Unknown(value)
            marker.path = path
            return marker
        if value.startswith("[secret"):
            withheld_marker, found = _marker(value)
            if withheld_marker:
                withheld = Withheld(WITHHELD)
                withheld.root, withheld.path, withheld.fingerprint = root, path, found
                return withheld
        return value
    if isinstance(value, dict):
        return Props(value, root, path)
    if isinstance(value, list):
        return Items(value, root, path)
    return value


class Props(Mapping[str, Any]):
    """A resource's properties (or a nested object), read-only, recording what cannot be judged."""

    __slots__ = ("_children", "_path", "_root", "_target")

    def __init__(self, target: dict[str, Any], root: Any = None, path: Path = ()) -> None:
        self._target = target
        self._root = self if root is None else root
        self._path = path
        self._children: dict[str, Any] | None = None

    def __getitem__(self, key: str) -> Any:
        value = self._target[key]
        if isinstance(value, (dict, list)):
            if self._children is None:
                self._children = {}
            child = self._children.get(key)
            if child is None:
                child = self._children[key] = _wrap(value, self._root, (*self._path, key))
            return child
        return _wrap(value, self._root, (*self._path, key)) if isinstance(value, str) else value

    def __contains__(self, key: object) -> bool:
        return key in self._target  # presence is not a read of the value

    def __iter__(self) -> Iterator[str]:
        return iter(self._target)

    def __len__(self) -> int:
        return len(self._target)

    def __repr__(self) -> str:
        return f"Props({self._target!r})"


class Items(Sequence[Any]):
    """A list property, read-only, recording what cannot be judged."""

    __slots__ = ("_path", "_root", "_target")

    def __init__(self, target: list[Any], root: Any, path: Path) -> None:
        self._target = target
        self._root = root
        self._path = path

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self._target)))]
        value = self._target[index]
        return _wrap(value, self._root, (*self._path, index if index >= 0 else len(self._target) + index))

    def __len__(self) -> int:
        return len(self._target)

    def __repr__(self) -> str:
        return f"Items({self._target!r})"


def plain(value: Any) -> Any:
    """The policy SDK's proxies (used when the decode layer is not installed) as dicts and lists."""
    if isinstance(value, (Props, Items)):
        return value._target
    kind = type(value).__name__
    if kind in ("_DictProxy", "_ListProxy"):
        target = value["__target"]
        return {k: plain(v) for k, v in target.items()} if kind == "_DictProxy" else [plain(v) for v in target]
    return value


def as_props(value: Any) -> Props:
    """A resource's properties as Props, however the SDK delivered them."""
    if isinstance(value, Props):
        return value
    target = plain(value)
    return Props(target if isinstance(target, dict) else {})


def spell(path: Path) -> str:
    out = ""
    for key in path:
        out += f"[{key}]" if isinstance(key, int) else (f".{key}" if out else str(key))
    return out or "(the properties)"


def unverifiable_message(entries: Sequence[tuple[str, str, str]]) -> str:
    """What the SDK diagnostic carries: `unverifiable [[urn, property, reason], ...]`."""
    return MARKER + json.dumps([list(e) for e in entries])


def parse_unverifiable(text: str) -> list[tuple[str, str, str]] | None:
    """The entries of an `unverifiable_message`, or None when `text` is not one."""
    if not text.startswith(MARKER):
        return None
    try:
        entries = json.loads(text[len(MARKER):])
    except ValueError:
        return None
    if not isinstance(entries, list):
        return None
    return [(str(e[0]), str(e[1]), str(e[2])) for e in entries if isinstance(e, list) and len(e) == 3]
