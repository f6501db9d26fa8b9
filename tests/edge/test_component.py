"""EdgeProxy under the mocks: the declared ConfigMap, Deployment, Services, TLS and policies follow the config."""

from __future__ import annotations

import hashlib
import re
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import pytest

from components.config import CANARY_WEIGHTS
from components.edge import haproxy
from components.edge.contract import EDGE_NAMESPACE, EDGE_POD_LABELS
from offline.runner.export import is_secret
from offline.runner.mocks import Registration
from offline.runner.program import ProgramResult, run_program
from offline.runner.stacks import StackSpec
from tests.helpers import find, one, plain, run_stack

CONFIG_MAP = "kubernetes:core/v1:ConfigMap"
DEPLOYMENT = "kubernetes:apps/v1:Deployment"
SERVICE = "kubernetes:core/v1:Service"
SECRET = "kubernetes:core/v1:Secret"
NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
GREEN = "app.slots.green=2.16.0"


def edge_of(result: ProgramResult, type_: str, name: str | None = None) -> Registration:
    matches = [r for r in find(result, type_, name) if "orchestrator:edge:EdgeProxy$" in r.urn]
    assert len(matches) == 1, [m.name for m in matches]
    return matches[0]


def haproxy_config(result: ProgramResult) -> str:
    config_map = edge_of(result, CONFIG_MAP)
    assert plain(config_map.inputs["metadata"]["labels"])["app.kubernetes.io/name"] == "haproxy"
    return str(config_map.inputs["data"]["haproxy.cfg"])


def server_weights(text: str) -> dict[str, tuple[str, int]]:
    return {
        m.group(1): (m.group(2), int(m.group(3)))
        for m in re.finditer(r"^\s*server (\S+) (\S+) weight (\d+)$", text, flags=re.MULTILINE)
    }


def pod_spec(result: ProgramResult) -> dict[str, Any]:
    return dict(plain(edge_of(result, DEPLOYMENT).inputs["spec"]["template"]["spec"]))


# --- the ConfigMap follows the config ------------------------------------------------------------


@pytest.mark.parametrize("canary", CANARY_WEIGHTS)
def test_weights_follow_each_canary_step(canary: int) -> None:
    text = haproxy_config(run_stack("local", GREEN, f"app.canaryWeight={canary}"))
    assert server_weights(text) == {
        "blue": ("orchestrator-blue.orchestrator.svc.cluster.local:80", 100 - canary),
        "green": ("orchestrator-green.orchestrator.svc.cluster.local:80", canary),
    }


def test_weights_follow_the_active_slot() -> None:
    text = haproxy_config(run_stack("local", GREEN, "app.activeSlot=green", "app.canaryWeight=25"))
    weights = server_weights(text)
    assert (weights["green"][1], weights["blue"][1]) == (75, 25)


def test_health_checks_use_the_readiness_path_and_cluster_dns() -> None:
    text = haproxy_config(run_stack("local", "app.probes.readinessPath=/probe/ready"))
    assert "http-check send meth GET uri /probe/ready ver HTTP/1.1 hdr Host orchestrator.localtest.me" in text
    assert re.search(r"^resolvers cluster\n\s+parse-resolv-conf$", text, flags=re.MULTILINE)
    assert re.search(r"default-server check inter 2s fall 3 rise 2 resolvers cluster ", text)
    # The probe path is protected on the public frontend even though it is not a default prefix.
    assert "probe/ready" in re.search(r"acl protected_path .*", text).group(0)  # type: ignore[union-attr]


def test_config_follows_tls_rate_limit_and_internal_cidrs() -> None:
    result = run_stack(
        "local", "edge.tls.minVersion=TLSv1.3", "edge.rateLimit.requests=42", "edge.rateLimit.windowSeconds=7",
        "edge.internalCidrs[0]=10.9.0.0/16",
    )
    text = haproxy_config(result)
    assert "ssl-default-bind-options ssl-min-ver TLSv1.3 no-tls-tickets" in text
    assert "stick-table type ipv6 size 1m expire 7s store http_req_rate(7s)" in text
    assert "deny deny_status 429 if { sc_http_req_rate(0) gt 42 }" in text
    assert re.search(r"acl internal_client src 10\.9\.0\.0/16 172\.16\.0\.0/12 192\.168\.0\.0/16$", text, flags=re.MULTILINE)
    data = plain(edge_of(result, CONFIG_MAP).inputs["data"])
    assert "Retry-After: 7\r\n" in data["429.http"]


