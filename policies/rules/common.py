"""What every rule shares: metadata, the two rule shapes, and readers for provider-shaped values.

Rules read resources as the providers name their inputs (camelCase). Values arrive through the
policy SDK's proxies (`Mapping`/`Sequence`, never `dict`/`list`), and reading an unknown value
raises the SDK's UnknownValueError, which the SDK turns into an advisory "can't run during preview".
"""

from __future__ import annotations

import functools
import ipaddress
import itertools
import math
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyComplianceFramework,
    PolicyConfigSchema,
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, UnknownValueError

from . import verify

DOCS_PAGE = "docs/policies.md"
FRAMEWORK = "orchestrator-security-audit"

CATEGORIES: dict[str, str] = {
    "AA": "authentication, authorization and exposure",
    "IV": "input validation",
    "TS": "transport security",
    "EH": "error handling",
    "SM": "secrets management",
    "SH": "security headers",
    "RL": "rate limiting",
    "HE": "health endpoint",
    "REL": "reliability",
}

MANDATORY_SEVERITIES = {Severity.CRITICAL, Severity.HIGH}


class RuleCrashError(RuntimeError):
    """A rule raised: re-raised with the policy's name so the crash is attributable."""


@dataclass(frozen=True)
class Meta:
    """A rule's metadata, beside its check."""

    name: str
    description: str
    severity: Severity
    categories: tuple[str, ...]
    references: tuple[str, ...]
    remediation: str
    config: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        unknown = [c for c in self.categories if c not in CATEGORIES]
        if unknown:
            raise ValueError(f"{self.name}: unknown audit categories {unknown}")

    @property
    def target(self) -> str:
        return self.name.split("-", 1)[0]

    @property
    def enforcement(self) -> EnforcementLevel:
        return EnforcementLevel.MANDATORY if self.severity in MANDATORY_SEVERITIES else EnforcementLevel.ADVISORY

    def policy_kwargs(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": self.description,
            "enforcement_level": self.enforcement,
            "severity": self.severity,
            "config_schema": PolicyConfigSchema(properties={k: dict(v) for k, v in self.config.items()})
            if self.config else None,
            "framework": PolicyComplianceFramework(
                name=FRAMEWORK,
                version="1",
                reference=", ".join(self.references),
                specification=", ".join(f"{c}: {CATEGORIES[c]}" for c in self.categories),
            ),
            "tags": [f"target:{self.target}", *(f"audit:{c}" for c in self.categories), *self.references],
            "remediation_steps": self.remediation,
            "url": f"{DOCS_PAGE}#{self.name}",
        }


def config_with_defaults(meta: Meta, config: Mapping[str, Any] | None) -> dict[str, Any]:
    values = {k: v.get("default") for k, v in meta.config.items() if "default" in v}
    values.update(dict(config or {}))
    return values


@dataclass(frozen=True)
class Resource:
    """What a resource check sees."""

    type: str
    """The pinned provider's token (`base_type`), however the resource spelt it."""
    urn: str
    name: str
    props: Mapping[str, Any]
    config: Mapping[str, Any]
    provider_props: Mapping[str, Any]


ResourceCheck = Callable[[Resource], Iterable[str]]
StackCheck = Callable[["Stack"], Iterable[tuple[str, str | None]]]


AZURE_ALIASES = {
    "azure-native:cache:Redis": "azure-native:redis:Redis",
    "azure-native:cache:FirewallRule": "azure-native:redis:FirewallRule",
    "azure-native:cache:RedisEnterprise": "azure-native:redisenterprise:RedisEnterprise",
    "azure-native:cache:Database": "azure-native:redisenterprise:Database",
}
"""Old azure-native token -> the one the pinned provider registers (its class's own aliases, version
stripped): state written by an older provider carries the old name."""


