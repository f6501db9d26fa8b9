"""Mutation operators for spellings the Kubernetes rules learned late: the shipped application's pod (or one of
its containers) carried by a custom resource under a `podTemplate`, as an Argo/Tekton/Spark container fragment,
or deep in a spec; Services, Ingresses and NetworkPolicies inside Lists and ConfigGroups; credentials inside
command lines, probe headers, lifecycle hooks, config file formats and annotations; RBAC
grants that hand out pods, nodes or a controller's powers; the cloud load balancer's TargetGroupBinding moved
off the edge."""

from __future__ import annotations

import base64
import copy
from collections.abc import Callable
from typing import Any

from tests.policies.mutants.model import Export, Mutation, add_resource, first, set_input

DEPLOYMENT = "kubernetes:apps/v1:Deployment"
CONFIGMAP = "kubernetes:core/v1:ConfigMap"
TGB = "kubernetes:elbv2.k8s.aws/v1beta1:TargetGroupBinding"
NETPOL = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
CLUSTER_ROLE = "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole"
CLUSTER_ROLE_BINDING = "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding"
POD = ("spec", "template", "spec")
MAIN = (*POD, "containers", 0)
META = {"name": "round4", "namespace": "orchestrator"}

Apply = Callable[[Export], str]


def _app(export: Export) -> dict[str, Any]:
    return first(export, DEPLOYMENT, "app-blue")


def _privileged_template(export: Export) -> dict[str, Any]:
    template = copy.deepcopy(_app(export)["inputs"]["spec"]["template"])
    template["spec"]["containers"][0]["securityContext"]["privileged"] = True
    return template


def _privileged_container(export: Export) -> dict[str, Any]:
    return _privileged_template(export)["spec"]["containers"][0]  # type: ignore[no-any-return]


def _custom(type_: str, name: str, spec: Callable[[Export], dict[str, Any]]) -> Apply:
    return lambda export: add_resource(export, type_, name, {"metadata": dict(META), "spec": spec(export)})


def _app_path(path: tuple[str | int, ...], value: Any) -> Apply:
    return lambda export: set_input(_app(export), path, copy.deepcopy(value))


def _configmap(data: dict[str, str], section: str = "data", annotations: dict[str, str] | None = None) -> Apply:
    metadata = {**META, **({"annotations": annotations} if annotations else {})}
    return lambda export: add_resource(export, CONFIGMAP, "round4-config", {"metadata": metadata, section: dict(data)})


def _added(type_: str, name: str, inputs: dict[str, Any]) -> Apply:
    return lambda export: add_resource(export, type_, name, copy.deepcopy(inputs))


OPEN_POLICY = {"metadata": {"name": "round4-open", "namespace": "orchestrator"},
               "spec": {"podSelector": {}, "policyTypes": ["Ingress"], "ingress": [{}]}}
PUBLIC_SERVICE = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "round4-pub", "namespace": "orchestrator"},
                  "spec": {"type": "LoadBalancer", "selector": {"app": "x"}, "ports": [{"port": 80}]}}
PLAIN_INGRESS = {"metadata": {"name": "round4", "namespace": "orchestrator"}, "spec": {"rules": [{
    "host": "a.example.com", "http": {"paths": [{"path": "/", "pathType": "Prefix", "backend": {
        "service": {"name": "app-live", "port": {"number": 80}}}}]}}]}}
OPENSSH = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3Bl\n-----END OPENSSH PRIVATE KEY-----\n"


def _exclusion_selector(export: Export) -> str:
    policy = first(export, NETPOL, "allow-ingress")
    return set_input(policy, ("spec", "ingress"), [{"from": [{"namespaceSelector": {"matchExpressions": [
        {"key": "team", "operator": "NotIn", "values": ["blocked"]}]}}]}])


