"""The reviewable files under `monitoring/` the program reads: rule files and dashboards.

Which file applies where is declared here, once: the app, capacity and edge concerns run on every
platform; the CloudNativePG and redis_exporter series exist only where the data tier runs in the
cluster (the kubernetes platform). On AWS/Azure the managed services are watched by the cloud's
own monitoring (see docs/monitoring.md).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from components.config import Platform

ROOT = Path(__file__).resolve().parent.parent.parent / "monitoring"
RULES_DIR = ROOT / "rules"
DASHBOARDS_DIR = ROOT / "dashboards"
RUNBOOK_PREFIX = "docs/runbooks.md"
"""Rule files link runbooks repo-relatively; rendering points them at `monitoring.runbookBaseUrl`."""

EVERYWHERE = frozenset(Platform)
IN_CLUSTER_DATA = frozenset({Platform.KUBERNETES})


@dataclass(frozen=True)
class Asset:
    file: str
    platforms: frozenset[Platform]
    exporters: tuple[str, ...]
    """Catalog files (monitoring/catalog/<exporter>.yaml) whose metrics the file may use."""

    def applies_to(self, platform: Platform) -> bool:
        return platform in self.platforms


RULE_FILES: tuple[Asset, ...] = (
    Asset("slo.yaml", EVERYWHERE, ("app", "prometheus")),
    Asset("rollout.yaml", EVERYWHERE, ("app",)),
    Asset("capacity.yaml", EVERYWHERE, ("kube-state-metrics", "cadvisor")),
    Asset("edge.yaml", EVERYWHERE, ("haproxy", "prometheus")),
    Asset("database.yaml", IN_CLUSTER_DATA, ("cnpg",)),
    Asset("cache.yaml", IN_CLUSTER_DATA, ("redis_exporter",)),
)

DASHBOARDS: tuple[Asset, ...] = (
    Asset("service-overview.json", EVERYWHERE, ("app", "prometheus")),
    Asset("service-slots.json", EVERYWHERE, ("app", "haproxy")),
    Asset("haproxy.json", EVERYWHERE, ("haproxy",)),
    Asset("hpa-replicas.json", EVERYWHERE, ("kube-state-metrics", "cadvisor")),
    Asset("postgresql.json", IN_CLUSTER_DATA, ("cnpg",)),
    Asset("redis.json", IN_CLUSTER_DATA, ("redis_exporter",)),
)


def load_rule_file(name: str) -> dict[str, Any]:
    data = yaml.safe_load((RULES_DIR / name).read_text())
    if not isinstance(data, dict) or not isinstance(data.get("groups"), list):
        raise ValueError(f"monitoring/rules/{name} is not a Prometheus rule file (top-level `groups:` list)")
    return data


def render_rules(platform: Platform, runbook_base_url: str) -> dict[str, dict[str, Any]]:
    """Rule files of a platform, as Prometheus loads them, runbook links made absolute."""
    rendered: dict[str, dict[str, Any]] = {}
    for asset in RULE_FILES:
        if not asset.applies_to(platform):
            continue
        data = load_rule_file(asset.file)
        for group in data["groups"]:
            for rule in group.get("rules", []):
                annotations = rule.get("annotations") or {}
                url = annotations.get("runbook_url")
                if isinstance(url, str) and url.startswith(RUNBOOK_PREFIX + "#"):
                    annotations["runbook_url"] = runbook_base_url + url[len(RUNBOOK_PREFIX):]
        rendered[asset.file] = data
    return rendered


def load_dashboard(name: str) -> str:
    """Dashboard JSON text, checked to parse and to carry a stable uid."""
    text = (DASHBOARDS_DIR / name).read_text()
    board = json.loads(text)
    if not isinstance(board, dict) or not board.get("uid") or not board.get("title"):
        raise ValueError(f"monitoring/dashboards/{name} needs a top-level uid and title")
    return text


def dashboards(platform: Platform) -> dict[str, str]:
    return {asset.file: load_dashboard(asset.file) for asset in DASHBOARDS if asset.applies_to(platform)}


LOGS_PANEL_TYPE = "logs"


def log_panels(board: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [panel for panel in board.get("panels", []) if panel.get("type") == LOGS_PANEL_TYPE]


def with_log_queries(
    board: Mapping[str, Any], datasource_type: str | None, query: Mapping[str, Any] | None
) -> dict[str, Any]:
    """A copy of `board` whose logs panels run `query` (one target, `$slot` = the panel's slot) on the
    log store's datasource; without a store (`monitoring.logs.enabled: false`) they are dropped. The
    panel keeps the datasource uid the file names; the type is the store's."""
    filled = json.loads(json.dumps(board))
    panels: list[dict[str, Any]] = []
    for panel in filled["panels"]:
        if panel.get("type") == LOGS_PANEL_TYPE:
            if datasource_type is None or query is None:
                continue
            source = {"type": datasource_type, "uid": panel["datasource"]["uid"]}
            panel["datasource"] = source
            panel["targets"] = [{"refId": "A", "datasource": source, **query}]
        panels.append(panel)
    filled["panels"] = panels
    return filled