def test_config_map_holds_the_errorfiles_and_no_secret() -> None:
    result = run_stack("local")
    data = plain(edge_of(result, CONFIG_MAP).inputs["data"])
    assert set(data) == {"haproxy.cfg", *(f"{status}.http" for status in haproxy.ERROR_STATUSES)}
    for status in haproxy.ERROR_STATUSES:
        assert f"errorfile {status} {haproxy.ERRORS_DIR}/{status}.http" in data["haproxy.cfg"]
    everything = "\n".join(data.values())
    assert "PRIVATE KEY" not in everything
    assert "$2a$" not in everything  # the admin hash lives in a Secret; the userlist only names its variable
    assert "password" not in everything.replace(f'password "${{{haproxy.ADMIN_HASH_ENV}}}"', "")


def test_checksum_annotation_is_the_sha256_of_the_config_and_changes_with_it() -> None:
    base = run_stack("local", GREEN)
    canary = run_stack("local", GREEN, "app.canaryWeight=10")
    sums = []
    for result in (base, canary):
        digest = hashlib.sha256(haproxy_config(result).encode()).hexdigest()
        annotations = plain(edge_of(result, DEPLOYMENT).inputs["spec"]["template"]["metadata"]["annotations"])
        assert annotations["checksum/haproxy-config"] == digest
        assert plain(result.outputs["edgeConfigChecksum"]) == digest
        sums.append(digest)
    assert sums[0] != sums[1]


# --- the workload --------------------------------------------------------------------------------


def test_deployment_is_hardened() -> None:
    result = run_stack("local")
    deployment = plain(edge_of(result, DEPLOYMENT).inputs)
    assert deployment["metadata"]["namespace"] == EDGE_NAMESPACE
    spec = deployment["spec"]
    assert spec["replicas"] >= 2
    assert spec["strategy"]["rollingUpdate"] == {"maxUnavailable": 0, "maxSurge": 1}
    assert spec["selector"]["matchLabels"] == EDGE_POD_LABELS
    pod = spec["template"]["spec"]
    assert pod["automountServiceAccountToken"] is False
    assert pod["serviceAccountName"] == "haproxy"
    assert pod["securityContext"]["runAsNonRoot"] is True and pod["securityContext"]["runAsUser"] >= 10000
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    spread_keys = {c["topologyKey"] for c in pod["topologySpreadConstraints"]}
    assert spread_keys == {"topology.kubernetes.io/zone", "kubernetes.io/hostname"}
    (container,) = pod["containers"]
    assert container["image"] == "haproxy:3.2.9-alpine"
    security = container["securityContext"]
    assert security["readOnlyRootFilesystem"] is True
    assert security["allowPrivilegeEscalation"] is False
    assert security["capabilities"] == {"drop": ["ALL"]}
    assert security["runAsUser"] >= 10000
    assert set(container["resources"]) == {"requests", "limits"}
    assert set(container["resources"]["limits"]) == {"cpu", "memory"}
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert ports == {"http": haproxy.HTTP_PORT, "https": haproxy.HTTPS_PORT, "metrics": haproxy.METRICS_PORT,
                     "health": haproxy.HEALTH_PORT}
    for probe in ("livenessProbe", "readinessProbe"):
        assert container[probe]["httpGet"] == {"path": haproxy.HEALTH_URI, "port": "health"}
    # One configuration file, all of it in the ConfigMap the policy pack evaluates.
    assert container["command"] == ["haproxy", "-db", "-f", haproxy.CONFIG_FILE]
    assert container["env"] == [{"name": haproxy.ADMIN_HASH_ENV, "valueFrom": {"secretKeyRef": {
        "name": "haproxy-admin", "key": "password-hash"}}}]
    mounts = {m["mountPath"]: m for m in container["volumeMounts"]}
    assert all(mounts[path]["readOnly"] for path in (haproxy.CONFIG_DIR, haproxy.TLS_DIR))


