"""The edge rules on the cloud front doors: the AWS ALB listeners and the Azure Application Gateway (the
HAProxy configuration's fixtures are the test_*.py modules beside this one)."""

from __future__ import annotations

from typing import Any

from tests.policies.azure.rule_fixtures import APP_GW
from tests.policies.conftest import resource, urn
from tests.policies.fixtures import mutate
from tests.policies.kubernetes.model import Fixture, bad, good, one

LISTENER = "aws:lb/listener:Listener"
RULE = "aws:lb/listenerRule:ListenerRule"
HTTP_ARN = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/edge/50dc6c495c0c9188/f2f7dc8efc522ab2"
HTTPS_ARN = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/edge/50dc6c495c0c9188/0467ef3c8400ae65"
TO_HTTPS = [{"type": "redirect", "redirect": {"protocol": "HTTPS", "port": "443", "statusCode": "HTTP_301"}}]
FORWARD = [{"type": "forward", "targetGroupArn": "arn:tg"}]


def front_door(rule_actions: list[Any], *, arn: str | None = HTTP_ARN, recorded: bool = True,
               depends: str = "http") -> list[dict[str, Any]]:
    """An HTTP listener that redirects, an HTTPS listener, and one listener rule naming `arn` (and depending on
    the listener `depends`); `recorded=False` is a stack not yet deployed: no listener has an ARN yet."""
    http = {"protocol": "HTTP", "port": 80, "defaultActions": TO_HTTPS}
    https = {"protocol": "HTTPS", "port": 443, "sslPolicy": "ELBSecurityPolicy-TLS13-1-2-2021-06",
             "defaultActions": FORWARD}
    return [
        resource(LISTENER, "http", http, outputs={**http, "arn": HTTP_ARN} if recorded else http),
        resource(LISTENER, "https", https, outputs={**https, "arn": HTTPS_ARN} if recorded else https),
        resource(RULE, "subject", {"listenerArn": arn, "priority": 10, "actions": rule_actions,
                                   "conditions": [{"pathPattern": {"values": ["/api/*"]}}]},
                 deps={"listenerArn": [urn(LISTENER, depends)]}),
    ]


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
    # Azure resolves the gateway's references ignoring case: `.../httpListeners/HTTP` is the `http` listener.
    bad("edge-https-only", one("azure-native:network:ApplicationGateway", mutate(
        APP_GW, "requestRoutingRules.1", {"name": "plain", "httpListener": {"id": "/gw/httpListeners/HTTP"},
                                          "backendAddressPool": {"id": "/gw/pool"}})),
        "subject", "routing rule 'plain' forwards plain HTTP from listener 'http'", "edge-https-only-listener-case"),
    # Listener rules: the listener is the one whose ARN the rule names, not the one it depends on.
    bad("edge-https-only", front_door(FORWARD), "subject",
        "a listener rule on the HTTP listener 'http' (port 80) serves plain HTTP instead of redirecting to HTTPS "
        "(actions: forward)", "edge-https-only-rule-forwards"),
    bad("edge-https-only", front_door(FORWARD, depends="https"), "subject", "on the HTTP listener 'http'",
        "edge-https-only-rule-value-not-dependency"),
    bad("edge-https-only", front_door(FORWARD, arn=None, recorded=False), "subject",
        "on the HTTP listener 'http'", "edge-https-only-rule-by-dependency-before-deploy"),
    bad("edge-https-only", front_door([{"type": "redirect", "redirect": {"protocol": "#{protocol}"}}]), "subject",
        "actions: redirect to #{protocol}", "edge-https-only-rule-keeps-protocol"),
    bad("edge-https-only", front_door([{"type": "fixed-response", "fixedResponse": {"statusCode": "200"}}]),
        "subject", "actions: fixed-response 200", "edge-https-only-rule-answers"),
    good("edge-https-only", front_door(FORWARD, arn=HTTPS_ARN, depends="https"), "edge-https-only-rule-on-https"),
    good("edge-https-only", front_door(TO_HTTPS), "edge-https-only-rule-redirects"),
    good("edge-https-only", front_door([{"type": "fixed-response", "fixedResponse": {"statusCode": "404"}}]),
         "edge-https-only-rule-refuses"),
    bad("edge-https-only", one("aws:elasticloadbalancingv2/listener:Listener", {"protocol": "HTTP", "port": 80,
                                                                              "defaultActions": FORWARD}),
        "subject", "an HTTP listener forwards traffic", "edge-https-only-old-token"),
    bad("edge-https-only", one("aws:elb/loadBalancer:LoadBalancer", {"listeners": [
        {"lbPort": 443, "lbProtocol": "https", "instancePort": 8443, "instanceProtocol": "https"},
        {"lbPort": 80, "lbProtocol": "HTTP", "instancePort": 8080, "instanceProtocol": "http"}]}),
        "subject", "classic load balancer listener on port 80 takes plain HTTP", "edge-https-only-classic-elb"),
    good("edge-tls-min-version", one("aws:lb/listener:Listener", {
        "protocol": "HTTPS", "port": 443, "sslPolicy": "ELBSecurityPolicy-TLS13-1-2-2021-06"}),
         "edge-tls-min-version-good-1"),
    bad("edge-tls-min-version", one("aws:lb/listener:Listener", {"protocol": "HTTPS", "port": 443}),
        "subject", "listener uses SSL policy ELBSecurityPolicy-2016-08 (the default)", "edge-tls-min-version-bad-2"),
    bad("edge-tls-min-version", one("azure-native:network:ApplicationGateway", mutate(APP_GW, "sslPolicy", None)),
        "subject", "Application Gateway SSL policy unset (legacy default allows TLS 1.0)", "edge-tls-min-version-bad-3"),
]
