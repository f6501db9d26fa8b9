"""AWS front door: internet-facing ALB + WAFv2 WebACL, forwarding to the HAProxy pods.

WAFv2 cannot attach to an NLB, so the ALB terminates the public TLS, WAF filters, and the ALB
re-encrypts to HAProxy (which keeps its own TLS, headers, rate limit and ACLs). The ALB's target
group is of type `ip` and bound to the HAProxy Service by the AWS Load Balancer Controller's
`TargetGroupBinding`: the controller registers the ready HAProxy pod IPs, so there is no
NodePort hop, no second load balancer and HAProxy's Service stays ClusterIP.
"""

from __future__ import annotations

import json

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from components.charts import AWS_LOAD_BALANCER_CONTROLLER
from components.cluster.aws import EksFoundation, irsa_trust
from components.config import ConfigError, StackConfig, TlsVersion, stack_file
from components.edge.contract import EdgeExposure, FrontDoor, FrontDoorArgs
from components.network.aws import plan_subnets
from components.operators import operator_namespace, restricted_operator_values

LBC_NAMESPACE = "aws-load-balancer-controller"
"""Its own namespace (Pod Security `restricted`, default-deny), not kube-system."""
LBC_SERVICE_ACCOUNT = "aws-load-balancer-controller"
MANAGED_RULE_GROUPS = ("AWSManagedRulesCommonRuleSet", "AWSManagedRulesSQLiRuleSet",
                       "AWSManagedRulesKnownBadInputsRuleSet")
WAF_WINDOW_SECONDS = 300
TLS13_AND_12 = "ELBSecurityPolicy-TLS13-1-2-2021-06"
TLS13_ONLY = "ELBSecurityPolicy-TLS13-1-3-2021-06"


def exposure(config: StackConfig) -> EdgeExposure:
    """HAProxy stays ClusterIP (the ALB reaches pod IPs); the ALB's subnets are the trusted proxies
    whose X-Forwarded-For carries the client address for HAProxy's rate limit and ACLs."""
    plan = plan_subnets(config.network.cidr, config.network.az_count)
    return EdgeExposure(service_type="ClusterIP", internal=True, trusted_proxy_cidrs=list(plan.public))


def alb_ssl_policy(config: StackConfig) -> str:
    """The configured policy, else TLS 1.3-only when edge.tls.minVersion asks for it, else TLS 1.3 + 1.2."""
    tls = config.edge.tls
    if tls.aws.alb_ssl_policy:
        return tls.aws.alb_ssl_policy
    return TLS13_ONLY if tls.min_version is TlsVersion.TLS13 else TLS13_AND_12


def waf_rate_limit(config: StackConfig) -> int:
    """HAProxy's per-client budget scaled to WAF's 5-minute window: a coarse ceiling in front of it."""
    rate = config.edge.rate_limit
    return max(100, rate.requests * WAF_WINDOW_SECONDS // rate.window_seconds)


def lbc_policy() -> str:
    """Only what TargetGroupBinding needs: describe, and (de)register targets. The controller
    creates no load balancers here, so it gets none of the create/delete permissions."""
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Resource": "*", "Action": [
            "elasticloadbalancing:DescribeLoadBalancers", "elasticloadbalancing:DescribeListeners",
            "elasticloadbalancing:DescribeTargetGroups", "elasticloadbalancing:DescribeTargetGroupAttributes",
            "elasticloadbalancing:DescribeTargetHealth", "elasticloadbalancing:DescribeTags",
            "ec2:DescribeInstances", "ec2:DescribeNetworkInterfaces", "ec2:DescribeSecurityGroups",
            "ec2:DescribeSubnets", "ec2:DescribeVpcs", "ec2:DescribeAvailabilityZones"]},
        {"Effect": "Allow", "Resource": "*",
         "Action": ["elasticloadbalancing:RegisterTargets", "elasticloadbalancing:DeregisterTargets"],
         "Condition": {"StringEquals": {"aws:ResourceTag/orchestrator:edge": "true"}}},
    ]})


def _visibility(metric: str) -> aws.wafv2.WebAclRuleVisibilityConfigArgs:
    return aws.wafv2.WebAclRuleVisibilityConfigArgs(cloudwatch_metrics_enabled=True, metric_name=metric,
                                                    sampled_requests_enabled=True)


