"""`offline diff`: releases (switch, canary steps, rollback, new tag) touch no stateful resource."""

from __future__ import annotations

import io
import itertools
from contextlib import redirect_stdout

import pytest

from offline.cli import main
from offline.diff.compare import Change, StackDiff, changed_paths, diff_programs, forces_replacement
from offline.diff.stateful_types import is_stateful, is_stateful_type
from offline.runner.mocks import Registration
from offline.runner.program import ProgramResult
from tests.helpers import run_stack

APP = "orchestrator:app:Application"
EDGE = "orchestrator:edge:EdgeProxy"
ROUTING_TYPES = {  # what a switch may touch in the app: routing and the slots' scaling floors
    "kubernetes:core/v1:Service", "kubernetes:autoscaling/v2:HorizontalPodAutoscaler", "kubernetes:policy/v1:PodDisruptionBudget",
}
CANARY = [0, 10, 25, 50, 75, 100]
STACKS = ["production", "staging"]


def step(stack: str, before: tuple[str, ...], after: tuple[str, ...]) -> StackDiff:
    return diff_programs(run_stack(stack, *before), run_stack(stack, *after))


def under(change: Change, component: str) -> bool:
    return f"::{component}$" in change.urn


def assert_release_only(diff: StackDiff) -> None:
    """No stateful change, nothing created or deleted, and only routing in the app."""
    assert diff.stateful_changes == []
    for change in diff.changes:
        assert change.kind == "update" or (change.kind == "replace" and under(change, EDGE)), change
        assert under(change, APP) or under(change, EDGE), change
        if under(change, APP):
            assert change.type in ROUTING_TYPES, change


@pytest.mark.parametrize("stack", STACKS)
def test_switch_blue_to_green(stack: str) -> None:
    diff = step(stack, (), ("app.activeSlot=green",))
    assert_release_only(diff)
    live = diff.by_urn()[next(c.urn for c in diff.changes if c.urn.endswith("::app-live"))]
    assert live.changed_keys == ["spec.selector.slot"]
    # No pod restarts: neither slot's Deployment changes on a switch.
    assert not [c for c in diff.changes if c.type == "kubernetes:apps/v1:Deployment" and under(c, APP)]


def test_switch_moves_the_warm_standby_floor_in_staging() -> None:
    diff = step("staging", (), ("app.activeSlot=green",))
    changed = {c.urn.rsplit("::", 1)[-1]: c.changed_keys for c in diff.changes if under(c, APP)}
    assert changed["app-green-hpa"] == ["spec.minReplicas"]
    assert changed["app-blue-pdb"] == ["spec.minAvailable"]


@pytest.mark.parametrize("stack", STACKS)
@pytest.mark.parametrize(("before", "after"), list(itertools.pairwise(CANARY)))
def test_canary_step(stack: str, before: int, after: int) -> None:
    green = "app.slots.green=2.16.0"
    diff = step(stack, (green, f"app.canaryWeight={before}"), (green, f"app.canaryWeight={after}"))
    assert_release_only(diff)
    # The canary is HAProxy weights only: nothing in the app changes.
    assert not [c for c in diff.changes if under(c, APP)]


@pytest.mark.parametrize("stack", STACKS)
def test_rollback_of_a_canary(stack: str) -> None:
    green = "app.slots.green=2.16.0"
    diff = step(stack, (green, "app.canaryWeight=50"), (green, "app.canaryWeight=0"))
    assert_release_only(diff)
    assert not [c for c in diff.changes if under(c, APP)]


@pytest.mark.parametrize("stack", STACKS)
def test_rollback_of_a_switch(stack: str) -> None:
    diff = step(stack, ("app.activeSlot=green",), ("app.activeSlot=blue",))
    assert_release_only(diff)
    assert any(c.urn.endswith("::app-live") and c.changed_keys == ["spec.selector.slot"] for c in diff.changes)


@pytest.mark.parametrize("stack", STACKS)
def test_new_tag_on_the_standby_slot_changes_only_that_deployment(stack: str) -> None:
    diff = step(stack, (), ("app.slots.green=2.16.0",))
    assert_release_only_or_deployment(diff)
    app_changes = [c for c in diff.changes if under(c, APP)]
    assert [(c.urn.rsplit("::", 1)[-1], c.kind) for c in app_changes] == [("app-green", "update")]
    assert "spec.template.spec.containers[0].image" in app_changes[0].changed_keys


def assert_release_only_or_deployment(diff: StackDiff) -> None:
    assert diff.stateful_changes == []
    assert all(c.kind == "update" for c in diff.changes if under(c, APP))


def test_moving_the_namespace_is_a_stateful_replacement() -> None:
    diff = step("local", (), ("app.namespace=orchestrator-two",))
    namespace = next(c for c in diff.changes if c.urn.endswith("kubernetes:core/v1:Namespace::app-namespace"))
    assert (namespace.kind, namespace.stateful) == ("replace", True)
    assert namespace.changed_keys == ["metadata.name"]
    assert namespace in diff.stateful_changes


# --- the CLI -------------------------------------------------------------------------------


