"""The gate writes analyzer requests as bytes (offline/gate/encode.py, RequestWriter): each must parse
to exactly the message the protobuf runtime builds from the same resource, secrets withheld alike."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import pytest
from google.protobuf import struct_pb2
from hypothesis import given, settings
from hypothesis import strategies as st
from pulumi.runtime.proto import analyzer_pb2

from offline.gate.analyzer import BAGS, RequestWriter, bag_of, providers_of, to_wire
from offline.gate.encode import FINGERPRINT_HEX, LITERAL_MARK, REDACTED, fingerprint, struct_bytes, varint, withhold
from offline.wire import UNKNOWN, secret_envelope, unknown_secret
from tests.helpers import SHIPPED_STACKS


def runtime_struct(value: Mapping[str, Any]) -> struct_pb2.Struct:
    out = struct_pb2.Struct()
    out.update(to_wire(dict(value)))
    return out


def runtime_options(resource: Mapping[str, Any]) -> analyzer_pb2.AnalyzerResourceOptions:
    options = analyzer_pb2.AnalyzerResourceOptions(
        protect=bool(resource.get("protect")), ignoreChanges=list(resource.get("ignoreChanges") or []),
        additionalSecretOutputs=list(resource.get("additionalSecretOutputs") or []),
        aliases=[a for a in resource.get("aliases") or [] if isinstance(a, str)], parent=resource.get("parent") or "")
    if "deleteBeforeReplace" in resource:
        options.deleteBeforeReplace = bool(resource["deleteBeforeReplace"])
        options.deleteBeforeReplaceDefined = True
    return options


def runtime_provider(resource: Mapping[str, Any], providers: Mapping[str, Mapping[str, Any]]) \
        -> analyzer_pb2.AnalyzerProviderResource | None:
    urn = str(resource.get("provider") or "").rsplit("::", 1)[0]
    provider = providers.get(urn)
    if provider is None:
        return None
    return analyzer_pb2.AnalyzerProviderResource(type=provider["type"], urn=urn, name=urn.split("::", 3)[-1],
                                                 properties=runtime_struct(provider.get("inputs") or {}))


def runtime_request(resource: Mapping[str, Any], providers: Mapping[str, Mapping[str, Any]], bag: str) \
        -> analyzer_pb2.AnalyzeRequest:
    properties = bag_of(resource, bag) if bag == "outputs" else resource.get("inputs") or {}
    request = analyzer_pb2.AnalyzeRequest(type=resource["type"], properties=runtime_struct(properties),
                                          urn=resource["urn"], name=resource["urn"].split("::", 3)[-1],
                                          options=runtime_options(resource))
    provider = runtime_provider(resource, providers)
    if provider is not None:
        request.provider.CopyFrom(provider)
    return request


def runtime_stack_request(resources: list[dict[str, Any]], bag: str) -> analyzer_pb2.AnalyzeStackRequest:
    providers = providers_of(resources)
    request = analyzer_pb2.AnalyzeStackRequest()
    for resource in resources:
        entry = request.resources.add(
            type=resource["type"], urn=resource["urn"], name=resource["urn"].split("::", 3)[-1],
            properties=runtime_struct(bag_of(resource, bag)), options=runtime_options(resource),
            parent=resource.get("parent") or "", dependencies=list(resource.get("dependencies") or []))
        for key, urns in (resource.get("propertyDependencies") or {}).items():
            entry.propertyDependencies[key].urns.extend(urns)
        provider = runtime_provider(resource, providers)
        if provider is not None:
            entry.provider.CopyFrom(provider)
    return request


@pytest.mark.parametrize("stack", SHIPPED_STACKS)
def test_every_request_of_a_shipped_stack_is_the_runtime_message(
        stack: str, stack_export: Callable[..., dict[str, Any]]) -> None:
    resources = stack_export(stack)["deployment"]["resources"]
    providers = providers_of(resources)
    writer = RequestWriter(resources)
    for bag in BAGS:
        for resource in resources:
            written = analyzer_pb2.AnalyzeRequest.FromString(writer.analyze(resource, bag))
            assert written == runtime_request(resource, providers, bag), (bag, resource["urn"])
        stack_request = analyzer_pb2.AnalyzeStackRequest.FromString(writer.analyze_stack(resources, bag))
        assert stack_request == runtime_stack_request(resources, bag)
    assert any(r.get("provider") for r in resources)  # the provider field was compared, not absent


def test_relations_and_options_are_written_like_the_runtime() -> None:
    urn = "urn:pulumi:production::orchestrator::{}::{}".format
    provider = {"urn": urn("pulumi:providers:aws", "p"), "type": "pulumi:providers:aws", "inputs": {"region": "x"}}
    resources: list[dict[str, Any]] = [provider, {
        "urn": urn("aws:s3/bucketV2:BucketV2", "b::with::colons"), "type": "aws:s3/bucketV2:BucketV2",
        "provider": f"{provider['urn']}::id-1", "parent": provider["urn"], "protect": True,
        "deleteBeforeReplace": False, "ignoreChanges": ["tags"], "additionalSecretOutputs": ["arn"],
        "aliases": ["old", {"name": "not a string"}], "dependencies": [provider["urn"]],
        "propertyDependencies": {"bucket": [provider["urn"]], "empty": []},
        "inputs": {}, "outputs": {"n": 3, "f": -0.5, "big": 2**60, "none": None, "t": True, "l": [[], {}, "s"]}}]
    writer = RequestWriter(resources)
    for bag in BAGS:
        assert analyzer_pb2.AnalyzeStackRequest.FromString(writer.analyze_stack(resources, bag)) \
            == runtime_stack_request(resources, bag)
        assert analyzer_pb2.AnalyzeRequest.FromString(writer.analyze(resources[1], bag)) \
            == runtime_request(resources[1], providers_of(resources), bag)


def test_secrets_are_withheld_on_the_wire() -> None:
    bag = {"password": secret_envelope(plaintext='"hunter2-long"'), "token": secret_envelope(ciphertext="AAAA"),
           "later": unknown_secret(), "deep": [{"key": secret_envelope(value="in-memory-secret")}],
           "same": secret_envelope(value="hunter2-long")}
    decoded = struct_pb2.Struct.FromString(struct_bytes(bag))
    assert decoded == runtime_struct(bag)
    assert decoded["token"]["value"] == REDACTED
    assert decoded["later"]["value"] == UNKNOWN
    assert decoded["password"]["value"] == f"[secret:{fingerprint('hunter2-long')}]"
    # The same value in memory and as a --show-secrets plaintext: one fingerprint; another value: another.
    assert decoded["same"]["value"] == decoded["password"]["value"] != decoded["deep"][0]["key"]["value"]
    assert b"hunter2" not in struct_bytes(bag) and b"in-memory-secret" not in struct_bytes(bag)


def test_a_fingerprint_is_keyed_per_run() -> None:
    """No unkeyed hash of the value: a fingerprint cannot be recomputed from a guessed password, and
    another gate process (another key) gives another one."""
    import hashlib
    import subprocess
    import sys

    mine = fingerprint("hunter2hunter2")
    assert len(mine) == FINGERPRINT_HEX and mine == fingerprint("hunter2hunter2") != fingerprint("hunter2hunter3")
    for digest in (hashlib.sha256, hashlib.sha1, hashlib.md5, hashlib.blake2b):
        for data in (b"hunter2hunter2", b"shunter2hunter2", b'"hunter2hunter2"'):
            assert mine not in digest(data).hexdigest()
    code = "from offline.gate.encode import fingerprint; print(fingerprint('hunter2hunter2'))"
    other = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert len(other) == FINGERPRINT_HEX and other != mine


def test_plaintexts_fingerprint_by_value() -> None:
    """A plaintext is the value's JSON: the same object in memory (numbers as floats on the wire) is the
    same value; a plaintext that is not JSON is its own text; nesting too deep is equal to nothing."""
    assert withhold(secret_envelope(plaintext='{"b": 1, "a": [2]}')) == \
        withhold(secret_envelope(value={"a": [2.0], "b": 1.0}))
    assert withhold(secret_envelope(plaintext="not json")) == withhold(secret_envelope(value="not json"))
    deep = "[" * 100_000 + "]" * 100_000
    assert withhold(secret_envelope(plaintext=deep))["value"].startswith("[secret:")
    nested: Any = "x"
    for _ in range(100):
        nested = [nested]
    assert withhold(secret_envelope(value=nested)) != withhold(secret_envelope(value=nested))


@pytest.mark.parametrize("text", [REDACTED, "[secret:0123456789abcdef01234567]"])
def test_a_plain_string_spelling_a_marker_is_not_taken_for_one(text: str) -> None:
    """An export cannot pass a literal off as a withheld secret by writing the marker itself."""
    decoded = struct_pb2.Struct.FromString(struct_bytes({"password": text, "list": [text]}))
    assert decoded["password"] == decoded["list"][0] == LITERAL_MARK + text
    assert struct_pb2.Struct.FromString(struct_bytes({"p": "[secret] and more"}))["p"] == "[secret] and more"


def test_a_lone_surrogate_becomes_the_replacement_character() -> None:
    # JSON allows the escape "\ud800"; UTF-8 cannot hold it, the engine's JSON reader makes it U+FFFD.
    decoded = struct_pb2.Struct.FromString(struct_bytes({"name\ud800": "a\udfffb"}))
    assert dict(decoded) == {"name\ufffd": "a\ufffdb"}


@pytest.mark.parametrize("number", [math.nan, math.inf, -math.inf, 10**400])
def test_a_number_a_property_cannot_hold_is_refused(number: float) -> None:
    with pytest.raises(ValueError, match="is not a number a property can hold"):
        struct_bytes({"n": number})


def test_varints_cross_every_byte_boundary() -> None:
    for number in (0, 1, 127, 128, 300, 16383, 16384, 2**21, 2**35 + 7):
        decoded, shift = 0, 0
        for byte in varint(number):
            decoded |= (byte & 0x7F) << shift
            shift += 7
        assert decoded == number


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=10), inner, max_size=5),
    max_leaves=40)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.text(max_size=12), json_values, max_size=8))
def test_any_property_bag_encodes_like_the_runtime(bag: dict[str, Any]) -> None:
    assert struct_pb2.Struct.FromString(struct_bytes(bag)) == runtime_struct(bag)
