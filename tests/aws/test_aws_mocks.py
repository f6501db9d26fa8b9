"""The pulumi-aws emulation: the outputs and invokes the AWS components read are produced, shaped
as the provider shapes them, and reach the program through the SDK's typed getters."""

from __future__ import annotations

import base64
import re

import pulumi
import pulumi_aws as aws
import pytest

from offline.runner.mocks.core import ProviderMocks
from offline.runner.program import ProgramResult, run_program
from offline.runner.stacks import StackSpec
from tests.helpers import one, plain

SPEC = StackSpec(name="unit", project="orchestrator", config={"aws:region": "eu-west-3"})
UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-8[0-9a-f]{3}-[0-9a-f]{12}"


def _program() -> None:
    cluster = aws.eks.Cluster("eks", name="demo", role_arn="arn:aws:iam::123456789012:role/eks",
                              vpc_config=aws.eks.ClusterVpcConfigArgs(subnet_ids=["subnet-1", "subnet-2"]))
    pulumi.export("endpoint", cluster.endpoint)
    pulumi.export("ca", cluster.certificate_authority.data)
    pulumi.export("issuer", cluster.identities.apply(lambda ids: ids[0].oidcs[0].issuer))  # type: ignore[index]
    pulumi.export("clusterSg", cluster.vpc_config.apply(lambda vpc: vpc.cluster_security_group_id))
    primary = aws.rds.Instance("db", engine="postgres", instance_class="db.t4g.large", allocated_storage=20)
    replica = aws.rds.Instance("db-replica", replicate_source_db=primary.identifier, instance_class="db.t4g.large")
    pulumi.export("dbAddress", primary.address)
    pulumi.export("dbEndpoint", primary.endpoint)
    pulumi.export("dbIdentifier", primary.identifier)
    pulumi.export("dbId", primary.id)
    pulumi.export("replicaSource", replica.replicate_source_db)
    clustered = aws.elasticache.ReplicationGroup("cache", description="c", num_node_groups=3, replicas_per_node_group=1,
                                                 cluster_mode="enabled")
    single = aws.elasticache.ReplicationGroup("single", description="s", num_cache_clusters=2)
    pulumi.export("configEndpoint", clustered.configuration_endpoint_address)
    pulumi.export("members", clustered.member_clusters)
    pulumi.export("singlePrimary", single.primary_endpoint_address)
    key = aws.kms.Key("key", enable_key_rotation=True)
    pulumi.export("keyArn", key.arn)
    pulumi.export("keyId", key.key_id)
    secret = aws.secretsmanager.Secret("secret", kms_key_id=key.arn)
    pulumi.export("secretArn", secret.arn)
    role = aws.iam.Role("role", assume_role_policy="{}")
    pulumi.export("roleArn", role.arn)
    oidc = aws.iam.OpenIdConnectProvider("oidc", url=cluster.identities.apply(
        lambda ids: ids[0].oidcs[0].issuer), client_id_lists=["sts.amazonaws.com"])  # type: ignore[index]
    pulumi.export("oidcArn", oidc.arn)
    alb = aws.lb.LoadBalancer("alb", load_balancer_type="application", subnets=["subnet-1"])
    pulumi.export("albArn", alb.arn)
    pulumi.export("albDns", alb.dns_name)
    acl = aws.wafv2.WebAcl("waf", scope="REGIONAL", default_action=aws.wafv2.WebAclDefaultActionArgs(
        allow=aws.wafv2.WebAclDefaultActionAllowArgs()), visibility_config=aws.wafv2.WebAclVisibilityConfigArgs(
        cloudwatch_metrics_enabled=True, metric_name="m", sampled_requests_enabled=True))
    pulumi.export("aclArn", acl.arn)
    bucket = aws.s3.Bucket("logs")
    pulumi.export("bucket", bucket.bucket)
    pulumi.export("bucketArn", bucket.arn)
    vpc = aws.ec2.Vpc("vpc", cidr_block="10.0.0.0/16")
    pulumi.export("vpcId", vpc.id)
    template = aws.ec2.LaunchTemplate("lt")
    pulumi.export("ltVersion", template.latest_version)
    session = aws.iam.get_session_context_output(arn="arn:aws:sts::123456789012:assumed-role/deployer/ci-run")
    pulumi.export("issuerArn", session.issuer_arn)
    pulumi.export("elbAccount", aws.elb.get_service_account_output().arn)
    pulumi.export("region", aws.get_region_output().region)
    pulumi.export("partition", aws.get_partition_output().partition)
    pulumi.export("account", aws.get_caller_identity_output().account_id)


@pytest.fixture(scope="module")
def result() -> ProgramResult:
    return run_program(SPEC, entry=_program)


