"""Kubernetes rules about content: secrets in env, ConfigMaps and Helm values; zone spread.

Pod security lives in k8s_pods.py, exposure in k8s_exposure.py, RBAC in k8s_rbac.py, objects the pack
cannot read in k8s_opaque.py; this module gathers them into one list for the registry.
"""

from __future__ import annotations

import base64
import binascii
import itertools
import json
import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from pulumi_policy import Severity

from . import k8s_exposure, k8s_opaque, k8s_pods, k8s_rbac, verify
from .common import (
    INDEPENDENT,
    Meta,
    Resource,
    Stack,
    credentials_in_text,
    depends_on,
    get,
    is_list,
    items,
    literal_secret,
    mapping,
    name_words,
    number,
    resource_rule,
    secret_like_name,
    stack_rule,
    truthy,
    url_passwords,
)
from .k8s_exposure import internal_load_balancer
from .k8s_objects import CONFIGMAP, HELM_TYPES, namespace_of, selector_matches
from .k8s_pods import is_kubernetes
from .provenance import Generated
from .workloads import Pod, inline_manifests, is_config_group, manifests, pods, pods_of

MAX_TEXT = 1_000_000  # characters of one value the secret scanners read
MAX_STRUCTURED = 256_000  # characters of one value parsed as JSON/YAML
MAX_NODES = 20_000
PGP_PRIVATE = "-----BEGIN PGP PRIVATE KEY BLOCK-----"
# A key block however many dashes frame it (`---BEGIN OPENSSH PRIVATE KEY---` still carries the key).
KEY_BLOCK = verify.pattern(r"-{2,10}[ \t]{0,4}BEGIN [A-Z0-9 ]{0,40}PRIVATE KEY")
# `redis://:password@host`: a URL password without a user name (url_passwords wants a user).
EMPTY_USER_URL = verify.pattern(r"[a-z][a-z0-9+.-]{0,31}://:([^/\s@]{1,256})@", re.IGNORECASE)
# `export API_TOKEN=...` lines of a shell env file: the assignment scanner reads lines that start with the key.
EXPORTED = verify.pattern(r"(?m)^[ \t]{0,16}(?:export|set|setenv)[ \t]{1,16}([A-Za-z0-9_.-]{1,128}+)"
                          r"[ \t]{0,16}=[ \t]{0,16}(\S.{0,1000})$")
# Words after "key" that still name the key itself: `OCI_CLI_KEY_CONTENT`, `signing_key_data`, `key_pem`.
KEY_MATERIAL = frozenset({"content", "contents", "data", "material", "pem", "body", "value", "bytes", "b64", "base64"})
PLACEHOLDERS = frozenset({"null", "none", "~", "''", '""', "<nil>", "changeme-in-secret"})


