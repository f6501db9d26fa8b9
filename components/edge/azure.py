"""Azure front door: Application Gateway WAF_v2 (OWASP/DRS rules in Prevention mode, a per-client rate
limit, TLS 1.2+ policy, HTTP->HTTPS redirect) forwarding over HTTPS to HAProxy's internal load balancer.
HAProxy keeps its own TLS, security headers, rate limit and ACLs behind it."""

from __future__ import annotations

import math

import pulumi
import pulumi_tls as tls
from pulumi_azure_native import authorization, keyvault, managedidentity, network

from components.cluster.azure import ZONES, aks_foundation, role_definition_id
from components.config import NAMESPACE, StackConfig, stack_file
from components.conventions import METRICS_PATH, PROJECT
from components.edge import pfx
from components.edge.contract import EdgeExposure, FrontDoor, FrontDoorArgs
from components.network.azure import plan_subnets
from components.secrets.azure import KeyVaultStore, rfc3339_to_unix

SSL_POLICY = "AppGwSslPolicy20220101S"
"""Predefined policy: TLS 1.2 minimum (1.3 enabled), ECDHE/AES-GCM cipher suites only."""
MANAGED_RULE_SETS: tuple[tuple[str, str], ...] = (("Microsoft_DefaultRuleSet", "2.1"), ("Microsoft_BotManagerRuleSet", "1.1"))
"""DRS 2.1 is Microsoft's OWASP CRS 3.3-based set (SQL injection, XSS, ...); bot protection beside it."""
KEY_VAULT_SECRETS_USER_ROLE = "4633458b-17de-408a-b874-0445c86b69e6"
INTERNAL_PATHS = ["/admin", "/health", "/ready", METRICS_PATH]
"""Never served through the public gateway (HAProxy also refuses them from public sources)."""
LISTENER_CERTIFICATE_SECRET = "appGatewayCertificatePfx"  # declared in components.config.STACK_SECRETS
"""Stack secret (`pulumi config set --secret`) holding the public certificate the gateway serves."""
TRUSTED_ROOT = "edge-ca"
BOOTSTRAP_VALIDITY_HOURS = 90 * 24
INTERNAL_LB_ANNOTATION = "service.beta.kubernetes.io/azure-load-balancer-internal"
LB_ADDRESS_ANNOTATION = "service.beta.kubernetes.io/azure-load-balancer-ipv4"


def exposure(config: StackConfig) -> EdgeExposure:
    """HAProxy behind an internal Azure load balancer at a fixed address; the gateway's subnet is the
    only proxy whose X-Forwarded-For HAProxy trusts (so its rate limit and ACLs see the real client)."""
    plan = plan_subnets(config.network.cidr)
    return EdgeExposure(
        service_type="LoadBalancer",
        service_annotations={INTERNAL_LB_ANNOTATION: "true", LB_ADDRESS_ANNOTATION: plan.edge_address},
        internal=True,
        trusted_proxy_cidrs=[plan.gateway],
    )


def requests_per_minute(requests: int, window_seconds: int) -> int:
    """The edge rate limit (requests per window) as the WAF's per-minute threshold."""
    return max(1, math.ceil(requests * 60 / window_seconds))


def waf_custom_rules(config: StackConfig) -> list[network.WebApplicationFirewallCustomRuleArgs]:
    everyone = network.MatchConditionArgs(
        # "Not in 255.255.255.255/32" matches every client: the rule applies to all traffic.
        match_variables=[network.MatchVariableArgs(variable_name="RemoteAddr")], operator="IPMatch",
        negation_conditon=True, match_values=["255.255.255.255/32"],
    )
    return [
        network.WebApplicationFirewallCustomRuleArgs(
            name="blockinternalpaths", priority=5, rule_type="MatchRule", action="Block", state="Enabled",
            match_conditions=[network.MatchConditionArgs(
                match_variables=[network.MatchVariableArgs(variable_name="RequestUri")], operator="BeginsWith",
                match_values=INTERNAL_PATHS, transforms=["Lowercase", "UrlDecode"],
            )],
        ),
        network.WebApplicationFirewallCustomRuleArgs(
            name="ratelimitperclient", priority=10, rule_type="RateLimitRule", action="Block", state="Enabled",
            rate_limit_duration="OneMin",
            rate_limit_threshold=requests_per_minute(config.edge.rate_limit.requests, config.edge.rate_limit.window_seconds),
            group_by_user_session=[network.GroupByUserSessionArgs(
                group_by_variables=[network.GroupByVariableArgs(variable_name="ClientAddr")],
            )],
            match_conditions=[everyone],
        ),
    ]


