"""The Kubernetes stack rules with one value they cannot judge (unknown at preview, a withheld secret):
the rule still reports the real defect elsewhere with its message, names the blind value as unverifiable
for its own resource and property, and never makes a finding up from a selector or a label it cannot read."""

from __future__ import annotations

from typing import Any

import pytest

from offline.gate.analyzer import PolicyPackProcess
from tests.policies.conftest import root
from tests.policies.fixtures import APP_NS, app_stack, haproxy_configmap, hpa, netpol, pdb, service, slot_labels
from tests.policies.stack.test_unverifiable import BLIND, _piece, _set, judged

LABELS = ("spec", "template", "metadata", "labels")


def _piece_of(key: str) -> dict[str, Any]:
    """The app stack's piece `key` (the name app_stack() gives it; resource names repeat across types)."""
    without = {r["urn"] for r in app_stack(**{key: None})}
    return next(r for r in app_stack() if r["urn"] not in without)


def _with(changes: dict[str, tuple[tuple[str | int, ...], Any]], **pieces: Any) -> list[dict[str, Any]]:
    """The app stack with `{piece: (path, value)}` set, and `pieces` replaced."""
    replaced = dict(pieces)
    for key, (path, value) in changes.items():
        replaced[key] = _set(_piece_of(key), path, value)  # type: ignore[arg-type]
    return app_stack(**replaced)


@pytest.mark.parametrize("reason", BLIND)
def test_min_replicas_judges_the_live_slot_beside_a_blind_standby(pack: PolicyPackProcess, reason: str) -> None:
    stack = _with({"app-green": (LABELS, BLIND[reason]), "hpa-blue": (("spec", "minReplicas"), 1)})
    found, blind = judged(pack, stack, "k8s-min-replicas")
    assert found == {"app-blue": "the blue slot runs 1 replica(s) (its HPA minReplicas); need 3"}
    assert ("app-green", "spec.template.metadata.labels", reason) in blind


@pytest.mark.parametrize("reason", BLIND)
def test_min_replicas_makes_nothing_up_when_the_hpa_target_is_blind(pack: PolicyPackProcess, reason: str) -> None:
    # Unlinked, app-blue would read as 1 replica (no spec.replicas): the blind HPA may be the one that raises it.
    stack = _with({"hpa-blue": (("spec", "scaleTargetRef", "name"), BLIND[reason])})
    found, blind = judged(pack, stack, "k8s-min-replicas")
    assert found == {}
    assert ("app-blue", "spec.scaleTargetRef.name", reason) in blind


@pytest.mark.parametrize("reason", BLIND)
def test_hpa_valid_judges_the_other_hpa(pack: PolicyPackProcess, reason: str) -> None:
    stack = _with({"hpa-green": (("spec", "maxReplicas"), BLIND[reason])}, **{"hpa-blue": hpa("app-blue", "app-blue", cpu=50)})
    found, blind = judged(pack, stack, "k8s-hpa-valid")
    assert found == {"app-blue": "cpu target is 50 (need 70)"}
    assert ("app-green", "spec.maxReplicas", reason) in blind


@pytest.mark.parametrize("reason", BLIND)
def test_hpa_valid_calls_no_target_missing_when_its_labels_are_blind(pack: PolicyPackProcess, reason: str) -> None:
    for path, spelt in ((LABELS, "spec.template.metadata.labels"), (("metadata", "namespace"), "metadata.namespace")):
        found, blind = judged(pack, _with({"app-blue": (path, BLIND[reason])}), "k8s-hpa-valid")
        assert found == {}, path
        assert ("app-blue", spelt, reason) in blind


@pytest.mark.parametrize("reason", BLIND)
def test_pdb_sane_judges_the_other_budget(pack: PolicyPackProcess, reason: str) -> None:
    stack = _with({"pdb-green": (("spec", "selector"), BLIND[reason])},
                  **{"pdb-blue": pdb("app-blue", "blue", maxUnavailable=0)})
    found, blind = judged(pack, stack, "k8s-pdb-sane")
    assert found == {"app-blue": "maxUnavailable is 0: no voluntary disruption is possible (node drains block)"}
    assert ("app-green", "spec.selector", reason) in blind


@pytest.mark.parametrize("reason", BLIND)
def test_pdb_sane_calls_no_selector_dangling_over_blind_labels(pack: PolicyPackProcess, reason: str) -> None:
    stack = _with({"app-green": (LABELS, BLIND[reason])}, **{"pdb-blue": pdb("app-blue", "blue", minAvailable="100%")})
    found, blind = judged(pack, stack, "k8s-pdb-sane")
    # pdb-green selects only the blind pods: it is not called dangling; pdb-blue's defect stands.
    assert found == {"app-blue": "minAvailable 100% is not below the minimum of 3 replica(s): no disruption is allowed"}
    assert ("app-green", "spec.template.metadata.labels", reason) in blind


@pytest.mark.parametrize("reason", BLIND)
def test_coverage_judges_the_other_namespace(pack: PolicyPackProcess, reason: str) -> None:
    stack = _with({"allow-app": (("spec", "podSelector"), BLIND[reason])}, **{"deny-edge": None})
    found, blind = judged(pack, stack, "k8s-network-policy-coverage")
    assert found == {"stack": "namespace edge has no default-deny NetworkPolicy (podSelector {}, Ingress and Egress)"}
    assert ("app", "spec.podSelector", reason) in blind


@pytest.mark.parametrize("reason", BLIND)
def test_coverage_makes_nothing_up_from_blind_labels(pack: PolicyPackProcess, reason: str) -> None:
    found, blind = judged(pack, _with({"app-blue": (LABELS, BLIND[reason])}), "k8s-network-policy-coverage")
    assert found == {}
    assert ("app-blue", "spec.template.metadata.labels", reason) in blind


