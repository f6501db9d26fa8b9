"""Every rule's compliant and violating cases: (rule, fires?, resources)."""

from __future__ import annotations

import json
from typing import Any

from tests.policies.conftest import resource, root, urn
from tests.policies.edge.cases import EDGE_CASES
from tests.policies.fixtures import (
    APP_NS,
    EDGE_LABELS,
    EDGE_NS,
    HAPROXY_CFG,
    app_stack,
    cfg_replace,
    dep,
    haproxy_configmap,
    hpa,
    mutate,
    netpol,
    pdb,
    service,
    with_deployment,
)

Case = tuple[str, bool, list[dict[str, Any]]]
C = "spec.template.spec.containers.0"
INIT = "spec.template.spec.initContainers.0"
P = "spec.template.spec"

KEY = "arn:aws:kms:eu-west-3:123456789012:key/1111"
RANDOM = "random:index/randomPassword:RandomPassword"


def edge(cfg: str) -> list[dict[str, Any]]:
    return app_stack(**{"haproxy-config": haproxy_configmap(cfg)})


def one(type_: str, props: dict[str, Any], **kwargs: Any) -> list[dict[str, Any]]:
    return [resource(type_, "subject", props, **kwargs)]


# --- AWS ---------------------------------------------------------------------------------------------

PRIMARY = {"identifier": "db-primary", "engine": "postgres", "publiclyAccessible": False, "storageEncrypted": True,
           "kmsKeyId": KEY, "iamDatabaseAuthenticationEnabled": True, "username": "orchestrator_app",
           "password": "generated", "multiAz": True, "backupRetentionPeriod": 14, "deletionProtection": True,
           "performanceInsightsEnabled": True, "performanceInsightsKmsKeyId": KEY,
           "enabledCloudwatchLogsExports": ["postgresql", "upgrade"], "parameterGroupName": "pg-force-ssl"}
REPLICA = {"identifier": "db-replica", "replicateSourceDb": "db-primary", "publiclyAccessible": False,
           "kmsKeyId": KEY, "deletionProtection": True, "performanceInsightsEnabled": True,
           "performanceInsightsKmsKeyId": KEY, "enabledCloudwatchLogsExports": ["postgresql"],
           "parameterGroupName": "pg-force-ssl"}


