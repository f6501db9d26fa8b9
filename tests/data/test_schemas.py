"""Rendered custom resources against the JSON Schemas in schemas/ (written from the operators' API
references, `additionalProperties: false`), the PodMonitors against prometheus-operator's typed
models, and the built-in kinds the data tier declares with kubernetes-validate."""

from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
from cloudcoil.models.prometheus_operator import v1 as prometheus
from referencing import Registry, Resource

from components.config import parse
from offline.runner.stacks import ROOT, load_stack
from tests.data.common import CNPG_CLUSTER, POD_MONITOR, PRODUCTION, REDIS_CLUSTER, children, manifest
from tests.helpers import find, run_stack

SCHEMAS = ROOT / "schemas"
BACKUP = "database.kubernetes.backupBucket=s3://orchestrator-backups/pg"
SCHEMA_FOR = {
    CNPG_CLUSTER: "cnpg/cluster.schema.json",
    "kubernetes:postgresql.cnpg.io/v1:ScheduledBackup": "cnpg/scheduledbackup.schema.json",
    "kubernetes:barmancloud.cnpg.io/v1:ObjectStore": "barman-cloud/objectstore.schema.json",
    REDIS_CLUSTER: "redis-operator/rediscluster.schema.json",
}
VARIANTS = [("local", BACKUP), ("local", BACKUP, *PRODUCTION)]
DATA_COMPONENTS = ("orchestrator:database:CnpgPostgres", "orchestrator:cache:OperatorRedis")


@cache
def registry() -> Registry:
    resources = []
    for path in sorted(SCHEMAS.rglob("*.schema.json")):
        contents = json.loads(path.read_text())
        resources.append((contents["$id"], Resource.from_contents(contents)))
    return Registry().with_resources(resources)


def validator(relative: str) -> jsonschema.protocols.Validator:
    schema = json.loads((SCHEMAS / relative).read_text())
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema, registry=registry())


def errors(relative: str, document: dict[str, Any]) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator(relative).iter_errors(document)]


def rendered(type_: str, *overrides: str) -> dict[str, Any]:
    (record,) = find(run_stack(*overrides), type_)
    return manifest(record)


def test_every_schema_is_a_valid_json_schema_with_closed_objects() -> None:
    paths = sorted(SCHEMAS.rglob("*.schema.json"))
    assert {str(p.relative_to(SCHEMAS)) for p in paths} >= set(SCHEMA_FOR.values())

    def open_objects(node: Any, where: str) -> list[str]:
        found: list[str] = []
        if isinstance(node, dict):
            if node.get("type") == "object" and "additionalProperties" not in node:
                found.append(where)
            for key, child in node.items():
                found += open_objects(child, f"{where}/{key}")
        elif isinstance(node, list):
            for index, child in enumerate(node):
                found += open_objects(child, f"{where}/{index}")
        return found

    for path in paths:
        schema = json.loads(path.read_text())
        jsonschema.validators.validator_for(schema).check_schema(schema)
        assert open_objects(schema, path.name) == [], "every object schema states additionalProperties"


@pytest.mark.parametrize("overrides", VARIANTS, ids=["development", "production"])
@pytest.mark.parametrize("type_", sorted(SCHEMA_FOR))
def test_rendered_custom_resources_match_their_schema(type_: str, overrides: tuple[str, ...]) -> None:
    assert errors(SCHEMA_FOR[type_], rendered(type_, *overrides)) == []


