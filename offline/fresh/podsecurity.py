"""Pod Security admission, modelled: what the API server's `PodSecurity` admission plugin refuses.

A namespace's `pod-security.kubernetes.io/enforce` label picks a level of the Pod Security Standards
(privileged, baseline, restricted); the plugin refuses every pod, and every workload whose pod
template, that breaks a check of that level. This module judges one pod spec against a level, check
by check, the way the standard defines them:

- baseline: hostProcess, host namespaces, privileged, capabilities beyond the default set, hostPath
  volumes, host ports, AppArmor, SELinux, /proc mount, seccomp `Unconfined`, unsafe sysctls;
- restricted, in addition: volume types, privilege escalation, runAsNonRoot, runAsUser 0, seccomp
  explicitly `RuntimeDefault` or `Localhost`, capabilities dropping ALL and adding at most
  NET_BIND_SERVICE (Windows pods are exempt from the last three, as in the standard).

A container-level setting overrides the pod-level one (runAsNonRoot, runAsUser, seccompProfile,
seLinuxOptions, appArmorProfile). A value unknown during preview is never a pass: it is reported as
a check that cannot be judged.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from components.conventions import POD_SECURITY_ENFORCE
from offline.wire import UNKNOWN

LEVELS = ("privileged", "baseline", "restricted")
ENFORCE_LABEL = POD_SECURITY_ENFORCE
CLUSTER_DEFAULT = "restricted"
"""The level a pod in a namespace without an enforce label is held to. The API server's own default
is `privileged` unless its admission configuration says otherwise; the program promises
`restricted` everywhere it does not say more, so that is what is checked."""

BASELINE_CAPABILITIES = frozenset({
    "AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD", "NET_BIND_SERVICE", "SETFCAP",
    "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT"})
"""The container runtime's default set: baseline lets a container add these and nothing else."""
SAFE_SYSCTLS = frozenset({
    "kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.ip_unprivileged_port_start",
    "net.ipv4.tcp_syncookies", "net.ipv4.ping_group_range", "net.ipv4.ip_local_reserved_ports",
    "net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout", "net.ipv4.tcp_keepalive_intvl",
    "net.ipv4.tcp_keepalive_probes", "net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem"})
SELINUX_TYPES = frozenset({"", "container_t", "container_init_t", "container_kvm_t", "container_engine_t"})
RESTRICTED_VOLUMES = frozenset({
    "configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim", "projected", "secret"})
SECCOMP_ALLOWED = frozenset({"RuntimeDefault", "Localhost"})
APPARMOR_ANNOTATION = "container.apparmor.security.beta.kubernetes.io/"
CONTAINER_LISTS = ("initContainers", "containers", "ephemeralContainers")
_VOLUME_META = frozenset({"name"})


@dataclass(frozen=True)
class Violation:
    check: str
    container: str
    """The container's name, or "" for a pod-level setting."""
    detail: str


class _UnknownValueError(Exception):
    def __init__(self, path: str) -> None:
        super().__init__(path)
        self.path = path


class Pod:
    """One pod spec under judgement, read through `get`, which refuses to judge an unknown value."""

    def __init__(self, spec: Mapping[str, Any], annotations: Mapping[str, Any] | None = None) -> None:
        self.spec = spec
        self.annotations = annotations or {}

    def containers(self) -> Iterator[tuple[str, Mapping[str, Any]]]:
        for key in CONTAINER_LISTS:
            found = self.spec.get(key)
            if found == UNKNOWN:
                raise _UnknownValueError(key)
            for index, container in enumerate(found if isinstance(found, list) else []):
                if isinstance(container, Mapping):
                    name = container.get("name")
                    yield (str(name) if isinstance(name, str) and name != UNKNOWN else f"{key}[{index}]"), container

    @property
    def windows(self) -> bool:
        return get(self.spec, "os", "name") == "windows"


def get(value: Any, *path: str) -> Any:
    """The value at `path` (None when absent); an unknown anywhere on the way cannot be judged."""
    for key in path:
        if value == UNKNOWN:
            raise _UnknownValueError(".".join(path))
        value = value.get(key) if isinstance(value, Mapping) else None
    if value == UNKNOWN:
        raise _UnknownValueError(".".join(path))
    return value


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


Check = Callable[[Pod], Iterator[Violation]]


