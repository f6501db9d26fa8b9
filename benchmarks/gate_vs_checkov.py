"""The policy gate against checkov on the same stack.

Speed: the production stack is run once under the mocks; its deployment export and its rendered
Kubernetes manifests are the two tools' inputs. Alternating runs time `python -m offline check
--state EXPORT` (the gate alone, same input stage as checkov) and `checkov -d DIR --framework
kubernetes`; each pair prints its ratio, then the median. `python -m offline check STACK` (which runs
the whole program under the mocks first) is timed beside them.

Findings: the config model refuses unsafe values, so `--set` cannot remove hardening. Instead the
program's declared objects are weakened in memory (a privileged container, hostNetwork, no limits,
a `latest` image, root user, a plaintext secret in env, a public RDS instance), then exported and
rendered from those same objects, and both tools run on the result. What each reports beyond its
findings on the unweakened stack is printed side by side, per weakened resource.

    .venv/bin/python -m benchmarks.gate_vs_checkov [--pairs 5]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.common import ROOT, load_average, median, run_measured, write_summary
from offline.render.manifests import render_manifests, write_rendered
from offline.runner.export import to_deployment
from offline.runner.mocks import Registration
from offline.runner.program import ProgramResult, run_program
from offline.runner.stacks import load_stack

CHECKOV = ROOT / ".venv-checkov" / "bin" / "checkov"
Props = dict[str, Any]


def _pod(props: Props) -> Props:
    spec: Props = props["spec"]["template"]["spec"]
    return spec


def _container(props: Props) -> Props:
    container: Props = _pod(props)["containers"][0]
    return container


def _privileged(props: Props) -> None:
    context = _container(props).setdefault("securityContext", {})
    context.update(privileged=True, allowPrivilegeEscalation=True)


def _plaintext_secret(props: Props) -> None:
    _container(props).setdefault("env", []).append({"name": "DB_PASSWORD", "value": "hunter2-in-plaintext"})


def _host_network(props: Props) -> None:
    _pod(props)["hostNetwork"] = True


def _no_limits(props: Props) -> None:
    _container(props).get("resources", {}).pop("limits", None)


def _latest(props: Props) -> None:
    container = _container(props)
    container["image"] = container["image"].rsplit(":", 1)[0] + ":latest"


def _root(props: Props) -> None:
    context = _container(props).setdefault("securityContext", {})
    context.update(runAsNonRoot=False, runAsUser=0)
    _pod(props).get("securityContext", {}).update(runAsNonRoot=False, runAsUser=0)


def _public(props: Props) -> None:
    props["publiclyAccessible"] = True


@dataclass(frozen=True)
class Weakening:
    issue: str
    resource: str
    """The URN name of the weakened resource."""
    apply: Callable[[Props], None]


WEAKENINGS = [
    Weakening("privileged container", "app-blue", _privileged),
    Weakening("plaintext secret in env", "app-blue", _plaintext_secret),
    Weakening("hostNetwork", "app-green", _host_network),
    Weakening("no resource limits", "app-green", _no_limits),
    Weakening("`latest` image tag", "edge-deployment", _latest),
    Weakening("runs as root", "edge-deployment", _root),
    Weakening("publicly accessible RDS", "database-primary", _public),
]


def weaken(result: ProgramResult) -> None:
    """Apply every weakening to the declared inputs and to the outputs that echo them."""
    by_name = {r.urn.rsplit("::", 1)[-1]: r for r in result.resources}
    for weakening in WEAKENINGS:
        record: Registration = by_name[weakening.resource]
        weakening.apply(record.inputs)
        if "spec" in record.outputs or weakening.apply is _public:
            weakening.apply(record.outputs)


def materialize(result: ProgramResult, directory: Path) -> tuple[Path, Path, dict[str, str]]:
    """(export file, manifests dir, checkov resource id -> URN name) of one program result."""
    directory.mkdir(parents=True)
    export = directory / "export.json"
    export.write_text(json.dumps(to_deployment(result)), encoding="utf-8")
    manifests = directory / "manifests"
    files = render_manifests(result)
    write_rendered(files, manifests)
    index = next(content for path, content in files if path == "index.yaml")
    names = {f"{o['kind']}.{o['namespace'] or 'default'}.{o['name']}": o["urn"].rsplit("::", 1)[-1]
             for o in index["objects"]}
    return export, manifests, names


def checkov_command(directory: Path) -> list[str]:
    return [str(CHECKOV), "-d", str(directory), "--framework", "kubernetes", "-o", "json", "--skip-download", "--quiet"]


def gate_command(export: Path) -> list[str]:
    return [sys.executable, "-m", "offline", "check", "--state", str(export), "--format", "json"]


def checkov_findings(stdout: str, names: dict[str, str]) -> set[tuple[str, str]]:
    """(URN name, check id) of failed checks."""
    data: Any = json.loads(stdout) if stdout.strip() else []
    reports = data if isinstance(data, list) else [data]
    found = set()
    for report in reports:
        for check in report.get("results", {}).get("failed_checks", []):
            resource = str(check.get("resource", ""))
            found.add((names.get(resource, resource), f"{check['check_id']} {check.get('check_name', '')}".strip()))
    return found


def gate_findings(stdout: str) -> set[tuple[str, str]]:
    report = json.loads(stdout)
    return {(v["urn"].rsplit("::", 1)[-1], v["policy"]) for v in report["violations"]}


def side_by_side(gate_new: set[tuple[str, str]], checkov_new: set[tuple[str, str]]) -> list[dict[str, Any]]:
    rows = []
    resources = list(dict.fromkeys(w.resource for w in WEAKENINGS))
    others = sorted({r for r, _ in gate_new | checkov_new} - set(resources))
    for resource in [*resources, *others]:
        rows.append({
            "resource": resource,
            "weakened": [w.issue for w in WEAKENINGS if w.resource == resource],
            "gate": sorted(p for r, p in gate_new if r == resource),
            "checkov": sorted(c for r, c in checkov_new if r == resource),
        })
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pairs", type=int, default=5)
    parser.add_argument("--stack", default="production")
    args = parser.parse_args()
    if not CHECKOV.exists():
        print("checkov is not installed: run `make checkov-venv`")
        return 2
    load_before = load_average()
    with tempfile.TemporaryDirectory() as tmp:
        export, manifests, names = materialize(run_program(load_stack(args.stack)), Path(tmp) / "base")
        gate, checkov = gate_command(export), checkov_command(manifests)
        whole = [sys.executable, "-m", "offline", "check", args.stack, "--format", "json"]
        run_measured(gate), run_measured(checkov), run_measured(whole)  # warm-up
        pairs = []
        print(f"{'pair':>4}{'gate s':>9}{'checkov s':>11}{'ratio':>8}{'check STACK s':>15}")
        for index in range(args.pairs):
            gate_run, checkov_run, whole_run = run_measured(gate), run_measured(checkov), run_measured(whole)
            ratio = checkov_run.wall_s / gate_run.wall_s
            pairs.append({"gate_s": round(gate_run.wall_s, 3), "checkov_s": round(checkov_run.wall_s, 3),
                          "ratio": round(ratio, 2), "check_stack_s": round(whole_run.wall_s, 3),
                          "gate_peak_mb": round(gate_run.peak_rss_mb, 1),
                          "checkov_peak_mb": round(checkov_run.peak_rss_mb, 1)})
            print(f"{index + 1:>4}{gate_run.wall_s:>9.2f}{checkov_run.wall_s:>11.2f}{ratio:>8.1f}{whole_run.wall_s:>15.2f}")
        ratio_median = median([p["ratio"] for p in pairs])
        stack_ratio = median([p["checkov_s"] / p["check_stack_s"] for p in pairs])
        print(f"median: checkov takes {ratio_median:.1f}x the gate's time on the same stack "
              f"({stack_ratio:.1f}x that of `check {args.stack}`, which also runs the program)")

        base_gate = gate_findings(run_measured(gate).stdout)
        base_checkov = checkov_findings(run_measured(checkov).stdout, names)
        weak_result = run_program(load_stack(args.stack))
        weaken(weak_result)
        weak_export, weak_manifests, weak_names = materialize(weak_result, Path(tmp) / "weak")
        gate_weak = run_measured(gate_command(weak_export))
        checkov_weak = run_measured(checkov_command(weak_manifests))
        rows = side_by_side(gate_findings(gate_weak.stdout) - base_gate,
                            checkov_findings(checkov_weak.stdout, weak_names) - base_checkov)
        print(f"\nweakened {args.stack} (new findings beyond the unweakened stack's; "
              f"gate {gate_weak.wall_s:.2f} s, checkov {checkov_weak.wall_s:.2f} s):")
        for row in rows:
            print(f"  {row['resource']}: {', '.join(row['weakened']) or '(not weakened)'}")
            print(f"    gate:    {', '.join(row['gate']) or '-'}")
            print(f"    checkov: {', '.join(row['checkov']) or '-'}")
        print(f"unweakened stack: gate {len(base_gate)} finding(s), checkov {len(base_checkov)} failed check(s): "
              f"{', '.join(sorted(f'{c} on {r}' for r, c in base_checkov)) or '-'}")
    print(f"load average (1 min) before/after: {load_before:.2f} / {load_average():.2f}")
    path = write_summary("gate_vs_checkov", {
        "stack": args.stack, "pairs": pairs, "median_ratio": round(ratio_median, 2),
        "median_ratio_vs_check_stack": round(stack_ratio, 2), "load_before": round(load_before, 2),
        "baseline": {"gate": sorted(map(list, base_gate)), "checkov": sorted(map(list, base_checkov))},
        "weakened": rows,
    })
    print(f"summary: {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
