"""Decode each analyzer request once, not once per policy (a pure-performance cache).

The policy SDK's servicer turns a request's protobuf properties into proxied Python values inside
its loop over policies: `unknown_checking_proxy(deserialize_properties(json_format.MessageToDict(m)))`
runs once per resource rule on every Analyze and once per stack rule for every resource on
AnalyzeStack. With 39 resource rules and 16 stack rules that decoding is ~80 % of the pack's time
and, at 10,000 resources, the garbage it leaves makes the cost grow faster than the stack.

`install()` keeps the SDK's own servicer code and control flow (levels, not-applicable, unknown values
during preview, report_violation) and only memoizes those three calls (the third now builds the
lazy `verify.Props` the rule wrappers would otherwise build from the SDK's eager proxy) by the identity of their
argument, for the duration of one request on one thread. The memo holds a reference to every
argument it saw, so an id cannot be reused within the request; a miss only costs time. The two
intermediate dicts are emptied once the next step has been computed from them (they are then only
identity tokens), so the memo holds one decoded copy per resource, as the SDK does per policy. Policies
therefore share the decoded values of a request: rules treat `props` as read-only Mappings (they
never write to them). Only the SDK version this was verified against is patched; any other version
runs the stock servicer (the equivalence test in tests/policies fails first and says so).
"""

from __future__ import annotations

import asyncio
import math
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from inspect import isawaitable
from typing import Any

from google.protobuf import json_format, struct_pb2
from pulumi.runtime import proto
from pulumi_policy import EnforcementLevel, PolicyResource, StackValidationArgs, StackValidationPolicy, deserialize
from pulumi_policy import policy as sdk
from pulumi_policy.proxy import UnknownValueError
from pulumi_policy.version import VERSION

from . import verify

VERIFIED_SDK = "1.21.0"

_local = threading.local()
# The originals, also when this module is imported a second time (as `rules` and `policies.rules`).
_stock_servicer = next(c for c in sdk._PolicyAnalyzerServicer.__mro__ if c.__module__ == sdk.__name__)
_stock_deserialize = deserialize.deserialize_properties


# One table per memoized step: MessageToDict, deserialize_properties, unknown_checking_proxy, and the
# servicer's per-resource options and provider (which AnalyzeStack also rebuilds for every policy).
DICT, DESERIALIZE, PROXY, OPTIONS, PROVIDER = range(5)


class _Memo:
    def __init__(self) -> None:
        self.tables: tuple[dict[int, tuple[Any, Any]], ...] = tuple({} for _ in range(5))
        self.produced: dict[int, int] = {}
        """id(result) -> the step that produced it (results stay alive in the tables, so ids are unique)."""


@contextmanager
def request_scope() -> Iterator[None]:
    """Memoize decoding on this thread until the request ends."""
    previous = getattr(_local, "memo", None)
    _local.memo = _Memo()
    try:
        with verify.request_memo_scope():
            yield
    finally:
        _local.memo = previous


def _memoized(step: int, function: Callable[[Any], Any], argument: Any, *, releases: int | None = None) -> Any:
    memo: _Memo | None = getattr(_local, "memo", None)
    if memo is None:
        return function(argument)
    table = memo.tables[step]
    hit = table.get(id(argument))
    if hit is not None and hit[0] is argument:
        return hit[1]
    result = function(argument)
    table[id(argument)] = (argument, result)  # the reference keeps the id unique for the request
    memo.produced[id(result)] = step
    if releases is not None and isinstance(argument, dict) and memo.produced.get(id(argument)) == releases:
        # The argument came from the previous memoized step and this step's result is now memoized:
        # it is only an identity token from here on. Empty it, so a request keeps one decoded copy
        # of each resource (the proxies), not three.
        argument.clear()
    return result


def struct_to_dict(message: struct_pb2.Struct) -> dict[str, Any]:
    """`json_format.MessageToDict` of a Struct, the same values in the same order, without its generic
    per-field machinery (a third of the time; tests/policies/test_decode_once.py compares the two)."""
    return {key: _value(item) for key, item in message.fields.items()}


