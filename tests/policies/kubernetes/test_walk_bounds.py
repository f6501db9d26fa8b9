"""Documents inside values are walked within a node budget: a YAML alias that refers to itself, or
expands a small text into a huge tree, costs at most MAX_NODES steps and hides nothing taken in."""

from __future__ import annotations

from policies.rules.k8s_content import MAX_NODES, secrets_in_text, walk

SELF_REFERENCE = "loop: &a [" + ", ".join(["*a"] * 1000) + "]\npassword: hunter2-literal\n"
LAUGHS = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 10)}]\n" for i in range(8))


def test_a_self_referencing_alias_is_walked_within_the_budget() -> None:
    import yaml

    document = yaml.safe_load(SELF_REFERENCE)
    leaves = list(walk(document))
    assert leaves[-1] == (("password",), "hunter2-literal")  # taken in before the loop, still reached
    assert len(leaves) <= MAX_NODES


def test_an_alias_expansion_is_walked_within_the_budget() -> None:
    import yaml

    document = yaml.safe_load(LAUGHS)  # 10^9 leaves if expanded
    budget = [MAX_NODES]
    leaves = list(walk(document, budget=budget))
    assert 0 < len(leaves) <= MAX_NODES
    assert budget[0] <= 0


def test_a_secret_beside_a_self_referencing_alias_is_found() -> None:
    assert "a literal value under 'password'" in list(secrets_in_text(SELF_REFERENCE))


def test_name_value_entries_beside_a_self_referencing_alias_are_found() -> None:
    import yaml

    from policies.rules.k8s_content import name_value_secrets

    document = yaml.safe_load("loop: &a [" + ", ".join(["*a"] * 1000) + "]\n"
                              "env: [{name: DB_PASSWORD, value: hunter2-literal}]\n")
    assert list(name_value_secrets(document)) == [("env.0", "DB_PASSWORD")]
