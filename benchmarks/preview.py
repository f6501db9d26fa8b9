"""Offline preview speed: wall time and peak memory of `python -m offline preview STACK --no-policy`
per shipped stack (median of N runs after a warm-up), split into interpreter start-up and exit, module
imports (the provider SDKs load their generated modules lazily, on first use inside the program, so
imports are counted wherever they happen, from `-X importtime`) and the program itself (component
code, the mock monitor, serialization).

    .venv/bin/python -m benchmarks.preview [--runs 5] [--stacks production,staging]
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys

from benchmarks.common import ROOT, load_average, median, run_measured, write_summary
from offline.runner.stacks import available_stacks

# Runs the real entry point (offline/__main__.py) and reports how long it took from the driver's start.
DRIVER = """
import json, runpy, sys, time
t0 = time.perf_counter()
sys.argv = ["offline", "preview", sys.argv[1], "--no-policy"]
try:
    runpy.run_module("offline", run_name="__main__")
except SystemExit as done:
    code = done.code
sys.stderr.write("BENCH " + json.dumps({"driver_s": time.perf_counter() - t0, "code": code}) + "\\n")
"""
_IMPORT_LINE = re.compile(r"^import time:\s+\d+ \|\s+(\d+) \| (\s*)\S")


def import_seconds(stderr: str) -> float:
    """Sum of the outermost imports' cumulative times (nested ones are inside them)."""
    total = 0
    for line in stderr.splitlines():
        match = _IMPORT_LINE.match(line)
        if match and not match.group(2):
            total += int(match.group(1))
    return total / 1e6


def split(stack: str) -> tuple[float, float, float]:
    """(wall, imports, driver) of one instrumented run."""
    command = [sys.executable, "-X", "importtime", "-c", DRIVER, stack]
    run = run_measured(command)  # for the wall time
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    bench = next(line for line in result.stderr.splitlines() if line.startswith("BENCH "))
    return run.wall_s, import_seconds(result.stderr), float(json.loads(bench[6:])["driver_s"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--stacks", default=",".join(available_stacks(ROOT)))
    args = parser.parse_args()
    summary: dict[str, dict[str, float]] = {}
    load_before = load_average()
    print(f"{'stack':<18}{'wall s':>8}{'start+exit s':>14}{'imports s':>11}{'program s':>11}{'peak MB':>9}")
    for stack in args.stacks.split(","):
        command = [sys.executable, "-m", "offline", "preview", stack, "--no-policy"]
        run_measured(command)  # warm-up: page cache and .pyc files
        walls, peaks, imports, programs, startups = [], [], [], [], []
        for _ in range(args.runs):
            run = run_measured(command)
            if run.returncode != 0:
                print(f"{stack}: preview failed (exit {run.returncode})")
                return 1
            walls.append(run.wall_s)
            peaks.append(run.peak_rss_mb)
            # The split comes from a separate instrumented run (-X importtime costs a little itself).
            split_wall, imported, driver = split(stack)
            imports.append(imported)
            programs.append(driver - imported)
            startups.append(split_wall - driver)
        wall, startup, imp, prog = median(walls), median(startups), median(imports), median(programs)
        summary[stack] = {"wall_s": round(wall, 3), "start_exit_s": round(startup, 3), "imports_s": round(imp, 3),
                          "program_s": round(prog, 3), "peak_rss_mb": round(max(peaks), 1), "runs": args.runs}
        print(f"{stack:<18}{wall:>8.2f}{startup:>14.2f}{imp:>11.2f}{prog:>11.2f}{max(peaks):>9.0f}")
    print(f"load average (1 min) before/after: {load_before:.2f} / {load_average():.2f}")
    path = write_summary("preview", {"stacks": summary, "load_before": round(load_before, 2)})
    print(f"summary: {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
