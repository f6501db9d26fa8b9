"""Pod and container security rules, over every pod the stack declares (see workloads.py for where pods are).

Each message names the container, the list it sits in and its place (`init container 'migrate'
(spec.template.spec.initContainers[0])`), the field and the value, so a finding says what to change.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from pulumi_policy import ResourceValidationPolicy, Severity

from . import verify
from .common import Meta, Resource, get, is_false, items, mapping, number, resource_rule, truthy
from .k8s_objects import memory_mi, namespace_of, slot_of
from .workloads import Container, Pod, manifests, pods, port_number

PodCheck = Callable[[Resource, list[Pod]], Iterator[str]]


def is_kubernetes(type_: str) -> bool:
    return type_.startswith("kubernetes:")


def pod_rule(meta: Meta) -> Callable[[PodCheck], ResourceValidationPolicy]:
    """A rule over the pods of any Kubernetes resource that has some (whatever its kind)."""

    def wrap(check: PodCheck) -> ResourceValidationPolicy:
        def run(resource: Resource) -> Iterator[str]:
            found = pods(resource.type, resource.props)
            if found:
                yield from check(resource, found)

        run.__name__ = check.__name__
        return resource_rule(meta, is_kubernetes)(run)

    return wrap


def _show(value: Any) -> str:
    """A value for a message: numbers as the user wrote them (config numbers arrive as floats), bounded."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value)
    return text if len(text) <= 80 else text[:77] + "..."


# --- privilege ---------------------------------------------------------------------------------------

no_privileged = Meta(
    name="k8s-no-privileged",
    description="No container runs privileged, as a Windows host process, with an unmasked /proc, or with a "
                "capability that amounts to privileged (SYS_ADMIN, ALL, SYS_MODULE, SYS_RAWIO, DAC_READ_SEARCH, BPF).",
    severity=Severity.CRITICAL,
    categories=("AA",),
    references=("CKV_K8S_16", "kube-linter privileged-container", "Kubescape C-0057", "Pod Security baseline"),
    remediation="Remove `securityContext.privileged: true`, `windowsOptions.hostProcess: true` and "
                "`procMount: Unmasked`; grant only the specific capability the process needs, never SYS_ADMIN or ALL.",
)

# Capabilities that hand a container the node: SYS_ADMIN (mounts, namespaces: the usual escape), every capability at
# once, loading kernel modules, raw device I/O, reading any host file by handle, loading eBPF programs.
PRIVILEGED_CAPABILITIES = {"ALL": "every capability", "SYS_ADMIN": "mount, namespaces and most of root's powers",
                           "SYS_MODULE": "loading kernel modules", "SYS_RAWIO": "raw device and memory I/O",
                           "DAC_READ_SEARCH": "reading any host file by handle", "BPF": "loading eBPF programs"}


@pod_rule(no_privileged)
def k8s_no_privileged(resource: Resource, found: list[Pod]) -> Iterator[str]:
    for pod in found:
        if truthy(get(pod.spec, "securityContext", "windowsOptions", "hostProcess")):
            yield f"pod ({pod.path}) sets securityContext.windowsOptions.hostProcess: true (a host process)"
        for c in pod.containers():
            if truthy(c.own("privileged")):
                yield f"{c.label} sets securityContext.privileged: true"
            if truthy(c.own("windowsOptions", "hostProcess")):
                yield f"{c.label} sets securityContext.windowsOptions.hostProcess: true (a host process)"
            proc = c.own("procMount")
            if proc is not None and str(proc).strip().lower() != "default":
                yield f"{c.label} sets securityContext.procMount: {_show(proc)} (only Default masks the host's /proc)"
            for index, raw in enumerate(items(c.own("capabilities", "add"))):
                meaning = PRIVILEGED_CAPABILITIES.get(capability(raw))
                if meaning:
                    yield f"{c.label} adds capability {_show(raw)} (securityContext.capabilities.add[{index}]): " \
                          f"{meaning}, as good as privileged"


no_escalation = Meta(
    name="k8s-no-privilege-escalation",
    description="Containers must set allowPrivilegeEscalation to false.",
    severity=Severity.HIGH,
    categories=("AA",),
    references=("CKV_K8S_20", "Kubescape C-0016", "Polaris privilegeEscalationAllowed"),
    remediation="Set `securityContext.allowPrivilegeEscalation: false` on every container, init and ephemeral "
                "containers included.",
)