def out(result: ProgramResult, key: str) -> object:
    return plain(result.outputs[key])


def test_eks_cluster_outputs_feed_a_kubeconfig(result: ProgramResult) -> None:
    assert re.fullmatch(r"https://[0-9A-F]{32}\.gr7\.eu-west-3\.eks\.amazonaws\.com", str(out(result, "endpoint")))
    assert base64.b64decode(str(out(result, "ca"))).startswith(b"-----BEGIN CERTIFICATE-----")
    assert re.fullmatch(r"https://oidc\.eks\.eu-west-3\.amazonaws\.com/id/[0-9A-F]{32}", str(out(result, "issuer")))
    assert re.fullmatch(r"sg-[0-9a-f]{17}", str(out(result, "clusterSg")))
    host = str(out(result, "issuer")).removeprefix("https://")
    assert out(result, "oidcArn") == f"arn:aws:iam::123456789012:oidc-provider/{host}"


def test_rds_instance_has_address_endpoint_and_a_resource_id(result: ProgramResult) -> None:
    identifier = str(out(result, "dbIdentifier"))
    assert re.fullmatch(r"db-[0-9a-f]{7}", identifier)
    address = str(out(result, "dbAddress"))
    assert re.fullmatch(rf"{identifier}\.c[0-9a-f]{{11}}\.eu-west-3\.rds\.amazonaws\.com", address)
    assert out(result, "dbEndpoint") == f"{address}:5432"
    assert re.fullmatch(r"db-[0-9A-F]{26}", str(out(result, "dbId")))  # v7: the id is the DbiResourceId
    assert out(result, "replicaSource") == identifier
    replica = one(result, "aws:rds/instance:Instance", "db-replica")
    assert replica.outputs["engine"] == "postgres"


def test_replication_group_endpoints_depend_on_cluster_mode(result: ProgramResult) -> None:
    assert re.fullmatch(r"clustercfg\.cache-[0-9a-f]{7}\.[0-9a-f]{6}\.euw3\.cache\.amazonaws\.com",
                        str(out(result, "configEndpoint")))
    assert len(out(result, "members")) == 6  # type: ignore[arg-type]
    assert str(out(result, "singlePrimary")).startswith("master.single-")
    assert "configurationEndpointAddress" not in one(result, "aws:elasticache/replicationGroup:ReplicationGroup",
                                                     "single").outputs


def test_arns_are_shaped_per_service(result: ProgramResult) -> None:
    assert re.fullmatch(rf"arn:aws:kms:eu-west-3:123456789012:key/{UUID}", str(out(result, "keyArn")))
    assert str(out(result, "keyArn")).endswith(str(out(result, "keyId")))
    assert re.fullmatch(r"arn:aws:secretsmanager:eu-west-3:123456789012:secret:secret-[0-9a-f]{7}-[0-9a-f]{6}",
                        str(out(result, "secretArn")))
    assert re.fullmatch(r"arn:aws:iam::123456789012:role/role-[0-9a-f]{7}", str(out(result, "roleArn")))
    assert re.fullmatch(r"arn:aws:elasticloadbalancing:eu-west-3:123456789012:loadbalancer/app/alb-[0-9a-f]{7}/[0-9a-f]{16}",
                        str(out(result, "albArn")))
    assert re.fullmatch(r"alb-[0-9a-f]{7}-[0-9]+\.eu-west-3\.elb\.amazonaws\.com", str(out(result, "albDns")))
    assert re.fullmatch(rf"arn:aws:wafv2:eu-west-3:123456789012:regional/webacl/waf-[0-9a-f]{{7}}/{UUID}",
                        str(out(result, "aclArn")))
    assert out(result, "bucketArn") == f"arn:aws:s3:::{out(result, 'bucket')}"
    assert re.fullmatch(r"vpc-[0-9a-f]{17}", str(out(result, "vpcId")))
    assert out(result, "ltVersion") == 1


def test_invokes_answer_like_the_provider(result: ProgramResult) -> None:
    assert out(result, "issuerArn") == "arn:aws:iam::123456789012:role/deployer"
    assert out(result, "elbAccount") == "arn:aws:iam::009996457667:root"
    assert (out(result, "region"), out(result, "partition"), out(result, "account")) == ("eu-west-3", "aws", "123456789012")


def test_every_aws_type_the_platform_declares_has_a_dedicated_emulation() -> None:
    from tests.helpers import run_stack

    handlers = ProviderMocks()._resources
    declared = {r.type for r in run_stack("production").resources if r.type.startswith("aws:")}
    generic_ok = {"aws:iam/rolePolicy:RolePolicy"}
    assert declared - set(handlers) - generic_ok == set()
