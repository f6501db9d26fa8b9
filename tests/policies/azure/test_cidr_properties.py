"""Hypothesis over the address spellings of the Azure and EKS rules: any split of the public Internet, in any
order and mixed with private ranges, opens an NSG, an AKS API server or an EKS endpoint to the world; narrow
ranges never do. Each property asserts the rule, the resource and the ranges named in the message."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hypothesis import HealthCheck, given, settings

from policies.rules.netaddr import public_coverage
from tests.policies.conftest import Messages, resource
from tests.policies.test_properties import narrow_spelling, world_spelling

PACKED = settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
Run = Callable[[list[dict[str, Any]]], Messages]


def _nsg(cidrs: list[str]) -> list[dict[str, Any]]:
    return [resource("azure-native:network:NetworkSecurityGroup", "nsg", {"securityRules": [
        {"name": "ssh", "direction": "Inbound", "access": "Allow", "protocol": "Tcp", "priority": 100,
         "sourceAddressPrefixes": cidrs, "destinationPortRange": "22"}]})]


def _aks(cidrs: list[str]) -> list[dict[str, Any]]:
    return [resource("azure-native:containerservice:ManagedCluster", "aks", {
        "apiServerAccessProfile": {"enablePrivateCluster": False, "authorizedIPRanges": cidrs},
        "disableLocalAccounts": True, "aadProfile": {"managed": True, "enableAzureRBAC": True}})]


def _eks(cidrs: list[str]) -> list[dict[str, Any]]:
    return [resource("aws:eks/cluster:Cluster", "eks", {"accessConfig": {
        "authenticationMode": "API", "bootstrapClusterCreatorAdminPermissions": False}, "vpcConfig": {
        "endpointPrivateAccess": True, "endpointPublicAccess": True, "publicAccessCidrs": cidrs}})]


CASES = {"azure-nsg-no-internet-admin": ("nsg", _nsg), "azure-aks-access": ("aks", _aks),
         "aws-eks-endpoint": ("eks", _eks)}


@PACKED
@given(world_spelling())
def test_any_split_of_the_internet_is_flagged_everywhere(messages: Run, cidrs: list[str]) -> None:
    public = [c for c in cidrs if public_coverage([c]) != (0, 0)]
    for rule, (name, build) in CASES.items():
        found = messages(build(cidrs)).get(rule, {})
        assert name in found, (rule, found)
        assert any(c in found[name] for c in public), (rule, found[name])


@PACKED
@given(narrow_spelling())
def test_narrow_ranges_are_not(messages: Run, cidrs: list[str]) -> None:
    for rule, (_, build) in CASES.items():
        assert rule not in messages(build(cidrs)), rule
