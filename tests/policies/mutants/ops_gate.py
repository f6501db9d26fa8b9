"""Gate-integrity mutants: what an export can do to the gate itself rather than to one rule.

- A value unknown in one resource concerns that resource only: a stack rule still reports every
  other resource.
- A `--show-secrets` plaintext reaches no rule and no report, yet a secret literal is still a literal.
- A value changed only in the recorded outputs (drift) or only in the declared inputs is judged.
- Exports the gate cannot fully read are refused (rule `gate-refused`): the CLI exits 2 with one line.
"""

from __future__ import annotations

from tests.policies.mutants.harness import REFUSED
from tests.policies.mutants.model import Export, Mutation, first, resources, set_input

UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
SECRET_SIG_KEY, SECRET_SIG = "4dabf18193072939515e22adb298388d", "1b47061264138c4ac30d75fd1eb44270"
RDS = "aws:rds/instance:Instance"
DEPLOYMENT = "kubernetes:apps/v1:Deployment"


def unknown_elsewhere_does_not_silence(export: Export) -> str:
    """Replica 1's deletion protection is unknown; replica 2 is plainly unprotected."""
    blind = first(export, RDS, "replica-1")
    blind["protect"] = False
    set_input(blind, ("deletionProtection",), UNKNOWN)
    bare = first(export, RDS, "replica-2")
    bare["protect"] = False
    return set_input(bare, ("deletionProtection",), False)


def plaintext_secret_env(export: Export) -> str:
    deployment = first(export, DEPLOYMENT, "blue")
    envelope = {SECRET_SIG_KEY: SECRET_SIG, "plaintext": '"hunter2-plaintext-from-show-secrets"'}
    for side in ("inputs", "outputs"):
        container = deployment[side]["spec"]["template"]["spec"]["containers"][0]
        container.setdefault("env", []).append({"name": "API_TOKEN", "value": envelope})
    return str(deployment["urn"])


def outputs_only_privileged(export: Export) -> str:
    """Drift: the recorded outputs run the container privileged, the declared inputs do not."""
    deployment = first(export, DEPLOYMENT, "blue")
    container = deployment["outputs"]["spec"]["template"]["spec"]["containers"][0]
    container.setdefault("securityContext", {})["privileged"] = True
    return str(deployment["urn"])


def outputs_only_public_database(export: Export) -> str:
    primary = first(export, RDS, "primary")
    primary["outputs"]["publiclyAccessible"] = True
    return str(primary["urn"])


def inputs_only_public_database(export: Export) -> str:
    primary = first(export, RDS, "primary")
    primary["inputs"]["publiclyAccessible"] = True
    return str(primary["urn"])


def _misspelt_type(export: Export) -> None:
    entry = resources(export)[-1]
    entry["tpye"] = entry.pop("type")


def _second_stack(export: Export) -> None:
    entry = resources(export)[-1]
    entry["urn"] = entry["urn"].replace("urn:pulumi:", "urn:pulumi:other-", 1)


def _delete_flag(export: Export) -> None:
    resources(export)[-1]["delete"] = True


def _not_an_object(export: Export) -> None:
    resources(export).append(["not", "a", "resource"])


def _duplicate(export: Export) -> None:
    resources(export).append(dict(resources(export)[-1]))


def _retyped(export: Export) -> None:
    resources(export)[-1]["type"] = "kubernetes:core/v1:ConfigMap"


def _orphan(export: Export) -> None:
    resources(export)[-1]["parent"] = resources(export)[0]["urn"] + "-gone"


def _case_twin(export: Export) -> None:
    entry = resources(export)[-1]
    resources(export).append({**entry, "urn": entry["urn"][:-1] + entry["urn"][-1].swapcase()})


def _misspelt_inputs(export: Export) -> None:
    entry = resources(export)[-1]
    entry["Inputs"] = entry.pop("inputs", {})


def _interrupted(export: Export) -> None:
    export["deployment"]["pending_operations"] = [{"resource": resources(export)[-1], "type": "creating"}]


def _depends_on_itself(export: Export) -> None:
    entry = resources(export)[-1]
    entry["dependencies"] = [*entry.get("dependencies", []), entry["urn"]]


def _float_version(export: Export) -> None:
    export["version"] = 3.0


def refused(name: str, change: object, message: str) -> Mutation:
    def apply(export: Export) -> None:
        change(export)  # type: ignore[operator]

    return Mutation(name=f"gate-refuses-{name}", rule=REFUSED, apply=apply, message=message)


OPERATORS: list[Mutation] = [
    Mutation(name="stack-stateful-protected-unknown-in-another-resource", rule="stack-stateful-protected",
             apply=unknown_elsewhere_does_not_silence, stacks=("production",),
             message="is neither protected nor deletion-protected"),
    Mutation(name="k8s-no-literal-secret-env-plaintext-envelope", rule="k8s-no-literal-secret-env",
             apply=plaintext_secret_env, message="API_TOKEN is a literal value"),
    refused("misspelt-type-key", _misspelt_type, 'missing "type" (it has "tpye"'),
    refused("second-stack-name", _second_stack, "belongs to stack"),
    refused("pending-delete", _delete_flag, "pending deletion"),
    refused("non-object-entry", _not_an_object, "not a resource object"),
    refused("duplicate-urn", _duplicate, "duplicate URN"),
    refused("type-not-its-urn", _retyped, "is not the type its URN names"),
    refused("absent-parent", _orphan, "is not a resource of this export"),
    refused("urn-case-twin", _case_twin, "only in case, white space or compatibility characters"),
    refused("misspelt-inputs-key", _misspelt_inputs, 'unknown key "Inputs"; Pulumi writes "inputs"'),
    refused("pending-operations", _interrupted, "an update was interrupted with operations in flight"),
    refused("self-dependency", _depends_on_itself, "is this resource itself"),
    refused("float-version", _float_version, 'checkpoint "version" 3.0'),
    Mutation(name="k8s-no-privileged-outputs-only-drift", rule="k8s-no-privileged", apply=outputs_only_privileged,
             message="privileged"),
    Mutation(name="aws-rds-not-public-outputs-only-drift", rule="aws-rds-not-public", apply=outputs_only_public_database,
             stacks=("production", "staging"), message="publiclyAccessible"),
    Mutation(name="aws-rds-not-public-inputs-only", rule="aws-rds-not-public", apply=inputs_only_public_database,
             stacks=("production", "staging"), message="publiclyAccessible"),
]