@pod_rule(no_escalation)
def k8s_no_privilege_escalation(resource: Resource, found: list[Pod]) -> Iterator[str]:
    for pod in found:
        for c in pod.containers():
            value = c.own("allowPrivilegeEscalation")
            if value is False or is_false(value):
                continue
            if value is not None:
                yield f"{c.label} sets securityContext.allowPrivilegeEscalation: {_show(value)}"
            elif not pod.partial:
                yield f"{c.label} does not set securityContext.allowPrivilegeEscalation: false"


non_root = Meta(
    name="k8s-run-as-non-root",
    description="Containers run as a non-root user (UID at least 10000) with a non-root primary group, never with "
                "group 0 (root), and never as a Windows administrator.",
    severity=Severity.HIGH,
    categories=("AA",),
    references=("CKV_K8S_23", "CKV_K8S_40", "kube-linter run-as-non-root", "Polaris runAsRootAllowed",
                "Pod Security restricted"),
    remediation="Set `runAsNonRoot: true`, `runAsUser` >= 10000 and a non-zero `runAsGroup` (pod or container "
                "securityContext; without runAsGroup the image's group applies, often 0); never set `runAsGroup`, "
                "`fsGroup` or `supplementalGroups` to 0; on Windows run as ContainerUser, not ContainerAdministrator.",
    config={"minUid": {"type": "number", "default": 10000, "description": "Lowest accepted runAsUser."}},
)


# Windows accounts with administrator rights over the container (and, for SYSTEM, the node's view of it).
WINDOWS_ADMINS = frozenset({"containeradministrator", "administrator", "system", "localsystem"})


@pod_rule(non_root)
def k8s_run_as_non_root(resource: Resource, found: list[Pod]) -> Iterator[str]:
    min_uid = number(resource.config.get("minUid")) or 10000
    for pod in found:
        context = mapping(get(pod.spec, "securityContext"))
        fs_group = number(get(context, "fsGroup"))
        if fs_group == 0:
            yield f"pod ({pod.path}) sets securityContext.fsGroup: 0 (root group)"
        groups = [number(g) for g in items(get(context, "supplementalGroups"))]
        if 0 in groups:
            yield f"pod ({pod.path}) lists group 0 (root) in securityContext.supplementalGroups"
        for c in pod.containers():
            non_root_flag, where = c.context("runAsNonRoot")
            if non_root_flag is not None and non_root_flag is not True and not truthy(non_root_flag):
                yield f"{c.label} runs with runAsNonRoot: {_show(non_root_flag)} (set at {where})"
            elif non_root_flag is None and not pod.partial:
                yield f"{c.label} does not set runAsNonRoot: true"
            uid, where = c.context("runAsUser")
            value = number(uid)
            if uid is None:
                if not pod.partial:
                    yield f"{c.label} sets no runAsUser (need >= {int(min_uid)})"
            elif c.at and value is not None and value > 0:
                pass  # an operator's container fragment runs the operator's image as that image's user: only root is judged
            elif value is None or value < min_uid:
                yield f"{c.label} runs as UID {_show(uid)} (set at {where}; need >= {int(min_uid)})"
            gid, where = c.context("runAsGroup")
            if gid is not None and number(gid) == 0:
                yield f"{c.label} runs with runAsGroup 0 (root group; set at {where})"
            elif gid is None and not pod.partial:
                yield f"{c.label} sets no runAsGroup (the image's primary group applies, often 0: root)"
            account, where = c.nested("windowsOptions", "runAsUserName")
            if account is not None and str(account).strip().lower().rsplit("\\", 1)[-1] in WINDOWS_ADMINS:
                yield f"{c.label} runs as Windows user {_show(account)} (set at {where}), an administrator"


read_only_fs = Meta(
    name="k8s-read-only-root-fs",
    description="Containers must mount their root filesystem read-only.",
    severity=Severity.MEDIUM,
    categories=("AA",),
    references=("CKV_K8S_22", "Kubescape C-0017", "Pulumi compliance-policies"),
    remediation="Set `securityContext.readOnlyRootFilesystem: true`; mount an emptyDir where the process must write.",
)


@pod_rule(read_only_fs)
def k8s_read_only_root_fs(resource: Resource, found: list[Pod]) -> Iterator[str]:
    for pod in found:
        for c in pod.containers():
            value = c.own("readOnlyRootFilesystem")
            if value is True or (isinstance(value, str) and truthy(value)):
                continue
            if value is not None:
                yield f"{c.label} sets securityContext.readOnlyRootFilesystem: {_show(value)}"
            elif not pod.partial:
                yield f"{c.label} does not set readOnlyRootFilesystem: true"


