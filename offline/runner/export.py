"""A ProgramResult as Pulumi's deployment export (`pulumi stack export`, checkpoint version 3)."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import os
import uuid
from importlib import metadata
from typing import Any

from offline import OfflineError
from offline.runner.mocks.core import stable_hex
from offline.runner.program import STACK_TYPE, ProgramResult
from offline.wire import SECRET_SIG, SECRET_SIG_KEY, UNKNOWN, unknown_secret

REDACTED = "[offline export: redacted]"



def is_secret(value: Any) -> bool:
    return isinstance(value, dict) and value.get(SECRET_SIG_KEY) == SECRET_SIG


def unwrap(value: Any) -> Any:
    """Wire form to plain values: secret envelopes opened (value, plaintext or ciphertext), whole
    floats as ints (numbers arrive as floats on the wire). For comparisons and assertions."""
    if is_secret(value):
        return unwrap(value.get("value", value.get("plaintext", value.get("ciphertext"))))
    if isinstance(value, dict):
        return {k: unwrap(v) for k, v in value.items()}
    if isinstance(value, list):
        return [unwrap(v) for v in value]
    return _number(value)


def redact(value: Any) -> Any:
    """Secret envelopes keep their shape; their value becomes a redacted ciphertext. A secret not
    known yet (a preview) has no value to hide: it is written as the engine writes it with
    `--show-secrets`, the sentinel as JSON plaintext, so readers still see that it is unknown."""
    if is_secret(value):
        if value.get("value") == UNKNOWN:
            return unknown_secret()
        return {SECRET_SIG_KEY: SECRET_SIG, "ciphertext": REDACTED}
    if isinstance(value, dict):
        return {k: redact(v) for k, v in value.items()}
    if isinstance(value, list):
        return [redact(v) for v in value]
    return _number(value)


def _number(value: Any) -> Any:
    # Struct numbers arrive as floats; the engine writes whole numbers without a fraction.
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


@functools.cache
def _plugin_versions() -> dict[str, str]:
    """Package name -> provider version, from each installed SDK's `pulumi-plugin.json` (its
    `version`, else the distribution's: community SDKs such as pulumiverse-time omit it)."""
    versions: dict[str, str] = {}
    for distribution in metadata.distributions():
        for file in distribution.files or ():
            if file.name != "pulumi-plugin.json":
                continue
            try:
                plugin = json.loads(file.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            if isinstance(plugin, dict) and isinstance(plugin.get("name"), str):
                versions[plugin["name"]] = str(plugin.get("version") or distribution.version)
    return versions


def provider_version(package: str) -> str:
    version = _plugin_versions().get(package)
    if version is None:
        raise OfflineError(f"no installed Pulumi SDK declares the provider package {package!r} (pulumi-plugin.json)")
    return version


def default_provider_urn(result: ProgramResult, package: str) -> str:
    version = provider_version(package).replace(".", "_")
    return f"urn:pulumi:{result.stack}::{result.project}::pulumi:providers:{package}::default_{version}"


def _provider_id(urn: str) -> str:
    return str(uuid.UUID(hashlib.md5(urn.encode()).hexdigest()))


def build_time() -> dt.datetime:
    """The export's manifest time: SOURCE_DATE_EPOCH when set, else the epoch. An offline export is a
    function of the program and its config only, so two runs give byte-identical files."""
    try:
        seconds = int(os.environ.get("SOURCE_DATE_EPOCH", "0"))
    except ValueError:
        seconds = 0
    return dt.datetime.fromtimestamp(seconds, dt.UTC)


def to_deployment(result: ProgramResult, *, now: dt.datetime | None = None) -> dict[str, Any]:
    version = "v" + metadata.version("pulumi")
    stack_urn = result.stack_urn
    resources: list[dict[str, Any]] = [{
        "urn": stack_urn,
        "custom": False,
        "type": STACK_TYPE,
        "outputs": redact(result.outputs),
    }]
    default_providers: dict[str, str] = {}
    for record in result.resources:
        if not record.custom or record.provider or record.type.startswith("pulumi:providers:"):
            continue
        package = record.type.split(":", 1)[0]
        if package not in default_providers:
            urn = default_provider_urn(result, package)
            # A provider the engine creates during a preview has the unknown id.
            provider_id = UNKNOWN if result.preview else _provider_id(urn)
            default_providers[package] = f"{urn}::{provider_id}"
            provider: dict[str, Any] = {"urn": urn, "custom": True, "id": provider_id}
            if result.preview:
                del provider["id"]
            resources.append({
                **provider,
                "type": f"pulumi:providers:{package}",
                "inputs": {"version": provider_version(package)},
                "outputs": {"version": provider_version(package)},
            })
    for record in result.resources:
        entry: dict[str, Any] = {
            "urn": record.urn,
            "custom": record.custom,
            "type": record.type,
            "inputs": redact(record.inputs),
            # Outputs come back from the monitor already marked secret as the engine marks them.
            "outputs": redact(record.outputs),
            "parent": record.parent or stack_urn,
        }
        if record.custom and (record.id or not result.preview):
            # In a preview nothing is created yet: the engine records no id.
            entry["id"] = record.id or f"{record.name}-{stable_hex(record.urn, length=8)}"
        if record.custom:
            if record.provider:
                entry["provider"] = record.provider
            elif not record.type.startswith("pulumi:providers:"):
                entry["provider"] = default_providers[record.type.split(":", 1)[0]]
        if record.protect:
            entry["protect"] = True
        if record.retain_on_delete:
            entry["retainOnDelete"] = True
        if record.delete_before_replace:
            entry["deleteBeforeReplace"] = True
        if record.ignore_changes:
            entry["ignoreChanges"] = list(record.ignore_changes)
        if record.dependencies:
            # Sets to the engine; sorted so that two runs give the same file.
            entry["dependencies"] = sorted(set(record.dependencies))
        if record.property_dependencies:
            entry["propertyDependencies"] = {k: sorted(set(v)) for k, v in sorted(record.property_dependencies.items()) if v}
        if record.additional_secret_outputs:
            entry["additionalSecretOutputs"] = list(record.additional_secret_outputs)
        resources.append(entry)
    stamp = (now or build_time()).isoformat()
    return {
        "version": 3,
        "deployment": {
            "manifest": {
                "time": stamp,
                "magic": hashlib.sha256(version.encode()).hexdigest(),
                "version": version,
            },
            "resources": resources,
        },
    }
