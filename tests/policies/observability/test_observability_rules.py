"""The observability rules: which rule fires on which resource, with the defect named."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from offline.gate.analyzer import PolicyPackProcess
from tests.policies.conftest import ROOT_URN, resource, root

OPENSEARCH = "aws:opensearch/domain:Domain"
WORKSPACE = "azure-native:operationalinsights:Workspace"
COMPONENT = "azure-native:applicationinsights:Component"
SCOPE = "azure-native:monitor:PrivateLinkScope"
RELEASE = "kubernetes:helm.sh/v3:Release"

DOMAIN: dict[str, Any] = {
    "domainName": "orchestrator-production",
    "vpcOptions": {"subnetIds": ["subnet-a", "subnet-b"], "securityGroupIds": ["sg-1"]},
    "encryptAtRest": {"enabled": True, "kmsKeyId": "arn:aws:kms:eu-west-3:123456789012:key/abc"},
    "nodeToNodeEncryption": {"enabled": True},
    "domainEndpointOptions": {"enforceHttps": True, "tlsSecurityPolicy": "Policy-Min-TLS-1-2-PFS-2023-10"},
    "advancedSecurityOptions": {"enabled": True, "internalUserDatabaseEnabled": True},
}
COLLECTOR: dict[str, Any] = {
    "chart": "opentelemetry-collector", "version": "0.170.0",
    "values": {
        "service": {"type": "ClusterIP"}, "ingress": {"enabled": False},
        "ports": {"otlp": {"enabled": True, "containerPort": 4317}},
        "alternateConfig": {
            "processors": {"memory_limiter": {}, "transform/redact": {"trace_statements": [{"statements": [
                'delete_matching_keys(attributes, "^http\\\\.request\\\\.header\\\\.(authorization|cookie)$")']}]}},
            "exporters": {"otlp/jaeger": {}},
            "service": {"pipelines": {"traces": {"receivers": ["otlp"], "processors": ["memory_limiter", "transform/redact"],
                                                 "exporters": ["otlp/jaeger"]}}},
        },
    },
}


def findings(pack: PolicyPackProcess, resources: list[dict[str, Any]], *,
             protected: bool = True) -> dict[tuple[str, str], str]:
    """Findings by (rule, resource name); the resources are `protect`ed data stores unless told otherwise,
    so that only the rule under test speaks."""
    results = pack.analyze([root(), *({**entry, "protect": True} if protected else entry for entry in resources)])
    assert not results.crashes, results.crashes
    return {(d.policy, d.urn.rsplit("::", 1)[-1] if d.urn and d.urn != ROOT_URN else "stack"): d.message
            for d in results.diagnostics}


def with_change(base: dict[str, Any], path: tuple[str, ...], value: Any) -> dict[str, Any]:
    out = copy.deepcopy(base)
    target = out
    for key in path[:-1]:
        target = target.setdefault(key, {})
    target[path[-1]] = value
    return out


def test_hardened_domain_passes(pack: PolicyPackProcess) -> None:
    assert findings(pack, [resource(OPENSEARCH, "logs", DOMAIN)]) == {}


@pytest.mark.parametrize(("path", "value", "defect"), [
    (("vpcOptions",), None, "public endpoint"),
    (("encryptAtRest", "enabled"), False, "encryptAtRest is not enabled"),
    (("encryptAtRest", "kmsKeyId"), None, "AWS-owned key"),
    (("nodeToNodeEncryption", "enabled"), False, "nodeToNodeEncryption is not enabled"),
    (("domainEndpointOptions", "enforceHttps"), False, "enforceHttps is not true"),
    (("domainEndpointOptions", "tlsSecurityPolicy"), "Policy-Min-TLS-1-0-2019-07", "tlsSecurityPolicy is Policy-Min-TLS-1-0"),
    (("advancedSecurityOptions", "enabled"), False, "fine-grained access control"),
])
def test_public_or_unencrypted_log_store_is_caught(pack: PolicyPackProcess, path: tuple[str, ...], value: Any,
                                                    defect: str) -> None:
    found = findings(pack, [resource(OPENSEARCH, "logs", with_change(DOMAIN, path, value))])
    assert list(found) == [("aws-log-store-hardened", "logs")]
    assert defect in found[("aws-log-store-hardened", "logs")]


WORKSPACE_OK: dict[str, Any] = {
    "features": {"disableLocalAuth": True}, "retentionInDays": 30, "resourceGroupName": "rg",
    "publicNetworkAccessForIngestion": "Disabled", "publicNetworkAccessForQuery": "Disabled",
}
COMPONENT_OK: dict[str, Any] = {
    "resourceGroupName": "rg", "kind": "other", "applicationType": "other", "ingestionMode": "LogAnalytics",
    "publicNetworkAccessForIngestion": "Disabled", "publicNetworkAccessForQuery": "Disabled",
}
SCOPE_OK: dict[str, Any] = {
    "resourceGroupName": "rg", "location": "global",
    "accessModeSettings": {"ingestionAccessMode": "PrivateOnly", "queryAccessMode": "PrivateOnly"},
}


def test_private_workspace_component_and_scope_pass(pack: PolicyPackProcess) -> None:
    assert findings(pack, [resource(WORKSPACE, "logs", WORKSPACE_OK), resource(COMPONENT, "insights", COMPONENT_OK),
                           resource(SCOPE, "scope", SCOPE_OK)]) == {}


@pytest.mark.parametrize(("path", "value", "defect"), [
    (("features", "disableLocalAuth"), False, "shared-key (local) authentication is enabled"),
    (("retentionInDays",), 7, "retentionInDays is 7"),
    (("publicNetworkAccessForIngestion",), "Enabled", "publicNetworkAccessForIngestion is Enabled"),
    (("publicNetworkAccessForQuery",), "Enabled", "publicNetworkAccessForQuery is Enabled"),
    # Other spellings of the same exposure: the service's default, another case, a non-string.
    (("publicNetworkAccessForQuery",), None, "publicNetworkAccessForQuery is unset (Enabled)"),
    (("publicNetworkAccessForIngestion",), "enabled", "publicNetworkAccessForIngestion is enabled"),
    (("publicNetworkAccessForIngestion",), True, "publicNetworkAccessForIngestion is True"),
])
def test_public_or_weak_workspace_is_caught(pack: PolicyPackProcess, path: tuple[str, ...], value: Any,
                                            defect: str) -> None:
    found = findings(pack, [resource(WORKSPACE, "logs", with_change(WORKSPACE_OK, path, value))])
    assert list(found) == [("azure-log-store-hardened", "logs")]
    assert defect in found[("azure-log-store-hardened", "logs")]


def test_lower_case_disabled_is_private(pack: PolicyPackProcess) -> None:
    lower = with_change(WORKSPACE_OK, ("publicNetworkAccessForQuery",), "disabled")
    assert findings(pack, [resource(WORKSPACE, "logs", lower)]) == {}


@pytest.mark.parametrize(("key", "value", "defect"), [
    ("publicNetworkAccessForIngestion", "Enabled", "publicNetworkAccessForIngestion is Enabled"),
    ("publicNetworkAccessForQuery", None, "publicNetworkAccessForQuery is unset (Enabled)"),
])
def test_public_component_is_caught(pack: PolicyPackProcess, key: str, value: Any, defect: str) -> None:
    found = findings(pack, [resource(COMPONENT, "insights", with_change(COMPONENT_OK, (key,), value))])
    assert list(found) == [("azure-log-store-hardened", "insights")]
    assert defect in found[("azure-log-store-hardened", "insights")]
    assert "Application Insights component" in found[("azure-log-store-hardened", "insights")]


@pytest.mark.parametrize(("exclusion", "defect"), [
    ({"privateEndpointConnectionName": "pe-1", "ingestionAccessMode": "Open", "queryAccessMode": "PrivateOnly"},
     "accessModeSettings.exclusions[0].ingestionAccessMode is Open for pe-1"),
    ({"privateEndpointConnectionName": "pe-2", "ingestionAccessMode": "PrivateOnly"},
     "accessModeSettings.exclusions[0].queryAccessMode is unset (Open) for pe-2"),
])
def test_scope_reopened_by_an_exclusion_is_caught(pack: PolicyPackProcess, exclusion: dict[str, str], defect: str) -> None:
    scope = with_change(SCOPE_OK, ("accessModeSettings", "exclusions"), [exclusion])
    found = findings(pack, [resource(SCOPE, "scope", scope)])
    assert list(found) == [("azure-log-store-hardened", "scope")]
    assert defect in found[("azure-log-store-hardened", "scope")]
    private = with_change(SCOPE_OK, ("accessModeSettings", "exclusions"),
                          [{"privateEndpointConnectionName": "pe-3", "ingestionAccessMode": "PrivateOnly",
                            "queryAccessMode": "PrivateOnly"}])
    assert findings(pack, [resource(SCOPE, "scope", private)]) == {}


@pytest.mark.parametrize(("key", "value", "defect"), [
    ("queryAccessMode", "Open", "accessModeSettings.queryAccessMode is Open"),
    ("ingestionAccessMode", None, "accessModeSettings.ingestionAccessMode is unset (Open)"),
])
def test_open_private_link_scope_is_caught(pack: PolicyPackProcess, key: str, value: Any, defect: str) -> None:
    found = findings(pack, [resource(SCOPE, "scope", with_change(SCOPE_OK, ("accessModeSettings", key), value))])
    assert list(found) == [("azure-log-store-hardened", "scope")]
    assert defect in found[("azure-log-store-hardened", "scope")]


def test_collector_passes(pack: PolicyPackProcess) -> None:
    assert findings(pack, [resource(RELEASE, "collector", COLLECTOR)]) == {}


@pytest.mark.parametrize(("path", "value", "defect"), [
    (("values", "service", "type"), "LoadBalancer", "service.type is LoadBalancer"),
    (("values", "ingress", "enabled"), True, "a chart Ingress is enabled"),
    (("values", "ports", "otlp", "hostPort"), 4317, "ports.otlp.hostPort is open on every node"),
])
def test_exposed_collector_is_caught(pack: PolicyPackProcess, path: tuple[str, ...], value: Any, defect: str) -> None:
    found = findings(pack, [resource(RELEASE, "collector", with_change(COLLECTOR, path, value))])
    assert defect in found[("k8s-telemetry-internal", "collector")]


def test_pipeline_without_redaction_is_caught(pack: PolicyPackProcess) -> None:
    broken = with_change(COLLECTOR, ("values", "alternateConfig", "service", "pipelines", "traces", "processors"),
                         ["memory_limiter"])
    found = findings(pack, [resource(RELEASE, "collector", broken)])
    assert "pipeline traces exports without transform/redact" in found[("k8s-telemetry-redaction", "collector")]


def test_an_unprotected_log_store_is_a_data_store_left_unprotected(pack: PolicyPackProcess) -> None:
    found = findings(pack, [resource(OPENSEARCH, "logs", DOMAIN)], protected=False)
    assert found == {("stack-stateful-protected", "logs"): "Domain logs is neither protected nor deletion-protected"}
