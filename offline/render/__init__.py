"""Writes the Kubernetes objects of a run as manifests for offline validators."""
