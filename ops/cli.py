"""`python -m ops`: rollouts with health gates, state-backend bootstrap.

Exit codes: 0 done, 1 rolled back / failed / drift found, 2 usage or config error; `rollout` adds
3 stopped (someone else changed the stack), 4 restored after a failed update or error, 5 the restore
itself did not complete, 128+N stopped by signal N (129 SIGHUP, 130 SIGINT, 143 SIGTERM, 141 stdout
closed) after restoring the last good config.
"""

from __future__ import annotations

import argparse
import re
import sys
import traceback
from collections.abc import Callable, Sequence
from typing import NoReturn

from pydantic import ValidationError

from components.config import ConfigError, RolloutConfig, Slot
from offline import OfflineError
from offline.gate.engine import PRODUCTION_SCORE as PRODUCTION_MIN_SCORE
from offline.runner.stacks import ROOT
from ops import OpsError, UsageError
from ops.dryrun import StatefulChangeError
from ops.stackops import StackOperations

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130

StackOperationsFactory = Callable[[argparse.Namespace], StackOperations]


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: {message}\n")


_DURATION = re.compile(r"^([0-9]+)(s|m|h)?$")


def duration(text: str) -> int:
    """`90`, `90s`, `5m`, `1h` -> seconds."""
    match = _DURATION.match(text.strip())
    if match is None:
        raise argparse.ArgumentTypeError(f"'{text}' is not a duration; use e.g. 30s, 5m or 1h")
    return int(match.group(1)) * {"s": 1, "m": 60, "h": 3600}[match.group(2) or "s"]


def steps_list(text: str) -> list[int]:
    try:
        return [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a comma-separated list of weights, e.g. 10,25,50,75,100") from None


def _add_rollout(commands: argparse._SubParsersAction[_Parser]) -> None:
    parser = commands.add_parser("rollout", help="canary toward a slot with health gates; finalize or roll back")
    parser.add_argument("stack", help="stack name (Pulumi.<stack>.yaml)")
    parser.add_argument("--to", required=True, choices=[s.value for s in Slot], help="the slot that should end up active")
    parser.add_argument("--steps", type=steps_list, help="canary weights, e.g. 10,25,50,75,100 (default: rollout.steps)")
    parser.add_argument("--bake", type=duration,
                        help="bake after each step, judged whole, e.g. 5m (default: rollout.bakeSeconds; at least 5s)")
    parser.add_argument("--window", type=duration,
                        help="also judge every window of this length during the bake, e.g. 1m (default: rollout.windowSeconds)")
    parser.add_argument("--prometheus-url", help="Prometheus base URL (default: rollout.prometheusUrl)")
    parser.add_argument("--dry-run", action="store_true",
                        help="no deployment: validate and preview every step under the mocks, prove no stateful change")
    parser.add_argument("--quiet", action="store_true", help="do not echo `pulumi up` output")
    verify = parser.add_argument_group("after finalize (a failure rolls back like a failed gate)")
    verify.add_argument("--audit", action=argparse.BooleanOptionalAction, default=None,
                        help="run `python -m ops audit` on the public hostname (default: rollout.audit)")
    verify.add_argument("--audit-url", help="audit this URL instead of https://<edge.hostname>")
    verify.add_argument("--audit-http-url", help="the plain-HTTP URL the audit checks redirects on")
    verify.add_argument("--audit-ca-file", help="private CA bundle the audit verifies the certificate against")
    verify.add_argument("--audit-insecure", action="store_true", help="audit without certificate verification")
    verify.add_argument("--loadtest", action=argparse.BooleanOptionalAction, default=None,
                        help="run `python -m ops loadtest` after the audit (default: rollout.loadtest)")
    verify.add_argument("--loadtest-args", default="",
                        help="extra arguments for `ops loadtest`, e.g. \"--yes-this-is-my-endpoint\"")
    parser.set_defaults(handler=_rollout)


def _add_bootstrap(commands: argparse._SubParsersAction[_Parser]) -> None:
    parser = commands.add_parser("bootstrap", help="create a self-managed Pulumi state backend")
    clouds = parser.add_subparsers(dest="cloud", required=True, parser_class=_Parser)
    aws = clouds.add_parser("aws", help="S3 bucket + KMS key for `pulumi login s3://` and `awskms://` secrets")
    aws.add_argument("--bucket", required=True, help="state bucket name (created if missing)")
    aws.add_argument("--region", required=True, help="AWS region of the bucket and key, e.g. eu-west-3")
    aws.add_argument("--kms-alias", help="KMS alias (default alias/pulumi-<bucket>)")
    aws.add_argument("--noncurrent-days", type=int, default=90, help="keep old state versions this many days (default 90)")
    aws.add_argument("--fix", action="store_true", help="correct drift on an existing bucket or key (default: report only)")
    aws.set_defaults(handler=_bootstrap_aws)


def _add_audit(commands: argparse._SubParsersAction[_Parser]) -> None:
    from ops.audit.checks import DEFAULT_BURST, MAX_BURST

    parser = commands.add_parser("audit", help="security audit of a deployed HTTPS endpoint, scored 0-100")
    parser.add_argument("url", help="the public HTTPS origin, e.g. https://orchestrator.example.com")
    parser.add_argument("--http-url", help="its plain-HTTP origin (default: the same host on port 80)")
    parser.add_argument("--ca-file", help="verify the certificate (host name included) against this CA bundle (PEM)")
    parser.add_argument("--insecure", action="store_true", help="skip certificate verification (reported as a note)")
    parser.add_argument("--expect-waf", action="store_true", help="a WAF is in front: unblocked injection probes are findings")
    parser.add_argument("--min-score", type=int, default=PRODUCTION_MIN_SCORE,
                        help=f"exit 1 below this score (default {PRODUCTION_MIN_SCORE}, the production threshold)")
    parser.add_argument("--rate-limit", type=int,
                        help="the edge's configured requests per client and window: the first 429 must come by request N+1")
    parser.add_argument("--burst", type=int, default=DEFAULT_BURST,
                        help=f"requests of the rate-limit burst when --rate-limit is not given (default {DEFAULT_BURST}, "
                             f"at most {MAX_BURST})")
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds per request (default 10)")
    parser.add_argument("--format", choices=["text", "json", "markdown"], default="text", help="output format")
    parser.set_defaults(handler=_audit)


def _add_loadtest(commands: argparse._SubParsersAction[_Parser]) -> None:
    from ops import loadtest

    loadtest.add_arguments(commands.add_parser(
        "loadtest", help="bounded load at a fixed rate with locust; P50/P95/P99, throughput, errors against the SLOs"))


BUILDERS: list[Callable[[argparse._SubParsersAction[_Parser]], None]] = [_add_rollout, _add_bootstrap, _add_audit,
                                                                        _add_loadtest]


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m ops", description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--debug", action="store_true", help="show tracebacks of unexpected errors")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    for builder in BUILDERS:
        builder(commands)
    return parser