ALLOWED_ADDED_CAPABILITIES = frozenset({"NET_BIND_SERVICE"})

drop_caps = Meta(
    name="k8s-drop-capabilities",
    description="Containers drop ALL capabilities and add back none but NET_BIND_SERVICE.",
    severity=Severity.HIGH,
    categories=("AA",),
    references=("CKV_K8S_28", "CKV_K8S_37", "CKV_K8S_39", "Kubescape C-0046", "Pod Security restricted"),
    remediation="Set `securityContext.capabilities.drop: [ALL]`; add back at most NET_BIND_SERVICE (to bind a port "
                "below 1024). Any other capability (SYS_ADMIN, NET_RAW, NET_ADMIN, SYS_PTRACE, ...) widens what a "
                "compromised process can do to the node.",
)


def capability(name: Any) -> str:
    text = str(name).strip().upper()
    return text[4:] if text.startswith("CAP_") else text


@pod_rule(drop_caps)
def k8s_drop_capabilities(resource: Resource, found: list[Pod]) -> Iterator[str]:
    for pod in found:
        for c in pod.containers():
            dropped = {capability(x) for x in items(c.own("capabilities", "drop"))}
            if "ALL" not in dropped and (not pod.partial or c.own("capabilities", "drop") is not None):
                yield f"{c.label} does not drop ALL capabilities (securityContext.capabilities.drop)"
            added = sorted({capability(x) for x in items(c.own("capabilities", "add"))} - ALLOWED_ADDED_CAPABILITIES)
            if added:
                yield f"{c.label} adds capabilities {', '.join(_show(a) for a in added)} " \
                      f"(securityContext.capabilities.add; only NET_BIND_SERVICE is allowed)"


# --- host isolation ----------------------------------------------------------------------------------

host_ns = Meta(
    name="k8s-no-host-namespaces",
    description="Pods share neither the host's network, PID or IPC namespace nor one process namespace "
                "between their containers.",
    severity=Severity.HIGH,
    categories=("AA",),
    references=("CKV_K8S_17", "CKV_K8S_18", "CKV_K8S_19", "Kubescape C-0038", "Kubescape C-0041"),
    remediation="Remove `hostNetwork`, `hostPID`, `hostIPC` and `shareProcessNamespace` (or set them to false).",
)


@pod_rule(host_ns)
def k8s_no_host_namespaces(resource: Resource, found: list[Pod]) -> Iterator[str]:
    for pod in found:
        for key in ("hostNetwork", "hostPID", "hostIPC", "shareProcessNamespace"):
            if truthy(get(pod.spec, key)):
                yield f"pod ({pod.path}) sets {key}: true"


host_path = Meta(
    name="k8s-no-host-path-or-port",
    description="Pods mount only the volume types Pod Security restricted allows (no hostPath such as the container "
                "runtime socket, no node-attached or network volume), PersistentVolumes use no hostPath, and no "
                "container binds a host port.",
    severity=Severity.HIGH,
    categories=("AA",),
    references=("CKV_K8S_26", "CKV_K8S_27", "kube-linter sensitive-host-mounts", "kube-linter host-port",
                "Pod Security baseline (HostPath volumes, host ports)", "Pod Security restricted (volume types)"),
    remediation="Use configMap, secret, projected, downwardAPI, emptyDir, ephemeral, image, csi or "
                "persistentVolumeClaim volumes (storage through a PersistentVolumeClaim backed by a CSI driver); "
                "expose ports through a Service.",
)

# The volume types a restricted pod may use: none of them reaches the node's filesystem or makes the kubelet
# attach or mount storage on the pod's behalf. Anything else (nfs, iscsi, flexVolume, gitRepo, cloud disks, ...)
# is named in the finding by its own key.
ALLOWED_VOLUME_TYPES = frozenset({"configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "image",
                                  "persistentVolumeClaim", "projected", "secret"})
# Node paths whose mount hands over the node: the container runtime, the kubelet's credentials, the host's root.
SENSITIVE_HOST_PATHS = (
    ("/var/run/docker", "the Docker runtime"), ("/run/docker", "the Docker runtime"),
    ("/var/run/containerd", "the containerd runtime"), ("/run/containerd", "the containerd runtime"),
    ("/var/run/crio", "the CRI-O runtime"), ("/run/crio", "the CRI-O runtime"),
    ("/var/lib/kubelet", "the kubelet's state and credentials"), ("/etc/kubernetes", "the node's cluster credentials"),
    ("/proc", "the host's processes"), ("/sys", "the host's kernel settings"), ("/etc", "the host's configuration"),
    ("/root", "root's home"), ("/var/log", "every pod's logs"), ("/dev", "the host's devices"),
)