AWS_ALIASES = {
    # Renamed modules: the load balancers (pulumi-aws 1.x names).
    **{f"aws:applicationloadbalancing/{k}": f"aws:alb/{k}" for k in (
        "listener:Listener", "listenerCertificate:ListenerCertificate", "listenerRule:ListenerRule",
        "loadBalancer:LoadBalancer", "targetGroup:TargetGroup", "targetGroupAttachment:TargetGroupAttachment")},
    **{f"aws:elasticloadbalancingv2/{k}": f"aws:lb/{k}" for k in (
        "listener:Listener", "listenerCertificate:ListenerCertificate", "listenerRule:ListenerRule",
        "loadBalancer:LoadBalancer", "targetGroup:TargetGroup", "targetGroupAttachment:TargetGroupAttachment")},
    **{f"aws:elasticloadbalancing/{k}": f"aws:elb/{k}" for k in (
        "appCookieStickinessPolicy:AppCookieStickinessPolicy", "attachment:Attachment",
        "listenerPolicy:ListenerPolicy", "loadBalancer:LoadBalancer",
        "loadBalancerBackendServerPolicy:LoadBalancerBackendServerPolicy",
        "loadBalancerCookieStickinessPolicy:LoadBalancerCookieStickinessPolicy",
        "loadBalancerPolicy:LoadBalancerPolicy", "sslNegotiationPolicy:SslNegotiationPolicy")},
    # The S3 `...V2` resources became the unsuffixed ones (same schema; both classes remain).
    "aws:s3/bucketV2:BucketV2": "aws:s3/bucket:Bucket",
    "aws:s3/BucketObject:BucketObject": "aws:s3/bucketObjectv2:BucketObjectv2",
    **{f"aws:s3/bucket{k}V2:Bucket{k}V2": f"aws:s3/bucket{k}:Bucket{k}" for k in (
        "AccelerateConfiguration", "Acl", "CorsConfiguration", "LifecycleConfiguration", "Logging",
        "ObjectLockConfiguration", "RequestPaymentConfiguration", "ServerSideEncryptionConfiguration", "Versioning",
        "WebsiteConfiguration")},
    # Renamed or misspelt tokens elsewhere.
    "aws:chime/voiceConnectorOrganization:VoiceConnectorOrganization":
        "aws:chime/voiceConnectorOrigination:VoiceConnectorOrigination",
    "aws:directoryservice/conditionalForwader:ConditionalForwader":
        "aws:directoryservice/conditionalForwarder:ConditionalForwarder",
    "aws:directoryservice/logService:LogService": "aws:directoryservice/logSubscription:LogSubscription",
    "aws:ec2/encryptionControl:EncryptionControl": "aws:ec2/vpcEncryptionControl:VpcEncryptionControl",
    "aws:ec2/transitGatewayPeeringAttachmentAccepter:TransitGatewayPeeringAttachmentAccepter":
        "aws:ec2transitgateway/peeringAttachmentAccepter:PeeringAttachmentAccepter",
    "aws:lambda/microvmsImage:MicrovmsImage": "aws:lambdamicrovms/image:Image",
    "aws:ses/confgurationSet:ConfgurationSet": "aws:ses/configurationSet:ConfigurationSet",
    "aws:workspaces/webBrowserSettings:WebBrowserSettings": "aws:workspacesweb/browserSettings:BrowserSettings",
    "aws:workspaces/webNetworkSettings:WebNetworkSettings": "aws:workspacesweb/networkSettings:NetworkSettings",
    "aws:workspaces/webUserSettings:WebUserSettings": "aws:workspacesweb/userSettings:UserSettings",
}
"""Old pulumi-aws token -> the one the pinned provider registers for the same resource (every alias its
classes declare; a test compares this table with the provider): state written under an old name, or a
deprecated `...V2` class, is the same resource to every rule."""


@functools.lru_cache(maxsize=4096)
def base_type(type_: str) -> str:
    """The pinned provider's token for any spelling of a type, so no rule is walked around by naming the
    resource differently: versioned azure-native modules (`dbforpostgresql/v20240801`) and old
    azure-native aliases are the current resource; pulumi-aws's module-only form (`aws:ec2:SecurityGroup`,
    which hand-written programs and exports use) is the long one (`aws:ec2/securityGroup:SecurityGroup`)."""
    package, _, rest = type_.partition(":")
    module, _, kind = rest.partition(":")
    if package == "azure-native":
        token = f"{package}:{module.split('/v', 1)[0]}:{kind}"
        return AZURE_ALIASES.get(token, token)
    if package == "aws" and kind:
        token = f"aws:{module}/{kind[:1].lower()}{kind[1:]}:{kind}" if "/" not in module else type_
        return AWS_ALIASES.get(token, token)
    return type_


def _crash(meta: Meta, urn: str, error: Exception) -> RuleCrashError:
    return RuleCrashError(f"policy {meta.name} crashed on {urn or 'the stack'}: {type(error).__name__}: {error}")


