"""Rollout settings in SLO units, nonsense refused in one line; thresholds from the HPA floors."""

from __future__ import annotations

import pytest

from components.config import ConfigError, Slot
from ops.rollout import thresholds
from tests.helpers import stack_config


@pytest.mark.parametrize(("override", "message"), [
    ("rollout.maxErrorRatePercent=100", "orchestrator:rollout.maxErrorRatePercent is 100; use a number <= 0.1"),
    ("rollout.maxErrorRatePercent=1", "orchestrator:rollout.maxErrorRatePercent is 1; use a number <= 0.1"),
    ("rollout.maxErrorRate=0.1", "orchestrator:rollout: maxErrorRate was replaced by maxErrorRatePercent "
                                 "(a percentage: 0.1 means 0.1 %)"),
    ("rollout.maxP95Seconds=60", "maxP95Seconds was replaced by maxP95Milliseconds"),
    ("rollout.maxP95Milliseconds=60000", "orchestrator:rollout.maxP95Milliseconds is 60000; use a number <= 200"),
    ("rollout.minReadyReplicas=30", "orchestrator: rollout.minReadyReplicas (30) exceeds app.autoscaling.maxReplicas "
                                    "(20): no slot can ever pass the gate"),
    ("rollout.minReadyReplicas=1", "orchestrator:rollout.minReadyReplicas is 1; use a number >= 2"),
    ("rollout.bakeSeconds=0", "orchestrator:rollout.bakeSeconds is 0; use a number >= 2"),
    ("rollout.windowSeconds=0", "orchestrator:rollout.windowSeconds is 0; use a number >= 1"),
])
def test_nonsense_is_refused_with_the_key_and_the_limit(override: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        stack_config(override)
    assert message in str(caught.value)
    assert str(caught.value).startswith("Pulumi.production.yaml: ")


def test_a_tenth_of_a_percent_means_a_tenth_of_a_percent() -> None:
    limits = thresholds(stack_config("rollout.maxErrorRatePercent=0.05"), Slot.GREEN)
    assert limits.max_error_rate_percent == 0.05
    # Enough requests for one error to show at the threshold.
    assert limits.min_requests == 2000


def test_fraction_and_seconds_views_for_other_tools() -> None:
    rollout = stack_config("rollout.maxErrorRatePercent=0.05", "rollout.maxP95Milliseconds=150").rollout
    assert rollout.max_error_rate == 0.0005 and rollout.max_p95_seconds == 0.15


def test_staging_cannot_finalize_on_one_ready_replica() -> None:
    # Staging's standby slot runs 1 replica (standbyMinReplicas): fine for a 10 % canary, not for 100 %.
    limits = thresholds(stack_config(stack="staging"), Slot.GREEN)
    assert limits.ready_needed(10) == 1
    assert limits.ready_needed(100) == 3
