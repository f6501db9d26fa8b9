"""Stack-level rules: blue/green consistency and protection of stateful resources."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from pulumi_policy import PolicyResource, Severity

from .common import INDEPENDENT, Meta, Stack, get, number, stack_rule, truthy
from .haproxy import Config
from .k8s_objects import CONFIGMAP, DEPLOYMENT, SLOTS, labels, pod_template, slot_of

CANARY_WEIGHTS = (0, 10, 25, 50, 75, 100)

blue_green = Meta(
    name="stack-blue-green-consistent",
    description="Both slots are declared, the active slot's Deployment exists, and HAProxy weights are "
                "100 - canaryWeight for the active slot and canaryWeight for the other.",
    severity=Severity.HIGH,
    categories=("REL",),
    references=("docs/requirements.md: blue/green and canary releases",),
    remediation="Declare a Deployment per slot (label `slot: blue|green`), and render HAProxy `server` lines whose "
                "weights follow `app.activeSlot` and `app.canaryWeight`.",
)


def _slot_weights(text: str) -> dict[str, float]:
    """`server blue ... weight 90` in the backend that carries both slots."""
    config = Config.parse(text)
    for backend in config.of("backend") + config.of("listen"):
        weights: dict[str, float] = {}
        for words in backend.directives("server"):
            name = " ".join(words[1:3]).lower()
            slot = next((s for s in SLOTS if re.search(rf"(^|[^a-z]){s}([^a-z]|$)", name)), None)
            if slot is None:
                continue
            weight = 1.0
            if "weight" in words and words.index("weight") + 1 < len(words):
                weight = number(words[words.index("weight") + 1]) or 0.0
            if "disabled" in words:
                weight = 0.0
            weights[slot] = weights.get(slot, 0.0) + weight
        if weights:
            return weights
    return {}


def _slots(stack: Stack) -> dict[str, list[PolicyResource]]:
    slots: dict[str, list[PolicyResource]] = {}
    for deployment in stack.of(DEPLOYMENT):
        _, metadata = pod_template(deployment.resource_type, deployment.props)
        slot = slot_of(labels(metadata))
        if slot is not None:
            slots.setdefault(slot, []).append(deployment)
    return slots


def _release(stack: Stack) -> tuple[Any, float | None]:
    """The stack's active slot and canary weight (its outputs)."""
    return stack.output("activeSlot"), number(stack.output("canaryWeight"))


@stack_rule(blue_green)
def stack_blue_green_consistent(stack: Stack) -> Iterator[tuple[str, str | None]]:
    # Each finding reads what it depends on just before it is yielded (`_slots`, `_release`): a value the
    # rule cannot judge then withholds exactly the findings it could have changed (see `stack_rule`).
    configs = [c for c in stack.of(CONFIGMAP) if isinstance(get(c.props, "data", "haproxy.cfg"), str)]
    active, canary = _release(stack)
    if not _slots(stack) and active is None and not configs:
        return  # not a blue/green stack
    for slot in SLOTS:
        if slot not in _slots(stack):
            yield f"no Deployment for the {slot} slot", None
    active, canary = _release(stack)
    if active is not None and str(active) not in _slots(stack):
        yield f"the active slot {active} has no Deployment", None
    active, canary = _release(stack)
    if canary is not None and int(canary) not in CANARY_WEIGHTS:
        yield f"canaryWeight {canary} is not one of {CANARY_WEIGHTS}", None
    if not configs:
        yield "no HAProxy config routes between the slots", None
    for config in configs:
        weights = _slot_weights(str(get(config.props, "data", "haproxy.cfg")))
        if set(weights) != set(SLOTS):
            yield f"HAProxy routes to {sorted(weights) or 'no slot'} (need servers for blue and green)", config.urn
            continue
        total = weights["blue"] + weights["green"]
        if total <= 0:
            yield "both slots have weight 0", config.urn
            continue
        shares = {s: round(100 * w / total) for s, w in weights.items()}
        active, canary = _release(stack)
        if active in SLOTS:
            other = "green" if active == "blue" else "blue"
            expected_other = int(canary) if canary is not None else 0
            if shares[other] != expected_other or shares[str(active)] != 100 - expected_other:
                yield f"HAProxy weights are blue {shares['blue']} / green {shares['green']}; expected " \
                      f"{active} {100 - expected_other} / {other} {expected_other}", config.urn
        elif min(shares.values()) not in CANARY_WEIGHTS:
            yield f"HAProxy weights {shares} are not a canary step", config.urn


# The data stores production must protect; the program's copy is offline.diff.stateful_types.DATA_STORE_TYPES
# (a test asserts the two sets are equal). The value names the provider's own deletion protection, if any.
STATEFUL = {
    "aws:rds/instance:Instance": "deletionProtection",
    "aws:rds/cluster:Cluster": "deletionProtection",
    "aws:elasticache/serverlessCache:ServerlessCache": None,
    "aws:memorydb/cluster:Cluster": None,
    "aws:opensearch/domain:Domain": None,
    "azure-native:operationalinsights:Workspace": None,
    "kubernetes:redis.redis.opstreelabs.in/v1beta2:RedisCluster": None,
    "aws:elasticache/replicationGroup:ReplicationGroup": None,
    "aws:kms/key:Key": None,
    "aws:ebs/volume:Volume": None,
    "azure-native:dbforpostgresql:Server": None,
    "azure-native:cache:Redis": None,
    "azure-native:redisenterprise:RedisEnterprise": None,
    "azure-native:redisenterprise:Database": None,
    "azure-native:cache:RedisEnterprise": None,
    "azure-native:keyvault:Vault": None,
    "azure-native:keyvault:Key": None,
    "kubernetes:core/v1:PersistentVolumeClaim": None,
    "kubernetes:core/v1:PersistentVolume": None,
    "kubernetes:apps/v1:StatefulSet": None,
    "kubernetes:postgresql.cnpg.io/v1:Cluster": None,
}

protected = Meta(
    name="stack-stateful-protected",
    description="In production every database, cache, volume and key is protected (`protect`) or deletion-protected.",
    severity=Severity.HIGH,
    categories=("REL",),
    references=("DESIGN: stateful resources are protected",),
    remediation="Create stateful resources with `opts=ResourceOptions(protect=True)` (and `retain_on_delete` where the "
                "data must outlive the stack); set the provider's deletion protection where it has one.",
    config={"environment": {"type": "string", "default": "production",
                            "description": "Only production requires protection."}},
)


@stack_rule(protected)
def stack_stateful_protected(stack: Stack) -> Iterator[tuple[str, str | None]]:
    if not stack.production:
        return
    for type_, flag in STATEFUL.items():
        for resource in stack.of(type_):
            yield INDEPENDENT  # each store is judged on its own settings
            if resource.opts.protect or (flag is not None and truthy(get(resource.props, flag))):
                continue
            yield f"{type_.rsplit(':', 1)[-1]} {resource.name} is neither protected nor deletion-protected", resource.urn


POLICIES = [stack_blue_green_consistent, stack_stateful_protected]
