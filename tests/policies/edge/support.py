"""Running one edge rule on one haproxy.cfg without the engine (the pack-level path is tested elsewhere)."""

from __future__ import annotations

from typing import Any

from policies.rules import edge
from policies.rules.common import Resource, config_with_defaults
from tests.policies.fixtures import HAPROXY_CFG

RULES = {policy.meta.name: policy for policy in edge.POLICIES}  # type: ignore[attr-defined]


def findings(rule: str, cfg: str, data: dict[str, Any] | None = None) -> list[str]:
    policy = RULES[rule]
    props = {"data": {"haproxy.cfg": cfg, **(data or {})}}
    resource = Resource("kubernetes:core/v1:ConfigMap", "urn:test", "edge-config", props,
                        config_with_defaults(policy.meta, {}), {})  # type: ignore[attr-defined]
    return list(dict.fromkeys(policy.check(resource)))  # type: ignore[attr-defined]


def swap(old: str, new: str, cfg: str = HAPROXY_CFG) -> str:
    assert old in cfg, old
    return cfg.replace(old, new, 1)


def one(rule: str, cfg: str, *needles: str) -> str:
    """The single message of `rule` on `cfg`, which must name every needle."""
    found = findings(rule, cfg)
    assert found, f"{rule} did not fire"
    text = "; ".join(found)
    for needle in needles:
        assert needle.lower() in text.lower(), f"{needle!r} not in {text!r}"
    return text
