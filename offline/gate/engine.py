"""The offline policy gate: a deployment export, the policy pack over the analyzer protocol, a score.

Score = 100 - 30 per critical - 20 per high - 6 per medium - 3 per low violation (floor 0). A stack
passes with no mandatory violation, no crashed policy and, for a state export, no value the pack
could not evaluate; a production stack also needs a score above 90 with zero critical and zero high
findings.

The policy configuration never comes from the export (see `choose_config`). Every resource is
judged twice, on its declared inputs and on its recorded outputs (drift after `pulumi refresh`):
the findings are merged, so where the two differ the worse wins, and a finding only one side has
says which. Secret values never reach a rule (see `analyzer.to_wire`), and any secret the export
carries in plaintext is masked in every message the report quotes.
"""

from __future__ import annotations

import bisect
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from offline import OfflineError
from offline.gate.analyzer import BAGS, LEVELS, PackInfo, PolicyPackProcess, Results
from offline.gate.encode import REDACTED
from offline.gate.exportfile import STACK_TYPE, read_json_object, resources_of, stack_from_deployment
from offline.gate.packstart import PACK_DIR, StartedPack
from offline.wire import SECRET_SIG, SECRET_SIG_KEY, is_unknown

CONFIG_DIR = PACK_DIR / "config"
WEIGHTS = {"critical": 30, "high": 20, "medium": 6, "low": 3}
SEVERITY_ORDER = ("critical", "high", "medium", "low")
PRODUCTION_SCORE = 90
SIDES = {"inputs": "declared inputs only", "outputs": "recorded outputs only"}
REASONS = {"unknown": "unknown until apply", "secret": "a secret whose value the gate withholds"}


@dataclass(frozen=True)
class Violation:
    policy: str
    severity: str
    enforcement: str
    urn: str
    type: str
    message: str
    side: str = ""
    """"" when both property bags have it; "inputs" or "outputs" when only that one does."""

    def as_dict(self) -> dict[str, str]:
        out = {"policy": self.policy, "severity": self.severity, "enforcement": self.enforcement,
               "urn": self.urn, "type": self.type, "message": self.message}
        if self.side:
            out["side"] = self.side
        return out


@dataclass(frozen=True, order=True)
class Unverifiable:
    """A value a policy needed and could not evaluate: reported, never a silent pass."""

    policy: str
    urn: str
    type: str
    path: str
    """The property, e.g. `spec.template.spec.containers[0].image`."""
    reason: str

    @property
    def message(self) -> str:
        return f"cannot evaluate {self.path}: {REASONS.get(self.reason, self.reason)}"

    def as_dict(self) -> dict[str, str]:
        return {"policy": self.policy, "urn": self.urn, "type": self.type, "property": self.path,
                "reason": self.reason, "message": self.message}


