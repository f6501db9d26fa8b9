"""Pod Security Standards semantics, rule by rule: capabilities that amount to privileged, the primary group and
Windows accounts, volume types outside the restricted set, probes and hooks aimed at another host, and the RBAC and
secret spellings found by running other projects' labelled objects through the pack."""

from __future__ import annotations

from tests.policies.conftest import resource
from tests.policies.fixtures import app_stack, mutate
from tests.policies.kubernetes.model import Fixture, bad, blue, good, one

C = "spec.template.spec.containers.0"
INIT = "spec.template.spec.initContainers.0"
P = "spec.template.spec"
DEPLOYMENT = "kubernetes:apps/v1:Deployment"
BINDING = "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding"


def swap(props: dict) -> list[dict]:  # type: ignore[type-arg]
    return app_stack(**{"app-blue": resource(DEPLOYMENT, "app-blue", props)})


def volumes(*listed: dict) -> list[dict]:  # type: ignore[type-arg]
    """The blue pod mounting these volumes."""
    return swap(blue(P + ".volumes", list(listed)))


CRON_NFS = mutate({"metadata": {"name": "backup", "namespace": "app"}, "spec": {"schedule": "@hourly"}},
                  "spec.jobTemplate.spec.template", blue(P + ".volumes", [
                      {"name": "share", "nfs": {"server": "10.0.0.5", "path": "/exports"}}])["spec"]["template"])

PRIVILEGED = [
    bad("k8s-no-privileged", swap(blue(C + ".securityContext.capabilities", {"drop": ["ALL"], "add": ["SYS_ADMIN"]})),
        "app-blue", "adds capability SYS_ADMIN (securityContext.capabilities.add[0])", "privileged-sys-admin"),
    bad("k8s-no-privileged", swap(blue(C + ".securityContext.capabilities", {"drop": ["ALL"], "add": ["all"]})),
        "app-blue", "adds capability all (securityContext.capabilities.add[0]): every capability",
        "privileged-all-lowercase"),
    bad("k8s-no-privileged", swap(blue(P + ".ephemeralContainers", [{
        "name": "debug", "image": "busybox:1.36.1",
        "securityContext": {"capabilities": {"add": ["NET_ADMIN", "CAP_SYS_MODULE"]}}}])), "app-blue",
        "ephemeral container 'debug' (spec.template.spec.ephemeralContainers[0]) adds capability CAP_SYS_MODULE "
        "(securityContext.capabilities.add[1]): loading kernel modules", "privileged-ephemeral-sys-module"),
    # NET_BIND_SERVICE is the one capability a restricted pod may add: not privileged (nor a capability finding).
    good("k8s-no-privileged", swap(blue(C + ".securityContext.capabilities", {"drop": ["ALL"],
                                                                             "add": ["NET_BIND_SERVICE"]})),
         "privileged-net-bind-service"),
]

NON_ROOT = [
    bad("k8s-run-as-non-root", swap(blue(P + ".securityContext.runAsGroup", None)), "app-blue",
        "container 'app' (spec.template.spec.containers[0]) sets no runAsGroup", "non-root-group-unset"),
    # The container's own group covers it even when the pod sets none.
    good("k8s-run-as-non-root", swap(mutate(mutate(blue(P + ".securityContext.runAsGroup", None),
                                                   C + ".securityContext.runAsGroup", 10001),
                                            INIT + ".securityContext.runAsGroup", 10001)), "non-root-group-per-container"),
    bad("k8s-run-as-non-root", swap(blue(P + ".securityContext.windowsOptions", {"runAsUserName": "ContainerAdministrator"})),
        "app-blue", "runs as Windows user ContainerAdministrator "
                    "(set at spec.template.spec.securityContext.windowsOptions.runAsUserName), an administrator",
        "non-root-windows-admin-pod"),
    bad("k8s-run-as-non-root", swap(blue(INIT + ".securityContext.windowsOptions", {"runAsUserName": "NT AUTHORITY\\SYSTEM"})),
        "app-blue", "init container 'migrate' (spec.template.spec.initContainers[0]) runs as Windows user "
                    "NT AUTHORITY\\SYSTEM", "non-root-windows-system-init"),
    # Field-by-field precedence: the container's account wins over the pod's administrator.
    good("k8s-run-as-non-root", swap(mutate(mutate(blue(P + ".securityContext.windowsOptions",
                                                        {"runAsUserName": "ContainerAdministrator"}),
                                                   C + ".securityContext.windowsOptions",
                                                   {"runAsUserName": "ContainerUser", "hostProcess": False}),
                                            INIT + ".securityContext.windowsOptions", {"runAsUserName": "ContainerUser"})),
         "non-root-windows-container-user-wins"),
]

