"""Start a policy pack's process the way the engine does, with the standard library only.

`check` calls this before it imports the gRPC client (about as slow to import as the pack is to
boot), so the two start-ups overlap instead of adding up."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from offline import ROOT, OfflineError

PACK_DIR = ROOT / "policies"
"""The project's CrossGuard pack."""

PARENT_ENV = "ORCHESTRATOR_GATE_PID"
"""Tells the pack's bootstrap which process started it."""

_BOOTSTRAP = """\
import ctypes, ctypes.util, os, runpy, signal, sys
parent = int(os.environ.pop("ORCHESTRATOR_GATE_PID", "0") or 0)
if sys.platform.startswith("linux"):
    try:
        ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
if parent and os.getppid() != parent:
    sys.exit(1)  # the gate died before the signal was armed: nobody is left to ask
sys.argv[0] = "pulumi.policy"
runpy.run_module("pulumi.policy", run_name="__main__", alter_sys=True)
"""
"""Runs `python -m pulumi.policy` after asking the kernel to kill this process when the gate dies, even by
SIGKILL, so an interrupted check never leaves a pack behind. It is armed in the pack's own process, after
exec: a `preexec_fn` would run Python in a child forked from a process whose gRPC threads may hold locks
(the pack then failed to start under load)."""


@dataclass
class StartedPack:
    process: subprocess.Popen[bytes]
    engine_port: int
    """Loopback port the pack was told the engine listens on; the client serves it there."""

    def discard(self) -> None:
        """For a caller that fails before handing the process over: never leave a pack running."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def reserve_port() -> int:
    """A free loopback port for the engine service, chosen before the pack is told about it."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_pack(pack_dir: Path, *, project: str, stack: str, dry_run: bool = True,
               config: Mapping[str, str] | None = None, python: str | None = None,
               engine_port: int | None = None) -> StartedPack:
    """`python -u -m pulumi.policy <engine address> <pack dir>`, cwd = the pack, as the engine runs it (through
    `_BOOTSTRAP`, which adds only the kernel's promise to stop it with the gate)."""
    pack_dir = pack_dir.resolve()
    if not (pack_dir / "PulumiPolicy.yaml").is_file():
        raise OfflineError(f"{pack_dir} is not a policy pack (no PulumiPolicy.yaml)")
    port = engine_port or reserve_port()
    env = dict(os.environ, PULUMI_PROJECT=project, PULUMI_STACK=stack,
               PULUMI_DRY_RUN="true" if dry_run else "false", PULUMI_CONFIG=json.dumps(dict(config or {})),
               **{PARENT_ENV: str(os.getpid())})
    process = subprocess.Popen(
        [python or sys.executable, "-u", "-c", _BOOTSTRAP, f"127.0.0.1:{port}", str(pack_dir)],
        cwd=pack_dir, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    return StartedPack(process=process, engine_port=port)
