"""The offline gate: score arithmetic, verdicts, report formats, exit codes, crashing policies,
the shipped stacks (golden reports), the generated policy docs and the workflow."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from offline.cli import main
from offline.gate.analyzer import (
    Diagnostic,
    PackInfo,
    PolicyMeta,
    RequestWriter,
    Results,
    analyze_stack_request,
    providers_of,
)
from offline.gate.engine import PACK_DIR, Report, Violation, build_report, read_policy_config, resolve_config, run_gate, score
from offline.gate.report import render
from offline.runner.stacks import ROOT, available_stacks
from tests.policies.conftest import ROOT_URN, resource, root
from tests.policies.fixtures import with_deployment


def test_score_reproduces_the_audit_example() -> None:
    assert score({"critical": 0, "high": 0, "medium": 2, "low": 1}) == 85


@pytest.mark.parametrize(("counts", "expected"), [
    ({}, 100), ({"critical": 1}, 70), ({"high": 1}, 80), ({"medium": 1}, 94), ({"low": 1}, 97),
    ({"critical": 2, "high": 2}, 0), ({"critical": 4}, 0), ({"high": 1, "low": 3}, 71)])
def test_score_arithmetic(counts: dict[str, int], expected: int) -> None:
    assert score(counts) == expected


def _meta(name: str, severity: str, enforcement: str) -> PolicyMeta:
    return PolicyMeta(name, f"{name} description.", enforcement, severity, False, ("target:k8s", "audit:AA"),
                      {"reference": "x", "specification": "AA"}, "fix it", f"docs/policies.md#{name}", {})


def _report(diagnostics: list[tuple[str, str, str]], *, production: bool) -> Report:
    policies = {n: _meta(n, s, e) for n, s, e in diagnostics}
    info = PackInfo("pack", "1", "", policies)
    results = Results([Diagnostic(n, e, s, ROOT_URN, "msg") for n, s, e in diagnostics])
    config = resolve_config(info, {})
    report = build_report("test", info, results, [root()], config)
    report.production = production
    return report


def test_verdicts() -> None:
    audit_example = [("a", "medium", "advisory"), ("b", "medium", "advisory"), ("c", "low", "advisory")]
    assert _report(audit_example, production=True).passed is False  # 85 is not above 90
    assert _report(audit_example, production=False).passed is True
    advisory_high = [("a", "high", "advisory")]
    assert _report(advisory_high, production=False).passed is True
    assert _report(advisory_high, production=True).passed is False  # production: zero high
    assert _report([("a", "medium", "mandatory")], production=False).passed is False
    assert _report([("a", "low", "advisory")], production=True).passed is True  # 97 > 90


def _export(resources: list[dict[str, Any]]) -> dict[str, Any]:
    return {"version": 3, "deployment": {"manifest": {}, "resources": resources}}


@pytest.fixture(scope="module")
def violating_state(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("state") / "state.json"
    resources = with_deployment("spec.template.spec.initContainers.0.securityContext.privileged", True)
    resources.append(resource("kubernetes:apps/v1:Deployment", "secret-env", {
        "metadata": {"namespace": "app"}, "spec": {"template": {"spec": {"containers": [{
            "name": "x", "env": [{"name": "API_TOKEN", "value": {
                "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", "ciphertext": "v1:abc"}}]}]}}}}))
    path.write_text(json.dumps(_export(resources)), encoding="utf-8")
    return path


def test_check_state_json_report(violating_state: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "report.json"
    assert main(["check", "--state", str(violating_state), "--format", "json", "--output", str(out)]) == 1
    report = json.loads(out.read_text())
    assert set(report) >= {"stack", "score", "passed", "counts", "violations"}
    assert report["stack"] == "test" and report["passed"] is False
    found = {(v["policy"], v["urn"].rsplit("::", 1)[-1]) for v in report["violations"]}
    assert ("k8s-no-privileged", "app-blue") in found
    # A secret envelope in the export reaches the pack as a secret-wrapped value: still a literal env value.
    assert ("k8s-no-literal-secret-env", "secret-env") in found
    privileged = next(v for v in report["violations"] if v["policy"] == "k8s-no-privileged")
    assert privileged == {"policy": "k8s-no-privileged", "severity": "critical", "enforcement": "mandatory",
                          "urn": privileged["urn"], "type": "kubernetes:apps/v1:Deployment",
                          "message": "init container 'migrate' (spec.template.spec.initContainers[0]) sets "
                                     "securityContext.privileged: true"}
    assert report["counts"]["critical"] == sum(v["severity"] == "critical" for v in report["violations"])
    assert report["score"] == score(report["counts"])
    assert "v1:abc" not in out.read_text()


def test_check_formats(violating_state: Path, tmp_path: Path) -> None:
    for fmt in ("text", "markdown", "sarif"):
        out = tmp_path / f"report.{fmt}"
        assert main(["check", "--state", str(violating_state), "--format", fmt, "--output", str(out)]) == 1
    assert "k8s-no-privileged" in (tmp_path / "report.text").read_text()
    markdown = (tmp_path / "report.markdown").read_text()
    assert "| critical | high | medium | low |" in markdown
    assert "[k8s-no-privileged](docs/policies.md#k8s-no-privileged)" in markdown
    sarif = json.loads((tmp_path / "report.sarif").read_text())
    assert sarif["version"] == "2.1.0"
    run = sarif["runs"][0]
    rule_ids = [r["id"] for r in run["tool"]["driver"]["rules"]]
    result = next(r for r in run["results"] if r["ruleId"] == "k8s-no-privileged")
    assert rule_ids[result["ruleIndex"]] == "k8s-no-privileged" and result["level"] == "error"
    assert result["locations"][0]["logicalLocations"][0]["fullyQualifiedName"].endswith("::app-blue")


def test_usage_errors_exit_2(violating_state: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "staging", "--state", str(violating_state)]) == 2
    assert main(["check"]) == 2
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"k8s-no-such-rule": "mandatory"}))
    assert main(["check", "--state", str(violating_state), "--policy-config", str(bad)]) == 2
    bad.write_text(json.dumps({"k8s-resources": {"appMemoryLimitMi": "lots"}}))
    assert main(["check", "--state", str(violating_state), "--policy-config", str(bad)]) == 2
    assert main(["check", "--state", str(tmp_path / "missing.json")]) == 2
    errors = [line for line in capsys.readouterr().err.splitlines() if line]
    assert len(errors) == 5 and all(line.startswith("error: ") for line in errors)
    assert "k8s-no-such-rule" in errors[2] and "appMemoryLimitMi" in errors[3]


def test_policy_config_levels_and_all(violating_state: Path, tmp_path: Path) -> None:
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"all": "advisory", "k8s-no-privileged": "disabled"}))
    report = run_gate(json.loads(violating_state.read_text()), policy_config=config)
    assert "k8s-no-privileged" not in {v.policy for v in report.violations}
    assert all(v.enforcement == "advisory" for v in report.violations)
    assert read_policy_config(config)["all"] == "advisory"


def test_stack_request_bytes_are_the_request(violating_state: Path) -> None:
    """The AnalyzeStack request is sent pre-serialized, built one resource at a time."""
    from pulumi.runtime.proto import analyzer_pb2

    resources = json.loads(violating_state.read_text())["deployment"]["resources"]
    resources.append(resource("pulumi:providers:kubernetes", "cluster", {"namespace": "app"}))
    resources[1]["provider"] = f"{resources[-1]['urn']}::id-1"
    request = analyze_stack_request(resources, providers_of(resources))
    assert request.resources[1].provider.urn == resources[-1]["urn"]
    parsed = analyzer_pb2.AnalyzeStackRequest.FromString(RequestWriter(resources).analyze_stack(resources))
    assert parsed == request
    assert [r.urn for r in parsed.resources] == [r["urn"] for r in resources]


def test_crashing_policy_is_a_failure_naming_it(tmp_path: Path, violating_state: Path) -> None:
    pack = tmp_path / "pack"
    shutil.copytree(PACK_DIR, pack, ignore=shutil.ignore_patterns("__pycache__", "venv", "config"))
    (pack / "__main__.py").write_text(
        "from pulumi_policy import EnforcementLevel, PolicyPack, ResourceValidationPolicy\n"
        "from rules import all_policies\n"
        "def boom(args, report):\n"
        "    if args.resource_type == 'kubernetes:apps/v1:Deployment':\n"
        "        raise KeyError('spec')\n"
        "PolicyPack(name='crashy', policies=[*all_policies(), ResourceValidationPolicy(\n"
        "    name='k8s-crashes', description='Always crashes on Deployments.', validate=boom)],\n"
        "    enforcement_level=EnforcementLevel.ADVISORY)\n")
    report = run_gate(json.loads(violating_state.read_text()), pack_dir=pack)
    assert {p for p, _, _ in report.crashes} == {"k8s-crashes"}
    assert report.passed is False
    assert any("policy k8s-crashes crashed" in r for r in report.reasons)
    # The other policies' findings on the same resources survive the crash.
    assert "k8s-no-privileged" in {v.policy for v in report.violations}


def test_broken_pack_is_a_usage_error(tmp_path: Path, violating_state: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pack = tmp_path / "broken"
    pack.mkdir()
    (pack / "PulumiPolicy.yaml").write_text("runtime: python\n")
    (pack / "__main__.py").write_text("raise RuntimeError('the pack cannot load')\n")
    assert main(["check", "--state", str(violating_state), "--policy-pack", str(pack)]) == 2
    assert "did not start" in capsys.readouterr().err


# --- the shipped stacks -------------------------------------------------------------------------------


@pytest.mark.parametrize("stack", available_stacks(ROOT))
def test_shipped_stack_passes_and_matches_its_golden_report(stack: str) -> None:
    from offline.docs.golden import golden_text, path_for, report_for

    data = report_for(stack)
    mandatory = [f"{v['policy']} on {v['urn']}: {v['message']}" for v in data["violations"] if v["enforcement"] == "mandatory"]
    assert not mandatory, "\n".join(mandatory)
    assert data["passed"], data["reasons"]
    assert path_for(stack).read_text(encoding="utf-8") == golden_text(data), \
        "stale golden report: run python -m offline generate"


def test_every_shipped_stack_has_a_policy_config() -> None:
    for stack in available_stacks(ROOT):
        assert (PACK_DIR / "config" / f"{stack}.json").is_file(), stack


def test_policy_docs_are_generated_from_the_pack() -> None:
    from offline.docs.policies import DOCS, generate

    assert DOCS.read_text(encoding="utf-8") == generate(), "stale docs/policies.md: run python -m offline.docs.policies"


def test_preview_prints_the_policy_summary(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["preview", "local"]) == 0
    out = capsys.readouterr().out
    assert "Policies (orchestrator-security, " in out and "score 100/100" in out


def test_pack_runs_as_the_engine_runs_it() -> None:
    """`python -m pulumi.policy <engine> <dir>` from the pack dir prints a port (the pack imports nothing of ours)."""
    process = subprocess.Popen([sys.executable, "-u", "-m", "pulumi.policy", "127.0.0.1:1", str(PACK_DIR)],
                               cwd=PACK_DIR, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={"PATH": "/usr/bin"})
    try:
        assert process.stdout is not None
        assert process.stdout.readline().decode().strip().isdigit()
    finally:
        process.terminate()
        process.wait(timeout=5)
    sources = "\n".join(p.read_text() for p in PACK_DIR.rglob("*.py"))
    assert "from components" not in sources and "import offline" not in sources and "from offline" not in sources


def test_workflows_validate_against_the_github_schema() -> None:
    workflows = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
    assert workflows
    result = subprocess.run([str(Path(sys.executable).parent / "check-jsonschema"), "--builtin-schema",
                             "vendor.github-workflows", *map(str, workflows)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    text = (ROOT / ".github" / "workflows" / "pull-request.yml").read_text()
    assert "offline check" in text and "upload-sarif" in text and "pulumi/actions" in text and "policyPackConfigs" in text


def test_report_render_default_is_text() -> None:
    report = _report([("a", "low", "advisory")], production=False)
    assert render(report, "text").startswith("Stack test")
    assert isinstance(report.violations[0], Violation)


def test_an_export_above_the_resource_limit_is_refused_before_any_work(
        violating_state: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    from offline.gate import packstart

    def no_pack(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the pack was started for an export the gate refuses")

    count = len(json.loads(violating_state.read_text())["deployment"]["resources"])
    with monkeypatch.context() as patched:
        patched.setattr(packstart, "start_pack", no_pack)
        assert main(["check", "--state", str(violating_state), "--max-resources", str(count - 1)]) == 2
    assert capsys.readouterr().err.strip() == (
        f"error: state.json has {count} resources; one check judges at most {count - 1} "
        "(raise it with --max-resources N; the time grows linearly, see docs/benchmarks.md)")
    assert main(["check", "--state", str(violating_state), "--max-resources", str(count), "--format", "json"]) == 1
    with pytest.raises(SystemExit) as refused:
        main(["check", "--state", str(violating_state), "--max-resources", "0"])
    assert refused.value.code == 2
    assert "'0' is not a positive whole number" in capsys.readouterr().err


def test_an_export_file_above_the_byte_limit_is_refused_before_it_is_read(violating_state: Path,
                                                                          capsys: pytest.CaptureFixture[str]) -> None:
    from offline.gate.exportfile import BYTES_PER_RESOURCE

    size = violating_state.stat().st_size
    limit = size // BYTES_PER_RESOURCE  # the largest --max-resources whose byte allowance is below the file
    assert limit >= 1, "the fixture export is too small for this test"
    assert main(["check", "--state", str(violating_state), "--max-resources", str(limit)]) == 2
    assert capsys.readouterr().err.strip() == (
        f"error: state file state.json is {size:,} bytes; at most {limit * BYTES_PER_RESOURCE:,} are read "
        f"(with --max-resources {limit}); raise --max-resources to read it")


def test_a_file_that_never_ends_is_refused_after_the_limit() -> None:
    from offline import OfflineError
    from offline.files import read_user_file

    with pytest.raises(OfflineError, match=r"^state file zero is over 4,096 bytes; at most that many are read$"):
        read_user_file(Path("/dev/zero"), "state file zero", max_bytes=4096)


def test_an_export_above_the_value_allowance_is_refused(violating_state: Path, tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    from offline.gate.exportfile import VALUES_PER_RESOURCE

    export = json.loads(violating_state.read_text())
    resources = export["deployment"]["resources"]
    limit = len(resources)  # the resource count is allowed; the values are not
    resources[1]["inputs"]["padding"] = list(range(limit * VALUES_PER_RESOURCE))
    state = tmp_path / "padded.json"
    state.write_text(json.dumps(export), encoding="utf-8")
    assert main(["check", "--state", str(state), "--max-resources", str(limit)]) == 2
    assert capsys.readouterr().err.strip() == (
        f"error: padded.json holds more than {limit * VALUES_PER_RESOURCE:,} property values ({VALUES_PER_RESOURCE} a "
        f"resource with --max-resources {limit}); raise --max-resources to judge it (the time grows linearly, "
        "see docs/benchmarks.md)")
    assert main(["check", "--state", str(state), "--max-resources", str(2 * limit), "--format", "json"]) == 1


def test_judging_past_the_timeout_is_one_error_and_stops_the_pack(tmp_path: Path, violating_state: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    pack = tmp_path / "pack"
    shutil.copytree(PACK_DIR, pack, ignore=shutil.ignore_patterns("__pycache__", "venv"))
    (pack / "__main__.py").write_text(
        "import time\n"
        "from pulumi_policy import EnforcementLevel, PolicyPack, ResourceValidationPolicy\n"
        "from rules import all_policies\n"
        "def slow(args, report):\n"
        "    time.sleep(30)\n"
        "PolicyPack(name='orchestrator-security', policies=[*all_policies(), ResourceValidationPolicy(\n"
        "    name='k8s-slow', description='Never finishes in time.', validate=slow)],\n"
        "    enforcement_level=EnforcementLevel.ADVISORY)\n")
    (pack / "config").mkdir(exist_ok=True)
    started = time.monotonic()
    assert main(["check", "--state", str(violating_state), "--policy-pack", str(pack), "--timeout", "2"]) == 2
    assert time.monotonic() - started < 20
    assert capsys.readouterr().err.strip() == (
        "error: the policy pack did not finish judging within 2 s (--timeout): the export holds more, or more "
        "complex, content than one check is sized for")
    left = subprocess.run(["pgrep", "-f", str(pack)], check=False, capture_output=True)
    assert left.returncode == 1  # no pack left running
