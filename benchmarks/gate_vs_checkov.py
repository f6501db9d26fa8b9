"""The policy gate against checkov on the same stack.

Speed: render the production stack's Kubernetes manifests, then alternate
`python -m offline check production` and `checkov -d DIR --framework kubernetes`, printing the
ratio of each pair and its median. Findings: both tools on a deliberately weakened copy of the
stack (`--set` overrides that remove hardening), side by side, so speed is compared on equal work.

    .venv/bin/python -m benchmarks.gate_vs_checkov [--pairs 5]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from benchmarks.common import ROOT, median, run_measured, write_summary

CHECKOV = ROOT / ".venv-checkov" / "bin" / "checkov"
# What a careless change would do: weaken the edge and the app (each is a valid config value).
WEAKENING = [
    "edge.tls.minVersion=TLSv1.2",
    "edge.internalCidrs[0]=0.0.0.0/1",
    "edge.adminAuth=false",
    "app.resources.limits.memory=512Mi",
]


def render(stack: str, out: Path, overrides: list[str]) -> None:
    command = [sys.executable, "-m", "offline", "render", stack, "--out", str(out)]
    for item in overrides:
        command += ["--set", item]
    subprocess.run(command, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)


def checkov_command(directory: Path) -> list[str]:
    return [str(CHECKOV), "-d", str(directory), "--framework", "kubernetes", "-o", "json", "--skip-download", "--quiet"]


def gate_command(stack: str, overrides: list[str]) -> list[str]:
    command = [sys.executable, "-m", "offline", "check", stack, "--format", "json"]
    for item in overrides:
        command += ["--set", item]
    return command


def checkov_findings(stdout: str) -> list[str]:
    data: Any = json.loads(stdout) if stdout.strip() else []
    reports = data if isinstance(data, list) else [data]
    found = []
    for report in reports:
        for check in report.get("results", {}).get("failed_checks", []):
            found.append(f"{check['check_id']} {check.get('resource', '')}")
    return sorted(found)


def gate_findings(stdout: str) -> list[str]:
    report = json.loads(stdout)
    return sorted(f"{v['policy']} {v['urn'].split('::')[-1]}" for v in report["violations"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pairs", type=int, default=5)
    parser.add_argument("--stack", default="production")
    args = parser.parse_args()
    if not CHECKOV.exists():
        print("checkov is not installed: run `make checkov-venv`")
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        manifests = Path(tmp) / "manifests"
        render(args.stack, manifests, [])
        gate, checkov = gate_command(args.stack, []), checkov_command(manifests)
        run_measured(gate), run_measured(checkov)  # warm-up
        pairs = []
        print(f"{'pair':>4}{'gate s':>9}{'checkov s':>11}{'ratio':>8}")
        for index in range(args.pairs):
            gate_run, checkov_run = run_measured(gate), run_measured(checkov)
            ratio = checkov_run.wall_s / gate_run.wall_s
            pairs.append({"gate_s": round(gate_run.wall_s, 3), "checkov_s": round(checkov_run.wall_s, 3),
                          "ratio": round(ratio, 2), "gate_peak_mb": round(gate_run.peak_rss_mb, 1),
                          "checkov_peak_mb": round(checkov_run.peak_rss_mb, 1)})
            print(f"{index + 1:>4}{gate_run.wall_s:>9.2f}{checkov_run.wall_s:>11.2f}{ratio:>8.1f}")
        ratio_median = median([p["ratio"] for p in pairs])
        print(f"median: checkov takes {ratio_median:.1f}x the gate's time")

        weak = Path(tmp) / "weak"
        render(args.stack, weak, WEAKENING)
        gate_weak = run_measured(gate_command(args.stack, WEAKENING))
        checkov_weak = run_measured(checkov_command(weak))
        gate_found, checkov_found = gate_findings(gate_weak.stdout), checkov_findings(checkov_weak.stdout)
        print(f"\nweakened stack ({', '.join(WEAKENING)}):")
        print(f"  gate: {len(gate_found)} violations")
        for line in gate_found:
            print(f"    {line}")
        print(f"  checkov: {len(checkov_found)} failed checks")
        for line in checkov_found:
            print(f"    {line}")
    path = write_summary("gate_vs_checkov", {
        "stack": args.stack, "pairs": pairs, "median_ratio": ratio_median,
        "weakened": {"overrides": WEAKENING, "gate": gate_found, "checkov": checkov_found},
    })
    print(f"summary: {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
