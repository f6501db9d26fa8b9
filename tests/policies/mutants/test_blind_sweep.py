"""A value the pack cannot see never invents a finding.

Each case takes a shipped stack's export (which passes with no finding), makes ONE property of one resource
blind (a secret whose ciphertext the gate cannot read, or the engine's unknown sentinel as a first preview
has it) and judges it. The original value was compliant and the blind value could be that value, so no rule
may report a violation: it reports the value as unverifiable (rule, resource, property) or, when no rule
reads that property, nothing. A rule that judged the marker's text ("[secret]" is not a port, an unknown
label selects no pod) would invent a finding here.

The properties are drawn from every property of every resource with fixed seeds, so a failure reproduces;
whole objects and lists are drawn too (a blind pod template, a blind list of ports)."""

from __future__ import annotations

import contextlib
import copy
import json
import pathlib
import random
from collections.abc import Iterator
from typing import Any

import pytest

from offline import OfflineError
from offline.gate.engine import Violation
from offline.gate.exportfile import read_state
from policies.rules import all_policies
from tests.policies.mutants.harness import REFUSED, Harness, describe, mutants, session
from tests.policies.mutants.model import SHIPPED_STACKS, Export, resources
from tests.policies.mutants.test_garbage_sweep import Path, leaves, replace

SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d"
BLIND: dict[str, Any] = {
    "secret": {SECRET_SIG_KEY: "1b47061264138c4ac30d75fd1eb44270", "ciphertext": "djE6b2ZmbGluZTpibGluZA=="},
    "unknown": "04da6b54-80e4-46f7-96ec-b56ff0331ba9",
}
SECRETS_RULES = {p.meta.name for p in all_policies() if "SM" in p.meta.categories}  # type: ignore[attr-defined]
"""Rules about where secrets may sit: for them, a secret's value where a reference belongs IS the defect."""


def exposes_a_secret(violation: Violation) -> bool:
    """A secrets rule saying the secret's value itself sits in the object (a Pulumi secret written into a pod's
    env still ends up readable in the manifest): the one finding a withheld value may cause."""
    return violation.policy in SECRETS_RULES and "a secret's value" in violation.message


CASES_PER_STACK = 40
"""Per shipped stack and kind of blindness: how many single properties are made blind."""


@pytest.fixture(scope="module")
def harness() -> Iterator[Harness]:
    yield from session()


def through_envelope(root: Any, path: Path) -> bool:
    """Whether `path` goes into (or through) a secret envelope of `root`: its inside is blind already."""
    node = root
    for key in path:
        if isinstance(node, dict) and SECRET_SIG_KEY in node:
            return True
        try:
            node = node[key]
        except (KeyError, IndexError, TypeError):
            return False
    return False


def set_blind(root: Any, path: Path, value: Any) -> None:
    """Puts `value` at `path` of `root` unless the path does not exist there or goes through an envelope."""
    if not through_envelope(root, path):
        with contextlib.suppress(KeyError, IndexError, TypeError):  # the other bag may have another shape
            replace(root, path, copy.deepcopy(value))


def blind_paths(resource: dict[str, Any]) -> list[Path]:
    """Every property of the resource's inputs, except the inside of a secret envelope (already blind)."""
    inputs = resource.get("inputs") or {}
    return [path for path in leaves(inputs) if not through_envelope(inputs, path)]


def cases() -> list[tuple[str, str, int]]:
    return [(stack, kind, n) for stack in SHIPPED_STACKS for kind in BLIND for n in range(CASES_PER_STACK)]


