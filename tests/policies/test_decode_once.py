"""The pack's decode-once cache answers every request exactly like the SDK's own servicer.

Both servicers run in this process on the same protobuf requests the gate sends (built by
offline.gate.analyzer): every rule case, a stack with values unknown during preview, and a pack
configuration with disabled and remediate levels.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from google.protobuf import json_format, struct_pb2
from hypothesis import given, settings
from hypothesis import strategies as st
from pulumi.runtime.proto import analyzer_pb2
from pulumi_policy import EnforcementLevel
from pulumi_policy.version import VERSION

from offline.gate.analyzer import analyze_request, analyze_stack_request, providers_of
from offline.gate.encode import struct_bytes
from policies.rules import PACK_NAME, all_policies, decode_once
from tests.helpers import SHIPPED_STACKS
from tests.policies.cases import CASES
from tests.policies.conftest import resource, root
from tests.policies.fixtures import app_stack

UNKNOWN_STRING = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"


@pytest.fixture(scope="module", autouse=True)
def installed() -> Iterator[None]:
    assert decode_once.install(), f"pulumi-policy {VERSION} is not the verified {decode_once.VERIFIED_SDK}: re-verify"
    yield


def servicers(config: analyzer_pb2.ConfigureAnalyzerRequest | None = None) -> tuple[Any, Any]:
    stock = decode_once._stock_servicer(PACK_NAME, "1.0.0", all_policies(), EnforcementLevel.ADVISORY)
    fast = decode_once.DecodeOnceServicer(PACK_NAME, "1.0.0", all_policies(), EnforcementLevel.ADVISORY)
    if config is not None:
        stock.Configure(config, None)
        fast.Configure(config, None)
    return stock, fast


def assert_same_answers(resources: list[dict[str, Any]], config: analyzer_pb2.ConfigureAnalyzerRequest | None = None) \
        -> list[analyzer_pb2.AnalyzeResponse]:
    stock, fast = servicers(config)
    providers = providers_of(resources)
    answers = []
    for item in resources:
        request = analyze_request(item, providers)
        expected = stock.Analyze(request, None)
        assert fast.Analyze(request, None) == expected, item["urn"]
        answers.append(expected)
    request = analyze_stack_request(resources, providers)
    expected = stock.AnalyzeStack(request, None)
    assert fast.AnalyzeStack(request, None) == expected
    answers.append(expected)
    return answers


@pytest.mark.parametrize("case", CASES, ids=[f"{rule}-{'fires' if fires else 'passes'}-{i}"
                                             for i, (rule, fires, _) in enumerate(CASES)])
def test_same_answers_as_the_sdk(case: tuple[str, bool, list[dict[str, Any]]]) -> None:
    rule, fires, resources = case
    if not any(r["type"] == "pulumi:pulumi:Stack" for r in resources):
        resources = [root(), *resources]
    answers = assert_same_answers(resources)
    if fires:  # the comparison covered a real finding, not two empty answers
        assert rule in {d.policyName for answer in answers for d in answer.diagnostics}


def test_unknown_values_and_levels_answer_like_the_sdk() -> None:
    resources = [root(activeSlot="blue", canaryWeight=0), *app_stack()]
    blue = next(r for r in resources if r["urn"].endswith("::app-blue"))
    blue["inputs"]["spec"]["template"]["spec"]["containers"][0]["image"] = UNKNOWN_STRING
    blue["outputs"] = blue["inputs"]
    config = analyzer_pb2.ConfigureAnalyzerRequest()
    for policy in all_policies():
        config.policyConfig[policy.name].enforcementLevel = analyzer_pb2.MANDATORY
    config.policyConfig["k8s-no-privileged"].enforcementLevel = analyzer_pb2.DISABLED
    config.policyConfig["k8s-min-replicas"].enforcementLevel = analyzer_pb2.REMEDIATE
    answers = assert_same_answers(resources, config)
    messages = [d.message for answer in answers for d in answer.diagnostics]
    assert any("during preview: unverifiable" in m and '"spec.template.spec.containers[0].image", "unknown"' in m
               for m in messages), messages


def test_a_request_is_decoded_once_for_all_policies(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    stock_decode = decode_once._stock_deserialize

    def counting(props: dict[str, Any], proxy_secrets: bool = False) -> dict[str, Any]:
        calls.append(1)
        return stock_decode(props, proxy_secrets)

    monkeypatch.setattr(decode_once, "_stock_deserialize", counting)
    stock, fast = servicers()
    deployment = resource("kubernetes:apps/v1:Deployment", "web", {"metadata": {"namespace": "app"}})
    request = analyze_request(deployment, {})
    resource_rules = sum(1 for p in all_policies() if type(p).__name__ == "ResourceValidationPolicy")
    stock.Analyze(request, None)
    assert len(calls) == resource_rules  # the SDK: once per resource rule
    calls.clear()
    fast.Analyze(request, None)
    assert len(calls) == 1
    calls.clear()
    fast.Analyze(request, None)
    assert len(calls) == 1  # the memo lives for one request only


@pytest.mark.parametrize("stack", SHIPPED_STACKS)
def test_struct_decoding_is_json_format_s(stack: str, stack_export: Callable[..., dict[str, Any]]) -> None:
    """The direct Struct decoder returns what json_format.MessageToDict does: equal values, keys in
    the same order at every level, on every property bag of a shipped stack."""
    for item in stack_export(stack)["deployment"]["resources"]:
        for bag in ("inputs", "outputs"):
            message = struct_pb2.Struct.FromString(struct_bytes(item.get(bag) or {}))
            fast, stock = decode_once.struct_to_dict(message), json_format.MessageToDict(message)
            assert fast == stock
            assert json.dumps(fast) == json.dumps(stock)  # same key order, nested too


@pytest.mark.parametrize("number", [math.inf, -math.inf, math.nan])
def test_struct_decoding_refuses_what_json_format_refuses(number: float) -> None:
    message = struct_pb2.Struct()
    message["n"] = number
    with pytest.raises(ValueError) as stock:
        json_format.MessageToDict(message)
    with pytest.raises(ValueError) as fast:
        decode_once.struct_to_dict(message)
    assert str(fast.value) == str(stock.value)


json_values = st.recursive(
    st.none() | st.booleans() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=30)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.text(max_size=8), json_values, max_size=6))
def test_any_struct_decodes_like_json_format(value: dict[str, Any]) -> None:
    message = struct_pb2.Struct()
    message.update(value)
    assert json.dumps(decode_once.struct_to_dict(message)) == json.dumps(json_format.MessageToDict(message))
