"""AWS VPC: public subnets for load balancers only, private subnets for nodes, isolated data subnets."""

from __future__ import annotations

import ipaddress
import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.config import ConfigError, NetworkConfig


@dataclass(frozen=True)
class SubnetPlan:
    """Deterministic carving of the VPC range, so other components know the CIDRs without lookups."""

    public: list[str]
    """Load balancers only (the ALB)."""
    private: list[str]
    """Nodes and pods (the VPC CNI gives pods subnet addresses, hence the large blocks); NAT egress."""
    data: list[str]
    """RDS and ElastiCache: no route to the Internet at all."""


def plan_subnets(cidr: str, az_count: int) -> SubnetPlan:
    network = ipaddress.IPv4Network(cidr)
    # Eight blocks of 1/8: one per AZ for the nodes; the last eighth split into sixteen for the
    # public (first half) and data (second half) subnets. Works for 2..6 AZs and /8../20 VPCs.
    eighths = list(network.subnets(prefixlen_diff=3))
    small = list(eighths[-1].subnets(prefixlen_diff=4))
    return SubnetPlan(
        public=[str(s) for s in small[:az_count]],
        private=[str(s) for s in eighths[:az_count]],
        data=[str(s) for s in small[8:8 + az_count]],
    )


@dataclass(frozen=True, kw_only=True)
class AwsNetworkArgs:
    network: NetworkConfig
    cluster_name: str
    """Tags the subnets for the cluster's load-balancer discovery."""
    kms_key_arn: pulumi.Input[str]
    """Encrypts the flow-log group."""
    production: bool


