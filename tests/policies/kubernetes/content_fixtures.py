"""Secrets (env, ConfigMap data and binaryData, Helm values), exposure, RBAC and opaque objects."""

from __future__ import annotations

import base64
import json

from tests.policies.conftest import resource, root
from tests.policies.fixtures import APP_NS, EDGE_LABELS, EDGE_NS, app_stack, netpol, service
from tests.policies.kubernetes.model import Fixture, bad, blue, good, one

C = "spec.template.spec.containers.0"
CM = "kubernetes:core/v1:ConfigMap"
HELM4 = "kubernetes:helm.sh/v4:Chart"
ROLE = "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole"
BINDING = "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding"
PEM_PGP = "-----BEGIN PGP PRIVATE KEY BLOCK-----\nlQOYBF\n-----END PGP PRIVATE KEY BLOCK-----\n"


def with_env(env: list[dict]) -> list[dict]:  # type: ignore[type-arg]
    return app_stack(**{"app-blue": resource("kubernetes:apps/v1:Deployment", "app-blue", blue(C + ".env", env))})


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


EDGE_IP = "10.60.63.245"


def internal_edge(name: str, address: str) -> dict:  # type: ignore[type-arg]
    svc = service(name, EDGE_NS, EDGE_LABELS, kind="LoadBalancer", target=8443, externalTrafficPolicy="Local")
    for side in ("inputs", "outputs"):
        svc[side]["metadata"]["annotations"] = {"service.beta.kubernetes.io/azure-load-balancer-internal": "true",
                                                "service.beta.kubernetes.io/azure-load-balancer-ipv4": address}
    return svc


def azure_edge(*, exported: bool = True, gateway: bool = True) -> list[dict]:  # type: ignore[type-arg]
    """The edge behind an internal load balancer at a fixed address, which an Application Gateway targets."""
    stack = app_stack(**{"root": root(activeSlot="blue", canaryWeight=0, **({"edgeAddress": EDGE_IP} if exported else {})),
                         "svc-edge": internal_edge("haproxy", EDGE_IP)})
    if gateway:
        stack.append(resource("azure-native:network:ApplicationGateway", "gateway", {
            "backendAddressPools": [{"name": "haproxy", "backendAddresses": [{"ipAddress": EDGE_IP}]}]}))
    return stack


