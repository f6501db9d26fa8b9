"""The network stack rules (security groups, NSGs) with one value they cannot judge (unknown at preview, a
withheld secret): the real defect in another group or rule is still reported with its message, the blind
value is named as unverifiable for its own resource and property, and it never makes a finding up."""

from __future__ import annotations

from typing import Any

import pytest

from offline.gate.analyzer import PolicyPackProcess
from tests.policies.aws.rule_fixtures import DB_RULE, EKS, network, rds, waf_stack
from tests.policies.azure.rule_fixtures import PG, pg_stack
from tests.policies.conftest import resource
from tests.policies.stack.test_unverifiable import BLIND, judged

SG = "aws:ec2/securityGroup:SecurityGroup"
NSG = "azure-native:network:NetworkSecurityGroup"
NSG_RULE = "azure-native:network:SecurityRule"
SSH_WORLD = {"protocol": "tcp", "fromPort": 22, "toPort": 22, "cidrBlocks": ["0.0.0.0/0"], "description": "ssh"}


def _group(name: str, *ingress: dict[str, Any]) -> dict[str, Any]:
    return resource(SG, name, {"name": name, "ingress": list(ingress)})


@pytest.mark.parametrize("reason", BLIND)
def test_world_ingress_judges_the_other_group(pack: PolicyPackProcess, reason: str) -> None:
    blind_rule = {**SSH_WORLD, "cidrBlocks": [BLIND[reason]]}
    found, blind = judged(pack, [_group("alpha", blind_rule), _group("beta", SSH_WORLD)], "aws-sg-no-world-ingress")
    assert found == {"beta": "ingress[0] admits 0.0.0.0/0 (tcp 22) on a non-edge group: together its rules cover the "
                             "public Internet"}
    assert ("alpha", "ingress[0].cidrBlocks[0]", reason) in blind


@pytest.mark.parametrize("reason", BLIND)
def test_world_ingress_judges_the_other_standalone_rule(pack: PolicyPackProcess, reason: str) -> None:
    rule = {"securityGroupId": "sg-db", "fromPort": 22, "toPort": 22, "ipProtocol": "tcp", "description": "ssh"}
    stack = network({**rule, "cidrIpv4": BLIND[reason]}, {**rule, "cidrIpv4": "0.0.0.0/0"})
    found, blind = judged(pack, stack, "aws-sg-no-world-ingress")
    assert found == {"rule-1": "the rule admits 0.0.0.0/0 (tcp 22) on a non-edge group: together its rules cover the "
                               "public Internet"}
    assert ("rule-0", "cidrIpv4", reason) in blind


@pytest.mark.parametrize("reason", BLIND)
def test_world_ingress_makes_no_finding_up_when_the_load_balancer_groups_are_blind(pack: PolicyPackProcess,
                                                                                 reason: str) -> None:
    # Unread, the blind list would leave alb-sg off the edge, and its HTTPS-from-anywhere rule would be flagged.
    found, blind = judged(pack, network(alb_groups=[BLIND[reason]]), "aws-sg-no-world-ingress")
    assert found == {}
    assert ("alb", "securityGroups[0]", reason) in blind


@pytest.mark.parametrize("reason", BLIND)
def test_data_tier_judges_the_other_rule(pack: PolicyPackProcess, reason: str) -> None:
    stack = network({**DB_RULE, "referencedSecurityGroupId": BLIND[reason]},
                    {**DB_RULE, "referencedSecurityGroupId": None, "cidrIpv4": "10.0.0.0/8"})
    found, blind = judged(pack, stack, "aws-sg-data-tier-scoped")
    assert found == {"rule-1": "the rule (tcp 5432) to 5432 admits CIDRs 10.0.0.0/8 instead of a security-group "
                               "reference"}
    assert ("rule-0", "referencedSecurityGroupId", reason) in blind


