"""A fourth pass on the AWS and Azure rules: references proved by their value, not by the wiring an `.apply()`
keeps (a parameter group, a replica's source, a gateway's WAF policy, a subnet's NSG), protections that exist but
do not protect (a duplicated `rds.force_ssl`, a Deny narrowed to one host or source port, a WAF override that
lists no rule, a logging filter that drops everything), exemptions borrowed by another resource (a database's
security group listed on the public load balancer), and access paths beside the endpoint (EKS's aws-auth
ConfigMap, web-identity trust without a `:sub`, public secret policies, `*FullAccess` policies, IAM actions on
every role, node public IPs), and the aws-native spelling of security-group rules.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

from tests.policies.mutants.model import Export, Mutation, add_resource, first, set_input
from tests.policies.mutants.ops_aws import set_output

AWS = ("production", "staging")
AZURE = ("production-azure",)
RDS = "aws:rds/instance:Instance"
PARAMETER_GROUP = "aws:rds/parameterGroup:ParameterGroup"
SG_INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
LB = "aws:lb/loadBalancer:LoadBalancer"
EKS = "aws:eks/cluster:Cluster"
SECRET = "aws:secretsmanager/secret:Secret"
SECRET_POLICY = "aws:secretsmanager/secretPolicy:SecretPolicy"
WAF_LOGGING = "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration"
WEB_ACL = "aws:wafv2/webAcl:WebAcl"
ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
NATIVE_GROUP = "aws-native:ec2:SecurityGroup"
NATIVE_INGRESS = "aws-native:ec2:SecurityGroupIngress"
ROLE = "aws:iam/role:Role"
NSG = "azure-native:network:NetworkSecurityGroup"
SUBNET = "azure-native:network:Subnet"
PG = "azure-native:dbforpostgresql:Server"
WAF_POLICY = "azure-native:network:WebApplicationFirewallPolicy"
GATEWAY = "azure-native:network:ApplicationGateway"
AKS = "azure-native:containerservice:ManagedCluster"
AGENT_POOL = "azure-native:containerservice:AgentPool"
ELSEWHERE_DB = "arn:aws:rds:eu-west-1:999999999999:db:somebody-elses-db"
FOREIGN_WAF = ("/subscriptions/00000000-0000-4000-8000-000000000009/resourceGroups/other/providers/Microsoft.Network/"
               "ApplicationGatewayWebApplicationFirewallPolicies/permissive")


def _both(resource: dict[str, Any], change: Callable[[dict[str, Any]], None]) -> str:
    for side in ("inputs", "outputs"):
        change(resource[side])
    return str(resource["urn"])


def _value(resource: dict[str, Any], key: str) -> Any:
    return (resource.get("outputs") or {}).get(key, (resource.get("inputs") or {}).get(key))


# --- AWS ----------------------------------------------------------------------------------------


def force_ssl_duplicated(export: Export) -> str:
    """A second `rds.force_ssl` entry with 0: which one RDS applies is not the reader's to guess."""
    _both(first(export, PARAMETER_GROUP, "database-params"), lambda p: p["parameters"].append(
        {"name": "rds.force_ssl", "value": "0", "applyMethod": "immediate"}))
    return str(first(export, RDS, "database-primary")["urn"])


def _group_named(instance: str, value: str, *, outputs_only: bool = False) -> Callable[[Export], str]:
    """The instance names another parameter group; its wiring to the declared one stays (an `.apply()`)."""
    def apply(export: Export) -> str:
        db = first(export, RDS, instance)
        assert "parameterGroupName" in db["propertyDependencies"]
        return set_output(db, ("parameterGroupName",), value) if outputs_only else \
            set_input(db, ("parameterGroupName",), value)
    return apply


def replica_of_another_db(export: Export) -> str:
    return set_input(first(export, RDS, "database-replica-1"), ("replicateSourceDb",), ELSEWHERE_DB)


def replicas_of_another_db(export: Export) -> str:
    for name in ("database-replica-1", "database-replica-2"):
        set_input(first(export, RDS, name), ("replicateSourceDb",), "somebody-elses-db")
    return str(first(export, RDS, "database-primary")["urn"])


def _group_of(export: Export, rule: str) -> str:
    return str(_value(first(export, SG_INGRESS, rule), "securityGroupId"))


