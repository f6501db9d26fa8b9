"""First-deploy inputs: whatever a resource reads by name is created by the program, by a controller
it installs, or declared as a prerequisite in the stack config."""

from __future__ import annotations

import copy
import re
from typing import Any

import pytest

from components.config import STACK_SECRETS, StackConfig, parse
from offline.fresh import inputs as firstdeploy
from offline.fresh.inputs import Resource, check, from_deployment, from_registrations
from offline.runner.export import to_deployment
from offline.runner.stacks import available_stacks, load_stack
from tests.helpers import ROOT, run_stack

DOCS = ROOT / "docs" / "first-deploy.md"


def _config(stack: str, *overrides: str) -> StackConfig:
    raw = load_stack(stack).with_overrides(list(overrides)).namespace()
    return parse({k: v for k, v in raw.items() if k not in STACK_SECRETS}, stack)


def _export(stack: str, *overrides: str) -> dict[str, Any]:
    return copy.deepcopy(to_deployment(run_stack(stack, *overrides)))


def _resource(export: dict[str, Any], name: str) -> dict[str, Any]:
    [match] = [r for r in export["deployment"]["resources"] if r["urn"].endswith(f"::{name}")]
    return dict(match)


def _messages(export: dict[str, Any], stack: str, *overrides: str) -> list[str]:
    findings, _ = check(from_deployment(export), _config(stack, *overrides))
    return [f.message for f in findings]


@pytest.mark.parametrize("stack", available_stacks())
def test_every_shipped_stack_provides_what_it_reads(stack: str) -> None:
    findings, _ = check(from_registrations(run_stack(stack).resources), _config(stack))
    assert [f.message for f in findings] == []
    # The exported deployment (secrets redacted) passes too.
    assert _messages(_export(stack), stack) == []


def test_the_check_sees_every_kind_of_read_in_the_shipped_stacks() -> None:
    """Not vacuous: the pods, chart values, operator resources and cloud references are all read."""
    seen = {(r.kind, re.sub(r"\[\d+\]", "", r.property).split(".")[-1])
            for stack in available_stacks()
            for resource in from_registrations(run_stack(stack, "alertReceiverSecret=x").resources)
            for r in firstdeploy.references(resource)}
    for expected in [("Secret", "secretKeyRef"), ("Secret", "secretName"), ("ConfigMap", "configMap"),
                     ("ServiceAccount", "serviceAccountName"), ("Secret", "existingSecret"), ("Secret", "secrets"),
                     ("Secret", "redisSecret"), ("Secret", "serverTLSSecret"), ("Secret", "secret"),
                     ("Key Vault secret", "keyVaultSecretId"), ("ACM certificate", "certificateArn")]:
        assert expected in seen, expected


def test_unknown_outputs_during_preview_do_not_fail_the_check() -> None:
    findings, _ = check(from_registrations(run_stack("production", preview=True).resources), _config("production"))
    assert findings == []


def test_a_secret_nobody_creates_is_named_with_the_resource_and_the_property() -> None:
    export = _export("production")
    env = _resource(export, "app-blue")["inputs"]["spec"]["template"]["spec"]["containers"][0]["env"]
    env.append({"name": "PAYMENTS_TOKEN", "valueFrom": {"secretKeyRef": {"name": "payments-api", "key": "token"}}})
    index = len(env) - 1
    assert _messages(export, "production") == [
        f"kubernetes:apps/v1:Deployment 'app-blue' reads Secret orchestrator/payments-api through "
        f"spec.template.spec.containers[0].env[{index}].valueFrom.secretKeyRef, which nothing creates: create it in "
        "the program or declare it as a prerequisite in the stack config (docs/first-deploy.md)"]


def test_an_optional_reference_and_one_in_another_namespace_are_judged_by_what_they_read() -> None:
    export = _export("production")
    spec = _resource(export, "app-green")["inputs"]["spec"]["template"]["spec"]
    spec["containers"][0]["env"].append(
        {"name": "MAYBE", "valueFrom": {"secretKeyRef": {"name": "payments-api", "key": "x", "optional": True}}})
    spec["imagePullSecrets"] = [{"name": "grafana-admin"}]  # exists, but in the monitoring namespace
    assert [m.split(" through ")[0] for m in _messages(export, "production")] == [
        "kubernetes:apps/v1:Deployment 'app-green' reads Secret orchestrator/grafana-admin"]


