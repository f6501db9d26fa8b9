"""Generated secrets (pulumi-random passwords, pulumi-tls private keys) travel only as secret Outputs.

Generic over every shipped stack and every component: the generated values are looked up from the
in-memory ProgramResult (the mocks' results), then
- every resource input that depends on a generator and carries its value is a secret envelope,
- every stack output that carries one is a secret envelope,
- no generated value (raw or base64) appears anywhere in the exported deployment JSON.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from offline.runner.export import is_secret, to_deployment
from offline.runner.program import ProgramResult
from tests.data.common import PRODUCTION
from tests.helpers import SHIPPED_STACKS, plain, run_stack

GENERATORS: dict[str, tuple[str, ...]] = {
    "random:index/randomPassword:RandomPassword": ("result", "bcryptHash"),
    "tls:index/privateKey:PrivateKey": ("privateKeyPem", "privateKeyOpenssh", "privateKeyPemPkcs8"),
}
CASES = [(stack, ()) for stack in SHIPPED_STACKS] + [("local", PRODUCTION)]


def generated(result: ProgramResult) -> dict[str, list[str]]:
    """Generator URN -> its secret values (as the mocks produced them)."""
    values: dict[str, list[str]] = {}
    for record in result.resources:
        for key in GENERATORS.get(record.type, ()):
            value = plain(record.outputs.get(key))
            if isinstance(value, str) and len(value) >= 8:
                values.setdefault(record.urn, []).append(value)
    return values


def carries(value: Any, secrets: list[str]) -> bool:
    text = json.dumps(plain(value))
    return any(secret in text or json.dumps(secret)[1:-1] in text for secret in secrets)


def all_secret(value: Any, secrets: list[str]) -> bool:
    """Every place inside `value` that holds a generated secret is wrapped in a secret envelope."""
    if is_secret(value):
        return True
    if isinstance(value, dict):
        return all(all_secret(v, secrets) for v in value.values())
    if isinstance(value, list):
        return all(all_secret(v, secrets) for v in value)
    return not carries(value, secrets)


@pytest.mark.parametrize(("stack", "overrides"), CASES, ids=[f"{s}{'-production' if o else ''}" for s, o in CASES])
def test_generated_secrets_stay_secret(stack: str, overrides: tuple[str, ...]) -> None:
    result = run_stack(stack, *overrides)
    values = generated(result)
    assert values, f"{stack}: no generated secret at all (each stack generates the data-tier passwords)"
    every = [v for vs in values.values() for v in vs]

    consumers = 0
    for record in result.resources:
        if record.type in GENERATORS:
            assert all(is_secret(record.outputs.get(k)) for k in GENERATORS[record.type] if k in record.outputs), record.name
            continue
        for key, sources in record.property_dependencies.items():
            secrets = [v for urn in sources for v in values.get(urn, [])]
            if secrets and carries(record.inputs.get(key), secrets):
                consumers += 1
                assert all_secret(record.inputs.get(key), secrets), f"{stack}: {record.type} {record.name}.{key} is not secret"
    assert consumers, f"{stack}: no resource consumes a generated secret (credentials Secrets should)"

    for name, value in result.outputs.items():
        assert all_secret(value, every), f"{stack}: stack output {name} carries a generated secret in plain text"

    exported = json.dumps(to_deployment(result))
    for secret in every:
        for form in {secret, json.dumps(secret)[1:-1], base64.b64encode(secret.encode()).decode()}:
            assert form not in exported, f"{stack}: a generated secret appears in the exported deployment"


def test_the_scan_would_catch_a_leak() -> None:
    """The checks themselves: a plain value carrying a generated password is caught."""
    leaked = {"stringData": {"password": "s3cretValue!"}}
    assert not all_secret(leaked, ["s3cretValue!"])
    sig = {"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270"}
    assert all_secret({"stringData": {"password": {**sig, "value": "s3cretValue!"}}}, ["s3cretValue!"])
    assert all_secret({**sig, "value": {"password": "s3cretValue!"}}, ["s3cretValue!"])
