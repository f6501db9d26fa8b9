"""Mutation operators for the edge rules: insecure edits of the generated haproxy.cfg in each shipped export."""

from __future__ import annotations

import re
from collections.abc import Callable

from tests.policies.mutants.model import Export, Mutation, of_type, set_input

CONFIGMAP = "kubernetes:core/v1:ConfigMap"
HTTPS_FRONTEND = "frontend public_https\n"


def _edit(change: Callable[[str], str]) -> Callable[[Export], str | None]:
    """Rewrites the HAProxy configuration in the edge ConfigMap (inputs and outputs alike)."""

    def apply(export: Export) -> str | None:
        for configmap in of_type(export, CONFIGMAP):
            text = (configmap.get("inputs", {}).get("data") or {}).get("haproxy.cfg")
            if isinstance(text, str) and HTTPS_FRONTEND in text:
                changed = change(text)
                assert changed != text, "the operator changed nothing"
                return set_input(configmap, ("data", "haproxy.cfg"), changed)
        raise KeyError("no HAProxy ConfigMap")

    return apply


def _in_https(line: str) -> Callable[[str], str]:
    """Adds `line` as the first rule of the public HTTPS frontend (before its binds' rules)."""
    return lambda text: text.replace(HTTPS_FRONTEND, HTTPS_FRONTEND + f"    {line}\n", 1)


def _drop(fragment: str) -> Callable[[str], str]:
    return lambda text: "\n".join(line for line in text.split("\n") if fragment not in line)


OPERATORS: list[Mutation] = [
    Mutation("edge-admin-protected-allow-first", "edge-admin-protected", _edit(_in_https("http-request allow"))),
    Mutation("edge-admin-protected-world-internal", "edge-admin-protected",
             _edit(lambda t: re.sub(r"acl internal_client src [^\n]*", "acl internal_client src 0.0.0.0/1 128.0.0.0/1", t))),
    Mutation("edge-health-not-public-deny-off", "edge-health-not-public",
             _edit(lambda t: t.replace("if protected_path !internal_client", "if protected_path !internal_client FALSE"))),
    Mutation("edge-tls-min-version-tls10", "edge-tls-min-version",
             _edit(lambda t: t.replace("ssl-min-ver TLSv1.2", "ssl-min-ver TLSv1.0"))),
    Mutation("edge-security-headers-hsts-deleted", "edge-security-headers",
             _edit(_drop('set-header Strict-Transport-Security'))),
    Mutation("edge-security-headers-server-kept", "edge-security-headers",
             _edit(_drop("del-header Server"))),
    Mutation("edge-rate-limit-never-triggers", "edge-rate-limit",
             _edit(lambda t: t.replace("sc_http_req_rate(0) gt 100", "sc_http_req_rate(0) gt 100000000"))),
    Mutation("edge-rate-limit-untracked", "edge-rate-limit", _edit(_drop("track-sc0 src"))),
    Mutation("edge-https-only-plaintext-forward", "edge-https-only",
             _edit(lambda t: t.replace("    http-request redirect scheme https code 301\n", "    default_backend app\n", 1))),
]
