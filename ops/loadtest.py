"""`python -m ops loadtest URL`: a bounded locust run at a fixed request rate, judged against the SLOs.

Locust runs headless in a child process (it monkey-patches the standard library with gevent, which
must not leak into this process) with `ops/loadtest_locustfile.py`; its `--json-file` statistics are
evaluated here: P50/P95/P99 from the merged latency histograms, throughput over the run, error rate.
The same evaluation reads a recorded run (`--results`), e.g. from a distributed master/worker run.

SLO thresholds: P95 latency and error rate are the stack's `rollout.maxP95Milliseconds` and
`rollout.maxErrorRatePercent` (the numbers the rollout's health gate also uses); the throughput floor is
`MIN_THROUGHPUT_RPS` below. Every run is bounded: duration, users and rate have hard caps.
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ops import OpsError, UsageError

MIN_THROUGHPUT_RPS = 1000.0
"""The service's throughput SLO: more than 1000 requests per second."""
MAX_DURATION_SECONDS = 600
MAX_USERS = 1000
MAX_RATE = 5000.0
LOCUSTFILE = Path(__file__).with_name("loadtest_locustfile.py")
RESULTS_LIMIT = 50 * 1024 * 1024


@dataclass(frozen=True)
class Slo:
    max_p95_ms: float
    max_error_rate: float
    min_rps: float


@dataclass
class LoadReport:
    requests: int
    failures: int
    seconds: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    by_status: dict[str, int]
    slo: Slo
    missed: list[str] = field(default_factory=list)

    @property
    def throughput(self) -> float:
        return self.requests / self.seconds if self.seconds > 0 else 0.0

    @property
    def error_rate(self) -> float:
        return self.failures / self.requests if self.requests else 1.0

    @property
    def passed(self) -> bool:
        return not self.missed

    def as_dict(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "requests": self.requests,
            "failures": self.failures,
            "seconds": round(self.seconds, 3),
            "throughput_rps": round(self.throughput, 2),
            "error_rate": round(self.error_rate, 6),
            "latency_ms": {"p50": self.p50_ms, "p95": self.p95_ms, "p99": self.p99_ms},
            "by_status": self.by_status,
            "slo": {"max_p95_ms": self.slo.max_p95_ms, "max_error_rate": self.slo.max_error_rate,
                    "min_rps": self.slo.min_rps},
            "missed": self.missed,
        }


def _percentile(histogram: dict[float, int], total: int, quantile: float) -> float:
    if total == 0:
        return math.nan
    wanted = quantile * total
    seen = 0
    for value in sorted(histogram):
        seen += histogram[value]
        if seen >= wanted:
            return value
    return max(histogram)


def evaluate(stats: Any, slo: Slo) -> LoadReport:
    """Locust's `--json-file` statistics (a list of per-request-name entries) against the SLOs."""
    if not isinstance(stats, list) or not all(isinstance(e, dict) for e in stats):
        raise UsageError("the results are not locust --json-file statistics (a JSON list of request entries)")
    histogram: dict[float, int] = {}
    requests = failures = 0
    start, end = math.inf, -math.inf
    by_status: dict[str, int] = {}
    try:
        for entry in stats:
            count = int(entry["num_requests"])
            requests += count
            failures += int(entry["num_failures"])
            name = str(entry.get("name", ""))
            status = name.rsplit("[", 1)[-1].rstrip("]") if name.endswith("]") else "unknown"
            by_status[status] = by_status.get(status, 0) + count
            for value, hits in dict(entry["response_times"]).items():
                histogram[float(value)] = histogram.get(float(value), 0) + int(hits)
            if count:
                start = min(start, float(entry["start_time"]))
                end = max(end, float(entry["last_request_timestamp"]))
    except (KeyError, TypeError, ValueError) as error:
        raise UsageError(f"the results are not locust --json-file statistics: {type(error).__name__} {error}") from None
    seconds = max(end - start, 0.0) if requests else 0.0
    measured = sum(histogram.values())
    report = LoadReport(
        requests=requests, failures=failures, seconds=seconds,
        p50_ms=_percentile(histogram, measured, 0.50), p95_ms=_percentile(histogram, measured, 0.95),
        p99_ms=_percentile(histogram, measured, 0.99), by_status=dict(sorted(by_status.items())), slo=slo,
    )
    if requests == 0:
        report.missed.append("no request completed")
        return report
    if not report.p95_ms <= slo.max_p95_ms:
        report.missed.append(f"P95 {report.p95_ms:.0f} ms is above {slo.max_p95_ms:.0f} ms")
    if report.error_rate > slo.max_error_rate:
        report.missed.append(f"error rate {report.error_rate:.3%} is above {slo.max_error_rate:.3%}")
    if report.throughput < slo.min_rps:
        report.missed.append(f"throughput {report.throughput:.1f} req/s is below {slo.min_rps:.1f} req/s")
    rate_limited = by_status.get("429", 0)
    if rate_limited:
        report.missed.append(
            f"{rate_limited} answers were 429: the edge's per-client rate limit, not the service's capacity "
            "(run from allow-listed sources, more workers, or with edge.rateLimit raised for the test)")
    return report


