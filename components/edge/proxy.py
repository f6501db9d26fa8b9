"""HAProxy in the cluster: namespace, generated config, TLS, hardened Deployment, Services, policies.

The config is rendered by `components.edge.haproxy` from the typed stack config; its sha256 is a
pod-template annotation, so a change rolls the pods. The ConfigMap is auto-named, so the provider
replaces it on a change and old pods never read a half-new config.
"""

from __future__ import annotations

import hashlib

import pulumi
import pulumi_kubernetes as k8s
import pulumi_random as random
import pulumi_tls as tls

from components.config import CertificateSource, Slot, StackConfig
from components.conventions import (
    COMPONENT_LABEL,
    NAME_LABEL,
    NAMESPACE_NAME_LABEL,
    PART_OF,
    PROJECT,
    RESTRICTED,
    SYSTEM_NAMESPACE,
    pod_security_labels,
)
from components.edge import haproxy
from components.edge.contract import EDGE_NAMESPACE, EDGE_POD_LABELS, EdgeArgs, EdgeExposure, EdgeOutputs
from components.hardening import container_security, pod_security

SERVICE_NAME = "haproxy"
METRICS_SERVICE_NAME = "haproxy-metrics"
DEPLOYMENT_NAME = "haproxy"
TLS_SECRET_NAME = "haproxy-tls"
ADMIN_SECRET_NAME = "haproxy-admin"
ADMIN_HASH_KEY = "password-hash"
CONFIG_LABELS = {NAME_LABEL: "haproxy", COMPONENT_LABEL: "edge-config"}
"""The policy pack finds the HAProxy config by `app.kubernetes.io/name: haproxy` (data key haproxy.cfg)."""
METRICS_SERVICE_LABELS = {NAME_LABEL: "haproxy", COMPONENT_LABEL: "edge-metrics"}
POD_LABELS = {**EDGE_POD_LABELS, **PART_OF}
RUN_AS = 10001
"""Not the image's uid 99: the policy floor is 10000, and HAProxy needs no passwd entry (no `user` directive)."""
HTTPS_SERVICE_PORT = 443
HTTP_SERVICE_PORT = 80
CONFIG_CHECKSUM_ANNOTATION = "checksum/haproxy-config"
ERRORFILES_CHECKSUM_ANNOTATION = "checksum/haproxy-errorfiles"
DNS_NAMESPACE = SYSTEM_NAMESPACE
DNS_POD_LABELS = {"k8s-app": "kube-dns"}
SELF_SIGNED_VALIDITY_HOURS = 90 * 24
PRIVATE_CA_VALIDITY_HOURS = 10 * 365 * 24
PRIVATE_CA_EARLY_RENEWAL_HOURS = 365 * 24
"""A CA renewal swaps the front door's trusted root and HAProxy's chain in one `up`: rare by design."""
SERVING_VALIDITY_HOURS = 90 * 24
SERVING_EARLY_RENEWAL_HOURS = 30 * 24
TLS_CHECKSUM_ANNOTATION = "checksum/haproxy-tls"
"""sha256 of a program-issued serving certificate: HAProxy reads certificates only at start, so a
renewal rolls the pods."""


def config_map_data(settings: haproxy.HaproxySettings) -> dict[str, str]:
    """`haproxy.cfg` plus one key per errorfile (`<status>.http`)."""
    return {"haproxy.cfg": haproxy.render(settings), **haproxy.errorfiles(settings)}


