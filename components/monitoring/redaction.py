"""What never leaves the cluster in a span or a log record: the collector's redaction statements (OTTL).

One list per signal, used verbatim in the collectors' `transform/redact` processors; the tests run
sample spans and log lines through exactly these statements.

Collector config expands `${...}`, so a literal `$` in a replacement is written `$$` (Go's regexp
replacement `${1}` becomes `$${1}`). Patterns are RE2 (the collector's engine: linear time, no
backtracking) and use only syntax Python's `re` reads the same way.
"""

from __future__ import annotations

REDACTED = "[REDACTED]"

SECRET_HEADER_KEYS = (
    r"^http\.(request|response)\.header\.(authorization|proxy-authorization|cookie|set-cookie|x-api-key|x-auth-token)$"
)
"""Semantic-convention header attributes whose value is a credential."""
SECRET_NAMED_KEYS = r"(?i)^(.*[._-])?(password|passwd|secret|token|api[._-]?key|authorization|cookie|session[._-]?id)$"
"""Any attribute named like a credential (`user.password`, `auth_token`, `x.api-key`)."""
DB_PARAMETER_KEYS = r"^db\.query\.parameter\..+$"
"""Bound statement parameters (semantic conventions `db.query.parameter.<key>`)."""
QUERY_SECRET = (
    r"(?i)((?:^|[?&])(?:access_token|id_token|refresh_token|token|api_key|apikey|key|password|secret|signature|sig|code)=)"
    r"[^&#\s]*"
)
"""A credential-bearing query parameter in a URL or query string; its value goes."""
BEARER = r"(?i)(bearer|basic)\s+[A-Za-z0-9._~+/=-]+"
SQL_STRING = r"'(?:[^']|'')*'"
"""A SQL string literal (with doubled quotes inside): the statement keeps its shape, not its values."""
SQL_NUMBER = r"\b[0-9]+(?:\.[0-9]+)?\b"
ASSIGNED_SECRET = (
    r"(?i)(\"?(?:password|passwd|secret|token|api[_-]?key|authorization|cookie)\"?\s*[:=]\s*\"?)[^\s\",&}]+"
)
"""`password=...`, `"token": "..."` inside a free-text message."""
URL_ATTRIBUTES = ("url.full", "url.query", "http.url", "http.target", "url.original")
DB_STATEMENT_ATTRIBUTES = ("db.query.text", "db.statement")


def _common(target: str) -> list[str]:
    """Attribute statements shared by spans and log records (`target` is their attribute map)."""
    statements = [
        f'delete_matching_keys({target}, "{_quote(SECRET_HEADER_KEYS)}")',
        f'delete_matching_keys({target}, "{_quote(SECRET_NAMED_KEYS)}")',
        f'delete_matching_keys({target}, "{_quote(DB_PARAMETER_KEYS)}")',
    ]
    statements += [
        f'replace_pattern({target}["{key}"], "{_quote(QUERY_SECRET)}", "$${{1}}{REDACTED}")' for key in URL_ATTRIBUTES
    ]
    for key in DB_STATEMENT_ATTRIBUTES:
        statements.append(f'replace_pattern({target}["{key}"], "{_quote(SQL_STRING)}", "?")')
        statements.append(f'replace_pattern({target}["{key}"], "{_quote(SQL_NUMBER)}", "?")')
    statements.append(f'replace_all_patterns({target}, "value", "{_quote(BEARER)}", "$${{1}} {REDACTED}")')
    return statements


def _quote(pattern: str) -> str:
    """An OTTL string literal's body: backslashes and double quotes escaped."""
    return pattern.replace("\\", "\\\\").replace('"', '\\"')


def span_statements() -> list[str]:
    return _common("attributes")


def log_statements() -> list[str]:
    """Parse the app's JSON lines into attributes first, so the attribute rules see every field;
    then scrub the body text itself."""
    return [
        'merge_maps(attributes, ParseJSON(body), "upsert") where IsMatch(body, "^\\\\s*\\\\{")',
        *_common("attributes"),
        f'replace_pattern(body, "{_quote(BEARER)}", "$${{1}} {REDACTED}")',
        f'replace_pattern(body, "{_quote(QUERY_SECRET)}", "$${{1}}{REDACTED}")',
        f'replace_pattern(body, "{_quote(ASSIGNED_SECRET)}", "$${{1}}{REDACTED}")',
    ]


def transform_processor(signal: str) -> dict[str, object]:
    """The `transform/redact` processor for `traces` or `logs`."""
    if signal == "traces":
        return {"error_mode": "ignore", "trace_statements": [{"context": "span", "statements": span_statements()}]}
    return {"error_mode": "ignore", "log_statements": [{"context": "log", "statements": log_statements()}]}
