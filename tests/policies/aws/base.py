"""A compliant AWS stack fragment per rule family, for the fixtures to break one property at a time."""

from __future__ import annotations

import copy
import json
from typing import Any

from tests.policies.conftest import resource, urn

KEY = "arn:aws:kms:eu-west-3:123456789012:key/1111"
RANDOM = "random:index/randomPassword:RandomPassword"
SG = "aws:ec2/securityGroup:SecurityGroup"
SG_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
SG_INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
DEFAULT_SG = "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"
PREFIX_LIST = "aws:ec2/managedPrefixList:ManagedPrefixList"
EKS_TYPE = "aws:eks/cluster:Cluster"
LB = "aws:lb/loadBalancer:LoadBalancer"
RDS = "aws:rds/instance:Instance"

EKS = {"name": "orchestrator", "accessConfig": {"authenticationMode": "API", "bootstrapClusterCreatorAdminPermissions": False},
       "vpcConfig": {"endpointPrivateAccess": True, "endpointPublicAccess": False,
                                             "clusterSecurityGroupId": "sg-cluster"},
       "encryptionConfig": {"resources": ["secrets"], "provider": {"keyArn": KEY}},
       "enabledClusterLogTypes": ["api", "audit", "authenticator", "controllerManager", "scheduler"]}
DB_RULE = {"securityGroupId": "sg-db", "referencedSecurityGroupId": "sg-cluster", "fromPort": 5432, "toPort": 5432,
           "ipProtocol": "tcp", "description": "postgres from the cluster"}
WEB_RULE = {"securityGroupId": "sg-alb", "cidrIpv4": "0.0.0.0/0", "fromPort": 443, "toPort": 443, "ipProtocol": "tcp",
            "description": "https"}


def changed(base: dict[str, Any], **values: Any) -> dict[str, Any]:
    out = copy.deepcopy(base)
    out.update(values)
    return out


def network(*extra: dict[str, Any], rules: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    """Cluster, ALB with its group (443 from the world), a database group reached from the cluster, and
    `extra` resources (`__type`, `__name` keys pick their type and name; vpc ingress rules by default)."""
    out = [resource(EKS_TYPE, "cluster", copy.deepcopy(EKS)),
           resource(SG, "alb-sg", {"id": "sg-alb"}),
           resource(SG, "db-sg", {"id": "sg-db"}),
           resource(LB, "alb", {"arn": "arn:alb", "internal": False, "securityGroups": ["sg-alb"]}),
           resource(RDS, "db", {"port": 5432, "vpcSecurityGroupIds": ["sg-db"]})]
    for index, rule in enumerate(rules if rules is not None else [WEB_RULE, DB_RULE]):
        out.append(resource(SG_INGRESS, f"rule-{index}", dict(rule)))
    for index, item in enumerate(extra):
        props = dict(item)
        type_ = props.pop("__type", SG_INGRESS)
        name = props.pop("__name", f"extra-{index}")
        out.append(resource(type_, name, props))
    return out


def policy(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def dep(type_: str, name: str) -> str:
    return urn(type_, name)