@pytest.mark.parametrize("reason", BLIND)
def test_coverage_makes_no_missing_default_deny_up_from_a_blind_namespace(pack: PolicyPackProcess, reason: str) -> None:
    found, blind = judged(pack, _with({"deny-app": (("metadata", "namespace"), BLIND[reason])}),
                          "k8s-network-policy-coverage")
    assert found == {}
    assert ("default-deny", "metadata.namespace", reason) in blind


@pytest.mark.parametrize("reason", BLIND)
def test_services_judge_the_other_service(pack: PolicyPackProcess, reason: str) -> None:
    stack = _with({"svc-green": (("spec", "selector"), BLIND[reason])},
                  **{"svc-blue": service("app-blue", APP_NS, slot_labels("blue"), target=9999)})
    found, blind = judged(pack, stack, "k8s-service-selects-slot")
    assert found == {"app-blue": "targetPort 9999 is not a container port of Deployment app-blue"}
    assert ("app-green", "spec.selector", reason) in blind


@pytest.mark.parametrize("reason", BLIND)
def test_services_call_no_selector_dangling_over_blind_labels(pack: PolicyPackProcess, reason: str) -> None:
    stack = _with({"app-green": (LABELS, BLIND[reason])},
                  **{"svc-blue": service("app-blue", APP_NS, slot_labels("blue"), target=9999)})
    found, blind = judged(pack, stack, "k8s-service-selects-slot")
    assert found == {"app-blue": "targetPort 9999 is not a container port of Deployment app-blue"}
    assert ("app-green", "spec.template.metadata.labels", reason) in blind


@pytest.mark.parametrize("reason", BLIND)
def test_public_service_judges_the_other_service_beside_a_blind_edge_config(pack: PolicyPackProcess,
                                                                             reason: str) -> None:
    config = _set(haproxy_configmap(), ("data", "haproxy.cfg"), BLIND[reason])
    stack = app_stack(**{"haproxy-config": config,
                         "svc-green": service("app-green", APP_NS, slot_labels("green"), kind="LoadBalancer")})
    found, blind = judged(pack, stack, "k8s-no-public-service")
    # The edge Service is not called "pods other than the edge proxy": its ConfigMap may make them edge pods.
    assert found == {"app-green": "a LoadBalancer Service (spec.type: LoadBalancer) exposes pods other than the edge "
                                  "proxy (selector app.kubernetes.io/name=orchestrator, orchestrator.io/slot=green)"}
    assert ("edge-config", "data.haproxy.cfg", reason) in blind


@pytest.mark.parametrize("reason", BLIND)
def test_allow_all_judges_the_other_policy(pack: PolicyPackProcess, reason: str) -> None:
    stack = _with({"deny-edge": (("spec", "egress"), [{"to": [{"ipBlock": {"cidr": BLIND[reason]}}]}]),
                   "allow-app": (("spec", "egress"), [{}])})
    found, blind = judged(pack, stack, "k8s-network-policy-no-allow-all")
    assert found == {"app": "spec.egress[0] allows no `to` peers (everyone, the Internet included) on every port"}
    assert ("edge-default-deny", "spec.egress[0].to[0].ipBlock.cidr", reason) in blind


@pytest.mark.parametrize("reason", BLIND)
def test_blue_green_makes_no_slot_up_from_a_blind_pod_template(pack: PolicyPackProcess, reason: str) -> None:
    for path, spelt in ((("spec", "template", "metadata"), "spec.template.metadata"),
                        (("spec", "template"), "spec.template")):
        blue = _set(_piece("app-blue"), path, BLIND[reason])
        found, blind = judged(pack, app_stack(**{"app-blue": blue}), "stack-blue-green-consistent")
        assert found == {}, path
        assert ("app-blue", spelt, reason) in blind


@pytest.mark.parametrize("reason", BLIND)
def test_blue_green_makes_no_missing_config_up_from_blind_data(pack: PolicyPackProcess, reason: str) -> None:
    config = _set(haproxy_configmap(), ("data",), BLIND[reason])
    stack = app_stack(**{"haproxy-config": config, "app-green": None, "root": root(activeSlot="blue", canaryWeight=0)})
    found, blind = judged(pack, stack, "stack-blue-green-consistent")
    assert found == {"stack": "no Deployment for the green slot"}
    assert ("edge-config", "data", reason) in blind


def test_a_blind_value_in_a_pdb_is_reported_once_per_property(pack: PolicyPackProcess) -> None:
    stack = _with({"pdb-green": (("spec", "selector"), BLIND["unknown"])})
    _, blind = judged(pack, stack, "k8s-pdb-sane")
    assert blind == {("app-green", "spec.selector", "unknown")}


def test_nothing_blind_means_nothing_unverifiable(pack: PolicyPackProcess) -> None:
    for rule in ("k8s-min-replicas", "k8s-hpa-valid", "k8s-pdb-sane", "k8s-network-policy-coverage",
                 "k8s-service-selects-slot", "k8s-no-public-service", "k8s-network-policy-no-allow-all",
                 "stack-blue-green-consistent"):
        assert judged(pack, app_stack(), rule) == ({}, set()), rule


def test_blind_pieces_left_alone_keep_their_net(pack: PolicyPackProcess) -> None:
    # A blind standby label does not keep a real coverage gap quiet elsewhere: the edge pods lose their policy.
    stack = _with({"app-green": (LABELS, BLIND["unknown"])}, **{"allow-edge": netpol("haproxy", "edge", {"x": "y"})})
    found, _ = judged(pack, stack, "k8s-network-policy-coverage")
    assert found == {"edge": "Deployment edge/haproxy is selected by no policy governing Ingress and Egress"}
