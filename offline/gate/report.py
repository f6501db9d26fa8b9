"""Gate reports: text for people, JSON for tools, Markdown for pull-request comments, SARIF 2.1.0.

Everything a report quotes from the export (resource names, types, rule messages that cite values)
is escaped for its format: terminal control characters and ANSI escapes are shown, not obeyed;
Markdown cannot open links, code spans, HTML or mentions; JSON and SARIF are written by `json`.
Secret values never reach a message (see offline.gate.engine), so no format quotes one.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any, TextIO

from offline.gate.engine import REASONS, SEVERITY_ORDER, SIDES, PolicyConfig, Report, Unverifiable, Violation, run_gate

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0"}
UNVERIFIABLE_RULE = "gate-unverifiable"

# C0 and C1 controls, DEL, and the Unicode bidirectional overrides that reorder what a reader sees.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_MARKDOWN = re.compile(r"[\\`*_{}\[\]()<>#+!|~@&]")


def _visible(match: re.Match[str]) -> str:
    char = match.group(0)
    return {"\n": "\\n", "\r": "\\r", "\t": "\\t"}.get(char, f"\\u{ord(char):04x}" if ord(char) > 0xFF else f"\\x{ord(char):02x}")


def plain(text: str) -> str:
    """One line of plain text: control characters (ANSI escapes, newlines) shown as escapes."""
    return _CONTROL.sub(_visible, text)


def md(text: str) -> str:
    """Plain text inside Markdown (a table cell, a list item): no markup, links, HTML or mentions."""
    return _MARKDOWN.sub(lambda m: f"&#{ord(m.group(0))};", plain(text))


def _resource(urn: str) -> str:
    parts = urn.split("::", 3)
    return f"{parts[2].rsplit('$', 1)[-1]}::{parts[3]}" if len(parts) == 4 else urn


def _side(side: str) -> str:
    return f" ({SIDES.get(side, side)})" if side else ""


def _verdict(report: Report) -> str:
    return "PASSED" if report.passed else "FAILED"


def _unverifiable_line(u: Unverifiable) -> str:
    return f"{u.policy} could not evaluate {u.path} of {_resource(u.urn)}: {REASONS.get(u.reason, u.reason)}"


def render_summary(report: Report) -> str:
    counts = report.counts
    lines = [f"Policies ({report.pack.name}, {len(report.pack.policies)} rules): {_verdict(report)}, "
             f"score {report.score}/100 ({', '.join(f'{counts[s]} {s}' for s in SEVERITY_ORDER)})"]
    lines.extend(f"  WARNING   {plain(w)}" for w in report.warnings)
    for v in report.violations:
        lines.append(f"  {v.enforcement:<9} {v.severity:<8} {v.policy}  {plain(_resource(v.urn))}{_side(v.side)}")
        lines.append(f"      {plain(v.message)}")
    label = "UNVERIFIED" if report.preview else "UNVERIFIABLE"
    lines.extend(f"  {label:<9} {plain(_unverifiable_line(u))}" for u in report.unverifiable)
    for policy, urn, error in report.crashes:
        lines.append(f"  CRASHED   {policy}  {plain(_resource(urn)) if urn else 'stack'}: {plain(error)}")
    lines.extend(f"  - {plain(reason)}" for reason in report.reasons)
    return "\n".join(lines) + "\n"


def render_text(report: Report) -> str:
    head = f"Stack {plain(report.stack)}{' (production)' if report.production else ''}: {report.resources} resources checked"
    if report.config_source:
        head += f" with {plain(report.config_source)}"
    return head + "\n" + render_summary(report) + "".join(f"  note: {plain(n)}\n" for n in report.notes)


def render_json(report: Report) -> str:
    return json.dumps(report.as_dict(), indent=2, sort_keys=False) + "\n"


def render_markdown(report: Report) -> str:
    counts = report.counts
    mark = "✅" if report.passed else "❌"
    lines = [
        f"### {mark} Policy gate: {md(report.stack)} {_verdict(report).lower()} — score {report.score}/100",
        "",
        f"Pack {md(report.pack.name)} ({len(report.pack.policies)} rules), {report.resources} resources"
        f"{', production thresholds' if report.production else ''}"
        f"{', policy config ' + md(report.config_source) if report.config_source else ''}.",
        "",
    ]
    lines += [f"> **Warning:** {md(w)}" for w in report.warnings]
    if report.warnings:
        lines.append("")
    lines += [
        "| critical | high | medium | low |",
        "| --- | --- | --- | --- |",
        "| " + " | ".join(str(counts[s]) for s in SEVERITY_ORDER) + " |",
        "",
    ]
    if report.violations:
        lines += ["| severity | enforcement | policy | resource | finding |", "| --- | --- | --- | --- | --- |"]
        for v in report.violations:
            meta = report.pack.policies.get(v.policy)
            policy = f"[{md(v.policy)}]({meta.url})" if meta and meta.url else md(v.policy)
            lines.append(f"| {v.severity} | {v.enforcement} | {policy} | {md(_resource(v.urn))} | "
                         f"{md(v.message + _side(v.side))} |")
        lines.append("")
    if report.unverifiable:
        effect = "reported: the engine checks again at up" if report.preview else "the gate fails"
        lines += [f"**Values the policies could not evaluate** ({effect}):",
                  "", "| policy | resource | property | why |", "| --- | --- | --- | --- |"]
        lines += [f"| {md(u.policy)} | {md(_resource(u.urn))} | {md(u.path)} | {md(REASONS.get(u.reason, u.reason))} |"
                  for u in report.unverifiable]
        lines.append("")
    if report.reasons:
        lines += ["**Why it fails:**", *(f"- {md(r)}" for r in report.reasons), ""]
    return "\n".join(lines)


def render_sarif(report: Report, artifact: str = "__main__.py") -> str:
    policies = sorted(report.pack.policies.values(), key=lambda p: p.name)
    index = {p.name: i for i, p in enumerate(policies)}
    rules = []
    for p in policies:
        rule: dict[str, Any] = {
            "id": p.name,
            "name": "".join(part.capitalize() for part in p.name.split("-")),
            "shortDescription": {"text": p.description},
            "fullDescription": {"text": p.description},
            "help": {"text": p.remediation or p.description},
            "defaultConfiguration": {"level": "error" if p.enforcement == "mandatory" else "warning"},
            "properties": {"tags": ["security", *p.tags], "precision": "high",
                           "security-severity": SECURITY_SEVERITY.get(p.severity, "0.0")},
        }
        if p.url:
            rule["helpUri"] = p.url
        rules.append(rule)

    def location(urn: str) -> list[dict[str, Any]]:
        found: dict[str, Any] = {"physicalLocation": {"artifactLocation": {"uri": artifact}, "region": {"startLine": 1}}}
        if urn:
            found["logicalLocations"] = [{"fullyQualifiedName": plain(urn), "kind": "resource"}]
        return [found]

    results = []
    for v in report.violations:
        results.append({
            "ruleId": v.policy,
            "ruleIndex": index.get(v.policy, 0),
            "level": "error" if v.enforcement == "mandatory" else "warning",
            "message": {"text": plain(f"{_resource(v.urn)}: {v.message}{_side(v.side)}")},
            "locations": location(v.urn),
            "partialFingerprints": {"policyResource/v1": plain(f"{v.policy}:{v.urn}")},
        })
    for u in report.unverifiable:
        result: dict[str, Any] = {
            "ruleId": u.policy if u.policy in index else UNVERIFIABLE_RULE,
            "level": "note" if report.preview else "error",
            "message": {"text": plain(f"unverifiable: {_unverifiable_line(u)}")},
            "locations": location(u.urn),
            "partialFingerprints": {"policyResourceProperty/v1": plain(f"{u.policy}:{u.urn}:{u.path}")},
            "properties": {"unverifiable": True, "property": plain(u.path), "reason": u.reason},
        }
        if u.policy in index:
            result["ruleIndex"] = index[u.policy]
        results.append(result)
    for policy, urn, error in report.crashes:
        results.append({
            "ruleId": policy if policy in index else "policy-crash",
            "level": "error",
            "message": {"text": plain(f"policy {policy} crashed on {urn or 'the stack'}: {error}")},
            "locations": location(""),
        })
    run: dict[str, Any] = {
        "tool": {"driver": {"name": report.pack.name, "version": report.pack.version or "0.0.0",
                            "informationUri": "https://www.pulumi.com/docs/using-pulumi/crossguard/",
                            "rules": rules}},
        "automationDetails": {"id": f"policy-gate/{plain(report.stack)}/"},
        "results": results,
        "properties": {"stack": plain(report.stack), "score": report.score, "passed": report.passed,
                       "policyConfig": plain(report.config_source)},
    }
    if report.warnings:
        run["invocations"] = [{"executionSuccessful": True, "toolExecutionNotifications": [
            {"level": "warning", "message": {"text": plain(w)}} for w in report.warnings]}]
    sarif = {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}
    return json.dumps(sarif, indent=2) + "\n"


def render(report: Report, fmt: str, artifact: str = "__main__.py") -> str:
    if fmt == "json":
        return render_json(report)
    if fmt == "markdown":
        return render_markdown(report)
    if fmt == "sarif":
        return render_sarif(report, artifact)
    return render_text(report)


LEVEL_RANK = {"disabled": 0, "advisory": 1, "remediate": 2, "mandatory": 2}
"""How strictly a level enforces a validation policy (remediate fails like mandatory)."""


def layered(baseline: Report, custom: Report, base_config: PolicyConfig, custom_config: PolicyConfig) -> Report:
    """One report from the same export judged under the shipped configuration and under a caller's
    `--policy-config`: every finding of either, each at the stricter enforcement, production thresholds
    if either is production. A configuration file can add findings and tighten levels, never remove or
    relax one; each setting it tried to relax is named in a warning."""
    found: dict[tuple[str, str, str, str], Violation] = {}
    for v in [*baseline.violations, *custom.violations]:
        key = (v.policy, v.urn, v.message, v.side)
        known = found.get(key)
        if known is None or LEVEL_RANK.get(v.enforcement, 0) > LEVEL_RANK.get(known.enforcement, 0):
            found[key] = v
    rank = {s: i for i, s in enumerate(SEVERITY_ORDER)}
    violations = sorted(found.values(), key=lambda v: (rank.get(v.severity, len(rank)), v.policy, v.urn, v.message))
    warnings = list(dict.fromkeys([*baseline.warnings, *custom.warnings, *relaxed(base_config, custom_config,
                                                                                   custom.config_source,
                                                                                   baseline.config_source)]))
    return Report(
        stack=baseline.stack, production=baseline.production or custom.production, pack=baseline.pack,
        violations=violations, crashes=list(dict.fromkeys([*baseline.crashes, *custom.crashes])),
        notes=list(dict.fromkeys([*baseline.notes, *custom.notes])), resources=baseline.resources,
        unverifiable=sorted(set(baseline.unverifiable) | set(custom.unverifiable)), preview=baseline.preview,
        warnings=warnings, config_source=f"{custom.config_source} on top of {baseline.config_source}")


def relaxed(base: PolicyConfig, custom: PolicyConfig, custom_source: str, base_source: str) -> list[str]:
    """What `custom` sets more loosely than `base`: lower levels and changed settings, one line each."""
    out = []
    for name, level in sorted(custom.levels.items()):
        kept = base.levels.get(name, level)
        if LEVEL_RANK.get(level, 0) < LEVEL_RANK.get(kept, 0):
            out.append(f"{custom_source} sets {name} to {level}; {base_source} enforces it as {kept}, and that applies")
    for name, settings in sorted(custom.properties.items()):
        for key, value in sorted(settings.items()):
            before = base.properties.get(name, {}).get(key)
            if value != before:
                out.append(f"{custom_source} sets {name}.{key} to {json.dumps(value)[:80]} (shipped: "
                           f"{json.dumps(before)[:80]}); findings under either setting are reported")
    return out


def preview_summary(deployment: Mapping[str, Any], stack_name: str, out: TextIO, *, preview: bool = False) -> int:
    """Called by `python -m offline preview` after the tree: the policy summary and the score."""
    report = run_gate(deployment, stack=stack_name, preview=preview)
    out.write("\n" + render_summary(report))
    return 0 if report.passed else 1