FIXTURES: list[Fixture] = [
    bad("k8s-no-literal-secret-env", with_env([{"name": "STRIPE_KEY", "value": "sk_live_abc"}]), "app-blue",
        "env[0] STRIPE_KEY is a literal value"),
    bad("k8s-no-literal-secret-env", with_env([{"name": "SENTRY_DSN", "value": "https://k@sentry.io/1"}]), "app-blue",
        "SENTRY_DSN"),
    bad("k8s-no-literal-secret-env", with_env([{"name": "DATABASE_URL", "value": "postgres://app:hunter2@db/app"}]),
        "app-blue", "DATABASE_URL holds a password inside a URL"),
    good("k8s-no-literal-secret-env", with_env([{"name": "PASSWORD_FILE", "value": "/run/secrets/db"}]), "path-not-secret"),

    good("k8s-configmap-no-secrets", one(CM, {"data": {"app.json": json.dumps({"passwordKey": "db-password"})}})),
    bad("k8s-configmap-no-secrets", one(CM, {"binaryData": {"id.asc": b64(PEM_PGP)}}), "subject",
        "binaryData.id.asc contains a PGP private key block"),
    bad("k8s-configmap-no-secrets", one(CM, {"data": {"settings.json": json.dumps({"db": {"password": "hunter2"}})}}),
        "subject", "a literal value under 'db.password'"),
    bad("k8s-configmap-no-secrets", one(CM, {"data": {"app.yaml": "cache:\n  auth: s3cr3t\n"}}), "subject",
        "cache.auth"),
    bad("k8s-configmap-no-secrets", one(CM, {"data": {"conn": "Server=db;User Id=app;Password=hunter2;"}}), "subject",
        "connection string with a literal Password"),

    good("k8s-helm-release-values", one(HELM4, {"chart": "redis", "version": "1.2.3", "values": {"replicas": 3}})),
    bad("k8s-helm-release-values", one(HELM4, {"chart": "redis", "version": "1.2.3", "values": {"auth": {
        "password": "hunter2"}}}), "subject", "values.auth.password is a literal credential"),
    bad("k8s-helm-release-values", one(HELM4, {"chart": "x", "version": "1.2.3", "values": {"securityContext": {
        "privileged": True}}}), "subject", "values.securityContext.privileged is True: the chart runs a privileged"),

    good("k8s-no-public-service", app_stack()),
    bad("k8s-no-public-service", app_stack(**{"svc-live": service("app-live", APP_NS, {
        "app.kubernetes.io/name": "orchestrator", "orchestrator.io/slot": "blue"}, externalIPs=["203.0.113.7"])}),
        "app-live", "spec.externalIPs 203.0.113.7"),
    # A copied label does not make a front door: the pods must run haproxy with the stack's configuration.
    bad("k8s-no-public-service", [*app_stack(), service("copycat", APP_NS, {"app.kubernetes.io/name": "orchestrator",
                                                                            "orchestrator.io/slot": "blue"},
                                                        kind="NodePort")], "copycat", "NodePort Service (spec.type: NodePort)"),
    bad("k8s-no-public-service", [*app_stack(), service("stats", EDGE_NS, EDGE_LABELS, kind="LoadBalancer", target=8443,
                                                        externalTrafficPolicy="Local")], "stats",
        "2 LoadBalancer/NodePort Services expose the edge pods"),
    # The front door by structure: an internal load balancer the Application Gateway targets.
    good("k8s-no-public-service", azure_edge(), "internal-front-door"),
    bad("k8s-no-public-service", [*azure_edge(), service("stats", EDGE_NS, EDGE_LABELS, kind="LoadBalancer", target=8443,
                                                          externalTrafficPolicy="Local")], "stats",
        "a second LoadBalancer Service exposes the edge pods (a public one beside an internal front door bypasses",
        "public-beside-internal-door"),
    bad("k8s-no-public-service", [*azure_edge(), internal_edge("stats", "10.60.63.200")], "stats",
        "a second LoadBalancer Service exposes the edge pods; the front door is the one the front door targets at "
        "10.60.63.245", "second-internal-load-balancer"),
    bad("k8s-no-public-service", [*azure_edge(gateway=False), internal_edge("stats", "10.60.63.200")], "stats",
        "the front door is the one the front door targets", "exported-address-decides"),
    bad("k8s-no-public-service", [*app_stack(), resource("aws:lb/loadBalancer:LoadBalancer", "alb", {
        "internal": False, "loadBalancerType": "application"})], "haproxy",
        "the edge LoadBalancer Service is public although the stack's front door is the application load balancer alb",
        "public-edge-behind-alb"),
    bad("k8s-no-public-service", app_stack(**{"svc-edge": service("haproxy", EDGE_NS, EDGE_LABELS, kind="LoadBalancer",
                                                                   target=8443, externalTrafficPolicy="Local")})
        + azure_edge()[-1:], "haproxy", "clients reach HAProxy around its WAF", "public-edge-behind-app-gateway"),
    bad("k8s-no-public-service", [*azure_edge(exported=False, gateway=False), internal_edge("stats", "10.60.63.200")],
        "stats", "does not single out one front door", "no-structure-two-doors"),

    good("k8s-ingress-tls", one("kubernetes:networking.k8s.io/v1:Ingress", {"spec": {
        "tls": [{"hosts": ["*.example.com"]}], "rules": [{"host": "a.example.com"}]}})),
    bad("k8s-ingress-tls", one("kubernetes:networking.k8s.io/v1:Ingress", {"spec": {"rules": [{"host": "a.example"}]}}),
        "subject", "no spec.tls"),
    bad("k8s-ingress-tls", one("kubernetes:gateway.networking.k8s.io/v1:Gateway", {"spec": {"listeners": [
        {"name": "web", "port": 80, "protocol": "HTTP"}]}}), "subject",
        "spec.listeners 'web' (port 80, protocol HTTP) is plaintext"),

    good("k8s-network-policy-no-allow-all", app_stack()),
    bad("k8s-network-policy-no-allow-all", app_stack(**{"allow-app": netpol("app", APP_NS, {"app": "x"}, ingress=[{}])}),
        "app", "spec.ingress[0] allows no `from` peers"),
    bad("k8s-network-policy-no-allow-all", app_stack(**{"allow-app": netpol("app", APP_NS, {"app": "x"}, egress=[
        {"to": [{"ipBlock": {"cidr": "0.0.0.0/1"}}, {"ipBlock": {"cidr": "128.0.0.0/1"}}]}])}), "app",
        "covering the Internet on every port"),
    bad("k8s-network-policy-no-allow-all", app_stack(**{"allow-app": netpol("app", APP_NS, {"app": "x"}, ingress=[
        {"from": [{"namespaceSelector": {}}]}])}), "app", "namespaceSelector: {}"),
    bad("k8s-network-policy-no-allow-all", app_stack(**{"allow-app": netpol("app", APP_NS, {"app": "x"}, ingress=[
        {"from": [{"ipBlock": {"cidr": "0.0.0.0/0"}}], "ports": [{"port": 8080}]}])}), "app",
        "admits the Internet"),

    good("k8s-rbac-least-privilege", one(ROLE, {"rules": [{"apiGroups": [""], "resources": ["configmaps"],
                                                           "verbs": ["get"]}]})),
    good("k8s-rbac-least-privilege", one(ROLE, {"rules": [{"apiGroups": [""], "resources": ["secrets"],
                                                           "resourceNames": ["tls"], "verbs": ["get"]}]}),
         "secrets-by-name"),
    bad("k8s-rbac-least-privilege", one(ROLE, {"rules": [{"apiGroups": ["*"], "resources": ["pods"], "verbs": ["get"]}]}),
        "subject", "rules[0].apiGroups contains '*'"),
    bad("k8s-rbac-least-privilege", one(ROLE, {"rules": [{"apiGroups": [""], "resources": ["secrets"],
                                                          "verbs": ["list"]}]}), "subject",
        "list on secrets in every namespace"),
    bad("k8s-rbac-least-privilege", one(ROLE, {"rules": [{"apiGroups": [""], "resources": ["pods/exec"],
                                                          "verbs": ["create"]}]}), "subject", "pods/exec"),
    bad("k8s-rbac-least-privilege", one(ROLE, {"metadata": {"labels": {
        "rbac.authorization.k8s.io/aggregate-to-admin": "true"}}, "rules": []}), "subject", "built-in 'admin' role"),
    bad("k8s-rbac-least-privilege", one(ROLE, {"rules": [{"apiGroups": [""], "resources": ["users"],
                                                          "verbs": ["impersonate"]}]}), "subject", "impersonate"),
    bad("k8s-rbac-least-privilege", one(BINDING, {"roleRef": {"kind": "ClusterRole", "name": "cluster-admin"},
                                                  "subjects": [{"kind": "ServiceAccount", "name": "x"}]}),
        "subject", "'cluster-admin' over the whole cluster"),

    good("k8s-opaque-content", one(HELM4, {"chart": "redis", "version": "1.2.3", "values": {}})),
    bad("k8s-opaque-content", one(HELM4, {"chart": "redis", "values": {}}), "subject", "has no version"),
    bad("k8s-opaque-content", one("kubernetes:helm.sh/v3:Release", {"chart": "redis", "version": "1.2.3",
                                                                     "valueYamlFiles": ["values.yaml"]}),
        "subject", "valueYamlFiles"),
    bad("k8s-opaque-content", one("kubernetes:yaml/v2:ConfigFile", {"file": "https://example.com/x.yaml"}), "subject",
        "https://example.com/x.yaml"),
    bad("k8s-opaque-content", one("kubernetes:apps/v1:DeploymentPatch", {"metadata": {"name": "coredns",
                                                                                     "namespace": "kube-system"}}),
        "subject", "DeploymentPatch changes Deployment kube-system/coredns"),
    bad("k8s-opaque-content", one("kubernetes:yaml/v2:ConfigGroup", {"yaml": "kind: Service\napiVersion: v1\n"
                                                                             "metadata: {name: s}\n"}),
        "subject", "k8s-no-public-service"),
    # ...and the pod inside an inline ConfigGroup is judged by the pod rules themselves.
    bad("k8s-no-privileged", one("kubernetes:yaml/v2:ConfigGroup", {"objs": [
        {"kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers": [
            {"name": "x", "image": "x:1.2.3", "securityContext": {"privileged": True}}]}}]}), "subject",
        "objs[0].spec.containers[0]", "privileged-in-config-group"),
    # Secrets in spellings the shared scanners do not read.
    bad("k8s-no-literal-secret-env", with_env([{"name": "CACHE", "value": "redis://:hunter2@cache:6379/0"}]),
        "app-blue", "env[0] CACHE holds a password inside a URL"),
    bad("k8s-no-literal-secret-env", with_env([{"name": "SSH", "value": "---BEGIN OPENSSH PRIVATE KEY---\nb3Blbg\n"}]),
        "app-blue", "env[0] SSH holds a private key"),
    bad("k8s-no-literal-secret-env", app_stack(**{"app-blue": resource("kubernetes:apps/v1:Deployment", "app-blue", blue(
        C + ".args", ["serve", "--db-password", "hunter2"]))}), "app-blue",
        "container 'app' (spec.template.spec.containers[0]) args[1] passes --db-password followed by a literal value"),
    good("k8s-no-literal-secret-env", app_stack(**{"app-blue": resource("kubernetes:apps/v1:Deployment", "app-blue", blue(
        C + ".args", ["serve", "--password-file", "/run/secrets/db"]))}), "password-file-flag"),
    bad("k8s-configmap-no-secrets", one(CM, {"data": {".env": "export API_TOKEN=abc123\nexport LOG=info\n"}}),
        "subject", "data..env contains a literal value for 'API_TOKEN'"),
    bad("k8s-configmap-no-secrets", one(CM, {"data": {"OCI_CLI_KEY_CONTENT": "MIIEvQIBADANBg"}}), "subject",
        "data.OCI_CLI_KEY_CONTENT holds a literal value under a secret-like key"),
    good("k8s-configmap-no-secrets", one(CM, {"data": {"tls.key.path": "/etc/tls/key.pem", "cache": "redis://cache:6379"}}),
         "paths-and-plain-urls"),

    # Exposure: an internal load balancer in front of anything but the edge still opens it to the network.
    bad("k8s-no-public-service", app_stack(**{"svc-live": service(
        "orchestrator", APP_NS, {"app.kubernetes.io/name": "orchestrator"}, kind="loadbalancer")}), "orchestrator",
        "spec.type: LoadBalancer"),
    bad("k8s-network-policy-no-allow-all", app_stack(**{"allow-app": netpol("app", APP_NS, {"app": "x"}, ingress=[
        {"from": [{"namespaceSelector": {}, "podSelector": {}}]}])}), "app",
        "`namespaceSelector: {}` with an empty podSelector (every pod of every namespace) on every port"),
    bad("k8s-network-policy-no-allow-all", app_stack(**{"allow-app": netpol("app", APP_NS, {"app": "x"}, egress=[
        {"to": [{"namespaceSelector": {"matchExpressions": [
            {"key": "kubernetes.io/metadata.name", "operator": "Exists"}]}}]}])}), "app",
        "a namespaceSelector matching every namespace"),
    good("k8s-network-policy-no-allow-all", app_stack(**{"allow-app": netpol("app", APP_NS, {"app": "x"}, ingress=[
        {"from": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "edge"}},
                   "podSelector": {}}]}])}), "one-namespace-every-pod"),

    # RBAC: pod creation, webhooks, CSR approval, anonymous users, and bindings to home-made broad roles.
    bad("k8s-rbac-least-privilege", one("kubernetes:rbac.authorization.k8s.io/v1:Role", {
        "metadata": {"name": "runner", "namespace": "app"},
        "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["create"]}]}), "subject",
        "rules[0] grants create on pods"),
    bad("k8s-rbac-least-privilege", one(ROLE, {"rules": [{"apiGroups": ["admissionregistration.k8s.io"],
                                                          "resources": ["mutatingwebhookconfigurations"],
                                                          "verbs": ["patch"]}]}), "subject",
        "grants patch on mutatingwebhookconfigurations"),
    bad("k8s-rbac-least-privilege", one(ROLE, {"rules": [{"apiGroups": ["certificates.k8s.io"],
                                                          "resources": ["certificatesigningrequests/approval"],
                                                          "verbs": ["update"]}]}), "subject",
        "certificatesigningrequests/approval"),
    bad("k8s-rbac-least-privilege", one("kubernetes:rbac.authorization.k8s.io/v1:RoleBinding", {
        "metadata": {"name": "b", "namespace": "app"}, "roleRef": {"kind": "ClusterRole", "name": "view"},
        "subjects": [{"kind": "User", "name": "system:anonymous"}]}), "subject",
        "subjects[0] is the user system:anonymous"),
    bad("k8s-rbac-least-privilege", [
        *one(ROLE, {"metadata": {"name": "ops"}, "rules": [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["get"]}]},
             "ops"),
        *one(BINDING, {"metadata": {"name": "ops"}, "roleRef": {"kind": "ClusterRole", "name": "ops"},
                       "subjects": [{"kind": "User", "name": "alice"}]})],
        "subject", "roleRef binds ClusterRole 'ops', which grants too much (rules[0].resources contains '*' (every resource",
        "binding-to-broad-declared-role"),
    good("k8s-rbac-least-privilege", [
        *one(ROLE, {"metadata": {"name": "reader"}, "rules": [{"apiGroups": [""], "resources": ["configmaps"],
                                                                "verbs": ["get"]}]}, "reader"),
        *one(BINDING, {"metadata": {"name": "reader"}, "roleRef": {"kind": "ClusterRole", "name": "reader"},
                       "subjects": [{"kind": "ServiceAccount", "name": "x", "namespace": "app"}]})],
         "binding-to-narrow-role"),
    bad("k8s-opaque-content", one("kubernetes:core/v1:ServiceList", {"items": [
        {"kind": "Service", "metadata": {"name": "s"}, "spec": {"type": "LoadBalancer"}}]}), "subject",
        "ServiceList items of kind Service are not judged"),
    bad("k8s-no-literal-secret-env", with_env([{"name": "NOTIFY", "value": "xoxb-1234567890-abcdefghijkl"}]),
        "app-blue", "env[0] NOTIFY holds a Slack token"),
    bad("k8s-no-literal-secret-env", with_env([{"name": "SESSION", "value": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0."
                                                                            "c2lnbmF0dXJlLWJ5dGVz"}]),
        "app-blue", "env[0] SESSION holds a JSON Web Token"),
    good("k8s-no-literal-secret-env", with_env([{"name": "BUILD", "value": "sha256-0123456789abcdef0123456789"}]),
         "long-plain-identifier"),
    bad("k8s-configmap-no-secrets", one(CM, {"data": {"env.yaml": "- name: DB_PASSWORD\n  value: hunter2\n"}}),
        "subject", "data.env.yaml contains an entry (0) setting DB_PASSWORD to a literal value"),
    bad("k8s-helm-release-values", [root(), *one(HELM4, {"chart": "app", "version": "1.2.3", "values": {
        "extraEnv": [{"name": "ADMIN_TOKEN", "value": "abc123"}]}})], "subject",
        "values.extraEnv.0 sets ADMIN_TOKEN to a literal value"),
    bad("k8s-helm-release-values", [root(), *one(HELM4, {"chart": "app", "version": "1.2.3", "values": {
        "podSecurityContext": {"seccompProfile": {"type": "Unconfined"}}}})], "subject",
        "values.podSecurityContext.seccompProfile.type is Unconfined: the chart turns seccomp off"),
    bad("k8s-ingress-tls", one("kubernetes:networking.k8s.io/v1:Ingress", {"metadata": {"annotations": {
        "nginx.ingress.kubernetes.io/ssl-redirect": "false"}}, "spec": {"tls": [{"hosts": ["a.example"]}],
                                                                         "rules": [{"host": "a.example"}]}}),
        "subject", "nginx.ingress.kubernetes.io/ssl-redirect: false turns the HTTP to HTTPS redirect off"),
    bad("k8s-no-privileged", one("kubernetes:example.com/v1:WorkerPool", {"spec": {"pools": [{"template": {"spec": {
        "containers": [{"name": "w", "image": "w:1.2.3", "securityContext": {"privileged": True}}]}}}]}}), "subject",
        "container 'w' (spec.pools[0].template.spec.containers[0]) sets securityContext.privileged: true",
        "privileged-template-in-list"),
]