def test_production_spreads_strictly_over_zones() -> None:
    spreads = {c["topologyKey"]: c["whenUnsatisfiable"] for c in pod_spec(run_stack("production"))["topologySpreadConstraints"]}
    assert spreads["topology.kubernetes.io/zone"] == "DoNotSchedule"
    assert pod_spec(run_stack("production"))["containers"][0]["securityContext"]["privileged"] is False


def test_volumes_mount_config_errorfiles_and_certificate() -> None:
    result = run_stack("local")
    volumes = {v["name"]: v for v in pod_spec(result)["volumes"]}
    config_map_name = edge_of(result, CONFIG_MAP).outputs["metadata"]["name"]
    assert volumes["config"]["configMap"]["name"] == config_map_name
    items = {i["key"]: i["path"] for i in volumes["config"]["configMap"]["items"]}
    assert items["haproxy.cfg"] == "haproxy.cfg"
    assert items["503.http"] == "errors/503.http"
    # The key lands where HAProxy looks for a key missing from the certificate file.
    tls_items = {i["key"]: i["path"] for i in volumes["tls"]["secret"]["items"]}
    assert tls_items == {"tls.crt": "site.pem", "tls.key": "site.pem.key"}
    assert f"{haproxy.TLS_DIR}/{tls_items['tls.crt']}" == haproxy.CERT_FILE
    assert set(volumes) == {"config", "tls", "tmp"}  # no Secret holds configuration


def test_pdb_allows_one_disruption() -> None:
    pdb = plain(edge_of(run_stack("local"), "kubernetes:policy/v1:PodDisruptionBudget").inputs["spec"])
    assert pdb == {"maxUnavailable": 1, "selector": {"matchLabels": EDGE_POD_LABELS}}


def test_admin_auth_off_drops_the_userlist() -> None:
    result = run_stack("local", "edge.adminAuth=false")
    assert "http_auth" not in haproxy_config(result)
    assert "userlist" not in haproxy_config(result)
    assert "env" not in pod_spec(result)["containers"][0]
    assert not [r for r in find(result, SECRET, "edge-admin")]


def test_admin_secret_holds_a_hash_as_secret_values() -> None:
    result = run_stack("local")
    secret = edge_of(result, SECRET, "edge-admin")
    # The whole stringData travels as one secret envelope.
    assert is_secret(secret.inputs["stringData"])
    string_data = plain(secret.inputs["stringData"])
    assert set(string_data) == {"username", "password", "password-hash"}
    assert string_data["password-hash"].startswith("$2a$10$")
    config = haproxy_config(result)
    assert f'userlist {haproxy.ADMIN_USERLIST}\n    user admin password "${{{haproxy.ADMIN_HASH_ENV}}}"\n' in config
    assert "$2a$" not in config
    assert "auth realm orchestrator-admin if admin_path !{ http_auth(edge_admins) }" in haproxy_config(result)


# --- Services, namespace, policies ---------------------------------------------------------------


def test_public_service_is_a_local_load_balancer_with_source_ranges() -> None:
    result = run_stack("local", "edge.loadBalancerSourceRanges[0]=203.0.113.0/24")
    service = edge_of(result, SERVICE, "edge-service")
    spec = plain(service.inputs["spec"])
    assert spec["type"] == "LoadBalancer"
    assert spec["externalTrafficPolicy"] == "Local"
    assert spec["loadBalancerSourceRanges"] == ["203.0.113.0/24"]
    assert {(p["name"], p["port"], p["targetPort"]) for p in spec["ports"]} == {("http", 80, "http"), ("https", 443, "https")}
    assert spec["selector"] == EDGE_POD_LABELS
    # The address output is the load balancer's ingress, as the provider reports it.
    ingress = service.outputs["status"]["loadBalancer"]["ingress"][0]["ip"]
    assert plain(result.outputs["edgeAddress"]) == ingress


def test_no_source_ranges_unless_configured() -> None:
    spec = plain(edge_of(run_stack("local"), SERVICE, "edge-service").inputs["spec"])
    assert "loadBalancerSourceRanges" not in spec


