"""The application component: every number of the requirement, read from what the program declares."""

from __future__ import annotations

from typing import Any

import pytest

from components.config import Slot, memory_mebibytes
from offline.runner.mocks import Registration
from offline.runner.program import ProgramResult
from tests.helpers import find, one, plain, run_stack

DEPLOYMENT = "kubernetes:apps/v1:Deployment"
SERVICE = "kubernetes:core/v1:Service"
HPA = "kubernetes:autoscaling/v2:HorizontalPodAutoscaler"
PDB = "kubernetes:policy/v1:PodDisruptionBudget"
POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
ACCOUNT = "kubernetes:core/v1:ServiceAccount"
APP = "orchestrator:app:Application"

# stack -> (active-slot HPA min, standby HPA min, blue tag, green tag, platform is plain kubernetes)
EXPECTED = {
    "production": (3, 3, "2.14.1", "2.15.0", False),
    "staging": (3, 1, "2.15.0", "2.15.0", False),
    "local": (3, 1, "2.15.0", "2.15.0", True),
    "production-azure": (3, 3, "2.14.1", "2.15.0", False),
}
STACKS = list(EXPECTED)
LIVE_STACK = "production"
SLOTS = [Slot.BLUE, Slot.GREEN]


def inputs(record: Registration) -> dict[str, Any]:
    value: dict[str, Any] = plain(record.inputs)
    return value


def app_child(result: ProgramResult, type_: str, name: str) -> dict[str, Any]:
    record = one(result, type_, name)
    assert record.parent.endswith(f"::{APP}::app"), record.parent
    return inputs(record)


def container(result: ProgramResult, slot: Slot) -> dict[str, Any]:
    pod = app_child(result, DEPLOYMENT, f"app-{slot.value}")["spec"]["template"]["spec"]
    assert [c["name"] for c in pod["containers"]] == ["app"]
    found: dict[str, Any] = pod["containers"][0]
    return found


@pytest.fixture(scope="module", params=STACKS)
def stack(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


@pytest.mark.parametrize("slot", SLOTS)
def test_slot_deployment_identity_and_labels(stack: str, slot: Slot) -> None:
    result = run_stack(stack)
    blue, green = EXPECTED[stack][2:4]
    tag = blue if slot is Slot.BLUE else green
    spec = app_child(result, DEPLOYMENT, f"app-{slot.value}")
    labels = {
        "app.kubernetes.io/name": "orchestrator", "app.kubernetes.io/component": "api",
        "app.kubernetes.io/part-of": "orchestrator", "app.kubernetes.io/version": tag, "slot": slot.value,
    }
    assert spec["metadata"]["name"] == f"orchestrator-{slot.value}"
    assert spec["metadata"]["namespace"] == "orchestrator"
    assert spec["spec"]["template"]["metadata"]["labels"] == labels
    # The selector never carries the version: it is immutable, the version changes every release.
    assert spec["spec"]["selector"] == {"matchLabels": {
        "app.kubernetes.io/name": "orchestrator", "app.kubernetes.io/component": "api", "slot": slot.value}}
    assert container(result, slot)["image"] == f"ghcr.io/acme/orchestrator:{tag}"


@pytest.mark.parametrize("slot", SLOTS)
def test_hpa_owns_replicas_and_rollout_keeps_capacity(stack: str, slot: Slot) -> None:
    spec = app_child(run_stack(stack), DEPLOYMENT, f"app-{slot.value}")["spec"]
    assert "replicas" not in spec
    assert spec["strategy"] == {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0, "maxSurge": "25%"}}


@pytest.mark.parametrize("slot", SLOTS)
def test_hpa_numbers(stack: str, slot: Slot) -> None:
    result = run_stack(stack)
    active_min, standby_min = EXPECTED[stack][:2]
    hpa = app_child(result, HPA, f"app-{slot.value}-hpa")
    spec = hpa["spec"]
    assert hpa["metadata"]["name"] == f"orchestrator-{slot.value}"
    assert spec["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": f"orchestrator-{slot.value}"}
    assert spec["minReplicas"] == (active_min if slot is Slot.BLUE else standby_min)
    assert spec["maxReplicas"] == 20
    targets = {m["resource"]["name"]: m["resource"]["target"] for m in spec["metrics"]}
    assert targets == {
        "cpu": {"type": "Utilization", "averageUtilization": 70},
        "memory": {"type": "Utilization", "averageUtilization": 80},
    }


def test_switch_moves_the_hpa_minimum_to_the_new_active_slot() -> None:
    result = run_stack("staging", "app.activeSlot=green")
    assert app_child(result, HPA, "app-green-hpa")["spec"]["minReplicas"] == 3
    assert app_child(result, HPA, "app-blue-hpa")["spec"]["minReplicas"] == 1


