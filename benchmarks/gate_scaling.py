"""How the policy gate's cost grows with stack size: synthetic exports of 100, 1,000 and 10,000
resources checked with `python -m offline check --state FILE`; time per resource, peak memory and
the fitted growth exponent (1.0 = linear).

    .venv/bin/python -m benchmarks.gate_scaling [--sizes 100,1000,10000] [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
from pathlib import Path

from benchmarks.common import ROOT, median, run_measured, write_summary
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
    parser.add_argument("--sizes", default="100,1000,10000")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    base = base_export()
    rows = []
    print(f"{'resources':>10}{'wall s':>9}{'ms/resource':>13}{'peak MB':>9}{'violations':>12}")
    with tempfile.TemporaryDirectory() as tmp:
        for size in sizes:
            state = Path(tmp) / f"state-{size}.json"
            state.write_text(json.dumps(synthesize(base, size)), encoding="utf-8")
            report = Path(tmp) / f"report-{size}.json"
            command = [sys.executable, "-m", "offline", "check", "--state", str(state),
                       "--format", "json", "--output", str(report)]
            walls, peaks = [], []
            for _ in range(args.runs):
                run = run_measured(command)
                if run.returncode not in (0, 1):
                    print(f"check failed at {size} resources (exit {run.returncode})")
                    return 1
                walls.append(run.wall_s)
                peaks.append(run.peak_rss_mb)
            violations = len(json.loads(report.read_text())["violations"])
            wall = median(walls)
            rows.append({"resources": size, "wall_s": round(wall, 3), "ms_per_resource": round(1000 * wall / size, 3),
                         "peak_rss_mb": round(max(peaks), 1), "violations": violations})
            print(f"{size:>10}{wall:>9.2f}{1000 * wall / size:>13.3f}{max(peaks):>9.0f}{violations:>12}")
    # Fit on the larger sizes: start-up (~1-2 s of imports and the pack's process) dominates at 100.
    fit_sizes = [int(r["resources"]) for r in rows][-2:]
    fit_times = [float(r["wall_s"]) for r in rows][-len(fit_sizes):]
    exponent = growth_exponent(fit_sizes, fit_times) if len(fit_sizes) >= 2 else float("nan")
    marginal = (rows[-1]["wall_s"] - rows[0]["wall_s"]) / (rows[-1]["resources"] - rows[0]["resources"]) if len(rows) > 1 else 0.0
    print(f"growth exponent (log-log slope, largest sizes): {exponent:.2f}; marginal cost {1000 * marginal:.3f} ms/resource")
    path = write_summary("gate_scaling", {"sizes": rows, "growth_exponent": round(exponent, 3),
                                          "marginal_ms_per_resource": round(1000 * marginal, 4)})
    print(f"summary: {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
