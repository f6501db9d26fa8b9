"""`rollout`: the canary steps of `python -m ops rollout` and its health gate."""

from __future__ import annotations

import re
from itertools import pairwise
from typing import Any

from pydantic import Field, field_validator, model_validator

from components.config.app import CANARY_WEIGHTS
from components.config.base import Model
from components.config.values import as_int

_PROMETHEUS_URL = re.compile(r"^https?://[A-Za-z0-9.\-\[\]:]+(/[A-Za-z0-9._~/-]*)?$")


SLO_ERROR_RATE_PERCENT = 0.1
"""docs/requirements.md: error rate < 0.1 %. A rollout gate may be stricter, never looser."""
SLO_P95_MILLISECONDS = 200
"""docs/requirements.md: P95 latency < 200 ms."""
_RENAMED_ROLLOUT_KEYS = {
    "maxErrorRate": "maxErrorRatePercent (a percentage: 0.1 means 0.1 %)",
    "maxP95Seconds": "maxP95Milliseconds (an integer number of milliseconds)",
}


class RolloutConfig(Model):
    """The canary steps of `python -m ops rollout` and the health gate between them (docs/requirements.md SLOs)."""

    steps: list[int] = Field(
        default_factory=lambda: [10, 25, 50, 75, 100],
        description="Canary weights (%) walked toward the target slot, one `up` each; increasing, ending at 100.",
    )
    bake_seconds: int = Field(
        default=300, ge=2, le=86_400,
        description="How long each step bakes after its `up` before the final gate; the gate judges this whole time.",
    )
    window_seconds: int = Field(
        default=60, ge=1, le=3600,
        description="During the bake, every window of this length is also judged (with the canary alerts), "
        "so a slot that starts failing mid-bake is stopped at once.",
    )
    max_error_rate_percent: float = Field(
        default=SLO_ERROR_RATE_PERCENT, gt=0, le=SLO_ERROR_RATE_PERCENT,
        description="Highest share of the target slot's real requests answered 5xx, in percent (the SLO is 0.1).",
    )
    max_p95_milliseconds: int = Field(
        default=SLO_P95_MILLISECONDS, ge=1, le=SLO_P95_MILLISECONDS,
        description="Highest P95 latency of the target slot's real requests, in milliseconds (the SLO is 200).",
    )
    min_ready_replicas: int | None = Field(
        default=None, ge=2, le=200,
        description="Ready replicas the target slot needs at every gate; unset means the HPA minimum "
        "(app.autoscaling.minReplicas), at least 2; never above app.autoscaling.maxReplicas.",
    )
    min_requests: int | None = Field(
        default=None, ge=1, le=10_000_000,
        description="Real requests (not health checks) the target slot must have served during a bake; "
        "unset means enough for one error to be resolved at the threshold (1000 at 0.1 %).",
    )
    prometheus_url: str = Field(
        default="http://127.0.0.1:9090",
        description="Prometheus HTTP API base URL as reachable from where the rollout runs "
        "(e.g. `kubectl -n monitoring port-forward svc/kube-prometheus-prometheus 9090`; "
        "the stack output `prometheusUrl` is the in-cluster address).",
    )
    query_timeout_seconds: float = Field(
        default=10, gt=0, le=120, description="Deadline of one Prometheus query, whole answer included."
    )
    audit: bool = Field(
        default=False, description="After finalize, run `python -m ops audit` against edge.hostname; "
        "a score under auditMinScore rolls back."
    )
    audit_min_score: int = Field(default=90, ge=0, le=100, description="Lowest acceptable audit score (0-100).")
    loadtest: bool = Field(
        default=False, description="After finalize (and the audit), run `python -m ops loadtest`; a missed SLO rolls back."
    )
    verify_timeout_seconds: int = Field(
        default=900, ge=10, le=7200, description="Deadline of each post-finalize check (audit, load test)."
    )

    @property
    def max_error_rate(self) -> float:
        """`max_error_rate_percent` as a fraction (0.001 = 0.1 %)."""
        return self.max_error_rate_percent / 100

    @property
    def max_p95_seconds(self) -> float:
        return self.max_p95_milliseconds / 1000

    @model_validator(mode="before")
    @classmethod
    def _renamed_keys(cls, value: Any) -> Any:
        if isinstance(value, dict):
            for old, new in _RENAMED_ROLLOUT_KEYS.items():
                if old in value:
                    raise ValueError(f"{old} was replaced by {new}")
        return value

    @field_validator("steps", mode="before")
    @classmethod
    def _steps_walk_to_100(cls, value: Any) -> Any:
        if not isinstance(value, list):
            return value
        steps = [as_int(v) for v in value]
        allowed = CANARY_WEIGHTS[1:]
        if not steps or any(s not in allowed for s in steps):
            raise ValueError(f"a list of weights from {', '.join(map(str, allowed))}")
        if any(b <= a for a, b in pairwise(steps)) or steps[-1] != 100:
            raise ValueError("strictly increasing weights ending at 100, e.g. [10, 25, 50, 75, 100]")
        return steps

    @field_validator("prometheus_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not _PROMETHEUS_URL.match(value):
            raise ValueError("an http(s) base URL without query, such as http://127.0.0.1:9090")
        return value.rstrip("/")