VOLUMES = [
    bad("k8s-no-host-path-or-port", volumes({"name": "share", "nfs": {"server": "10.0.0.5", "path": "/exports"}}),
        "app-blue", "uses volume type nfs, outside the restricted set", "volume-type-nfs"),
    bad("k8s-no-host-path-or-port", volumes({"name": "src", "gitRepo": {"repository": "https://example.com/r.git"}}),
        "app-blue", "uses volume type gitRepo", "volume-type-git-repo"),
    bad("k8s-no-host-path-or-port", one("kubernetes:batch/v1:CronJob", CRON_NFS), "subject",
        "volume 'share' (spec.jobTemplate.spec.template.spec.volumes[0]) uses volume type nfs", "volume-type-cronjob"),
    bad("k8s-no-host-path-or-port", volumes({"name": "drv", "flexVolume": {"driver": "acme/lvm"}}), "app-blue",
        "uses volume type flexVolume", "volume-type-flex"),
    bad("k8s-no-host-path-or-port", volumes({"name": "sock", "hostPath": {"path": "/run/containerd/containerd.sock"}}),
        "app-blue", "mounts hostPath /run/containerd/containerd.sock (the containerd runtime: root on the node)",
        "volume-runtime-socket"),
    bad("k8s-no-host-path-or-port", volumes({"name": "root", "hostPath": {"path": "//"}}), "app-blue",
        "mounts hostPath // (the host's root filesystem)", "volume-host-root"),
    good("k8s-no-host-path-or-port", volumes(
        {"name": "scratch", "ephemeral": {"volumeClaimTemplate": {"spec": {"accessModes": ["ReadWriteOnce"]}}}},
        {"name": "csi", "csi": {"driver": "secrets-store.csi.k8s.io"}},
        {"name": "api", "downwardAPI": {"items": []}},
        {"name": "data", "persistentVolumeClaim": {"claimName": "data"}}), "volume-types-restricted-set"),
]

PROBES = [
    bad("k8s-probes", swap(blue(C + ".livenessProbe.httpGet.host", "169.254.169.254")), "app-blue",
        "livenessProbe.httpGet.host is 169.254.169.254: the kubelet connects to another host", "probe-host"),
    bad("k8s-probes", swap(blue(INIT + ".lifecycle", {"preStop": {"tcpSocket": {"host": "db.internal", "port": 5432}}})),
        "app-blue", "init container 'migrate' (spec.template.spec.initContainers[0]) lifecycle.preStop.tcpSocket.host "
                    "is db.internal", "lifecycle-host"),
    good("k8s-probes", swap(blue(C + ".livenessProbe.httpGet.host", "")), "probe-host-empty"),
]

RBAC = [
    # A namespaced Role spelled like the built-in cluster-admin is no narrow role.
    bad("k8s-rbac-least-privilege", one(BINDING, {"metadata": {"name": "ops", "namespace": "app"},
                                                  "roleRef": {"kind": "Role", "name": "cluster-admin",
                                                              "apiGroup": "rbac.authorization.k8s.io"},
                                                  "subjects": [{"kind": "User", "name": "alice"}]}),
        "subject", "roleRef binds Role 'cluster-admin', named like the built-in ClusterRole 'cluster-admin'",
        "rbac-role-named-cluster-admin"),
    bad("k8s-rbac-least-privilege", one("kubernetes:rbac.authorization.k8s.io/v1:ClusterRole", {
        "metadata": {"name": "ops"}, "rules": [{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["*"]}]}),
        "subject", "rules[0].verbs contains '*' (every verb: escalate, bind and impersonate included)",
        "rbac-wildcard-verbs-named"),
]

SECRETS = [
    bad("k8s-no-literal-secret-env", swap(blue(C + ".env", [{"name": "UPSTREAM_HEADER", "value": "bearer k7Qx9pLm2"}])),
        "app-blue", "env[0] UPSTREAM_HEADER holds a literal Bearer credential", "env-bearer-value"),
    bad("k8s-configmap-no-secrets", one("kubernetes:core/v1:ConfigMap", {
        "metadata": {"name": "client"}, "data": {"client.conf": "header = Authorization: Basic YWxpY2U6czNjcjN0"}}),
        "subject", "data.client.conf contains", "configmap-basic-auth"),
    good("k8s-no-literal-secret-env", swap(blue(C + ".env", [{"name": "MOTTO", "value": "Bearer of good news"}])),
         "env-bearer-prose"),
]