def host_path_meaning(path: Any) -> str:
    """`hostPath /var/run/docker.sock (the Docker runtime: root on the node)`; the path alone when not a known one."""
    text = str(path).strip()
    normal = "/" + "/".join(part for part in text.split("/") if part and part != ".")
    if normal == "/":
        return f"{_show(text)} (the host's root filesystem)"
    for prefix, meaning in SENSITIVE_HOST_PATHS:
        if normal == prefix or normal.startswith(prefix + "/") or normal.startswith(prefix + "."):
            return f"{_show(text)} ({meaning}: root on the node)"
    return _show(text)


def _persistent_volume(resource: Resource) -> Iterator[str]:
    for manifest in manifests(resource.type, resource.props):
        if manifest.kind.removesuffix("Patch") != "PersistentVolume":
            continue
        if get(manifest.props, "spec", "hostPath") is not None:
            where = f"{manifest.path}." if manifest.path else ""
            name = _show(get(manifest.props, "metadata", "name", default=""))
            yield f"PersistentVolume{f' {name!r}' if name else ''} {where}spec.hostPath mounts the node path " \
                  f"{host_path_meaning(get(manifest.props, 'spec', 'hostPath', 'path', default=''))}"


def volume_problem(volume: Any, where: str) -> str | None:
    """What is wrong with one pod volume: a hostPath, or a type outside the restricted set (named by its key)."""
    if not isinstance(volume, Mapping):
        return None
    name = _show(get(volume, "name", default="?"))
    if get(volume, "hostPath") is not None:
        return f"volume '{name}' ({where}) mounts hostPath {host_path_meaning(get(volume, 'hostPath', 'path', default=''))}"
    kinds = sorted(str(k) for k, v in volume.items() if k != "name" and v is not None)
    outside = [k for k in kinds if k not in ALLOWED_VOLUME_TYPES]
    if outside:
        return f"volume '{name}' ({where}) uses volume type {_show(', '.join(outside))}, outside the restricted set " \
               f"(configMap, secret, projected, downwardAPI, emptyDir, ephemeral, image, csi, persistentVolumeClaim)"
    return None


@resource_rule(host_path, is_kubernetes)
def k8s_no_host_path_or_port(resource: Resource) -> Iterator[str]:
    yield from _persistent_volume(resource)
    for pod in pods(resource.type, resource.props):
        for index, volume in enumerate(items(get(pod.spec, "volumes"))):
            problem = volume_problem(volume, f"{pod.path}.volumes[{index}]")
            if problem:
                yield problem
        for c in pod.containers():
            for index, port in enumerate(items(get(c.data, "ports"))):
                value = get(port, "hostPort")
                if value is not None and number(value) != 0:
                    yield f"{c.label} binds hostPort {_show(value)} (ports[{index}].hostPort)"


SAFE_SYSCTLS = frozenset({
    "kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.ip_unprivileged_port_start",
    "net.ipv4.tcp_syncookies", "net.ipv4.ping_group_range", "net.ipv4.ip_local_reserved_ports",
    "net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout", "net.ipv4.tcp_keepalive_intvl",
    "net.ipv4.tcp_keepalive_probes", "net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem",
})

sysctls = Meta(
    name="k8s-safe-sysctls",
    description="Pods set only the sysctls Kubernetes classes as safe (namespaced, isolated from the node).",
    severity=Severity.HIGH,
    categories=("AA",),
    references=("Pod Security baseline (sysctls)", "Kubescape C-0058"),
    remediation="Remove `securityContext.sysctls` entries outside the safe set (kernel.shm_rmid_forced, "
                "net.ipv4.ip_local_port_range, net.ipv4.ip_unprivileged_port_start, net.ipv4.tcp_syncookies, "
                "net.ipv4.ping_group_range, net.ipv4.ip_local_reserved_ports, net.ipv4.tcp_keepalive_*, "
                "net.ipv4.tcp_fin_timeout, net.ipv4.tcp_rmem/tcp_wmem); tune the node instead.",
)


@pod_rule(sysctls)
def k8s_safe_sysctls(resource: Resource, found: list[Pod]) -> Iterator[str]:
    for pod in found:
        for index, entry in enumerate(items(get(pod.spec, "securityContext", "sysctls"))):
            raw = str(get(entry, "name", default="")).strip()
            name = raw.replace("/", ".")
            if name not in SAFE_SYSCTLS:
                shown = _show(raw) + (f" ({_show(name)})" if name != raw else "")
                yield f"pod ({pod.path}) sets unsafe sysctl {shown or '(unnamed)'} = " \
                      f"{_show(get(entry, 'value', default=''))} (securityContext.sysctls[{index}])"


