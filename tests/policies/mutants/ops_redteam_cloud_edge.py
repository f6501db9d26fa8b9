"""A second red-team pass on the AWS, Azure and edge rules: spellings the first catalogue (ops_aws, ops_azure,
ops_edge) did not try, each an insecure variant of a shipped stack's export.

AWS: rate limits keyed on a forgeable header or on nothing, scope-down statements, `service:*` on an ARN made
of wildcards, world ingress through the newer rule resource with ICMP or a port range spanning 80-443.
Azure: firewall rules that together cover the Internet without any one
of them doing so, rate limits that match no request or count all clients together, an HTTP listener
"redirected" to itself, `Any`/padded service tags. HAProxy: statistics pages, spoofable client addresses,
same-named ACLs that OR in a header, a path rewritten after the deny to a health path, duplicate frontends,
per-bind TLS downgrades, a Server header set again after its removal.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from tests.policies.mutants.model import Export, Mutation, add_resource, first, on, set_input
from tests.policies.mutants.ops_aws import set_output
from tests.policies.mutants.ops_edge import HTTPS_FRONTEND, edit_cfg

AWS = ("production", "staging")
AZURE = ("production-azure",)
HAPROXY = ("production", "staging", "production-azure", "local")
FRONT_DOOR = ("production", "staging", "production-azure")
"""The stacks whose HAProxy sits behind a cloud load balancer (and trusts its X-Forwarded-For)."""
WEB_ACL = "aws:wafv2/webAcl:WebAcl"
LISTENER = "aws:lb/listener:Listener"
SG_INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
EKS = "aws:eks/cluster:Cluster"
PG = "azure-native:dbforpostgresql:Server"
PG_FIREWALL = "azure-native:dbforpostgresql:FirewallRule"
NSG = "azure-native:network:NetworkSecurityGroup"
WAF = "azure-native:network:WebApplicationFirewallPolicy"
GATEWAY = "azure-native:network:ApplicationGateway"
AKS = "azure-native:containerservice:ManagedCluster"
ENTERPRISE = "azure-native:redisenterprise:RedisEnterprise"
VAULT = "azure-native:keyvault:Vault"
CONFIGMAP = "kubernetes:core/v1:ConfigMap"


# --- AWS ----------------------------------------------------------------------------------------


def _waf_rate(change: Callable[[dict[str, Any]], None]) -> Callable[[Export], str]:
    """Changes the web ACL's rate-based rule (inputs and outputs alike)."""
    def apply(export: Export) -> str:
        acl = first(export, WEB_ACL)
        for side in ("inputs", "outputs"):
            for rule in acl[side]["rules"]:
                if "rateBasedStatement" in rule["statement"]:
                    change(rule["statement"]["rateBasedStatement"])
        return str(acl["urn"])
    return apply


NEVER = {"byteMatchStatement": {"fieldToMatch": {"singleHeader": {"name": "x-rate-limit-me"}},
                                "positionalConstraint": "EXACTLY", "searchString": "yes",
                                "textTransformations": [{"priority": 0, "type": "NONE"}]}}


def _group_of(export: Export, rule_name: str) -> str:
    rule = first(export, SG_INGRESS, rule_name)
    return str((rule.get("outputs") or {}).get("securityGroupId") or rule["inputs"]["securityGroupId"])


def _world_rule(group_rule: str, extra: dict[str, Any]) -> Callable[[Export], str]:
    def apply(export: Export) -> str:
        return add_resource(export, SG_INGRESS, "mutant-world", {
            "securityGroupId": _group_of(export, group_rule), "description": "mutant", **extra})
    return apply


def _policy(statements: list[dict[str, Any]], type_: str = ROLE_POLICY, name: str = "") -> Callable[[Export], str]:
    import json

    def apply(export: Export) -> str:
        return set_input(first(export, type_, name), ("policy",),
                         json.dumps({"Version": "2012-10-17", "Statement": statements}))
    return apply


# --- Azure --------------------------------------------------------------------------------------


def _rg(export: Export) -> str:
    return str(first(export, PG, "primary")["inputs"]["resourceGroupName"])


def _firewalls(*ranges: tuple[str, str]) -> Callable[[Export], str]:
    def apply(export: Export) -> str:
        urn = ""
        for index, (start, end) in enumerate(ranges):
            urn = add_resource(export, PG_FIREWALL, f"mutant-range-{index}", {
                "serverName": "database-primaryc16845b2", "resourceGroupName": _rg(export),
                "firewallRuleName": f"mutant-range-{index}", "startIpAddress": start, "endIpAddress": end})
        return urn
    return apply


