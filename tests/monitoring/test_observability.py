"""Traces and logs on every shipped stack: collector, Jaeger, log store and shipper present; both
slots tell themselves apart; the collector configs are well formed; secrets never leave.

No collector binary installs from PyPI or Debian, so the redaction test evaluates the OTTL
statements found in the exported Helm values with a small interpreter of exactly the statement
forms the program writes (anything else fails the test), Python `re` standing in for RE2 on
patterns written in their common subset.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from tests.helpers import SHIPPED_STACKS, find, one, plain, run_stack

RELEASE = "kubernetes:helm.sh/v3:Release"
DEPLOYMENT = "kubernetes:apps/v1:Deployment"
STORES = {"production": "aws:opensearch/domain:Domain", "staging": "aws:opensearch/domain:Domain",
          "production-azure": "azure-native:operationalinsights:Workspace", "local": RELEASE}


def values(stack: str, name: str) -> dict[str, Any]:
    return dict(plain(one(run_stack(stack), RELEASE, name).inputs["values"]))


@pytest.mark.parametrize("stack", SHIPPED_STACKS)
def test_every_stack_has_collector_jaeger_log_store_and_shipper(stack: str) -> None:
    gateway = values(stack, "monitoring-otel-collector")["alternateConfig"]
    protocols = gateway["receivers"]["otlp"]["protocols"]
    assert protocols["grpc"]["endpoint"].endswith(":4317") and protocols["http"]["endpoint"].endswith(":4318")
    assert "otlp/jaeger" in gateway["exporters"]
    assert values(stack, "monitoring-jaeger")["userconfig"]["exporters"]["jaeger_storage_exporter"]
    store = STORES[stack]
    assert find(run_stack(stack), store, "monitoring-loki" if store == RELEASE else None)
    agent = values(stack, "monitoring-log-agent")
    assert agent["mode"] == "daemonset"
    assert agent["alternateConfig"]["service"]["pipelines"]["logs"]["receivers"] == ["filelog"]


def _env(stack: str, slot: str) -> dict[str, str]:
    deployment = one(run_stack(stack), DEPLOYMENT, f"app-{slot}")
    container = plain(deployment.inputs["spec"])["template"]["spec"]["containers"][0]
    return {e["name"]: e.get("value") for e in container["env"]}


@pytest.mark.parametrize("stack", SHIPPED_STACKS)
def test_both_slots_send_otlp_and_tell_themselves_apart(stack: str) -> None:
    blue, green = _env(stack, "blue"), _env(stack, "green")
    for env in (blue, green):
        assert env["OTEL_EXPORTER_OTLP_ENDPOINT"] == "http://otel-collector.monitoring.svc.cluster.local:4318"
        assert env["OTEL_SERVICE_NAME"] == "orchestrator"
    attributes = [dict(kv.split("=", 1) for kv in env["OTEL_RESOURCE_ATTRIBUTES"].split(",")) for env in (blue, green)]
    assert [a["orchestrator.slot"] for a in attributes] == ["blue", "green"]
    assert all(a["service.version"] and a["deployment.environment.name"] for a in attributes)
    assert attributes[0] != attributes[1]


def test_same_tag_still_differs_by_slot() -> None:
    blue, green = _env("staging", "blue"), _env("staging", "green")
    assert "service.version=2.15.0" in blue["OTEL_RESOURCE_ATTRIBUTES"]
    assert "service.version=2.15.0" in green["OTEL_RESOURCE_ATTRIBUTES"]
    assert blue["OTEL_RESOURCE_ATTRIBUTES"] != green["OTEL_RESOURCE_ATTRIBUTES"]


def test_sampling_per_stack() -> None:
    assert _env("local", "blue")["OTEL_TRACES_SAMPLER"] == "parentbased_traceidratio"
    tail = values("production", "monitoring-otel-collector")["alternateConfig"]
    policies = {p["type"] for p in tail["processors"]["tail_sampling"]["policies"]}
    assert policies == {"status_code", "latency", "probabilistic"}
    assert _env("production", "blue")["OTEL_TRACES_SAMPLER"] == "parentbased_always_on"


# --- a schema of the collector configuration, written here ----------------------------------

SECTIONS = ("receivers", "processors", "exporters", "extensions", "connectors")


def collector_problems(config: dict[str, Any]) -> list[str]:
    problems = [f"unknown section {k}" for k in config if k not in (*SECTIONS, "service")]
    service = config.get("service", {})
    for extension in service.get("extensions", []):
        if extension not in config.get("extensions", {}):
            problems.append(f"extension {extension} not declared")
    used: set[str] = set()
    for name, pipeline in service.get("pipelines", {}).items():
        if name.split("/")[0] not in {"traces", "logs", "metrics"}:
            problems.append(f"pipeline {name} has no signal type")
        for section in ("receivers", "processors", "exporters"):
            for component in pipeline.get(section, []):
                used.add(f"{section}:{component}")
                if component not in config.get(section, {}):
                    problems.append(f"{name}: {section[:-1]} {component} not declared")
        processors = pipeline.get("processors", [])
        if not processors or processors[0] != "memory_limiter":
            problems.append(f"{name}: memory_limiter must come first")
        if not pipeline.get("receivers") or not pipeline.get("exporters"):
            problems.append(f"{name}: needs receivers and exporters")
    for section in ("receivers", "processors", "exporters"):
        for component in config.get(section, {}):
            if f"{section}:{component}" not in used:
                problems.append(f"{section[:-1]} {component} declared but unused")
    return problems


@pytest.mark.parametrize("stack", SHIPPED_STACKS)
@pytest.mark.parametrize("release", ["monitoring-otel-collector", "monitoring-log-agent"])
def test_collector_configs_are_well_formed(stack: str, release: str) -> None:
    config = values(stack, release)["alternateConfig"]
    assert collector_problems(config) == []
    processors = [p for pipe in config["service"]["pipelines"].values() for p in pipe["processors"]]
    assert "transform/redact" in processors


def test_schema_catches_a_broken_pipeline() -> None:
    config = values("production", "monitoring-otel-collector")["alternateConfig"]
    broken = json.loads(json.dumps(config))
    broken["service"]["pipelines"]["traces"]["processors"] = ["batch", "nothing"]
    assert "traces: processor nothing not declared" in collector_problems(broken)
    assert "traces: memory_limiter must come first" in collector_problems(broken)


# --- the redaction statements, evaluated -----------------------------------------------------

_STRING = r'"((?:[^"\\]|\\.)*)"'
FORMS = {
    "delete_key": re.compile(rf"^delete_key\((\w+), {_STRING}\)$"),
    "delete_matching_keys": re.compile(rf"^delete_matching_keys\((\w+), {_STRING}\)$"),
    "replace_pattern_attr": re.compile(rf'^replace_pattern\((\w+)\[{_STRING}\], {_STRING}, {_STRING}\)$'),
    "replace_pattern_body": re.compile(rf"^replace_pattern\(body, {_STRING}, {_STRING}\)$"),
    "replace_all_patterns": re.compile(rf'^replace_all_patterns\((\w+), "value", {_STRING}, {_STRING}\)$'),
    "merge_json": re.compile(r'^merge_maps\(attributes, ParseJSON\(body\), "upsert"\) where IsMatch\(body, ' + _STRING + r"\)$"),
}


def _unquote(text: str) -> str:
    return text.replace('\\"', '"').replace("\\\\", "\\")


def _replacement(text: str) -> str:
    """Collector `$$` -> `$`, then Go's `${1}` -> Python's `\\g<1>`."""
    return re.sub(r"\$\{(\d+)\}", r"\\g<\1>", _unquote(text).replace("$$", "$"))


def run_statements(statements: list[str], record: dict[str, Any]) -> dict[str, Any]:
    attributes: dict[str, Any] = record.setdefault("attributes", {})
    for statement in statements:
        if m := FORMS["delete_key"].match(statement):
            attributes.pop(_unquote(m.group(2)), None)
        elif m := FORMS["delete_matching_keys"].match(statement):
            pattern = re.compile(_unquote(m.group(2)))
            for key in [k for k in attributes if pattern.fullmatch(k) or pattern.match(k)]:
                del attributes[key]
        elif m := FORMS["replace_pattern_attr"].match(statement):
            key = _unquote(m.group(2))
            if isinstance(attributes.get(key), str):
                attributes[key] = re.sub(_unquote(m.group(3)), _replacement(m.group(4)), attributes[key])
        elif m := FORMS["replace_pattern_body"].match(statement):
            if isinstance(record.get("body"), str):
                record["body"] = re.sub(_unquote(m.group(1)), _replacement(m.group(2)), record["body"])
        elif m := FORMS["replace_all_patterns"].match(statement):
            for key, value in list(attributes.items()):
                if isinstance(value, str):
                    attributes[key] = re.sub(_unquote(m.group(2)), _replacement(m.group(3)), value)
        elif m := FORMS["merge_json"].match(statement):
            body = record.get("body")
            if isinstance(body, str) and re.match(_unquote(m.group(1)), body):
                attributes.update(json.loads(body))
        else:
            raise AssertionError(f"statement outside the interpreted forms: {statement}")
    return record


SECRETS = ["hunter2-S3cret", "eyJhbGciOiJIUzI1NiJ9.payload.sig", "tok_live_9f8e7d", "sk-ABCDEF123456", "4111111111111111"]


def _statements(stack: str, release: str, key: str) -> list[str]:
    processor = values(stack, release)["alternateConfig"]["processors"]["transform/redact"]
    return list(processor[key][0]["statements"])


@pytest.mark.parametrize("stack", SHIPPED_STACKS)
def test_span_secrets_are_gone(stack: str) -> None:
    span = {"attributes": {
        "http.request.header.authorization": "Bearer eyJhbGciOiJIUzI1NiJ9.payload.sig",
        "http.request.header.cookie": "session=hunter2-S3cret",
        "url.full": "https://api.example.com/v1/jobs?id=7&access_token=tok_live_9f8e7d&page=2",
        "url.query": "api_key=sk-ABCDEF123456",
        "db.query.text": "SELECT * FROM users WHERE email = 'a@b.c' AND card = 4111111111111111",
        "db.query.parameter.password": "hunter2-S3cret",
        "user.password": "hunter2-S3cret",
        "http.route": "/v1/jobs",
    }}
    out = run_statements(_statements(stack, "monitoring-otel-collector", "trace_statements"), span)
    text = json.dumps(out)
    assert [s for s in SECRETS if s in text] == []
    kept = out["attributes"]
    assert kept["http.route"] == "/v1/jobs"
    assert kept["url.full"] == "https://api.example.com/v1/jobs?id=7&access_token=[REDACTED]&page=2"
    assert kept["db.query.text"] == "SELECT * FROM users WHERE email = ? AND card = ?"


@pytest.mark.parametrize("stack", SHIPPED_STACKS)
def test_log_secrets_are_gone(stack: str) -> None:
    lines = [
        '{"level":"info","msg":"login","password":"hunter2-S3cret","user":"ada"}',
        "GET /v1/jobs?token=tok_live_9f8e7d 200",
        "calling upstream with Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.payload.sig",
        'config loaded api_key=sk-ABCDEF123456 region=eu-west-3',
    ]
    statements = _statements(stack, "monitoring-log-agent", "log_statements")
    for line in lines:
        out = run_statements(statements, {"body": line})
        text = json.dumps(out)
        assert [s for s in SECRETS if s in text] == [], line
    parsed = run_statements(statements, {"body": lines[0]})
    assert parsed["attributes"]["user"] == "ada" and "password" not in parsed["attributes"]


def test_interpreter_refuses_an_unknown_statement() -> None:
    with pytest.raises(AssertionError, match="outside the interpreted forms"):
        run_statements(['set(attributes["x"], "y")'], {})