def _host_process(pod: Pod) -> Iterator[Violation]:
    if get(pod.spec, "securityContext", "windowsOptions", "hostProcess") is True:
        yield Violation("host-process", "", "securityContext.windowsOptions.hostProcess is true")
    for name, container in pod.containers():
        if get(container, "securityContext", "windowsOptions", "hostProcess") is True:
            yield Violation("host-process", name, "securityContext.windowsOptions.hostProcess is true")


def _host_namespaces(pod: Pod) -> Iterator[Violation]:
    for key in ("hostNetwork", "hostPID", "hostIPC"):
        if get(pod.spec, key) is True:
            yield Violation("host-namespaces", "", f"{key} is true")


def _privileged(pod: Pod) -> Iterator[Violation]:
    for name, container in pod.containers():
        if get(container, "securityContext", "privileged") is True:
            yield Violation("privileged", name, "securityContext.privileged is true")


def _baseline_capabilities(pod: Pod) -> Iterator[Violation]:
    for name, container in pod.containers():
        added = [str(c) for c in _as_list(get(container, "securityContext", "capabilities", "add"))]
        if UNKNOWN in added:
            raise _UnknownValueError("securityContext.capabilities.add")
        extra = [c for c in added if c not in BASELINE_CAPABILITIES]
        if extra:
            yield Violation("capabilities", name, f"securityContext.capabilities.add has {', '.join(extra)}")


def _host_path(pod: Pod) -> Iterator[Violation]:
    for volume in _as_list(get(pod.spec, "volumes")):
        if isinstance(volume, Mapping) and get(volume, "hostPath") is not None:
            yield Violation("host-path", "", f"volume '{volume.get('name')}' is a hostPath")


def _host_ports(pod: Pod) -> Iterator[Violation]:
    for name, container in pod.containers():
        for port in _as_list(get(container, "ports")):
            host_port = get(port, "hostPort")
            if host_port not in (None, 0, 0.0):
                shown = int(host_port) if isinstance(host_port, float) else host_port
                yield Violation("host-ports", name, f"ports hostPort {shown}")


def _apparmor(pod: Pod) -> Iterator[Violation]:
    contexts = [("", get(pod.spec, "securityContext"))]
    contexts += [(name, get(container, "securityContext")) for name, container in pod.containers()]
    for name, context in contexts:
        kind = get(context, "appArmorProfile", "type")
        if kind is not None and kind not in SECCOMP_ALLOWED:
            yield Violation("apparmor", name, f"securityContext.appArmorProfile.type is {kind}")
    for key, value in pod.annotations.items():
        if str(key).startswith(APPARMOR_ANNOTATION):
            if value == UNKNOWN:
                raise _UnknownValueError(f"metadata.annotations.{key}")
            if value != "runtime/default" and not str(value).startswith("localhost/"):
                yield Violation("apparmor", str(key)[len(APPARMOR_ANNOTATION):], f"annotation {key} is {value}")


def _selinux(pod: Pod) -> Iterator[Violation]:
    contexts = [("", get(pod.spec, "securityContext"))]
    contexts += [(name, get(container, "securityContext")) for name, container in pod.containers()]
    for name, context in contexts:
        options = get(context, "seLinuxOptions")
        if not isinstance(options, Mapping):
            continue
        kind = get(options, "type")
        if kind is not None and kind not in SELINUX_TYPES:
            yield Violation("selinux", name, f"securityContext.seLinuxOptions.type is {kind}")
        for key in ("user", "role"):
            if get(options, key) not in (None, ""):
                yield Violation("selinux", name, f"securityContext.seLinuxOptions.{key} is set")


def _proc_mount(pod: Pod) -> Iterator[Violation]:
    for name, container in pod.containers():
        mount = get(container, "securityContext", "procMount")
        if mount not in (None, "Default"):
            yield Violation("proc-mount", name, f"securityContext.procMount is {mount}")


def _seccomp_baseline(pod: Pod) -> Iterator[Violation]:
    if get(pod.spec, "securityContext", "seccompProfile", "type") == "Unconfined":
        yield Violation("seccomp", "", "securityContext.seccompProfile.type is Unconfined")
    for name, container in pod.containers():
        if get(container, "securityContext", "seccompProfile", "type") == "Unconfined":
            yield Violation("seccomp", name, "securityContext.seccompProfile.type is Unconfined")


def _sysctls(pod: Pod) -> Iterator[Violation]:
    for sysctl in _as_list(get(pod.spec, "securityContext", "sysctls")):
        name = get(sysctl, "name")
        if name not in SAFE_SYSCTLS:
            yield Violation("sysctls", "", f"securityContext.sysctls has {name}")


