"""Pulumi's wire values, in one place for every offline module (standard library only, so that
`check --state` can read an export before it imports the SDK). A test asserts they equal the SDK's."""

SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d"
"""The key marking a special value (secret, asset, archive, resource reference) in a property map."""
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
"""The value of `SECRET_SIG_KEY` in a secret envelope."""
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
"""A property the engine cannot know yet (a computed output during preview)."""


def secret_envelope(**fields: object) -> dict[str, object]:
    """A secret envelope as exports carry it: the signature plus `ciphertext` or `plaintext`."""
    return {SECRET_SIG_KEY: SECRET_SIG, **fields}


def is_secret_envelope(value: object) -> bool:
    return isinstance(value, dict) and value.get(SECRET_SIG_KEY) == SECRET_SIG


def unknown_secret() -> dict[str, object]:
    """A secret whose value is not known yet, as an export carries it: the sentinel as the JSON
    `plaintext` the engine writes with `--show-secrets` (there is nothing to hide)."""
    return secret_envelope(plaintext=f'"{UNKNOWN}"')


def is_unknown(value: object) -> bool:
    """The sentinel itself, or a secret envelope around it (in memory or as an export writes it)."""
    if value == UNKNOWN:
        return True
    if not isinstance(value, dict) or not is_secret_envelope(value):
        return False
    return value.get("value") == UNKNOWN or value.get("plaintext") == f'"{UNKNOWN}"'
