"""Only the named node log agent may run as UID 0 through its Helm values; any other release may not."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.policies.conftest import Findings, resource

RELEASE = "kubernetes:helm.sh/v3:Release"


def release(namespace: str, name: str) -> dict[str, Any]:
    return resource(RELEASE, f"{namespace}-{name}", {
        "name": name, "namespace": namespace, "chart": "opentelemetry-collector", "version": "0.170.0",
        "values": {"securityContext": {"runAsUser": 0}}})


@pytest.mark.parametrize(("namespace", "name", "flagged"), [
    ("monitoring", "otel-log-agent", False),
    ("default", "otel-log-agent", True),
    ("monitoring", "other-agent", True),
])
def test_root_uid_only_for_the_named_log_agent(check: Callable[[list[dict[str, Any]]], Findings],
                                               namespace: str, name: str, flagged: bool) -> None:
    findings = check([release(namespace, name)])
    assert (f"{namespace}-{name}" in findings.get("k8s-helm-release-values", set())) is flagged
