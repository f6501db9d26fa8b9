"""`python -m ops loadtest`: the SLO evaluation on recorded locust results, the guards, and a short real run."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from components.config import parse
from offline.runner.stacks import ROOT, load_stack
from ops.cli import main
from ops.loadtest import MIN_THROUGHPUT_RPS, Slo, evaluate
from tests.ops.test_audit_live import Edge, certificate, start_edge  # noqa: F401 - fixtures

DATA = Path(__file__).parent / "data"
SLO = Slo(max_p95_ms=200, max_error_rate=0.001, min_rps=1000)


def recorded(name: str) -> object:
    return json.loads((DATA / f"locust_results_{name}.json").read_text())


def test_a_recorded_run_within_the_slos_passes() -> None:
    report = evaluate(recorded("pass"), SLO)
    assert report.missed == []
    assert (report.requests, report.failures) == (62031, 31)
    assert (report.p50_ms, report.p95_ms, report.p99_ms) == (18, 140, 190)
    assert report.throughput == pytest.approx(62031 / 60)
    assert report.error_rate == pytest.approx(31 / 62031)
    assert report.by_status == {"200": 62000, "503": 31}


def test_a_recorded_run_that_misses_names_each_slo() -> None:
    report = evaluate(recorded("miss"), SLO)
    assert report.p95_ms == 240
    assert [m.split(" ", 2)[:2] for m in report.missed] == [["P95", "240"], ["error", "rate"], ["250", "answers"]]
    assert "is above 200 ms" in report.missed[0]
    assert "429" in report.missed[2]


def test_throughput_below_the_floor_is_a_miss() -> None:
    report = evaluate(recorded("pass"), Slo(max_p95_ms=200, max_error_rate=0.001, min_rps=2000))
    assert report.missed == [f"throughput {62031 / 60:.1f} req/s is below 2000.0 req/s"]


def test_no_request_at_all_is_a_miss_not_a_pass() -> None:
    report = evaluate([], SLO)
    assert report.missed == ["no request completed"]
    assert math.isnan(report.p95_ms)


def test_cli_on_recorded_results_uses_the_stacks_thresholds(capsys: pytest.CaptureFixture[str]) -> None:
    spec = load_stack("production")
    rollout = parse(spec.namespace(), spec.name).rollout
    assert main(["loadtest", "--results", str(DATA / "locust_results_pass.json"), "--format", "json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["slo"] == {"max_p95_ms": rollout.max_p95_seconds * 1000, "max_error_rate": rollout.max_error_rate,
                             "min_rps": MIN_THROUGHPUT_RPS}
    assert result["latency_ms"]["p95"] == 140
    assert main(["loadtest", "--results", str(DATA / "locust_results_miss.json")]) == 1
    text = capsys.readouterr().out
    assert "FAILED" in text and "missed: P95 240 ms is above 200 ms" in text
    # A looser threshold on the command line turns the same recording into a pass on latency.
    assert main(["loadtest", "--results", str(DATA / "locust_results_miss.json"), "--max-p95-ms", "300",
                 "--max-error-rate", "0.01", "--format", "json"]) == 1
    assert [m.split(" ")[1] for m in json.loads(capsys.readouterr().out)["missed"]] == ["answers"]


@pytest.mark.parametrize(("argv", "message"), [
    (["loadtest", "https://203.0.113.10"], "203.0.113.10 is not a loopback address"),
    (["loadtest", "https://127.0.0.1:8443", "--duration", "3600"], "--duration 3600 is out of range"),
    (["loadtest", "https://127.0.0.1:8443", "--rate", "0"], "--rate 0 is out of range"),
    (["loadtest", "https://127.0.0.1:8443", "--users", "5000"], "--users 5000 is out of range"),
    (["loadtest", "https://127.0.0.1:8443/api?x=1"], "is not an http(s) origin"),
    (["loadtest"], "give the URL to load"),
    (["loadtest", "--results", "/nonexistent.json"], "--results /nonexistent.json: not a file"),
])
def test_refusals_are_one_line_and_exit_2(argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err
    assert err.count("\n") == 1


def test_malformed_results_are_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps([{"name": "/ [200]", "num_requests": "many"}]))
    assert main(["loadtest", "--results", str(bad)]) == 2
    assert "not locust --json-file statistics" in capsys.readouterr().err


@pytest.mark.slow
def test_a_short_real_run_against_haproxy_reports_figures_and_misses_an_impossible_floor(
    start_edge: Callable[..., Edge],  # noqa: F811 - the fixture imported above
) -> None:
    edge = start_edge(overrides={"edge.rateLimit": {"requests": 1_000_000, "windowSeconds": 10}})
    done = subprocess.run(
        [sys.executable, "-m", "ops", "loadtest", edge.url, "--ca-file", str(edge.certificate.cert),
         "--rate", "20", "--users", "4", "--duration", "3", "--min-rps", "100000", "--max-p95-ms", "10000",
         "--format", "json"],
        cwd=ROOT, capture_output=True, text=True, timeout=180, check=False,
    )
    assert done.returncode == 1, done.stderr
    result = json.loads(done.stdout)
    assert result["requests"] >= 4, result  # every user completed requests (the machine may be busy)
    assert result["failures"] == 0
    assert set(result["by_status"]) == {"200"}
    assert 0 < result["latency_ms"]["p50"] <= result["latency_ms"]["p95"] <= result["latency_ms"]["p99"]
    assert result["throughput_rps"] > 0
    # Paced and bounded: about 20 req/s for 3 s, whatever the machine's speed (catch-up bursts included).
    assert result["requests"] <= 20 * 3 + 4 + 10
    assert len(result["missed"]) == 1
    assert result["missed"][0].startswith("throughput ") and result["missed"][0].endswith("is below 100000.0 req/s")
