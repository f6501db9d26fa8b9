"""Observability rules: the log store is private, encrypted and TLS-only; telemetry never leaves the
cluster's network unredacted; the collector and trace UI are never exposed outside the cluster."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import Severity

from . import verify
from .common import INDEPENDENT, Meta, Resource, Stack, base_type, get, is_list, items, mapping, resource_rule, stack_rule, truthy

OPENSEARCH = "aws:opensearch/domain:Domain"
HELM_RELEASE = "kubernetes:helm.sh/v3:Release"
LOG_ANALYTICS = "azure-native:operationalinsights:Workspace"
APP_INSIGHTS = "azure-native:applicationinsights:Component"
MONITOR_SCOPE = "azure-native:monitor:PrivateLinkScope"
PUBLIC_ACCESS_PROPERTIES = ("publicNetworkAccessForIngestion", "publicNetworkAccessForQuery")
"""Unset means Enabled: the service's default is public."""
SCOPE_ACCESS_MODES = ("ingestionAccessMode", "queryAccessMode")
"""Unset means Open: the VNet may then also reach Azure Monitor resources outside the scope."""
TELEMETRY_CHARTS = {"opentelemetry-collector", "jaeger", "loki"}
MODERN_TLS_POLICIES = {"Policy-Min-TLS-1-2-2019-07", "Policy-Min-TLS-1-2-PFS-2023-10"}
PUBLIC_SERVICE_TYPES = {"LoadBalancer", "NodePort"}
REDACTION_PROCESSOR = "transform/redact"

log_store = Meta(
    name="aws-log-store-hardened",
    description="The OpenSearch log domain is VPC-only, encrypted at rest and node to node, HTTPS-only with a "
                "TLS 1.2+ policy, and behind fine-grained access control.",
    severity=Severity.HIGH,
    categories=("AA", "TS", "SM"),
    references=("CKV_AWS_5", "CKV_AWS_6", "CKV_AWS_83", "CKV_AWS_84", "CKV_AWS_228", "CKV2_AWS_52"),
    remediation="Set vpcOptions (private subnets), encryptAtRest.enabled with a CMK, nodeToNodeEncryption.enabled, "
                "domainEndpointOptions.enforceHttps with Policy-Min-TLS-1-2-PFS-2023-10, advancedSecurityOptions.enabled.",
)


@resource_rule(log_store, (OPENSEARCH,))
def aws_log_store_hardened(resource: Resource) -> Iterator[str]:
    props = resource.props
    if not items(get(props, "vpcOptions", "subnetIds")):
        yield "the domain has a public endpoint (no vpcOptions.subnetIds)"
    if not truthy(get(props, "encryptAtRest", "enabled")):
        yield "encryptAtRest is not enabled"
    elif not get(props, "encryptAtRest", "kmsKeyId"):
        yield "encryptAtRest uses the AWS-owned key, not a customer-managed key"
    if not truthy(get(props, "nodeToNodeEncryption", "enabled")):
        yield "nodeToNodeEncryption is not enabled"
    if not truthy(get(props, "domainEndpointOptions", "enforceHttps")):
        yield "domainEndpointOptions.enforceHttps is not true"
    policy = get(props, "domainEndpointOptions", "tlsSecurityPolicy")
    if policy not in MODERN_TLS_POLICIES:
        yield f"tlsSecurityPolicy is {policy or 'unset'}; use Policy-Min-TLS-1-2-PFS-2023-10"
    if not truthy(get(props, "advancedSecurityOptions", "enabled")):
        yield "fine-grained access control (advancedSecurityOptions) is off"
    elif truthy(get(props, "advancedSecurityOptions", "anonymousAuthEnabled")):
        yield "anonymous access is enabled"


workspace = Meta(
    name="azure-log-store-hardened",
    description="The Log Analytics workspace, and the Application Insights component writing into it, refuse public "
                "ingestion and query (Private Link only, through a private-only Azure Monitor Private Link Scope); "
                "the workspace accepts Entra ID only (no shared keys) and keeps logs at least 30 days.",
    severity=Severity.HIGH,
    categories=("AA", "SM"),
    references=("CIS Azure 5.1", "CKV_AZURE_3"),
    remediation="Set publicNetworkAccessForIngestion and publicNetworkAccessForQuery to Disabled on the workspace and the "
                "component, scope both into a monitor PrivateLinkScope whose accessModeSettings are PrivateOnly, set "
                "features.disableLocalAuth: true and retentionInDays >= 30.",
)


def _public_access(props: Mapping[str, Any], what: str) -> Iterator[str]:
    for key in PUBLIC_ACCESS_PROPERTIES:
        value = get(props, key)
        if str(value).lower() != "disabled":
            yield f"{key} is {value or 'unset (Enabled)'}: the {what} is reachable from the Internet; set Disabled"


