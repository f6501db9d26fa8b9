"""Rollouts gated by a real Prometheus scraping a local exporter (happy path, rollback, fail closed)."""

from __future__ import annotations

import io
import threading
import time

import pytest

from components.config import Slot, StackConfig
from ops.health import GateReading
from ops.rollout import EXIT_OK, EXIT_ROLLED_BACK, Result, Rollout, plan_rollout, prometheus_gate
from tests.helpers import stack_config
from tests.ops.harness import FakeStackOperations, PrometheusHarness, free_port, route_traffic

pytestmark = pytest.mark.slow

BAKE = "rollout.bakeSeconds=2"
WINDOW = "rollout.windowSeconds=1"
MIN_REQUESTS = "rollout.minRequests=20"
FULL = [
    {"app.canaryWeight": "10"}, {"app.canaryWeight": "25"}, {"app.canaryWeight": "50"},
    {"app.canaryWeight": "75"}, {"app.canaryWeight": "100"},
    {"app.activeSlot": "green", "app.canaryWeight": "0"},
]
ROLLBACK = {"app.activeSlot": "blue", "app.canaryWeight": "0"}


def _rollout(prometheus: PrometheusHarness, namespace: str, *extra: str,
             fault: tuple[int, dict[str, object]] | None = None) -> tuple[FakeStackOperations, Result, str]:
    config = stack_config(f"app.namespace={namespace}", BAKE, WINDOW, MIN_REQUESTS,
                          f"rollout.prometheusUrl={prometheus.url}", *extra)
    exporter = prometheus.exporter
    route = route_traffic(exporter, namespace)
    exporter.reset(namespace)
    route(config)

    def on_apply(applied: StackConfig) -> None:
        route(applied)
        if fault is not None and applied.app.canary_weight == fault[0]:
            exporter.update(namespace, Slot.GREEN, **fault[1])

    ops = FakeStackOperations(config, on_apply=on_apply)
    out = io.StringIO()
    plan = plan_rollout(config, "production", Slot.GREEN)
    result = Rollout(ops, prometheus_gate(config, Slot.GREEN), plan, out=out).run()
    return ops, result, out.getvalue()


def test_healthy_slot_walks_every_step_and_finalizes(prometheus: PrometheusHarness) -> None:
    ops, result, output = _rollout(prometheus, "ops-happy")
    assert ops.applied == FULL
    assert result.exit_code == EXIT_OK
    assert result.state == {"app.activeSlot": "green", "app.canaryWeight": "0"}
    readings = result.readings
    assert [r.ok for r in readings] == [True] * 5
    for reading in readings:
        assert reading.error_rate == 0.0 and reading.requests is not None and reading.requests >= 20
        # Every request takes 40 ms: histogram_quantile interpolates inside the (25 ms, 50 ms] bucket.
        assert 0.025 < reading.p95_seconds <= 0.05
        assert reading.ready_replicas == 3
    assert ops.config.app.active_slot is Slot.GREEN and ops.config.app.canary_weight == 0
    # Progress: each step, its weight, the gate's figures, elapsed time.
    assert "step 2/5: 25 % of traffic to green" in output
    assert "requests in 2s (min 20), error rate 0.000 % (max 0.1 %), p95 " in output
    assert "ready 3 (min 3) -> healthy" in output
    assert "done: green is active with canary 0 % (production)" in output
    assert "RESULT (exit 0): green is active with canary 0 %" in output
    assert "config of production now (re-read): app.activeSlot=green, app.canaryWeight=0" in output
    assert output.startswith("[00:00] ")