def _show(value: Any) -> str:
    """A value for a message: numbers as the user wrote them (config numbers arrive as floats), bounded."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value)
    return text if len(text) <= 80 else text[:77] + "..."


def walk(value: Any, path: tuple[str, ...] = (), budget: list[int] | None = None) -> Iterator[tuple[tuple[str, ...], Any]]:
    """Leaves of nested mappings/lists as (path, value), bounded: the budget counts every node taken in, so
    a YAML alias that makes a small document huge (or refer to itself) costs at most MAX_NODES steps."""
    budget = budget if budget is not None else [MAX_NODES]
    stack: list[tuple[tuple[str, ...], Any]] = [(path, value)]
    while stack:
        here, node = stack.pop()
        if isinstance(node, Mapping) or is_list(node):
            pairs = node.items() if isinstance(node, Mapping) else enumerate(node)
            children = list(itertools.islice(pairs, max(budget[0], 0)))
            budget[0] -= len(children)
            stack.extend(((*here, str(k)), v) for k, v in reversed(children))
        else:
            yield here, node


def leaf_name(path: tuple[str, ...]) -> str:
    """The key a leaf sits under; list indexes borrow their parent's name (`passwords.0` -> `passwords`),
    except lists of Secret names (`secrets`, `imagePullSecrets`), which name objects, not values."""
    for index, part in enumerate(reversed(path)):
        if not part.isdigit():
            return "" if index and part.lower().endswith("secrets") else part
    return ""


def is_literal(value: Any) -> bool:
    if verify.is_withheld(value):
        return True  # a secret's value written where a reference belongs: a literal in the object
    return literal_secret(value) and str(value).strip().lower() not in PLACEHOLDERS


def secret_name(name: Any) -> bool:
    """A name that holds a secret: the shared families, plus key material named by what follows `key`
    (`OCI_CLI_KEY_CONTENT`, `tls_key_data`)."""
    text = str(name)[:256]
    if secret_like_name(text):
        return True
    words = name_words(text)
    return len(words) >= 2 and words[-1] in KEY_MATERIAL and words[-2] in ("key", "keys")


def _connection_string(text: str) -> str | None:
    """`Server=db;User Id=app;Password=hunter2;`: a secret-named key with a literal value."""
    if ";" not in text or "=" not in text:
        return None
    for segment in text[:MAX_TEXT].split(";"):
        key, sep, value = segment.partition("=")
        if sep and secret_like_name(key.strip()) and is_literal(value.strip().strip("\"'")):
            return key.strip()
    return None


def _structured(text: str) -> Any:
    stripped = text.lstrip()
    if len(text) > MAX_STRUCTURED or not stripped:
        return None
    if stripped[0] in "{[":
        try:
            return json.loads(text)
        except ValueError:
            pass
    if ":" not in text:
        return None
    try:
        import yaml

        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        return yaml.load(text, Loader=loader)
    except Exception:  # noqa: BLE001 - not YAML: the line scanners still ran
        return None


# Runs of the characters tokens are made of; each run is checked against the known shapes below, so the scan is
# linear in the text whatever it holds.
TOKEN_RUN = verify.pattern(r"[A-Za-z0-9_.+/=-]{16,}")
TOKEN_SHAPES: tuple[tuple[str, verify.Pattern], ...] = (
    ("a JSON Web Token", verify.pattern(r"eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}")),
    ("a GitHub token", verify.pattern(r"(gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255})")),
    ("a GitLab token", verify.pattern(r"glpat-[A-Za-z0-9_-]{20,}")),
    ("a Slack token", verify.pattern(r"xox[abposr]-[A-Za-z0-9-]{10,}")),
    ("a Stripe secret key", verify.pattern(r"[sr]k_live_[A-Za-z0-9]{16,}")),
    ("a Google API key", verify.pattern(r"AIza[A-Za-z0-9_-]{35}")),
)
MAX_TOKEN = 4096
# An HTTP Authorization value (`Bearer abc123`, `Basic dXNlcjpwdw==`, `token ghp_...`): the scheme word, then a credential
# of token characters with a digit or mixed case in it (so `Bearer of bad news` is prose). No nested quantifier.
AUTHORIZATION = verify.pattern(r"(?i)(?:^|[\s\"':=])(bearer|basic|token|apikey)[ \t]{1,8}([A-Za-z0-9._~+/=-]{6,4096})")


def token_shapes(text: str) -> Iterator[str]:
    """Well-known credential formats, whatever name they sit under."""
    seen: set[str] = set()
    for match in TOKEN_RUN.finditer(text):
        run = match.group(0)
        if len(run) > MAX_TOKEN:
            continue
        for label, shape in TOKEN_SHAPES:
            if label not in seen and shape.fullmatch(run.strip(".=+/")):
                seen.add(label)
                yield label


def authorization_values(text: str) -> Iterator[str]:
    """An Authorization header value written out: the scheme and a literal credential."""
    for match in AUTHORIZATION.finditer(text[:MAX_TEXT]):
        credential = match.group(2)
        mixed = len(credential) >= 12 and credential.lower() != credential and credential.upper() != credential
        if (mixed or any(ch.isdigit() for ch in credential)) and is_literal(credential):
            yield f"a literal {match.group(1).capitalize()} credential (Authorization value)"
            return


def name_value_secrets(document: Any, generated: Callable[[Any], bool] = lambda _: False) -> Iterator[tuple[str, str]]:
    """`{name: DB_PASSWORD, value: hunter2}` entries (env lists inside chart values or config documents)."""
    for here, node in mappings(document):
        name, value = node.get("name"), node.get("value")
        if isinstance(name, str) and secret_name(name) and is_literal(value) and not generated(value):
            yield ".".join(here), _show(name)


def mappings(document: Any) -> Iterator[tuple[tuple[str, ...], Mapping[str, Any]]]:
    """Every mapping inside a document with its path, bounded like `walk` (the budget counts every node
    taken in, so a self-referencing alias costs at most MAX_NODES steps)."""
    budget = MAX_NODES
    stack: list[tuple[tuple[str, ...], Any]] = [((), document)]
    while stack:
        here, node = stack.pop()
        if isinstance(node, Mapping):
            yield here, node
            pairs: Iterator[tuple[Any, Any]] = iter(node.items())
        elif is_list(node):
            pairs = enumerate(node)
        else:
            continue
        taken = list(itertools.islice(pairs, max(budget, 0)))
        budget -= len(taken)
        stack.extend(((*here, str(k)), v) for k, v in taken if isinstance(v, Mapping) or is_list(v))


# `NAME=value` / `NAME: value` anywhere in a line: a shell command (`PGPASSWORD=x psql`), a JAAS config
# (`password="x";`), a query string (`?user=a&password=x`), an .npmrc (`//host/:_authToken=x`). The key starts where
# no key character precedes it (so a failed try costs one step per key, not one per character of it) and every
# part is bounded: linear in the text.
INLINE_ASSIGNMENT = verify.pattern(r"(?<![A-Za-z0-9_.])([A-Za-z_][A-Za-z0-9_.-]{0,127}+)[ \t]{0,4}[=:][ \t]{0,4}"
                               r"(\"[^\"\n]{1,512}\"|'[^'\n]{1,512}'|[^\s\"';&,<>)]{1,512})")
# `<password>x</password>` (Maven settings, .NET configs): the element's name says what its text is.
XML_ELEMENT = verify.pattern(r"<([A-Za-z_][A-Za-z0-9_.:-]{0,127}+)>([^<\n]{1,512})</\1>")
PUTTY_KEY = verify.pattern(r"PuTTY-User-Key-File-[0-9]{1,3}:")
AUTH_SCHEMES = frozenset({"bearer", "basic", "token", "digest", "negotiate", "apikey"})


def inline_assignments(text: str) -> Iterator[str]:
    """Secret-named keys given a literal value inside a line, an XML element, or a .netrc `password` field."""
    if "=" in text or ":" in text:
        for match in INLINE_ASSIGNMENT.finditer(text):
            key, value = match.group(1), match.group(2).strip("\"'")
            if secret_like_name(key) and is_literal(value) and not value.startswith(("$", "%", "{{", "<")) \
                    and value.lower() not in AUTH_SCHEMES:  # `Authorization: Bearer x`: judged by its credential
                yield f"a literal value for '{_show(key)}'"
                return
    if "</" in text:
        for match in XML_ELEMENT.finditer(text):
            if secret_like_name(match.group(1)) and is_literal(match.group(2).strip()) \
                    and not match.group(2).strip().startswith(("$", "{{")):
                yield f"a literal <{_show(match.group(1))}> element"
                return
    for line in text.splitlines():
        words = line.split()
        if words[:1] in (["machine"], ["default"]):
            for field in ("password", "passwd"):
                if field in words[:-1] and is_literal(words[words.index(field) + 1]):
                    yield "a .netrc password"
                    return


def pgpass_lines(text: str) -> bool:
    """`host:port:database:user:password` lines (a .pgpass file)."""
    for line in text.splitlines():
        fields = line.strip().split(":")
        if len(fields) == 5 and not line.lstrip().startswith("#") and fields[4] and is_literal(fields[4]):
            return True
    return False


def secrets_in_text(text: str) -> Iterator[str]:
    """What in a text value is credential material: key blocks, URL passwords, connection strings, and JSON or
    YAML documents holding literal values under secret-named keys."""
    text = text[:MAX_TEXT]
    found: list[str] = []
    for finding in credentials_in_text(text):  # each yielded right after the reads it comes from (see verify)
        found.append(finding)
        yield finding
    if "a private key" not in found and KEY_BLOCK.search(text):
        yield "a private key"
    if "a password inside a URL" not in found and any(is_literal(m.group(1)) for m in EMPTY_USER_URL.finditer(text)):
        yield "a password inside a URL"
    if not any(f.startswith("a literal value for") for f in found):
        for match in EXPORTED.finditer(text):
            value = match.group(2).strip().strip("\"',;")
            if secret_name(match.group(1)) and is_literal(value):
                yield f"a literal value for '{match.group(1)}'"
                break
    if PGP_PRIVATE in text:
        yield "a PGP private key block"
    if PUTTY_KEY.search(text) and "Private-Lines:" in text:
        yield "a PuTTY private key"
    if not any(f.startswith("a literal value for") for f in found):
        yield from inline_assignments(text)
    yield from token_shapes(text)
    yield from authorization_values(text)
    key = _connection_string(text)
    if key:
        yield f"a connection string with a literal {key}"
    document = _structured(text)
    if isinstance(document, (Mapping, list)):
        for path, value in walk(document):
            name = leaf_name(path)
            if secret_name(name) and is_literal(value):
                yield f"a literal value under '{'.'.join(path)}'"
                break
        for where, entry in name_value_secrets(document):
            yield f"an entry ({where or 'the document'}) setting {entry} to a literal value"
            break


def decode_binary(value: Any) -> str | None:
    """binaryData is base64: decode (bounded) and read it as text when it is text."""
    if not isinstance(value, str):
        return None
    try:
        raw = base64.b64decode(value[: MAX_TEXT * 4 // 3 + 4], validate=False)
    except (binascii.Error, ValueError):
        return None
    text = raw.decode("utf-8", errors="replace")
    printable = sum(ch.isprintable() or ch in "\r\n\t" for ch in text[:4096])
    return text if printable >= 0.9 * min(len(text), 4096) else None


# --- env ---------------------------------------------------------------------------------------------

literal_env = Meta(
    name="k8s-no-literal-secret-env",
    description="No container receives a credential as a literal: env values under secret-like names, URLs with a "
                "password, private keys, or secret flags on the command line.",
    severity=Severity.CRITICAL,
    categories=("SM",),
    references=("Polaris sensitiveContainerEnvVar", "kube-linter env-var-secret", "Kubescape C-0012", "CKV_K8S_35"),
    remediation="Read the value from a Secret with `valueFrom.secretKeyRef` (or mount the Secret as a file); never "
                "put a password in an env value, a URL or an argument.",
)


def _arg_secret(arg: str, following: Any) -> str | None:
    """A secret on a command line: a URL with a password, `--password=x`, or `--password x` (the value is the next
    argument)."""
    if next(url_passwords(arg[:4096]), None) is not None or EMPTY_USER_URL.search(arg[:4096]):
        return "a URL with a password"
    if not arg.startswith("-"):
        found = next(secrets_in_text(arg[:4096]), None)  # a shell line (`sh -c "PGPASSWORD=x psql"`), a header
        return found
    flag, equals, value = arg[:4096].lstrip("-").partition("=")
    if not equals and flag in ("u", "user") and isinstance(following, str) and ":" in following \
            and is_literal(following.split(":", 1)[1]):
        return f"-{'-' if arg.startswith('--') else ''}{flag} user:password (a literal password)"
    if equals and secret_name(flag) and is_literal(value):
        return f"--{_show(flag)} with a literal value"
    if not equals and secret_name(flag) and isinstance(following, str) and not following.startswith("-") \
            and is_literal(following):
        return f"--{_show(flag)} followed by a literal value"
    return None


@resource_rule(literal_env, is_kubernetes)
def k8s_no_literal_secret_env(resource: Resource) -> Iterator[str]:
    for pod in pods(resource.type, resource.props):
        for c in pod.containers():
            for index, env in enumerate(items(get(c.data, "env"))):
                name = str(get(env, "name", default=""))
                value = get(env, "value")
                where = f"{c.label} env[{index}] {_show(name)}"
                if verify.is_withheld(value):
                    # A secret's value written into the pod spec sits in the manifest, whatever it is.
                    yield f"{where} is a literal value (a secret's value written into the manifest)"
                    continue
                if not isinstance(value, str) or not value.strip():
                    continue
                if secret_name(name) and is_literal(value):
                    yield f"{where} is a literal value (secret-like name)"
                    continue
                for finding in secrets_in_text(value):
                    yield f"{where} holds {finding}"
                    break
            for list_name in ("command", "args"):
                yield from _command_secrets(items(get(c.data, list_name)), f"{c.label} {list_name}")
            for handler_path in HANDLERS:
                handler = get(c.data, *handler_path)
                if not isinstance(handler, Mapping):
                    continue
                where = f"{c.label} {'.'.join(handler_path)}"
                yield from _command_secrets(items(get(handler, "exec", "command")), f"{where}.exec.command")
                for index, header in enumerate(items(get(handler, "httpGet", "httpHeaders"))):
                    name, value = str(get(header, "name", default="")), get(header, "value")
                    if not isinstance(value, str) or not value.strip():
                        continue
                    if secret_name(name) and is_literal(value):
                        yield f"{where}.httpGet.httpHeaders[{index}] {_show(name)} is a literal credential"
                    else:
                        for finding in secrets_in_text(value):
                            yield f"{where}.httpGet.httpHeaders[{index}] {_show(name)} holds {finding}"
                            break


HANDLERS = (("livenessProbe",), ("readinessProbe",), ("startupProbe",), ("lifecycle", "postStart"),
            ("lifecycle", "preStop"))
"""Where a container runs a command or sends HTTP headers besides its own command line."""


def _command_secrets(arguments: list[Any], where: str) -> Iterator[str]:
    for index, arg in enumerate(arguments):
        following = arguments[index + 1] if index + 1 < len(arguments) else None
        problem = _arg_secret(arg, following) if isinstance(arg, str) else None
        if problem:
            yield f"{where}[{index}] passes {problem}"


# --- ConfigMaps --------------------------------------------------------------------------------------

configmap_secrets = Meta(
    name="k8s-configmap-no-secrets",
    description="ConfigMaps (data and binaryData, the HAProxy configuration included) hold no credentials, private "
                "keys or connection strings with passwords.",
    severity=Severity.CRITICAL,
    categories=("SM",),
    references=("Polaris sensitiveConfigmapContent", "CKV_K8S_35"),
    remediation="Move the value into a Secret and reference it (`secretKeyRef`, a mounted file, or an "
                "environment variable the HAProxy config reads as \"${NAME}\").",
)


def haproxy_credentials(text: str) -> Iterator[str]:
    for raw in text[:MAX_TEXT].splitlines():
        line = raw.split("#", 1)[0].strip()
        words = line.split()
        if not words:
            continue
        if words[0] == "user" and "insecure-password" in words:
            yield f"a plaintext password for HAProxy user {_show(words[1]) if len(words) > 1 else '?'}"
        elif words[0] == "user" and "password" in words:
            value = words[words.index("password") + 1] if words.index("password") + 1 < len(words) else ""
            if literal_secret(value):
                yield f"a password hash for HAProxy user {_show(words[1]) if len(words) > 1 else '?'}"
        elif words[:2] == ["stats", "auth"] and len(words) > 2 and ":" in words[2] \
                and literal_secret(words[2].split(":", 1)[1]):
            yield "a literal `stats auth` password"


def configmap_problems(props: Mapping[str, Any], prefix: str = "") -> Iterator[str]:
    # Annotations travel with the object (`kubectl get -o yaml` shows them to anyone who can read ConfigMaps);
    # `last-applied-configuration` copies a whole earlier object, a Secret's stringData included.
    for raw_key, value in mapping(get(props, "metadata", "annotations")).items():
        key = str(raw_key)
        where = f"{prefix}metadata.annotations.{_show(key)}"
        if secret_name(key.rsplit("/", 1)[-1]) and is_literal(value):
            yield f"{where} holds a literal value under a secret-like key"
        elif isinstance(value, str):
            for finding in secrets_in_text(value):
                yield f"{where} contains {finding}"
                break
    for section in ("data", "binaryData"):
        for raw_key, value in mapping(get(props, section)).items():
            key = str(raw_key)
            where = f"{prefix}{section}.{_show(key)}"
            text = decode_binary(value) if section == "binaryData" else value
            if secret_name(key) and (is_literal(text) or (section == "binaryData" and is_literal(value))):
                yield f"{where} holds a literal value under a secret-like key"
                continue
            if not isinstance(text, str):
                continue
            for finding in secrets_in_text(text):
                yield f"{where} contains {finding}"
            if key.lower().endswith("pgpass") and pgpass_lines(text):
                yield f"{where} contains a .pgpass password (host:port:database:user:password)"
            if key.endswith(".cfg") or "haproxy" in key:
                for finding in haproxy_credentials(text):
                    yield f"{where} contains {finding}"


def _configmaps(resource: Resource) -> Iterator[tuple[str, Mapping[str, Any]]]:
    if resource.type.rsplit(":", 1)[-1] in ("ConfigMap", "ConfigMapPatch"):
        yield "", resource.props
    elif resource.type.endswith(":ConfigMapList"):
        for index, item in enumerate(items(get(resource.props, "items"))):
            yield f"items[{index}].", mapping(item)
    elif is_config_group(resource.type):
        for manifest in inline_manifests(resource.props):
            if manifest.kind == "ConfigMap":
                yield f"{manifest.path}: ", manifest.props


@resource_rule(configmap_secrets, is_kubernetes)
def k8s_configmap_no_secrets(resource: Resource) -> Iterator[str]:
    for prefix, props in _configmaps(resource):
        yield from configmap_problems(props, prefix)


# --- Helm values -------------------------------------------------------------------------------------

helm_values = Meta(
    name="k8s-helm-release-values",
    description="Helm Release and Chart values hold no literal credentials, expose no chart Service or Ingress "
                "publicly, enable no anonymous access and weaken no pod security.",
    severity=Severity.HIGH,
    categories=("SM", "AA"),
    references=("pulumi-kubernetes#2057", "Polaris sensitiveContainerEnvVar", "kube-linter privileged-container"),
    remediation="Point charts at existing Secrets (e.g. `grafana.admin.existingSecret`), keep chart Services "
                "ClusterIP, disable chart Ingresses and anonymous access, and leave chart pod security at its "
                "restricted defaults (no privileged, hostNetwork, hostPID, hostIPC, root UID or added capabilities).",
    config={"rootNodeAgents": {
        "type": "array",
        "items": {"type": "string"},
        "description": "Releases ('namespace/name') that may run as UID 0: node log agents read the kubelet's "
                       "container logs under /var/log/pods, which only root can read. Nothing else is relaxed.",
        "default": ["monitoring/otel-log-agent"],
    }},
)

PUBLIC_SERVICE_TYPES = {"LoadBalancer", "NodePort"}
PUBLIC_TYPES_LOWER = {t.lower() for t in PUBLIC_SERVICE_TYPES}
# Values that weaken pod security whatever chart renders them: (last key, predicate, what it means).
POD_SECURITY_VALUES: tuple[tuple[str, Any, str], ...] = (
    ("privileged", truthy, "runs a privileged container"),
    ("hostNetwork", truthy, "shares the host network"),
    ("hostPID", truthy, "shares the host PID namespace"),
    ("hostIPC", truthy, "shares the host IPC namespace"),
    ("allowPrivilegeEscalation", truthy, "allows privilege escalation"),
    ("runAsNonRoot", lambda v: v is False or str(v).lower() == "false", "allows running as root"),
    ("runAsUser", lambda v: number(v) == 0, "runs as UID 0"),
    ("hostPath", lambda v: v is not None and v != {} and v is not False, "mounts a hostPath"),
    ("hostPort", lambda v: number(v) not in (None, 0), "binds a host port"),
    ("hostProcess", truthy, "runs a Windows host process"),
    ("shareProcessNamespace", truthy, "shares one process namespace between containers"),
    ("procMount", lambda v: isinstance(v, str) and v.strip().lower() not in ("", "default"), "unmasks /proc"),
    ("runAsGroup", lambda v: number(v) == 0, "runs with group 0 (root)"),
    ("fsGroup", lambda v: number(v) == 0, "gives its volumes group 0 (root)"),
    ("readOnlyRootFilesystem", lambda v: v is False or str(v).strip().lower() in ("false", "0", "no", "off"),
     "lets a container write to its root filesystem"),
)
# `seccompProfile: {type: Unconfined}` / `appArmorProfile: {type: Unconfined}`: the parent key names the profile.
UNCONFINED_PROFILES = {"seccompProfile": "turns seccomp off", "appArmorProfile": "turns AppArmor off"}


def helm_values_problems(values: Mapping[str, Any], generated: Callable[[Any], bool],
                         root_allowed: bool = False, source: str = "values") -> Iterator[str]:
    """`generated(value)`: the value is proved a generator's output (see `provenance`), judged per value.
    `source`: where the values come from (`values`, `valueYamlFiles[0]`), the prefix of each message's path."""
    for where, entry in name_value_secrets(values, generated):
        yield f"{source}.{where} sets {entry} to a literal value"
    for path, value in walk(values):
        key = path[-1] if path else ""
        name = leaf_name(path)
        dotted = ".".join(path)
        if secret_name(name) and is_literal(value) and not generated(value):
            yield f"{source}.{dotted} is a literal credential"
        elif isinstance(value, str) and not verify.is_withheld(value):
            for finding in secrets_in_text(value):
                if not generated(value):
                    yield f"{source}.{dotted} contains {finding}"
                break
        if key == "type" and len(path) >= 2 and path[-2] in UNCONFINED_PROFILES and str(value).strip().lower() == "unconfined":
            yield f"{source}.{dotted} is {_show(value)}: the chart {UNCONFINED_PROFILES[path[-2]]}"
        if key == "type" and len(path) >= 2 and path[-2] == "service" and str(value).strip().lower() in PUBLIC_TYPES_LOWER:
            annotations = mapping(get(values, *path[:-1], "annotations"))
            if not internal_load_balancer(annotations):
                yield f"{source}.{dotted} is {value}"
        if key == "externalIPs" or (len(path) >= 2 and path[-2] == "externalIPs"):
            yield f"{source}.{dotted} sets an external IP"
        if key == "enabled" and len(path) >= 2 and path[-2] == "ingress" and truthy(value):
            yield f"{source}.{dotted} enables a chart Ingress"
        anonymous = path[-2:] == ("anonymous", "enabled") or path[-2:] == ("auth.anonymous", "enabled")
        if anonymous and truthy(value):
            yield f"{source}.{dotted} enables anonymous access"
        for field, bad, meaning in POD_SECURITY_VALUES:
            if root_allowed and field in ROOT_FIELDS:
                continue
            if key == field and bad(value):
                yield f"{source}.{dotted} is {_show(value)}: the chart {meaning}"
        if len(path) >= 2 and path[-2] == "add" and "capabilities" in path and str(value).upper().removeprefix("CAP_") \
                not in k8s_pods.ALLOWED_ADDED_CAPABILITIES:
            yield f"{source}.{dotted} adds capability {_show(value)}"


