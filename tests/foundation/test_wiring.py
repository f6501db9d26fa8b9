"""How __main__.py wires the components, checked on every shipped stack."""

from __future__ import annotations

import pytest

from offline.runner.stacks import ROOT, available_stacks
from tests.helpers import find, plain, run_stack

MONITOR_TYPES = (
    "kubernetes:monitoring.coreos.com/v1:PodMonitor",
    "kubernetes:monitoring.coreos.com/v1:ServiceMonitor",
    "kubernetes:monitoring.coreos.com/v1:PrometheusRule",
)
RELEASE = "kubernetes:helm.sh/v3:Release"


@pytest.mark.parametrize("stack", available_stacks(ROOT))
def test_every_monitor_waits_for_the_release_that_installs_its_crd(stack: str) -> None:
    result = run_stack(stack)
    operator = [r for r in find(result, RELEASE) if plain(r.inputs).get("chart") == "kube-prometheus-stack"]
    assert len(operator) == 1
    monitors = [r for type_ in MONITOR_TYPES for r in find(result, type_)]
    assert monitors
    for monitor in monitors:
        assert operator[0].urn in monitor.dependencies, f"{monitor.urn} may be created before its CRD exists"


def test_monitors_are_left_out_when_monitoring_is_off() -> None:
    result = run_stack("local", "monitoring.enabled=false")
    assert not [r for type_ in MONITOR_TYPES for r in find(result, type_)]


@pytest.mark.parametrize("stack", available_stacks(ROOT))
def test_every_kubernetes_object_goes_through_the_stack_cluster_provider(stack: str) -> None:
    result = run_stack(stack)
    providers = {r.urn for r in find(result, "pulumi:providers:kubernetes")}
    assert len(providers) == 1
    for record in result.resources:
        if record.type.startswith("kubernetes:") and record.custom:
            assert record.provider.rsplit("::", 1)[0] in providers, record.urn


@pytest.mark.parametrize("stack", available_stacks(ROOT))
def test_every_stack_output_has_a_value(stack: str) -> None:
    """A consumer that reads an output the mocks do not produce exports None or '': caught here."""
    outputs = plain(run_stack(stack).outputs)
    expected = {
        "platform", "activeSlot", "canaryWeight", "publicHostname", "edgeAddress", "edgeConfigChecksum",
        "appNamespace", "databaseEndpoint", "databaseReaderEndpoint", "cacheEndpoint", "grafanaService",
        "prometheusUrl", "kubeconfig",
    }
    assert set(outputs) == expected
    for key, value in outputs.items():
        assert value not in (None, "", [], {}), f"{stack}: output {key} is empty"
        assert "None" not in str(value), f"{stack}: output {key} embeds a missing value: {value}"
