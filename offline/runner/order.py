"""One deterministic order for what a run declared, so two runs can be diffed byte for byte.

The SDK registers resources as their inputs resolve, which depends on task scheduling; the engine
only promises that a resource comes after its parent, provider and dependencies. This order keeps
that promise and breaks every tie by URN.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable, Sequence
from typing import TypeVar

Item = TypeVar("Item")


def stable_topological(items: Sequence[Item], key: Callable[[Item], str],
                       requires: Callable[[Item], Iterable[str]]) -> list[Item]:
    """`items` after everything they require that is among them; ties (and cycles) broken by `key`."""
    by_key = {key(item): item for item in items}
    pending: dict[str, set[str]] = {}
    dependants: dict[str, list[str]] = {name: [] for name in by_key}
    for name, item in by_key.items():
        pending[name] = {r for r in requires(item) if r in by_key and r != name}
        for required in pending[name]:
            dependants[required].append(name)
    ready = sorted(name for name, needed in pending.items() if not needed)
    ordered: list[Item] = []
    done: set[str] = set()
    while len(done) < len(by_key):
        if not ready:  # a cycle, which the engine would refuse: break it at its smallest member
            ready = [_smallest_in_cycle(pending, done)]
        name = heapq.heappop(ready)
        if name in done:
            continue
        done.add(name)
        ordered.append(by_key[name])
        for dependant in dependants[name]:
            pending[dependant].discard(name)
            if not pending[dependant] and dependant not in done:
                heapq.heappush(ready, dependant)
    return ordered


def _smallest_in_cycle(pending: dict[str, set[str]], done: set[str]) -> str:
    """The smallest item whose every pending requirement lies on a cycle through it: an item of a
    strongly connected component that requires nothing outside it (one always exists)."""
    def reaches(start: str, target: str) -> bool:
        seen: set[str] = set()
        stack = [start]
        while stack:
            current = stack.pop()
            if current == target:
                return True
            if current not in seen:
                seen.add(current)
                stack.extend(pending[current])
        return False

    for name in sorted(n for n in pending if n not in done):
        if pending[name] and all(reaches(required, name) for required in pending[name]):
            return name
    raise AssertionError("no item is ready and none closes a cycle")
