"""Mutation operators for the edge rules: insecure edits of the generated haproxy.cfg in each shipped export."""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from typing import Any

from tests.policies.mutants.model import Export, Mutation, first, of_type, set_input

CONFIGMAP = "kubernetes:core/v1:ConfigMap"
DEPLOYMENT = "kubernetes:apps/v1:Deployment"
EDGE_CONTAINER = ("spec", "template", "spec", "containers", 0)
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


def _edge_container(change: Callable[[dict[str, Any], dict[str, Any]], None]) -> Callable[[Export], str | None]:
    """Changes the HAProxy container (and its pod spec) of the edge Deployment, inputs and outputs alike."""

    def apply(export: Export) -> str | None:
        edge = first(export, DEPLOYMENT, "edge-deployment")
        for side in ("inputs", "outputs"):
            pod = edge[side]["spec"]["template"]["spec"]
            change(pod["containers"][0], pod)
        return str(edge["urn"])

    return apply


def _extra_volume(path: str, volume: dict[str, Any]) -> Callable[[dict[str, Any], dict[str, Any]], None]:
    def change(container: dict[str, Any], pod: dict[str, Any]) -> None:
        container["volumeMounts"].append({"name": volume["name"], "mountPath": path, "readOnly": True})
        pod["volumes"].append(copy.deepcopy(volume))
    return change


def _then(*changes: Callable[[dict[str, Any], dict[str, Any]], None]) -> Callable[[dict[str, Any], dict[str, Any]], None]:
    def change(container: dict[str, Any], pod: dict[str, Any]) -> None:
        for one in changes:
            one(container, pod)
    return change


def _argv(*extra: str, into: str = "command") -> Callable[[dict[str, Any], dict[str, Any]], None]:
    def change(container: dict[str, Any], pod: dict[str, Any]) -> None:
        container.setdefault(into, []).extend(extra)
    return change


def _env(name: str, value: str) -> Callable[[dict[str, Any], dict[str, Any]], None]:
    def change(container: dict[str, Any], pod: dict[str, Any]) -> None:
        container.setdefault("env", []).append({"name": name, "value": value})
    return change


def _on_edge(apply: Callable[[Export], str | None]) -> Callable[[Export], str | None]:
    """Applies a ConfigMap edit; the finding belongs to the edge Deployment whose container loads it."""

    def run(export: Export) -> str | None:
        apply(export)
        return str(first(export, DEPLOYMENT, "edge-deployment")["urn"])

    return run


SECRET_USERLIST = {"name": "extra", "secret": {"secretName": "haproxy-admin", "items": [
    {"key": "userlist.cfg", "path": "userlist.cfg"}]}}

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
    # Every file HAProxy loads must be the evaluated ConfigMap: a second file, in every spelling.
    Mutation("edge-config-evaluated-secret-file", "edge-config-evaluated",
             _edge_container(_then(_extra_volume("/etc/haproxy/auth", SECRET_USERLIST),
                                   _argv("-f", "/etc/haproxy/auth/userlist.cfg"))),
             message="loads /etc/haproxy/auth/userlist.cfg (-f) from secret 'haproxy-admin'"),
    Mutation("edge-config-evaluated-joined-flag", "edge-config-evaluated",
             _edge_container(_then(_extra_volume("/etc/haproxy/auth", SECRET_USERLIST),
                                   _argv("-f/etc/haproxy/auth/userlist.cfg"))), message="joined to the path"),
    Mutation("edge-config-evaluated-secret-directory", "edge-config-evaluated",
             _edge_container(_then(_extra_volume("/etc/haproxy/auth", SECRET_USERLIST),
                                   _argv("-f", "/etc/haproxy/auth"))), message="a directory"),
    Mutation("edge-config-evaluated-args-hostpath", "edge-config-evaluated",
             _edge_container(_then(_extra_volume("/host", {"name": "host", "hostPath": {"path": "/etc/haproxy"}}),
                                   _argv("-f", "/host/extra.cfg", into="args"))), message="hostPath /etc/haproxy"),
    Mutation("edge-config-evaluated-cfgfiles-env", "edge-config-evaluated",
             _edge_container(_env("HAPROXY_CFGFILES", "/usr/local/etc/haproxy/haproxy.cfg:/tmp/extra.cfg")),
             message="loads /tmp/extra.cfg (HAPROXY_CFGFILES) from emptyDir"),
    Mutation("edge-config-evaluated-double-dash", "edge-config-evaluated",
             _edge_container(_argv("--", "/etc/haproxy/extra.cfg")), message="after `--`"),
    Mutation("edge-config-evaluated-env-bind", "edge-config-evaluated",
             _on_edge(_edit(lambda t: t.replace("    bind *:8080\n", '    bind "${EXTRA_BIND}"\n', 1))),
             message="${EXTRA_BIND}"),
    Mutation("edge-config-evaluated-conditional-deny", "edge-config-evaluated",
             _on_edge(_edit(lambda t: re.sub(r"( +)(http-request deny deny_status 403 if protected_path !internal_client\n)",
                                             r"\1.if !defined(OPEN_EDGE)\n\1\2\1.endif\n", t, count=1))),
             message="conditional block"),
    Mutation("edge-config-evaluated-shell-wrapper", "edge-config-evaluated",
             _edge_container(lambda c, pod: c.update(command=["sh", "-c", "exec haproxy -db -f \"$0\"", *c["command"][3:]])),
             message="runs haproxy through `sh -c"),
]
