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


def _copy(resource: dict[str, Any], suffix: str, replicated: set[str]) -> dict[str, Any]:
    def ref(urn: str) -> str:
        return f"{urn}{suffix}" if urn in replicated else urn

    clone = copy.deepcopy(resource)
    if not suffix:  # copy 0 is the original, which the singletons refer to
        return clone
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
    """An export with exactly `size` resources besides the stack (the singletons once, then copies)."""
    resources = base["deployment"]["resources"]
    keep = singletons(resources)
    out = [r for r in resources if r["urn"] in keep]
    replicable = [r for r in resources if r["urn"] not in keep]
    replicated = {r["urn"] for r in replicable}
    copy_index = 0
    while len(out) - 1 < size:
        suffix = f"-c{copy_index}" if copy_index else ""
        for resource in replicable:
            if len(out) - 1 >= size:
                break
            out.append(_copy(resource, suffix, replicated))
        copy_index += 1
    return {"version": base["version"], "deployment": {**base["deployment"], "resources": out[:size + 1]}}
