"""Kubernetes exposure: public Services, Ingress/Gateway listeners without TLS, NetworkPolicies that open
everything.

"The front door" is decided by the stack's structure, not by a label anyone can copy: the edge pods are the
pods that mount a ConfigMap holding an HAProxy configuration (a `.cfg` with `frontend`/`listen` sections)
and run haproxy. Every LoadBalancer or NodePort Service selecting them, internal load balancers included, is a
candidate, and exactly one may be the front door: the Service the stack exports as `edgeAddress` (a cluster
DNS name), else the one whose address the front door targets (the exported `edgeAddress` when it is an
address, or a cloud front door's backend pool, e.g. the Application Gateway's backend IP that the internal
load balancer's `azure-load-balancer-ipv4` annotation fixes), else the only candidate. Any other candidate is a
finding (a public Service beside an internal front door bypasses the cloud front door's WAF), and so is a
structure that does not single out one. Where a cloud front door (a public application load balancer, an
Application Gateway) stands in front of the edge, the edge Service itself must not be public either.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from pulumi_policy import PolicyResource, Severity

from . import verify
from .common import INDEPENDENT, Meta, Stack, get, items, mapping, stack_rule
from .k8s_objects import (
    NOT_BLIND,
    Blind,
    blind_text,
    derive,
    hiding_pods,
    namespace_of,
    objects,
    selector_is_empty,
    selector_matches,
    settle,
    whole_pods,
)
from .netaddr import covers_internet
from .workloads import WITHOUT_POD_TEMPLATES, Pod, port_number

PUBLIC_TYPES = ("LoadBalancer", "NodePort")
INTERNAL_LB_ANNOTATIONS = {
    "service.beta.kubernetes.io/aws-load-balancer-scheme": "internal",
    "service.beta.kubernetes.io/aws-load-balancer-internal": "true",
    "service.beta.kubernetes.io/azure-load-balancer-internal": "true",
    "networking.gke.io/load-balancer-type": "internal",
    "cloud.google.com/load-balancer-type": "internal",
}


def internal_load_balancer(annotations: Mapping[str, Any]) -> bool:
    return any(key in annotations and str(annotations.get(key, "")).strip().lower() == wanted
               for key, wanted in INTERNAL_LB_ANNOTATIONS.items())


def _provider(resource: PolicyResource) -> Mapping[str, Any]:
    return resource.provider.props if resource.provider is not None else {}


def _kind(resource: PolicyResource) -> str:
    return resource.resource_type.rsplit(":", 1)[-1]


@dataclass(frozen=True)
class EdgePod:
    namespace: str
    pod: Pod
    resource: PolicyResource


def _haproxy_config(text: Any) -> bool:
    if not isinstance(text, str):
        return False
    sections = {line.split(None, 1)[0] for line in text[:1_000_000].splitlines() if line[:1].isalpha()}
    return bool(sections & {"frontend", "listen"})


def _mounted_configmaps(pod: Pod) -> set[str]:
    names: set[str] = set()
    for volume in items(get(pod.spec, "volumes")):
        if get(volume, "configMap", "name"):
            names.add(str(get(volume, "configMap", "name")))
        for source in items(get(volume, "projected", "sources")):
            if get(source, "configMap", "name"):
                names.add(str(get(source, "configMap", "name")))
    return names


def _runs_haproxy(pod: Pod) -> bool:
    for c in pod.containers():
        if c.list_name != "containers":
            continue
        image = str(get(c.data, "image", default="")).rsplit("/", 1)[-1].split("@", 1)[0].split(":", 1)[0]
        command = [str(x) for x in items(get(c.data, "command"))[:1]]
        if image.startswith("haproxy") or any(x.rsplit("/", 1)[-1] == "haproxy" for x in command):
            return True
    return False


@dataclass(frozen=True)
class _PodFacts:
    """What decides whether a pod is an edge pod; None where the value is blind."""

    namespace: str | None
    labels: Mapping[str, str] | None
    runs_haproxy: bool | None
    mounts: frozenset[str] | None
    blind: Blind

    def may_be_selected(self, selector: Mapping[str, Any], namespace: str) -> bool:
        return self.namespace in (None, namespace) and self.runs_haproxy is not False and (
            self.labels is None or (bool(selector) and selector_matches(selector, self.labels)))


@dataclass
class Edge:
    """The edge pods, and what may be an edge pod but cannot be judged: pods whose labels, namespace, image or
    volumes are blind (or that may hide in a blind object), ConfigMaps whose configuration is blind."""

    pods: list[EdgePod]
    haproxy_pods: list[_PodFacts]
    """Pods that run haproxy, edge or not (a blind ConfigMap they mount may make them edge pods)."""
    doubtful_pods: list[_PodFacts]
    configs: set[tuple[str, str]]
    doubtful_configs: list[tuple[str | None, str | None, Blind]]
    """(namespace, name, blind): None where that is blind."""

    def selects(self, selector: Any, namespace: str) -> bool:
        return _selects_edge(selector, namespace, self.pods)

    def doubt(self, selector: Any, namespace: str) -> Blind:
        """The blind values that could make `selector` (in `namespace`) select an edge pod: read them (`replay`)
        in the piece whose finding says it selects none."""
        sel = mapping(selector)
        out = NOT_BLIND
        for facts in self.doubtful_pods:
            if facts.may_be_selected(sel, namespace):
                out = out | facts.blind
        configs = [(name, blind) for ns, name, blind in self.doubtful_configs if ns in (None, namespace)]
        for facts in (self.haproxy_pods + self.doubtful_pods) if configs else []:
            if facts.may_be_selected(sel, namespace):
                for name, blind in configs:
                    if name is None or facts.mounts is None or name in facts.mounts:
                        out = out | blind
        return out


def _config_facts(config: PolicyResource) -> tuple[str, str, bool]:
    data = mapping(get(config.props, "data"))
    haproxy = False
    for key in data:
        if str(key).endswith(".cfg"):  # only the configuration files: a blind value elsewhere decides nothing here
            value = data[key]
            verify.needs_value(value)
            haproxy = haproxy or _haproxy_config(value)
    name = settle(get(config.props, "metadata", "name", default=""))
    return namespace_of(config.props, _provider(config)), str(name), haproxy


def _namespace_hidden(blind: Blind) -> bool:
    return any(p[-1:] == ("namespace",) or (p[-1:] == ("metadata",) and "template" not in p) for _, p in blind.reads)


def _pod_facts(resource: PolicyResource, pod: Pod, structure: Blind) -> _PodFacts | None:
    """A pod that may be an edge pod (blind), one that runs haproxy, or None."""
    def placement() -> tuple[str, dict[str, str]]:
        own = namespace_of(resource.props, _provider(resource))
        labels = settle(get(pod.metadata, "labels"))
        verify.needs_value(labels)
        return pod.namespace or own, {str(k): str(v) for k, v in mapping(labels).items()}

    def role() -> tuple[bool, frozenset[str]]:
        return _runs_haproxy(pod), frozenset(_mounted_configmaps(pod))

    (namespace, labels), where = derive(placement, resource.props, _provider(resource))
    (runs, mounts), what = derive(role, resource.props)
    where = structure | where
    if where or what or blind_text(namespace):
        return _PodFacts(None if _namespace_hidden(where) or blind_text(namespace) else namespace,
                         None if where else labels, None if what else runs, None if what else mounts, where | what)
    return _PodFacts(namespace, labels, True, mounts, NOT_BLIND) if runs else None


def edge(stack: Stack) -> Edge:
    """The stack's edge pods and what may be one (derived once per request)."""
    return verify.per_request("k8s-edge", stack.by_urn, lambda: _edge_of(stack))