@pytest.mark.parametrize(("type_", "path", "right", "wrong"), [
    (CNPG_CLUSTER, ("spec",), "instances", "instance"),
    (CNPG_CLUSTER, ("spec", "postgresql", "synchronous"), "number", "numbr"),
    (CNPG_CLUSTER, ("spec", "bootstrap", "initdb"), "secret", "secrets"),
    (CNPG_CLUSTER, ("spec", "postgresql"), "pg_hba", "pgHba"),
    (REDIS_CLUSTER, ("spec",), "TLS", "tls"),
    (REDIS_CLUSTER, ("spec", "kubernetesConfig"), "redisSecret", "redisSecrets"),
    (REDIS_CLUSTER, ("spec", "redisLeader", "affinity", "podAntiAffinity"),
     "preferredDuringSchedulingIgnoredDuringExecution", "preferredDuringScheduling"),
])
def test_a_misspelt_field_fails(type_: str, path: tuple[str, ...], right: str, wrong: str) -> None:
    document = copy.deepcopy(rendered(type_, "local", BACKUP))
    node = document
    for key in path:
        node = node[key]
    node[wrong] = node.pop(right)
    problems = errors(SCHEMA_FOR[type_], document)
    assert any(f"'{wrong}' was unexpected" in p for p in problems), problems


@pytest.mark.parametrize(("type_", "path", "value"), [
    (CNPG_CLUSTER, ("spec", "instances"), "3"),
    (CNPG_CLUSTER, ("spec", "postgresql", "synchronous", "method"), "all"),
    (REDIS_CLUSTER, ("spec", "clusterSize"), 1),
    (REDIS_CLUSTER, ("spec", "kubernetesConfig", "image"), "redis"),
])
def test_a_wrong_value_fails(type_: str, path: tuple[str, ...], value: Any) -> None:
    document = copy.deepcopy(rendered(type_, "local", BACKUP))
    node = document
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    assert errors(SCHEMA_FOR[type_], document) != []


def pod_monitors(*overrides: str) -> list[dict[str, Any]]:
    records = find(run_stack(*overrides), POD_MONITOR)
    return [manifest(r) for r in records if r.parent.rsplit("::", 1)[-1] in {"database", "cache"}]


@pytest.mark.parametrize("overrides", VARIANTS, ids=["development", "production"])
def test_pod_monitors_round_trip_through_the_prometheus_operator_model(overrides: tuple[str, ...]) -> None:
    monitors = pod_monitors(*overrides)
    assert len(monitors) == 2
    for document in monitors:
        model = prometheus.PodMonitor.model_validate(document)
        # Unknown fields would be dropped by the model: a round trip that changes the object found one.
        assert model.model_dump(by_alias=True, exclude_none=True, mode="json") == document


def test_a_misspelt_pod_monitor_field_does_not_round_trip() -> None:
    document = copy.deepcopy(pod_monitors("local")[0])
    document["spec"]["podMetricEndpoints"] = document["spec"].pop("podMetricsEndpoints")
    model = prometheus.PodMonitor.model_validate(document)
    assert model.model_dump(by_alias=True, exclude_none=True, mode="json") != document


@pytest.mark.parametrize("overrides", VARIANTS, ids=["development", "production"])
def test_built_in_kinds_validate_against_the_cluster_version(overrides: tuple[str, ...]) -> None:
    result = run_stack(*overrides)
    version = f"{parse(load_stack('local').namespace(), 'local').cluster.kubernetes_version}.0"
    checked = set()
    for component in DATA_COMPONENTS:
        for record in children(result, component):
            if not record.type.startswith("kubernetes:") or record.type in SCHEMA_FOR or record.type in {POD_MONITOR}:
                continue
            if record.type.startswith("kubernetes:helm.sh/"):
                continue
            kubernetes_validate.validate(manifest(record), version, strict=True)
            checked.add(record.type.rsplit(":", 1)[-1])
    assert checked == {"Namespace", "Secret", "ConfigMap", "NetworkPolicy"}


def test_schemas_name_the_pinned_versions() -> None:
    titles = {p.name: json.loads(p.read_text())["title"] for p in Path(SCHEMAS).rglob("*.schema.json")}
    assert "operator 1.30" in titles["cluster.schema.json"]
    assert "chart 0.23" in titles["rediscluster.schema.json"]
