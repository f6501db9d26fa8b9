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
    assert to_wire(props) == {"a": SIG | {"value": "[secret]"}, "b": [SIG | {"value": "[secret]"}],
                              "c": SIG | {"value": "[secret]"}}


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