# --- confinement profiles ----------------------------------------------------------------------------

seccomp = Meta(
    name="k8s-seccomp",
    description="Containers run with the RuntimeDefault or a Localhost seccomp profile, never Unconfined.",
    severity=Severity.MEDIUM,
    categories=("AA",),
    references=("CKV_K8S_31", "Polaris linuxHardening", "Kubescape C-0055"),
    remediation="Set `securityContext.seccompProfile.type: RuntimeDefault` on the pod; legacy "
                "`seccomp.security.alpha.kubernetes.io` annotations may only say runtime/default or localhost/<profile>.",
)

SECCOMP_POD_ANNOTATION = "seccomp.security.alpha.kubernetes.io/pod"
SECCOMP_CONTAINER_ANNOTATION = "container.seccomp.security.alpha.kubernetes.io/"
APPARMOR_ANNOTATION = "container.apparmor.security.beta.kubernetes.io/"


# Annotation values that confine (the legacy spelling of the profile fields): the runtime's default profile or one
# loaded on the node. `unconfined`, and anything the runtime does not know, confine nothing.
SECCOMP_ANNOTATION_VALUES = ("runtime/default", "docker/default")
APPARMOR_ANNOTATION_VALUES = ("runtime/default",)
CONFINING_PROFILE_TYPES = frozenset({"runtimedefault", "localhost"})


def _profile_annotation(pod: Pod, key: str, allowed: tuple[str, ...], what: str) -> str | None:
    value = pod.annotation(key).strip()
    if not value or value.lower() in allowed or value.lower().startswith("localhost/"):
        return None
    if value.lower() == "unconfined":
        return f"annotation {key}: {_show(value)} turns {what} off"
    return f"annotation {key}: {_show(value)} is not runtime/default or localhost/<profile>, so {what} confines nothing"


@pod_rule(seccomp)
def k8s_seccomp(resource: Resource, found: list[Pod]) -> Iterator[str]:
    for pod in found:
        problem = _profile_annotation(pod, SECCOMP_POD_ANNOTATION, SECCOMP_ANNOTATION_VALUES, "seccomp")
        if problem:
            yield f"pod {problem}"
        for c in pod.containers():
            problem = _profile_annotation(pod, SECCOMP_CONTAINER_ANNOTATION + c.name, SECCOMP_ANNOTATION_VALUES, "seccomp")
            if problem:
                yield f"{c.label}: {problem}"
            profile, where = c.context("seccompProfile")
            kind = get(profile, "type")
            if kind in ("RuntimeDefault", "Localhost"):
                continue
            if kind is not None:
                yield f"{c.label} runs with seccomp profile {_show(kind)} (set at {where}.type)"
            elif not pod.partial:
                yield f"{c.label} sets no seccompProfile (runs Unconfined); set type RuntimeDefault"


mac = Meta(
    name="k8s-apparmor-selinux",
    description="No container turns AppArmor off (Unconfined) or runs under an unconfined SELinux type or a "
                "custom SELinux user or role.",
    severity=Severity.HIGH,
    categories=("AA",),
    references=("Pod Security baseline (AppArmor, SELinux)", "Kubescape C-0055", "CKV_K8S_29"),
    remediation="Use `appArmorProfile.type` RuntimeDefault or Localhost (annotations "
                "`container.apparmor.security.beta.kubernetes.io/*`: runtime/default or localhost/<profile>), never "
                "Unconfined; leave `seLinuxOptions` unset or use type container_t / "
                "container_init_t / container_kvm_t without user or role.",
)

ALLOWED_SELINUX_TYPES = frozenset({"", "container_t", "container_init_t", "container_kvm_t", "container_engine_t"})


def _selinux(options: Any, where: str, who: str) -> Iterator[str]:
    if not isinstance(options, Mapping):
        return
    kind = str(get(options, "type", default=""))
    if kind not in ALLOWED_SELINUX_TYPES:
        yield f"{who} sets seLinuxOptions.type {_show(kind)} ({where})"
    for key in ("user", "role"):
        if get(options, key):
            yield f"{who} sets seLinuxOptions.{key} {_show(get(options, key))} ({where})"


def _apparmor_off(kind: Any) -> str:
    return "" if str(kind).strip().lower() == "unconfined" else " (only RuntimeDefault or Localhost confine it)"