def _edge_of(stack: Stack) -> Edge:
    result = Edge([], [], [], set(), [])
    for config in stack.resources:
        if _kind(config) != "ConfigMap":
            continue
        (namespace, name, haproxy), blind = derive(functools.partial(_config_facts, config), config.props,
                                                   _provider(config))
        if blind:
            paths = [p for _, p in blind.reads]
            result.doubtful_configs.append((
                None if _namespace_hidden(blind) else namespace,
                None if any(p[:2] == ("metadata", "name") or p == ("metadata",) for p in paths) else name, blind))
        elif haproxy:
            result.configs.add((namespace, name))
    for resource in stack.resources:
        type_ = resource.resource_type
        if not type_.startswith("kubernetes:"):
            continue
        found_pods, structure = derive(functools.partial(whole_pods, type_, resource.props), resource.props)
        if not found_pods:
            structure = hiding_pods(structure)
            if structure and type_ not in WITHOUT_POD_TEMPLATES:
                result.doubtful_pods.append(_PodFacts(None, None, None, None, structure))
            continue
        structure = Blind(tuple(r for r in structure.reads if "metadata" in r[1]))
        for pod in found_pods:
            facts = _pod_facts(resource, pod, structure)
            if facts is None:
                continue
            if facts.blind:
                result.doubtful_pods.append(facts)
                continue
            result.haproxy_pods.append(facts)
            namespace = str(facts.namespace)
            if any((namespace, name) in result.configs for name in facts.mounts or ()):
                result.pods.append(EdgePod(namespace, pod, resource))
    return result