@pytest.mark.parametrize("reason", BLIND)
def test_data_tier_makes_no_finding_up_when_the_cluster_group_is_blind(pack: PolicyPackProcess, reason: str) -> None:
    stack = network(DB_RULE)
    cluster = next(r for r in stack if r["type"] == "aws:eks/cluster:Cluster")
    for side in ("inputs", "outputs"):
        cluster[side] = {**EKS, "arn": "arn:eks", "vpcConfig": {**EKS["vpcConfig"], "clusterSecurityGroupId": BLIND[reason]}}
    found, blind = judged(pack, stack, "aws-sg-data-tier-scoped")
    assert found == {}  # sg-cluster may well be the cluster's group
    assert ("cluster", "vpcConfig.clusterSecurityGroupId", reason) in blind


def _allow(priority: int, source: Any, port: str = "22") -> dict[str, Any]:
    return {"name": f"allow-{priority}", "direction": "Inbound", "access": "Allow", "protocol": "Tcp",
            "priority": priority, "sourceAddressPrefix": source, "destinationPortRange": port}


def _nsg(name: str, *rules: dict[str, Any]) -> dict[str, Any]:
    return resource(NSG, name, {"networkSecurityGroupName": name, "securityRules": list(rules)})


@pytest.mark.parametrize("reason", BLIND)
def test_nsg_judges_the_other_group(pack: PolicyPackProcess, reason: str) -> None:
    found, blind = judged(pack, [_nsg("alpha", _allow(100, BLIND[reason])), _nsg("beta", _allow(100, "*"))],
                          "azure-nsg-no-internet-admin")
    assert found == {"beta": "securityRules 'allow-100' (priority 100) admits * to port 22 before any "
                             "Deny of the Internet"}
    assert ("alpha", "securityRules[0].sourceAddressPrefix", reason) in blind


@pytest.mark.parametrize("reason", BLIND)
def test_nsg_makes_no_finding_up_past_a_rule_it_cannot_read(pack: PolicyPackProcess, reason: str) -> None:
    deny = {"name": "deny-22", "networkSecurityGroupName": "alpha", "direction": "Inbound", "access": "Deny",
            "protocol": "*", "priority": BLIND[reason], "sourceAddressPrefix": "Internet", "destinationPortRange": "22"}
    found, blind = judged(pack, [_nsg("alpha", _allow(300, "Internet")), resource(NSG_RULE, "deny", deny)],
                          "azure-nsg-no-internet-admin")
    assert found == {}  # the standalone Deny may come first
    assert ("deny", "priority", reason) in blind


@pytest.mark.parametrize("reason", BLIND)
def test_nsg_all_ports_stands_beside_a_blind_rule(pack: PolicyPackProcess, reason: str) -> None:
    other = {"name": "other", "networkSecurityGroupName": "alpha", "direction": "Inbound", "access": "Allow",
             "protocol": "*", "priority": 400, "sourceAddressPrefix": BLIND[reason], "destinationPortRange": "443"}
    open_ = {**_allow(500, "0.0.0.0/0", "*"), "networkSecurityGroupName": "alpha"}
    found, blind = judged(pack, [_nsg("alpha"), resource(NSG_RULE, "other", other), resource(NSG_RULE, "open", open_)],
                          "azure-nsg-no-internet-admin")
    assert found == {"open": "rule 'allow-500' (priority 500) admits 0.0.0.0/0 to all ports"}
    assert ("other", "sourceAddressPrefix", reason) in blind


# --- databases and the WAF: the other stack rules that index the stack -------------------------------


def _named(stack: list[dict[str, Any]], name: str) -> dict[str, Any]:
    return next(r for r in stack if r["urn"].endswith(f"::{name}"))


def _put(entry: dict[str, Any], key: str, value: Any) -> None:
    for side in ("inputs", "outputs"):
        entry[side] = {**entry[side], key: value}