def waf_rules(config: StackConfig) -> list[aws.wafv2.WebAclRuleArgs]:
    rules = [
        aws.wafv2.WebAclRuleArgs(
            name=group, priority=10 * (index + 1),
            override_action=aws.wafv2.WebAclRuleOverrideActionArgs(none=aws.wafv2.WebAclRuleOverrideActionNoneArgs()),
            statement=aws.wafv2.WebAclRuleStatementArgs(
                managed_rule_group_statement=aws.wafv2.WebAclRuleStatementManagedRuleGroupStatementArgs(
                    vendor_name="AWS", name=group)),
            visibility_config=_visibility(group),
        )
        for index, group in enumerate(MANAGED_RULE_GROUPS)
    ]
    # First: a flooding client is blocked before the managed groups spend capacity on it.
    rules.insert(0, aws.wafv2.WebAclRuleArgs(
        name="rate-limit-per-ip", priority=1,
        action=aws.wafv2.WebAclRuleActionArgs(block=aws.wafv2.WebAclRuleActionBlockArgs()),
        statement=aws.wafv2.WebAclRuleStatementArgs(
            rate_based_statement=aws.wafv2.WebAclRuleStatementRateBasedStatementArgs(
                aggregate_key_type="IP", limit=waf_rate_limit(config), evaluation_window_sec=WAF_WINDOW_SECONDS)),
        visibility_config=_visibility("rate-limit-per-ip"),
    ))
    return rules


