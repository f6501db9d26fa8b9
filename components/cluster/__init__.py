"""Network and Kubernetes cluster, one module per platform."""

from __future__ import annotations

from components.cluster.contract import Foundation, FoundationArgs

__all__ = ["Foundation", "FoundationArgs"]
