"""Cloud rules fed garbage report a finding or nothing, never an exception, and stay linear.

Every property of every AWS and Azure resource the shipped stacks declare is replaced, one hostile kind at
a time, by None, NaN, infinities, numbers as strings, a list where an object was and back, a megabyte
string, nesting thousands deep, or malformed JSON; each cloud rule (resource and stack rules alike) then
runs over the result in-process.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Iterator
from functools import cache
from typing import Any

import pytest
from pulumi_policy import (
    PolicyCustomTimeouts,
    PolicyResource,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
)
from pulumi_policy.policy import PolicyResourceOptions

from policies.rules import aws, aws_iam, azure
from tests.helpers import run_stack

POLICIES = [*aws.POLICIES, *aws_iam.POLICIES, *azure.POLICIES]
MEGABYTE = "a" * 1_000_000
MALFORMED = '{"Statement": [{"Effect": "Allow", "Principal": "*"' + "[" * 50_000


def _deep(depth: int) -> Any:
    value: Any = "x"
    for index in range(depth):
        value = [value] if index % 2 else {"k": value}
    return value


DEEP = _deep(3000)
HOSTILE: dict[str, Callable[[Any], Any]] = {
    "none": lambda _: None,
    "nan": lambda _: math.nan,
    "infinity": lambda _: -math.inf,
    "huge-number": lambda _: 1e308,
    "negative": lambda _: -1,
    "number-as-string": lambda v: str(v) if isinstance(v, int | float) and not isinstance(v, bool) else "65536",
    "nan-as-string": lambda _: "NaN",
    "list-for-object": lambda v: [v],
    "object-for-list": lambda v: {"0": v} if isinstance(v, list) else v,
    "megabyte": lambda _: MEGABYTE,
    "deep": lambda _: DEEP,
    "malformed-json": lambda _: MALFORMED,
    "json-not-object": lambda _: json.dumps([1, 2, 3]),
    "empty-object": lambda _: {},
    "bool-for-string": lambda _: True,
}


IRSA = "arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-west-3.amazonaws.com/id/ABC"
# Shapes the rules read that the shipped stacks do not declare (other spellings of their resources).
EXTRA: list[tuple[str, dict[str, Any]]] = [
    ("aws-native:ec2:SecurityGroup", {"groupId": "sg-native", "securityGroupIngress": [
        {"ipProtocol": "tcp", "fromPort": 22, "toPort": 22, "cidrIp": "0.0.0.0/0", "sourcePrefixListId": "pl-1"}]}),
    ("aws-native:ec2:SecurityGroupIngress", {"groupId": "sg-native", "ipProtocol": "-1", "cidrIpv6": "::/0",
                                             "sourceSecurityGroupId": "sg-1", "description": "x"}),
    ("aws:secretsmanager/secretPolicy:SecretPolicy", {"secretArn": "arn:s", "blockPublicPolicy": False, "policy": {
        "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "secretsmanager:*", "Resource": "*"}]}}),
    ("aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration", {
        "resourceArn": "arn:acl", "logDestinationConfigs": ["arn:logs"], "loggingFilter": {
            "defaultBehavior": "DROP", "filters": [{"behavior": "KEEP", "requirement": "MEETS_ANY"}]}}),
    ("aws:iam/role:Role", {"assumeRolePolicy": {"Statement": [
        {"Effect": "Allow", "Principal": {"Federated": IRSA}, "Action": "sts:AssumeRoleWithWebIdentity",
         "Condition": {"StringLike": {"oidc.eks.eu-west-3.amazonaws.com/id/ABC:sub": "system:serviceaccount:*"}}}]}}),
    ("aws:iam/rolePolicy:RolePolicy", {"policy": {"Statement": [
        {"Effect": "Allow", "Action": "iam:PassRole", "Resource": "arn:aws:iam::123456789012:role/*"}]}}),
    ("azure-native:network:ApplicationGateway", {"sku": {"tier": "WAF_v2"}, "firewallPolicy": {"id": "/p/waf"},
                                                 "webApplicationFirewallConfiguration": {"enabled": True},
                                                 "httpListeners": [{"name": "l", "firewallPolicy": {"id": "/p/x"}}],
                                                 "urlPathMaps": [{"name": "m", "pathRules": [
                                                     {"name": "r", "firewallPolicy": {"id": "/p/y"}}]}]}),
    ("azure-native:network:NetworkSecurityGroup", {"securityRules": [
        {"name": "d", "direction": "Inbound", "access": "Deny", "protocol": "*", "priority": 100,
         "sourceAddressPrefix": "Internet", "destinationAddressPrefixes": ["10.0.0.1/32"],
         "sourcePortRanges": ["1024"], "destinationApplicationSecurityGroups": [{"id": "/asg"}],
         "destinationPortRange": "22"}]}),
]


@cache
def shipped() -> tuple[tuple[str, str, str], ...]:
    """(type, urn, inputs as JSON) of every cloud resource of the AWS and Azure production stacks, and the
    other shapes of `EXTRA`."""
    out = []
    for stack in ("production", "production-azure"):
        for resource in run_stack(stack).resources:
            if resource.type.startswith(("aws:", "azure-native:", "random:")):
                out.append((resource.type, resource.urn, json.dumps(resource.inputs)))
    for index, (type_, inputs) in enumerate(EXTRA):
        out.append((type_, f"urn:pulumi:test::orchestrator::{type_}::extra-{index}", json.dumps(inputs)))
    return tuple(out)


def _leaves(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every path into `value` (objects and their members, lists and their items)."""
    if path:
        yield path
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _leaves(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value[:3]):
            yield from _leaves(item, (*path, index))


