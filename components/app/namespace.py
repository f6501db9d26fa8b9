"""The application namespace (its own issue adds the default-deny policies)."""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s

from components.app.contract import NamespaceArgs


class AppNamespace(pulumi.ComponentResource):
    name: pulumi.Output[str]

    def __init__(self, name: str, args: NamespaceArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("orchestrator:app:AppNamespace", name, None, opts)
        namespace = k8s.core.v1.Namespace(
            name,
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=args.config.app.namespace,
                labels={"pod-security.kubernetes.io/enforce": "restricted"},
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.name = namespace.metadata.name
        self.register_outputs({"name": self.name})
