"""The Kubernetes rules fed garbage: every field of every kind they read replaced by a hostile value (None, NaN,
infinities, numbers where text is expected, lists where objects are, megabyte strings, deep nesting). A rule
reports a finding or nothing; it never crashes, and the whole sweep stays linear (one batch, bounded time)."""

from __future__ import annotations

import copy
import json
import math
import time
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from offline.gate.analyzer import PolicyPackProcess
from policies.rules import k8s_content, verify
from policies.rules.common import Resource, config_with_defaults
from tests.policies.conftest import resource, root
from tests.policies.fixtures import APP_LABELS, EDGE_LABELS, EDGE_NS, app_stack, deployment, netpol, service

RBAC = "kubernetes:rbac.authorization.k8s.io/v1"


def deep(levels: int, as_list: bool) -> Any:
    value: Any = "leaf"
    for _ in range(levels):
        value = [value] if as_list else {"a": value}
    return value


# The gate refuses values nested deeper than 100 levels, so 80 levels plus the object is the deepest a rule
# sees. NaN and the infinities cannot cross the analyzer protocol (the gate reads them from the export and the
# protocol client refuses them): they are fed to the rules directly below.
HOSTILE: list[Any] = [None, -1, 0, True, 3.5, 1e308, "", "x" * 1_000_000, "\n" * 100_000, [], {},
                      [None, 7, "x"], {"0": None}, deep(80, True), deep(80, False)]

SUBJECTS: dict[str, tuple[str, dict[str, Any]]] = {
    "deployment": ("kubernetes:apps/v1:Deployment", deployment("hostile", dict(APP_LABELS))),
    "cronjob": ("kubernetes:batch/v1:CronJob", {"metadata": {"name": "c", "namespace": "app"}, "spec": {
        "schedule": "@daily", "jobTemplate": {"spec": {"template": deployment("c", dict(APP_LABELS))["spec"]["template"]}}}}),
    "service": ("kubernetes:core/v1:Service", service("s", EDGE_NS, EDGE_LABELS, kind="LoadBalancer",
                                                      externalIPs=["1.2.3.4"])["inputs"]),
    "netpol": ("kubernetes:networking.k8s.io/v1:NetworkPolicy", netpol("n", "app", {"a": "b"}, ingress=[
        {"from": [{"ipBlock": {"cidr": "0.0.0.0/0"}}, {"namespaceSelector": {}}], "ports": [{"port": 80}]}])["inputs"]),
    "configmap": ("kubernetes:core/v1:ConfigMap", {"metadata": {"name": "m"}, "data": {
        "a.json": '{"password": "x"}', "haproxy.cfg": "frontend f\n  bind :80\n"}, "binaryData": {"b": "cGFzc3dvcmQ="}}),
    "role": (f"{RBAC}:ClusterRole", {"metadata": {"name": "r", "labels": {"x": "y"}}, "rules": [
        {"apiGroups": [""], "resources": ["secrets"], "verbs": ["get"], "nonResourceURLs": ["/x"]}]}),
    "binding": (f"{RBAC}:RoleBinding", {"metadata": {"name": "b", "namespace": "app"}, "roleRef": {
        "kind": "ClusterRole", "name": "r"}, "subjects": [{"kind": "Group", "name": "system:authenticated"}]}),
    "ingress": ("kubernetes:networking.k8s.io/v1:Ingress", {"metadata": {"name": "i", "annotations": {
        "nginx.ingress.kubernetes.io/ssl-redirect": "false"}}, "spec": {"tls": [{"hosts": ["a"]}],
                                                                         "rules": [{"host": "a"}]}}),
    "gateway": ("kubernetes:gateway.networking.k8s.io/v1:Gateway", {"metadata": {"name": "g"}, "spec": {
        "listeners": [{"name": "web", "port": 80, "protocol": "HTTP"}]}}),
    "hpa": ("kubernetes:autoscaling/v1:HorizontalPodAutoscaler", {"metadata": {"name": "h", "namespace": "app"}, "spec": {
        "scaleTargetRef": {"kind": "Deployment", "name": "hostile"}, "minReplicas": 1, "maxReplicas": 3,
        "targetCPUUtilizationPercentage": 50}}),
    "pv-list": ("kubernetes:core/v1:PersistentVolumeList", {"items": [{"metadata": {"name": "p"},
                                                                      "spec": {"hostPath": {"path": "/"}}}]}),
    "helm": ("kubernetes:helm.sh/v3:Release", {"chart": "c", "version": "1.2.3", "namespace": "m", "name": "c", "values": {
        "service": {"type": "LoadBalancer"}, "extraEnv": [{"name": "TOKEN", "value": "x"}]}}),
    "config-group": ("kubernetes:yaml/v2:ConfigGroup", {"yaml": ["kind: Pod\nspec: {containers: [{name: a}]}\n"],
                                                        "objs": [{"kind": "ClusterRole", "rules": [{"verbs": ["*"]}]}]}),
}


