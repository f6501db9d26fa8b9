"""Print a ProgramResult the way `pulumi preview` does: a tree, the outputs, a summary."""

from __future__ import annotations

import json
from typing import Any, TextIO

from offline.export import is_secret
from offline.program import STACK_TYPE, ProgramResult
from offline.wire import UNKNOWN


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
            rows.append((prefix + branch + record.type, record.name, "create"))
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


def print_preview(result: ProgramResult, out: TextIO) -> None:
    verb = "Previewing update" if result.preview else "Previewing update (offline, mocks)"
    out.write(f"{verb} ({result.stack}):\n")
    rows = render_tree(result)
    type_width = max(len(row[0]) for row in rows) + 3
    name_width = max(len(row[1]) for row in rows) + 3
    out.write(f"     {'Type':<{type_width}}{'Name':<{name_width}}Plan\n")
    for type_column, name, plan in rows:
        out.write(f" +   {type_column:<{type_width}}{name:<{name_width}}{plan}\n")
    for diagnostic in result.diagnostics:
        if diagnostic.severity in {"warning", "error"}:
            out.write(f"\n  {diagnostic.severity}: {diagnostic.message}\n")
    if result.outputs:
        out.write("\nOutputs:\n")
        width = max(len(k) for k in result.outputs) + 2
        for key in sorted(result.outputs):
            out.write(f"    {key + ':':<{width}}{show_value(result.outputs[key])}\n")
    out.write("\nResources:\n")
    out.write(f"    + {len(result.resources) + 1} to create\n")

