"""The app section's own rules: one clear ConfigError line per bad value."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import yaml

from components.config import ConfigError, namespace_values, parse
from offline.runner.stacks import ROOT


def production(**app: Any) -> dict[str, Any]:
    values = namespace_values(yaml.safe_load((ROOT / "Pulumi.production.yaml").read_text())["config"])
    changed = copy.deepcopy(values)
    changed["app"].update(app)
    return changed


def error(values: dict[str, Any]) -> str:
    with pytest.raises(ConfigError) as caught:
        parse(values, "production")
    message = str(caught.value)
    assert "\n" not in message
    return message


def test_shipped_production_defaults() -> None:
    app = parse(production(), "production").app
    assert (app.run_as_user, app.tmp_size_limit, app.termination_grace_seconds) == (10001, "64Mi", 30)


def test_uid_below_10000_is_refused() -> None:
    message = error(production(runAsUser=1000))
    assert "Pulumi.production.yaml: orchestrator:app.runAsUser is 1000" in message
    assert ">= 10000" in message


def test_memory_target_must_trigger_before_the_limit() -> None:
    full = {"requests": {"cpu": "250m", "memory": "512Mi"}, "limits": {"cpu": "1", "memory": "512Mi"}}
    message = error(production(resources=full, autoscaling={"memoryUtilization": 100}))
    assert "memoryUtilization 100% of requests.memory 512Mi is not below limits.memory 512Mi" in message


def test_memory_limit_ceiling() -> None:
    above = {"requests": {"cpu": "250m", "memory": "384Mi"}, "limits": {"cpu": "1", "memory": "1Gi"}}
    message = error(production(resources=above))
    assert "512Mi ceiling" in message


def test_standby_minimum_floor_in_production() -> None:
    assert "standbyMinReplicas >= 3" in error(production(standbyMinReplicas=1))
