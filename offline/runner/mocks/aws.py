"""What pulumi-aws computes for the resources and invokes this program uses."""

from __future__ import annotations

import base64

from pulumi.runtime import config as runtime_config

from offline.runner.mocks.core import (
    PLANNED,
    CallHandler,
    PreviewModel,
    Props,
    ResourceCall,
    ResourceHandler,
    autoname,
    merge,
    stable_hex,
)

ACCOUNT_ID = "123456789012"


def region() -> str:
    return str(runtime_config.get_config("aws:region") or "eu-west-3")


def arn(service: str, resource: str, *, with_region: bool = True) -> str:
    return f"arn:aws:{service}:{region() if with_region else ''}:{ACCOUNT_ID}:{resource}"


def _service(type_: str) -> str:
    # aws:rds/instance:Instance -> rds
    return type_.split(":")[1].split("/", maxsplit=1)[0]


def _generic(call: ResourceCall) -> Props:
    computed: Props = {"id": call.id, "arn": arn(_service(call.type), f"{call.name}/{call.id}")}
    if "name" not in call.inputs and "namePrefix" not in call.inputs:
        computed["name"] = autoname(call.type, call.name)
    computed["tagsAll"] = dict(call.inputs.get("tags") or {})
    return merge(call.inputs, computed)


RESOURCES: dict[str, ResourceHandler] = {}
PACKAGE_DEFAULTS: dict[str, ResourceHandler] = {"aws": _generic}


def _availability_zones(_args: Props) -> Props:
    names = [f"{region()}{suffix}" for suffix in "abc"]
    return {
        "names": names,
        "zoneIds": [f"euw3-az{i}" for i in range(1, 4)],
        "state": "available",
        "id": region(),
        "groupNames": [region()],
    }


def _caller_identity(_args: Props) -> Props:
    return {
        "accountId": ACCOUNT_ID,
        "arn": f"arn:aws:iam::{ACCOUNT_ID}:user/offline",
        "userId": "AIDAOFFLINEOFFLINE",
        "id": ACCOUNT_ID,
    }


def _region(_args: Props) -> Props:
    return {"name": region(), "region": region(), "id": region(), "endpoint": f"ec2.{region()}.amazonaws.com",
            "description": region()}


def _partition(_args: Props) -> Props:
    return {"partition": "aws", "dnsSuffix": "amazonaws.com", "id": "aws", "reverseDnsPrefix": "com.amazonaws"}


CALLS: dict[str, CallHandler] = {
    "aws:index/getAvailabilityZones:getAvailabilityZones": _availability_zones,
    "aws:index/getCallerIdentity:getCallerIdentity": _caller_identity,
    "aws:index/getRegion:getRegion": _region,
    "aws:index/getPartition:getPartition": _partition,
}


# --- resources: what the provider computes (ids, ARNs, endpoints), keyed by type token -----------

_ELB_ACCOUNTS = {
    "us-east-1": "127311923021", "us-east-2": "033677994240", "us-west-2": "797873946194",
    "eu-west-1": "156460612806", "eu-west-2": "652711504416", "eu-west-3": "009996457667",
    "eu-central-1": "054676820928", "eu-north-1": "897822967062",
}
"""Elastic Load Balancing's log-delivery account per region (getServiceAccount)."""
_ALB_ZONE_IDS = {"eu-west-3": "Z3Q77PNBQS71R4", "eu-west-1": "Z32O12XQLNTSW2", "us-east-1": "Z35SXDOTRQ7X7K"}


def _hex(call: ResourceCall, length: int = 17, salt: str = "") -> str:
    return stable_hex(call.type, call.name, salt, length=length)


def _aws_id(prefix: str) -> ResourceHandler:
    """EC2-style ids (`vpc-0abc...`) and the resource's ARN."""
    def handler(call: ResourceCall) -> Props:
        resource_id = f"{prefix}-{_hex(call)}"
        kind = {"sg": "security-group", "rtb": "route-table", "igw": "internet-gateway", "nat": "natgateway",
                "eipalloc": "elastic-ip", "lt": "launch-template", "fl": "vpc-flow-log", "sgr": "security-group-rule",
                "rtbassoc": "route-table-association"}.get(prefix, prefix)
        state = merge(call.inputs, {"id": resource_id, "__id": resource_id, "arn": arn("ec2", f"{kind}/{resource_id}"),
                                    "ownerId": ACCOUNT_ID, "tagsAll": dict(call.inputs.get("tags") or {})})
        return state
    return handler


