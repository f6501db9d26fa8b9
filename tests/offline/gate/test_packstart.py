"""Starting the pack before the gRPC client is imported: adopted as the engine does, never orphaned."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from offline import OfflineError
from offline.gate.analyzer import PolicyPackProcess
from offline.gate.packstart import PACK_DIR, reserve_port, start_pack


def test_an_early_started_pack_is_adopted_and_answers() -> None:
    started = start_pack(PACK_DIR, project="orchestrator", stack="unit")
    pack = PolicyPackProcess(PACK_DIR, project="orchestrator", stack="unit")
    pack.spawn(started)
    with pack:
        assert pack.info is not None
        assert "k8s-no-privileged" in pack.info.policies
    assert started.process.poll() is not None  # stopped with the client


def test_a_taken_engine_port_stops_the_pack_with_one_line() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        port = squatter.getsockname()[1]
        started = start_pack(PACK_DIR, project="orchestrator", stack="unit", engine_port=port)
        pack = PolicyPackProcess(PACK_DIR, project="orchestrator", stack="unit")
        with pytest.raises(OfflineError, match=f"loopback port {port} for the engine service is taken"):
            pack.spawn(started)
    started.process.wait(timeout=10)
    assert started.process.returncode is not None


def test_discard_kills_a_pack_nobody_adopted() -> None:
    started = start_pack(PACK_DIR, project="orchestrator", stack="unit")
    started.discard()
    assert started.process.returncode is not None


def test_a_directory_without_a_pack_is_refused(tmp_path: Path) -> None:
    with pytest.raises(OfflineError, match="is not a policy pack"):
        start_pack(tmp_path, project="orchestrator", stack="unit")


def test_reserved_ports_are_free_loopback_ports() -> None:
    port = reserve_port()
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", port))