class AlbWafEntry(FrontDoor):
    """ALB (public subnets, HTTPS with a TLS 1.3 policy, HTTP redirected, access logs, invalid headers
    dropped) + WAFv2 WebACL (managed Common/SQLi/KnownBadInputs + rate rule, logged) -> HAProxy pods."""

    exposure = staticmethod(exposure)

    load_balancer_arn: pulumi.Output[str]
    web_acl_arn: pulumi.Output[str]
    target_group_arn: pulumi.Output[str]

    def __init__(self, name: str, args: FrontDoorArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(name, args, opts)
        foundation = args.foundation
        if not isinstance(foundation, EksFoundation):
            raise TypeError(f"the AWS front door needs the EksFoundation, got {type(foundation).__name__}")
        config = args.config
        certificate = config.edge.tls.aws.acm_certificate_arn
        if not certificate:
            raise ConfigError(f"{stack_file(pulumi.get_stack())}: orchestrator:edge.tls.aws.acmCertificateArn is missing; "
                              "the AWS ALB needs an ACM certificate for edge.hostname")
        production = config.is_production
        child = pulumi.ResourceOptions(parent=self)
        # Pod-IP targets: the ALB connects to the container ports, not the Service's.
        port = args.edge.https_target_port
        health_port = args.edge.health_port

        logs = _LogBucket(f"{name}-access-logs", foundation, production, self)
        alb_sg = aws.ec2.SecurityGroup(f"{name}-alb-sg", vpc_id=foundation.vpc_id,
                                       description="orchestrator ALB: HTTPS/HTTP from the Internet", opts=child)
        for listener_port in (443, 80):
            aws.vpc.SecurityGroupIngressRule(
                f"{name}-alb-in-{listener_port}", security_group_id=alb_sg.id, ip_protocol="tcp",
                from_port=listener_port, to_port=listener_port, cidr_ipv4="0.0.0.0/0",
                description=f"Public {'HTTPS' if listener_port == 443 else 'HTTP (redirected to HTTPS)'}", opts=child)
        for role, target_port in (("haproxy", port), ("health", health_port)):
            what = "HTTPS" if role == "haproxy" else "health checks"
            aws.vpc.SecurityGroupEgressRule(
                f"{name}-alb-to-{role}", security_group_id=alb_sg.id, ip_protocol="tcp", from_port=target_port,
                to_port=target_port, referenced_security_group_id=foundation.cluster_security_group_id,
                description=f"ALB {what} to the HAProxy pods (cluster security group)", opts=child)
            aws.vpc.SecurityGroupIngressRule(
                f"{name}-{role}-from-alb", security_group_id=foundation.cluster_security_group_id, ip_protocol="tcp",
                from_port=target_port, to_port=target_port, referenced_security_group_id=alb_sg.id,
                description=f"HAProxy {what} from the ALB only", opts=child)

        alb = aws.lb.LoadBalancer(
            f"{name}-alb",
            load_balancer_type="application",
            internal=False,
            subnets=foundation.public_subnet_ids,
            security_groups=[alb_sg.id],
            ip_address_type="ipv4",
            drop_invalid_header_fields=True,
            desync_mitigation_mode="strictest",
            enable_http2=True,
            enable_deletion_protection=production,
            idle_timeout=60,
            access_logs=aws.lb.LoadBalancerAccessLogsArgs(bucket=logs.bucket, prefix="alb", enabled=True),
            opts=pulumi.ResourceOptions(parent=self, protect=production, depends_on=[logs.policy]),
        )
        target_group = aws.lb.TargetGroup(
            f"{name}-haproxy",
            target_type="ip",
            port=port,
            protocol="HTTPS",
            protocol_version="HTTP1",
            vpc_id=foundation.vpc_id,
            deregistration_delay=30,
            # HAProxy's own health answer on its internal port: a target is healthy when HAProxy is,
            # whatever the app behind it does (HAProxy handles the app's health itself).
            health_check=aws.lb.TargetGroupHealthCheckArgs(
                enabled=True, protocol="HTTP", port=str(health_port), path=args.edge.health_path, matcher="200",
                interval=10, timeout=5, healthy_threshold=2, unhealthy_threshold=3),
            tags={"orchestrator:edge": "true"},
            opts=child,
        )
        https = aws.lb.Listener(
            f"{name}-https", load_balancer_arn=alb.arn, port=443, protocol="HTTPS",
            ssl_policy=alb_ssl_policy(config), certificate_arn=certificate,
            default_actions=[aws.lb.ListenerDefaultActionArgs(type="forward", target_group_arn=target_group.arn)],
            opts=child)
        aws.lb.Listener(
            f"{name}-http", load_balancer_arn=alb.arn, port=80, protocol="HTTP",
            default_actions=[aws.lb.ListenerDefaultActionArgs(
                type="redirect", redirect=aws.lb.ListenerDefaultActionRedirectArgs(
                    protocol="HTTPS", port="443", status_code="HTTP_301"))],
            opts=child)

        acl = aws.wafv2.WebAcl(
            f"{name}-waf", scope="REGIONAL", description=f"orchestrator {pulumi.get_stack()} edge",
            default_action=aws.wafv2.WebAclDefaultActionArgs(allow=aws.wafv2.WebAclDefaultActionAllowArgs()),
            rules=waf_rules(config),
            visibility_config=aws.wafv2.WebAclVisibilityConfigArgs(
                cloudwatch_metrics_enabled=True, metric_name=f"orchestrator-{pulumi.get_stack()}",
                sampled_requests_enabled=True),
            opts=child)
        # WAF requires log groups named aws-waf-logs-*.
        waf_logs = aws.cloudwatch.LogGroup(
            f"{name}-waf-logs", name=f"aws-waf-logs-orchestrator-{pulumi.get_stack()}", retention_in_days=90,
            kms_key_id=foundation.kms_key_arn, opts=child)
        aws.wafv2.WebAclLoggingConfiguration(
            f"{name}-waf-logging", resource_arn=acl.arn, log_destination_configs=[waf_logs.arn],
            redacted_fields=[
                aws.wafv2.WebAclLoggingConfigurationRedactedFieldArgs(
                    single_header=aws.wafv2.WebAclLoggingConfigurationRedactedFieldSingleHeaderArgs(name=header))
                for header in ("authorization", "cookie")],
            opts=child)
        aws.wafv2.WebAclAssociation(f"{name}-waf-alb", resource_arn=alb.arn, web_acl_arn=acl.arn,
                                    opts=pulumi.ResourceOptions(parent=self, depends_on=[https]))

        self._bind(name, args, foundation, target_group)
        self.load_balancer_arn = alb.arn
        self.web_acl_arn = acl.arn
        self.target_group_arn = target_group.arn
        # The DNS record for edge.hostname (CNAME/alias to the ALB) lives where the zone is managed.
        self.public_hostname = pulumi.Output.from_input(config.edge.hostname)
        self.register_outputs({"publicHostname": self.public_hostname, "albDnsName": alb.dns_name,
                               "loadBalancerArn": alb.arn, "webAclArn": acl.arn})

    def _bind(self, name: str, args: FrontDoorArgs, foundation: EksFoundation, target_group: aws.lb.TargetGroup) -> None:
        """AWS Load Balancer Controller (IRSA, TargetGroupBinding permissions only) and the binding."""
        role = aws.iam.Role(
            f"{name}-lbc",
            assume_role_policy=pulumi.Output.all(foundation.oidc_provider_arn, foundation.oidc_issuer).apply(
                lambda v: irsa_trust(str(v[0]), str(v[1]), LBC_NAMESPACE, LBC_SERVICE_ACCOUNT)),
            opts=pulumi.ResourceOptions(parent=self))
        aws.iam.RolePolicy(f"{name}-lbc", role=role.id, policy=lbc_policy(), opts=pulumi.ResourceOptions(parent=self))
        # Egress: DNS and HTTPS (the API server, and the ELB/EC2/STS APIs) come with the namespace.
        namespace = operator_namespace(f"{name}-lbc-namespace", LBC_NAMESPACE, parent=self,
                                       opts=pulumi.ResourceOptions(parent=self))
        controller = k8s.helm.v3.Release(
            f"{name}-lbc",
            name="aws-load-balancer-controller",
            chart=AWS_LOAD_BALANCER_CONTROLLER.chart,
            version=AWS_LOAD_BALANCER_CONTROLLER.version,
            namespace=namespace.metadata.name,
            repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=AWS_LOAD_BALANCER_CONTROLLER.repository),
            values={
                # The chart's defaults lack seccomp and dropped capabilities, which `restricted` requires.
                **restricted_operator_values(),
                "clusterName": foundation.cluster_name,
                "region": foundation.region,
                "vpcId": foundation.vpc_id,
                "replicaCount": 2,
                "serviceAccount": {"create": True, "name": LBC_SERVICE_ACCOUNT,
                                   "annotations": {"eks.amazonaws.com/role-arn": role.arn}},
                # Only TargetGroupBindings: it must not take over Services or Ingresses.
                "enableServiceMutatorWebhook": False,
                "createIngressClassResource": False,
            },
            opts=pulumi.ResourceOptions(parent=self),
        )
        k8s.apiextensions.CustomResource(
            f"{name}-binding",
            api_version="elbv2.k8s.aws/v1beta1",
            kind="TargetGroupBinding",
            metadata=k8s.meta.v1.ObjectMetaArgs(name="haproxy-alb", namespace=args.edge.namespace),
            spec={
                "serviceRef": {"name": args.edge.service_name, "port": args.edge.https_port},
                "targetGroupARN": target_group.arn,
                "targetType": "ip",
            },
            opts=pulumi.ResourceOptions(parent=self, depends_on=[controller]),
        )