@pytest.mark.parametrize(("stack", "kind", "n"), cases(), ids=[f"{s}-{k}-{n}" for s, k, n in cases()])
def test_a_blind_value_is_unverifiable_never_a_finding(harness: Harness, tmp_path: pathlib.Path,
                                                       stack: str, kind: str, n: int) -> None:
    export = copy.deepcopy(harness.export(stack))
    targets = [(index, path) for index, resource in enumerate(resources(export)) for path in blind_paths(resource)]
    index, path = random.Random(f"{stack}/{kind}/{n}").choice(targets)
    resource = resources(export)[index]
    # The engine records the same value as input and output; make it blind in both.
    for side in ("inputs", "outputs"):
        set_blind(resource.get(side) or {}, path, BLIND[kind])
    state = tmp_path / "export.json"
    state.write_text(json.dumps(export))
    where = f"{resource['type']} {resource['urn'].rsplit('::', 1)[-1]} {'.'.join(map(str, path))}"
    try:
        report = harness.check(stack, read_state(state))
    except OfflineError as refused:
        pytest.fail(f"a {kind} value at {where} was refused: {refused}")
    assert report.crashes == [], describe(report)
    invented = [v for v in report.violations if not (kind == "secret" and exposes_a_secret(v))]
    assert invented == [], f"a {kind} value at {where} invented findings:\n{describe(report)}"


def changed_paths(before: Any, after: Any, path: Path = ()) -> Iterator[Path]:
    """Where `after` differs from `before`: changed leaves, added or removed keys, lists that changed length."""
    if type(before) is not type(after):
        yield path
    elif isinstance(before, dict):
        for key in before.keys() | after.keys():
            if key not in before or key not in after:
                yield (*path, key)
            else:
                yield from changed_paths(before[key], after[key], (*path, key))
    elif isinstance(before, list):
        if len(before) != len(after):
            yield path
        else:
            for index, (old, new) in enumerate(zip(before, after, strict=True)):
                yield from changed_paths(old, new, (*path, index))
    elif before != after:
        yield path


BLINDED_STACKS = ("production", "production-azure", "local")
"""One stack per platform (staging shares production's program)."""


def hide(export: Export, urn: str, paths: list[Path]) -> None:
    """Makes the properties at `paths` of resource `urn` withheld secrets, in both property bags."""
    target = next(r for r in resources(export) if r["urn"] == urn)
    for side in ("inputs", "outputs"):
        root = target.setdefault(side, {})
        for path in filter(None, paths):
            parent: Any = root
            try:
                for key in path[:-1]:
                    parent = parent[key]
            except (KeyError, IndexError, TypeError):
                continue  # the other bag has another shape there
            if through_envelope(root, path):
                continue
            # Only what the unmutated export has is hidden: a key the operator added says something by being
            # there (an `overrideAction` of `count`), which a hidden value would still say.
            if (isinstance(parent, dict) and path[-1] in parent) or (
                    isinstance(parent, list) and isinstance(path[-1], int) and path[-1] < len(parent)):
                parent[path[-1]] = copy.deepcopy(BLIND["secret"])


@pytest.mark.parametrize("stack", BLINDED_STACKS)
def test_hiding_what_an_operator_breaks_invents_no_finding(harness: Harness, tmp_path: pathlib.Path,
                                                           stack: str) -> None:
    """Every mutation operator names properties some rule judges. For each operator that changes properties of
    one existing resource, the unmutated export with THOSE properties withheld must not fail: the hidden
    value may be the compliant one, so a rule reports it unverifiable (or, for a secret that is the expected
    form, such as an auth token, accepts it)."""
    original = harness.export(stack)
    before = {r["urn"]: r for r in resources(original)}
    hidden = 0
    invented: list[str] = []
    for mutant in (m for m in mutants() if m.stack == stack and m.operator.rule != REFUSED):
        mutated, urn = harness.mutate(mutant)
        after = {r["urn"]: r for r in resources(mutated)}
        if urn not in before or before.keys() != after.keys():
            continue  # the operator adds or removes resources: there is no one property to hide
        paths = list(changed_paths(before[urn].get("inputs") or {}, after[urn].get("inputs") or {}))
        if not paths:
            continue  # it changed outputs only (drift): hiding them is the property sweep's work
        export = copy.deepcopy(original)
        hide(export, urn, paths)
        state = tmp_path / "export.json"
        state.write_text(json.dumps(export))
        report = harness.check(stack, read_state(state))
        hidden += 1
        if report.violations or report.crashes:
            spelled = ", ".join(".".join(map(str, p)) for p in paths)
            invented.append(f"{mutant.operator.name}: hiding {spelled} of {urn.rsplit('::', 1)[-1]}:\n{describe(report)}")
    assert hidden >= 50, f"only {hidden} operators change one resource's properties on {stack}"
    assert invented == [], "\n".join(invented)
