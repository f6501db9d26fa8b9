"""Every AWS/Azure type token the pack names is one the pinned providers register, and every resource type
the program declares on a cloud is one the pack was written against."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pulumi_aws
import pulumi_azure_native
import pytest

from policies.rules import aws, aws_iam, azure, cloud_tokens
from policies.rules.common import base_type

# Tokens of packages the program does not install (aws-native: the RDS rules also read its CloudFormation shapes).
NOT_PINNED = {"aws-native"}
PACKAGES = {"aws": Path(pulumi_aws.__file__).parent, "azure-native": Path(pulumi_azure_native.__file__).parent}
REGISTERED = re.compile(r"__self__\)\.__init__\(\s*'([^']+)'")
ALIASED = re.compile(r'Alias\(type_="(azure-native:[^"]+)"\)')


@cache
def registered(package: str, module: str) -> frozenset[str]:
    """The resource tokens a provider module's classes pass to CustomResource.__init__."""
    folder = PACKAGES[package] / module.split("/", maxsplit=1)[0].replace("-", "_")
    found: set[str] = set()
    for source in folder.glob("*.py"):
        found.update(REGISTERED.findall(source.read_text(encoding="utf-8")))
    return frozenset(found)


@cache
def aliases(package: str, module: str, kind: str) -> frozenset[str]:
    """The old tokens (version stripped) a provider class declares as aliases of `module:kind`."""
    folder = PACKAGES[package] / module.replace("-", "_")
    found: set[str] = set()
    for source in folder.glob("*.py"):
        text = source.read_text(encoding="utf-8")
        if f"'{package}:{module}:{kind}'" in text:
            found.update(re.sub(r"/v[0-9a-z]+:", ":", a) for a in ALIASED.findall(text))
    return frozenset(found)


def named_tokens() -> set[str]:
    tokens: set[str] = set()
    for module in (aws, aws_iam, azure):
        for value in vars(module).values():
            for item in value if isinstance(value, tuple | frozenset | set) else (value,):
                if isinstance(item, str) and re.fullmatch(r"(aws|aws-native|azure-native):[A-Za-z0-9/]+:[A-Za-z0-9]+", item):
                    tokens.add(item)
    return tokens


def test_the_scan_finds_the_rules_tokens() -> None:
    tokens = named_tokens()
    assert {"aws:rds/instance:Instance", "azure-native:network:NetworkSecurityGroup"} <= tokens
    assert len(tokens) > 40


@pytest.mark.parametrize("token", sorted(named_tokens()))
def test_token_exists_in_the_pinned_provider(token: str) -> None:
    package, module, _ = token.split(":")
    if package in NOT_PINNED:
        return
    assert token in registered(package, module), f"{token} is not a resource of the pinned {package}"


def test_old_azure_cache_tokens_are_not_used() -> None:
    """azure-native 3 moved Redis to `redis:` / `redisenterprise:`: rules name those, and accept the old
    `cache:` spellings only as the aliases `cloud_tokens` lists (tested below against the provider)."""
    assert not any(t.startswith("azure-native:cache:") for t in named_tokens())


@pytest.mark.parametrize(("old", "new"), sorted(cloud_tokens.AZURE_ALIASES.items()))
def test_old_tokens_are_aliases_the_pinned_provider_declares(old: str, new: str) -> None:
    package, module, kind = new.split(":")
    assert new in registered(package, module)
    assert old in aliases(package, module, kind), f"{old} is not an alias of {new} in the pinned {package}"


@pytest.mark.parametrize(("spelling", "token"), [
    ("aws:ec2:SecurityGroupRule", "aws:ec2/securityGroupRule:SecurityGroupRule"),
    ("aws:vpc:SecurityGroupIngressRule", "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"),
    ("aws:ec2:DefaultSecurityGroup", "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"),
    ("aws:rds:Instance", "aws:rds/instance:Instance"),
    ("aws:rds/instance:Instance", "aws:rds/instance:Instance"),
    ("azure-native:network/v20240501:SecurityRule", "azure-native:network:SecurityRule"),
    ("azure-native:cache/v20230401:Redis", "azure-native:redis:Redis"),
    ("aws-native:rds:DbInstance", "aws-native:rds:DbInstance"),
])
def test_every_spelling_has_one_canonical_token(spelling: str, token: str) -> None:
    assert cloud_tokens.canonical(spelling) == token
    # The stack index holds a resource under its spelling (versions stripped); the rules ask for every spelling.
    assert base_type(spelling) in cloud_tokens.spellings(token)
    package, module, _ = token.split(":")
    if package not in NOT_PINNED:
        assert token in registered(package, module)


AWS_ALIASED = re.compile(r'Alias\(type_="(aws:[^"]+)"\)')


@cache
def aws_aliases_declared() -> dict[str, str]:
    """Every old token a pinned pulumi-aws class declares as an alias -> the token the class registers
    (an alias of the class's own token, kept by the deprecated `...V2` classes, is not a rename)."""
    found: dict[str, str] = {}
    for source in PACKAGES["aws"].rglob("*.py"):
        text = source.read_text(encoding="utf-8")
        if "Alias(type_=" not in text:
            continue
        own = REGISTERED.findall(text)
        for alias in AWS_ALIASED.findall(text):
            if own and alias != own[0]:
                found.setdefault(alias, own[0])
    return found


def test_the_aws_alias_table_is_every_alias_of_the_pinned_provider() -> None:
    declared = aws_aliases_declared()
    assert len(declared) > 30  # the scan works
    assert declared == cloud_tokens.AWS_ALIASES


@pytest.mark.parametrize("token", sorted(t for t in named_tokens() if base_type(t) != t))
def test_a_rule_naming_an_old_token_also_names_the_current_one(token: str) -> None:
    """Rules compare the canonical token; naming only the old spelling would match nothing."""
    assert base_type(token) in named_tokens(), f"{token} is named without {base_type(token)}"


@pytest.mark.parametrize(("spelt", "expected"), [
    ("aws:elasticloadbalancingv2/listener:Listener", "aws:lb/listener:Listener"),
    ("aws:elasticloadbalancingv2:Listener", "aws:lb/listener:Listener"),
    ("aws:applicationloadbalancing/listenerRule:ListenerRule", "aws:alb/listenerRule:ListenerRule"),
    ("aws:elasticloadbalancing:LoadBalancer", "aws:elb/loadBalancer:LoadBalancer"),
    ("aws:s3/bucketAclV2:BucketAclV2", "aws:s3/bucketAcl:BucketAcl"),
    ("aws:s3:BucketV2", "aws:s3/bucket:Bucket"),
    ("aws:lb:Listener", "aws:lb/listener:Listener"),
])
def test_old_and_short_aws_spellings_are_the_current_token(spelt: str, expected: str) -> None:
    assert base_type(spelt) == expected