def render_text(report: LoadReport, target: str) -> str:
    lines = [
        f"Load test of {target}: {'PASSED' if report.passed else 'FAILED'}",
        f"  requests {report.requests} in {report.seconds:.1f} s, throughput {report.throughput:.1f} req/s "
        f"(SLO >= {report.slo.min_rps:g})",
        f"  latency P50 {report.p50_ms:g} ms, P95 {report.p95_ms:g} ms (SLO <= {report.slo.max_p95_ms:g}), "
        f"P99 {report.p99_ms:g} ms",
        f"  error rate {report.error_rate:.3%} (SLO <= {report.slo.max_error_rate:.3%}); answers "
        + ", ".join(f"{status}: {count}" for status, count in report.by_status.items()),
    ]
    lines.extend(f"  missed: {reason}" for reason in report.missed)
    return "\n".join(lines) + "\n"


# --- the command --------------------------------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("url", nargs="?", help="the HTTPS (or HTTP) origin to load, e.g. https://127.0.0.1:8443")
    parser.add_argument("--stack", default="production", help="stack whose SLO thresholds apply (default production)")
    parser.add_argument("--rate", type=float, default=MIN_THROUGHPUT_RPS,
                        help=f"offered requests per second (default {MIN_THROUGHPUT_RPS:g}, the SLO; at most {MAX_RATE:g})")
    parser.add_argument("--duration", type=int, default=60,
                        help=f"seconds of load (default 60, at most {MAX_DURATION_SECONDS})")
    parser.add_argument("--users", type=int, help=f"concurrent users (default rate/10, at most {MAX_USERS})")
    parser.add_argument("--path", action="append", help="path to request, repeatable (default /)")
    parser.add_argument("--ca-file", help="verify the certificate against this CA bundle (PEM)")
    parser.add_argument("--insecure", action="store_true", help="skip certificate verification")
    parser.add_argument("--max-p95-ms", type=float,
                        help="override the P95 threshold (default: the stack's rollout.maxP95Milliseconds)")
    parser.add_argument("--max-error-rate", type=float,
                        help="override the error-rate threshold, a fraction (default: rollout.maxErrorRatePercent / 100)")
    parser.add_argument("--min-rps", type=float, help=f"override the throughput floor (default {MIN_THROUGHPUT_RPS:g})")
    parser.add_argument("--yes-this-is-my-endpoint", action="store_true",
                        help="allow a target that is not loopback (only load what you own)")
    parser.add_argument("--results", help="evaluate a recorded locust --json-file instead of running load")
    parser.add_argument("--format", choices=["text", "json"], default="text", help="output format")
    parser.set_defaults(handler=run)


def slo_for(args: argparse.Namespace) -> Slo:
    from components.config import parse
    from offline.runner.stacks import load_stack

    spec = load_stack(args.stack)
    rollout = parse(spec.namespace(), spec.name).rollout
    slo = Slo(
        max_p95_ms=args.max_p95_ms if args.max_p95_ms is not None else rollout.max_p95_seconds * 1000,
        max_error_rate=args.max_error_rate if args.max_error_rate is not None else rollout.max_error_rate,
        min_rps=args.min_rps if args.min_rps is not None else MIN_THROUGHPUT_RPS,
    )
    if slo.max_p95_ms <= 0 or not 0 <= slo.max_error_rate <= 1 or slo.min_rps < 0:
        raise UsageError("--max-p95-ms must be > 0, --max-error-rate within 0..1, --min-rps >= 0")
    return slo


