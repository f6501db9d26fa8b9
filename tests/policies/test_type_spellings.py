"""Every rule judges a resource the same whichever spelling of its type token it carries: pulumi-aws's
module-only form and azure-native's versioned modules are the same resource (`common.base_type`)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from tests.policies.all_fixtures import FIXTURES
from tests.policies.conftest import Messages
from tests.policies.kubernetes.model import Fixture


def aws_short(token: str) -> str:
    package, _, rest = token.partition(":")
    module, _, kind = rest.partition(":")
    return f"aws:{module.split('/', 1)[0]}:{kind}" if package == "aws" and "/" in module else token


def azure_versioned(token: str) -> str:
    package, _, rest = token.partition(":")
    module, _, kind = rest.partition(":")
    return f"azure-native:{module}/v20240501:{kind}" if package == "azure-native" and "/" not in module else token


def respelt(resources: list[dict[str, Any]], spell: Callable[[str], str]) -> list[dict[str, Any]]:
    """The resources with their types respelt, and every URN that names one (dependencies too) renamed."""
    out = copy.deepcopy(resources)
    renamed: dict[str, str] = {}
    for item in out:
        new = spell(item["type"])
        renamed[item["urn"]] = item["urn"].replace(f"::{item['type']}::", f"::{new}::")
        item["urn"], item["type"] = renamed[item["urn"]], new
    for item in out:
        item["dependencies"] = [renamed.get(u, u) for u in item.get("dependencies", [])]
        item["propertyDependencies"] = {k: [renamed.get(u, u) for u in urns]
                                        for k, urns in item.get("propertyDependencies", {}).items()}
    return out


CASES = [(fixture, spell) for spell in (aws_short, azure_versioned) for fixture in FIXTURES
         if any(spell(r["type"]) != r["type"] for r in fixture.resources)]


def test_the_spellings_cover_both_clouds() -> None:
    assert {spell.__name__ for _, spell in CASES} == {"aws_short", "azure_versioned"}


@pytest.mark.parametrize(("fixture", "spell"), CASES, ids=[f"{f.id}-{s.__name__}" for f, s in CASES])
def test_a_respelt_type_is_judged_alike(messages: Callable[[list[dict[str, Any]]], Messages], fixture: Fixture,
                                        spell: Callable[[str], str]) -> None:
    found = messages(respelt(fixture.resources, spell)).get(fixture.rule, {})
    if fixture.flagged is None:
        assert not found, f"{fixture.rule} fired: {found}"
        return
    assert fixture.flagged in found, f"{fixture.rule} did not flag {fixture.flagged}; flagged {found}"
    assert fixture.message.lower() in found[fixture.flagged].lower(), found[fixture.flagged]
