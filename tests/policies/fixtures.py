"""Compliant building blocks for the rule tests; each violating case is one mutation of them."""

from __future__ import annotations

import copy
from typing import Any

from tests.policies.conftest import resource, root, urn

APP_NS, EDGE_NS = "app", "edge"
EDGE_CONFIG_DIR = "/usr/local/etc/haproxy"
EDGE_CONFIG_FILE = f"{EDGE_CONFIG_DIR}/haproxy.cfg"
APP_LABELS = {"app.kubernetes.io/name": "orchestrator"}
EDGE_LABELS = {"app.kubernetes.io/name": "haproxy", "app.kubernetes.io/component": "edge"}


def mutate(value: dict[str, Any], path: str, new: Any) -> dict[str, Any]:
    """A deep copy with one dotted path set (`spec.template.spec.containers.0.image`); None deletes."""
    out = copy.deepcopy(value)
    parts = path.split(".")
    node: Any = out
    for part in parts[:-1]:
        node = node[int(part)] if isinstance(node, list) else node.setdefault(part, {})
    last = parts[-1]
    if isinstance(node, list):
        node[int(last)] = new
    elif new is None:
        node.pop(last, None)
    else:
        node[last] = new
    return out


def container(name: str = "app", port: int = 8080) -> dict[str, Any]:
    return {
        "name": name,
        "image": "ghcr.io/acme/orchestrator:2.15.0",
        "ports": [{"name": "http", "containerPort": port}],
        "securityContext": {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True, "runAsNonRoot": True,
                            "runAsUser": 10001, "capabilities": {"drop": ["ALL"]},
                            "seccompProfile": {"type": "RuntimeDefault"}},
        "resources": {"requests": {"cpu": "250m", "memory": "384Mi"}, "limits": {"cpu": "1", "memory": "512Mi"}},
        "livenessProbe": {"httpGet": {"path": "/healthz", "port": "http"}, "initialDelaySeconds": 30, "periodSeconds": 10},
        "readinessProbe": {"httpGet": {"path": "/ready", "port": port}, "initialDelaySeconds": 15, "periodSeconds": 5},
        "env": [{"name": "DATABASE_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "db", "key": "password"}}},
                {"name": "LOG_LEVEL", "value": "info"}],
    }


def deployment(name: str, pod_labels: dict[str, str], namespace: str = APP_NS, port: int = 8080) -> dict[str, Any]:
    init = container("migrate", port)
    init.pop("livenessProbe")
    init.pop("readinessProbe")
    init["ports"] = []
    return {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": name, "namespace": namespace, "labels": dict(pod_labels)},
        "spec": {
            "selector": {"matchLabels": dict(pod_labels)},
            "template": {
                "metadata": {"labels": dict(pod_labels)},
                "spec": {
                    "serviceAccountName": name, "automountServiceAccountToken": False,
                    "securityContext": {"runAsNonRoot": True, "runAsUser": 10001, "runAsGroup": 10001,
                                        "seccompProfile": {"type": "RuntimeDefault"}},
                    "topologySpreadConstraints": [{"maxSkew": 1, "topologyKey": "topology.kubernetes.io/zone",
                                                   "whenUnsatisfiable": "ScheduleAnyway",
                                                   "labelSelector": {"matchLabels": dict(pod_labels)}}],
                    "initContainers": [init],
                    "containers": [container(port=port)],
                },
            },
        },
    }


def edge_deployment() -> dict[str, Any]:
    """The edge proxy as the rules recognise it: runs haproxy and mounts the ConfigMap holding haproxy.cfg."""
    edge = mutate(deployment("haproxy", EDGE_LABELS, EDGE_NS, 8443), "spec.replicas", 3)
    edge = mutate(edge, "spec.template.spec.containers.0.image", "haproxy:3.2.9-alpine")
    edge = mutate(edge, "spec.template.spec.containers.0.command", ["haproxy", "-db", "-f", EDGE_CONFIG_FILE])
    edge = mutate(edge, "spec.template.spec.containers.0.volumeMounts",
                  [{"name": "config", "mountPath": EDGE_CONFIG_DIR, "readOnly": True}])
    return mutate(edge, "spec.template.spec.volumes", [{"name": "config", "configMap": {"name": "haproxy"}}])


def slot_labels(slot: str) -> dict[str, str]:
    return {**APP_LABELS, "orchestrator.io/slot": slot}


HAPROXY_CFG = """
global
    ssl-default-bind-options ssl-min-ver TLSv1.2 no-tls-tickets
    ssl-default-bind-ciphers ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:!aNULL
    stats socket /var/run/haproxy/admin.sock mode 600 level admin

defaults
    mode http
    timeout connect 5s
    errorfiles site-errors

http-errors site-errors
    errorfile 400 /etc/haproxy/errors/400.http
    errorfile 403 /etc/haproxy/errors/403.http
    errorfile 408 /etc/haproxy/errors/408.http
    errorfile 429 /etc/haproxy/errors/429.http
    errorfile 500 /etc/haproxy/errors/500.http
    errorfile 502 /etc/haproxy/errors/502.http
    errorfile 503 /etc/haproxy/errors/503.http
    errorfile 504 /etc/haproxy/errors/504.http

frontend public_http
    bind :8080
    http-request redirect scheme https code 301 unless { ssl_fc }

frontend public_https
    bind :8443 ssl crt /etc/haproxy/certs/tls.pem alpn h2,http/1.1
    acl internal src 10.0.0.0/8
    acl dot_segment path,url_dec -m reg (^|/)\\.\\.?(/|$)
    acl admin_path path,url_dec -m reg -i ^/+(admin)
    acl protected_path path,url_dec -m reg -i ^/+(health|ready|metrics)
    stick-table type ip size 1m expire 10s store http_req_rate(10s)
    http-request track-sc0 src
    http-request deny deny_status 429 if { sc_http_req_rate(0) gt 100 }
    http-request deny deny_status 400 if dot_segment
    http-request deny deny_status 403 if { path_beg /admin } !internal
    http-request deny deny_status 403 if admin_path !internal
    http-request deny deny_status 404 if { path_beg /health /ready /metrics } !internal
    http-request deny deny_status 404 if protected_path !internal
    http-response set-header Strict-Transport-Security "max-age=63072000; includeSubDomains"
    http-response set-header X-Content-Type-Options nosniff
    http-response set-header X-Frame-Options DENY
    http-response set-header Referrer-Policy no-referrer
    http-response set-header Content-Security-Policy "default-src 'self'"
    http-response del-header Server
    default_backend app

backend app
    balance roundrobin
    server blue app-blue.app.svc:8080 weight 100 check
    server green app-green.app.svc:8080 weight 0 check

frontend stats
    bind :8405
    http-request use-service prometheus-exporter if { path /metrics }
"""


def haproxy_configmap(cfg: str = HAPROXY_CFG) -> dict[str, Any]:
    return resource("kubernetes:core/v1:ConfigMap", "edge-config", {
        "metadata": {"name": "haproxy", "namespace": EDGE_NS, "labels": dict(EDGE_LABELS)},
        "data": {"haproxy.cfg": cfg, "503.http": "HTTP/1.1 503 Service Unavailable\r\n\r\nTry again later.\n"}})


def cfg_without(line: str, cfg: str = HAPROXY_CFG) -> str:
    assert line in cfg, line
    return cfg.replace(line, "")


def cfg_replace(old: str, new: str, cfg: str = HAPROXY_CFG) -> str:
    assert old in cfg, old
    return cfg.replace(old, new)


def netpol(name: str, namespace: str, selector: dict[str, str], *, ingress: list[Any] | None = None,
           egress: list[Any] | None = None, types: tuple[str, ...] = ("Ingress", "Egress"),
           resource_name: str | None = None) -> dict[str, Any]:
    # Two objects of one name in two namespaces are two resources: their URNs must differ.
    return resource("kubernetes:networking.k8s.io/v1:NetworkPolicy", resource_name or name, {
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"podSelector": {"matchLabels": selector} if selector else {}, "policyTypes": list(types),
                 **({"ingress": ingress} if ingress is not None else {}),
                 **({"egress": egress} if egress is not None else {})}})


