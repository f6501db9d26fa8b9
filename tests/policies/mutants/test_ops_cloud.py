"""The AWS and Azure mutation operators: unique, and every security rule of the cloud modules has some.
`test_mutants.py` runs each of them through the gate (both property bags, secrets redacted, the stack's
policy configuration) and asserts the intended rule names the defect on the intended resource."""

from __future__ import annotations

from tests.policies.mutants import ops_aws, ops_azure

OPERATORS = [*ops_aws.OPERATORS, *ops_azure.OPERATORS]
CLOUD_RULES = {op.rule for op in OPERATORS}


def test_operator_names_are_unique() -> None:
    names = [op.name for op in OPERATORS]
    assert len(names) == len(set(names))


def test_every_cloud_rule_has_operators() -> None:
    from policies.rules import aws, aws_iam, azure

    rules = {p.meta.name for module in (aws, aws_iam, azure) for p in module.POLICIES}  # type: ignore[attr-defined]
    reliability = {"aws-rds-resilience", "aws-rds-replicas", "aws-redis-ha", "aws-eks-secrets-logs", "aws-secrets-cmk",
                   "aws-rds-force-tls", "azure-pg-resilience"}
    assert rules - reliability <= CLOUD_RULES, sorted(rules - reliability - CLOUD_RULES)