def _vpc(call: ResourceCall) -> Props:
    state = _aws_id("vpc")(call)
    state.update({"defaultSecurityGroupId": f"sg-{_hex(call, salt='default')}",
                  "defaultNetworkAclId": f"acl-{_hex(call)}", "defaultRouteTableId": f"rtb-{_hex(call, salt='main')}",
                  "mainRouteTableId": f"rtb-{_hex(call, salt='main')}", "dhcpOptionsId": f"dopt-{_hex(call)}",
                  "instanceTenancy": "default"})
    return state


def _subnet(call: ResourceCall) -> Props:
    state = _aws_id("subnet")(call)
    zone = str(call.inputs.get("availabilityZone") or f"{region()}a")
    state["availabilityZoneId"] = f"{_zone_prefix()}-az{'abcdef'.index(zone[-1]) + 1}"
    return state


def _eip(call: ResourceCall) -> Props:
    state = _aws_id("eipalloc")(call)
    number = int(_hex(call, 4), 16)
    state.update({"allocationId": state["id"], "publicIp": f"198.51.{number % 250}.{number // 250 % 250}",
                  "domain": call.inputs.get("domain", "vpc")})
    return state


def _nat(call: ResourceCall) -> Props:
    state = _aws_id("nat")(call)
    state.update({"networkInterfaceId": f"eni-{_hex(call)}", "publicIp": "198.51.100.10", "privateIp": "10.0.0.10",
                  "connectivityType": "public"})
    return state


def _launch_template(call: ResourceCall) -> Props:
    state = _aws_id("lt")(call)
    state.update({"latestVersion": 1, "defaultVersion": 1,
                  "name": call.inputs.get("name") or autoname(call.type, call.name)})
    return state


def _sg_rule(call: ResourceCall) -> Props:
    state = _aws_id("sgr")(call)
    state["securityGroupRuleId"] = state["id"]
    return state


def _kms_key(call: ResourceCall) -> Props:
    key_id = _uuid(call)
    return merge(call.inputs, {"__id": key_id, "id": key_id, "keyId": key_id, "arn": arn("kms", f"key/{key_id}"),
                               "keyUsage": "ENCRYPT_DECRYPT", "customerMasterKeySpec": "SYMMETRIC_DEFAULT",
                               "isEnabled": True, "multiRegion": False, "tagsAll": {},
                               PLANNED: ("keyUsage", "customerMasterKeySpec", "isEnabled", "multiRegion")})


def _kms_alias(call: ResourceCall) -> Props:
    name = str(call.inputs.get("name") or f"alias/{call.name}")
    return merge(call.inputs, {"__id": name, "name": name, "arn": arn("kms", name),
                               "targetKeyArn": arn("kms", f"key/{call.inputs.get('targetKeyId', '')}")})


def _uuid(call: ResourceCall) -> str:
    raw = _hex(call, 32)
    return f"{raw[:8]}-{raw[8:12]}-4{raw[13:16]}-8{raw[17:20]}-{raw[20:32]}"


def _named(call: ResourceCall, key: str = "name", *, lower: bool = False, limit: int = 255) -> str:
    value = call.inputs.get(key)
    if value:
        return str(value)
    name = autoname(call.type, call.name)
    name = name.lower() if lower else name
    return name if len(name) <= limit else name[: limit - 8] + name[-8:]


def _iam_role(call: ResourceCall) -> Props:
    name = _named(call, limit=64)
    return merge(call.inputs, {"__id": name, "id": name, "name": name, "arn": f"arn:aws:iam::{ACCOUNT_ID}:role/{name}",
                               "uniqueId": "AROA" + _hex(call, 17).upper(), "createDate": "2026-01-01T00:00:00Z",
                               "path": call.inputs.get("path", "/"), "tagsAll": {}})


def _iam_role_policy(call: ResourceCall) -> Props:
    name = _named(call, limit=128)
    role = str(call.inputs.get("role", ""))
    return merge(call.inputs, {"__id": f"{role}:{name}", "name": name})


def _iam_attachment(call: ResourceCall) -> Props:
    return merge(call.inputs, {"__id": f"{call.inputs.get('role', '')}-{_hex(call, 8)}"})


