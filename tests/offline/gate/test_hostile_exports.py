"""Exports written to walk around the gate: keys Pulumi reads another way than a strict reader,
special values the engine translates before a policy sees them, malformed assets."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from offline import OfflineError
from offline.cli import main
from offline.gate.exportfile import parse_json, validate
from tests.policies.conftest import resource, root

SIG = "4dabf18193072939515e22adb298388d"
SECRET = "1b47061264138c4ac30d75fd1eb44270"
ASSET, ARCHIVE = "c44067f5952c0a294b673a41bacd8c17", "0def7320c3a5731c473e5ecbe6d01bc7"
REFERENCE, OUTPUT = "5cf8f73096256a8f31e491e813e4eb8e", "d0e6a833031e9bbcd3f4e8bde6ca49a4"
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"


def export(*resources: dict[str, Any]) -> dict[str, Any]:
    return {"version": 3, "deployment": {"manifest": {}, "resources": [root(), *resources]}}


def pod(security_context: Any) -> dict[str, Any]:
    return resource("kubernetes:core/v1:Pod", "p", {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
                                                    "spec": {"containers": [{"name": "c", "image": "nginx@sha256:" + "a" * 64,
                                                                             "securityContext": security_context}]}})


def check(tmp_path: Path, doc: dict[str, Any] | str, *args: str) -> tuple[int, str, str]:
    path = tmp_path / "export.json"
    path.write_text(doc if isinstance(doc, str) else json.dumps(doc))
    code = main(["check", "--state", str(path), *args])
    return code, path.name, ""


# --- keys Pulumi's reader matches ignoring case ---------------------------------------------------


@pytest.mark.parametrize(("change", "expected"), [
    (lambda d: d.update(Deployment=d["deployment"]),
     'export.json: key "Deployment" is "deployment" to Pulumi (its JSON reader ignores case and takes the last match), '
     'not to this gate; write the key once, as "deployment"'),
    (lambda d: d["deployment"].update(Resources=[]),
     'export.json: deployment: key "Resources" is "resources" to Pulumi (its JSON reader ignores case and takes the last '
     'match), not to this gate; write the key once, as "resources"'),
    (lambda d: d["deployment"].update({"re\u017fources": []}),
     'export.json: deployment: key "re\\u017fources" is "resources" to Pulumi'),
    (lambda d: d["deployment"].update(PENDING_OPERATIONS=[{"type": "creating"}]),
     'export.json: deployment: key "PENDING_OPERATIONS" is "pending_operations" to Pulumi'),
    (lambda d: d.update(VERSION=4), 'export.json: key "VERSION" is "version" to Pulumi'),
], ids=["top-level", "resources", "long-s", "pending-operations", "version"])
def test_a_key_pulumi_reads_ignoring_case_is_refused(change: Any, expected: str) -> None:
    doc = export(pod({"privileged": False}))
    validate(doc, "export.json")
    change(doc)
    with pytest.raises(OfflineError) as refused:
        validate(doc, "export.json")
    assert str(refused.value).startswith(expected), str(refused.value)


def test_a_second_resource_list_in_another_case_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The list a `pulumi stack import` would load (the last match) is not the one a strict reader judges."""
    doc = export(pod({"privileged": False}))
    evil = export(pod({"privileged": True}))["deployment"]["resources"]
    text = json.dumps(doc)[:-2] + ', "Resources": ' + json.dumps(evil) + "}}"
    code, _, _ = check(tmp_path, text)
    assert code == 2
    assert capsys.readouterr().err.strip().startswith('error: export.json: deployment: key "Resources" is "resources" to Pulumi')


# --- special values ----------------------------------------------------------------------------


def _parsed(value: Any) -> Any:
    doc = export(pod(value))
    data = parse_json(json.dumps(doc).encode(), "export.json")
    return data["deployment"]["resources"][1]["inputs"]["spec"]["containers"][0]["securityContext"]


