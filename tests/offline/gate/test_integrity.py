"""Gate integrity without the pack: what the state reader refuses, pathological inputs bounded in
time, the policy configuration chosen by the caller (never by the export), report escaping and
secret masking."""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from offline import OfflineError
from offline.cli import main
from offline.gate.analyzer import UNVERIFIABLE_MARKER, PackInfo, parse_unverified, to_wire
from offline.gate.encode import fingerprint
from offline.gate.engine import PACK_DIR, Masker, Report, Unverifiable, Violation, choose_config, plaintext_secrets, shipped_stack
from offline.gate.exportfile import parse_json, validate
from offline.gate.report import md, plain, render
from policies.rules import verify
from tests.policies.conftest import ROOT_URN, resource, root

SIG = {"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270"}


def export(*resources: dict[str, Any]) -> dict[str, Any]:
    return {"version": 3, "deployment": {"manifest": {}, "resources": [root(), *resources]}}


def config_map(name: str = "cm") -> dict[str, Any]:
    return resource("kubernetes:core/v1:ConfigMap", name, {"data": {"a": "b"}})


Change = Callable[[dict[str, Any]], None]


def _entries(doc: dict[str, Any]) -> list[Any]:
    return doc["deployment"]["resources"]  # type: ignore[no-any-return]


REFUSALS: list[tuple[str, Change, str]] = [
    ("non-object entry", lambda d: _entries(d).append("x"), "deployment.resources[2]: is a string, not a resource object"),
    ("missing urn", lambda d: _entries(d)[1].pop("urn"), 'deployment.resources[1]: missing "urn"'),
    ("misspelt type", lambda d: _entries(d)[1].update(Type=_entries(d)[1].pop("type")),
     'deployment.resources[1]: missing "type" (it has "Type"'),
    ("mistyped urn", lambda d: _entries(d)[1].update(urn=7), '"urn" is a number, not a string'),
    ("unknown version", lambda d: d.update(version=99), 'checkpoint "version" 99'),
    ("no version", lambda d: d.pop("version"), 'checkpoint "version" null'),
    ("duplicate urn", lambda d: _entries(d).append(copy.deepcopy(_entries(d)[1])), "duplicate URN"),
    ("delete flag", lambda d: _entries(d)[1].update(delete=True), "pending deletion"),
    ("pending replacement", lambda d: _entries(d)[1].update(pendingReplacement=True), "pending replacement"),
    ("absent parent", lambda d: _entries(d)[1].update(parent=ROOT_URN + "x"), "parent"),
    ("absent provider", lambda d: _entries(d)[1].update(provider=ROOT_URN + "p::id"), "provider"),
    ("type not its urn", lambda d: _entries(d)[1].update(type="kubernetes:core/v1:Secret"), "is not the type its URN names"),
    ("another stack", lambda d: _entries(d)[1].update(urn=_entries(d)[1]["urn"].replace(":test::", ":other::")),
     "belongs to stack 'other'"),
    ("second root", lambda d: _entries(d).append(root() | {"urn": ROOT_URN + "2"}), "a second pulumi:pulumi:Stack"),
    ("inputs not an object", lambda d: _entries(d)[1].update(inputs=[1]), '"inputs" is a list, not an object'),
    ("version 3.0", lambda d: d.update(version=3.0), 'checkpoint "version" 3.0 is not one this gate reads (3, 4)'),
    ("version string", lambda d: d.update(version="3"), 'checkpoint "version" "3" is not one this gate reads (3, 4)'),
    ("urn differs in case", lambda d: _entries(d).append(_entries(d)[1] | {"urn": _entries(d)[1]["urn"][:-2] + "CM"}),
     "deployment.resources[2]: URN \"urn:pulumi:test::orchestrator::kubernetes:core/v1:ConfigMap::CM\" differs from "
     "deployment.resources[1]'s only in case, white space or compatibility characters; rename one of them"),
    ("urn differs in white space", lambda d: _entries(d).append(_entries(d)[1] | {"urn": _entries(d)[1]["urn"] + "\u00a0"}),
     "differs from deployment.resources[1]'s only in case, white space"),
    ("urn differs in width", lambda d: _entries(d).append(_entries(d)[1] | {"urn": _entries(d)[1]["urn"][:-2] + "\uff43\uff4d"}),
     "differs from deployment.resources[1]'s only in case, white space or compatibility characters"),
    ("misspelt inputs", lambda d: _entries(d)[1].update(Inputs=_entries(d)[1].pop("inputs")),
     'deployment.resources[1]: unknown key "Inputs"; Pulumi writes "inputs", and a misspelt key would leave what it '
     "holds unjudged"),
    ("misspelt protect", lambda d: _entries(d)[1].update(protected=True), 'unknown key "protected"; Pulumi writes "protect"'),
    ("snake case", lambda d: _entries(d)[1].update(retain_on_delete=True),
     'unknown key "retain_on_delete"; Pulumi writes "retainOnDelete"'),
    ("self dependency", lambda d: _entries(d)[1].update(dependencies=[_entries(d)[1]["urn"]]),
     "deployment.resources[1]: dependencies \"urn:pulumi:test::orchestrator::kubernetes:core/v1:ConfigMap::cm\" is this "
     "resource itself; a resource must come after its parent, provider and dependencies"),
    ("parent cycle", lambda d: _entries(d)[0].update(parent=_entries(d)[1]["urn"]),
     "deployment.resources[0]: parent \"urn:pulumi:test::orchestrator::kubernetes:core/v1:ConfigMap::cm\" is "
     "deployment.resources[1], after it"),
    ("pending operations",
     lambda d: d["deployment"].update(pending_operations=[{"resource": _entries(d)[1], "type": "creating"}]),
     'deployment.pending_operations: an update was interrupted with operations in flight (first: "creating" '
     '"urn:pulumi:test::orchestrator::kubernetes:core/v1:ConfigMap::cm")'),
]


