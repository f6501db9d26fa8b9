"""The `kubernetes` platform's PostgreSQL: a CloudNativePG `Cluster` (one primary, synchronous standbys).

The operator comes from its upstream Helm chart (pinned, no hooks, so `helm.v4.Chart`) in its own
namespace. Everything the application reads back is derived from explicit names: CNPG names its
services `<cluster>-rw` / `<cluster>-ro` after the Cluster, so no provider output is needed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, cast

import pulumi
import pulumi_kubernetes as k8s
import pulumi_random as random
import pulumi_tls as tls

from components.config import StackConfig
from components.database.contract import (
    DatabaseArgs,
    PostgresCluster,
    PostgresOutputs,
    credentials_secret,
)

CNPG_CHART = "cloudnative-pg"
CNPG_CHART_VERSION = "0.29.1"
"""CloudNativePG operator 1.30 (the chart ships only the latest operator point release)."""
CNPG_REPOSITORY = "https://cloudnative-pg.github.io/charts"
BARMAN_PLUGIN_CHART = "plugin-barman-cloud"
BARMAN_PLUGIN_CHART_VERSION = "0.8.1"
BARMAN_PLUGIN_NAME = "barman-cloud.cloudnative-pg.io"
OPERATOR_NAMESPACE = "cnpg-system"
CLUSTER_NAME = "orchestrator-pg"
"""Explicit, so the `-rw` / `-ro` service names are known before the operator creates them."""
POSTGRES_PORT = 5432
METRICS_PORT = 9187
STATUS_PORT = 8000
"""The CNPG instance manager's status endpoint, polled by the operator."""
POSTGRES_IMAGES: dict[str, str] = {
    "14": "ghcr.io/cloudnative-pg/postgresql:14.19",
    "15": "ghcr.io/cloudnative-pg/postgresql:15.14",
    "16": "ghcr.io/cloudnative-pg/postgresql:16.10",
    "17": "ghcr.io/cloudnative-pg/postgresql:17.6",
    "18": "ghcr.io/cloudnative-pg/postgresql:18.0",
}
"""Pinned operand images per major (a minor upgrade is a deliberate config change)."""
PART_OF = {"app.kubernetes.io/part-of": "orchestrator"}
"""Carried by every object here; Prometheus selects PodMonitors by it."""
CERT_VALIDITY_HOURS = 3 * 365 * 24
CERT_EARLY_RENEWAL_HOURS = 60 * 24


def service_hosts(service: str, namespace: str) -> list[str]:
    """Every name a client may use for an in-cluster Service (all go into the certificate)."""
    return [service, f"{service}.{namespace}", f"{service}.{namespace}.svc", f"{service}.{namespace}.svc.cluster.local"]


def data_namespace(
    resource_name: str, namespace: str, parent: pulumi.Resource, opts: pulumi.ResourceOptions
) -> k8s.core.v1.Namespace:
    """A namespace for in-cluster state; deleting it would delete the data, hence the caller's protect."""
    return k8s.core.v1.Namespace(
        resource_name,
        metadata=k8s.meta.v1.ObjectMetaArgs(
            name=namespace,
            labels={**PART_OF, "pod-security.kubernetes.io/enforce": "restricted"},
        ),
        opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(parent=parent)),
    )


def operator_chart(
    resource_name: str,
    *,
    chart: str,
    version: str,
    repository: str,
    namespace: pulumi.Input[str],
    values: Mapping[str, Any],
    opts: pulumi.ResourceOptions,
) -> k8s.helm.v4.Chart:
    return k8s.helm.v4.Chart(
        resource_name,
        chart=chart,
        version=version,
        namespace=namespace,
        repository_opts=k8s.helm.v4.RepositoryOptsArgs(repo=repository),
        values=dict(values),
        opts=opts,
    )


def self_signed_tls(
    name: str, common_name: str, dns_names: Sequence[str], opts: pulumi.ResourceOptions
) -> tuple[tls.PrivateKey, tls.SelfSignedCert]:
    """A private key and a self-signed server certificate that is also its own CA.

    The app verifies the server against this certificate (`ca.crt`), which is why it is generated
    here rather than by the operator: the operator's CA lives in a namespace the app cannot read.
    """
    key = tls.PrivateKey(f"{name}-tls-key", algorithm="ECDSA", ecdsa_curve="P256", opts=opts)
    cert = tls.SelfSignedCert(
        f"{name}-tls-cert",
        private_key_pem=key.private_key_pem,
        subject=tls.SelfSignedCertSubjectArgs(common_name=common_name, organization="orchestrator"),
        dns_names=list(dns_names),
        is_ca_certificate=True,
        allowed_uses=["cert_signing", "digital_signature", "key_encipherment", "server_auth", "client_auth"],
        validity_period_hours=CERT_VALIDITY_HOURS,
        early_renewal_hours=CERT_EARLY_RENEWAL_HOURS,
        opts=opts,
    )
    return key, cert


