"""Spellings of the same defect that other kinds, other containers and other files use: pod templates under
`podTemplate`/`...Template` keys and at any depth, containers that custom resources keep outside a pod spec
(Argo, Tekton, Spark), objects inside Lists and ConfigGroups judged by the stack rules, credentials inside
command lines, probe headers, config file formats, annotations and Helm value files, RBAC grants that hand out
pods or nodes, and TargetGroupBindings that reach past the edge."""

from __future__ import annotations

import base64
from typing import Any

from tests.policies.conftest import resource
from tests.policies.fixtures import APP_NS, EDGE_LABELS, EDGE_NS, app_stack, service, slot_labels
from tests.policies.kubernetes.model import Fixture, bad, blue, good, one

C = "spec.template.spec.containers.0"
PRIVILEGED = blue(C + ".securityContext.privileged", True)["spec"]["template"]
APP_CONTAINER = PRIVILEGED["spec"]["containers"][0]
META = {"name": "x", "namespace": "app"}
CR = "kubernetes:example.com/v1:Widget"


def cm(data: dict[str, str], *, section: str = "data", annotations: dict[str, str] | None = None) -> list[dict[str, Any]]:
    return one("kubernetes:core/v1:ConfigMap", {"metadata": {**META, **({"annotations": annotations} if annotations else {})},
                                                section: data})


def with_env(value: Any, name: str) -> list[dict[str, Any]]:
    props = blue(C + ".env", [{"name": name, "value": value}])
    return app_stack(**{"app-blue": resource("kubernetes:apps/v1:Deployment", "app-blue", props)})


def with_path(path: str, value: Any) -> list[dict[str, Any]]:
    return app_stack(**{"app-blue": resource("kubernetes:apps/v1:Deployment", "app-blue", blue(path, value))})


def role(rules: list[dict[str, Any]], **extra: Any) -> list[dict[str, Any]]:
    return one("kubernetes:rbac.authorization.k8s.io/v1:ClusterRole", {"metadata": {"name": "op"}, "rules": rules, **extra})


def binding(subjects: list[dict[str, Any]], role_name: str = "view-x") -> list[dict[str, Any]]:
    return one("kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding", {
        "metadata": {"name": "b"}, "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole",
                                               "name": role_name}, "subjects": subjects})


def in_list(type_: str, item: dict[str, Any]) -> list[dict[str, Any]]:
    return [*app_stack(), resource(type_, "subject", {"items": [item]})]


def in_group(obj: dict[str, Any]) -> list[dict[str, Any]]:
    return [*app_stack(), resource("kubernetes:yaml/v2:ConfigGroup", "subject", {"objs": [obj]})]


def beside(type_: str, props: dict[str, Any]) -> list[dict[str, Any]]:
    """The compliant app stack and one more resource, `subject`."""
    return [*app_stack(), resource(type_, "subject", props)]


def tgb(service_name: str, namespace: str = "app") -> dict[str, Any]:
    return resource("kubernetes:elbv2.k8s.aws/v1beta1:TargetGroupBinding", "subject", {
        "metadata": {"name": "front", "namespace": namespace},
        "spec": {"targetGroupARN": "arn:aws:elasticloadbalancing:eu-west-3:123456789012:targetgroup/x/1",
                 "serviceRef": {"name": service_name, "port": 80}}})


OPEN_POLICY = {"metadata": {"name": "open", "namespace": "app"},
               "spec": {"podSelector": {}, "policyTypes": ["Ingress"], "ingress": [{}]}}
PUBLIC_SERVICE = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "pub", "namespace": "app"},
                  "spec": {"type": "LoadBalancer", "selector": {"app": "x"}, "ports": [{"port": 80}]}}
PLAIN_INGRESS = {"metadata": {"name": "ing", "namespace": "app"}, "spec": {"rules": [{"host": "a.example.com", "http": {
    "paths": [{"path": "/", "pathType": "Prefix", "backend": {"service": {"name": "app-live", "port": {"number": 80}}}}]}}]}}
OPENSSH = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3Bl\n-----END OPENSSH PRIVATE KEY-----\n"


