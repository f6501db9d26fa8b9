"""Blue/green application slots: Deployment, Service, HPA and PDB per slot, a live Service, policies.

Both slots always exist, so a switch is a Service selector change and an HAProxy weight change —
never a pod restart. Which slot is active changes only the live Service and the HPA/PDB minimums;
a slot's tag changes only that slot's Deployment.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.app.contract import (
    APP_NAME,
    DNS_NAMESPACE,
    LIVE_SERVICE_NAME,
    SERVICE_PORT,
    SERVICE_PORT_NAME,
    ApplicationArgs,
    AppOutputs,
    common_labels,
    selector_labels,
    slot_object_name,
    slot_selector,
)
from components.cache import contract as cache_contract
from components.config import AppConfig, Platform, Slot, StackConfig
from components.conventions import COMPONENT_LABEL, METRICS_PATH, NAME_LABEL, NAMESPACE_NAME_LABEL, PART_OF
from components.database import contract as db_contract
from components.hardening import container_security, pod_security
from components.monitoring.contract import COLLECTOR_POD_LABELS, OTLP_GRPC_PORT, OTLP_HTTP_PORT
from components.monitoring.telemetry import otel_environment

CONTAINER_NAME = "app"
TMP_VOLUME = "tmp"
CA_VOLUME = "data-tier-ca"
CA_DIR = "/etc/orchestrator/ca"
DATABASE_CA_FILE = "database-ca.crt"
CACHE_CA_FILE = "cache-ca.crt"
ZONE_KEY = "topology.kubernetes.io/zone"
HOST_KEY = "kubernetes.io/hostname"
DNS_POD_LABELS = {"k8s-app": "kube-dns"}
"""CoreDNS keeps the kube-dns label on EKS, AKS and kubeadm/kind clusters."""


def image_ref(repository: str, tag_or_digest: str) -> str:
    return f"{repository}@{tag_or_digest}" if tag_or_digest.startswith("sha256:") else f"{repository}:{tag_or_digest}"


def version_label(tag_or_digest: str) -> str:
    """A label value (no ':', at most 63 characters) naming what the slot runs."""
    if tag_or_digest.startswith("sha256:"):
        return "sha256-" + tag_or_digest.removeprefix("sha256:")[:16]
    return tag_or_digest[:63].rstrip("-_.")


def slot_labels(app: AppConfig, slot: Slot) -> dict[str, str]:
    return {**common_labels(), "app.kubernetes.io/version": version_label(app.slots.tag(slot)), "slot": slot.value}


def pdb_min_available(min_replicas: int) -> int:
    """One pod below the HPA minimum: a node drain can always evict, capacity stays near the floor."""
    return max(min_replicas - 1, 0)


_PEER_KEYS = {"pod_selector": "podSelector", "namespace_selector": "namespaceSelector", "ip_block": "ipBlock"}
_SELECTOR_KEYS = {"match_labels": "matchLabels", "match_expressions": "matchExpressions"}


def peer_wire(peer: Mapping[str, Any]) -> dict[str, Any]:
    """A NetworkPolicyPeer in the API's camelCase, whether the contract gave snake_case or camelCase.

    Only the structural keys are renamed: label keys inside matchLabels stay as written.
    """
    out: dict[str, Any] = {}
    for key, value in peer.items():
        wire_key = _PEER_KEYS.get(key, key)
        if wire_key in {"podSelector", "namespaceSelector"} and isinstance(value, Mapping):
            out[wire_key] = {_SELECTOR_KEYS.get(k, k): v for k, v in value.items()}
        elif wire_key == "ipBlock" and isinstance(value, Mapping):
            # The Python SDK spells the reserved word `except` as `except_`.
            out[wire_key] = {("except" if k == "except_" else k): v for k, v in value.items()}
        else:
            out[wire_key] = dict(value) if isinstance(value, Mapping) else value
    return out


def egress_rules(
    db_peers: Sequence[Mapping[str, Any]], db_port: int, cache_peers: Sequence[Mapping[str, Any]], cache_port: int,
    collector_namespace: str | None = None,
) -> list[dict[str, Any]]:
    """DNS, the database, the cache and (with tracing) the collector's OTLP ports — nothing else.

    A rule without peers would allow every destination, so a data tier that publishes no peers
    (yet) gets no rule at all rather than an open one.
    """
    rules: list[dict[str, Any]] = [{
        "to": [{
            "namespaceSelector": {"matchLabels": {NAMESPACE_NAME_LABEL: DNS_NAMESPACE}},
            "podSelector": {"matchLabels": dict(DNS_POD_LABELS)},
        }],
        "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}],
    }]
    for peers, port in ((db_peers, db_port), (cache_peers, cache_port)):
        if peers:
            rules.append({"to": [peer_wire(p) for p in peers], "ports": [{"protocol": "TCP", "port": int(port)}]})
    if collector_namespace:
        rules.append({
            "to": [{"namespaceSelector": {"matchLabels": {NAMESPACE_NAME_LABEL: collector_namespace}},
                    "podSelector": {"matchLabels": dict(COLLECTOR_POD_LABELS)}}],
            "ports": [{"protocol": "TCP", "port": OTLP_GRPC_PORT}, {"protocol": "TCP", "port": OTLP_HTTP_PORT}],
        })
    return rules


def _secret_env(name: str, secret: pulumi.Input[str], key: str) -> k8s.core.v1.EnvVarArgs:
    return k8s.core.v1.EnvVarArgs(
        name=name,
        value_from=k8s.core.v1.EnvVarSourceArgs(
            secret_key_ref=k8s.core.v1.SecretKeySelectorArgs(name=secret, key=key, optional=False)
        ),
    )


class Application(pulumi.ComponentResource):
    outputs: AppOutputs

    def __init__(self, name: str, args: ApplicationArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("orchestrator:app:Application", name, None, opts)
        config = args.config
        app = config.app
        child = pulumi.ResourceOptions(parent=self)

        account = k8s.core.v1.ServiceAccount(
            f"{name}-service-account",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=APP_NAME, namespace=args.namespace, labels=common_labels()),
            # The app never talks to the Kubernetes API: no token in its pods.
            automount_service_account_token=False,
            opts=child,
        )

        deployments: dict[Slot, pulumi.Output[str]] = {}
        services: dict[Slot, pulumi.Output[str]] = {}
        for slot in Slot:
            deployment = self._deployment(name, slot, args, account.metadata.name, child)
            deployments[slot] = deployment.metadata.name
            services[slot] = self._slot_service(name, slot, args, child)
            self._autoscaler(name, slot, args, deployment.metadata.name, child)
            self._disruption_budget(name, slot, args, child)

        live = k8s.core.v1.Service(
            f"{name}-live",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=LIVE_SERVICE_NAME,
                namespace=args.namespace,
                # Not component=api: ServiceMonitors select the slot Services, and the live one would
                # scrape the active pods twice.
                labels={NAME_LABEL: APP_NAME, **PART_OF, COMPONENT_LABEL: "live"},
            ),
            spec=self._service_spec(app, slot_selector(app.active_slot)),
            opts=child,
        )

        self._network_policies(name, args, child)

        self.outputs = AppOutputs(
            namespace=pulumi.Output.from_input(args.namespace),
            slot_services=services,
            live_service=live.metadata.name,
            port=SERVICE_PORT,
            active_slot=app.active_slot,
            canary_weight=app.canary_weight,
            pod_labels=common_labels(),
            port_name=SERVICE_PORT_NAME,
            container_port=app.port,
            slot_labels={slot: slot_labels(app, slot) for slot in Slot},
            deployments=deployments,
            service_account=account.metadata.name,
        )
        self.register_outputs({
            "namespace": self.outputs.namespace,
            "slotServices": {slot.value: svc for slot, svc in services.items()},
            "liveService": self.outputs.live_service,
            "port": SERVICE_PORT,
            "activeSlot": app.active_slot.value,
            "canaryWeight": app.canary_weight,
        })

    # --- per slot ---------------------------------------------------------------------------

    def _deployment(
        self, name: str, slot: Slot, args: ApplicationArgs, account: pulumi.Output[str], child: pulumi.ResourceOptions
    ) -> k8s.apps.v1.Deployment:
        app = args.config.app
        labels = slot_labels(app, slot)
        return k8s.apps.v1.Deployment(
            f"{name}-{slot.value}",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=slot_object_name(slot), namespace=args.namespace, labels=labels),
            spec=k8s.apps.v1.DeploymentSpecArgs(
                # No `replicas`: the HPA owns the count; setting it here would reset the scale on every update.
                selector=k8s.meta.v1.LabelSelectorArgs(match_labels=slot_selector(slot)),
                revision_history_limit=5,
                min_ready_seconds=5,
                progress_deadline_seconds=600,
                strategy=k8s.apps.v1.DeploymentStrategyArgs(
                    type="RollingUpdate",
                    # New pods come up before old ones go: capacity never drops during a rollout.
                    rolling_update=k8s.apps.v1.RollingUpdateDeploymentArgs(max_unavailable=0, max_surge="25%"),
                ),
                template=k8s.core.v1.PodTemplateSpecArgs(
                    metadata=k8s.meta.v1.ObjectMetaArgs(labels=labels),
                    spec=self._pod_spec(slot, args, account),
                ),
            ),
            opts=child,
        )

    def _pod_spec(self, slot: Slot, args: ApplicationArgs, account: pulumi.Output[str]) -> k8s.core.v1.PodSpecArgs:
        config = args.config
        app = config.app
        uid = app.run_as_user
        probes = app.probes
        env = [
            k8s.core.v1.EnvVarArgs(name="PORT", value=str(app.port)),
            k8s.core.v1.EnvVarArgs(name="APP_SLOT", value=slot.value),
            k8s.core.v1.EnvVarArgs(name="METRICS_PATH", value=METRICS_PATH),
            *(k8s.core.v1.EnvVarArgs(name=key, value=value) for key, value in sorted(app.env.items())),
            # The SDK's standard variables: the slot and its tag in every span's resource.
            *(k8s.core.v1.EnvVarArgs(name=key, value=value) for key, value in otel_environment(config, slot).items()),
            *self._credential_env(args),
        ]
        return k8s.core.v1.PodSpecArgs(
            service_account_name=account,
            automount_service_account_token=False,
            enable_service_links=False,
            termination_grace_period_seconds=app.termination_grace_seconds,
            security_context=pod_security(uid),
            topology_spread_constraints=_spread(config, slot),
            containers=[
                k8s.core.v1.ContainerArgs(
                    name=CONTAINER_NAME,
                    image=image_ref(app.image, app.slots.tag(slot)),
                    # Always: the kubelet re-checks registry authorization, so a cached private image cannot be
                    # started by a pod without pull access. Tags are immutable (config refuses moving tags).
                    image_pull_policy="Always",
                    ports=[k8s.core.v1.ContainerPortArgs(name=SERVICE_PORT_NAME, container_port=app.port, protocol="TCP")],
                    env=env,
                    resources=k8s.core.v1.ResourceRequirementsArgs(
                        requests={"cpu": app.resources.requests.cpu, "memory": app.resources.requests.memory},
                        limits={"cpu": app.resources.limits.cpu, "memory": app.resources.limits.memory},
                    ),
                    liveness_probe=k8s.core.v1.ProbeArgs(
                        http_get=k8s.core.v1.HTTPGetActionArgs(path=probes.liveness_path, port=app.port, scheme="HTTP"),
                        initial_delay_seconds=probes.liveness.initial_delay_seconds,
                        period_seconds=probes.liveness.period_seconds,
                        timeout_seconds=probes.liveness.timeout_seconds,
                        failure_threshold=probes.liveness.failure_threshold,
                    ),
                    readiness_probe=k8s.core.v1.ProbeArgs(
                        http_get=k8s.core.v1.HTTPGetActionArgs(path=probes.readiness_path, port=app.port, scheme="HTTP"),
                        initial_delay_seconds=probes.readiness.initial_delay_seconds,
                        period_seconds=probes.readiness.period_seconds,
                        timeout_seconds=probes.readiness.timeout_seconds,
                        failure_threshold=probes.readiness.failure_threshold,
                    ),
                    security_context=container_security(uid),
                    volume_mounts=[
                        k8s.core.v1.VolumeMountArgs(name=TMP_VOLUME, mount_path="/tmp"),
                        k8s.core.v1.VolumeMountArgs(name=CA_VOLUME, mount_path=CA_DIR, read_only=True),
                    ],
                )
            ],
            volumes=[
                k8s.core.v1.VolumeArgs(
                    name=TMP_VOLUME, empty_dir=k8s.core.v1.EmptyDirVolumeSourceArgs(size_limit=app.tmp_size_limit)
                ),
                self._ca_volume(args),
            ],
        )

    @staticmethod
    def _ca_volume(args: ApplicationArgs) -> k8s.core.v1.VolumeArgs:
        """The data tier's private CA certificates, when it publishes one (`ca.crt`, optional), so
        the app can verify the server certificates (sslmode verify-full, Redis TLS)."""

        def source(secret: pulumi.Input[str], key: str, path: str) -> k8s.core.v1.VolumeProjectionArgs:
            return k8s.core.v1.VolumeProjectionArgs(
                secret=k8s.core.v1.SecretProjectionArgs(
                    name=secret, optional=True, items=[k8s.core.v1.KeyToPathArgs(key=key, path=path)]
                )
            )

        return k8s.core.v1.VolumeArgs(
            name=CA_VOLUME,
            projected=k8s.core.v1.ProjectedVolumeSourceArgs(
                default_mode=0o444,
                sources=[
                    source(args.database.credentials_secret, db_contract.CA_CERT_KEY, DATABASE_CA_FILE),
                    source(args.cache.credentials_secret, cache_contract.CA_CERT_KEY, CACHE_CA_FILE),
                ],
            ),
        )

    @staticmethod
    def _credential_env(args: ApplicationArgs) -> list[k8s.core.v1.EnvVarArgs]:
        """Every data-tier setting comes from the Secrets the data tier writes: no literal credential."""
        db, cache = args.database.credentials_secret, args.cache.credentials_secret
        return [
            _secret_env("DATABASE_HOST", db, db_contract.HOST_KEY),
            _secret_env("DATABASE_PORT", db, db_contract.PORT_KEY),
            _secret_env("DATABASE_NAME", db, db_contract.DATABASE_KEY),
            _secret_env("DATABASE_USER", db, db_contract.USERNAME_KEY),
            _secret_env("DATABASE_PASSWORD", db, db_contract.PASSWORD_KEY),
            _secret_env("DATABASE_SSLMODE", db, db_contract.SSLMODE_KEY),
            _secret_env("REDIS_HOST", cache, cache_contract.HOST_KEY),
            _secret_env("REDIS_PORT", cache, cache_contract.PORT_KEY),
            _secret_env("REDIS_PASSWORD", cache, cache_contract.PASSWORD_KEY),
            k8s.core.v1.EnvVarArgs(name="REDIS_TLS", value=args.cache.tls.apply(lambda on: "true" if on else "false")),
            # Present only when the data tier uses a private CA (the projected keys are optional).
            k8s.core.v1.EnvVarArgs(name="DATABASE_SSLROOTCERT", value=f"{CA_DIR}/{DATABASE_CA_FILE}"),
            k8s.core.v1.EnvVarArgs(name="REDIS_CA_FILE", value=f"{CA_DIR}/{CACHE_CA_FILE}"),
        ]

    def _slot_service(self, name: str, slot: Slot, args: ApplicationArgs, child: pulumi.ResourceOptions) -> pulumi.Output[str]:
        service = k8s.core.v1.Service(
            f"{name}-{slot.value}-service",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=slot_object_name(slot), namespace=args.namespace, labels={**common_labels(), "slot": slot.value}
            ),
            spec=self._service_spec(args.config.app, slot_selector(slot)),
            opts=child,
        )
        return service.metadata.name

    @staticmethod
    def _service_spec(app: AppConfig, selector: dict[str, str]) -> k8s.core.v1.ServiceSpecArgs:
        return k8s.core.v1.ServiceSpecArgs(
            type="ClusterIP",
            selector=selector,
            ports=[k8s.core.v1.ServicePortArgs(name=SERVICE_PORT_NAME, port=SERVICE_PORT, target_port=app.port, protocol="TCP")],
        )

    def _autoscaler(
        self, name: str, slot: Slot, args: ApplicationArgs, deployment: pulumi.Output[str], child: pulumi.ResourceOptions
    ) -> None:
        app = args.config.app
        scaling = app.autoscaling

        def utilization(resource: str, percent: int) -> k8s.autoscaling.v2.MetricSpecArgs:
            return k8s.autoscaling.v2.MetricSpecArgs(
                type="Resource",
                resource=k8s.autoscaling.v2.ResourceMetricSourceArgs(
                    name=resource,
                    target=k8s.autoscaling.v2.MetricTargetArgs(type="Utilization", average_utilization=percent),
                ),
            )

        k8s.autoscaling.v2.HorizontalPodAutoscaler(
            f"{name}-{slot.value}-hpa",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=slot_object_name(slot), namespace=args.namespace, labels={**common_labels(), "slot": slot.value}
            ),
            spec=k8s.autoscaling.v2.HorizontalPodAutoscalerSpecArgs(
                scale_target_ref=k8s.autoscaling.v2.CrossVersionObjectReferenceArgs(
                    api_version="apps/v1", kind="Deployment", name=deployment
                ),
                min_replicas=app.slot_min_replicas(slot),
                max_replicas=scaling.max_replicas,
                metrics=[utilization("cpu", scaling.cpu_utilization), utilization("memory", scaling.memory_utilization)],
                behavior=k8s.autoscaling.v2.HorizontalPodAutoscalerBehaviorArgs(
                    # Scale out at once, scale in slowly: a traffic dip must not drop warm capacity.
                    scale_up=k8s.autoscaling.v2.HPAScalingRulesArgs(stabilization_window_seconds=0),
                    scale_down=k8s.autoscaling.v2.HPAScalingRulesArgs(
                        stabilization_window_seconds=300,
                        policies=[k8s.autoscaling.v2.HPAScalingPolicyArgs(type="Percent", value=50, period_seconds=60)],
                    ),
                ),
            ),
            opts=child,
        )

    def _disruption_budget(self, name: str, slot: Slot, args: ApplicationArgs, child: pulumi.ResourceOptions) -> None:
        k8s.policy.v1.PodDisruptionBudget(
            f"{name}-{slot.value}-pdb",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=slot_object_name(slot), namespace=args.namespace, labels={**common_labels(), "slot": slot.value}
            ),
            spec=k8s.policy.v1.PodDisruptionBudgetSpecArgs(
                min_available=pdb_min_available(args.config.app.slot_min_replicas(slot)),
                selector=k8s.meta.v1.LabelSelectorArgs(match_labels=slot_selector(slot)),
            ),
            opts=child,
        )

    # --- network ----------------------------------------------------------------------------

    def _network_policies(self, name: str, args: ApplicationArgs, child: pulumi.ResourceOptions) -> None:
        app_pods = k8s.meta.v1.LabelSelectorArgs(match_labels=selector_labels())
        k8s.networking.v1.NetworkPolicy(
            f"{name}-allow-ingress",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=f"{APP_NAME}-ingress", namespace=args.namespace, labels=common_labels()),
            spec=k8s.networking.v1.NetworkPolicySpecArgs(
                pod_selector=app_pods,
                policy_types=["Ingress"],
                ingress=[
                    k8s.networking.v1.NetworkPolicyIngressRuleArgs(
                        # Only the edge proxy and Prometheus reach the app port; nothing reaches any other.
                        from_=[
                            _namespaced_pods(args.edge_namespace, args.edge_pod_labels),
                            _namespaced_pods(args.monitoring_namespace, args.prometheus_pod_labels),
                        ],
                        ports=[k8s.networking.v1.NetworkPolicyPortArgs(protocol="TCP", port=args.config.app.port)],
                    )
                ],
            ),
            opts=child,
        )
        # Rules in the API's wire form (camelCase dicts), computed from the data tier's outputs.
        monitoring = args.config.monitoring
        collector = monitoring.namespace if monitoring.enabled and monitoring.tracing.enabled else None
        egress: Any = pulumi.Output.all(
            args.database.egress_peers, args.database.port, args.cache.egress_peers, args.cache.port
        ).apply(lambda values: egress_rules(values[0], values[1], values[2], values[3], collector))
        k8s.networking.v1.NetworkPolicy(
            f"{name}-allow-egress",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=f"{APP_NAME}-egress", namespace=args.namespace, labels=common_labels()),
            spec=k8s.networking.v1.NetworkPolicySpecArgs(pod_selector=app_pods, policy_types=["Egress"], egress=egress),
            opts=child,
        )


def _namespaced_pods(namespace: str, labels: dict[str, str]) -> k8s.networking.v1.NetworkPolicyPeerArgs:
    return k8s.networking.v1.NetworkPolicyPeerArgs(
        namespace_selector=k8s.meta.v1.LabelSelectorArgs(match_labels={NAMESPACE_NAME_LABEL: namespace}),
        pod_selector=k8s.meta.v1.LabelSelectorArgs(match_labels=dict(labels)),
    )


def _spread(config: StackConfig, slot: Slot) -> list[k8s.core.v1.TopologySpreadConstraintArgs]:
    """Even across zones (hard on clouds, whose node groups span zones; soft on an existing cluster
    whose nodes may carry no zone label), and across nodes (soft)."""
    zone_rule = "ScheduleAnyway" if config.platform is Platform.KUBERNETES else "DoNotSchedule"
    selector = k8s.meta.v1.LabelSelectorArgs(match_labels=slot_selector(slot))
    return [
        k8s.core.v1.TopologySpreadConstraintArgs(
            max_skew=1, topology_key=ZONE_KEY, when_unsatisfiable=zone_rule, label_selector=selector,
            # Counted per ReplicaSet, so the surge of a rollout is not blocked by the old pods' spread.
            match_label_keys=["pod-template-hash"],
        ),
        k8s.core.v1.TopologySpreadConstraintArgs(
            max_skew=1, topology_key=HOST_KEY, when_unsatisfiable="ScheduleAnyway", label_selector=selector
        ),
    ]
