"""Reading a withheld secret's text is recorded however the text is read, including by code written in C.

`Withheld` overrides every str method, but C code (the `re` engine, unbound `str.lower(value)`, `int(value,
16)`) reads the characters directly. Rules reach regexes only through `verify.pattern`, which records a
withheld subject; the structural test below walks every rule module's syntax tree so that no rule calls
`re` or an unbound str method again."""

from __future__ import annotations

import ast
import pathlib
import re
from collections.abc import Callable
from typing import Any

import pytest

from policies.rules import verify
from policies.rules.verify import Props, Withheld, pattern, recording

RULES_DIR = pathlib.Path(verify.__file__).parent
EXEMPT = {"verify.py"}
"""verify.py is where the wrapper lives: it matches only the gate's own marker text with `re`."""


def withheld() -> tuple[Props, Withheld]:
    props = Props({"secret": "[secret]", "plain": "ELBSecurityPolicy-TLS13-1-2-2021-06"})
    value = props["secret"]
    assert isinstance(value, Withheld)
    return props, value


def reads_of(action: Callable[[], Any]) -> tuple[list[verify.Read], Any]:
    with recording() as reads:
        try:
            result: Any = action()
        except (ValueError, TypeError) as error:
            result = type(error)
    return list(reads), result


@pytest.mark.parametrize("name", ["match", "fullmatch", "search", "findall", "finditer", "split"])
def test_every_pattern_method_records_a_withheld_subject(name: str) -> None:
    props, value = withheld()
    compiled = pattern(r"\w+")
    reads, _ = reads_of(lambda: list(getattr(compiled, name)(value)) if name == "finditer"
                        else getattr(compiled, name)(value))
    assert reads and set(reads) == {verify.Read(id(props), ("secret",), "secret")}


def test_what_a_regex_derives_from_a_withheld_text_stays_withheld() -> None:
    """A scan that yields several findings reads the secret again for each: a finding computed after the
    rule's next yield is dropped too (the wrapper drops what was computed while a blind value was read)."""
    props, value = withheld()
    secret_read = verify.Read(id(props), ("secret",), "secret")
    scan = pattern(r"(\w)(\w+)").finditer(value)
    with recording() as reads:
        first = next(scan)
    assert reads == [secret_read]
    with recording() as reads:
        group = first.group(2)
    assert reads == [secret_read] and isinstance(group, Withheld)
    with recording() as reads:
        assert [isinstance(part, Withheld) for part in pattern(r"e").split(value)] == [True, True, True]
        assert isinstance(pattern(r"\w+").findall(value)[0], Withheld)
        found = pattern(r"(s)").search(value)
        assert found is not None and isinstance(found[1], Withheld)
    assert reads and set(reads) == {secret_read}


def test_sub_records_a_withheld_subject_and_a_withheld_replacement() -> None:
    props, value = withheld()
    reads, result = reads_of(lambda: pattern("x").sub(value, "axb"))
    assert reads == [verify.Read(id(props), ("secret",), "secret")] and isinstance(result, Withheld)
    reads, result = reads_of(lambda: pattern(r"\w").subn("", value))
    assert [r.path for r in reads] == [("secret",)] and isinstance(result[0], Withheld) and result[1] == 6


def test_a_pattern_answers_as_re_does_on_any_text() -> None:
    _, value = withheld()
    for regex, flags, text in [(r"^ELB.*-(\d+)-", 0, "ELBSecurityPolicy-TLS13-1-2-2021-06"),
                               (r"(?m)^a=(\S+)$", 0, "x\na=1\na=2"), (r"B", re.IGNORECASE, "abc"), (r"[a-z]x", 0, "ax bx")]:
        ours, theirs = pattern(regex, flags), re.compile(regex, flags)
        assert ours.pattern == theirs.pattern and ours.groups == theirs.groups and ours.flags == theirs.flags
        for name in ("match", "fullmatch", "search"):
            mine, plain = getattr(ours, name)(text), getattr(theirs, name)(text)
            assert (mine and mine.group(0)) == (plain and plain.group(0))
        assert ours.findall(text) == theirs.findall(text)
        assert [m.span() for m in ours.finditer(text)] == [m.span() for m in theirs.finditer(text)]
        assert ours.split(text) == theirs.split(text)
        assert ours.sub("-", text) == theirs.sub("-", text) and ours.subn("-", text) == theirs.subn("-", text)
    # On a withheld value: whether it matches is the answer on the marker text.
    for regex in (r"\w+", r"^\[secret\]$", r"^ELBSecurityPolicy-", r"\d"):
        assert (pattern(regex).search(value) is None) == (re.search(regex, verify.WITHHELD) is None)


def test_a_plain_value_is_never_recorded() -> None:
    props, _ = withheld()
    reads, found = reads_of(lambda: pattern(r"^ELBSecurityPolicy-TLS13-1-[23]-").match(props["plain"]))
    assert reads == [] and found is not None


