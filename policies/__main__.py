"""The orchestrator CrossGuard pack: `pulumi preview --policy-pack policies`.

The engine runs this file from the pack directory (`python -m pulumi.policy <engine> <dir>`), so
`rules` is imported as a top-level package; this file only builds the PolicyPack.
"""

import gc
import importlib

from pulumi_policy import EnforcementLevel, PolicyPack

rules = importlib.import_module("rules")
importlib.import_module("rules.decode_once").install()  # performance only: see its docstring
# A request allocates many long-lived containers; the default collector (every 700 allocations) rescans
# them over and over and makes a 10,000-resource stack ~25 % slower. Imports are never garbage.
gc.freeze()
gc.set_threshold(50_000, 20, 10)

PolicyPack(
    name=rules.PACK_NAME,
    policies=rules.all_policies(),
    enforcement_level=EnforcementLevel.ADVISORY,
    description="Security and reliability rules of the orchestrator stacks (Kubernetes, edge, AWS, Azure, stack).",
)
