"""ConfigError and the one line that names the stack file, the key path, the value and what is allowed."""

from __future__ import annotations

import json
from typing import Any

import pulumi
from pydantic import BaseModel, ValidationError

from components.config.paths import NAMESPACE, key_path, stack_file
from components.config.secret_names import secret_like_name


class ConfigError(pulumi.RunError):
    """A stack setting is invalid. Pulumi prints a RunError as one line, without a traceback."""


class KeyRuleError(ValueError):
    """A rule about one key below the section whose validator raises it: the line names that key
    (`database.azure applies to ...`), not the section."""

    def __init__(self, key: str, problem: str) -> None:
        super().__init__(problem)
        self.key = key


class MovedKeyError(KeyRuleError):
    """A key the section no longer has because it moved into a subsection (`instanceClass` -> `aws.instanceClass`)."""

    def __init__(self, key: str, new_key: str) -> None:
        super().__init__(key, f"moved to {new_key}")
        self.new_key = new_key


def _joined(section: str, key: str) -> str:
    return f"{section}.{key}" if section else key


def describe_error(error: ValidationError, stack: str, root: type[BaseModel]) -> str:
    """One line for the first problem of validating `root`: file, key path, value, what is allowed."""
    first = error.errors(include_url=False)[0]
    path = key_path(first["loc"])
    where = f"{stack_file(stack)}: {NAMESPACE}:{path}" if path else f"{stack_file(stack)}: {NAMESPACE}"
    problem = (first.get("ctx") or {}).get("error")
    if isinstance(problem, MovedKeyError):
        return f"{stack_file(stack)}: {NAMESPACE}:{_joined(path, problem.key)} moved to {_joined(path, problem.new_key)}"
    if isinstance(problem, KeyRuleError):
        return f"{stack_file(stack)}: {NAMESPACE}:{_joined(path, problem.key)} {problem}"
    value = first.get("input")
    kind = first["type"]
    if kind == "missing":
        return f"{where} is missing; it is required"
    if kind == "extra_forbidden":
        return f"{where} is not a known setting; remove it or check the spelling (see docs/config.md)"
    shown = _show(value)
    allowed = _allowed(first)
    if kind == "value_error" and _is_section(root, first["loc"]):
        # A cross-field rule: the message names the keys involved.
        return f"{where}: {allowed}"
    if kind == "value_error" and not allowed.startswith(("a ", "an ", "one of", "at ")):
        # A validator's own sentence ("... is the whole Internet; ..."), not a list of what is allowed.
        return f"{where} is {shown}: {allowed}"
    return f"{where} is {shown}; use {allowed}"


def _is_section(root: type[BaseModel], loc: tuple[int | str, ...]) -> bool:
    """Whether an error location names a whole section (a model validator's cross-field rule)."""
    model = root
    for part in loc:
        field = next((f for n, f in model.model_fields.items() if part in (n, f.alias)), None)
        if field is None or not (isinstance(field.annotation, type) and issubclass(field.annotation, BaseModel)):
            return False
        model = field.annotation
    return True


def _redacted(value: Any) -> Any:
    """An error line quotes the bad value, but never one held under a secret-like name."""
    if isinstance(value, dict):
        return {k: "***" if secret_like_name(str(k)) else _redacted(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_redacted(v) for v in value]
    return value


def _show(value: Any) -> str:
    value = _redacted(value)
    text = json.dumps(value, default=str) if not isinstance(value, str) else repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _allowed(detail: Any) -> str:
    ctx = detail.get("ctx") or {}
    kind = detail["type"]
    if kind in {"enum", "literal_error"}:
        return "one of " + str(ctx.get("expected", "")).replace("'", "")
    if kind == "value_error":
        return str(ctx.get("error", detail["msg"]))
    if kind in {"greater_than_equal", "less_than_equal", "greater_than", "less_than"}:
        return {
            "greater_than_equal": "a number >= {ge}",
            "less_than_equal": "a number <= {le}",
            "greater_than": "a number > {gt}",
            "less_than": "a number < {lt}",
        }[kind].format(**ctx)
    if kind == "string_pattern_mismatch":
        return f"a value matching {ctx.get('pattern')}"
    if kind == "finite_number":
        return "a finite number"
    if kind.startswith("int") or kind.startswith("float"):
        return "a whole number"
    if kind.startswith("bool"):
        return "true or false"
    if kind.startswith("string"):
        return "a string"
    if kind.startswith("list"):
        return "a list"
    if kind.startswith("too_"):
        return detail["msg"].lower()
    if kind in {"dict_type", "model_type", "model_attributes_type"}:
        return "a mapping of settings"
    return detail["msg"]
