"""edge-config-evaluated: every file an HAProxy container loads is a ConfigMap key the edge rules evaluate.

Good and bad pods, each bad one naming the container and the path (run by tests/policies/test_fixtures.py).
"""

from __future__ import annotations

from typing import Any

from tests.policies.conftest import resource
from tests.policies.fixtures import EDGE_CONFIG_DIR, EDGE_CONFIG_FILE, HAPROXY_CFG, app_stack, edge_deployment, mutate
from tests.policies.fixtures import haproxy_configmap as configmap
from tests.policies.kubernetes.model import Fixture, bad, good

RULE = "edge-config-evaluated"
C = "spec.template.spec.containers.0"
P = "spec.template.spec"
CONFIG_MOUNT = {"name": "config", "mountPath": EDGE_CONFIG_DIR, "readOnly": True}
CONFIG_VOLUME = {"name": "config", "configMap": {"name": "haproxy"}}
ADMIN_VOLUME = {"name": "admin", "secret": {"secretName": "haproxy-admin",
                                            "items": [{"key": "userlist.cfg", "path": "userlist.cfg"}]}}
ADMIN_MOUNT = {"name": "admin", "mountPath": "/etc/haproxy/auth", "readOnly": True}
HASH_ENV = {"name": "ADMIN_HASH", "valueFrom": {"secretKeyRef": {"name": "haproxy-admin", "key": "hash"}}}
USERLIST = '\nuserlist admins\n    user admin password "${ADMIN_HASH}"\n'


def edge(*changes: tuple[str, Any], cfg: str = HAPROXY_CFG) -> list[dict[str, Any]]:
    """The compliant app stack with the edge Deployment changed at each (path, value)."""
    props = edge_deployment()
    for path, value in changes:
        props = mutate(props, path, value)
    return app_stack(**{"edge": resource("kubernetes:apps/v1:Deployment", "edge", props),
                        "haproxy-config": configmap(cfg)})


def command(*words: str) -> tuple[str, Any]:
    return (f"{C}.command", list(words))


def mounts(*extra: dict[str, Any]) -> tuple[str, Any]:
    return (f"{C}.volumeMounts", [CONFIG_MOUNT, *extra])


def volumes(*extra: dict[str, Any]) -> tuple[str, Any]:
    return (f"{P}.volumes", [CONFIG_VOLUME, *extra])


SECRET_FILE = (mounts(ADMIN_MOUNT), volumes(ADMIN_VOLUME))

