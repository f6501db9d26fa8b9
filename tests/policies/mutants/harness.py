"""The mutation harness: every operator of every `ops_*.py` module beside this file, applied to the
shipped stacks' exports, judged by ONE policy-pack process over the analyzer protocol.

A mutant changes a few resources of a ~170-resource export; the pack answers each Analyze request
it has already answered from its memo (offline.gate.analyzer), so a mutant costs its changed resources
plus the two AnalyzeStack calls (inputs and outputs), not a whole gate run.

    .venv/bin/python -m tests.policies.mutants.harness --count    # operators and mutants
"""

from __future__ import annotations

import argparse
import copy
import importlib
import pkgutil
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from offline.gate.analyzer import PolicyPackProcess
from offline.gate.engine import PACK_DIR, PolicyConfig, Report, Violation, choose_config, judge, resolve_config
from offline.gate.exportfile import resources_of, stack_from_deployment, validate
from tests.policies.mutants.model import SHIPPED_STACKS, Export, Mutation

HERE = Path(__file__).resolve().parent
REFUSED = "gate-refused"
"""The `rule` of an operator whose export the gate must refuse (exit 2) with `message` in the line."""


def operator_modules() -> list[str]:
    return sorted(m.name for m in pkgutil.iter_modules([str(HERE)]) if m.name.startswith("ops_"))


def load_operators() -> list[Mutation]:
    """Every operator, discovered by import; names must be unique."""
    operators: list[Mutation] = []
    for name in operator_modules():
        module = importlib.import_module(f"tests.policies.mutants.{name}")
        operators.extend(getattr(module, "OPERATORS", []))
    names = [o.name for o in operators]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValueError(f"mutation operator names are not unique: {duplicates}")
    return operators


@dataclass(frozen=True)
class Mutant:
    operator: Mutation
    stack: str

    @property
    def id(self) -> str:
        return f"{self.operator.name}@{self.stack}"


def mutants(operators: list[Mutation] | None = None) -> list[Mutant]:
    """Every (operator, stack) pair, grouped by stack (the pack is reconfigured once per stack)."""
    operators = load_operators() if operators is None else operators
    return [Mutant(op, stack) for stack in SHIPPED_STACKS for op in operators if stack in op.stacks]


def build_export(stack: str) -> Export:
    from offline.runner.export import to_deployment
    from offline.runner.program import run_program
    from offline.runner.stacks import load_stack

    return to_deployment(run_program(load_stack(stack)))


class Harness:
    """One pack process; each shipped stack's export built once; mutants judged in turn."""

    def __init__(self, pack: PolicyPackProcess) -> None:
        self.pack = pack
        self.exports: dict[str, Export] = {}
        self._configured: str | None = None
        self._config: PolicyConfig | None = None

    def export(self, stack: str) -> Export:
        if stack not in self.exports:
            self.exports[stack] = build_export(stack)
        return self.exports[stack]

    def check(self, stack: str, export: Export) -> Report:
        """The gate's verdict on `export` with `stack`'s policy configuration (as `check --state
        FILE --stack STACK`): the export is validated first, as the CLI reads it."""
        validate(export, f"{stack} export")
        assert self.pack.info is not None
        choice = choose_config(stack)
        if self._configured != stack:
            self._config = resolve_config(self.pack.info, choice.raw, choice.source, choice.environment)
            self.pack.configure(self._config.levels, self._config.properties)
            self._configured = stack
        assert self._config is not None
        found, _ = stack_from_deployment(export)
        return judge(self.pack, resources_of(export), self._config, stack=found, choice=choice)

    def mutate(self, mutant: Mutant) -> tuple[Export, str | None]:
        export = copy.deepcopy(self.export(mutant.stack))
        return export, mutant.operator.apply(export)


def root_urn(export: Export) -> str:
    return next(r["urn"] for r in resources_of(export) if r.get("type") == "pulumi:pulumi:Stack")


def caught_by(report: Report, mutation: Mutation, urn: str) -> list[Violation]:
    """The violations of `mutation`'s rule on `urn` whose message names the defect."""
    wanted = mutation.message.lower()
    return [v for v in report.violations if v.policy == mutation.rule and v.urn == urn and wanted in v.message.lower()]


def caught(report: Report, mutation: Mutation, urn: str) -> bool:
    return bool(caught_by(report, mutation, urn))


def describe(report: Report) -> str:
    lines = [f"{v.policy} on {v.urn}: {v.message}" for v in report.violations]
    lines += [f"unverifiable {u.policy} on {u.urn}: {u.path}" for u in report.unverifiable]
    lines += [f"crashed {p} on {u}: {e}" for p, u, e in report.crashes]
    return "\n".join(lines) or "(no finding)"


def start_pack() -> PolicyPackProcess:
    pack = PolicyPackProcess(PACK_DIR, project="orchestrator", stack="production")
    pack.start()
    return pack


def session() -> Iterator[Harness]:
    pack = start_pack()
    try:
        yield Harness(pack)
    finally:
        pack.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.policies.mutants.harness", description=__doc__.splitlines()[0])
    parser.add_argument("--count", action="store_true", help="print the number of operators and mutants")
    args = parser.parse_args(argv)
    operators = load_operators()
    if args.count:
        rules = {o.rule for o in operators}
        print(f"{len(operators)} mutation operators ({len(operator_modules())} modules, {len(rules)} rules), "
              f"{len(mutants(operators))} mutants over {len(SHIPPED_STACKS)} shipped stacks")
    return 0


if __name__ == "__main__":
    sys.exit(main())
