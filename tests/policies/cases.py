"""The (rule, fires, resources) cases that run only through test_rules.py, and CASES: every case of every rule
(these, the per-rule fixtures beside each rule family, the cloud fixtures) for the catalog meta-test and the
decode-once equivalence test."""

from __future__ import annotations

from typing import Any

from tests.policies.all_fixtures import as_cases
from tests.policies.aws import test_data_and_access as _aws_data
from tests.policies.aws import test_security_groups as _aws_sg
from tests.policies.azure import test_azure_rules as _azure
from tests.policies.cloud import coverage as _coverage
from tests.policies.conftest import resource
from tests.policies.edge.cases import EDGE_CASES
from tests.policies.observability.test_observability_rules import (
    COLLECTOR,
    DOMAIN,
    OPENSEARCH,
    WORKSPACE,
    with_change,
)
from tests.policies.observability.test_observability_rules import RELEASE as _RELEASE

Case = tuple[str, bool, list[dict[str, Any]]]


_WORKSPACE_OK = {"features": {"disableLocalAuth": True}, "retentionInDays": 30, "resourceGroupName": "rg",
                 "publicNetworkAccessForIngestion": "Disabled", "publicNetworkAccessForQuery": "Disabled"}
OBSERVABILITY_CASES: list[Case] = [
    ("aws-log-store-hardened", False, [resource(OPENSEARCH, "logs", DOMAIN)]),
    ("aws-log-store-hardened", True, [resource(OPENSEARCH, "logs", with_change(DOMAIN, ("vpcOptions",), None))]),
    ("azure-log-store-hardened", False, [resource(WORKSPACE, "logs", _WORKSPACE_OK)]),
    ("azure-log-store-hardened", True, [resource(WORKSPACE, "logs", with_change(_WORKSPACE_OK, ("retentionInDays",), 7))]),
    ("k8s-telemetry-internal", False, [resource(_RELEASE, "collector", COLLECTOR)]),
    ("k8s-telemetry-internal", True,
     [resource(_RELEASE, "collector", with_change(COLLECTOR, ("values", "service", "type"), "NodePort"))]),
    ("k8s-telemetry-redaction", False, [resource(_RELEASE, "collector", COLLECTOR)]),
    ("k8s-telemetry-redaction", True, [resource(_RELEASE, "collector", with_change(
        COLLECTOR, ("values", "alternateConfig", "service", "pipelines", "traces", "processors"), ["memory_limiter"]))]),
]

RUN_HERE: list[Case] = [*EDGE_CASES, *OBSERVABILITY_CASES]
"""Cases with no other runner."""
CASES: list[Case] = [*RUN_HERE, *as_cases(), *_coverage(_aws_sg.BAD, _aws_sg.GOOD),
                     *_coverage(_aws_data.BAD, _aws_data.GOOD), *_coverage(_azure.BAD, _azure.GOOD)]