def service(name: str, namespace: str, selector: dict[str, str], *, kind: str = "ClusterIP", target: Any = "http",
            **spec: Any) -> dict[str, Any]:
    return resource("kubernetes:core/v1:Service", name, {
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"type": kind, "selector": selector, "ports": [{"port": 80, "targetPort": target}], **spec}})


def hpa(name: str, target: str, min_replicas: int = 3, cpu: int = 70) -> dict[str, Any]:
    return resource("kubernetes:autoscaling/v2:HorizontalPodAutoscaler", name, {
        "metadata": {"name": name, "namespace": APP_NS},
        "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": target},
                 "minReplicas": min_replicas, "maxReplicas": 20,
                 "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization",
                                                                                          "averageUtilization": cpu}}},
                             {"type": "Resource", "resource": {"name": "memory", "target": {"type": "Utilization",
                                                                                             "averageUtilization": 80}}}]}})


def pdb(name: str, slot: str, **spec: Any) -> dict[str, Any]:
    return resource("kubernetes:policy/v1:PodDisruptionBudget", name, {
        "metadata": {"name": name, "namespace": APP_NS},
        "spec": {"selector": {"matchLabels": slot_labels(slot)}, **(spec or {"maxUnavailable": 1})}})


def app_stack(**replace: dict[str, Any] | None) -> list[dict[str, Any]]:
    """A compliant blue/green application behind HAProxy; `replace={name: resource or None}` swaps pieces."""
    dns = {"to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
                   "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}}}], "ports": [{"port": 53, "protocol": "UDP"}]}
    pieces: dict[str, dict[str, Any] | None] = {
        "root": root(activeSlot="blue", canaryWeight=0),
        "app-blue": resource("kubernetes:apps/v1:Deployment", "app-blue", deployment("app-blue", slot_labels("blue"))),
        "app-green": resource("kubernetes:apps/v1:Deployment", "app-green", deployment("app-green", slot_labels("green"))),
        "hpa-blue": hpa("app-blue", "app-blue"),
        "hpa-green": hpa("app-green", "app-green"),
        "pdb-blue": pdb("app-blue", "blue"),
        "pdb-green": pdb("app-green", "green"),
        "svc-blue": service("app-blue", APP_NS, slot_labels("blue")),
        "svc-green": service("app-green", APP_NS, slot_labels("green")),
        "svc-live": service("app-live", APP_NS, slot_labels("blue")),
        "deny-app": netpol("default-deny", APP_NS, {}),
        "allow-app": netpol("app", APP_NS, APP_LABELS,
                            ingress=[{"from": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": EDGE_NS}},
                                                "podSelector": {"matchLabels": EDGE_LABELS}}],
                                      "ports": [{"port": 8080}]}],
                            egress=[dns]),
        "edge": resource("kubernetes:apps/v1:Deployment", "edge", edge_deployment()),
        "edge-pdb": resource("kubernetes:policy/v1:PodDisruptionBudget", "edge", {
            "metadata": {"name": "haproxy", "namespace": EDGE_NS},
            "spec": {"selector": {"matchLabels": EDGE_LABELS}, "minAvailable": 2}}),
        "svc-edge": service("haproxy", EDGE_NS, EDGE_LABELS, kind="LoadBalancer", target=8443, externalTrafficPolicy="Local"),
        "deny-edge": netpol("default-deny", EDGE_NS, {}, resource_name="edge-default-deny"),
        "allow-edge": netpol("haproxy", EDGE_NS, EDGE_LABELS, ingress=[{"ports": [{"port": 8443}]}],
                             egress=[{"to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": APP_NS}},
                                              "podSelector": {"matchLabels": APP_LABELS}}]}, dns]),
        "haproxy-config": haproxy_configmap(),
    }
    for key, value in replace.items():
        assert key in pieces, key
        pieces[key] = value
    return [p for p in pieces.values() if p is not None]


def dep(name: str) -> dict[str, Any]:
    """A Deployment resource of the app stack, for mutation."""
    slot = name.rsplit("-", 1)[-1]
    return resource("kubernetes:apps/v1:Deployment", name, deployment(name, slot_labels(slot)))


def with_deployment(path: str, value: Any, name: str = "app-blue") -> list[dict[str, Any]]:
    changed = resource("kubernetes:apps/v1:Deployment", name, mutate(dep(name)["inputs"], path, value))
    return app_stack(**{name: changed})


__all__ = ["urn"]