def _oidc_provider(call: ResourceCall) -> Props:
    host = str(call.inputs.get("url", "")).removeprefix("https://")
    provider_arn = f"arn:aws:iam::{ACCOUNT_ID}:oidc-provider/{host}"
    return merge(call.inputs, {"__id": provider_arn, "arn": provider_arn,
                               "thumbprintLists": call.inputs.get("thumbprintLists") or [_hex(call, 40)],
                               "tagsAll": {}})


def _log_group(call: ResourceCall) -> Props:
    name = _named(call, limit=512)
    return merge(call.inputs, {"__id": name, "name": name, "arn": arn("logs", f"log-group:{name}"), "tagsAll": {}})


def _secret(call: ResourceCall) -> Props:
    name = _named(call, limit=512)
    secret_arn = arn("secretsmanager", f"secret:{name}-{_hex(call, 6)}")
    return merge(call.inputs, {"__id": secret_arn, "id": secret_arn, "arn": secret_arn, "name": name, "tagsAll": {}})


def _secret_version(call: ResourceCall) -> Props:
    version = _uuid(call)
    secret_id = str(call.inputs.get("secretId", ""))
    return merge(call.inputs, {"__id": f"{secret_id}|{version}", "arn": secret_id, "versionId": version,
                               "versionStages": ["AWSCURRENT"]})


def _eks_cluster(call: ResourceCall) -> Props:
    name = _named(call, limit=100)
    token = _hex(call, 32).upper()
    ca = base64.b64encode(f"-----BEGIN CERTIFICATE-----\nMII{token}\n-----END CERTIFICATE-----\n".encode()).decode()
    vpc_config = dict(call.inputs.get("vpcConfig") or {})
    vpc_config.update({"clusterSecurityGroupId": f"sg-{_hex(call, salt='cluster')}", "vpcId": f"vpc-{_hex(call, salt='vpc')}"})
    vpc_config.setdefault("endpointPublicAccess", True)
    vpc_config.setdefault("endpointPrivateAccess", False)
    return merge(call.inputs, {
        "__id": name, "id": name, "name": name, "arn": arn("eks", f"cluster/{name}"),
        "endpoint": f"https://{token}.gr7.{region()}.eks.amazonaws.com",
        "certificateAuthority": {"data": ca},
        "identities": [{"oidcs": [{"issuer": f"https://oidc.eks.{region()}.amazonaws.com/id/{token}"}]}],
        "vpcConfig": vpc_config, "version": call.inputs.get("version", "1.33"), "platformVersion": "eks.1",
        "status": "ACTIVE", "createdAt": "2026-01-01T00:00:00Z",
        "kubernetesNetworkConfig": {"ipFamily": "ipv4", "serviceIpv4Cidr": "172.20.0.0/16"}, "tagsAll": {},
    })


def _eks_node_group(call: ResourceCall) -> Props:
    name = _named(call, "nodeGroupName", limit=63)
    cluster = str(call.inputs.get("clusterName", ""))
    return merge(call.inputs, {
        "__id": f"{cluster}:{name}", "nodeGroupName": name, "arn": arn("eks", f"nodegroup/{cluster}/{name}/{_uuid(call)}"),
        "status": "ACTIVE", "resources": [{"autoscalingGroups": [{"name": f"eks-{name}-{_uuid(call)}"}],
                                           "remoteAccessSecurityGroupId": ""}],
        "version": "1.33", "releaseVersion": "1.33.0-20260101", "tagsAll": {},
    })


def _eks_addon(call: ResourceCall) -> Props:
    cluster, addon = call.inputs.get("clusterName", ""), call.inputs.get("addonName", "")
    return merge(call.inputs, {"__id": f"{cluster}:{addon}", "arn": arn("eks", f"addon/{cluster}/{addon}/{_uuid(call)}"),
                               "addonVersion": call.inputs.get("addonVersion") or "v1.0.0-eksbuild.1",
                               "createdAt": "2026-01-01T00:00:00Z", "tagsAll": {}})


def _eks_access_entry(call: ResourceCall) -> Props:
    cluster, principal = call.inputs.get("clusterName", ""), str(call.inputs.get("principalArn", ""))
    return merge(call.inputs, {"__id": f"{cluster}:{principal}", "type": call.inputs.get("type", "STANDARD"),
                               "accessEntryArn": arn("eks", f"access-entry/{cluster}/{_uuid(call)}"),
                               "userName": principal, "kubernetesGroups": [], "tagsAll": {}})


