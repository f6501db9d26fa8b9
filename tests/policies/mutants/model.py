"""The shape of a mutation operator: one insecure change to a shipped stack's export.

Each `ops_<target>.py` module beside this file exposes `OPERATORS: list[Mutation]`; the harness
applies every operator to a fresh copy of each shipped stack's export it names and asserts that
the gate reports the intended rule on the intended resource, with a message naming the defect.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

Export = dict[str, Any]
SHIPPED_STACKS = ("production", "staging", "production-azure", "local")


@dataclass(frozen=True)
class Mutation:
    name: str
    """Unique, `<rule>-<what changed>`."""
    rule: str
    """The policy that must report the mutant."""
    apply: Callable[[Export], str | None]
    """Changes the export in place; returns the URN that must be flagged (None: a stack-level finding)."""
    stacks: tuple[str, ...] = SHIPPED_STACKS
    """The shipped stacks whose export the operator applies to."""
    message: str = ""
    """A case-insensitive substring the violation message must contain: the defect, named."""


def resources(export: Export) -> list[dict[str, Any]]:
    return export["deployment"]["resources"]  # type: ignore[no-any-return]


def of_type(export: Export, *types: str) -> Iterator[dict[str, Any]]:
    for resource in resources(export):
        if resource.get("type") in types:
            yield resource


def first(export: Export, type_: str, name_contains: str = "") -> dict[str, Any]:
    """The first resource of `type_` whose URN name contains `name_contains`; KeyError when none."""
    for resource in of_type(export, type_):
        if name_contains in resource["urn"].rsplit("::", 1)[-1]:
            return resource
    raise KeyError(f"no {type_} named like {name_contains!r}")


def set_input(resource: dict[str, Any], path: tuple[str | int, ...], value: Any) -> str:
    """Sets `value` at `path` in the resource's inputs and outputs (both, as the engine records them)."""
    for side in ("inputs", "outputs"):
        node = resource.setdefault(side, {})
        for key, following in itertools.pairwise(path):
            node = node[key] if isinstance(node, list) else node.setdefault(key, [] if isinstance(following, int) else {})
        node[path[-1]] = value  # type: ignore[index]
    return str(resource["urn"])


def on(type_: str, name: str, path: tuple[str | int, ...], value: Any,
       how: Callable[[dict[str, Any], tuple[str | int, ...], Any], str] = set_input) -> Callable[[Export], str]:
    """An operator that sets `value` at `path` of the first `type_` named like `name` (`how` says where)."""
    def apply(export: Export) -> str:
        return how(first(export, type_, name), path, value)
    return apply


def add_resource(export: Export, type_: str, name: str, inputs: dict[str, Any], *, parent: str | None = None,
                 custom: bool = True) -> str:
    """Appends a resource under `parent` (the stack by default); returns its URN."""
    stack = resources(export)[0]["urn"]
    prefix = stack.split("::pulumi:pulumi:Stack::")[0]
    urn = f"{prefix}::{type_}::{name}"
    resources(export).append({"urn": urn, "type": type_, "custom": custom, "inputs": inputs,
                              "outputs": dict(inputs), "parent": parent or stack})
    return urn
