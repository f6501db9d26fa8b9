"""The generator's real configuration (every shipped stack) and the test baseline pass every edge rule."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.policies.edge.support import RULES, findings
from tests.policies.fixtures import HAPROXY_CFG
from tests.policies.mutants.model import SHIPPED_STACKS as SHIPPED

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.parametrize("rule", sorted(RULES))
def test_baseline_passes(rule: str) -> None:
    assert findings(rule, HAPROXY_CFG) == []


@pytest.fixture(scope="module", params=SHIPPED)
def rendered(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    out = tmp_path_factory.mktemp(request.param)
    subprocess.run([sys.executable, "-m", "offline", "render", request.param, "--out", str(out)], cwd=ROOT,
                   check=True, capture_output=True, timeout=300)
    return (out / "haproxy" / "haproxy.cfg").read_text()


@pytest.mark.parametrize("rule", sorted(RULES))
def test_generator_output_passes(rendered: str, rule: str) -> None:
    assert findings(rule, rendered) == []