@pytest.mark.parametrize(("change", "expected"), [(c, e) for _, c, e in REFUSALS], ids=[n for n, _, _ in REFUSALS])
def test_an_export_the_gate_cannot_fully_read_is_refused(change: Change, expected: str) -> None:
    doc = export(config_map())
    validate(doc, "export.json")  # the unchanged export is readable
    change(doc)
    with pytest.raises(OfflineError) as refused:
        validate(doc, "export.json")
    assert expected in str(refused.value) and "\n" not in str(refused.value)
    assert str(refused.value).startswith("export.json: ")


def test_known_keys_of_newer_engines_are_read() -> None:
    doc = export(config_map())
    _entries(doc)[1].update(created="2026-01-01T00:00:00Z", sourcePosition="project:///x.py#1", taint=False, hideDiff=[])
    validate(doc, "export.json")
    doc["deployment"]["pending_operations"] = []
    validate(doc, "export.json")


def test_the_cli_refuses_a_misspelt_type_with_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    doc = export(config_map())
    entry = _entries(doc)[1]
    entry["tpye"] = entry.pop("type")
    path = tmp_path / "export.json"
    path.write_text(json.dumps(doc))
    assert main(["check", "--state", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err == 'error: export.json: deployment.resources[1]: missing "type" (it has "tpye"; the key is "type")'


@pytest.mark.parametrize(("raw", "expected"), [
    (b'{"version": 3, "x": NaN}', "NaN is not a JSON number"),
    (b'{"x": -Infinity}', "-Infinity is not a JSON number"),
    (json.dumps({"x": "é"}).encode("utf-16"), "is UTF-16"),
    ('{"x": "caf\xe9"}'.encode("latin-1"), "is not UTF-8 (byte 0xe9"),
    (b"{not json", "is not valid JSON"),
    (b"[" * 100_000 + b"]" * 100_000, "nest deeper than 100 levels"),
])
def test_unreadable_bytes_are_one_line(raw: bytes, expected: str) -> None:
    started = time.perf_counter()
    with pytest.raises(OfflineError) as refused:
        parse_json(raw, "export.json")
    print(f"refused in {time.perf_counter() - started:.3f} s: {refused.value}")
    assert expected in str(refused.value) and "\n" not in str(refused.value)


PRIVILEGED = json.dumps(resource("kubernetes:core/v1:Pod", "p", {"spec": {"containers": [
    {"name": "c", "securityContext": {"privileged": False}}]}}))


def _raw(props_text: str) -> bytes:
    """An export whose one resource's properties are `props_text`, spliced in verbatim (JSON that
    `json.dumps` cannot write: duplicated keys, overlong numbers, lone surrogates)."""
    doc = json.dumps(export(config_map()))
    return doc.replace('{"data": {"a": "b"}}', props_text, 1).encode()


@pytest.mark.parametrize(("props", "expected"), [
    ('{"data": {"a": "b"}, "privileged": true, "privileged": false}',
     'export.json: deployment.resources[1].inputs: the key "privileged" appears 2 times (true, false); JSON readers '
     "disagree on which one counts, so the file is refused"),
    ('{"data": {"a": "b", "a": {"x": 1}}}',
     'deployment.resources[1].inputs.data: the key "a" appears 2 times (a string, an object)'),
    ('{"data": {"a": 1e400}}', "export.json: deployment.resources[1].inputs.data.a: the number 1e400 is out of range "
                               "(JSON numbers here are finite doubles)"),
    ('{"data": {"a": -1E999}}', "deployment.resources[1].inputs.data.a: the number -1E999 is out of range"),
    ('{"data": {"a": ' + "9" * 400 + "}}",
     "deployment.resources[1].inputs.data.a: a number of 400 digits is out of range (at most 308)"),
    ('{"data": {"a": ' + "9" * 5000 + "}}", "deployment.resources[1].inputs.data.a: a number of 5000 digits is out of range"),
    ('{"data": {"a": NaN}}', "export.json: deployment.resources[1].inputs.data.a: NaN is not a JSON number"),
    ('{"data": {"a": "x\\ud800y"}}', "export.json: deployment.resources[1].inputs.data.a: a lone UTF-16 surrogate escape"),
    ('{"data": {"\\udfff": "y"}}', "export.json: deployment.resources[1].inputs.data: a lone UTF-16 surrogate escape"),
    ('{"data": {"a": {"4dabf18193072939515e22adb298388d": "1B47061264138C4AC30D75FD1EB44270", "plaintext": "\\"x\\""}}}',
     "deployment.resources[1].inputs.data.a: unknown special-value signature \"1B47061264138C4AC30D75FD1EB44270\""),
    ('{"data": {"a": {"4DABF18193072939515E22ADB298388D": "1b47061264138c4ac30d75fd1eb44270", "plaintext": "\\"x\\""}}}',
     "deployment.resources[1].inputs.data.a: the special-value key is spelled another way"),
    ('{"data": {"a": {"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270"}}}',
     "deployment.resources[1].inputs.data.a: a secret envelope must hold exactly one of ciphertext, plaintext or value "
     "(it has none)"),
    ('{"data": {"a": {"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", "ciphertext": "v1:x", '
     '"plaintext": "\\"y\\""}}}', "a secret envelope must hold exactly one of ciphertext, plaintext or value (it has ciphertext, "
                                     "plaintext)"),
    ('{"data": {"a": {"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", "plaintext": 7}}}',
     "deployment.resources[1].inputs.data.a: a secret's plaintext is a number, not a string"),
], ids=["hidden-value", "nested", "1e400", "-1e999", "400-digits", "5000-digits", "nan", "surrogate", "surrogate-key",
        "signature-case", "signature-key-case", "empty-envelope", "two-payloads", "plaintext-number"])
def test_json_the_readers_could_disagree_on_is_refused_with_its_path(props: str, expected: str) -> None:
    with pytest.raises(OfflineError) as refused:
        parse_json(_raw(props), "export.json")
    assert expected in str(refused.value) and "\n" not in str(refused.value), str(refused.value)


def test_a_duplicated_key_on_the_top_level_is_named() -> None:
    with pytest.raises(OfflineError, match=r'^cfg\.json: the key "all" appears 2 times \(a string, a string\)'):
        parse_json(b'{"all": "mandatory", "all": "disabled"}', "cfg.json")


def test_a_duplicated_secret_is_not_quoted() -> None:
    with pytest.raises(OfflineError) as refused:
        parse_json(_raw('{"data": {"password": "hunter2-first", "password": "hunter2-second"}}'), "export.json")
    assert "hunter2" not in str(refused.value)
    assert str(refused.value).startswith('export.json: deployment.resources[1].inputs.data: the key "password" appears 2 '
                                         "times (a string, a string)")


def test_error_lines_show_control_characters_as_escapes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "cfg.json"
    config.write_text('{"k8s-\\u001b[2J\\u202ex\\nz": "mandatory"}')
    state = tmp_path / "export.json"
    state.write_text(json.dumps(export(config_map())))
    assert main(["check", "--state", str(state), "--policy-config", str(config)]) == 2
    err = capsys.readouterr().err
    assert err == "error: cfg.json: 'k8s-\\u001b[2J\\u202ex\\nz' is not a policy of pack orchestrator-security\n"


def test_a_file_too_large_to_hold_is_refused_before_reading(tmp_path: Path) -> None:
    from offline.files import read_user_file

    path = tmp_path / "big.json"
    path.write_bytes(b" " * 2048)
    with pytest.raises(OfflineError, match=r"^state file big\.json is 2,048 bytes; at most 1,024 are read$"):
        read_user_file(path, "state file big.json", max_bytes=1024)
    assert read_user_file(path, "x", max_bytes=4096) == b" " * 2048


@pytest.mark.parametrize(("encoding", "expected"), [("utf-16", "UTF-16"), ("utf-16-le", "UTF-16"), ("utf-16-be", "UTF-16"),
                                                    ("utf-32", "UTF-32"), ("utf-32-le", "UTF-32"), ("utf-32-be", "UTF-32")])
def test_wide_encodings_are_named(encoding: str, expected: str) -> None:
    from offline.files import decode_text

    with pytest.raises(OfflineError, match=rf"^export\.json is {expected} text; save it as UTF-8$"):
        decode_text(json.dumps({"a": 1}).encode(encoding), "export.json")


def test_a_directory_is_not_a_state_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--state", str(tmp_path)]) == 2
    assert "is a directory" in capsys.readouterr().err


def test_pathological_sizes_are_read_in_linear_time() -> None:
    """Measured, not asserted against a clock: 50,000 resources, a megabyte string, many newlines."""
    big = export(*(config_map(f"cm-{i}") for i in range(50_000)))
    _entries(big)[1]["inputs"]["data"]["a"] = "x" * 1_000_000
    _entries(big)[2]["inputs"]["data"]["a"] = "\n" * 100_000
    raw = json.dumps(big).encode()
    started = time.perf_counter()
    validate(parse_json(raw, "big.json"), "big.json")
    print(f"50,000 resources ({len(raw) / 1e6:.1f} MB) read and validated in {time.perf_counter() - started:.2f} s")


def test_depth_limit_names_the_entry() -> None:
    value: Any = "x"
    for _ in range(150):
        value = {"a": value}
    doc = export(resource("kubernetes:core/v1:ConfigMap", "deep", {"data": value}))
    with pytest.raises(OfflineError, match=r"deployment\.resources\[1\]\.(inputs|outputs)\.data\.a\.a.*deeper than 100"):
        parse_json(json.dumps(doc).encode(), "export.json")


# --- the configuration is the caller's -------------------------------------------------------------


@pytest.mark.parametrize("name", ["../../tmp/evil", "/etc/passwd", "production/..", "prod", "", "production.json"])
def test_unknown_or_path_like_stack_names_are_refused(name: str) -> None:
    with pytest.raises(OfflineError, match=r"unknown stack .*; shipped stacks: "):
        shipped_stack(name)


def test_the_strictest_configuration_applies_without_a_stack() -> None:
    choice = choose_config()
    assert choice.raw == json.loads((PACK_DIR / "config" / "production.json").read_text())
    assert choice.environment == "production" and "strictest" in choice.source
    staging = choose_config("staging")
    assert staging.environment == "staging" and staging.source == "policies/config/staging.json"


def test_the_export_stack_name_never_picks_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """An export claiming a path-like stack name is refused before any file is looked up."""
    doc = export(config_map())
    for entry in _entries(doc):
        entry["urn"] = entry["urn"].replace("urn:pulumi:test::", "urn:pulumi:../../x::")
        if "parent" in entry:
            entry["parent"] = _entries(doc)[0]["urn"]
    path = tmp_path / "export.json"
    path.write_text(json.dumps(doc))
    assert main(["check", "--state", str(path)]) == 2
    assert "is not a Pulumi stack and project name" in capsys.readouterr().err


def test_a_bad_stack_name_is_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "export.json"
    path.write_text(json.dumps(export(config_map())))
    assert main(["check", "--state", str(path), "--stack", "../policies/config/local"]) == 2
    assert capsys.readouterr().err.count("\n") == 1


# --- secrets and reports -----------------------------------------------------------------------------


def test_no_secret_value_reaches_the_pack() -> None:
    props = {"a": SIG | {"plaintext": '"hunter2"'}, "b": [SIG | {"ciphertext": "v1:x"}], "c": SIG | {"value": {"k": "v"}}}
    wire = to_wire(props)
    assert wire["b"] == [SIG | {"value": "[secret]"}]  # a ciphertext shows nothing
    # A value the gate saw reaches the pack as its keyed fingerprint only.
    for key, value in (("a", "hunter2"), ("c", {"k": "v"})):
        assert wire[key] == SIG | {"value": f"[secret:{fingerprint(value)}]"}
    assert "hunter2" not in json.dumps(wire) and '"v"' not in json.dumps(wire)


def test_plaintext_secrets_are_masked_in_messages() -> None:
    resources = [resource("kubernetes:core/v1:Secret", "s", {"data": SIG | {"plaintext": '{"password": "hunter2x"}'}})]
    secrets = plaintext_secrets(resources)
    assert "hunter2x" in secrets
    assert Masker(secrets)("ConfigMap app quotes hunter2x in data.x") == "ConfigMap app quotes [secret] in data.x"


def _hostile_report() -> Report:
    urn = "urn:pulumi:test::orchestrator::kubernetes:core/v1:ConfigMap::evil\x1b[2J\n| [x](javascript:alert(1)) `@team`"
    info = PackInfo("pack", "1", "", {})
    return Report("test", False, info,
                  [Violation("k8s-x", "high", "mandatory", urn, "kubernetes:core/v1:ConfigMap", "bad \x1b]8;;x\x07 value")],
                  unverifiable=[Unverifiable("k8s-y", urn, "kubernetes:core/v1:ConfigMap", "data.a", "unknown")],
                  warnings=["the export is stack 'a\x1b[31m'"])


def test_reports_escape_what_comes_from_the_export() -> None:
    report = _hostile_report()
    for fmt in ("text", "markdown", "json", "sarif"):
        text = render(report, fmt)
        assert "\x1b" not in text and "\x07" not in text, fmt
        assert ("could not evaluate data.a" in text or '"data.a"' in text or "| data.a |" in text), fmt
    markdown = render(report, "markdown")
    assert "](javascript" not in markdown and "`@team`" not in markdown and "\n| [x]" not in markdown
    assert plain("a\nb\x1b[0m") == "a\\nb\\x1b[0m"
    assert md("[x](y) <b> @me |") == "&#91;x&#93;&#40;y&#41; &#60;b&#62; &#64;me &#124;"
    sarif = json.loads(render(report, "sarif"))
    results = sarif["runs"][0]["results"]
    assert any(r.get("properties", {}).get("unverifiable") for r in results)
    assert sarif["runs"][0]["invocations"][0]["toolExecutionNotifications"][0]["level"] == "warning"


def test_unverifiable_fails_a_state_export_but_not_a_preview() -> None:
    report = _hostile_report()
    report.violations = []
    assert not report.passed and any("could not evaluate" in r for r in report.reasons)
    report.preview = True
    assert report.passed


def test_the_gate_reads_the_pack_format() -> None:
    assert UNVERIFIABLE_MARKER == verify.MARKER
    message = "can't run policy 'p' from policy pack 'x@v1' during preview: " + verify.unverifiable_message(
        [("urn:a", "spec.x[0]", "unknown")])
    found = parse_unverified("p", message, "urn:b")
    assert found is not None and [(u.urn, u.property, u.reason) for u in found] == [("urn:a", "spec.x[0]", "unknown")]
    sdk = "can't run policy 'p' from policy pack 'x@v1' during preview: string value at .spec.x can't be known during preview"
    found = parse_unverified("p", sdk, "urn:b")
    assert found is not None and [(u.urn, u.property) for u in found] == [("urn:b", "spec.x")]


def test_no_report_quotes_a_plaintext_secret(tmp_path: Path) -> None:
    """A `--show-secrets` export: the plaintext reaches no rule, and where the same value appears
    unmarked (a ConfigMap quoting it), no report format quotes it."""
    from tests.policies.fixtures import with_deployment

    password = "S3cr3t-Plain-Text-9"
    resources = with_deployment("spec.template.spec.containers.0.env", [
        {"name": "DB_PASSWORD", "value": SIG | {"plaintext": json.dumps(password)}}])
    resources.append(resource("kubernetes:core/v1:ConfigMap", "leaky", {
        "metadata": {"name": "leaky", "namespace": "app"},
        "data": {"app.yaml": f"database_url: postgres://app:{password}@db:5432/app\npassword: {password}\n"}}))
    path = tmp_path / "export.json"
    path.write_text(json.dumps({"version": 3, "deployment": {"manifest": {}, "resources": resources}}))
    for fmt in ("text", "json", "markdown", "sarif"):
        out = tmp_path / f"report.{fmt}"
        assert main(["check", "--state", str(path), "--format", fmt, "--output", str(out)]) == 1
        text = out.read_text()
        assert password not in text, fmt
        assert "k8s-no-literal-secret-env" in text and "k8s-configmap-no-secrets" in text, fmt


@pytest.mark.parametrize("text", ["a." * 500_000, "://" * 300_000, "x://u:" * 100_000, "\n" * 1_000_000],
                         ids=["dotted-megabyte", "separators", "half-urls", "newlines"])
def test_credential_scan_is_linear(text: str) -> None:
    """Measured, not asserted against a clock (a scheme regex from every word boundary took 17 s on 40 KB)."""
    from policies.rules.common import credentials_in_text

    started = time.perf_counter()
    assert list(credentials_in_text(text)) == []
    print(f"{len(text) / 1e6:.1f} MB scanned in {time.perf_counter() - started:.2f} s")


# --- a caller's policy configuration only adds ------------------------------------------------------


def test_a_policy_config_cannot_relax_the_shipped_one(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Disabling the rule that fires and moving production to development still fails, with each
    relaxation named; the export's privileged container is reported at the shipped level."""
    from tests.policies.fixtures import with_deployment

    resources = with_deployment("spec.template.spec.containers.0.securityContext.privileged", True)
    state = tmp_path / "export.json"
    state.write_text(json.dumps({"version": 3, "deployment": {"manifest": {}, "resources": resources}}))
    config = tmp_path / "cfg.json"
    config.write_text(json.dumps({"all": "disabled", "stack-stateful-protected": {"environment": "development"}}))
    out = tmp_path / "report.json"
    assert main(["check", "--state", str(state), "--policy-config", str(config), "--format", "json",
                 "--output", str(out)]) == 1
    report = json.loads(out.read_text())
    assert [(v["policy"], v["enforcement"]) for v in report["violations"] if v["policy"] == "k8s-no-privileged"] == \
        [("k8s-no-privileged", "mandatory")]
    assert report["production"] and not report["passed"]
    assert report["policyConfig"] == "cfg.json on top of policies/config/production.json (the strictest; no --stack given)"
    assert ("cfg.json sets k8s-no-privileged to disabled; policies/config/production.json (the strictest; no --stack "
            "given) enforces it as mandatory, and that applies") in report["warnings"]
    assert ('cfg.json sets stack-stateful-protected.environment to "development" (shipped: "production"); findings '
            "under either setting are reported") in report["warnings"]


def test_layered_reports_keep_every_finding_at_the_stricter_level() -> None:
    from offline.gate.engine import PolicyConfig
    from offline.gate.report import layered

    urn = "urn:pulumi:test::orchestrator::kubernetes:core/v1:ConfigMap::cm"
    info = PackInfo("pack", "1", "", {})
    shipped = Report("test", True, info, [Violation("a", "high", "mandatory", urn, "t", "m1")], config_source="shipped.json")
    custom = Report("test", False, info, [Violation("a", "high", "advisory", urn, "t", "m1"),
                                          Violation("b", "medium", "mandatory", urn, "t", "m2")], config_source="cfg.json")
    merged = layered(shipped, custom, PolicyConfig({"a": "mandatory", "b": "advisory"}, {"b": {"n": 3}}),
                     PolicyConfig({"a": "advisory", "b": "mandatory"}, {"b": {"n": 5}}))
    assert [(v.policy, v.enforcement) for v in merged.violations] == [("a", "mandatory"), ("b", "mandatory")]
    assert merged.production and merged.config_source == "cfg.json on top of shipped.json"
    assert merged.warnings == ["cfg.json sets a to advisory; shipped.json enforces it as mandatory, and that applies",
                               "cfg.json sets b.n to 5 (shipped: 3); findings under either setting are reported"]