@resource_rule(workspace, (LOG_ANALYTICS, APP_INSIGHTS, MONITOR_SCOPE))
def azure_log_store_hardened(resource: Resource) -> Iterator[str]:
    props = resource.props
    kind = base_type(resource.type)
    if kind == MONITOR_SCOPE:
        for key in SCOPE_ACCESS_MODES:
            mode = get(props, "accessModeSettings", key)
            if str(mode).lower() != "privateonly":
                yield f"accessModeSettings.{key} is {mode or 'unset (Open)'}; set PrivateOnly"
        # An exclusion reopens the scope for one endpoint connection: the same defect, spelled per connection.
        for index, exclusion in enumerate(items(get(props, "accessModeSettings", "exclusions"))):
            for key in SCOPE_ACCESS_MODES:
                mode = get(exclusion, key)
                if str(mode).lower() != "privateonly":
                    yield (f"accessModeSettings.exclusions[{index}].{key} is {mode or 'unset (Open)'} for "
                           f"{get(exclusion, 'privateEndpointConnectionName') or 'a connection'}; remove the exclusion")
        return
    if kind == APP_INSIGHTS:
        yield from _public_access(props, "Application Insights component")
        return
    yield from _public_access(props, "workspace")
    if not truthy(get(props, "features", "disableLocalAuth")):
        yield "shared-key (local) authentication is enabled"
    retention = get(props, "retentionInDays")
    verify.needs_value(retention)  # a withheld retention is no number to compare
    if not isinstance(retention, (int, float)) or retention < 30:
        yield f"retentionInDays is {retention}; keep at least 30"


def _chart(release: Any) -> str:
    return str(get(release.props, "chart") or "").rsplit("/", 1)[-1]


def _collector_config(values: Mapping[str, Any]) -> Mapping[str, Any]:
    return mapping(get(values, "alternateConfig") or get(values, "config"))


exposure = Meta(
    name="k8s-telemetry-internal",
    description="Collector, Jaeger and Loki releases expose nothing outside the cluster: ClusterIP Services, "
                "no Ingress, no host ports or host network.",
    severity=Severity.HIGH,
    categories=("AA",),
    references=("kube-linter exposed-services", "CKV_K8S_26"),
    remediation="Keep `service.type: ClusterIP`, `ingress.enabled: false`, `hostNetwork: false` and disable "
                "`ports.<name>.hostPort` in the chart values.",
)


@stack_rule(exposure)
def k8s_telemetry_internal(stack: Stack) -> Iterator[tuple[str, str | None]]:
    for release in stack.of(HELM_RELEASE):
        yield INDEPENDENT  # each release is judged on its own values
        if _chart(release) not in TELEMETRY_CHARTS:
            continue
        values = mapping(get(release.props, "values"))
        for scope in (values, mapping(get(values, "jaeger")), mapping(get(values, "singleBinary"))):
            if get(scope, "service", "type") in PUBLIC_SERVICE_TYPES:
                yield f"service.type is {get(scope, 'service', 'type')}", release.urn
            if truthy(get(scope, "ingress", "enabled")):
                yield "a chart Ingress is enabled", release.urn
        if truthy(get(values, "hostNetwork")):
            yield "hostNetwork is true", release.urn
        for name, port in mapping(get(values, "ports")).items():
            if truthy(get(port, "enabled")) and get(port, "hostPort") not in (None, 0):
                yield f"ports.{name}.hostPort is open on every node", release.urn


redaction = Meta(
    name="k8s-telemetry-redaction",
    description="Every collector pipeline that exports telemetry runs the `transform/redact` processor, which "
                "deletes authorization and cookie headers, tokens in URLs and statement parameters.",
    severity=Severity.HIGH,
    categories=("SM",),
    references=("OpenTelemetry security best practices: scrub sensitive data",),
    remediation="Add `transform/redact` (delete_matching_keys / replace_pattern statements) to the pipeline's "
                "processors before any exporter.",
)


def _exporting_pipelines(config: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    for name, pipeline in mapping(get(config, "service", "pipelines")).items():
        exporters = [str(e) for e in items(get(pipeline, "exporters"))]
        # A hop to the same collector's sampling tier is internal: the redaction runs before it.
        if exporters and exporters != ["loadbalancing"]:
            yield str(name), mapping(pipeline)


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for child in value.values():
            yield from _strings(child)
    elif is_list(value):
        for child in value:
            yield from _strings(child)


@stack_rule(redaction)
def k8s_telemetry_redaction(stack: Stack) -> Iterator[tuple[str, str | None]]:
    for release in stack.of(HELM_RELEASE):
        yield INDEPENDENT  # each release is judged on its own values
        if _chart(release) != "opentelemetry-collector":
            continue
        config = _collector_config(mapping(get(release.props, "values")))
        statements = mapping(get(config, "processors", REDACTION_PROCESSOR))
        routed = {str(e) for p in mapping(get(config, "service", "pipelines")).values()
                  if REDACTION_PROCESSOR in [str(x) for x in items(get(p, "processors"))]
                  for e in items(get(p, "exporters"))}
        for name, pipeline in _exporting_pipelines(config):
            processors = [str(p) for p in items(get(pipeline, "processors"))]
            # Spans routed by trace id were redacted in the pipeline that routed them.
            if REDACTION_PROCESSOR not in processors and "loadbalancing" not in routed:
                yield f"pipeline {name} exports without {REDACTION_PROCESSOR}", release.urn
        if routed and not statements:
            yield f"{REDACTION_PROCESSOR} is used but not configured", release.urn
        text = " ".join(_strings(statements)).lower()
        for needle in ("authorization", "cookie"):
            if statements and needle not in text:
                yield f"{REDACTION_PROCESSOR} does not remove {needle} attributes", release.urn


POLICIES = [aws_log_store_hardened, azure_log_store_hardened, k8s_telemetry_internal, k8s_telemetry_redaction]
