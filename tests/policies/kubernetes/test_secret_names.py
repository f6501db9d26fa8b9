"""One definition of a secret-like name: the pack's copy and the program's agree, and every family counts in
every spelling (snake, kebab, dotted, camel, upper)."""

from __future__ import annotations

from hypothesis import assume, given
from hypothesis import strategies as st

from components.config import secret_like_name as program_secret_like_name
from policies.rules.common import secret_like_name

SECRET = ["DB_PASSWORD", "adminPassword", "db-pass", "PWD", "passphrase", "CLIENT_SECRET", "api_token", "x-api-key",
          "APIKey", "STRIPE_KEY", "AWS_SECRET_KEY", "secretKey", "REDIS_AUTH", "auth", "credentials", "gcpCreds",
          "SENTRY_DSN", "DATABASE_DSN", "connectionString", "private_key", "signing-key", "JWT",
          "AUTHORIZATION", "encryptionKey", "ACCESS_TOKEN"]
NOT_SECRET = ["LOG_LEVEL", "passwordKey", "userKey", "existingSecret", "tokenTTL", "PASSWORD_FILE", "publicKey",
              "auth.enabled", "auth.anonymous", "secretName", "kmsKeyId", "kmsKey", "DATABASE_URL", "ACCESS_KEY_ID",
              "token_endpoint", "authMode", "grafana.ini", "keyVaultName", "partitionKey", "imagePullSecrets.name",
              "sortKey", "KEY_PREFIX", "bypass", "compass", "tokenizer",
              # A lone `key`, or one qualified by what it indexes, names something (label, Secret entry, shard).
              "KEY", "key", "routing_key", "topologyKey"]


def test_the_pack_and_the_program_agree() -> None:
    for name in SECRET + NOT_SECRET:
        assert secret_like_name(name) == program_secret_like_name(name), name


def test_shared_list_is_classified() -> None:
    assert [n for n in SECRET if not secret_like_name(n)] == []
    assert [n for n in NOT_SECRET if secret_like_name(n)] == []


FAMILIES = ["password", "pass", "pwd", "secret", "token", "key", "auth", "credential", "credentials", "api key", "dsn",
            "private key", "access token", "connection string"]
PREFIXES = ["", "db", "redis", "admin", "stripe", "app service", "my"]


def spell(words: list[str], style: str) -> str:
    if style == "snake":
        return "_".join(words)
    if style == "upper":
        return "_".join(words).upper()
    if style == "kebab":
        return "-".join(words)
    if style == "dotted":
        return ".".join(words)
    return words[0] + "".join(w.capitalize() for w in words[1:])


@given(st.sampled_from(PREFIXES), st.sampled_from(FAMILIES), st.sampled_from(["snake", "upper", "kebab", "dotted",
                                                                              "camel"]))
def test_every_family_in_every_spelling(prefix: str, family: str, style: str) -> None:
    words = [*prefix.split(), *family.split()]
    assume(words != ["key"])  # a lone `key` names a label or a Secret's entry (see NOT_SECRET)
    name = spell(words, style)
    assert secret_like_name(name), name
    assert program_secret_like_name(name), name


@given(st.sampled_from(FAMILIES), st.sampled_from(["file", "path", "ttl", "enabled", "name", "url", "ref"]),
       st.sampled_from(["snake", "upper", "camel"]))
def test_a_name_about_a_secret_is_not_one(family: str, suffix: str, style: str) -> None:
    name = spell([*family.split(), suffix], style)
    assert not secret_like_name(name), name
    assert not program_secret_like_name(name), name


@given(st.text(max_size=300))
def test_any_text_is_classified_identically(name: str) -> None:
    assert secret_like_name(name) == program_secret_like_name(name)
