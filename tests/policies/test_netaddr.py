"""The pack's definition of "the whole Internet" over every spelling of it."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policies.rules.netaddr import covers_internet, public_ranges, range_networks


@pytest.mark.parametrize("ranges", [
    ["0.0.0.0/0"], ["0/0"], ["::/0"], ["*"], ["Internet"], ["any"], ["0.0.0.0"],
    ["0.0.0.0/1", "128.0.0.0/1"], ["2000::/3"], ["2000::/4", "3000::/4"], ["::ffff:0:0/96"],
    ["64:ff9b::/96"], ["8.0.0.0/7"], ["1.2.3.4/1", "200.1.1.1/1"], [" 0.0.0.0/0 "],
])
def test_world_spellings_cover_the_internet(ranges: list[str]) -> None:
    assert covers_internet(ranges)


@pytest.mark.parametrize("ranges", [
    [], ["10.0.0.0/8"], ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"], ["100.64.0.0/10"],
    ["203.0.113.10/32"], ["fd00::/8"], ["2001:db8::/48"], ["not-a-cidr"], [None], [42], ["a" * 10_000],
])
def test_internal_or_narrow_ranges_do_not(ranges: list[object]) -> None:
    assert not covers_internet(ranges)


@settings(deadline=None)  # 128 pieces on a loaded CI core can exceed Hypothesis's 200 ms default
@given(st.integers(min_value=1, max_value=7))
def test_any_split_of_the_ipv4_space_is_still_the_internet(bits: int) -> None:
    halves = [str(n) for n in ipaddress.IPv4Network("0.0.0.0/0").subnets(prefixlen_diff=bits)]
    assert covers_internet(halves)
    assert public_ranges(halves)  # each public piece is named in messages


def test_address_ranges_become_cidrs() -> None:
    assert covers_internet(range_networks("0.0.0.0", "255.255.255.255"))
    assert range_networks("10.0.0.0", "10.0.0.255") == ["10.0.0.0/24"]
    assert range_networks("10.0.0.9", "10.0.0.1") == []
    assert range_networks("garbage", "10.0.0.1") == []
