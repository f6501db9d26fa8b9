"""The offline policy gate: a deployment export, the policy pack over the analyzer protocol, a score.

Score = 100 - 30 per critical - 20 per high - 6 per medium - 3 per low violation (floor 0). A stack
passes with no mandatory violation and no crashed policy; a production stack also needs a score
above 90 with zero critical and zero high findings.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from offline import OfflineError
from offline.analyzer import LEVELS, PackInfo, PolicyPackProcess, Results
from offline.packstart import PACK_DIR, StartedPack
from offline.statefile import STACK_TYPE, read_json_object, resources_of, stack_from_deployment

CONFIG_DIR = PACK_DIR / "config"
WEIGHTS = {"critical": 30, "high": 20, "medium": 6, "low": 3}
SEVERITY_ORDER = ("critical", "high", "medium", "low")
PRODUCTION_SCORE = 90


@dataclass(frozen=True)
class Violation:
    policy: str
    severity: str
    enforcement: str
    urn: str
    type: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"policy": self.policy, "severity": self.severity, "enforcement": self.enforcement,
                "urn": self.urn, "type": self.type, "message": self.message}


@dataclass
class Report:
    stack: str
    production: bool
    pack: PackInfo
    violations: list[Violation]
    crashes: list[tuple[str, str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    resources: int = 0

    @property
    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(SEVERITY_ORDER, 0)
        for v in self.violations:
            if v.severity in counts:
                counts[v.severity] += 1
        return counts

    @property
    def score(self) -> int:
        return score(self.counts)

    @property
    def mandatory(self) -> list[Violation]:
        return [v for v in self.violations if v.enforcement == "mandatory"]

    @property
    def reasons(self) -> list[str]:
        """Why the stack fails (empty when it passes)."""
        out = [f"policy {policy} crashed on {urn or 'the stack'}: {error}" for policy, urn, error in self.crashes]
        if self.mandatory:
            out.append(f"{len(self.mandatory)} mandatory violation(s)")
        if self.production:
            counts = self.counts
            if counts["critical"] or counts["high"]:
                out.append(f"production allows no critical or high finding ({counts['critical']} critical, "
                           f"{counts['high']} high)")
            if self.score <= PRODUCTION_SCORE:
                out.append(f"production needs a score above {PRODUCTION_SCORE} (score {self.score})")
        return out

    @property
    def passed(self) -> bool:
        return not self.reasons

    def as_dict(self) -> dict[str, Any]:
        return {
            "stack": self.stack,
            "score": self.score,
            "passed": self.passed,
            "production": self.production,
            "counts": self.counts,
            "violations": [v.as_dict() for v in self.violations],
            "errors": [{"policy": p, "urn": u, "error": e} for p, u, e in self.crashes],
            "reasons": self.reasons,
        }


def score(counts: Mapping[str, int]) -> int:
    return max(0, 100 - sum(WEIGHTS[s] * int(counts.get(s, 0)) for s in WEIGHTS))


# --- policy config (Pulumi's policy-config format) -------------------------------------------------


@dataclass(frozen=True)
class PolicyConfig:
    levels: dict[str, str]
    properties: dict[str, dict[str, Any]]


def read_policy_config(path: Path) -> dict[str, Any]:
    return read_json_object(path, "policy config", "a JSON object of policy name -> level or settings")


def resolve_config(info: PackInfo, raw: Mapping[str, Any], source: str = "policy config",
                   environment: str | None = None) -> PolicyConfig:
    """Levels for every policy (explicit), properties with the schemas' defaults, validated. The stack's
    `orchestrator:environment` (when known) is the default of every `environment` setting."""
    import jsonschema  # type: ignore[import-untyped]

    levels = {name: meta.enforcement for name, meta in info.policies.items()}
    properties: dict[str, dict[str, Any]] = {
        name: {k: v["default"] for k, v in meta.config_schema.items() if isinstance(v, dict) and "default" in v}
        for name, meta in info.policies.items()}
    if environment:
        for name, meta in info.policies.items():
            if "environment" in meta.config_schema:
                properties[name]["environment"] = environment
    entries = dict(raw)
    everything = entries.pop("all", None)
    if everything is not None:
        level = everything if isinstance(everything, str) else (everything or {}).get("enforcementLevel")
        _check_level(level, "all", source)
        levels = dict.fromkeys(levels, str(level))
    for name, value in entries.items():
        if name not in info.policies:
            raise OfflineError(f"{source}: '{name}' is not a policy of pack {info.name}")
        if isinstance(value, str):
            _check_level(value, name, source)
            levels[name] = value
            continue
        if not isinstance(value, dict):
            raise OfflineError(f"{source}: '{name}' must be an enforcement level or an object")
        settings = dict(value)
        if "enforcementLevel" in settings:
            level = settings.pop("enforcementLevel")
            _check_level(level, name, source)
            levels[name] = str(level)
        schema = {"type": "object", "properties": info.policies[name].config_schema, "additionalProperties": False}
        try:
            jsonschema.validate(settings, schema)
        except jsonschema.ValidationError as error:
            where = ".".join(str(p) for p in error.absolute_path) or "(settings)"
            raise OfflineError(f"{source}: {name}.{where}: {error.message}") from None
        properties[name].update(settings)
    return PolicyConfig(levels, properties)


def _check_level(level: Any, name: str, source: str) -> None:
    if level not in LEVELS:
        raise OfflineError(f"{source}: '{name}' enforcement level {level!r} is not one of {', '.join(LEVELS)}")


def default_config_path(stack: str) -> Path | None:
    path = CONFIG_DIR / f"{stack}.json"
    return path if path.is_file() else None


# --- running the gate ---------------------------------------------------------------------------


def spawn_pack(stack: str, project: str, pack_dir: Path = PACK_DIR, started: StartedPack | None = None) -> PolicyPackProcess:
    """Start the pack's process early (it boots while the caller works), or adopt one `packstart`
    started before this module was even imported; hand it to `run_gate`."""
    pack = PolicyPackProcess(pack_dir, project=project, stack=stack)
    pack.spawn(started)
    return pack


def run_gate(deployment: Mapping[str, Any], *, stack: str | None = None, policy_config: Path | None = None,
             environment: str | None = None, pack_dir: Path = PACK_DIR, pack: PolicyPackProcess | None = None) -> Report:
    """Check one deployment export with the pack: `pack` from `spawn_pack`, or one started for this check.
    The pack is stopped either way."""
    try:
        found_stack, project = stack_from_deployment(deployment)
        stack = stack or found_stack
        if pack is None:
            pack = PolicyPackProcess(pack_dir, project=project, stack=stack)
            pack.spawn()
        resources = resources_of(deployment)
        config_path = policy_config or default_config_path(stack)
        raw = read_policy_config(config_path) if config_path else {}
        import jsonschema  # noqa: F401 - resolve_config's, imported while the pack boots
    except BaseException:
        if pack is not None:
            pack.stop()
        raise
    with pack:
        assert pack.info is not None
        config = resolve_config(pack.info, raw, config_path.name if config_path else "policy config", environment)
        pack.configure(config.levels, config.properties)
        results = pack.analyze(resources)
        return build_report(stack, pack.info, results, resources, config)


def build_report(stack: str, info: PackInfo, results: Results, resources: list[dict[str, Any]],
                 config: PolicyConfig) -> Report:
    types = {r["urn"]: r["type"] for r in resources}
    root = next((r["urn"] for r in resources if r["type"] == STACK_TYPE), "")
    violations: list[Violation] = []
    notes: list[str] = []
    for d in results.diagnostics:
        if d.severity not in WEIGHTS:
            notes.append(f"{d.policy}: {d.message}")  # e.g. "can't run during preview"
            continue
        urn = d.urn if d.urn in types else root
        violations.append(Violation(d.policy, d.severity, d.enforcement, urn, types.get(urn, ""), d.message))
    rank = {s: i for i, s in enumerate(SEVERITY_ORDER)}
    violations.sort(key=lambda v: (rank[v.severity], v.policy, v.urn, v.message))
    production = any(
        props.get("environment") == "production" for props in config.properties.values())
    return Report(stack, production, info, violations, list(results.crashes), notes, len(resources))


def preview_summary(deployment: Mapping[str, Any], stack_name: str, out: TextIO) -> int:
    """Called by `python -m offline preview` after the tree: the policy summary and the score."""
    from offline.report import render_summary
    from offline.stacks import load_stack

    environment = load_stack(stack_name).namespace().get("environment")
    report = run_gate(deployment, stack=stack_name, environment=str(environment) if environment else None)
    out.write("\n" + render_summary(report))
    return 0 if report.passed else 1
