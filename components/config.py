"""The typed model of the `orchestrator:` stack config namespace.

Every stack setting is parsed here once, before any resource is declared. A bad value becomes one
`ConfigError` line naming the stack file, the key path, the value and what is allowed.
"""

from __future__ import annotations

import ipaddress
import json
import re
from enum import StrEnum
from itertools import pairwise
from typing import Annotated, Any, Literal

import pulumi
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic.alias_generators import to_camel

from components.conventions import PROJECT

from .netaddr import covers_internet, public_ranges

NAMESPACE = PROJECT
CANARY_WEIGHTS: tuple[int, ...] = (0, 10, 25, 50, 75, 100)
MEMORY_LIMIT_CEILING_MI = 512
"""docs/requirements.md: < 512 MB memory per instance."""


class ConfigError(pulumi.RunError):
    """A stack setting is invalid. Pulumi prints a RunError as one line, without a traceback."""


class Platform(StrEnum):
    AWS = "aws"
    AZURE = "azure"
    KUBERNETES = "kubernetes"


class Environment(StrEnum):
    PRODUCTION = "production"
    STAGING = "staging"
    DEVELOPMENT = "development"


class Slot(StrEnum):
    BLUE = "blue"
    GREEN = "green"

    @property
    def other(self) -> Slot:
        return Slot.GREEN if self is Slot.BLUE else Slot.BLUE


class TlsVersion(StrEnum):
    TLS12 = "TLSv1.2"
    TLS13 = "TLSv1.3"


class CertificateSource(StrEnum):
    SELF_SIGNED = "self-signed"
    """A certificate generated with pulumi-tls; refused in production."""
    PRIVATE_CA = "private-ca"
    """A CA the program generates (pulumi-tls) signs HAProxy's certificate: for a cloud front door that
    terminates public TLS and either trusts that CA (the Application Gateway) or verifies nothing (the ALB)."""
    CERT_MANAGER = "cert-manager"
    """A cert-manager Certificate issued by `edge.tls.issuer`."""
    SECRET = "secret"
    """An existing kubernetes.io/tls Secret named by `edge.tls.secretName`."""


CERT_MANAGER_GROUP = "cert-manager.io"
"""The API group of cert-manager's Certificate: never installed by the program, so a prerequisite."""


# --- small validated value types --------------------------------------------------------------

_TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
_DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")
_MUTABLE_TAGS = frozenset({"latest", "stable", "main", "master", "edge", "dev", "nightly"})
_REPOSITORY = re.compile(r"^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(/[a-z0-9]+([._-][a-z0-9]+)*)*$")
_CPU = re.compile(r"^([0-9]+m|[0-9]+(\.[0-9]{1,3})?)$")
_MEMORY = re.compile(r"^([0-9]+)(Ki|Mi|Gi)$")
_DNS_NAME = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
_K8S_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")


# Names whose values must never be echoed in messages or set as literals: judged by words, so that
# `DB_PASS`, `stripeKey` and `SENTRY_DSN` count and `PASSWORD_FILE`, `publicKey` and `tokenTTL` do not.
# The policy pack keeps its own copy (it imports nothing from the program); a test asserts they agree.
_SECRET_NAME_WORDS = re.compile(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])")
SECRET_WORDS = frozenset({
    "password", "passwd", "pass", "pwd", "passphrase", "passcode", "secret", "secrets", "token", "tokens", "apikey",
    "apitoken", "accesstoken", "credential", "credentials", "creds", "cred", "auth", "authorization", "dsn", "jwt",
    "bearer", "privatekey", "secretkey", "accesskey", "authkey", "connectionstring", "connstring"})
SECRET_PAIRS = frozenset({
    ("api", "key"), ("private", "key"), ("access", "key"), ("auth", "key"), ("client", "secret"),
    ("connection", "string"), ("secret", "key"), ("signing", "key"), ("encryption", "key")})
NOT_SECRET_LAST = frozenset({
    "file", "files", "path", "dir", "ttl", "expiry", "expires", "expiration", "length", "len", "enabled", "disabled",
    "name", "names", "ref", "header", "policy", "type", "mode", "url", "uri", "endpoint", "host", "port", "user",
    "username", "id", "arn", "version", "count", "size", "rotation", "days", "format", "source", "field", "prefix",
    "alias", "method", "methods", "provider", "providers", "strategy", "scheme", "backend", "realm", "domain",
    "issuer", "audience", "scope", "scopes", "plugin", "timeout", "interval", "algorithm", "anonymous", "required",
    "through", "location", "store", "vault", "class", "template", "selector", "label", "annotation", "namespace",
    "sha", "checksum", "hash", "digest", "generation", "manager"})
KEY_NAMING_WORDS = frozenset({"password", "passwd", "pwd", "token", "user", "username", "cert", "certificate", "tls",
                              "ca"})
NOT_SECRET_KEYS = frozenset({"public", "partition", "sort", "primary", "foreign", "cache", "idempotency", "hash", "row",
                             "lookup", "label", "kms", "cmk", "object", "group", "dedup", "unique", "index",
                             "topology", "routing", "match", "field", "tag", "metric",
                             "sampling", "shard", "sharding", "attribute", "resource", "node", "selector", "map", "dimension"})


def secret_like_name(name: str) -> bool:
    """`DB_PASSWORD`, `adminPassword`, `api-key`, `SENTRY_DSN`: yes; `passwordKey`, `existingSecret`: no."""
    words = [w.lower() for w in _SECRET_NAME_WORDS.findall(str(name)[:256])]
    # `PASSWORD2`, `token_v1`: a trailing number does not change what a word means.
    words = [w.rstrip("0123456789") or w for w in words]
    # ... nor does a trailing version, index or role: `STRIPE_KEY_V2`, `API_KEY_PROD`, `PASSWORD_OLD`.
    while len(words) > 1 and (words[-1].isdigit() or words[-1] in (
            "v", "value", "old", "new", "primary", "secondary", "current", "next", "prev", "previous", "backup", "live",
            "test", "prod")):
        words.pop()
    if not words or "existing" in words or words[-1] in NOT_SECRET_LAST:
        return False
    if words[-1] in ("key", "keys"):
        # A lone `key` names something (a label, a Secret's entry, a sort order), it holds no secret.
        return len(words) > 1 and words[-2] not in KEY_NAMING_WORDS and words[-2] not in NOT_SECRET_KEYS
    if any(w in SECRET_WORDS for w in words) or "".join(words) in SECRET_WORDS:
        return True
    # Run-together names (`DBPASSWORD`, `adminsecret`, `csrftoken`) end in an unambiguous family word.
    if any(w.endswith(("password", "passwd", "passphrase", "secret", "token", "apikey", "credential", "credentials"))
           for w in words):
        return True
    return any(pair in SECRET_PAIRS for pair in pairwise(words))