# --- rollout ----------------------------------------------------------------------------------


def _automation(args: argparse.Namespace, echo: Callable[[str], None] | None = None) -> StackOperations:
    from ops.stackops import AutomationStackOperations

    return AutomationStackOperations(args.stack, ROOT, on_output=None if args.quiet else echo)


def _offline(args: argparse.Namespace) -> StackOperations:
    from ops.dryrun import OfflineStackOperations

    return OfflineStackOperations(args.stack)


def rollout_settings(base: RolloutConfig, args: argparse.Namespace) -> RolloutConfig:
    """`rollout:` of the stack with the command-line overrides, validated like the stack file."""
    values = base.model_dump(by_alias=True)
    overrides = {"steps": args.steps, "bakeSeconds": args.bake, "windowSeconds": args.window,
                 "prometheusUrl": args.prometheus_url}
    values.update({key: value for key, value in overrides.items() if value is not None})
    try:
        return RolloutConfig.model_validate(values)
    except ValidationError as error:
        first = error.errors(include_url=False)[0]
        flag = {"steps": "--steps", "bakeSeconds": "--bake", "windowSeconds": "--window",
                "prometheusUrl": "--prometheus-url"}.get(str(first["loc"][0]), str(first["loc"][0]))
        raise UsageError(f"{flag}: {first['msg'].removeprefix('Value error, ')}") from None


class _Echo:
    """`pulumi up` output, routed through the rollout once it exists (it never raises on a closed stdout)."""

    def __init__(self) -> None:
        self.sink: Callable[[str], None] | None = None

    def __call__(self, line: str) -> None:
        if self.sink is not None:
            self.sink(line)


