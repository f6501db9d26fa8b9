"""How the policy gate's cost grows with stack size: synthetic exports of 250, 1,000 and 2,500
resources (benchmarks/synthetic.py) checked with `python -m offline check --state FILE`; time per
resource, CPU, peak memory of the gate and its pack process together, and the fitted growth
exponent (1.0 = linear).

    .venv/bin/python -m benchmarks.gate_scaling [--sizes 250,1000,2500] [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
from collections import Counter
from pathlib import Path

from benchmarks.common import ROOT, load_average, median, run_measured, write_summary
from benchmarks.synthetic import base_export, synthesize


def growth_exponent(sizes: list[int], times: list[float]) -> float:
    """Least-squares slope of log(time) against log(size)."""
    xs = [math.log(s) for s in sizes]
    ys = [math.log(t) for t in times]
    mean_x, mean_y = sum(xs) / len(xs), sum(ys) / len(ys)
    numerator = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True))
    denominator = sum((x - mean_x) ** 2 for x in xs)
    return numerator / denominator


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="250,1000,2500")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    base = base_export()
    rows = []
    load_before = load_average()
    print(f"{'resources':>10}{'wall s':>9}{'cpu s':>8}{'ms/resource':>13}{'tree MB':>9}{'1 proc MB':>11}  violations")
    with tempfile.TemporaryDirectory() as tmp:
        for size in sizes:
            state = Path(tmp) / f"state-{size}.json"
            state.write_text(json.dumps(synthesize(base, size)), encoding="utf-8")
            report = Path(tmp) / f"report-{size}.json"
            command = [sys.executable, "-m", "offline", "check", "--state", str(state), "--max-resources",
                       str(size + 1), "--format", "json", "--output", str(report)]
            walls, cpus, peaks, singles = [], [], [], []
            for _ in range(args.runs):
                run = run_measured(command)
                if run.returncode not in (0, 1):
                    print(f"check failed at {size} resources (exit {run.returncode})")
                    return 1
                walls.append(run.wall_s)
                cpus.append(run.cpu_s)
                peaks.append(run.peak_rss_mb)
                singles.append(run.max_process_rss_mb)
            violations = sorted(v["policy"] for v in json.loads(report.read_text())["violations"])
            wall = median(walls)
            rows.append({"resources": size, "wall_s": round(wall, 3), "cpu_s": round(median(cpus), 3),
                         "ms_per_resource": round(1000 * wall / size, 3), "peak_tree_rss_mb": round(max(peaks), 1),
                         "max_process_rss_mb": round(max(singles), 1), "violations": violations, "runs": args.runs})
            print(f"{size:>10}{wall:>9.2f}{median(cpus):>8.2f}{1000 * wall / size:>13.3f}{max(peaks):>9.0f}"
                  f"{max(singles):>11.0f}  {', '.join(f'{p} x{n}' for p, n in Counter(violations).items()) or '-'}")
    # Fit on the larger sizes: start-up (~0.5 s of imports and the pack's process) dominates at 100.
    fit = rows[-2:] if len(rows) >= 2 else rows
    exponent = growth_exponent([int(r["resources"]) for r in fit], [float(r["wall_s"]) for r in fit]) \
        if len(fit) >= 2 else float("nan")
    marginal = (fit[-1]["wall_s"] - fit[0]["wall_s"]) / (fit[-1]["resources"] - fit[0]["resources"]) if len(fit) > 1 else 0.0
    print(f"growth exponent (log-log slope, two largest sizes): {exponent:.2f}; marginal cost {1000 * marginal:.3f} ms/resource")
    print(f"load average (1 min) before/after: {load_before:.2f} / {load_average():.2f}")
    path = write_summary("gate_scaling", {"sizes": rows, "growth_exponent": round(exponent, 3),
                                          "marginal_ms_per_resource": round(1000 * marginal, 4),
                                          "load_before": round(load_before, 2)})
    print(f"summary: {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
