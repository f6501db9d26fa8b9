"""Hypothesis over rule orderings and parser robustness; pathological inputs bounded (time printed)."""

from __future__ import annotations

import time

from hypothesis import given, settings
from hypothesis import strategies as st

from policies.rules.haproxy import PUBLIC_CLIENT, Config, Request, walk
from policies.rules.haproxy_config import MAX_CONFIG_BYTES, OversizeError, split_line
from policies.rules.haproxy_regex import search
from tests.policies.edge.support import findings

HEAD = "defaults\n    mode http\nfrontend f\n    bind :8443 ssl crt /x.pem\n"
RULES = {
    "allow-admin": ("http-request allow if { path_beg /admin }", "allow"),
    "deny-admin": ("http-request deny deny_status 403 if { path_beg /admin }", "deny"),
    "allow-all": ("http-request allow", "allow"),
    "deny-other": ("http-request deny deny_status 404 if { path_beg /other }", "skip"),
    "redirect-admin": ("http-request redirect location https://x/ if { path_beg /admin }", "redirect"),
}


@settings(max_examples=80, deadline=None)
@given(st.permutations(list(RULES)))
def test_first_matching_rule_wins(order: list[str]) -> None:
    cfg = HEAD + "".join(f"    {RULES[name][0]}\n" for name in order) + "    default_backend app\nbackend app\n" \
        "    server s 10.0.0.2:80\n"
    outcome = walk(Config.parse(cfg), Config.parse(cfg).listeners()[0], Request("/admin", PUBLIC_CLIENT, tls=True))
    expected = next(RULES[name][1] for name in order if RULES[name][1] != "skip")
    assert outcome.action == ("forward" if expected == "allow" else expected)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from([*" \t#\"'\\{}!x\nab/()-,", "http-request ", "acl ", "frontend ", "bind ", "if ",
                                  "unless ", "deny ", "path_beg ", "-m reg ", "src ", "mode tcp"]), max_size=120).map("".join))
def test_parser_and_rules_never_crash(text: str) -> None:
    cfg = "frontend f\n    bind :8443 ssl\n" + text
    for rule in ("edge-admin-protected", "edge-https-only", "edge-security-headers", "edge-rate-limit"):
        assert isinstance(findings(rule, cfg), list)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_random_bytes_tokenize(data: bytes) -> None:
    words, _ = split_line(data.decode("latin-1"))
    assert all(isinstance(w, str) for w in words)


@given(st.text(alphabet="ab", max_size=30), st.text(alphabet="ab", max_size=30))
def test_literal_regex_agrees_with_substring(pattern: str, subject: str) -> None:
    assert search(pattern, subject) == (pattern in subject)


def _timed(label: str, cfg: str) -> list[str]:
    start = time.perf_counter()
    found = findings("edge-admin-protected", cfg)
    print(f"{label}: {time.perf_counter() - start:.3f} s")
    return found


def test_megabyte_line_is_reported_not_read() -> None:
    found = _timed("1 MB line", "frontend f\n    bind :80\n    acl a path_beg " + "a" * 1_000_000 + "\n")
    assert found and "too large to evaluate" in found[0]


def test_many_newlines() -> None:
    found = _timed("100k newlines", "\n" * 100_000 + "frontend f\n    bind :8443 ssl\n    default_backend app\n")
    assert any("reaches /admin" in f for f in found)


def test_deeply_nested_braces() -> None:
    braces = "{ " * 5_000 + "path_beg /admin" + " }" * 5_000
    found = _timed("nested braces", f"frontend f\n    mode http\n    bind :8443 ssl\n    http-request deny if {braces}\n"
                                    "    default_backend app\n")
    assert any("cannot prove" in f for f in found)


def test_catastrophic_regex_in_config() -> None:
    found = _timed("(a*)*b regex", "frontend f\n    mode http\n    bind :8443 ssl\n    http-request deny if { path -m reg "
                                   "^/(a*)*(a*)*(a*)*b$ }\n    default_backend app\n")
    assert any("reaches /admin" in f for f in found)


def test_oversize_limit_is_the_documented_one() -> None:
    try:
        Config.parse("#" * (MAX_CONFIG_BYTES + 1))
    except OversizeError as error:
        assert str(MAX_CONFIG_BYTES) in str(error)
    else:
        raise AssertionError("oversize accepted")