def test_error_rate_above_slo_at_step_25_rolls_back_to_zero(prometheus: PrometheusHarness) -> None:
    ops, result, output = _rollout(prometheus, "ops-errors", fault=(25, {"error_ratio": 0.05}))
    assert ops.applied == [*FULL[:2], ROLLBACK]
    assert result.exit_code == EXIT_ROLLED_BACK
    assert ops.config.app.canary_weight == 0 and ops.config.app.active_slot is Slot.BLUE
    passed, failed = result.readings
    assert passed.ok and passed.error_rate == 0.0
    assert not failed.ok and failed.error_rate > 0.001
    assert any("error rate" in reason and "is above 0.1 %" in reason for reason in failed.failures)
    assert "step 2/5: gate FAILED: error rate " in output
    assert "RESULT (exit 1): green failed step 2/5's gate (" in output
    assert "config of production now (re-read): app.activeSlot=blue, app.canaryWeight=0" in output


def test_latency_above_slo_rolls_back(prometheus: PrometheusHarness) -> None:
    ops, result, _ = _rollout(prometheus, "ops-latency", "rollout.steps[0]=50", "rollout.steps[1]=100",
                              fault=(50, {"latency": 0.4}))
    assert ops.applied == [{"app.canaryWeight": "50"}, ROLLBACK]
    (failed,) = result.readings
    assert failed.error_rate == 0.0 and failed.p95_seconds > 0.2
    assert any(reason.startswith("p95 ") and "is above 200 ms" in reason for reason in failed.failures)
    assert result.exit_code == EXIT_ROLLED_BACK


def test_unready_replicas_fail_the_gate(prometheus: PrometheusHarness) -> None:
    ops, result, _ = _rollout(prometheus, "ops-ready", "rollout.steps[0]=100", "rollout.minReadyReplicas=4")
    assert ops.applied == [{"app.canaryWeight": "100"}, ROLLBACK]
    (failed,) = result.readings
    assert "3 ready replicas, fewer than 4 (it is about to take all traffic)" in failed.failures


def test_unreachable_prometheus_fails_closed(prometheus: PrometheusHarness) -> None:
    closed = f"http://127.0.0.1:{free_port()}"
    config = stack_config("app.namespace=ops-cli", "rollout.bakeSeconds=2", f"rollout.prometheusUrl={closed}")
    ops = FakeStackOperations(config)
    out = io.StringIO()
    result = Rollout(ops, prometheus_gate(config, Slot.GREEN), plan_rollout(config, "production", Slot.GREEN), out=out).run()
    assert ops.applied == [{"app.canaryWeight": "10"}, ROLLBACK]
    assert result.exit_code == EXIT_ROLLED_BACK
    (reading,) = result.readings
    assert reading.error_rate is None and "is unreachable" in reading.failures[0]
    assert f"gate FAILED: Prometheus at {closed} is unreachable" in out.getvalue()


def test_no_data_for_the_slot_fails_closed(prometheus: PrometheusHarness) -> None:
    # Prometheus answers, but nothing is known about this namespace: no evidence, no progress.
    config = stack_config("app.namespace=ops-unknown", "rollout.bakeSeconds=2", f"rollout.prometheusUrl={prometheus.url}")
    ops = FakeStackOperations(config)
    result = Rollout(ops, prometheus_gate(config, Slot.GREEN), plan_rollout(config, "production", Slot.GREEN),
                     out=io.StringIO()).run()
    assert ops.applied == [{"app.canaryWeight": "10"}, ROLLBACK]
    (reading,) = result.readings
    assert "no data for the requests of slot green" in reading.gaps
    assert "no data for the ready replicas of slot green" in reading.gaps
    assert any(f.startswith("Prometheus scrapes no target of slot green") for f in reading.failures)


# --- issue class 5: thin, stale, incomplete or diluted evidence fails ----------------------------------


def _failed_first_step(prometheus: PrometheusHarness, namespace: str, fault: dict[str, object]) -> GateReading:
    ops, result, output = _rollout(prometheus, namespace, "rollout.steps[0]=50", "rollout.steps[1]=100",
                                   fault=(50, fault))
    assert ops.applied == [{"app.canaryWeight": "50"}, ROLLBACK], output
    assert result.exit_code == EXIT_ROLLED_BACK
    assert "step 1/2: gate FAILED: " in output
    return result.readings[-1]


