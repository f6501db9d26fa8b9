"""CloudNativePG on the `kubernetes` platform (the local stack), from the declared resources."""

from __future__ import annotations

from typing import Any

import pytest

from components.charts import CLOUDNATIVE_PG
from components.config import parse
from components.database.kubernetes import (
    BARMAN_PLUGIN_NAME,
    CLUSTER_NAME,
    OPERATOR_NAMESPACE,
)
from offline.runner.export import is_secret
from offline.runner.stacks import load_stack
from tests.data.common import CHART, CNPG_CLUSTER, POD_MONITOR, PRODUCTION, children, manifest, secret_named, spec
from tests.helpers import find, one, plain, run_stack

DB_COMPONENT = "orchestrator:database:CnpgPostgres"
BACKUP = ("database.kubernetes.backupBucket=s3://orchestrator-backups/pg",)


def local_config(*overrides: str) -> Any:
    return parse(load_stack("local").with_overrides(list(overrides)).namespace(), "local")


def test_exactly_one_cluster_with_a_primary_and_two_replicas() -> None:
    result = run_stack("local")
    assert len(find(result, CNPG_CLUSTER)) == 1
    cluster = manifest(one(result, CNPG_CLUSTER))
    assert cluster["metadata"] == {
        "name": CLUSTER_NAME, "namespace": "orchestrator-db", "labels": {"app.kubernetes.io/part-of": "orchestrator"},
    }
    assert cluster["spec"]["instances"] == 3


def test_synchronous_replication_waits_for_a_standby() -> None:
    synchronous = spec(run_stack("local"), CNPG_CLUSTER)["postgresql"]["synchronous"]
    assert synchronous["method"] == "any"
    assert synchronous["number"] >= 1
    assert synchronous["dataDurability"] == "required"


def test_synchronous_standbys_follow_config() -> None:
    synchronous = spec(run_stack("local", "database.kubernetes.synchronousStandbys=2"), CNPG_CLUSTER)["postgresql"]["synchronous"]
    assert synchronous["number"] == 2


def test_tls_only_no_plaintext_host_rule() -> None:
    postgresql = spec(run_stack("local"), CNPG_CLUSTER)["postgresql"]
    rules = postgresql["pg_hba"]
    assert rules[0] == "hostnossl all all all reject"
    assert not [r for r in rules if r.split()[0] == "host"], "a `host` rule would accept plaintext connections"
    assert postgresql["parameters"]["ssl_min_protocol_version"] == "TLSv1.3"


def test_server_certificate_secrets_exist_in_the_cluster_namespace() -> None:
    result = run_stack("local")
    certificates = spec(result, CNPG_CLUSTER)["certificates"]
    ca = manifest(secret_named(result, "orchestrator-db", certificates["serverCASecret"]))
    server = manifest(secret_named(result, "orchestrator-db", certificates["serverTLSSecret"]))
    assert server["type"] == "kubernetes.io/tls" and set(server["stringData"]) == {"tls.crt", "tls.key"}
    assert ca["stringData"]["ca.crt"] == server["stringData"]["tls.crt"]
    # The certificate names every service a client may use, so verify-full succeeds.
    cert = one(result, "tls:index/selfSignedCert:SelfSignedCert", "database-tls-cert")
    names = plain(cert.inputs)["dnsNames"]
    for service in ("orchestrator-pg-rw", "orchestrator-pg-ro"):
        assert f"{service}.orchestrator-db.svc" in names and f"{service}.orchestrator-db.svc.cluster.local" in names


def test_storage_and_resources_come_from_config() -> None:
    local = spec(run_stack("local"), CNPG_CLUSTER)
    assert local["storage"] == {"size": "20Gi", "storageClass": "standard", "resizeInUseVolumes": True}
    overrides = ("database.storageGb=50", "database.kubernetes.storageClass=fast-ssd", "database.kubernetes.memory=4Gi")
    changed = spec(run_stack("local", *overrides), CNPG_CLUSTER)
    assert changed["storage"]["size"] == "50Gi" and changed["storage"]["storageClass"] == "fast-ssd"
    assert changed["resources"]["requests"]["memory"] == changed["resources"]["limits"]["memory"] == "4Gi"
    assert local["resources"]["limits"] == {"cpu": "1", "memory": "2Gi"}