def run_cli(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    with redirect_stdout(out):
        code = main(list(argv))
    return code, out.getvalue()


def test_cli_switch_exits_zero_and_lists_the_live_service() -> None:
    code, text = run_cli("diff", "local", "--set", "app.activeSlot=green")
    assert code == 0
    assert "update   kubernetes:core/v1:Service  app-live  [spec.selector.slot]" in text
    assert "No stateful resource" in text


def test_cli_refuses_a_stateful_change() -> None:
    code, text = run_cli("diff", "local", "--set", "app.namespace=orchestrator-two")
    assert code == 1
    assert "kubernetes:core/v1:Namespace  app-namespace  STATEFUL" in text
    assert "REFUSED" in text


def test_cli_bad_override_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, _ = run_cli("diff", "local", "--set", "app.canaryWeight=30")
    assert code == 2
    assert "canaryWeight" in capsys.readouterr().err


# --- the engine of the diff ----------------------------------------------------------------


def reg(urn_name: str, type_: str, inputs: dict[str, object], *, protect: bool = False) -> Registration:
    return Registration(urn=f"urn:pulumi:s::p::{type_}::{urn_name}", type=type_, name=urn_name, custom=True, parent="",
                        inputs=dict(inputs), protect=protect)


def program(*records: Registration) -> ProgramResult:
    return ProgramResult(stack="s", project="p", preview=False, resources=list(records), outputs={})


DEPLOYMENT = "kubernetes:apps/v1:Deployment"


def test_diff_kinds_and_paths() -> None:
    before = program(
        reg("web", DEPLOYMENT, {"metadata": {"name": "web"}, "spec": {"selector": {"matchLabels": {"slot": "blue"}},
                                                                       "replicas": 3.0}}),
        reg("gone", "kubernetes:core/v1:ConfigMap", {"data": {"a": "1"}}),
        reg("db", "aws:rds/instance:Instance", {"allocatedStorage": 20.0}),
    )
    after = program(
        reg("web", DEPLOYMENT, {"metadata": {"name": "web"}, "spec": {"selector": {"matchLabels": {"slot": "green"}},
                                                                       "replicas": 3}}),
        reg("db", "aws:rds/instance:Instance", {"allocatedStorage": 30}),
        reg("new", "kubernetes:core/v1:Service", {"spec": {}}),
    )
    diff = diff_programs(before, after)
    kinds = {c.urn.rsplit("::", 1)[-1]: (c.kind, c.stateful, c.changed_keys) for c in diff.changes}
    assert kinds == {
        "web": ("replace", False, ["spec.selector.matchLabels.slot"]),  # 3.0 == 3: numbers compare by value
        "db": ("update", True, ["allocatedStorage"]),
        "new": ("create", False, []),
        "gone": ("delete", False, []),
    }
    assert [c.urn.rsplit("::", 1)[-1] for c in diff.stateful_changes] == ["db"]


def test_secret_values_compare_by_value() -> None:
    envelope = {"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270"}
    before = program(reg("s", "kubernetes:core/v1:Secret", {"stringData": {**envelope, "value": {"password": "a"}}}))
    same = program(reg("s", "kubernetes:core/v1:Secret", {"stringData": {**envelope, "value": {"password": "a"}}}))
    changed = program(reg("s", "kubernetes:core/v1:Secret", {"stringData": {**envelope, "value": {"password": "b"}}}))
    assert diff_programs(before, same).empty
    (change,) = diff_programs(before, changed).changes
    assert (change.kind, change.stateful) == ("replace", True)


@pytest.mark.parametrize(("type_", "paths", "replace"), [
    (DEPLOYMENT, ["spec.template.spec.containers[0].image"], False),
    (DEPLOYMENT, ["spec.selector.matchLabels.slot"], True),
    (DEPLOYMENT, ["metadata.name"], True),
    (DEPLOYMENT, ['metadata.labels["app.kubernetes.io/version"]'], False),
    ("kubernetes:core/v1:Service", ["spec.selector.slot"], False),
    ("kubernetes:core/v1:Service", ["spec.clusterIP"], True),
    ("kubernetes:core/v1:ConfigMap", ['data["haproxy.cfg"]'], True),
    ("kubernetes:core/v1:Namespace", ["metadata.labels.team"], False),
    ("kubernetes:apps/v1:StatefulSet", ["spec.volumeClaimTemplates[0].spec.resources.requests.storage"], True),
    ("kubernetes:policy/v1:PodDisruptionBudget", ["spec.minAvailable"], False),
    ("aws:rds/instance:Instance", ["allocatedStorage"], False),
    ("aws:rds/instance:Instance", ["storageEncrypted"], True),
    ("azure-native:redis:Redis", ["location"], True),
    ("random:index/randomPassword:RandomPassword", ["length"], True),
])
def test_replacement_table(type_: str, paths: list[str], replace: bool) -> None:
    assert forces_replacement(type_, paths) is replace


def test_changed_paths_shapes() -> None:
    assert changed_paths({"a": [1, 2]}, {"a": [1, 3]}) == ["a[1]"]
    assert changed_paths({"a": [1, 2]}, {"a": [1]}) == ["a"]
    assert changed_paths({"l": {"x.y/z": "1"}}, {"l": {"x.y/z": "2"}}) == ['l["x.y/z"]']
    assert changed_paths({"a": 1}, {"b": 1}) == ["a", "b"]


@pytest.mark.parametrize(("type_", "stateful"), [
    ("aws:rds/instance:Instance", True),
    ("aws:elasticache/replicationGroup:ReplicationGroup", True),
    ("azure-native:keyvault:Vault", True),
    ("kubernetes:core/v1:Secret", True),
    ("kubernetes:core/v1:Namespace", True),
    ("kubernetes:core/v1:PersistentVolumeClaim", True),
    ("kubernetes:postgresql.cnpg.io/v1:Cluster", True),
    ("random:index/randomPassword:RandomPassword", True),
    ("kubernetes:apps/v1:Deployment", False),
    ("kubernetes:core/v1:Service", False),
    ("kubernetes:core/v1:ConfigMap", False),
])
def test_stateful_types(type_: str, stateful: bool) -> None:
    assert is_stateful_type(type_) is stateful


def test_protected_resources_count_as_stateful() -> None:
    assert is_stateful(reg("x", "kubernetes:core/v1:ConfigMap", {}, protect=True))
    assert not is_stateful(reg("x", "kubernetes:core/v1:ConfigMap", {}))