def _eks_access_policy(call: ResourceCall) -> Props:
    cluster, principal = call.inputs.get("clusterName", ""), call.inputs.get("principalArn", "")
    return merge(call.inputs, {"__id": f"{cluster}#{principal}#{call.inputs.get('policyArn', '')}",
                               "associatedAt": "2026-01-01T00:00:00Z", "modifiedAt": "2026-01-01T00:00:00Z"})


def _rds_instance(call: ResourceCall) -> Props:
    identifier = _named(call, "identifier", lower=True, limit=63)
    port = int(call.inputs.get("port") or 5432)
    address = f"{identifier}.c{stable_hex(ACCOUNT_ID, region(), length=11)}.{region()}.rds.amazonaws.com"
    resource_id = "db-" + _hex(call, 26).upper()
    computed: Props = {
        "__id": resource_id, "id": resource_id, "resourceId": resource_id, "identifier": identifier,
        "address": address, "endpoint": f"{address}:{port}", "port": port, "arn": arn("rds", f"db:{identifier}"),
        "hostedZoneId": "ZMESEXB7ZGGQ3", "status": "available", "engine": call.inputs.get("engine") or "postgres",
        "engineVersionActual": call.inputs.get("engineVersion") or "16.4", "caCertIdentifier":
            call.inputs.get("caCertIdentifier") or "rds-ca-rsa2048-g1", "tagsAll": {},
        "listenerEndpoints": [], "masterUserSecrets": [], "replicas": [],
    }
    return merge(call.inputs, computed)


def _rds_named(kind: str) -> ResourceHandler:
    def handler(call: ResourceCall) -> Props:
        name = _named(call, lower=True, limit=255)
        state = merge(call.inputs, {"__id": name, "id": name, "name": name, "arn": arn("rds", f"{kind}:{name}"),
                                    "tagsAll": {}})
        if kind == "subgrp":
            state.update({"vpcId": f"vpc-{_hex(call)}", "supportedNetworkTypes": ["IPV4"]})
        return state
    return handler


def _cache_subnet_group(call: ResourceCall) -> Props:
    name = _named(call, lower=True, limit=255)
    return merge(call.inputs, {"__id": name, "id": name, "name": name, "arn": arn("elasticache", f"subnetgroup:{name}"),
                               "vpcId": f"vpc-{_hex(call)}", "tagsAll": {}})


def _replication_group(call: ResourceCall) -> Props:
    group_id = _named(call, "replicationGroupId", lower=True, limit=40)
    short = region().replace("-", "").replace("west", "w").replace("east", "e").replace("central", "c").replace("north", "n")
    cluster_mode = call.inputs.get("clusterMode") == "enabled" or int(call.inputs.get("numNodeGroups") or 1) > 1
    shards = int(call.inputs.get("numNodeGroups") or 1)
    replicas = int(call.inputs.get("replicasPerNodeGroup") or 0)
    computed: Props = {
        "__id": group_id, "id": group_id, "replicationGroupId": group_id,
        "arn": arn("elasticache", f"replicationgroup:{group_id}"), "clusterEnabled": cluster_mode,
        "engineVersionActual": f"{call.inputs.get('engineVersion') or '8.0'}.1",
        "memberClusters": [f"{group_id}-{s + 1:04d}-{r + 1:03d}" for s in range(shards) for r in range(replicas + 1)],
        "tagsAll": {},
    }
    suffix = f"{_hex(call, 6)}.{short}.cache.amazonaws.com"
    if cluster_mode:
        computed["configurationEndpointAddress"] = f"clustercfg.{group_id}.{suffix}"
    else:
        computed["primaryEndpointAddress"] = f"master.{group_id}.{suffix}"
        computed["readerEndpointAddress"] = f"replica.{group_id}.{suffix}"
    return merge(call.inputs, computed)


def _load_balancer(call: ResourceCall) -> Props:
    name = _named(call, limit=32)
    kind = "net" if call.inputs.get("loadBalancerType") == "network" else "app"
    suffix = f"{kind}/{name}/{_hex(call, 16)}"
    prefix = "internal-" if call.inputs.get("internal") else ""
    digits = str(int(_hex(call, 8), 16))[:10]
    lb_arn = arn("elasticloadbalancing", f"loadbalancer/{suffix}")
    return merge(call.inputs, {
        "__id": lb_arn, "id": lb_arn, "arn": lb_arn, "arnSuffix": suffix, "name": name,
        "dnsName": f"{prefix}{name}-{digits}.{region()}.elb.amazonaws.com",
        "zoneId": _ALB_ZONE_IDS.get(region(), "Z3Q77PNBQS71R4"), "vpcId": f"vpc-{_hex(call)}", "tagsAll": {},
    })