def edge_pods(stack: Stack) -> list[EdgePod]:
    return edge(stack).pods


def _selects_edge(selector: Any, namespace: str, pods: list[EdgePod]) -> bool:
    sel = mapping(selector)
    return bool(sel) and any(e.namespace == namespace and selector_matches(sel, e.pod.labels) for e in pods)


# --- Services ----------------------------------------------------------------------------------------

public_service = Meta(
    name="k8s-no-public-service",
    description="Only the edge proxy's front-door Service is exposed (LoadBalancer or NodePort, with "
                "externalTrafficPolicy Local); no Service uses externalIPs.",
    severity=Severity.HIGH,
    categories=("AA", "HE"),
    references=("Pulumi compliance-policies disallow-load-balancer", "kube-linter exposed-services",
                "Kubescape C-0035", "CVE-2020-8554"),
    remediation="Use ClusterIP Services; route public traffic through the one HAProxy front-door Service (the "
                "Service selecting the pods that run haproxy with the stack's configuration), which sets "
                "`externalTrafficPolicy: Local`; never set `spec.externalIPs`.",
)


def _service_type(value: Any) -> str:
    """spec.type as the API server would read it (a different case is the same intent)."""
    text = str(value).strip()
    return {t.lower(): t for t in (*PUBLIC_TYPES, "ClusterIP", "ExternalName")}.get(text.lower(), text)


def _show_selector(selector: Any) -> str:
    shown = ", ".join(f"{k}={v}" for k, v in sorted(mapping(selector).items(), key=lambda kv: str(kv[0])))
    return (shown[:120] or "none: it selects no pods of the stack, so its endpoints are set by hand")


def _exported_edge(stack: Stack) -> tuple[str, str] | None:
    address = stack.output("edgeAddress")
    verify.needs_value(address)
    # Only a cluster DNS name (`name.namespace.svc[.cluster.local]`) names a Service; an IP or hostname does not.
    if not isinstance(address, str) or ".svc" not in address:
        return None
    parts = address.split(".")
    if len(parts) < 3 or parts[2] != "svc":
        return None
    return parts[0], parts[1]


ADDRESS_ANNOTATIONS = ("service.beta.kubernetes.io/azure-load-balancer-ipv4",
                       "service.beta.kubernetes.io/azure-load-balancer-ipv6")
APP_GATEWAY = "azure-native:network:ApplicationGateway"


def _front_door_targets(stack: Stack) -> set[str]:
    """Addresses the stack's front door sends traffic to: the exported edge address (when it is an address, not
    a Service name) and the backend addresses of a cloud front door (an Application Gateway's pools)."""
    targets: set[str] = set()
    address = stack.output("edgeAddress")
    if isinstance(address, str) and address and _exported_edge(stack) is None:
        targets.add(address.strip().lower())
    for gateway in stack.of(APP_GATEWAY):
        for pool in items(get(gateway.props, "backendAddressPools")):
            for backend in items(get(pool, "backendAddresses")):
                for key in ("ipAddress", "fqdn"):
                    if get(backend, key):
                        targets.add(str(get(backend, key)).strip().lower())
    return targets


PUBLIC_LOAD_BALANCERS = ("aws:lb/loadBalancer:LoadBalancer", "aws:alb/loadBalancer:LoadBalancer")


def _cloud_front_door(stack: Stack) -> str:
    """The cloud front door in front of the edge (a public AWS load balancer, an Application Gateway), or ''."""
    for balancer in stack.of(*PUBLIC_LOAD_BALANCERS):
        if get(balancer.props, "internal") is not True and str(get(balancer.props, "loadBalancerType",
                                                                       default="application")) == "application":
            return f"the application load balancer {balancer.name}"
    for gateway in stack.of(APP_GATEWAY):
        return f"the Application Gateway {gateway.name}"
    return ""


