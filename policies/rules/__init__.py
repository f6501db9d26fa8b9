"""The rules of the orchestrator policy pack, grouped by target.

Relative imports only: the engine runs the pack from its own directory (`rules` is top-level
there), tests and tools import it as `policies.rules`.
"""

from __future__ import annotations

from pulumi_policy import Policy

from . import aws, aws_iam, azure, edge, edge_files, k8s_content, k8s_stack, observability, stack

PACK_NAME = "orchestrator-security"


def all_policies() -> list[Policy]:
    return [*k8s_content.POLICIES, *k8s_stack.POLICIES, *edge.POLICIES, *edge_files.POLICIES, *aws.POLICIES,
            *aws_iam.POLICIES, *azure.POLICIES, *stack.POLICIES, *observability.POLICIES]