def _rollout(args: argparse.Namespace, factory: StackOperationsFactory | None = None) -> int:
    import shlex

    from ops.health import SkippedGate
    from ops.rollout import Rollout, plan_rollout, post_finalize_checks, prometheus_gate

    rollout_settings(RolloutConfig(), args)  # bad flags fail before any stack is touched
    try:
        loadtest_args = shlex.split(args.loadtest_args)
    except ValueError as error:
        raise UsageError(f"--loadtest-args: {error}") from None
    echo = _Echo()
    if factory is not None:
        ops = factory(args)
    elif args.dry_run:
        ops = _offline(args)
    else:
        ops = _automation(args, echo)
    stack_config = ops.read_config()
    settings = rollout_settings(stack_config.rollout, args)
    config = stack_config.model_copy(update={"rollout": settings})
    target = Slot(args.to)
    gate = prometheus_gate(config, target)
    if args.dry_run:
        print(f"dry run of {args.stack}: nothing is deployed; bake ({settings.bake_seconds}s) and health gate "
              "are skipped")
        plan = plan_rollout(config, args.stack, target, bake_seconds=0)
        result = Rollout(ops, SkippedGate(gate.describe()), plan).run()
        print(f"dry run: {len(plan.steps)} updates validated and previewed; no step changes a stateful resource")
        return result.exit_code
    checks = post_finalize_checks(
        config, stack=args.stack, audit=settings.audit if args.audit is None else args.audit,
        loadtest=settings.loadtest if args.loadtest is None else args.loadtest,
        url=args.audit_url, http_url=args.audit_http_url, ca_file=args.audit_ca_file, insecure=args.audit_insecure,
        loadtest_args=loadtest_args,
    )
    plan = plan_rollout(config, args.stack, target)
    rollout = Rollout(ops, gate, plan, checks=checks, trap_signals=True)
    echo.sink = rollout.echo
    return rollout.run().exit_code


# --- bootstrap --------------------------------------------------------------------------------


def _aws_stacks() -> list[str]:
    from offline.runner.stacks import available_stacks, load_stack

    return [name for name in available_stacks() if load_stack(name).namespace().get("platform") == "aws"]


def _bootstrap_aws(args: argparse.Namespace) -> int:
    from ops.bootstrap_aws import Request, bootstrap, login_commands, normalize_alias, validate_bucket, validate_region

    if not 1 <= args.noncurrent_days <= 3650:
        raise UsageError(f"--noncurrent-days {args.noncurrent_days} is out of range; use 1 to 3650")
    request = Request(
        bucket=validate_bucket(args.bucket),
        region=validate_region(args.region),
        kms_alias=normalize_alias(args.kms_alias, args.bucket),
        fix=args.fix,
        noncurrent_days=args.noncurrent_days,
    )
    print(f"Pulumi state backend: s3://{request.bucket} in {request.region}, key {request.kms_alias}")
    report = bootstrap(request)
    if report.drift:
        print(f"{len(report.drift)} setting(s) differ from what the backend needs; nothing changed. "
              "Rerun with --fix to correct them.")
        return EXIT_FAILED
    changed = len(report.created) + len(report.fixed)
    print("Everything was already in place; nothing changed." if not changed else f"{changed} change(s) made.")
    print("\nNext:")
    for line in login_commands(request, _aws_stacks()):
        print(f"  {line}")
    return EXIT_OK


# --- audit and loadtest -----------------------------------------------------------------------


def _audit(args: argparse.Namespace) -> int:
    from ops.audit.checks import Options, run_audit
    from ops.audit.probe import UnreachableError
    from ops.audit.report import RENDERERS

    if not 0.5 <= args.timeout <= 60:
        raise UsageError(f"--timeout {args.timeout} is out of range; use 0.5 to 60 seconds")
    options = Options(url=args.url, http_url=args.http_url, ca_file=args.ca_file, insecure=args.insecure,
                      expect_waf=args.expect_waf, rate_limit=args.rate_limit, burst=args.burst,
                      min_score=args.min_score, timeout=args.timeout)
    try:
        report = run_audit(options)
    except UnreachableError as error:
        raise UsageError(str(error)) from None
    sys.stdout.write(RENDERERS[args.format](report))
    return EXIT_OK if report.passed else EXIT_FAILED


# --- entry point ------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None, *, factory: StackOperationsFactory | None = None) -> int:
    """`factory` replaces how stack operations are built (tests inject fakes of the Automation API)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as done:
        # argparse's usage errors (already printed as one line) and --help.
        return done.code if isinstance(done.code, int) else EXIT_USAGE
    try:
        if args.handler is _rollout:
            return _rollout(args, factory)
        handler: Callable[[argparse.Namespace], int] = args.handler
        return handler(args)
    except (ConfigError, OfflineError, UsageError) as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except StatefulChangeError as error:
        print(f"dry run REFUSED: {error}", file=sys.stderr)
        return EXIT_FAILED
    except OpsError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as error:  # noqa: BLE001 - a bug: one line, traceback only with --debug
        if args.debug:
            traceback.print_exc()
        else:
            first = str(error).strip().splitlines()[0] if str(error).strip() else ""
            print(f"error: unexpected {type(error).__name__}: {first} (rerun with --debug for the traceback)", file=sys.stderr)
        return EXIT_FAILED