def _service_addresses(service: PolicyResource) -> set[str]:
    """The fixed or assigned addresses of a load balancer Service."""
    annotations = mapping(get(service.props, "metadata", "annotations"))
    found = {str(annotations[k]).strip().lower() for k in ADDRESS_ANNOTATIONS if annotations.get(k)}
    if get(service.props, "spec", "loadBalancerIP"):
        found.add(str(get(service.props, "spec", "loadBalancerIP")).strip().lower())
    for ingress in items(get(service.props, "status", "loadBalancer", "ingress")):
        for key in ("ip", "hostname"):
            if get(ingress, key):
                found.add(str(get(ingress, key)).strip().lower())
    return found


def _identity(service: PolicyResource) -> tuple[str, str]:
    return str(get(service.props, "metadata", "name", default="")), namespace_of(service.props, _provider(service))


def _front_door(stack: Stack, candidates: list[PolicyResource]) -> tuple[list[PolicyResource], str]:
    """The Services that may be the front door, decided by the stack's structure, and how it was decided:
    the Service the stack exports as its edge address (possibly a ClusterIP one, then no candidate is), else
    the ones whose address the front door targets (the exported address, a cloud front door's backend pool),
    else every candidate. More than one means the structure does not single one out."""
    exported = _exported_edge(stack)
    if exported is not None:
        return [s for s in candidates if _identity(s) == exported], \
            f"{exported[1]}/{exported[0]}, exported as edgeAddress"
    targets = _front_door_targets(stack)
    targeted = [s for s in candidates if _service_addresses(s) & targets]
    if targeted:
        return targeted, f"the one the front door targets at {', '.join(sorted(targets))[:80]}"
    return candidates, "the only Service exposing the edge pods"


def _door_facts(service: PolicyResource) -> tuple[str, str, Any, bool]:
    """(type, namespace, selector, internal) of a Service, settled."""
    kind = _service_type(settle(get(service.props, "spec", "type", default="ClusterIP")))
    annotations = settle(get(service.props, "metadata", "annotations"))
    return kind, namespace_of(service.props, _provider(service)), settle(get(service.props, "spec", "selector")), \
        kind == "LoadBalancer" and internal_load_balancer(mapping(annotations))


def _target_group_bindings(stack: Stack, edge_of: Edge) -> Iterator[tuple[str, str | None]]:
    """An AWS load balancer controller TargetGroupBinding registers a Service's pods in a cloud load balancer's
    target group: like a LoadBalancer Service, it may only point at the edge proxy."""
    services: dict[tuple[str, str], PolicyResource] = {}
    bindings: list[PolicyResource] = []
    unsure = NOT_BLIND  # Services whose name or namespace is blind: one of them may be the Service a binding names
    for resource in objects(stack):
        if _kind(resource) in ("Service", "ServicePatch"):
            identity, blind = derive(functools.partial(_identity, resource), resource.props, _provider(resource))
            if blind:
                unsure = unsure | blind
            else:
                services[identity] = resource
        elif _kind(resource) == "TargetGroupBinding" and resource.resource_type.startswith("kubernetes:elbv2.k8s.aws/"):
            bindings.append(resource)
    for binding in bindings:
        yield INDEPENDENT  # each binding is judged on the Service it names
        namespace = namespace_of(binding.props, _provider(binding))
        name = str(get(binding.props, "spec", "serviceRef", "name", default=""))
        service = services.get((name, namespace))
        if service is None:
            unsure.replay()
            yield f"spec.serviceRef names Service {namespace}/{name[:80]}, which the stack does not declare: the " \
                  "load balancer's target group may reach any pods", binding.urn
            continue
        selector = settle(get(service.props, "spec", "selector"))
        if not edge_of.selects(selector, namespace):
            edge_of.doubt(selector, namespace).replay()
            yield f"spec.serviceRef names Service {namespace}/{name[:80]}, which exposes pods other than the edge proxy " \
                  f"(selector {_show_selector(selector)}) to the load balancer's target group", binding.urn


