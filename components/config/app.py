"""`app`: the application's image, blue/green slots, autoscaling, resources and probes."""

from __future__ import annotations

from typing import Any

from pydantic import Field, field_validator, model_validator

from components.config.base import Model
from components.config.enums import Slot
from components.config.secret_names import secret_like_name
from components.config.values import (
    CpuQuantity,
    ImageRef,
    K8sName,
    MemoryQuantity,
    Percent,
    Repository,
    as_int,
    cpu_millicores,
    memory_mebibytes,
)
from components.conventions import PROJECT

CANARY_WEIGHTS: tuple[int, ...] = (0, 10, 25, 50, 75, 100)
MEMORY_LIMIT_CEILING_MI = 512
"""docs/requirements.md: < 512 MB memory per instance."""


class SlotsConfig(Model):
    blue: ImageRef = Field(description="Image tag or digest the blue slot runs.")
    green: ImageRef | None = Field(
        default=None,
        description="Image tag or digest the green slot runs; unset means it mirrors the blue tag as a warm standby.",
    )

    def tag(self, slot: Slot) -> str:
        if slot is Slot.BLUE:
            return self.blue
        return self.green if self.green is not None else self.blue


class AutoscalingConfig(Model):
    min_replicas: int = Field(default=3, ge=1, le=100, description="HPA minimum per slot.")
    max_replicas: int = Field(default=20, ge=1, le=200, description="HPA maximum per slot.")
    cpu_utilization: Percent = Field(default=70, description="Average CPU utilization target (%).")
    memory_utilization: Percent = Field(default=80, description="Average memory utilization target (%).")

    @model_validator(mode="after")
    def _min_not_above_max(self) -> AutoscalingConfig:
        if self.min_replicas > self.max_replicas:
            raise ValueError(
                f"minReplicas ({self.min_replicas}) must not exceed maxReplicas ({self.max_replicas})"
            )
        return self


class ResourceQuantities(Model):
    cpu: CpuQuantity
    memory: MemoryQuantity


class ResourcesConfig(Model):
    requests: ResourceQuantities = Field(
        default_factory=lambda: ResourceQuantities(cpu="250m", memory="384Mi"),
        description="Requests: the HPA's utilization targets are percentages of these.",
    )
    limits: ResourceQuantities = Field(
        default_factory=lambda: ResourceQuantities(cpu="1", memory="512Mi"),
        description="Limits; memory at most 512Mi (docs/requirements.md).",
    )

    @model_validator(mode="after")
    def _limits_sane(self) -> ResourcesConfig:
        limit_mi = memory_mebibytes(self.limits.memory)
        if limit_mi > MEMORY_LIMIT_CEILING_MI:
            raise ValueError(f"limits.memory {self.limits.memory} is above the {MEMORY_LIMIT_CEILING_MI}Mi ceiling")
        if memory_mebibytes(self.requests.memory) > limit_mi:
            raise ValueError(f"requests.memory {self.requests.memory} exceeds limits.memory {self.limits.memory}")
        if cpu_millicores(self.requests.cpu) > cpu_millicores(self.limits.cpu):
            raise ValueError(f"requests.cpu {self.requests.cpu} exceeds limits.cpu {self.limits.cpu}")
        return self


class ProbeTiming(Model):
    initial_delay_seconds: int = Field(ge=0, le=600)
    period_seconds: int = Field(ge=1, le=300)
    timeout_seconds: int = Field(default=3, ge=1, le=60)
    failure_threshold: int = Field(default=3, ge=1, le=30)


class ProbesConfig(Model):
    liveness_path: str = Field(default="/healthz", pattern=r"^/[A-Za-z0-9/_.-]*$")
    readiness_path: str = Field(default="/ready", pattern=r"^/[A-Za-z0-9/_.-]*$")
    liveness: ProbeTiming = Field(
        default_factory=lambda: ProbeTiming(initial_delay_seconds=30, period_seconds=10)
    )
    readiness: ProbeTiming = Field(
        default_factory=lambda: ProbeTiming(initial_delay_seconds=15, period_seconds=5)
    )