RANDOM_SECRETS = ("random:index/randomPassword:RandomPassword", "random:index/randomString:RandomString")
ROOT_FIELDS = ("runAsUser", "runAsNonRoot", "runAsGroup", "fsGroup")


@stack_rule(helm_values)
def k8s_helm_release_values(stack: Stack) -> Iterator[tuple[str, str | None]]:
    # A Release's objects are installed by Helm, invisible to CrossGuard: its values are what we can check.
    # A generated password is proved by its value, per value (`provenance`): wiring `values` to one
    # generator vouches for no other value of the release.
    root_agents = {str(a) for a in items(stack.config.get("rootNodeAgents"))}
    for release in stack.of(*HELM_TYPES):
        yield INDEPENDENT
        wired = depends_on(release, "values", RANDOM_SECRETS)
        results: list[Generated] = []  # read when a value needs it: a result unknown at preview is then blind

        def generated(value: Any, wired: list[Any] = wired, results: list[Generated] = results) -> bool:
            if not results:
                results.append(Generated(stack))
            proved = results[0].proves(value, wired)
            if proved is None:
                verify.needs_value(value)  # a ciphertext, nothing wired: cannot tell generated from literal
                return True
            return proved

        where = f"{get(release.props, 'namespace', default='')}/{get(release.props, 'name', default='')}"
        for problem in helm_values_problems(mapping(get(release.props, "values")), generated, where in root_agents):
            yield problem, release.urn
        for index, asset in enumerate(items(get(release.props, "valueYamlFiles"))):
            # A string asset carries its text in the export: the values it sets are read like `values`.
            text = get(asset, "text") if isinstance(asset, Mapping) else getattr(asset, "text", None)
            document = _structured(text) if isinstance(text, str) else None
            if isinstance(document, Mapping):
                for problem in helm_values_problems(document, generated, where in root_agents,
                                                    f"valueYamlFiles[{index}]"):
                    yield problem, release.urn