@stack_rule(public_service)
def k8s_no_public_service(stack: Stack) -> Iterator[tuple[str, str | None]]:
    edge_of = edge(stack)
    candidates: list[PolicyResource] = []
    unsure = NOT_BLIND  # Services whose type or selector is blind: they may be one more way to the edge pods
    for service in objects(stack):
        if _kind(service) not in ("Service", "ServicePatch"):
            continue
        yield INDEPENDENT  # each Service is judged on its own settings and the pods it may select
        external = [str(x) for x in items(settle(get(service.props, "spec", "externalIPs")))]
        if external:
            yield f"spec.externalIPs {', '.join(external)[:120]} publishes the Service on those addresses", service.urn
        yield INDEPENDENT
        (kind, namespace, selector, internal), blind = derive(functools.partial(_door_facts, service), service.props,
                                                              _provider(service))
        if blind:
            blind.replay()  # its own type or selector: reported, its findings withheld
            unsure = unsure | blind
            continue
        if kind not in PUBLIC_TYPES:
            continue
        if edge_of.selects(selector, namespace):
            candidates.append(service)  # internal load balancers too: a second one is a second way in
        else:
            edge_of.doubt(selector, namespace).replay()  # a pod or ConfigMap it cannot read may make these edge pods
            # An internal load balancer still opens the pods to the whole network, around the edge's rules.
            how = "an internal " if internal else "a "
            yield f"{how}{kind} Service (spec.type: {kind}) exposes pods other than the edge proxy " \
                  f"(selector {_show_selector(selector)})", service.urn

    yield from _target_group_bindings(stack, edge_of)

    def decide() -> tuple[list[PolicyResource], str]:
        if len(candidates) < 2 and _exported_edge(stack) is None:
            return candidates, "the only Service exposing the edge pods"
        return _front_door(stack, candidates)

    read = [r.props for r in (*stack.of("pulumi:pulumi:Stack"), *stack.of(APP_GATEWAY), *candidates)]
    decided, door_blind = derive(decide, *read)

    def front_door() -> tuple[list[PolicyResource], str]:
        """Decided once; what it could not read is read again before each finding that depends on it (the
        outputs, the addresses, the Services whose type or selector is blind)."""
        unsure.replay()
        door_blind.replay()
        return decided

    for door in candidates:
        yield INDEPENDENT
        doors, how = front_door()
        cloud = _cloud_front_door(stack)
        if cloud and any(door is d for d in doors):
            kind = _service_type(get(door.props, "spec", "type"))
            if kind == "NodePort" or not internal_load_balancer(mapping(get(door.props, "metadata", "annotations"))):
                yield f"the edge {kind} Service is public although the stack's front door is {cloud}: clients reach " \
                      "HAProxy around its WAF (keep the Service ClusterIP or an internal load balancer)", door.urn
    for service in candidates:
        yield INDEPENDENT
        doors, how = front_door()
        if any(service is door for door in doors):
            continue
        internal_door = any(internal_load_balancer(mapping(get(d.props, "metadata", "annotations"))) for d in doors)
        kind = _service_type(get(service.props, "spec", "type"))
        public = kind == "NodePort" or not internal_load_balancer(mapping(get(service.props, "metadata", "annotations")))
        beside = " (a public one beside an internal front door bypasses the cloud front door)" \
            if public and internal_door else ""
        yield f"a second {kind} Service exposes the edge pods{beside}; the front door is {how}", service.urn
    yield INDEPENDENT
    doors, how = front_door()
    if len(doors) > 1:
        for service in doors:
            yield INDEPENDENT
            doors, how = front_door()
            yield f"{len(doors)} LoadBalancer/NodePort Services expose the edge pods and the stack's structure does not " \
                  "single out one front door; keep one", service.urn
    elif doors and get(doors[0].props, "spec", "externalTrafficPolicy") != "Local":
        yield f"the edge {get(doors[0].props, 'spec', 'type')} Service does not set spec.externalTrafficPolicy: Local " \
              "(client addresses are lost)", doors[0].urn


# --- Ingress and Gateway API -------------------------------------------------------------------------

ingress_tls = Meta(
    name="k8s-ingress-tls",
    description="Ingresses terminate TLS for every host, and Gateway API listeners carrying routes are HTTPS or TLS "
                "(a plaintext listener may only redirect to HTTPS).",
    severity=Severity.HIGH,
    categories=("TS",),
    references=("Pulumi compliance-policies disallow-unencrypted-traffic",
                "Kubescape C-0263"),
    remediation="Add `spec.tls` entries covering every host of the Ingress; give Gateway listeners `protocol: HTTPS` "
                "(or TLS) with certificateRefs, and attach to a plaintext listener only an HTTPRoute whose rules "
                "redirect to https.",
)

PLAINTEXT_LISTENERS = {"HTTP", "TCP", "UDP"}


def _host_covered(host: str, tls_hosts: set[str]) -> bool:
    if host in tls_hosts:
        return True
    return any(t.startswith("*.") and host.endswith(t[1:]) and host.count(".") == t.count(".") for t in tls_hosts)