def _target_group(call: ResourceCall) -> Props:
    name = _named(call, limit=32)
    suffix = f"targetgroup/{name}/{_hex(call, 16)}"
    tg_arn = arn("elasticloadbalancing", suffix)
    return merge(call.inputs, {"__id": tg_arn, "id": tg_arn, "arn": tg_arn, "arnSuffix": suffix, "name": name,
                               "loadBalancerArns": [], "tagsAll": {}})


def _listener(call: ResourceCall) -> Props:
    lb_arn = str(call.inputs.get("loadBalancerArn", ""))
    listener_arn = lb_arn.replace(":loadbalancer/", ":listener/") + f"/{_hex(call, 16)}"
    return merge(call.inputs, {"__id": listener_arn, "id": listener_arn, "arn": listener_arn, "tagsAll": {}})


def _web_acl(call: ResourceCall) -> Props:
    name = _named(call, limit=128)
    acl_id = _uuid(call)
    scope = "regional" if call.inputs.get("scope") == "REGIONAL" else "global"
    return merge(call.inputs, {"__id": acl_id, "id": acl_id, "name": name, "capacity": 1400,
                               "arn": arn("wafv2", f"{scope}/webacl/{name}/{acl_id}"),
                               "lockToken": _uuid(ResourceCall(call.type, call.name + "-lock", {}, "", True)),
                               "applicationIntegrationUrl": "", "tagsAll": {}})


def _web_acl_association(call: ResourceCall) -> Props:
    return merge(call.inputs, {"__id": f"{call.inputs.get('webAclArn', '')},{call.inputs.get('resourceArn', '')}"})


def _web_acl_logging(call: ResourceCall) -> Props:
    return merge(call.inputs, {"__id": str(call.inputs.get("resourceArn", ""))})


def _bucket(call: ResourceCall) -> Props:
    name = _named(call, "bucket", lower=True, limit=63)
    return merge(call.inputs, {
        "__id": name, "id": name, "bucket": name, "arn": f"arn:aws:s3:::{name}", "region": region(),
        "bucketDomainName": f"{name}.s3.amazonaws.com", "bucketRegionalDomainName": f"{name}.s3.{region()}.amazonaws.com",
        "tagsAll": {},
    })


def _bucket_part(call: ResourceCall) -> Props:
    return merge(call.inputs, {"__id": str(call.inputs.get("bucket", call.name))})


def _zone_prefix() -> str:
    return {"eu-west-3": "euw3", "eu-west-1": "euw1", "us-east-1": "use1"}.get(region(), "euw3")


