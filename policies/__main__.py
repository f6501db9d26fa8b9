"""The orchestrator CrossGuard pack: `pulumi preview --policy-pack policies`.

The engine runs this file from the pack directory (`python -m pulumi.policy <engine> <dir>`), so
`rules` is imported as a top-level package; this file only builds the PolicyPack.
"""

import importlib

from pulumi_policy import EnforcementLevel, PolicyPack

rules = importlib.import_module("rules")

PolicyPack(
    name=rules.PACK_NAME,
    policies=rules.all_policies(),
    enforcement_level=EnforcementLevel.ADVISORY,
    description="Security and reliability rules of the orchestrator stacks (Kubernetes, edge, AWS, Azure, stack).",
)