# Controller annotations that keep a plaintext listener serving although the Ingress has TLS:
# (annotation, value that does so, what it means).
PLAINTEXT_ANNOTATIONS = (
    ("nginx.ingress.kubernetes.io/ssl-redirect", "false", "turns the HTTP to HTTPS redirect off"),
    ("kubernetes.io/ingress.allow-http", "true", "serves plain HTTP beside HTTPS"),
    ("traefik.ingress.kubernetes.io/router.entrypoints", "web", "routes the plaintext `web` entry point"),
)


def _plaintext_annotations(annotations: Mapping[str, Any]) -> Iterator[str]:
    for key, bad, meaning in PLAINTEXT_ANNOTATIONS:
        value = annotations.get(key)
        if value is not None and bad in [part.strip().lower() for part in str(value).split(",")]:
            yield f"metadata.annotations {key}: {str(value)[:40]} {meaning}"
    listen = annotations.get("alb.ingress.kubernetes.io/listen-ports")
    if listen is not None and '"http"' in str(listen).lower() and "alb.ingress.kubernetes.io/ssl-redirect" not in annotations:
        yield f"metadata.annotations alb.ingress.kubernetes.io/listen-ports: {str(listen)[:60]} listens on HTTP without " \
              "alb.ingress.kubernetes.io/ssl-redirect"


def _ingress(resource: PolicyResource) -> Iterator[str]:
    spec = mapping(get(resource.props, "spec"))
    yield from _plaintext_annotations(mapping(get(resource.props, "metadata", "annotations")))
    tls = items(get(spec, "tls"))
    if not tls:
        yield "the Ingress has no spec.tls: it serves plaintext HTTP"
        return
    tls_hosts = {str(h) for entry in tls for h in items(get(entry, "hosts"))}
    for index, rule in enumerate(items(get(spec, "rules"))):
        host = get(rule, "host")
        if host is None:
            if tls_hosts:
                yield f"spec.rules[{index}] has no host, so TLS (for {', '.join(sorted(tls_hosts))[:80]}) does not cover it"
        elif not _host_covered(str(host), tls_hosts):
            yield f"spec.rules[{index}] host {str(host)[:80]} is not covered by spec.tls"


def _redirects_only(route: PolicyResource) -> bool:
    rules = items(get(route.props, "spec", "rules"))
    if not rules:
        return False
    for rule in rules:
        filters = items(get(rule, "filters"))
        if not any(get(f, "type") == "RequestRedirect" and str(get(f, "requestRedirect", "scheme", default="")).lower()
                   == "https" for f in filters):
            return False
    return True


