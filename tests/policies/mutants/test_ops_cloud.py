"""The AWS and Azure mutation operators: unique, and every security rule of the cloud modules has some.
`test_mutants.py` runs each of them through the gate (both property bags, secrets redacted, the stack's
policy configuration) and asserts the intended rule names the defect on the intended resource."""

from __future__ import annotations

import copy

from tests.policies.mutants import ops_aws, ops_azure, ops_cloud_round4
from tests.policies.mutants.harness import build_export
from tests.policies.mutants.model import resources

OPERATORS = [*ops_aws.OPERATORS, *ops_azure.OPERATORS, *ops_cloud_round4.OPERATORS]
CLOUD_RULES = {op.rule for op in OPERATORS}


def test_operator_names_are_unique() -> None:
    names = [op.name for op in OPERATORS]
    assert len(names) == len(set(names))


def test_every_cloud_rule_has_operators() -> None:
    from policies.rules import aws, aws_iam, azure
    from policies.rules.common import MANDATORY_SEVERITIES

    # A medium finding alone does not fail the gate (production passes above 90 with no high or critical), so a
    # mutant must break a rule that fails it: every high or critical cloud rule has operators.
    failing = {p.meta.name for module in (aws, aws_iam, azure) for p in module.POLICIES  # type: ignore[attr-defined]
               if p.meta.severity in MANDATORY_SEVERITIES}  # type: ignore[attr-defined]
    assert failing <= CLOUD_RULES, sorted(failing - CLOUD_RULES)


def test_every_resource_rule_is_proven_on_each_type_the_program_declares() -> None:
    """For each resource rule and each type of the program's own resources it applies to, some operator breaks
    a resource of that type in the shipped export and is caught there (test_mutants runs them)."""
    from policies.rules import aws, aws_iam, azure

    proven: set[tuple[str, str]] = set()
    declared: dict[str, set[str]] = {}
    for stack in ("production", "production-azure"):
        export = build_export(stack)
        by_urn = {r["urn"]: r["type"] for r in resources(export)}
        declared[stack] = set(by_urn.values())
        for op in OPERATORS:
            if stack in op.stacks:
                mutated = copy.deepcopy(export)
                urn = op.apply(mutated)
                types = {r["urn"]: r["type"] for r in resources(mutated)}
                if urn in types:
                    proven.add((op.rule, types[urn]))
    missing = []
    for policy in (*aws.POLICIES, *aws_iam.POLICIES, *azure.POLICIES):
        applies = getattr(policy, "applies", None)
        if applies is None or policy.meta.name not in CLOUD_RULES:  # type: ignore[attr-defined]
            continue
        for types in declared.values():
            missing += [(policy.meta.name, t) for t in sorted(types)  # type: ignore[attr-defined]
                        if applies(t) and (policy.meta.name, t) not in proven]  # type: ignore[attr-defined]
    assert missing == [], missing
