"""The `kubernetes` platform's PostgreSQL: a CloudNativePG `Cluster` (one primary, synchronous standbys).

The operator comes from its upstream Helm chart (pinned, no hooks, so `helm.v4.Chart`) in its own
namespace. Everything the application reads back is derived from explicit names: CNPG names its
services `<cluster>-rw` / `<cluster>-ro` after the Cluster, so no provider output is needed.
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import pulumi_random as random

from components.charts import BARMAN_CLOUD_PLUGIN, CLOUDNATIVE_PG
from components.config import StackConfig
from components.conventions import PART_OF
from components.database.contract import (
    DatabaseArgs,
    PostgresCluster,
    PostgresOutputs,
    credentials_secret,
)
from components.operators import (
    OPERATOR_METRICS_PORT,
    data_namespace,
    ingress_policy,
    ingress_rule,
    namespace_peer,
    operator_chart,
    operator_namespace,
    pod_monitor,
    secret_text,
    self_signed_tls,
    service_hosts,
)

BARMAN_PLUGIN_NAME = "barman-cloud.cloudnative-pg.io"
OPERATOR_NAMESPACE = "cnpg-system"
CLUSTER_NAME = "orchestrator-pg"
"""Explicit, so the `-rw` / `-ro` service names are known before the operator creates them."""
POSTGRES_PORT = 5432
METRICS_PORT = 9187
STATUS_PORT = 8000
"""The CNPG instance manager's status endpoint, polled by the operator."""
BARMAN_PLUGIN_PORT = 9090
POSTGRES_IMAGES: dict[str, str] = {
    "14": "ghcr.io/cloudnative-pg/postgresql:14.19",
    "15": "ghcr.io/cloudnative-pg/postgresql:15.14",
    "16": "ghcr.io/cloudnative-pg/postgresql:16.10",
    "17": "ghcr.io/cloudnative-pg/postgresql:17.6",
    "18": "ghcr.io/cloudnative-pg/postgresql:18.0",
}
"""Pinned operand images per major (a minor upgrade is a deliberate config change)."""