@pytest.mark.parametrize("reason", BLIND)
def test_force_tls_judges_the_other_instance(pack: PolicyPackProcess, reason: str) -> None:
    stack = rds()
    _put(_named(stack, "db-replica-0"), "parameterGroupName", BLIND[reason])
    _put(_named(stack, "db-replica-1"), "parameterGroupName", "default.postgres16")
    found, blind = judged(pack, stack, "aws-rds-force-tls")
    assert found == {"db-replica-1": "no custom parameter group with rds.force_ssl=1 is attached (parameterGroupName "
                                     "default.postgres16 is no parameter group of this stack)"}
    assert ("db-replica-0", "parameterGroupName", reason) in blind


@pytest.mark.parametrize("reason", BLIND)
def test_force_tls_calls_no_group_missing_when_a_group_name_is_blind(pack: PolicyPackProcess, reason: str) -> None:
    stack = rds()
    _put(_named(stack, "pg"), "name", BLIND[reason])
    found, blind = judged(pack, stack, "aws-rds-force-tls")
    assert found == {}  # the group whose name the pack cannot read may be the one every instance names
    assert ("pg", "name", reason) in blind


@pytest.mark.parametrize("reason", BLIND)
def test_resilience_judges_the_other_instance(pack: PolicyPackProcess, reason: str) -> None:
    stack = rds()
    # A blind value that makes no finding of its own: it used to withhold the next instance's finding.
    _put(_named(stack, "db-replica-0"), "autoMinorVersionUpgrade", BLIND[reason])
    _put(_named(stack, "db-replica-1"), "deletionProtection", False)
    found, blind = judged(pack, stack, "aws-rds-resilience")
    assert found == {"db-replica-1": "deletionProtection is false (production)"}
    assert ("db-replica-0", "autoMinorVersionUpgrade", reason) in blind


@pytest.mark.parametrize("reason", BLIND)
def test_replicas_count_makes_nothing_up_from_a_blind_source(pack: PolicyPackProcess, reason: str) -> None:
    stack = rds()
    _put(_named(stack, "db-replica-1"), "replicateSourceDb", BLIND[reason])
    found, blind = judged(pack, stack, "aws-rds-replicas")
    assert found == {}  # the replica the pack cannot read may well point at the primary
    assert ("db-replica-1", "replicateSourceDb", reason) in blind


@pytest.mark.parametrize("reason", BLIND)
def test_waf_judges_the_acl_beside_a_blind_association(pack: PolicyPackProcess, reason: str) -> None:
    stack = waf_stack(log=False)
    _put(_named(stack, "assoc"), "resourceArn", BLIND[reason])
    found, blind = judged(pack, stack, "aws-waf-attached-logged")
    # The association may be the load balancer's: only the ACL's missing logging stands.
    assert found == {"acl": "the web ACL has no logging configuration naming its ARN"}
    assert ("assoc", "resourceArn", reason) in blind


@pytest.mark.parametrize("reason", BLIND)
def test_waf_judges_the_other_load_balancer(pack: PolicyPackProcess, reason: str) -> None:
    stack = [*waf_stack(), resource("aws:lb/loadBalancer:LoadBalancer", "alb-2", {"arn": "arn:alb-2", "internal": False})]
    _put(_named(stack, "alb"), "internal", BLIND[reason])
    found, blind = judged(pack, stack, "aws-waf-attached-logged")
    assert found == {"alb-2": "the Internet-facing load balancer has no WAFv2 web ACL association (resourceArn arn:alb "
                              "is another resource)"}
    assert ("alb", "internal", reason) in blind


@pytest.mark.parametrize("reason", BLIND)
def test_pg_resilience_judges_the_primary_beside_a_blind_replica(pack: PolicyPackProcess, reason: str) -> None:
    stack = pg_stack(primary={**PG, "backup": {**PG["backup"], "backupRetentionDays": 3}})
    _put(_named(stack, "pg-replica-0"), "createMode", BLIND[reason])
    found, blind = judged(pack, stack, "azure-pg-resilience")
    # The primary's short retention stands; its replica count is not called short over a replica it cannot read.
    assert found == {"pg": "backup.backupRetentionDays is 3 (backups are kept under 7 days)"}
    assert ("pg-replica-0", "createMode", reason) in blind
