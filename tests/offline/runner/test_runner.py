"""`python -m offline`: tree, export in Pulumi's deployment shape, --set paths, exit codes."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from offline import OfflineError
from offline.cli import main
from offline.runner.stacks import ROOT, available_stacks, load_stack, parse_path
from tests.helpers import run_stack, tree_rows

SHIPPED = available_stacks(ROOT)
URN = re.compile(r"^urn:pulumi:(?P<stack>[^:]+)::orchestrator::(?P<type>[^:]+(:[^:]+)*?)::(?P<name>.+)$")


def test_set_path_syntax() -> None:
    assert parse_path('app.slots.green') == ["app", "slots", "green"]
    assert parse_path('edge.internalCidrs[1]') == ["edge", "internalCidrs", 1]
    assert parse_path('app.env["LOG.LEVEL"]') == ["app", "env", "LOG.LEVEL"]
    with pytest.raises(OfflineError, match="not valid"):
        parse_path("app..slots")


def test_overrides_type_values_like_pulumi_config_set_path() -> None:
    spec = load_stack("production").with_overrides(
        ["app.canaryWeight=25", "app.activeSlot=green", "edge.internalCidrs[1]=10.99.0.0/16", "cluster.publicEndpoint=false"]
    )
    namespace = spec.namespace()
    assert namespace["app"]["canaryWeight"] == 25
    assert namespace["app"]["activeSlot"] == "green"
    assert namespace["edge"]["internalCidrs"] == ["10.40.0.0/16", "10.99.0.0/16"]
    assert namespace["cluster"]["publicEndpoint"] is False
    # The stack file itself is untouched.
    assert load_stack("production").namespace()["app"]["canaryWeight"] == 0


@pytest.mark.parametrize("stack", SHIPPED)
def test_every_stack_previews_and_exports(stack: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / f"{stack}.json"
    assert main(["preview", stack, "--no-policy", "--export", str(target)]) == 0
    out = capsys.readouterr().out
    assert "pulumi:pulumi:Stack" in out and f"orchestrator-{stack}" in out
    result = run_stack(stack)
    summary = re.search(r"\+ (\d+) to create", out)
    assert summary and int(summary.group(1)) == len(result.resources) + 1
    # Every component appears in the tree under its parent.
    expected = sorted([f"orchestrator-{stack}", *(record.name for record in result.resources)])
    assert sorted(name for _, name in tree_rows(out)) == expected
    deployment = json.loads(target.read_text())
    check_deployment_shape(deployment, stack)


def check_deployment_shape(deployment: dict[str, Any], stack: str) -> None:
    assert deployment["version"] == 3
    manifest = deployment["deployment"]["manifest"]
    assert manifest["version"].startswith("v3.") and len(manifest["magic"]) == 64
    resources = deployment["deployment"]["resources"]
    seen: set[str] = set()
    providers: set[str] = set()
    assert resources[0]["type"] == "pulumi:pulumi:Stack"
    assert resources[0]["urn"] == f"urn:pulumi:{stack}::orchestrator::pulumi:pulumi:Stack::orchestrator-{stack}"
    for resource in resources:
        match = URN.match(resource["urn"])
        assert match, resource["urn"]
        assert match["stack"] == stack
        assert "pulumi:pulumi:Stack$" not in resource["urn"]
        assert match["type"].split("$")[-1] == resource["type"]
        # Ordering: parents, providers and dependencies come first.
        if "parent" in resource:
            assert resource["parent"] in seen
            parent_type = URN.match(resource["parent"])["type"].split("$")[-1]  # type: ignore[index]
            if parent_type != "pulumi:pulumi:Stack":
                assert match["type"].split("$")[-2] == parent_type
        for dependency in resource.get("dependencies", []):
            assert dependency in seen, (resource["urn"], dependency)
        if resource["custom"]:
            assert resource["id"]
            if not resource["type"].startswith("pulumi:providers:"):
                provider_urn, provider_id = resource["provider"].rsplit("::", 1)
                assert provider_urn in providers and provider_id
        if resource["type"].startswith("pulumi:providers:"):
            providers.add(resource["urn"])
        seen.add(resource["urn"])
    for resource in resources:
        if resource["type"].startswith("pulumi:providers:") and resource["urn"].split("::")[-1].startswith("default_"):
            # Default providers are named after the SDK version the program runs with.
            assert re.fullmatch(r"default_\d+_\d+_\d+", resource["urn"].split("::")[-1])


@pytest.mark.parametrize("stack", SHIPPED)
def test_the_program_also_completes_with_unknowns(stack: str) -> None:
    known = run_stack(stack)
    previewed = run_stack(stack, preview=True)
    assert sorted(r.urn for r in previewed.resources) == sorted(r.urn for r in known.resources)


def test_unknown_stack_lists_the_stacks(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["preview", "qa", "--no-policy"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == "error: unknown stack 'qa'; stacks here: local, production, production-azure, staging"


def test_bad_override_is_one_line_exit_2_without_traceback() -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "offline", "preview", "production", "--set", "app.activeSlot=purple"],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
    )
    assert completed.returncode == 2
    lines = completed.stderr.strip().splitlines()
    assert lines == ["error: --set app.activeSlot: orchestrator:app.activeSlot is 'purple'; use one of blue or green"]
    assert "Traceback" not in completed.stdout + completed.stderr
    assert "Previewing" not in completed.stdout  # nothing was declared


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["preview", "production", "--set", "app.activeSlot"]) == 2
    assert "needs KEY=VALUE" in capsys.readouterr().err
    with pytest.raises(SystemExit) as caught:
        main(["preveiw", "production"])
    assert caught.value.code == 2


def test_a_program_bug_exits_1_with_one_line(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    import offline.runner.program

    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("boom\nsecond line")

    monkeypatch.setattr(offline.runner.program, "run_program", broken)
    assert main(["preview", "staging", "--no-policy"]) == 1
    err = capsys.readouterr().err
    assert err.strip() == ("error: the program failed: RuntimeError: boom "
                           "(rerun with --debug, e.g. `python -m offline check --debug ...`, for the traceback)")


def test_secrets_print_as_secret(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["preview", "staging", "--no-policy"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"kubeconfig:\s+\[secret\]", out)


def test_config_reference_is_current() -> None:
    from offline.docs import config as configdocs

    assert configdocs.DOCS_PATH.read_text(encoding="utf-8") == configdocs.render(), "run: python -m offline config-docs"


def test_project_file_declarations_follow_pulumis_schema() -> None:
    import yaml
    from pydantic import BaseModel

    from components.config import StackConfig

    project = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())
    assert project["name"] == "orchestrator"
    assert project["runtime"] == {"name": "python", "options": {"toolchain": "pip", "virtualenv": ".venv"}}
    declared = project["config"]
    # Every top-level setting is declared, so `pulumi config` users see it; sections are objects
    # whose defaults live in the model (a project default would shadow the model's per-key ones).
    assert set(declared) == {f"orchestrator:{field.alias or name}" for name, field in StackConfig.model_fields.items()}
    for key, declaration in declared.items():
        assert declaration["description"], key
        annotation = StackConfig.model_fields[key.split(":", 1)[1]].annotation
        structured = isinstance(annotation, type) and issubclass(annotation, BaseModel)
        assert declaration["type"] == ("object" if structured else "string"), key
        assert ("default" in declaration) is not structured, key


SET_VALUES = st.one_of(
    st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=30),
    st.integers(min_value=-10**6, max_value=10**6).map(str),
    st.sampled_from(["true", "false", "", "-1", "1e9", "[]", "{}", "null", "0.0.0.0/0", "latest"]),
)
SET_KEYS = st.sampled_from([
    "app.activeSlot", "app.canaryWeight", "app.slots.green", "app.autoscaling.minReplicas", "app.port",
    "app.resources.limits.memory", "edge.tls.minVersion", "edge.internalCidrs[0]", "edge.rateLimit.requests",
    "database.replicas", "cache.shards", "platform", "environment", "network.cidr", "app.typo", "cluster.nodes.minSize",
])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(key=SET_KEYS, value=SET_VALUES)
def test_fuzzed_overrides_through_the_cli_give_one_line_never_a_traceback(
    key: str, value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["preview", "production", "--no-policy", "--set", f"{key}={value}"])
    err = capsys.readouterr().err
    assert code in (0, 2), err
    if code == 2:
        lines = err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: "), err
        assert "Traceback" not in err
        assert key.split(".", maxsplit=1)[0].split("[", maxsplit=1)[0] in lines[0] or "--set" in lines[0], lines[0]
