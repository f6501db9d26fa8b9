"""The audit's result, its score (the policy gate's formula and weights) and its three renderings."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from offline.gate.engine import SEVERITY_ORDER, score
from offline.gate.report import md, plain
from ops.audit.catalog import CATEGORIES, Category, Check


@dataclass(frozen=True)
class Finding:
    check: Check
    evidence: str

    @property
    def severity(self) -> str:
        return self.check.severity

    def as_dict(self) -> dict[str, str]:
        return {"id": self.check.id, "category": self.check.category.value, "severity": self.check.severity,
                "title": self.check.title, "evidence": self.evidence, "remediation": self.check.remediation}


@dataclass
class AuditReport:
    target: str
    min_score: int
    findings: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    checks_run: list[str] = field(default_factory=list)
    categories: tuple[Category, ...] = CATEGORIES
    requests: int = 0

    @property
    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(SEVERITY_ORDER, 0)
        for finding in self.findings:
            counts[finding.severity] += 1
        return counts

    @property
    def score(self) -> int:
        return score(self.counts)

    @property
    def passed(self) -> bool:
        return self.score >= self.min_score

    def ordered(self) -> list[Finding]:
        rank = {s: i for i, s in enumerate(SEVERITY_ORDER)}
        return sorted(self.findings, key=lambda f: (rank[f.severity], f.check.category.value, f.check.id))

    def as_dict(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "score": self.score,
            "min_score": self.min_score,
            "passed": self.passed,
            "tests": len(self.categories),
            "checks": len(self.checks_run),
            "counts": self.counts,
            "findings": [f.as_dict() for f in self.ordered()],
            "notes": list(self.notes),
            "requests": self.requests,
        }


def _summary(report: AuditReport) -> str:
    counts = report.counts
    return (f"score {report.score}/100 from {len(report.categories)} tests ({len(report.checks_run)} checks): "
            + ", ".join(f"{counts[s]} {s}" for s in SEVERITY_ORDER))


def _verdict(report: AuditReport) -> str:
    relation = ">=" if report.passed else "<"
    return f"{'PASSED' if report.passed else 'FAILED'} (score {report.score} {relation} minimum {report.min_score})"


def render_text(report: AuditReport) -> str:
    lines = [f"Security audit of {report.target}: {_summary(report)}"]
    for finding in report.ordered():
        check = finding.check
        lines.append(f"  {check.severity.upper():<8} {check.category.value:<17} {check.title} [{check.id}]")
        lines.append(f"           evidence: {plain(finding.evidence)}")
        lines.append(f"           fix: {check.remediation}")
    lines.extend(f"  note: {plain(note)}" for note in report.notes)
    lines.append(f"{_verdict(report)}; {report.requests} requests sent")
    return "\n".join(lines) + "\n"


def render_json(report: AuditReport) -> str:
    return json.dumps(report.as_dict(), indent=2) + "\n"


def render_markdown(report: AuditReport) -> str:
    counts = report.counts
    mark = "✅" if report.passed else "❌"
    lines = [
        f"### {mark} Security audit of `{report.target}` — score {report.score}/100",
        "",
        f"{len(report.categories)} tests ({len(report.checks_run)} checks), {report.requests} requests; "
        f"{_verdict(report)}.",
        "",
        "| critical | high | medium | low |",
        "| --- | --- | --- | --- |",
        "| " + " | ".join(str(counts[s]) for s in SEVERITY_ORDER) + " |",
    ]
    if report.findings:
        lines += ["", "| severity | category | finding | evidence | remediation |", "| --- | --- | --- | --- | --- |"]
        for f in report.ordered():
            lines.append(f"| {f.severity} | {f.check.category.value} | {md(f.check.title)} (`{f.check.id}`) "
                         f"| {md(f.evidence)} | {md(f.check.remediation)} |")
    if report.notes:
        lines += ["", "Notes:", *(f"- {md(n)}" for n in report.notes)]
    return "\n".join(lines) + "\n"


RENDERERS = {"text": render_text, "json": render_json, "markdown": render_markdown}
