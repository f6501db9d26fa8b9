"""A finding lists its distinct problems in order, at most MAX_MESSAGES of them and a count of the
rest: a resource with thousands of bad entries is one finding of bounded size, found in linear time."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from policies.rules.common import MAX_MESSAGES, joined
from tests.policies.conftest import Messages
from tests.policies.fixtures import APP_NS, app_stack, service


def test_joined_keeps_order_drops_repeats_and_counts_the_rest() -> None:
    assert joined(["b", "a", "b"]) == "b; a"
    many = [f"problem {i}" for i in range(MAX_MESSAGES + 5)] * 2
    text = joined(many)
    assert text.startswith("problem 0; problem 1; ")
    assert text.endswith(f"problem {MAX_MESSAGES - 1}; and 5 more")


def test_thousands_of_bad_ports_are_one_bounded_finding(messages: Callable[[list[dict[str, Any]]], Messages]) -> None:
    ports = [{"port": 1000 + i, "targetPort": f"missing-{i}"} for i in range(5000)]
    live = service("app-blue", APP_NS, {"app.kubernetes.io/name": "orchestrator", "orchestrator.io/slot": "blue"},
                   ports=ports)
    found = messages(app_stack(**{"svc-blue": live}))
    message = found["k8s-service-selects-slot"]["app-blue"]
    assert message.startswith("targetPort missing-0 is not a container port of Deployment app-blue; ")
    assert message.endswith(f"; and {5000 - MAX_MESSAGES} more")
