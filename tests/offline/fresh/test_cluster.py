"""The fresh-cluster check: every custom resource waits for what installs its CRD."""

from __future__ import annotations

import pytest

from offline.fresh.cluster import check, crd_provenance
from offline.runner.mocks import Registration
from offline.runner.stacks import available_stacks, load_stack
from tests.helpers import run_stack

CERTIFICATE = "kubernetes:cert-manager.io/v1:Certificate"


@pytest.mark.parametrize("stack", available_stacks())
def test_no_shipped_stack_has_a_custom_resource_without_crd_provenance(stack: str) -> None:
    findings, _ = check(run_stack(stack).resources, load_stack(stack).namespace())
    assert [f.message for f in findings] == []


def _record(urn: str, type_: str, inputs: dict[str, object] | None = None, deps: list[str] | None = None,
            parent: str = "") -> Registration:
    return Registration(urn=urn, type=type_, name=urn, custom=True, parent=parent, inputs=inputs or {},
                        dependencies=deps or [])


def test_a_custom_resource_that_does_not_wait_for_its_chart_is_named() -> None:
    chart = _record("chart", "kubernetes:helm.sh/v4:Chart", {"chart": "redis-operator"})
    cluster = _record("redis", "kubernetes:redis.redis.opstreelabs.in/v1beta2:RedisCluster")
    findings = crd_provenance([chart, cluster])
    assert [(f.check, f.urn) for f in findings] == [("crd-provenance", "redis")]
    assert "redis.redis.opstreelabs.in" in findings[0].message and "depends_on=['chart']" in findings[0].message
    waiting = _record("redis", cluster.type, deps=["chart"])
    assert crd_provenance([chart, waiting]) == []


def test_waiting_for_a_component_waits_for_the_crd_inside_it() -> None:
    component = Registration(urn="comp", type="orchestrator:x:X", name="comp", custom=False, parent="", inputs={})
    crd = _record("crd", "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition",
                  {"spec": {"group": "cert-manager.io"}}, parent="comp")
    certificate = _record("cert", CERTIFICATE, deps=["comp"])
    assert crd_provenance([component, crd, certificate]) == []


def test_a_group_nothing_installs_fails_unless_declared_preinstalled() -> None:
    certificate = _record("cert", CERTIFICATE)
    [finding] = crd_provenance([certificate])
    assert "cert-manager.io" in finding.message and "cluster.preinstalledApiGroups" in finding.message
    assert crd_provenance([certificate], ["cert-manager.io"]) == []


def test_built_in_kinds_need_no_crd() -> None:
    resources = [_record("d", "kubernetes:apps/v1:Deployment"), _record("n", "kubernetes:networking.k8s.io/v1:NetworkPolicy"),
                 _record("s", "kubernetes:core/v1:Secret")]
    assert crd_provenance(resources) == []


def test_preview_lists_the_api_groups_declared_preinstalled(capsys: pytest.CaptureFixture[str]) -> None:
    from offline.cli import main

    code = main(["preview", "production", "--no-policy", "--set", "edge.tls.certificate=cert-manager",
                 "--set", "edge.tls.issuer=letsencrypt-production", "--set", "cluster.preinstalledApiGroups[0]=cert-manager.io"])
    out = capsys.readouterr().out
    assert code == 0
    assert "First-deploy prerequisites: CRDs of cert-manager.io" in out
    assert "kubernetes:cert-manager.io/v1:Certificate" in out and "fresh cluster:" not in out