def _image_ref(value: str) -> str:
    if _DIGEST.match(value):
        return value
    if not _TAG.match(value):
        raise ValueError("an image tag ([A-Za-z0-9_.-], at most 128 characters) or a sha256:<64 hex> digest")
    if value.lower() in _MUTABLE_TAGS:
        raise ValueError(f"an immutable tag or digest, not the moving tag '{value}'")
    return value


def _repository(value: str) -> str:
    if not _REPOSITORY.match(value):
        raise ValueError("an image repository without tag, such as ghcr.io/acme/orchestrator")
    return value


def _cpu(value: str) -> str:
    if not _CPU.match(value):
        raise ValueError("a Kubernetes CPU quantity such as 250m or 1")
    return value


def _memory(value: str) -> str:
    if not _MEMORY.match(value):
        raise ValueError("a Kubernetes memory quantity such as 384Mi or 1Gi")
    return value


def _cidr(value: str) -> str:
    try:
        return str(ipaddress.ip_network(value, strict=True))
    except ValueError:
        raise ValueError("a CIDR block such as 10.40.0.0/16 (host bits zero)") from None


def _dns_name(value: str) -> str:
    if not _DNS_NAME.match(value):
        raise ValueError("a lower-case DNS name such as app.example.com")
    return value


def _k8s_name(value: str) -> str:
    if not _K8S_NAME.match(value):
        raise ValueError("a Kubernetes name: lower-case letters, digits and '-', at most 63 characters")
    return value


ImageRef = Annotated[str, AfterValidator(_image_ref)]
Repository = Annotated[str, AfterValidator(_repository)]
CpuQuantity = Annotated[str, AfterValidator(_cpu)]
MemoryQuantity = Annotated[str, AfterValidator(_memory)]
Cidr = Annotated[str, AfterValidator(_cidr)]
DnsName = Annotated[str, AfterValidator(_dns_name)]
K8sName = Annotated[str, AfterValidator(_k8s_name)]
Percent = Annotated[int, Field(ge=1, le=100)]


def memory_mebibytes(quantity: str) -> float:
    """`384Mi` -> 384.0; used to compare memory quantities."""
    match = _MEMORY.match(quantity)
    if match is None:
        raise ValueError(f"not a memory quantity: {quantity}")
    number, unit = int(match.group(1)), match.group(2)
    return number * {"Ki": 1 / 1024, "Mi": 1.0, "Gi": 1024.0}[unit]


def cpu_millicores(quantity: str) -> float:
    """`250m` -> 250.0, `1` -> 1000.0."""
    return float(quantity[:-1]) if quantity.endswith("m") else float(quantity) * 1000


