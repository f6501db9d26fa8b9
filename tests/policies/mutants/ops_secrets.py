"""Secret provenance mutants: a `--show-secrets` export (secret envelopes carry `plaintext`) whose
database password is a literal however it is dressed. The gate withholds every plaintext from the rules
and sends its keyed fingerprint, so aws-rds-auth proves "generated" by the value itself: equal to a
random generator's result. The wiring (`propertyDependencies`) is kept in every operator: an `.apply()`
keeps it while changing the value, so it proves nothing. Helm values are judged the same way, value by
value."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from offline.wire import secret_envelope
from tests.policies.mutants.model import Export, Mutation, add_resource, first, set_input

RDS = "aws:rds/instance:Instance"
RANDOM = "random:index/randomPassword:RandomPassword"
K8S_SECRET = "kubernetes:core/v1:Secret"
AWS_STACKS = ("production", "staging")
GENERATED = "Xq4nV8bTz2LmR7cKp1WdY6sHf3JgA9eU"
"""The generator's result as the mutated export shows it (the shipped export holds only a ciphertext)."""


def shown(value: Any) -> dict[str, Any]:
    return secret_envelope(plaintext=json.dumps(value))


def _show_generator(export: Export, result: Any = GENERATED) -> dict[str, Any]:
    generator = first(export, RANDOM, "database-master-password")
    generator["outputs"]["result"] = shown(result)
    generator["outputs"]["bcryptHash"] = shown("$2a$10$" + GENERATED)
    return generator


def _password(value: Any, *, generator_shown: bool = True) -> Callable[[Export], str]:
    """The primary's password becomes `value` (an envelope or a plain string); wiring kept."""
    def apply(export: Export) -> str:
        if generator_shown:
            _show_generator(export)
        primary = first(export, RDS, "primary")
        assert primary["propertyDependencies"]["password"]
        return set_input(primary, ("password",), value)
    return apply


def copied_from_a_kubernetes_secret(export: Export) -> str:
    """The password equals a Secret's value in the stack, not a generator's: still a literal."""
    _show_generator(export)
    first(export, K8S_SECRET, "database-credentials")["inputs"]["stringData"] = shown({"password": "S3cond-Literal-pw"})
    return set_input(first(export, RDS, "primary"), ("password",), shown("S3cond-Literal-pw"))


def outputs_only(export: Export) -> str:
    """Drift: the recorded outputs hold a literal, the declared inputs the generated value."""
    _show_generator(export)
    primary = first(export, RDS, "primary")
    primary["inputs"]["password"] = shown(GENERATED)
    primary["outputs"]["password"] = shown("hunter2hunter2")
    return str(primary["urn"])


def inputs_only(export: Export) -> str:
    """The reverse drift: a literal declared, the generated value recorded (a generator's declared inputs
    carry no `result`; the gate lends it its recorded one)."""
    _show_generator(export)
    primary = first(export, RDS, "primary")
    primary["inputs"]["password"] = shown("hunter2hunter2")
    primary["outputs"]["password"] = shown(GENERATED)
    return str(primary["urn"])


def aurora_master_password(export: Export) -> str:
    """A new Aurora cluster whose master password is a literal secret, wired to the generator."""
    generator = _show_generator(export)
    urn = add_resource(export, "aws:rds/cluster:Cluster", "mutant-aurora", {
        "engine": "aurora-postgresql", "iamDatabaseAuthenticationEnabled": True,
        "masterUsername": "orchestrator_app", "masterPassword": shown("Aurora-literal-123"),
        "storageEncrypted": True})
    entry = next(r for r in export["deployment"]["resources"] if r["urn"] == urn)
    entry["propertyDependencies"] = {"masterPassword": [generator["urn"]]}
    entry["dependencies"] = [generator["urn"]]
    return urn


HELM = "kubernetes:helm.sh/v3:Release"


def _helm_literal(value: Any) -> Callable[[Export], str]:
    """The monitoring release's values wired to a generator (one generated value would justify that) and
    a literal admin password beside it: the wiring vouches for no other value."""
    def apply(export: Export) -> str:
        generator = next(r for r in export["deployment"]["resources"] if r["type"] == RANDOM)
        chart = first(export, HELM, "kube-prometheus-stack")
        chart.setdefault("propertyDependencies", {})["values"] = [generator["urn"]]
        chart["dependencies"] = sorted({*chart.get("dependencies", []), generator["urn"]})
        return set_input(chart, ("values", "grafana", "adminPassword"), value)
    return apply


def _op(name: str, apply: Callable[[Export], str], message: str = "is a literal") -> Mutation:
    return Mutation(f"aws-rds-auth-secret-{name}", "aws-rds-auth", apply, AWS_STACKS, message)


OPERATORS: list[Mutation] = [
    _op("plaintext-literal", _password(shown("hunter2hunter2")), "password is a literal secret"),
    _op("generator-hidden", _password(shown("hunter2hunter2"), generator_shown=False), "password is a literal secret"),
    _op("bcrypt-hash", _password(shown("$2a$10$" + GENERATED))),
    _op("near-miss", _password(shown(GENERATED + " "))),
    _op("upper-case", _password(shown(GENERATED.upper()))),
    _op("wrapped-in-object", _password(shown({"password": GENERATED}))),
    _op("not-json-plaintext", _password(secret_envelope(plaintext="hunter2hunter2"))),
    _op("marker-literal", _password("[secret]"), "password is a literal, not the value"),
    _op("fingerprint-literal", _password("[secret:0123456789abcdef01234567]"), "password is a literal, not the value"),
    _op("kubernetes-secret-copy", copied_from_a_kubernetes_secret),
    _op("outputs-only", outputs_only, "password is a literal secret"),
    _op("inputs-only", inputs_only, "password is a literal secret"),
    _op("aurora", aurora_master_password, "masterPassword is a literal secret"),
    Mutation("k8s-helm-release-values-secret-wired-literal", "k8s-helm-release-values",
             _helm_literal("hunter2hunter2"), message="values.grafana.adminPassword is a literal credential"),
    Mutation("k8s-helm-release-values-secret-wired-plaintext", "k8s-helm-release-values",
             _helm_literal(shown("hunter2hunter2")), message="values.grafana.adminPassword is a literal credential"),
]
