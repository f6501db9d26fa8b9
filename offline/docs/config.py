"""docs/config.md, generated from the config model so the reference cannot drift from the code."""

from __future__ import annotations

import enum
import json
import types
import typing
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from components.config import NAMESPACE, STACK_SECRETS, StackConfig
from offline import ROOT

DOCS_PATH = ROOT / "docs" / "config.md"


def _type_name(annotation: Any) -> str:
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _type_name(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        return " | ".join(_type_name(a) for a in typing.get_args(annotation))
    if origin is typing.Literal:
        return " | ".join(json.dumps(a) for a in typing.get_args(annotation))
    if origin in (list, dict):
        return f"{origin.__name__}[{', '.join(_type_name(a) for a in typing.get_args(annotation))}]"
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return " | ".join(json.dumps(m.value) for m in annotation)
    if annotation is type(None):
        return "null"
    return getattr(annotation, "__name__", str(annotation))


def _default(info: FieldInfo) -> str:
    if info.default_factory is not None:
        value: Any = info.default_factory()  # type: ignore[call-arg]
    elif info.default is PydanticUndefined:
        return "**required**"
    else:
        value = info.default
    if isinstance(value, BaseModel):
        return "(section defaults)"
    if isinstance(value, enum.Enum):
        value = value.value
    return f"`{json.dumps(value)}`"


def _model_of(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return None


def _rows(model: type[BaseModel], prefix: str) -> list[tuple[str, str, str, str]]:
    rows: list[tuple[str, str, str, str]] = []
    for name, info in model.model_fields.items():
        key = info.alias or name
        path = f"{prefix}.{key}" if prefix else key
        nested = _model_of(info.annotation)
        description = (info.description or (nested.__doc__ or "" if nested else "")).strip().replace("\n", " ")
        if nested is not None:
            rows.append((path, "section", _default(info), description))
            rows.extend(_rows(nested, path))
        else:
            rows.append((path, _type_name(info.annotation).replace("|", "\\|"), _default(info), description))
    return rows


def render() -> str:
    lines = [
        "# Stack configuration reference",
        "",
        "Generated from `components/config/` by `python -m offline config-docs`; do not edit by hand.",
        "",
        f"Every key lives in the `{NAMESPACE}:` namespace of `Pulumi.<stack>.yaml`; structured sections are",
        "YAML mappings. Set one value with Pulumi's path syntax, e.g.",
        f"`pulumi config set --path {NAMESPACE}:app.canaryWeight 25` (offline: `--set app.canaryWeight=25`).",
        "",
        "A section named after a platform (`database.aws`, `cluster.azure`, `cache.kubernetes`, ...) holds what",
        "that platform alone reads: set on a stack of another platform it is refused, and a key written at its",
        "old place (`database.instanceClass`) is refused with the place it moved to.",
        "",
        "| key | type | default | meaning |",
        "| --- | --- | --- | --- |",
    ]
    for path, type_name, default, description in _rows(StackConfig, ""):
        lines.append(f"| `{path}` | {type_name} | {default} | {description} |")
    lines += [
        "",
        "## Stack secrets",
        "",
        "Set with `pulumi config set --secret <key> <value>`; never part of the settings above (they would",
        "travel as plain values), read by the component that needs them as secret outputs.",
        "",
        "| key | meaning |",
        "| --- | --- |",
        *(f"| `{NAMESPACE}:{key}` | {meaning} |" for key, meaning in STACK_SECRETS.items()),
    ]
    return "\n".join(lines) + "\n"


def write(path: Path = DOCS_PATH) -> bool:
    """Write the reference; True when the file changed."""
    text = render()
    if path.exists() and path.read_text(encoding="utf-8") == text:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return True
