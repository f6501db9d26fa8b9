"""Network and Kubernetes cluster, one module per platform."""

from __future__ import annotations

from components.cluster.contract import Foundation, FoundationArgs
from components.cluster.kubernetes import ExistingCluster
from components.config import Platform


def foundation_class(platform: Platform) -> type[Foundation]:
    # Imported lazily: each cloud SDK costs import time the other platforms need not pay.
    if platform is Platform.AWS:
        from components.cluster.aws import EksFoundation

        return EksFoundation
    if platform is Platform.AZURE:
        from components.cluster.azure import AksFoundation

        return AksFoundation
    return ExistingCluster


__all__ = ["Foundation", "FoundationArgs", "foundation_class"]
