"""The session's Prometheus (tests/ops/harness.py starts it)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.ops.harness import PrometheusHarness, running_prometheus


@pytest.fixture(scope="session")
def prometheus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrometheusHarness]:
    with running_prometheus(tmp_path_factory.mktemp("prometheus")) as harness:
        yield harness
