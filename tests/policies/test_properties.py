"""Hypothesis over the spellings an attacker chooses, through the rules: each property asserts which rule fires,
on which resource, and that its message names the defect (and that the harmless spelling stays silent).

- secret-name families in every casing, separator, prefix and suffix, as env literals and as ConfigMap keys;
- address ranges that cover the public Internet (split halves in any order, global IPv6, IPv4-mapped IPv6,
  AWS prefix lists) against ones that do not, in NetworkPolicies, HAProxy ACLs and security groups;
- HAProxy rule orderings: an allow placed before the deny it undoes, against the same allow placed after.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Callable
from typing import Any

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from offline.gate.analyzer import PolicyPackProcess
from tests.policies.aws.base import PREFIX_LIST, network
from tests.policies.cloud import findings as cloud_findings
from tests.policies.conftest import Messages, resource
from tests.policies.edge.support import findings as edge_findings
from tests.policies.fixtures import APP_LABELS, APP_NS, HAPROXY_CFG, app_stack, netpol
from tests.policies.kubernetes.model import blue
from tests.policies.kubernetes.test_secret_names import FAMILIES, PREFIXES, spell

PACKED = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
LOCAL = settings(max_examples=80, deadline=None)
C = "spec.template.spec.containers.0"
STYLES = ["snake", "upper", "kebab", "dotted", "camel"]
# Suffixes that keep the name a secret (a version, a role, an index) vs. ones that say it is about a secret.
SECRET_SUFFIXES = ["", "value", "v2", "1", "primary", "old", "new"]
ABOUT_SUFFIXES = ["file", "path", "ttl", "enabled", "name", "url", "ref"]


def _secret_words(prefix: str, family: str, suffix: str) -> list[str]:
    return [*prefix.split(), *family.split(), *suffix.split()]


def _blue_env(name: str, value: str) -> list[dict[str, Any]]:
    props = blue(f"{C}.env", [{"name": name, "value": value}])
    return app_stack(**{"app-blue": resource("kubernetes:apps/v1:Deployment", "app-blue", props)})


# --- secret-name families ------------------------------------------------------------------------------


@PACKED
@given(st.sampled_from(PREFIXES), st.sampled_from(FAMILIES), st.sampled_from(SECRET_SUFFIXES), st.sampled_from(STYLES))
def test_a_literal_under_any_secret_name_is_flagged(messages: Callable[[list[dict[str, Any]]], Messages], prefix: str,
                                                    family: str, suffix: str, style: str) -> None:
    words = _secret_words(prefix, family, suffix)
    assume(words[:1] != ["key"])  # a lone `key` (plus a version) names a label or a Secret's entry
    assume(not (words[-1] == "key" and len(words) > 1 and words[-2] in ("password", "token")))  # `passwordKey` names a key
    name = spell(words, style)
    found = messages(_blue_env(name, "hunter2-Sup3r"))
    assert "app-blue" in found.get("k8s-no-literal-secret-env", {}), (name, found)
    message = found["k8s-no-literal-secret-env"]["app-blue"]
    assert name in message and "literal value" in message, message


@PACKED
@given(st.sampled_from(FAMILIES), st.sampled_from(ABOUT_SUFFIXES), st.sampled_from(["snake", "upper", "camel"]))
def test_a_name_about_a_secret_is_not_flagged(messages: Callable[[list[dict[str, Any]]], Messages], family: str,
                                             suffix: str, style: str) -> None:
    name = spell([*family.split(), suffix], style)
    found = messages(_blue_env(name, "/run/secrets/x" if suffix in ("file", "path") else "settings"))
    assert "k8s-no-literal-secret-env" not in found, (name, found)


@PACKED
@given(st.sampled_from(PREFIXES), st.sampled_from(FAMILIES), st.sampled_from(STYLES), st.booleans())
def test_a_secret_named_key_in_a_configmap_document_is_flagged(
        messages: Callable[[list[dict[str, Any]]], Messages], prefix: str, family: str, style: str, as_yaml: bool) -> None:
    words = _secret_words(prefix, family, "")
    assume(words != ["key"])
    key = spell(words, style)
    document = f"settings:\n  {key}: hunter2-Sup3r\n" if as_yaml else json.dumps({"settings": {key: "hunter2-Sup3r"}})
    configmap = resource("kubernetes:core/v1:ConfigMap", "settings", {
        "metadata": {"name": "settings", "namespace": APP_NS},
        "data": {"app.yaml" if as_yaml else "app.json": document}})
    found = messages([*app_stack(), configmap])
    assert "settings" in found.get("k8s-configmap-no-secrets", {}), (key, found)
    assert key in found["k8s-configmap-no-secrets"]["settings"], found["k8s-configmap-no-secrets"]["settings"]


# --- CIDR spellings ------------------------------------------------------------------------------------

WORLDS = {
    "ipv4": ipaddress.ip_network("0.0.0.0/0"),
    "global-ipv6": ipaddress.ip_network("2000::/3"),
    "ipv4-mapped": ipaddress.ip_network("::ffff:0:0/96"),
}
HARMLESS = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "fd00::/8", "2001:db8::/32",
            "203.0.113.7/32", "192.0.2.10/32", "::ffff:10.0.0.0/104"]
"""Not 198.51.100.0/24: the edge rules' simulated public client comes from it."""


@st.composite
def world_spelling(draw: st.DrawFn) -> list[str]:
    """The public Internet in pieces: a world range split 2**bits ways, shuffled, with private ranges mixed in."""
    world = WORLDS[draw(st.sampled_from(sorted(WORLDS)))]
    bits = draw(st.integers(min_value=0, max_value=4))
    pieces = [str(n) for n in world.subnets(prefixlen_diff=bits)]
    noise = draw(st.lists(st.sampled_from(HARMLESS), max_size=3))
    return draw(st.permutations(pieces + noise))


