"""Every value of every resource of the shipped stacks, withheld in turn: no resource rule judges what it
cannot see. Exhaustive, not sampled, and in-process (each rule's `validate`, as the SDK calls it), so a
rarely drawn property cannot hide a rule that reads a withheld secret's text without recording it.

Over both property bags of every resource of the four shipped stacks that a resource rule applies to (a resource
staging shares unchanged with production is judged once):

- Withholding any ONE scalar value (the gate's `[secret]` marker, read through `Props` as the pack reads
  it) invents no finding: the shipped value was compliant and the secret could be it. A rule that reads the
  value reports it unverifiable; the one finding allowed is a secrets rule saying a secret's value sits where
  a reference belongs. Only the rules that touch the value run (which values a rule touches is traced on the
  unmutated resource: a value it never touches cannot change what it does).
- The verdict never depends on text the pack does not record reading. Every string value becomes a
  `Shadow`: a `Withheld` whose str methods record the read (as `Withheld`'s do) and compute on the real
  value, while every channel `Withheld` leaves unrecorded (its characters as C code reads them: `re`,
  `"".join`, `value in "text"`; `len`; `format`, `str`, `repr`) shows another text: the real value, the
  marker, or a text full of what rules look for. A finding that changes with that text was judged through
  an unrecorded channel, i.e. a withheld secret would have been judged by its marker; the sweep then
  shadows one value at a time to name it.

Stack rules get the shadow sweep over whole stacks (three runs per rule and bag). Withholding one value at a
time is not run for them: it would cost a whole-stack run per value per rule; the sampled sweep in
tests/policies/mutants/test_blind_sweep.py covers that direction.
"""

from __future__ import annotations

import contextlib
import functools
import json
import re
import time
import types
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from google.protobuf import struct_pb2
from pulumi_policy import (
    PolicyCustomTimeouts,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationPolicy,
    Severity,
    deserialize,
)
from pulumi_policy.proxy import UnknownValueError

from offline.gate import encode
from offline.gate.analyzer import BAGS, PackInfo, PolicyMeta, bag_of, providers_of
from offline.gate.engine import PolicyConfig, choose_config, resolve_config
from offline.runner.export import to_deployment
from policies.rules import all_policies, decode_once, verify
from policies.rules.common import INDEPENDENT, Meta, Resource, Stack, base_type, get, mapping, resource_rule, stack_rule
from tests.helpers import SHIPPED_STACKS, run_stack

Path = tuple[str | int, ...]
ALL: list[Any] = all_policies()
RULES = [p for p in ALL if isinstance(p, ResourceValidationPolicy)]
"""The pack's resource rules (stack rules: see the module's last test)."""
SINK = ("-----BEGIN RSA PRIVATE KEY-----\nAKIAABCDEFGHIJKLMNOP\npassword: s3cretValue1\nexport API_TOKEN=abcdef123456\n"
        "http://admin:hunter2@10.0.0.5:5432/db redis://:hunter2@cache:6379\nAuthorization: Bearer "
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.abcdefghijk\nghp_" + "a" * 36 + "\nServer: nginx/1.2 Traceback "
        "x.svc.cluster.local 10.0.0.1 0.0.0.0/0 ::/0 * latest true TLSv1.0 Allow Detection Disabled")
"""A text full of what rules look for (keys, tokens, URL passwords, leaks, world ranges, weak settings)."""
BUDGET_SECONDS = 60.0
"""CPU seconds one sweep may take over the four stacks (CPU, not wall time: the machine may be shared). Measured:
about 9 s withholding one value at a time, 5 s for the resource rules' shadows, 2 s for the stack rules'."""


# --- the resources, decoded as the pack receives them ------------------------------------------------


@dataclass
class Subject:
    stack: str
    type: str
    urn: str
    bag: str
    props: dict[str, Any]
    """The property bag as the SDK decodes the gate's request (secrets already withheld)."""
    provider: Any
    rules: list[Any]
    settings: dict[str, dict[str, Any]]
    """Each rule's configuration in the stack's policy configuration."""

    def __str__(self) -> str:
        return f"{base_type(self.type)} {self.urn.rsplit('::', 1)[-1]} ({self.stack}, {self.bag})"


