"""Golden JSON gate reports of the shipped stacks (tests fail when they are stale).

    python -m offline generate            # rewrite tests/policies/golden/<stack>.json
    python -m offline generate --check    # exit 1 when one is stale
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from offline.runner.stacks import ROOT, available_stacks, load_stack

GOLDEN_DIR = ROOT / "tests" / "policies" / "golden"


def report_for(stack: str) -> dict[str, Any]:
    from offline.gate.engine import run_gate
    from offline.runner.export import to_deployment
    from offline.runner.program import run_program

    spec = load_stack(stack)
    environment = spec.namespace().get("environment")
    report = run_gate(to_deployment(run_program(spec)), stack=stack, environment=str(environment) if environment else None)
    return report.as_dict()


def golden_text(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=2, sort_keys=True) + "\n"


def path_for(stack: str) -> Path:
    return GOLDEN_DIR / f"{stack}.json"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m offline generate", description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true")
    parser.add_argument("stacks", nargs="*", help="default: every shipped stack")
    args = parser.parse_args(argv)
    stale = []
    for stack in args.stacks or available_stacks():
        text = golden_text(report_for(stack))
        path = path_for(stack)
        if args.check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(stack)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path.relative_to(ROOT)}")
    if stale:
        print(f"stale golden reports: {', '.join(stale)} (run python -m offline generate)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
