"""The audit without servers: catalog and docs agree, the score is the gate's, bad input exits 2."""

from __future__ import annotations

import re
import socket
from pathlib import Path

import pytest

from offline.gate.engine import WEIGHTS, score
from ops.audit.catalog import CATEGORIES, CHECKS
from ops.audit.checks import _internal_addresses, _missing_headers, _similar
from ops.audit.probe import Response
from ops.audit.report import AuditReport, Finding, render_markdown, render_text
from ops.cli import main

DOC = Path(__file__).resolve().parents[2] / "docs" / "audit.md"


def test_docs_describe_every_check_with_its_category_and_severity() -> None:
    rows = {m.group(1): (m.group(2), m.group(3))
            for m in re.finditer(r"^\| `([a-z0-9-]+)` \| ([a-z-]+) \| ([a-z]+) \|", DOC.read_text(), re.MULTILINE)}
    assert rows == {c.id: (c.category.value, c.severity) for c in CHECKS.values()}


def test_the_specification_example_scores_85_with_the_gate_weights() -> None:
    report = AuditReport(target="https://example.test", min_score=90, findings=[
        Finding(CHECKS["security-headers-missing"], "x"), Finding(CHECKS["rate-limit-missing"], "x"),
        Finding(CHECKS["health-public"], "x")])
    assert len(CATEGORIES) == 7
    assert report.counts == {"critical": 0, "high": 0, "medium": 2, "low": 1}
    assert report.score == 85 == score(report.counts)
    assert WEIGHTS == {"critical": 30, "high": 20, "medium": 6, "low": 3}
    assert not report.passed
    assert "MEDIUM" in render_text(report) and "FAILED (score 85 < minimum 90)" in render_text(report)
    assert "| 0 | 0 | 2 | 1 |" in render_markdown(report)


def test_evidence_from_the_endpoint_cannot_inject_into_reports() -> None:
    hostile = "Server: x\x1b[2J\n| [click](https://evil.example) <img src=x>"
    report = AuditReport(target="https://example.test", min_score=90,
                         findings=[Finding(CHECKS["security-headers-missing"], hostile)], notes=[hostile])
    text, markdown = render_text(report), render_markdown(report)
    assert "\x1b" not in text and "\\x1b" in text
    assert "](" not in markdown and "<img" not in markdown and "| [click]" not in markdown
    assert "\x1b" not in markdown


def response(headers: dict[str, str], body: bytes = b"", status: int = 200, path: str = "/") -> Response:
    return Response(status, {k.lower(): v for k, v in headers.items()}, body, path)


def test_missing_headers_names_each_and_accepts_csp_frame_ancestors() -> None:
    good = {"Strict-Transport-Security": "max-age=63072000; includeSubDomains", "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'", "Referrer-Policy": "no-referrer"}
    assert _missing_headers(response(good)) == []
    short = {**good, "Strict-Transport-Security": "max-age=300"}
    assert _missing_headers(response(short)) == ["Strict-Transport-Security (max-age 300 < 31536000)"]
    assert len(_missing_headers(response({}))) == 4


def test_internal_addresses_skip_the_targets_own_and_public_ones() -> None:
    text = "upstream 10.1.2.3:8080 via 127.0.0.1 and 8.8.8.8 at api.orchestrator.svc.cluster.local"
    assert _internal_addresses(text, {"127.0.0.1"}) == {"10.1.2.3", "api.orchestrator.svc.cluster.local"}


def test_similarity_is_bounded_and_tells_pages_apart() -> None:
    assert _similar("a" * 100_000, "a" * 100_000)
    assert not _similar('{"status":"UP"}', "<!doctype html>" + "x" * 500)


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.parametrize(("argv", "message"), [
    (["audit", "http://example.test"], "is not an https:// URL"),
    (["audit", "https://example.test/path"], "must be an origin only"),
    (["audit", "https://example.test", "--http-url", "https://example.test"], "--http-url"),
    (["audit", "https://example.test", "--insecure", "--ca-file", "ca.pem"], "exclude each other"),
    (["audit", "https://example.test", "--burst", "5000"], "--burst 5000 is out of range"),
    (["audit", "https://example.test", "--min-score", "101"], "--min-score 101 is out of range"),
    (["audit", "https://example.test", "--ca-file", "/nonexistent.pem"], "--ca-file /nonexistent.pem"),
])
def test_usage_errors_exit_2_in_one_line(argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_an_unreachable_url_exits_2_in_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["audit", f"https://127.0.0.1:{_closed_port()}", "--timeout", "2"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: cannot reach https://127.0.0.1:") and err.count("\n") == 1
