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
