"""Every chart the program installs is pinned once, in components/charts.py, to a version checked
against its repository's index."""

from __future__ import annotations

import datetime as dt

import pytest

from components.charts import CHARTS
from offline.fresh.cluster import CHART_TYPES
from offline.runner.export import unwrap
from offline.runner.stacks import available_stacks
from tests.helpers import run_stack


@pytest.mark.parametrize("stack", available_stacks())
def test_every_installed_chart_is_the_pinned_one(stack: str) -> None:
    installed = [unwrap(r.inputs) for r in run_stack(stack).resources if r.type in CHART_TYPES]
    assert installed
    for inputs in installed:
        pin = CHARTS[inputs["chart"]]
        assert (inputs["version"], inputs["repositoryOpts"]["repo"]) == (pin.version, pin.repository)


def test_monitoring_installs_the_pinned_kube_prometheus_stack() -> None:
    from components.monitoring import values

    assert ("kube-prometheus-stack", CHARTS["kube-prometheus-stack"].version) == (values.CHART, values.CHART_VERSION)


def test_pins_were_checked_and_say_what_they_install() -> None:
    for pin in CHARTS.values():
        assert dt.date.fromisoformat(pin.checked) <= dt.date.today()
        # API groups are DNS names; charts that install no CRD (collector, Jaeger, Loki) provide none.
        assert all("." in group for group in (*pin.provides, *pin.requires)), pin.chart
    assert {pin.chart for pin in CHARTS.values() if pin.provides} >= {
        "cloudnative-pg", "plugin-barman-cloud", "redis-operator", "aws-load-balancer-controller", "kube-prometheus-stack"}
    # Versions that were pinned but never published in the repositories' index.yaml.
    assert CHARTS["cloudnative-pg"].version != "0.29.1"
    assert CHARTS["plugin-barman-cloud"].version != "0.8.1"