def _volume_types(pod: Pod) -> Iterator[Violation]:
    for volume in _as_list(get(pod.spec, "volumes")):
        if not isinstance(volume, Mapping):
            continue
        sources = [key for key in volume if key not in _VOLUME_META]
        refused = [key for key in sources if key not in RESTRICTED_VOLUMES]
        if refused:
            yield Violation("volume-types", "", f"volume '{volume.get('name')}' is a {', '.join(refused)}")


def _privilege_escalation(pod: Pod) -> Iterator[Violation]:
    if pod.windows:
        return
    for name, container in pod.containers():
        if get(container, "securityContext", "allowPrivilegeEscalation") is not False:
            yield Violation("privilege-escalation", name, "securityContext.allowPrivilegeEscalation is not false")


def _run_as_non_root(pod: Pod) -> Iterator[Violation]:
    pod_level = get(pod.spec, "securityContext", "runAsNonRoot")
    for name, container in pod.containers():
        own = get(container, "securityContext", "runAsNonRoot")
        if own is False or (own is None and pod_level is not True):
            where = "securityContext.runAsNonRoot is false" if own is False else \
                "runAsNonRoot is true neither for the pod nor for the container"
            yield Violation("run-as-non-root", name, where)


def _run_as_user(pod: Pod) -> Iterator[Violation]:
    if get(pod.spec, "securityContext", "runAsUser") in (0, 0.0):
        yield Violation("run-as-user", "", "securityContext.runAsUser is 0")
    for name, container in pod.containers():
        if get(container, "securityContext", "runAsUser") in (0, 0.0):
            yield Violation("run-as-user", name, "securityContext.runAsUser is 0")


def _seccomp_restricted(pod: Pod) -> Iterator[Violation]:
    if pod.windows:
        return
    pod_level = get(pod.spec, "securityContext", "seccompProfile", "type")
    for name, container in pod.containers():
        own = get(container, "securityContext", "seccompProfile", "type")
        effective = own if own is not None else pod_level
        if effective not in SECCOMP_ALLOWED and effective != "Unconfined":  # Unconfined: the baseline check says so
            yield Violation("seccomp", name, "seccompProfile.type is RuntimeDefault or Localhost neither for the pod "
                                             "nor for the container")


def _restricted_capabilities(pod: Pod) -> Iterator[Violation]:
    if pod.windows:
        return
    for name, container in pod.containers():
        dropped = [str(c) for c in _as_list(get(container, "securityContext", "capabilities", "drop"))]
        added = [str(c) for c in _as_list(get(container, "securityContext", "capabilities", "add"))]
        if UNKNOWN in dropped + added:
            raise _UnknownValueError("securityContext.capabilities")
        if "ALL" not in dropped:
            yield Violation("capabilities", name, "securityContext.capabilities.drop does not include ALL")
        # Additions beyond the default set are the baseline check's finding already.
        extra = [c for c in added if c != "NET_BIND_SERVICE" and c in BASELINE_CAPABILITIES]
        if extra:
            yield Violation("capabilities", name, f"securityContext.capabilities.add has {', '.join(extra)} "
                                                  "(restricted allows NET_BIND_SERVICE only)")


BASELINE: tuple[tuple[str, Check], ...] = (
    ("host-process", _host_process), ("host-namespaces", _host_namespaces), ("privileged", _privileged),
    ("capabilities", _baseline_capabilities), ("host-path", _host_path), ("host-ports", _host_ports),
    ("apparmor", _apparmor), ("selinux", _selinux), ("proc-mount", _proc_mount), ("seccomp", _seccomp_baseline),
    ("sysctls", _sysctls))
RESTRICTED: tuple[tuple[str, Check], ...] = (
    ("volume-types", _volume_types), ("privilege-escalation", _privilege_escalation),
    ("run-as-non-root", _run_as_non_root), ("run-as-user", _run_as_user), ("seccomp", _seccomp_restricted),
    ("capabilities", _restricted_capabilities))
CHECKS: dict[str, tuple[tuple[str, Check], ...]] = {
    "privileged": (), "baseline": BASELINE, "restricted": BASELINE + RESTRICTED}


def judge(pod: Pod, level: str) -> list[Violation]:
    """Every check of `level` the pod breaks; a check that meets an unknown value says so instead."""
    found: list[Violation] = []
    for name, check in CHECKS[level]:
        try:
            found.extend(check(pod))
        except _UnknownValueError as unknown:
            found.append(Violation(name, "", f"cannot be judged: {unknown.path} is unknown until apply"))
    return list(dict.fromkeys(found))
