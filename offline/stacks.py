"""Stack files: Pulumi.yaml defaults + Pulumi.<stack>.yaml values + `--set` path overrides."""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from offline import OfflineError

ROOT = Path(__file__).resolve().parent.parent
PROJECT_FILE = "Pulumi.yaml"
NAMESPACE = "orchestrator"


def available_stacks(root: Path | None = None) -> list[str]:
    base = root or ROOT
    return sorted(p.name[len("Pulumi."):-len(".yaml")] for p in base.glob("Pulumi.*.yaml"))


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        with path.open(encoding="utf-8") as handle:
            data = yaml.safe_load(handle) or {}
    except yaml.YAMLError as error:
        raise OfflineError(f"{path.name} is not valid YAML: {error}".replace("\n", " ")) from None
    if not isinstance(data, dict):
        raise OfflineError(f"{path.name} must be a mapping")
    return data


@dataclass
class StackSpec:
    """One stack's effective config, flat `<namespace>:<key>` -> value (structured values kept)."""

    name: str
    project: str
    config: dict[str, Any] = field(default_factory=dict)

    def runtime_config(self) -> dict[str, str]:
        """The map the engine hands the program: scalars as text, structured values as JSON."""
        out: dict[str, str] = {}
        for key, value in self.config.items():
            if isinstance(value, (dict, list)):
                out[key] = json.dumps(value)
            elif isinstance(value, bool):
                out[key] = "true" if value else "false"
            else:
                out[key] = str(value)
        return out

    def namespace(self) -> dict[str, Any]:
        prefix = NAMESPACE + ":"
        return {k[len(prefix):]: v for k, v in self.config.items() if k.startswith(prefix)}

    def with_overrides(self, overrides: list[str]) -> StackSpec:
        config = copy.deepcopy(self.config)
        for item in overrides:
            path, value = parse_assignment(item)
            set_path(config, path, value)
        return StackSpec(name=self.name, project=self.project, config=config)


def load_stack(name: str, root: Path | None = None) -> StackSpec:
    base = root or ROOT
    stacks = available_stacks(base)
    if name not in stacks:
        raise OfflineError(f"unknown stack '{name}'; stacks here: {', '.join(stacks) or 'none'}")
    project = _read_yaml(base / PROJECT_FILE)
    config: dict[str, Any] = {}
    for key, declaration in (project.get("config") or {}).items():
        # Project-level declarations contribute their defaults (or plain values).
        if isinstance(declaration, dict):
            if "default" in declaration:
                config[_full_key(key, str(project["name"]))] = declaration["default"]
            elif "value" in declaration:
                config[_full_key(key, str(project["name"]))] = declaration["value"]
        else:
            config[_full_key(key, str(project["name"]))] = declaration
    stack_data = _read_yaml(base / f"Pulumi.{name}.yaml")
    for key, value in (stack_data.get("config") or {}).items():
        if isinstance(value, dict) and "secure" in value and len(value) == 1:
            raise OfflineError(
                f"Pulumi.{name}.yaml: {key} is an encrypted secret; "
                "this project generates its secrets and keeps none in stack files"
            )
        config[_full_key(key, str(project["name"]))] = value
    return StackSpec(name=name, project=str(project["name"]), config=config)


def _full_key(key: str, project: str) -> str:
    # A key without a namespace belongs to the project.
    return key if ":" in key else f"{project}:{key}"


_SEGMENT = re.compile(r'\.?([A-Za-z0-9_-]+)|\[(\d+)\]|\["([^"]+)"\]')


def parse_path(path: str) -> list[str | int]:
    """Pulumi's `--path` syntax: `a.b`, `a[0]`, `a["x.y"]`."""
    parts: list[str | int] = []
    position = 0
    while position < len(path):
        match = _SEGMENT.match(path, position)
        if match is None or (position == 0 and path.startswith(".")):
            raise OfflineError(
                f"--set path '{path}' is not valid; use the --path syntax, e.g. app.slots.green or edge.internalCidrs[0]"
            )
        name, index, quoted = match.groups()
        parts.append(int(index) if index is not None else (name if name is not None else quoted))
        position = match.end()
    if not parts:
        raise OfflineError("--set needs KEY=VALUE, e.g. app.activeSlot=green")
    return parts


def parse_assignment(item: str) -> tuple[list[str | int], Any]:
    if "=" not in item:
        raise OfflineError(f"--set '{item}' needs KEY=VALUE, e.g. app.activeSlot=green")
    key, raw = item.split("=", 1)
    key = key.strip()
    namespace = NAMESPACE
    if ":" in key.split(".", 1)[0]:
        namespace, key = key.split(":", 1)
    parts = parse_path(key)
    return [f"{namespace}:{parts[0]}", *parts[1:]], _typed(raw)


def _typed(raw: str) -> Any:
    # `pulumi config set --path` stores true/false as booleans and integers as numbers.
    if raw in {"true", "false"}:
        return raw == "true"
    if re.fullmatch(r"-?[0-9]+", raw):
        return int(raw)
    return raw


def set_path(config: dict[str, Any], path: list[str | int], value: Any) -> None:
    head = path[0]
    assert isinstance(head, str)
    if len(path) == 1:
        config[head] = value
        return
    container: Any = config.setdefault(head, {} if isinstance(path[1], str) else [])
    for position, part in enumerate(path[1:-1], start=1):
        following = path[position + 1]
        container = _child(container, part, {} if isinstance(following, str) else [], path)
    _assign(container, path[-1], value, path)


def _child(container: Any, part: str | int, empty: Any, path: list[str | int]) -> Any:
    if isinstance(part, int):
        if not isinstance(container, list) or part > len(container):
            raise OfflineError(f"--set {_show(path)}: index {part} is out of range")
        if part == len(container):
            container.append(empty)
        return container[part]
    if not isinstance(container, dict):
        raise OfflineError(f"--set {_show(path)}: '{part}' is not inside a mapping")
    return container.setdefault(part, empty)


def _assign(container: Any, part: str | int, value: Any, path: list[str | int]) -> None:
    if isinstance(part, int):
        if not isinstance(container, list) or part > len(container):
            raise OfflineError(f"--set {_show(path)}: index {part} is out of range")
        if part == len(container):
            container.append(value)
        else:
            container[part] = value
    else:
        if not isinstance(container, dict):
            raise OfflineError(f"--set {_show(path)}: '{part}' is not inside a mapping")
        container[part] = value


def _show(path: list[str | int]) -> str:
    text = str(path[0])
    for part in path[1:]:
        text += f"[{part}]" if isinstance(part, int) else f".{part}"
    return text
