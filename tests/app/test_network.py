"""Namespace default-deny and the app's NetworkPolicies: only the edge and Prometheus in; DNS and the data tier out."""

from __future__ import annotations

import json
from typing import Any

import pytest

from components.app.application import egress_rules, peer_wire
from components.edge.contract import EDGE_NAMESPACE, EDGE_POD_LABELS
from tests.helpers import one, plain, run_stack

POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
NAMESPACE = "kubernetes:core/v1:Namespace"
STACKS = ["production", "staging", "local", "production-azure"]
APP_PODS = {"matchLabels": {"app.kubernetes.io/name": "orchestrator", "app.kubernetes.io/component": "api"}}


def ns_peer(namespace: str, labels: dict[str, str]) -> dict[str, Any]:
    return {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": namespace}},
            "podSelector": {"matchLabels": labels}}


@pytest.fixture(scope="module", params=STACKS)
def stack(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


def test_namespace_is_restricted(stack: str) -> None:
    namespace = plain(one(run_stack(stack), NAMESPACE, "app-namespace").inputs)
    assert namespace["metadata"]["name"] == "orchestrator"
    labels = namespace["metadata"]["labels"]
    for mode in ("enforce", "audit", "warn"):
        assert labels[f"pod-security.kubernetes.io/{mode}"] == "restricted"


def test_default_deny_covers_every_pod_both_ways(stack: str) -> None:
    deny = plain(one(run_stack(stack), POLICY, "app-namespace-default-deny").inputs)
    assert deny["metadata"] == {"name": "default-deny", "namespace": "orchestrator"}
    assert deny["spec"] == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}


def test_ingress_only_from_edge_and_prometheus_on_the_app_port(stack: str) -> None:
    result = run_stack(stack)
    policy = plain(one(result, POLICY, "app-allow-ingress").inputs)
    assert policy["metadata"]["namespace"] == "orchestrator"
    spec = policy["spec"]
    assert spec["podSelector"] == APP_PODS
    assert spec["policyTypes"] == ["Ingress"]
    assert spec["ingress"] == [{
        "from": [ns_peer(EDGE_NAMESPACE, EDGE_POD_LABELS), ns_peer("monitoring", {"app.kubernetes.io/name": "prometheus"})],
        "ports": [{"protocol": "TCP", "port": 8080}],
    }]


def data_tier_ports(stack: str) -> set[int]:
    """The ports the database and cache components publish (their registered `port` outputs)."""
    result = run_stack(stack)
    ports = set()
    for record in result.resources:
        if not record.custom and record.type.startswith(("orchestrator:database:", "orchestrator:cache:")):
            ports.add(plain(record.outputs).get("port"))
    return {p for p in ports if isinstance(p, int)}


def test_egress_only_dns_and_data_tier(stack: str) -> None:
    spec = plain(one(run_stack(stack), POLICY, "app-allow-egress").inputs)["spec"]
    allowed_ports = data_tier_ports(stack)
    assert spec["podSelector"] == APP_PODS
    assert spec["policyTypes"] == ["Egress"]
    dns, *data, collector = spec["egress"]
    # Tracing is on in every shipped stack: OTLP to the collector gateway, its ports only.
    assert collector == {"to": [ns_peer("monitoring", {"app.kubernetes.io/name": "otel-collector"})],
                         "ports": [{"protocol": "TCP", "port": 4317}, {"protocol": "TCP", "port": 4318}]}
    assert dns == {
        "to": [ns_peer("kube-system", {"k8s-app": "kube-dns"})],
        "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}],
    }
    for rule in data:
        # A rule without peers would open every destination.
        assert rule["to"], rule
        assert len(rule["ports"]) == 1 and rule["ports"][0]["port"] in allowed_ports, (rule, allowed_ports)
        assert all(p["protocol"] == "TCP" for p in rule["ports"])


def test_egress_rules_skip_a_data_tier_without_peers() -> None:
    rules = egress_rules([], 5432, [], 6379)
    assert len(rules) == 1
    assert rules[0]["ports"] == [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]


def test_egress_rules_with_cidrs_and_selectors() -> None:
    rules = egress_rules([{"ipBlock": {"cidr": "10.40.1.0/24"}}], 5432, [{"ip_block": {"cidr": "10.40.2.0/24"}}], 6380)
    assert rules[1:] == [
        {"to": [{"ipBlock": {"cidr": "10.40.1.0/24"}}], "ports": [{"protocol": "TCP", "port": 5432}]},
        {"to": [{"ipBlock": {"cidr": "10.40.2.0/24"}}], "ports": [{"protocol": "TCP", "port": 6380}]},
    ]


@pytest.mark.parametrize(("peer", "wire"), [
    ({"pod_selector": {"match_labels": {"app.kubernetes.io/name": "redis"}}},
     {"podSelector": {"matchLabels": {"app.kubernetes.io/name": "redis"}}}),
    ({"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "db"}}, "podSelector": {"matchLabels": {"a": "b"}}},
     {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "db"}}, "podSelector": {"matchLabels": {"a": "b"}}}),
    ({"ip_block": {"cidr": "10.0.0.0/16", "except_": ["10.0.9.0/24"]}},
     {"ipBlock": {"cidr": "10.0.0.0/16", "except": ["10.0.9.0/24"]}}),
])
def test_peer_wire_accepts_both_spellings_and_keeps_label_keys(peer: dict[str, Any], wire: dict[str, Any]) -> None:
    assert peer_wire(peer) == wire


def test_egress_rule_per_published_data_tier_peer_set(stack: str) -> None:
    """Whatever peers the database and cache components publish, the app gets exactly those, on their port."""
    result = run_stack(stack)
    rules = plain(one(result, POLICY, "app-allow-egress").inputs)["spec"]["egress"]
    expected = []
    for record in result.resources:
        if not record.custom and record.type.startswith(("orchestrator:database:", "orchestrator:cache:")):
            outputs = plain(record.outputs)
            if outputs.get("egressPeers"):
                expected.append({"to": [peer_wire(p) for p in outputs["egressPeers"]],
                                 "ports": [{"protocol": "TCP", "port": outputs["port"]}]})
    # The order of egress rules means nothing to Kubernetes; the runner lists components by URN.
    def canonical(rule: dict[str, object]) -> str:
        return json.dumps(rule, sort_keys=True)

    assert sorted(rules[1:-1], key=canonical) == sorted(expected, key=canonical)