def test_image_is_pinned_per_major() -> None:
    assert spec(run_stack("local"), CNPG_CLUSTER)["imageName"] == "ghcr.io/cloudnative-pg/postgresql:16.10"
    assert spec(run_stack("local", "database.engineVersion=17"), CNPG_CLUSTER)["imageName"].endswith(":17.6")


@pytest.mark.parametrize(("overrides", "expected"), [((), "preferred"), (PRODUCTION, "required")])
def test_anti_affinity_across_nodes_and_zones(overrides: tuple[str, ...], expected: str) -> None:
    cluster = spec(run_stack("local", *overrides), CNPG_CLUSTER)
    assert cluster["affinity"] == {
        "enablePodAntiAffinity": True, "topologyKey": "kubernetes.io/hostname", "podAntiAffinityType": expected,
    }
    (zone,) = cluster["topologySpreadConstraints"]
    assert zone["topologyKey"] == "topology.kubernetes.io/zone"
    assert zone["labelSelector"] == {"matchLabels": {"cnpg.io/cluster": CLUSTER_NAME}}


def test_app_credentials_bootstrap_from_a_generated_password() -> None:
    result = run_stack("local")
    initdb = spec(result, CNPG_CLUSTER)["bootstrap"]["initdb"]
    config = local_config()
    assert (initdb["database"], initdb["owner"]) == (config.database.name, config.database.username)
    bootstrap = secret_named(result, "orchestrator-db", initdb["secret"]["name"])
    assert bootstrap.inputs["type"] == "kubernetes.io/basic-auth"
    assert is_secret(bootstrap.inputs["stringData"]), "the password must travel as a secret Output"
    password = one(result, "random:index/randomPassword:RandomPassword", "database-password")
    assert password.urn in bootstrap.property_dependencies["stringData"]
    expected = {"username": config.database.username, "password": plain(password.outputs["result"])}
    assert plain(bootstrap.inputs)["stringData"] == expected
    assert spec(result, CNPG_CLUSTER)["enableSuperuserAccess"] is False


def test_operator_chart_is_pinned_in_its_own_namespace_and_precedes_the_cluster() -> None:
    result = run_stack("local")
    chart = one(result, CHART, "database-operator")
    inputs = plain(chart.inputs)
    expected = (CLOUDNATIVE_PG.chart, CLOUDNATIVE_PG.version, OPERATOR_NAMESPACE)
    assert (inputs["chart"], inputs["version"], inputs["namespace"]) == expected
    assert inputs["repositoryOpts"]["repo"] == "https://cloudnative-pg.github.io/charts"
    assert chart.urn in one(result, CNPG_CLUSTER).dependencies


def test_pod_monitor_scrapes_the_instances() -> None:
    result = run_stack("local")
    monitors = [manifest(r) for r in find(result, POD_MONITOR) if r.parent.endswith("::database")]
    assert [m["spec"] for m in monitors] == [{
        "selector": {"matchLabels": {"cnpg.io/cluster": CLUSTER_NAME, "cnpg.io/podRole": "instance"}},
        "namespaceSelector": {"matchNames": ["orchestrator-db"]},
        "podMetricsEndpoints": [{"port": "metrics", "path": "/metrics", "scheme": "http"}],
    }]
    without = run_stack("local", "monitoring.enabled=false")
    assert not [r for r in find(without, POD_MONITOR) if r.parent.endswith("::database")]


def test_no_backup_objects_unless_a_bucket_is_configured() -> None:
    result = run_stack("local")
    assert not find(result, "kubernetes:barmancloud.cnpg.io/v1:ObjectStore")
    assert "plugins" not in spec(result, CNPG_CLUSTER)


