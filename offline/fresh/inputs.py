"""First-deploy inputs: everything a resource reads by name must exist when `pulumi up` creates it.

A pod whose Secret is missing never starts, a gateway whose Key Vault secret is missing is refused,
a listener with an unknown ACM certificate fails. So every object read by name (Secrets and
ConfigMaps of pod templates, ServiceAccounts, image pull Secrets, Ingress TLS, chart values naming
an existing Secret, operator resources naming their credentials, Key Vault secret ids, ACM
certificate ARNs) must be

- created by the program in the same deployment (same kind, namespace and name);
- created by a controller the program installs, modelled here per kind (`CONTROLLER_CREATES`:
  CloudNativePG's `<cluster>-app`, cert-manager's `secretName`, ...); or
- a prerequisite the stack declares in a typed config field (`PREREQUISITES`), which the preview lists.

Anything else is a finding: one line naming the resource, the property and the name read.
Values the engine does not know yet (unknown during preview, redacted secrets in an export) cannot
be checked and are skipped.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from components.config import CertificateSource, Platform, StackConfig
from components.edge.contract import EDGE_NAMESPACE
from offline.runner.export import is_secret, unwrap
from offline.runner.mocks import Registration
from offline.wire import UNKNOWN

SECRET, CONFIG_MAP, SERVICE_ACCOUNT = "Secret", "ConfigMap", "ServiceAccount"
KEY_VAULT_SECRET, ACM_CERTIFICATE, ISSUER = "Key Vault secret", "ACM certificate", "cert-manager issuer"
DEFAULT_NAMESPACE = "default"
_BUILT_IN = {(SERVICE_ACCOUNT, "default")}
"""Objects every namespace has from its creation (the ServiceAccount controller makes `default`)."""

_CREATED_KINDS = {"kubernetes:core/v1:Secret": SECRET, "kubernetes:core/v1:ConfigMap": CONFIG_MAP,
                  "kubernetes:core/v1:ServiceAccount": SERVICE_ACCOUNT}
_POD_TEMPLATE_PATHS = {
    "kubernetes:core/v1:Pod": ("spec",),
    "kubernetes:apps/v1:Deployment": ("spec", "template", "spec"),
    "kubernetes:apps/v1:StatefulSet": ("spec", "template", "spec"),
    "kubernetes:apps/v1:DaemonSet": ("spec", "template", "spec"),
    "kubernetes:apps/v1:ReplicaSet": ("spec", "template", "spec"),
    "kubernetes:batch/v1:Job": ("spec", "template", "spec"),
    "kubernetes:batch/v1:CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
}
_CHART_TYPES = frozenset({"kubernetes:helm.sh/v3:Release", "kubernetes:helm.sh/v4:Chart", "kubernetes:helm.sh/v3:Chart"})
_CERTIFICATE_LISTENERS = frozenset({"aws:lb/listener:Listener", "aws:lb/listenerCertificate:ListenerCertificate"})
_VAULT_SECRET_ID = re.compile(r"^https://(?P<vault>[A-Za-z0-9-]{3,24})\.vault\.azure\.net/(?:secrets|certificates)/"
                              r"(?P<name>[0-9A-Za-z-]{1,127})(?:/[0-9a-f]{32})?/?$")


@dataclass(frozen=True)
class Resource:
    """What the check needs of one resource: plain inputs and outputs (secret envelopes opened)."""

    urn: str
    type: str
    name: str
    inputs: Mapping[str, Any]
    outputs: Mapping[str, Any] = field(default_factory=dict)
    id: str = ""

    @property
    def namespace(self) -> str:
        metadata = self.inputs.get("metadata")
        namespace = metadata.get("namespace") if isinstance(metadata, Mapping) else None
        if not isinstance(namespace, str) and self.type in _CHART_TYPES:
            namespace = self.inputs.get("namespace")
        return namespace if isinstance(namespace, str) and namespace else DEFAULT_NAMESPACE

    @property
    def object_name(self) -> str | None:
        metadata = self.inputs.get("metadata")
        name = metadata.get("name") if isinstance(metadata, Mapping) else None
        return name if isinstance(name, str) else None


@dataclass(frozen=True)
class Reference:
    """The resource `urn` reads `kind` `name` (in `namespace` for Kubernetes objects) through `property`."""

    urn: str
    property: str
    kind: str
    name: str
    namespace: str = ""

    def describe(self) -> str:
        return f"{self.kind} {self.namespace}/{self.name}" if self.namespace else f"{self.kind} {self.name}"


@dataclass(frozen=True)
class Prerequisite:
    """An input the stack says exists before the first deploy, and the config key that says so."""

    kind: str
    name: str
    namespace: str
    config_key: str

    def describe(self) -> str:
        where = f"{self.namespace}/{self.name}" if self.namespace else self.name
        return f"{self.kind} {where} ({self.config_key})"


@dataclass(frozen=True)
class Finding:
    check: str
    urn: str
    message: str


def from_registrations(records: Iterable[Registration]) -> list[Resource]:
    return [Resource(urn=r.urn, type=r.type, name=r.name, inputs=unwrap(r.inputs), outputs=unwrap(r.outputs), id=r.id)
            for r in records]


def from_deployment(deployment: Mapping[str, Any]) -> list[Resource]:
    """Resources of a `pulumi stack export` document (redacted secrets stay unreadable)."""
    body = deployment.get("deployment", deployment)
    resources = body.get("resources", []) if isinstance(body, Mapping) else []
    out = []
    for item in resources if isinstance(resources, list) else []:
        if not isinstance(item, Mapping) or not isinstance(item.get("urn"), str) or not isinstance(item.get("type"), str):
            continue
        out.append(Resource(urn=item["urn"], type=item["type"], name=item["urn"].rsplit("::", 1)[-1],
                            inputs=_readable(item.get("inputs")), outputs=_readable(item.get("outputs")),
                            id=str(item.get("id") or "")))
    return out


def _readable(value: Any) -> dict[str, Any]:
    """Plain values, with a redacted secret left out rather than read as its placeholder text."""
    if not isinstance(value, Mapping):
        return {}
    return {k: unwrap(v) for k, v in value.items() if not (is_secret(v) and "ciphertext" in v)}


# --- what reads by name ---------------------------------------------------------------------------


def _known(value: Any) -> str | None:
    return value if isinstance(value, str) and value and UNKNOWN not in value else None


def _get(value: Any, *path: str | int) -> Any:
    for part in path:
        if isinstance(part, int):
            value = value[part] if isinstance(value, list) and -len(value) <= part < len(value) else None
        else:
            value = value.get(part) if isinstance(value, Mapping) else None
    return value


def _items(value: Any) -> list[tuple[int, Any]]:
    return list(enumerate(value)) if isinstance(value, list) else []


def _selector(resource: Resource, path: str, ref: Any, kind: str, namespace: str) -> Iterator[Reference]:
    """A `{name, key, optional}` selector; an optional one reads nothing that must exist."""
    if isinstance(ref, Mapping) and ref.get("optional") is not True and (name := _known(ref.get("name"))):
        yield Reference(resource.urn, path, kind, name, namespace)


def pod_references(resource: Resource, spec: Any, prefix: str, namespace: str) -> Iterator[Reference]:
    """Everything a pod spec reads by name from its namespace."""
    if not isinstance(spec, Mapping):
        return
    if name := _known(spec.get("serviceAccountName") or spec.get("serviceAccount")):
        yield Reference(resource.urn, f"{prefix}.serviceAccountName", SERVICE_ACCOUNT, name, namespace)
    for i, item in _items(spec.get("imagePullSecrets")):
        yield from _selector(resource, f"{prefix}.imagePullSecrets[{i}]", item, SECRET, namespace)
    for group in ("initContainers", "containers", "ephemeralContainers"):
        for c, container in _items(spec.get(group)):
            at = f"{prefix}.{group}[{c}]"
            for e, env in _items(_get(container, "env")):
                source = _get(env, "valueFrom")
                yield from _selector(resource, f"{at}.env[{e}].valueFrom.secretKeyRef",
                                     _get(source, "secretKeyRef"), SECRET, namespace)
                yield from _selector(resource, f"{at}.env[{e}].valueFrom.configMapKeyRef",
                                     _get(source, "configMapKeyRef"), CONFIG_MAP, namespace)
            for e, source in _items(_get(container, "envFrom")):
                yield from _selector(resource, f"{at}.envFrom[{e}].secretRef", _get(source, "secretRef"), SECRET, namespace)
                yield from _selector(resource, f"{at}.envFrom[{e}].configMapRef", _get(source, "configMapRef"),
                                     CONFIG_MAP, namespace)
    for v, volume in _items(spec.get("volumes")):
        at = f"{prefix}.volumes[{v}]"
        secret = _get(volume, "secret")
        if isinstance(secret, Mapping) and secret.get("optional") is not True and (name := _known(secret.get("secretName"))):
            yield Reference(resource.urn, f"{at}.secret.secretName", SECRET, name, namespace)
        yield from _selector(resource, f"{at}.configMap", _get(volume, "configMap"), CONFIG_MAP, namespace)
        for s, source in _items(_get(volume, "projected", "sources")):
            yield from _selector(resource, f"{at}.projected.sources[{s}].secret", _get(source, "secret"), SECRET, namespace)
            yield from _selector(resource, f"{at}.projected.sources[{s}].configMap", _get(source, "configMap"),
                                 CONFIG_MAP, namespace)


MAX_DEPTH = 64
"""Chart values and specs nest a few levels; a deeper document is not walked further (bounded work)."""


EntryVisit = Callable[[str, str, Any, str], Iterable[Reference] | None]
"""(parent path, key, value, the entry's path) -> the references the entry holds, or None to look inside it."""


def _walk(value: Any, path: str, visit: EntryVisit, depth: int = 0) -> Iterator[Reference]:
    """Every entry of every mapping under `value` (lists included), at most MAX_DEPTH levels deep."""
    if depth > MAX_DEPTH:
        return
    if isinstance(value, list):
        for i, item in enumerate(value):
            yield from _walk(item, f"{path}[{i}]", visit, depth + 1)
        return
    if not isinstance(value, Mapping):
        return
    for key, item in value.items():
        at = f"{path}.{key}"
        found = visit(path, key, item, at)
        yield from _walk(item, at, visit, depth + 1) if found is None else found


def _values_references(resource: Resource, values: Any, path: str, namespace: str) -> Iterator[Reference]:
    """Chart values that name an existing Secret in the release's namespace: env `secretKeyRef` and
    `envFrom.secretRef`, `existingSecret`, `imagePullSecrets` and the operator specs' `secrets` lists
    (Alertmanager and Prometheus mount each one, and wait for it)."""

    def visit(parent: str, key: str, value: Any, at: str) -> Iterable[Reference] | None:
        if key in ("secretKeyRef", "secretRef"):
            return _selector(resource, at, value, SECRET, namespace)
        if key == "existingSecret" and (name := _known(value)):
            return [Reference(resource.urn, at, SECRET, name, namespace)]
        if key == "imagePullSecrets":
            return _pull_secrets(resource, at, value, namespace)
        if key == "secrets" and parent.endswith("Spec"):
            return [Reference(resource.urn, f"{at}[{i}]", SECRET, name, namespace)
                    for i, item in _items(value) if (name := _known(item))]
        return None

    return _walk(values, path, visit)


def _pull_secrets(resource: Resource, at: str, value: Any, namespace: str) -> Iterator[Reference]:
    for i, item in _items(value):
        if name := _known(item):
            yield Reference(resource.urn, f"{at}[{i}]", SECRET, name, namespace)
        else:
            yield from _selector(resource, f"{at}[{i}]", item, SECRET, namespace)


def _custom_references(resource: Resource) -> Iterator[Reference]:
    """The operator resources the program declares, by what their controllers read."""
    group_kind = resource.type.split(":", 1)[1] if resource.type.count(":") >= 2 else ""
    spec = resource.inputs.get("spec")
    ns = resource.namespace
    if group_kind.startswith("postgresql.cnpg.io/") and group_kind.endswith(":Cluster"):
        yield from _selector(resource, "spec.bootstrap.initdb.secret", _get(spec, "bootstrap", "initdb", "secret"),
                             SECRET, ns)
        yield from _selector(resource, "spec.superuserSecret", _get(spec, "superuserSecret"), SECRET, ns)
        for key in ("serverTLSSecret", "serverCASecret", "clientCASecret", "replicationTLSSecret"):
            if name := _known(_get(spec, "certificates", key)):
                yield Reference(resource.urn, f"spec.certificates.{key}", SECRET, name, ns)
        for i, item in _items(_get(spec, "imagePullSecrets")):
            yield from _selector(resource, f"spec.imagePullSecrets[{i}]", item, SECRET, ns)
    elif group_kind.startswith("barmancloud.cnpg.io/") and group_kind.endswith(":ObjectStore"):
        yield from _credential_selectors(resource, _get(spec, "configuration"), "spec.configuration", ns)
    elif group_kind.startswith("redis.redis.opstreelabs.in/"):
        yield from _selector(resource, "spec.kubernetesConfig.redisSecret", _get(spec, "kubernetesConfig", "redisSecret"),
                             SECRET, ns)
        if name := _known(_get(spec, "TLS", "secret", "secretName")):
            yield Reference(resource.urn, "spec.TLS.secret.secretName", SECRET, name, ns)
        for i, item in _items(_get(spec, "kubernetesConfig", "imagePullSecrets")):
            yield from _selector(resource, f"spec.kubernetesConfig.imagePullSecrets[{i}]", item, SECRET, ns)
    elif group_kind.startswith("cert-manager.io/") and group_kind.endswith(":Certificate"):
        kind = _known(_get(spec, "issuerRef", "kind")) or "Issuer"
        if name := _known(_get(spec, "issuerRef", "name")):
            yield Reference(resource.urn, "spec.issuerRef", f"{ISSUER} ({kind})", name, "" if kind == "ClusterIssuer" else ns)
    elif group_kind.startswith("monitoring.coreos.com/"):
        yield from _credential_selectors(resource, spec, "spec", ns)


def _credential_selectors(resource: Resource, value: Any, path: str, namespace: str) -> Iterator[Reference]:
    """Secret key selectors (`{name, key}`) under credential fields: S3/Azure/GCS credentials of an
    object store, basic auth, bearer tokens and TLS material of a monitor."""

    def visit(parent: str, key: str, item: Any, at: str) -> Iterable[Reference] | None:
        selector = isinstance(item, Mapping) and "key" in item and "name" in item
        if key in {"secret", "bearerTokenSecret"} or (selector and parent.rsplit(".", 1)[-1] in _CREDENTIAL_HOLDERS):
            return _selector(resource, at, item, SECRET, namespace)
        return None

    return _walk(value, path, visit)


_CREDENTIAL_HOLDERS = frozenset({"s3Credentials", "azureCredentials", "googleCredentials", "basicAuth", "ca", "cert",
                                 "keySecret", "authorization", "oauth2", "credentials"})


def _cloud_references(resource: Resource) -> Iterator[Reference]:
    if resource.type == "azure-native:network:ApplicationGateway":
        for group in ("sslCertificates", "trustedRootCertificates", "trustedClientCertificates"):
            for i, item in _items(resource.inputs.get(group)):
                if secret_id := _known(_get(item, "keyVaultSecretId")):
                    yield Reference(resource.urn, f"{group}[{i}].keyVaultSecretId", KEY_VAULT_SECRET, secret_id)
    elif resource.type in _CERTIFICATE_LISTENERS and (arn := _known(resource.inputs.get("certificateArn"))):
        yield Reference(resource.urn, "certificateArn", ACM_CERTIFICATE, arn)


def references(resource: Resource) -> Iterator[Reference]:
    """Everything `resource` reads by name."""
    path = _POD_TEMPLATE_PATHS.get(resource.type)
    if path is not None:
        yield from pod_references(resource, _get(resource.inputs, *path), ".".join(path), resource.namespace)
    elif resource.type == "kubernetes:networking.k8s.io/v1:Ingress":
        for i, item in _items(_get(resource.inputs, "spec", "tls")):
            if name := _known(_get(item, "secretName")):
                yield Reference(resource.urn, f"spec.tls[{i}].secretName", SECRET, name, resource.namespace)
    elif resource.type in _CHART_TYPES:
        yield from _values_references(resource, resource.inputs.get("values"), "values", resource.namespace)
    elif resource.type.startswith("kubernetes:"):
        yield from _custom_references(resource)
    else:
        yield from _cloud_references(resource)


# --- what exists at `up` ----------------------------------------------------------------------------


def _cnpg_cluster(resource: Resource) -> Iterator[tuple[str, str, str]]:
    """CloudNativePG's own Secrets for a Cluster: its CA and server certificate unless given, the
    replication client certificate, `<cluster>-app` unless bootstrap.initdb.secret names one, and
    `<cluster>-superuser` when superuser access is on without a given secret."""
    name, ns, spec = resource.object_name, resource.namespace, resource.inputs.get("spec")
    if not name:
        return
    certificates = _get(spec, "certificates")
    if not _known(_get(certificates, "serverCASecret")):
        yield SECRET, ns, f"{name}-ca"
    if not _known(_get(certificates, "serverTLSSecret")):
        yield SECRET, ns, f"{name}-server"
    if not _known(_get(certificates, "replicationTLSSecret")):
        yield SECRET, ns, f"{name}-replication"
    if not _known(_get(spec, "bootstrap", "initdb", "secret", "name")):
        yield SECRET, ns, f"{name}-app"
    if _get(spec, "enableSuperuserAccess") is True and not _known(_get(spec, "superuserSecret", "name")):
        yield SECRET, ns, f"{name}-superuser"


def _cert_manager_certificate(resource: Resource) -> Iterator[tuple[str, str, str]]:
    if name := _known(_get(resource.inputs.get("spec"), "secretName")):
        yield SECRET, resource.namespace, name


CONTROLLER_CREATES: dict[str, Callable[[Resource], Iterator[tuple[str, str, str]]]] = {
    "postgresql.cnpg.io:Cluster": _cnpg_cluster,
    "cert-manager.io:Certificate": _cert_manager_certificate,
}
"""Controllers the program installs (or, for cert-manager, requires) and the objects they create,
keyed by `<API group>:<kind>` of the resource that asks for them. The Redis operator creates no
Secret its RedisCluster reads (the program writes the password and TLS Secrets), so it has no row."""


def _controller_key(type_: str) -> str:
    package, _, rest = type_.partition(":")
    if package != "kubernetes" or ":" not in rest:
        return ""
    version, kind = rest.rsplit(":", 1)
    return f"{version.rsplit('/', 1)[0]}:{kind}"


def created(resources: Iterable[Resource]) -> set[tuple[str, str, str]]:
    """(kind, namespace, name) of every object the deployment creates, directly or by a controller."""
    out: set[tuple[str, str, str]] = set()
    for resource in resources:
        kind = _CREATED_KINDS.get(resource.type)
        if kind and (name := resource.object_name):
            out.add((kind, resource.namespace, name))
        maker = CONTROLLER_CREATES.get(_controller_key(resource.type))
        if maker is not None:
            out.update(maker(resource))
        if resource.type == "azure-native:keyvault:Secret":
            vault, name = _known(resource.inputs.get("vaultName")), _known(resource.inputs.get("secretName"))
            if vault and name:
                out.add((KEY_VAULT_SECRET, "", f"{vault}/{name}".lower()))
        elif resource.type == "aws:acm/certificate:Certificate":
            for arn in (resource.outputs.get("arn"), resource.id):
                if known := _known(arn):
                    out.add((ACM_CERTIFICATE, "", known))
    return out


def prerequisites(config: StackConfig) -> list[Prerequisite]:
    """The inputs the stack's typed config declares as existing before the first deploy (each one a
    documented setting in docs/config.md)."""
    tls = config.edge.tls
    out: list[Prerequisite] = []
    if config.platform is Platform.AWS and tls.aws.acm_certificate_arn:
        out.append(Prerequisite(ACM_CERTIFICATE, tls.aws.acm_certificate_arn, "", "edge.tls.aws.acmCertificateArn"))
    if tls.certificate is CertificateSource.SECRET and tls.secret_name:
        out.append(Prerequisite(SECRET, tls.secret_name, EDGE_NAMESPACE, "edge.tls.secretName"))
    if tls.certificate is CertificateSource.CERT_MANAGER and tls.issuer:
        namespace = "" if tls.issuer_kind == "ClusterIssuer" else EDGE_NAMESPACE
        out.append(Prerequisite(f"{ISSUER} ({tls.issuer_kind})", tls.issuer, namespace, "edge.tls.issuer"))
    database = config.database.kubernetes
    if config.platform is Platform.KUBERNETES and database.backup_bucket and database.backup_credentials_secret:
        out.append(Prerequisite(SECRET, database.backup_credentials_secret, database.namespace,
                                "database.kubernetes.backupCredentialsSecret"))
    return out


def _key(reference: Reference) -> tuple[str, str, str]:
    if reference.kind == KEY_VAULT_SECRET:
        match = _VAULT_SECRET_ID.match(reference.name)
        return (KEY_VAULT_SECRET, "", f"{match['vault']}/{match['name']}".lower() if match else reference.name)
    return reference.kind, reference.namespace, reference.name


def check(resources: list[Resource], config: StackConfig) -> tuple[list[Finding], list[Prerequisite]]:
    """Findings (one per input nobody provides), and the declared prerequisites."""
    declared = prerequisites(config)
    available = created(resources) | _built_in_objects(resources) | {(p.kind, p.namespace, p.name) for p in declared}
    findings: list[Finding] = []
    for resource in resources:
        for reference in dict.fromkeys(references(resource)):
            if _key(reference) in available:
                continue
            findings.append(Finding(
                "first-deploy-input", resource.urn,
                f"{resource.type} '{resource.name}' reads {reference.describe()} through {reference.property}, "
                "which nothing creates: create it in the program or declare it as a prerequisite in the stack "
                "config (docs/first-deploy.md)"))
    return findings, declared


def _built_in_objects(resources: Iterable[Resource]) -> set[tuple[str, str, str]]:
    namespaces = {r.namespace for r in resources if r.type.startswith("kubernetes:")} | {DEFAULT_NAMESPACE}
    return {(kind, ns, name) for ns in namespaces for kind, name in _BUILT_IN}