def decoded(bag: Mapping[str, Any]) -> dict[str, Any]:
    """A property bag through the gate's encoder and the pack's decoder: what a rule's `args.props` holds."""
    message = struct_pb2.Struct.FromString(encode.struct_bytes(bag))
    result: dict[str, Any] = deserialize.deserialize_properties(decode_once.struct_to_dict(message))
    return result


def policy_config(stack: str) -> PolicyConfig:
    """The stack's policy configuration, resolved as `check --stack` resolves it (without a pack process)."""
    info = PackInfo("orchestrator-security", "", "", {
        p.meta.name: PolicyMeta(p.meta.name, "", p.meta.enforcement.value, "",
                                not isinstance(p, ResourceValidationPolicy), (), {}, "", "",
                                {k: dict(v) for k, v in p.meta.config.items()})
        for p in ALL})
    choice = choose_config(stack)
    return resolve_config(info, choice.raw, choice.source, choice.environment)


@functools.cache
def subjects() -> list[Subject]:
    """Every (resource, property bag) of the shipped stacks that a resource rule applies to, once: a resource
    staging shares with production (same type, name, properties, provider and rule settings) is judged once."""
    out = []
    seen = set()
    for stack in SHIPPED_STACKS:
        config = policy_config(stack)
        resources = to_deployment(run_stack(stack))["deployment"]["resources"]
        providers = providers_of(resources)
        for resource in resources:
            rules = [p for p in RULES if p.applies(resource["type"]) and config.levels.get(p.meta.name) != "disabled"]
            if not rules:
                continue
            settings = {p.meta.name: config.properties.get(p.meta.name, {}) for p in rules}
            reference = str(resource.get("provider") or "")
            provider = providers.get(reference.rsplit("::", 1)[0]) if reference else None
            for bag in BAGS:
                props = decoded(bag_of(resource, bag))
                provider_props = decoded(bag_of(provider, bag)) if provider else None
                key = json.dumps([resource["type"], resource["urn"].rsplit("::", 1)[-1], props, provider_props, settings],
                                 sort_keys=True, default=str)
                if key in seen:
                    continue
                seen.add(key)
                out.append(Subject(stack, resource["type"], resource["urn"], bag, props,
                                   types.SimpleNamespace(props=verify.Props(provider_props)) if provider_props else None,
                                   rules, settings))
    return out


def scalars(node: Any, path: Path = ()) -> Iterator[Path]:
    """Every value a secret can replace: strings (not already withheld), numbers and booleans."""
    if isinstance(node, dict):
        for key, child in node.items():
            yield from scalars(child, (*path, key))
    elif isinstance(node, list):
        for index, child in enumerate(node):
            yield from scalars(child, (*path, index))
    elif isinstance(node, (int, float, str)) and not verify.is_withheld(node):
        yield path


def judge(rule: Any, subject: Subject, props: Any) -> tuple[list[str], list[str]]:
    """(the finding's messages, the properties reported unverifiable) of one rule on one resource."""
    found: list[str] = []
    settings = subject.settings[rule.meta.name]
    args = types.SimpleNamespace(resource_type=subject.type, urn=subject.urn, name=subject.urn.rsplit("::", 1)[-1],
                                 props=props, provider=subject.provider, get_config=lambda: settings)
    try:
        rule.validate(args, lambda message, urn: found.append(message))
    except UnknownValueError as blind:
        return found, [entry[1] for entry in verify.parse_unverifiable(blind.message) or []]
    return found, []


def at(root: Any, path: Path) -> tuple[Any, str | int]:
    for key in path[:-1]:
        root = root[key]
    return root, path[-1]


def value_at(root: Any, path: Path) -> Any:
    parent, key = at(root, path)
    return parent[key]


