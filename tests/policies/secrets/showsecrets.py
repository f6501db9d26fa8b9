"""A shipped stack's export as `pulumi stack export --show-secrets` writes it: every secret envelope
carries its value as JSON `plaintext` instead of a ciphertext (the mock runtime knows the values)."""

from __future__ import annotations

import json
from typing import Any
from unittest import mock

from offline.runner import export
from offline.runner.program import ProgramResult
from offline.wire import SECRET_SIG, SECRET_SIG_KEY, UNKNOWN, unknown_secret


def _plaintext(value: Any) -> Any:
    if export.is_secret(value):
        if value.get("value") == UNKNOWN:
            return unknown_secret()
        return {SECRET_SIG_KEY: SECRET_SIG, "plaintext": json.dumps(export.unwrap(value.get("value")))}
    if isinstance(value, dict):
        return {k: _plaintext(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plaintext(v) for v in value]
    return export._number(value)


def show_secrets_export(result: ProgramResult) -> dict[str, Any]:
    """`to_deployment` with plaintext envelopes in place of redacted ciphertexts."""
    with mock.patch.object(export, "redact", _plaintext):
        return export.to_deployment(result)


def plaintexts(deployment: dict[str, Any]) -> list[str]:
    """Every plaintext secret string of an export (to assert no report quotes one) that the export does not
    also hold in the clear (a secret object's user name or host name may be spelt in other properties)."""
    found: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            if value.get(SECRET_SIG_KEY) == SECRET_SIG and "plaintext" in value:
                decoded = json.loads(value["plaintext"])
                found.extend(s for s in _strings(decoded) if len(s) >= 8)
                return
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(deployment)
    clear = json.dumps(_without_secrets(deployment))
    return [s for s in dict.fromkeys(found) if s not in clear and json.dumps(s)[1:-1] not in clear]


def _without_secrets(value: Any) -> Any:
    if isinstance(value, dict):
        if value.get(SECRET_SIG_KEY) == SECRET_SIG:
            return None
        return {k: _without_secrets(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_without_secrets(v) for v in value]
    return value


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []
