"""`python -m offline`: preview, export, check, diff and render a stack without the Pulumi CLI.

Exit codes: 0 ok, 1 policy or program failure, 2 usage or config error.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import re
import signal
import sys
import threading
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from offline import OfflineError, missing_dependency
from offline.gate.exportfile import MAX_RESOURCES

CHECK_TIMEOUT = 120
"""Seconds one `check` may spend judging: the shipped stacks take about 2 s, an export at the
resource limit about 5 s; anything past this is refused, never left running."""

if TYPE_CHECKING:
    from offline.gate.analyzer import PolicyPackProcess
    from offline.gate.packstart import StartedPack
    from offline.runner.program import ProgramResult

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2

Handler = Callable[[argparse.Namespace], int]


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # argparse's own usage errors: one line, exit 2.
        self.exit(EXIT_USAGE, f"{self.prog}: {message}\n")


def output_file(text: str) -> Path:
    """An output FILE path, refused before any work when it cannot be written as a file."""
    path = Path(text)
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"{text} is a directory; give a file path")
    _check_parent(path, text)
    return path


def positive_int(text: str) -> int:
    try:
        number = int(text)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive whole number")
    return number


def output_dir(text: str) -> Path:
    """An output DIR path, refused before any work when it is a file or lies under one."""
    path = Path(text)
    if path.exists() and not path.is_dir():
        raise argparse.ArgumentTypeError(f"{text} is a file; give a directory")
    _check_parent(path, text)
    return path


def _check_parent(path: Path, text: str) -> None:
    # The nearest existing ancestor must be a writable directory, or the write fails after the work.
    for parent in path.absolute().parents:
        if parent.exists():
            if not parent.is_dir():
                raise argparse.ArgumentTypeError(f"{text} lies under {parent}, which is a file")
            if not os.access(parent, os.W_OK):
                raise argparse.ArgumentTypeError(f"{text}: {parent} is not writable")
            return


def _add_preview(commands: argparse._SubParsersAction[_Parser]) -> None:
    parser = commands.add_parser("preview", help="run the program under the mocks and print the resource tree")
    parser.add_argument("stack", help="stack name (Pulumi.<stack>.yaml)")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                        help="override an orchestrator config value with Pulumi's --path syntax, e.g. app.activeSlot=green")
    parser.add_argument("--export", type=output_file, metavar="FILE", help="write the deployment (pulumi stack export format)")
    parser.add_argument("--unknowns", action="store_true",
                        help="preview mode: outputs the mocks do not set stay unknown, as in `pulumi preview`")
    parser.add_argument("--no-policy", action="store_true", help="skip the policy pack")
    parser.set_defaults(handler=_preview)


def _preview(args: argparse.Namespace) -> int:
    from offline.runner.export import to_deployment
    from offline.runner.program import run_program
    from offline.runner.stacks import load_stack
    from offline.runner.tree import print_preview

    spec = load_stack(args.stack).with_overrides(args.overrides)
    result = run_program(spec, preview=args.unknowns)
    print_preview(result, sys.stdout)
    deployment = to_deployment(result)
    if args.export:
        args.export.parent.mkdir(parents=True, exist_ok=True)
        args.export.write_text(json.dumps(deployment, indent=2) + "\n", encoding="utf-8")
        print(f"\nExported {len(deployment['deployment']['resources'])} resources to {args.export}")
    if _fresh_cluster(result, spec.namespace()) != EXIT_OK:
        return EXIT_FAILED
    if args.no_policy:
        return EXIT_OK
    from offline.gate.report import preview_summary

    return preview_summary(deployment, spec.name, sys.stdout, preview=args.unknowns)


def _fresh_cluster(result: ProgramResult, namespace_config: dict[str, Any]) -> int:
    """What a fresh cluster would refuse at `pulumi up`: printed, and the preview fails."""
    from offline.fresh.cluster import check

    findings, preinstalled = check(result.resources, namespace_config)
    if preinstalled:
        print(f"\nFirst-deploy prerequisites: CRDs of {', '.join(preinstalled)} already on the cluster "
              "(cluster.preinstalledApiGroups)")
    for finding in findings:
        print(f"\nfresh cluster: {finding.check}: {finding.message}")
    return max(EXIT_FAILED if findings else EXIT_OK, _first_deploy_inputs(result, namespace_config))


def _first_deploy_inputs(result: ProgramResult, namespace_config: dict[str, Any]) -> int:
    """Every Secret, certificate or vault object read by name exists at `up`: printed, and the preview fails."""
    from components.config import STACK_SECRETS, parse
    from offline.fresh import inputs as firstdeploy

    config = parse({k: v for k, v in namespace_config.items() if k not in STACK_SECRETS}, result.stack)
    findings, declared = firstdeploy.check(firstdeploy.from_registrations(result.resources), config)
    for prerequisite in declared:
        print(f"\nFirst-deploy prerequisite: {prerequisite.describe()}")
    for finding in findings:
        print(f"\nfirst deploy: {finding.message}")
    return EXIT_FAILED if findings else EXIT_OK


def _add_config_docs(commands: argparse._SubParsersAction[_Parser]) -> None:
    parser = commands.add_parser("config-docs", help="regenerate docs/config.md from the config model")
    parser.add_argument("--check", action="store_true", help="exit 1 if docs/config.md is stale, write nothing")
    parser.set_defaults(handler=_config_docs)


def _config_docs(args: argparse.Namespace) -> int:
    from offline.docs import config as configdocs

    if args.check:
        current = configdocs.DOCS_PATH.read_text(encoding="utf-8") if configdocs.DOCS_PATH.exists() else ""
        if current != configdocs.render():
            print("docs/config.md is stale: run `python -m offline config-docs`", file=sys.stderr)
            return EXIT_FAILED
        return EXIT_OK
    changed = configdocs.write()
    print(f"docs/config.md {'written' if changed else 'up to date'}")
    return EXIT_OK


def _add_diff(commands: argparse._SubParsersAction[_Parser]) -> None:
    parser = commands.add_parser(
        "diff", help="run the stack as configured and with overrides; list what would change, refuse stateful changes")
    parser.add_argument("stack", help="stack name (Pulumi.<stack>.yaml)")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                        help="override an orchestrator config value (--path syntax), e.g. app.activeSlot=green")
    parser.add_argument("--json", action="store_true", help="print the changes as JSON")
    parser.set_defaults(handler=_diff)


def _diff(args: argparse.Namespace) -> int:
    from dataclasses import asdict

    from offline.diff.compare import diff_programs, print_diff
    from offline.runner.program import run_program
    from offline.runner.stacks import load_stack

    spec = load_stack(args.stack)
    changed = spec.with_overrides(args.overrides)
    diff = diff_programs(run_program(spec), run_program(changed))
    if args.json:
        payload = {"stack": args.stack, "overrides": args.overrides, "changes": [asdict(c) for c in diff.changes]}
        print(json.dumps(payload, indent=2))
    else:
        print_diff(diff, args.overrides, sys.stdout)
    return EXIT_FAILED if diff.stateful_changes else EXIT_OK


def _add_render(commands: argparse._SubParsersAction[_Parser]) -> None:
    parser = commands.add_parser("render", help="write every Kubernetes object as YAML, plus haproxy.cfg and rule files")
    parser.add_argument("stack", help="stack name (Pulumi.<stack>.yaml)")
    parser.add_argument("--out", type=output_dir, required=True, metavar="DIR", help="output directory")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                        help="override an orchestrator config value (--path syntax)")
    parser.set_defaults(handler=_render)


def _render(args: argparse.Namespace) -> int:
    from offline.render.manifests import clear_rendered, render_manifests, write_rendered
    from offline.runner.program import run_program
    from offline.runner.stacks import load_stack

    result = run_program(load_stack(args.stack).with_overrides(args.overrides))
    files = render_manifests(result)
    clear_rendered(args.out)
    written = write_rendered(files, args.out)
    objects = sum(1 for path, _ in files if path.startswith("manifests/"))
    print(f"Rendered {objects} Kubernetes objects and {len(written) - objects - 1} other artifacts to {args.out}")
    return EXIT_OK


def _add_check(commands: argparse._SubParsersAction[_Parser]) -> None:
    parser = commands.add_parser("check", help="run the policy pack on a stack (or a deployment export) and score it")
    parser.add_argument("stack", nargs="?", help="stack name (Pulumi.<stack>.yaml); or use --state")
    parser.add_argument("--state", type=Path, metavar="FILE",
                        help="a deployment export to check instead (ours, or `pulumi stack export` of a real stack)")
    parser.add_argument("--stack", dest="config_stack", metavar="NAME",
                        help="with --state: the shipped stack whose policy config and environment apply "
                             "(default: production's, the strictest; never the export's own stack name)")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                        help="override an orchestrator config value (with STACK), Pulumi's --path syntax")
    parser.add_argument("--unknowns", action="store_true",
                        help="with STACK: preview mode, outputs the mocks do not set stay unknown; values the "
                             "pack cannot evaluate are then reported, not fatal (the engine checks again at up)")
    parser.add_argument("--format", choices=["text", "json", "markdown", "sarif"], default="text")
    parser.add_argument("--output", type=output_file, metavar="FILE", help="write the report to FILE instead of stdout")
    parser.add_argument("--policy-config", type=Path, metavar="FILE",
                        help="Pulumi policy-config JSON applied on top of the shipped one (policies/config/<stack>.json "
                             "of STACK or --stack, else production's): it can add findings, never relax one")
    parser.add_argument("--policy-pack", type=Path, metavar="DIR", help="the pack directory (default: policies)")
    parser.add_argument("--max-resources", type=positive_int, metavar="N", default=MAX_RESOURCES,
                        help=f"with --state: judge an export of up to N resources (default: {MAX_RESOURCES:,})")
    parser.add_argument("--timeout", type=positive_int, metavar="SECONDS", default=CHECK_TIMEOUT,
                        help=f"fail (exit 2) when judging takes longer (default: {CHECK_TIMEOUT} s)")
    parser.set_defaults(handler=_check)


def _adopt(started: StartedPack, stack: str, project: str, pack_dir: Path) -> PolicyPackProcess:
    """Hand the early-started pack to the gRPC client (imported now, while the pack boots)."""
    try:
        from offline.gate import engine as gate

        return gate.spawn_pack(stack, project, pack_dir, started)
    except BaseException:
        started.discard()
        raise


def _check(args: argparse.Namespace) -> int:
    from offline.gate import exportfile as statefile
    from offline.gate import packstart
    from offline.runner.stacks import available_stacks, load_stack

    if (args.stack is None) == (args.state is None):
        raise OfflineError("check needs exactly one of STACK or --state FILE")
    if args.state is not None and (args.overrides or args.unknowns):
        raise OfflineError("--set and --unknowns apply to STACK, not to --state")
    if args.state is None and args.config_stack is not None:
        raise OfflineError("--stack applies to --state; with STACK its own policy config applies")
    pack_dir = args.policy_pack or packstart.PACK_DIR
    # The pack's process boots (~0.15 s) while this process imports the gRPC client, reads the
    # policy config or runs the program: started first, with the standard library only.
    if args.state is not None:
        deployment = statefile.read_state(args.state, args.max_resources)
        stack, project = statefile.stack_from_deployment(deployment)
        config_stack = args.config_stack
        if config_stack is not None:
            from offline.gate.engine import shipped_stack

            shipped_stack(config_stack)
        started = packstart.start_pack(pack_dir, project=project, stack=config_stack or "production")
        pack = _adopt(started, config_stack or "production", project, pack_dir)
    else:
        spec = load_stack(args.stack).with_overrides(args.overrides)
        stack = config_stack = spec.name
        started = packstart.start_pack(pack_dir, project=spec.project, stack=stack)
        pack = _adopt(started, stack, spec.project, pack_dir)
        from offline.runner.export import to_deployment
        from offline.runner.program import run_program

        try:
            deployment = to_deployment(run_program(spec, preview=args.unknowns))
        except BaseException:
            pack.stop()
            raise
    from offline.gate import engine as gate

    pack.set_timeout(args.timeout)
    if args.policy_config is None:
        report = gate.run_gate(deployment, stack=config_stack, pack_dir=pack_dir, pack=pack, preview=args.unknowns)
    else:
        report = _layered_check(deployment, config_stack, args.policy_config, pack, preview=args.unknowns)
    artifact = f"Pulumi.{stack}.yaml" if stack in available_stacks() else "__main__.py"
    from offline.gate.report import render

    text = render(report, args.format, artifact)
    if args.output:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        # Whole or not at all: a reader (a CI upload step) never sees half a report.
        partial = args.output.with_name(f".{args.output.name}.{os.getpid()}.partial")
        try:
            partial.write_text(text, encoding="utf-8")
            os.replace(partial, args.output)
        finally:
            partial.unlink(missing_ok=True)
        print(f"{stack}: {'passed' if report.passed else 'failed'}, score {report.score}/100 -> {args.output}")
    else:
        sys.stdout.write(text)
    return EXIT_OK if report.passed else EXIT_FAILED


def _layered_check(deployment: dict[str, Any], stack: str | None, policy_config: Path, pack: PolicyPackProcess, *,
                   preview: bool) -> Any:
    """`--policy-config FILE` judged on top of the shipped configuration (of --stack, else the strictest):
    the file can add findings and tighten levels, never relax what the shipped configuration enforces."""
    from offline.gate import engine as gate
    from offline.gate.exportfile import resources_of, stack_from_deployment
    from offline.gate.report import layered

    try:
        found, _ = stack_from_deployment(deployment)
        shipped = gate.choose_config(stack)
        custom = gate.choose_config(stack, policy_config)
        # The file's settings over the shipped ones, so the warnings name only what the file changes.
        merged = dict(shipped.raw)
        for name, value in custom.raw.items():
            before = merged.get(name)
            if isinstance(before, dict) and isinstance(value, dict):
                merged[name] = {**before, **value}
            elif isinstance(before, dict) and isinstance(value, str):
                merged[name] = {**before, "enforcementLevel": value}
            else:
                merged[name] = value
        choices = [shipped, dataclasses.replace(custom, raw=merged)]
    except BaseException:
        pack.stop()
        raise
    with pack:
        assert pack.info is not None
        configs = [gate.resolve_config(pack.info, c.raw, c.source, c.environment) for c in choices]
        reports = []
        for choice, config in zip(choices, configs, strict=True):
            pack.configure(config.levels, config.properties)
            reports.append(gate.judge(pack, resources_of(deployment), config, stack=found, choice=choice, preview=preview))
    return layered(reports[0], reports[1], configs[0], configs[1])


def _add_generate(commands: argparse._SubParsersAction[_Parser]) -> None:
    parser = commands.add_parser("generate", help="regenerate every generated file (docs, golden reports)")
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 when any generated file is stale")
    parser.set_defaults(handler=_generate)


def _generate(args: argparse.Namespace) -> int:
    """The one command behind every generated file: docs/config.md, docs/policies.md, golden reports, the
    pinned providers' type tokens."""
    from offline.docs import golden as report_golden
    from offline.docs import policies as report_docs
    from offline.gate import tokens

    flags = ["--check"] if args.check else []
    codes = [_config_docs(args), report_docs.main(flags), report_golden.main(flags), tokens.main(flags)]
    return EXIT_FAILED if any(codes) else EXIT_OK


BUILDERS: list[Callable[[argparse._SubParsersAction[_Parser]], None]] = [
    _add_preview, _add_config_docs, _add_diff, _add_render, _add_check, _add_generate]


def _is_usage_error(error: Exception) -> bool:
    """OfflineError, or the program's ConfigError. The config model (pydantic, the SDK) is imported
    only by the commands that run the program, so `check --state` starts without it; a ConfigError
    can only have been raised if its module is loaded."""
    config = sys.modules.get("components.config")
    return isinstance(error, OfflineError) or (config is not None and isinstance(error, config.ConfigError))


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m offline", description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--debug", action="store_true", help="show tracebacks of unexpected errors")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    for builder in BUILDERS:
        builder(commands)
    for command in commands.choices.values():
        # Accepted after the subcommand too, where users put it; SUPPRESS keeps the global value.
        command.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                             help="show tracebacks of unexpected errors")
    return parser


_CONFIG_ERROR_AT = re.compile(r"^Pulumi\.[^:]+\.yaml: [A-Za-z0-9_-]+:([^ ]+)")


def blame_overrides(message: str, overrides: Sequence[str]) -> str:
    """A config error about a key that `--set` gave names `--set`, not the stack file."""
    match = _CONFIG_ERROR_AT.match(message)
    if match is None:
        return message
    key = match.group(1).rstrip(":;,")
    for item in reversed(overrides):
        path = item.split("=", 1)[0].strip().split(":", 1)[-1]
        if key == path or key.startswith((path + ".", path + "[")) or path.startswith((key + ".", key + "[")):
            # The key only: the message quotes the value already, redacted when the name is secret-like.
            return f"--set {path}: {message.split(': ', 1)[1]}"
    return message


_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _one_line(text: str) -> str:
    """An error line as the terminal must show it: control characters, ANSI escapes, newlines and
    bidirectional overrides (which may come from a file the user named) written as escapes."""
    return _CONTROL.sub(lambda m: "\\n" if m.group(0) == "\n" else f"\\u{ord(m.group(0)):04x}", text)


class Terminated(BaseException):
    """SIGTERM (a cancelled CI job, `kill`): unwinds like Ctrl-C, so the pack is stopped and files are closed."""


def _terminate(signum: int, frame: object) -> None:
    raise Terminated


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    previous = signal.signal(signal.SIGTERM, _terminate) if threading.current_thread() is threading.main_thread() \
        else None
    try:
        handler: Handler = args.handler
        return handler(args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Terminated:
        print("terminated", file=sys.stderr)
        return 128 + signal.SIGTERM
    except Exception as error:  # noqa: BLE001 - a bug: one line, traceback only with --debug
        if _is_usage_error(error):
            line = blame_overrides(str(error), getattr(args, "overrides", None) or [])
            print(f"error: {_one_line(line)}", file=sys.stderr)
            return EXIT_USAGE
        if isinstance(error, ModuleNotFoundError) and (hint := missing_dependency(error, "offline")):
            print(hint, file=sys.stderr)
            return EXIT_USAGE
        if args.debug:
            traceback.print_exc()
        else:
            first = str(error).strip().splitlines()[0] if str(error).strip() else ""
            print(f"error: the program failed: {type(error).__name__}: {_one_line(first)} "
                  "(rerun with --debug, e.g. `python -m offline check --debug ...`, for the traceback)",
                  file=sys.stderr)
        return EXIT_FAILED
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
