"""Stack files: Pulumi.yaml defaults + Pulumi.<stack>.yaml values + `--set` path overrides."""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from components.conventions import PROJECT
from offline import ROOT, OfflineError
from offline.files import read_text_file

PROJECT_FILE = "Pulumi.yaml"
NAMESPACE = PROJECT


def available_stacks(root: Path | None = None) -> list[str]:
    base = root or ROOT
    return sorted(p.name[len("Pulumi."):-len(".yaml")] for p in base.glob("Pulumi.*.yaml"))


# Namespaces a stack file may hold besides the project's own: the providers the program configures.
PROVIDER_NAMESPACES = frozenset({"aws", "azure-native", "kubernetes", "random", "tls", "time", "pulumi"})


class _StrictLoader(yaml.SafeLoader):
    """YAML as Pulumi reads it, except that a key given twice is an error, not a silent overwrite."""


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if not isinstance(key, str | int | float | bool):
            continue  # an unhashable key is refused by PyYAML's own constructor below
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"key '{key}' appears twice", key_node.start_mark)
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _read_yaml(path: Path, what: str) -> dict[str, Any]:
    text = read_text_file(path, f"{path.name}: {what}")
    try:
        data = yaml.load(text, Loader=_StrictLoader) or {}
    except yaml.MarkedYAMLError as error:
        line = f" line {error.problem_mark.line + 1}:" if error.problem_mark else ""
        raise OfflineError(f"{path.name}:{line} not valid YAML: {error.problem or error.context}") from None
    except yaml.YAMLError as error:
        raise OfflineError(f"{path.name}: not valid YAML: {error}".replace("\n", " ")) from None
    if not isinstance(data, dict):
        raise OfflineError(f"{path.name}: {what} must be a mapping, not {_kind(data)}")
    return data


def _kind(value: Any) -> str:
    return {list: "a list", str: "a string", int: "a number", float: "a number", bool: "true/false"}.get(
        type(value), type(value).__name__)


def _config_section(data: dict[str, Any], path: Path) -> dict[str, Any]:
    section = data.get("config")
    if section is None:
        return {}
    if not isinstance(section, dict):
        raise OfflineError(f"{path.name}: config: must be a mapping of <namespace>:<key> settings, not {_kind(section)}")
    return section


def _check_namespace(key: str, project: str, path: Path) -> None:
    namespace = key.split(":", 1)[0] if ":" in key else project
    if namespace != project and namespace not in PROVIDER_NAMESPACES:
        allowed = ", ".join([f"{project}:", *(f"{n}:" for n in sorted(PROVIDER_NAMESPACES))])
        raise OfflineError(f"{path.name}: config key '{key}' has an unknown namespace '{namespace}'; use one of {allowed}")


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
    project_path = base / PROJECT_FILE
    project = _read_yaml(project_path, "the project file")
    project_name = project.get("name")
    if not isinstance(project_name, str) or not project_name:
        raise OfflineError(f"{PROJECT_FILE}: name: must be the project's name (a string)")
    config: dict[str, Any] = {}
    for raw_key, declaration in _config_section(project, project_path).items():
        key = str(raw_key)
        _check_namespace(key, project_name, project_path)
        # Project-level declarations contribute their defaults (or plain values).
        if isinstance(declaration, dict):
            if "default" in declaration:
                config[_full_key(key, project_name)] = declaration["default"]
            elif "value" in declaration:
                config[_full_key(key, project_name)] = declaration["value"]
        else:
            config[_full_key(key, project_name)] = declaration
    stack_path = base / f"Pulumi.{name}.yaml"
    stack_data = _read_yaml(stack_path, "the stack file")
    for raw_key, value in _config_section(stack_data, stack_path).items():
        key = str(raw_key)
        _check_namespace(key, project_name, stack_path)
        if isinstance(value, dict) and "secure" in value and len(value) == 1:
            raise OfflineError(
                f"Pulumi.{name}.yaml: {key} is an encrypted secret; "
                "this project generates its secrets and keeps none in stack files"
            )
        config[_full_key(key, project_name)] = value
    return StackSpec(name=name, project=project_name, config=config)


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
