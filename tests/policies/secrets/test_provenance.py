"""Provenance proved by the value: a database password the gate can see (a `--show-secrets` plaintext)
must equal a random generator's result, compared through the gate's keyed fingerprints; a ciphertext
the gate cannot see stands on its wiring, and unwired it is unverifiable. Run over the analyzer protocol."""

from __future__ import annotations

import json
from typing import Any

import pytest

from offline.gate.analyzer import PolicyPackProcess
from offline.wire import secret_envelope
from tests.policies.aws.rule_fixtures import PRIMARY, RANDOM, rds
from tests.policies.conftest import resource, root

RULE = "aws-rds-auth"
GENERATED = "q7Vd1xZpK9sLm3Rt8WbY2nFc6HjE4uAo"


def shown(value: Any) -> dict[str, Any]:
    """A `--show-secrets` envelope."""
    return secret_envelope(plaintext=json.dumps(value))


def hidden() -> dict[str, Any]:
    return secret_envelope(ciphertext="v1:AAAAb3BhcXVl")


def database(password: Any, *, result: Any = None, wired: bool = True, prop: str = "password",
             token: str = "aws:rds/instance:Instance", base: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """The compliant RDS fixture with its generator's result and the primary's password replaced."""
    resources = rds(password_generated=wired)
    for entry in resources:
        if entry["type"] == RANDOM:
            entry["outputs"] = {"length": 32, "result": shown(GENERATED) if result is None else result}
        if entry["urn"].endswith("::db-primary"):
            inputs = {k: v for k, v in (base or PRIMARY).items() if k != "password"} | {prop: password}
            entry.update(type=token, urn=entry["urn"].replace("aws:rds/instance:Instance", token),
                         inputs=inputs, outputs=inputs)
            if wired:
                entry["propertyDependencies"] = {prop: entry["propertyDependencies"]["password"]}
    return resources


def judge(pack: PolicyPackProcess, resources: list[dict[str, Any]]) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """({resource name: aws-rds-auth message}, [(resource name, property) aws-rds-auth could not judge])."""
    results = pack.analyze([root(), *resources])
    assert not results.crashes, results.crashes
    found = {d.urn.rsplit("::", 1)[-1]: d.message for d in results.diagnostics if d.policy == RULE}
    blind = sorted({(u.urn.rsplit("::", 1)[-1], u.property) for u in results.unverified if u.policy == RULE})
    return found, blind


def test_the_generated_password_passes(pack: PolicyPackProcess) -> None:
    assert judge(pack, database(shown(GENERATED))) == ({}, [])


@pytest.mark.parametrize("wired", [True, False], ids=["wired", "unwired"])
def test_a_literal_plaintext_password_is_a_finding(pack: PolicyPackProcess, wired: bool) -> None:
    """The issue's case: both values were withheld as the same marker, so the literal passed. Wiring the
    property to the generator (an `.apply()` keeps it while changing the value) proves nothing."""
    found, blind = judge(pack, database(shown("hunter2hunter2"), wired=wired))
    assert found == {"db-primary": "password is a literal secret: its value equals no random.RandomPassword "
                                    "result in the stack"}
    assert blind == []
    assert "hunter2" not in json.dumps(found)


@pytest.mark.parametrize(("token", "prop", "base"), [
    ("aws:rds/cluster:Cluster", "masterPassword",
     {"engine": "aurora-postgresql", "iamDatabaseAuthenticationEnabled": True, "masterUsername": "orchestrator_app"}),
    ("aws-native:rds:DbInstance", "masterUserPassword",
     {"engine": "postgres", "enableIamDatabaseAuthentication": True, "masterUsername": "orchestrator_app"}),
    ("aws:rds/instance:Instance", "passwordWo", None),
], ids=["aurora", "aws-native", "write-only"])
def test_every_master_password_property_is_compared(pack: PolicyPackProcess, token: str, prop: str,
                                                    base: dict[str, Any] | None) -> None:
    good, _ = judge(pack, database(shown(GENERATED), token=token, prop=prop, base=base))
    assert "db-primary" not in good
    bad, _ = judge(pack, database(shown("Sup3r-S3cret-literal"), token=token, prop=prop, base=base))
    assert bad["db-primary"] == f"{prop} is a literal secret: its value equals no random.RandomPassword result in " \
                                "the stack"


def test_another_generator_result_is_generated_too(pack: PolicyPackProcess) -> None:
    """The value proves it: equal to any generator's result in the stack, whichever the wiring names."""
    resources = database(shown("another-generated-value-0123456789"), wired=True)
    resources.append(resource(RANDOM, "other", {"length": 32},
                              outputs={"length": 32, "result": shown("another-generated-value-0123456789")}))
    assert judge(pack, resources) == ({}, [])


def test_a_plaintext_password_against_a_hidden_result_is_not_proved(pack: PolicyPackProcess) -> None:
    """An export whose generator shows only a ciphertext cannot vouch for a visible password."""
    found, _ = judge(pack, database(shown(GENERATED), result=hidden()))
    assert found["db-primary"].startswith("password is a literal secret")


def test_a_ciphertext_password_stands_on_its_wiring(pack: PolicyPackProcess) -> None:
    """Nothing of the value is visible: wired to a generator it is taken as generated (the shipped exports);
    unwired it is unverifiable, never a pass and never a guessed finding."""
    assert judge(pack, database(hidden(), result=hidden())) == ({}, [])
    assert judge(pack, database(hidden(), result=hidden(), wired=False)) == ({}, [("db-primary", "password")])


@pytest.mark.parametrize("marker", ["[secret]", "[secret:0123456789abcdef01234567]"])
def test_a_plain_string_spelling_the_marker_is_a_literal(pack: PolicyPackProcess, marker: str) -> None:
    """An export cannot pass a literal off as a withheld secret by writing the gate's marker itself."""
    found, blind = judge(pack, database(marker, result=hidden()))
    assert found == {"db-primary": "password is a literal, not the value of a random.RandomPassword (in code or "
                                   "config)"}
    assert blind == []


def test_a_secret_admin_name_is_unverifiable_not_judged(pack: PolicyPackProcess) -> None:
    """Reading the text of a withheld value (the admin name) is a blind read: reported for that property."""
    found, blind = judge(pack, database(shown(GENERATED), base={**PRIMARY, "username": shown("postgres")}))
    assert found == {} and blind == [("db-primary", "username")]


# --- Helm values: per value, not per release ---------------------------------------------------------

HELM = "kubernetes:helm.sh/v3:Release"


def release(values: dict[str, Any], *, result: Any = None) -> list[dict[str, Any]]:
    """A Grafana release whose `values` are wired to a generator showing `result` (the generated value)."""
    generator = resource(RANDOM, "grafana-pw", {"length": 32},
                         outputs={"length": 32, "result": shown(GENERATED) if result is None else result})
    chart = resource(HELM, "grafana", {"chart": "grafana", "namespace": "monitoring", "name": "grafana",
                                       "values": values}, deps={"values": [generator["urn"]]})
    return [generator, chart]


def helm(pack: PolicyPackProcess, resources: list[dict[str, Any]]) -> tuple[dict[str, str], list[tuple[str, str]]]:
    results = pack.analyze([root(), *resources])
    assert not results.crashes, results.crashes
    found = {d.urn.rsplit("::", 1)[-1]: d.message for d in results.diagnostics if d.policy == "k8s-helm-release-values"}
    blind = sorted({(u.urn.rsplit("::", 1)[-1], u.property) for u in results.unverified
                    if u.policy == "k8s-helm-release-values"})
    return found, blind


def test_a_generated_helm_value_passes(pack: PolicyPackProcess) -> None:
    assert helm(pack, release({"adminPassword": shown(GENERATED)})) == ({}, [])


def test_one_generated_value_vouches_for_no_other(pack: PolicyPackProcess) -> None:
    """Wiring `values` to a generator used to switch literal detection off for the whole release."""
    found, _ = helm(pack, release({"adminPassword": shown(GENERATED), "smtp": {"password": "hunter2hunter2"},
                                   "env": [{"name": "API_TOKEN", "value": shown("tok-literal-123456")}]}))
    assert found == {"grafana": "values.env.0 sets API_TOKEN to a literal value; values.smtp.password is a literal "
                                "credential"}


def test_a_literal_helm_secret_is_a_literal(pack: PolicyPackProcess) -> None:
    found, _ = helm(pack, release({"adminPassword": shown("hunter2hunter2")}))
    assert found == {"grafana": "values.adminPassword is a literal credential"}
    assert "hunter2" not in json.dumps(found)


def test_a_hidden_helm_secret_stands_on_its_wiring(pack: PolicyPackProcess) -> None:
    assert helm(pack, release({"adminPassword": hidden()}, result=hidden())) == ({}, [])
    unwired = release({"adminPassword": hidden()}, result=hidden())
    unwired[1].pop("propertyDependencies")
    assert helm(pack, unwired) == ({}, [("grafana", "values.adminPassword")])