class AppGatewayEntry(FrontDoor):
    """Public IP + WAF policy + Application Gateway WAF_v2, zone-redundant and autoscaled."""

    exposure = staticmethod(exposure)

    gateway_id: pulumi.Output[str]
    public_ip: pulumi.Output[str]
    waf_policy_id: pulumi.Output[str]

    def __init__(self, name: str, args: FrontDoorArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(name, args, opts)
        config = args.config
        foundation = aks_foundation(args.foundation)
        rg = foundation.resource_group_name
        tags = foundation.tags
        child = pulumi.ResourceOptions(parent=self)
        stack = pulumi.get_stack()
        hostname = config.edge.hostname
        backend_address = foundation.plan.edge_address
        backend_host = args.edge.serving_host_name or hostname
        trusted_ca = args.edge.trusted_ca_pem

        public_ip = network.PublicIPAddress(
            f"{name}-ip", resource_group_name=rg, sku=network.PublicIPAddressSkuArgs(name="Standard", tier="Regional"),
            public_ip_allocation_method="Static", public_ip_address_version="IPv4", zones=ZONES,
            dns_settings=network.PublicIPAddressDnsSettingsArgs(domain_name_label=f"orchestrator-{stack}"),
            tags=tags, opts=child,
        )
        waf = network.WebApplicationFirewallPolicy(
            f"{name}-waf",
            resource_group_name=rg,
            policy_name=f"{PROJECT}{stack.replace('-', '')}waf",
            policy_settings=network.PolicySettingsArgs(
                state="Enabled", mode="Prevention", request_body_check=True, max_request_body_size_in_kb=128,
                file_upload_limit_in_mb=100,
            ),
            managed_rules=network.ManagedRulesDefinitionArgs(managed_rule_sets=[
                network.ManagedRuleSetArgs(rule_set_type=kind, rule_set_version=version) for kind, version in MANAGED_RULE_SETS
            ]),
            custom_rules=waf_custom_rules(config),
            tags=tags, opts=child,
        )
        # The gateway reads its certificate from the stack's Key Vault (private endpoint) as this identity.
        identity = managedidentity.UserAssignedIdentity(f"{name}-identity", resource_group_name=rg, tags=tags, opts=child)
        reader = authorization.RoleAssignment(
            f"{name}-certificate-reader",
            principal_id=identity.principal_id,
            principal_type="ServicePrincipal",
            role_definition_id=foundation.subscription_id.apply(lambda sub: role_definition_id(sub, KEY_VAULT_SECRETS_USER_ROLE)),
            scope=foundation.vault.vault_id,
            opts=child,
        )
        certificate = self._listener_certificate(name, config, rg, foundation.vault, tags)

        gateway_name = f"orchestrator-{stack}-agw"
        base = pulumi.Output.all(foundation.subscription_id, rg).apply(
            lambda parts: f"/subscriptions/{parts[0]}/resourceGroups/{parts[1]}/providers/Microsoft.Network"
            f"/applicationGateways/{gateway_name}"
        )

        def ref(collection: str, item: str) -> network.SubResourceArgs:
            # Parts of one gateway reference each other by id, built from the gateway's own name.
            return network.SubResourceArgs(id=base.apply(lambda prefix: f"{prefix}/{collection}/{item}"))

        gateway = network.ApplicationGateway(
            f"{name}-gateway",
            resource_group_name=rg,
            application_gateway_name=gateway_name,
            sku=network.ApplicationGatewaySkuArgs(name="WAF_v2", tier="WAF_v2"),
            autoscale_configuration=network.ApplicationGatewayAutoscaleConfigurationArgs(
                min_capacity=config.network.azure.app_gateway_min_capacity,
                max_capacity=config.network.azure.app_gateway_max_capacity,
            ),
            zones=ZONES,
            enable_http2=True,
            identity=network.ManagedServiceIdentityArgs(
                type=network.ResourceIdentityType.USER_ASSIGNED, user_assigned_identities=[identity.id]
            ),
            firewall_policy=network.SubResourceArgs(id=waf.id),
            force_firewall_policy_association=True,
            ssl_policy=network.ApplicationGatewaySslPolicyArgs(policy_type="Predefined", policy_name=SSL_POLICY),
            gateway_ip_configurations=[network.ApplicationGatewayIPConfigurationArgs(
                name="gateway", subnet=network.SubResourceArgs(id=foundation.network.subnet_ids["gateway"]),
            )],
            frontend_ip_configurations=[network.ApplicationGatewayFrontendIPConfigurationArgs(
                name="public", public_ip_address=network.SubResourceArgs(id=public_ip.id),
            )],
            frontend_ports=[
                network.ApplicationGatewayFrontendPortArgs(name="https", port=443),
                network.ApplicationGatewayFrontendPortArgs(name="http", port=80),
            ],
            ssl_certificates=[network.ApplicationGatewaySslCertificateArgs(
                name="edge",
                # Versionless id of the secret this run writes: the gateway picks up new versions by itself.
                key_vault_secret_id=pulumi.Output.all(foundation.vault.vault_uri, certificate.name).apply(
                    lambda parts: f"{parts[0].rstrip('/')}/secrets/{parts[1]}"
                ),
            )],
            trusted_root_certificates=[network.ApplicationGatewayTrustedRootCertificateArgs(
                name=TRUSTED_ROOT, data=trusted_ca.apply(pfx.der_base64),
            )] if trusted_ca is not None else None,
            http_listeners=[
                network.ApplicationGatewayHttpListenerArgs(
                    name="https", protocol="Https", host_name=hostname, require_server_name_indication=True,
                    frontend_ip_configuration=ref("frontendIPConfigurations", "public"),
                    frontend_port=ref("frontendPorts", "https"), ssl_certificate=ref("sslCertificates", "edge"),
                ),
                network.ApplicationGatewayHttpListenerArgs(
                    name="http", protocol="Http", host_name=hostname,
                    frontend_ip_configuration=ref("frontendIPConfigurations", "public"),
                    frontend_port=ref("frontendPorts", "http"),
                ),
            ],
            redirect_configurations=[network.ApplicationGatewayRedirectConfigurationArgs(
                name="http-to-https", redirect_type="Permanent", target_listener=ref("httpListeners", "https"),
                include_path=True, include_query_string=True,
            )],
            backend_address_pools=[network.ApplicationGatewayBackendAddressPoolArgs(
                name="haproxy", backend_addresses=[network.ApplicationGatewayBackendAddressArgs(ip_address=backend_address)],
            )],
            probes=[network.ApplicationGatewayProbeArgs(
                # HAProxy's own health answer, as the ALB's health check on AWS: over TLS on the listener
                # (a probe must use its backend's protocol), answered only to the gateway's own address.
                name="haproxy", protocol="Https", host=backend_host, path=args.edge.health_path, interval=10,
                timeout=5, unhealthy_threshold=3, pick_host_name_from_backend_http_settings=False,
                match=network.ApplicationGatewayProbeHealthResponseMatchArgs(status_codes=["200-399"]),
            )],
            backend_http_settings_collection=[network.ApplicationGatewayBackendHttpSettingsArgs(
                # HTTPS to HAProxy with the name its certificate is issued for (SNI and Host), verified
                # against the program's CA when it issued that certificate, else against public roots.
                name="haproxy-https", protocol="Https", port=args.edge.https_port, host_name=backend_host,
                pick_host_name_from_backend_address=False, cookie_based_affinity="Disabled", request_timeout=30,
                probe=ref("probes", "haproxy"),
                trusted_root_certificates=[ref("trustedRootCertificates", TRUSTED_ROOT)] if trusted_ca is not None else None,
            )],
            request_routing_rules=[
                network.ApplicationGatewayRequestRoutingRuleArgs(
                    name="https", rule_type="Basic", priority=100, http_listener=ref("httpListeners", "https"),
                    backend_address_pool=ref("backendAddressPools", "haproxy"),
                    backend_http_settings=ref("backendHttpSettingsCollection", "haproxy-https"),
                ),
                network.ApplicationGatewayRequestRoutingRuleArgs(
                    name="http-redirect", rule_type="Basic", priority=200, http_listener=ref("httpListeners", "http"),
                    redirect_configuration=ref("redirectConfigurations", "http-to-https"),
                ),
            ],
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[reader, certificate]),
        )
        self.gateway_id = gateway.id
        self.public_ip = public_ip.ip_address.apply(lambda ip: ip or "")
        self.waf_policy_id = waf.id
        self.public_hostname = pulumi.Output.from_input(hostname)
        self.register_outputs({
            "publicHostname": self.public_hostname,
            "publicIp": self.public_ip,
            "gatewayFqdn": public_ip.dns_settings.apply(lambda dns: dns.fqdn if dns else ""),
            "gatewayId": self.gateway_id,
            "wafPolicyId": self.waf_policy_id,
            "backendAddress": backend_address,
        })

    def _listener_certificate(
        self, name: str, config: StackConfig, rg: pulumi.Input[str], vault: KeyVaultStore, tags: dict[str, str]
    ) -> keyvault.Secret:
        """The public certificate, written into the stack's vault through Azure Resource Manager (the
        vault's network rules do not apply there), so the first `up` needs nothing in the vault.

        From the stack secret `appGatewayCertificatePfx` when set (checked: a password-less PFX for
        edge.hostname); until then a bootstrap certificate the program issues, which browsers do not
        trust: the gateway can be created, and DNS should point at it only once the real one is set."""
        hostname = config.edge.hostname
        child = pulumi.ResourceOptions(parent=self)
        given = pulumi.Config(NAMESPACE).get_secret(LISTENER_CERTIFICATE_SECRET)
        if given is not None:
            where = f"{stack_file(pulumi.get_stack())}: {NAMESPACE}:{LISTENER_CERTIFICATE_SECRET}"
            value: pulumi.Output[str] = given
            expires = given.apply(lambda text: pfx.listener_expiry(text, hostname, where))
        else:
            pulumi.log.warn(
                f"the stack secret {NAMESPACE}:{LISTENER_CERTIFICATE_SECRET} is not set: the Application Gateway "
                f"serves a bootstrap certificate for {hostname} that browsers do not trust; set the real one with "
                f"`pulumi config set --secret {LISTENER_CERTIFICATE_SECRET} \"$(base64 -w0 edge.pfx)\"` and `pulumi up` "
                "before pointing DNS at the gateway", resource=self)
            key = tls.PrivateKey(f"{name}-bootstrap-key", algorithm="ECDSA", ecdsa_curve="P256", opts=child)
            bootstrap = tls.SelfSignedCert(
                f"{name}-bootstrap-cert",
                private_key_pem=key.private_key_pem,
                subject=tls.SelfSignedCertSubjectArgs(common_name=hostname, organization="orchestrator bootstrap"),
                dns_names=[hostname],
                validity_period_hours=BOOTSTRAP_VALIDITY_HOURS,
                early_renewal_hours=30 * 24,
                allowed_uses=["digital_signature", "key_encipherment", "server_auth"],
                opts=child,
            )
            value = pulumi.Output.all(key.private_key_pem, bootstrap.cert_pem).apply(lambda p: pfx.bundle(p[0], p[1]))
            expires = bootstrap.validity_end_time.apply(rfc3339_to_unix)
        return keyvault.Secret(
            f"{name}-certificate",
            resource_group_name=rg,
            vault_name=vault.vault_name,
            secret_name=config.network.azure.app_gateway_certificate,
            tags=tags,
            properties=keyvault.SecretPropertiesArgs(
                value=pulumi.Output.secret(value),
                # What the gateway expects of a secret holding a certificate: a base64, password-less PFX.
                content_type="application/x-pkcs12",
                attributes=keyvault.SecretAttributesArgs(enabled=True, expires=expires),
            ),
            opts=pulumi.ResourceOptions(parent=self, protect=config.is_production),
        )