@pod_rule(mac)
def k8s_apparmor_selinux(resource: Resource, found: list[Pod]) -> Iterator[str]:
    for pod in found:
        who = f"pod ({pod.path})"
        kind = get(pod.spec, "securityContext", "appArmorProfile", "type")
        if kind is not None and str(kind).strip().lower() not in CONFINING_PROFILE_TYPES:
            yield f"{who} sets securityContext.appArmorProfile.type: {_show(kind)}{_apparmor_off(kind)}"
        yield from _selinux(get(pod.spec, "securityContext", "seLinuxOptions"), f"{pod.path}.securityContext", who)
        for c in pod.containers():
            kind = c.own("appArmorProfile", "type")
            if kind is not None and str(kind).strip().lower() not in CONFINING_PROFILE_TYPES:
                yield f"{c.label} sets securityContext.appArmorProfile.type: {_show(kind)}{_apparmor_off(kind)}"
            problem = _profile_annotation(pod, APPARMOR_ANNOTATION + c.name, APPARMOR_ANNOTATION_VALUES, "AppArmor")
            if problem:
                yield f"{c.label}: {problem}"
            yield from _selinux(c.own("seLinuxOptions"), f"{c.path}.securityContext", c.label)


# --- identity ----------------------------------------------------------------------------------------

service_account = Meta(
    name="k8s-service-account",
    description="Workloads run under a dedicated service account, without an automounted token, outside `default`.",
    severity=Severity.MEDIUM,
    categories=("AA",),
    references=("CKV_K8S_21", "CKV_K8S_38", "CKV_K8S_41", "Kubescape C-0034"),
    remediation="Create a ServiceAccount per workload, set `serviceAccountName`, "
                "`automountServiceAccountToken: false` and a namespace other than `default`.",
)


@resource_rule(service_account, is_kubernetes)
def k8s_service_account(resource: Resource) -> Iterator[str]:
    accounts = [m for m in manifests(resource.type, resource.props) if m.kind.removesuffix("Patch") == "ServiceAccount"]
    for manifest in accounts:
        name = _show(get(manifest.props, "metadata", "name", default=""))
        automount = get(manifest.props, "automountServiceAccountToken")
        if truthy(automount):
            yield f"service account '{name}' sets automountServiceAccountToken: {_show(automount)}; set it to false"
        elif name == "default" and automount is not False and not is_false(automount) and not manifest.partial:
            # Every pod that names no account runs as `default`: its token must not be mounted by default.
            yield "service account 'default' does not set automountServiceAccountToken: false"
    # A List or ConfigGroup may hold accounts and workloads together: the pods are judged all the same.
    for pod in pods(resource.type, resource.props):
        if pod.partial:
            if truthy(get(pod.spec, "automountServiceAccountToken")):
                yield f"pod ({pod.path}) sets automountServiceAccountToken: true"
            continue
        namespace = pod.namespace or namespace_of(resource.props, resource.provider_props)
        if namespace == "default":
            yield f"{pod.kind} {pod.name or resource.name} is in the `default` namespace"
        account = get(pod.spec, "serviceAccountName") or get(pod.spec, "serviceAccount")
        if not account or account == "default":
            yield f"pod ({pod.path}) runs under the `default` service account"
        automount = get(pod.spec, "automountServiceAccountToken")
        if automount is not False and not is_false(automount):  # is_false: a withheld value is not judged
            yield f"pod ({pod.path}) does not set automountServiceAccountToken: false"


# --- images ------------------------------------------------------------------------------------------

MUTABLE_TAGS = frozenset({"latest", "stable", "main", "master", "edge", "dev", "develop", "nightly", "mainline",
                          "current", "lts", "beta", "alpha", "canary", "release", "head", "trunk", "next", "rc",
                          "snapshot", "test", "prod", "production", "staging"})
# Words in a version's suffix that say the build under it is replaced (`1.2.3-SNAPSHOT`, `2.0.0-nightly`).
MOVING_SUFFIXES = frozenset({"snapshot", "latest", "nightly", "dev", "edge", "head", "trunk", "master", "main"})
# An immutable-looking tag: a full major.minor.patch version (optional `v`, optional suffix such as
# `-alpine` or `+build`), or a commit id. `1`, `1.2`, `3-alpine`, `latest-slim` name a moving line.
VERSION_TAG = verify.pattern(r"v?[0-9]{1,9}\.[0-9]{1,9}\.[0-9]{1,9}([-+_.][0-9A-Za-z][0-9A-Za-z._+-]{0,100})?")
# A commit id is 7 to 40 hex digits; 64 hex digits in a tag only look like a digest (tags can be moved, digests not).
COMMIT_TAG = verify.pattern(r"(sha-|g|git-)?[0-9a-f]{7,40}")
_TAG_WORDS = verify.pattern(r"[-+_.]")
DIGEST = verify.pattern(r"(sha256:[0-9a-f]{64}|sha384:[0-9a-f]{96}|sha512:[0-9a-f]{128})")