@pytest.mark.parametrize(("value", "sent"), [
    ({SIG: OUTPUT, "value": {"privileged": True}, "dependencies": []}, {"privileged": True}),
    ({SIG: OUTPUT, "value": "x", "secret": True}, {SIG: SECRET, "value": "x"}),
    ({SIG: OUTPUT}, UNKNOWN),
    ({SIG: OUTPUT, "secret": True}, {SIG: SECRET, "value": UNKNOWN}),
    ({SIG: REFERENCE, "urn": "urn:pulumi:s::p::aws:ec2/vpc:Vpc::v", "id": "vpc-1", "packageVersion": "7.51.1"}, "vpc-1"),
    ({SIG: REFERENCE, "urn": "urn:pulumi:s::p::my:comp:C::c"}, "urn:pulumi:s::p::my:comp:C::c"),
    ({SIG: ASSET, "text": "x", "hash": "h"}, {SIG: ASSET, "text": "x", "hash": "h"}),
], ids=["output-value", "secret-output", "unknown-output", "unknown-secret-output", "reference-id", "reference-urn", "asset"])
def test_special_values_reach_the_rules_as_the_engine_sends_them(value: Any, sent: Any) -> None:
    """The engine keeps neither output values nor resource references for an analyzer (the policy SDK
    raises on both, which crashed every rule on the resource): their value, their id or URN."""
    assert _parsed(value) == sent


@pytest.mark.parametrize(("value", "expected"), [
    ({SIG: ASSET}, "an asset holds path, text, uri, hash (exactly one of path, text, uri); it has none"),
    ({SIG: ASSET, "text": "a", "path": "b"}, "an asset holds path, text, uri, hash (exactly one of path, text, uri); it "
                                            "has path, text"),
    ({SIG: ASSET, "text": 7}, "an asset's text is a number"),
    ({SIG: ARCHIVE, "assets": {"a": "x"}}, "an archive's asset \"a\" is a string, not an asset or archive"),
    ({SIG: ARCHIVE, "uri": "u", "extra": 1}, "an archive holds assets, path, uri, hash (exactly one of assets, path, uri); "
                                            "it has extra, uri"),
    ({SIG: REFERENCE, "id": "x"}, "a resource reference holds urn, id, packageVersion; it has id"),
    ({SIG: OUTPUT, "value": 1, "secret": "yes"}, "an output value's secret is a string"),
    ({SIG: OUTPUT, "dependencies": [1]}, "an output value's dependencies must be URNs"),
], ids=["empty-asset", "two-payloads", "text-number", "archive-of-string", "archive-extra-key", "reference-no-urn",
        "secret-flag-string", "dependency-number"])
def test_a_malformed_special_value_is_refused_with_its_path(value: Any, expected: str) -> None:
    with pytest.raises(OfflineError) as refused:
        _parsed(value)
    assert str(refused.value) == ("export.json: deployment.resources[1].inputs.spec.containers[0].securityContext: "
                                  + expected)


