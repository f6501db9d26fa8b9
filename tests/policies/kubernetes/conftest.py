"""A check that also returns the messages, so each fixture asserts the defect it names."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from offline.gate.analyzer import PolicyPackProcess
from tests.policies.conftest import ROOT_URN, root

Messages = dict[str, dict[str, str]]


@pytest.fixture(scope="session")
def messages(pack: PolicyPackProcess) -> Callable[[list[dict[str, Any]]], Messages]:
    """Resources -> {policy: {resource name ('stack'): message}}."""

    def run(resources: list[dict[str, Any]]) -> Messages:
        if not any(r["type"] == "pulumi:pulumi:Stack" for r in resources):
            resources = [root(), *resources]
        results = pack.analyze(resources)
        assert not results.crashes, results.crashes
        found: Messages = {}
        for d in results.diagnostics:
            name = d.urn.rsplit("::", 1)[-1] if d.urn and d.urn != ROOT_URN else "stack"
            found.setdefault(d.policy, {})[name] = found.get(d.policy, {}).get(name, "") + d.message
        return found

    return run
