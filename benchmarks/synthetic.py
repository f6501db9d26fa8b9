"""Synthetic deployment exports of N resources with the production stack's realistic mix.

The production export is replicated: copy i of every resource gets `-c<i>` on its URN name, its
references (parent, dependencies, provider) rewritten to the same copy, and Kubernetes objects
moved into copy-specific namespaces, so stack-level rules see N/size independent stacks' worth of
objects rather than N duplicates of one.
"""

from __future__ import annotations

import copy
from typing import Any

from offline.export import to_deployment
from offline.program import run_program
from offline.stacks import load_stack


def base_export(stack: str = "production") -> dict[str, Any]:
    return to_deployment(run_program(load_stack(stack)))


def _suffix_urn(urn: str, suffix: str) -> str:
    return f"{urn}{suffix}"


def _rename(resource: dict[str, Any], suffix: str, stack_urn: str, provider_urns: set[str]) -> dict[str, Any]:
    clone = copy.deepcopy(resource)
    clone["urn"] = _suffix_urn(clone["urn"], suffix)
    if "parent" in clone and clone["parent"] != stack_urn:
        clone["parent"] = _suffix_urn(clone["parent"], suffix)
    if "dependencies" in clone:
        clone["dependencies"] = [_suffix_urn(d, suffix) for d in clone["dependencies"]]
    if "propertyDependencies" in clone:
        clone["propertyDependencies"] = {k: [_suffix_urn(d, suffix) for d in v] for k, v in clone["propertyDependencies"].items()}
    if "provider" in clone:
        urn, provider_id = clone["provider"].rsplit("::", 1)
        if urn not in provider_urns or not urn.split("::")[-1].startswith("default_"):
            clone["provider"] = f"{_suffix_urn(urn, suffix)}::{provider_id}"
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
    """An export with exactly `size` resources besides the stack."""
    resources = base["deployment"]["resources"]
    stack, body = resources[0], resources[1:]
    default_providers = [
        r for r in body if r["type"].startswith("pulumi:providers:") and r["urn"].split("::")[-1].startswith("default_")
    ]
    replicable = [r for r in body if r not in default_providers]
    provider_urns = {r["urn"] for r in default_providers}
    out: list[dict[str, Any]] = [stack, *default_providers]
    copy_index = 0
    while len(out) - 1 < size:
        suffix = f"-c{copy_index}"
        for resource in replicable:
            if len(out) - 1 >= size:
                break
            out.append(_rename(resource, suffix, stack["urn"], provider_urns))
        copy_index += 1
    return {"version": base["version"], "deployment": {**base["deployment"], "resources": out}}