def _value(item: struct_pb2.Value) -> Any:
    kind = item.WhichOneof("kind")
    if kind == "string_value":
        return item.string_value
    if kind == "struct_value":
        return {key: _value(inner) for key, inner in item.struct_value.fields.items()}
    if kind == "list_value":
        return [_value(inner) for inner in item.list_value.values]
    if kind == "number_value":
        number = item.number_value
        if math.isinf(number):
            raise ValueError("Fail to serialize Infinity for Value.number_value, which would parse as string_value")
        if math.isnan(number):
            raise ValueError("Fail to serialize NaN for Value.number_value, which would parse as string_value")
        return number
    if kind == "bool_value":
        return item.bool_value
    return None  # null_value, or no value set


def _message_to_dict(message: Any) -> Any:
    if isinstance(message, struct_pb2.Struct):
        return struct_to_dict(message)
    return json_format.MessageToDict(message)


class _JsonFormat:
    """`json_format` as the SDK module sees it: MessageToDict memoized (and direct for a Struct),
    everything else unchanged."""

    def __getattr__(self, name: str) -> Any:
        return getattr(json_format, name)

    @staticmethod
    def MessageToDict(message: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N802 - the protobuf name
        if args or kwargs:
            return json_format.MessageToDict(message, *args, **kwargs)
        return _memoized(DICT, _message_to_dict, message)


def _deserialize_properties(props: dict[str, Any], proxy_secrets: bool = False) -> dict[str, Any]:
    if proxy_secrets:  # Remediate's secret-preserving proxies: not shared
        return _stock_deserialize(props, proxy_secrets)
    result: dict[str, Any] = _memoized(DESERIALIZE, _stock_deserialize, props, releases=DICT)
    return result


def _unknown_checking_proxy(props: dict[str, Any]) -> Any:
    # Rules read through verify.Props (lazy, recording unknowns instead of raising): it wraps the
    # decoded dict rather than copying it, so that dict stays alive as the one decoded copy.
    return _memoized(PROXY, verify.Props, props)


class _PolicyView(list[Any]):
    """The servicer's policy list. While an Analyze request is served on this thread, iterating it yields
    only the policies that can apply to the request's resource type: a resource rule whose `applies`
    predicate refuses the type returns before reading anything (see common.resource_rule), so skipping it
    answers the same, without the SDK's per-policy work (~40 policies for every resource)."""

    def __init__(self, policies: list[Any]) -> None:
        super().__init__(policies)
        self._by_type: dict[str, list[Any]] = {}

    def __iter__(self) -> Iterator[Any]:
        type_ = getattr(_local, "resource_type", None)
        if type_ is None:
            return super().__iter__()
        chosen = self._by_type.get(type_)
        if chosen is None:
            everything = list(super().__iter__())
            chosen = [p for p in everything if getattr(p, "applies", None) is None or p.applies(type_)]
            self._by_type[type_] = chosen
        return iter(chosen)


class DecodeOnceServicer(_stock_servicer):  # type: ignore[misc,valid-type]
    """The SDK's servicer with one decoding memo per Analyze / AnalyzeStack request."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        policies: list[Any] = getattr(self, "_PolicyAnalyzerServicer__policies")  # noqa: B009 - a mangled name
        self._PolicyAnalyzerServicer__policies = _PolicyView(policies)

    def Analyze(self, request: Any, context: Any) -> Any:  # noqa: N802 - gRPC method name
        with request_scope():
            _local.resource_type = request.type
            try:
                return super().Analyze(request, context)
            finally:
                _local.resource_type = None

    def AnalyzeStack(self, request: Any, context: Any) -> Any:  # noqa: N802
        """The stack's resources are decoded and linked into one graph, shared by every stack policy; the
        SDK rebuilds the whole graph once per stack policy (~20 times). Everything else is the protocol's:
        each enabled stack policy validates the graph (remediate counts as mandatory for a stack policy),
        and a value unknown during preview turns into the advisory "can't run" diagnostic."""
        with request_scope():
            self._configure_runtime_settings()
            response = proto.AnalyzeResponse()
            graph: list[Any] | None = None
            for policy in self._PolicyAnalyzerServicer__policies:
                level = self._get_enforcement_level(policy)
                if level == EnforcementLevel.DISABLED or not isinstance(policy, StackValidationPolicy):
                    continue
                if level == EnforcementLevel.REMEDIATE:
                    level = EnforcementLevel.MANDATORY
                report = self._create_report_violation(response, policy.name, policy.description, level,
                                                       policy.severity)
                if graph is None:
                    graph = self._stack_graph(request)
                args = StackValidationArgs(graph, self._get_policy_config(policy.name),
                                           self._PolicyAnalyzerServicer__stack_tags)
                try:
                    outcome = policy.validate(args, report)
                    if isawaitable(outcome):
                        asyncio.run(_awaited(outcome))
                except UnknownValueError as error:
                    response.diagnostics.append(self._cannot_run(policy, error.message))
                except sdk._NotApplicableError as error:
                    response.not_applicable.append(proto.PolicyNotApplicable(policy_name=policy.name,
                                                                             reason=error.reason or ""))
            return response

    def _stack_graph(self, request: Any) -> list[PolicyResource]:
        """Every resource of an AnalyzeStack request, with parent, dependencies and property dependencies
        pointing at each other (references to resources outside the request are dropped)."""
        resources: list[PolicyResource] = []
        links: list[tuple[PolicyResource, Any]] = []
        by_urn: dict[str, PolicyResource] = {}
        for entry in request.resources:
            props = sdk.unknown_checking_proxy(sdk.deserialize_properties(sdk.json_format.MessageToDict(entry.properties)))
            resource = PolicyResource(entry.type, props, entry.urn, entry.name, self._get_resource_options(entry),
                                      self._get_provider_resource(entry), None, [], {})
            resources.append(resource)
            links.append((resource, entry))
            by_urn[entry.urn] = resource
        for resource, entry in links:
            resource.parent = by_urn.get(entry.parent) if entry.parent else None
            resource.dependencies = [by_urn[u] for u in entry.dependencies if u in by_urn]
            resource.property_dependencies = {key: [by_urn[u] for u in value.urns if u in by_urn]
                                              for key, value in entry.propertyDependencies.items()}
        return resources

    def _cannot_run(self, policy: Any, detail: str) -> Any:
        pack = self._PolicyAnalyzerServicer__policy_pack_name
        version = self._PolicyAnalyzerServicer__policy_pack_version
        return proto.AnalyzeDiagnostic(
            policyName=policy.name, policyPackName=pack, policyPackVersion=version,
            message=f"can't run policy '{policy.name}' from policy pack '{pack}@v{version}' during preview: {detail}",
            urn="", description=policy.description,
            enforcementLevel=self._map_enforcement_level(EnforcementLevel.ADVISORY))

    def _configure_runtime_settings(self) -> None:
        # The SDK re-reads the same environment (config, project, stack) into the runtime on every
        # request (~27 us each); the environment is fixed for the process, so once is the same.
        if not getattr(self, "_runtime_configured", False):
            super()._configure_runtime_settings()
            self._runtime_configured = True

    def _get_resource_options(self, request: Any) -> Any:
        return _memoized(OPTIONS, super()._get_resource_options, request)

    def _get_provider_resource(self, request: Any) -> Any:
        return _memoized(PROVIDER, super()._get_provider_resource, request)


async def _awaited(outcome: Any) -> None:
    await outcome


def install() -> bool:
    """Route the SDK's decoding through the memo and serve with DecodeOnceServicer (call before
    `PolicyPack(...)`). Returns whether it was installed (only on the verified SDK version)."""
    if VERSION != VERIFIED_SDK:
        return False
    sdk.json_format = _JsonFormat()
    sdk.deserialize_properties = _deserialize_properties
    sdk.unknown_checking_proxy = _unknown_checking_proxy
    sdk._PolicyAnalyzerServicer = DecodeOnceServicer  # type: ignore[misc]
    return True
