"""A value a stack rule cannot judge (unknown at preview, a withheld secret) concerns its own resource
and property only: the rule still reports every other resource, says which value it could not
evaluate, and makes no finding up from the value it could not read."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from offline.gate.analyzer import PolicyPackProcess
from tests.policies.conftest import ROOT_URN, resource, root
from tests.policies.edge.cloud_fixtures import FORWARD, front_door
from tests.policies.fixtures import app_stack
from tests.policies.observability.test_observability_rules import COLLECTOR, RELEASE, with_change

UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
CIPHERTEXT = {"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", "ciphertext": "v1:AAAA"}
BLIND = {"unknown": UNKNOWN, "secret": CIPHERTEXT}


Blind = set[tuple[str, str, str]]


def judged(pack: PolicyPackProcess, resources: list[dict[str, Any]], rule: str) -> tuple[dict[str, str], Blind]:
    """(findings of `rule` by resource name, what `rule` could not evaluate as (name, property, reason))."""
    if not any(r["type"] == "pulumi:pulumi:Stack" for r in resources):
        resources = [root(), *resources]
    results = pack.analyze(resources)
    assert not results.crashes, results.crashes

    def name(urn: str) -> str:
        return urn.rsplit("::", 1)[-1] if urn and urn != ROOT_URN else "stack"

    found = {name(d.urn): d.message for d in results.diagnostics if d.policy == rule}
    blind = {(name(u.urn), u.property, u.reason) for u in results.unverified if u.policy == rule}
    return found, blind


def _set(entry: dict[str, Any], path: tuple[str, ...], value: Any) -> dict[str, Any]:
    out = copy.deepcopy(entry)
    for side in ("inputs", "outputs"):
        node = out[side]
        for key in path[:-1]:
            node = node.setdefault(key, {})
        node[path[-1]] = value
    return out


def _stack(**pieces: Any) -> list[dict[str, Any]]:
    return app_stack(**pieces)


def _piece(name: str) -> dict[str, Any]:
    return next(r for r in app_stack() if r["urn"].endswith(f"::{name}") and r["type"] == "kubernetes:apps/v1:Deployment")


@pytest.mark.parametrize("reason", BLIND)
def test_blue_green_makes_no_finding_up_from_labels_it_cannot_read(pack: PolicyPackProcess, reason: str) -> None:
    blue = _set(_piece("app-blue"), ("spec", "template", "metadata", "labels"), BLIND[reason])
    found, blind = judged(pack, _stack(**{"app-blue": blue}), "stack-blue-green-consistent")
    assert found == {}
    assert ("app-blue", "spec.template.metadata.labels", reason) in blind


@pytest.mark.parametrize("reason", BLIND)
def test_blue_green_still_judges_the_weights_beside_a_blind_slot(pack: PolicyPackProcess, reason: str) -> None:
    blue = _set(_piece("app-blue"), ("spec", "template", "metadata", "labels"), BLIND[reason])
    found, blind = judged(pack, _stack(**{"app-blue": blue, "root": root(activeSlot="blue", canaryWeight=25)}),
                          "stack-blue-green-consistent")
    assert found == {"edge-config": "HAProxy weights are blue 100 / green 0; expected blue 75 / green 25"}
    assert ("app-blue", "spec.template.metadata.labels", reason) in blind


@pytest.mark.parametrize("reason", BLIND)
def test_an_unknown_canary_weight_withholds_the_weight_finding(pack: PolicyPackProcess, reason: str) -> None:
    found, blind = judged(pack, _stack(root=root(activeSlot="blue", canaryWeight=BLIND[reason])),
                          "stack-blue-green-consistent")
    assert found == {}
    assert ("stack", "canaryWeight", reason) in blind


@pytest.mark.parametrize("reason", BLIND)
def test_stateful_protection_judges_every_other_store(pack: PolicyPackProcess, reason: str) -> None:
    rds = "aws:rds/instance:Instance"
    resources = [resource(rds, "replica-1", {"deletionProtection": BLIND[reason]}),
                 resource(rds, "replica-2", {"deletionProtection": False}),
                 resource("aws:kms/key:Key", "key", {"enableKeyRotation": True})]
    found, blind = judged(pack, resources, "stack-stateful-protected")
    assert found == {"replica-2": "Instance replica-2 is neither protected nor deletion-protected",
                     "key": "Key key is neither protected nor deletion-protected"}
    assert ("replica-1", "deletionProtection", reason) in blind


@pytest.mark.parametrize("reason", BLIND)
def test_telemetry_exposure_judges_the_other_release(pack: PolicyPackProcess, reason: str) -> None:
    blind_release = with_change(COLLECTOR, ("values", "service", "type"), BLIND[reason])
    open_release = with_change(COLLECTOR, ("values", "service", "type"), "LoadBalancer")
    resources = [resource(RELEASE, "collector-a", blind_release, protect=True),
                 resource(RELEASE, "collector-b", open_release, protect=True)]
    found, _ = judged(pack, resources, "k8s-telemetry-internal")
    assert found == {"collector-b": "service.type is LoadBalancer"}


@pytest.mark.parametrize("reason", BLIND)
def test_telemetry_redaction_judges_the_other_release(pack: PolicyPackProcess, reason: str) -> None:
    blind_release = with_change(COLLECTOR, ("values", "alternateConfig", "service", "pipelines"), BLIND[reason])
    bare = with_change(COLLECTOR, ("values", "alternateConfig", "service", "pipelines", "traces", "processors"),
                       ["memory_limiter"])
    resources = [resource(RELEASE, "collector-a", blind_release, protect=True),
                 resource(RELEASE, "collector-b", bare, protect=True)]
    found, blind = judged(pack, resources, "k8s-telemetry-redaction")
    assert found == {"collector-b": "pipeline traces exports without transform/redact"}
    assert any(name == "collector-a" and r == reason for name, _, r in blind), blind


@pytest.mark.parametrize("kind", sorted(BLIND))
def test_a_listener_rule_whose_listener_cannot_be_read_is_unverifiable(pack: PolicyPackProcess, kind: str) -> None:
    """An unknown listener ARN (a first preview) could name the HTTP listener: the rule's forwarding is not judged
    either way, and the other front doors are still judged."""
    door = front_door(FORWARD, arn=BLIND[kind])
    plaintext = resource("aws:lb/listener:Listener", "plain", {"protocol": "HTTP", "port": 8080,
                                                               "defaultActions": FORWARD})
    found, blind = judged(pack, [*door, plaintext], "edge-https-only")
    assert set(found) == {"plain"}, found
    assert "port 8080" in found["plain"]
    assert blind == {("subject", "listenerArn", kind)}