@stack_rule(ingress_tls)
def k8s_ingress_tls(stack: Stack) -> Iterator[tuple[str, str | None]]:
    plaintext: dict[tuple[str, str], list[tuple[str, Any]]] = {}
    gateways: dict[tuple[str, str], PolicyResource] = {}
    routes: list[PolicyResource] = []
    protocols: dict[tuple[tuple[str, str], str], str] = {}
    for resource in objects(stack):
        type_ = resource.resource_type
        if not type_.startswith("kubernetes:"):
            continue
        kind = _kind(resource)
        yield INDEPENDENT  # each Ingress is judged on its own settings
        if kind == "Ingress" and ("networking.k8s.io/" in type_ or "extensions/" in type_):
            for problem in _ingress(resource):
                yield problem, resource.urn
        elif kind == "Gateway" and "gateway.networking.k8s.io/" in type_:
            key = (namespace_of(resource.props, _provider(resource)), str(get(resource.props, "metadata", "name", default="")))
            gateways[key] = resource
            for listener in items(get(resource.props, "spec", "listeners")):
                if str(get(listener, "protocol", default="")).upper() in PLAINTEXT_LISTENERS:
                    port = port_number(get(listener, "port"))
                    protocols[(key, str(get(listener, "name", default="?")))] = str(get(listener, "protocol")).upper()
                    plaintext.setdefault(key, []).append((str(get(listener, "name", default="?")),
                                                          port if port is not None else get(listener, "port")))
        elif kind in ("HTTPRoute", "GRPCRoute", "TCPRoute", "UDPRoute") and "gateway.networking.k8s.io/" in type_:
            routes.append(resource)
    redirected: set[tuple[tuple[str, str], str]] = set()
    unsure: dict[tuple[str, str] | None, Blind] = {}
    """Routes whose references or rules are blind, by the Gateway they name (None: any): one may be the redirect."""
    for route in routes:
        yield INDEPENDENT  # each route is judged on its own references and rules
        namespace = namespace_of(route.props, _provider(route))
        refs, refs_blind = derive(lambda route=route: settle(get(route.props, "spec", "parentRefs")),  # type: ignore[misc]
                                  route.props)
        _, rules_blind = derive(lambda route=route: settle(get(route.props, "spec", "rules")), route.props)  # type: ignore[misc]
        if refs_blind or rules_blind:
            (refs_blind | rules_blind).replay()
            names = [None] if refs_blind else [(str(get(ref, "namespace", default=namespace)), str(get(ref, "name", default="")))
                                               for ref in items(refs)]
            for name in names:
                unsure[name] = unsure.get(name, NOT_BLIND) | refs_blind | rules_blind
            continue
        for ref in items(get(route.props, "spec", "parentRefs")):
            if get(ref, "kind", default="Gateway") != "Gateway":
                continue
            key = (str(get(ref, "namespace", default=namespace)), str(get(ref, "name", default="")))
            section = get(ref, "sectionName")
            port = port_number(get(ref, "port"))
            for listener, listener_port in plaintext.get(key, []):
                if (section is not None and section != listener) or (port is not None and port != listener_port):
                    continue
                if _kind(route) == "HTTPRoute" and _redirects_only(route):
                    redirected.add((key, listener))
                    continue
                yield f"{_kind(route)} attaches to plaintext listener '{listener}' (port {listener_port}) of Gateway " \
                      f"{key[0]}/{key[1]} without redirecting to https", route.urn
    for key, listeners in plaintext.items():
        for listener, port in listeners:
            yield INDEPENDENT
            if (key, listener) not in redirected:
                (unsure.get(key, NOT_BLIND) | unsure.get(None, NOT_BLIND)).replay()  # a blind route may redirect it
                yield f"spec.listeners '{listener}' (port {port}, protocol {protocols.get((key, listener), '?')}) is " \
                      "plaintext; use HTTPS or TLS, or attach only a " \
                      f"redirect-to-https HTTPRoute", gateways[key].urn


# --- NetworkPolicies ---------------------------------------------------------------------------------

allow_all = Meta(
    name="k8s-network-policy-no-allow-all",
    description="No NetworkPolicy rule opens its pods to everything (no peers, an empty peer, every namespace, or "
                "ranges covering the Internet on every port), and only the edge pods admit the Internet.",
    severity=Severity.HIGH,
    categories=("AA",),
    references=("CKV2_K8S_6", "kube-linter non-isolated-pod", "Kubescape C-0260", "CIS EKS 4.3.2"),
    remediation="List the peers (namespaceSelector + podSelector, or private ipBlocks) and the ports each rule needs. "
                "A rule without `from`/`to`, with `{}`, with `namespaceSelector: {}` alone or with an ipBlock covering "
                "public space admits everything; only the edge proxy's pods may admit the Internet.",
    config={"exemptions": {
        "type": "object",
        "description": "NetworkPolicies ('namespace/name') allowed to reach beyond the rule, by direction, with the "
                       "ports they may open ('*' = every port): the monitoring operator's webhook is called by the "
                       "API server from node addresses, and Prometheus scrapes node exporters and kubelets on node "
                       "addresses, so neither has an in-cluster selector.",
        "default": {"ingress": {"monitoring/allow-stack": ["10250"]},
                    "egress": {"monitoring/prometheus-scrape": ["*"]}},
    }},
)


def _ports(rule: Any) -> list[str] | None:
    """The ports a rule opens, or None for every port."""
    listed = items(get(rule, "ports"))
    if not listed:
        return None
    ports = [str(port_number(get(p, "port")) if port_number(get(p, "port")) is not None else get(p, "port"))
             for p in listed if get(p, "port") is not None]
    if len(ports) < len(listed):
        return None  # an entry with a protocol and no port opens every port of that protocol
    return ports