@contextmanager
def tracing() -> Iterator[tuple[set[Path], list[Path]]]:
    """Which values a rule touches: every read through Props/Items, and whole subtrees read raw (`plain`, repr)."""
    touched: set[Path] = set()
    raw: list[Path] = []
    props_get, items_get = verify.Props.__getitem__, verify.Items.__getitem__
    plain, props_repr = verify.plain, verify.Props.__repr__

    def get_key(self: verify.Props, key: str) -> Any:
        touched.add((*self._path, key))
        return props_get(self, key)

    def get_index(self: verify.Items, index: Any) -> Any:
        if isinstance(index, int):
            touched.add((*self._path, index if index >= 0 else len(self._target) + index))
        return items_get(self, index)

    def raw_read(value: Any) -> Any:
        if isinstance(value, (verify.Props, verify.Items)):
            raw.append(value._path)
        return plain(value)

    def raw_repr(self: verify.Props) -> str:
        raw.append(self._path)
        return props_repr(self)

    verify.Props.__getitem__, verify.Items.__getitem__ = get_key, get_index  # type: ignore[method-assign]
    verify.plain, verify.Props.__repr__ = raw_read, raw_repr  # type: ignore[method-assign]
    try:
        yield touched, raw
    finally:
        verify.Props.__getitem__, verify.Items.__getitem__ = props_get, items_get  # type: ignore[method-assign]
        verify.plain, verify.Props.__repr__ = plain, props_repr  # type: ignore[method-assign]


def allowed(rule: Any, message: str) -> bool:
    """A secrets rule saying a secret's value sits in the object: the one finding a withheld value may cause."""
    return "SM" in rule.meta.categories and "a secret's value" in message


# --- sweep 1: withholding any one value invents no finding ------------------------------------------


def invented_findings(judged: list[Subject]) -> list[str]:
    invented = []
    for subject in judged:
        readers: dict[Path, list[Any]] = {}
        before: dict[str, list[str]] = {}
        values = list(scalars(subject.props))
        for rule in subject.rules:
            with tracing() as (touched, raw):
                before[rule.meta.name] = judge(rule, subject, verify.Props(subject.props))[0]
            for path in values:
                if path in touched or any(path[:len(prefix)] == prefix for prefix in raw):
                    readers.setdefault(path, []).append(rule)
        for path, rules in readers.items():
            parent, key = at(subject.props, path)
            original = parent[key]
            parent[key] = verify.WITHHELD
            try:
                props = verify.Props(subject.props)  # one per request, as decode_once shares it between rules
                with verify.request_memo_scope():
                    for rule in rules:
                        for message in judge(rule, subject, props)[0]:
                            if message not in before[rule.meta.name] and not allowed(rule, message):
                                invented.append(f"{rule.meta.name} on {subject} with {verify.spell(path)} withheld: "
                                                f"{message[:200]}")
            finally:
                parent[key] = original
    return invented


# --- sweep 2: no verdict depends on text the pack does not record reading ---------------------------


class Shadow(verify.Withheld):
    """A withheld value whose recorded reads (its str methods, `int()`, `float()`, `"x" + value`, regexes through
    `verify.pattern`) compute on the real value, as `Withheld`'s compute on the marker, and whose unrecorded
    channels (the characters C code reads; `format`, `str`, `repr`) show `str.__str__(self)`, another text."""

    real: str

    def _readable(self) -> str:
        return self.real

    def _derive(self, text: str) -> Shadow:
        return shadow(str.__str__(self), text, self.root, self.path)

    def __format__(self, spec: str) -> str:
        return str.__str__(self)

    def __repr__(self) -> str:
        return repr(str.__str__(self))

    def __len__(self) -> int:
        return len(self.real)  # free, as `Withheld`'s; the real length keeps indexing consistent


def shadow(text: str, real: str, root: Any, path: Path) -> Shadow:
    out = Shadow(text)
    out.real, out.root, out.path, out.fingerprint = real, root, path, None
    return out


ORIGINAL = object()
"""The shadow text that is each value's own text (so a regex sees what it would see on the real value)."""


@contextmanager
def shadowing(text: Any, only: Callable[[Any, Path], bool] | None = None) -> Iterator[None]:
    """Every string value read through Props (or those `only(root, path)` accepts) becomes a `Shadow` showing
    `text`."""
    wrap = verify._wrap

    def shadowed(value: Any, root: Any, path: Path) -> Any:
        out = wrap(value, root, path)
        if type(out) is str and (only is None or only(root, path)):
            return shadow(out if text is ORIGINAL else text, out, root, path)
        return out

    verify._wrap = shadowed
    try:
        yield
    finally:
        verify._wrap = wrap


def at_path(path: Path | None) -> Callable[[Any, Path], bool] | None:
    return None if path is None else lambda root, here: here == path


