"""The edge: HAProxy in the cluster, behind each platform's front door."""

from __future__ import annotations

from collections.abc import Callable

from components.config import Platform, StackConfig
from components.edge.contract import EdgeArgs, EdgeExposure, EdgeOutputs, FrontDoor, FrontDoorArgs
from components.edge.proxy import EdgeProxy


def front_door(platform: Platform) -> tuple[Callable[[StackConfig], EdgeExposure], type[FrontDoor]]:
    """The platform's exposure settings for HAProxy and its front-door component."""
    # Imported lazily: each cloud SDK costs import time the other platforms need not pay.
    if platform is Platform.AWS:
        from components.edge import aws

        return aws.exposure, aws.AlbWafEntry
    if platform is Platform.AZURE:
        from components.edge import azure

        return azure.exposure, azure.AppGatewayEntry
    from components.edge import kubernetes

    return kubernetes.exposure, kubernetes.LoadBalancerEntry


__all__ = ["EdgeArgs", "EdgeExposure", "EdgeOutputs", "EdgeProxy", "FrontDoor", "FrontDoorArgs", "front_door"]
