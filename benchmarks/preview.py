"""Offline preview speed: wall time and peak memory per shipped stack, split into start-up
(interpreter + SDK imports) and program time. Median of N runs after a warm-up.

    .venv/bin/python -m benchmarks.preview [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import sys

from benchmarks.common import ROOT, median, run_measured, write_summary
from offline.stacks import available_stacks

# Runs inside the measured process: times the imports and the program separately.
DRIVER = """
import json, sys, time
t0 = time.perf_counter()
import io, contextlib
from offline.cli import main
import pulumi, pulumi_kubernetes, pulumi_random, components.config
t1 = time.perf_counter()
with contextlib.redirect_stdout(io.StringIO()):
    code = main(["preview", sys.argv[1], "--no-policy"])
t2 = time.perf_counter()
print(json.dumps({"imports_s": t1 - t0, "program_s": t2 - t1, "code": code}))
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    summary: dict[str, dict[str, float]] = {}
    print(f"{'stack':<18}{'wall s':>8}{'startup s':>11}{'imports s':>11}{'program s':>11}{'peak MB':>9}")
    for stack in available_stacks(ROOT):
        command = [sys.executable, "-c", DRIVER, stack]
        run_measured(command)  # warm-up: page cache and .pyc files
        walls, imports, programs, peaks = [], [], [], []
        for _ in range(args.runs):
            run = run_measured(command)
            if run.returncode != 0:
                print(f"{stack}: preview failed (exit {run.returncode})")
                return 1
            timing = json.loads(run.stdout.strip().splitlines()[-1])
            walls.append(run.wall_s)
            imports.append(timing["imports_s"])
            programs.append(timing["program_s"])
            peaks.append(run.peak_rss_mb)
        wall, imp, prog = median(walls), median(imports), median(programs)
        summary[stack] = {
            "wall_s": round(wall, 3),
            "interpreter_s": round(wall - imp - prog, 3),
            "imports_s": round(imp, 3),
            "program_s": round(prog, 3),
            "peak_rss_mb": round(max(peaks), 1),
            "runs": args.runs,
        }
        print(f"{stack:<18}{wall:>8.2f}{wall - imp - prog:>11.2f}{imp:>11.2f}{prog:>11.2f}{max(peaks):>9.0f}")
    path = write_summary("preview", {"stacks": summary})
    print(f"summary: {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