def test_metrics_only_on_their_own_cluster_ip_service() -> None:
    result = run_stack("local")
    metrics = plain(edge_of(result, SERVICE, "edge-metrics").inputs)
    assert metrics["metadata"]["name"] == "haproxy-metrics"
    assert metrics["spec"]["type"] == "ClusterIP"
    assert metrics["spec"]["ports"] == [
        {"name": "metrics", "port": haproxy.METRICS_PORT, "targetPort": "metrics", "protocol": "TCP"}
    ]
    public_ports = {p["port"] for p in plain(edge_of(result, SERVICE, "edge-service").inputs["spec"])["ports"]}
    assert haproxy.METRICS_PORT not in public_ports


def test_namespace_is_restricted_with_default_deny() -> None:
    result = run_stack("local")
    namespace = plain(edge_of(result, "kubernetes:core/v1:Namespace").inputs["metadata"])
    assert namespace["name"] == EDGE_NAMESPACE
    assert namespace["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    deny = plain(edge_of(result, NETWORK_POLICY, "edge-default-deny").inputs["spec"])
    assert deny == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}


def test_haproxy_network_policy_opens_exactly_what_it_needs() -> None:
    result = run_stack("local")
    policy = plain(edge_of(result, NETWORK_POLICY, "edge-haproxy").inputs["spec"])
    assert policy["podSelector"] == {"matchLabels": EDGE_POD_LABELS}
    public, metrics = policy["ingress"]  # no front door in front: no health-check rule
    assert {p["port"] for p in public["ports"]} == {haproxy.HTTP_PORT, haproxy.HTTPS_PORT}
    assert "from" not in public  # the Internet, via the load balancer
    assert metrics["from"] == [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}}}]
    assert metrics["ports"] == [{"protocol": "TCP", "port": haproxy.METRICS_PORT}]
    app, dns = policy["egress"]
    assert app["to"][0]["namespaceSelector"] == {"matchLabels": {"kubernetes.io/metadata.name": "orchestrator"}}
    assert app["ports"] == [{"protocol": "TCP", "port": 8080}]  # the app's container port, after DNAT
    assert {p["protocol"] for p in dns["ports"]} == {"UDP", "TCP"}


def test_behind_a_cloud_front_door_only_its_subnets_reach_haproxy() -> None:
    result = run_stack("production")
    spec = plain(edge_of(result, SERVICE, "edge-service").inputs["spec"])
    assert spec["type"] == "ClusterIP" and "externalTrafficPolicy" not in spec
    text = haproxy_config(result)
    from components.edge import aws

    trusted = aws.exposure(_config("production")).trusted_proxy_cidrs
    assert trusted
    assert f"acl from_front_door src {' '.join(trusted)}" in text
    assert "http-request set-src hdr_ip(x-forwarded-for,-1) if from_front_door" in text
    policy = plain(edge_of(result, NETWORK_POLICY, "edge-haproxy").inputs["spec"])
    sources = [peer["ipBlock"]["cidr"] for peer in policy["ingress"][0]["from"]]
    assert sources == [*trusted, "10.40.0.0/16"]


def _config(stack: str) -> Any:
    from tests.edge.live import stack_config

    return stack_config(stack, {})


# --- TLS sources ---------------------------------------------------------------------------------


def test_self_signed_certificate_outside_production() -> None:
    result = run_stack("local")
    cert = edge_of(result, "tls:index/selfSignedCert:SelfSignedCert")
    assert plain(cert.inputs["dnsNames"]) == ["orchestrator.localtest.me"]
    assert "server_auth" in plain(cert.inputs["allowedUses"])
    secret = edge_of(result, SECRET, "edge-tls")
    assert plain(secret.inputs["type"]) == "kubernetes.io/tls"
    assert is_secret(secret.inputs["stringData"])
    assert "PRIVATE KEY-----" in plain(secret.inputs["stringData"])["tls.key"]
    assert {v["name"]: v for v in pod_spec(result)["volumes"]}["tls"]["secret"]["secretName"] == "haproxy-tls"


CERT_MANAGER = ("edge.tls.certificate=cert-manager", "edge.tls.issuer=letsencrypt-production",
                "cluster.preinstalledApiGroups[0]=cert-manager.io")