def test_an_output_value_cannot_hide_a_setting_from_the_rules(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    doc = export(pod({SIG: OUTPUT, "value": {"privileged": True}, "dependencies": []}))
    code, _, _ = check(tmp_path, doc, "--format", "json")
    report = json.loads(capsys.readouterr().out)
    assert code == 1 and report["errors"] == []
    found = [v for v in report["violations"] if v["policy"] == "k8s-no-privileged"]
    assert [v["message"] for v in found] == ["container 'c' (spec.containers[0]) sets securityContext.privileged: true"]


def test_a_secret_output_value_is_withheld_and_never_quoted(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = resource("kubernetes:core/v1:ConfigMap", "cm", {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm"},
                                                            "data": {"DB_PASSWORD": {SIG: OUTPUT, "secret": True,
                                                                                     "value": "hunter2-output-secret"}}})
    for fmt in ("text", "json", "markdown", "sarif"):
        check(tmp_path, export(config), "--format", fmt)
        out = capsys.readouterr()
        assert "hunter2" not in out.out + out.err
        assert "k8s-configmap-no-secrets" in out.out


# --- type tokens ---------------------------------------------------------------------------------

PROVIDER = "urn:pulumi:test::orchestrator::pulumi:providers:aws::default"


def security_group_rule(type_: str, provider_type: str = "pulumi:providers:aws") -> dict[str, Any]:
    """A rule open to the world, of `type_`, with a provider of `provider_type`."""
    provider = resource(provider_type, "default", {})
    rule = resource(type_, "db-in", {"cidrIpv4": "0.0.0.0/0", "fromPort": 5432, "toPort": 5432, "ipProtocol": "tcp"})
    rule["provider"] = provider["urn"] + "::6a1b"
    return export(provider, rule)


@pytest.mark.parametrize(("type_", "expected"), [
    ("aws:vpc/securityGroupIngressRule:securityGroupIngressRule",
     'is no resource type of the pinned provider aws 7.51.1 (no engine could hold it, and no rule would recognise it); '
     'did you mean "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"?'),
    ("aws:vpc/securityGroupIngresRule:SecurityGroupIngresRule",
     'is no resource type of the pinned provider aws 7.51.1 (no engine could hold it, and no rule would recognise it); '
     'did you mean "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"?'),
    ("aws:VPC/securityGroupIngressRule:SecurityGroupIngressRule", 'did you mean "aws:vpc/securityGroupIngressRule:'),
    ("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRul\u0435",
     "is not a Pulumi type token (package:module:Name, letters, digits, '_', '.', '-', and '/' in the module)"),
    ("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule ", "is not a Pulumi type token"),
    ("aws:vpc/securityGroupIngressRule:Security\u200bGroupIngressRule", "is not a Pulumi type token"),
    ("AWS:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
     "is of package AWS, but its provider is a pulumi:providers:aws (the engine asks the provider of the resource's own "
     "package)"),
], ids=["name-case", "typo", "module-case", "homoglyph", "trailing-space", "zero-width", "package-case"])
def test_a_type_the_pinned_provider_does_not_have_is_refused(type_: str, expected: str) -> None:
    doc = security_group_rule(type_)
    with pytest.raises(OfflineError) as refused:
        validate(doc, "export.json")
    message = str(refused.value)
    assert message.startswith(f"export.json: deployment.resources[2]: type {json.dumps(type_)} ") and expected in message, \
        message


@pytest.mark.parametrize(("type_", "provider_type", "expected"), [
    ("AWS:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "pulumi:providers:AWS",
     'deployment.resources[1]: type "pulumi:providers:AWS" names provider package "AWS"; the pinned provider is "aws"'),
    ("k8s:apps/v1:Deployment", "pulumi:providers:k8s",
     'deployment.resources[2]: type "k8s:apps/v1:Deployment" is a resource of package "k8s", which no pinned provider '
     "is (aws, azure-native, kubernetes, random, time, tls) and "
     "no rule of this gate judges; a renamed resource would pass unseen"),
    ("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "pulumi:providers:kubernetes",
     'deployment.resources[2]: type "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule" is of package aws, '
     "but its provider is a pulumi:providers:kubernetes"),
], ids=["renamed-package-and-provider", "unknown-package", "provider-of-another-package"])
def test_a_renamed_package_is_refused(type_: str, provider_type: str, expected: str) -> None:
    with pytest.raises(OfflineError) as refused:
        validate(security_group_rule(type_, provider_type), "export.json")
    assert str(refused.value).startswith(f"export.json: {expected}"), str(refused.value)


@pytest.mark.parametrize("type_", [
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
    "aws:vpc:SecurityGroupIngressRule",  # the module-only form
    "aws:elasticloadbalancingv2/loadBalancer:LoadBalancer",  # an alias the provider keeps
    "azure-native:network/v20240501:SecurityRule",  # an API-version module
    "azure-native:cache:Redis",  # an old token kept as an alias
    "kubernetes:argoproj.io/v1alpha1:Rollout",  # a custom resource
    "kubernetes:helm.sh/v3:Chart",  # a component of the provider
    "aws-native:rds:DbInstance",  # not pinned, but judged by the pack
])
def test_real_tokens_are_read(type_: str) -> None:
    package = type_.split(":", 1)[0]
    provider_type = "pulumi:providers:" + package
    validate(security_group_rule(type_, provider_type), "export.json")


@pytest.mark.parametrize(("type_", "expected"), [
    ("kubernetes:Networking.k8s.io/v1:NetworkPolicy", 'did you mean "kubernetes:networking.k8s.io/v1:NetworkPolicy"?'),
    ("kubernetes:networking.k8s.io/v1:Networkpolicy", 'did you mean "kubernetes:networking.k8s.io/v1:NetworkPolicy"?'),
    ("kubernetes:apps/v1:deployment", 'did you mean "kubernetes:apps/v1:Deployment"?'),
], ids=["group-case", "builtin-group-kind-case", "kind-case"])
def test_a_builtin_kubernetes_kind_in_another_spelling_is_no_custom_resource(type_: str, expected: str) -> None:
    with pytest.raises(OfflineError) as refused:
        validate(security_group_rule(type_, "pulumi:providers:kubernetes"), "export.json")
    assert str(refused.value).endswith(expected), str(refused.value)


def test_the_token_catalog_is_the_pinned_providers() -> None:
    from offline.gate import tokens

    assert tokens.main(["--check"]) == 0
    assert set(tokens.catalog().versions) == {"aws", "azure-native", "kubernetes", "random", "time", "tls"}


def test_a_renamed_resource_exits_2_with_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, _ = check(tmp_path, security_group_rule("aws:vpc/securityGroupIngressRule:securityGroupIngressRule"))
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1
    assert err.startswith('error: export.json: deployment.resources[2]: type "aws:vpc/securityGroupIngressRule:'
                          'securityGroupIngressRule" is no resource type of the pinned provider aws 7.51.1')


# --- secrets in reports, bounded -------------------------------------------------------------------


def test_a_secret_quoted_in_part_is_masked() -> None:
    """Rules cut long values when they quote them: the leading characters of a secret are masked too."""
    from offline.gate.engine import Masker

    secret = "hunter2-" + "q" * 90
    mask = Masker([secret, "short1"])
    assert mask(f"env[0] quotes {secret[:40]}... here") == "env[0] quotes [secret]... here"
    assert mask(f"all of it: {secret}.") == "all of it: [secret]."
    assert mask("short1 and short12") == "[secret] and [secret]2"
    assert mask("hunter2-qqq is too short a run to be one") == "hunter2-qqq is too short a run to be one"


def test_masking_is_linear_in_the_number_of_secrets() -> None:
    """10,000 secrets against 1,250 messages took 25 s when every secret was searched in every message."""
    import time

    from offline.gate.engine import Masker

    mask = Masker([f"secret-value-{i}-xxxxxxxx" for i in range(10_000)] + [f"aaaa{i}" for i in range(5_000)])
    message = "container 'app' env[3] API_PASSWORD holds secret-value-77-xxxxxxxx, " + "aaaa" * 50
    started = time.process_time()
    for _ in range(1_250):
        masked = mask(message)
    assert time.process_time() - started < 5
    assert masked.startswith("container 'app' env[3] API_PASSWORD holds [secret], ")


def test_a_plaintext_nested_past_the_parser_is_masked_as_text(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A `--show-secrets` plaintext is JSON text; one nested 200,000 deep crashed the gate (RecursionError)."""
    deep = {SIG: SECRET, "plaintext": "[" * 200_000 + "]" * 200_000}
    config = resource("kubernetes:core/v1:ConfigMap", "cm", {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm"},
                                                            "data": {"x": deep}})
    code, _, _ = check(tmp_path, export(config), "--format", "json")
    report = json.loads(capsys.readouterr().out)
    assert code == 1 and report["errors"] == []
    assert [(u["policy"], u["property"], u["reason"]) for u in report["unverifiable"]] == [
        ("k8s-configmap-no-secrets", "data.x", "secret")]


def test_a_refused_number_before_deep_nesting_is_one_line() -> None:
    with pytest.raises(OfflineError) as refused:
        parse_json(b'{"a": NaN, "b": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", "export.json")
    assert str(refused.value) == "export.json: NaN is not a JSON number (JSON has no NaN or Infinity)"


# --- files the caller names --------------------------------------------------------------------------


def test_a_pipe_nobody_writes_to_is_one_error_not_a_hang(tmp_path: Path) -> None:
    import os
    import time

    from offline.gate.exportfile import read_input

    pipe = tmp_path / "config.json"
    os.mkfifo(pipe)
    started = time.monotonic()
    with pytest.raises(OfflineError) as refused:
        read_input(pipe, "policy config config.json", 1024, wait=0.5)
    assert time.monotonic() - started < 5
    assert str(refused.value) == ("policy config config.json: nothing was written to the pipe within 0.5 s (a named "
                                  "pipe nobody writes to?)")


def test_a_pipe_is_read_to_its_end(tmp_path: Path) -> None:
    """`check --state <(pulumi stack export)`: process substitution is a pipe."""
    import os
    import threading

    from offline.gate.exportfile import read_input

    pipe = tmp_path / "export.json"
    os.mkfifo(pipe)

    def write() -> None:
        with pipe.open("wb") as stream:
            stream.write(b'{"a": 1}' * 50_000)

    writer = threading.Thread(target=write)
    writer.start()
    try:
        assert read_input(pipe, "state file export.json", 1 << 20, wait=10) == b'{"a": 1}' * 50_000
    finally:
        writer.join()


def test_a_policy_config_is_read_up_to_one_mebibyte(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, _ = check(tmp_path, export(pod({"privileged": False})), "--policy-config", "/dev/zero")
    assert code == 2
    assert capsys.readouterr().err == "error: policy config zero is over 1,048,576 bytes; at most that many are read\n"


def test_a_report_file_is_written_whole(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "reports" / "gate.sarif"
    code, _, _ = check(tmp_path, export(pod({"privileged": True})), "--format", "sarif", "--output", str(out))
    assert code == 1
    assert json.loads(out.read_text())["runs"][0]["results"][0]["ruleId"] == "k8s-no-privileged"
    assert sorted(p.name for p in out.parent.iterdir()) == ["gate.sarif"]


# --- recorded outputs a secret would hide -----------------------------------------------------------


def _rule(outputs: dict[str, Any], **entry: Any) -> dict[str, Any]:
    declared = {"cidrIpv4": "10.0.0.0/8", "fromPort": 443, "toPort": 443, "ipProtocol": "tcp"}
    found = resource("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "in", declared,
                     outputs={**declared, **outputs})
    found.update(entry)
    return found


@pytest.mark.parametrize(("outputs", "entry", "judged"), [
    ({"fromPort": {SIG: SECRET, "plaintext": "22"}}, {}, {SIG: SECRET, "plaintext": "22"}),
    ({"fromPort": {SIG: SECRET, "ciphertext": "v1:AAAA"}}, {}, {SIG: SECRET, "ciphertext": "v1:AAAA"}),
    ({"fromPort": {SIG: SECRET, "plaintext": "22"}}, {"additionalSecretOutputs": ["fromPort"]},
     {SIG: SECRET, "plaintext": "22"}),
    ({"fromPort": {SIG: SECRET, "plaintext": "443"}}, {}, 443),
    ({"fromPort": {SIG: SECRET, "ciphertext": "v1:AAAA"}}, {"additionalSecretOutputs": ["fromPort"]}, 443),
], ids=["plaintext-drift", "ciphertext-unexplained", "listed-but-drifted", "plaintext-same", "ciphertext-listed"])
def test_a_secret_output_is_judged_by_its_declared_value_only_when_it_is_that_value(
        outputs: dict[str, Any], entry: dict[str, Any], judged: Any) -> None:
    """A recorded output the engine marked secret while it was declared in the clear stood in for the
    declared value: a ciphertext or a --show-secrets plaintext could hide SSH opened on the HTTPS rule."""
    from offline.gate.analyzer import bag_of

    assert bag_of(_rule(outputs, **entry), "outputs")["fromPort"] == judged


def test_a_value_with_a_secret_inside_is_judged_by_its_declaration() -> None:
    """The engine makes the whole top-level property secret when a secret is inside it (an OpenSearch
    domain's master user options): the declared value, secret withheld, is what can be judged."""
    from offline.gate.analyzer import bag_of

    declared = {"enabled": True, "masterUserOptions": {"masterUserPassword": {SIG: SECRET, "ciphertext": "v1:x"}}}
    domain = resource("aws:opensearch/domain:Domain", "logs", {"advancedSecurityOptions": declared},
                      outputs={"advancedSecurityOptions": {SIG: SECRET, "ciphertext": "v1:y"}})
    assert bag_of(domain, "outputs")["advancedSecurityOptions"] == declared


def test_drift_hidden_in_a_secret_output_fails_the_gate(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    doc = export(_rule({"fromPort": {SIG: SECRET, "plaintext": "22"}, "toPort": {SIG: SECRET, "plaintext": "22"},
                        "cidrIpv4": "0.0.0.0/0"}))
    code, _, _ = check(tmp_path, doc, "--format", "json")
    report = json.loads(capsys.readouterr().out)
    assert code == 1 and not report["passed"]
    assert ("aws-sg-no-world-ingress", "fromPort", "secret") in {(u["policy"], u["property"], u["reason"])
                                                                 for u in report["unverifiable"]}


@pytest.mark.parametrize(("bag", "value", "kind"), [
    ("inputs", {SIG: SECRET, "plaintext": json.dumps({"spec": {"containers": [{"securityContext": {"privileged": True}}]}})},
     "secret"),
    ("outputs", {SIG: SECRET, "ciphertext": "v1:AAAA"}, "secret"),
    ("inputs", {SIG: ASSET, "text": "x"}, "asset"),
    ("outputs", {SIG: OUTPUT, "secret": True, "value": {"spec": {}}}, "secret"),
], ids=["secret-inputs", "ciphertext-outputs", "asset-inputs", "secret-output-value"])
def test_a_property_map_that_is_one_special_value_is_refused(bag: str, value: Any, kind: str) -> None:
    """A resource whose whole inputs are one secret was judged as a resource with no properties."""
    doc = export(pod({"privileged": True}))
    doc["deployment"]["resources"][1][bag] = value
    data = parse_json(json.dumps(doc).encode(), "export.json")
    with pytest.raises(OfflineError) as refused:
        validate(data, "export.json")
    assert str(refused.value) == (f'export.json: deployment.resources[1]: "{bag}" is a special value ({kind}), not a '
                                  "property map (Pulumi makes each property a secret, never the whole map; no rule "
                                  "could see into it)")


def test_a_long_type_is_refused_in_bounded_time() -> None:
    """The nearest-token search took minutes on a 200,000-character type; a long one gets no suggestion."""
    import time

    type_ = "azure-native:network:" + "A" * 200_000
    doc = security_group_rule(type_, "pulumi:providers:azure-native")
    started = time.process_time()
    with pytest.raises(OfflineError) as refused:
        validate(doc, "export.json")
    assert time.process_time() - started < 2
    assert str(refused.value).endswith("is no resource type of the pinned provider azure-native 3.29.0 (no engine could "
                                       "hold it, and no rule would recognise it)")