class EdgeProxy(pulumi.ComponentResource):
    outputs: EdgeOutputs

    def __init__(self, name: str, args: EdgeArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("orchestrator:edge:EdgeProxy", name, None, opts)
        config = args.config
        edge = config.edge
        child = pulumi.ResourceOptions(parent=self)

        namespace = k8s.core.v1.Namespace(
            f"{name}-namespace",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=EDGE_NAMESPACE,
                labels={**pod_security_labels(RESTRICTED), **PART_OF},
            ),
            opts=child,
        )
        ns = namespace.metadata.name
        self._network_policies(name, args, ns)

        app = args.app
        settings = pulumi.Output.all(app.namespace, app.slot_services[Slot.BLUE], app.slot_services[Slot.GREEN]).apply(
            lambda values: haproxy.settings_from_config(
                config,
                args.exposure,
                namespace=values[0],
                services={Slot.BLUE: values[1], Slot.GREEN: values[2]},
                port=app.port,
            )
        )
        data = settings.apply(config_map_data)
        self.config_checksum = data.apply(lambda d: haproxy.checksum(d["haproxy.cfg"]))
        errorfiles_checksum = data.apply(
            lambda d: haproxy.errorfiles_checksum({k: v for k, v in d.items() if k.endswith(".http")})
        )
        config_map = k8s.core.v1.ConfigMap(
            f"{name}-config",
            metadata=k8s.meta.v1.ObjectMetaArgs(namespace=ns, labels=CONFIG_LABELS),
            data=data,
            opts=child,
        )

        self._serving_certificate: pulumi.Output[str] | None = None
        self._trusted_ca: pulumi.Output[str] | None = None
        tls_secret, tls_dependencies = self._certificate(name, config, ns)
        admin_secret = self._admin_secret(name, ns) if edge.admin_auth else None

        account = k8s.core.v1.ServiceAccount(
            f"{name}-service-account",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=DEPLOYMENT_NAME, namespace=ns, labels=POD_LABELS),
            automount_service_account_token=False,
            opts=child,
        )
        deployment = self._deployment(
            name, config=config, ns=ns, account=account, config_map=config_map, tls_secret=tls_secret,
            admin_secret=admin_secret, errorfiles_checksum=errorfiles_checksum, dependencies=tls_dependencies,
        )
        k8s.policy.v1.PodDisruptionBudget(
            f"{name}-pdb",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=DEPLOYMENT_NAME, namespace=ns, labels=POD_LABELS),
            # One pod at a time: a node drain never takes the edge below replicas - 1.
            spec=k8s.policy.v1.PodDisruptionBudgetSpecArgs(
                max_unavailable=1, selector=k8s.meta.v1.LabelSelectorArgs(match_labels=EDGE_POD_LABELS)
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[deployment]),
        )

        public = self._public_service(name, config, args.exposure, ns)
        metrics = k8s.core.v1.Service(
            f"{name}-metrics",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=METRICS_SERVICE_NAME, namespace=ns, labels=METRICS_SERVICE_LABELS),
            spec=k8s.core.v1.ServiceSpecArgs(
                type="ClusterIP",
                selector=EDGE_POD_LABELS,
                ports=[k8s.core.v1.ServicePortArgs(
                    name="metrics", port=haproxy.METRICS_PORT, target_port="metrics", protocol="TCP")],
            ),
            opts=child,
        )

        if args.exposure.service_type == "LoadBalancer":
            address = public.status.apply(_load_balancer_address)
        else:
            address = public.metadata.apply(lambda m: f"{m.name}.{m.namespace}.svc.{edge.cluster_domain}")

        self.outputs = EdgeOutputs(
            namespace=ns,
            service_name=public.metadata.name,
            address=address,
            config_checksum=self.config_checksum,
            https_port=HTTPS_SERVICE_PORT,
            metrics_port=haproxy.METRICS_PORT,
            http_port=HTTP_SERVICE_PORT,
            https_target_port=haproxy.HTTPS_PORT,
            metrics_service=metrics.metadata.name,
            metrics_service_labels=dict(METRICS_SERVICE_LABELS),
            metrics_path=haproxy.METRICS_URI,
            pod_labels=dict(EDGE_POD_LABELS),
            health_path=haproxy.HEALTH_URI,
            health_port=haproxy.HEALTH_PORT,
            trusted_ca_pem=self._trusted_ca,
            serving_host_name=edge.hostname,
        )
        self.register_outputs({
            "namespace": ns,
            "serviceName": public.metadata.name,
            "address": address,
            "configChecksum": self.config_checksum,
            "configMap": config_map.metadata.name,
            "deployment": deployment.metadata.name,
            "metricsService": metrics.metadata.name,
            "tlsSecret": tls_secret,
        })

    # -- TLS and credentials --

    def _certificate(
        self, name: str, config: StackConfig, ns: pulumi.Output[str]
    ) -> tuple[pulumi.Output[str], list[pulumi.Resource]]:
        """The name of the kubernetes.io/tls Secret HAProxy serves, and what must exist before the pods."""
        edge = config.edge
        child = pulumi.ResourceOptions(parent=self)
        source = edge.tls.certificate
        if source is CertificateSource.SECRET:
            assert edge.tls.secret_name is not None  # the config model requires it for this source
            return pulumi.Output.from_input(edge.tls.secret_name), []
        if source is CertificateSource.CERT_MANAGER:
            certificate = k8s.apiextensions.CustomResource(
                f"{name}-certificate",
                api_version="cert-manager.io/v1",
                kind="Certificate",
                metadata=k8s.meta.v1.ObjectMetaArgs(name=TLS_SECRET_NAME, namespace=ns, labels=POD_LABELS),
                spec={
                    "secretName": TLS_SECRET_NAME,
                    "dnsNames": [edge.hostname],
                    "issuerRef": {"name": edge.tls.issuer, "kind": edge.tls.issuer_kind, "group": "cert-manager.io"},
                    "privateKey": {"algorithm": "ECDSA", "size": 256, "rotationPolicy": "Always"},
                    "duration": "2160h",
                    "renewBefore": "720h",
                    "usages": ["server auth", "digital signature"],
                },
                opts=child,
            )
            return pulumi.Output.from_input(TLS_SECRET_NAME), [certificate]
        if source is CertificateSource.PRIVATE_CA:
            return self._private_ca_certificate(name, edge.hostname, ns)
        # Self-signed: only outside production (the config model refuses it there).
        key = tls.PrivateKey(f"{name}-tls-key", algorithm="ECDSA", ecdsa_curve="P256", opts=child)
        cert = tls.SelfSignedCert(
            f"{name}-tls-cert",
            private_key_pem=key.private_key_pem,
            subject=tls.SelfSignedCertSubjectArgs(common_name=edge.hostname, organization=PROJECT),
            dns_names=[edge.hostname],
            validity_period_hours=SELF_SIGNED_VALIDITY_HOURS,
            early_renewal_hours=30 * 24,
            allowed_uses=["digital_signature", "key_encipherment", "server_auth"],
            opts=child,
        )
        self._serving_certificate = cert.cert_pem
        secret = self._tls_secret(name, ns, cert.cert_pem, key.private_key_pem)
        return secret.metadata.name, [secret]

    def _private_ca_certificate(
        self, name: str, hostname: str, ns: pulumi.Output[str]
    ) -> tuple[pulumi.Output[str], list[pulumi.Resource]]:
        """A CA of this stack and HAProxy's serving certificate signed by it, for the hop from a cloud
        front door. The front door terminates public TLS; it trusts this CA by value (the Application
        Gateway's trusted root) or verifies nothing (the ALB), so no public CA and no cert-manager."""
        child = pulumi.ResourceOptions(parent=self)
        ca_key = tls.PrivateKey(f"{name}-ca-key", algorithm="ECDSA", ecdsa_curve="P256", opts=child)
        ca = tls.SelfSignedCert(
            f"{name}-ca-cert",
            private_key_pem=ca_key.private_key_pem,
            subject=tls.SelfSignedCertSubjectArgs(common_name=f"orchestrator {pulumi.get_stack()} edge CA",
                                                  organization=PROJECT),
            is_ca_certificate=True,
            allowed_uses=["cert_signing", "crl_signing", "digital_signature"],
            validity_period_hours=PRIVATE_CA_VALIDITY_HOURS,
            early_renewal_hours=PRIVATE_CA_EARLY_RENEWAL_HOURS,
            opts=child,
        )
        key = tls.PrivateKey(f"{name}-tls-key", algorithm="ECDSA", ecdsa_curve="P256", opts=child)
        request = tls.CertRequest(
            f"{name}-tls-request",
            private_key_pem=key.private_key_pem,
            subject=tls.CertRequestSubjectArgs(common_name=hostname, organization=PROJECT),
            # The host name the front door sends (SNI and Host) and verifies against.
            dns_names=[hostname],
            opts=child,
        )
        cert = tls.LocallySignedCert(
            f"{name}-tls-cert",
            cert_request_pem=request.cert_request_pem,
            ca_private_key_pem=ca_key.private_key_pem,
            ca_cert_pem=ca.cert_pem,
            validity_period_hours=SERVING_VALIDITY_HOURS,
            # Re-issued on the first `up --refresh` inside the window (ops rollout refreshes on every step).
            early_renewal_hours=SERVING_EARLY_RENEWAL_HOURS,
            allowed_uses=["digital_signature", "key_encipherment", "server_auth"],
            opts=child,
        )
        # The leaf, then its CA: a verifier that wants the whole chain from the server gets it.
        chain = pulumi.Output.concat(cert.cert_pem, ca.cert_pem)
        self._serving_certificate = cert.cert_pem
        self._trusted_ca = ca.cert_pem
        secret = self._tls_secret(name, ns, chain, key.private_key_pem)
        return secret.metadata.name, [secret]

    def _tls_secret(
        self, name: str, ns: pulumi.Output[str], chain: pulumi.Output[str], key_pem: pulumi.Output[str]
    ) -> k8s.core.v1.Secret:
        """The kubernetes.io/tls Secret HAProxy serves, for a certificate the program issues."""
        return k8s.core.v1.Secret(
            f"{name}-tls",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=TLS_SECRET_NAME, namespace=ns, labels=POD_LABELS),
            type="kubernetes.io/tls",
            string_data={"tls.crt": chain, "tls.key": _secret(key_pem)},
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _admin_secret(self, name: str, ns: pulumi.Output[str]) -> k8s.core.v1.Secret:
        password = random.RandomPassword(
            f"{name}-admin-password", length=32, special=False, opts=pulumi.ResourceOptions(parent=self)
        )
        return k8s.core.v1.Secret(
            f"{name}-admin",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=ADMIN_SECRET_NAME, namespace=ns, labels=POD_LABELS),
            type="Opaque",
            string_data={
                "username": haproxy.ADMIN_USER,
                "password": _secret(password.result),
                # HAProxy checks the bcrypt hash with crypt(3); the plain password never reaches the pod.
                ADMIN_HASH_KEY: _secret(password.bcrypt_hash),
            },
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _tls_checksum(self) -> dict[str, pulumi.Output[str]]:
        if self._serving_certificate is None:
            return {}  # a Secret the program does not write: its renewals need a restart (docs/edge.md)
        return {TLS_CHECKSUM_ANNOTATION: self._serving_certificate.apply(
            lambda pem: hashlib.sha256(pem.encode()).hexdigest())}

    # -- workload --

    def _deployment(
        self,
        name: str,
        *,
        config: StackConfig,
        ns: pulumi.Output[str],
        account: k8s.core.v1.ServiceAccount,
        config_map: k8s.core.v1.ConfigMap,
        tls_secret: pulumi.Output[str],
        admin_secret: k8s.core.v1.Secret | None,
        errorfiles_checksum: pulumi.Output[str],
        dependencies: list[pulumi.Resource],
    ) -> k8s.apps.v1.Deployment:
        edge = config.edge
        command = ["haproxy", "-db", "-f", haproxy.CONFIG_FILE]
        volumes = [
            k8s.core.v1.VolumeArgs(
                name="config",
                config_map=k8s.core.v1.ConfigMapVolumeSourceArgs(
                    name=config_map.metadata.name,
                    items=[k8s.core.v1.KeyToPathArgs(key="haproxy.cfg", path="haproxy.cfg")] + [
                        k8s.core.v1.KeyToPathArgs(key=f"{status}.http", path=f"errors/{status}.http")
                        for status in haproxy.ERROR_STATUSES
                    ],
                ),
            ),
            k8s.core.v1.VolumeArgs(
                name="tls",
                # tls.key lands beside the chain as `<crt>.key`, where HAProxy looks for a missing key.
                secret=k8s.core.v1.SecretVolumeSourceArgs(
                    secret_name=tls_secret,
                    default_mode=0o440,
                    items=[
                        k8s.core.v1.KeyToPathArgs(key="tls.crt", path="site.pem"),
                        k8s.core.v1.KeyToPathArgs(key="tls.key", path="site.pem.key"),
                    ],
                ),
            ),
            k8s.core.v1.VolumeArgs(name="tmp", empty_dir=k8s.core.v1.EmptyDirVolumeSourceArgs(size_limit="16Mi")),
        ]
        mounts = [
            k8s.core.v1.VolumeMountArgs(name="config", mount_path=haproxy.CONFIG_DIR, read_only=True),
            k8s.core.v1.VolumeMountArgs(name="tls", mount_path=haproxy.TLS_DIR, read_only=True),
            k8s.core.v1.VolumeMountArgs(name="tmp", mount_path="/tmp"),
        ]
        env: list[k8s.core.v1.EnvVarArgs] = []
        if admin_secret is not None:
            # Only the hash comes from the Secret; the userlist is in haproxy.cfg, so HAProxy loads one file,
            # all of it visible to the policy pack.
            env.append(k8s.core.v1.EnvVarArgs(
                name=haproxy.ADMIN_HASH_ENV,
                value_from=k8s.core.v1.EnvVarSourceArgs(secret_key_ref=k8s.core.v1.SecretKeySelectorArgs(
                    name=admin_secret.metadata.name, key=ADMIN_HASH_KEY)),
            ))
            dependencies = [*dependencies, admin_secret]

        probe_port = "health"
        container = k8s.core.v1.ContainerArgs(
            name="haproxy",
            image=edge.image,
            image_pull_policy="IfNotPresent",
            command=command,
            env=env or None,
            ports=[
                k8s.core.v1.ContainerPortArgs(name="http", container_port=haproxy.HTTP_PORT, protocol="TCP"),
                k8s.core.v1.ContainerPortArgs(name="https", container_port=haproxy.HTTPS_PORT, protocol="TCP"),
                k8s.core.v1.ContainerPortArgs(name="metrics", container_port=haproxy.METRICS_PORT, protocol="TCP"),
                k8s.core.v1.ContainerPortArgs(name="health", container_port=haproxy.HEALTH_PORT, protocol="TCP"),
            ],
            resources=k8s.core.v1.ResourceRequirementsArgs(
                requests={"cpu": edge.resources.requests.cpu, "memory": edge.resources.requests.memory},
                limits={"cpu": edge.resources.limits.cpu, "memory": edge.resources.limits.memory},
            ),
            liveness_probe=k8s.core.v1.ProbeArgs(
                http_get=k8s.core.v1.HTTPGetActionArgs(path=haproxy.HEALTH_URI, port=probe_port),
                initial_delay_seconds=5, period_seconds=10, timeout_seconds=3, failure_threshold=3,
            ),
            readiness_probe=k8s.core.v1.ProbeArgs(
                http_get=k8s.core.v1.HTTPGetActionArgs(path=haproxy.HEALTH_URI, port=probe_port),
                initial_delay_seconds=2, period_seconds=5, timeout_seconds=3, failure_threshold=2,
            ),
            # The endpoints controller and cloud load balancers need a moment to stop sending
            # new connections before HAProxy exits.
            lifecycle=k8s.core.v1.LifecycleArgs(
                pre_stop=k8s.core.v1.LifecycleHandlerArgs(exec_=k8s.core.v1.ExecActionArgs(command=["sleep", "10"]))
            ),
            security_context=container_security(RUN_AS),
            volume_mounts=mounts,
        )
        zone_rule = "DoNotSchedule" if config.is_production else "ScheduleAnyway"
        spread = [
            k8s.core.v1.TopologySpreadConstraintArgs(
                max_skew=1, topology_key="topology.kubernetes.io/zone", when_unsatisfiable=zone_rule,
                label_selector=k8s.meta.v1.LabelSelectorArgs(match_labels=EDGE_POD_LABELS),
            ),
            k8s.core.v1.TopologySpreadConstraintArgs(
                max_skew=1, topology_key="kubernetes.io/hostname", when_unsatisfiable="ScheduleAnyway",
                label_selector=k8s.meta.v1.LabelSelectorArgs(match_labels=EDGE_POD_LABELS),
            ),
        ]
        return k8s.apps.v1.Deployment(
            f"{name}-deployment",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=DEPLOYMENT_NAME, namespace=ns, labels=POD_LABELS),
            spec=k8s.apps.v1.DeploymentSpecArgs(
                replicas=edge.replicas,
                revision_history_limit=5,
                selector=k8s.meta.v1.LabelSelectorArgs(match_labels=EDGE_POD_LABELS),
                # Never below the declared replicas during a rollout.
                strategy=k8s.apps.v1.DeploymentStrategyArgs(
                    type="RollingUpdate",
                    rolling_update=k8s.apps.v1.RollingUpdateDeploymentArgs(max_unavailable=0, max_surge=1),
                ),
                template=k8s.core.v1.PodTemplateSpecArgs(
                    metadata=k8s.meta.v1.ObjectMetaArgs(
                        labels=POD_LABELS,
                        annotations={
                            CONFIG_CHECKSUM_ANNOTATION: self.config_checksum,
                            ERRORFILES_CHECKSUM_ANNOTATION: errorfiles_checksum,
                            **self._tls_checksum(),
                        },
                    ),
                    spec=k8s.core.v1.PodSpecArgs(
                        service_account_name=account.metadata.name,
                        automount_service_account_token=False,
                        enable_service_links=False,
                        termination_grace_period_seconds=30,
                        security_context=pod_security(RUN_AS),
                        topology_spread_constraints=spread,
                        containers=[container],
                        volumes=volumes,
                    ),
                ),
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=dependencies),
        )

    # -- Services and network policies --

    def _public_service(
        self, name: str, config: StackConfig, exposure: EdgeExposure, ns: pulumi.Output[str]
    ) -> k8s.core.v1.Service:
        edge = config.edge
        external = exposure.service_type in ("LoadBalancer", "NodePort")
        return k8s.core.v1.Service(
            f"{name}-service",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=SERVICE_NAME, namespace=ns, labels=POD_LABELS, annotations=exposure.service_annotations or None
            ),
            spec=k8s.core.v1.ServiceSpecArgs(
                type=exposure.service_type,
                selector=EDGE_POD_LABELS,
                # Local keeps the client's address (no SNAT), which the rate limit and ACLs key on.
                external_traffic_policy="Local" if external else None,
                load_balancer_source_ranges=(
                    list(edge.load_balancer_source_ranges)
                    if exposure.service_type == "LoadBalancer" and edge.load_balancer_source_ranges
                    else None
                ),
                ports=[
                    k8s.core.v1.ServicePortArgs(name="http", port=HTTP_SERVICE_PORT, target_port="http", protocol="TCP"),
                    k8s.core.v1.ServicePortArgs(name="https", port=HTTPS_SERVICE_PORT, target_port="https", protocol="TCP"),
                ],
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )

    @staticmethod
    def _front_door_health_rule(exposure: EdgeExposure) -> list[k8s.networking.v1.NetworkPolicyIngressRuleArgs]:
        """A front door that targets the pods (the AWS ALB) health-checks them from its subnets."""
        if not exposure.trusted_proxy_cidrs:
            return []
        return [k8s.networking.v1.NetworkPolicyIngressRuleArgs(
            ports=[k8s.networking.v1.NetworkPolicyPortArgs(protocol="TCP", port=haproxy.HEALTH_PORT)],
            from_=[k8s.networking.v1.NetworkPolicyPeerArgs(ip_block=k8s.networking.v1.IPBlockArgs(cidr=cidr))
                   for cidr in dict.fromkeys(exposure.trusted_proxy_cidrs)],
        )]

    def _network_policies(self, name: str, args: EdgeArgs, ns: pulumi.Output[str]) -> None:
        child = pulumi.ResourceOptions(parent=self)
        config = args.config
        k8s.networking.v1.NetworkPolicy(
            f"{name}-default-deny",
            metadata=k8s.meta.v1.ObjectMetaArgs(name="default-deny", namespace=ns),
            spec=k8s.networking.v1.NetworkPolicySpecArgs(
                pod_selector=k8s.meta.v1.LabelSelectorArgs(), policy_types=["Ingress", "Egress"]
            ),
            opts=child,
        )
        public_ports = [
            k8s.networking.v1.NetworkPolicyPortArgs(protocol="TCP", port=haproxy.HTTP_PORT),
            k8s.networking.v1.NetworkPolicyPortArgs(protocol="TCP", port=haproxy.HTTPS_PORT),
        ]
        exposure = args.exposure
        if exposure.internal and exposure.trusted_proxy_cidrs:
            # Behind a cloud front door only its subnets (and internal callers) reach HAProxy.
            sources = [*exposure.trusted_proxy_cidrs, *config.edge.internal_cidrs]
            public_from: list[k8s.networking.v1.NetworkPolicyPeerArgs] | None = [
                k8s.networking.v1.NetworkPolicyPeerArgs(ip_block=k8s.networking.v1.IPBlockArgs(cidr=cidr))
                for cidr in dict.fromkeys(sources)
            ]
        else:
            public_from = None  # the Internet, through the load balancer
        app = args.app
        k8s.networking.v1.NetworkPolicy(
            f"{name}-haproxy",
            metadata=k8s.meta.v1.ObjectMetaArgs(name="haproxy", namespace=ns),
            spec=k8s.networking.v1.NetworkPolicySpecArgs(
                pod_selector=k8s.meta.v1.LabelSelectorArgs(match_labels=EDGE_POD_LABELS),
                policy_types=["Ingress", "Egress"],
                ingress=[
                    k8s.networking.v1.NetworkPolicyIngressRuleArgs(ports=public_ports, from_=public_from),
                    k8s.networking.v1.NetworkPolicyIngressRuleArgs(
                        ports=[k8s.networking.v1.NetworkPolicyPortArgs(protocol="TCP", port=haproxy.METRICS_PORT)],
                        from_=[k8s.networking.v1.NetworkPolicyPeerArgs(
                            namespace_selector=k8s.meta.v1.LabelSelectorArgs(
                                match_labels={NAMESPACE_NAME_LABEL: config.monitoring.namespace}
                            ),
                        )],
                    ),
                    *self._front_door_health_rule(exposure),
                ],
                egress=[
                    # Pod-level rules see the pod port after the Service's DNAT: the container port.
                    k8s.networking.v1.NetworkPolicyEgressRuleArgs(
                        to=[k8s.networking.v1.NetworkPolicyPeerArgs(
                            namespace_selector=k8s.meta.v1.LabelSelectorArgs(
                                match_labels={NAMESPACE_NAME_LABEL: app.namespace}
                            ),
                            pod_selector=k8s.meta.v1.LabelSelectorArgs(match_labels=app.pod_labels),
                        )],
                        ports=[k8s.networking.v1.NetworkPolicyPortArgs(protocol="TCP", port=app.container_port)],
                    ),
                    k8s.networking.v1.NetworkPolicyEgressRuleArgs(
                        to=[k8s.networking.v1.NetworkPolicyPeerArgs(
                            namespace_selector=k8s.meta.v1.LabelSelectorArgs(
                                match_labels={NAMESPACE_NAME_LABEL: DNS_NAMESPACE}
                            ),
                            pod_selector=k8s.meta.v1.LabelSelectorArgs(match_labels=DNS_POD_LABELS),
                        )],
                        ports=[
                            k8s.networking.v1.NetworkPolicyPortArgs(protocol="UDP", port=53),
                            k8s.networking.v1.NetworkPolicyPortArgs(protocol="TCP", port=53),
                        ],
                    ),
                ],
            ),
            opts=child,
        )


def _secret(value: pulumi.Output[str]) -> pulumi.Output[str]:
    secret: pulumi.Output[str] = pulumi.Output.secret(value)
    return secret


def _load_balancer_address(status: object) -> str:
    """The first ingress of the load balancer (hostname on AWS, IP elsewhere); '' until it exists."""
    load_balancer = getattr(status, "load_balancer", None) if status is not None else None
    for ingress in getattr(load_balancer, "ingress", None) or []:
        value = getattr(ingress, "hostname", None) or getattr(ingress, "ip", None)
        if value:
            return str(value)
    return ""
