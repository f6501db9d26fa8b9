"""The stack file, the `orchestrator:` namespace and Pulumi's --path key syntax."""

from __future__ import annotations

import json
from typing import Any

from components.conventions import PROJECT

NAMESPACE = PROJECT


STACK_SECRETS: dict[str, str] = {
    "alertReceiverSecret": "Routing key (pagerduty) or URL (webhook) of monitoring.alertReceiver, the critical pager.",
    "warningReceiverSecret": "Routing key or URL of monitoring.warningReceiver (ticket or chat).",
    "heartbeatUrl": "Dead man's switch URL the always-firing Watchdog alert is sent to every minute.",
    "appGatewayCertificatePfx": "Azure: the public certificate the Application Gateway serves for edge.hostname, a "
    "password-less PFX (with its chain) in base64; unset, the gateway serves a bootstrap certificate browsers do "
    "not trust.",
}
"""`orchestrator:` keys set with `pulumi config set --secret`: never part of the typed model (they would
travel as plain values); the component that needs one reads it as a secret Output."""


def stack_file(stack: str) -> str:
    return f"Pulumi.{stack}.yaml"


def key_path(loc: tuple[int | str, ...]) -> str:
    """('edge', 'internalCidrs', 0) -> edge.internalCidrs[0], Pulumi's --path syntax."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def namespace_values(config: dict[str, Any]) -> dict[str, Any]:
    """The `orchestrator:` keys of a flat Pulumi config map, values JSON-decoded where structured."""
    prefix = NAMESPACE + ":"
    values: dict[str, Any] = {}
    for key, value in config.items():
        if not key.startswith(prefix) or key[len(prefix):] in STACK_SECRETS:
            continue
        values[key[len(prefix):]] = _decode(value)
    return values


def _decode(value: Any) -> Any:
    # The engine passes structured values as JSON text and scalars as plain strings.
    if isinstance(value, str) and value[:1] in "{[":
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value