@dataclass
class Report:
    stack: str
    production: bool
    pack: PackInfo
    violations: list[Violation]
    crashes: list[tuple[str, str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    resources: int = 0
    unverifiable: list[Unverifiable] = field(default_factory=list)
    preview: bool = False
    """A preview (unknowns expected until apply): unverifiable values are reported, not fatal."""
    warnings: list[str] = field(default_factory=list)
    config_source: str = ""

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
        if self.unverifiable and not self.preview:
            out.append(f"{len(self.unverifiable)} value(s) the policies could not evaluate (a state export has no "
                       "unknowns; a withheld secret cannot be judged)")
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
            "unverifiable": [u.as_dict() for u in self.unverifiable],
            "errors": [{"policy": p, "urn": u, "error": e} for p, u, e in self.crashes],
            "reasons": self.reasons,
            "warnings": self.warnings,
            "policyConfig": self.config_source,
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


STRICTEST = "production"
"""The stack whose policy configuration applies when the caller names none."""


@dataclass(frozen=True)
class ConfigChoice:
    """Which policy configuration judges an export. It never comes from the export itself."""

    raw: dict[str, Any]
    source: str
    """Shown in reports: `policies/config/production.json (strictest; no --stack given)`."""
    environment: str | None
    stack: str | None
    """The shipped stack chosen (None with --policy-config alone and no --stack)."""


def shipped_stack(name: str) -> str:
    """`name` if it is a shipped stack (a Pulumi.<name>.yaml and its policy config); else one line.
    Path-like names (absolute, `..`, separators) are never looked up."""
    from offline.runner.stacks import available_stacks

    shipped = [s for s in available_stacks() if (CONFIG_DIR / f"{s}.json").is_file()]
    if name not in shipped:
        shown = json.dumps(name)[:80]
        raise OfflineError(f"unknown stack {shown}; shipped stacks: {', '.join(shipped)}")
    return name


def stack_environment(stack: str) -> str | None:
    from offline.runner.stacks import load_stack

    value = load_stack(stack).namespace().get("environment")
    return str(value) if value else None


def choose_config(stack: str | None = None, policy_config: Path | None = None,
                  environment: str | None = None) -> ConfigChoice:
    """`--stack NAME`: that shipped stack's policy config and environment; `--policy-config FILE`:
    that file (with --stack's environment, else production's); neither: production's, the strictest."""
    if stack is not None:
        shipped_stack(stack)
    chosen = stack or STRICTEST
    if environment is None:
        environment = stack_environment(chosen) or (STRICTEST if stack is None else None)
    if policy_config is not None:
        return ConfigChoice(read_policy_config(policy_config), policy_config.name, environment, stack)
    path = CONFIG_DIR / f"{chosen}.json"
    source = f"policies/config/{path.name}" + ("" if stack else " (the strictest; no --stack given)")
    return ConfigChoice(read_policy_config(path) if path.is_file() else {}, source, environment, stack)


# --- running the gate ---------------------------------------------------------------------------


def spawn_pack(stack: str, project: str, pack_dir: Path = PACK_DIR, started: StartedPack | None = None) -> PolicyPackProcess:
    """Start the pack's process early (it boots while the caller works), or adopt one `packstart`
    started before this module was even imported; hand it to `run_gate`."""
    pack = PolicyPackProcess(pack_dir, project=project, stack=stack)
    pack.spawn(started)
    return pack


def run_gate(deployment: Mapping[str, Any], *, stack: str | None = None, policy_config: Path | None = None,
             environment: str | None = None, pack_dir: Path = PACK_DIR, pack: PolicyPackProcess | None = None,
             preview: bool = False) -> Report:
    """Check one deployment export with the pack: `pack` from `spawn_pack`, or one started for this check.
    `stack` names the shipped stack whose policy configuration applies (default: the strictest).
    The pack is stopped either way."""
    try:
        found_stack, project = stack_from_deployment(deployment)
        choice = choose_config(stack, policy_config, environment)
        if pack is None:
            pack = PolicyPackProcess(pack_dir, project=project, stack=stack or STRICTEST)
            pack.spawn()
        resources = resources_of(deployment)
        import jsonschema  # noqa: F401 - resolve_config's, imported while the pack boots
    except BaseException:
        if pack is not None:
            pack.stop()
        raise
    with pack:
        assert pack.info is not None
        config = resolve_config(pack.info, choice.raw, choice.source, choice.environment)
        pack.configure(config.levels, config.properties)
        return judge(pack, resources, config, stack=found_stack, choice=choice, preview=preview)


def judge(pack: PolicyPackProcess, resources: list[dict[str, Any]], config: PolicyConfig, *, stack: str,
          choice: ConfigChoice | None = None, preview: bool = False) -> Report:
    """One export through a configured pack: both property bags, merged into one report. A pack may
    judge many exports in turn (the mutation tests do): only requests it has not seen are sent."""
    assert pack.info is not None
    sides = [(bag, pack.analyze(resources, bag)) for bag in BAGS]
    report = build_report(stack, pack.info, sides, resources, config, secrets=plaintext_secrets(resources))
    report.preview = preview
    if choice is not None:
        report.config_source = choice.source
        if choice.stack is not None and choice.stack != stack:
            report.warnings.append(f"the export is stack {stack!r} but was checked with stack {choice.stack!r}'s "
                                   "policy configuration (--stack)")
    return report


def build_report(stack: str, info: PackInfo, results: Results | list[tuple[str, Results]],
                 resources: list[dict[str, Any]], config: PolicyConfig, *, secrets: Iterable[str] = ()) -> Report:
    """Findings of one or both property bags, merged: a finding both have is reported once; one only
    a side has says which. Messages are masked for every plaintext secret of the export."""
    sides = results if isinstance(results, list) else [("", results)]
    types = {r["urn"]: r["type"] for r in resources}
    root = next((r["urn"] for r in resources if r["type"] == STACK_TYPE), "")
    mask = Masker(secrets)
    found: dict[tuple[str, str, str, str, str], set[str]] = {}
    unverified: dict[tuple[str, str, str, str], None] = {}
    crashes: dict[tuple[str, str, str], None] = {}
    notes: dict[str, None] = {}
    for side, result in sides:
        for d in result.diagnostics:
            if d.severity not in WEIGHTS:
                notes[mask(f"{d.policy}: {d.message}")] = None
                continue
            urn = d.urn if d.urn in types else root
            found.setdefault((d.policy, d.severity, d.enforcement, urn, mask(d.message)), set()).add(side)
        for u in result.unverified:
            unverified[(u.policy, u.urn if u.urn in types else root, u.property, u.reason)] = None
        for policy, urn, error in result.crashes:
            crashes[(policy, urn, mask(error))] = None
    all_sides = {side for side, _ in sides}
    violations = [Violation(policy, severity, enforcement, urn, types.get(urn, ""), message,
                            "" if seen == all_sides else "/".join(sorted(seen)))
                  for (policy, severity, enforcement, urn, message), seen in found.items()]
    rank = {s: i for i, s in enumerate(SEVERITY_ORDER)}
    violations.sort(key=lambda v: (rank[v.severity], v.policy, v.urn, v.message))
    production = any(props.get("environment") == "production" for props in config.properties.values())
    unverifiable = sorted(Unverifiable(p, u, types.get(u, ""), prop, reason) for p, u, prop, reason in unverified)
    return Report(stack, production, info, violations, list(crashes), list(notes), len(resources), unverifiable)


# --- secrets ---------------------------------------------------------------------------------------

MIN_SECRET = 4
"""Shorter plaintexts are not masked (they would mask ordinary words); no rule ever sees them anyway."""


def plaintext_secrets(resources: Iterable[Mapping[str, Any]]) -> list[str]:
    """Every string inside a `--show-secrets` plaintext (or an in-memory `value`) of the export."""
    found: dict[str, None] = {}
    stack: list[Any] = [r.get(side) for r in resources for side in BAGS]
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            if value.get(SECRET_SIG_KEY) == SECRET_SIG:
                if is_unknown(value):
                    continue  # a preview's secret not known yet: nothing to mask
                for key in ("plaintext", "value"):
                    if key in value:
                        _strings(value[key], found, decode=key == "plaintext")
                continue
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
    return sorted(found, key=len, reverse=True)


def _strings(value: Any, found: dict[str, None], *, decode: bool) -> None:
    if isinstance(value, str) and decode:
        found.setdefault(value, None) if len(value) >= MIN_SECRET else None
        try:
            value = json.loads(value)
        except (ValueError, RecursionError):  # not JSON, or nested past the parser's stack: the text is the secret
            return
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if len(item) >= MIN_SECRET and item != REDACTED:
                found[item] = None
        elif isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, (int, float)) and not isinstance(item, bool) and len(str(item)) >= MIN_SECRET:
            found[str(item)] = None


class Masker:
    """Replaces in a text every known secret, and every run of at least `PARTIAL` leading characters of
    one (a rule cuts long values when it quotes them), with the redaction marker.

    Linear in the text whatever the number of secrets: at each position, a set lookup per distinct
    short-secret length and one for the `PARTIAL`-character prefix of the long ones (whose full extent
    a binary search over them sorted finds), never a scan of every secret (quadratic: 10,000
    secrets in an export made 1,250 messages take 25 s)."""

    def __init__(self, secrets: Iterable[str]) -> None:
        unique = {s for s in secrets if len(s) >= MIN_SECRET}
        self.short = {s for s in unique if len(s) < PARTIAL}
        self.lengths = sorted({len(s) for s in self.short}, reverse=True)
        self.long = sorted(s for s in unique if len(s) >= PARTIAL)
        self.prefixes = {s[:PARTIAL] for s in self.long}
        self.starts = {s[:MIN_SECRET] for s in unique}
        """Every secret's first characters: most positions of a text start none, one lookup each."""

    def _extent(self, text: str, at: int) -> int:
        """How many characters from `at` a secret, or a leading run of one, covers (0: none)."""
        if text[at:at + MIN_SECRET] not in self.starts:
            return 0
        covered = next((n for n in self.lengths if text[at:at + n] in self.short), 0)
        if text[at:at + PARTIAL] in self.prefixes:
            # The longest common prefix with the sorted secrets is with a neighbour of the insertion point.
            rest = text[at:]
            index = bisect.bisect_left(self.long, rest)
            covered = max(covered, *(_common(rest, s) for s in self.long[max(index - 1, 0):index + 1]))
        return covered

    def __call__(self, text: str) -> str:
        if len(self.starts) <= FEW and not any(start in text for start in self.starts):
            return text  # the usual case: a few secrets, each searched for in C
        out: list[str] = []
        at = plain = 0
        while at < len(text):
            covered = self._extent(text, at)
            if covered:
                out.append(text[plain:at] + REDACTED)
                at = plain = at + covered
            else:
                at += 1
        out.append(text[plain:])
        return "".join(out)


FEW = 256
"""Up to this many secrets, a text none of whose first characters occur in is returned at once."""
PARTIAL = 16
"""Leading characters of a secret that are masked on their own: enough to say a value was quoted, too
few to hold a credential a reader could use on its own."""


def _common(a: str, b: str) -> int:
    """The length of the common prefix of `a` and `b`."""
    limit = min(len(a), len(b))
    n = 0
    while n < limit and a[n] == b[n]:
        n += 1
    return n