RESOURCES.update({
    "aws:ec2/vpc:Vpc": _vpc,
    "aws:ec2/subnet:Subnet": _subnet,
    "aws:ec2/securityGroup:SecurityGroup": _aws_id("sg"),
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": _aws_id("sg"),
    "aws:ec2/internetGateway:InternetGateway": _aws_id("igw"),
    "aws:ec2/natGateway:NatGateway": _nat,
    "aws:ec2/eip:Eip": _eip,
    "aws:ec2/routeTable:RouteTable": _aws_id("rtb"),
    "aws:ec2/routeTableAssociation:RouteTableAssociation": _aws_id("rtbassoc"),
    "aws:ec2/route:Route": _aws_id("r"),
    "aws:ec2/flowLog:FlowLog": _aws_id("fl"),
    "aws:ec2/launchTemplate:LaunchTemplate": _launch_template,
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": _sg_rule,
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": _sg_rule,
    "aws:kms/key:Key": _kms_key,
    "aws:kms/alias:Alias": _kms_alias,
    "aws:iam/role:Role": _iam_role,
    "aws:iam/rolePolicy:RolePolicy": _iam_role_policy,
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": _iam_attachment,
    "aws:iam/openIdConnectProvider:OpenIdConnectProvider": _oidc_provider,
    "aws:cloudwatch/logGroup:LogGroup": _log_group,
    "aws:secretsmanager/secret:Secret": _secret,
    "aws:secretsmanager/secretVersion:SecretVersion": _secret_version,
    "aws:eks/cluster:Cluster": _eks_cluster,
    "aws:eks/nodeGroup:NodeGroup": _eks_node_group,
    "aws:eks/addon:Addon": _eks_addon,
    "aws:eks/accessEntry:AccessEntry": _eks_access_entry,
    "aws:eks/accessPolicyAssociation:AccessPolicyAssociation": _eks_access_policy,
    "aws:rds/instance:Instance": _rds_instance,
    "aws:rds/parameterGroup:ParameterGroup": _rds_named("pg"),
    "aws:rds/subnetGroup:SubnetGroup": _rds_named("subgrp"),
    "aws:elasticache/subnetGroup:SubnetGroup": _cache_subnet_group,
    "aws:elasticache/replicationGroup:ReplicationGroup": _replication_group,
    "aws:lb/loadBalancer:LoadBalancer": _load_balancer,
    "aws:lb/targetGroup:TargetGroup": _target_group,
    "aws:lb/listener:Listener": _listener,
    "aws:wafv2/webAcl:WebAcl": _web_acl,
    "aws:wafv2/webAclAssociation:WebAclAssociation": _web_acl_association,
    "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration": _web_acl_logging,
    "aws:s3/bucket:Bucket": _bucket,
    **{f"aws:s3/{part[0].lower() + part[1:]}:{part}": _bucket_part for part in (
        "BucketPublicAccessBlock", "BucketOwnershipControls", "BucketServerSideEncryptionConfiguration",
        "BucketVersioning", "BucketLifecycleConfiguration", "BucketPolicy")},
})


def _session_context(args: Props) -> Props:
    """An assumed-role session ARN maps to its role; any other ARN is its own issuer."""
    session_arn = str(args.get("arn", ""))
    issuer, name = session_arn, ""
    if ":assumed-role/" in session_arn:
        prefix, rest = session_arn.split(":assumed-role/", 1)
        role, name = rest.split("/", 1)
        issuer = prefix.replace(":sts:", ":iam:") + f":role/{role}"
    return {"arn": session_arn, "issuerArn": issuer, "issuerId": "AROAOFFLINE", "issuerName": issuer.rsplit("/", 1)[-1],
            "sessionName": name, "id": session_arn}


def _elb_service_account(args: Props) -> Props:
    account = _ELB_ACCOUNTS.get(str(args.get("region") or region()), _ELB_ACCOUNTS["eu-west-3"])
    return {"arn": f"arn:aws:iam::{account}:root", "id": account, "region": region()}


CALLS.update({
    "aws:iam/getSessionContext:getSessionContext": _session_context,
    "aws:elb/getServiceAccount:getServiceAccount": _elb_service_account,
})


# --- observability: the OpenSearch log domain ----------------------------------------------------


def _opensearch_domain(call: ResourceCall) -> Props:
    name = str(call.inputs.get("domainName") or autoname(call.type, call.name))
    vpc = "vpc-" if call.inputs.get("vpcOptions") else "search-"
    host = f"{vpc}{name}-{stable_hex(call.type, call.name, length=26)}.{region()}.es.amazonaws.com"
    return merge(call.inputs, {
        "id": arn("es", f"domain/{name}"), "arn": arn("es", f"domain/{name}"), "domainName": name,
        "domainId": f"{ACCOUNT_ID}/{name}", "endpoint": host, "dashboardEndpoint": f"{host}/_dashboards",
        "tagsAll": dict(call.inputs.get("tags") or {}),
    })


RESOURCES.update({"aws:opensearch/domain:Domain": _opensearch_domain})


# --- preview: what pulumi-aws knows before anything exists ----------------------------------------

_AUTONAMED = {
    "aws:rds/instance:Instance": "identifier",
    "aws:s3/bucket:Bucket": "bucket",
    "aws:elasticache/replicationGroup:ReplicationGroup": "replicationGroupId",
    "aws:opensearch/domain:Domain": "domainName",
}
"""Types whose auto-named property is not `name` (optional in the SDK, required by the service)."""


def _auto_named(call: ResourceCall) -> tuple[str, ...]:
    # The bridge auto-names in Check, so the name is planned; everything else the service assigns.
    return (_AUTONAMED.get(call.type, "name"),)


PREVIEW: dict[str, PreviewModel] = {"aws": PreviewModel(checked=_auto_named)}
