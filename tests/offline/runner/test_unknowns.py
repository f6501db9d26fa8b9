"""`--unknowns`: a first deploy's preview, where what providers compute at create is unknown."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from typing import Any

import pytest

from offline.cli import main
from offline.runner.export import to_deployment, unwrap
from offline.runner.mocks import Registration
from offline.runner.mocks.core import PreviewModel, ProviderMocks, ResourceCall, planned
from offline.runner.stacks import available_stacks
from offline.runner.tree import print_preview
from offline.wire import UNKNOWN, is_unknown
from tests.helpers import run_stack

RDS = "aws:rds/instance:Instance"
ALB = "aws:lb/loadBalancer:LoadBalancer"
VAULT = "azure-native:keyvault:Vault"
PASSWORD = "random:index/randomPassword:RandomPassword"


def _export(stack: str, *, preview: bool) -> list[dict[str, Any]]:
    return to_deployment(run_stack(stack, preview=preview))["deployment"]["resources"]  # type: ignore[no-any-return]


def _of(resources: list[dict[str, Any]], type_: str) -> list[dict[str, Any]]:
    found = [r for r in resources if r["type"] == type_]
    assert found, type_
    return found


def _has_unknown(value: Any) -> bool:
    if is_unknown(value):
        return True
    if isinstance(value, dict):
        return any(_has_unknown(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_unknown(v) for v in value)
    return False


def test_endpoints_arns_and_generated_secrets_are_unknown_in_a_preview() -> None:
    aws = _export("production", preview=True)
    for rds in _of(aws, RDS):
        assert rds["outputs"]["endpoint"] == UNKNOWN and rds["outputs"]["address"] == UNKNOWN
        assert rds["outputs"]["arn"] == UNKNOWN
        # What the program declared is planned as declared.
        assert rds["outputs"]["instanceClass"] == rds["inputs"]["instanceClass"]
    [alb] = _of(aws, ALB)
    assert alb["outputs"]["dnsName"] == UNKNOWN and alb["outputs"]["zoneId"] == UNKNOWN
    for password in _of(aws, PASSWORD):
        assert is_unknown(password["outputs"]["result"])
        assert password["outputs"]["length"] == password["inputs"]["length"]
    azure = _export("production-azure", preview=True)
    for vault in _of(azure, VAULT):
        assert vault["outputs"]["properties"]["vaultUri"] == UNKNOWN
        assert vault["outputs"]["properties"]["enableRbacAuthorization"] is True
        assert vault["outputs"]["vaultName"] == vault["inputs"].get("vaultName", vault["outputs"]["vaultName"])


def test_an_unknown_secret_is_exported_as_the_engine_writes_it_and_hides_nothing() -> None:
    [password] = [r for r in _export("production", preview=True) if r["urn"].endswith("::database-master-password")]
    assert password["outputs"]["result"] == {"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270",
                                             "plaintext": f'"{UNKNOWN}"'}


def test_created_resources_have_no_id_and_providers_the_unknown_id() -> None:
    resources = _export("production", preview=True)
    custom = [r for r in resources if r["custom"]]
    assert custom and all("id" not in r for r in custom)
    assert all(r["provider"].endswith(f"::{UNKNOWN}") for r in custom if "provider" in r)


@pytest.mark.parametrize("stack", available_stacks())
def test_without_unknowns_nothing_is_unknown(stack: str) -> None:
    resources = _export(stack, preview=False)
    assert not any(_has_unknown(r.get("outputs")) or _has_unknown(r.get("inputs")) for r in resources)
    assert all(r.get("id") for r in resources if r["custom"])


def _known_keys(record: Registration) -> set[str]:
    """Top-level keys a preview knows beyond the declared inputs (auto-names, schema defaults)."""
    call = ResourceCall(record.type, record.name, unwrap(record.inputs), record.id, True)
    return {path.split(".", 1)[0] for path in ProviderMocks().known_in_preview(call)}


@pytest.mark.parametrize("stack", available_stacks())
def test_no_computed_output_is_concrete_in_a_preview(stack: str) -> None:
    """Every output the provider computes (returned, not declared) is unknown or absent, at any depth,
    unless Check assigns it (auto-names); declared values are planned as declared."""
    known = {r.urn: r for r in run_stack(stack).resources if r.custom and not r.type.startswith("pulumi:providers:")}
    previewed = run_stack(stack, preview=True)
    concrete: list[str] = []
    for record in previewed.resources:
        before = known.get(record.urn)
        if before is None:
            continue
        checked = _known_keys(before)
        for key in before.outputs:
            if key in before.inputs or key in checked or key not in record.outputs:
                continue
            if not _has_unknown(record.outputs[key]):
                concrete.append(f"{record.type} {record.name}: {key}")
    assert concrete == []


def test_the_tree_shows_unknown_outputs_as_the_cli_does() -> None:
    out = io.StringIO()
    print_preview(run_stack("production", preview=True), out)
    text = out.getvalue()
    assert re.search(r"^    databaseEndpoint: +output<string>$", text, re.MULTILINE)
    assert re.search(r"^    cacheEndpoint: +output<string>$", text, re.MULTILINE)
    assert re.search(r'^    activeSlot: +"blue"$', text, re.MULTILINE)
    known = io.StringIO()
    print_preview(run_stack("production"), known)
    assert "output<string>" not in known.getvalue()


def test_the_mocks_plan_nested_and_reshaped_values_as_unknown() -> None:
    call = ResourceCall("x:y:Z", "z", {}, "", True)
    inputs = {"block": {"given": 1}, "ids": ["a"], "names": ["n"]}
    state = {"block": {"given": 1, "computed": 2}, "ids": {"a": {"principal": "p"}}, "names": ["n"], "arn": "arn:x"}
    assert planned(inputs, state, PreviewModel(), call) == {
        "block": {"given": 1, "computed": UNKNOWN}, "ids": UNKNOWN, "names": ["n"], "arn": UNKNOWN}
    # A value the provider's schema defaults (not the service) is planned, hence known.
    assert planned({}, {"keySpec": "SYMMETRIC_DEFAULT", "arn": "arn:x"}, PreviewModel(), call, ("keySpec",)) == {
        "keySpec": "SYMMETRIC_DEFAULT", "arn": UNKNOWN}
    named = PreviewModel(checked=lambda _call: ("metadata.name",), echo_only=True)
    k8s_state = {"metadata": {"name": "z-1", "uid": "u"}, "spec": {"a": 1, "clusterIP": "10.0.0.1"}, "status": {}}
    assert planned({"metadata": {}, "spec": {"a": 1}}, k8s_state, named, call) == {
        "metadata": {"name": "z-1"}, "spec": {"a": 1}}


@pytest.mark.parametrize("stack", available_stacks())
def test_check_with_unknowns_reports_what_it_cannot_evaluate(stack: str, tmp_path: Path) -> None:
    """The pack runs over the preview: unverifiable values are reported (not fatal in a preview), never
    a crash; the same export read back as a state is refused its pass (state has no unknowns)."""
    report_file = tmp_path / "report.json"
    assert main(["check", stack, "--unknowns", "--format", "json", "--output", str(report_file)]) == 0
    report = json.loads(report_file.read_text(encoding="utf-8"))
    assert report["passed"] and report["errors"] == [] and report["violations"] == []
    seen = {(u["policy"], u["type"], re.sub(r"\[\d+\]", "[]", u["property"])) for u in report["unverifiable"]}
    assert EXPECTED_UNVERIFIABLE[stack] <= seen, sorted(seen)
    if stack == "local":
        # Only the edge's address: a Secret's unknown payload taints no Kubernetes stack rule.
        assert seen == EXPECTED_UNVERIFIABLE["local"]
    assert all(u["reason"] == "unknown" for u in report["unverifiable"])
    state = tmp_path / "preview.json"
    assert main(["preview", stack, "--unknowns", "--no-policy", "--export", str(state)]) == 0
    assert main(["check", "--state", str(state), "--stack", stack, "--format", "json", "--output", str(report_file)]) == 1
    as_state = json.loads(report_file.read_text(encoding="utf-8"))
    assert any("could not evaluate" in reason for reason in as_state["reasons"])


EXPECTED_UNVERIFIABLE: dict[str, set[tuple[str, str, str]]] = {
    # Security group rules name their groups by id, unknown until the groups exist.
    "production": {("aws-sg-no-world-ingress", "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "securityGroupId"),
                   ("aws-waf-attached-logged", "aws:wafv2/webAclAssociation:WebAclAssociation", "resourceArn"),
                   ("aws-rds-auth", PASSWORD, "result")},
    "staging": {("aws-sg-no-world-ingress", "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "securityGroupId")},
    # Subnets name their security group by its ARM id, assigned at create.
    "production-azure": {("azure-nsg-no-internet-admin", "azure-native:network:Subnet", "networkSecurityGroup.id")},
    # The edge's address comes from the load balancer's status, known once the Service exists.
    "local": {("k8s-no-public-service", "pulumi:pulumi:Stack", "edgeAddress")},
}


def test_nested_unknowns_and_secrets_are_shown_as_the_cli_shows_them() -> None:
    from offline.runner.tree import show_value
    from offline.wire import unknown_secret

    assert show_value({"host": UNKNOWN, "port": 5432, "auth": unknown_secret(), "ips": [UNKNOWN]}) == \
        '{"host": "output<string>", "port": 5432, "auth": "[secret]", "ips": ["output<string>"]}'