def _old_budget(export: Export) -> str:
    """A policy/v1beta1 PodDisruptionBudget over the blue slot's pods that allows no disruption."""
    shipped = first(export, "kubernetes:policy/v1:PodDisruptionBudget", "app-blue")["inputs"]
    return add_resource(export, "kubernetes:policy/v1beta1:PodDisruptionBudget", "round4-budget", {
        "metadata": {"name": "round4-budget", "namespace": shipped["metadata"]["namespace"]},
        "spec": {"selector": copy.deepcopy(shipped["spec"]["selector"]), "maxUnavailable": 0}})


def _tgb_to_service(resource_name: str) -> Apply:
    """Points the front door's TargetGroupBinding at the stack's Service resource `resource_name`."""
    def apply(export: Export) -> str:
        binding = first(export, TGB)
        metadata = first(export, "kubernetes:core/v1:Service", resource_name)["inputs"]["metadata"]
        set_input(binding, ("metadata", "namespace"), metadata["namespace"])
        return set_input(binding, ("spec", "serviceRef", "name"), metadata["name"])
    return apply


def _tgb_to(service: str) -> Apply:
    return lambda export: set_input(first(export, TGB), ("spec", "serviceRef", "name"), service)


AWS = ("production", "staging")

OPERATORS: list[Mutation] = [
    # --- pods and containers wherever a kind keeps them ---
    Mutation("k8s-no-privileged-round4-pod-template-key", "k8s-no-privileged", _custom(
        "kubernetes:elasticsearch.k8s.elastic.co/v1:Elasticsearch", "round4-es",
        lambda e: {"nodeSets": [{"name": "d", "count": 3, "podTemplate": {"spec": _privileged_template(e)["spec"]}}]}),
        message="spec.nodeSets[0].podTemplate.spec.containers[0]) sets securityContext.privileged: true"),
    Mutation("k8s-no-privileged-round4-deep-template", "k8s-no-privileged", _custom(
        "kubernetes:example.com/v1:Deep", "round4-deep",
        lambda e: {"a": {"b": {"c": {"d": {"e": {"f": {"g": {"h": {"i": {"template": _privileged_template(e)}}}}}}}}}}),
        message="spec.a.b.c.d.e.f.g.h.i.template.spec.containers[0]"),
    Mutation("k8s-no-privileged-round4-argo-container", "k8s-no-privileged", _custom(
        "kubernetes:argoproj.io/v1alpha1:Workflow", "round4-wf",
        lambda e: {"templates": [{"name": "main", "container": _privileged_container(e)}]}),
        message="(spec.templates[0].container) sets securityContext.privileged: true"),
    Mutation("k8s-no-privileged-round4-argo-cron-script", "k8s-no-privileged", _custom(
        "kubernetes:argoproj.io/v1alpha1:CronWorkflow", "round4-cwf",
        lambda e: {"schedule": "@daily", "workflowSpec": {"templates": [
            {"name": "main", "script": {**_privileged_container(e), "source": "echo"}}]}}),
        message="(spec.workflowSpec.templates[0].script)"),
    Mutation("k8s-no-privileged-round4-tekton-sidecar", "k8s-no-privileged", _custom(
        "kubernetes:tekton.dev/v1:Task", "round4-task",
        lambda e: {"steps": [{"name": "s", "image": "busybox:1.36.1"}], "sidecars": [_privileged_container(e)]}),
        message="(spec.sidecars[0]) sets securityContext.privileged"),
    Mutation("k8s-no-privileged-round4-spark-driver", "k8s-no-privileged", _custom(
        "kubernetes:sparkoperator.k8s.io/v1beta2:SparkApplication", "round4-spark",
        lambda e: {"driver": {"cores": 1, "securityContext": {"privileged": True}}}), message="(spec.driver) sets"),
    Mutation("k8s-run-as-non-root-round4-operator-root", "k8s-run-as-non-root", _custom(
        "kubernetes:redis.redis.opstreelabs.in/v1beta2:RedisCluster", "round4-redis",
        lambda e: {"redisExporter": {"image": "quay.io/opstree/redis-exporter:v1.44.0",
                                     "securityContext": {"runAsUser": 0}}}),
        message="(spec.redisExporter) runs as UID 0"),
    Mutation("k8s-image-pinned-round4-snapshot-tag", "k8s-image-pinned",
             _app_path((*MAIN, "image"), "ghcr.io/acme/orchestrator:1.2.3-SNAPSHOT"), message="a 'snapshot' build"),
    # --- objects inside Lists and ConfigGroups ---
    Mutation("k8s-network-policy-no-allow-all-round4-list", "k8s-network-policy-no-allow-all", _added(
        "kubernetes:networking.k8s.io/v1:NetworkPolicyList", "round4-policies", {"items": [OPEN_POLICY]}),
        message="spec.ingress[0] allows no `from` peers"),
    Mutation("k8s-network-policy-no-allow-all-round4-configgroup", "k8s-network-policy-no-allow-all", _added(
        "kubernetes:yaml/v2:ConfigGroup", "round4-group", {"objs": [
            {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", **OPEN_POLICY}]}),
        message="spec.ingress[0] allows"),
    Mutation("k8s-network-policy-no-allow-all-round4-extensions", "k8s-network-policy-no-allow-all", _added(
        "kubernetes:extensions/v1beta1:NetworkPolicy", "round4-old", OPEN_POLICY), message="spec.ingress[0] allows"),
    Mutation("k8s-network-policy-no-allow-all-round4-notin", "k8s-network-policy-no-allow-all", _exclusion_selector,
             message="a namespaceSelector matching every namespace"),
    Mutation("k8s-no-public-service-round4-configgroup", "k8s-no-public-service", _added(
        "kubernetes:yaml/v2:ConfigGroup", "round4-svc", {"yaml": [
            "apiVersion: v1\nkind: Service\nmetadata: {name: round4-pub, namespace: orchestrator}\n"
            "spec: {type: NodePort, selector: {app: x}, ports: [{port: 80}]}\n"]}),
        message="(spec.type: NodePort) exposes pods other than the edge proxy"),
    Mutation("k8s-no-public-service-round4-list", "k8s-no-public-service", _added(
        "kubernetes:core/v1:ServiceList", "round4-svcs", {"items": [PUBLIC_SERVICE]}), message="(spec.type: LoadBalancer)"),
    Mutation("k8s-ingress-tls-round4-list", "k8s-ingress-tls", _added(
        "kubernetes:networking.k8s.io/v1:IngressList", "round4-ing", {"items": [PLAIN_INGRESS]}),
        message="the Ingress has no spec.tls"),
    Mutation("k8s-pdb-sane-round4-v1beta1", "k8s-pdb-sane", _old_budget, message="maxUnavailable"),
    # --- the front door's target group ---
    Mutation("k8s-no-public-service-round4-tgb-to-app", "k8s-no-public-service", _tgb_to_service("app-live"),
             stacks=AWS, message="orchestrator-live, which exposes pods other than the edge proxy"),
    Mutation("k8s-no-public-service-round4-tgb-dangling", "k8s-no-public-service", _tgb_to("nowhere"),
             stacks=AWS, message="which the stack does not declare"),
    # --- credentials ---
    Mutation("k8s-no-literal-secret-env-round4-shell", "k8s-no-literal-secret-env",
             _app_path((*MAIN, "args"), ["sh", "-c", "PGPASSWORD=hunter2 psql -h db"]),
             message="passes a literal value for 'PGPASSWORD'"),
    Mutation("k8s-no-literal-secret-env-round4-curl-user", "k8s-no-literal-secret-env",
             _app_path((*MAIN, "command"), ["curl", "-u", "admin:hunter2", "http://x"]), message="-u user:password"),
    Mutation("k8s-no-literal-secret-env-round4-probe-header", "k8s-no-literal-secret-env",
             _app_path((*MAIN, "readinessProbe", "httpGet", "httpHeaders"),
                       [{"name": "Authorization", "value": "Basic YWRtaW46aHVudGVyMg=="}]),
             message="readinessProbe.httpGet.httpHeaders[0] Authorization is a literal credential"),
    Mutation("k8s-no-literal-secret-env-round4-prestop", "k8s-no-literal-secret-env",
             _app_path((*MAIN, "lifecycle"), {"preStop": {"exec": {"command": ["sh", "-c", "logout --token=abc123"]}}}),
             message="lifecycle.preStop.exec.command[2] passes a literal value for 'token'"),
    Mutation("k8s-configmap-no-secrets-round4-npmrc", "k8s-configmap-no-secrets",
             _configmap({".npmrc": "//registry.npmjs.org/:_authToken=npm_abcdef123456\n"}),
             message="a literal value for '_authToken'"),
    Mutation("k8s-configmap-no-secrets-round4-pgpass", "k8s-configmap-no-secrets",
             _configmap({"pgpass": "db:5432:app:app:hunter2\n"}), message="a .pgpass password"),
    Mutation("k8s-configmap-no-secrets-round4-xml", "k8s-configmap-no-secrets",
             _configmap({"settings.xml": "<server><id>x</id><password>hunter2</password></server>"}),
             message="a literal <password> element"),
    Mutation("k8s-configmap-no-secrets-round4-annotation", "k8s-configmap-no-secrets",
             _configmap({"a": "b"}, annotations={"db-password": "hunter2"}),
             message="metadata.annotations.db-password holds a literal value"),
    Mutation("k8s-configmap-no-secrets-round4-binary-openssh", "k8s-configmap-no-secrets",
             _configmap({"id_rsa": base64.b64encode(OPENSSH.encode()).decode()}, section="binaryData"),
             message="binaryData.id_rsa contains a private key"),
    Mutation("k8s-opaque-content-round4-value-file-path", "k8s-opaque-content",
             lambda export: set_input(first(export, "kubernetes:helm.sh/v3:Release"), ("valueYamlFiles",),
                                      ["values-production.yaml"]),
             message="valueYamlFiles (1 file(s)) the pack cannot read"),
    # --- RBAC ---
    Mutation("k8s-rbac-least-privilege-round4-workload-create", "k8s-rbac-least-privilege", _added(
        CLUSTER_ROLE, "round4-role", {"metadata": {"name": "round4"}, "rules": [
            {"apiGroups": ["apps"], "resources": ["daemonsets"], "verbs": ["create"]}]}),
        message="grants create on daemonsets"),
    Mutation("k8s-rbac-least-privilege-round4-approve-signers", "k8s-rbac-least-privilege", _added(
        CLUSTER_ROLE, "round4-signer", {"metadata": {"name": "round4-signer"}, "rules": [
            {"apiGroups": ["certificates.k8s.io"], "resources": ["signers"], "verbs": ["approve"]}]}),
        message="grants approve (privilege escalation) on signers"),
    Mutation("k8s-rbac-least-privilege-round4-aggregate-admin", "k8s-rbac-least-privilege", _added(
        CLUSTER_ROLE, "round4-agg", {"metadata": {"name": "round4-agg"}, "rules": [], "aggregationRule": {
            "clusterRoleSelectors": [{"matchLabels": {"rbac.authorization.k8s.io/aggregate-to-admin": "true"}}]}}),
        message="collects every role labelled rbac.authorization.k8s.io/aggregate-to-admin"),
    Mutation("k8s-rbac-least-privilege-round4-default-sa", "k8s-rbac-least-privilege", _added(
        CLUSTER_ROLE_BINDING, "round4-bind", {"metadata": {"name": "round4"}, "roleRef": {
            "apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "view"},
            "subjects": [{"kind": "ServiceAccount", "name": "default", "namespace": "orchestrator"}]}),
        message="the 'default' ServiceAccount"),
]
