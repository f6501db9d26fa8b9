"""Print a ProgramResult the way `pulumi preview` does: a tree, the outputs, a summary."""

from __future__ import annotations

import json
import os
import re
import shutil
import textwrap
from typing import Any, TextIO

from offline.runner.export import is_secret
from offline.runner.program import STACK_TYPE, ProgramResult
from offline.wire import UNKNOWN

_GREEN = "\x1b[32m"
_RESET = "\x1b[0m"


def _children(result: ProgramResult) -> dict[str, list[int]]:
    children: dict[str, list[int]] = {}
    for index, record in enumerate(result.resources):
        children.setdefault(record.parent or result.stack_urn, []).append(index)
    return children


def render_tree(result: ProgramResult) -> list[tuple[str, str, str]]:
    """Rows of (prefix + type, name, plan), depth-first from the stack."""
    children = _children(result)
    rows: list[tuple[str, str, str]] = [(STACK_TYPE, f"{result.project}-{result.stack}", "create")]

    def walk(urn: str, prefix: str) -> None:
        indexes = children.get(urn, [])
        for position, index in enumerate(indexes):
            record = result.resources[index]
            last = position == len(indexes) - 1
            branch = "└─ " if last else "├─ "
            rows.append((prefix + branch + display_type(record.type), record.name, "create"))
            walk(record.urn, prefix + ("   " if last else "│  "))

    walk(result.stack_urn, "")
    return rows


UNKNOWN_SHOWN = "output<string>"
"""How the CLI shows a value unknown until apply."""


def show_value(value: Any) -> str:
    if is_secret(value):
        return "[secret]"
    if value == UNKNOWN:
        return UNKNOWN_SHOWN
    if isinstance(value, (dict, list)):
        return json.dumps(_shown(value))
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return json.dumps(value)


def _shown(value: Any) -> Any:
    """Nested secrets and unknowns as the CLI shows them."""
    if is_secret(value):
        return "[secret]"
    if value == UNKNOWN:
        return UNKNOWN_SHOWN
    if isinstance(value, dict):
        return {k: _shown(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_shown(v) for v in value]
    return value


# What the CLI shows for `pkg:mod/leaf:Leaf`: the module's leaf is dropped when it only repeats the type name.
_MODULE_LEAF = re.compile(r"^([^:]*):([^:/]*)/([^:/]*):([^:]*)$")
DEFAULT_WIDTH = 100
_PLAN_WIDTH = len("create")
_GUTTER = " +   "


def display_type(type_: str) -> str:
    """`aws:ec2/securityGroup:SecurityGroup` is shown as `aws:ec2:SecurityGroup`, as the CLI does."""
    match = _MODULE_LEAF.match(type_)
    if match is None or match.group(3).lower() != match.group(4).lower():
        return type_
    return f"{match.group(1)}:{match.group(2)}:{match.group(4)}"


def _is_terminal(out: TextIO) -> bool:
    isatty = getattr(out, "isatty", None)
    return bool(isatty and isatty())


def use_colour(out: TextIO) -> bool:
    """Colour only on a terminal, and never when NO_COLOR is set (to anything) or TERM is dumb."""
    if "NO_COLOR" in os.environ or os.environ.get("TERM") == "dumb":
        return False
    return _is_terminal(out)


def output_width(out: TextIO) -> int:
    """The terminal's width on a terminal (at least 60 columns), otherwise 100."""
    if _is_terminal(out):
        return max(60, shutil.get_terminal_size((DEFAULT_WIDTH, 24)).columns)
    return DEFAULT_WIDTH


def _continuation(tree_prefix: str) -> str:
    """The prefix that keeps the tree's vertical lines on a wrapped row's next lines."""
    return tree_prefix.replace("├─ ", "│  ").replace("└─ ", "   ")


def _cells(text: str, width: int, follow: str = "") -> list[str]:
    """`text` cut into pieces of at most `width` characters; later pieces start with `follow`."""
    pieces = [text[:width]]
    rest = text[width:]
    room = max(1, width - len(follow))
    while rest:
        pieces.append(follow + rest[:room])
        rest = rest[room:]
    return pieces


def column_widths(rows: list[tuple[str, str, str]], width: int) -> tuple[int, int]:
    """Widths of the type and name columns so that a row fits `width` with its plan."""
    room = width - len(_GUTTER) - _PLAN_WIDTH
    ideal_type = max(len(row[0]) for row in rows) + 2
    # The name column takes what the types leave, but never less than two fifths of the room.
    name_width = min(max(len(row[1]) for row in rows) + 2, max(room - ideal_type, room * 2 // 5))
    return min(ideal_type, room - name_width), name_width


def layout_rows(rows: list[tuple[str, str, str]], width: int) -> list[str]:
    """The tree as lines of at most `width` columns: a cell too long for its column wraps onto the
    next lines, keeping the tree's lines on the left, instead of pushing the row off the screen."""
    type_width, name_width = column_widths(rows, width)
    lines = [f"{' ' * len(_GUTTER)}{'Type':<{type_width}}{'Name':<{name_width}}Plan".rstrip()]
    for prefix_type, name, plan in rows:
        tree_prefix = prefix_type[: len(prefix_type) - len(prefix_type.lstrip("│├└─ "))]
        types = _cells(prefix_type, type_width - 1, _continuation(tree_prefix) + "  ")
        names = _cells(name, name_width - 1)
        for index in range(max(len(types), len(names))):
            type_cell = types[index] if index < len(types) else _continuation(tree_prefix)
            name_cell = names[index] if index < len(names) else ""
            gutter, plan_cell = (_GUTTER, plan) if index == 0 else (" " * len(_GUTTER), "")
            lines.append(f"{gutter}{type_cell:<{type_width}}{name_cell:<{name_width}}{plan_cell}".rstrip())
    return lines


def print_preview(result: ProgramResult, out: TextIO) -> None:
    verb = "Previewing update" if result.preview else "Previewing update (offline, mocks)"
    out.write(f"{verb} ({result.stack}):\n")
    colour = use_colour(out)
    width = output_width(out)
    for line in layout_rows(render_tree(result), width):
        painted = line
        if colour and line.startswith(_GUTTER):
            painted = f"{_GREEN}+{_RESET}{line[1:-_PLAN_WIDTH]}{_GREEN}{line[-_PLAN_WIDTH:]}{_RESET}"
        out.write(painted + "\n")
    for diagnostic in result.diagnostics:
        if diagnostic.severity in {"warning", "error"}:
            text = textwrap.fill(f"{diagnostic.severity}: {diagnostic.message}", width=width,
                                 initial_indent="  ", subsequent_indent="    ", break_on_hyphens=False)
            out.write(f"\n{text}\n")
    if result.outputs:
        out.write("\nOutputs:\n")
        key_width = max(len(k) for k in result.outputs) + 2
        for key in sorted(result.outputs):
            out.write(f"    {key + ':':<{key_width}}{show_value(result.outputs[key])}\n")
    out.write("\nResources:\n")
    out.write(f"    + {len(result.resources) + 1} to create\n")

