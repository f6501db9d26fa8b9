"""The whole gate on a 50,000-resource export: `python -m offline check --state FILE --stack production`
end to end (the pack's own process, both property bags, the report), wall time, CPU and peak memory of
the process tree. The export is the production stack replicated by benchmarks/synthetic.py.

    .venv/bin/python -m benchmarks.gate_50k [--resources 50000] [--runs 3]
"""

from __future__ import annotations

import argparse
import collections
import json
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.common import ROOT, load_average, median, run_measured, write_summary
from benchmarks.synthetic import base_export, synthesize


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resources", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    started = time.perf_counter()
    export = synthesize(base_export(), args.resources)
    build_s = time.perf_counter() - started
    load_before = load_average()
    with tempfile.TemporaryDirectory() as tmp:
        state = Path(tmp) / "state.json"
        state.write_text(json.dumps(export), encoding="utf-8")
        size_mb = state.stat().st_size / 1e6
        report = Path(tmp) / "report.json"
        command = [sys.executable, "-m", "offline", "check", "--state", str(state), "--stack", "production",
                   "--format", "json", "--output", str(report)]
        runs = []
        for _ in range(args.runs):
            run = run_measured(command)
            if run.returncode not in (0, 1):
                print(f"check failed (exit {run.returncode})")
                return 1
            runs.append(run)
            print(f"run: wall {run.wall_s:.2f} s, CPU {run.cpu_s:.2f} s, peak tree {run.peak_rss_mb:.0f} MB, "
                  f"largest process {run.max_process_rss_mb:.0f} MB")
        found = json.loads(report.read_text())
    policies = collections.Counter(v["policy"] for v in found["violations"])
    wall, cpu = median([r.wall_s for r in runs]), median([r.cpu_s for r in runs])
    peak, largest = max(r.peak_rss_mb for r in runs), max(r.max_process_rss_mb for r in runs)
    print(f"{args.resources} resources ({size_mb:.0f} MB export, built in {build_s:.1f} s): median wall {wall:.2f} s, "
          f"CPU {cpu:.2f} s, {1000 * wall / args.resources:.3f} ms/resource, peak tree {peak:.0f} MB, "
          f"largest process {largest:.0f} MB")
    print(f"findings: {dict(policies) or 'none'}")
    load_after = load_average()
    print(f"load average (1 min) before/after: {load_before:.2f} / {load_after:.2f}")
    path = write_summary("gate_50k", {
        "resources": args.resources, "export_mb": round(size_mb, 1), "runs": args.runs, "wall_s": round(wall, 2),
        "cpu_s": round(cpu, 2), "ms_per_resource": round(1000 * wall / args.resources, 4),
        "peak_tree_rss_mb": round(peak, 1), "max_process_rss_mb": round(largest, 1),
        "findings": dict(policies), "load_before": round(load_before, 2), "load_after": round(load_after, 2)})
    print(f"summary: {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
