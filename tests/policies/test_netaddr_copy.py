"""The program keeps its own copy of the pack's "whole Internet" (components may not import policies):
the two are the same text, and the config model refuses what the pack would flag."""

from __future__ import annotations

from pathlib import Path

import pytest

from components import netaddr as program
from policies.rules import netaddr as pack
from tests.foundation.test_config import error_of, raw, with_value

ROOT = Path(__file__).resolve().parents[2]


def test_the_copy_is_identical() -> None:
    assert (ROOT / "components/netaddr.py").read_text() == (ROOT / "policies/rules/netaddr.py").read_text()
    corpus = [["0.0.0.0/1", "128.0.0.0/1"], ["2000::/3"], ["10.0.0.0/8"], ["Internet"], ["::ffff:0:0/96"]]
    assert [program.covers_internet(c) for c in corpus] == [pack.covers_internet(c) for c in corpus]


@pytest.mark.parametrize(("path", "cidrs"), [
    ("edge.internalCidrs", ["0.0.0.0/1", "128.0.0.0/1"]),
    ("edge.internalCidrs", ["10.0.0.0/8", "2000::/3"]),
    ("edge.internalCidrs", ["::/0"]),
    ("cluster.endpointCidrs", ["0.0.0.0/2", "64.0.0.0/2", "128.0.0.0/1"]),
])
def test_config_refuses_internet_covering_cidrs(path: str, cidrs: list[str]) -> None:
    message = error_of(with_value(raw("production"), path, cidrs))
    assert message.startswith("Pulumi.production.yaml: ") and "\n" not in message
    assert "cover the public Internet" in message
    assert path.rsplit(".", 1)[-1] in message
