"""AWS: ElastiCache (Valkey 8 by default) in cluster mode, 3 shards with replicas, TLS + AUTH, CMK."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws
import pulumi_random as random

from components.cache.contract import CacheArgs, RedisCluster, RedisOutputs, credentials_secret
from components.database.aws import require_aws_foundation
from components.network.aws import cluster_only_security_group
from components.secrets.aws import stored_secret

PORT = 6379


def parameter_group(engine: str, engine_version: str) -> str:
    """AWS's default cluster-mode parameter group of the engine's major version."""
    major = engine_version.split(".", 1)[0]
    return f"default.{engine}{major}.cluster.on"


class ElastiCacheRedis(RedisCluster):
    """`cache.shards` node groups (masters) with `cache.replicasPerShard` replicas each, automatic
    failover across zones, TLS required, at-rest encryption on the CMK, AUTH token from pulumi-random."""

    secret_arn: pulumi.Output[str]

    def __init__(self, name: str, args: CacheArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(name, args, opts)
        foundation = require_aws_foundation(args.foundation)
        cache = args.config.cache
        production = args.config.is_production
        child = pulumi.ResourceOptions(parent=self)
        stateful = pulumi.ResourceOptions(parent=self, protect=production, retain_on_delete=production)

        subnets = aws.elasticache.SubnetGroup(f"{name}-subnets", subnet_ids=foundation.data_subnet_ids,
                                              description="orchestrator cache: data subnets only", opts=child)
        group = cluster_only_security_group(
            name, vpc_id=foundation.vpc_id, cluster_security_group_id=foundation.cluster_security_group_id,
            port=PORT, service="Redis/Valkey", opts=child)
        slow_log = aws.cloudwatch.LogGroup(
            f"{name}-slow-log", name=f"/orchestrator/{pulumi.get_stack()}/cache/slow-log",
            retention_in_days=30, kms_key_id=foundation.kms_key_arn, opts=child)

        # AUTH tokens allow 16-128 printable characters, some symbols excluded: alphanumerics only.
        token = random.RandomPassword(f"{name}-auth-token", length=64, special=False, opts=stateful)
        auth_token: pulumi.Output[str] = pulumi.Output.secret(token.result)
        group_resource = aws.elasticache.ReplicationGroup(
            f"{name}-redis",
            description=f"orchestrator {pulumi.get_stack()} cache (cluster mode)",
            engine=cache.aws.engine,
            engine_version=cache.aws.engine_version,
            parameter_group_name=parameter_group(cache.aws.engine, cache.aws.engine_version),
            node_type=cache.aws.node_type,
            port=PORT,
            cluster_mode="enabled",
            num_node_groups=cache.shards,
            replicas_per_node_group=cache.replicas_per_shard,
            automatic_failover_enabled=True,
            multi_az_enabled=True,
            transit_encryption_enabled=True,
            transit_encryption_mode="required",
            at_rest_encryption_enabled=True,
            kms_key_id=foundation.kms_key_arn,
            auth_token=auth_token,
            auth_token_update_strategy="ROTATE",
            subnet_group_name=subnets.name,
            security_group_ids=[group.id],
            snapshot_retention_limit=cache.aws.snapshot_retention_days,
            snapshot_window="01:00-02:00",
            maintenance_window="sun:04:30-sun:05:30",
            final_snapshot_identifier=f"orchestrator-{pulumi.get_stack()}-cache-final" if production else None,
            auto_minor_version_upgrade=True,
            apply_immediately=not production,
            log_delivery_configurations=[aws.elasticache.ReplicationGroupLogDeliveryConfigurationArgs(
                destination=slow_log.name, destination_type="cloudwatch-logs", log_format="json", log_type="slow-log")],
            opts=stateful,
        )
        secret = stored_secret(
            f"{name}-auth", description=f"orchestrator {pulumi.get_stack()} cache AUTH token",
            value=pulumi.Output.json_dumps({"host": group_resource.configuration_endpoint_address, "port": PORT,
                                            "password": auth_token}),
            kms_key_arn=foundation.kms_key_arn, production=production, parent=self)
        credentials = credentials_secret(
            name, namespace=args.app_namespace, host=group_resource.configuration_endpoint_address, port=PORT,
            password=auth_token, opts=child,
        )
        self.secret_arn = secret.arn
        self.outputs = RedisOutputs(
            endpoint=group_resource.configuration_endpoint_address,
            port=pulumi.Output.from_input(PORT),
            tls=pulumi.Output.from_input(True),
            credentials_secret=credentials.metadata.name,
            egress_peers=foundation.data_cidrs.apply(lambda cidrs: [{"ipBlock": {"cidr": cidr}} for cidr in cidrs]),
        )
        self.register_outputs({**self.outputs.registered(), "secretArn": self.secret_arn})