def paths(value: Any, here: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every path into a JSON value (the root excluded)."""
    if isinstance(value, dict):
        for key, child in value.items():
            yield (*here, key)
            yield from paths(child, (*here, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield (*here, index)
            yield from paths(child, (*here, index))


def replaced(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    out = copy.deepcopy(value)
    node = out
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = new
    return out


def results_of(pack: PolicyPackProcess, resources: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
    """Crashes of the Kubernetes rules (the edge rules read the same ConfigMaps and have tests of their own)."""
    return [c for c in pack.analyze([root(activeSlot="blue"), *resources]).crashes if c[0].startswith("k8s-")]


def variants(name: str) -> list[dict[str, Any]]:
    type_, props = SUBJECTS[name]
    out = []
    small = [h for h in HOSTILE if not (isinstance(h, str) and len(h) > 1000)]
    for index, path in enumerate(paths(props)):
        # The megabyte values go to a few places only: they cost serialisation, not rule time.
        for number, value in enumerate(HOSTILE if index % 25 == 0 else small):
            out.append(resource(type_, f"{name}-{index}-{number}", replaced(props, path, value)))
    return out


@pytest.mark.parametrize("name", sorted(SUBJECTS))
def test_no_rule_crashes_on_hostile_values(pack: PolicyPackProcess, name: str) -> None:
    batch = variants(name)
    started = time.monotonic()
    crashes = results_of(pack, batch)
    elapsed = time.monotonic() - started
    assert crashes == [], crashes[:3]
    assert elapsed < 60, f"{len(batch)} hostile {name} variants took {elapsed:.1f}s"


JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
                    | st.text(max_size=40),
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
                    max_leaves=30)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(subject=st.sampled_from(sorted(SUBJECTS)), value=JSON, at=st.integers(min_value=0, max_value=10_000))
def test_random_values_anywhere_never_crash(pack: PolicyPackProcess, subject: str, value: Any, at: int) -> None:
    type_, props = SUBJECTS[subject]
    where = list(paths(props))
    mutated = replaced(props, where[at % len(where)], value)
    json.dumps(mutated)  # the export is JSON: what reaches the rules is what JSON can carry
    assert results_of(pack, [resource(type_, "random", mutated), *app_stack()[1:]]) == []


@pytest.mark.parametrize("name", sorted(SUBJECTS))
@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf], ids=["nan", "inf", "-inf"])
def test_resource_rules_read_non_finite_numbers(name: str, value: float) -> None:
    """Direct calls, as the pack would run them in the engine: every resource rule over every field set to NaN or an
    infinity returns messages (strings) or nothing."""
    type_, props = SUBJECTS[name]
    for path in paths(props):
        mutated = verify.as_props(replaced(props, path, value))
        for policy in k8s_content.POLICIES:
            check = getattr(policy, "check", None)
            if check is None or not policy.applies(type_):  # type: ignore[attr-defined]
                continue
            with verify.recording():
                found = list(check(Resource(type_, "urn", "x", mutated, config_with_defaults(policy.meta, {}), {})))
            assert all(isinstance(message, str) for message in found)
