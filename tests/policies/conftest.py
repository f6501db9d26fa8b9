"""One policy-pack process per test session, driven over the analyzer protocol like the engine does."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from offline.gate.analyzer import PolicyPackProcess
from offline.gate.engine import PACK_DIR, resolve_config

PROJECT, STACK = "orchestrator", "test"
ROOT_URN = f"urn:pulumi:{STACK}::{PROJECT}::pulumi:pulumi:Stack::{PROJECT}-{STACK}"


def urn(type_: str, name: str) -> str:
    return f"urn:pulumi:{STACK}::{PROJECT}::{type_}::{name}"


def resource(type_: str, name: str, inputs: dict[str, Any], *, outputs: dict[str, Any] | None = None,
             protect: bool = False, deps: dict[str, list[str]] | None = None) -> dict[str, Any]:
    entry: dict[str, Any] = {"urn": urn(type_, name), "type": type_, "custom": True, "inputs": inputs,
                             "outputs": outputs if outputs is not None else inputs, "parent": ROOT_URN}
    if protect:
        entry["protect"] = True
    if deps:
        entry["propertyDependencies"] = deps
        entry["dependencies"] = sorted({u for urns in deps.values() for u in urns})
    return entry


def root(**outputs: Any) -> dict[str, Any]:
    return {"urn": ROOT_URN, "type": "pulumi:pulumi:Stack", "custom": False, "outputs": outputs}


@pytest.fixture(scope="session")
def pack() -> Iterator[PolicyPackProcess]:
    with PolicyPackProcess(PACK_DIR, project=PROJECT, stack=STACK) as process:
        assert process.info is not None
        config = resolve_config(process.info, {})
        process.configure(config.levels, config.properties)
        yield process


Findings = dict[str, set[str]]


@pytest.fixture(scope="session")
def check(pack: PolicyPackProcess) -> Callable[[list[dict[str, Any]]], Findings]:
    """Resources -> {policy: {resource names}} ('stack' for stack-wide findings)."""

    def run(resources: list[dict[str, Any]]) -> Findings:
        if not any(r["type"] == "pulumi:pulumi:Stack" for r in resources):
            resources = [root(), *resources]
        results = pack.analyze(resources)
        assert not results.crashes, results.crashes
        found: Findings = {}
        for d in results.diagnostics:
            found.setdefault(d.policy, set()).add(d.urn.rsplit("::", 1)[-1] if d.urn and d.urn != ROOT_URN else "stack")
        return found

    return run


Messages = dict[str, dict[str, str]]


@pytest.fixture(scope="session")
def messages(pack: PolicyPackProcess) -> Callable[[list[dict[str, Any]]], Messages]:
    """Resources -> {policy: {resource name ('stack'): message}}, so each fixture asserts the defect it names."""

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
