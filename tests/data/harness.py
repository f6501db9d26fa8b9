"""Build a shipped stack under the mock runtime and resolve its contract outputs.

The contract test needs the typed `PostgresOutputs` / `RedisOutputs` objects themselves (not what a
platform chose to register), so this runs the program's wiring, `components.stack.build`, and keeps
the components it returns.
"""

from __future__ import annotations

import contextvars
import dataclasses
import functools
from dataclasses import dataclass
from typing import Any

import pulumi
from pulumi.runtime import config as runtime_config
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

from offline.runner.mocks import ProviderMocks, RecordingMonitor, Registration
from offline.runner.stacks import load_stack


@dataclass(frozen=True)
class Resolved:
    value: Any
    secret: bool
    known: bool


@dataclass
class DataTier:
    stack: str
    platform: str
    app_namespace: str
    database: dict[str, Resolved]
    cache: dict[str, Resolved]
    database_type: str
    cache_type: str
    resources: list[Registration]

    def secrets(self, namespace: str) -> dict[str, Registration]:
        """Kubernetes Secrets declared in a namespace, by metadata.name."""
        out: dict[str, Registration] = {}
        for record in self.resources:
            if record.type != "kubernetes:core/v1:Secret":
                continue
            metadata = record.inputs.get("metadata") or {}
            if metadata.get("namespace") == namespace:
                out[str(metadata.get("name"))] = record
        return out


async def _resolve(outputs: Any) -> dict[str, Resolved]:
    resolved: dict[str, Resolved] = {}
    for field in dataclasses.fields(outputs):
        output: pulumi.Output[Any] = getattr(outputs, field.name)
        resolved[field.name] = Resolved(
            value=await output.future(), secret=await output.is_secret(), known=await output.is_known()
        )
    return resolved


def _build(stack: str, overrides: tuple[str, ...]) -> DataTier:
    spec = load_stack(stack).with_overrides(list(overrides))
    runtime_config.set_all_config(spec.runtime_config(), [])
    monitor = RecordingMonitor(ProviderMocks())
    pulumi.runtime.set_mocks(monitor.mocks, project=spec.project, stack=spec.name, preview=False, monitor=monitor)
    found: dict[str, Any] = {}

    async def program() -> None:
        from components.config import load
        from components.stack import build

        # The program's own wiring (components.stack.build), not a copy of it.
        stack = build(load())
        found.update(
            platform=stack.config.platform.value,
            app_namespace=await stack.namespace.name.future(),
            database=await _resolve(stack.database.outputs),
            cache=await _resolve(stack.cache.outputs),
            database_type=type(stack.database).__name__,
            cache_type=type(stack.cache).__name__,
        )

    _sync_await(run_pulumi_func(program))
    return DataTier(
        stack=stack,
        resources=[monitor.registrations[urn] for urn in monitor.order],
        **found,
    )


@functools.cache
def build_data_tier(stack: str, *overrides: str) -> DataTier:
    """Cached per (stack, overrides); each build runs in a fresh context, like the offline runner."""
    return contextvars.Context().run(_build, stack, overrides)