def rds(primary: dict[str, Any] | None = None, replicas: int = 2, password_generated: bool = True,
        group: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    random = resource(RANDOM, "db-password", {"length": 32})
    deps = {"password": [random["urn"]]} if password_generated else None
    out = [random,
           resource("aws:rds/parameterGroup:ParameterGroup", "pg", group or {
               "name": "pg-force-ssl", "family": "postgres16", "parameters": [{"name": "rds.force_ssl", "value": "1"}]}),
           resource("aws:rds/instance:Instance", "db-primary", primary or PRIMARY, protect=True, deps=deps)]
    out += [resource("aws:rds/instance:Instance", f"db-replica-{i}", {**REPLICA, "identifier": f"db-replica-{i}"},
                     protect=True) for i in range(replicas)]
    return out


REDIS = {"transitEncryptionEnabled": True, "atRestEncryptionEnabled": True, "kmsKeyId": KEY, "authToken": "[secret]",
         "clusterMode": "enabled", "numNodeGroups": 3, "replicasPerNodeGroup": 1, "automaticFailoverEnabled": True,
         "multiAzEnabled": True, "snapshotRetentionLimit": 7}
EKS = {"vpcConfig": {"endpointPrivateAccess": True, "endpointPublicAccess": False, "clusterSecurityGroupId": "sg-cluster"},
       "encryptionConfig": {"resources": ["secrets"], "provider": {"keyArn": KEY}},
       "enabledClusterLogTypes": ["api", "audit", "authenticator", "controllerManager", "scheduler"]}


def network(*rules: dict[str, Any], alb_groups: list[str] | None = None) -> list[dict[str, Any]]:
    out = [resource("aws:eks/cluster:Cluster", "cluster", {**EKS, "arn": "arn:eks"}),
           resource("aws:ec2/securityGroup:SecurityGroup", "alb-sg", {"id": "sg-alb", "ingress": [
               {"protocol": "tcp", "fromPort": 443, "toPort": 443, "cidrBlocks": ["0.0.0.0/0"], "description": "https"}]}),
           resource("aws:ec2/securityGroup:SecurityGroup", "db-sg", {"id": "sg-db"}),
           resource("aws:lb/loadBalancer:LoadBalancer", "alb", {"arn": "arn:alb", "internal": False,
                                                                "securityGroups": alb_groups or ["sg-alb"]})]
    out += [resource(r.pop("__type", "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"), f"rule-{i}", r)
            for i, r in enumerate(rules)]
    return out


DB_RULE = {"securityGroupId": "sg-db", "referencedSecurityGroupId": "sg-cluster", "fromPort": 5432, "toPort": 5432,
           "ipProtocol": "tcp", "description": "postgres from the cluster"}
WAF_RULES = [
    *({"name": g, "priority": i, "overrideAction": {"none": {}},
       "statement": {"managedRuleGroupStatement": {"vendorName": "AWS", "name": g}}}
      for i, g in enumerate(("AWSManagedRulesCommonRuleSet", "AWSManagedRulesSQLiRuleSet",
                             "AWSManagedRulesKnownBadInputsRuleSet"))),
    {"name": "rate", "priority": 9, "action": {"block": {}},
     "statement": {"rateBasedStatement": {"limit": 2000, "aggregateKeyType": "IP"}}},
]


def waf_stack(associate: bool = True, log: bool = True) -> list[dict[str, Any]]:
    out = [resource("aws:lb/loadBalancer:LoadBalancer", "alb", {"arn": "arn:alb", "internal": False}),
           resource("aws:wafv2/webAcl:WebAcl", "acl", {"arn": "arn:acl", "scope": "REGIONAL", "rules": WAF_RULES})]
    if associate:
        out.append(resource("aws:wafv2/webAclAssociation:WebAclAssociation", "assoc",
                            {"resourceArn": "arn:alb", "webAclArn": "arn:acl"}))
    if log:
        out.append(resource("aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration", "log",
                            {"resourceArn": "arn:acl", "logDestinationConfigs": ["arn:logs"]}))
    return out


KMS_POLICY = json.dumps({"Statement": [{"Sid": "root", "Effect": "Allow",
                                        "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "kms:*"}]})
STAR_POLICY = json.dumps({"Statement": [{"Sid": "all", "Effect": "Allow", "Principal": "*", "Action": "kms:*"}]})

# --- Azure ------------------------------------------------------------------------------------------

AKS = {"apiServerAccessProfile": {"enablePrivateCluster": True}, "disableLocalAccounts": True,
       "aadProfile": {"managed": True, "enableAzureRBAC": True},
       "networkProfile": {"networkPlugin": "azure", "networkPolicy": "cilium", "networkDataplane": "cilium"}}
PG = {"serverName": "pg", "id": "/subscriptions/s/resourceGroups/r/providers/Microsoft.DBforPostgreSQL/flexibleServers/pg",
      "network": {"publicNetworkAccess": "Disabled", "delegatedSubnetResourceId": "/subnets/db"},
      "highAvailability": {"mode": "ZoneRedundant"}, "backup": {"geoRedundantBackup": "Enabled", "backupRetentionDays": 14}}


def pg_stack(primary: dict[str, Any] | None = None, replicas: int = 2) -> list[dict[str, Any]]:
    out = [resource("azure-native:dbforpostgresql:Server", "pg", primary or PG, protect=True)]
    out += [resource("azure-native:dbforpostgresql:Server", f"pg-replica-{i}", {
        "createMode": "Replica", "sourceServerResourceId": PG["id"], "network": PG["network"]}, protect=True)
        for i in range(replicas)]
    return out


VAULT = {"properties": {"enablePurgeProtection": True, "enableRbacAuthorization": True, "publicNetworkAccess": "Disabled",
                        "networkAcls": {"defaultAction": "Deny"},
                        "tenantId": "t", "sku": {"family": "A", "name": "standard"}}}
WAF_POLICY = {"policySettings": {"mode": "Prevention", "state": "Enabled"},
              "managedRules": {"managedRuleSets": [{"ruleSetType": "Microsoft_DefaultRuleSet", "ruleSetVersion": "2.1"}]},
              "customRules": [{"name": "rate", "ruleType": "RateLimitRule", "action": "Block", "priority": 1,
                               "rateLimitThreshold": 1000, "matchConditions": []}]}
APP_GW = {"sku": {"name": "WAF_v2", "tier": "WAF_v2"}, "firewallPolicy": {"id": "/policies/waf"},
          "sslPolicy": {"policyType": "Predefined", "policyName": "AppGwSslPolicy20220101S"},
          "httpListeners": [{"name": "https", "protocol": "Https"}, {"name": "http", "protocol": "Http"}],
          "requestRoutingRules": [{"name": "https", "httpListener": {"id": "/gw/httpListeners/https"},
                                   "backendAddressPool": {"id": "/gw/pool"}},
                                  {"name": "http", "httpListener": {"id": "/gw/httpListeners/http"},
                                   "redirectConfiguration": {"id": "/gw/redirect"}}]}
NSG_RULE = {"name": "https", "direction": "Inbound", "access": "Allow", "protocol": "Tcp",
            "sourceAddressPrefix": "Internet", "destinationPortRange": "443", "priority": 100}

HELM = "kubernetes:helm.sh/v3:Release"
GRAFANA_OK = {"grafana": {"admin": {"existingSecret": "grafana-admin", "passwordKey": "password"},
                          "service": {"type": "ClusterIP"}, "ingress": {"enabled": False}}}

CASES: list[Case] = [
    # Kubernetes workloads (init containers included)
    ("k8s-no-privileged", False, app_stack()),
    ("k8s-no-privileged", True, with_deployment(f"{INIT}.securityContext.privileged", True)),
    ("k8s-no-privilege-escalation", False, app_stack()),
    ("k8s-no-privilege-escalation", True, with_deployment(f"{INIT}.securityContext.allowPrivilegeEscalation", None)),
    ("k8s-run-as-non-root", False, app_stack()),
    ("k8s-run-as-non-root", True, with_deployment(f"{C}.securityContext.runAsUser", 1000)),
    ("k8s-run-as-non-root", True, with_deployment(f"{INIT}.securityContext.runAsNonRoot", False)),
    ("k8s-read-only-root-fs", False, app_stack()),
    ("k8s-read-only-root-fs", True, with_deployment(f"{C}.securityContext.readOnlyRootFilesystem", False)),
    ("k8s-drop-capabilities", False, app_stack()),
    ("k8s-drop-capabilities", True, with_deployment(f"{C}.securityContext.capabilities",
                                                    {"drop": ["ALL"], "add": ["NET_RAW"]})),
    ("k8s-drop-capabilities", True, with_deployment(f"{INIT}.securityContext.capabilities", {"drop": ["NET_ADMIN"]})),
    ("k8s-no-host-namespaces", False, app_stack()),
    ("k8s-no-host-namespaces", True, with_deployment(f"{P}.hostNetwork", True)),
    ("k8s-no-host-path-or-port", False, app_stack()),
    ("k8s-no-host-path-or-port", True, with_deployment(f"{P}.volumes", [
        {"name": "sock", "hostPath": {"path": "/var/run/docker.sock"}}])),
    ("k8s-no-host-path-or-port", True, with_deployment(f"{C}.ports", [
        {"name": "http", "containerPort": 8080, "hostPort": 8080}])),
    ("k8s-seccomp", False, app_stack()),
    ("k8s-seccomp", True, with_deployment(f"{INIT}.securityContext.seccompProfile", {"type": "Unconfined"})),
    ("k8s-service-account", False, app_stack()),
    ("k8s-service-account", True, with_deployment(f"{P}.automountServiceAccountToken", None)),
    ("k8s-service-account", True, with_deployment("metadata.namespace", "default")),
    ("k8s-image-pinned", False, with_deployment(f"{C}.image", "ghcr.io/acme/orchestrator@sha256:" + "a" * 64)),
    ("k8s-image-pinned", True, with_deployment(f"{C}.image", "ghcr.io/acme/orchestrator:latest")),
    ("k8s-image-pinned", True, with_deployment(f"{INIT}.image", "registry.local:5000/acme/migrate")),
    ("k8s-resources", False, app_stack()),
    ("k8s-resources", True, with_deployment(f"{INIT}.resources", {"limits": {"cpu": "1", "memory": "256Mi"}})),
    ("k8s-resources", True, with_deployment(f"{C}.resources.limits.memory", "1Gi")),
    ("k8s-probes", False, app_stack()),
    ("k8s-probes", True, with_deployment(f"{C}.readinessProbe", None)),
    ("k8s-probes", True, with_deployment(f"{C}.livenessProbe.httpGet.port", 9090)),
    ("k8s-probes", True, with_deployment(f"{C}.livenessProbe.initialDelaySeconds", 5)),
    ("k8s-no-literal-secret-env", False, app_stack()),
    ("k8s-no-literal-secret-env", True, with_deployment(f"{INIT}.env", [{"name": "DB_PASSWORD", "value": "hunter2"}])),
    ("k8s-configmap-no-secrets", False, app_stack()),
    ("k8s-configmap-no-secrets", True, one("kubernetes:core/v1:ConfigMap", {"data": {"api_token": "abc123"}})),
    ("k8s-configmap-no-secrets", True, one("kubernetes:core/v1:ConfigMap", {"data": {
        "tls.key": "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----"}})),
    ("k8s-configmap-no-secrets", True, edge(HAPROXY_CFG + "\nuserlist admins\n    user admin insecure-password s3cret\n")),
    ("k8s-configmap-no-secrets", False, edge(HAPROXY_CFG + '\nuserlist admins\n    user admin password "${ADMIN_HASH}"\n')),
    ("k8s-no-public-service", False, app_stack()),
    ("k8s-no-public-service", True, app_stack(**{"svc-live": service("app-live", APP_NS, {
        "app.kubernetes.io/name": "orchestrator", "orchestrator.io/slot": "blue"}, kind="LoadBalancer")})),
    ("k8s-no-public-service", True, app_stack(**{"svc-edge": service("haproxy", EDGE_NS, EDGE_LABELS, kind="LoadBalancer",
                                                                      target=8443)})),
    ("k8s-helm-release-values", False, one(HELM, {"chart": "kube-prometheus-stack", "values": GRAFANA_OK})),
    ("k8s-helm-release-values", True, one(HELM, {"chart": "grafana", "values": {"adminPassword": "admin123"}})),
    ("k8s-helm-release-values", True, one(HELM, {"chart": "kube-prometheus-stack", "values": {
        "prometheus": {"service": {"type": "LoadBalancer"}}}})),
    ("k8s-helm-release-values", False, [resource(RANDOM, "grafana-pw", {"length": 24}),
                                        resource(HELM, "grafana", {"chart": "grafana", "values": {"adminPassword": "x9"}},
                                                 deps={"values": [urn(RANDOM, "grafana-pw")]})]),
    ("k8s-spread", False, app_stack()),
    ("k8s-spread", True, with_deployment(f"{P}.topologySpreadConstraints", None)),
    # Kubernetes, stack-level
    ("k8s-min-replicas", False, app_stack()),
    ("k8s-min-replicas", True, app_stack(**{"hpa-blue": hpa("app-blue", "app-blue", min_replicas=2)})),
    ("k8s-min-replicas", False, app_stack(**{"hpa-green": hpa("app-green", "app-green", min_replicas=1)})),
    ("k8s-hpa-valid", False, app_stack()),
    ("k8s-hpa-valid", True, app_stack(**{"hpa-blue": hpa("app-blue", "app-bleu")})),
    ("k8s-hpa-valid", True, app_stack(**{"hpa-blue": hpa("app-blue", "app-blue", cpu=90)})),
    ("k8s-pdb-sane", False, app_stack()),
    ("k8s-pdb-sane", True, app_stack(**{"pdb-blue": pdb("app-blue", "blue", minAvailable=3)})),
    ("k8s-pdb-sane", True, app_stack(**{"pdb-blue": pdb("app-blue", "blue", maxUnavailable=0)})),
    ("k8s-pdb-sane", True, app_stack(**{"pdb-blue": None})),
    ("k8s-network-policy-coverage", False, app_stack()),
    ("k8s-network-policy-coverage", True, app_stack(**{"deny-app": None})),
    ("k8s-network-policy-coverage", True, app_stack(**{"allow-edge": netpol("haproxy", EDGE_NS, EDGE_LABELS,
                                                                            ingress=[{"ports": [{"port": 8443}]}],
                                                                            types=("Ingress",))})),
    ("k8s-network-policy-coverage", True, app_stack(**{"allow-edge": netpol("haproxy", EDGE_NS, EDGE_LABELS, egress=[
        {"to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": APP_NS}},
                 "podSelector": {"matchLabels": {"app.kubernetes.io/name": "orchestrater"}}}]}],
        ingress=[{"ports": [{"port": 8443}]}])})),
    ("k8s-service-selects-slot", False, app_stack()),
    ("k8s-service-selects-slot", True, app_stack(**{"svc-live": service("app-live", APP_NS, {
        "app.kubernetes.io/name": "orchestrator"})})),
    ("k8s-service-selects-slot", True, app_stack(**{"svc-blue": service("app-blue", APP_NS, {
        "app.kubernetes.io/name": "orchestrator", "orchestrator.io/slot": "blue"}, target="grpc")})),
    # Edge: HAProxy cases in tests/policies/edge/cases.py; the ALB and Application Gateway parts here
    *EDGE_CASES,
    ("edge-https-only", False, one("aws:lb/listener:Listener", {"protocol": "HTTP", "port": 80, "defaultActions": [
        {"type": "redirect", "redirect": {"protocol": "HTTPS", "port": "443", "statusCode": "HTTP_301"}}]})),
    ("edge-https-only", True, one("aws:lb/listener:Listener", {"protocol": "HTTP", "port": 80, "defaultActions": [
        {"type": "forward", "targetGroupArn": "arn:tg"}]})),
    ("edge-https-only", False, one("azure-native:network:ApplicationGateway", APP_GW)),
    ("edge-https-only", True, one("azure-native:network:ApplicationGateway", mutate(
        APP_GW, "requestRoutingRules.1", {"name": "http", "httpListener": {"id": "/gw/httpListeners/http"},
                                          "backendAddressPool": {"id": "/gw/pool"}}))),
    ("edge-tls-min-version", False, one("aws:lb/listener:Listener", {
        "protocol": "HTTPS", "port": 443, "sslPolicy": "ELBSecurityPolicy-TLS13-1-2-2021-06"})),
    ("edge-tls-min-version", True, one("aws:lb/listener:Listener", {"protocol": "HTTPS", "port": 443})),
    ("edge-tls-min-version", True, one("azure-native:network:ApplicationGateway", mutate(APP_GW, "sslPolicy", None))),
    # AWS
    ("aws-rds-not-public", False, rds()),
    ("aws-rds-not-public", True, rds(primary={**PRIMARY, "publiclyAccessible": True})),
    ("aws-rds-encrypted", False, rds()),
    ("aws-rds-encrypted", True, rds(primary={**PRIMARY, "kmsKeyId": "alias/aws/rds"})),
    ("aws-rds-force-tls", False, rds()),
    ("aws-rds-force-tls", True, rds(group={"name": "pg-force-ssl", "parameters": [{"name": "rds.force_ssl", "value": "0"}]})),
    ("aws-rds-auth", False, rds()),
    ("aws-rds-auth", True, rds(password_generated=False)),
    ("aws-rds-auth", True, rds(primary={**PRIMARY, "username": "postgres"})),
    ("aws-rds-resilience", False, rds()),
    ("aws-rds-resilience", True, rds(primary={**PRIMARY, "multiAz": False})),
    ("aws-rds-replicas", False, rds()),
    ("aws-rds-replicas", True, rds(replicas=1)),
    ("aws-redis-encryption-auth", False, one("aws:elasticache/replicationGroup:ReplicationGroup", REDIS)),
    ("aws-redis-encryption-auth", True, one("aws:elasticache/replicationGroup:ReplicationGroup",
                                            {**REDIS, "transitEncryptionEnabled": False})),
    ("aws-redis-encryption-auth", True, one("aws:elasticache/replicationGroup:ReplicationGroup",
                                            {k: v for k, v in REDIS.items() if k != "authToken"})),
    ("aws-redis-ha", False, one("aws:elasticache/replicationGroup:ReplicationGroup", REDIS)),
    ("aws-redis-ha", True, one("aws:elasticache/replicationGroup:ReplicationGroup", {**REDIS, "numNodeGroups": 1})),
    ("aws-eks-endpoint", False, one("aws:eks/cluster:Cluster", EKS)),
    ("aws-eks-endpoint", False, one("aws:eks/cluster:Cluster", mutate(mutate(EKS, "vpcConfig.endpointPublicAccess", True),
                                                                        "vpcConfig.publicAccessCidrs", ["203.0.113.0/24"]))),
    ("aws-eks-endpoint", True, one("aws:eks/cluster:Cluster", mutate(EKS, "vpcConfig.endpointPublicAccess", True))),
    ("aws-eks-secrets-logs", False, one("aws:eks/cluster:Cluster", EKS)),
    ("aws-eks-secrets-logs", True, one("aws:eks/cluster:Cluster", {**EKS, "enabledClusterLogTypes": ["api"]})),
    ("aws-sg-no-world-ingress", False, network(DB_RULE)),
    ("aws-sg-no-world-ingress", True, network(DB_RULE, alb_groups=["sg-other"])),
    ("aws-sg-no-world-ingress", True, network({"__type": "aws:ec2/securityGroupRule:SecurityGroupRule", "type": "ingress",
                                               "securityGroupId": "sg-db", "cidrBlocks": ["0.0.0.0/0"], "fromPort": 22,
                                               "toPort": 22, "protocol": "tcp"})),
    ("aws-sg-no-world-ingress", True, network({"securityGroupId": "sg-alb", "cidrIpv6": "::/0", "ipProtocol": "-1"})),
    ("aws-sg-data-tier-scoped", False, network(DB_RULE)),
    ("aws-sg-data-tier-scoped", True, network({**DB_RULE, "referencedSecurityGroupId": None, "cidrIpv4": "10.40.0.0/16"})),
    ("aws-sg-data-tier-scoped", True, network({**DB_RULE, "referencedSecurityGroupId": "sg-alb"})),
    ("aws-sg-data-tier-scoped", True, network({**DB_RULE, "description": ""})),
    ("aws-kms-hygiene", False, one("aws:kms/key:Key", {"enableKeyRotation": True, "policy": KMS_POLICY})),
    ("aws-kms-hygiene", True, one("aws:kms/key:Key", {"enableKeyRotation": False, "policy": KMS_POLICY})),
    ("aws-kms-hygiene", True, one("aws:kms/key:Key", {"enableKeyRotation": True, "policy": STAR_POLICY})),
    ("aws-secrets-cmk", False, one("aws:secretsmanager/secret:Secret", {"kmsKeyId": KEY})),
    ("aws-secrets-cmk", True, one("aws:secretsmanager/secret:Secret", {"name": "db"})),
    ("aws-waf-managed-rules", False, one("aws:wafv2/webAcl:WebAcl", {"rules": WAF_RULES})),
    ("aws-waf-managed-rules", True, one("aws:wafv2/webAcl:WebAcl", {"rules": WAF_RULES[1:]})),
    ("aws-waf-managed-rules", True, one("aws:wafv2/webAcl:WebAcl", {"rules": [
        mutate(WAF_RULES[0], "overrideAction", {"count": {}}), *WAF_RULES[1:]]})),
    ("aws-waf-attached-logged", False, waf_stack()),
    ("aws-waf-attached-logged", True, waf_stack(associate=False)),
    ("aws-waf-attached-logged", True, waf_stack(log=False)),
    # Azure
    ("azure-aks-access", False, one("azure-native:containerservice:ManagedCluster", AKS)),
    ("azure-aks-access", True, one("azure-native:containerservice:ManagedCluster", {**AKS, "disableLocalAccounts": False})),
    ("azure-aks-access", True, one("azure-native:containerservice:ManagedCluster", {
        **AKS, "apiServerAccessProfile": {"authorizedIPRanges": ["0.0.0.0/0"]}})),
    ("azure-aks-network-policy", False, one("azure-native:containerservice:ManagedCluster", AKS)),
    ("azure-aks-network-policy", True, one("azure-native:containerservice:ManagedCluster",
                                           {k: v for k, v in AKS.items() if k != "networkProfile"})),
    ("azure-pg-private-tls", False, pg_stack()),
    ("azure-pg-private-tls", True, pg_stack(primary=mutate(PG, "network", {"publicNetworkAccess": "Enabled"}))),
    ("azure-pg-private-tls", True, one("azure-native:dbforpostgresql:FirewallRule", {
        "startIpAddress": "0.0.0.0", "endIpAddress": "255.255.255.255"})),
    ("azure-pg-private-tls", True, one("azure-native:dbforpostgresql:Configuration", {
        "configurationName": "require_secure_transport", "value": "off", "source": "user-override"})),
    ("azure-pg-resilience", False, pg_stack()),
    ("azure-pg-resilience", True, pg_stack(replicas=1)),
    ("azure-pg-resilience", True, pg_stack(primary=mutate(PG, "highAvailability.mode", "SameZone"))),
    ("azure-redis-tls-private", False, one("azure-native:redisenterprise:RedisEnterprise", {
        "minimumTlsVersion": "1.2", "publicNetworkAccess": "Disabled"})),
    ("azure-redis-tls-private", True, one("azure-native:redis:Redis", {"minimumTlsVersion": "1.0",
                                                                       "publicNetworkAccess": "Disabled"})),
    ("azure-redis-tls-private", True, one("azure-native:redisenterprise:Database", {"clientProtocol": "Plaintext"})),
    ("azure-keyvault-hardened", False, one("azure-native:keyvault:Vault", VAULT)),
    ("azure-keyvault-hardened", True, one("azure-native:keyvault:Vault",
                                          mutate(VAULT, "properties.enablePurgeProtection", False))),
    ("azure-keyvault-hardened", True, one("azure-native:keyvault:Secret", {"properties": {"value": "[secret]"}})),
    ("azure-nsg-no-internet-admin", False, one("azure-native:network:NetworkSecurityGroup", {"securityRules": [NSG_RULE]})),
    ("azure-nsg-no-internet-admin", True, one("azure-native:network:SecurityRule", {**NSG_RULE, "destinationPortRange": "22"})),
    ("azure-nsg-no-internet-admin", True, one("azure-native:network:NetworkSecurityGroup", {"securityRules": [
        {**NSG_RULE, "destinationPortRange": "*"}]})),
    ("azure-nsg-no-internet-admin", True, one("azure-native:network:Subnet",
                                              {"subnetName": "app", "addressPrefix": "10.0.0.0/24"})),
    ("azure-waf-prevention", False, one("azure-native:network:WebApplicationFirewallPolicy", WAF_POLICY)),
    ("azure-waf-prevention", True, one("azure-native:network:WebApplicationFirewallPolicy",
                                       mutate(WAF_POLICY, "policySettings.mode", "Detection"))),
    ("azure-waf-prevention", True, one("azure-native:network:ApplicationGateway", mutate(APP_GW, "sku.tier", "Standard_v2"))),
    # Stack
    ("stack-blue-green-consistent", False, app_stack()),
    ("stack-blue-green-consistent", True, app_stack(**{"app-green": None, "hpa-green": None, "pdb-green": None,
                                                       "svc-green": None})),
    ("stack-blue-green-consistent", True, app_stack(**{"root": root(activeSlot="blue", canaryWeight=25)})),
    ("stack-blue-green-consistent", False, app_stack(**{
        "root": root(activeSlot="blue", canaryWeight=25),
        "haproxy-config": haproxy_configmap(cfg_replace("weight 100", "weight 75", cfg_replace("weight 0", "weight 25")))})),
    ("stack-stateful-protected", False, rds()),
    ("stack-stateful-protected", True, [resource("aws:kms/key:Key", "key", {"enableKeyRotation": True})]),
    ("stack-stateful-protected", True, [resource("kubernetes:core/v1:PersistentVolumeClaim", "data", {"spec": {}})]),
]

__all__ = ["CASES", "dep"]

# Cloud rules keep their per-rule fixtures (with messages) beside them; the catalog counts them here too.
from tests.policies.aws import test_data_and_access as _aws_data  # noqa: E402
from tests.policies.aws import test_security_groups as _aws_sg  # noqa: E402
from tests.policies.azure import test_azure_rules as _azure  # noqa: E402
from tests.policies.cloud import coverage as _coverage  # noqa: E402

CASES += (_coverage(_aws_sg.BAD, _aws_sg.GOOD) + _coverage(_aws_data.BAD, _aws_data.GOOD)
          + _coverage(_azure.BAD, _azure.GOOD))

# Observability (policies/rules/observability.py); fixtures and message assertions in tests/policies/observability.
from tests.policies.observability.test_observability_rules import (  # noqa: E402
    COLLECTOR,
    DOMAIN,
    OPENSEARCH,
    WORKSPACE,
    with_change,
)
from tests.policies.observability.test_observability_rules import RELEASE as _RELEASE  # noqa: E402

_WORKSPACE_OK = {"features": {"disableLocalAuth": True}, "retentionInDays": 30, "resourceGroupName": "rg",
                 "publicNetworkAccessForIngestion": "Disabled", "publicNetworkAccessForQuery": "Disabled"}
CASES += [
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