def verdicts(subject: Subject, text: Any, only: Path | None = None) -> dict[str, int]:
    """How many problems each rule reports with the values shadowed (one request: the rules share derived
    facts). Counted, not compared as text: a message may quote the shadow text, cut or escaped."""
    out = {}
    with shadowing(text, at_path(only)):
        props = verify.Props(subject.props)
        with verify.request_memo_scope():
            for rule in subject.rules:
                messages = judge(rule, subject, props)[0]
                out[rule.meta.name] = sum(len(m.split("; ")) for m in messages)
    return out


def differs(subject: Subject, rule: str, only: Path | None = None) -> bool:
    """Whether the rule's verdict changes with the unrecorded text: the real text or the sink instead of the
    marker (with the real text, only whether there is a finding: its messages quote what they saw)."""
    marker = verdicts(subject, verify.WITHHELD, only)
    return bool(verdicts(subject, ORIGINAL, only)[rule]) != bool(marker[rule]) \
        or verdicts(subject, SINK, only)[rule] != marker[rule]


def text_judged(cases: list[Subject]) -> list[str]:
    judged = []
    for subject in cases:
        marker, original, sink = (verdicts(subject, text) for text in (verify.WITHHELD, ORIGINAL, SINK))
        for rule in subject.rules:
            name = rule.meta.name
            if bool(marker[name]) == bool(original[name]) and marker[name] == sink[name]:
                continue
            values = [path for path in scalars(subject.props) if isinstance(value_at(subject.props, path), str)]
            culprits = [verify.spell(path) for path in values if differs(subject, name, path)]
            named = ", ".join(culprits) or "several values together"
            judged.append(f"{name} on {subject} judges the unrecorded text of {named}: problems with the marker "
                          f"{marker[name]}, the real text {original[name]}, a text full of findings {sink[name]}")
    return judged


# --- stack rules: the same shadows over a whole stack ------------------------------------------------
#
# A stack rule reads many resources per run, so withholding one value at a time (the first sweep) would cost a
# whole-stack run per value per rule; the shadow sweep costs three runs per rule and bag, and narrows a
# difference down to the resource and the value only when there is one.

STACK_RULES = [p for p in ALL if not isinstance(p, ResourceValidationPolicy)]


@dataclass
class StackSubject:
    stack: str
    bag: str
    entries: list[dict[str, Any]]
    props: dict[str, dict[str, Any]]
    providers: dict[str, dict[str, Any]]
    settings: dict[str, dict[str, Any]]
    rules: list[Any]


@functools.cache
def stack_subjects() -> list[StackSubject]:
    out = []
    for stack in SHIPPED_STACKS:
        config = policy_config(stack)
        entries = to_deployment(run_stack(stack))["deployment"]["resources"]
        providers = providers_of(entries)
        settings = {p.meta.name: config.properties.get(p.meta.name, {}) for p in STACK_RULES
                    if config.levels.get(p.meta.name) != "disabled"}
        for bag in BAGS:
            out.append(StackSubject(stack, bag, entries, {e["urn"]: decoded(bag_of(e, bag)) for e in entries},
                                    {urn: decoded(bag_of(p, bag)) for urn, p in providers.items()}, settings,
                                    [p for p in STACK_RULES if p.meta.name in settings]))
    return out


def stack_resources(subject: StackSubject) -> tuple[list[PolicyResource], dict[int, str]]:
    """The resources as the SDK hands them to a stack rule (parent, dependencies and property dependencies
    linked), each with fresh Props; and which Props belongs to which URN."""
    by_urn: dict[str, PolicyResource] = {}
    owners: dict[int, str] = {}
    for entry in subject.entries:
        props = verify.Props(subject.props[entry["urn"]])
        owners[id(props)] = entry["urn"]
        reference = str(entry.get("provider") or "").rsplit("::", 1)[0]
        provider = types.SimpleNamespace(props=verify.Props(subject.providers[reference])) \
            if reference in subject.providers else None
        options = PolicyResourceOptions(bool(entry.get("protect")), list(entry.get("ignoreChanges") or []),
                                        entry.get("deleteBeforeReplace"), list(entry.get("aliases") or []),
                                        PolicyCustomTimeouts(0, 0, 0), list(entry.get("additionalSecretOutputs") or []))
        by_urn[entry["urn"]] = PolicyResource(entry["type"], props, entry["urn"], entry["urn"].rsplit("::", 1)[-1],
                                              options, provider, None, [], {})  # type: ignore[arg-type]
    for entry in subject.entries:
        resource = by_urn[entry["urn"]]
        resource.parent = by_urn.get(str(entry.get("parent") or ""))
        resource.dependencies = [by_urn[u] for u in entry.get("dependencies") or [] if u in by_urn]
        resource.property_dependencies = {key: [by_urn[u] for u in urns if u in by_urn]
                                          for key, urns in (entry.get("propertyDependencies") or {}).items()}
    return list(by_urn.values()), owners