def test_scheduled_backups_through_the_barman_cloud_plugin() -> None:
    result = run_stack("local", *BACKUP)
    store = manifest(one(result, "kubernetes:barmancloud.cnpg.io/v1:ObjectStore"))
    assert store["spec"]["configuration"]["destinationPath"] == "s3://orchestrator-backups/pg"
    assert store["spec"]["configuration"]["s3Credentials"] == {"inheritFromIAMRole": True}
    assert store["spec"]["retentionPolicy"] == f"{local_config().database.backup_retention_days}d"
    assert spec(result, CNPG_CLUSTER)["plugins"] == [{
        "name": BARMAN_PLUGIN_NAME, "isWALArchiver": True, "parameters": {"barmanObjectName": store["metadata"]["name"]},
    }]
    scheduled = spec(result, "kubernetes:postgresql.cnpg.io/v1:ScheduledBackup")
    assert scheduled["cluster"] == {"name": CLUSTER_NAME}
    assert (scheduled["method"], scheduled["pluginConfiguration"]) == ("plugin", {"name": BARMAN_PLUGIN_NAME})
    assert len(scheduled["schedule"].split()) == 6
    assert one(result, CHART, "database-backup-plugin").urn in one(result, CNPG_CLUSTER).dependencies


def test_backup_credentials_from_a_named_secret() -> None:
    result = run_stack("local", *BACKUP, "database.kubernetes.backupCredentialsSecret=pg-backup-s3")
    credentials = manifest(one(result, "kubernetes:barmancloud.cnpg.io/v1:ObjectStore"))["spec"]["configuration"]["s3Credentials"]
    assert credentials == {
        "accessKeyId": {"name": "pg-backup-s3", "key": "ACCESS_KEY_ID"},
        "secretAccessKey": {"name": "pg-backup-s3", "key": "ACCESS_SECRET_KEY"},
    }


STATEFUL = {
    CNPG_CLUSTER, "kubernetes:core/v1:Namespace", "random:index/randomPassword:RandomPassword",
    "tls:index/privateKey:PrivateKey", "tls:index/selfSignedCert:SelfSignedCert", CHART,
    "kubernetes:barmancloud.cnpg.io/v1:ObjectStore",
}


def test_stateful_resources_are_protected_in_production_only() -> None:
    production = children(run_stack("local", *PRODUCTION, *BACKUP), DB_COMPONENT)
    development = children(run_stack("local", *BACKUP), DB_COMPONENT)
    stateful = [r for r in production if r.type in STATEFUL or (r.type.endswith(":Secret") and "credentials" not in r.name)]
    assert {r.type for r in stateful} == STATEFUL | {"kubernetes:core/v1:Secret"}
    assert [r.name for r in stateful if not r.protect] == []
    assert [r.name for r in development if r.protect] == []


def test_outputs_use_the_explicit_service_names() -> None:
    outputs = run_stack("local").outputs
    assert outputs["databaseEndpoint"] == f"{CLUSTER_NAME}-rw.orchestrator-db.svc"
    assert outputs["databaseReaderEndpoint"] == f"{CLUSTER_NAME}-ro.orchestrator-db.svc"


def test_only_the_app_monitoring_and_operator_reach_postgres() -> None:
    result = run_stack("local")
    policy = manifest(one(result, "kubernetes:networking.k8s.io/v1:NetworkPolicy", "database-ingress"))
    rules = {
        next(iter(rule["from"][0].get("namespaceSelector", {}).get("matchLabels", {}).values()), "cluster pods"):
        sorted(p["port"] for p in rule["ports"])
        for rule in policy["spec"]["ingress"]
    }
    assert rules == {"orchestrator": [5432], "cluster pods": [5432, 8000], OPERATOR_NAMESPACE: [5432, 8000], "monitoring": [9187]}
    assert policy["spec"]["policyTypes"] == ["Ingress"]