@pytest.mark.parametrize(("label", "action", "fails_with"), [
    ("int()", int, ValueError),
    ("float()", float, ValueError),
    ("'text' + value", lambda v: "prefix-" + v, None),
    ("'%s' % value", lambda v: "%s!" % v, None),  # noqa: UP031  # the % operator is what is tested
])
def test_conversions_that_c_code_asks_the_type_for_are_recorded(label: str, action: Callable[[Any], Any],
                                                                 fails_with: type[Exception] | None) -> None:
    props, value = withheld()
    reads, result = reads_of(lambda: action(value))
    assert reads == [verify.Read(id(props), ("secret",), "secret")], label
    if fails_with is not None:
        assert result is fails_with, f"{label} must fail as it does on the marker text"
    else:
        assert isinstance(result, Withheld), f"{label} derives text that is still withheld"


def test_presence_is_free() -> None:
    _, value = withheld()
    reads, result = reads_of(lambda: (bool(value), 1 if value else 0, verify.is_withheld(value), f"{value}"))
    assert reads == [] and result == (True, 1, True, "[secret]")


# --- no rule reads text past the overrides -----------------------------------------------------------------------------

def bypasses(source: str, filename: str) -> list[str]:
    """`file:line what` for each way the source reads text in C past `Withheld`'s overrides: calling the `re`
    module (its functions and its compiled patterns), importing from it or under another name, and calling
    an unbound str method (`str.lower(value)` runs str's own code on the marker), and the conversions that never
consult the type (`int(value, 16)`, `bytes(value, "utf-8")`, `complex(value)`; a slice such as `int(text[2:4],
16)` was read through the text's own `__getitem__`, which records)."""
    found = []
    for node in ast.walk(ast.parse(source, filename)):
        line = getattr(node, "lineno", 0)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and \
                isinstance(node.func.value, ast.Attribute) and node.func.value.attr == "re":
            found.append(f"{filename}:{line} {ast.unparse(node.func)}(...): use verify.pattern(regex, flags)")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and isinstance(node.func.value, ast.Name):
            owner, attr = node.func.value.id, node.func.attr
            if owner == "re":
                found.append(f"{filename}:{line} re.{attr}(...): use verify.pattern(regex, flags)")
            elif owner == "str":
                found.append(f"{filename}:{line} str.{attr}(...): call the method on the value")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and (
                node.func.id == "complex" or (node.func.id in ("int", "bytes", "bytearray") and
                                              (len(node.args) > 1 or node.keywords) and
                                              # a slice of the text was read through its own methods
                                              not (node.args and isinstance(node.args[0], ast.Subscript)))):
            found.append(f"{filename}:{line} {node.func.id}(...) with a base or encoding parses text in C")
        elif isinstance(node, ast.ImportFrom) and node.module in ("re", "sre_compile", "_sre", "regex"):
            found.append(f"{filename}:{line} from {node.module} import ...: use verify.pattern")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in ("sre_compile", "_sre", "regex", "fnmatch") or (alias.name == "re" and alias.asname):
                    found.append(f"{filename}:{line} import {alias.name}: use verify.pattern")
    return sorted(found, key=lambda entry: (int(entry.split(":")[1].split()[0]), entry))


def test_no_rule_module_reads_text_past_the_overrides() -> None:
    found = [line for path in sorted(RULES_DIR.glob("*.py")) if path.name not in EXEMPT
             for line in bypasses(path.read_text(encoding="utf-8"), f"policies/rules/{path.name}")]
    assert found == [], "rules read text in C, past a withheld secret's recording:\n" + "\n".join(found)


def test_the_structural_check_finds_each_bypass() -> None:
    source = "\n".join([
        "import re",
        "import re as regex_module",
        "from re import search",
        "A = re.compile('x')",
        "B = re.IGNORECASE",  # a flag is no read
        "def f(value: str) -> object:",
        "    return re.match('x', value) or str.lower(value) or value.lower()",
    "N = int(VALUE, 16) + int(VALUE) + int(VALUE[2:4], 16) + len(bytes(VALUE, 'ascii'))",
    "M = verify.re.search('x', VALUE)",
    ])
    assert bypasses(source, "rule.py") == [
        "rule.py:2 import re: use verify.pattern",
        "rule.py:3 from re import ...: use verify.pattern",
        "rule.py:4 re.compile(...): use verify.pattern(regex, flags)",
        "rule.py:7 re.match(...): use verify.pattern(regex, flags)",
        "rule.py:7 str.lower(...): call the method on the value",
        "rule.py:8 bytes(...) with a base or encoding parses text in C",
        "rule.py:8 int(...) with a base or encoding parses text in C",
        "rule.py:9 verify.re.search(...): use verify.pattern(regex, flags)",
    ]
