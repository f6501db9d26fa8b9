"""Pod security: every kind that carries a pod, every container list, pod- vs container-level precedence."""

from __future__ import annotations

from tests.policies.conftest import resource
from tests.policies.fixtures import app_stack, mutate
from tests.policies.kubernetes import pss_fixtures
from tests.policies.kubernetes.model import Fixture, as_kind, bad, blue, good, one

C = "spec.template.spec.containers.0"
INIT = "spec.template.spec.initContainers.0"
P = "spec.template.spec"
DEBUG = {"name": "debug", "image": "busybox:1.36.1", "securityContext": {"privileged": True}}


def swap(props: dict) -> list[dict]:  # type: ignore[type-arg]
    return app_stack(**{"app-blue": resource("kubernetes:apps/v1:Deployment", "app-blue", props)})


CRON = mutate({"metadata": {"name": "job", "namespace": "app"}, "spec": {"schedule": "@daily"}},
              "spec.jobTemplate.spec.template", blue(C + ".securityContext.privileged", True)["spec"]["template"])
POD = {"metadata": {"name": "p", "namespace": "app"},
       "spec": blue(C + ".securityContext.privileged", True)["spec"]["template"]["spec"]}

FIXTURES: list[Fixture] = [
    good("k8s-no-privileged", app_stack()),
    bad("k8s-no-privileged", swap(blue(INIT + ".securityContext.privileged", True)), "app-blue",
        "init container 'migrate' (spec.template.spec.initContainers[0]) sets securityContext.privileged: true"),
    bad("k8s-no-privileged", swap(blue(P + ".ephemeralContainers", [DEBUG])), "app-blue",
        "ephemeral container 'debug'"),
    bad("k8s-no-privileged", as_kind("kubernetes:argoproj.io/v1alpha1:Rollout", "Rollout",
                                     blue(C + ".securityContext.privileged", True)), "app-blue", "privileged: true",
        "privileged-argo-rollout"),
    bad("k8s-no-privileged", as_kind("kubernetes:apps.openshift.io/v1:DeploymentConfig", "DeploymentConfig",
                                     blue(C + ".securityContext.privileged", "true")), "app-blue", "privileged",
        "privileged-openshift-dc"),
    bad("k8s-no-privileged", one("kubernetes:batch/v1:CronJob", CRON), "subject",
        "spec.jobTemplate.spec.template.spec.containers[0]"),
    bad("k8s-no-privileged", one("kubernetes:core/v1:Pod", POD), "subject", "spec.containers[0]"),
    bad("k8s-no-privileged", one("kubernetes:apps/v1:DeploymentPatch", {"metadata": {"name": "x"}, "spec": {
        "template": {"spec": {"containers": [{"name": "x", "securityContext": {"privileged": True}}]}}}}),
        "subject", "container 'x'", "privileged-patch"),
    bad("k8s-no-privileged", one("kubernetes:apps/v1:DeploymentList", {"items": [
        blue(C + ".securityContext.privileged", True)]}), "subject", "items[0].spec.template.spec.containers[0]"),
    bad("k8s-no-privileged", swap(blue(C + ".securityContext.procMount", "Unmasked")), "app-blue", "procMount: Unmasked"),
    bad("k8s-no-privileged", swap(blue(P + ".securityContext.windowsOptions", {"hostProcess": True})), "app-blue",
        "hostProcess: true"),
    good("k8s-no-privileged", one("kubernetes:apps/v1:DeploymentPatch", {"metadata": {"name": "x"}, "spec": {
        "replicas": 3}}), "patch-without-pod-fields"),

    good("k8s-run-as-non-root", app_stack()),
    bad("k8s-run-as-non-root", swap(blue(P + ".securityContext.fsGroup", 0)), "app-blue", "fsGroup: 0"),
    bad("k8s-run-as-non-root", swap(blue(P + ".securityContext.supplementalGroups", [1000, 0])), "app-blue",
        "group 0 (root) in securityContext.supplementalGroups"),
    bad("k8s-run-as-non-root", swap(blue(C + ".securityContext.runAsGroup", 0)), "app-blue", "runAsGroup 0"),
    bad("k8s-run-as-non-root", swap(blue(C + ".securityContext.runAsUser", 0)), "app-blue",
        "runs as UID 0 (set at spec.template.spec.containers[0].securityContext.runAsUser"),
    # The container's value wins over the pod's: a safe pod default does not hide a root container.
    bad("k8s-run-as-non-root", swap(blue(INIT + ".securityContext.runAsNonRoot", False)), "app-blue",
        "runAsNonRoot: False"),

    good("k8s-drop-capabilities", swap(blue(C + ".securityContext.capabilities", {"drop": ["ALL"],
                                                                                    "add": ["NET_BIND_SERVICE"]}))),
    bad("k8s-drop-capabilities", swap(blue(C + ".securityContext.capabilities", {"drop": ["ALL"], "add": ["CHOWN"]})),
        "app-blue", "adds capabilities CHOWN"),
    bad("k8s-drop-capabilities", swap(blue(C + ".securityContext.capabilities", {"drop": ["ALL"],
                                                                                   "add": ["cap_sys_admin"]})),
        "app-blue", "SYS_ADMIN"),

    good("k8s-no-host-namespaces", app_stack()),
    bad("k8s-no-host-namespaces", swap(blue(P + ".shareProcessNamespace", True)), "app-blue", "shareProcessNamespace"),
    bad("k8s-no-host-namespaces", swap(blue(P + ".hostPID", True)), "app-blue", "hostPID: true"),

    good("k8s-no-host-path-or-port", app_stack()),
    bad("k8s-no-host-path-or-port", one("kubernetes:core/v1:PersistentVolume", {"spec": {"hostPath": {"path": "/etc"}}}),
        "subject", "PersistentVolume spec.hostPath mounts the node path /etc"),
    bad("k8s-no-host-path-or-port", swap(blue(INIT + ".ports", [{"containerPort": 53, "hostPort": 53}])), "app-blue",
        "init container 'migrate' (spec.template.spec.initContainers[0]) binds hostPort 53"),

    good("k8s-safe-sysctls", swap(blue(P + ".securityContext.sysctls", [{"name": "net.ipv4.tcp_syncookies",
                                                                         "value": "1"}]))),
    bad("k8s-safe-sysctls", swap(blue(P + ".securityContext.sysctls", [{"name": "kernel.msgmax", "value": "1"}])),
        "app-blue", "unsafe sysctl kernel.msgmax"),
    bad("k8s-safe-sysctls", swap(blue(P + ".securityContext.sysctls", [{"name": "net/ipv4/ip_forward", "value": "1"}])),
        "app-blue", "net.ipv4.ip_forward"),

    good("k8s-seccomp", app_stack()),
    bad("k8s-seccomp", swap(blue("spec.template.metadata.annotations", {
        "seccomp.security.alpha.kubernetes.io/pod": "unconfined"})), "app-blue", "seccomp.security.alpha.kubernetes.io/pod"),
    bad("k8s-seccomp", swap(blue(C + ".securityContext.seccompProfile", {"type": "Unconfined"})), "app-blue",
        "seccomp profile Unconfined"),

    good("k8s-apparmor-selinux", app_stack()),
    bad("k8s-apparmor-selinux", swap(blue(C + ".securityContext.appArmorProfile", {"type": "Unconfined"})), "app-blue",
        "appArmorProfile.type: Unconfined"),
    bad("k8s-apparmor-selinux", swap(blue("spec.template.metadata.annotations", {
        "container.apparmor.security.beta.kubernetes.io/app": "unconfined"})), "app-blue",
        "container.apparmor.security.beta.kubernetes.io/app"),
    bad("k8s-apparmor-selinux", swap(blue(P + ".securityContext.seLinuxOptions", {"type": "spc_t"})), "app-blue",
        "seLinuxOptions.type spc_t"),

    good("k8s-image-pinned", swap(blue(C + ".image", "ghcr.io/acme/orchestrator@sha256:" + "a" * 64))),
    good("k8s-image-pinned", swap(blue(C + ".image", "registry.local:5000/acme/app:v1.2.3-alpine")), "version-suffix"),
    bad("k8s-image-pinned", swap(blue(C + ".image", "ghcr.io/acme/orchestrator:main")), "app-blue", "moving tag 'main'"),
    bad("k8s-image-pinned", swap(blue(C + ".image", "ghcr.io/acme/orchestrator:2")), "app-blue",
        "tag '2' (ghcr.io/acme/orchestrator:2), which is not a full version"),
    bad("k8s-image-pinned", swap(blue(INIT + ".image", "registry.local:5000/acme/migrate")), "app-blue",
        "untagged image registry.local:5000/acme/migrate"),

    good("k8s-probes", app_stack()),
    bad("k8s-probes", swap(blue(C + ".livenessProbe.httpGet.port", "metrics")), "app-blue",
        "livenessProbe targets port 'metrics', which is not a port name of this container"),

    good("k8s-service-account", app_stack()),
    good("k8s-read-only-root-fs", app_stack()),
    good("k8s-no-privilege-escalation", app_stack()),
    bad("k8s-no-privilege-escalation", swap(blue(P + ".ephemeralContainers", [
        {"name": "debug", "image": "busybox:1.36.1", "securityContext": {"allowPrivilegeEscalation": True}}])),
        "app-blue", "ephemeral container 'debug' (spec.template.spec.ephemeralContainers[0]) sets "
                    "securityContext.allowPrivilegeEscalation: True"),
    # procMount takes Default or Unmasked; anything but Default is not the masked /proc.
    bad("k8s-no-privileged", swap(blue(C + ".securityContext.procMount", "Other")), "app-blue",
        "container 'app' (spec.template.spec.containers[0]) sets securityContext.procMount: Other"),
    good("k8s-no-privileged", swap(blue(C + ".securityContext.procMount", "Default")), "procmount-default"),
    # 64 hex digits in a tag look like a digest but are a movable tag; a 40-digit commit id is a build's tag.
    bad("k8s-image-pinned", swap(blue(C + ".image", "ghcr.io/acme/orchestrator:" + "a" * 64)), "app-blue",
        "which is not a full version or digest"),
    good("k8s-image-pinned", swap(blue(C + ".image", "ghcr.io/acme/orchestrator:" + "0123abcd" * 5)), "commit-tag"),
    bad("k8s-no-host-path-or-port", one("kubernetes:core/v1:PersistentVolumeList", {"items": [
        {"metadata": {"name": "node-root"}, "spec": {"hostPath": {"path": "/"}}}]}), "subject",
        "PersistentVolume 'node-root' items[0].spec.hostPath mounts the node path /", "host-path-pv-list"),
    bad("k8s-safe-sysctls", swap(blue(P + ".securityContext.sysctls", [{"name": "vm.swappiness", "value": "1"}])),
        "app-blue", "unsafe sysctl vm.swappiness = 1 (securityContext.sysctls[0])"),
    bad("k8s-service-account", one("kubernetes:core/v1:ServiceAccount", {"metadata": {"name": "default",
                                                                                      "namespace": "app"}}),
        "subject", "service account 'default' does not set automountServiceAccountToken: false"),
    good("k8s-service-account", one("kubernetes:core/v1:ServiceAccount", {"metadata": {"name": "default"},
                                                                          "automountServiceAccountToken": False}),
         "default-account-without-token"),
    bad("k8s-service-account", one("kubernetes:core/v1:ServiceAccount", {"metadata": {"name": "ci"},
                                                                         "automountServiceAccountToken": "true"}),
        "subject", "service account 'ci' sets automountServiceAccountToken: true"),
]
FIXTURES += pss_fixtures.FIXTURES
