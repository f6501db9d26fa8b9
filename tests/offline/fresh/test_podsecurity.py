"""The fresh-cluster admission check: namespace levels, pod templates and charts against Pod Security."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from offline.fresh.cluster import admission, as_export, check
from offline.fresh.podsecurity import Pod, judge
from offline.runner.program import ProgramResult
from offline.runner.stacks import available_stacks, load_stack
from offline.wire import UNKNOWN
from tests.helpers import run_stack

Export = dict[str, Any]
NAMESPACE = "kubernetes:core/v1:Namespace"
DEPLOYMENT = "kubernetes:apps/v1:Deployment"
ENFORCE = "pod-security.kubernetes.io/enforce"


def _resources(export: Export) -> list[dict[str, Any]]:
    return export["deployment"]["resources"]  # type: ignore[no-any-return]


def _object(export: Export, type_: str, name: str) -> dict[str, Any]:
    for resource in _resources(export):
        if resource["type"] == type_ and resource["inputs"].get("metadata", {}).get("name") == name:
            return resource
    raise KeyError(name)


def _chart(export: Export, chart: str) -> dict[str, Any]:
    return next(r for r in _resources(export)
                if r["type"].startswith("kubernetes:helm.sh/") and r["inputs"].get("chart") == chart)


def _messages(export: Export) -> list[str]:
    return [f.message for f in admission(_resources(export))]


@pytest.fixture
def production(stack_export: Callable[..., Export]) -> Export:
    return copy.deepcopy(stack_export("production"))


@pytest.fixture
def local(stack_export: Callable[..., Export]) -> Export:
    return copy.deepcopy(stack_export("local"))


@pytest.mark.parametrize("stack", available_stacks())
def test_every_shipped_stack_is_admitted(stack: str) -> None:
    result = run_stack(stack)
    assert admission(as_export(result.resources)) == []
    findings, _ = check(result.resources, load_stack(stack).namespace())
    assert [f.message for f in findings] == []


@pytest.mark.parametrize("stack", available_stacks())
def test_every_shipped_namespace_has_an_explicit_level(stack: str) -> None:
    namespaces = [r for r in run_stack(stack).resources if r.type == NAMESPACE]
    assert namespaces
    assert all(r.inputs["metadata"]["labels"][ENFORCE] in ("privileged", "baseline", "restricted") for r in namespaces)


def test_a_privileged_container_in_a_restricted_namespace(production: Export) -> None:
    blue = _object(production, DEPLOYMENT, "orchestrator-blue")
    blue["inputs"]["spec"]["template"]["spec"]["containers"][0]["securityContext"]["privileged"] = True
    assert _messages(production) == [
        "namespace 'orchestrator' (restricted): Deployment 'orchestrator-blue' container 'app': privileged: "
        "securityContext.privileged is true"]


def test_a_host_path_in_a_baseline_namespace(production: Export) -> None:
    _object(production, NAMESPACE, "edge")["inputs"]["metadata"]["labels"][ENFORCE] = "baseline"
    pod = _object(production, DEPLOYMENT, "haproxy")["inputs"]["spec"]["template"]["spec"]
    pod["volumes"].append({"name": "docker", "hostPath": {"path": "/var/run/docker.sock"}})
    # Baseline only: the hardened container's settings are not in question, the host path is.
    assert _messages(production) == [
        "namespace 'edge' (baseline): Deployment 'haproxy' pod: host-path: volume 'docker' is a hostPath"]


def test_a_namespace_without_a_label_is_named_and_its_pods_held_to_restricted(production: Export) -> None:
    del _object(production, NAMESPACE, "orchestrator")["inputs"]["metadata"]["labels"][ENFORCE]
    blue = _object(production, DEPLOYMENT, "orchestrator-blue")
    del blue["inputs"]["spec"]["template"]["spec"]["containers"][0]["securityContext"]["allowPrivilegeEscalation"]
    assert _messages(production) == [
        "Namespace 'orchestrator' has no pod-security.kubernetes.io/enforce label: set it to privileged, baseline or "
        "restricted (its pods are held to restricted, the cluster default the program promises)",
        "namespace 'orchestrator' (restricted, the cluster default): Deployment 'orchestrator-blue' container 'app': "
        "privilege-escalation: securityContext.allowPrivilegeEscalation is not false"]


def test_a_level_that_is_not_one_is_named(production: Export) -> None:
    _object(production, NAMESPACE, "edge")["inputs"]["metadata"]["labels"][ENFORCE] = "strict"
    assert _messages(production) == [
        "Namespace 'edge' has pod-security.kubernetes.io/enforce='strict': use privileged, baseline or restricted"]


def test_chart_values_dropping_the_security_context(local: Export) -> None:
    del _chart(local, "redis-operator")["inputs"]["values"]["securityContext"]
    messages = _messages(local)
    prefix = "namespace 'redis-operator' (restricted): chart redis-operator (Chart 'cache-operator') workload 'operator'"
    assert messages == [
        f"{prefix} container 'operator': privilege-escalation: securityContext.allowPrivilegeEscalation is not false "
        "(values securityContext)",
        f"{prefix} container 'operator': capabilities: securityContext.capabilities.drop does not include ALL "
        "(values securityContext)"]


def test_a_null_value_deletes_the_charts_secure_default(local: Export) -> None:
    # Helm: a null in the program's values removes the chart's own default for that key.
    _chart(local, "cloudnative-pg")["inputs"]["values"]["containerSecurityContext"] = {"allowPrivilegeEscalation": None}
    assert _messages(local) == [
        "namespace 'cnpg-system' (restricted): chart cloudnative-pg (Chart 'database-operator') workload 'operator' "
        "container 'operator': privilege-escalation: securityContext.allowPrivilegeEscalation is not false "
        "(values containerSecurityContext)"]


def test_a_chart_whose_pods_are_not_modelled_is_a_finding_outside_privileged(local: Export) -> None:
    release = _chart(local, "kube-prometheus-stack")
    release["inputs"]["namespace"] = "orchestrator"
    assert _messages(local) == [
        f"namespace 'orchestrator' (restricted): chart kube-prometheus-stack (Release '{release['urn'].rsplit('::', 1)[-1]}'): "
        "its pods cannot be judged: no security-context value paths are recorded for it (components/charts.py)"]


def test_an_unpinned_chart_cannot_be_judged(local: Export) -> None:
    _chart(local, "redis-operator")["inputs"]["chart"] = "some-operator"
    assert _messages(local) == [
        "namespace 'redis-operator' (restricted): chart some-operator (Chart 'cache-operator'): its pods cannot be judged: "
        "it is not in the pinned chart table (components/charts.py)"]


def test_a_pod_in_an_undeclared_namespace_is_held_to_restricted(production: Export) -> None:
    haproxy = _object(production, DEPLOYMENT, "haproxy")
    haproxy["inputs"]["metadata"]["namespace"] = "kube-system"
    haproxy["inputs"]["spec"]["template"]["spec"]["hostNetwork"] = True
    assert _messages(production) == [
        "namespace 'kube-system' (restricted, the cluster default): Deployment 'haproxy' pod: host-namespaces: "
        "hostNetwork is true"]


def test_templates_are_found_by_structure(production: Export) -> None:
    """A CronJob's jobTemplate, a List's item and a bare Pod, none of them known to the check by kind."""
    pod_spec = {"containers": [{"name": "c", "securityContext": {"privileged": True}}]}
    resources = _resources(production)
    resources.append({"urn": "urn:x::cron", "type": "kubernetes:batch/v1:CronJob", "inputs": {
        "metadata": {"name": "cron", "namespace": "edge"},
        "spec": {"jobTemplate": {"spec": {"template": {"spec": pod_spec}}}}}})
    resources.append({"urn": "urn:x::list", "type": "kubernetes:core/v1:PodList", "inputs": {"items": [
        {"kind": "Pod", "metadata": {"name": "bare", "namespace": "monitoring"}, "spec": pod_spec},
        {"kind": "Pod", "metadata": {"name": "other", "namespace": "edge"}, "spec": pod_spec}]}})
    baseline = "container 'c': privileged: securityContext.privileged is true"
    found = [m for m in _messages(production) if baseline in m]
    assert found == [f"namespace 'edge' (restricted): CronJob 'cron' {baseline}",
                     f"namespace 'edge' (restricted): Pod 'other' {baseline}"]  # monitoring is privileged


def test_an_unknown_security_value_is_not_a_pass(production: Export) -> None:
    blue = _object(production, DEPLOYMENT, "orchestrator-blue")
    blue["inputs"]["spec"]["template"]["spec"]["securityContext"] = UNKNOWN
    messages = _messages(production)
    assert "namespace 'orchestrator' (restricted): Deployment 'orchestrator-blue' pod: run-as-non-root: cannot be " \
           "judged: securityContext.runAsNonRoot is unknown until apply" in messages


def test_the_preview_fails_with_one_line_per_violation(monkeypatch: pytest.MonkeyPatch,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    import offline.runner.program
    from offline.cli import main

    real = offline.runner.program.run_program

    def mutated(*args: Any, **kwargs: Any) -> ProgramResult:
        result = copy.deepcopy(real(*args, **kwargs))
        blue = next(r for r in result.resources if r.type == DEPLOYMENT and r.name == "app-blue")
        container = blue.inputs["spec"]["template"]["spec"]["containers"][0]
        container["securityContext"]["capabilities"]["add"] = ["SYS_ADMIN"]
        return result

    monkeypatch.setattr(offline.runner.program, "run_program", mutated)
    assert main(["preview", "staging", "--no-policy"]) == 1
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith("fresh cluster:")]
    assert lines == ["fresh cluster: pod-security: namespace 'orchestrator' (restricted): Deployment "
                     "'orchestrator-blue' container 'app': capabilities: securityContext.capabilities.add has SYS_ADMIN"]


# --- the standard's checks, one by one -------------------------------------------------------------

HARDENED_CONTAINER = {"name": "c", "securityContext": {
    "allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}, "runAsNonRoot": True,
    "seccompProfile": {"type": "RuntimeDefault"}}}


def _pod(pod: dict[str, Any] | None = None, container: dict[str, Any] | None = None,
         annotations: dict[str, str] | None = None) -> Pod:
    merged = copy.deepcopy(HARDENED_CONTAINER)
    for key, value in (container or {}).items():
        if key == "securityContext":
            merged["securityContext"].update(value)
        else:
            merged[key] = value
    return Pod({**(pod or {}), "containers": [merged]}, annotations)


def _found(pod: Pod, level: str) -> list[tuple[str, str]]:
    return [(v.check, v.container) for v in judge(pod, level)]


@pytest.mark.parametrize(("pod", "baseline", "restricted"), [
    (_pod(), [], []),
    (_pod({"securityContext": {"windowsOptions": {"hostProcess": True}}}), [("host-process", "")], [("host-process", "")]),
    (_pod(container={"securityContext": {"windowsOptions": {"hostProcess": True}}}),
     [("host-process", "c")], [("host-process", "c")]),
    (_pod({"hostPID": True}), [("host-namespaces", "")], [("host-namespaces", "")]),
    (_pod({"hostIPC": True}), [("host-namespaces", "")], [("host-namespaces", "")]),
    (_pod(container={"securityContext": {"privileged": True}}), [("privileged", "c")], [("privileged", "c")]),
    (_pod(container={"securityContext": {"capabilities": {"drop": ["ALL"], "add": ["SYS_ADMIN"]}}}),
     [("capabilities", "c")], [("capabilities", "c")]),
    (_pod(container={"securityContext": {"capabilities": {"drop": ["ALL"], "add": ["CHOWN"]}}}),
     [], [("capabilities", "c")]),
    (_pod(container={"securityContext": {"capabilities": {"drop": ["ALL"], "add": ["NET_BIND_SERVICE"]}}}), [], []),
    (_pod(container={"securityContext": {"capabilities": {"drop": ["NET_RAW"]}}}), [], [("capabilities", "c")]),
    (_pod({"volumes": [{"name": "h", "hostPath": {"path": "/"}}]}),
     [("host-path", "")], [("host-path", ""), ("volume-types", "")]),
    (_pod({"volumes": [{"name": "n", "nfs": {"server": "x", "path": "/"}}]}), [], [("volume-types", "")]),
    (_pod({"volumes": [{"name": "e", "emptyDir": {}}, {"name": "p", "projected": {"sources": []}}]}), [], []),
    (_pod(container={"ports": [{"containerPort": 80, "hostPort": 80}]}), [("host-ports", "c")], [("host-ports", "c")]),
    (_pod(container={"ports": [{"containerPort": 80, "hostPort": 0}]}), [], []),
    (_pod(container={"securityContext": {"appArmorProfile": {"type": "Unconfined"}}}),
     [("apparmor", "c")], [("apparmor", "c")]),
    (_pod(annotations={"container.apparmor.security.beta.kubernetes.io/c": "unconfined"}),
     [("apparmor", "c")], [("apparmor", "c")]),
    (_pod(annotations={"container.apparmor.security.beta.kubernetes.io/c": "localhost/profile"}), [], []),
    (_pod({"securityContext": {"seLinuxOptions": {"type": "spc_t"}}}), [("selinux", "")], [("selinux", "")]),
    (_pod(container={"securityContext": {"seLinuxOptions": {"user": "system_u"}}}), [("selinux", "c")], [("selinux", "c")]),
    (_pod(container={"securityContext": {"seLinuxOptions": {"type": "container_t", "level": "s0:c1"}}}), [], []),
    (_pod(container={"securityContext": {"procMount": "Unmasked"}}), [("proc-mount", "c")], [("proc-mount", "c")]),
    (_pod(container={"securityContext": {"seccompProfile": {"type": "Unconfined"}}}), [("seccomp", "c")], [("seccomp", "c")]),
    (_pod({"securityContext": {"sysctls": [{"name": "kernel.msgmax", "value": "1"}]}}), [("sysctls", "")], [("sysctls", "")]),
    (_pod({"securityContext": {"sysctls": [{"name": "net.ipv4.ip_unprivileged_port_start", "value": "0"}]}}), [], []),
    (_pod(container={"securityContext": {"allowPrivilegeEscalation": True}}), [], [("privilege-escalation", "c")]),
    (_pod({"securityContext": {"runAsNonRoot": True}}, {"securityContext": {"runAsNonRoot": False}}),
     [], [("run-as-non-root", "c")]),
    (_pod({"securityContext": {"runAsUser": 0}}), [], [("run-as-user", "")]),
    (_pod(container={"securityContext": {"runAsUser": 0}}), [], [("run-as-user", "c")]),
])
def test_each_check_of_the_standard(pod: Pod, baseline: list[tuple[str, str]], restricted: list[tuple[str, str]]) -> None:
    assert _found(pod, "privileged") == []
    assert _found(pod, "baseline") == baseline
    assert _found(pod, "restricted") == restricted


def test_pod_level_settings_are_inherited_and_container_ones_override() -> None:
    inherited = Pod({"securityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
                     "containers": [{"name": "c", "securityContext": {"allowPrivilegeEscalation": False,
                                                                      "capabilities": {"drop": ["ALL"]}}}]})
    assert _found(inherited, "restricted") == []
    unset = Pod({"containers": [{"name": "c", "securityContext": {"allowPrivilegeEscalation": False,
                                                                  "capabilities": {"drop": ["ALL"]}}}]})
    assert _found(unset, "restricted") == [("run-as-non-root", "c"), ("seccomp", "c")]


def test_init_and_ephemeral_containers_are_judged_too() -> None:
    pod = Pod({"securityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
               "initContainers": [{"name": "init", "securityContext": {"privileged": True}}],
               "containers": [], "ephemeralContainers": [{"name": "debug", "securityContext": {"procMount": "Unmasked"}}]})
    assert _found(pod, "baseline") == [("privileged", "init"), ("proc-mount", "debug")]


def test_windows_pods_are_exempt_where_the_standard_exempts_them() -> None:
    pod = Pod({"os": {"name": "windows"}, "securityContext": {"runAsNonRoot": True},
               "containers": [{"name": "c"}]})
    assert _found(pod, "restricted") == []
