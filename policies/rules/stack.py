"""Stack-level rules: blue/green consistency and protection of stateful resources."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pulumi_policy import PolicyResource, Severity

from . import verify
from .common import INDEPENDENT, Meta, Stack, get, number, stack_rule, truthy
from .haproxy import Config
from .k8s_objects import CONFIGMAP, NOT_BLIND, SLOTS, Blind, derive
from .k8s_stack import Cluster, app_workloads, doubtful_deployments

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
            slot = next((s for s in SLOTS if verify.pattern(rf"(^|[^a-z]){s}([^a-z]|$)").search(name)), None)
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


def _slots(cluster: Cluster) -> set[str]:
    """Slots with a Deployment the pack can see (a Deployment whose labels are blind is a doubt, not a slot)."""
    return {str(w.slot) for w in app_workloads(cluster)}


def _blind_deployments(cluster: Cluster) -> Blind:
    out = NOT_BLIND
    for doubt in doubtful_deployments(cluster):
        out = out | doubt.blind
    return out


def _release(stack: Stack) -> tuple[Any, float | None]:
    """The stack's active slot and canary weight (its outputs), read afresh by each piece that uses them."""
    active = stack.output("activeSlot")
    verify.needs_value(active)
    return active, number(stack.output("canaryWeight"))


def _haproxy_configs(stack: Stack) -> tuple[list[tuple[PolicyResource, str]], Blind]:
    """ConfigMaps carrying `haproxy.cfg`, and the blind values of those whose data the pack cannot read."""
    configs: list[tuple[PolicyResource, str]] = []
    blind = NOT_BLIND
    for config in stack.of(CONFIGMAP):
        def text(config: PolicyResource = config) -> Any:
            value = get(config.props, "data", "haproxy.cfg")
            verify.needs_value(value)
            return value
        value, unread = derive(text, config.props)
        if unread:
            blind = blind | unread
        elif isinstance(value, str):
            configs.append((config, value))
    return configs, blind


@stack_rule(blue_green)
def stack_blue_green_consistent(stack: Stack) -> Iterator[tuple[str, str | None]]:
    # Each piece reads what its finding depends on (the outputs, the blind Deployments and ConfigMaps): a value
    # the rule cannot judge then withholds exactly the findings it could have changed (see `stack_rule`).
    cluster = Cluster.of(stack)
    configs, blind_configs = _haproxy_configs(stack)
    slots = _slots(cluster)
    if not slots and not doubtful_deployments(cluster) and stack.output("activeSlot") is None \
            and not configs and not blind_configs:
        return  # not a blue/green stack
    for slot in SLOTS:
        yield INDEPENDENT
        if slot not in slots:
            _blind_deployments(cluster).replay()  # a Deployment whose labels are blind may be that slot's
            yield f"no Deployment for the {slot} slot", None
    yield INDEPENDENT
    active, canary = _release(stack)
    if active is not None and str(active) not in slots:
        _blind_deployments(cluster).replay()
        yield f"the active slot {active} has no Deployment", None
    yield INDEPENDENT
    active, canary = _release(stack)
    if canary is not None and canary not in CANARY_WEIGHTS:
        shown = int(canary) if canary.is_integer() else canary
        yield f"canaryWeight {shown} is not one of {CANARY_WEIGHTS}", None
    yield INDEPENDENT
    if not configs:
        blind_configs.replay()  # a ConfigMap whose data is blind may carry the configuration
        yield "no HAProxy config routes between the slots", None
    for config, text in configs:
        yield INDEPENDENT  # each configuration is judged on its own weights and the outputs
        weights = _slot_weights(text)
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
    "aws:elasticache/cluster:Cluster": None,
    "aws-native:rds:DbInstance": "deletionProtection",
    "aws-native:rds:DbCluster": "deletionProtection",
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
