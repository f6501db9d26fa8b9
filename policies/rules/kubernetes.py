"""Kubernetes rules: workloads (init and ephemeral containers included), Services, ConfigMaps, Helm Releases."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import Severity

from .common import (
    Meta,
    Resource,
    Stack,
    credentials_in_text,
    depends_on,
    get,
    items,
    literal_secret,
    mapping,
    number,
    resource_rule,
    secret_like_name,
    stack_rule,
    truthy,
)
from .k8s import (
    CONFIGMAP,
    DEPLOYMENT,
    HELM_RELEASE,
    LONG_RUNNING,
    SERVICE,
    SERVICE_ACCOUNT,
    STATEFULSET,
    WORKLOADS,
    app_containers,
    container_ports,
    containers,
    labels,
    memory_mi,
    namespace_of,
    pod_template,
    slot_of,
)

EDGE_LABEL = {"app.kubernetes.io/name": "haproxy"}


def _context(container: Mapping[str, Any], spec: Mapping[str, Any], key: str) -> Any:
    """A securityContext field: the container's value wins over the pod's."""
    value = get(container, "securityContext", key)
    if value is None:
        value = get(spec, "securityContext", key)
    return value


def _workload(resource: Resource) -> tuple[Mapping[str, Any], Mapping[str, Any]]:
    return pod_template(resource.type, resource.props)


no_privileged = Meta(
    name="k8s-no-privileged",
    description="Containers, init containers included, must not run privileged.",
    severity=Severity.CRITICAL,
    categories=("AA",),
    references=("CKV_K8S_16", "kube-linter privileged-container", "Kubescape C-0057"),
    remediation="Remove `securityContext.privileged: true`; grant only the specific capability the process needs.",
)


@resource_rule(no_privileged, WORKLOADS)
def k8s_no_privileged(resource: Resource) -> Iterator[str]:
    spec, _ = _workload(resource)
    for label, container in containers(spec):
        if truthy(get(container, "securityContext", "privileged")):
            yield f"{label} is privileged; set securityContext.privileged to false"


no_escalation = Meta(
    name="k8s-no-privilege-escalation",
    description="Containers must set allowPrivilegeEscalation to false.",
    severity=Severity.HIGH,
    categories=("AA",),
    references=("CKV_K8S_20", "Kubescape C-0016", "Polaris privilegeEscalationAllowed"),
    remediation="Set `securityContext.allowPrivilegeEscalation: false` on every container and init container.",
)


@resource_rule(no_escalation, WORKLOADS)
def k8s_no_privilege_escalation(resource: Resource) -> Iterator[str]:
    spec, _ = _workload(resource)
    for label, container in containers(spec):
        if get(container, "securityContext", "allowPrivilegeEscalation") is not False:
            yield f"{label} does not set securityContext.allowPrivilegeEscalation: false"


non_root = Meta(
    name="k8s-run-as-non-root",
    description="Containers must run as a non-root user with a UID of at least 10000.",
    severity=Severity.HIGH,
    categories=("AA",),
    references=("CKV_K8S_23", "CKV_K8S_40", "kube-linter run-as-non-root", "Polaris runAsRootAllowed"),
    remediation="Set `runAsNonRoot: true` and `runAsUser` >= 10000 (pod or container securityContext); "
                "UIDs below 10000 can collide with host users.",
    config={"minUid": {"type": "number", "default": 10000, "description": "Lowest accepted runAsUser."}},
)


@resource_rule(non_root, WORKLOADS)
def k8s_run_as_non_root(resource: Resource) -> Iterator[str]:
    spec, _ = _workload(resource)
    min_uid = number(resource.config.get("minUid")) or 10000
    for label, container in containers(spec):
        if _context(container, spec, "runAsNonRoot") is not True:
            yield f"{label} does not set runAsNonRoot: true"
        uid = number(_context(container, spec, "runAsUser"))
        if uid is None:
            yield f"{label} sets no runAsUser (need >= {int(min_uid)})"
        elif uid < min_uid:
            yield f"{label} runs as UID {int(uid)} (need >= {int(min_uid)})"


read_only_fs = Meta(
    name="k8s-read-only-root-fs",
    description="Containers must mount their root filesystem read-only.",
    severity=Severity.MEDIUM,
    categories=("AA",),
    references=("CKV_K8S_22", "Kubescape C-0017", "Pulumi compliance-policies"),
    remediation="Set `securityContext.readOnlyRootFilesystem: true`; mount an emptyDir where the process must write.",
)


@resource_rule(read_only_fs, WORKLOADS)
def k8s_read_only_root_fs(resource: Resource) -> Iterator[str]:
    spec, _ = _workload(resource)
    for label, container in containers(spec):
        if get(container, "securityContext", "readOnlyRootFilesystem") is not True:
            yield f"{label} does not set readOnlyRootFilesystem: true"


DANGEROUS_CAPABILITIES = {"ALL", "SYS_ADMIN", "NET_RAW", "NET_ADMIN", "SYS_PTRACE", "SYS_MODULE", "DAC_READ_SEARCH",
                          "BPF", "PERFMON", "SYS_RAWIO", "SYS_BOOT", "MAC_ADMIN", "SYS_TIME"}

drop_caps = Meta(
    name="k8s-drop-capabilities",
    description="Containers must drop ALL capabilities and never add SYS_ADMIN, NET_RAW or similar.",
    severity=Severity.HIGH,
    categories=("AA",),
    references=("CKV_K8S_28", "CKV_K8S_37", "CKV_K8S_39", "Kubescape C-0046"),
    remediation="Set `securityContext.capabilities.drop: [ALL]`; add back only NET_BIND_SERVICE-like capabilities.",
)


def _cap(name: Any) -> str:
    text = str(name).upper()
    return text[4:] if text.startswith("CAP_") else text


@resource_rule(drop_caps, WORKLOADS)
def k8s_drop_capabilities(resource: Resource) -> Iterator[str]:
    spec, _ = _workload(resource)
    for label, container in containers(spec):
        dropped = {_cap(c) for c in items(get(container, "securityContext", "capabilities", "drop"))}
        if "ALL" not in dropped:
            yield f"{label} does not drop ALL capabilities"
        added = sorted({_cap(c) for c in items(get(container, "securityContext", "capabilities", "add"))}
                       & DANGEROUS_CAPABILITIES)
        if added:
            yield f"{label} adds {', '.join(added)}"


host_ns = Meta(
    name="k8s-no-host-namespaces",
    description="Pods must not share the host's network, PID or IPC namespace.",
    severity=Severity.HIGH,
    categories=("AA",),
    references=("CKV_K8S_17", "CKV_K8S_18", "CKV_K8S_19", "Kubescape C-0038", "Kubescape C-0041"),
    remediation="Remove `hostNetwork`, `hostPID` and `hostIPC` (or set them to false).",
)


@resource_rule(host_ns, WORKLOADS)
def k8s_no_host_namespaces(resource: Resource) -> Iterator[str]:
    spec, _ = _workload(resource)
    for key in ("hostNetwork", "hostPID", "hostIPC"):
        if truthy(get(spec, key)):
            yield f"pod sets {key}: true"


host_path = Meta(
    name="k8s-no-host-path-or-port",
    description="Pods must not mount hostPath volumes (such as the container runtime socket) or bind host ports.",
    severity=Severity.HIGH,
    categories=("AA",),
    references=("CKV_K8S_26", "CKV_K8S_27", "kube-linter sensitive-host-mounts", "kube-linter host-port"),
    remediation="Use emptyDir, ConfigMap, Secret or PersistentVolumeClaim volumes; expose ports through a Service.",
)


@resource_rule(host_path, WORKLOADS)
def k8s_no_host_path_or_port(resource: Resource) -> Iterator[str]:
    spec, _ = _workload(resource)
    for volume in items(get(spec, "volumes")):
        path = get(volume, "hostPath", "path")
        if get(volume, "hostPath") is not None:
            yield f"volume '{get(volume, 'name', default='?')}' mounts hostPath {path or ''}".rstrip()
    for label, container in containers(spec):
        for port in items(get(container, "ports")):
            if number(get(port, "hostPort")):
                yield f"{label} binds hostPort {int(number(get(port, 'hostPort')) or 0)}"


seccomp = Meta(
    name="k8s-seccomp",
    description="Containers must run with the RuntimeDefault or a Localhost seccomp profile.",
    severity=Severity.MEDIUM,
    categories=("AA",),
    references=("CKV_K8S_31", "Polaris linuxHardening", "Kubescape C-0055"),
    remediation="Set `securityContext.seccompProfile.type: RuntimeDefault` on the pod.",
)


@resource_rule(seccomp, WORKLOADS)
def k8s_seccomp(resource: Resource) -> Iterator[str]:
    spec, _ = _workload(resource)
    for label, container in containers(spec):
        profile = _context(container, spec, "seccompProfile")
        kind = get(profile, "type")
        if kind not in ("RuntimeDefault", "Localhost"):
            yield f"{label} runs with seccomp profile {kind or 'unset (Unconfined)'}"


service_account = Meta(
    name="k8s-service-account",
    description="Workloads run under a dedicated service account, without an automounted token, outside `default`.",
    severity=Severity.MEDIUM,
    categories=("AA",),
    references=("CKV_K8S_21", "CKV_K8S_38", "CKV_K8S_41", "Kubescape C-0034"),
    remediation="Create a ServiceAccount per workload, set `serviceAccountName`, "
                "`automountServiceAccountToken: false` and a namespace other than `default`.",
)


@resource_rule(service_account, (*WORKLOADS, SERVICE_ACCOUNT))
def k8s_service_account(resource: Resource) -> Iterator[str]:
    namespace = namespace_of(resource.props, resource.provider_props)
    if resource.type == SERVICE_ACCOUNT:
        if truthy(get(resource.props, "automountServiceAccountToken")):
            yield "the service account automounts its token; set automountServiceAccountToken: false"
        return
    if namespace == "default":
        yield "the workload is in the `default` namespace"
    spec, _ = _workload(resource)
    account = get(spec, "serviceAccountName") or get(spec, "serviceAccount")
    if not account or account == "default":
        yield "the pod runs under the `default` service account"
    if get(spec, "automountServiceAccountToken") is not False:
        yield "the pod does not set automountServiceAccountToken: false"


MUTABLE_TAGS = {"latest", "stable", "main", "master", "edge", "dev", "nightly", "mainline", "current", "lts"}

image_pinned = Meta(
    name="k8s-image-pinned",
    description="Container images are pinned to a digest or an immutable version tag, never `latest` or untagged.",
    severity=Severity.HIGH,
    categories=("IV",),
    references=("CKV_K8S_14", "CKV_K8S_43", "Polaris tagNotSpecified", "kube-linter latest-tag"),
    remediation="Reference images as `repo:1.2.3` or `repo@sha256:<digest>`.",
)


def image_problem(image: Any) -> str | None:
    text = str(image or "").strip()
    if not text:
        return "has no image"
    if "@sha256:" in text:
        return None
    last = text.rsplit("/", 1)[-1]
    if ":" not in last:
        return f"uses untagged image {text}"
    tag = last.rsplit(":", 1)[1]
    if tag.lower() in MUTABLE_TAGS or not tag:
        return f"uses moving tag {text}"
    return None


@resource_rule(image_pinned, WORKLOADS)
def k8s_image_pinned(resource: Resource) -> Iterator[str]:
    spec, _ = _workload(resource)
    for label, container in containers(spec):
        problem = image_problem(get(container, "image"))
        if problem:
            yield f"{label} {problem}"


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


def is_app(pod_labels: Mapping[str, str]) -> bool:
    return slot_of(pod_labels) is not None


@resource_rule(resources_meta, WORKLOADS)
def k8s_resources(resource: Resource) -> Iterator[str]:
    spec, metadata = _workload(resource)
    ceiling = number(resource.config.get("appMemoryLimitMi")) or 512
    app = is_app(labels(metadata))
    for label, container in containers(spec):
        missing = [f"{kind}.{what}" for kind in ("requests", "limits") for what in ("cpu", "memory")
                   if get(container, "resources", kind, what) is None]
        if missing:
            yield f"{label} has no {', '.join(missing)}"
        limit = memory_mi(get(container, "resources", "limits", "memory", default=""))
        if app and limit is not None and limit > ceiling:
            yield f"{label} memory limit {get(container, 'resources', 'limits', 'memory')} is above {int(ceiling)}Mi"


probes_meta = Meta(
    name="k8s-probes",
    description="Long-running containers have liveness and readiness probes on declared ports; the app uses the "
                "required timings.",
    severity=Severity.MEDIUM,
    categories=("REL", "HE"),
    references=("CKV_K8S_8", "CKV_K8S_9", "kube-linter liveness-port", "kube-linter readiness-port"),
    remediation="Add `livenessProbe` and `readinessProbe` on a declared container port; the application uses "
                "liveness 30 s initial delay / 10 s period and readiness 15 s / 5 s.",
    config={
        "liveness": {"type": "object", "default": {"initialDelaySeconds": 30, "periodSeconds": 10},
                     "description": "Required liveness timings of the application containers."},
        "readiness": {"type": "object", "default": {"initialDelaySeconds": 15, "periodSeconds": 5},
                      "description": "Required readiness timings of the application containers."},
    },
)


def _probe_port(probe: Mapping[str, Any]) -> Any:
    for kind in ("httpGet", "tcpSocket", "grpc"):
        if get(probe, kind) is not None:
            return get(probe, kind, "port")
    return None


@resource_rule(probes_meta, LONG_RUNNING)
def k8s_probes(resource: Resource) -> Iterator[str]:
    spec, metadata = _workload(resource)
    app = is_app(labels(metadata))
    numbers, names = container_ports(spec)
    for label, container in app_containers(spec):
        for kind, timing_key in (("livenessProbe", "liveness"), ("readinessProbe", "readiness")):
            probe = get(container, kind)
            if probe is None:
                yield f"{label} has no {kind}"
                continue
            port = _probe_port(probe)
            if port is not None:
                declared = (str(port) in names) if isinstance(port, str) and not port.isdigit() \
                    else int(float(port)) in numbers
                if not declared:
                    yield f"{label} {kind} targets port {port}, which no container declares"
            if app:
                for field, wanted in mapping(resource.config.get(timing_key)).items():
                    actual = number(get(probe, field))
                    if actual != number(wanted):
                        yield f"{label} {kind}.{field} is {actual if actual is None else int(actual)}, need {wanted}"


literal_env = Meta(
    name="k8s-no-literal-secret-env",
    description="No environment variable named like a password, secret, token or key carries a literal value.",
    severity=Severity.CRITICAL,
    categories=("SM",),
    references=("Polaris sensitiveContainerEnvVar", "kube-linter env-var-secret", "Kubescape C-0012"),
    remediation="Read the value from a Secret with `valueFrom.secretKeyRef` (or mount the Secret as a file).",
)


@resource_rule(literal_env, WORKLOADS)
def k8s_no_literal_secret_env(resource: Resource) -> Iterator[str]:
    spec, _ = _workload(resource)
    for label, container in containers(spec):
        for env in items(get(container, "env")):
            name = str(get(env, "name", default=""))
            if secret_like_name(name) and literal_secret(get(env, "value")):
                yield f"{label} sets {name} to a literal value"


configmap_secrets = Meta(
    name="k8s-configmap-no-secrets",
    description="ConfigMaps, the HAProxy configuration included, hold no credentials or private keys.",
    severity=Severity.CRITICAL,
    categories=("SM",),
    references=("Polaris sensitiveConfigmapContent", "CKV_K8S_35"),
    remediation="Move the value into a Secret and reference it (`secretKeyRef`, a mounted file, or an "
                "environment variable the HAProxy config reads as \"${NAME}\").",
)


def haproxy_credentials(text: str) -> Iterator[str]:
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        words = line.split()
        if not words:
            continue
        if words[0] == "user" and "insecure-password" in words:
            yield f"a plaintext password for HAProxy user {words[1] if len(words) > 1 else '?'}"
        elif words[0] == "user" and "password" in words:
            value = words[words.index("password") + 1] if words.index("password") + 1 < len(words) else ""
            if literal_secret(value):
                yield f"a password hash for HAProxy user {words[1] if len(words) > 1 else '?'}"
        elif words[:2] == ["stats", "auth"] and len(words) > 2 and ":" in words[2] \
                and literal_secret(words[2].split(":", 1)[1]):
            yield "a literal `stats auth` password"


@resource_rule(configmap_secrets, (CONFIGMAP,))
def k8s_configmap_no_secrets(resource: Resource) -> Iterator[str]:
    for section in ("data", "binaryData"):
        for raw_key, value in mapping(get(resource.props, section)).items():
            key = str(raw_key)
            if secret_like_name(key) and literal_secret(value):
                yield f"{section}.{key} looks like a credential"
                continue
            if not isinstance(value, str):
                continue
            for finding in credentials_in_text(value):
                yield f"{section}.{key} contains {finding}"
            if key.endswith(".cfg") or "haproxy" in key:
                for finding in haproxy_credentials(value):
                    yield f"{section}.{key} contains {finding}"


public_service = Meta(
    name="k8s-no-public-service",
    description="Only the edge proxy is exposed through a LoadBalancer or NodePort, with externalTrafficPolicy Local.",
    severity=Severity.HIGH,
    categories=("AA", "HE"),
    references=("Pulumi compliance-policies disallow-load-balancer", "kube-linter exposed-services"),
    remediation="Use ClusterIP Services; route public traffic through the HAProxy edge Service, which sets "
                "`externalTrafficPolicy: Local` so HAProxy sees client addresses.",
)

INTERNAL_LB_ANNOTATIONS = {
    "service.beta.kubernetes.io/aws-load-balancer-scheme": "internal",
    "service.beta.kubernetes.io/aws-load-balancer-internal": "true",
    "service.beta.kubernetes.io/azure-load-balancer-internal": "true",
    "networking.gke.io/load-balancer-type": "internal",
    "cloud.google.com/load-balancer-type": "internal",
}


def internal_load_balancer(annotations: Mapping[str, Any]) -> bool:
    for key, wanted in INTERNAL_LB_ANNOTATIONS.items():
        if str(annotations.get(key, "")).lower() in {wanted, "0.0.0.0/0"} and key in annotations:
            return True
    return False


def is_edge(selector_or_labels: Mapping[str, Any]) -> bool:
    return all(str(selector_or_labels.get(k)) == v for k, v in EDGE_LABEL.items())


@resource_rule(public_service, (SERVICE,))
def k8s_no_public_service(resource: Resource) -> Iterator[str]:
    kind = get(resource.props, "spec", "type", default="ClusterIP")
    if kind not in ("LoadBalancer", "NodePort"):
        return
    annotations = mapping(get(resource.props, "metadata", "annotations"))
    if kind == "LoadBalancer" and internal_load_balancer(annotations):
        return
    selector = mapping(get(resource.props, "spec", "selector"))
    if not is_edge(selector):
        yield f"a {kind} Service exposes pods other than the edge proxy (selector {dict(selector)})"
        return
    if get(resource.props, "spec", "externalTrafficPolicy") != "Local":
        yield "the edge Service does not set externalTrafficPolicy: Local (client addresses are lost)"


helm_values = Meta(
    name="k8s-helm-release-values",
    description="Helm Release values hold no literal passwords and expose no Grafana, Prometheus or Alertmanager publicly.",
    severity=Severity.HIGH,
    categories=("SM", "AA"),
    references=("pulumi-kubernetes#2057", "Polaris sensitiveContainerEnvVar"),
    remediation="Point charts at existing Secrets (e.g. `grafana.admin.existingSecret`), keep chart Services "
                "ClusterIP, disable chart Ingresses and anonymous access.",
)

PUBLIC_SERVICE_TYPES = {"LoadBalancer", "NodePort"}


def walk_values(value: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    if isinstance(value, Mapping):
        for key, child in value.items():
            yield from walk_values(child, (*path, str(key)))
    elif isinstance(value, (list, tuple)) or (hasattr(value, "__len__") and hasattr(value, "__getitem__")
                                              and not isinstance(value, (str, bytes))):
        for index, child in enumerate(value):
            yield from walk_values(child, (*path, str(index)))
    else:
        yield path, value


def helm_values_problems(values: Mapping[str, Any], generated: bool) -> Iterator[str]:
    for path, value in walk_values(values):
        key = path[-1] if path else ""
        dotted = ".".join(path)
        if secret_like_name(key) and literal_secret(value) and not generated:
            yield f"values.{dotted} is a literal credential"
        if key == "type" and len(path) >= 2 and path[-2] == "service" and value in PUBLIC_SERVICE_TYPES:
            annotations = mapping(get(values, *path[:-1], "annotations"))
            if not internal_load_balancer(annotations):
                yield f"values.{dotted} is {value}"
        if key == "enabled" and len(path) >= 2 and path[-2] == "ingress" and truthy(value):
            yield f"values.{dotted} enables a chart Ingress"
        anonymous = path[-3:] == ("anonymous", "enabled") or path[-2:] == ("auth.anonymous", "enabled")
        if anonymous and truthy(value):
            yield f"values.{dotted} enables anonymous access"


RANDOM_SECRETS = ("random:index/randomPassword:RandomPassword", "random:index/randomString:RandomString")


@stack_rule(helm_values)
def k8s_helm_release_values(stack: Stack) -> Iterator[tuple[str, str | None]]:
    # A Release's objects are installed by Helm, invisible to CrossGuard: its values are what we can check.
    # The SDK unwraps secrets, so a generated password is recognised by its dependency on pulumi-random.
    for release in stack.of(HELM_RELEASE):
        generated = bool(depends_on(release, "values", RANDOM_SECRETS))
        for problem in helm_values_problems(mapping(get(release.props, "values")), generated):
            yield problem, release.urn


spread = Meta(
    name="k8s-spread",
    description="Replicated workloads spread over zones (topology spread constraints) or use pod anti-affinity.",
    severity=Severity.MEDIUM,
    categories=("REL",),
    references=("kube-linter no-anti-affinity", "Polaris topologySpreadConstraint"),
    remediation="Add a `topologySpreadConstraints` entry on `topology.kubernetes.io/zone` (or a podAntiAffinity term).",
)


@resource_rule(spread, (DEPLOYMENT, STATEFULSET))
def k8s_spread(resource: Resource) -> Iterator[str]:
    replicas = number(get(resource.props, "spec", "replicas"))
    if replicas is not None and replicas <= 1:
        return
    spec, _ = _workload(resource)
    zones = [c for c in items(get(spec, "topologySpreadConstraints"))
             if get(c, "topologyKey") in ("topology.kubernetes.io/zone", "failure-domain.beta.kubernetes.io/zone")]
    anti = get(spec, "affinity", "podAntiAffinity")
    if not zones and not (items(get(anti, "requiredDuringSchedulingIgnoredDuringExecution"))
                          or items(get(anti, "preferredDuringSchedulingIgnoredDuringExecution"))):
        yield "no zone topologySpreadConstraints and no podAntiAffinity"


POLICIES = [
    k8s_no_privileged, k8s_no_privilege_escalation, k8s_run_as_non_root, k8s_read_only_root_fs, k8s_drop_capabilities,
    k8s_no_host_namespaces, k8s_no_host_path_or_port, k8s_seccomp, k8s_service_account, k8s_image_pinned,
    k8s_resources, k8s_probes, k8s_no_literal_secret_env, k8s_configmap_no_secrets, k8s_no_public_service,
    k8s_helm_release_values, k8s_spread,
]