def _passthrough(error: Exception) -> bool:
    # The SDK's own control flow (unknown values during preview, not-applicable) must reach it.
    return type(error).__name__ in {"UnknownValueError", "_NotApplicableError"}


def _unverifiable(reads: list[verify.Read], owners: Mapping[int, str]) -> None:
    """Hand what the rule could not judge to the SDK as its advisory "can't run during preview"
    diagnostic (after the rule's trusted findings have been reported)."""
    if not reads:
        return
    entries = list(dict.fromkeys((owners.get(r.root, ""), verify.spell(r.path), r.reason) for r in reads))
    error = UnknownValueError(UNKNOWN_STRING_VALUE, [])
    error.message = verify.unverifiable_message(entries)
    raise error


def resource_rule(meta: Meta,
                  types: Iterable[str] | Callable[[str], bool]) -> Callable[[ResourceCheck], ResourceValidationPolicy]:
    """A rule over single resources of the given types (or whose type a predicate accepts): the check yields
    one message per problem;
    the resource gets one violation listing them (the score counts violations, not sub-findings).
    A message computed while reading a value the rule cannot judge is dropped, and that value is
    reported as unverifiable (see `verify`); the rule's other messages stand."""
    wanted: Callable[[str], bool] = types if callable(types) else frozenset(base_type(t) for t in types).__contains__

    def wrap(check: ResourceCheck) -> ResourceValidationPolicy:
        def validate(args: ResourceValidationArgs, report: ReportViolation) -> None:
            if not wanted(base_type(args.resource_type)):
                return
            provider = args.provider.props if args.provider is not None else {}
            props = verify.as_props(args.props)
            resource = Resource(base_type(args.resource_type), args.urn, args.name, props,
                                config_with_defaults(meta, args.get_config()), provider)
            problems: list[str] = []
            with verify.recording() as reads:
                try:
                    seen = 0
                    for message in check(resource):
                        if len(reads) == seen:
                            problems.append(message)
                        seen = len(reads)
                except Exception as error:
                    if _passthrough(error):
                        raise
                    raise _crash(meta, args.urn, error) from error
            if problems:
                report(joined(problems), None)
            _unverifiable(reads, {id(props): args.urn})

        policy = ResourceValidationPolicy(validate=validate, **meta.policy_kwargs())
        policy.meta = meta  # type: ignore[attr-defined]
        policy.check = check  # type: ignore[attr-defined]  # for unit tests of one rule without the engine
        # Whether the rule can report anything on a type: `validate` returns first thing otherwise, so the
        # pack's servicer may skip it (decode_once).
        policy.applies = lambda type_: wanted(base_type(type_))  # type: ignore[attr-defined]
        return policy

    return wrap


class Stack:
    """All resources of a stack, indexed once by type and URN (rules stay linear)."""

    def __init__(self, resources: Sequence[PolicyResource], config: Mapping[str, Any],
                 index: tuple[dict[str, PolicyResource], dict[str, list[PolicyResource]]] | None = None) -> None:
        self.resources = list(resources)
        self.config = config
        self.by_urn, self._by_type = index if index is not None else self.index(self.resources)

    @staticmethod
    def index(resources: Sequence[PolicyResource]) -> tuple[dict[str, PolicyResource], dict[str, list[PolicyResource]]]:
        by_type: dict[str, list[PolicyResource]] = {}
        for r in resources:
            by_type.setdefault(base_type(r.resource_type), []).append(r)
        return {r.urn: r for r in resources}, by_type

    def of(self, *types: str) -> list[PolicyResource]:
        """Resources of these types, however each was spelt (see `base_type`)."""
        out: list[PolicyResource] = []
        for t in dict.fromkeys(base_type(t) for t in types):
            out.extend(self._by_type.get(t, []))
        return out

    @property
    def root_urn(self) -> str | None:
        root = self.root
        return root.urn if root is not None else None

    @property
    def root(self) -> PolicyResource | None:
        roots = self.of("pulumi:pulumi:Stack")
        return roots[0] if roots else None

    def output(self, name: str) -> Any:
        root = self.root
        return get(root.props, name) if root is not None else None

    @property
    def production(self) -> bool:
        return str(self.config.get("environment", "production")) == "production"


