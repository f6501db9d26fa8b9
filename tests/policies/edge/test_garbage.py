"""Odd values where the edge rules expect a configuration or an argv: the pack reports a finding or nothing,
never a rule crash (the `messages` fixture fails on any crash). NaN and infinities cannot cross the analyzer
protocol (protobuf refuses them); the gate's export reader deals with those before any rule runs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.policies.conftest import Messages, resource
from tests.policies.fixtures import HAPROXY_CFG, app_stack, edge_deployment, haproxy_configmap, mutate

ODD = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.just(1e308), st.just(-0.5), st.text(max_size=40),
              st.sampled_from(["", "-f", "$(X)", "${X}", "haproxy", "/", "..", "\x00", "-S", "--"])),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=10), inner, max_size=4)),
    max_leaves=10)
FIELDS = ["command", "args", "env", "envFrom", "volumeMounts", "workingDir", "image"]
DATA_KEYS = ["haproxy.cfg", "extra.cfg", "503.http"]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.sampled_from(FIELDS), ODD, st.sampled_from(DATA_KEYS), ODD)
def test_odd_values_never_crash_a_rule(messages: Callable[[list[dict[str, Any]]], Messages], field: str, value: Any,
                                       key: str, data: Any) -> None:
    edge = mutate(edge_deployment(), f"spec.template.spec.containers.0.{field}", value)
    configmap = haproxy_configmap(HAPROXY_CFG)
    configmap["inputs"]["data"][key] = data
    configmap["inputs"]["binaryData"] = {"haproxy.cfg": data}
    found = messages(app_stack(**{"edge": resource("kubernetes:apps/v1:Deployment", "edge", edge),
                                  "haproxy-config": configmap}))
    assert isinstance(found, dict)
