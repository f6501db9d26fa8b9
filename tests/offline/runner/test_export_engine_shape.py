"""The export is what the engine writes: full parent type chains in URNs, real provider versions."""

from __future__ import annotations

from importlib import metadata
from typing import Any

import pytest

from offline.runner.program import STACK_TYPE
from offline.runner.stacks import available_stacks


def _qualified_type(urn: str) -> str:
    return urn.split("::")[2]


@pytest.mark.parametrize("stack", available_stacks())
def test_every_urn_carries_the_whole_parent_type_chain(stack: str, stack_export: Any) -> None:
    resources = stack_export(stack)["deployment"]["resources"]
    by_urn = {r["urn"]: r for r in resources}
    wrong = []
    for resource in resources:
        chain = [resource["type"]]
        parent = resource.get("parent")
        while parent and by_urn[parent]["type"] != STACK_TYPE:
            chain.insert(0, by_urn[parent]["type"])
            parent = by_urn[parent].get("parent")
        if resource["type"] != STACK_TYPE and _qualified_type(resource["urn"]) != "$".join(chain):
            wrong.append(resource["urn"])
    assert wrong == []
    assert not any(STACK_TYPE in _qualified_type(r["urn"]) for r in resources if r["type"] != STACK_TYPE)


def test_production_nests_two_levels_and_says_so(stack_export: Any) -> None:
    resources = stack_export("production")["deployment"]["resources"]
    deep = [r["urn"] for r in resources if _qualified_type(r["urn"]).count("$") >= 2]
    assert len(deep) >= 40


def test_each_default_provider_carries_its_sdk_version(stack_export: Any) -> None:
    resources = stack_export("production-azure")["deployment"]["resources"]
    providers = {r["type"].split(":")[-1]: r for r in resources
                 if r["type"].startswith("pulumi:providers:") and r["urn"].split("::")[-1].startswith("default_")}
    assert providers["time"]["inputs"]["version"] == metadata.version("pulumiverse_time")
    assert providers["time"]["urn"].endswith("::default_" + metadata.version("pulumiverse_time").replace(".", "_"))
    assert all(p["inputs"]["version"] != "0.0.0" for p in providers.values())