def _borrowed_exemption(rule: str) -> Callable[[Export], str]:
    """A data store's group is listed on the public ALB too, then opened to the world on 443: the edge's
    80/443 exemption must not follow the group to the store behind it."""
    def apply(export: Export) -> str:
        group = _group_of(export, rule)
        _both(first(export, LB, "front-door-alb"), lambda p: p["securityGroups"].append(group))
        return add_resource(export, SG_INGRESS, "mutant-borrowed-https", {
            "securityGroupId": group, "ipProtocol": "tcp", "fromPort": 443, "toPort": 443, "cidrIpv4": "0.0.0.0/0",
            "description": "mutant"})
    return apply


def _access(**values: Any) -> Callable[[Export], str]:
    return lambda export: _both(first(export, EKS, "cluster-eks"), lambda p: p["accessConfig"].update(values))


def _secret_policy(statement: dict[str, Any], **extra: Any) -> Callable[[Export], str]:
    def apply(export: Export) -> str:
        arn = _value(first(export, SECRET, "database-master"), "arn")
        return add_resource(export, SECRET_POLICY, "mutant-secret-policy", {
            "secretArn": arn, "policy": json.dumps({"Version": "2012-10-17", "Statement": [statement]}), **extra})
    return apply


def logging_drops_everything(export: Export) -> str:
    set_input(first(export, WAF_LOGGING, "front-door-waf-logging"), ("loggingFilter",),
              {"defaultBehavior": "DROP", "filters": []})
    return str(first(export, WEB_ACL, "front-door-waf")["urn"])


def _trust(change: Callable[[dict[str, Any]], None]) -> Callable[[Export], str]:
    """Edits the EBS CSI driver's web-identity trust policy."""
    def apply(export: Export) -> str:
        role = first(export, ROLE, "cluster-ebs-csi")
        document = json.loads(role["inputs"]["assumeRolePolicy"])
        change(document["Statement"][0])
        return set_input(role, ("assumeRolePolicy",), json.dumps(document))
    return apply


def _drop_sub(statement: dict[str, Any]) -> None:
    equals = statement["Condition"]["StringEquals"]
    for key in [k for k in equals if k.endswith(":sub")]:
        del equals[key]


def _wildcard_sub(statement: dict[str, Any]) -> None:
    equals = statement["Condition"].pop("StringEquals")
    statement["Condition"]["StringLike"] = {k: "system:serviceaccount:*" if k.endswith(":sub") else v
                                            for k, v in equals.items()}


# --- Azure --------------------------------------------------------------------------------------

OPEN_SSH = {"name": "mutant-ssh", "direction": "Inbound", "access": "Allow", "protocol": "Tcp", "priority": 300,
            "sourceAddressPrefix": "Internet", "sourcePortRange": "*", "destinationAddressPrefix": "*",
            "destinationPortRange": "22"}


def _narrowed_deny(change: dict[str, Any]) -> Callable[[Export], str]:
    """The Deny of Internet → 22 now applies to one host or one source port; an Allow follows it."""
    def apply(export: Export) -> str:
        def edit(props: dict[str, Any]) -> None:
            for rule in props["securityRules"]:
                if rule["name"] == "deny-internet-22":
                    rule.update(change)
            props["securityRules"].append(copy.deepcopy(OPEN_SSH))
        return _both(first(export, NSG, "cluster-network-endpoints-nsg"), edit)
    return apply


def foreign_subnet_nsg(export: Export) -> str:
    return set_input(first(export, SUBNET, "cluster-network-nodes"), ("networkSecurityGroup", "id"),
                     "/subscriptions/00000000-0000-4000-8000-000000000009/resourceGroups/other/providers/"
                     "Microsoft.Network/networkSecurityGroups/wide-open")


def pg_replica_of_another_server(export: Export) -> str:
    return set_input(first(export, PG, "database-replica-1"), ("sourceServerResourceId",),
                     "/subscriptions/00000000-0000-4000-8000-000000000009/resourceGroups/other/providers/"
                     "Microsoft.DBforPostgreSQL/flexibleServers/somebody-elses-server")


def _waf_policy(change: Callable[[dict[str, Any]], None]) -> Callable[[Export], str]:
    return lambda export: _both(first(export, WAF_POLICY, "front-door-waf"), change)


