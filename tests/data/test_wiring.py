"""What the rest of the stack sees of the data tier: Secrets by name, egress to exactly its ports, slot-proof."""

from __future__ import annotations

import json
from typing import Any

from tests.data.common import children
from tests.data.harness import build_data_tier
from tests.helpers import find, plain, run_stack

DEPLOYMENT = "kubernetes:apps/v1:Deployment"
POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"


def secret_refs(deployment: dict[str, Any]) -> set[str]:
    refs: set[str] = set()
    pod = deployment["spec"]["template"]["spec"]
    for container in pod.get("containers", []) + pod.get("initContainers", []):
        for env in container.get("env", []):
            ref = (env.get("valueFrom") or {}).get("secretKeyRef")
            if ref:
                refs.add(ref["name"])
    return refs


def test_app_deployments_read_the_credentials_secrets_by_name() -> None:
    result = run_stack("local")
    tier = build_data_tier("local")
    expected = {tier.database["credentials_secret"].value, tier.cache["credentials_secret"].value}
    deployments = [plain(r.inputs) for r in find(result, DEPLOYMENT) if r.name in {"app-blue", "app-green"}]
    assert len(deployments) == 2
    for deployment in deployments:
        assert expected <= secret_refs(deployment), deployment["metadata"]["name"]


def test_app_egress_reaches_the_data_tier_on_exactly_its_ports() -> None:
    result = run_stack("local")
    tier = build_data_tier("local")
    egress = [
        rule
        for r in find(result, POLICY) if r.parent.endswith("::app")
        for rule in (plain(r.inputs)["spec"].get("egress") or [])
    ]
    by_peers = {
        json.dumps(rule["to"], sort_keys=True): sorted(p["port"] for p in rule["ports"]) for rule in egress if "to" in rule
    }
    assert by_peers[json.dumps(tier.database["egress_peers"].value, sort_keys=True)] == [5432]
    assert by_peers[json.dumps(tier.cache["egress_peers"].value, sort_keys=True)] == [6379]


def test_slot_switch_changes_nothing_in_the_data_tier() -> None:
    def data_tier(*overrides: str) -> dict[str, Any]:
        result = run_stack("local", *overrides)
        records = children(result, "orchestrator:database:CnpgPostgres") + children(result, "orchestrator:cache:OperatorRedis")
        # Dependency order follows registration timing, not the program: compare as sets.
        return {r.urn: (r.inputs, r.protect, sorted(r.dependencies)) for r in records}

    blue, green = data_tier(), data_tier("app.activeSlot=green")
    assert blue and blue == green