def _azure_rate(change: Callable[[dict[str, Any]], None]) -> Callable[[Export], str]:
    def apply(export: Export) -> str:
        policy = first(export, WAF)
        for side in ("inputs", "outputs"):
            for rule in policy[side]["customRules"]:
                if rule["ruleType"] == "RateLimitRule":
                    change(rule)
        return str(policy["urn"])
    return apply


def _nsg_allow(nsg: str, rule: dict[str, Any]) -> Callable[[Export], str]:
    def apply(export: Export) -> str:
        group = first(export, NSG, nsg)
        base = {"name": "mutant", "direction": "Inbound", "access": "Allow", "protocol": "Tcp", "sourcePortRange": "*",
                "destinationAddressPrefix": "*", "priority": 150}
        return set_input(group, ("securityRules",), [*group["inputs"]["securityRules"], {**base, **rule}])
    return apply


def _gateway(change: Callable[[dict[str, Any]], None]) -> Callable[[Export], str]:
    def apply(export: Export) -> str:
        gateway = first(export, GATEWAY)
        for side in ("inputs", "outputs"):
            change(gateway[side])
        return str(gateway["urn"])
    return apply


def _redirect_to(target: dict[str, Any]) -> Callable[[dict[str, Any]], None]:
    def change(props: dict[str, Any]) -> None:
        config = props["redirectConfigurations"][0]
        config.pop("targetListener", None)
        config.update(target)
    return change


def _self_redirect(props: dict[str, Any]) -> None:
    config = props["redirectConfigurations"][0]
    config["targetListener"] = {"id": config["targetListener"]["id"].rsplit("/", 1)[0] + "/http"}


# --- HAProxy ------------------------------------------------------------------------------------

DEFAULT_BACKEND = "    default_backend app\n"
DENY_403 = "    http-request deny deny_status 403 if protected_path !internal_client\n"
HTTPS_BIND_RE = re.compile(r"(    bind \*:8443 ssl crt [^\n]*)")


def _sub(old: str, new: str) -> Callable[[str], str]:
    def change(text: str) -> str:
        assert old in text, old
        return text.replace(old, new, 1)
    return change


def _after_deny(line: str) -> Callable[[str], str]:
    return _sub(DENY_403, DENY_403 + f"    {line}\n")


def _before_backend(*lines: str) -> Callable[[str], str]:
    return _sub(DEFAULT_BACKEND, "".join(f"    {line}\n" for line in lines) + DEFAULT_BACKEND)


def _https_bind(suffix: str) -> Callable[[str], str]:
    return lambda text: HTTPS_BIND_RE.sub(lambda m: m.group(1) + suffix, text, count=1)


def _append(block: str) -> Callable[[str], str]:
    return lambda text: text.rstrip("\n") + "\n\n" + block


def _duplicate_frontend(text: str) -> str:
    """A second `frontend public_https` (same name) with the TLS bind on another port and no rules."""
    bind = HTTPS_BIND_RE.search(text)
    assert bind
    return text.rstrip("\n") + "\n\nfrontend public_https\n" + bind.group(1).replace(":8443", ":9443") + \
        "\n    default_backend app\n"


def _all_lines(old: str, new: str) -> Callable[[str], str]:
    def change(text: str) -> str:
        assert old in text, old
        return text.replace(old, new)
    return change