class _LogBucket:
    """S3 bucket for ALB access logs: private, TLS-only, SSE-S3 (the only encryption ALB log
    delivery supports), versioned, expiring after a year."""

    def __init__(self, name: str, foundation: EksFoundation, production: bool, parent: pulumi.Resource) -> None:
        child = pulumi.ResourceOptions(parent=parent)
        stateful = pulumi.ResourceOptions(parent=parent, protect=production, retain_on_delete=production)
        bucket = aws.s3.Bucket(name, force_destroy=not production, opts=stateful)
        self.bucket = bucket.bucket
        aws.s3.BucketPublicAccessBlock(name, bucket=bucket.id, block_public_acls=True, block_public_policy=True,
                                       ignore_public_acls=True, restrict_public_buckets=True, opts=child)
        aws.s3.BucketOwnershipControls(name, bucket=bucket.id, rule=aws.s3.BucketOwnershipControlsRuleArgs(
            object_ownership="BucketOwnerEnforced"), opts=child)
        aws.s3.BucketServerSideEncryptionConfiguration(name, bucket=bucket.id, rules=[
            aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
                apply_server_side_encryption_by_default=aws.s3
                .BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(sse_algorithm="AES256"))],
            opts=child)
        aws.s3.BucketVersioning(
            name, bucket=bucket.id,
            versioning_configuration=aws.s3.BucketVersioningVersioningConfigurationArgs(status="Enabled"), opts=child)
        aws.s3.BucketLifecycleConfiguration(name, bucket=bucket.id, rules=[aws.s3.BucketLifecycleConfigurationRuleArgs(
            id="expire", status="Enabled", filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix=""),
            expiration=aws.s3.BucketLifecycleConfigurationRuleExpirationArgs(days=365),
            noncurrent_version_expiration=aws.s3.BucketLifecycleConfigurationRuleNoncurrentVersionExpirationArgs(
                noncurrent_days=30))], opts=child)
        elb_account = aws.elb.get_service_account_output(opts=pulumi.InvokeOptions(parent=parent)).arn
        policy = pulumi.Output.all(bucket.arn, elb_account, foundation.context.account_id).apply(
            lambda v: _log_bucket_policy(str(v[0]), str(v[1]), str(v[2])))
        self.policy = aws.s3.BucketPolicy(name, bucket=bucket.id, policy=policy, opts=child)


def _log_bucket_policy(bucket_arn: str, elb_account_arn: str, account_id: str) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "AlbLogDelivery", "Effect": "Allow", "Principal": {"AWS": elb_account_arn},
         "Action": "s3:PutObject", "Resource": f"{bucket_arn}/alb/AWSLogs/{account_id}/*"},
        {"Sid": "TlsOnly", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
         "Resource": [bucket_arn, f"{bucket_arn}/*"], "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
    ]})