class AwsNetwork(pulumi.ComponentResource):
    vpc_id: pulumi.Output[str]
    public_subnet_ids: list[pulumi.Output[str]]
    private_subnet_ids: list[pulumi.Output[str]]
    data_subnet_ids: list[pulumi.Output[str]]
    plan: SubnetPlan
    zone_names: pulumi.Output[list[str]]

    def __init__(self, name: str, args: AwsNetworkArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("orchestrator:network:AwsNetwork", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        count = args.network.az_count
        self.plan = plan_subnets(args.network.cidr, count)
        zones = aws.get_availability_zones_output(state="available", opts=pulumi.InvokeOptions(parent=self))
        zone_names = zones.names.apply(lambda names: _enough_zones(names, count))
        self.zone_names = zone_names

        vpc = aws.ec2.Vpc(f"{name}-vpc", cidr_block=args.network.cidr, enable_dns_hostnames=True, enable_dns_support=True,
                          tags={"Name": f"{args.cluster_name}-vpc"}, opts=child)
        # No rule at all: nothing may use the default group by accident.
        aws.ec2.DefaultSecurityGroup(f"{name}-default-sg", vpc_id=vpc.id, ingress=[], egress=[], opts=child)
        igw = aws.ec2.InternetGateway(f"{name}-igw", vpc_id=vpc.id, opts=child)

        public_rt = aws.ec2.RouteTable(f"{name}-public-rt", vpc_id=vpc.id, opts=child)
        aws.ec2.Route(f"{name}-public-default", route_table_id=public_rt.id, destination_cidr_block="0.0.0.0/0",
                      gateway_id=igw.id, opts=child)
        data_rt = aws.ec2.RouteTable(f"{name}-data-rt", vpc_id=vpc.id, opts=child)

        cluster_tag = f"kubernetes.io/cluster/{args.cluster_name}"
        self.public_subnet_ids, self.private_subnet_ids, self.data_subnet_ids = [], [], []
        for index in range(count):
            zone = zone_names.apply(lambda names, i=index: names[i])  # type: ignore[misc]
            public = aws.ec2.Subnet(
                f"{name}-public-{index}", vpc_id=vpc.id, cidr_block=self.plan.public[index], availability_zone=zone,
                map_public_ip_on_launch=False, tags={"Name": f"{args.cluster_name}-public-{index}", "tier": "public",
                                                     "kubernetes.io/role/elb": "1", cluster_tag: "shared"}, opts=child)
            aws.ec2.RouteTableAssociation(f"{name}-public-{index}", subnet_id=public.id, route_table_id=public_rt.id,
                                          opts=child)
            eip = aws.ec2.Eip(f"{name}-nat-{index}", domain="vpc", opts=child)
            nat = aws.ec2.NatGateway(f"{name}-nat-{index}", allocation_id=eip.allocation_id, subnet_id=public.id,
                                     opts=pulumi.ResourceOptions(parent=self, depends_on=[igw]))
            private = aws.ec2.Subnet(
                f"{name}-private-{index}", vpc_id=vpc.id, cidr_block=self.plan.private[index], availability_zone=zone,
                tags={"Name": f"{args.cluster_name}-private-{index}", "tier": "private",
                      "kubernetes.io/role/internal-elb": "1", cluster_tag: "shared"}, opts=child)
            # One NAT per zone: losing a zone never cuts the other zones' egress.
            private_rt = aws.ec2.RouteTable(f"{name}-private-rt-{index}", vpc_id=vpc.id, opts=child)
            aws.ec2.Route(f"{name}-private-default-{index}", route_table_id=private_rt.id,
                          destination_cidr_block="0.0.0.0/0", nat_gateway_id=nat.id, opts=child)
            aws.ec2.RouteTableAssociation(f"{name}-private-{index}", subnet_id=private.id,
                                          route_table_id=private_rt.id, opts=child)
            data = aws.ec2.Subnet(
                f"{name}-data-{index}", vpc_id=vpc.id, cidr_block=self.plan.data[index], availability_zone=zone,
                tags={"Name": f"{args.cluster_name}-data-{index}", "tier": "data"}, opts=child)
            aws.ec2.RouteTableAssociation(f"{name}-data-{index}", subnet_id=data.id, route_table_id=data_rt.id,
                                          opts=child)
            self.public_subnet_ids.append(public.id)
            self.private_subnet_ids.append(private.id)
            self.data_subnet_ids.append(data.id)

        self._flow_logs(name, vpc, args)
        self.vpc_id = vpc.id
        self.register_outputs({
            "vpcId": self.vpc_id, "publicSubnetIds": self.public_subnet_ids,
            "privateSubnetIds": self.private_subnet_ids, "dataSubnetIds": self.data_subnet_ids,
        })

    def _flow_logs(self, name: str, vpc: aws.ec2.Vpc, args: AwsNetworkArgs) -> None:
        child = pulumi.ResourceOptions(parent=self)
        group = aws.cloudwatch.LogGroup(
            f"{name}-flow-logs", name=f"/orchestrator/{args.cluster_name}/vpc-flow-logs",
            retention_in_days=args.network.aws.flow_log_retention_days, kms_key_id=args.kms_key_arn, opts=child)
        role = aws.iam.Role(f"{name}-flow-logs", assume_role_policy=json.dumps({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"Service": "vpc-flow-logs.amazonaws.com"},
                           "Action": "sts:AssumeRole"}],
        }), opts=child)
        aws.iam.RolePolicy(f"{name}-flow-logs", role=role.id, policy=group.arn.apply(lambda arn: json.dumps({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow",
                           "Action": ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                           "Resource": [arn, f"{arn}:*"]}],
        })), opts=child)
        aws.ec2.FlowLog(f"{name}-flow-log", vpc_id=vpc.id, traffic_type="ALL", log_destination_type="cloud-watch-logs",
                        log_destination=group.arn, iam_role_arn=role.arn, max_aggregation_interval=60, opts=child)


def _enough_zones(names: list[str], count: int) -> list[str]:
    if len(names) < count:
        raise ConfigError(f"network.azCount is {count} but the region offers {len(names)} zones; lower it")
    return names[:count]


def cluster_only_security_group(
    name: str,
    *,
    vpc_id: pulumi.Input[str],
    cluster_security_group_id: pulumi.Input[str],
    port: int,
    service: str,
    opts: pulumi.ResourceOptions,
) -> aws.ec2.SecurityGroup:
    """A data service's security group: `port` reachable only from the EKS cluster's security group
    (a reference, never a CIDR), the rule standalone and described."""
    group = aws.ec2.SecurityGroup(f"{name}-sg", vpc_id=vpc_id,
                                  description=f"orchestrator {service}: clients from the EKS cluster only", opts=opts)
    aws.vpc.SecurityGroupIngressRule(
        f"{name}-from-cluster", security_group_id=group.id, ip_protocol="tcp", from_port=port, to_port=port,
        referenced_security_group_id=cluster_security_group_id,
        description=f"{service} from EKS nodes and pods (cluster security group)", opts=opts)
    return group
