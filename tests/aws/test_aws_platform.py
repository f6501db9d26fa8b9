"""The AWS platform (issue 8) as the `staging` and `production` stacks declare it, under the mocks."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from offline.runner.export import is_secret, to_deployment
from offline.runner.mocks import Registration
from offline.runner.program import ProgramResult
from offline.runner.tree import display_type
from tests.helpers import ROOT, find, one, plain, run_stack, tree_rows

STACKS = ["staging", "production"]
RDS = "aws:rds/instance:Instance"
REDIS = "aws:elasticache/replicationGroup:ReplicationGroup"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
STATEFUL_TYPES = (RDS, REDIS, "aws:kms/key:Key", "aws:secretsmanager/secret:Secret", "aws:s3/bucket:Bucket")


@pytest.fixture(scope="module", params=STACKS)
def stack(request: pytest.FixtureRequest) -> ProgramResult:
    return run_stack(request.param)


def cluster_sg(result: ProgramResult) -> str:
    return str(one(result, "aws:eks/cluster:Cluster").outputs["vpcConfig"]["clusterSecurityGroupId"])


def by_urn(result: ProgramResult, urn: str) -> Registration:
    return next(r for r in result.resources if r.urn == urn)


# --- PostgreSQL -------------------------------------------------------------------------------


def test_one_primary_and_two_replicas_pointing_at_it(stack: ProgramResult) -> None:
    instances = find(stack, RDS)
    primaries = [i for i in instances if not i.inputs.get("replicateSourceDb")]
    replicas = [i for i in instances if i.inputs.get("replicateSourceDb")]
    assert [p.name for p in primaries] == ["database-primary"]
    assert sorted(r.name for r in replicas) == ["database-replica-1", "database-replica-2"]
    primary = primaries[0]
    for replica in replicas:
        assert replica.inputs["replicateSourceDb"] == primary.outputs["identifier"]
        assert primary.urn in replica.property_dependencies["replicateSourceDb"]
    # Replicas spread over zones distinct from each other.
    assert len({r.inputs["availabilityZone"] for r in replicas}) == 2


def test_every_instance_is_private_encrypted_with_the_cmk_and_tls_only(stack: ProgramResult) -> None:
    key_arn = one(stack, "aws:kms/key:Key").outputs["arn"]
    params = one(stack, "aws:rds/parameterGroup:ParameterGroup")
    for instance in find(stack, RDS):
        assert instance.inputs["publiclyAccessible"] is False, instance.name
        assert instance.inputs["storageEncrypted"] is True, instance.name
        assert instance.inputs["kmsKeyId"] == key_arn
        assert instance.inputs["performanceInsightsKmsKeyId"] == key_arn
        assert instance.inputs["iamDatabaseAuthenticationEnabled"] is True
        assert set(instance.inputs["enabledCloudwatchLogsExports"]) == {"postgresql", "upgrade"}
        assert instance.inputs["parameterGroupName"] == params.outputs["name"]
    forced = {p["name"]: p["value"] for p in params.inputs["parameters"]}
    assert forced["rds.force_ssl"] == "1"
    assert params.inputs["family"] == "postgres16"


def test_primary_is_multi_az_gp3_backed_up_in_the_data_subnets(stack: ProgramResult) -> None:
    primary = one(stack, RDS, "database-primary")
    production = stack.stack == "production"
    assert primary.inputs["multiAz"] is True
    assert primary.inputs["storageType"] == "gp3"
    assert plain(primary.inputs["backupRetentionPeriod"]) == (14 if production else 7)
    assert primary.inputs["username"] == "orchestrator_app"
    group = one(stack, "aws:rds/subnetGroup:SubnetGroup")
    data_subnets = {s.outputs["id"] for s in find(stack, "aws:ec2/subnet:Subnet") if s.inputs["tags"]["tier"] == "data"}
    assert set(group.inputs["subnetIds"]) == data_subnets and len(data_subnets) == 3
    assert primary.inputs["dbSubnetGroupName"] == group.outputs["name"]


# --- Redis ------------------------------------------------------------------------------------


def test_replication_group_is_a_3_shard_encrypted_authenticated_cluster(stack: ProgramResult) -> None:
    group = one(stack, REDIS)
    inputs = group.inputs
    assert plain(inputs["numNodeGroups"]) == 3
    assert plain(inputs["replicasPerNodeGroup"]) >= 1
    assert inputs["clusterMode"] == "enabled"
    assert inputs["automaticFailoverEnabled"] is True and inputs["multiAzEnabled"] is True
    assert inputs["transitEncryptionEnabled"] is True and inputs["transitEncryptionMode"] == "required"
    assert inputs["atRestEncryptionEnabled"] is True
    assert inputs["kmsKeyId"] == one(stack, "aws:kms/key:Key").outputs["arn"]
    assert is_secret(inputs["authToken"]) and len(plain(inputs["authToken"])) == 64
    assert plain(inputs["snapshotRetentionLimit"]) >= 1
    assert (inputs["engine"], inputs["parameterGroupName"]) == ("valkey", "default.valkey8.cluster.on")


# --- security groups --------------------------------------------------------------------------


@pytest.mark.parametrize("port", [5432, 6379])
def test_data_ports_open_only_to_the_cluster_security_group(stack: ProgramResult, port: int) -> None:
    rules = [r for r in find(stack, INGRESS)
             if plain(r.inputs["fromPort"]) <= port <= plain(r.inputs["toPort"])]
    assert rules, f"no ingress rule for {port}"
    for rule in rules:
        assert rule.inputs["referencedSecurityGroupId"] == cluster_sg(stack)
        assert not rule.inputs.get("cidrIpv4") and not rule.inputs.get("cidrIpv6")
        assert rule.inputs["description"]


def test_every_rule_has_a_description_and_world_only_reaches_the_alb(stack: ProgramResult) -> None:
    alb_sg = one(stack, "aws:ec2/securityGroup:SecurityGroup", "front-door-alb-sg").outputs["id"]
    rules = find(stack, INGRESS) + find(stack, "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule")
    for rule in rules:
        assert rule.inputs.get("description"), rule.name
    world = [r for r in find(stack, INGRESS) if r.inputs.get("cidrIpv4") == "0.0.0.0/0"]
    assert {(r.inputs["securityGroupId"], plain(r.inputs["fromPort"])) for r in world} == {(alb_sg, 443), (alb_sg, 80)}


def test_default_security_group_is_closed(stack: ProgramResult) -> None:
    default = one(stack, "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup")
    assert default.inputs.get("ingress", []) == [] and default.inputs.get("egress", []) == []
    assert default.inputs["vpcId"] == one(stack, "aws:ec2/vpc:Vpc").outputs["id"]


# --- network and cluster ----------------------------------------------------------------------


def test_vpc_spans_three_zones_with_flow_logs(stack: ProgramResult) -> None:
    subnets = find(stack, "aws:ec2/subnet:Subnet")
    for tier in ("public", "private", "data"):
        zones = {s.inputs["availabilityZone"] for s in subnets if s.inputs["tags"]["tier"] == tier}
        assert zones == {"eu-west-3a", "eu-west-3b", "eu-west-3c"}, tier
    assert all(s.inputs.get("mapPublicIpOnLaunch") in (None, False) for s in subnets)
    flow = one(stack, "aws:ec2/flowLog:FlowLog")
    assert flow.inputs["trafficType"] == "ALL"
    assert flow.inputs["vpcId"] == one(stack, "aws:ec2/vpc:Vpc").outputs["id"]
    # Data subnets have no default route: only public (IGW) and private (NAT) tables route out.
    routes = find(stack, "aws:ec2/route:Route")
    data_rt = one(stack, "aws:ec2/routeTable:RouteTable", "cluster-network-data-rt").outputs["id"]
    assert all(r.inputs["routeTableId"] != data_rt for r in routes)


def test_eks_cluster_is_private_encrypted_logged_and_api_authenticated(stack: ProgramResult) -> None:
    cluster = one(stack, "aws:eks/cluster:Cluster")
    vpc = cluster.inputs["vpcConfig"]
    private_subnets = {s.outputs["id"] for s in find(stack, "aws:ec2/subnet:Subnet") if s.inputs["tags"]["tier"] == "private"}
    assert set(vpc["subnetIds"]) == private_subnets
    assert vpc["endpointPrivateAccess"] is True
    if stack.stack == "production":
        assert vpc["endpointPublicAccess"] is False
    else:
        assert vpc["publicAccessCidrs"] == ["203.0.113.0/24"]
    assert cluster.inputs["encryptionConfig"]["resources"] == ["secrets"]
    assert cluster.inputs["encryptionConfig"]["provider"]["keyArn"] == one(stack, "aws:kms/key:Key").outputs["arn"]
    assert set(cluster.inputs["enabledClusterLogTypes"]) == {"api", "audit", "authenticator", "controllerManager", "scheduler"}
    assert cluster.inputs["accessConfig"]["authenticationMode"] == "API"
    nodes = one(stack, "aws:eks/nodeGroup:NodeGroup")
    assert set(nodes.inputs["subnetIds"]) == private_subnets
    oidc = one(stack, "aws:iam/openIdConnectProvider:OpenIdConnectProvider")
    assert oidc.inputs["url"] == cluster.outputs["identities"][0]["oidcs"][0]["issuer"]
    entry = one(stack, "aws:eks/accessEntry:AccessEntry", "cluster-deployer")
    assert entry.inputs["principalArn"] == "arn:aws:iam::123456789012:user/offline"


def test_kms_key_rotates_and_never_grants_a_wildcard_principal(stack: ProgramResult) -> None:
    key = one(stack, "aws:kms/key:Key")
    assert key.inputs["enableKeyRotation"] is True
    assert key.inputs["bypassPolicyLockoutSafetyCheck"] is False
    for statement in json.loads(key.inputs["policy"])["Statement"]:
        assert statement["Principal"] != "*" and statement["Principal"].get("AWS") != "*"


def test_kubernetes_components_use_the_eks_provider(stack: ProgramResult) -> None:
    provider = one(stack, "pulumi:providers:kubernetes", "cluster-provider")
    kubeconfig = json.loads(plain(provider.inputs["kubeconfig"]))
    assert is_secret(provider.inputs["kubeconfig"])
    cluster = one(stack, "aws:eks/cluster:Cluster")
    assert kubeconfig["clusters"][0]["cluster"]["server"] == cluster.outputs["endpoint"]
    assert kubeconfig["users"][0]["user"]["exec"]["args"][:4] == ["eks", "get-token", "--cluster-name", cluster.outputs["name"]]
    secret = one(stack, "kubernetes:core/v1:Secret", "database-credentials")
    assert secret.provider.startswith(provider.urn + "::")


# --- edge -------------------------------------------------------------------------------------


def test_waf_is_associated_with_the_public_alb_and_logged(stack: ProgramResult) -> None:
    alb = one(stack, "aws:lb/loadBalancer:LoadBalancer")
    acl = one(stack, "aws:wafv2/webAcl:WebAcl")
    association = one(stack, "aws:wafv2/webAclAssociation:WebAclAssociation")
    assert (association.inputs["resourceArn"], association.inputs["webAclArn"]) == (alb.outputs["arn"], acl.outputs["arn"])
    logging = one(stack, "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration")
    assert logging.inputs["resourceArn"] == acl.outputs["arn"]
    waf_logs = one(stack, "aws:cloudwatch/logGroup:LogGroup", "front-door-waf-logs")
    assert logging.inputs["logDestinationConfigs"] == [waf_logs.outputs["arn"]]
    assert waf_logs.outputs["name"].startswith("aws-waf-logs-")
    assert acl.inputs["scope"] == "REGIONAL"
    groups = {r["statement"]["managedRuleGroupStatement"]["name"] for r in acl.inputs["rules"]
              if "managedRuleGroupStatement" in r["statement"]}
    assert groups == {"AWSManagedRulesCommonRuleSet", "AWSManagedRulesSQLiRuleSet", "AWSManagedRulesKnownBadInputsRuleSet"}
    rate = [r for r in acl.inputs["rules"] if "rateBasedStatement" in r["statement"]]
    assert plain(rate[0]["statement"]["rateBasedStatement"]["limit"]) == 3000
    assert "block" in rate[0]["action"]


def test_alb_is_public_tls13_redirecting_and_logged(stack: ProgramResult) -> None:
    alb = one(stack, "aws:lb/loadBalancer:LoadBalancer")
    public_subnets = {s.outputs["id"] for s in find(stack, "aws:ec2/subnet:Subnet") if s.inputs["tags"]["tier"] == "public"}
    assert alb.inputs["internal"] is False and set(alb.inputs["subnets"]) == public_subnets
    assert alb.inputs["dropInvalidHeaderFields"] is True
    assert alb.inputs["enableDeletionProtection"] is (stack.stack == "production")
    bucket = one(stack, "aws:s3/bucket:Bucket")
    assert alb.inputs["accessLogs"] == {"bucket": bucket.outputs["bucket"], "prefix": "alb", "enabled": True}
    listeners = {plain(listener.inputs["port"]): listener for listener in find(stack, "aws:lb/listener:Listener")}
    https, http = listeners[443], listeners[80]
    assert https.inputs["protocol"] == "HTTPS" and https.inputs["sslPolicy"] == "ELBSecurityPolicy-TLS13-1-2-2021-06"
    assert https.inputs["certificateArn"].startswith("arn:aws:acm:eu-west-3:123456789012:certificate/")
    target_group = one(stack, "aws:lb/targetGroup:TargetGroup")
    assert https.inputs["defaultActions"][0]["targetGroupArn"] == target_group.outputs["arn"]
    redirect = http.inputs["defaultActions"][0]
    assert redirect["type"] == "redirect" and redirect["redirect"]["protocol"] == "HTTPS"
    assert redirect["redirect"]["statusCode"] == "HTTP_301"


def test_target_group_is_bound_to_the_haproxy_service(stack: ProgramResult) -> None:
    target_group = one(stack, "aws:lb/targetGroup:TargetGroup")
    binding = one(stack, "kubernetes:elbv2.k8s.aws/v1beta1:TargetGroupBinding")
    assert binding.inputs["spec"]["targetGroupARN"] == target_group.outputs["arn"]
    assert binding.inputs["spec"]["targetType"] == target_group.inputs["targetType"] == "ip"
    assert binding.inputs["metadata"]["namespace"] == "edge"
    controller = one(stack, "kubernetes:helm.sh/v3:Release", "front-door-lbc")
    assert controller.urn in binding.dependencies
    assert controller.inputs["values"]["enableServiceMutatorWebhook"] is False


# --- protection and secrets -------------------------------------------------------------------


def test_production_protects_every_stateful_resource_and_staging_does_not(stack: ProgramResult) -> None:
    production = stack.stack == "production"
    stateful = [r for r in stack.resources if r.type in STATEFUL_TYPES]
    assert {r.type for r in stateful} == set(STATEFUL_TYPES)
    for resource in stateful:
        assert resource.protect is production, resource.name
        assert resource.retain_on_delete is production, resource.name
    for instance in find(stack, RDS):
        assert instance.inputs["deletionProtection"] is production
    primary = one(stack, RDS, "database-primary")
    assert primary.inputs["skipFinalSnapshot"] is (not production)
    assert bool(one(stack, REDIS).inputs.get("finalSnapshotIdentifier")) is production
    assert one(stack, "aws:eks/cluster:Cluster").inputs["deletionProtection"] is production


def test_secrets_are_secret_outputs_and_on_the_cmk(stack: ProgramResult) -> None:
    key_arn = one(stack, "aws:kms/key:Key").outputs["arn"]
    for secret in find(stack, "aws:secretsmanager/secret:Secret"):
        assert secret.inputs["kmsKeyId"] == key_arn
    for version in find(stack, "aws:secretsmanager/secretVersion:SecretVersion"):
        assert is_secret(version.inputs["secretString"])
    password = plain(one(stack, "random:index/randomPassword:RandomPassword", "database-master-password").outputs["result"])
    assert is_secret(one(stack, RDS, "database-primary").inputs["password"])
    assert is_secret(one(stack, "kubernetes:core/v1:Secret", "database-credentials").inputs["stringData"])
    assert is_secret(one(stack, "kubernetes:core/v1:Secret", "cache-credentials").inputs["stringData"])
    assert is_secret(stack.outputs["kubeconfig"])
    # Nowhere in the deployment export does the generated password appear in clear.
    assert password not in json.dumps(to_deployment(stack))


def test_app_credentials_follow_the_data_tier_contract(stack: ProgramResult) -> None:
    db = plain(one(stack, "kubernetes:core/v1:Secret", "database-credentials").inputs)
    primary = one(stack, RDS, "database-primary")
    assert db["metadata"]["namespace"] == "orchestrator"
    assert db["stringData"]["host"] == primary.outputs["address"]
    assert set(db["stringData"]) == {"host", "port", "dbname", "username", "password", "sslmode"}
    cache = plain(one(stack, "kubernetes:core/v1:Secret", "cache-credentials").inputs)
    assert cache["stringData"]["host"] == one(stack, REDIS).outputs["configurationEndpointAddress"]
    assert set(cache["stringData"]) == {"host", "port", "password"}
    assert plain(stack.outputs["databaseEndpoint"]) == primary.outputs["address"]
    assert plain(stack.outputs["cacheEndpoint"]) == one(stack, REDIS).outputs["configurationEndpointAddress"]


# --- the offline preview ----------------------------------------------------------------------


def test_offline_preview_of_production_prints_the_whole_tree() -> None:
    completed = subprocess.run([sys.executable, "-m", "offline", "preview", "production"], cwd=ROOT,
                               capture_output=True, text=True, check=False, timeout=300)
    assert completed.returncode == 0, completed.stdout[-2000:] + completed.stderr[-2000:]
    result = run_stack("production", preview=True)
    shown = tree_rows(completed.stdout)
    assert sorted(shown[1:]) == sorted((display_type(r.type), r.name) for r in result.resources)
    assert len(result.resources) > 120
    assert sum(1 for r in result.resources if r.type == RDS) == 3
