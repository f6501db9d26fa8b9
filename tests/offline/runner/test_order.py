"""Deterministic output: one order for what a run declared, and byte-identical exports."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from offline.runner.order import stable_topological

ROOT = Path(__file__).resolve().parents[3]

Graph = dict[str, list[str]]


@st.composite
def graphs(draw: st.DrawFn) -> Graph:
    names = draw(st.lists(st.text("abcdefgh", min_size=1, max_size=3), unique=True, max_size=25))
    return {n: draw(st.lists(st.sampled_from(names), max_size=4)) if names else [] for n in names}


@given(graphs(), st.randoms())
def test_order_respects_requirements_and_ignores_input_order(graph: Graph, random: object) -> None:
    names = list(graph)
    shuffled = names[:]
    random.shuffle(shuffled)  # type: ignore[attr-defined]
    ordered = stable_topological(names, key=str, requires=lambda n: graph[n])
    assert sorted(ordered) == sorted(names)
    assert stable_topological(shuffled, key=str, requires=lambda n: graph[n]) == ordered
    position = {n: i for i, n in enumerate(ordered)}
    acyclic_edges = [(n, r) for n in names for r in graph[n] if r != n and n not in _reachable(graph, r)]
    for name, required in acyclic_edges:
        assert position[required] < position[name], (name, required)


def _reachable(graph: Graph, start: str) -> set[str]:
    seen: set[str] = set()
    stack = [start]
    while stack:
        for nxt in graph.get(stack.pop(), []):
            if nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    return seen


def test_two_exports_of_production_are_byte_identical(tmp_path: Path) -> None:
    outputs = []
    for run in ("first", "second"):
        path = tmp_path / f"{run}.json"
        result = subprocess.run([sys.executable, "-m", "offline", "preview", "production", "--no-policy",
                                 "--export", str(path)], cwd=ROOT, capture_output=True, text=True, timeout=300,
                                check=False)
        assert result.returncode == 0, result.stderr
        tree = result.stdout.rsplit("Exported", 1)[0]
        outputs.append((path.read_bytes(), tree))
    assert outputs[0][0] == outputs[1][0]
    assert outputs[0][1] == outputs[1][1]
