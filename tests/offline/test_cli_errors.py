"""Every bad file or path a user can hand the offline CLI: one line naming it, exit 2, no exception name."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from offline.cli import blame_overrides, main
from offline.runner.stacks import load_stack

ROOT = Path(__file__).resolve().parents[2]
EXCEPTION_NAME = re.compile(r"\b[A-Z][A-Za-z]+(Error|Exception)\b|Traceback")


def one_line_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    with pytest.raises(SystemExit) as done:
        code = main(argv)
        raise SystemExit(code)
    assert done.value.code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    assert not EXCEPTION_NAME.search(err), err
    return err


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    shutil.copy(ROOT / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    return tmp_path


@pytest.mark.parametrize(("content", "expected"), [
    ("config: {}\n".encode("utf-16"), "is UTF-16 text; save it as UTF-8"),
    (b"config:\n  orchestrator:platform: caf\xe9\n", "is not UTF-8 (byte 0xe9 at offset 36)"),
    (b"config:\n  - a\n", "config: must be a mapping of <namespace>:<key> settings, not a list"),
    (b"- just\n- a list\n", "the stack file must be a mapping, not a list"),
    (b"config:\n  orchestrater:monitoring: {}\n", "unknown namespace 'orchestrater'"),
    (b"config:\n  orchestrator:platform: aws\n  orchestrator:platform: azure\n",
     "line 3: not valid YAML: key 'orchestrator:platform' appears twice"),
    (b"config: [unclosed\n", "Pulumi.bad.yaml: line"),
])
def test_bad_stack_files_are_one_line(project: Path, content: bytes, expected: str) -> None:
    (project / "Pulumi.bad.yaml").write_bytes(content)
    from offline import OfflineError

    with pytest.raises(OfflineError) as error:
        load_stack("bad", project)
    assert expected in str(error.value)
    assert str(error.value).startswith("Pulumi.bad.yaml")


def test_stack_file_that_is_a_directory(project: Path) -> None:
    (project / "Pulumi.bad.yaml").mkdir()
    from offline import OfflineError

    with pytest.raises(OfflineError, match=r"^Pulumi.bad.yaml: the stack file is a directory, not a file$"):
        load_stack("bad", project)


def test_missing_project_file(tmp_path: Path) -> None:
    (tmp_path / "Pulumi.bad.yaml").write_text("config: {}\n")
    from offline import OfflineError

    with pytest.raises(OfflineError, match=r"^Pulumi.yaml: the project file does not exist in "):
        load_stack("bad", tmp_path)


@pytest.mark.parametrize(("argv", "expected"), [
    (["preview", "production", "--export", "{tmp}"], "argument --export: {tmp} is a directory; give a file path"),
    (["check", "production", "--output", "{tmp}"], "argument --output: {tmp} is a directory; give a file path"),
    (["render", "production", "--out", "{file}"], "argument --out: {file} is a file; give a directory"),
    (["render", "production", "--out", "{file}/sub"], "argument --out: {file}/sub lies under {file}, which is a file"),
    (["preview", "production", "--export", "{file}/x.json"], "lies under {file}, which is a file"),
    (["preview", "production", "--no-policy", "--set", "database.password=hunter2"], "--set database.password: "),
    (["preview", "no/such/../stack"], "unknown stack 'no/such/../stack'"),
])
def test_bad_paths_are_refused_before_any_work(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                               argv: list[str], expected: str) -> None:
    afile = tmp_path / "afile"
    afile.write_text("")
    values = {"tmp": str(tmp_path), "file": str(afile)}
    err = one_line_exit_2([a.format(**values) for a in argv], capsys)
    assert expected.format(**values) in err


def test_debug_is_accepted_after_the_subcommand(capsys: pytest.CaptureFixture[str]) -> None:
    err = one_line_exit_2(["preview", "nosuch", "--debug"], capsys)
    assert "unknown stack 'nosuch'" in err


def test_set_errors_blame_set_not_the_stack_file(capsys: pytest.CaptureFixture[str]) -> None:
    err = one_line_exit_2(["preview", "production", "--no-policy", "--set", "app.activeSlot=purple"], capsys)
    assert err == "error: --set app.activeSlot: orchestrator:app.activeSlot is 'purple'; use one of blue or green"


@pytest.mark.parametrize(("message", "overrides", "expected"), [
    ("Pulumi.p.yaml: orchestrator:app.activeSlot is 'x'; use blue", ["app.activeSlot=x"], "--set app.activeSlot: "),
    ("Pulumi.p.yaml: orchestrator:app.slots.green is 'x'", ["app.slots={}"], "--set app.slots: "),
    ("Pulumi.p.yaml: orchestrator:edge.internalCidrs[0] is 'x'", ["edge.internalCidrs[0]=x"], "--set edge."),
    ("Pulumi.p.yaml: orchestrator:app.activeSlot is 'x'", ["app.canaryWeight=10"], "Pulumi.p.yaml: "),
    ("Pulumi.p.yaml: orchestrator:app.activeSlot is 'x'", [], "Pulumi.p.yaml: "),
])
def test_blame_overrides(message: str, overrides: list[str], expected: str) -> None:
    assert blame_overrides(message, overrides).startswith(expected)


def test_python_without_dependencies_points_at_the_venv(tmp_path: Path) -> None:
    # A Python that has none of the project's dependencies: the interpreter in isolated mode without site-packages.
    result = subprocess.run([sys.executable, "-S", "-m", "offline", "preview", "production"], cwd=ROOT,
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 2
    assert "run `.venv/bin/python -m offline`" in result.stderr
    assert "ModuleNotFoundError" not in result.stderr


def test_ops_without_dependencies_points_at_the_venv() -> None:
    result = subprocess.run([sys.executable, "-S", "-m", "ops", "rollout", "production"], cwd=ROOT,
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 2
    assert "run `.venv/bin/python -m ops`" in result.stderr


@pytest.mark.parametrize(("codes", "expected"), [((0, 0, 0), 0), ((0, 1, 0), 1), ((1, 0, 0), 1), ((0, 0, 1), 1)])
def test_generate_check_fails_when_any_generator_is_stale(monkeypatch: pytest.MonkeyPatch,
                                                         codes: tuple[int, int, int], expected: int) -> None:
    from offline import cli
    from offline.docs import golden as report_golden
    from offline.docs import policies as report_docs

    seen: list[list[str]] = []
    monkeypatch.setattr(cli, "_config_docs", lambda args: codes[0])
    monkeypatch.setattr(report_docs, "main", lambda argv: seen.append(argv) or codes[1])
    monkeypatch.setattr(report_golden, "main", lambda argv: seen.append(argv) or codes[2])
    assert main(["generate", "--check"]) == expected
    assert seen == [["--check"], ["--check"]]