def depends_on(resource: PolicyResource, prop: str, types: Iterable[str]) -> list[PolicyResource]:
    wanted = {base_type(t) for t in types}
    return [d for d in resource.property_dependencies.get(prop, []) if base_type(d.resource_type) in wanted]


def _stack_index(resources: list[PolicyResource]) -> tuple[dict[int, str], tuple[dict[str, PolicyResource],
                                                                               dict[str, list[PolicyResource]]]]:
    """Each resource's props as Props, who owns which props, and the stack's indexes: computed once per
    request when the servicer hands every stack rule the same resources (decode_once), else per rule."""
    memo = verify.request_memo()
    cached = memo.get(("stack-index", id(resources))) if memo is not None else None
    if cached is not None and cached[0] is resources:
        return cached[1], cached[2]
    owners: dict[int, str] = {}
    for resource in resources:
        resource.props = verify.as_props(resource.props)
        owners[id(resource.props)] = resource.urn
    index = Stack.index(resources)
    if memo is not None:
        memo[("stack-index", id(resources))] = (resources, owners, index)
    return owners, index


MAX_MESSAGES = 20
"""Distinct problems one finding lists; the rest are counted (a resource with 50,000 bad ports is one
finding of bounded size, not a megabyte message)."""


def joined(messages: list[str]) -> str:
    """One finding's message: its distinct problems in order, at most MAX_MESSAGES of them."""
    distinct = list(dict.fromkeys(messages))
    shown = "; ".join(distinct[:MAX_MESSAGES])
    rest = len(distinct) - MAX_MESSAGES
    return f"{shown}; and {rest} more" if rest > 0 else shown


class _Boundary(str):
    __slots__ = ()


INDEPENDENT: tuple[str, str | None] = (_Boundary(""), None)
"""Yielded by a stack check between pieces it judges independently (one resource, then the next): a value
it could not judge before the boundary withholds no finding after it. Without boundaries, every value
read since the previous finding is taken as something the next finding may depend on."""


def stack_rule(meta: Meta) -> Callable[[StackCheck], StackValidationPolicy]:
    """A rule over the whole stack: the check yields (message, urn or None for the stack).
    A value the rule cannot judge concerns its resource only: the finding computed while reading it
    and findings about that resource are dropped and the value is reported as unverifiable; the
    rule's findings about every other resource stand (see `verify`)."""

    def wrap(check: StackCheck) -> StackValidationPolicy:
        def validate(args: StackValidationArgs, report: ReportViolation) -> None:
            owners, index = _stack_index(args.resources)
            stack = Stack(args.resources, config_with_defaults(meta, args.get_config()), index)
            found: list[tuple[str, str | None]] = []
            with verify.recording() as reads:
                blind: set[str | None] = set()
                try:
                    seen = 0
                    for message, urn in check(stack):
                        blind.update(owners.get(r.root) for r in reads[seen:])
                        if isinstance(message, _Boundary):
                            seen = len(reads)
                            continue
                        fresh = len(reads) > seen
                        if not fresh and (urn or stack.root_urn) not in blind:
                            found.append((message, urn))
                        seen = len(reads)
                except Exception as error:
                    if _passthrough(error):
                        raise
                    raise _crash(meta, "", error) from error
            grouped: dict[str | None, list[str]] = {}
            for message, urn in found:
                grouped.setdefault(urn, []).append(message)
            for urn, messages in grouped.items():
                report(joined(messages), urn)
            _unverifiable(reads, owners)

        policy = StackValidationPolicy(validate=validate, **meta.policy_kwargs())
        policy.meta = meta  # type: ignore[attr-defined]
        return policy

    return wrap


# --- readers ---------------------------------------------------------------------------------


def get(value: Any, *path: str | int, default: Any = None) -> Any:
    """`get(props, "spec", "template", "spec")`: None-safe walk over proxies, dicts and lists."""
    current = value
    for key in path:
        if isinstance(key, int):
            if not is_list(current) or not -len(current) <= key < len(current):
                verify.needs_value(current)
                return default
            current = current[key]
        else:
            if not isinstance(current, Mapping) or key not in current:
                verify.needs_value(current)  # a withheld secret hides what is inside it
                return default
            current = current[key]
        if current is None:
            return default
    return current


def is_list(value: Any) -> bool:
    return isinstance(value, Sequence) and not isinstance(value, (str, bytes))


