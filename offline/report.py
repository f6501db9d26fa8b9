"""Gate reports: text for people, JSON for tools, Markdown for pull-request comments, SARIF 2.1.0."""

from __future__ import annotations

import json
from typing import Any

from offline.gate import SEVERITY_ORDER, Report

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0"}


def _resource(urn: str) -> str:
    parts = urn.split("::")
    return f"{parts[-2].rsplit('$', 1)[-1]}::{parts[-1]}" if len(parts) >= 4 else urn


def _verdict(report: Report) -> str:
    return "PASSED" if report.passed else "FAILED"


def render_summary(report: Report) -> str:
    counts = report.counts
    lines = [f"Policies ({report.pack.name}, {len(report.pack.policies)} rules): {_verdict(report)}, "
             f"score {report.score}/100 ({', '.join(f'{counts[s]} {s}' for s in SEVERITY_ORDER)})"]
    for v in report.violations:
        lines.append(f"  {v.enforcement:<9} {v.severity:<8} {v.policy}  {_resource(v.urn)}")
        lines.append(f"      {v.message}")
    for policy, urn, error in report.crashes:
        lines.append(f"  CRASHED   {policy}  {_resource(urn) if urn else 'stack'}: {error}")
    lines.extend(f"  - {reason}" for reason in report.reasons)
    return "\n".join(lines) + "\n"


def render_text(report: Report) -> str:
    head = f"Stack {report.stack}{' (production)' if report.production else ''}: {report.resources} resources checked\n"
    return head + render_summary(report) + "".join(f"  note: {n}\n" for n in report.notes)


def render_json(report: Report) -> str:
    return json.dumps(report.as_dict(), indent=2, sort_keys=False) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(report: Report) -> str:
    counts = report.counts
    mark = "✅" if report.passed else "❌"
    lines = [
        f"### {mark} Policy gate: `{report.stack}` {_verdict(report).lower()} — score {report.score}/100",
        "",
        f"Pack `{report.pack.name}` ({len(report.pack.policies)} rules), {report.resources} resources"
        f"{', production thresholds' if report.production else ''}.",
        "",
        "| critical | high | medium | low |",
        "| --- | --- | --- | --- |",
        "| " + " | ".join(str(counts[s]) for s in SEVERITY_ORDER) + " |",
        "",
    ]
    if report.violations:
        lines += ["| severity | enforcement | policy | resource | finding |", "| --- | --- | --- | --- | --- |"]
        for v in report.violations:
            meta = report.pack.policies.get(v.policy)
            policy = f"[{v.policy}]({meta.url})" if meta and meta.url else v.policy
            lines.append(f"| {v.severity} | {v.enforcement} | {policy} | `{_cell(_resource(v.urn))}` | {_cell(v.message)} |")
        lines.append("")
    if report.reasons:
        lines += ["**Why it fails:**", *(f"- {_cell(r)}" for r in report.reasons), ""]
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
    results = []
    for v in report.violations:
        results.append({
            "ruleId": v.policy,
            "ruleIndex": index.get(v.policy, 0),
            "level": "error" if v.enforcement == "mandatory" else "warning",
            "message": {"text": f"{_resource(v.urn)}: {v.message}"},
            "locations": [{
                "physicalLocation": {"artifactLocation": {"uri": artifact}, "region": {"startLine": 1}},
                "logicalLocations": [{"fullyQualifiedName": v.urn, "kind": "resource"}],
            }],
            "partialFingerprints": {"policyResource/v1": f"{v.policy}:{v.urn}"},
        })
    for policy, urn, error in report.crashes:
        results.append({
            "ruleId": policy if policy in index else "policy-crash",
            "level": "error",
            "message": {"text": f"policy {policy} crashed on {urn or 'the stack'}: {error}"},
            "locations": [{"physicalLocation": {"artifactLocation": {"uri": artifact}, "region": {"startLine": 1}}}],
        })
    sarif = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": report.pack.name, "version": report.pack.version or "0.0.0",
                                "informationUri": "https://www.pulumi.com/docs/using-pulumi/crossguard/",
                                "rules": rules}},
            "automationDetails": {"id": f"policy-gate/{report.stack}/"},
            "results": results,
            "properties": {"stack": report.stack, "score": report.score, "passed": report.passed},
        }],
    }
    return json.dumps(sarif, indent=2) + "\n"


def render(report: Report, fmt: str, artifact: str = "__main__.py") -> str:
    if fmt == "json":
        return render_json(report)
    if fmt == "markdown":
        return render_markdown(report)
    if fmt == "sarif":
        return render_sarif(report, artifact)
    return render_text(report)
