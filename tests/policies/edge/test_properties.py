"""Hypothesis over rule orderings and parser robustness; pathological inputs bounded (time printed)."""

from __future__ import annotations

import time

from hypothesis import given, settings
from hypothesis import strategies as st

from policies.rules.common import MAX_MESSAGES, joined
from policies.rules.haproxy import PUBLIC_CLIENT, Config, Request, walk
from policies.rules.haproxy_config import MAX_CONFIG_BYTES, OversizeError, evaluate_condition, split_line
from policies.rules.haproxy_regex import search
from tests.policies.edge.support import RULES, findings

RULE_NAMES = sorted(RULES)

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
    config = Config.parse(cfg)
    outcome = walk(config, config.listeners()[0], Request("/admin", PUBLIC_CLIENT, tls=True))
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


# --- quoting: every spelling HAProxy reads as the same words is judged the same ------------------------------


def _spell(word: str, how: list[int]) -> str:
    """`word` cut into pieces, each written plainly, in double quotes, in single quotes or as \\xHH escapes;
    HAProxy concatenates adjacent pieces into one word."""
    out, start = [], 0
    for index, choice in enumerate(how):
        end = len(word) if index == len(how) - 1 else start + max(1, (len(word) - start) // 2)
        piece = word[start:end]
        start = end
        if not piece:
            continue
        if choice == 0:
            out.append("".join("\\" + c if c in " #\"'\\" else c for c in piece))
        elif choice == 1:
            out.append('"' + "".join("\\" + c if c in "\"\\$" else c for c in piece) + '"')
        elif choice == 2 and "'" not in piece:
            out.append("'" + piece + "'")
        else:
            out.append("".join(f"\\x{ord(c):02x}" for c in piece))
    return "".join(out)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 3), min_size=1, max_size=4), st.lists(st.integers(0, 3), min_size=1, max_size=4),
       st.sampled_from(["TLSv1.0", "TLSv1.1", "SSLv3"]))
def test_quoted_tls_option_is_read_as_haproxy_reads_it(key_how: list[int], value_how: list[int], version: str) -> None:
    bind = f"    bind :8443 ssl crt /x.pem {_spell('ssl-min-ver', key_how)} {_spell(version, value_how)}  # ssl-min-ver TLSv1.3\n"
    cfg = "global\n    ssl-default-bind-ciphers ECDHE-RSA-AES128-GCM-SHA256\ndefaults\n    mode http\nfrontend f\n" + bind
    assert findings("edge-tls-min-version", cfg) == [
        f"listener 'f' (*:8443, haproxy.cfg:6) accepts TLS below TLSv1.2: {version} through 'ssl-min-ver {version}' "
        "(bind line haproxy.cfg:6)"]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 3), min_size=1, max_size=4))
def test_quoted_allow_is_still_an_allow(how: list[int]) -> None:
    cfg = HEAD + f"    {_spell('http-request', how)} {_spell('allow', how)}\n" \
                 "    http-request deny if { path_beg /admin }\n    default_backend app\n"
    found = findings("edge-admin-protected", cfg)
    assert found and found[0].startswith("listener 'f' (*:8443, haproxy.cfg:4): a public client reaches /admin: "
                                         "forwarded to backend 'app'")


# --- `.if` conditions: constant ones are decided as HAProxy decides them ------------------------------------

_BOOL = st.recursive(st.sampled_from(["0", "1"]),
                     lambda inner: st.one_of(inner.map(lambda e: f"!{e}"), inner.map(lambda e: f"({e})"),
                                             st.tuples(inner, st.sampled_from(["&&", "||"]), inner).map(" ".join)),
                     max_leaves=12)


def _python(expression: str) -> bool:
    text = expression.replace("&&", " and ").replace("||", " or ").replace("!", " not ")
    return bool(eval(text, {"__builtins__": {}}))  # built from 0, 1 and operators only


@settings(max_examples=150, deadline=None)
@given(_BOOL)
def test_constant_if_conditions(expression: str) -> None:
    assert evaluate_condition(expression.split()) is _python(expression)


@settings(max_examples=60, deadline=None)
@given(_BOOL)
def test_if_block_keeps_or_drops_the_deny(expression: str) -> None:
    cfg = HEAD + f".if {expression}\n    http-request deny\n.endif\n    default_backend app\n"
    found = findings("edge-admin-protected", cfg)
    assert bool(found) is not _python(expression)


def test_environment_decided_block_is_kept_and_recorded() -> None:
    config = Config.parse(HEAD + ".if defined(OPEN)\n    http-request allow\n.else\n    http-request deny\n.endif\n")
    assert [line.where for line in config.conditionals] == ["haproxy.cfg:5"]
    assert [entry.text for entry in config.listeners()[0].entries][-2:] == ["http-request allow", "http-request deny"]


# --- hostile inputs: bounded, and judged (timings printed with -s) ------------------------------------------


def _all_rules(label: str, cfg: str) -> dict[str, list[str]]:
    start = time.perf_counter()
    found = {rule: findings(rule, cfg) for rule in RULE_NAMES}
    print(f"{label}: {time.perf_counter() - start:.3f} s for every edge rule")
    return found


def test_deep_if_nesting() -> None:
    cfg = HEAD + ".if 1\n" * 15_000 + "    default_backend app\n" + ".endif\n" * 15_000
    assert Config.parse(cfg).problems[0] == "haproxy.cfg:15: '.if' nested deeper than 10"
    found = _all_rules("15,000 nested .if", cfg)
    assert any("reaches /admin: forwarded to backend 'app'" in m for m in found["edge-admin-protected"])


def test_pathological_quoting() -> None:
    cfg = HEAD + "    acl a path " + "\"\\'\\\\\\x4" * 30_000 + "\n    http-request deny if a\n    default_backend app\n"
    found = _all_rules("240 KB of quotes and escapes", cfg)
    assert any("reaches /admin" in m for m in found["edge-admin-protected"])


def test_thousands_of_listeners_are_walked_linearly() -> None:
    cfg = "".join(f"frontend f{i}\n    mode http\n    bind :{8000 + i} ssl crt /x.pem\n    default_backend app\n"
                  for i in range(1_600))
    found = _all_rules("1,600 listeners", cfg)
    admin = found["edge-admin-protected"]
    assert len(set(admin)) == 1_600  # one finding per listener
    assert joined(admin).endswith(f"; and {1_600 - MAX_MESSAGES} more")  # the one finding the pack reports


def test_thousands_of_acls() -> None:
    acls = "".join(f"    acl a{i} src 10.{i % 250}.0.0/16\n" for i in range(4_000))
    deny = "    http-request deny if " + " ".join(f"!a{i}" for i in range(0, 4_000, 10)) + "\n"
    found = _all_rules("4,000 ACLs", HEAD + acls + deny + "    default_backend app\n")
    # A public client is in none of the ranges, so the deny holds for every probe, forged headers included.
    assert found["edge-admin-protected"] == [] and found["edge-health-not-public"] == []
    assert found["edge-tls-min-version"][0].startswith("listener 'f' (*:8443, haproxy.cfg:4) sets no minimum TLS version")


def test_too_many_directives_is_reported() -> None:
    found = _all_rules("40,000 directive lines", "frontend f\n" + "    x\n" * 40_000)
    assert found["edge-https-only"] == ["haproxy.cfg is too large to evaluate (40000 directives, over the 5000 the "
                                        "pack walks); nothing in it is proven"]
