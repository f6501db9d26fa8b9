"""Settings one platform alone reads live under its name (`database.aws`, `cluster.azure`, ...): a
section for another platform is refused, and a key at its pre-move place says where it went."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel

from components.config import StackConfig, parse
from components.config.base import platform_sections
from tests.foundation.test_config import error_of, raw, with_value


@pytest.mark.parametrize(("stack", "path", "section", "platform"), [
    ("production", "database.azure", {"skuName": "Standard_D2ds_v5"}, "aws"),
    ("staging", "cluster.kubernetes", {"kubeconfigContext": "kind-x"}, "aws"),
    ("production-azure", "edge.tls.aws", {"albSslPolicy": "ELBSecurityPolicy-TLS13-1-2-2021-06"}, "azure"),
    ("production-azure", "network.aws", {"flowLogRetentionDays": 30}, "azure"),
    ("local", "monitoring.logs.aws", {"opensearchInstanceCount": 1}, "kubernetes"),
    ("local", "cache.azure", {}, "kubernetes"),
])
def test_a_section_for_another_platform_is_refused(stack: str, path: str, section: dict[str, Any], platform: str) -> None:
    owner = path.rsplit(".", 1)[1]
    assert error_of(with_value(raw(stack), path, section), stack) == (
        f"Pulumi.{stack}.yaml: orchestrator:{path} applies to platform {owner}; this stack's platform is {platform}"
    )


def test_the_stack_platforms_section_is_read() -> None:
    config = parse(with_value(raw("production"), "database.aws.instanceClass", "db.r6g.2xlarge"), "production")
    assert config.database.aws.instance_class == "db.r6g.2xlarge"
    azure = parse(with_value(raw("production-azure"), "cluster.azure.systemMaxCount", 9), "production-azure")
    assert (azure.cluster.azure.system_min_count, azure.cluster.azure.system_max_count) == (3, 9)


def test_a_moved_key_names_its_new_place() -> None:
    values = with_value(raw("production"), "database.instanceClass", "db.r6g.large")
    assert error_of(values) == "Pulumi.production.yaml: orchestrator:database.instanceClass moved to database.aws.instanceClass"
    snake = with_value(raw("staging"), "monitoring.logs.opensearch_volume_gb", 20)
    assert error_of(snake, "staging") == (
        "Pulumi.staging.yaml: orchestrator:monitoring.logs.opensearch_volume_gb moved to "
        "monitoring.logs.aws.opensearchVolumeGb"
    )


def _moved_keys(model: type[BaseModel], prefix: str) -> list[tuple[str, str]]:
    """(old path, new path) of every setting that sits in a platform section, at any depth."""
    moved: list[tuple[str, str]] = []
    for platform, section in platform_sections(model):
        for name, field in section.model_fields.items():
            key = field.alias or name
            moved.append((f"{prefix}{key}", f"{prefix}{platform}.{key}"))
    for name, field in model.model_fields.items():
        annotation = field.annotation
        if name not in dict(platform_sections(model)) and isinstance(annotation, type) and issubclass(annotation, BaseModel):
            moved.extend(_moved_keys(annotation, f"{prefix}{field.alias or name}."))
    return moved


MOVED = _moved_keys(StackConfig, "")


def test_the_platform_sections_hold_what_one_platform_reads() -> None:
    # A floor, so that a refactoring that drops the sections cannot pass this file vacuously.
    sections = {new.rsplit(".", 1)[0] for _, new in MOVED}
    assert {"database.aws", "database.azure", "database.kubernetes", "cache.aws", "cache.azure", "cache.kubernetes",
            "edge.tls.aws", "network.aws", "network.azure", "cluster.aws", "cluster.azure", "cluster.kubernetes",
            "monitoring.logs.aws", "monitoring.logs.azure", "monitoring.logs.kubernetes"} == sections
    assert len(MOVED) >= 40


@pytest.mark.parametrize(("old", "new"), MOVED)
def test_every_moved_key_at_its_old_place_is_refused(old: str, new: str) -> None:
    assert error_of(with_value(raw("production"), old, "x")) == (
        f"Pulumi.production.yaml: orchestrator:{old} moved to {new}"
    )


def test_platform_rules_hold_where_the_platform_reads_them() -> None:
    aws = with_value(with_value(raw("production"), "database.storageGb", 600), "database.aws.maxStorageGb", 500)
    assert error_of(aws) == (
        "Pulumi.production.yaml: orchestrator:database.aws.maxStorageGb (500) must be at least database.storageGb (600)"
    )
    # Azure has no storage autoscaling ceiling: the aws default (500) does not bind it.
    assert parse(with_value(raw("production-azure"), "database.storageGb", 600), "production-azure").database.storage_gb == 600
    local = with_value(raw("local"), "database.kubernetes.synchronousStandbys", 3)
    assert error_of(local, "local") == (
        "Pulumi.local.yaml: orchestrator:database.kubernetes.synchronousStandbys (3) must not exceed database.replicas (2)"
    )


@pytest.mark.parametrize("stack", ["production", "staging", "production-azure", "local"])
def test_a_dump_parses_back_without_the_other_platforms(stack: str) -> None:
    # `ops` edits a dumped config and validates it again: the other platforms' default sections must
    # not come back as sections the stack sets.
    config = parse(raw(stack), stack)
    dumped = config.model_dump(mode="json", by_alias=True)
    assert parse(dumped, stack) == config
    others = {p for p in ("aws", "azure", "kubernetes") if p != config.platform.value}
    assert not others & (set(dumped["database"]) | set(dumped["cache"]) | set(dumped["cluster"])
                         | set(dumped["monitoring"]["logs"]) | set(dumped["network"]) | set(dumped["edge"]["tls"]))
    assert config.platform.value in dumped["database"]
