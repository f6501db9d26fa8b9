"""aws-sg-no-world-ingress and aws-sg-data-tier-scoped: every spelling of the world, every rule shape."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from offline.gate.analyzer import PolicyPackProcess
from tests.policies.aws.base import DB_RULE, DEFAULT_SG, PREFIX_LIST, SG, SG_RULE, WEB_RULE, changed, network
from tests.policies.cloud import Bad, Good, assert_bad, assert_good, findings

WORLD = "aws-sg-no-world-ingress"
DATA = "aws-sg-data-tier-scoped"


def ssh(cidr: str, name: str = "ssh") -> dict[str, object]:
    return {"__name": name, "securityGroupId": "sg-db", "cidrIpv4": cidr, "fromPort": 22, "toPort": 22,
            "ipProtocol": "tcp", "description": "ssh"}


BAD = [
    Bad("vpc-rule-0/0", WORLD, network(ssh("0.0.0.0/0")), "ssh", "admits 0.0.0.0/0 (tcp 22)"),
    Bad("vpc-rule-ipv6", WORLD, network({"__name": "v6", "securityGroupId": "sg-db", "cidrIpv6": "::/0",
                                         "ipProtocol": "-1"}), "v6", "::/0 (-1 all ports)"),
    Bad("global-unicast-v6", WORLD, network({"__name": "v6", "securityGroupId": "sg-db", "cidrIpv6": "2000::/3",
                                             "ipProtocol": "tcp", "fromPort": 22, "toPort": 22}), "v6", "2000::/3"),
    Bad("split-halves-two-resources", WORLD, network(ssh("0.0.0.0/1", "low"), ssh("128.0.0.0/1", "high")), "high",
        "128.0.0.0/1"),
    Bad("many-small-pieces", WORLD, network(*[ssh(str(n), f"piece-{i}") for i, n in enumerate(
        ipaddress.IPv4Network("8.0.0.0/8").subnets(new_prefix=12))]), "piece-0", "cover the public internet"),
    Bad("inline-ingress", WORLD, network({"__type": SG, "__name": "inline", "ingress": [
        {"protocol": "tcp", "fromPort": 3389, "toPort": 3389, "cidrBlocks": ["0.0.0.0/0"]}]}), "inline",
        "ingress[0] admits 0.0.0.0/0 (tcp 3389)"),
    Bad("default-security-group", WORLD, network({"__type": DEFAULT_SG, "__name": "default", "ingress": [
        {"protocol": "-1", "fromPort": 0, "toPort": 0, "ipv6CidrBlocks": ["::/0"]}]}), "default", "::/0"),
    Bad("security-group-rule", WORLD, network({"__type": SG_RULE, "__name": "legacy", "type": "ingress",
                                               "securityGroupId": "sg-db", "protocol": "all", "fromPort": 0,
                                               "toPort": 65535, "cidrBlocks": ["0.0.0.0/0"]}), "legacy",
        "all ports"),
    Bad("prefix-list-by-id", WORLD, network(
        {"__type": PREFIX_LIST, "__name": "everyone", "id": "pl-123", "name": "everyone", "maxEntries": 2,
         "addressFamily": "IPv4", "entries": [{"cidr": "0.0.0.0/0"}]},
        {"__name": "via-pl", "securityGroupId": "sg-db", "prefixListId": "pl-123", "fromPort": 22, "toPort": 22,
         "ipProtocol": "tcp"}), "via-pl", "0.0.0.0/0"),
    Bad("edge-group-other-port", WORLD, network(changed(WEB_RULE, __name="alb-8080", fromPort=8080, toPort=8080)),
        "alb-8080", "on the public load balancer's group"),
    Bad("edge-group-all-protocols", WORLD, network(changed(WEB_RULE, __name="alb-any", ipProtocol="-1")),
        "alb-any", "-1 all ports"),
    Bad("edge-group-web-port-range", WORLD, network(changed(WEB_RULE, __name="alb-range", fromPort=80, toPort=443)),
        "alb-range", "80-443"),
    Bad("data-cidr", DATA, network(rules=[WEB_RULE, changed(DB_RULE, referencedSecurityGroupId=None,
                                                            cidrIpv4="10.40.0.0/16")]),
        "rule-1", "admits CIDRs 10.40.0.0/16"),
    Bad("data-port-range", DATA, network({"__name": "wide", "securityGroupId": "sg-other", "cidrIpv4": "10.0.0.0/8",
                                          "fromPort": 5000, "toPort": 7000, "ipProtocol": "tcp", "description": "x"}),
        "wide", "5000-7000) to 5432/6379"),
    Bad("data-protocol-all", DATA, network({"__name": "any", "securityGroupId": "sg-other", "cidrIpv4": "10.0.0.0/8",
                                            "ipProtocol": "-1", "description": "x"}), "any", "to 5432/6379"),
    Bad("data-wrong-group", DATA, network(rules=[WEB_RULE, changed(DB_RULE, referencedSecurityGroupId="sg-alb")]),
        "rule-1", "references sg-alb, not the cluster's security group"),
    Bad("data-moved-port", DATA, network(rules=[WEB_RULE, changed(DB_RULE, fromPort=15432, toPort=15432,
                                                                  referencedSecurityGroupId="sg-alb")]),
        "rule-1", "on a database/cache group"),
    Bad("data-no-description", DATA, network(rules=[WEB_RULE, changed(DB_RULE, description="")]), "rule-1",
        "has no description"),
]

GOOD = [
    Good("edge-web-only", WORLD, network()),
    Good("internal-ranges", WORLD, network(ssh("10.0.0.0/8"), ssh("172.16.0.0/12", "b"), ssh("2001:db8::/32", "c"))),
    Good("narrow-public", WORLD, network(ssh("203.0.113.7/32"))),
    Good("cluster-reference", DATA, network()),
]


@pytest.mark.parametrize("case", BAD, ids=[c.id for c in BAD])
def test_bad(pack: PolicyPackProcess, case: Bad) -> None:
    assert_bad(pack, case)


@pytest.mark.parametrize("case", GOOD, ids=[c.id for c in GOOD])
def test_good(pack: PolicyPackProcess, case: Good) -> None:
    assert_good(pack, case)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(bits=st.integers(min_value=1, max_value=5), v6=st.booleans())
def test_any_split_of_the_world_is_caught(pack: PolicyPackProcess, bits: int, v6: bool) -> None:
    """The world cut into 2**bits pieces, one rule resource each, is still the world."""
    space = ipaddress.IPv6Network("2000::/3") if v6 else ipaddress.IPv4Network("0.0.0.0/0")
    pieces = [str(n) for n in space.subnets(prefixlen_diff=bits)]
    key = "cidrIpv6" if v6 else "cidrIpv4"
    rules = [{"__name": f"part-{i}", "securityGroupId": "sg-db", key: cidr, "fromPort": 22, "toPort": 22,
              "ipProtocol": "tcp"} for i, cidr in enumerate(pieces)]
    found = findings(pack, network(*rules)).get(WORLD, {})
    assert "part-0" in found and "cover the public internet" in found["part-0"].lower()
