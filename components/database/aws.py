"""AWS: RDS for PostgreSQL, a Multi-AZ primary plus read replicas, private, TLS-only, on the CMK."""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_random as random

from components.cluster.aws import EksFoundation
from components.config import ConfigError, stack_file
from components.database.contract import (
    DatabaseArgs,
    PostgresCluster,
    PostgresOutputs,
    credentials_secret,
)
from components.network.aws import cluster_only_security_group
from components.secrets.aws import stored_secret

PORT = 5432
PRODUCTION_BACKUP_DAYS = 14
LOG_EXPORTS = ["postgresql", "upgrade"]
SSL_MODE = "require"
"""TLS is forced server-side (rds.force_ssl); `require` because the app image carries no RDS CA bundle."""


def require_aws_foundation(foundation: object) -> EksFoundation:
    if not isinstance(foundation, EksFoundation):
        raise TypeError(f"the AWS data tier needs the EksFoundation, got {type(foundation).__name__}")
    return foundation


def parameter_family(engine_version: str) -> str:
    return f"postgres{engine_version.split('.', 1)[0]}"


class RdsPostgres(PostgresCluster):
    """Primary (Multi-AZ, gp3, encrypted with the CMK) and `database.replicas` read replicas in
    distinct zones, all in the data subnets, reachable on 5432 only from the cluster's security group."""

    replica_hosts: list[pulumi.Output[str]]
    secret_arn: pulumi.Output[str]

    def __init__(self, name: str, args: DatabaseArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(name, args, opts)
        foundation = require_aws_foundation(args.foundation)
        db = args.config.database
        production = args.config.is_production
        if production and db.backup_retention_days < PRODUCTION_BACKUP_DAYS:
            raise ConfigError(
                f"{stack_file(pulumi.get_stack())}: orchestrator:database.backupRetentionDays is {db.backup_retention_days}; "
                f"production on AWS keeps at least {PRODUCTION_BACKUP_DAYS} days of backups")
        child = pulumi.ResourceOptions(parent=self)
        stateful = pulumi.ResourceOptions(parent=self, protect=production, retain_on_delete=production)

        subnets = aws.rds.SubnetGroup(f"{name}-subnets", subnet_ids=foundation.data_subnet_ids,
                                      description="orchestrator PostgreSQL: data subnets only", opts=child)
        group = cluster_only_security_group(
            name, vpc_id=foundation.vpc_id, cluster_security_group_id=foundation.cluster_security_group_id,
            port=PORT, service="PostgreSQL", opts=child)
        parameters = aws.rds.ParameterGroup(
            f"{name}-params", family=parameter_family(db.engine_version),
            description="orchestrator PostgreSQL: TLS only",
            parameters=[
                aws.rds.ParameterGroupParameterArgs(name="rds.force_ssl", value="1", apply_method="pending-reboot"),
                aws.rds.ParameterGroupParameterArgs(name="ssl_min_protocol_version", value="TLSv1.2",
                                                    apply_method="pending-reboot"),
                aws.rds.ParameterGroupParameterArgs(name="log_connections", value="1"),
                aws.rds.ParameterGroupParameterArgs(name="log_disconnections", value="1"),
                aws.rds.ParameterGroupParameterArgs(name="log_min_duration_statement", value="500"),
            ],
            opts=child,
        )
        monitoring = aws.iam.Role(f"{name}-monitoring", assume_role_policy=json.dumps({
            "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                    "Principal": {"Service": "monitoring.rds.amazonaws.com"}}]}),
            opts=child)
        monitoring_policy = aws.iam.RolePolicyAttachment(
            f"{name}-monitoring", role=monitoring.name,
            policy_arn=foundation.context.partition.apply(
                lambda p: f"arn:{p}:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"), opts=child)

        # RDS-managed master passwords cannot have read replicas, hence pulumi-random.
        password = random.RandomPassword(f"{name}-master-password", length=40, special=False, opts=stateful)
        secret_password: pulumi.Output[str] = pulumi.Output.secret(password.result)
        common: dict[str, Any] = {
            "instance_class": db.aws.instance_class,
            "storage_encrypted": True,
            "kms_key_id": foundation.kms_key_arn,
            "publicly_accessible": False,
            "vpc_security_group_ids": [group.id],
            "parameter_group_name": parameters.name,
            "port": PORT,
            "ca_cert_identifier": db.aws.ca_cert_identifier,
            "iam_database_authentication_enabled": True,
            "performance_insights_enabled": True,
            "performance_insights_kms_key_id": foundation.kms_key_arn,
            "performance_insights_retention_period": db.aws.performance_insights_retention_days,
            "monitoring_interval": 60,
            "monitoring_role_arn": monitoring.arn,
            "enabled_cloudwatch_logs_exports": LOG_EXPORTS,
            "auto_minor_version_upgrade": True,
            "copy_tags_to_snapshot": True,
            "deletion_protection": production,
            "backup_retention_period": db.backup_retention_days,
            "apply_immediately": not production,
            "storage_type": "gp3",
            "max_allocated_storage": db.aws.max_storage_gb,
        }
        primary = aws.rds.Instance(
            f"{name}-primary",
            engine="postgres",
            engine_version=db.engine_version,
            allocated_storage=db.storage_gb,
            multi_az=True,
            db_subnet_group_name=subnets.name,
            db_name=db.name,
            username=db.username,
            password=secret_password,
            backup_window="02:00-03:00",
            maintenance_window="sun:03:30-sun:04:30",
            skip_final_snapshot=not production,
            final_snapshot_identifier=f"orchestrator-{pulumi.get_stack()}-final" if production else None,
            delete_automated_backups=not production,
            **common,
            opts=pulumi.ResourceOptions(parent=self, protect=production, retain_on_delete=production,
                                        depends_on=[monitoring_policy]),
        )
        # Same-region replicas take the source's identifier; each sits in its own zone (the
        # primary's standby covers the primary's failover; replicas spread reads and zone loss).
        replicas = [
            aws.rds.Instance(
                f"{name}-replica-{index + 1}",
                replicate_source_db=primary.identifier,
                availability_zone=foundation.zone(index + 1),
                multi_az=False,
                skip_final_snapshot=True,
                **common,
                opts=pulumi.ResourceOptions(parent=self, protect=production, retain_on_delete=production),
            )
            for index in range(db.replicas)
        ]

        secret = stored_secret(
            f"{name}-master", description=f"orchestrator {pulumi.get_stack()} PostgreSQL master credentials",
            value=pulumi.Output.json_dumps({
                "engine": "postgres", "host": primary.address, "port": PORT, "dbname": db.name,
                "username": db.username, "password": secret_password}),
            kms_key_arn=foundation.kms_key_arn, production=production, parent=self)
        credentials = credentials_secret(
            name, namespace=args.app_namespace, host=primary.address, port=PORT, database=db.name,
            username=db.username, password=secret_password, ssl_mode=SSL_MODE, opts=child,
        )

        self.replica_hosts = [replica.address for replica in replicas]
        self.secret_arn = secret.arn
        self.outputs = PostgresOutputs(
            primary_host=primary.address,
            reader_host=replicas[0].address,
            port=pulumi.Output.from_input(PORT),
            database=pulumi.Output.from_input(db.name),
            credentials_secret=credentials.metadata.name,
            ssl_mode=pulumi.Output.from_input(SSL_MODE),
            egress_peers=foundation.data_cidrs.apply(
                lambda cidrs: [{"ipBlock": {"cidr": cidr}} for cidr in cidrs]),
        )
        self.register_outputs({**self.outputs.registered(), "replicaHosts": self.replica_hosts,
                               "secretArn": self.secret_arn})