def test_cert_manager_certificate_when_the_stack_declares_it_preinstalled() -> None:
    result = run_stack("production", *CERT_MANAGER)
    certificate = plain(edge_of(result, "kubernetes:cert-manager.io/v1:Certificate").inputs)
    issuer = {"name": "letsencrypt-production", "kind": "ClusterIssuer", "group": "cert-manager.io"}
    assert certificate["spec"]["issuerRef"] == issuer
    assert certificate["spec"]["dnsNames"] == ["orchestrator.acme.example"]
    assert certificate["spec"]["secretName"] == "haproxy-tls"
    assert certificate["metadata"]["namespace"] == EDGE_NAMESPACE
    assert not [r for r in result.resources if r.type.startswith("tls:") and "orchestrator:edge:" in r.urn]
    deployment = edge_of(result, DEPLOYMENT)
    assert any(urn.endswith("::edge-certificate") for urn in deployment.dependencies)


def test_existing_secret_is_mounted_as_is() -> None:
    result = run_stack("local", "edge.tls.certificate=secret", "edge.tls.secretName=wildcard-tls")
    assert {v["name"]: v for v in pod_spec(result)["volumes"]}["tls"]["secret"]["secretName"] == "wildcard-tls"
    assert not find(result, SECRET, "edge-tls")
    assert not [r for r in result.resources if r.type.startswith("tls:") and "orchestrator:edge:" in r.urn]


# --- the Service emulation the address output relies on -----------------------------------------


def _services_program() -> None:
    lb = k8s.core.v1.Service("lb", spec=k8s.core.v1.ServiceSpecArgs(
        type="LoadBalancer", ports=[k8s.core.v1.ServicePortArgs(port=443)]))
    internal = k8s.core.v1.Service("internal", spec=k8s.core.v1.ServiceSpecArgs(ports=[k8s.core.v1.ServicePortArgs(port=80)]))
    headless = k8s.core.v1.Service("headless", spec=k8s.core.v1.ServiceSpecArgs(
        cluster_ip="None", ports=[k8s.core.v1.ServicePortArgs(port=80)]))
    pulumi.export("lbIngress", lb.status.load_balancer.ingress)
    pulumi.export("internalIp", internal.spec.cluster_ip)
    pulumi.export("headlessIp", headless.spec.cluster_ip)


def test_service_mock_allocates_cluster_ips_node_ports_and_load_balancer_ingress() -> None:
    result = run_program(StackSpec(name="unit", project="orchestrator", config={}), entry=_services_program)
    lb = one(result, SERVICE, "lb").outputs
    assert re.fullmatch(r"10\.96\.\d+\.\d+", lb["spec"]["clusterIP"])
    assert 30000 <= lb["spec"]["ports"][0]["nodePort"] <= 32767
    assert re.fullmatch(r"198\.51\.100\.\d+", lb["status"]["loadBalancer"]["ingress"][0]["ip"])
    internal = one(result, SERVICE, "internal").outputs
    assert internal["spec"]["type"] == "ClusterIP" and internal["status"] == {"loadBalancer": {}}
    assert "nodePort" not in internal["spec"]["ports"][0]
    assert plain(result.outputs["headlessIp"]) == "None"
    assert plain(result.outputs["internalIp"]) == internal["spec"]["clusterIP"]
    assert plain(result.outputs["lbIngress"])[0]["ip"] == lb["status"]["loadBalancer"]["ingress"][0]["ip"]


def test_a_front_door_that_targets_pods_may_health_check_only_the_health_port() -> None:
    result = run_stack("production")
    policy = plain(edge_of(result, NETWORK_POLICY, "edge-haproxy").inputs["spec"])
    _public, metrics, health = policy["ingress"]
    alb_subnets = [peer["ipBlock"]["cidr"] for peer in health["from"]]
    assert health["ports"] == [{"protocol": "TCP", "port": haproxy.HEALTH_PORT}]
    assert alb_subnets and all(cidr.startswith("10.40.") for cidr in alb_subnets)
    assert {p["port"] for p in metrics["ports"]} == {haproxy.METRICS_PORT}
    # The ALB's health checks target that port, never the exporter's.
    target_group = one(result, "aws:lb/targetGroup:TargetGroup", "front-door-haproxy")
    assert plain(target_group.inputs["healthCheck"])["port"] == str(haproxy.HEALTH_PORT)
