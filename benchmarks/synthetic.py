"""Synthetic deployment exports of N resources with the production stack's realistic mix.

The production export is replicated: copy i > 0 of a resource gets `-c<i>` on its URN name, references
to other replicated resources (parent, dependencies, property dependencies, provider) point at the
same copy, and Kubernetes objects move into copy-specific namespaces, so stack-level rules see N/size
independent application stacks rather than N duplicates of one.

Stack singletons stay single: the stack itself, the default providers, and the database tier (the
`orchestrator:database:*` component and everything under it). The design has one PostgreSQL primary
per stack with its replicas (rule aws-rds-replicas); copying it would make every synthetic stack
fail that rule, a finding about the generator, not about the stack.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from offline.runner.export import to_deployment
from offline.runner.program import run_program
from offline.runner.stacks import load_stack

SINGLETON_ROOTS = ("orchestrator:database:",)
"""Component types kept once, with their descendants."""


def base_export(stack: str = "production") -> dict[str, Any]:
    return to_deployment(run_program(load_stack(stack)))


def singletons(resources: list[dict[str, Any]]) -> set[str]:
    """URNs never copied: the stack, default providers, and the singleton components' subtrees."""
    by_urn = {r["urn"]: r for r in resources}
    keep = {r["urn"] for r in resources if r["type"] == "pulumi:pulumi:Stack"
            or (r["type"].startswith("pulumi:providers:") and r["urn"].split("::")[-1].startswith("default_"))}
    roots = {r["urn"] for r in resources if r["type"].startswith(SINGLETON_ROOTS)}
    for resource in resources:
        current: dict[str, Any] | None = resource
        while current is not None:
            if current["urn"] in roots:
                keep.add(resource["urn"])
                break
            current = by_urn.get(current.get("parent", ""))
    return keep


def physical_names(replicated: set[str]) -> re.Pattern[str]:
    """Pulumi's auto-names of the replicated resources (`<logical name>-<7 hex>`), as they appear in ids,
    ARNs and names: a copy's must be its own, or its references would point at the original."""
    logical = sorted({urn.rsplit("::", 1)[-1] for urn in replicated}, key=len, reverse=True)
    return re.compile(rf"(?<![\w-])({'|'.join(map(re.escape, logical))})(-[0-9a-f]{{7}})(?![0-9a-f])")


def _renamed(value: Any, names: re.Pattern[str], suffix: str) -> Any:
    if isinstance(value, str):
        return names.sub(rf"\g<1>{suffix}\g<2>", value) if "-" in value else value
    if isinstance(value, dict):
        return {k: _renamed(v, names, suffix) for k, v in value.items()}
    if isinstance(value, list):
        return [_renamed(v, names, suffix) for v in value]
    return value


def _copy(resource: dict[str, Any], suffix: str, replicated: set[str], names: re.Pattern[str]) -> dict[str, Any]:
    def ref(urn: str) -> str:
        return f"{urn}{suffix}" if urn in replicated else urn

    clone = copy.deepcopy(resource)
    for bag in ("inputs", "outputs"):
        if isinstance(clone.get(bag), dict):
            clone[bag] = _renamed(clone[bag], names, suffix)
    if "id" in clone:
        clone["id"] = _renamed(clone["id"], names, suffix)
    clone["urn"] = ref(clone["urn"])
    if "parent" in clone:
        clone["parent"] = ref(clone["parent"])
    if "dependencies" in clone:
        clone["dependencies"] = [ref(d) for d in clone["dependencies"]]
    if "propertyDependencies" in clone:
        clone["propertyDependencies"] = {k: [ref(d) for d in v] for k, v in clone["propertyDependencies"].items()}
    if "provider" in clone:
        urn, provider_id = clone["provider"].rsplit("::", 1)
        clone["provider"] = f"{ref(urn)}::{provider_id}"
    if clone["type"].startswith("kubernetes:"):
        for key in ("inputs", "outputs"):
            metadata = clone.get(key, {}).get("metadata")
            if not isinstance(metadata, dict):
                continue
            if "namespace" in metadata:
                metadata["namespace"] = f"{metadata['namespace']}{suffix}"
            if clone["type"] == "kubernetes:core/v1:Namespace" and "name" in metadata:
                metadata["name"] = f"{metadata['name']}{suffix}"
    return clone


def synthesize(base: dict[str, Any], size: int) -> dict[str, Any]:
    """An export with exactly `size` resources besides the stack: the original (singletons included) in
    its own order, then copies. Each copy keeps that order and refers only to itself, the singletons
    and the original, so every resource still comes after its parent, provider and dependencies."""
    resources = base["deployment"]["resources"]
    keep = singletons(resources)
    replicable = [r for r in resources if r["urn"] not in keep]
    replicated = {r["urn"] for r in replicable}
    out = [copy.deepcopy(r) for r in resources]
    names = physical_names(replicated)
    copy_index = 1
    while len(out) - 1 < size:
        for resource in replicable:
            if len(out) - 1 >= size:
                break
            out.append(_copy(resource, f"-c{copy_index}", replicated, names))
        copy_index += 1
    return {"version": base["version"], "deployment": {**base["deployment"], "resources": out[:size + 1]}}
