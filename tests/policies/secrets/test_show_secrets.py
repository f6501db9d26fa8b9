"""`check --state` of the shipped stacks' exports, as an offline export writes them (ciphertexts) and as
`pulumi stack export --show-secrets` writes them (plaintexts): both pass with no finding; a literal
password in a --show-secrets export fails, and no report format quotes a plaintext, a fingerprint or
the key the fingerprints are made with."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from offline.cli import main
from offline.gate import encode
from offline.runner.export import to_deployment
from offline.wire import secret_envelope
from tests.helpers import SHIPPED_STACKS, run_stack
from tests.policies.secrets.showsecrets import plaintexts, show_secrets_export

FORMATS = ("text", "json", "markdown", "sarif")


def _check(tmp_path: Path, export: dict[str, Any], stack: str, fmt: str = "json") -> tuple[int, str]:
    state = tmp_path / f"{stack}-export.json"
    state.write_text(json.dumps(export))
    out = tmp_path / f"{stack}-report.{fmt}"
    code = main(["check", "--state", str(state), "--stack", stack, "--format", fmt, "--output", str(out)])
    return code, out.read_text()


@pytest.mark.parametrize("show", [False, True], ids=["ciphertexts", "show-secrets"])
@pytest.mark.parametrize("stack", SHIPPED_STACKS)
def test_a_shipped_export_passes_with_no_finding(tmp_path: Path, stack: str, show: bool) -> None:
    result = run_stack(stack)
    export = show_secrets_export(result) if show else to_deployment(result)
    assert bool(plaintexts(export)) == show  # the export really carries plaintexts, or really none
    code, text = _check(tmp_path, export, stack)
    report = json.loads(text)
    assert (code, report["passed"], report["score"]) == (0, True, 100)
    assert report["violations"] == [] and report["unverifiable"] == [] and report["errors"] == []


def _resource(export: dict[str, Any], type_: str, name: str) -> dict[str, Any]:
    return next(r for r in export["deployment"]["resources"]
                if r["type"] == type_ and r["urn"].rsplit("::", 1)[-1] == name)


def test_no_report_quotes_a_plaintext_a_fingerprint_or_the_key(tmp_path: Path) -> None:
    export = show_secrets_export(run_stack("production"))
    primary = _resource(export, "aws:rds/instance:Instance", "database-primary")
    assert primary["propertyDependencies"]["password"]  # still wired to its generator: the value decides
    for side in ("inputs", "outputs"):
        primary[side]["password"] = secret_envelope(plaintext=json.dumps("hunter2hunter2"))
        blue = _resource(export, "kubernetes:apps/v1:Deployment", "app-blue")[side]
        blue["spec"]["template"]["spec"]["containers"][0]["image"] = secret_envelope(plaintext='"nginx"')
    secrets = [*plaintexts(export), "hunter2hunter2"]
    key = encode._RUN_KEY
    forbidden = [*secrets, "[secret:", key.hex(), base64.b64encode(key).decode(), base64.urlsafe_b64encode(key).decode()]
    for fmt in FORMATS:
        code, text = _check(tmp_path, export, "production", fmt)
        assert code == 1, fmt
        assert "aws-rds-auth" in text and "database-primary" in text, fmt
        assert "equals no random.RandomPassword result" in text, fmt
        assert "k8s-image-pinned" in text and ".image" in text, fmt  # unverifiable, named
        leaked = [s[:6] + "..." for s in forbidden if s in text]
        assert leaked == [], (fmt, leaked)