class AppConfig(Model):
    image: Repository = Field(description="Image repository, without tag.")
    slots: SlotsConfig
    active_slot: Slot = Field(default=Slot.BLUE, description="The slot that takes the live traffic.")
    canary_weight: int = Field(
        default=0,
        description="Share of traffic (%) sent to the inactive slot: one of 0, 10, 25, 50, 75, 100.",
    )
    port: int = Field(default=8080, ge=1024, le=65535, description="Container port (unprivileged).")
    namespace: K8sName = PROJECT
    autoscaling: AutoscalingConfig = Field(default_factory=AutoscalingConfig)
    standby_min_replicas: int | None = Field(
        default=None,
        ge=1,
        le=100,
        description="HPA minimum of the inactive slot; unset means the same as autoscaling.minReplicas.",
    )
    resources: ResourcesConfig = Field(default_factory=ResourcesConfig)
    probes: ProbesConfig = Field(default_factory=ProbesConfig)
    env: dict[str, str] = Field(
        default_factory=dict, description="Plain, non-secret environment variables for the app container."
    )
    run_as_user: int = Field(
        default=10001, ge=10000, le=2_147_483_647,
        description="UID (and GID) the app runs as; at least 10000 so it never maps to a host user.",
    )
    tmp_size_limit: MemoryQuantity = Field(
        default="64Mi", description="Size limit of the writable emptyDir mounted at /tmp (the root filesystem is read-only)."
    )
    termination_grace_seconds: int = Field(
        default=30, ge=5, le=600, description="Time a pod gets to drain in-flight requests after SIGTERM."
    )

    @field_validator("canary_weight", mode="before")
    @classmethod
    def _canary_step(cls, value: Any) -> Any:
        number = as_int(value)
        if number not in CANARY_WEIGHTS:
            raise ValueError(f"one of {', '.join(map(str, CANARY_WEIGHTS))}")
        return number

    @field_validator("env")
    @classmethod
    def _no_secret_like_env(cls, env: dict[str, str]) -> dict[str, str]:
        for key in env:
            if secret_like_name(key):
                raise ValueError(
                    f"env.{key} looks like a secret; secrets are generated and mounted from Kubernetes Secrets"
                )
        return env

    @model_validator(mode="after")
    def _canary_needs_both_slots(self) -> AppConfig:
        if self.canary_weight > 0 and self.slots.green is None:
            raise ValueError("canaryWeight > 0 needs both app.slots.blue and app.slots.green set")
        if self.standby_min_replicas is not None and self.standby_min_replicas > self.autoscaling.min_replicas:
            raise ValueError("standbyMinReplicas must not exceed autoscaling.minReplicas")
        # The HPA's memory target is a share of the request: it must be reached before the limit
        # (an OOM kill), or memory-based scaling never happens.
        target_mi = memory_mebibytes(self.resources.requests.memory) * self.autoscaling.memory_utilization / 100
        if target_mi >= memory_mebibytes(self.resources.limits.memory):
            raise ValueError(
                f"autoscaling.memoryUtilization {self.autoscaling.memory_utilization}% of requests.memory "
                f"{self.resources.requests.memory} is not below limits.memory {self.resources.limits.memory}; "
                "lower the target or the request"
            )
        return self

    @property
    def inactive_slot(self) -> Slot:
        return self.active_slot.other

    def slot_weight(self, slot: Slot) -> int:
        """HAProxy server weight: the active slot carries 100 - canaryWeight."""
        return 100 - self.canary_weight if slot is self.active_slot else self.canary_weight

    def slot_min_replicas(self, slot: Slot) -> int:
        if slot is self.active_slot or self.standby_min_replicas is None:
            return self.autoscaling.min_replicas
        return self.standby_min_replicas
