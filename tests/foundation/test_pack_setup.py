"""`pulumi preview --policy-pack policies` runs the pack from the virtualenv PulumiPolicy.yaml names:
`make pack-venv` must create exactly that one, from the pack's own requirements."""

from __future__ import annotations

import subprocess

import yaml

from offline.runner.stacks import ROOT


def test_make_pack_venv_creates_the_virtualenv_the_pack_names() -> None:
    pack = yaml.safe_load((ROOT / "policies" / "PulumiPolicy.yaml").read_text(encoding="utf-8"))
    venv = pack["runtime"]["options"]["virtualenv"]
    plan = subprocess.run(["make", "-n", "-B", "pack-venv", "PYTHON=python3"], cwd=ROOT, capture_output=True,
                          text=True, check=True, timeout=60).stdout.splitlines()
    assert f"python3 -m venv policies/{venv}" in plan
    assert f"policies/{venv}/bin/python -m pip install --quiet -r policies/requirements.txt" in plan
    assert (ROOT / ".gitignore").read_text(encoding="utf-8").count(f"policies/{venv}/") == 1
