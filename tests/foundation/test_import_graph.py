"""No import cycles in components/ or offline/, counting imports inside functions too (a lazy
import only hides a cycle), and the boundaries the architecture page states."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from offline import ROOT

PACKAGES = ("components", "offline")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path, modules: set[str]) -> set[str]:
    """Project modules `path` imports anywhere in its body (`from a import b` counts a.b when it is a module)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return {name for name in found if name in modules}


def graph() -> dict[str, set[str]]:
    paths = {module_name(p): p for package in PACKAGES for p in (ROOT / package).rglob("*.py")}
    modules = set(paths)
    return {name: imports_of(path, modules) - {name} for name, path in paths.items()}


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for root in sorted(edges):
        if root in index:
            continue
        work = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def package_init_edges_removed(edges: dict[str, set[str]]) -> dict[str, set[str]]:
    """`from a.b import c` in a module under a.b records an edge to a.b (the package), which imports
    its children to re-export them: Python runs that __init__ first, so it is not a cycle."""
    return {name: {target for target in targets if not name.startswith(target + ".")} for name, targets in edges.items()}


def test_no_import_cycles() -> None:
    assert cycles(package_init_edges_removed(graph())) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


@pytest.mark.parametrize(("source", "forbidden"), [
    ("components", ("offline", "policies", "ops")),
    ("offline.runner", ("offline.gate", "offline.diff", "offline.render", "offline.docs", "offline.cli")),
    ("offline.gate", ("offline.diff", "offline.render", "offline.docs", "offline.cli")),
])
def test_imports_flow_one_way(source: str, forbidden: tuple[str, ...]) -> None:
    paths = [p for p in (ROOT / source.replace(".", "/")).rglob("*.py")]
    everything = {module_name(p) for package in (*PACKAGES, "policies", "ops") for p in (ROOT / package).rglob("*.py")}
    wrong = sorted(
        f"{module_name(path)} -> {target}"
        for path in paths
        for target in imports_of(path, everything)
        if target.startswith(forbidden)
    )
    assert wrong == []