@st.composite
def narrow_spelling(draw: st.DrawFn) -> list[str]:
    """Private, documentation and small public ranges, however many: never the Internet."""
    fixed = draw(st.lists(st.sampled_from(HARMLESS), min_size=1, max_size=6))
    public = draw(st.lists(st.integers(min_value=0, max_value=2**16 - 1), max_size=3))
    return fixed + [str(ipaddress.IPv4Network((int(ipaddress.IPv4Address("8.0.0.0")) + n * 256, 24))) for n in public]


def _acl(cidrs: list[str]) -> str:
    return HAPROXY_CFG.replace("    acl internal src 10.0.0.0/8\n", f"    acl internal src {' '.join(cidrs)}\n")


@LOCAL
@given(world_spelling())
def test_an_internal_acl_covering_the_internet_is_flagged(cidrs: list[str]) -> None:
    found = edge_findings("edge-admin-protected", _acl(cidrs))
    assert any("acl 'internal'" in m and "cover the Internet" in m for m in found), found


@LOCAL
@given(narrow_spelling())
def test_an_internal_acl_of_narrow_ranges_is_not(cidrs: list[str]) -> None:
    assert edge_findings("edge-admin-protected", _acl(cidrs)) == []


def _open_app(cidrs: list[str]) -> list[dict[str, Any]]:
    policy = netpol("app", APP_NS, APP_LABELS, ingress=[{"from": [{"ipBlock": {"cidr": c}} for c in cidrs],
                                                         "ports": [{"port": 8080}]}])
    return app_stack(**{"allow-app": policy})


@PACKED
@given(world_spelling())
def test_a_network_policy_admitting_the_internet_is_flagged(messages: Callable[[list[dict[str, Any]]], Messages],
                                                            cidrs: list[str]) -> None:
    found = messages(_open_app(cidrs)).get("k8s-network-policy-no-allow-all", {})
    assert "app" in found and "admits the Internet" in found["app"], found


@PACKED
@given(narrow_spelling())
def test_a_network_policy_admitting_narrow_ranges_is_not(messages: Callable[[list[dict[str, Any]]], Messages],
                                                         cidrs: list[str]) -> None:
    assert "k8s-network-policy-no-allow-all" not in messages(_open_app(cidrs))


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(world_spelling())
def test_a_prefix_list_holding_the_internet_is_flagged(pack: PolicyPackProcess, cidrs: list[str]) -> None:
    v6 = [c for c in cidrs if ":" in c]
    entries = [{"cidr": c} for c in cidrs]
    found = cloud_findings(pack, network(
        {"__type": PREFIX_LIST, "__name": "everyone", "id": "pl-123", "name": "everyone", "maxEntries": len(entries),
         "addressFamily": "IPv6" if v6 else "IPv4", "entries": entries},
        {"__name": "via-pl", "securityGroupId": "sg-db", "prefixListId": "pl-123", "fromPort": 22, "toPort": 22,
         "ipProtocol": "tcp"})).get("aws-sg-no-world-ingress", {})
    message = found.get("via-pl", "")
    assert "cover the public internet" in message.lower() or any(f"admits {c} " in message for c in cidrs), found


# --- HAProxy rule orderings -----------------------------------------------------------------------------

RULES_START = "    http-request track-sc0 src\n"
ADMIN_DENIES = ("http-request deny deny_status 403 if { path_beg /admin } !internal",
                "http-request deny deny_status 403 if admin_path !internal")


def _https_rules() -> list[str]:
    """The public listener's http-request lines, in order."""
    body = HAPROXY_CFG.split("frontend public_https\n", 1)[1].split("\n\n", 1)[0]
    return [line.strip() for line in body.split("\n") if line.strip().startswith("http-request")]


def _insert(line: str, position: int) -> str:
    rules = _https_rules()
    anchor = rules[position] if position < len(rules) else None
    if anchor is None:
        last = f"    {rules[-1]}\n"
        return HAPROXY_CFG.replace(last, last + f"    {line}\n", 1)
    return HAPROXY_CFG.replace(f"    {anchor}\n", f"    {line}\n    {anchor}\n", 1)


@LOCAL
@given(st.integers(min_value=0, max_value=len(_https_rules())), st.booleans())
def test_an_allow_before_the_admin_deny_opens_admin(position: int, ignore_case: bool) -> None:
    """The listener denies `path_beg /admin` (case-sensitive) first and the decoded, case-insensitive spelling
    second: an allow for `/admin` opens it only before the first; one for any case also between the two."""
    rules = _https_rules()
    guarding = max(rules.index(d) for d in ADMIN_DENIES) if ignore_case else rules.index(ADMIN_DENIES[0])
    allow = f"http-request allow if {{ path_beg {'-i ' if ignore_case else ''}/admin }}"
    found = edge_findings("edge-admin-protected", _insert(allow, position))
    if position <= guarding:
        assert any("a public client reaches" in m and "/admin" in m.lower() and "http-request allow" in m for m in found), \
            (position, found)
    else:
        assert found == [], (position, found)


@LOCAL
@given(st.integers(min_value=0, max_value=len(_https_rules())),
       st.sampled_from(["http-request allow", "http-request allow if TRUE", "http-request allow unless FALSE",
                        "http-request allow if { always_true }"]))
def test_an_allow_before_the_rate_limit_disables_it(position: int, allow: str) -> None:
    rules = _https_rules()
    limit = next(i for i, r in enumerate(rules) if "deny_status 429" in r)
    found = edge_findings("edge-rate-limit", _insert(allow, position))
    if position <= limit:
        assert any("is not answered 429" in m and "http-request allow" in m for m in found), (position, found)
    else:
        assert found == [], (position, found)
