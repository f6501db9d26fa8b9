"""What counts as a secret-like name, for config checks and redacted error messages."""

from __future__ import annotations

import re
from itertools import pairwise

# Names whose values must never be echoed in messages or set as literals: judged by words, so that
# `DB_PASS`, `stripeKey` and `SENTRY_DSN` count and `PASSWORD_FILE`, `publicKey` and `tokenTTL` do not.
# The policy pack keeps its own copy (it imports nothing from the program); a test asserts they agree.
_SECRET_NAME_WORDS = re.compile(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])")
SECRET_WORDS = frozenset({
    "password", "passwd", "pass", "pwd", "passphrase", "passcode", "secret", "secrets", "token", "tokens", "apikey",
    "apitoken", "accesstoken", "credential", "credentials", "creds", "cred", "auth", "authorization", "dsn", "jwt",
    "bearer", "privatekey", "secretkey", "accesskey", "authkey", "connectionstring", "connstring"})
SECRET_PAIRS = frozenset({
    ("api", "key"), ("private", "key"), ("access", "key"), ("auth", "key"), ("client", "secret"),
    ("connection", "string"), ("secret", "key"), ("signing", "key"), ("encryption", "key")})
NOT_SECRET_LAST = frozenset({
    "file", "files", "path", "dir", "ttl", "expiry", "expires", "expiration", "length", "len", "enabled", "disabled",
    "name", "names", "ref", "header", "policy", "type", "mode", "url", "uri", "endpoint", "host", "port", "user",
    "username", "id", "arn", "version", "count", "size", "rotation", "days", "format", "source", "field", "prefix",
    "alias", "method", "methods", "provider", "providers", "strategy", "scheme", "backend", "realm", "domain",
    "issuer", "audience", "scope", "scopes", "plugin", "timeout", "interval", "algorithm", "anonymous", "required",
    "through", "location", "store", "vault", "class", "template", "selector", "label", "annotation", "namespace",
    "sha", "checksum", "hash", "digest", "generation", "manager"})
KEY_NAMING_WORDS = frozenset({"password", "passwd", "pwd", "token", "user", "username", "cert", "certificate", "tls",
                              "ca"})
NOT_SECRET_KEYS = frozenset({"public", "partition", "sort", "primary", "foreign", "cache", "idempotency", "hash", "row",
                             "lookup", "label", "kms", "cmk", "object", "group", "dedup", "unique", "index",
                             "topology", "routing", "match", "field", "tag", "metric",
                             "sampling", "shard", "sharding", "attribute", "resource", "node", "selector", "map", "dimension"})


def secret_like_name(name: str) -> bool:
    """`DB_PASSWORD`, `adminPassword`, `api-key`, `SENTRY_DSN`: yes; `passwordKey`, `existingSecret`: no."""
    words = [w.lower() for w in _SECRET_NAME_WORDS.findall(str(name)[:256])]
    # `PASSWORD2`, `token_v1`: a trailing number does not change what a word means.
    words = [w.rstrip("0123456789") or w for w in words]
    # ... nor does a trailing version, index or role: `STRIPE_KEY_V2`, `API_KEY_PROD`, `PASSWORD_OLD`.
    while len(words) > 1 and (words[-1].isdigit() or words[-1] in (
            "v", "value", "old", "new", "primary", "secondary", "current", "next", "prev", "previous", "backup", "live",
            "test", "prod")):
        words.pop()
    if not words or "existing" in words or words[-1] in NOT_SECRET_LAST:
        return False
    if words[-1] in ("key", "keys"):
        # A lone `key` names something (a label, a Secret's entry, a sort order), it holds no secret.
        return len(words) > 1 and words[-2] not in KEY_NAMING_WORDS and words[-2] not in NOT_SECRET_KEYS
    if any(w in SECRET_WORDS for w in words) or "".join(words) in SECRET_WORDS:
        return True
    # Run-together names (`DBPASSWORD`, `adminsecret`, `csrftoken`) end in an unambiguous family word.
    if any(w.endswith(("password", "passwd", "passphrase", "secret", "token", "apikey", "credential", "credentials"))
           for w in words):
        return True
    return any(pair in SECRET_PAIRS for pair in pairwise(words))
