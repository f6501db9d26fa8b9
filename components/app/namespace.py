"""The application namespace: Pod Security `restricted`, and a default-deny NetworkPolicy."""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s

from components.app.contract import NamespaceArgs
from components.conventions import PART_OF, RESTRICTED, pod_security_labels

DEFAULT_DENY_NAME = "default-deny"


class AppNamespace(pulumi.ComponentResource):
    name: pulumi.Output[str]

    def __init__(self, name: str, args: NamespaceArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("orchestrator:app:AppNamespace", name, None, opts)
        namespace = k8s.core.v1.Namespace(
            name,
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=args.config.app.namespace,
                # The admission controller refuses any pod below the `restricted` profile.
                labels={**pod_security_labels(RESTRICTED), **PART_OF},
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        # Every pod in the namespace (app and anything else put there) starts with no traffic at
        # all; the app's own policies then open exactly what it needs.
        deny = k8s.networking.v1.NetworkPolicy(
            f"{name}-default-deny",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=DEFAULT_DENY_NAME, namespace=namespace.metadata.name),
            spec=k8s.networking.v1.NetworkPolicySpecArgs(
                pod_selector=k8s.meta.v1.LabelSelectorArgs(),
                policy_types=["Ingress", "Egress"],
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.name = namespace.metadata.name
        self.default_deny = deny.metadata.name
        self.register_outputs({"name": self.name, "defaultDeny": self.default_deny})
