"""The edge rules on the cloud front doors: the AWS ALB listeners and the Azure Application Gateway (the
HAProxy configuration's fixtures are the test_*.py modules beside this one)."""

from __future__ import annotations

from tests.policies.azure.rule_fixtures import APP_GW
from tests.policies.fixtures import mutate
from tests.policies.kubernetes.model import Fixture, bad, good, one

FIXTURES: list[Fixture] = [
    good("edge-https-only", one("aws:lb/listener:Listener", {"protocol": "HTTP", "port": 80, "defaultActions": [
        {"type": "redirect", "redirect": {"protocol": "HTTPS", "port": "443", "statusCode": "HTTP_301"}}]}),
         "edge-https-only-good-1"),
    bad("edge-https-only", one("aws:lb/listener:Listener", {"protocol": "HTTP", "port": 80, "defaultActions": [
        {"type": "forward", "targetGroupArn": "arn:tg"}]}),
        "subject", "an HTTP listener forwards traffic instead of redirecting to HTTPS", "edge-https-only-bad-2"),
    good("edge-https-only", one("azure-native:network:ApplicationGateway", APP_GW), "edge-https-only-good-3"),
    bad("edge-https-only", one("azure-native:network:ApplicationGateway", mutate(
        APP_GW, "requestRoutingRules.1", {"name": "http", "httpListener": {"id": "/gw/httpListeners/http"},
                                          "backendAddressPool": {"id": "/gw/pool"}})),
        "subject", "routing rule 'http' forwards plain HTTP from listener 'http'", "edge-https-only-bad-4"),
    good("edge-tls-min-version", one("aws:lb/listener:Listener", {
        "protocol": "HTTPS", "port": 443, "sslPolicy": "ELBSecurityPolicy-TLS13-1-2-2021-06"}),
         "edge-tls-min-version-good-1"),
    bad("edge-tls-min-version", one("aws:lb/listener:Listener", {"protocol": "HTTPS", "port": 443}),
        "subject", "listener uses SSL policy ELBSecurityPolicy-2016-08 (the default)", "edge-tls-min-version-bad-2"),
    bad("edge-tls-min-version", one("azure-native:network:ApplicationGateway", mutate(APP_GW, "sslPolicy", None)),
        "subject", "Application Gateway SSL policy unset (legacy default allows TLS 1.0)", "edge-tls-min-version-bad-3"),
]