def _everything(peers: list[Any], direction: str) -> str | None:
    """Why a rule's peers are everyone, or None."""
    if not peers:
        return f"no `{'from' if direction == 'ingress' else 'to'}` peers (everyone, the Internet included)"
    cidrs: list[Any] = []
    for peer in peers:
        if not isinstance(peer, Mapping) or not any(get(peer, k) is not None for k in ("podSelector", "namespaceSelector",
                                                                                       "ipBlock")):
            return "an empty peer `{}` (everyone)"
        ns_selector = get(peer, "namespaceSelector")
        pod_selector = get(peer, "podSelector")
        if ns_selector is not None and _selects_all(ns_selector, NAMESPACE_LABELS) \
                and (pod_selector is None or _selects_all(pod_selector, frozenset())):
            shown = "namespaceSelector: {}" if selector_is_empty(ns_selector) else \
                "a namespaceSelector matching every namespace (only Exists on built-in labels, NotIn or DoesNotExist)"
            pods_part = " without a podSelector" if pod_selector is None else " with an empty podSelector"
            return f"`{shown}`{pods_part} (every pod of every namespace)"
        if get(peer, "ipBlock", "cidr") is not None:
            cidrs.append(get(peer, "ipBlock", "cidr"))
    if cidrs and covers_internet(cidrs):
        return f"ipBlocks {', '.join(str(c) for c in cidrs)[:100]} covering the Internet"
    return None


NAMESPACE_LABELS = frozenset({"kubernetes.io/metadata.name"})
"""Labels every namespace carries (the API server sets them), so `Exists` on them selects every namespace."""


def _selects_all(selector: Any, always: frozenset[str]) -> bool:
    """A LabelSelector that matches everything: empty, only `Exists` on labels every object carries, or only
    exclusions (`NotIn`, `DoesNotExist`): those admit every object but the few they name, new ones included."""
    if not isinstance(selector, Mapping):
        return False
    if mapping(get(selector, "matchLabels")):
        return False
    for expression in items(get(selector, "matchExpressions")):
        operator = str(get(expression, "operator", default=""))
        if operator in ("NotIn", "DoesNotExist"):
            continue
        if operator != "Exists" or str(get(expression, "key", default="")) not in always:
            return False
    return True


def _internet(peers: list[Any]) -> bool:
    cidrs = [get(p, "ipBlock", "cidr") for p in peers if get(p, "ipBlock", "cidr") is not None]
    return not peers or (bool(cidrs) and covers_internet(cidrs))


def _exempt(exemptions: Mapping[str, Any], direction: str, policy_id: str, ports: list[str] | None) -> bool:
    allowed = [str(p) for p in items(get(mapping(exemptions), direction, policy_id))]
    if "*" in allowed:
        return True
    return ports is not None and all(p in allowed for p in ports)


@stack_rule(allow_all)
def k8s_network_policy_no_allow_all(stack: Stack) -> Iterator[tuple[str, str | None]]:
    edge_of = edge(stack)
    exemptions = mapping(stack.config.get("exemptions"))
    for policy in objects(stack):
        if not policy.resource_type.startswith(("kubernetes:networking.k8s.io/", "kubernetes:extensions/")) or \
                _kind(policy) not in ("NetworkPolicy", "NetworkPolicyPatch"):
            continue
        for direction, peer_key in (("ingress", "from"), ("egress", "to")):
            for index, declared in enumerate(items(get(policy.props, "spec", direction))):
                yield INDEPENDENT  # each rule of each policy is judged on its own peers and ports
                namespace = namespace_of(policy.props, _provider(policy))
                policy_id = f"{namespace}/{settle(get(policy.props, 'metadata', 'name', default=''))}"
                rule = settle(declared)  # every value of the rule read now: a blind one withholds this rule's finding only
                peers = items(get(rule, peer_key))
                ports = _ports(rule)
                where = f"spec.{direction}[{index}]"
                reason = _everything(peers, direction)
                if _exempt(exemptions, direction, policy_id, ports):
                    continue
                if reason is not None and ports is None:
                    yield f"{where} allows {reason} on every port", policy.urn
                elif direction == "ingress" and _internet(peers):
                    selector = settle(get(policy.props, "spec", "podSelector"))
                    specific = bool(mapping(get(selector, "matchLabels")) or items(get(selector, "matchExpressions")))
                    if specific and edge_of.selects(selector, namespace):
                        continue
                    if specific:
                        edge_of.doubt(selector, namespace).replay()  # a pod it cannot read may be an edge pod
                    yield f"{where} admits the Internet ({reason or 'public ranges'}) on ports " \
                          f"{', '.join(ports or ['*'])} to pods that are not the edge proxy", policy.urn


POLICIES = [k8s_no_public_service, k8s_ingress_tls, k8s_network_policy_no_allow_all]
