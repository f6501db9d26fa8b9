"""A mutant's insecure values hidden again: each scalar the operator changed on its target resource
becomes a ciphertext envelope (a secret the gate cannot see). The intended rule then cannot judge the
value: it must say so (unverifiable, naming the resource and property) or judge the secret by its mere
presence, never judge the marker that stands in for it."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

from offline.wire import is_secret_envelope, secret_envelope
from tests.policies.mutants.model import Export, resources

Path = tuple[str | int, ...]
SIDES = ("inputs", "outputs")


def leaves(value: Any, path: Path = ()) -> Iterator[tuple[Path, Any]]:
    """Scalars and secret envelopes (one value each) with their paths."""
    if isinstance(value, dict) and not is_secret_envelope(value):
        for key, item in value.items():
            yield from leaves(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from leaves(item, (*path, index))
    else:
        yield path, value


def changed_scalars(before: dict[str, Any] | None, after: dict[str, Any]) -> dict[str, list[Path]]:
    """Per side, the paths of scalar values (strings, numbers, booleans) the mutation set or changed."""
    out: dict[str, list[Path]] = {}
    for side in SIDES:
        old = dict(leaves((before or {}).get(side) or {}))
        for path, value in leaves(after.get(side) or {}):
            scalar = is_secret_envelope(value) or not isinstance(value, dict | list)
            if value is not None and scalar and (path not in old or old[path] != value):
                out.setdefault(side, []).append(path)
    return out


def blinded(original: Export, mutated: Export, urn: str) -> tuple[Export, list[str]] | None:
    """`mutated` with the scalars the mutation wrote on `urn` hidden as ciphertexts, and those properties
    spelt as the gate reports them; None when the mutation wrote no scalar there (it added a resource
    kind, removed something, or changed structure only)."""
    after = next((r for r in resources(mutated) if r.get("urn") == urn), None)
    if after is None:
        return None
    before = next((r for r in resources(original) if r.get("urn") == urn), None)
    paths = changed_scalars(before, after)
    if not paths:
        return None
    out = copy.deepcopy(mutated)
    target = next(r for r in resources(out) if r.get("urn") == urn)
    for side, found in paths.items():
        for path in found:
            node = target[side]
            for key in path[:-1]:
                node = node[key]
            node[path[-1]] = secret_envelope(ciphertext="v1:blinded")
    return out, sorted({spell(p) for found in paths.values() for p in found})


def spell(path: Path) -> str:
    text = ""
    for key in path:
        text += f"[{key}]" if isinstance(key, int) else (f".{key}" if text else str(key))
    return text
