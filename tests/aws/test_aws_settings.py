"""AWS settings: subnet carving, the edge exposure, config-driven choices and their errors."""

from __future__ import annotations

import copy
import ipaddress
import itertools
import json

import pytest

from components.config import ConfigError, TlsVersion, namespace_values, parse
from components.edge.aws import TLS13_AND_12, TLS13_ONLY, alb_ssl_policy, exposure, waf_rate_limit
from components.network.aws import plan_subnets
from offline.runner.program import run_program
from offline.runner.stacks import StackSpec, load_stack
from tests.helpers import find, one, plain, run_stack


@pytest.mark.parametrize(("cidr", "zones"), [("10.40.0.0/16", 3), ("10.50.0.0/16", 2), ("10.0.0.0/8", 6),
                                             ("172.16.0.0/20", 6)])
def test_subnets_are_disjoint_inside_the_vpc_and_sized_for_pods(cidr: str, zones: int) -> None:
    plan = plan_subnets(cidr, zones)
    vpc = ipaddress.ip_network(cidr)
    blocks = [ipaddress.ip_network(c) for c in plan.public + plan.private + plan.data]
    assert len(blocks) == 3 * zones
    assert all(block.subnet_of(vpc) for block in blocks)  # type: ignore[arg-type]
    assert not any(a.overlaps(b) for a, b in itertools.combinations(blocks, 2))
    # Pods take node-subnet addresses (VPC CNI): the private subnets get the big blocks.
    assert all(ipaddress.ip_network(p).num_addresses == vpc.num_addresses // 8 for p in plan.private)


def test_haproxy_stays_clusterip_and_trusts_only_the_alb_subnets() -> None:
    spec = load_stack("production")
    parsed = parse(namespace_values(spec.config), "production")
    chosen = exposure(parsed)
    assert chosen.service_type == "ClusterIP" and chosen.internal is True
    assert chosen.trusted_proxy_cidrs == ["10.40.224.0/23", "10.40.226.0/23", "10.40.228.0/23"]
    public = {s.inputs["cidrBlock"] for s in find(run_stack("production"), "aws:ec2/subnet:Subnet")
              if s.inputs["tags"]["tier"] == "public"}
    assert set(chosen.trusted_proxy_cidrs) == public
    assert waf_rate_limit(parsed) == 3000
    assert alb_ssl_policy(parsed) == TLS13_AND_12
    tls13 = parsed.model_copy(update={"edge": parsed.edge.model_copy(update={
        "tls": parsed.edge.tls.model_copy(update={"min_version": TlsVersion.TLS13})})})
    assert alb_ssl_policy(tls13) == TLS13_ONLY


def test_missing_acm_certificate_is_one_clear_error() -> None:
    spec = load_stack("staging")
    config = copy.deepcopy(spec.config)
    del config["orchestrator:edge"]["tls"]["aws"]["acmCertificateArn"]
    with pytest.raises(ConfigError, match=r"^Pulumi.staging.yaml: orchestrator:edge.tls.aws.acmCertificateArn is missing"):
        run_program(StackSpec(name=spec.name, project=spec.project, config=config))


def test_non_tls13_alb_policy_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"edge.tls.aws.albSslPolicy is 'ELBSecurityPolicy-2016-08'"):
        run_stack("staging", "edge.tls.aws.albSslPolicy=ELBSecurityPolicy-2016-08")


def test_configured_admin_roles_get_cluster_admin_access_entries() -> None:
    role = "arn:aws:iam::123456789012:role/platform-admins"
    result = run_stack("staging", f"cluster.aws.adminRoleArns[0]={role}")
    entry = one(result, "aws:eks/accessEntry:AccessEntry", "cluster-admin-0")
    assert entry.inputs["principalArn"] == role
    association = one(result, "aws:eks/accessPolicyAssociation:AccessPolicyAssociation", "cluster-admin-0")
    assert association.inputs["policyArn"].endswith(":cluster-access-policy/AmazonEKSClusterAdminPolicy")
    assert plain(association.inputs["accessScope"]) == {"type": "cluster"}
    provider = one(result, "pulumi:providers:kubernetes", "cluster-provider")
    assert association.urn in provider.dependencies


def test_network_policies_are_enforced_by_the_vpc_cni() -> None:
    addon = one(run_stack("staging"), "aws:eks/addon:Addon", "cluster-vpc-cni")
    assert '"enableNetworkPolicy": "true"' in addon.inputs["configurationValues"]


def test_production_refuses_less_than_14_days_of_backups() -> None:
    with pytest.raises(ConfigError, match=r"database.backupRetentionDays is 7; production on AWS keeps at least 14 days"):
        run_stack("production", "database.backupRetentionDays=7")
    assert plain(one(run_stack("staging"), "aws:rds/instance:Instance", "database-primary").inputs["backupRetentionPeriod"]) == 7


def test_the_vpc_cni_has_its_own_role_and_nodes_wait_for_it() -> None:
    result = run_stack("staging")
    cni = one(result, "aws:eks/addon:Addon", "cluster-vpc-cni")
    role = one(result, "aws:iam/role:Role", "cluster-vpc-cni")
    assert cni.inputs["serviceAccountRoleArn"] == role.outputs["arn"]
    trust = json.loads(role.inputs["assumeRolePolicy"])["Statement"][0]
    assert trust["Principal"]["Federated"] == one(result, "aws:iam/openIdConnectProvider:OpenIdConnectProvider").outputs["arn"]
    assert "system:serviceaccount:kube-system:aws-node" in trust["Condition"]["StringEquals"].values()
    attachments = find(result, "aws:iam/rolePolicyAttachment:RolePolicyAttachment")
    node_policies = {a.inputs["policyArn"].rsplit("/", 1)[-1] for a in attachments if a.name.startswith("cluster-nodes-")}
    assert "AmazonEKS_CNI_Policy" not in node_policies and "AmazonEKSWorkerNodePolicy" in node_policies
    assert cni.urn in one(result, "aws:eks/nodeGroup:NodeGroup").dependencies
