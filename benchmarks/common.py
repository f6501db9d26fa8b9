"""Measuring helpers shared by the benchmark scripts: wall time and peak memory of a command's process tree.

The gate starts the policy pack as its own child process, so the memory that counts is the sum over
the whole tree at its peak: a sampler thread reads every descendant's resident set from /proc every
20 ms. The kernel's ru_maxrss is not used: after fork+exec it keeps the high-water mark of the forked
copy of this (large) benchmark process, so a small child reports the parent's size.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"


PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024


@dataclass(frozen=True)
class Run:
    wall_s: float
    peak_rss_mb: float
    """Peak of the summed resident set of the process and all its descendants (sampled)."""
    max_process_rss_mb: float
    """Peak resident set of the largest single process of the tree (sampled)."""
    cpu_s: float
    """User + system CPU of the process and its reaped descendants."""
    returncode: int
    stdout: str


def _children(pid: int) -> list[int]:
    out: list[int] = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children", encoding="ascii") as handle:
                out.extend(int(c) for c in handle.read().split())
    except OSError:  # the process has exited
        pass
    return out


def tree_rss_kb(root: int) -> tuple[int, int]:
    """(sum, largest) resident set of a process and its descendants, in KiB."""
    total, largest, todo = 0, 0, [root]
    while todo:
        pid = todo.pop()
        try:
            with open(f"/proc/{pid}/statm", encoding="ascii") as handle:
                rss = int(handle.read().split()[1]) * PAGE_KB
        except OSError:
            continue
        total, largest = total + rss, max(largest, rss)
        todo.extend(_children(pid))
    return total, largest


class _TreeSampler(threading.Thread):
    def __init__(self, pid: int, interval: float = 0.02) -> None:
        super().__init__(daemon=True)
        self.pid, self.interval = pid, interval
        self.peak_kb = self.largest_kb = 0
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            total, largest = tree_rss_kb(self.pid)
            self.peak_kb, self.largest_kb = max(self.peak_kb, total), max(self.largest_kb, largest)
            self.done.wait(self.interval)


def run_measured(argv: list[str], *, cwd: Path = ROOT, env: dict[str, str] | None = None) -> Run:
    """Run a command; wall time from fork to exit, peak memory of its process tree."""
    started = time.perf_counter()
    process = subprocess.Popen(argv, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    sampler = _TreeSampler(process.pid)
    sampler.start()
    stdout = process.stdout.read() if process.stdout else ""
    # Stop sampling before reaping: after wait4 the pid may be reused.
    sampler.done.set()
    sampler.join()
    _pid, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    return Run(wall_s=wall, peak_rss_mb=sampler.peak_kb / 1024, max_process_rss_mb=sampler.largest_kb / 1024,
               cpu_s=usage.ru_utime + usage.ru_stime, returncode=process.returncode, stdout=stdout)


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def load_average() -> float:
    return os.getloadavg()[0]


def machine() -> dict[str, Any]:
    return {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "processor": platform.processor() or platform.machine(),
        "load_1min": round(load_average(), 2),
    }


def write_summary(name: str, data: dict[str, Any]) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps({"machine": machine(), **data}, indent=2) + "\n", encoding="utf-8")
    return path