def stack_verdicts(subject: StackSubject, text: Any, only: Callable[[str, Path], bool] | None = None,
                   ) -> dict[str, dict[str | None, int]]:
    """Per stack rule: problems reported per URN, with the values `only(urn, path)` accepts (all) shadowed."""
    out: dict[str, dict[str | None, int]] = {}
    resources, owners = stack_resources(subject)
    accept = None if only is None else (lambda root, path: only(owners.get(id(root), ""), path))
    with shadowing(text, accept), verify.request_memo_scope():
        for rule in subject.rules:
            settings = subject.settings[rule.meta.name]
            found: dict[str | None, int] = {}
            args = types.SimpleNamespace(resources=resources, get_config=lambda settings=settings: settings)

            def report(message: str, urn: str | None, found: dict[str | None, int] = found) -> None:
                found[urn] = found.get(urn, 0) + len(message.split("; "))

            with contextlib.suppress(UnknownValueError):
                rule.validate(args, report)
            out[rule.meta.name] = found
    return out


def stack_differs(subject: StackSubject, rule: str, only: Callable[[str, Path], bool]) -> bool:
    marker, original, sink = (stack_verdicts(subject, text, only)[rule] for text in (verify.WITHHELD, ORIGINAL, SINK))
    return set(marker) != set(original) or marker != sink


def owned_by(urn: str, path: Path | None = None) -> Callable[[str, Path], bool]:
    """The values of one resource (or the one at `path` in it)."""
    return lambda owner, here: owner == urn and (path is None or here == path)


def stack_text_judged(cases: list[StackSubject]) -> list[str]:
    judged = []
    for subject in cases:
        marker, original, sink = (stack_verdicts(subject, text) for text in (verify.WITHHELD, ORIGINAL, SINK))
        for name in marker:
            if set(marker[name]) == set(original[name]) and marker[name] == sink[name]:
                continue
            culprits = []
            for urn, props in subject.props.items():
                if not stack_differs(subject, name, owned_by(urn)):
                    continue
                values = [path for path in scalars(props) if isinstance(value_at(props, path), str)]
                culprits += [f"{urn.rsplit('::', 1)[-1]} {verify.spell(path)}" for path in values
                             if stack_differs(subject, name, owned_by(urn, path))] or [urn.rsplit("::", 1)[-1]]
            judged.append(f"{name} on {subject.stack} ({subject.bag}) judges the unrecorded text of "
                          f"{', '.join(culprits) or 'several resources together'}: findings per resource with the "
                          f"marker {marker[name]}, the real text {original[name]}, a text full of findings {sink[name]}")
    return judged


def test_withholding_any_one_value_invents_no_finding() -> None:
    subjects()
    started = time.process_time()
    invented = invented_findings(subjects())
    assert invented == [], "a withheld value invented findings:\n" + "\n".join(invented)
    assert time.process_time() - started < BUDGET_SECONDS


def test_no_verdict_depends_on_text_the_pack_does_not_record_reading() -> None:
    subjects()
    started = time.process_time()
    judged = text_judged(subjects())
    assert judged == [], "rules judged a withheld value's text without recording it:\n" + "\n".join(judged)
    assert time.process_time() - started < BUDGET_SECONDS


def test_no_stack_verdict_depends_on_text_the_pack_does_not_record_reading() -> None:
    stack_subjects()
    started = time.process_time()
    judged = stack_text_judged(stack_subjects())
    assert judged == [], "stack rules judged a withheld value's text without recording it:\n" + "\n".join(judged)
    assert time.process_time() - started < BUDGET_SECONDS


# --- the sweeps catch what they are for ------------------------------------------------------------------
#
# Rules that read a value's characters past the recording, as a rule written with `re`, `"".join` or an f-string
# would (test code may: the structural test covers policies/rules only).