@pytest.mark.parametrize("slot", SLOTS)
def test_pdb_allows_disruption_below_the_hpa_minimum(stack: str, slot: Slot) -> None:
    result = run_stack(stack)
    hpa_min = app_child(result, HPA, f"app-{slot.value}-hpa")["spec"]["minReplicas"]
    pdb = app_child(result, PDB, f"app-{slot.value}-pdb")
    deployment = app_child(result, DEPLOYMENT, f"app-{slot.value}")
    assert pdb["spec"]["minAvailable"] == hpa_min - 1
    assert "maxUnavailable" not in pdb["spec"]
    pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert pdb["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()


@pytest.mark.parametrize("slot", SLOTS)
def test_probes(stack: str, slot: Slot) -> None:
    app = container(run_stack(stack), slot)
    assert app["ports"] == [{"name": "http", "containerPort": 8080, "protocol": "TCP"}]
    live, ready = app["livenessProbe"], app["readinessProbe"]
    assert (live["initialDelaySeconds"], live["periodSeconds"]) == (30, 10)
    assert (ready["initialDelaySeconds"], ready["periodSeconds"]) == (15, 5)
    assert live["httpGet"] == {"path": "/healthz", "port": 8080, "scheme": "HTTP"}
    assert ready["httpGet"] == {"path": "/ready", "port": 8080, "scheme": "HTTP"}


@pytest.mark.parametrize("slot", SLOTS)
def test_resources_fit_the_memory_ceiling_and_the_hpa_target(stack: str, slot: Slot) -> None:
    resources = container(run_stack(stack), slot)["resources"]
    assert resources == {"requests": {"cpu": "250m", "memory": "384Mi"}, "limits": {"cpu": "1", "memory": "512Mi"}}
    limit = memory_mebibytes(resources["limits"]["memory"])
    assert limit <= 512
    # The HPA scales out at 80 % of the request: 307 Mi, before the 512 Mi limit kills anything.
    assert memory_mebibytes(resources["requests"]["memory"]) * 0.80 < limit


@pytest.mark.parametrize("slot", SLOTS)
def test_pod_hardening(stack: str, slot: Slot) -> None:
    result = run_stack(stack)
    pod = app_child(result, DEPLOYMENT, f"app-{slot.value}")["spec"]["template"]["spec"]
    assert pod["securityContext"] == {
        "runAsNonRoot": True, "runAsUser": 10001, "runAsGroup": 10001, "fsGroup": 10001,
        "seccompProfile": {"type": "RuntimeDefault"},
    }
    context = container(result, slot)["securityContext"]
    assert context["runAsUser"] >= 10000
    assert context["runAsNonRoot"] is True
    assert context["readOnlyRootFilesystem"] is True
    assert context["allowPrivilegeEscalation"] is False
    assert context["privileged"] is False
    assert context["capabilities"] == {"drop": ["ALL"]}
    assert context["seccompProfile"] == {"type": "RuntimeDefault"}
    assert pod["automountServiceAccountToken"] is False
    assert pod["serviceAccountName"] == "orchestrator"
    for forbidden in ("hostNetwork", "hostPID", "hostIPC"):
        assert not pod.get(forbidden)
    tmp = next(v for v in pod["volumes"] if v["name"] == "tmp")
    assert tmp == {"name": "tmp", "emptyDir": {"sizeLimit": "64Mi"}}
    assert {"name": "tmp", "mountPath": "/tmp"} in container(result, slot)["volumeMounts"]
    assert not any("hostPath" in v for v in pod["volumes"])


def test_dedicated_service_account_without_token(stack: str) -> None:
    account = app_child(run_stack(stack), ACCOUNT, "app-service-account")
    assert account["metadata"]["name"] == "orchestrator"
    assert account["metadata"]["namespace"] == "orchestrator"
    assert account["automountServiceAccountToken"] is False


@pytest.mark.parametrize("slot", SLOTS)
def test_zone_topology_spread(stack: str, slot: Slot) -> None:
    result = run_stack(stack)
    pod = app_child(result, DEPLOYMENT, f"app-{slot.value}")["spec"]["template"]["spec"]
    by_key = {c["topologyKey"]: c for c in pod["topologySpreadConstraints"]}
    zone = by_key["topology.kubernetes.io/zone"]
    assert zone["maxSkew"] == 1
    assert zone["whenUnsatisfiable"] == ("ScheduleAnyway" if EXPECTED[stack][4] else "DoNotSchedule")
    assert zone["labelSelector"]["matchLabels"]["slot"] == slot.value
    assert by_key["kubernetes.io/hostname"]["whenUnsatisfiable"] == "ScheduleAnyway"


SECRET_LIKE = ("PASSWORD", "SECRET", "TOKEN", "KEY", "USER", "HOST", "PORT", "SSLMODE", "DATABASE_NAME")


@pytest.mark.parametrize("slot", SLOTS)
def test_credentials_come_from_secret_references(stack: str, slot: Slot) -> None:
    env = {e["name"]: e for e in container(run_stack(stack), slot)["env"]}
    refs = {name: e["valueFrom"]["secretKeyRef"] for name, e in env.items() if "valueFrom" in e}
    assert refs["DATABASE_PASSWORD"]["key"] == "password"
    assert refs["REDIS_PASSWORD"]["key"] == "password"
    assert {refs[n]["key"] for n in refs if n.startswith("DATABASE_")} == {
        "host", "port", "dbname", "username", "password", "sslmode"}
    assert {refs[n]["key"] for n in refs if n.startswith("REDIS_")} == {"host", "port", "password"}
    assert {r["name"] for n, r in refs.items() if n.startswith("DATABASE_")} == {"database-credentials"}
    assert {r["name"] for n, r in refs.items() if n.startswith("REDIS_")} == {"cache-credentials"}
    for name, entry in env.items():
        if "value" in entry:
            assert not any(word in name for word in ("PASSWORD", "SECRET", "TOKEN")), name
            assert not name.endswith(("_KEY", "_USER")), name


@pytest.mark.parametrize("slot", SLOTS)
def test_services_per_slot(stack: str, slot: Slot) -> None:
    service = app_child(run_stack(stack), SERVICE, f"app-{slot.value}-service")
    assert service["metadata"]["name"] == f"orchestrator-{slot.value}"
    assert service["metadata"]["namespace"] == "orchestrator"
    assert service["metadata"]["labels"] == {
        "app.kubernetes.io/name": "orchestrator", "app.kubernetes.io/component": "api",
        "app.kubernetes.io/part-of": "orchestrator", "slot": slot.value}
    assert service["spec"]["type"] == "ClusterIP"
    assert service["spec"]["selector"] == {
        "app.kubernetes.io/name": "orchestrator", "app.kubernetes.io/component": "api", "slot": slot.value}
    assert service["spec"]["ports"] == [{"name": "http", "port": 80, "targetPort": 8080, "protocol": "TCP"}]


@pytest.mark.parametrize(("overrides", "slot"), [((), "blue"), (("app.activeSlot=green",), "green")])
def test_live_service_selects_the_active_slot(overrides: tuple[str, ...], slot: str) -> None:
    live = app_child(run_stack(LIVE_STACK, *overrides), SERVICE, "app-live")
    assert live["metadata"]["name"] == "orchestrator-live"
    assert live["spec"]["selector"]["slot"] == slot
    # Not selected by ServiceMonitors that pick the slot Services (component=api).
    assert live["metadata"]["labels"]["app.kubernetes.io/component"] != "api"


def test_outputs_registered(stack: str) -> None:
    result = run_stack(stack)
    component = one(result, APP, "app")
    assert plain(component.outputs) == {
        "namespace": "orchestrator",
        "slotServices": {"blue": "orchestrator-blue", "green": "orchestrator-green"},
        "liveService": "orchestrator-live",
        "port": 80,
        "activeSlot": "blue",
        "canaryWeight": 0,
    }
    assert plain(result.outputs)["activeSlot"] == "blue"


def test_canary_weight_in_outputs() -> None:
    component = one(run_stack(LIVE_STACK, "app.canaryWeight=25", "app.slots.green=2.16.0"), APP, "app")
    assert plain(component.outputs)["canaryWeight"] == 25


def test_digest_pins_the_image_and_labels_a_valid_version() -> None:
    digest = "sha256:" + "ab" * 32
    result = run_stack(LIVE_STACK, f"app.slots.green={digest}")
    assert container(result, Slot.GREEN)["image"] == f"ghcr.io/acme/orchestrator@{digest}"
    version = app_child(result, DEPLOYMENT, "app-green")["metadata"]["labels"]["app.kubernetes.io/version"]
    assert version == "sha256-" + "ab" * 8


def test_only_app_objects_under_the_component(stack: str) -> None:
    result = run_stack(stack)
    component = one(result, APP, "app")
    children = sorted((r.type, r.name) for r in result.resources if r.parent == component.urn)
    assert children == sorted([
        (ACCOUNT, "app-service-account"),
        (DEPLOYMENT, "app-blue"), (DEPLOYMENT, "app-green"),
        (SERVICE, "app-blue-service"), (SERVICE, "app-green-service"), (SERVICE, "app-live"),
        (HPA, "app-blue-hpa"), (HPA, "app-green-hpa"),
        (PDB, "app-blue-pdb"), (PDB, "app-green-pdb"),
        (POLICY, "app-allow-ingress"), (POLICY, "app-allow-egress"),
    ])
    assert all(not find(result, t, n)[0].protect for t, n in children)