ZONE = P + ".topologySpreadConstraints.0"
SPREAD = [
    good("k8s-spread", app_stack()),
    bad("k8s-spread", swap(mutate(blue(ZONE + ".maxSkew", 4), "spec.replicas", 3)), "app-blue",
        "topologySpreadConstraints[0].maxSkew 4 lets all 3 replicas share one zone", "spread-skew-replicas"),
    bad("k8s-spread", swap(blue(ZONE + ".maxSkew", 50)), "app-blue",
        "topologySpreadConstraints[0].maxSkew 50 lets most replicas share one zone", "spread-skew-autoscaled"),
    bad("k8s-spread", swap(blue(ZONE + ".labelSelector", {"matchLabels": {"app": "other"}})), "app-blue",
        "topologySpreadConstraints[0].labelSelector does not select this pod's labels", "spread-selector-elsewhere"),
    bad("k8s-spread", swap(blue(ZONE + ".labelSelector", None)), "app-blue",
        "topologySpreadConstraints[0] has no labelSelector", "spread-selector-nil"),
    # A kind the pack does not know runs several replicas of its template all the same.
    bad("k8s-spread", one("kubernetes:example.com/v1:WorkerPool",
                          mutate(blue(ZONE, None), "spec.replicas", 4) | {"kind": "WorkerPool"}),
        "subject", "has no zone topologySpreadConstraints and no podAntiAffinity", "spread-custom-kind"),
    good("k8s-spread", swap(mutate(blue(ZONE + ".labelSelector", None), P + ".affinity", {"podAntiAffinity": {
        "preferredDuringSchedulingIgnoredDuringExecution": [{"weight": 1, "podAffinityTerm": {
            "topologyKey": "topology.kubernetes.io/zone",
            "labelSelector": {"matchExpressions": [{"key": "orchestrator.io/slot", "operator": "In", "values": ["blue"]}]}}}]}})),
         "spread-anti-affinity-instead"),
    # Anti-affinity towards other pods, or towards this pod's labels in another namespace, keeps no replica apart.
    bad("k8s-spread", swap(mutate(blue(ZONE, None), P + ".affinity", {"podAntiAffinity": {
        "requiredDuringSchedulingIgnoredDuringExecution": [{
            "topologyKey": "kubernetes.io/hostname", "namespaces": ["elsewhere"],
            "labelSelector": {"matchLabels": {"orchestrator.io/slot": "blue"}}}]}})), "app-blue",
        "podAntiAffinity selects no pod of its own", "spread-anti-affinity-other-namespace"),
    good("k8s-spread", swap(mutate(blue(ZONE + ".maxSkew", 5), "spec.replicas", 1)), "spread-single-replica"),
]

ANNOTATIONS = "spec.template.metadata.annotations"
PROFILES = [
    # A profile the runtime does not know confines nothing: only the default or a node-loaded profile does.
    bad("k8s-apparmor-selinux", swap(blue(ANNOTATIONS, {"container.apparmor.security.beta.kubernetes.io/app": "custom"})),
        "app-blue", "annotation container.apparmor.security.beta.kubernetes.io/app: custom is not runtime/default or "
                    "localhost/<profile>", "apparmor-annotation-unknown"),
    bad("k8s-apparmor-selinux", swap(blue(C + ".securityContext.appArmorProfile", {"type": "Permissive"})), "app-blue",
        "appArmorProfile.type: Permissive (only RuntimeDefault or Localhost confine it)", "apparmor-field-unknown"),
    good("k8s-apparmor-selinux", swap(mutate(blue(ANNOTATIONS, {
        "container.apparmor.security.beta.kubernetes.io/app": "localhost/k8s-app"}),
        C + ".securityContext.appArmorProfile", {"type": "Localhost", "localhostProfile": "k8s-app"})),
        "apparmor-localhost"),
    bad("k8s-seccomp", swap(blue(ANNOTATIONS, {"seccomp.security.alpha.kubernetes.io/pod": "Unconfined "})), "app-blue",
        "pod annotation seccomp.security.alpha.kubernetes.io/pod: Unconfined turns seccomp off", "seccomp-annotation-case"),
    bad("k8s-seccomp", swap(blue(ANNOTATIONS, {"container.seccomp.security.alpha.kubernetes.io/app": "mine"})),
        "app-blue", "container 'app' (spec.template.spec.containers[0]): annotation "
                    "container.seccomp.security.alpha.kubernetes.io/app: mine is not runtime/default",
        "seccomp-annotation-unknown"),
    good("k8s-seccomp", swap(blue(ANNOTATIONS, {"seccomp.security.alpha.kubernetes.io/pod": "docker/default"})),
         "seccomp-annotation-docker-default"),
]

LIST = "kubernetes:core/v1:List"
ACCOUNTS_AND_CHARTS = [
    # An account beside a workload in one List does not stop the workload's pod being judged.
    bad("k8s-service-account", one(LIST, {"items": [
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "worker", "namespace": "app"},
         "automountServiceAccountToken": False},
        {**blue(P + ".serviceAccountName", "default"), "kind": "Deployment"}]}), "subject",
        "pod (items[1].spec.template.spec) runs under the `default` service account", "account-beside-workload-in-list"),
    bad("k8s-helm-release-values", one("kubernetes:helm.sh/v3:Release", {
        "chart": "operator", "version": "1.2.3",
        "values": {"controller": {"containerSecurityContext": {"readOnlyRootFilesystem": "false"}}}}), "subject",
        "values.controller.containerSecurityContext.readOnlyRootFilesystem is false: the chart lets a container write",
        "helm-values-writable-root"),
]

FIXTURES: list[Fixture] = [*ACCOUNTS_AND_CHARTS, *PROFILES, *PRIVILEGED, *NON_ROOT, *VOLUMES, *PROBES, *RBAC, *SECRETS, *SPREAD]
