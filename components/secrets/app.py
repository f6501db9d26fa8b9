"""The Kubernetes Secret through which a data service hands its credentials to the app."""

from __future__ import annotations

from collections.abc import Mapping

import pulumi
import pulumi_kubernetes as k8s

from components.conventions import COMPONENT_LABEL, PART_OF


def app_credentials_secret(
    name: str,
    *,
    secret_name: str,
    component: str,
    namespace: pulumi.Input[str],
    data: Mapping[str, pulumi.Input[str]],
    opts: pulumi.ResourceOptions,
) -> k8s.core.v1.Secret:
    """`string_data` keeps whatever secrecy its Outputs carry into the state and the export."""
    return k8s.core.v1.Secret(
        f"{name}-credentials",
        metadata=k8s.meta.v1.ObjectMetaArgs(
            name=secret_name, namespace=namespace,
            labels={**PART_OF, COMPONENT_LABEL: component},
        ),
        type="Opaque",
        string_data=dict(data),
        opts=opts,
    )
