"""Deployment exports read from disk (`check --state`): ours, or `pulumi stack export` of a real
stack. Standard library only, so `check` can read the state and start the pack before it imports
the gRPC client."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from offline import OfflineError

STACK_TYPE = "pulumi:pulumi:Stack"


def stack_from_deployment(deployment: Mapping[str, Any]) -> tuple[str, str]:
    """(stack, project) from the root stack URN of an export."""
    for resource in resources_of(deployment):
        if resource.get("type") == STACK_TYPE:
            parts = str(resource["urn"]).split("::")
            return parts[0].removeprefix("urn:pulumi:"), parts[1]
    raise OfflineError("the deployment has no pulumi:pulumi:Stack resource; is this a `pulumi stack export`?")


def resources_of(deployment: Mapping[str, Any]) -> list[dict[str, Any]]:
    body = deployment.get("deployment") if "deployment" in deployment else deployment
    resources = (body or {}).get("resources")
    if not isinstance(resources, list):
        raise OfflineError("the file is not a deployment export (no deployment.resources list)")
    return [r for r in resources if isinstance(r, dict) and "urn" in r and "type" in r and not r.get("delete")]


def read_json_object(path: Path, what: str, shape: str) -> dict[str, Any]:
    """A JSON object from a file the user named, or one OfflineError line saying what is wrong."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise OfflineError(f"{what} {path} does not exist") from None
    except json.JSONDecodeError as error:
        raise OfflineError(f"{what} {path.name} is not valid JSON: {error}") from None
    if not isinstance(data, dict):
        raise OfflineError(f"{what} {path.name} must be {shape}")
    return data


def read_state(path: Path) -> dict[str, Any]:
    data = read_json_object(path, "state file", "a deployment export (pulumi stack export)")
    resources_of(data)
    return data
