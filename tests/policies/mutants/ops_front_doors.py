"""Plain HTTP through a front door without removing its redirect: an ALB listener rule attached to the HTTP
listener (named by ARN, whatever it depends on), the listener under an old type token, an error page that is
really a page, a classic load balancer beside the ALB, and an HAProxy redirect kept only for requests that name
a host (HTTP/1.0 needs none)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.policies.mutants.model import Export, Mutation, add_resource, first
from tests.policies.mutants.ops_edge import edit_cfg

AWS = ("production", "staging")
LISTENER = "aws:lb/listener:Listener"
RULE = "aws:lb/listenerRule:ListenerRule"


def _https_targets(export: Export) -> list[dict[str, Any]]:
    return [dict(action) for action in first(export, LISTENER, "https")["inputs"]["defaultActions"]]


def _listener_rule(actions: list[dict[str, Any]] | None, *, depends_on: str,
                   token: str = RULE) -> Callable[[Export], str]:
    """A rule naming the HTTP listener's ARN, with `actions` (None: forward where the HTTPS listener forwards);
    its dependency names the listener `depends_on`."""
    def apply(export: Export) -> str:
        http, other = first(export, LISTENER, "http"), first(export, LISTENER, depends_on)
        urn = add_resource(export, token, "front-door-api", {
            "listenerArn": http["outputs"]["arn"], "priority": 10,
            "actions": _https_targets(export) if actions is None else actions,
            "conditions": [{"pathPattern": {"values": ["/api/*"]}}]}, parent=http.get("parent"))
        entry = export["deployment"]["resources"][-1]
        entry["propertyDependencies"] = {"listenerArn": [other["urn"]]}
        entry["dependencies"] = [other["urn"]]
        return urn
    return apply


def _old_token_listener(export: Export) -> str:
    http = first(export, LISTENER, "http")
    targets = _https_targets(export)
    http["type"] = "aws:elasticloadbalancingv2/listener:Listener"
    for side in ("inputs", "outputs"):
        http[side]["defaultActions"] = targets
    http["urn"] = http["urn"].replace(LISTENER, http["type"])
    return str(http["urn"])


def _answered_in_the_clear(export: Export) -> str:
    http = first(export, LISTENER, "http")
    for side in ("inputs", "outputs"):
        http[side]["defaultActions"] = [{"type": "fixed-response", "fixedResponse": {
            "contentType": "text/html", "statusCode": "200", "messageBody": "<a href=https://example.org>login</a>"}}]
    return str(http["urn"])


def _classic_elb(export: Export) -> str:
    return add_resource(export, "aws:elb/loadBalancer:LoadBalancer", "legacy-door", {
        "internal": False, "listeners": [
            {"lbPort": 80, "lbProtocol": "http", "instancePort": 30080, "instanceProtocol": "http"}]})


HAPROXY_REDIRECT = "    http-request redirect scheme https code 301\n"


def _redirect_if_host(text: str) -> str:
    return text.replace(HAPROXY_REDIRECT, "    http-request redirect scheme https code 301 if { req.hdr(host) -m found }\n"
                                          "    default_backend app\n", 1)


OPERATORS: list[Mutation] = [
    Mutation("edge-https-only-haproxy-redirect-needs-host", "edge-https-only", edit_cfg(_redirect_if_host),
             message="over HTTP/1.0 without a Host header is forwarded"),
    Mutation("edge-https-only-listener-rule-forwards", "edge-https-only", _listener_rule(None, depends_on="http"), AWS,
             "a listener rule on the HTTP listener 'front-door-http' (port 80) serves plain HTTP"),
    Mutation("edge-https-only-listener-rule-depends-elsewhere", "edge-https-only",
             _listener_rule(None, depends_on="https"), AWS, "on the HTTP listener 'front-door-http'"),
    Mutation("edge-https-only-listener-rule-old-token", "edge-https-only",
             _listener_rule(None, depends_on="http", token="aws:elasticloadbalancingv2/listenerRule:ListenerRule"), AWS,
             "serves plain HTTP instead of redirecting to HTTPS (actions: forward)"),
    Mutation("edge-https-only-listener-rule-keeps-protocol", "edge-https-only",
             _listener_rule([{"type": "redirect", "redirect": {"protocol": "#{protocol}", "host": "api.example.org",
                                                               "statusCode": "HTTP_302"}}], depends_on="http"), AWS,
             "redirect to #{protocol}"),
    Mutation("edge-https-only-listener-old-token", "edge-https-only", _old_token_listener, AWS,
             "an HTTP listener forwards traffic instead of redirecting to HTTPS"),
    Mutation("edge-https-only-listener-answers-200", "edge-https-only", _answered_in_the_clear, AWS,
             "defaultActions: fixed-response 200"),
    Mutation("edge-https-only-classic-elb-http", "edge-https-only", _classic_elb, AWS,
             "classic load balancer listener on port 80 takes plain HTTP"),
]