def _override_no_rules(props: dict[str, Any]) -> None:
    props["managedRules"]["managedRuleSets"][0]["ruleGroupOverrides"] = [{"ruleGroupName": "SQLI", "rules": []}]


def _listener_policy(collection: str) -> Callable[[Export], str]:
    def apply(export: Export) -> str:
        def edit(props: dict[str, Any]) -> None:
            entries = props.setdefault(collection, [])
            if collection == "urlPathMaps":
                entries.append({"name": "mutant-map", "pathRules": [
                    {"name": "mutant-api", "paths": ["/api/*"], "firewallPolicy": {"id": FOREIGN_WAF}}]})
            else:
                entries[0]["firewallPolicy"] = {"id": FOREIGN_WAF}
        return _both(first(export, GATEWAY, "front-door-gateway"), edit)
    return apply


def _op(name: str, rule: str, apply: Callable[[Export], str | None], message: str,
        stacks: tuple[str, ...] = AWS) -> Mutation:
    return Mutation(f"{rule}-r4-{name}", rule, apply, stacks, message)


TLS = "aws-rds-force-tls"
IAM = "aws-iam-no-wildcard"
NSG_RULE = "azure-nsg-no-internet-admin"
AZ_WAF = "azure-waf-prevention"

OPERATORS: list[Mutation] = [
    _op("duplicate-force-ssl", TLS, force_ssl_duplicated, "does not set rds.force_ssl=1 (it sets rds.force_ssl to 0)"),
    _op("default-group-wired", TLS, _group_named("database-primary", "default.postgres16"),
        "parameterGroupName default.postgres16 is no parameter group of this stack"),
    _op("replica-default-group", TLS, _group_named("database-replica-2", "default.postgres16"),
        "no custom parameter group with rds.force_ssl=1"),
    _op("group-drift", TLS, _group_named("database-primary", "default.postgres16", outputs_only=True),
        "default.postgres16"),
    _op("replica-elsewhere", "aws-rds-replicas", replica_of_another_db, "names no primary of this stack"),
    _op("replicas-elsewhere", "aws-rds-replicas", replicas_of_another_db, "the primary has 0 replica(s)"),
    _op("borrowed-exemption-db", "aws-sg-no-world-ingress", _borrowed_exemption("database-from-cluster"),
        "admits 0.0.0.0/0 (tcp 443) on a non-edge group"),
    _op("borrowed-exemption-search", "aws-sg-no-world-ingress",
        _borrowed_exemption("monitoring-opensearch-from-cluster"), "admits 0.0.0.0/0 (tcp 443) on a non-edge group"),
    _op("config-map-auth", "aws-eks-endpoint", _access(authenticationMode="API_AND_CONFIG_MAP"),
        "authenticationMode is \"API_AND_CONFIG_MAP\""),
    _op("creator-admin", "aws-eks-endpoint", _access(bootstrapClusterCreatorAdminPermissions=True),
        "bootstrapClusterCreatorAdminPermissions is true"),
    _op("secret-policy-public", "aws-secrets-cmk", _secret_policy(
        {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "secretsmanager:GetSecretValue", "Resource": "*"}),
        "to principal *"),
    _op("secret-policy-any-account", "aws-secrets-cmk", _secret_policy(
        {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::*:root"}, "Action": "secretsmanager:*",
         "Resource": "*"}, blockPublicPolicy=False), "blockPublicPolicy is false"),
    _op("secret-inline-policy-public", "aws-secrets-cmk", lambda e: set_input(
        first(e, SECRET, "cache-auth"), ("policy",), json.dumps({"Statement": [
            {"Effect": "Allow", "Principal": "*", "Action": "secretsmanager:GetSecretValue", "Resource": "*",
             "Condition": {"StringLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/*"}}}]})),
        "to principal *"),
    _op("logging-drops-all", "aws-waf-attached-logged", logging_drops_everything, "loggingFilter.defaultBehavior is DROP"),
    _op("full-access-policy", IAM, lambda e: set_input(
        first(e, ATTACHMENT, "cluster-nodes-AmazonSSMManagedInstanceCore"), ("policyArn",),
        "arn:aws:iam::aws:policy/AmazonS3FullAccess"), "AmazonS3FullAccess"),
    _op("irsa-without-sub", IAM, _trust(_drop_sub), "no :sub condition"),
    _op("irsa-wildcard-sub", IAM, _trust(_wildcard_sub), "does not pin one subject"),
    _op("iam-star-on-every-role", IAM, lambda e: set_input(
        first(e, "aws:iam/rolePolicy:RolePolicy", "cluster-network-flow-logs"), ("policy",), json.dumps({
            "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["iam:PassRole", "iam:*"],
                                                    "Resource": "arn:aws:iam::123456789012:role/*"}]})),
        "allows iam:* on"),
    _op("native-ingress-world", "aws-sg-no-world-ingress", lambda e: add_resource(
        e, NATIVE_INGRESS, "mutant-native-ingress", {"groupId": _group_of(e, "database-from-cluster"),
                                                    "ipProtocol": "tcp", "fromPort": 5432, "toPort": 5432,
                                                    "cidrIp": "0.0.0.0/0", "description": "mutant"}),
        "admits 0.0.0.0/0 (tcp 5432)"),
    _op("native-group-inline-world", "aws-sg-no-world-ingress", lambda e: add_resource(
        e, NATIVE_GROUP, "mutant-native-group", {"groupDescription": "mutant", "securityGroupIngress": [
            {"ipProtocol": "-1", "cidrIpv6": "::/0"}]}), "securityGroupIngress[0] admits ::/0"),
    _op("native-ingress-cidr-to-db", "aws-sg-data-tier-scoped", lambda e: add_resource(
        e, NATIVE_INGRESS, "mutant-native-vpc", {"groupId": _group_of(e, "database-from-cluster"),
                                                 "ipProtocol": "tcp", "fromPort": 5432, "toPort": 5432,
                                                 "cidrIp": "10.60.0.0/16", "description": "mutant"}),
        "admits CIDRs 10.60.0.0/16"),
    # Azure
    _op("deny-narrowed-to-host", NSG_RULE, _narrowed_deny({"destinationAddressPrefix": "10.60.99.1/32"}),
        "admits Internet to port 22", AZURE),
    _op("deny-narrowed-to-source-port", NSG_RULE, _narrowed_deny({"sourcePortRange": "1024"}),
        "admits Internet to port 22", AZURE),
    _op("foreign-subnet-nsg", NSG_RULE, foreign_subnet_nsg, "names no network security group of this stack", AZURE),
    _op("replica-elsewhere", "azure-pg-resilience", pg_replica_of_another_server, "names no primary of this stack",
        AZURE),
    _op("override-without-rules", AZ_WAF, _waf_policy(_override_no_rules), "every rule of the group is disabled",
        AZURE),
    _op("body-check-off", AZ_WAF, _waf_policy(lambda p: p["policySettings"].update(requestBodyCheck=False)),
        "requestBodyCheck is false", AZURE),
    _op("foreign-gateway-policy", AZ_WAF, lambda e: set_input(first(e, GATEWAY, "front-door-gateway"),
                                                              ("firewallPolicy", "id"), FOREIGN_WAF),
        "names no WAF policy of this stack", AZURE),
    _op("foreign-listener-policy", AZ_WAF, _listener_policy("httpListeners"), "httpListeners[0]", AZURE),
    _op("foreign-path-policy", AZ_WAF, _listener_policy("urlPathMaps"), "pathRules[0] (mutant-api)", AZURE),
    _op("legacy-waf-config-off", AZ_WAF, lambda e: _both(first(e, GATEWAY, "front-door-gateway"), lambda p: (
        p.pop("firewallPolicy", None), p.update(webApplicationFirewallConfiguration={
            "enabled": False, "firewallMode": "Prevention", "ruleSetType": "OWASP", "ruleSetVersion": "3.2"}))),
        "webApplicationFirewallConfiguration enabled false", AZURE),
    _op("node-public-ip", "azure-aks-access", lambda e: _both(
        first(e, AKS, "cluster-aks"), lambda p: p["agentPoolProfiles"][0].update(enableNodePublicIP=True)),
        "enableNodePublicIP is true", AZURE),
    _op("pool-public-ip", "azure-aks-access", lambda e: set_input(first(e, AGENT_POOL, "cluster-user-pool"),
                                                                  ("enableNodePublicIP",), "True"),
        "enableNodePublicIP is true", AZURE),
]