class _Model(BaseModel):
    """Config sections: camelCase keys in YAML, snake_case in Python, unknown keys refused."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        alias_generator=to_camel,
        populate_by_name=True,
        validate_default=True,
    )


# --- app --------------------------------------------------------------------------------------


class SlotsConfig(_Model):
    blue: ImageRef = Field(description="Image tag or digest the blue slot runs.")
    green: ImageRef | None = Field(
        default=None,
        description="Image tag or digest the green slot runs; unset means it mirrors the blue tag as a warm standby.",
    )

    def tag(self, slot: Slot) -> str:
        if slot is Slot.BLUE:
            return self.blue
        return self.green if self.green is not None else self.blue


class AutoscalingConfig(_Model):
    min_replicas: int = Field(default=3, ge=1, le=100, description="HPA minimum per slot.")
    max_replicas: int = Field(default=20, ge=1, le=200, description="HPA maximum per slot.")
    cpu_utilization: Percent = Field(default=70, description="Average CPU utilization target (%).")
    memory_utilization: Percent = Field(default=80, description="Average memory utilization target (%).")

    @model_validator(mode="after")
    def _min_not_above_max(self) -> AutoscalingConfig:
        if self.min_replicas > self.max_replicas:
            raise ValueError(
                f"minReplicas ({self.min_replicas}) must not exceed maxReplicas ({self.max_replicas})"
            )
        return self


class ResourceQuantities(_Model):
    cpu: CpuQuantity
    memory: MemoryQuantity


class ResourcesConfig(_Model):
    requests: ResourceQuantities = Field(
        default_factory=lambda: ResourceQuantities(cpu="250m", memory="384Mi"),
        description="Requests: the HPA's utilization targets are percentages of these.",
    )
    limits: ResourceQuantities = Field(
        default_factory=lambda: ResourceQuantities(cpu="1", memory="512Mi"),
        description="Limits; memory at most 512Mi (docs/requirements.md).",
    )

    @model_validator(mode="after")
    def _limits_sane(self) -> ResourcesConfig:
        limit_mi = memory_mebibytes(self.limits.memory)
        if limit_mi > MEMORY_LIMIT_CEILING_MI:
            raise ValueError(f"limits.memory {self.limits.memory} is above the {MEMORY_LIMIT_CEILING_MI}Mi ceiling")
        if memory_mebibytes(self.requests.memory) > limit_mi:
            raise ValueError(f"requests.memory {self.requests.memory} exceeds limits.memory {self.limits.memory}")
        if cpu_millicores(self.requests.cpu) > cpu_millicores(self.limits.cpu):
            raise ValueError(f"requests.cpu {self.requests.cpu} exceeds limits.cpu {self.limits.cpu}")
        return self


class ProbeTiming(_Model):
    initial_delay_seconds: int = Field(ge=0, le=600)
    period_seconds: int = Field(ge=1, le=300)
    timeout_seconds: int = Field(default=3, ge=1, le=60)
    failure_threshold: int = Field(default=3, ge=1, le=30)


class ProbesConfig(_Model):
    liveness_path: str = Field(default="/healthz", pattern=r"^/[A-Za-z0-9/_.-]*$")
    readiness_path: str = Field(default="/ready", pattern=r"^/[A-Za-z0-9/_.-]*$")
    liveness: ProbeTiming = Field(
        default_factory=lambda: ProbeTiming(initial_delay_seconds=30, period_seconds=10)
    )
    readiness: ProbeTiming = Field(
        default_factory=lambda: ProbeTiming(initial_delay_seconds=15, period_seconds=5)
    )


class AppConfig(_Model):
    image: Repository = Field(description="Image repository, without tag.")
    slots: SlotsConfig
    active_slot: Slot = Field(default=Slot.BLUE, description="The slot that takes the live traffic.")
    canary_weight: int = Field(
        default=0,
        description="Share of traffic (%) sent to the inactive slot: one of 0, 10, 25, 50, 75, 100.",
    )
    port: int = Field(default=8080, ge=1024, le=65535, description="Container port (unprivileged).")
    namespace: K8sName = PROJECT
    autoscaling: AutoscalingConfig = Field(default_factory=AutoscalingConfig)
    standby_min_replicas: int | None = Field(
        default=None,
        ge=1,
        le=100,
        description="HPA minimum of the inactive slot; unset means the same as autoscaling.minReplicas.",
    )
    resources: ResourcesConfig = Field(default_factory=ResourcesConfig)
    probes: ProbesConfig = Field(default_factory=ProbesConfig)
    env: dict[str, str] = Field(
        default_factory=dict, description="Plain, non-secret environment variables for the app container."
    )
    run_as_user: int = Field(
        default=10001, ge=10000, le=2_147_483_647,
        description="UID (and GID) the app runs as; at least 10000 so it never maps to a host user.",
    )
    tmp_size_limit: MemoryQuantity = Field(
        default="64Mi", description="Size limit of the writable emptyDir mounted at /tmp (the root filesystem is read-only)."
    )
    termination_grace_seconds: int = Field(
        default=30, ge=5, le=600, description="Time a pod gets to drain in-flight requests after SIGTERM."
    )

    @field_validator("canary_weight", mode="before")
    @classmethod
    def _canary_step(cls, value: Any) -> Any:
        number = _as_int(value)
        if number not in CANARY_WEIGHTS:
            raise ValueError(f"one of {', '.join(map(str, CANARY_WEIGHTS))}")
        return number

    @field_validator("env")
    @classmethod
    def _no_secret_like_env(cls, env: dict[str, str]) -> dict[str, str]:
        for key in env:
            if secret_like_name(key):
                raise ValueError(
                    f"env.{key} looks like a secret; secrets are generated and mounted from Kubernetes Secrets"
                )
        return env

    @model_validator(mode="after")
    def _canary_needs_both_slots(self) -> AppConfig:
        if self.canary_weight > 0 and self.slots.green is None:
            raise ValueError("canaryWeight > 0 needs both app.slots.blue and app.slots.green set")
        if self.standby_min_replicas is not None and self.standby_min_replicas > self.autoscaling.min_replicas:
            raise ValueError("standbyMinReplicas must not exceed autoscaling.minReplicas")
        # The HPA's memory target is a share of the request: it must be reached before the limit
        # (an OOM kill), or memory-based scaling never happens.
        target_mi = memory_mebibytes(self.resources.requests.memory) * self.autoscaling.memory_utilization / 100
        if target_mi >= memory_mebibytes(self.resources.limits.memory):
            raise ValueError(
                f"autoscaling.memoryUtilization {self.autoscaling.memory_utilization}% of requests.memory "
                f"{self.resources.requests.memory} is not below limits.memory {self.resources.limits.memory}; "
                "lower the target or the request"
            )
        return self

    @property
    def inactive_slot(self) -> Slot:
        return self.active_slot.other

    def slot_weight(self, slot: Slot) -> int:
        """HAProxy server weight: the active slot carries 100 - canaryWeight."""
        return 100 - self.canary_weight if slot is self.active_slot else self.canary_weight

    def slot_min_replicas(self, slot: Slot) -> int:
        if slot is self.active_slot or self.standby_min_replicas is None:
            return self.autoscaling.min_replicas
        return self.standby_min_replicas


def _as_int(value: Any) -> Any:
    """Pulumi hands numbers over as strings ('25') or floats (25.0); accept those that are whole."""
    if isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and re.fullmatch(r"-?[0-9]+", value.strip()):
        return int(value)
    return value


# --- data tier --------------------------------------------------------------------------------


class DatabaseConfig(_Model):
    engine_version: str = Field(default="16", pattern=r"^1[4-8](\.[0-9]+)?$", description="PostgreSQL major (14-18).")
    name: str = Field(default=PROJECT, pattern=r"^[a-z][a-z0-9_]{0,62}$")
    username: str = Field(default="orchestrator_app", pattern=r"^[a-z][a-z0-9_]{0,62}$")
    replicas: int = Field(default=2, ge=2, le=5, description="Read replicas beside the primary (HA: at least 2).")
    storage_gb: int = Field(default=100, ge=20, le=65536)
    max_storage_gb: int = Field(default=500, ge=20, le=65536, description="Storage autoscaling ceiling.")
    backup_retention_days: int = Field(default=14, ge=7, le=35)
    instance_class: str = Field(default="db.r6g.large", description="AWS RDS instance class.")
    ca_cert_identifier: str = Field(
        default="rds-ca-rsa2048-g1", pattern=r"^rds-ca-[a-z0-9-]+$", description="AWS: RDS certificate authority."
    )
    performance_insights_retention_days: int = Field(
        default=7, ge=7, le=731, description="AWS: Performance Insights retention (7, or a multiple of 31 up to 731)."
    )
    sku_name: str = Field(
        default="Standard_D4ds_v5", pattern=r"^Standard_[A-Za-z0-9_]+$",
        description="Azure Flexible Server SKU (General Purpose).",
    )
    zone_redundant_ha: bool = Field(
        default=True, description="Azure: zone-redundant HA standby for the primary (production requires it)."
    )
    geo_redundant_backup: bool = Field(
        default=True, description="Azure: backups copied to the paired region (production requires it)."
    )
    password_rotation_days: int = Field(
        default=90, ge=7, le=365,
        description=("Azure: the admin password's Key Vault expiry; the first `pulumi up --refresh` after it "
                     "(or `ops rollout`) generates a new one."),
    )
    storage_class: str | None = Field(default=None, description="Kubernetes StorageClass for CNPG volumes.")
    cpu: CpuQuantity = "1"
    memory: MemoryQuantity = "2Gi"
    backup_bucket: str | None = Field(default=None, description="Object storage URL for CNPG backups (s3://...).")
    namespace: K8sName = Field(default="orchestrator-db", description="kubernetes: namespace of the CloudNativePG cluster.")
    synchronous_standbys: int = Field(
        default=1, ge=1, le=5, description="kubernetes: standbys every commit waits for (CNPG postgresql.synchronous.number)."
    )
    data_durability: Literal["required", "preferred"] = Field(
        default="required",
        description="kubernetes: 'required' blocks writes without a synchronous standby; 'preferred' degrades to async.",
    )
    image: str | None = Field(
        default=None, pattern=r"^[a-z0-9./-]+:[0-9]+\.[0-9]+[A-Za-z0-9_.-]*(@sha256:[0-9a-f]{64})?$",
        description="kubernetes: PostgreSQL operand image; unset = the pinned CNPG image of engineVersion.",
    )
    backup_schedule: str = Field(
        default="0 0 3 * * *", pattern=r"^(\S+\s+){5}\S+$",
        description="kubernetes: CNPG ScheduledBackup cron (six fields, seconds first).",
    )
    backup_endpoint_url: str | None = Field(
        default=None, pattern=r"^https://\S+$",
        description="kubernetes: S3-compatible endpoint for backupBucket (unset = AWS S3).",
    )
    backup_credentials_secret: K8sName | None = Field(
        default=None,
        description="kubernetes: Secret in the database namespace with ACCESS_KEY_ID / ACCESS_SECRET_KEY; unset = IAM role.",
    )

    @field_validator("engine_version", mode="before")
    @classmethod
    def _version_text(cls, value: Any) -> Any:
        # YAML and `--set` read `17` as a number; a version is text.
        return str(_as_int(value)) if isinstance(value, (int, float)) and not isinstance(value, bool) else value

    @model_validator(mode="after")
    def _storage_range(self) -> DatabaseConfig:
        if self.max_storage_gb < self.storage_gb:
            raise ValueError(f"maxStorageGb ({self.max_storage_gb}) must be at least storageGb ({self.storage_gb})")
        if self.synchronous_standbys > self.replicas:
            raise ValueError(
                f"synchronousStandbys ({self.synchronous_standbys}) must not exceed replicas ({self.replicas})"
            )
        if self.username in {"postgres", "admin", "root", "rdsadmin", "azure_superuser"}:
            raise ValueError(f"username '{self.username}' is a default/reserved admin name; choose another")
        return self


class CacheConfig(_Model):
    engine: Literal["valkey", "redis"] = "valkey"
    engine_version: str = Field(default="8.0", pattern=r"^[0-9]+(\.[0-9]+)?$")
    shards: int = Field(default=3, ge=3, le=500, description="Primary shards (masters); the requirement is 3.")
    replicas_per_shard: int = Field(default=1, ge=1, le=5)
    node_type: str = Field(default="cache.r7g.large", description="AWS ElastiCache node type.")
    sku_name: str = Field(
        default="Balanced_B10",
        pattern=r"^(Balanced_B|MemoryOptimized_M|ComputeOptimized_X|FlashOptimized_A)[0-9]+$",
        description="Azure Managed Redis SKU; its primary shard count must reach `shards` (see docs/platform-azure.md).",
    )
    key_expiry_days: int = Field(
        default=90, ge=7, le=365, description="Azure: expiry of the access key copy kept in Key Vault (rotation due date)."
    )
    storage_gb: int = Field(default=10, ge=1, le=1024, description="Persistent volume per node (Kubernetes).")
    storage_class: str | None = Field(default=None, description="kubernetes: StorageClass of the Redis volumes.")
    snapshot_retention_days: int = Field(default=7, ge=1, le=35)
    cpu: CpuQuantity = "500m"
    memory: MemoryQuantity = "1Gi"
    namespace: K8sName = Field(default="orchestrator-cache", description="kubernetes: namespace of the Redis cluster.")
    image: str = Field(
        default="quay.io/opstree/redis:v7.0.15", pattern=r"^[a-z0-9./-]+:v?[0-9]+\.[0-9]+\.[0-9]+[A-Za-z0-9_.-]*$",
        description="kubernetes: Redis image run by the redis-operator (a pinned release tag).",
    )
    exporter_image: str = Field(
        default="quay.io/opstree/redis-exporter:v1.44.0", pattern=r"^[a-z0-9./-]+:v?[0-9]+\.[0-9]+\.[0-9]+[A-Za-z0-9_.-]*$",
        description="kubernetes: redis_exporter sidecar image (a pinned release tag).",
    )


# --- edge -------------------------------------------------------------------------------------


class EdgeTlsConfig(_Model):
    min_version: TlsVersion = TlsVersion.TLS12
    certificate: CertificateSource = Field(
        default=CertificateSource.SELF_SIGNED,
        description="Where HAProxy's certificate comes from: self-signed (not in production), private-ca (a CA the "
        "program issues, behind a cloud front door), cert-manager (pre-installed) or secret (an existing Secret).",
    )
    issuer: str | None = Field(
        default=None,
        description="cert-manager issuer when certificate=cert-manager: a first-deploy prerequisite, like cert-manager "
        "itself (cert-manager.io in cluster.preinstalledApiGroups).",
    )
    secret_name: K8sName | None = Field(
        default=None,
        description="Existing TLS Secret in the edge namespace when certificate=secret (a first-deploy prerequisite).",
    )
    acm_certificate_arn: str | None = Field(
        default=None, pattern=r"^arn:aws[a-z-]*:acm:[a-z0-9-]+:[0-9]{12}:certificate/[0-9a-f-]+$",
        description="ACM certificate for the AWS ALB (issued, in the stack's region): a first-deploy prerequisite.",
    )
    alb_ssl_policy: str | None = Field(
        default=None, pattern=r"^ELBSecurityPolicy-TLS13-1-[23]-[A-Za-z0-9-]+$",
        description="AWS: the ALB HTTPS listener's TLS 1.3 security policy; unset picks one from minVersion.",
    )
    issuer_kind: Literal["ClusterIssuer", "Issuer"] = Field(
        default="ClusterIssuer", description="Kind of edge.tls.issuer (an Issuer must live in the edge namespace)."
    )

    @model_validator(mode="after")
    def _source_complete(self) -> EdgeTlsConfig:
        if self.certificate is CertificateSource.CERT_MANAGER and not self.issuer:
            raise ValueError("certificate 'cert-manager' needs edge.tls.issuer")
        if self.certificate is CertificateSource.SECRET and not self.secret_name:
            raise ValueError("certificate 'secret' needs edge.tls.secretName")
        return self


class RateLimitConfig(_Model):
    requests: int = Field(default=100, ge=1, le=1_000_000, description="Requests allowed per client per window.")
    window_seconds: int = Field(
        default=10, ge=1, le=3600, description="Sliding window of the per-client request rate; a 429 says Retry-After this."
    )


class EdgeHealthCheckConfig(_Model):
    interval_seconds: int = Field(default=2, ge=1, le=60, description="HAProxy health check interval per slot server.")
    fall: int = Field(default=3, ge=1, le=10, description="Failed checks before a slot server is taken out.")
    rise: int = Field(default=2, ge=1, le=10, description="Passed checks before a slot server takes traffic again.")


_CSP = re.compile(r"^[A-Za-z0-9 ;:'/.*_+=,-]+$")


def _edge_resources() -> ResourcesConfig:
    # Sized for max_connections: HAProxy holds up to two 16 KiB buffers per active connection.
    return ResourcesConfig(
        requests=ResourceQuantities(cpu="500m", memory="256Mi"), limits=ResourceQuantities(cpu="2", memory="512Mi")
    )


class EdgeConfig(_Model):
    hostname: DnsName = Field(description="Public host name served by the edge.")
    image: str = Field(default="haproxy:3.2.9-alpine", pattern=r"^[a-z0-9./-]+:[0-9]+\.[0-9]+\.[0-9]+[A-Za-z0-9_.-]*$")
    replicas: int = Field(default=2, ge=2, le=20)
    tls: EdgeTlsConfig = Field(default_factory=EdgeTlsConfig)
    rate_limit: RateLimitConfig = Field(default_factory=RateLimitConfig)
    internal_cidrs: list[Cidr] = Field(
        default_factory=lambda: ["10.0.0.0/8"],
        min_length=1,
        description="Sources allowed to reach /health*, /metrics and /admin*.",
    )
    load_balancer_source_ranges: list[Cidr] = Field(
        default_factory=list, description="Optional allow-list on the public load balancer."
    )
    admin_auth: bool = Field(default=True, description="Require basic auth on /admin* besides the CIDR check.")
    max_connections: int = Field(
        default=10000, ge=1000, le=1_000_000,
        description="HAProxy maxconn per pod; about 35 KiB each under load, so keep it within resources.limits.memory.",
    )
    resources: ResourcesConfig = Field(default_factory=_edge_resources, description="HAProxy container requests and limits.")
    health_check: EdgeHealthCheckConfig = Field(
        default_factory=EdgeHealthCheckConfig,
        description="HAProxy's HTTP checks of each slot Service on app.probes.readinessPath.",
    )
    content_security_policy: str = Field(
        default="default-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'; object-src 'none'",
        description="Content-Security-Policy set on every response (letters, digits, spaces and ;:'/.*_+=,- only).",
    )
    hsts_max_age_seconds: int = Field(
        default=63_072_000, ge=31_536_000, le=126_144_000, description="Strict-Transport-Security max-age (at least a year)."
    )
    cluster_domain: DnsName = Field(
        default="cluster.local", description="Cluster DNS domain the slot Services resolve under."
    )

    @field_validator("internal_cidrs")
    @classmethod
    def _internal_not_world(cls, cidrs: list[str]) -> list[str]:
        # Judged on the union: 0.0.0.0/1 + 128.0.0.0/1 or 2000::/3 is the Internet as much as 0.0.0.0/0.
        if covers_internet(cidrs):
            raise ValueError(f"{', '.join(public_ranges(cidrs))} cover the public Internet; list internal ranges only")
        return cidrs

    @field_validator("content_security_policy")
    @classmethod
    def _csp_safe(cls, value: str) -> str:
        # The value lands in a quoted HAProxy log-format string: no double quotes, percent signs, backslashes or newlines.
        if not _CSP.match(value) or "frame-ancestors" not in value:
            raise ValueError("a policy of letters, digits, spaces and ;:'/.*_+=,- that includes frame-ancestors")
        return value

    @property
    def nbthread(self) -> int:
        """HAProxy threads: one per whole CPU of the limit (HAProxy otherwise starts one per node CPU)."""
        return max(1, int(cpu_millicores(self.resources.limits.cpu) // 1000))


# --- monitoring -------------------------------------------------------------------------------


class AlertReceiverConfig(_Model):
    kind: Literal["none", "webhook", "pagerduty"] = Field(
        default="none", description="Where Alertmanager sends alerts: nowhere (UI only), a webhook URL or PagerDuty."
    )
    secret_name: K8sName | None = Field(
        default=None,
        description="Secret in the monitoring namespace the program writes the receiver's stack secret into.",
    )
    secret_key: str | None = Field(
        default=None,
        pattern=r"^[-._a-zA-Z0-9]+$",
        description="Key inside that Secret; unset means `routing-key` (pagerduty) or `url` (webhook).",
    )

    @model_validator(mode="after")
    def _secret_for_kind(self) -> AlertReceiverConfig:
        if self.kind != "none" and not self.secret_name:
            raise ValueError(f"receiver kind '{self.kind}' needs monitoring.alertReceiver.secretName")
        return self

    @property
    def key(self) -> str:
        if self.secret_key:
            return self.secret_key
        return "routing-key" if self.kind == "pagerduty" else "url"


STACK_SECRETS: dict[str, str] = {
    "alertReceiverSecret": "Routing key (pagerduty) or URL (webhook) of monitoring.alertReceiver, the critical pager.",
    "warningReceiverSecret": "Routing key or URL of monitoring.warningReceiver (ticket or chat).",
    "heartbeatUrl": "Dead man's switch URL the always-firing Watchdog alert is sent to every minute.",
    "appGatewayCertificatePfx": "Azure: the public certificate the Application Gateway serves for edge.hostname, a "
    "password-less PFX (with its chain) in base64; unset, the gateway serves a bootstrap certificate browsers do "
    "not trust.",
}
"""`orchestrator:` keys set with `pulumi config set --secret`: never part of the typed model (they would
travel as plain values); the component that needs one reads it as a secret Output."""


class SamplingConfig(_Model):
    mode: Literal["head", "tail"] = Field(
        default="head",
        description="head: the SDK keeps `percentage` of traces; tail: the collector keeps every error and slow "
        "trace and `percentage` of the rest.",
    )
    percentage: float = Field(default=100, gt=0, le=100, description="Share (%) of ordinary traces kept.")
    latency_threshold_ms: int = Field(
        default=500, ge=1, le=600_000, description="tail: traces slower than this are always kept."
    )


class TracingConfig(_Model):
    enabled: bool = Field(default=True, description="OpenTelemetry Collector, Jaeger and the app's OTEL_* env.")
    sampling: SamplingConfig = Field(default_factory=SamplingConfig)
    retention_days: int = Field(default=7, ge=1, le=90, description="Days Jaeger keeps spans.")
    storage: Literal["memory", "badger", "opensearch"] | None = Field(
        default=None,
        description="Jaeger span store; unset: opensearch on aws (the log domain), badger on a volume elsewhere, "
        "memory in development.",
    )
    storage_gb: int = Field(default=20, ge=1, le=4096, description="badger: volume size (GiB).")
    collector_replicas: int = Field(default=2, ge=1, le=20, description="Collector gateway replicas.")


class LogsConfig(_Model):
    enabled: bool = Field(default=True, description="Log store of the platform and the log shipper.")
    retention_days: int = Field(default=30, ge=1, le=3650, description="Days logs are kept.")
    opensearch_instance_type: str = Field(
        default="r7g.large.search", pattern=r"^[a-z0-9]+\.[a-z0-9]+\.search$", description="aws: OpenSearch data nodes."
    )
    opensearch_instance_count: int = Field(default=3, ge=1, le=80, description="aws: data nodes (one per zone).")
    opensearch_volume_gb: int = Field(default=100, ge=10, le=16384, description="aws: gp3 volume per data node (GiB).")
    daily_quota_gb: float | None = Field(
        default=None, gt=0, description="azure: Log Analytics daily ingestion cap (GiB); unset = none."
    )
    storage_gb: int = Field(default=10, ge=1, le=4096, description="kubernetes: Loki volume size (GiB).")


class MonitoringConfig(_Model):
    enabled: bool = Field(default=True, description="Install kube-prometheus-stack, monitors, rules and dashboards.")
    namespace: K8sName = Field(default="monitoring", description="Namespace of Prometheus, Alertmanager and Grafana.")
    retention_days: int = Field(default=15, ge=1, le=400, description="Prometheus TSDB retention (days).")
    storage_gb: int = Field(default=50, ge=1, le=16384, description="Prometheus persistent volume size (GiB).")
    storage_class: str | None = Field(default=None, description="StorageClass of the Prometheus volume; unset = cluster default.")
    scrape_interval_seconds: int = Field(
        default=15, ge=5, le=300, description="Scrape interval of the app, HAProxy and exporters."
    )
    runbook_base_url: str = Field(
        default="https://github.com/acme/orchestrator-infra/blob/main/docs/runbooks.md",
        pattern=r"^https://[^\s#]+$",
        description="Where docs/runbooks.md is browsable; alerts link to `<this>#<anchor>`.",
    )
    alert_receiver: AlertReceiverConfig = Field(default_factory=AlertReceiverConfig)
    warning_receiver: AlertReceiverConfig = Field(
        default_factory=AlertReceiverConfig, description="Where warnings go (ticket or chat); critical alerts page."
    )
    tracing: TracingConfig = Field(default_factory=TracingConfig)
    logs: LogsConfig = Field(default_factory=LogsConfig)


_GUID = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"


# --- network and cluster ----------------------------------------------------------------------


class NetworkConfig(_Model):
    cidr: Cidr = Field(default="10.40.0.0/16", description="VPC / VNet address space.")
    az_count: int = Field(default=3, ge=2, le=6, description="Availability zones to spread over.")
    flow_log_retention_days: int = Field(
        default=90, ge=1, le=3653, description="AWS: days the VPC flow logs are kept in CloudWatch Logs."
    )
    app_gateway_certificate: str = Field(
        default="edge-tls", pattern=r"^[0-9A-Za-z-]{1,127}$",
        description="Azure: name of the Key Vault secret (in the stack's vault) the program writes the Application "
        "Gateway's public certificate into, from the stack secret appGatewayCertificatePfx.",
    )
    app_gateway_min_capacity: int = Field(default=2, ge=0, le=125, description="Azure: Application Gateway autoscale floor.")
    app_gateway_max_capacity: int = Field(default=10, ge=2, le=125, description="Azure: Application Gateway autoscale ceiling.")

    @field_validator("cidr")
    @classmethod
    def _private_space(cls, cidr: str) -> str:
        network = ipaddress.ip_network(cidr)
        if not network.is_private or network.prefixlen > 20 or network.prefixlen < 8:
            raise ValueError("a private range between /8 and /20")
        return cidr


class NodePoolConfig(_Model):
    instance_type: str = Field(default="m6i.large", description="AWS instance type or Azure VM size.")
    min_size: int = Field(default=3, ge=1, le=100)
    max_size: int = Field(default=10, ge=1, le=500)
    desired_size: int = Field(default=3, ge=1, le=500)

    @model_validator(mode="after")
    def _ordered(self) -> NodePoolConfig:
        if not self.min_size <= self.desired_size <= self.max_size:
            raise ValueError(
                f"need minSize <= desiredSize <= maxSize, got {self.min_size}, {self.desired_size}, {self.max_size}"
            )
        return self


class ClusterConfig(_Model):
    kubernetes_version: str = Field(default="1.33", pattern=r"^1\.[0-9]{2}$")
    nodes: NodePoolConfig = Field(default_factory=NodePoolConfig)
    public_endpoint: bool = Field(default=False, description="Expose the API server publicly (restricted CIDRs).")
    endpoint_cidrs: list[Cidr] = Field(
        default_factory=list, description="CIDRs allowed to reach a public API endpoint."
    )
    kubeconfig_context: str | None = Field(
        default=None, description="kubernetes platform: the kubeconfig context of the existing cluster."
    )
    preinstalled_api_groups: list[Annotated[str, Field(pattern=r"^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$")]] = Field(
        default_factory=list,
        description="API groups whose CRDs must already be on the cluster (a first-deploy prerequisite the preview lists).",
    )
    admin_role_arns: list[Annotated[str, Field(pattern=r"^arn:aws[a-z-]*:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]+$")]] = Field(
        default_factory=list,
        description="AWS: IAM roles given cluster-admin access entries besides the identity running Pulumi.",
    )
    log_retention_days: int = Field(
        default=90, ge=1, le=3653, description="AWS: days the EKS control-plane logs are kept."
    )
    system_vm_size: str = Field(
        default="Standard_D4ds_v5", pattern=r"^Standard_[A-Za-z0-9_]+$", description="Azure: VM size of the AKS system pool."
    )
    system_min_count: int = Field(default=3, ge=1, le=100, description="Azure: system pool autoscaler floor (one per zone).")
    system_max_count: int = Field(default=5, ge=1, le=100, description="Azure: system pool autoscaler ceiling.")
    pod_cidr: Cidr = Field(default="192.168.0.0/16", description="Azure: CNI overlay pod range (outside the VNet).")
    service_cidr: Cidr = Field(default="172.16.0.0/16", description="Azure: Kubernetes service range (outside the VNet).")
    upgrade_channel: Literal["patch", "stable", "rapid", "node-image"] = Field(
        default="patch", description="Azure: AKS automatic upgrade channel."
    )
    sku_tier: Literal["Free", "Standard", "Premium"] = Field(
        default="Standard", description="Azure: AKS control-plane tier (Standard carries the uptime SLA)."
    )
    admin_group_object_ids: list[Annotated[str, Field(pattern=_GUID)]] = Field(
        default_factory=list, description="Azure: Entra ID groups given cluster-admin through Azure RBAC."
    )

    @model_validator(mode="after")
    def _endpoint_restricted(self) -> ClusterConfig:
        if self.public_endpoint and not self.endpoint_cidrs:
            raise ValueError("publicEndpoint needs endpointCidrs")
        if covers_internet(self.endpoint_cidrs):
            raise ValueError(f"endpointCidrs {', '.join(public_ranges(self.endpoint_cidrs))} cover the public Internet; "
                             "list your office/VPN ranges only")
        return self

    @model_validator(mode="after")
    def _azure_pools_and_ranges(self) -> ClusterConfig:
        if self.system_min_count > self.system_max_count:
            raise ValueError(
                f"systemMinCount ({self.system_min_count}) must not exceed systemMaxCount ({self.system_max_count})"
            )
        if ipaddress.ip_network(self.pod_cidr).overlaps(ipaddress.ip_network(self.service_cidr)):
            raise ValueError(f"podCidr {self.pod_cidr} overlaps serviceCidr {self.service_cidr}")
        return self


# --- rollout (python -m ops rollout) ---------------------------------------------------------

_PROMETHEUS_URL = re.compile(r"^https?://[A-Za-z0-9.\-\[\]:]+(/[A-Za-z0-9._~/-]*)?$")


SLO_ERROR_RATE_PERCENT = 0.1
"""docs/requirements.md: error rate < 0.1 %. A rollout gate may be stricter, never looser."""
SLO_P95_MILLISECONDS = 200
"""docs/requirements.md: P95 latency < 200 ms."""
_RENAMED_ROLLOUT_KEYS = {
    "maxErrorRate": "maxErrorRatePercent (a percentage: 0.1 means 0.1 %)",
    "maxP95Seconds": "maxP95Milliseconds (an integer number of milliseconds)",
}


class RolloutConfig(_Model):
    """The canary steps of `python -m ops rollout` and the health gate between them (docs/requirements.md SLOs)."""

    steps: list[int] = Field(
        default_factory=lambda: [10, 25, 50, 75, 100],
        description="Canary weights (%) walked toward the target slot, one `up` each; increasing, ending at 100.",
    )
    bake_seconds: int = Field(
        default=300, ge=2, le=86_400,
        description="How long each step bakes after its `up` before the final gate; the gate judges this whole time.",
    )
    window_seconds: int = Field(
        default=60, ge=1, le=3600,
        description="During the bake, every window of this length is also judged (with the canary alerts), "
        "so a slot that starts failing mid-bake is stopped at once.",
    )
    max_error_rate_percent: float = Field(
        default=SLO_ERROR_RATE_PERCENT, gt=0, le=SLO_ERROR_RATE_PERCENT,
        description="Highest share of the target slot's real requests answered 5xx, in percent (the SLO is 0.1).",
    )
    max_p95_milliseconds: int = Field(
        default=SLO_P95_MILLISECONDS, ge=1, le=SLO_P95_MILLISECONDS,
        description="Highest P95 latency of the target slot's real requests, in milliseconds (the SLO is 200).",
    )
    min_ready_replicas: int | None = Field(
        default=None, ge=2, le=200,
        description="Ready replicas the target slot needs at every gate; unset means the HPA minimum "
        "(app.autoscaling.minReplicas), at least 2; never above app.autoscaling.maxReplicas.",
    )
    min_requests: int | None = Field(
        default=None, ge=1, le=10_000_000,
        description="Real requests (not health checks) the target slot must have served during a bake; "
        "unset means enough for one error to be resolved at the threshold (1000 at 0.1 %).",
    )
    prometheus_url: str = Field(
        default="http://127.0.0.1:9090",
        description="Prometheus HTTP API base URL as reachable from where the rollout runs "
        "(e.g. `kubectl -n monitoring port-forward svc/kube-prometheus-prometheus 9090`; "
        "the stack output `prometheusUrl` is the in-cluster address).",
    )
    query_timeout_seconds: float = Field(
        default=10, gt=0, le=120, description="Deadline of one Prometheus query, whole answer included."
    )
    audit: bool = Field(
        default=False, description="After finalize, run `python -m ops audit` against edge.hostname; "
        "a score under auditMinScore rolls back."
    )
    audit_min_score: int = Field(default=90, ge=0, le=100, description="Lowest acceptable audit score (0-100).")
    loadtest: bool = Field(
        default=False, description="After finalize (and the audit), run `python -m ops loadtest`; a missed SLO rolls back."
    )
    verify_timeout_seconds: int = Field(
        default=900, ge=10, le=7200, description="Deadline of each post-finalize check (audit, load test)."
    )

    @property
    def max_error_rate(self) -> float:
        """`max_error_rate_percent` as a fraction (0.001 = 0.1 %)."""
        return self.max_error_rate_percent / 100

    @property
    def max_p95_seconds(self) -> float:
        return self.max_p95_milliseconds / 1000

    @model_validator(mode="before")
    @classmethod
    def _renamed_keys(cls, value: Any) -> Any:
        if isinstance(value, dict):
            for old, new in _RENAMED_ROLLOUT_KEYS.items():
                if old in value:
                    raise ValueError(f"{old} was replaced by {new}")
        return value

    @field_validator("steps", mode="before")
    @classmethod
    def _steps_walk_to_100(cls, value: Any) -> Any:
        if not isinstance(value, list):
            return value
        steps = [_as_int(v) for v in value]
        allowed = CANARY_WEIGHTS[1:]
        if not steps or any(s not in allowed for s in steps):
            raise ValueError(f"a list of weights from {', '.join(map(str, allowed))}")
        if any(b <= a for a, b in pairwise(steps)) or steps[-1] != 100:
            raise ValueError("strictly increasing weights ending at 100, e.g. [10, 25, 50, 75, 100]")
        return steps

    @field_validator("prometheus_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not _PROMETHEUS_URL.match(value):
            raise ValueError("an http(s) base URL without query, such as http://127.0.0.1:9090")
        return value.rstrip("/")


# --- the whole namespace ----------------------------------------------------------------------


class StackConfig(_Model):
    """`orchestrator:*` of one stack."""

    platform: Platform = Field(description="Where the stack runs: aws, azure or kubernetes.")
    environment: Environment = Field(description="production, staging or development.")
    app: AppConfig
    database: DatabaseConfig = Field(default_factory=DatabaseConfig)
    cache: CacheConfig = Field(default_factory=CacheConfig)
    edge: EdgeConfig
    monitoring: MonitoringConfig = Field(default_factory=MonitoringConfig)
    network: NetworkConfig = Field(default_factory=NetworkConfig)
    cluster: ClusterConfig = Field(default_factory=ClusterConfig)
    rollout: RolloutConfig = Field(default_factory=RolloutConfig)

    @property
    def is_production(self) -> bool:
        return self.environment is Environment.PRODUCTION

    @model_validator(mode="after")
    def _rollout_fits_the_app(self) -> StackConfig:
        ready = self.rollout.min_ready_replicas
        if ready is not None and ready > self.app.autoscaling.max_replicas:
            raise ValueError(
                f"rollout.minReadyReplicas ({ready}) exceeds app.autoscaling.maxReplicas "
                f"({self.app.autoscaling.max_replicas}): no slot can ever pass the gate"
            )
        return self

    @model_validator(mode="after")
    def _edge_certificate_source(self) -> StackConfig:
        tls = self.edge.tls
        if tls.certificate is CertificateSource.PRIVATE_CA and self.platform is Platform.KUBERNETES:
            # Without a front door HAProxy faces the clients, which do not trust the program's CA.
            raise ValueError("edge.tls.certificate 'private-ca' needs a cloud front door that terminates public TLS "
                             "(platform aws or azure); on kubernetes use cert-manager, secret or, outside production, "
                             "self-signed")
        if tls.certificate is CertificateSource.SELF_SIGNED and self.platform is Platform.AZURE:
            # The gateway verifies HAProxy against a trusted root certificate: give it a CA to trust.
            raise ValueError("edge.tls.certificate 'self-signed' cannot be verified by the Application Gateway; use "
                             "'private-ca' on azure (the gateway trusts the program's CA)")
        if tls.certificate is CertificateSource.CERT_MANAGER and CERT_MANAGER_GROUP not in self.cluster.preinstalled_api_groups:
            raise ValueError(f"edge.tls.certificate 'cert-manager' needs {CERT_MANAGER_GROUP} in "
                             "cluster.preinstalledApiGroups: the program does not install cert-manager, so it and the "
                             f"issuer '{tls.issuer}' must be on the cluster before the first deploy; or use 'private-ca' "
                             "behind a cloud front door")
        return self

    @model_validator(mode="after")
    def _production_floor(self) -> StackConfig:
        if not self.is_production:
            return self
        if self.app.autoscaling.min_replicas < 3:
            raise ValueError("production needs app.autoscaling.minReplicas >= 3")
        if self.app.standby_min_replicas is not None and self.app.standby_min_replicas < 3:
            raise ValueError("production needs app.standbyMinReplicas >= 3 (a switch must be instant)")
        if self.edge.tls.certificate is CertificateSource.SELF_SIGNED:
            raise ValueError("production needs edge.tls.certificate 'private-ca' (behind a cloud front door), "
                             "'cert-manager' or 'secret', not self-signed")
        if self.cluster.public_endpoint and any(
            ipaddress.ip_network(c).prefixlen == 0 for c in self.cluster.endpoint_cidrs
        ):
            raise ValueError("production must not open the cluster endpoint to the Internet")
        if self.platform is Platform.AWS and not self.edge.tls.acm_certificate_arn:
            raise ValueError("production on aws needs edge.tls.acmCertificateArn for the ALB")
        return self


# --- parsing ----------------------------------------------------------------------------------


def stack_file(stack: str) -> str:
    return f"Pulumi.{stack}.yaml"


def parse(raw: dict[str, Any], stack: str) -> StackConfig:
    """Validate the `orchestrator:` namespace (keys without the prefix) or raise one ConfigError."""
    try:
        return StackConfig.model_validate(raw)
    except ValidationError as error:
        raise ConfigError(describe_error(error, stack)) from None


def describe_error(error: ValidationError, stack: str) -> str:
    """One line for the first problem: file, key path, value, what is allowed."""
    first = error.errors(include_url=False)[0]
    path = key_path(first["loc"])
    where = f"{stack_file(stack)}: {NAMESPACE}:{path}" if path else f"{stack_file(stack)}: {NAMESPACE}"
    value = first.get("input")
    kind = first["type"]
    if kind == "missing":
        return f"{where} is missing; it is required"
    if kind == "extra_forbidden":
        return f"{where} is not a known setting; remove it or check the spelling (see docs/config.md)"
    shown = _show(value)
    allowed = _allowed(first)
    if kind == "value_error" and _is_section(first["loc"]):
        # A cross-field rule: the message names the keys involved.
        return f"{where}: {allowed}"
    if kind == "value_error" and not allowed.startswith(("a ", "an ", "one of", "at ")):
        # A validator's own sentence ("... is the whole Internet; ..."), not a list of what is allowed.
        return f"{where} is {shown}: {allowed}"
    return f"{where} is {shown}; use {allowed}"


def _is_section(loc: tuple[int | str, ...]) -> bool:
    """Whether an error location names a whole section (a model validator's cross-field rule)."""
    model: type[BaseModel] = StackConfig
    for part in loc:
        field = next((f for n, f in model.model_fields.items() if part in (n, f.alias)), None)
        if field is None or not (isinstance(field.annotation, type) and issubclass(field.annotation, BaseModel)):
            return False
        model = field.annotation
    return True


def key_path(loc: tuple[int | str, ...]) -> str:
    """('edge', 'internalCidrs', 0) -> edge.internalCidrs[0], Pulumi's --path syntax."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _redacted(value: Any) -> Any:
    """An error line quotes the bad value, but never one held under a secret-like name."""
    if isinstance(value, dict):
        return {k: "***" if secret_like_name(str(k)) else _redacted(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_redacted(v) for v in value]
    return value


def _show(value: Any) -> str:
    value = _redacted(value)
    text = json.dumps(value, default=str) if not isinstance(value, str) else repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _allowed(detail: Any) -> str:
    ctx = detail.get("ctx") or {}
    kind = detail["type"]
    if kind in {"enum", "literal_error"}:
        return "one of " + str(ctx.get("expected", "")).replace("'", "")
    if kind == "value_error":
        return str(ctx.get("error", detail["msg"]))
    if kind in {"greater_than_equal", "less_than_equal", "greater_than", "less_than"}:
        return {
            "greater_than_equal": "a number >= {ge}",
            "less_than_equal": "a number <= {le}",
            "greater_than": "a number > {gt}",
            "less_than": "a number < {lt}",
        }[kind].format(**ctx)
    if kind == "string_pattern_mismatch":
        return f"a value matching {ctx.get('pattern')}"
    if kind == "finite_number":
        return "a finite number"
    if kind.startswith("int") or kind.startswith("float"):
        return "a whole number"
    if kind.startswith("bool"):
        return "true or false"
    if kind.startswith("string"):
        return "a string"
    if kind.startswith("list"):
        return "a list"
    if kind.startswith("too_"):
        return detail["msg"].lower()
    if kind in {"dict_type", "model_type", "model_attributes_type"}:
        return "a mapping of settings"
    return detail["msg"]


def namespace_values(config: dict[str, Any]) -> dict[str, Any]:
    """The `orchestrator:` keys of a flat Pulumi config map, values JSON-decoded where structured."""
    prefix = NAMESPACE + ":"
    values: dict[str, Any] = {}
    for key, value in config.items():
        if not key.startswith(prefix) or key[len(prefix):] in STACK_SECRETS:
            continue
        values[key[len(prefix):]] = _decode(value)
    return values


def _decode(value: Any) -> Any:
    # The engine passes structured values as JSON text and scalars as plain strings.
    if isinstance(value, str) and value[:1] in "{[":
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


def load() -> StackConfig:
    """Read the running program's config (engine or mocks) and validate it."""
    from pulumi.runtime import config as runtime_config

    merged: dict[str, Any] = {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}
    return parse(namespace_values(merged), pulumi.get_stack())