def _check_target(args: argparse.Namespace) -> str:
    import urllib.parse

    from ops.audit.probe import is_loopback

    url = args.url
    try:
        parts = urllib.parse.urlsplit(url)
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError as error:
        raise UsageError(f"'{url}' is not a URL ({error})") from None
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.path not in ("", "/") or parts.query:
        raise UsageError(f"'{url}' is not an http(s) origin such as https://127.0.0.1:8443 (no path or query)")
    if not is_loopback(parts.hostname) and not args.yes_this_is_my_endpoint:
        raise UsageError(f"{parts.hostname} is not a loopback address; load only endpoints you own and confirm "
                         "with --yes-this-is-my-endpoint")
    return url.rstrip("/")


def _bounded(args: argparse.Namespace) -> tuple[float, int, int]:
    if not 0 < args.rate <= MAX_RATE:
        raise UsageError(f"--rate {args.rate:g} is out of range; use more than 0 and at most {MAX_RATE:g} req/s "
                         "(beyond one machine, run locust's master/worker mode: docs/loadtest.md)")
    if not 1 <= args.duration <= MAX_DURATION_SECONDS:
        raise UsageError(f"--duration {args.duration} is out of range; use 1 to {MAX_DURATION_SECONDS} seconds")
    users = args.users if args.users is not None else max(1, min(MAX_USERS, math.ceil(args.rate / 10)))
    if not 1 <= users <= MAX_USERS:
        raise UsageError(f"--users {users} is out of range; use 1 to {MAX_USERS}")
    return args.rate, args.duration, users


def run_locust(url: str, *, rate: float, duration: int, users: int, paths: list[str],
               ca_file: str | None, insecure: bool, workdir: Path) -> Any:
    results = workdir / "results.json"
    command = [
        sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless", "--only-summary",
        "-u", str(users), "-r", str(users), "-t", f"{duration}s", "--stop-timeout", "5",
        "-H", url, "--user-rps", f"{rate / users:.6f}", "--paths", ",".join(paths),
        "--json-file", str(results.with_suffix("")), "--loglevel", "WARNING", "--exit-code-on-error", "0",
    ]
    if ca_file:
        command += ["--ca-file", ca_file]
    if insecure:
        command += ["--tls-insecure"]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=duration + 120, check=False, cwd=workdir)
    except subprocess.TimeoutExpired:
        raise OpsError(f"locust did not finish within {duration + 120} s") from None
    if done.returncode != 0 or not results.exists():
        tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
        raise OpsError(f"locust failed (exit {done.returncode}): {tail[0]}")
    return json.loads(results.read_text())


def run(args: argparse.Namespace) -> int:
    slo = slo_for(args)
    if args.results:
        path = Path(args.results)
        if not path.is_file() or path.stat().st_size > RESULTS_LIMIT:
            raise UsageError(f"--results {path}: not a file of at most {RESULTS_LIMIT // 1024 // 1024} MiB")
        try:
            stats = json.loads(path.read_text())
        except (ValueError, UnicodeDecodeError) as error:
            raise UsageError(f"--results {path}: not JSON ({error})") from None
        target = str(path)
    else:
        if not args.url:
            raise UsageError("give the URL to load, or --results FILE to evaluate a recorded run")
        target = _check_target(args)
        if args.insecure and args.ca_file:
            raise UsageError("--insecure and --ca-file exclude each other")
        rate, duration, users = _bounded(args)
        paths = args.path or ["/"]
        if any(not p.startswith("/") or "," in p or len(p) > 2048 for p in paths):
            raise UsageError("--path takes a path starting with / (no commas)")
        with tempfile.TemporaryDirectory(prefix="loadtest-") as workdir:
            stats = run_locust(target, rate=rate, duration=duration, users=users, paths=paths,
                               ca_file=args.ca_file, insecure=args.insecure, workdir=Path(workdir))
    report = evaluate(stats, slo)
    if args.format == "json":
        sys.stdout.write(json.dumps({"target": target, **report.as_dict()}, indent=2) + "\n")
    else:
        sys.stdout.write(render_text(report, target))
    return 0 if report.passed else 1