# --- spread ------------------------------------------------------------------------------------------

spread = Meta(
    name="k8s-spread",
    description="Replicated workloads spread over zones (a topology spread constraint that selects their own pods "
                "with a maxSkew below the replica count) or use pod anti-affinity.",
    severity=Severity.MEDIUM,
    categories=("REL",),
    references=("kube-linter no-anti-affinity", "Polaris topologySpreadConstraint"),
    remediation="Add a `topologySpreadConstraints` entry on `topology.kubernetes.io/zone` with `maxSkew: 1` and a "
                "`labelSelector` matching the pod template's labels (or a podAntiAffinity term).",
)

ZONE_KEYS = ("topology.kubernetes.io/zone", "failure-domain.beta.kubernetes.io/zone")


# Kinds that run several copies of one pod; any other kind with a pod template and `spec.replicas` > 1 counts too.
REPLICATED_KINDS = frozenset({"Deployment", "StatefulSet", "ReplicaSet", "ReplicationController", "DeploymentConfig",
                              "Rollout"})
UNKNOWN_REPLICAS_SKEW = 2
"""With no replica count (an autoscaler decides), a zone maxSkew above this lets most replicas share a zone."""


def _zone_constraint_problem(pod: Pod, index: int, constraint: Any, replicas: float | None) -> str | None:
    """Why one zone constraint spreads nothing: a skew as large as the replica count, or a selector that does not
    count this pod (a nil selector counts no pod at all)."""
    where = f"pod ({pod.path}) topologySpreadConstraints[{index}]"
    skew = number(get(constraint, "maxSkew"))
    if skew is not None and replicas is not None and skew >= replicas:
        return f"{where}.maxSkew {_show(skew)} lets all {_show(replicas)} replicas share one zone"
    if skew is not None and replicas is None and skew > UNKNOWN_REPLICAS_SKEW:
        return f"{where}.maxSkew {_show(skew)} lets most replicas share one zone"
    selector = get(constraint, "labelSelector")
    if selector is None:
        return f"{where} has no labelSelector: it counts no pod, so it spreads nothing"
    if not selector_matches(selector, pod.labels):
        return f"{where}.labelSelector does not select this pod's labels: it spreads nothing"
    return None