FIXTURES: list[Fixture] = [
    good(RULE, app_stack(), f"{RULE}-shipped-shape"),
    good(RULE, edge(("spec.template.spec.containers.0.env", [HASH_ENV]), cfg=HAPROXY_CFG + USERLIST),
         f"{RULE}-userlist-hash-from-env"),
    good(RULE, edge(command("haproxy", "-db", "-f", EDGE_CONFIG_DIR)), f"{RULE}-config-directory"),
    good(RULE, edge((f"{C}.command", None), (f"{C}.args", ["-f", EDGE_CONFIG_FILE])), f"{RULE}-args-only"),
    good(RULE, edge(command("haproxy", "-f", "/etc/haproxy/haproxy.cfg"),
                    (f"{C}.volumeMounts", [{"name": "config", "mountPath": "/etc/haproxy/haproxy.cfg",
                                            "subPath": "haproxy.cfg"}])), f"{RULE}-sub-path"),
    good(RULE, edge(command("haproxy", "-C", EDGE_CONFIG_DIR, "-f", "haproxy.cfg")), f"{RULE}-relative-with-C"),
    bad(RULE, edge(command("haproxy", "-f", EDGE_CONFIG_FILE, "-f", "/etc/haproxy/auth/userlist.cfg"), *SECRET_FILE),
        "edge", "container 'app' (spec.template.spec.containers[0]) loads /etc/haproxy/auth/userlist.cfg (-f) "
                "from secret 'haproxy-admin'", f"{RULE}-second-file-from-secret"),
    bad(RULE, edge(command("haproxy", "-f", EDGE_CONFIG_FILE, "-f/etc/haproxy/auth/userlist.cfg"), *SECRET_FILE),
        "edge", "loads /etc/haproxy/auth/userlist.cfg (`-f` joined to the path) from secret", f"{RULE}-joined-flag"),
    bad(RULE, edge(command("haproxy", "-f", EDGE_CONFIG_FILE, "-f", "/etc/haproxy/auth"), *SECRET_FILE),
        "edge", "loads /etc/haproxy/auth/userlist.cfg (-f, a directory) from secret 'haproxy-admin'",
        f"{RULE}-secret-directory"),
    bad(RULE, edge(command("haproxy"), (f"{C}.args", ["-f", EDGE_CONFIG_FILE, "-f", "/host/extra.cfg"]),
                   mounts({"name": "host", "mountPath": "/host"}),
                   volumes({"name": "host", "hostPath": {"path": "/etc/haproxy"}})),
        "edge", "loads /host/extra.cfg (-f) from hostPath /etc/haproxy", f"{RULE}-args-hostpath"),
    bad(RULE, edge(("spec.template.spec.containers.0.env",
                    [{"name": "HAPROXY_CFGFILES", "value": f"{EDGE_CONFIG_FILE}:/scratch/more.cfg"}]),
                   mounts({"name": "scratch", "mountPath": "/scratch"}), volumes({"name": "scratch", "emptyDir": {}})),
        "edge", "loads /scratch/more.cfg (HAPROXY_CFGFILES) from emptyDir volume 'scratch'", f"{RULE}-cfgfiles-env"),
    bad(RULE, edge(command("haproxy", "-f", EDGE_CONFIG_FILE, "-f", "/p/extra.cfg"),
                   mounts({"name": "p", "mountPath": "/p"}),
                   volumes({"name": "p", "projected": {"sources": [{"secret": {"name": "s", "items": [
                       {"key": "x", "path": "extra.cfg"}]}}]}})),
        "edge", "loads /p/extra.cfg (-f) from secret 's' (volume 'p')", f"{RULE}-projected-secret"),
    bad(RULE, edge(command("haproxy", "-f", EDGE_CONFIG_FILE, "--", "/etc/haproxy/extra.cfg")),
        "edge", "loads /etc/haproxy/extra.cfg (after `--`) from the image's filesystem", f"{RULE}-double-dash"),
    bad(RULE, edge(command("/bin/sh", "-c", f"haproxy -f {EDGE_CONFIG_FILE} -f /tmp/x.cfg")),
        "edge", "runs haproxy through `/bin/sh -c", f"{RULE}-shell-wrapper"),
    good(RULE, edge((f"{C}.command", None)), f"{RULE}-image-default-command-reads-the-configmap"),
    bad(RULE, edge((f"{C}.command", None), (f"{C}.volumeMounts", [{**CONFIG_MOUNT, "mountPath": "/etc/haproxy"}])),
        "edge", "loads /usr/local/etc/haproxy/haproxy.cfg (the image's default command) from the image's filesystem",
        f"{RULE}-image-default-command"),
    bad(RULE, edge(command("haproxy", "-f", f"{EDGE_CONFIG_DIR}/503.http")),
        "edge", "from key '503.http' of ConfigMap 'haproxy', which is not a configuration", f"{RULE}-non-config-key"),
    bad(RULE, edge(command("haproxy", "-C", "/etc/haproxy/auth", "-f", "userlist.cfg"), *SECRET_FILE),
        "edge", "loads /etc/haproxy/auth/userlist.cfg (-f) from secret", f"{RULE}-relative-to-C"),
    bad(RULE, edge(volumes(), (f"{P}.volumes", [{"name": "config", "configMap": {"name": "elsewhere"}}])),
        "edge", "from ConfigMap 'elsewhere' (volume 'config'), which the stack does not declare",
        f"{RULE}-undeclared-configmap"),
    bad(RULE, edge(cfg=HAPROXY_CFG.replace("    bind :8080\n", '    bind "${PLAIN_BIND}"\n')),
        "edge", "expands ${PLAIN_BIND} from the environment", f"{RULE}-env-outside-userlist"),
    bad(RULE, edge((f"{C}.envFrom", [{"secretRef": {"name": "x"}}])), "edge", "envFrom", f"{RULE}-env-from"),
    bad(RULE, edge((f"{C}.command", None), (f"{C}.image", "ghcr.io/acme/edge:1.4.2")),
        "edge", "runs image ghcr.io/acme/edge:1.4.2's own command", f"{RULE}-renamed-image"),
    bad(RULE, edge((f"{C}.command", ["/opt/edge/bin/proxy", "-f", EDGE_CONFIG_FILE, "-f", "/tmp/x.cfg"]),
                   (f"{C}.image", "ghcr.io/acme/edge:1.4.2")),
        "edge", "instead of haproxy", f"{RULE}-renamed-binary"),
    bad(RULE, edge(command("/usr/local/bin/proxy-launcher", "-f", EDGE_CONFIG_FILE)),
        "edge", "proxy-launcher -f /usr/local/etc/haproxy/haproxy.cfg` instead of haproxy",
        f"{RULE}-other-program"),
    bad(RULE, edge(command("sh", "-c", "cp /s/x.cfg /tmp/ && exec /usr/sbin/haproxy", "--", "-f", EDGE_CONFIG_FILE)),
        "edge", "runs haproxy through `sh -c", f"{RULE}-shell-then-haproxy"),
    bad(RULE, edge(command("haproxy", "-f", f"{EDGE_CONFIG_DIR}/../../../../tmp/x.cfg"),
                   mounts({"name": "scratch", "mountPath": "/tmp"}), volumes({"name": "scratch", "emptyDir": {}})),
        "edge", "loads /tmp/x.cfg (-f) from emptyDir", f"{RULE}-dot-dot-path"),
    bad(RULE, edge(mounts({"name": "s", "mountPath": EDGE_CONFIG_FILE, "subPath": "haproxy.cfg"}),
                   volumes({"name": "s", "secret": {"secretName": "override"}})),
        "edge", "loads /usr/local/etc/haproxy/haproxy.cfg (-f) from secret 'override'", f"{RULE}-secret-over-config"),
    bad(RULE, edge((f"{P}.volumes", [{"name": "config", "configMap": {"name": "haproxy", "items": [
        {"key": "503.http", "path": "haproxy.cfg"}]}}])),
        "edge", "from key '503.http' of ConfigMap 'haproxy'", f"{RULE}-other-key-as-config"),
    bad(RULE, edge(command("/opt/bin/launch", "haproxy", "-f", EDGE_CONFIG_FILE)),
        "edge", "runs `/opt/bin/launch` before haproxy", f"{RULE}-unknown-launcher"),
    good(RULE, edge(command("docker-entrypoint.sh", "haproxy", "-f", EDGE_CONFIG_FILE)), f"{RULE}-image-entrypoint"),
    bad(RULE, edge(command("haproxy", "-f", EDGE_CONFIG_FILE, "-S", "ipv4@0.0.0.0:9999,level,admin")),
        "edge", "opens the master CLI on the network address ipv4@0.0.0.0:9999", f"{RULE}-master-cli"),
    good(RULE, edge(command("haproxy", "-W", "-S", "/var/run/haproxy-master.sock", "-f", EDGE_CONFIG_FILE)),
         f"{RULE}-master-cli-socket"),
    bad(RULE, edge(command("haproxy", "-f", "$(CONFIG)"),
                   (f"{C}.env", [{"name": "CONFIG", "valueFrom": {"configMapKeyRef": {"name": "x", "key": "y"}}}])),
        "edge", "expands $(CONFIG), a variable from a reference", f"{RULE}-kubelet-expansion"),
    good(RULE, edge(command("haproxy", "-f", "$(CONFIG)"), (f"{C}.env", [{"name": "CONFIG", "value": EDGE_CONFIG_FILE}])),
         f"{RULE}-kubelet-expansion-literal"),
    bad(RULE, edge(cfg=HAPROXY_CFG.replace("global\n", "global\n    lua-load /etc/haproxy/auth.lua\n", 1)),
        "edge", "'lua-load /etc/haproxy/auth.lua' loads Lua code", f"{RULE}-lua"),
    bad(RULE, edge(cfg=HAPROXY_CFG + "\nprogram sidecar\n    command /usr/bin/sync\n"),
        "edge", "declares 'program sidecar'", f"{RULE}-program"),
    good(RULE, edge(cfg=HAPROXY_CFG.replace("global\n", "global\n.if 1 && !0\n.endif\n.if 0\n.endif\n", 1)),
         f"{RULE}-constant-conditions"),
    bad(RULE, edge(cfg=HAPROXY_CFG.replace("    http-request deny deny_status 403 if admin_path !internal\n",
                                           "    .if !defined(OPEN_ADMIN)\n    http-request deny deny_status 403 if "
                                           "admin_path !internal\n    .endif\n")),
        "edge", "is a conditional block ('.if !defined(OPEN_ADMIN)')", f"{RULE}-conditional-block"),
]

