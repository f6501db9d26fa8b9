"""A 50,000-resource export at the gate: `python -m offline check --state FILE --stack production`
end to end, wall time, CPU and peak memory of the process tree. The export is the production stack
replicated by benchmarks/synthetic.py.

By default the gate refuses an export above its resource limit (offline/gate/exportfile.py
MAX_RESOURCES) before judging anything: this measures that refusal, and the whole gate on an export
of exactly the limit. `--judge` also judges the 50,000 resources with `--max-resources`.

    .venv/bin/python -m benchmarks.gate_50k [--resources 50000] [--runs 3] [--judge]
"""

from __future__ import annotations

import argparse
import collections
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.common import ROOT, Run, load_average, median, run_measured, write_summary
from benchmarks.synthetic import base_export, synthesize
from offline.gate.exportfile import MAX_RESOURCES


def measure(label: str, export: dict[str, Any], runs: int, *, extra: list[str], expect: tuple[int, ...],
            tmp: Path) -> dict[str, Any] | None:
    state = tmp / f"{label}.json"
    state.write_text(json.dumps(export), encoding="utf-8")
    report = tmp / f"{label}-report.json"
    report.unlink(missing_ok=True)
    command = [sys.executable, "-m", "offline", "check", "--state", str(state), "--stack", "production",
               "--format", "json", "--output", str(report), *extra]
    measured: list[Run] = []
    for _ in range(runs):
        run = run_measured(command)
        if run.returncode not in expect:
            print(f"{label}: check exited {run.returncode}, expected {expect}")
            return None
        measured.append(run)
    resources = len(export["deployment"]["resources"])
    wall, cpu = median([r.wall_s for r in measured]), median([r.cpu_s for r in measured])
    peak, largest = max(r.peak_rss_mb for r in measured), max(r.max_process_rss_mb for r in measured)
    findings = collections.Counter(v["policy"] for v in json.loads(report.read_text())["violations"]) \
        if report.exists() else {}
    size_mb = state.stat().st_size / 1e6
    print(f"{label}: {resources:,} resources ({size_mb:.0f} MB export), exit {measured[-1].returncode}: median wall "
          f"{wall:.2f} s, CPU {cpu:.2f} s, {1000 * wall / resources:.3f} ms/resource, peak tree {peak:.0f} MB, "
          f"largest process {largest:.0f} MB; findings: {dict(findings) or 'none'}")
    return {"resources": resources, "export_mb": round(size_mb, 1), "runs": runs, "exit": measured[-1].returncode,
            "wall_s": round(wall, 2), "cpu_s": round(cpu, 2), "ms_per_resource": round(1000 * wall / resources, 4),
            "peak_tree_rss_mb": round(peak, 1), "max_process_rss_mb": round(largest, 1), "findings": dict(findings)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resources", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--judge", action="store_true", help="also judge all of them (--max-resources)")
    args = parser.parse_args()
    started = time.perf_counter()
    base = base_export()
    large = synthesize(base, args.resources)
    at_limit = synthesize(base, MAX_RESOURCES - 1)  # `synthesize` adds the stack resource
    print(f"exports built in {time.perf_counter() - started:.1f} s")
    load_before = load_average()
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        results["refused"] = measure("refused", large, args.runs, extra=[], expect=(2,), tmp=folder)
        results["at_limit"] = measure("at-limit", at_limit, args.runs, extra=[], expect=(0, 1), tmp=folder)
        if args.judge:
            results["judged"] = measure("judged", large, args.runs, extra=["--max-resources", str(args.resources + 1)],
                                        expect=(0, 1), tmp=folder)
    if any(value is None for value in results.values()):
        return 1
    load_after = load_average()
    print(f"load average (1 min) before/after: {load_before:.2f} / {load_after:.2f}")
    path = write_summary("gate_50k", {**results, "limit": MAX_RESOURCES, "load_before": round(load_before, 2),
                                      "load_after": round(load_after, 2)})
    print(f"summary: {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
