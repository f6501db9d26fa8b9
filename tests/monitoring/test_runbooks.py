"""Every alert carries severity, summary, description and a runbook link to a heading of docs/runbooks.md."""

from __future__ import annotations

import re

import pytest

from components.monitoring import assets
from tests.helpers import ROOT

RUNBOOKS = ROOT / "docs" / "runbooks.md"


def anchors(level: str = "#{1,6}") -> set[str]:
    """GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens."""
    found = set()
    for line in RUNBOOKS.read_text().splitlines():
        match = re.match(rf"^{level}\s+(.*)$", line)
        if match:
            found.add(re.sub(r"[^\w\- ]", "", match.group(1).strip().lower()).replace(" ", "-"))
    return found


ALERTS = [(a.file, rule) for a in assets.RULE_FILES for group in assets.load_rule_file(a.file)["groups"]
          for rule in group["rules"] if "alert" in rule]


@pytest.mark.parametrize(("file", "rule"), ALERTS, ids=[rule["alert"] for _, rule in ALERTS])
def test_alert_metadata_is_complete(file: str, rule: dict[str, str | dict[str, str]]) -> None:
    labels, annotations = rule["labels"], rule["annotations"]
    assert isinstance(labels, dict) and isinstance(annotations, dict)
    assert labels["severity"] in {"critical", "warning"}
    assert annotations["summary"].strip() and annotations["description"].strip()
    url = annotations["runbook_url"]
    assert url.startswith(assets.RUNBOOK_PREFIX + "#"), f"{file}: {url}"
    assert url.split("#", 1)[1] in anchors()


def test_every_runbook_section_belongs_to_an_alert() -> None:
    linked = {str(rule["annotations"]["runbook_url"]).split("#", 1)[1] for _, rule in ALERTS}  # type: ignore[index]
    # One level-3 section per alert (or per family of alerts sharing a runbook).
    assert anchors("###") == linked