def test_a_removed_secret_is_missed_by_everything_that_reads_it() -> None:
    export = _export("production", "alertReceiverSecret=routing")
    export["deployment"]["resources"] = [r for r in export["deployment"]["resources"]
                                         if not r["urn"].endswith("::monitoring-receiver-pager")]
    assert [m.split(", which")[0] for m in _messages(export, "production", "alertReceiverSecret=routing")] == [
        "kubernetes:helm.sh/v3:Release 'monitoring-kube-prometheus-stack' reads Secret monitoring/alertmanager-pagerduty "
        "through values.alertmanager.alertmanagerSpec.secrets[0]"]


def test_the_gateway_must_read_a_vault_secret_the_run_writes() -> None:
    export = _export("production-azure")
    gateway = _resource(export, "front-door-gateway")["inputs"]
    secret_id = gateway["sslCertificates"][0]["keyVaultSecretId"]
    gateway["sslCertificates"][0]["keyVaultSecretId"] = secret_id.replace("/secrets/edge-tls", "/secrets/wildcard")
    [message] = _messages(export, "production-azure")
    assert message.startswith("azure-native:network:ApplicationGateway 'front-door-gateway' reads Key Vault secret "
                              f"{secret_id.replace('edge-tls', 'wildcard')} through sslCertificates[0].keyVaultSecretId")


def test_an_acm_certificate_must_be_the_declared_one() -> None:
    export = _export("staging")
    listener = _resource(export, "front-door-https")["inputs"]
    listener["certificateArn"] = "arn:aws:acm:eu-west-3:123456789012:certificate/00000000-0000-0000-0000-000000000000"
    [message] = _messages(export, "staging")
    assert "reads ACM certificate arn:aws:acm:eu-west-3:123456789012:certificate/00000000" in message
    assert "through certificateArn" in message


def _k8s(name: str, type_: str, namespace: str, **inputs: Any) -> Resource:
    return Resource(urn=f"urn:x::{name}", type=type_, name=name,
                    inputs={"metadata": {"name": name, "namespace": namespace}, **inputs})


def _pod_reading(secret: str, namespace: str) -> Resource:
    return _k8s("reader", "kubernetes:apps/v1:Deployment", namespace, spec={"template": {"spec": {
        "containers": [{"name": "c", "envFrom": [{"secretRef": {"name": secret}}]}]}}})


def test_secrets_a_controller_creates_count_as_created() -> None:
    config = _config("local")
    cluster = _k8s("pg", "kubernetes:postgresql.cnpg.io/v1:Cluster", "db", spec={"instances": 3})
    assert check([cluster, _pod_reading("pg-app", "db")], config)[0] == []
    assert check([cluster, _pod_reading("pg-replication", "db")], config)[0] == []
    # The operator creates <cluster>-app only when the bootstrap names no Secret of its own.
    given = _k8s("pg", cluster.type, "db", spec={"bootstrap": {"initdb": {"secret": {"name": "mine"}}}})
    assert [f.message.split(" through")[0] for f in check([given, _pod_reading("pg-app", "db")], config)[0]] == [
        "kubernetes:postgresql.cnpg.io/v1:Cluster 'pg' reads Secret db/mine",
        "kubernetes:apps/v1:Deployment 'reader' reads Secret db/pg-app"]
    certificate = _k8s("cert", "kubernetes:cert-manager.io/v1:Certificate", "edge",
                       spec={"secretName": "site-tls", "issuerRef": {"name": "le", "kind": "ClusterIssuer"}})
    findings = check([certificate, _pod_reading("site-tls", "edge")], config)[0]
    assert [f.message.split(" through")[0] for f in findings] == [
        "kubernetes:cert-manager.io/v1:Certificate 'cert' reads cert-manager issuer (ClusterIssuer) le"]


def test_declared_prerequisites_satisfy_the_reads_and_are_listed() -> None:
    overrides = ("edge.tls.certificate=cert-manager", "edge.tls.issuer=letsencrypt-production",
                 "cluster.preinstalledApiGroups[0]=cert-manager.io")
    config = _config("production", *overrides)
    findings, declared = check(from_registrations(run_stack("production", *overrides).resources), config)
    assert findings == []
    assert [p.describe() for p in declared] == [
        "ACM certificate arn:aws:acm:eu-west-3:123456789012:certificate/0f3c6a4e-2b1d-4c5e-9a7f-6d8e9b0a1c2d "
        "(edge.tls.aws.acmCertificateArn)",
        "cert-manager issuer (ClusterIssuer) letsencrypt-production (edge.tls.issuer)"]
    local = ("edge.tls.certificate=secret", "edge.tls.secretName=wildcard-tls", "database.kubernetes.backupBucket=s3://b/pg",
             "database.kubernetes.backupCredentialsSecret=backup-s3")
    findings, declared = check(from_registrations(run_stack("local", *local).resources), _config("local", *local))
    assert findings == []
    assert [p.describe() for p in declared] == [
        "Secret edge/wildcard-tls (edge.tls.secretName)",
        "Secret orchestrator-db/backup-s3 (database.kubernetes.backupCredentialsSecret)"]