def items(value: Any) -> list[Any]:
    """A list input (or a single object where providers accept either), as a list. A withheld secret
    hides how many items it holds: recorded as unverifiable, read as none."""
    if value is None:
        return []
    if is_list(value):
        return list(value)
    if isinstance(value, verify.Withheld):
        verify.needs_value(value)
        return []
    return [value]


def mapping(value: Any) -> Mapping[str, Any]:
    """An object input, or {} for anything else (a withheld secret is recorded as unverifiable)."""
    if isinstance(value, Mapping):
        return value
    verify.needs_value(value)
    return {}


def truthy(value: Any) -> bool:
    verify.needs_value(value)
    if isinstance(value, str):
        return value.strip().lower() in {"true", "yes", "on", "1", "enabled"}
    return bool(value)


def is_false(value: Any) -> bool:
    """Explicitly false (absent is not false)."""
    verify.needs_value(value)
    if isinstance(value, str):
        return value.strip().lower() in {"false", "no", "off", "0", "disabled"}
    return value is False


def number(value: Any) -> float | None:
    """A finite number (NaN and infinities are no setting a rule can compare), else None."""
    verify.needs_value(value)
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        result = float(value)
    elif isinstance(value, str):
        try:
            result = float(value.strip())
        except ValueError:
            return None
    else:
        return None
    return result if math.isfinite(result) else None


def is_world(cidr: Any) -> bool:
    """0.0.0.0/0, ::/0 and their spellings."""
    verify.needs_value(cidr)
    text = str(cidr).strip().lower()
    if text in {"*", "any", "internet", "0.0.0.0", "::", "0.0.0.0/0", "::/0"}:
        return True
    try:
        return ipaddress.ip_network(text, strict=False).prefixlen == 0
    except ValueError:
        return False


def is_private_network(cidr: Any) -> bool:
    verify.needs_value(cidr)
    try:
        network = ipaddress.ip_network(str(cidr).strip(), strict=False)
    except ValueError:
        return False
    return network.prefixlen > 0 and (network.is_private or network.is_loopback)


_WORDS = verify.pattern(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])")
# One definition of "a name that holds a secret", by words (snake, kebab, dotted and camel case alike).
# The program keeps a copy for its config checks (components/config/secret_names.py); a test asserts they agree.
SECRET_WORDS = {"password", "passwd", "pass", "pwd", "passphrase", "passcode", "secret", "secrets", "token", "tokens",
                "apikey", "apitoken", "accesstoken", "credential", "credentials", "creds", "cred", "auth",
                "authorization", "dsn", "jwt", "bearer", "privatekey", "secretkey", "accesskey", "authkey",
                "connectionstring", "connstring"}
SECRET_PAIRS = {("api", "key"), ("private", "key"), ("access", "key"), ("auth", "key"), ("client", "secret"),
                ("connection", "string"), ("secret", "key"), ("signing", "key"), ("encryption", "key")}
# The last word says the value is about a secret, not the secret: `PASSWORD_FILE`, `tokenTTL`, `auth.enabled`.
NOT_SECRET_LAST = {"file", "files", "path", "dir", "ttl", "expiry", "expires", "expiration", "length", "len", "enabled",
                   "disabled", "name", "names", "ref", "header", "policy", "type", "mode", "url", "uri", "endpoint",
                   "host", "port", "user", "username", "id", "arn", "version", "count", "size", "rotation", "days",
                   "format", "source", "field", "prefix", "alias", "method", "methods", "provider", "providers",
                   "strategy", "scheme", "backend", "realm", "domain", "issuer", "audience", "scope", "scopes",
                   "plugin", "timeout", "interval", "algorithm", "anonymous", "required", "through", "location",
                   "store", "vault", "class", "template", "selector", "label", "annotation", "namespace", "sha",
                   "checksum", "hash", "digest", "generation", "manager"}
# `passwordKey: admin-password` names the key under which a Secret holds the password (chart style).
KEY_NAMING_WORDS = {"password", "passwd", "pwd", "token", "user", "username", "cert", "certificate", "tls", "ca"}
# Keys that are not secrets: `publicKey`, `partitionKey`, `kmsKey` (an ARN or id), `cacheKey`.
NOT_SECRET_KEYS = {"public", "partition", "sort", "primary", "foreign", "cache", "idempotency", "hash", "row",
                   "lookup", "label", "kms", "cmk", "object", "group", "dedup", "unique", "index",
                   "topology", "routing", "match", "field", "tag", "metric",
                   "sampling", "shard", "sharding", "attribute", "resource", "node", "selector", "map", "dimension"}


