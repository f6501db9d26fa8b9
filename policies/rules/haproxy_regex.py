"""A linear-time matcher for the regular expressions an haproxy.cfg carries (`-m reg`, `path_reg`, ...).

The pattern comes from the export under review, so it is hostile input: Python's backtracking `re`
can be made to run for minutes by a pattern such as `(a*)*b`. This module compiles the PCRE subset
HAProxy configs use (literals, `.`, classes, anchors, groups, alternation, `* + ? {m,n}`) into a
Thompson NFA and simulates it over the subject, so a match costs O(pattern x subject). Anything
outside the subset (back-references, look-around, word boundaries) raises UnsupportedPattern, which
the caller treats as a condition it cannot prove.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

MAX_PATTERN = 2048
MAX_STATES = 20000
MAX_REPEAT = 255


class UnsupportedPatternError(ValueError):
    """A pattern outside the supported subset, or too large to compile within the bounds."""


# A character set is a list of inclusive (low, high) code point ranges plus a negation flag.
Ranges = tuple[tuple[int, int], ...]

_DIGIT: Ranges = ((48, 57),)
_WORD: Ranges = ((48, 57), (65, 90), (95, 95), (97, 122))
_SPACE: Ranges = ((9, 13), (32, 32))


@dataclass(frozen=True)
class CharSet:
    ranges: Ranges
    negated: bool = False

    def matches(self, char: str, ignore_case: bool) -> bool:
        codes = {ord(char)}
        if ignore_case:
            codes |= {ord(char.lower()), ord(char.upper())}
        hit = any(low <= code <= high for code in codes for low, high in self.ranges)
        return hit != self.negated


ANY = CharSet(((10, 10),), negated=True)  # `.` does not match a newline


# --- parsing into a small AST --------------------------------------------------------------------------
# Node shapes: ("set", CharSet) | ("cat", [nodes]) | ("alt", [nodes]) | ("rep", node, min, max|None)
#              | ("bol",) | ("eol",) | ("empty",)
Node = tuple[Any, ...]


class _Parser:
    def __init__(self, pattern: str) -> None:
        self.text = pattern
        self.at = 0

    def peek(self) -> str:
        return self.text[self.at] if self.at < len(self.text) else ""

    def take(self) -> str:
        char = self.peek()
        self.at += 1
        return char

    def parse(self) -> Node:
        node = self.alternation()
        if self.at != len(self.text):
            raise UnsupportedPatternError(f"unbalanced ')' at {self.at}")
        return node

    def alternation(self) -> Node:
        branches = [self.concatenation()]
        while self.peek() == "|":
            self.take()
            branches.append(self.concatenation())
        return branches[0] if len(branches) == 1 else ("alt", branches)

    def concatenation(self) -> Node:
        parts: list[Node] = []
        while self.peek() not in ("", "|", ")"):
            parts.append(self.repetition())
        return ("cat", parts) if parts else ("empty",)

    def repetition(self) -> Node:
        atom = self.atom()
        while self.peek() in ("*", "+", "?", "{"):
            char = self.peek()
            if char == "{":
                bounds = self._braces()
                if bounds is None:
                    break
                low, high = bounds
            else:
                self.take()
                low, high = {"*": (0, None), "+": (1, None), "?": (0, 1)}[char]
            if self.peek() in ("?", "+"):  # lazy / possessive: the same language for a yes/no match
                self.take()
            if atom[0] in ("bol", "eol"):
                raise UnsupportedPatternError("quantified anchor")
            atom = ("rep", atom, low, high)
        return atom

    def _braces(self) -> tuple[int, int | None] | None:
        end = self.text.find("}", self.at)
        if end < 0:
            return None
        body = self.text[self.at + 1:end]
        low_text, comma, high_text = body.partition(",")
        if not low_text.isdigit() or (high_text and not high_text.isdigit()):
            return None  # a literal `{`, as PCRE reads it
        low = int(low_text)
        high = None if comma and not high_text else int(high_text or low_text)
        if low > MAX_REPEAT or (high is not None and (high > MAX_REPEAT or high < low)):
            raise UnsupportedPatternError(f"repetition {{{body}}}")
        self.at = end + 1
        return low, high

    def atom(self) -> Node:
        char = self.take()
        if char == "(":
            if self.peek() == "?":
                self.take()
                kind = self.take()
                if kind != ":":
                    raise UnsupportedPatternError(f"group (?{kind}")
            node = self.alternation()
            if self.take() != ")":
                raise UnsupportedPatternError("unclosed group")
            return node
        if char == "[":
            return ("set", self._class())
        if char == ".":
            return ("set", ANY)
        if char == "^":
            return ("bol",)
        if char == "$":
            return ("eol",)
        if char == "\\":
            return ("set", self._escape(in_class=False))
        if char in ("*", "+", "?"):
            raise UnsupportedPatternError(f"nothing to repeat before {char!r}")
        return ("set", CharSet(((ord(char), ord(char)),)))

    def _escape(self, *, in_class: bool) -> CharSet:
        char = self.take()
        if char == "":
            raise UnsupportedPatternError("trailing backslash")
        classes = {"d": (_DIGIT, False), "D": (_DIGIT, True), "w": (_WORD, False), "W": (_WORD, True),
                   "s": (_SPACE, False), "S": (_SPACE, True)}
        if char in classes:
            ranges, negated = classes[char]
            return CharSet(ranges, negated)
        controls = {"n": 10, "r": 13, "t": 9, "f": 12, "v": 11, "e": 27, "a": 7}
        if char in controls:
            return CharSet(((controls[char], controls[char]),))
        if char == "x":
            digits = self.text[self.at:self.at + 2]
            if len(digits) == 2 and all(d in "0123456789abcdefABCDEF" for d in digits):
                code = int(self.text[self.at:self.at + 2], 16)  # a slice: read through the text's own methods
                self.at += 2
                return CharSet(((code, code),))
            raise UnsupportedPatternError("\\x escape")
        if char.isalnum() and not (in_class and char == "b"):
            raise UnsupportedPatternError(f"escape \\{char}")
        code = 8 if char == "b" else ord(char)
        return CharSet(((code, code),))

    def _class(self) -> CharSet:
        negated = False
        if self.peek() == "^":
            self.take()
            negated = True
        ranges: list[tuple[int, int]] = []
        first = True
        while True:
            char = self.take()
            if char == "":
                raise UnsupportedPatternError("unclosed character class")
            if char == "]" and not first:
                break
            first = False
            if char == "[" and self.peek() == ":":
                raise UnsupportedPatternError("POSIX class")
            if char == "\\":
                escaped = self._escape(in_class=True)
                if escaped.negated:
                    raise UnsupportedPatternError("negated class escape inside a class")
                if len(escaped.ranges) > 1 or escaped.ranges[0][0] != escaped.ranges[0][1]:
                    ranges.extend(escaped.ranges)
                    continue
                low = escaped.ranges[0][0]
            else:
                low = ord(char)
            if self.peek() == "-" and self.at + 1 < len(self.text) and self.text[self.at + 1] != "]":
                self.take()
                high_char = self.take()
                high = self._escape(in_class=True).ranges[0][0] if high_char == "\\" else ord(high_char)
                if high < low:
                    raise UnsupportedPatternError("reversed range in class")
                ranges.append((low, high))
            else:
                ranges.append((low, low))
        return CharSet(tuple(ranges), negated)


# --- compiling to a Thompson NFA ------------------------------------------------------------------------
CHAR, SPLIT, BOL, EOL, MATCH = range(5)


class _Builder:
    def __init__(self) -> None:
        self.kinds: list[int] = []
        self.sets: list[CharSet | None] = []
        self.next1: list[int] = []
        self.next2: list[int] = []

    def add(self, kind: int, next1: int = -1, next2: int = -1, charset: CharSet | None = None) -> int:
        if len(self.kinds) >= MAX_STATES:
            raise UnsupportedPatternError("pattern too large")
        self.kinds.append(kind)
        self.sets.append(charset)
        self.next1.append(next1)
        self.next2.append(next2)
        return len(self.kinds) - 1

    def build(self, node: Node, following: int) -> int:
        """Compiles `node` so that it continues at `following`; returns its entry state."""
        kind = node[0]
        if kind == "empty":
            return following
        if kind == "set":
            return self.add(CHAR, following, charset=node[1])
        if kind == "bol":
            return self.add(BOL, following)
        if kind == "eol":
            return self.add(EOL, following)
        if kind == "cat":
            entry = following
            for part in reversed(node[1]):
                entry = self.build(part, entry)
            return entry
        if kind == "alt":
            entries = [self.build(branch, following) for branch in node[1]]
            entry = entries[-1]
            for other in reversed(entries[:-1]):
                entry = self.add(SPLIT, other, entry)
            return entry
        _, inner, low, high = node
        if high is None:
            loop = self.add(SPLIT, -1, following)
            self.next1[loop] = self.build(inner, loop)
            entry = loop
        else:
            entry = following
            for _ in range(high - low):  # X? nested: each optional copy may stop and go on to `following`
                entry = self.add(SPLIT, self.build(inner, entry), following)
        for _ in range(low):
            entry = self.build(inner, entry)
        return entry


@dataclass(frozen=True)
class Pattern:
    kinds: tuple[int, ...]
    sets: tuple[CharSet | None, ...]
    next1: tuple[int, ...]
    next2: tuple[int, ...]
    start: int
    ignore_case: bool

    def search(self, subject: str) -> bool:
        """True when the pattern matches anywhere in `subject` (PCRE search semantics)."""
        current: set[int] = set()
        for index in range(len(subject) + 1):
            current = self._closure(current | {self.start}, subject, index)
            if any(self.kinds[s] == MATCH for s in current):
                return True
            if index == len(subject):
                return False
            char = subject[index]
            moved: set[int] = set()
            for state in current:
                charset = self.sets[state]
                if self.kinds[state] == CHAR and charset is not None and charset.matches(char, self.ignore_case):
                    moved.add(self.next1[state])
            current = moved
        return False

    def _closure(self, seeds: set[int], subject: str, index: int) -> set[int]:
        out: set[int] = set()
        stack = list(seeds)
        at_end = index == len(subject) or (index == len(subject) - 1 and subject[-1] == "\n")
        while stack:
            state = stack.pop()
            if state in out:
                continue
            out.add(state)
            kind = self.kinds[state]
            if kind == SPLIT:
                stack.append(self.next1[state])
                stack.append(self.next2[state])
            elif (kind == BOL and index == 0) or (kind == EOL and at_end):
                stack.append(self.next1[state])
        return out


@functools.lru_cache(maxsize=512)
def compile_pattern(pattern: str, *, ignore_case: bool = False) -> Pattern:
    if len(pattern) > MAX_PATTERN:
        raise UnsupportedPatternError(f"pattern of {len(pattern)} characters")
    tree = _Parser(pattern).parse()
    builder = _Builder()
    accept = builder.add(MATCH)
    start = builder.build(tree, accept)
    return Pattern(tuple(builder.kinds), tuple(builder.sets), tuple(builder.next1), tuple(builder.next2), start,
                   ignore_case)


def search(pattern: str, subject: str, *, ignore_case: bool = False) -> bool:
    return compile_pattern(pattern, ignore_case=ignore_case).search(subject)
