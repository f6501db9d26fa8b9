"""Objects whose content the pack cannot see: they get a finding of their own instead of passing silently.

What is opaque: manifests read from files or URLs at deploy time (yaml ConfigFile, ConfigGroup `files`,
kustomize Directory), inline YAML that does not parse, patches (`*Patch`: merged server-side into an object
the stack does not hold), and Helm charts whose values the pack cannot read (`valueYamlFiles`) or whose
chart is not pinned (no exact `version`, or a local path/archive). A Helm Release or Chart with inline values
and a pinned version is modelled: k8s-helm-release-values judges its values, and the chart's templates are
third-party code pinned by version, like a container image pinned by tag.

An opaque object never switches a stack-wide rule off: the stack rules only stop calling a selector
"dangling" in the namespace the object installs into.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import Severity

from . import verify
from .common import Meta, Resource, get, items, resource_rule
from .workloads import inline_manifests, is_config_group, is_list_kind, is_patch, manifests, parse_documents

POD_RULES = ("k8s-no-privileged", "k8s-no-privilege-escalation", "k8s-run-as-non-root", "k8s-drop-capabilities",
             "k8s-no-host-namespaces", "k8s-no-host-path-or-port", "k8s-image-pinned")
RULES_BY_KIND: dict[str, tuple[str, ...]] = {
    "Service": ("k8s-no-public-service", "k8s-service-selects-slot"),
    "Ingress": ("k8s-ingress-tls",),
    "NetworkPolicy": ("k8s-network-policy-no-allow-all", "k8s-network-policy-coverage"),
    "ConfigMap": ("k8s-configmap-no-secrets",),
    "Role": ("k8s-rbac-least-privilege",), "ClusterRole": ("k8s-rbac-least-privilege",),
    "RoleBinding": ("k8s-rbac-least-privilege",), "ClusterRoleBinding": ("k8s-rbac-least-privilege",),
    "HorizontalPodAutoscaler": ("k8s-hpa-valid", "k8s-min-replicas"),
    "PodDisruptionBudget": ("k8s-pdb-sane",),
    "PersistentVolume": ("k8s-no-host-path-or-port",),
}
# Kinds whose rules read them inside a ConfigGroup or a `*List` too (pods, ConfigMaps, RBAC, PersistentVolumes).
READ_INLINE = frozenset({"ConfigMap", "Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding", "PersistentVolume"})
CONFIG_FILES = ("kubernetes:yaml:ConfigFile", "kubernetes:yaml/v2:ConfigFile")
KUSTOMIZE = ("kubernetes:kustomize:Directory", "kubernetes:kustomize/v2:Directory")
HELM = ("kubernetes:helm.sh/v3:Release", "kubernetes:helm.sh/v4:Chart", "kubernetes:helm.sh/v3:Chart",
        "kubernetes:helm.sh/v2:Chart")
EXACT_VERSION = verify.pattern(r"v?[0-9]+\.[0-9]+\.[0-9]+([-+][0-9A-Za-z.+-]{1,64})?")

opaque = Meta(
    name="k8s-opaque-content",
    description="Kubernetes objects whose content the pack cannot verify (manifest files, kustomize directories, "
                "patches, unparseable inline YAML, Helm values files or unpinned charts) are reported, never passed.",
    severity=Severity.HIGH,
    categories=("AA", "SM"),
    references=("pulumi-kubernetes#2057", "Pulumi CrossGuard: children of opaque components"),
    remediation="Declare the objects as typed resources (or inline `objs`/`yaml` in a ConfigGroup), pass Helm values "
                "inline instead of `valueYamlFiles`, pin charts to an exact version from a repository, and apply "
                "changes to objects the stack declares rather than through `*Patch` resources.",
)


def _rules_for(kinds: list[str]) -> str:
    wanted: list[str] = []
    for kind in kinds:
        for rule in RULES_BY_KIND.get(kind, POD_RULES):
            if rule not in wanted:
                wanted.append(rule)
    return ", ".join(wanted) or ", ".join(POD_RULES)


def _files(value: Any) -> str:
    return ", ".join(str(v)[:80] for v in items(value))[:200]


def _helm(resource: Resource) -> Iterator[str]:
    props = resource.props
    # A string asset carries its text in the export (k8s-helm-release-values reads it); a file or remote asset
    # does not.
    files = [f for f in items(get(props, "valueYamlFiles"))
             if not isinstance(get(f, "text") if isinstance(f, Mapping) else getattr(f, "text", None), str)]
    if files:
        yield f"values come from valueYamlFiles ({len(files)} file(s)) the pack cannot read: the rule that would " \
              f"apply is k8s-helm-release-values"
    chart = str(get(props, "chart", default=""))
    version = get(props, "version")
    local = chart.startswith(("./", "../", "/", "file:")) or chart.endswith((".tgz", ".tar.gz"))
    remote = chart.startswith(("http://", "https://"))
    if local or remote:
        yield f"chart {chart[:80]} is a local path or an archive URL: its templates are unverified (rules that " \
              f"would apply: {', '.join(POD_RULES)})"
    elif not isinstance(version, str) or not EXACT_VERSION.fullmatch(version.strip()):
        shown = "no version" if version in (None, "") else f"version {str(version)[:40]}"
        yield f"chart {chart[:80] or '?'} has {shown}: an unpinned chart renders whatever is published next " \
              f"(pin an exact version)"


@resource_rule(opaque, lambda t: t.startswith("kubernetes:"))
def k8s_opaque_content(resource: Resource) -> Iterator[str]:
    type_ = resource.type
    props = resource.props
    if type_ in CONFIG_FILES:
        yield f"the manifests in file {_files(get(props, 'file')) or '?'} are read at deploy time and unverified " \
              f"(rules that would apply: every k8s-* rule for the kinds it holds)"
    elif type_ in KUSTOMIZE:
        yield f"the kustomize directory {_files(get(props, 'directory')) or '?'} is rendered at deploy time and " \
              f"unverified (rules that would apply: every k8s-* rule for the kinds it holds)"
    elif is_config_group(type_):
        if get(props, "files") is not None:
            yield f"ConfigGroup files {_files(get(props, 'files'))} are read at deploy time and unverified " \
                  f"(rules that would apply: every k8s-* rule for the kinds they hold)"
        for index, text in enumerate(items(get(props, "yaml"))):
            if isinstance(text, str) and text.strip() and not parse_documents(text):
                yield f"ConfigGroup yaml[{index}] does not parse: its objects are unverified"
        unread = sorted({m.kind for m in inline_manifests(props) if m.kind in RULES_BY_KIND
                         and m.kind not in READ_INLINE})
        if unread:
            yield f"ConfigGroup objects of kind {', '.join(unread)} are not judged by the stack-wide rules " \
                  f"({_rules_for(unread)}); declare them as typed resources"
    elif type_ in HELM:
        yield from _helm(resource)
    elif is_list_kind(type_):
        unread = sorted({m.kind.removesuffix("Patch") for m in manifests(type_, props)
                         if m.kind.removesuffix("Patch") in RULES_BY_KIND and m.kind.removesuffix("Patch") not in READ_INLINE})
        if unread:
            yield f"{type_.rsplit(':', 1)[-1]} items of kind {', '.join(unread)} are not judged by the stack-wide rules " \
                  f"({_rules_for(unread)}); declare them as typed resources"
    elif is_patch(type_):
        kind = type_.rsplit(":", 1)[-1].removesuffix("Patch")
        target = f"{get(props, 'metadata', 'namespace', default='')}/{get(props, 'metadata', 'name', default='?')}"
        yield f"{kind}Patch changes {kind} {target.lstrip('/')}, which the stack does not declare: the merged object is " \
              f"unverified (rules that would apply: {_rules_for([kind])})"


POLICIES = [k8s_opaque_content]