def pod_monitor(
    resource_name: str,
    *,
    name: str,
    namespace: pulumi.Input[str],
    selector: Mapping[str, Any],
    port: str,
    opts: pulumi.ResourceOptions,
) -> k8s.apiextensions.CustomResource:
    return k8s.apiextensions.CustomResource(
        resource_name,
        api_version="monitoring.coreos.com/v1",
        kind="PodMonitor",
        metadata=k8s.meta.v1.ObjectMetaArgs(name=name, namespace=namespace, labels=dict(PART_OF)),
        spec={
            "selector": dict(selector),
            "namespaceSelector": {"matchNames": [namespace]},
            "podMetricsEndpoints": [{"port": port, "path": "/metrics", "scheme": "http"}],
        },
        opts=opts,
    )


def secret_text(value: pulumi.Output[str]) -> pulumi.Output[str]:
    """Marked secret whatever the provider schema says: a generated credential or key."""
    return value.apply(pulumi.Output.secret)


def ingress_policy(
    resource_name: str,
    *,
    name: str,
    namespace: pulumi.Input[str],
    pod_selector: Mapping[str, Any],
    rules: list[dict[str, Any]],
    opts: pulumi.ResourceOptions,
) -> k8s.networking.v1.NetworkPolicy:
    """Ingress-only: who may reach the data pods (their egress is left to the operator's needs)."""
    spec = {"podSelector": dict(pod_selector), "policyTypes": ["Ingress"], "ingress": rules}
    return k8s.networking.v1.NetworkPolicy(
        resource_name,
        metadata=k8s.meta.v1.ObjectMetaArgs(name=name, namespace=namespace, labels=dict(PART_OF)),
        # Wire-form (camelCase) dicts, the same shape the contract's egress peers use.
        spec=cast(Any, spec),
        opts=opts,
    )


def namespace_peer(namespace: pulumi.Input[str]) -> dict[str, Any]:
    return {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": namespace}}}


def ingress_rule(peers: list[dict[str, Any]], ports: Sequence[int]) -> dict[str, Any]:
    return {"from": peers, "ports": [{"protocol": "TCP", "port": port} for port in ports]}


class CnpgPostgres(PostgresCluster):
    """CloudNativePG operator + `Cluster` with 1 + `database.replicas` instances."""

    def __init__(self, name: str, args: DatabaseArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("orchestrator:database:CnpgPostgres", name, None, opts)
        config = args.config
        db = config.database
        namespace = db.namespace
        child = pulumi.ResourceOptions(parent=self)
        # Stateful: never deleted or replaced by accident in production.
        stateful = pulumi.ResourceOptions(parent=self, protect=config.is_production)

        operator_ns = data_namespace(f"{name}-operator-namespace", OPERATOR_NAMESPACE, self, stateful)
        operator = operator_chart(
            f"{name}-operator",
            chart=CNPG_CHART,
            version=CNPG_CHART_VERSION,
            repository=CNPG_REPOSITORY,
            namespace=operator_ns.metadata.name,
            values={"crds": {"create": True}, "replicaCount": 1},
            # Removing the chart removes the CRDs, and with them every Cluster: protected like the data.
            opts=pulumi.ResourceOptions.merge(stateful, pulumi.ResourceOptions(depends_on=[operator_ns])),
        )
        operators: list[pulumi.Resource] = [operator]
        if db.backup_bucket:
            operators.append(operator_chart(
                f"{name}-backup-plugin",
                chart=BARMAN_PLUGIN_CHART,
                version=BARMAN_PLUGIN_CHART_VERSION,
                repository=CNPG_REPOSITORY,
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
            object_store=object_store_name if db.backup_bucket else None,
        )
        cluster = k8s.apiextensions.CustomResource(
            f"{name}-cluster",
            api_version="postgresql.cnpg.io/v1",
            kind="Cluster",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=CLUSTER_NAME, namespace=ns_name, labels=dict(PART_OF)),
            spec=spec,
            opts=pulumi.ResourceOptions.merge(stateful, pulumi.ResourceOptions(depends_on=operators)),
        )

        if db.backup_bucket:
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
                    "schedule": db.backup_schedule,
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
    if db.storage_class:
        storage["storageClass"] = db.storage_class
    spec: dict[str, Any] = {
        "description": f"orchestrator {config.environment.value} PostgreSQL",
        "imageName": db.image or POSTGRES_IMAGES[major],
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
                "number": db.synchronous_standbys,
                "dataDurability": db.data_durability,
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
            "requests": {"cpu": db.cpu, "memory": db.memory},
            "limits": {"cpu": db.cpu, "memory": db.memory},
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
        "destinationPath": db.backup_bucket,
        "wal": {"compression": "gzip", "encryption": "AES256"},
        "data": {"compression": "gzip", "encryption": "AES256"},
    }
    if db.backup_endpoint_url:
        configuration["endpointURL"] = db.backup_endpoint_url
    if db.backup_credentials_secret:
        configuration["s3Credentials"] = {
            "accessKeyId": {"name": db.backup_credentials_secret, "key": "ACCESS_KEY_ID"},
            "secretAccessKey": {"name": db.backup_credentials_secret, "key": "ACCESS_SECRET_KEY"},
        }
    else:
        configuration["s3Credentials"] = {"inheritFromIAMRole": True}
    return {"retentionPolicy": f"{db.backup_retention_days}d", "configuration": configuration}