def helm_file(text: str) -> list[dict[str, Any]]:
    # A string asset as the engine records it: the asset signature and its text.
    return one("kubernetes:helm.sh/v3:Release", {"chart": "x", "version": "1.2.3", "namespace": "app", "valueYamlFiles": [
        {"4dabf18193072939515e22adb298388d": "c44067f5952c0a294b673a41bacd8c17", "text": text}]})


FIXTURES: list[Fixture] = [
    # --- where pods and containers hide ---
    bad("k8s-no-privileged", one("kubernetes:elasticsearch.k8s.elastic.co/v1:Elasticsearch", {
        "metadata": META, "spec": {"nodeSets": [{"name": "d", "count": 3, "podTemplate": {"spec": PRIVILEGED["spec"]}}]}}),
        "subject", "spec.nodeSets[0].podTemplate.spec.containers[0]) sets securityContext.privileged: true",
        "spelling-pod-template-key"),
    bad("k8s-no-privileged", one(CR, {"metadata": META, "spec": {"pod": {"spec": PRIVILEGED["spec"]}}}),
        "subject", "spec.pod.spec.containers[0]", "spelling-pod-spec-under-any-key"),
    bad("k8s-no-privileged", one(CR, {"metadata": META, "spec": {"a": {"b": {"c": {"d": {"e": {"f": {"g": {"h": {
        "i": {"template": PRIVILEGED}}}}}}}}}}}), "subject", "spec.a.b.c.d.e.f.g.h.i.template.spec.containers[0]",
        "spelling-deep-template"),
    bad("k8s-no-privileged", one("kubernetes:argoproj.io/v1alpha1:Workflow", {"metadata": META, "spec": {
        "templates": [{"name": "main", "container": APP_CONTAINER}]}}), "subject",
        "container 'app' (spec.templates[0].container) sets securityContext.privileged: true", "spelling-argo-container"),
    bad("k8s-no-privileged", one("kubernetes:argoproj.io/v1alpha1:Workflow", {"metadata": META, "spec": {
        "templates": [{"name": "main", "script": {**APP_CONTAINER, "source": "echo"}}]}}), "subject",
        "(spec.templates[0].script)", "spelling-argo-script"),
    bad("k8s-no-privileged", one("kubernetes:tekton.dev/v1:Task", {"metadata": META, "spec": {"steps": [APP_CONTAINER]}}),
        "subject", "(spec.steps[0]) sets securityContext.privileged", "spelling-tekton-steps"),
    bad("k8s-no-privileged", one("kubernetes:sparkoperator.k8s.io/v1beta2:SparkApplication", {"metadata": META, "spec": {
        "driver": {"cores": 1, "securityContext": {"privileged": True}}}}), "subject", "(spec.driver) sets",
        "spelling-spark-driver"),
    bad("k8s-no-privileged", beside("kubernetes:yaml/v2:ConfigGroup", {"objs": [{"apiVersion": "v1", "kind": "List", "items": [
        {"apiVersion": "v1", "kind": "Pod", "metadata": META, "spec": PRIVILEGED["spec"]}]}]}),
        "subject", "objs[0].items[0].spec.containers[0]", "spelling-list-inside-configgroup"),
    good("k8s-no-privileged", one("kubernetes:argoproj.io/v1alpha1:Workflow", {"metadata": META, "spec": {
        "templates": [{"name": "main", "container": {"name": "c", "image": "busybox:1.36.1", "command": ["true"]}}]}}),
        "spelling-argo-container-good"),
    # an operator's container runs the operator's image as that image's user: only root is judged there
    good("k8s-run-as-non-root", one("kubernetes:redis.redis.opstreelabs.in/v1beta2:RedisCluster", {"metadata": META, "spec": {
        "redisExporter": {"image": "quay.io/opstree/redis-exporter:v1.44.0", "securityContext": {
            "runAsUser": 1000, "runAsNonRoot": True, "allowPrivilegeEscalation": False}}}}),
        "spelling-operator-fragment-uid"),
    bad("k8s-run-as-non-root", one("kubernetes:redis.redis.opstreelabs.in/v1beta2:RedisCluster", {"metadata": META, "spec": {
        "redisExporter": {"image": "quay.io/opstree/redis-exporter:v1.44.0", "securityContext": {
            "runAsUser": 0, "allowPrivilegeEscalation": False}}}}), "subject",
        "(spec.redisExporter) runs as UID 0", "spelling-operator-fragment-root"),
    bad("k8s-image-pinned", with_path(C + ".image", "ghcr.io/acme/orchestrator:1.2.3-SNAPSHOT"), "app-blue",
        "'1.2.3-SNAPSHOT' (ghcr.io/acme/orchestrator:1.2.3-SNAPSHOT): a 'snapshot' build", "spelling-snapshot-tag"),
    good("k8s-image-pinned", with_path(C + ".image", "ghcr.io/acme/orchestrator:1.2.3-alpine"), "spelling-alpine-tag"),
    # --- objects inside Lists and ConfigGroups, judged by the stack rules ---
    bad("k8s-network-policy-no-allow-all", in_list("kubernetes:networking.k8s.io/v1:NetworkPolicyList", OPEN_POLICY),
        "subject", "spec.ingress[0] allows no `from` peers", "spelling-netpol-in-list"),
    bad("k8s-network-policy-no-allow-all", in_group({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                                                     **OPEN_POLICY}), "subject", "spec.ingress[0] allows",
        "spelling-netpol-in-configgroup"),
    bad("k8s-network-policy-no-allow-all", beside("kubernetes:extensions/v1beta1:NetworkPolicy", OPEN_POLICY), "subject",
        "spec.ingress[0] allows", "spelling-netpol-extensions"),
    bad("k8s-network-policy-no-allow-all", beside("kubernetes:networking.k8s.io/v1:NetworkPolicy", {
        "metadata": {"name": "ns", "namespace": "app"}, "spec": {"podSelector": {}, "ingress": [{"from": [
            {"namespaceSelector": {"matchExpressions": [{"key": "team", "operator": "DoesNotExist"}]}}]}]}}),
        "subject", "a namespaceSelector matching every namespace (only Exists on built-in labels, NotIn or DoesNotExist)",
        "spelling-netpol-exclusion-selector"),
    bad("k8s-no-public-service", in_group(PUBLIC_SERVICE), "subject", "LoadBalancer Service (spec.type: LoadBalancer) "
        "exposes pods other than the edge proxy", "spelling-service-in-configgroup"),
    bad("k8s-no-public-service", in_list("kubernetes:core/v1:ServiceList", PUBLIC_SERVICE), "subject",
        "(spec.type: LoadBalancer)", "spelling-service-in-list"),
    bad("k8s-ingress-tls", in_list("kubernetes:networking.k8s.io/v1:IngressList", PLAIN_INGRESS), "subject",
        "the Ingress has no spec.tls", "spelling-ingress-in-list"),
    bad("k8s-ingress-tls", one("kubernetes:gateway.networking.k8s.io/v1:Gateway", {
        "metadata": {"name": "gw", "namespace": "edge"},
        "spec": {"gatewayClassName": "x", "listeners": [{"name": "t", "port": 9000, "protocol": "TCP"}]}}),
        "subject", "spec.listeners 't' (port 9000, protocol TCP) is plaintext", "spelling-gateway-tcp"),
    bad("k8s-pdb-sane", app_stack(**{"pdb-blue": resource("kubernetes:policy/v1beta1:PodDisruptionBudget", "app-blue", {
        "metadata": {"name": "app-blue", "namespace": APP_NS},
        "spec": {"selector": {"matchLabels": slot_labels("blue")}, "maxUnavailable": 0}})}), "app-blue",
        "maxUnavailable", "spelling-pdb-v1beta1"),
    # --- TargetGroupBindings: the cloud load balancer may only reach the edge ---
    bad("k8s-no-public-service", [*app_stack(), tgb("app-live")], "subject",
        "spec.serviceRef names Service app/app-live, which exposes pods other than the edge proxy",
        "spelling-tgb-to-app"),
    bad("k8s-no-public-service", [*app_stack(), tgb("nowhere")], "subject",
        "spec.serviceRef names Service app/nowhere, which the stack does not declare", "spelling-tgb-dangling"),
    good("k8s-no-public-service", [*app_stack(**{"svc-edge": service("haproxy", EDGE_NS, EDGE_LABELS, target=8443)}),
                                   tgb("haproxy", EDGE_NS)], "spelling-tgb-to-edge"),
    # --- credentials in command lines, handlers and headers ---
    bad("k8s-no-literal-secret-env", with_path(C + ".args", ["sh", "-c", "PGPASSWORD=hunter2 psql -h db"]), "app-blue",
        "args[2] passes a literal value for 'PGPASSWORD'", "spelling-shell-assignment"),
    bad("k8s-no-literal-secret-env", with_path(C + ".args", ["curl", "-u", "admin:hunter2", "http://x"]), "app-blue",
        "args[1] passes -u user:password", "spelling-curl-user"),
    bad("k8s-no-literal-secret-env", with_path(C + ".args", ["curl", "-H", "Authorization: Bearer abc123def", "x"]),
        "app-blue", "args[2] passes a literal value for 'Authorization'", "spelling-header-arg"),
    bad("k8s-no-literal-secret-env", with_path(C + ".livenessProbe.httpGet.httpHeaders", [
        {"name": "Authorization", "value": "Basic YWRtaW46aHVudGVyMg=="}]), "app-blue",
        "livenessProbe.httpGet.httpHeaders[0] Authorization is a literal credential", "spelling-probe-header"),
    bad("k8s-no-literal-secret-env", with_path(C + ".lifecycle", {"postStart": {"exec": {"command": [
        "sh", "-c", "login --password=hunter2"]}}}), "app-blue",
        "lifecycle.postStart.exec.command[2] passes a literal value for 'password'", "spelling-lifecycle-command"),
    bad("k8s-no-literal-secret-env", with_env("jdbc:postgresql://db/app?user=a&password=hunter2", "JDBC_URL"), "app-blue",
        "JDBC_URL holds a literal value for 'password'", "spelling-query-password"),
    bad("k8s-no-literal-secret-env", with_env(
        'org.apache.kafka.common.security.plain.PlainLoginModule required username="u" password="p4ss";',
        "SASL_JAAS_CONFIG"), "app-blue", "SASL_JAAS_CONFIG holds a literal value for 'password'", "spelling-jaas"),
    good("k8s-no-literal-secret-env", with_path(C + ".args", ["--listen=:8080", "--config", "/etc/app/config.yaml",
                                                             "--password-file=/run/secrets/db"]), "spelling-args-good"),
    # --- config file formats in ConfigMaps ---
    bad("k8s-configmap-no-secrets", cm({".npmrc": "//registry.npmjs.org/:_authToken=npm_abcdef123456\n"}), "subject",
        "data..npmrc contains a literal value for '_authToken'", "spelling-npmrc"),
    bad("k8s-configmap-no-secrets", cm({".pgpass": "db:5432:app:app:hunter2\n"}), "subject",
        "contains a .pgpass password", "spelling-pgpass"),
    bad("k8s-configmap-no-secrets", cm({".netrc": "machine github.com login u password hunter2\n"}), "subject",
        "contains a .netrc password", "spelling-netrc"),
    bad("k8s-configmap-no-secrets", cm({"settings.xml": "<settings><servers><server><id>x</id><password>hunter2</password>"
                                                        "</server></servers></settings>"}), "subject",
        "contains a literal <password> element", "spelling-xml"),
    bad("k8s-configmap-no-secrets", cm({"k.ppk": "PuTTY-User-Key-File-2: ssh-rsa\nEncryption: none\nPrivate-Lines: 1\nAAAA\n"}),
        "subject", "contains a PuTTY private key", "spelling-putty"),
    bad("k8s-configmap-no-secrets", cm({"a": "b"}, annotations={"db-password": "hunter2"}), "subject",
        "metadata.annotations.db-password holds a literal value", "spelling-annotation"),
    bad("k8s-configmap-no-secrets", cm({"a": "b"}, annotations={
        "kubectl.kubernetes.io/last-applied-configuration": '{"kind": "Secret", "stringData": {"password": "hunter2"}}'}),
        "subject", "last-applied-configuration contains a literal value", "spelling-last-applied"),
    bad("k8s-configmap-no-secrets", cm({"id_rsa": base64.b64encode(OPENSSH.encode()).decode()}, section="binaryData"),
        "subject", "binaryData.id_rsa contains a private key", "spelling-binary-openssh"),
    good("k8s-configmap-no-secrets", cm({"app.properties": "db.url=jdbc:postgresql://db/app?user=a&password=${DB_PASSWORD}\n",
                                         "nginx.conf": "auth_basic_user_file /etc/nginx/htpasswd;\n"},
                                        annotations={"checksum/config": "0f3c9a"}), "spelling-configmap-good"),
    # --- Helm value files given as string assets ---
    bad("k8s-helm-release-values", helm_file("grafana:\n  adminPassword: hunter2\n"), "subject",
        "valueYamlFiles[0].grafana.adminPassword is a literal credential", "spelling-helm-value-file"),
    bad("k8s-helm-release-values", helm_file("service:\n  type: LoadBalancer\n"), "subject",
        "valueYamlFiles[0].service.type is LoadBalancer", "spelling-helm-value-file-service"),
    good("k8s-opaque-content", helm_file("replicaCount: 3\n"), "spelling-helm-value-text-read"),
    bad("k8s-opaque-content", one("kubernetes:helm.sh/v3:Release", {"chart": "x", "version": "1.2.3", "valueYamlFiles": [
        {"4dabf18193072939515e22adb298388d": "c44067f5952c0a294b673a41bacd8c17", "path": "values.yaml"}]}), "subject",
        "valueYamlFiles (1 file(s)) the pack cannot read", "spelling-helm-value-file-path"),
    # --- RBAC ---
    bad("k8s-rbac-least-privilege", role([{"apiGroups": [""], "resources": ["pods/portforward"], "verbs": ["create"]}]),
        "subject", "grants create on pods/portforward", "spelling-rbac-portforward"),
    bad("k8s-rbac-least-privilege", role([{"apiGroups": ["apps"], "resources": ["daemonsets"], "verbs": ["create"]}]),
        "subject", "grants create on daemonsets (it creates pods", "spelling-rbac-workload-create"),
    bad("k8s-rbac-least-privilege", role([{"apiGroups": [""], "resources": ["persistentvolumes"], "verbs": ["create"]}]),
        "subject", "grants create on persistentvolumes", "spelling-rbac-pv"),
    bad("k8s-rbac-least-privilege", role([{"apiGroups": ["certificates.k8s.io"], "resources": ["signers"],
                                           "verbs": ["approve"]}]), "subject",
        "verbs grants approve (privilege escalation) on signers", "spelling-rbac-approve-signers"),
    good("k8s-rbac-least-privilege", role([{"apiGroups": ["example.com"], "resources": ["nodes"], "verbs": ["patch"]}]),
         "spelling-rbac-custom-nodes"),
    bad("k8s-rbac-least-privilege", role([], aggregationRule={"clusterRoleSelectors": [
        {"matchLabels": {"rbac.authorization.k8s.io/aggregate-to-admin": "true"}}]}), "subject",
        "aggregationRule.clusterRoleSelectors[0] collects every role labelled rbac.authorization.k8s.io/aggregate-to-admin",
        "spelling-rbac-aggregate-admin"),
    bad("k8s-rbac-least-privilege", binding([{"kind": "Group", "name": "system:serviceaccounts:kube-system"}]), "subject",
        "subjects[0] is the group system:serviceaccounts:kube-system", "spelling-rbac-sa-group"),
    bad("k8s-rbac-least-privilege", binding([{"kind": "ServiceAccount", "name": "default", "namespace": "app"}]),
        "subject", "subjects[0] is the 'default' ServiceAccount of app", "spelling-rbac-default-sa"),
    bad("k8s-rbac-least-privilege", binding([{"kind": "ServiceAccount", "name": "op", "namespace": "app"}],
                                            "system:controller:clusterrole-aggregation-controller"), "subject",
        "binds the control plane's ClusterRole 'system:controller:clusterrole-aggregation-controller'",
        "spelling-rbac-controller-role"),
]