def test_health_check_traffic_alone_is_not_evidence(prometheus: PrometheusHarness) -> None:
    reading = _failed_first_step(prometheus, "ops-health-only", {"rps": 0.0, "health_rps": 50.0})
    assert reading.requests == 0 and reading.error_rate is None
    assert "only 0 real requests reached slot green in 2s; the gate needs 20 (health checks do not count)" \
        in reading.gaps


def test_a_pod_that_is_not_scraped_fails_the_gate(prometheus: PrometheusHarness) -> None:
    # Its 30 % errors are invisible, so its target being down must be enough.
    reading = _failed_first_step(prometheus, "ops-pod-down", {"down": {0}, "pod_error_ratio": {0: 0.3}})
    assert "1 of 3 scrape targets of slot green are down" in reading.failures
    assert "3 pods of slot green are ready but only 2 are scraped: the others' requests are not seen" \
        in reading.failures


def test_a_slot_whose_targets_stopped_being_scraped_fails(prometheus: PrometheusHarness) -> None:
    reading = _failed_first_step(prometheus, "ops-stale", {"down": {0, 1, 2}})
    assert "3 of 3 scrape targets of slot green are down" in reading.failures
    assert reading.error_rate is None  # older samples are never judged


def test_requests_without_a_status_label_fail(prometheus: PrometheusHarness) -> None:
    reading = _failed_first_step(prometheus, "ops-unlabelled", {"unlabelled_rps": 20.0})
    assert any("requests of slot green have no status label (code)" in f for f in reading.failures)


def test_impossible_ready_replicas_fail(prometheus: PrometheusHarness) -> None:
    reading = _failed_first_step(prometheus, "ops-impossible", {"ready": -1})
    assert "impossible ready replicas for slot green: -1.0" in reading.failures


def test_the_canary_is_not_diluted_by_the_other_slot(prometheus: PrometheusHarness) -> None:
    # A failing green at 10 % is judged on its own requests: 5 %, not diluted by blue's clean 90 %.
    ops, result, _ = _rollout(prometheus, "ops-dilute", "rollout.steps[0]=10", "rollout.steps[1]=100",
                              fault=(10, {"error_ratio": 0.05}))
    assert ops.applied == [{"app.canaryWeight": "10"}, ROLLBACK]
    assert result.exit_code == EXIT_ROLLED_BACK
    assert result.readings[-1].error_rate is not None and 0.04 < result.readings[-1].error_rate < 0.06


# --- issue class 6: the whole bake is judged ----------------------------------------------------------


def test_errors_early_in_the_bake_are_seen(prometheus: PrometheusHarness) -> None:
    # A burst in the first second after the update, healthy afterwards: a window at the end would miss it.
    namespace = "ops-burst"

    def heal_soon() -> None:
        time.sleep(1.2)
        prometheus.exporter.update(namespace, Slot.GREEN, error_ratio=0.0)

    def start_burst(applied: StackConfig) -> None:
        if applied.app.canary_weight == 50:
            prometheus.exporter.update(namespace, Slot.GREEN, error_ratio=0.3)
            threading.Thread(target=heal_soon, daemon=True).start()

    config = stack_config(f"app.namespace={namespace}", "rollout.bakeSeconds=4", "rollout.windowSeconds=2",
                          MIN_REQUESTS, f"rollout.prometheusUrl={prometheus.url}", "rollout.steps[0]=50",
                          "rollout.steps[1]=100")
    exporter = prometheus.exporter
    exporter.reset(namespace)
    route = route_traffic(exporter, namespace)
    route(config)

    def on_apply(applied: StackConfig) -> None:
        route(applied)
        start_burst(applied)

    ops = FakeStackOperations(config, on_apply=on_apply)
    result = Rollout(ops, prometheus_gate(config, Slot.GREEN), plan_rollout(config, "production", Slot.GREEN),
                     out=io.StringIO()).run()
    assert ops.applied == [{"app.canaryWeight": "50"}, ROLLBACK]
    assert result.exit_code == EXIT_ROLLED_BACK
    assert any(f.startswith("error rate ") for f in result.readings[-1].failures)
