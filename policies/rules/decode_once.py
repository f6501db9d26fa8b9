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

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from google.protobuf import json_format
from pulumi_policy import deserialize
from pulumi_policy import policy as sdk
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


class _JsonFormat:
    """`json_format` as the SDK module sees it: MessageToDict memoized, everything else unchanged."""

    def __getattr__(self, name: str) -> Any:
        return getattr(json_format, name)

    @staticmethod
    def MessageToDict(message: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N802 - the protobuf name
        if args or kwargs:
            return json_format.MessageToDict(message, *args, **kwargs)
        return _memoized(DICT, json_format.MessageToDict, message)


def _deserialize_properties(props: dict[str, Any], proxy_secrets: bool = False) -> dict[str, Any]:
    if proxy_secrets:  # Remediate's secret-preserving proxies: not shared
        return _stock_deserialize(props, proxy_secrets)
    result: dict[str, Any] = _memoized(DESERIALIZE, _stock_deserialize, props, releases=DICT)
    return result


def _unknown_checking_proxy(props: dict[str, Any]) -> Any:
    # Rules read through verify.Props (lazy, recording unknowns instead of raising): it wraps the
    # decoded dict rather than copying it, so that dict stays alive as the one decoded copy.
    return _memoized(PROXY, verify.Props, props)


class DecodeOnceServicer(_stock_servicer):  # type: ignore[misc,valid-type]
    """The SDK's servicer with one decoding memo per Analyze / AnalyzeStack request."""

    def Analyze(self, request: Any, context: Any) -> Any:  # noqa: N802 - gRPC method name
        with request_scope():
            return super().Analyze(request, context)

    def AnalyzeStack(self, request: Any, context: Any) -> Any:  # noqa: N802
        with request_scope():
            return super().AnalyzeStack(request, context)

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