image_pinned = Meta(
    name="k8s-image-pinned",
    description="Container images are pinned to a digest or a full version tag (major.minor.patch), never "
                "`latest`, a branch name, a bare major or no tag.",
    severity=Severity.HIGH,
    categories=("IV",),
    references=("CKV_K8S_14", "CKV_K8S_43", "Polaris tagNotSpecified", "kube-linter latest-tag"),
    remediation="Reference images as `repo:1.2.3` (optionally `-variant`), `repo@sha256:<digest>`, or by a commit id "
                "tag; `latest`, `stable`, `main`, `1`, `1.2` and untagged images change under a running stack.",
)


def image_problem(image: Any) -> str | None:
    if verify.is_withheld(image):
        verify.needs_value(image)  # a secret image reference is there, but its tag cannot be judged
        return None
    if not isinstance(image, str) or not image.strip():
        return "has no image"
    text = image.strip()
    if "@" in text:
        digest = text.rsplit("@", 1)[1]
        return None if DIGEST.fullmatch(digest) else f"uses image {_show(text)} with a malformed digest"
    last = text.rsplit("/", 1)[-1]
    if ":" not in last:
        return f"uses untagged image {_show(text)} (resolves to latest)"
    tag = last.rsplit(":", 1)[1]
    if not tag:
        return f"uses image {_show(text)} with an empty tag"
    if tag.lower() in MUTABLE_TAGS:
        return f"uses moving tag '{_show(tag)}' ({_show(text)})"
    moving = [w for w in _TAG_WORDS.split(tag.lower()) if w in MOVING_SUFFIXES]
    if moving and VERSION_TAG.fullmatch(tag):
        return f"uses tag '{_show(tag)}' ({_show(text)}): a '{moving[0]}' build is rebuilt under the same tag"
    if VERSION_TAG.fullmatch(tag) or COMMIT_TAG.fullmatch(tag):
        return None
    return f"uses tag '{_show(tag)}' ({_show(text)}), which is not a full version or digest"


@pod_rule(image_pinned)
def k8s_image_pinned(resource: Resource, found: list[Pod]) -> Iterator[str]:
    for pod in found:
        for c in pod.containers():
            image = get(c.data, "image")
            if image is None and pod.partial:
                continue
            problem = image_problem(image)
            if problem:
                yield f"{c.label} {problem}"


# --- resources and probes ----------------------------------------------------------------------------

resources_meta = Meta(
    name="k8s-resources",
    description="Containers declare CPU and memory requests and limits; the application's memory limit stays within budget.",
    severity=Severity.MEDIUM,
    categories=("REL",),
    references=("CKV_K8S_10", "CKV_K8S_11", "CKV_K8S_12", "CKV_K8S_13", "Kubescape C-0270", "Kubescape C-0271"),
    remediation="Set `resources.requests` and `resources.limits` for cpu and memory on every container; keep the "
                "application's memory limit at or below 512Mi.",
    config={"appMemoryLimitMi": {"type": "number", "default": 512,
                                 "description": "Memory limit ceiling (Mi) of the blue/green application containers."}},
)


@pod_rule(resources_meta)
def k8s_resources(resource: Resource, found: list[Pod]) -> Iterator[str]:
    ceiling = number(resource.config.get("appMemoryLimitMi")) or 512
    for pod in found:
        app = slot_of(pod.labels) is not None
        for c in pod.containers():
            if c.list_name == "ephemeralContainers":
                continue  # the API forbids resources on ephemeral containers
            if not pod.partial:
                missing = [f"{kind}.{what}" for kind in ("requests", "limits") for what in ("cpu", "memory")
                           if get(c.data, "resources", kind, what) is None]
                if missing:
                    yield f"{c.label} has no resources.{', resources.'.join(missing)}"
            raw = get(c.data, "resources", "limits", "memory")
            limit = memory_mi(raw) if raw is not None else None
            if app and limit is not None and limit > ceiling:
                yield f"{c.label} memory limit {_show(raw)} is above {int(ceiling)}Mi"
            elif app and raw is not None and limit is None and not verify.is_withheld(raw) \
                    and not isinstance(raw, verify.Unknown):
                # The API server refuses it; an unreadable limit must not pass as one under the ceiling.
                yield f"{c.label} memory limit {_show(raw)} is not a Kubernetes quantity"


