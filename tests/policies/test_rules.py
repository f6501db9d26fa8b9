"""Every rule, compliant and violating, through the real analyzer protocol (one pack process)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from offline.gate.analyzer import PolicyPackProcess
from tests.policies.all_fixtures import coverage as fixture_coverage
from tests.policies.cases import CASES, RUN_HERE
from tests.policies.conftest import Findings
from tests.policies.fixtures import app_stack


def _id(case: tuple[str, bool, list[dict[str, Any]]]) -> str:
    return f"{case[0]}-{'violating' if case[1] else 'compliant'}"


@pytest.mark.parametrize("case", RUN_HERE, ids=[_id(c) for c in RUN_HERE])
def test_rule(check: Callable[[list[dict[str, Any]]], Findings], case: tuple[str, bool, list[dict[str, Any]]]) -> None:
    rule, fires, resources = case
    found = check(resources)
    if fires:
        assert rule in found, f"{rule} did not fire; fired: {sorted(found)}"
    else:
        assert rule not in found, f"{rule} fired on {found.get(rule)}"


def test_compliant_application_stack_is_clean(check: Callable[[list[dict[str, Any]]], Findings]) -> None:
    """The baseline every violating case mutates raises nothing at all."""
    assert check(app_stack()) == {}


def test_violations_name_the_resource(check: Callable[[list[dict[str, Any]]], Findings]) -> None:
    from tests.policies.fixtures import with_deployment

    found = check(with_deployment("spec.template.spec.initContainers.0.securityContext.privileged", True))
    assert found == {"k8s-no-privileged": {"app-blue"}}


NAME = re.compile(r"^(k8s|edge|aws|azure|stack)-[a-z0-9]+(-[a-z0-9]+)*$")


def test_catalog(pack: PolicyPackProcess) -> None:
    """Unique names, metadata on every rule, and a compliant and a violating case for each (a coverage gate)."""
    assert pack.info is not None
    policies = pack.info.policies
    assert len(policies) >= 50
    covered = {(rule, fires) for rule, fires, _ in CASES} | fixture_coverage()
    problems = []
    for name, meta in policies.items():
        if not NAME.match(name):
            problems.append(f"{name}: name is not <target>-<kebab-case>")
        if not meta.description.endswith(".") or len(meta.description) < 20:
            problems.append(f"{name}: description must be one sentence")
        if meta.severity not in ("low", "medium", "high", "critical"):
            problems.append(f"{name}: no severity")
        if (meta.enforcement == "mandatory") != (meta.severity in ("critical", "high")):
            problems.append(f"{name}: enforcement {meta.enforcement} does not follow severity {meta.severity}")
        if not any(t.startswith("audit:") for t in meta.tags) or f"target:{name.split('-')[0]}" not in meta.tags:
            problems.append(f"{name}: tags need the target and audit category")
        if not meta.framework.get("reference") or not meta.framework.get("specification"):
            problems.append(f"{name}: framework needs references and audit categories")
        if len(meta.remediation) < 20:
            problems.append(f"{name}: no remediation steps")
        if meta.url != f"docs/policies.md#{name}":
            problems.append(f"{name}: url {meta.url!r} does not point at its docs section")
        for fires in (False, True):
            if (name, fires) not in covered:
                problems.append(f"{name}: no {'violating' if fires else 'compliant'} test case")
    assert not problems, "\n".join(problems)
    assert {rule for rule, _, _ in CASES} <= set(policies)
