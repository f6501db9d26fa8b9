"""Run `__main__.py` under the mock runtime, as the engine would, and collect what it declared."""

from __future__ import annotations

import contextvars
import logging
import runpy
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pulumi
from google.protobuf import json_format
from pulumi.runtime import config as runtime_config
from pulumi.runtime import rpc
from pulumi.runtime.settings import SETTINGS, get_root_resource
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

from offline.runner.mocks import ProviderMocks, RecordingMonitor, Registration
from offline.runner.order import stable_topological
from offline.runner.stacks import ROOT, StackSpec

STACK_TYPE = "pulumi:pulumi:Stack"


@dataclass
class Diagnostic:
    severity: str
    message: str


@dataclass
class ProgramResult:
    """Everything one run declared, in registration order."""

    stack: str
    project: str
    preview: bool
    resources: list[Registration]
    outputs: dict[str, Any]
    """Stack outputs in wire form (secrets as envelopes)."""
    diagnostics: list[Diagnostic] = field(default_factory=list)

    @property
    def stack_urn(self) -> str:
        return f"urn:pulumi:{self.stack}::{self.project}::{STACK_TYPE}::{self.project}-{self.stack}"

    def by_type(self, type_: str) -> list[Registration]:
        return [r for r in self.resources if r.type == type_]


def _urn(record: Registration) -> str:
    return record.urn


def _requires(record: Registration) -> list[str]:
    # A provider reference is "<urn>::<id>".
    return [record.parent, record.provider.rsplit("::", 1)[0], *record.dependencies]


class _CollectingHandler(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.INFO)
        self.records: list[Diagnostic] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(Diagnostic(record.levelname.lower(), record.getMessage()))


def run_program(spec: StackSpec, *, preview: bool = False, entry: Callable[[], None] | None = None) -> ProgramResult:
    """Run `__main__.py` (or `entry`, for tests of the mocks themselves) in a fresh context, so two
    runs in one process never share state."""
    return contextvars.Context().run(_run, spec, preview, entry)


def _run(spec: StackSpec, preview: bool, entry: Callable[[], None] | None) -> ProgramResult:
    # A failed earlier run leaves its unhandled exception and pending outputs in the SDK's globals.
    SETTINGS.rpc_manager.clear()
    SETTINGS.outputs.clear()
    runtime_config.set_all_config(spec.runtime_config(), [])
    logger = logging.getLogger(f"offline.runner.program.{spec.name}")
    logger.propagate = False
    handler = _CollectingHandler()
    logger.handlers = [handler]
    monitor = RecordingMonitor(ProviderMocks())
    pulumi.runtime.set_mocks(
        monitor.mocks, project=spec.project, stack=spec.name, preview=preview, logger=logger, monitor=monitor
    )
    outputs: dict[str, Any] = {}

    def program() -> None:
        if entry is not None:
            entry()
            return
        if str(ROOT) not in sys.path:
            sys.path.insert(0, str(ROOT))
        runpy.run_path(str(ROOT / "__main__.py"), run_name="__main__")

    _sync_await(run_pulumi_func(program))

    root = get_root_resource()
    exported: dict[str, Any] = dict(getattr(root, "outputs", {}) or {})

    async def serialize() -> None:
        struct = await rpc.serialize_properties(exported, {})
        outputs.update(json_format.MessageToDict(struct))

    _sync_await(run_pulumi_func(serialize))
    resources = stable_topological([monitor.registrations[urn] for urn in monitor.order], key=_urn, requires=_requires)
    for record in resources:
        if not record.custom and record.urn in monitor.component_outputs:
            record.outputs = monitor.component_outputs[record.urn]
    return ProgramResult(
        stack=spec.name,
        project=spec.project,
        preview=preview,
        resources=resources,
        outputs=outputs,
        diagnostics=handler.records,
    )