def test_preview_lists_prerequisites_and_fails_on_an_input_nobody_provides(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    from offline.cli import main

    local = ["--set", "edge.tls.certificate=secret", "--set", "edge.tls.secretName=wildcard-tls"]
    assert main(["preview", "local", "--no-policy", *local]) == 0
    assert "First-deploy prerequisite: Secret edge/wildcard-tls (edge.tls.secretName)" in capsys.readouterr().out
    # The same stack with the declaration gone: the Deployment's read is unprovided, the preview fails.
    monkeypatch.setattr(firstdeploy, "prerequisites", lambda config: [])
    assert main(["preview", "local", "--no-policy", *local]) == 1
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith("first deploy: ")]
    assert lines == ["first deploy: kubernetes:apps/v1:Deployment 'edge-deployment' reads Secret edge/wildcard-tls "
                     "through spec.template.spec.volumes[1].secret.secretName, which nothing creates: create it in the "
                     "program or declare it as a prerequisite in the stack config (docs/first-deploy.md)"]


# --- the runbook lists every prerequisite per platform ----------------------------------------------


def _section(text: str, title: str) -> str:
    match = re.search(rf"^## {re.escape(title)}.*?$(.*?)(?=^## |\Z)", text, re.MULTILINE | re.DOTALL)
    assert match, title
    return match.group(1)


PLATFORM_SECTIONS = {"aws": "AWS", "azure": "Azure", "kubernetes": "Kubernetes"}


@pytest.mark.parametrize("stack", available_stacks())
def test_first_deploy_runbook_lists_each_prerequisite_of_the_stack(stack: str) -> None:
    config = _config(stack)
    section = _section(DOCS.read_text(encoding="utf-8"), PLATFORM_SECTIONS[config.platform.value])
    for prerequisite in firstdeploy.prerequisites(config):
        assert f"`{prerequisite.config_key}`" in section, prerequisite


def test_first_deploy_runbook_names_every_prerequisite_the_check_knows() -> None:
    text = DOCS.read_text(encoding="utf-8")
    config_reference = (ROOT / "docs" / "config.md").read_text(encoding="utf-8")
    # Every branch of prerequisites(): AWS with cert-manager, kubernetes with an existing Secret and backups.
    configs = [_config("production", "edge.tls.certificate=cert-manager", "edge.tls.issuer=le",
                       "cluster.preinstalledApiGroups[0]=cert-manager.io"),
               _config("local", "edge.tls.certificate=secret", "edge.tls.secretName=site", "database.kubernetes.backupBucket=s3://b",
                       "database.kubernetes.backupCredentialsSecret=s3")]
    keys = {p.config_key for config in configs for p in firstdeploy.prerequisites(config)}
    assert keys == {"edge.tls.aws.acmCertificateArn", "edge.tls.secretName", "edge.tls.issuer",
                    "database.kubernetes.backupCredentialsSecret"}
    for key in keys:
        assert f"`{key}`" in text and f"`{key}`" in config_reference, key
    assert "`appGatewayCertificatePfx`" in _section(text, "Azure")


def test_hostile_documents_are_bounded_and_malformed_entries_skipped() -> None:
    deep: dict[str, Any] = {"existingSecret": "deep-secret"}
    for _ in range(5000):
        deep = {"nested": deep}
    chart = Resource(urn="urn:x::chart", type="kubernetes:helm.sh/v3:Release", name="chart",
                     inputs={"namespace": "monitoring", "values": deep})
    assert list(firstdeploy.references(chart)) == []  # beyond MAX_DEPTH: not walked, no RecursionError
    export = {"deployment": {"resources": [None, 7, {"urn": 5}, {"type": "kubernetes:core/v1:Secret"},
                                           {"urn": "urn:x::ok", "type": "kubernetes:core/v1:Pod", "inputs": "junk"}]}}
    resources = from_deployment(export)
    assert [r.name for r in resources] == ["ok"]
    assert check(resources, _config("local"))[0] == []