def name_words(name: str) -> list[str]:
    return [w.lower() for w in _WORDS.findall(name[:256])]


_NOT_ALNUM = verify.pattern(r"[^A-Za-z0-9]+")
_FAMILY_STEMS = verify.pattern("pass|pwd|secret|token|key|cred|auth|dsn|jwt|bearer|conn")
"""Every name `secret_like_name` accepts holds one of these in its letters and digits (the words joined):
names without one are refused without splitting them into words (a ConfigMap may have 100,000 keys)."""


def secret_like_name(name: str) -> bool:
    """`DB_PASSWORD`, `adminPassword`, `api-key`, `SENTRY_DSN`, `STRIPE_KEY`: yes;
    `passwordKey`, `existingSecret`, `tokenTTL`, `publicKey`, `auth.enabled`: no."""
    compact = _NOT_ALNUM.sub("", str(name)[:256]).lower()
    if _FAMILY_STEMS.search(compact) is None:
        return False
    words = name_words(str(name))
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
    return any(pair in SECRET_PAIRS for pair in itertools.pairwise(words))


ENV_REFERENCE = verify.pattern(r"^\s*\"?\$(\{[A-Za-z_][A-Za-z0-9_]*\}|\([A-Za-z_][A-Za-z0-9_]*\))\"?\s*$")


def literal_secret(value: Any) -> bool:
    """A non-empty literal that is not a reference to something else (env var, file)."""
    if not isinstance(value, str):
        return False
    text = value.strip()
    return bool(text) and not ENV_REFERENCE.match(text) and not text.startswith(("/", "file:", "secretRef:"))


PRIVATE_KEY = verify.pattern(r"-----BEGIN ([A-Z ]+ )?PRIVATE KEY-----")
AWS_ACCESS_KEY = verify.pattern(r"\b(AKIA|ASIA)[0-9A-Z]{16}\b")
_SCHEME = verify.pattern(r"[a-z][a-z0-9+.-]{0,31}\Z", re.IGNORECASE)
_USERINFO = verify.pattern(r"[^/\s:@]{1,256}:([^/\s@]{1,256})@")


def url_passwords(text: str) -> Iterator[str]:
    """The password of every `scheme://user:password@` in `text`. Anchored on each "://" with bounded
    windows, so it is linear in the text (a scheme regex scanned from every word boundary was
    quadratic: 40 KB of `a.a.a.` took 17 s)."""
    start = 0
    while (at := text.find("://", start)) != -1:
        start = at + 3
        if _SCHEME.search(text, max(0, at - 32), at) is None:
            continue
        match = _USERINFO.match(text, at + 3, at + 3 + 520)
        if match is not None:
            yield match.group(1)
# `key: value` / `key=value` at a line start. Every run is bounded by its line and the key is one possessive
# token, so the scan is linear (`\s*` spanning newlines made a megabyte of blank lines quadratic);
# `secret_like_name` decides whether the key names a secret.
ASSIGNED_SECRET = verify.pattern(r"(?m)^[ \t]*[\"']?([A-Za-z0-9_.-]{1,128}+)[\"']?[ \t]*+[:=][ \t]*+(\S.*)$")


def credentials_in_text(text: str) -> Iterator[str]:
    """Credential material in a config file: private keys, access keys, URL passwords, assignments."""
    verify.needs_value(text)
    # Each kind needs one of these marks (a BEGIN line, a key id prefix, "://" or an assignment):
    # most values have none and are passed over without running a pattern.
    if ":" not in text and "=" not in text and "-----BEGIN" not in text and "AKIA" not in text and "ASIA" not in text:
        return
    if PRIVATE_KEY.search(text):
        yield "a private key"
    if AWS_ACCESS_KEY.search(text):
        yield "an AWS access key id"
    for password in url_passwords(text):
        if literal_secret(password):
            yield "a password inside a URL"
            break
    for match in ASSIGNED_SECRET.finditer(text):
        key, value = match.group(1), match.group(2).strip().strip("\"',;")
        if secret_like_name(key) and literal_secret(value) and value.lower() not in {"null", "none", "~", "''", '""'}:
            yield f"a literal value for '{key}'"
            break

