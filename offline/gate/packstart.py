"""Start a policy pack's process the way the engine does, with the standard library only.

`check` calls this before it imports the gRPC client (about as slow to import as the pack is to
boot), so the two start-ups overlap instead of adding up."""

from __future__ import annotations

import ctypes
import ctypes.util
import json
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from offline import ROOT, OfflineError

PACK_DIR = ROOT / "policies"
"""The project's CrossGuard pack."""

_PR_SET_PDEATHSIG = 1


def _linux_prctl() -> object | None:
    """libc's prctl, looked up once here: the forked child must not load libraries (another thread may hold the
    loader's lock at the fork)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True).prctl
    except (OSError, AttributeError):
        return None


_PRCTL = _linux_prctl()


def _die_with_parent() -> None:
    """In the pack's process, before it runs: the kernel kills it when the gate dies, even by SIGKILL, so an
    interrupted check never leaves a pack process behind."""
    if _PRCTL is not None:
        _PRCTL(_PR_SET_PDEATHSIG, signal.SIGKILL)  # type: ignore[operator]


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
    """`python -u -m pulumi.policy <engine address> <pack dir>`, cwd = the pack, as the engine runs it."""
    pack_dir = pack_dir.resolve()
    if not (pack_dir / "PulumiPolicy.yaml").is_file():
        raise OfflineError(f"{pack_dir} is not a policy pack (no PulumiPolicy.yaml)")
    port = engine_port or reserve_port()
    env = dict(os.environ, PULUMI_PROJECT=project, PULUMI_STACK=stack,
               PULUMI_DRY_RUN="true" if dry_run else "false", PULUMI_CONFIG=json.dumps(dict(config or {})))
    process = subprocess.Popen(
        [python or sys.executable, "-u", "-m", "pulumi.policy", f"127.0.0.1:{port}", str(pack_dir)],
        cwd=pack_dir, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        preexec_fn=_die_with_parent if _PRCTL is not None else None)  # noqa: PLW1509 - no imports, no locks
    return StartedPack(process=process, engine_port=port)