def _replaced(value: Any, path: tuple[Any, ...], change: Callable[[Any], Any]) -> Any:
    if not path:
        return change(value)
    head, rest = path[0], path[1:]
    if isinstance(value, dict):
        return {**value, head: _replaced(value[head], rest, change)}
    copy = list(value)
    copy[head] = _replaced(value[head], rest, change)
    return copy


def _resource(type_: str, urn: str, props: dict[str, Any]) -> PolicyResource:
    options = PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [])
    return PolicyResource(type_, props, urn, urn.rsplit("::", 1)[-1], options, None, None, [], {})


def _run(resources: list[PolicyResource]) -> None:
    """Every cloud rule over `resources`; the SDK's own control flow (unknown values) may pass through."""
    def report(message: str, urn: str | None = None) -> None:
        assert isinstance(message, str)

    for policy in POLICIES:
        try:
            if isinstance(policy, ResourceValidationPolicy):
                for r in resources:
                    args = ResourceValidationArgs(r.resource_type, r.props, r.urn, r.name, r.opts, None, {})
                    policy.validate(args, report)  # type: ignore[call-arg]
            else:
                policy.validate(StackValidationArgs(resources, {}), report)  # type: ignore[call-arg]
        except Exception as error:
            if type(error).__name__ != "UnknownValueError":
                raise


@pytest.mark.parametrize("kind", sorted(HOSTILE))
def test_every_property_of_every_cloud_resource_survives_hostile_values(kind: str) -> None:
    change = HOSTILE[kind]
    resources = []
    for type_, urn, raw in shipped():
        inputs = json.loads(raw)
        for index, path in enumerate(_leaves(inputs)):
            resources.append(_resource(type_, f"{urn}-{index}", _replaced(inputs, path, change)))
    started = time.monotonic()
    _run(resources)
    # Thousands of resources, many carrying a megabyte or 3000 levels: linear work finishes in seconds.
    assert time.monotonic() - started < 60, f"{kind}: {time.monotonic() - started:.1f}s"


@pytest.mark.parametrize("kind", sorted(HOSTILE))
def test_whole_property_bags_replaced(kind: str) -> None:
    """The bag itself hostile (a list, a string, nesting) for each cloud type."""
    change = HOSTILE[kind]
    resources = [_resource(type_, urn, {"policy": change({}), "securityRules": change([]), "ingress": change([]),
                                        "vpcConfig": change({}), "properties": change({}), "rules": change([])})
                 for type_, urn, _ in shipped()]
    _run(resources)


def test_a_megabyte_policy_is_judged_quickly_and_reported() -> None:
    """A policy padded past any valid size is a finding (its grants are not verified), found in linear time."""
    statement = {"Sid": "x" * 1_000_000, "Effect": "Allow", "Principal": "*", "Action": "kms:*", "Resource": "*"}
    key = _resource(aws.KMS_KEY, "urn:pulumi:s::p::aws:kms/key:Key::k",
                    {"enableKeyRotation": True, "policy": json.dumps({"Statement": [statement]})})
    found: list[str] = []
    started = time.monotonic()
    aws.aws_kms_hygiene.validate(  # type: ignore[call-arg]
        ResourceValidationArgs(key.resource_type, key.props, key.urn, key.name, key.opts, None, {}),
        lambda message, urn=None: found.append(message))
    assert time.monotonic() - started < 2
    assert found and "larger than any valid policy document" in found[0]


def _stack_of(count: int) -> list[PolicyResource]:
    """`count` each of security groups, rules naming them, buckets, their public access blocks, load balancers and
    WAF associations: every reference a stack rule resolves."""
    out = []
    for i in range(count):
        group, bucket, alb = f"sg-{i:017x}", f"bucket-{i}", f"arn:aws:elasticloadbalancing:r:1:loadbalancer/app/a{i}/x"
        out += [
            _resource(aws.SG, f"urn:s::p::{aws.SG}::g{i}", {"id": group, "name": f"g{i}"}),
            _resource(aws.SG_INGRESS, f"urn:s::p::{aws.SG_INGRESS}::r{i}", {
                "securityGroupId": group, "cidrIpv4": "10.0.0.0/8", "fromPort": 22, "toPort": 22, "ipProtocol": "tcp"}),
            _resource(aws_iam.S3_BUCKET, f"urn:s::p::{aws_iam.S3_BUCKET}::b{i}", {"bucket": bucket}),
            _resource(aws_iam.S3_PUBLIC_ACCESS_BLOCK, f"urn:s::p::{aws_iam.S3_PUBLIC_ACCESS_BLOCK}::b{i}",
                      {"bucket": bucket, **dict.fromkeys(aws_iam.BLOCK_FLAGS, True)}),
            _resource(aws.LB[0], f"urn:s::p::{aws.LB[0]}::a{i}", {"arn": alb, "internal": False}),
            _resource(aws.WEB_ACL_ASSOCIATION, f"urn:s::p::{aws.WEB_ACL_ASSOCIATION}::w{i}",
                      {"resourceArn": alb, "webAclArn": "arn:acl"}),
        ]
    return out


def test_stack_rules_are_linear_in_the_number_of_resources() -> None:
    """References resolve through an index: 6x the resources cost about 6x the time, never 36x."""
    timings = []
    for count in (500, 3000):
        resources = _stack_of(count)
        started = time.monotonic()
        _run(resources)
        timings.append(time.monotonic() - started)
    assert timings[1] < 20, timings
    assert timings[1] < 15 * max(timings[0], 0.05), timings
