"""The edge: HAProxy in the cluster, behind each platform's front door."""

from __future__ import annotations

from components.edge.contract import EdgeArgs, EdgeExposure, EdgeOutputs, FrontDoor, FrontDoorArgs
from components.edge.proxy import EdgeProxy

__all__ = ["EdgeArgs", "EdgeExposure", "EdgeOutputs", "EdgeProxy", "FrontDoor", "FrontDoorArgs"]
