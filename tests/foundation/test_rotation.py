"""Rotation by time.Rotating is real only when state is refreshed: the rollout's `up` refreshes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ops.stackops import AutomationStackOperations


class _Summary:
    result = "succeeded"


class _Result:
    summary = _Summary()


class _Stack:
    def __init__(self) -> None:
        self.ups: list[dict[str, Any]] = []

    def set_config(self, key: str, value: Any, path: bool = False) -> None:
        pass

    def up(self, **kwargs: Any) -> _Result:
        self.ups.append(kwargs)
        return _Result()


def test_every_up_of_the_rollout_refreshes_first(tmp_path: Path) -> None:
    stack = _Stack()
    ops = AutomationStackOperations("production", tmp_path, select=lambda **_: stack)
    ops.apply({"app.canaryWeight": "10"}, message="canary 10")
    assert [up.get("refresh") for up in stack.ups] == [True]
