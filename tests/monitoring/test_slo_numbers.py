"""The SLO numbers have one home (the config model's constants, which the rollout's thresholds
default to and may not exceed): every alert rule that states an SLO threshold states that number."""

from __future__ import annotations

import re

import yaml

from components.config import SLO_ERROR_RATE_PERCENT, SLO_P95_MILLISECONDS
from offline import ROOT

RULE_FILES = ("slo.yaml", "rollout.yaml")
# `<error ratio expression> > N` and `histogram_quantile(0.95, ...) > N` at the end of an expression.
THRESHOLD = re.compile(r">\s*([0-9.]+)\s*$", re.M)


def alert_thresholds() -> list[tuple[str, str, float]]:
    found = []
    for name in RULE_FILES:
        document = yaml.safe_load((ROOT / "monitoring" / "rules" / name).read_text(encoding="utf-8"))
        for group in document["groups"]:
            for rule in group["rules"]:
                if "alert" not in rule:
                    continue
                expr = str(rule["expr"])
                first = expr.split(" and on ", 1)[0]
                match = THRESHOLD.search(first.strip())
                if match is None:
                    continue
                kind = "latency" if "histogram_quantile(0.95" in first or "p95" in first else (
                    "errors" if "error" in first or 'code=~"5..' in first else "other")
                found.append((rule["alert"], kind, float(match.group(1))))
    return found


def test_every_slo_threshold_is_the_config_models_number() -> None:
    thresholds = alert_thresholds()
    fast = [(alert, value) for alert, kind, value in thresholds if kind == "errors"]
    latency = [(alert, value) for alert, kind, value in thresholds if kind == "latency"]
    assert fast and latency, thresholds
    assert {value for _, value in fast} == {SLO_ERROR_RATE_PERCENT / 100}, fast
    assert {value for _, value in latency} == {SLO_P95_MILLISECONDS / 1000}, latency