OPERATORS: list[Mutation] = [
    # ---- aws-waf-managed-rules: the rate rule counts something other than each client
    Mutation("red-waf-rate-forwarded-ip", "aws-waf-managed-rules",
             _waf_rate(lambda s: s.update(aggregateKeyType="FORWARDED_IP",
                                          forwardedIpConfig={"headerName": "X-Forwarded-For", "fallbackBehavior": "NO_MATCH"})),
             AWS, "aggregateKeyType is FORWARDED_IP"),
    Mutation("red-waf-rate-constant", "aws-waf-managed-rules",
             _waf_rate(lambda s: s.update(aggregateKeyType="CONSTANT", scopeDownStatement=NEVER)), AWS,
             "aggregateKeyType is CONSTANT"),
    Mutation("red-waf-rate-scope-down-never", "aws-waf-managed-rules",
             _waf_rate(lambda s: s.update(scopeDownStatement=NEVER)), AWS, "scopeDownStatement"),
    Mutation("red-waf-rate-custom-key-header", "aws-waf-managed-rules",
             _waf_rate(lambda s: s.update(aggregateKeyType="CUSTOM_KEYS", customKeys=[
                 {"header": {"name": "x-client-id", "textTransformations": [{"priority": 0, "type": "NONE"}]}}])),
             AWS, "customKeys"),
    # ---- aws-sg-no-world-ingress: the newer rule resource, ICMP, a range spanning 80-443 on the edge group
    Mutation("red-sg-world-icmp", "aws-sg-no-world-ingress",
             _world_rule("database-from-cluster", {"cidrIpv4": "0.0.0.0/0", "ipProtocol": "icmp", "fromPort": -1,
                                                    "toPort": -1}), AWS, "0.0.0.0/0"),
    Mutation("red-sg-edge-80-to-443", "aws-sg-no-world-ingress",
             _world_rule("front-door-alb-in-443", {"cidrIpv4": "0.0.0.0/0", "ipProtocol": "tcp", "fromPort": 80,
                                                   "toPort": 443}), AWS, "tcp 80-443"),
    Mutation("red-sg-world-ipv6-string-ports", "aws-sg-no-world-ingress",
             _world_rule("cache-from-cluster", {"cidrIpv6": "::/0", "ipProtocol": "TCP", "fromPort": "0",
                                                "toPort": "65535"}), AWS, "::/0"),
    # ---- aws-iam-no-wildcard: `service:*` on an ARN of wildcards is every resource of the service
    Mutation("red-iam-service-star-on-wildcard-arn", "aws-iam-no-wildcard",
             _policy([{"Effect": "Allow", "Action": "iam:*", "Resource": "arn:aws:iam::*:*"}]), AWS, "iam:*"),
    Mutation("red-iam-star-on-wildcard-arn-list", "aws-iam-no-wildcard",
             _policy([{"Effect": "Allow", "Action": ["s3:*"], "Resource": ["arn:aws:s3:::*", "arn:aws:s3:::*/*"]}]),
             AWS, "s3:*"),
    # ---- aws-s3-not-public: a condition anyone satisfies by sending a header
    Mutation("red-s3-referer-condition", "aws-s3-not-public",
             _policy([{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::x/*",
                       "Condition": {"StringLike": {"aws:Referer": "https://orchestrator.acme.example/*"}}}],
                     BUCKET_POLICY), AWS, "s3:GetObject"),
    # ---- aws-eks-endpoint: public endpoint opened after the program ran (outputs only)
    Mutation("red-eks-public-outputs-only", "aws-eks-endpoint",
             lambda e: set_output(first(e, EKS), ("vpcConfig", "publicAccessCidrs"), ["0.0.0.0/0"]) and
             set_output(first(e, EKS), ("vpcConfig", "endpointPublicAccess"), True), AWS, "0.0.0.0/0"),
    # ---- edge-https-only on the ALB: a redirect that keeps the plain-HTTP protocol
    Mutation("red-alb-http-redirect-keeps-protocol", "edge-https-only",
             on(LISTENER, "front-door-http", ("defaultActions",),
                [{"type": "redirect", "redirect": {"protocol": "#{protocol}", "port": "8080", "statusCode": "HTTP_301"}}]),
             AWS, "HTTP listener"),
    # ---- edge-tls-min-version on the ALB
    Mutation("red-alb-ssl-policy-tls11", "edge-tls-min-version",
             on(LISTENER, "front-door-https", ("sslPolicy",), "ELBSecurityPolicy-TLS-1-1-2017-01"), AWS,
             "ELBSecurityPolicy-TLS-1-1-2017-01"),
    # ---- azure-pg-private-tls: ranges that cover the Internet only together
    Mutation("red-pg-firewall-uneven-split", "azure-pg-private-tls",
             _firewalls(("1.0.0.0", "126.255.255.255"), ("128.0.0.0", "223.255.255.255")), AZURE, "128.0.0.0"),
    Mutation("red-pg-firewall-one-short", "azure-pg-private-tls",
             _firewalls(("0.0.0.1", "255.255.255.254")), AZURE, "0.0.0.1"),
    Mutation("red-pg-firewall-a-class", "azure-pg-private-tls",
             _firewalls(("11.0.0.0", "99.255.255.255")), AZURE, "11.0.0.0"),
    Mutation("red-pg-public-access-uppercase", "azure-pg-private-tls",
             on(PG, "primary", ("network", "publicNetworkAccess"), "ENABLED"), AZURE, "publicNetworkAccess is ENABLED"),
    # ---- azure-waf-prevention: rate limits that match no request or count all clients as one
    Mutation("red-azure-rate-matches-nothing", "azure-waf-prevention",
             _azure_rate(lambda r: r["matchConditions"][0].update(negationConditon=False)), AZURE, "RateLimitRule"),
    Mutation("red-azure-rate-no-group-by", "azure-waf-prevention",
             _azure_rate(lambda r: r.pop("groupByUserSession")), AZURE, "RateLimitRule"),
    Mutation("red-azure-rate-group-by-none", "azure-waf-prevention",
             _azure_rate(lambda r: r.update(groupByUserSession=[{"groupByVariables": [{"variableName": "None"}]}])),
             AZURE, "RateLimitRule"),
    Mutation("red-azure-rate-one-path", "azure-waf-prevention",
             _azure_rate(lambda r: r.update(matchConditions=[{"matchVariables": [{"variableName": "RequestUri"}],
                                                              "operator": "Equal", "matchValues": ["/never"]}])),
             AZURE, "RateLimitRule"),
    # ---- edge-https-only on the Application Gateway: the "redirect" goes back to plain HTTP
    Mutation("red-appgw-redirect-to-itself", "edge-https-only", _gateway(_self_redirect), AZURE, "http"),
    Mutation("red-appgw-redirect-to-http-url", "edge-https-only",
             _gateway(_redirect_to({"targetUrl": "http://orchestrator-az.acme.example/"})), AZURE,
             "http://orchestrator-az.acme.example/"),
    Mutation("red-appgw-tls-custom-tls10", "edge-tls-min-version",
             _gateway(lambda p: p.update(sslPolicy={"policyType": "Custom", "minProtocolVersion": "TLSv1_0",
                                                    "cipherSuites": ["TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"]})),
             AZURE, "TLSv1_0"),
    # ---- azure-nsg-no-internet-admin: tags and ranges not tried before
    Mutation("red-nsg-any-tag-range", "azure-nsg-no-internet-admin",
             _nsg_allow("postgres-nsg", {"sourceAddressPrefix": "Any", "destinationPortRange": "1-6000"}), AZURE,
             "port 22"),
    Mutation("red-nsg-padded-internet-list", "azure-nsg-no-internet-admin",
             _nsg_allow("nodes-nsg", {"sourceAddressPrefixes": [" Internet "], "destinationPortRanges": ["6000-6500"]}),
             AZURE, "port 6379"),
    Mutation("red-nsg-full-range-string-priority", "azure-nsg-no-internet-admin",
             _nsg_allow("endpoints-nsg", {"sourceAddressPrefix": "0.0.0.0/0", "destinationPortRange": "0-65535",
                                          "priority": "120", "protocol": "*"}), AZURE, "all ports"),
    # ---- azure-redis-tls-private / azure-keyvault-hardened / azure-aks-access: other spellings
    Mutation("red-redis-enterprise-tls10", "azure-redis-tls-private",
             on(ENTERPRISE, "", ("minimumTlsVersion",), "1.0"), AZURE, "minimumTlsVersion is 1.0"),
    Mutation("red-vault-acl-allow-uppercase", "azure-keyvault-hardened",
             on(VAULT, "", ("properties", "networkAcls", "defaultAction"), "ALLOW"), AZURE, "defaultAction is ALLOW"),
    Mutation("red-aks-ranges-outputs-only", "azure-aks-access",
             lambda e: set_output(first(e, AKS), ("apiServerAccessProfile",),
                                  {"enablePrivateCluster": False, "authorizedIPRanges": ["0.0.0.0/1", "128.0.0.0/1"]}),
             AZURE, "authorizedIPRanges"),
    # ---- HAProxy: edge-admin-protected / edge-health-not-public
    Mutation("red-haproxy-stats-on-public-frontend", "edge-admin-protected",
             edit_cfg(_before_backend("stats enable", "stats uri /haproxy-stats")), HAPROXY, "stats"),
    Mutation("red-haproxy-stats-backend", "edge-admin-protected",
             edit_cfg(lambda t: _append("backend stats_be\n    stats enable\n    stats uri /\n")(
                 _before_backend("use_backend stats_be if { path_beg /haproxy-stats }")(t))), HAPROXY, "stats"),
    Mutation("red-haproxy-spoofable-src", "edge-admin-protected",
             edit_cfg(_all_lines(" if from_front_door { req.hdr_cnt(x-forwarded-for) gt 0 }", "")), FRONT_DOOR, "/admin"),
    Mutation("red-haproxy-acl-or-header", "edge-admin-protected",
             edit_cfg(lambda t: re.sub(r"(    acl internal_client src [^\n]*\n)",
                                    r"\1    acl internal_client req.hdr(x-internal) -m found\n", t, count=1)),
             HAPROXY, "/admin"),
    Mutation("red-haproxy-rewrite-after-deny", "edge-admin-protected",
             edit_cfg(_after_deny("http-request set-path /admin%[path] if { path_beg /staff }")), HAPROXY,
             "may reach /admin"),
    Mutation("red-haproxy-replace-path-after-deny", "edge-health-not-public",
             edit_cfg(_after_deny(r"http-request replace-path ^/status(.*) /metrics\1")), HAPROXY, "/metrics"),
    Mutation("red-haproxy-duplicate-frontend", "edge-admin-protected",
             edit_cfg(_duplicate_frontend), HAPROXY, "/admin"),
    Mutation("red-haproxy-prometheus-public", "edge-health-not-public",
             edit_cfg(_sub(HTTPS_FRONTEND + "    bind", HTTPS_FRONTEND +
                        "    http-request use-service prometheus-exporter if { path /metrics }\n    bind")), HAPROXY,
             "/metrics"),
    Mutation("red-haproxy-deny-bypass-header", "edge-admin-protected",
             edit_cfg(_sub(DENY_403, DENY_403.rstrip("\n") + " !{ req.hdr(x-debug) -m found }\n")), HAPROXY, "/admin"),
    # ---- HAProxy: edge-tls-min-version
    Mutation("red-haproxy-bind-force-tlsv10", "edge-tls-min-version", edit_cfg(_https_bind(" force-tlsv10")), HAPROXY,
             "tlsv10"),
    Mutation("red-haproxy-bind-min-tls10", "edge-tls-min-version", edit_cfg(_https_bind(" ssl-min-ver TLSv1.0")),
             HAPROXY, "TLSv1.0"),
    Mutation("red-haproxy-default-max-tls11", "edge-tls-min-version",
             edit_cfg(_sub("ssl-default-bind-options ssl-min-ver TLSv1.2", "ssl-default-bind-options ssl-max-ver TLSv1.1")),
             HAPROXY, "TLSv1.1"),
    Mutation("red-haproxy-bind-weak-ciphers", "edge-tls-min-version", edit_cfg(_https_bind(" ciphers RC4-SHA:DES-CBC3-SHA")),
             HAPROXY, "RC4"),
    Mutation("red-haproxy-second-bind-tls10", "edge-tls-min-version",
             edit_cfg(lambda t: HTTPS_BIND_RE.sub(lambda m: m.group(1) + "\n" + m.group(1).replace(":8443", ":9443")
                                               + " ssl-min-ver TLSv1.0", t, count=1)), HAPROXY, "TLSv1.0"),
    # ---- HAProxy: edge-security-headers
    Mutation("red-haproxy-server-header-reset", "edge-security-headers",
             edit_cfg(_all_lines("    http-after-response del-header Server\n",
                              "    http-after-response del-header Server\n"
                              '    http-after-response set-header Server "Apache/2.4.1"\n')), HAPROXY, "Server"),
    Mutation("red-haproxy-csp-wildcard", "edge-security-headers",
             edit_cfg(_all_lines("default-src 'self'", "default-src *")), HAPROXY, "default-src"),
    # ---- HAProxy: edge-rate-limit
    Mutation("red-haproxy-track-only-api", "edge-rate-limit",
             edit_cfg(_all_lines("http-request track-sc0 src table public_https",
                              "http-request track-sc0 src table public_https if { path_beg /api }")), HAPROXY,
             "is not answered 429"),
    Mutation("red-haproxy-rate-deny-200", "edge-rate-limit",
             edit_cfg(_all_lines("http-request deny deny_status 429 if { sc_http_req_rate(0) gt 100 }",
                              "http-request deny deny_status 200 if { sc_http_req_rate(0) gt 100 }")), HAPROXY, "429"),
    Mutation("red-haproxy-rate-bypass-header", "edge-rate-limit",
             edit_cfg(_all_lines("if { sc_http_req_rate(0) gt 100 }",
                              "if { sc_http_req_rate(0) gt 100 } !{ req.hdr(x-load-test) -m found }")), HAPROXY,
             "with x-load-test set by the client (claiming '1') is not answered 429"),
    # ---- HAProxy: edge-https-only
    Mutation("red-haproxy-redirect-conditional", "edge-https-only",
             edit_cfg(lambda t: t.replace("    http-request redirect scheme https code 301\n",
                                       "    http-request redirect scheme https code 301 if { hdr(host) -m end .example }\n"
                                       "    default_backend app\n", 1)), HAPROXY, "forwarded"),
    # ---- a further batch: method-only denies, weaker path matching, TCP passthrough, casing
    Mutation("red-haproxy-deny-get-only", "edge-admin-protected",
             edit_cfg(_sub(DENY_403, DENY_403.rstrip("\n") + " METH_GET\n")), HAPROXY, "/admin"),
    Mutation("red-haproxy-path-beg-case", "edge-admin-protected",
             edit_cfg(lambda t: re.sub(r"    acl protected_path [^\n]*\n",
                                    "    acl protected_path path_beg /health /ready /metrics /admin\n", t, count=1)),
             HAPROXY, "/admin"),
    Mutation("red-haproxy-public-tcp-passthrough", "edge-https-only",
             edit_cfg(_append("frontend public_raw\n    mode tcp\n    bind *:8081\n    default_backend app_tcp\n\n"
                           "backend app_tcp\n    mode tcp\n    server blue orchestrator-blue:80\n")), HAPROXY,
             "public_raw"),
    Mutation("red-haproxy-redirect-to-http-location", "edge-https-only",
             edit_cfg(_sub("    http-request redirect scheme https code 301\n",
                        "    http-request redirect location http://%[hdr(host)]%[capture.req.uri] code 301\n")),
             HAPROXY, "non-HTTPS"),
    Mutation("red-haproxy-hsts-zero", "edge-security-headers",
             edit_cfg(_all_lines("max-age=63072000; includeSubDomains", "max-age=0")), HAPROXY, "max-age"),
    Mutation("red-aks-ranges-star", "azure-aks-access",
             on(AKS, "", ("apiServerAccessProfile",), {"enablePrivateCluster": False, "authorizedIPRanges": ["*"]}),
             AZURE, "authorizedIPRanges"),
    Mutation("red-memorydb-open-access-case", "aws-redis-encryption-auth",
             lambda e: add_resource(e, "aws:memorydb/cluster:Cluster", "sessions", {
                 "aclName": " Open-Access ", "tlsEnabled": True, "nodeType": "db.r7g.large",
                 "kmsKeyArn": "arn:aws:kms:eu-west-3:123456789012:key/4a364c71-66ca-4261-8bd6-be4a5137a312"}),
             AWS, "aclName"),
    Mutation("red-rds-cluster-instance-public-string", "aws-rds-not-public",
             lambda e: add_resource(e, "aws:rds/clusterInstance:ClusterInstance", "reporting-1", {
                 "clusterIdentifier": "reporting", "engine": "aurora-postgresql", "instanceClass": "db.r6g.large",
                 "publiclyAccessible": "True"}), AWS, "publiclyAccessible is"),
    Mutation("red-s3-block-string-false", "aws-s3-not-public",
             on("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "", ("restrictPublicBuckets",), "false"),
             AWS, "restrictPublicBuckets"),
    Mutation("red-iam-group-policy-star", "aws-iam-no-wildcard",
             lambda e: add_resource(e, "aws:iam/groupPolicy:GroupPolicy", "ops-group", {
                 "group": "ops", "policy": '{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*",'
                                           '"Resource":"*"}}'}), AWS, "allows *"),
    Mutation("red-eks-public-inputs-only", "aws-eks-endpoint",
             lambda e: set_input(first(e, EKS), ("vpcConfig", "publicAccessCidrs"), ["0.0.0.0/0"]) and
             set_input(first(e, EKS), ("vpcConfig", "endpointPublicAccess"), "true"), AWS, "0.0.0.0/0"),
]
