"""What "the whole Internet" means to every rule that reads address ranges.

A rule must not be walked around by spelling the world differently: `0.0.0.0/0`, `0/0`, `::/0`, the
two halves `0.0.0.0/1` + `128.0.0.0/1`, `2000::/3` (all global IPv6 unicast), an IPv4-mapped IPv6
range, or service tags such as `Internet` and `*`. So the question is answered on the union of all
ranges a rule looks at together, by how much *public* address space it covers, not by a list of
spellings.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import Any

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

# Service tags and wildcards that mean "any source" to a cloud API.
WORLD_WORDS = frozenset({"*", "any", "internet", "0/0", "0.0.0.0", "::", "all"})

# IPv4 space that is not routable on the Internet (RFC 6890 special-purpose ranges).
NON_PUBLIC_V4 = tuple(ipaddress.IPv4Network(n) for n in (
    "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
    "192.0.0.0/24", "192.0.2.0/24", "192.168.0.0/16", "198.18.0.0/15", "198.51.100.0/24",
    "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4"))
GLOBAL_UNICAST_V6 = ipaddress.IPv6Network("2000::/3")
# IPv6 prefixes that embed the whole IPv4 space (mapped, NAT64 well-known, deprecated compatible).
V4_EMBEDDING_V6 = tuple(ipaddress.IPv6Network(n) for n in ("::ffff:0:0/96", "64:ff9b::/96", "::/96"))

# A set of ranges is "the Internet" once it covers this much public space: a /8 of IPv4 or a /16 of
# global IPv6 unicast. No legitimate source restriction of this project comes anywhere near that.
WORLD_V4_ADDRESSES = 2**24
WORLD_V6_ADDRESSES = 2**112


def parse_network(value: Any) -> Network | None:
    """A CIDR or a bare address as a network (host bits ignored), or None when it is neither."""
    if not isinstance(value, str | ipaddress.IPv4Network | ipaddress.IPv6Network):
        return None
    text = str(value).strip()
    if not text or len(text) > 64:  # longest valid IPv6 CIDR is 49 characters
        return None
    try:
        return ipaddress.ip_network(text, strict=False)
    except ValueError:
        return None


def is_world_word(value: Any) -> bool:
    return isinstance(value, str) and value.strip().lower() in WORLD_WORDS


def _as_v4(network: ipaddress.IPv6Network) -> list[ipaddress.IPv4Network]:
    """The IPv4 space an IPv6 range reaches through an embedding prefix."""
    reached: list[ipaddress.IPv4Network] = []
    for prefix in V4_EMBEDDING_V6:
        if network.supernet_of(prefix):
            reached.append(ipaddress.IPv4Network("0.0.0.0/0"))
        elif network.subnet_of(prefix):
            offset = int(network.network_address) - int(prefix.network_address)
            reached.append(ipaddress.IPv4Network((offset, network.prefixlen - 96)))
    return reached


def _public_v4(networks: Iterable[ipaddress.IPv4Network]) -> int:
    total = 0
    for network in ipaddress.collapse_addresses(networks):
        size = network.num_addresses
        for reserved in NON_PUBLIC_V4:
            if network.overlaps(reserved):
                size -= min(network.num_addresses, reserved.num_addresses)
        total += max(size, 0)
    return total


def _global_v6(networks: Iterable[ipaddress.IPv6Network]) -> int:
    total = 0
    for network in ipaddress.collapse_addresses(networks):
        if network.overlaps(GLOBAL_UNICAST_V6):
            total += min(network.num_addresses, GLOBAL_UNICAST_V6.num_addresses)
    return total


def public_coverage(values: Iterable[Any]) -> tuple[int, int]:
    """(public IPv4 addresses, global unicast IPv6 addresses) covered by the union of `values`."""
    v4: list[ipaddress.IPv4Network] = []
    v6: list[ipaddress.IPv6Network] = []
    for value in values:
        if is_world_word(value):
            v4.append(ipaddress.IPv4Network("0.0.0.0/0"))
            v6.append(ipaddress.IPv6Network("::/0"))
            continue
        network = parse_network(value)
        if isinstance(network, ipaddress.IPv4Network):
            v4.append(network)
        elif isinstance(network, ipaddress.IPv6Network):
            v6.append(network)
            v4.extend(_as_v4(network))
    return _public_v4(v4), _global_v6(v6)


def covers_internet(values: Iterable[Any]) -> bool:
    """True when the ranges together open a source restriction to the public Internet."""
    v4, v6 = public_coverage(values)
    return v4 >= WORLD_V4_ADDRESSES or v6 >= WORLD_V6_ADDRESSES


def public_ranges(values: Iterable[Any]) -> list[str]:
    """The values that contribute public address space, in their own spelling (for messages)."""
    return [str(v) for v in values if public_coverage([v]) != (0, 0)]


def range_networks(start: Any, end: Any) -> list[str]:
    """An address range (`startIpAddress`..`endIpAddress`) as CIDRs; [] when it does not parse."""
    try:
        first, last = ipaddress.ip_address(str(start).strip()), ipaddress.ip_address(str(end).strip())
        return [str(n) for n in ipaddress.summarize_address_range(first, last)]
    except (ValueError, TypeError):
        return []
