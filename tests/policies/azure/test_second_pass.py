"""The second red-team pass on single Azure resources, without the engine: rate-limit rules that count all
clients together or only some requests, and Application Gateway redirects that lead back to plain HTTP."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from policies.rules import azure, edge
from policies.rules.common import Resource, config_with_defaults

RULES = {p.meta.name: p for p in (*azure.POLICIES, *edge.POLICIES)}  # type: ignore[attr-defined]
EVERY_CLIENT = {"matchVariables": [{"variableName": "RemoteAddr"}], "operator": "IPMatch",
                "matchValues": ["255.255.255.255/32"], "negationConditon": True}
RATE = {"name": "perclient", "ruleType": "RateLimitRule", "action": "Block", "priority": 10, "rateLimitThreshold": 600,
        "matchConditions": [EVERY_CLIENT], "groupByUserSession": [{"groupByVariables": [{"variableName": "ClientAddr"}]}]}
POLICY = {"policySettings": {"mode": "Prevention", "state": "Enabled"},
          "managedRules": {"managedRuleSets": [{"ruleSetType": "Microsoft_DefaultRuleSet", "ruleSetVersion": "2.1"}]},
          "customRules": [RATE]}


def check(rule: str, type_: str, props: dict[str, Any]) -> list[str]:
    if rule == "azure-waf-prevention" and type_ == azure.WAF_POLICY:
        # A stack rule (it checks which policies the gateway names): one policy's own findings.
        return list(azure.waf_policy_findings(props))
    policy = RULES[rule]
    resource = Resource(type_, "urn:test", "subject", props, config_with_defaults(policy.meta, {}), {})
    return list(policy.check(resource))


def waf(**rate: Any) -> dict[str, Any]:
    props = copy.deepcopy(POLICY)
    props["customRules"][0].update(rate)
    return props


@pytest.mark.parametrize("conditions", [
    [EVERY_CLIENT],
    [{"matchVariables": [{"variableName": "RemoteAddr"}], "operator": "IPMatch", "matchValues": ["0.0.0.0/0"]}],
    [{"matchVariables": [{"variableName": "RequestUri"}], "operator": "Any"}],
    [{**EVERY_CLIENT, "matchValues": ["10.0.0.0/8"]}],  # internal clients exempt, every public one counted
    [],
])
def test_rate_rule_counting_every_client_passes(conditions: list[dict[str, Any]]) -> None:
    assert check("azure-waf-prevention", azure.WAF_POLICY, waf(matchConditions=conditions)) == []


@pytest.mark.parametrize(("rate", "named"), [
    ({"groupByUserSession": None}, "groupByUserSession groups by unset: every client shares one counter"),
    ({"groupByUserSession": [{"groupByVariables": [{"variableName": "GeoLocation"}]}]}, "groups by geolocation"),
    ({"matchConditions": [{**EVERY_CLIENT, "negationConditon": False}]},
     "matchConditions[0] (RemoteAddr IPMatch [\"255.255.255.255/32\"]) limits it"),
    ({"matchConditions": [{**EVERY_CLIENT, "matchValues": ["203.0.113.0/24"], "negationConditon": False}]},
     "matchConditions[0] (RemoteAddr IPMatch"),
    ({"matchConditions": [{"matchVariables": [{"variableName": "RequestUri"}], "operator": "BeginsWith",
                           "matchValues": ["/login"]}]}, "matchConditions[0] (RequestUri BeginsWith"),
])
def test_rate_rule_that_does_not_count_each_client(rate: dict[str, Any], named: str) -> None:
    found = check("azure-waf-prevention", azure.WAF_POLICY, waf(**rate))
    assert found[-1] == "no blocking RateLimitRule", found
    assert any(f.startswith("RateLimitRule perclient ") and named in f for f in found), found


GATEWAY = {"sku": {"name": "WAF_v2", "tier": "WAF_v2"}, "firewallPolicy": {"id": "/policies/waf"},
           "sslPolicy": {"policyType": "Predefined", "policyName": "AppGwSslPolicy20220101S"},
           "httpListeners": [{"name": "https", "protocol": "Https"}, {"name": "http", "protocol": "Http"}],
           "redirectConfigurations": [{"name": "to-https", "redirectType": "Permanent",
                                       "targetListener": {"id": "/gw/httpListeners/https"}}],
           "requestRoutingRules": [{"name": "https", "httpListener": {"id": "/gw/httpListeners/https"},
                                    "backendAddressPool": {"id": "/gw/pool"}},
                                   {"name": "http", "httpListener": {"id": "/gw/httpListeners/http"},
                                    "redirectConfiguration": {"id": "/gw/redirectConfigurations/to-https"}}]}


@pytest.mark.parametrize(("target", "named"), [
    ({"targetListener": {"id": "/gw/httpListeners/http"}}, "targets listener 'http' (Http), not an HTTPS listener"),
    ({"targetListener": {"id": "/gw/httpListeners/gone"}}, "targets listener 'gone' (not declared)"),
    ({"targetUrl": "http://example.com/"}, "targets URL http://example.com/, not an https:// URL"),
    ({}, "targets URL unset"),
])
def test_app_gateway_redirect_back_to_plain_http(target: dict[str, Any], named: str) -> None:
    props = copy.deepcopy(GATEWAY)
    props["redirectConfigurations"][0].pop("targetListener")
    props["redirectConfigurations"][0].update(target)
    found = check("edge-https-only", edge.APP_GATEWAY, props)
    assert len(found) == 1 and found[0].startswith(
        f"routing rule 'http' on plain-HTTP listener 'http' uses redirect configuration 'to-https', which {named}"), found


def test_app_gateway_redirects_to_https() -> None:
    assert check("edge-https-only", edge.APP_GATEWAY, GATEWAY) == []
    props = copy.deepcopy(GATEWAY)
    props["redirectConfigurations"][0] = {"name": "to-https", "targetUrl": "https://example.com/"}
    assert check("edge-https-only", edge.APP_GATEWAY, props) == []


@pytest.mark.parametrize(("pages", "named"), [
    ([{"statusCode": "HttpStatus502", "customErrorPageUrl": "http://10.60.63.245/502.html"}],
     "a private address '10.60.63.245'"),
    ([{"statusCode": "HttpStatus403", "customErrorPageUrl": "https://edge.orchestrator.svc.cluster.local/403.html"}],
     "an internal host name"),
])
def test_app_gateway_error_pages_served_from_inside(pages: list[dict[str, Any]], named: str) -> None:
    found = check("edge-error-pages", edge.APP_GATEWAY, {**GATEWAY, "customErrorConfigurations": pages})
    assert len(found) == 1 and f"reveals backend details: {named}" in found[0], found
    public = [{"statusCode": "HttpStatus502", "customErrorPageUrl": "https://errors.example.com/502.html"}]
    assert check("edge-error-pages", edge.APP_GATEWAY, {**GATEWAY, "customErrorConfigurations": public}) == []