def spread_problems(pod: Pod, replicas: float | None, namespace: str = "default") -> Iterator[str]:
    zone_problems: list[str] = []
    effective = 0
    for index, constraint in enumerate(items(get(pod.spec, "topologySpreadConstraints"))):
        if get(constraint, "topologyKey") not in ZONE_KEYS:
            continue
        problem = _zone_constraint_problem(pod, index, constraint, replicas)
        if problem:
            zone_problems.append(problem)
        else:
            effective += 1
    anti = get(pod.spec, "affinity", "podAntiAffinity")
    terms = [*items(get(anti, "requiredDuringSchedulingIgnoredDuringExecution")),
             *(get(t, "podAffinityTerm") for t in items(get(anti, "preferredDuringSchedulingIgnoredDuringExecution")))]
    if effective or any(_keeps_replicas_apart(pod, namespace, term) for term in terms):
        return
    if zone_problems:
        yield from zone_problems
    elif terms:
        yield f"pod ({pod.path}) podAntiAffinity selects no pod of its own (labelSelector or namespaces elsewhere) " \
              f"and it has no zone topologySpreadConstraints"
    else:
        yield f"pod ({pod.path}) has no zone topologySpreadConstraints and no podAntiAffinity"


def _keeps_replicas_apart(pod: Pod, namespace: str, term: Any) -> bool:
    """An anti-affinity term that repels the pod's own replicas: a topology key, a selector matching the pod's labels,
    and (when it lists namespaces) the pod's own namespace."""
    if not isinstance(term, Mapping) or not get(term, "topologyKey") or get(term, "labelSelector") is None:
        return False
    namespaces = {str(n) for n in items(get(term, "namespaces"))}
    if namespaces and namespace not in namespaces and get(term, "namespaceSelector") is None:
        return False
    return selector_matches(get(term, "labelSelector"), pod.labels)


@resource_rule(spread, is_kubernetes)
def k8s_spread(resource: Resource) -> Iterator[str]:
    for manifest in manifests(resource.type, resource.props):
        if manifest.partial:
            continue  # a patch sets only what it changes; the object it patches is judged where it is declared
        replicas = number(get(manifest.props, "spec", "replicas"))
        if manifest.kind not in REPLICATED_KINDS and (replicas is None or replicas <= 1):
            continue
        if replicas is not None and replicas <= 1:
            continue
        for pod in pods_of(manifest):
            namespace = pod.namespace or namespace_of(resource.props, resource.provider_props)
            yield from spread_problems(pod, replicas, namespace)


POLICIES = [
    *k8s_pods.POLICIES,
    k8s_no_literal_secret_env, k8s_configmap_no_secrets, k8s_helm_release_values, k8s_spread,
    *k8s_exposure.POLICIES, *k8s_rbac.POLICIES, *k8s_opaque.POLICIES,
]

__all__ = ["CONFIGMAP", "POLICIES"]
