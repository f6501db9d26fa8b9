"""Profile the slowest stage, the policy gate on a large stack, with py-spy (sampling, both processes:
the gate and the pack it starts) and print where the samples fall.

    .venv/bin/python -m benchmarks.profile_gate [--resources 1500] [--rate 200] [--raw FILE]

py-spy needs ptrace rights (root, or kernel.yama.ptrace_scope=0).
"""

from __future__ import annotations

import argparse
import collections
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks.common import ROOT, write_summary
from benchmarks.synthetic import base_export, synthesize

PY_SPY = Path(sys.executable).parent / "py-spy"
# Where a sample's frames put it, first match wins (frame text is "function (file:line)").
CATEGORIES = [
    ("pack: rules (policies/rules)", ("policies/rules/", "rules/"), ("decode_once.py",)),
    ("pack: SDK decoding (MessageToDict, deserialize, proxies)",
     ("json_format.py", "deserialize.py", "proxy.py", "_get_provider_resource"), ()),
    ("pack: SDK per-policy loop (args, options, resource graph)", ("pulumi_policy/policy.py",), ()),
    ("gate: requests, report (offline/)", ("offline/",), ()),
    ("gRPC machinery (server per call, client channel)", ("grpc/",), ()),
]
PLUMBING = ("process ", "threading.py", "concurrent/futures", "grpc/_server.py", "<frozen runpy>")
"""Frames on every stack (threads, the gRPC server): left out of the hottest-frames list."""
IDLE = ("threading.py:327", "threading.py:331", "thread.py:81", "_server.py:1314", "_server.py:1320",
        "_common.py:114", "_common.py:154", "policy.py:141")


def categorize(frames: list[str]) -> str:
    if any(marker in frames[-1] for marker in IDLE):
        return "idle (waiting threads)"
    for name, markers, excluded in CATEGORIES:
        hits = [f for f in frames if any(m in f for m in markers) and not any(x in f for x in excluded)]
        if hits:
            return name
    return "other (interpreter start, imports)"


def summarize(raw: Path) -> tuple[dict[str, int], list[tuple[str, int]], int]:
    categories: collections.Counter[str] = collections.Counter()
    inclusive: collections.Counter[str] = collections.Counter()
    busy = 0
    for line in raw.read_text(encoding="utf-8").splitlines():
        stack, _, count = line.rpartition(" ")
        frames = [f for f in stack.split(";") if not f.startswith("process ")]
        if not frames:
            continue
        category = categorize(frames)
        categories[category] += int(count)
        if category.startswith("idle"):
            continue
        busy += int(count)
        for frame in set(frames):
            if not any(p in frame for p in PLUMBING):
                inclusive[frame] += int(count)
    return dict(categories), inclusive.most_common(20), busy


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--resources", type=int, default=1500)
    parser.add_argument("--rate", type=int, default=200)
    parser.add_argument("--raw", type=Path, help="keep py-spy's raw samples here")
    args = parser.parse_args()
    if not PY_SPY.exists():
        print("py-spy is not installed: .venv/bin/pip install -r requirements.txt")
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        state = Path(tmp) / "state.json"
        state.write_text(json.dumps(synthesize(base_export(), args.resources)), encoding="utf-8")
        raw = args.raw or Path(tmp) / "samples.txt"
        command = [sys.executable, "-m", "offline", "check", "--state", str(state), "--format", "json",
                   "--max-resources", str(args.resources + 1), "--output", str(Path(tmp) / "report.json")]
        subprocess.run([str(PY_SPY), "record", "--subprocesses", "--gil", "--rate", str(args.rate), "--format", "raw",
                        "--output", str(raw), "--", *command], cwd=ROOT, check=False,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        categories, top, busy = summarize(raw)
    print(f"{args.resources} resources, {busy} samples holding the GIL at {args.rate} Hz (both processes)")
    for name, count in sorted(categories.items(), key=lambda item: -item[1]):
        if not name.startswith("idle"):
            print(f"  {100 * count / busy:5.1f} %  {name}")
    print("hottest frames (inclusive):")
    for frame, count in top:
        print(f"  {100 * count / busy:5.1f} %  {frame}")
    path = write_summary("profile_gate", {"resources": args.resources, "rate_hz": args.rate, "busy_samples": busy,
                                          "categories": categories, "top_frames": top})
    print(f"summary: {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
