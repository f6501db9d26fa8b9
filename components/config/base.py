"""The base of every config section, and the platform subsections (`database.aws`, ...)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, model_validator
from pydantic.alias_generators import to_camel

from components.config.enums import Platform
from components.config.errors import MovedKeyError


class Model(BaseModel):
    """Config sections: camelCase keys in YAML, snake_case in Python, unknown keys refused."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        alias_generator=to_camel,
        populate_by_name=True,
        validate_default=True,
    )

    @model_validator(mode="before")
    @classmethod
    def _moved_into_platform(cls, value: Any) -> Any:
        # A stack file written before the settings of one platform moved under it: say where the key went.
        if not isinstance(value, dict):
            return value
        own = {spelling for name, field in cls.model_fields.items() for spelling in (name, field.alias)}
        for key in value:
            if key in own or not isinstance(key, str):
                continue
            for platform, section in platform_sections(cls):
                for name, field in section.model_fields.items():
                    if key in (name, field.alias):
                        raise MovedKeyError(key, f"{platform}.{field.alias or name}")
        return value


class PlatformSection(Model):
    """Settings one platform alone reads; the stack refuses the section on another platform."""


def platform_sections(model: type[BaseModel]) -> list[tuple[str, type[PlatformSection]]]:
    """The (platform, subsection model) fields of a section, in declaration order."""
    found: list[tuple[str, type[PlatformSection]]] = []
    for name, field in model.model_fields.items():
        annotation = field.annotation
        if name in {p.value for p in Platform} and isinstance(annotation, type) and issubclass(annotation, PlatformSection):
            found.append((name, annotation))
    return found
