"""The typed stack config: shipped stacks parse, cross-field rules hold, bad input is one clear line."""

from __future__ import annotations

import copy
import re
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from components.config import CANARY_WEIGHTS, ConfigError, Environment, Platform, Slot, StackConfig, namespace_values, parse
from offline.runner.stacks import ROOT, available_stacks

SHIPPED = available_stacks(ROOT)


def raw(stack: str) -> dict[str, Any]:
    data = yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text())["config"]
    return namespace_values(data)


def with_value(values: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    changed = copy.deepcopy(values)
    node = changed
    parts = path.split(".")
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    node[parts[-1]] = value
    return changed


def error_of(values: dict[str, Any], stack: str = "production") -> str:
    with pytest.raises(ConfigError) as caught:
        parse(values, stack)
    return str(caught.value)


def test_every_shipped_stack_parses() -> None:
    assert set(SHIPPED) == {"local", "production", "production-azure", "staging"}
    platforms = {stack: parse(raw(stack), stack).platform for stack in SHIPPED}
    assert platforms == {
        "production": Platform.AWS,
        "staging": Platform.AWS,
        "production-azure": Platform.AZURE,
        "local": Platform.KUBERNETES,
    }


@pytest.mark.parametrize("stack", ["production", "production-azure"])
def test_production_defaults_meet_the_requirements(stack: str) -> None:
    config = parse(raw(stack), stack)
    assert config.environment is Environment.PRODUCTION
    scaling = config.app.autoscaling
    assert (scaling.min_replicas, scaling.max_replicas, scaling.cpu_utilization, scaling.memory_utilization) == (3, 20, 70, 80)
    assert config.app.resources.limits.memory == "512Mi"
    assert (config.app.probes.liveness.initial_delay_seconds, config.app.probes.liveness.period_seconds) == (30, 10)
    assert (config.app.probes.readiness.initial_delay_seconds, config.app.probes.readiness.period_seconds) == (15, 5)
    assert config.database.replicas == 2
    assert config.cache.shards == 3
    assert config.app.slot_min_replicas(config.app.inactive_slot) >= 3


def test_weights_follow_the_canary_share() -> None:
    values = raw("production")
    for weight in CANARY_WEIGHTS:
        app = parse(with_value(values, "app.canaryWeight", weight), "production").app
        assert app.slot_weight(Slot.BLUE) == 100 - weight
        assert app.slot_weight(Slot.GREEN) == weight


def test_numbers_arrive_as_text_or_floats() -> None:
    values = with_value(raw("production"), "app.canaryWeight", "25")
    assert parse(values, "production").app.canary_weight == 25
    values = with_value(raw("production"), "app.autoscaling.minReplicas", 4.0)
    assert parse(values, "production").app.autoscaling.min_replicas == 4


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        ("app.activeSlot", "purple", "orchestrator:app.activeSlot is 'purple'; use one of blue or green"),
        ("app.canaryWeight", 30, "orchestrator:app.canaryWeight is 30; use one of 0, 10, 25, 50, 75, 100"),
        ("app.slots.green", "latest", "orchestrator:app.slots.green is 'latest'; use an immutable tag or digest"),
        ("platform", "gcp", "orchestrator:platform is 'gcp'; use one of aws, azure or kubernetes"),
        ("database.replicas", 1, "orchestrator:database.replicas is 1; use a number >= 2"),
        ("edge.internalCidrs", ["10.0.0.1/8"], "orchestrator:edge.internalCidrs[0] is '10.0.0.1/8'; use a CIDR block"),
        ("app.tiemout", 3, "orchestrator:app.tiemout is not a known setting"),
    ],
)
def test_bad_values_name_key_value_and_what_is_allowed(path: str, value: Any, expected: str) -> None:
    message = error_of(with_value(raw("production"), path, value))
    assert message.startswith("Pulumi.production.yaml: ")
    assert expected in message
    assert "\n" not in message


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        ("app.autoscaling.minReplicas", 25, "minReplicas (25) must not exceed maxReplicas (20)"),
        ("app.resources.limits.memory", "1Gi", "above the 512Mi ceiling"),
        ("app.resources.requests.memory", "600Mi", "limits.memory"),
        ("app.standbyMinReplicas", 1, "production needs app.standbyMinReplicas >= 3"),
        ("edge.tls.certificate", "self-signed", "production needs edge.tls.certificate"),
        ("database.username", "postgres", "default/reserved admin name"),
    ],
)
def test_cross_field_rules(path: str, value: Any, expected: str) -> None:
    assert expected in error_of(with_value(raw("production"), path, value))


def test_production_refuses_an_hpa_minimum_under_three() -> None:
    values = with_value(raw("production"), "app.autoscaling.minReplicas", 2)
    assert "production needs app.autoscaling.minReplicas >= 3" in error_of(values)
    # The same value is allowed outside production.
    assert parse(with_value(raw("staging"), "app.autoscaling.minReplicas", 2), "staging").app.autoscaling.min_replicas == 2


def test_canary_needs_both_slots() -> None:
    values = with_value(raw("local"), "app.canaryWeight", 10)
    assert "canaryWeight > 0 needs both app.slots.blue and app.slots.green set" in error_of(values, "local")


def test_literal_secret_env_is_refused() -> None:
    values = with_value(raw("staging"), "app.env", {"DATABASE_PASSWORD": "hunter2"})
    message = error_of(values, "staging")
    assert "env.DATABASE_PASSWORD looks like a secret" in message
    assert "hunter2" not in message  # the error line never echoes the literal


# --- property-based: any bad value anywhere gives one clear line, never a traceback ------------

def _leaf_paths(value: Any, prefix: str = "") -> list[str]:
    if isinstance(value, dict):
        paths: list[str] = []
        for key, child in value.items():
            paths.extend(_leaf_paths(child, f"{prefix}.{key}" if prefix else key))
        return paths
    return [prefix]


PRODUCTION = raw("production")
LEAVES = sorted(set(_leaf_paths(PRODUCTION)) | {"app.canaryWeight", "app.activeSlot", "app.port", "cache.shards"})
JUNK = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-10**12, max_value=10**12),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=40),
    st.lists(st.text(max_size=8), max_size=3),
    st.dictionaries(st.text(max_size=8), st.integers(), max_size=3),
)
ONE_LINE = re.compile(r"^Pulumi\.production\.yaml: orchestrator(:[A-Za-z0-9_.\[\]-]+)?[ :][^\n]+$")


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(path=st.sampled_from(LEAVES), value=JUNK)
def test_fuzzed_values_give_one_clear_line(path: str, value: Any) -> None:
    values = with_value(PRODUCTION, path, value)
    try:
        parsed = parse(values, "production")
    except ConfigError as error:
        message = str(error)
        assert ONE_LINE.match(message), message
        # The line names the key, or for a cross-field rule the keys involved.
        top = path.split(".", maxsplit=1)[0]
        assert f"orchestrator:{top}" in message or f" {top}." in message, (path, message)
    else:
        assert isinstance(parsed, StackConfig)