LISTENER, CONFIGMAP = "aws:lb/listener:Listener", "kubernetes:core/v1:ConfigMap"


def meta(name: str) -> Meta:
    return Meta(name=name, description="a rule written to bypass the recording", severity=Severity.HIGH,
                categories=("TS",), references=(), remediation="")


@resource_rule(meta("joined-policy"), (LISTENER,))
def joined_policy(resource: Resource) -> Iterator[str]:
    policy = get(resource.props, "sslPolicy")
    if isinstance(policy, str) and not re.match(r"ELBSecurityPolicy-TLS13-", "".join([policy])):
        yield f"listener uses SSL policy {policy}"


@resource_rule(meta("recorded-policy"), (LISTENER,))
def recorded_policy(resource: Resource) -> Iterator[str]:
    policy = get(resource.props, "sslPolicy")
    if isinstance(policy, str) and not verify.pattern(r"ELBSecurityPolicy-TLS13-").match(policy):
        yield f"listener uses SSL policy {policy}"


@resource_rule(meta("formatted-scan"), (CONFIGMAP,))
def formatted_scan(resource: Resource) -> Iterator[str]:
    for key, value in mapping(get(resource.props, "data")).items():
        if isinstance(value, str) and re.search(r"AKIA[0-9A-Z]{16}", f"{value}"):
            yield f"data.{key} holds an access key id"


@stack_rule(meta("stack-joined-scan"))
def stack_joined_scan(stack: Stack) -> Iterator[tuple[str, str | None]]:
    for configmap in stack.of(CONFIGMAP):
        for key, value in mapping(get(configmap.props, "data")).items():
            if isinstance(value, str) and re.search(r"AKIA[0-9A-Z]{16}", " ".join([value])):
                yield f"data.{key} holds an access key id", configmap.urn
        yield INDEPENDENT


def synthetic(rule: Any, type_: str, props: dict[str, Any]) -> Subject:
    return Subject("synthetic", type_, f"urn:pulumi:synthetic::orchestrator::{type_}::thing", "inputs", props, None,
                   [rule], {rule.meta.name: {}})


LISTENER_PROPS = {"protocol": "HTTPS", "port": 443, "sslPolicy": "ELBSecurityPolicy-TLS13-1-2-2021-06"}


def test_the_sweeps_catch_a_rule_that_judges_the_marker_past_the_recording() -> None:
    case = synthetic(joined_policy, LISTENER, LISTENER_PROPS)
    assert invented_findings([case]) == [
        f"joined-policy on {case} with sslPolicy withheld: listener uses SSL policy [secret]"]
    judged = text_judged([case])
    assert len(judged) == 1 and judged[0].startswith(f"joined-policy on {case} judges the unrecorded text of sslPolicy:")


def test_the_shadow_sweep_catches_a_scan_that_finds_nothing_in_the_marker() -> None:
    """A scanner finds nothing in "[secret]": withholding invents no finding, but a secret holding a key would
    pass unseen instead of being reported unverifiable. Only the shadow sweep sees it."""
    case = synthetic(formatted_scan, CONFIGMAP, {"data": {"settings": "mode=fast"}})
    assert invented_findings([case]) == []
    judged = text_judged([case])
    assert len(judged) == 1 and "unrecorded text of data.settings:" in judged[0], judged


def test_a_rule_that_reads_through_the_wrapper_passes_both_sweeps() -> None:
    case = synthetic(recorded_policy, LISTENER, LISTENER_PROPS)
    assert judge(recorded_policy, case, verify.Props(case.props)) == ([], [])
    assert invented_findings([case]) == [] and text_judged([case]) == []


def test_the_stack_sweep_names_the_resource_and_the_value() -> None:
    urn = f"urn:pulumi:synthetic::orchestrator::{CONFIGMAP}::settings"
    case = StackSubject("synthetic", "inputs", [{"urn": urn, "type": CONFIGMAP}], {urn: {"data": {"app.env": "MODE=fast"}}},
                        {}, {"stack-joined-scan": {}}, [stack_joined_scan])
    judged = stack_text_judged([case])
    assert len(judged) == 1 and "unrecorded text of settings data.app.env:" in judged[0], judged