class CnpgPostgres(PostgresCluster):
    """CloudNativePG operator + `Cluster` with 1 + `database.replicas` instances."""

    def __init__(self, name: str, args: DatabaseArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(name, args, opts)
        config = args.config
        db = config.database
        namespace = db.kubernetes.namespace
        child = pulumi.ResourceOptions(parent=self)
        # Stateful: never deleted or replaced by accident in production.
        stateful = pulumi.ResourceOptions(parent=self, protect=config.is_production)

        instance_pods = {**namespace_peer(namespace), "podSelector": {"matchLabels": {"cnpg.io/cluster": CLUSTER_NAME}}}
        operator_ns = operator_namespace(
            f"{name}-operator-namespace", OPERATOR_NAMESPACE, parent=self, opts=stateful,
            # The operator polls each instance manager's status and connects to PostgreSQL; the
            # backup plugin beside it answers the instances over gRPC.
            egress=[{"to": [instance_pods], "ports": [{"protocol": "TCP", "port": p} for p in (POSTGRES_PORT, STATUS_PORT)]},
                    {"to": [{"podSelector": {}}]}],
            ingress=[{"from": [{"podSelector": {}}]},
                     ingress_rule([instance_pods], [BARMAN_PLUGIN_PORT]),
                     ingress_rule([namespace_peer(config.monitoring.namespace)], [OPERATOR_METRICS_PORT])],
        )
        operator = operator_chart(
            f"{name}-operator",
            pin=CLOUDNATIVE_PG,
            namespace=operator_ns.metadata.name,
            # The chart's own security contexts already pass `restricted` (components/charts.py).
            values={"crds": {"create": True}, "replicaCount": 1},
            # Removing the chart removes the CRDs, and with them every Cluster: protected like the data.
            opts=pulumi.ResourceOptions.merge(stateful, pulumi.ResourceOptions(depends_on=[operator_ns])),
        )
        operators: list[pulumi.Resource] = [operator]
        if db.kubernetes.backup_bucket:
            operators.append(operator_chart(
                f"{name}-backup-plugin",
                pin=BARMAN_CLOUD_PLUGIN,
                namespace=operator_ns.metadata.name,
                values={},
                # Its CRDs own the ObjectStore: removing it would orphan the backups' configuration.
                opts=pulumi.ResourceOptions.merge(stateful, pulumi.ResourceOptions(depends_on=[operator])),
            ))

        data_ns = data_namespace(f"{name}-namespace", namespace, self, stateful)
        ns_name = data_ns.metadata.name

        password = random.RandomPassword(
            f"{name}-password", length=32, special=False, min_lower=4, min_upper=4, min_numeric=4, opts=stateful
        )
        secret_password = secret_text(password.result)

        rw_service, ro_service = f"{CLUSTER_NAME}-rw", f"{CLUSTER_NAME}-ro"
        dns_names = [
            host for service in (rw_service, ro_service, f"{CLUSTER_NAME}-r") for host in service_hosts(service, namespace)
        ]
        key, cert = self_signed_tls(name, rw_service, dns_names, stateful)

        server_tls = k8s.core.v1.Secret(
            f"{name}-server-tls",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=f"{CLUSTER_NAME}-server-tls", namespace=ns_name, labels=dict(PART_OF)),
            type="kubernetes.io/tls",
            string_data={"tls.crt": cert.cert_pem, "tls.key": secret_text(key.private_key_pem)},
            opts=stateful,
        )
        server_ca = k8s.core.v1.Secret(
            f"{name}-server-ca",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=f"{CLUSTER_NAME}-server-ca", namespace=ns_name, labels=dict(PART_OF)),
            type="Opaque",
            string_data={"ca.crt": cert.cert_pem},
            opts=stateful,
        )
        # CNPG creates the application role from a basic-auth Secret at initdb time.
        bootstrap = k8s.core.v1.Secret(
            f"{name}-bootstrap",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=f"{CLUSTER_NAME}-app-auth", namespace=ns_name, labels=dict(PART_OF)),
            type="kubernetes.io/basic-auth",
            string_data={"username": db.username, "password": secret_password},
            opts=stateful,
        )

        object_store_name = f"{CLUSTER_NAME}-backups"
        spec = cluster_spec(
            config,
            bootstrap_secret=bootstrap.metadata.name,
            server_ca_secret=server_ca.metadata.name,
            server_tls_secret=server_tls.metadata.name,
            object_store=object_store_name if db.kubernetes.backup_bucket else None,
        )
        cluster = k8s.apiextensions.CustomResource(
            f"{name}-cluster",
            api_version="postgresql.cnpg.io/v1",
            kind="Cluster",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=CLUSTER_NAME, namespace=ns_name, labels=dict(PART_OF)),
            spec=spec,
            opts=pulumi.ResourceOptions.merge(stateful, pulumi.ResourceOptions(depends_on=operators)),
        )

        if db.kubernetes.backup_bucket:
            object_store = k8s.apiextensions.CustomResource(
                f"{name}-object-store",
                api_version="barmancloud.cnpg.io/v1",
                kind="ObjectStore",
                metadata=k8s.meta.v1.ObjectMetaArgs(name=object_store_name, namespace=ns_name, labels=dict(PART_OF)),
                spec=object_store_spec(config),
                opts=pulumi.ResourceOptions.merge(stateful, pulumi.ResourceOptions(depends_on=operators)),
            )
            k8s.apiextensions.CustomResource(
                f"{name}-scheduled-backup",
                api_version="postgresql.cnpg.io/v1",
                kind="ScheduledBackup",
                metadata=k8s.meta.v1.ObjectMetaArgs(name=f"{CLUSTER_NAME}-daily", namespace=ns_name, labels=dict(PART_OF)),
                spec={
                    "schedule": db.kubernetes.backup_schedule,
                    "cluster": {"name": CLUSTER_NAME},
                    "method": "plugin",
                    "pluginConfiguration": {"name": BARMAN_PLUGIN_NAME},
                    "backupOwnerReference": "self",
                    "immediate": True,
                },
                opts=pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(depends_on=[cluster, object_store])),
            )

        instance_labels = {"cnpg.io/cluster": CLUSTER_NAME}
        if config.monitoring.enabled:
            pod_monitor(
                f"{name}-pod-monitor",
                name=CLUSTER_NAME,
                namespace=ns_name,
                selector={"matchLabels": {**instance_labels, "cnpg.io/podRole": "instance"}},
                port="metrics",
                opts=pulumi.ResourceOptions.merge(
                    child, pulumi.ResourceOptions(depends_on=[cluster, *args.monitoring_crds])
                ),
            )

        app_peer = namespace_peer(args.app_namespace)
        ingress_policy(
            f"{name}-ingress",
            name=f"{CLUSTER_NAME}-ingress",
            namespace=ns_name,
            pod_selector={"matchLabels": instance_labels},
            rules=[
                ingress_rule([app_peer], [POSTGRES_PORT]),
                # Streaming replication between the instances, and the instance manager's status port.
                ingress_rule([{"podSelector": {"matchLabels": instance_labels}}], [POSTGRES_PORT, STATUS_PORT]),
                ingress_rule([namespace_peer(OPERATOR_NAMESPACE)], [POSTGRES_PORT, STATUS_PORT]),
                ingress_rule([namespace_peer(config.monitoring.namespace)], [METRICS_PORT]),
            ],
            opts=child,
        )

        primary_host = f"{rw_service}.{namespace}.svc"
        credentials = credentials_secret(
            name, namespace=args.app_namespace, host=primary_host, port=POSTGRES_PORT, database=db.name,
            username=db.username, password=secret_password, ssl_mode="verify-full", ca_cert=cert.cert_pem, opts=child,
        )

        self.cluster_name = CLUSTER_NAME
        self.namespace = namespace
        self.outputs = PostgresOutputs(
            primary_host=pulumi.Output.from_input(primary_host),
            reader_host=pulumi.Output.from_input(f"{ro_service}.{namespace}.svc"),
            port=pulumi.Output.from_input(POSTGRES_PORT),
            database=pulumi.Output.from_input(db.name),
            credentials_secret=credentials.metadata.name,
            ssl_mode=pulumi.Output.from_input("verify-full"),
            egress_peers=pulumi.Output.from_input([{
                **namespace_peer(namespace),
                "podSelector": {"matchLabels": instance_labels},
            }]),
        )
        self.register_outputs(self.outputs.registered())