probes_meta = Meta(
    name="k8s-probes",
    description="Long-running containers have liveness and readiness probes on their own declared ports; no probe or "
                "lifecycle handler names another host; the app uses the required timings.",
    severity=Severity.MEDIUM,
    categories=("REL", "HE"),
    references=("CKV_K8S_8", "CKV_K8S_9", "kube-linter liveness-port", "kube-linter readiness-port"),
    remediation="Add `livenessProbe` and `readinessProbe` on a port the same container declares (by number or name); "
                "leave `httpGet.host` / `tcpSocket.host` unset in probes and lifecycle hooks (the kubelet would connect "
                "to that address from the node); the application uses liveness 30 s initial delay / 10 s period and "
                "readiness 15 s / 5 s.",
    config={
        "liveness": {"type": "object", "default": {"initialDelaySeconds": 30, "periodSeconds": 10},
                     "description": "Required liveness timings of the application containers."},
        "readiness": {"type": "object", "default": {"initialDelaySeconds": 15, "periodSeconds": 5},
                      "description": "Required readiness timings of the application containers."},
    },
)

PROBES = ("livenessProbe", "readinessProbe", "startupProbe")


def probe_port(probe: Any) -> Any:
    for kind in ("httpGet", "tcpSocket", "grpc"):
        if get(probe, kind) is not None:
            return get(probe, kind, "port")
    return None


def runs_to_completion(pod: Pod) -> bool:
    return pod.kind in ("Job", "CronJob", "JobPatch", "CronJobPatch") or "jobTemplate" in pod.path \
        or str(get(pod.spec, "restartPolicy", default="Always")) in ("Never", "OnFailure")


def _probe_port_problem(c: Container, kind: str, port: Any) -> str | None:
    numbers, names = c.ports()
    as_number = port_number(port)
    if as_number is not None:
        return None if as_number in numbers else \
            f"{c.label} {kind} targets port {as_number}, which this container does not declare"
    if str(port) in names:
        return None
    return f"{c.label} {kind} targets port '{_show(port)}', which is not a port name of this container"


HANDLERS = (*PROBES, "lifecycle.postStart", "lifecycle.preStop")


def foreign_hosts(c: Container) -> Iterator[str]:
    """Probes and lifecycle hooks that send the kubelet to another address (from the node's network: a way to
    reach what the pod cannot, and a probe that no longer says anything about this container)."""
    for handler in HANDLERS:
        node = get(c.data, *handler.split("."))
        for kind in ("httpGet", "tcpSocket"):
            host = get(node, kind, "host")
            if host is not None and str(host).strip():
                yield f"{c.label} {handler}.{kind}.host is {_show(host)}: the kubelet connects to another host " \
                      f"from the node"


@pod_rule(probes_meta)
def k8s_probes(resource: Resource, found: list[Pod]) -> Iterator[str]:
    for pod in found:
        app = slot_of(pod.labels) is not None
        for c in pod.containers():
            yield from foreign_hosts(c)
            for kind in PROBES:
                probe = get(c.data, kind)
                port = probe_port(probe) if probe is not None else None
                if port is not None:
                    problem = _probe_port_problem(c, kind, port)
                    if problem:
                        yield problem
            if c.list_name != "containers" or pod.partial or runs_to_completion(pod):
                continue
            for kind, timing_key in (("livenessProbe", "liveness"), ("readinessProbe", "readiness")):
                probe = get(c.data, kind)
                if probe is None:
                    yield f"{c.label} has no {kind}"
                    continue
                if app:
                    for field, wanted in mapping(resource.config.get(timing_key)).items():
                        actual = number(get(probe, field))
                        if actual != number(wanted):
                            shown = actual if actual is None else int(actual)
                            yield f"{c.label} {kind}.{field} is {shown}, need {wanted}"


POLICIES = [
    k8s_no_privileged, k8s_no_privilege_escalation, k8s_run_as_non_root, k8s_read_only_root_fs, k8s_drop_capabilities,
    k8s_no_host_namespaces, k8s_no_host_path_or_port, k8s_safe_sysctls, k8s_seccomp, k8s_apparmor_selinux,
    k8s_service_account, k8s_image_pinned, k8s_resources, k8s_probes,
]
