"""(Linux: reads /proc.) A check interrupted from outside never leaves its policy pack running: a cancelled CI job sends SIGTERM
(the check stops the pack and exits 143 with one line), and SIGKILL leaves the gate no chance to clean up,
so the kernel ends the pack with it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from offline import ROOT


def pack_children(pid: int) -> list[int]:
    """Processes whose parent is `pid` and that run the policy pack."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ")
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        if parent == pid and b"pulumi.policy" in command:
            found.append(int(entry.name))
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def listening(pid: int) -> bool:
    """Whether `pid` holds a listening TCP socket (the pack serves once it has printed its port)."""
    try:
        inodes = {os.readlink(fd)[len("socket:["):-1] for fd in Path(f"/proc/{pid}/fd").iterdir()
                  if os.readlink(fd).startswith("socket:[")}
    except OSError:
        return False
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "0A" and fields[9] in inodes:
                return True
    return False


def started_check() -> tuple[subprocess.Popen[bytes], int]:
    gate = subprocess.Popen([sys.executable, "-m", "offline", "check", "production"], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        serving = [child for child in pack_children(gate.pid) if listening(child)]
        if serving:
            return gate, serving[0]
        assert gate.poll() is None, gate.communicate()
        time.sleep(0.05)
    gate.kill()
    raise AssertionError("the check started no policy pack within 60 s")


def gone_within(pid: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not alive(pid):
            return True
        time.sleep(0.05)
    return False


def test_sigkill_of_the_check_ends_its_pack() -> None:
    gate, pack = started_check()
    gate.kill()
    gate.communicate()
    try:
        assert gone_within(pack, 10), f"pack {pack} outlived the killed check"
    finally:
        if alive(pack):
            os.kill(pack, signal.SIGKILL)


def test_sigterm_stops_the_check_and_its_pack_with_one_line() -> None:
    gate, pack = started_check()
    gate.send_signal(signal.SIGTERM)
    _, err = gate.communicate(timeout=30)
    try:
        assert gate.returncode == 128 + signal.SIGTERM, err
        assert err.decode().strip().splitlines()[-1] == "terminated", err
        assert gone_within(pack, 10), f"pack {pack} outlived the terminated check"
    finally:
        if alive(pack):
            os.kill(pack, signal.SIGKILL)