def cluster_spec(
    config: StackConfig,
    *,
    bootstrap_secret: pulumi.Input[str],
    server_ca_secret: pulumi.Input[str],
    server_tls_secret: pulumi.Input[str],
    object_store: str | None,
) -> dict[str, Any]:
    """The CNPG `Cluster` spec (validated against schemas/cnpg/cluster.schema.json by the tests)."""
    db = config.database
    major = db.engine_version.split(".", 1)[0]
    storage: dict[str, Any] = {"size": f"{db.storage_gb}Gi", "resizeInUseVolumes": True}
    if db.kubernetes.storage_class:
        storage["storageClass"] = db.kubernetes.storage_class
    spec: dict[str, Any] = {
        "description": f"orchestrator {config.environment.value} PostgreSQL",
        "imageName": db.kubernetes.image or POSTGRES_IMAGES[major],
        "instances": db.replicas + 1,
        "primaryUpdateStrategy": "unsupervised",
        "primaryUpdateMethod": "switchover",
        "enableSuperuserAccess": False,
        "enablePDB": True,
        "postgresql": {
            "parameters": {
                "password_encryption": "scram-sha-256",
                "ssl_min_protocol_version": "TLSv1.3",
                "log_connections": "on",
                "log_disconnections": "on",
            },
            "synchronous": {
                "method": "any",
                "number": db.kubernetes.synchronous_standbys,
                "dataDurability": db.kubernetes.data_durability,
            },
            # Appended after CNPG's own rules: any non-TLS connection is refused outright.
            "pg_hba": [
                "hostnossl all all all reject",
                "hostssl all all all scram-sha-256",
            ],
        },
        "bootstrap": {
            "initdb": {
                "database": db.name,
                "owner": db.username,
                "secret": {"name": bootstrap_secret},
                "dataChecksums": True,
                "encoding": "UTF8",
            }
        },
        "certificates": {"serverCASecret": server_ca_secret, "serverTLSSecret": server_tls_secret},
        "storage": storage,
        "resources": {
            "requests": {"cpu": db.kubernetes.cpu, "memory": db.kubernetes.memory},
            "limits": {"cpu": db.kubernetes.cpu, "memory": db.kubernetes.memory},
        },
        "affinity": {
            "enablePodAntiAffinity": True,
            "topologyKey": "kubernetes.io/hostname",
            # A single-node development cluster could never schedule a required rule.
            "podAntiAffinityType": "required" if config.is_production else "preferred",
        },
        "topologySpreadConstraints": [{
            "maxSkew": 1,
            "topologyKey": "topology.kubernetes.io/zone",
            "whenUnsatisfiable": "ScheduleAnyway",
            "labelSelector": {"matchLabels": {"cnpg.io/cluster": CLUSTER_NAME}},
        }],
        "inheritedMetadata": {"labels": dict(PART_OF)},
    }
    if object_store:
        spec["plugins"] = [{
            "name": BARMAN_PLUGIN_NAME,
            "isWALArchiver": True,
            "parameters": {"barmanObjectName": object_store},
        }]
    return spec


def object_store_spec(config: StackConfig) -> dict[str, Any]:
    """Barman Cloud plugin `ObjectStore`: where base backups and WAL go, and for how long."""
    db = config.database
    configuration: dict[str, Any] = {
        "destinationPath": db.kubernetes.backup_bucket,
        "wal": {"compression": "gzip", "encryption": "AES256"},
        "data": {"compression": "gzip", "encryption": "AES256"},
    }
    if db.kubernetes.backup_endpoint_url:
        configuration["endpointURL"] = db.kubernetes.backup_endpoint_url
    if db.kubernetes.backup_credentials_secret:
        configuration["s3Credentials"] = {
            "accessKeyId": {"name": db.kubernetes.backup_credentials_secret, "key": "ACCESS_KEY_ID"},
            "secretAccessKey": {"name": db.kubernetes.backup_credentials_secret, "key": "ACCESS_SECRET_KEY"},
        }
    else:
        configuration["s3Credentials"] = {"inheritFromIAMRole": True}
    return {"retentionPolicy": f"{db.backup_retention_days}d", "configuration": configuration}
