"""Parsing a stack's settings, from a mapping or from the running program's config."""

from __future__ import annotations

from typing import Any

import pulumi
from pulumi.runtime import config as runtime_config
from pydantic import ValidationError

from components.config.errors import ConfigError, describe_error
from components.config.paths import namespace_values
from components.config.stack import StackConfig


def parse(raw: dict[str, Any], stack: str) -> StackConfig:
    """Validate the `orchestrator:` namespace (keys without the prefix) or raise one ConfigError."""
    try:
        return StackConfig.model_validate(raw)
    except ValidationError as error:
        raise ConfigError(describe_error(error, stack, StackConfig)) from None


def load() -> StackConfig:
    """Read the running program's config (engine or mocks) and validate it."""
    merged: dict[str, Any] = {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}
    return parse(namespace_values(merged), pulumi.get_stack())
