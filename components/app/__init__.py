"""The application: blue/green slots, HPA, probes, PDB, network policies."""

from components.app.application import Application
from components.app.contract import ApplicationArgs, AppOutputs, NamespaceArgs
from components.app.namespace import AppNamespace

__all__ = ["AppNamespace", "AppOutputs", "Application", "ApplicationArgs", "NamespaceArgs"]
