"""Analyzer requests written straight to protobuf bytes.

The protobuf runtime builds a `Struct` node by node from Python (`Struct.update`), then serializes it:
for a 10,000-resource export that was the largest share of the gate's own time. Here a property bag
goes from the export's JSON values to the wire format in one pass, with every secret withheld on the
way (`withhold`), and a resource's request is its fields' encodings joined. Protobuf's rules make
that exact: a message is the concatenation of its fields (in any order), a repeated field or map
entry is one more field, and concatenated messages merge. A test parses every request of the shipped
exports back and compares it with the one the protobuf runtime builds.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import re
import secrets
import struct
from collections.abc import Mapping
from typing import Any

from offline.wire import SECRET_SIG, SECRET_SIG_KEY, UNKNOWN, is_unknown

REDACTED = "[secret]"
"""What a rule sees instead of a secret whose value the gate cannot see (ciphertext only)."""
FINGERPRINT_HEX = 24
"""Hex digits of a withheld value's fingerprint (96 bits: no two values of one export collide)."""
_RUN_KEY = secrets.token_bytes(32)
"""The fingerprints' HMAC key: drawn per process (one gate run), held only here, never written or sent.
Without it a fingerprint cannot be recomputed from a guessed password, and no two runs agree."""
_MARKER = re.compile(rf"\[secret(?::[0-9a-f]{{{FINGERPRINT_HEX}}})?\]")
LITERAL_MARK = "[literal] "
"""Put before a plain string of the export that spells a withheld marker, so no rule takes it for one."""

# Wire types: 0 varint, 1 64-bit, 2 length-delimited.
_VARINT, _FIXED64, _BYTES = 0, 1, 2
_pack_double = struct.Struct("<d").pack


def varint(number: int) -> bytes:
    out = bytearray()
    while number > 0x7F:
        out.append((number & 0x7F) | 0x80)
        number >>= 7
    out.append(number)
    return bytes(out)


_SMALL = [varint(n) for n in range(1 << 14)]
"""Varints of the lengths most fields have (keys, short strings, small messages)."""


def _len(size: int) -> bytes:
    return _SMALL[size] if size < len(_SMALL) else varint(size)


def tag(field: int, wire_type: int) -> bytes:
    return varint(field << 3 | wire_type)


_DELIMITED = [tag(n, _BYTES) for n in range(16)]
_FLAG = [tag(n, _VARINT) + b"\x01" for n in range(16)]
"""Field tags of the analyzer messages (field numbers below 16)."""


def field_bytes(field: int, payload: bytes) -> bytes:
    """A length-delimited field: a string, bytes or an embedded message."""
    return _DELIMITED[field] + _len(len(payload)) + payload


def field_string(field: int, text: str) -> bytes:
    return field_bytes(field, utf8(text)) if text else b""


def field_bool(field: int, value: bool) -> bytes:
    return _FLAG[field] if value else b""


def utf8(text: str) -> bytes:
    """Protobuf strings are UTF-8; a lone surrogate (JSON allows the escape) becomes U+FFFD, as the
    engine's JSON reader decodes it."""
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        return "".join("\ufffd" if "\ud800" <= c <= "\udfff" else c for c in text).encode("utf-8")


# google.protobuf.Value fields: null_value 1, number_value 2, string_value 3, bool_value 4,
# struct_value 5, list_value 6. Struct: fields 1 (map entry: key 1, value 2). ListValue: values 1.
_NULL = b"\x08\x00"
_TRUE, _FALSE = b"\x20\x01", b"\x20\x00"
_NUMBER_TAG, _STRING_TAG, _STRUCT_TAG, _LIST_TAG = b"\x11", b"\x1a", b"\x2a", b"\x32"
_ENTRY_TAG, _KEY_TAG, _VALUE_TAG, _ITEM_TAG = b"\x0a", b"\x0a", b"\x12", b"\x0a"


def struct_bytes(properties: Mapping[str, Any]) -> bytes:
    """A property bag as a serialized `google.protobuf.Struct`, secrets withheld (see `withhold`)."""
    return _fields(properties)


def _fields(mapping: Mapping[str, Any]) -> bytes:
    parts = []
    for key, item in mapping.items():
        key_bytes = utf8(key)
        value = _value(item)
        entry = b"".join((_KEY_TAG, _len(len(key_bytes)), key_bytes, _VALUE_TAG, _len(len(value)), value))
        parts.append(_ENTRY_TAG + _len(len(entry)) + entry)
    return b"".join(parts)


def _withheld_fields(envelope: Mapping[str, str]) -> bytes:
    """A `withhold` result: its marker is written as is (a plain string spelling one is escaped)."""
    parts = []
    for key, text in envelope.items():
        value = _STRING_TAG + _len(len(text)) + text.encode()
        entry = b"".join((_KEY_TAG, _len(len(key)), key.encode(), _VALUE_TAG, _len(len(value)), value))
        parts.append(_ENTRY_TAG + _len(len(entry)) + entry)
    return b"".join(parts)


def _value_with_len(item: Any) -> bytes:
    encoded = _value(item)
    return _len(len(encoded)) + encoded


def _value(item: Any) -> bytes:
    if isinstance(item, str):
        if item.startswith("[secret") and _MARKER.fullmatch(item):
            item = LITERAL_MARK + item
        data = utf8(item)
        return _STRING_TAG + _len(len(data)) + data
    if item is True:
        return _TRUE
    if item is False:
        return _FALSE
    if item is None:
        return _NULL
    if isinstance(item, (int, float)):
        try:
            number = float(item)  # a Struct number is a double, as the engine sends it
        except OverflowError:
            number = math.inf
        if not math.isfinite(number):
            raise ValueError(f"{item!r} is not a number a property can hold")
        return _NUMBER_TAG + _pack_double(number)
    if isinstance(item, Mapping):
        secret = item.get(SECRET_SIG_KEY) == SECRET_SIG
        inner = _withheld_fields(withhold(item)) if secret else _fields(item)
        return _STRUCT_TAG + _len(len(inner)) + inner
    if isinstance(item, (list, tuple)):
        inner = b"".join(_ITEM_TAG + _value_with_len(v) for v in item)
        return _LIST_TAG + _len(len(inner)) + inner
    raise TypeError(f"a property value cannot be {type(item).__name__}")


def withhold(envelope: Mapping[str, Any]) -> dict[str, Any]:
    """A secret as the rules see it: still a secret, its value replaced by a marker no rule can judge or
    quote (rules that need the value report it as unverifiable). When the gate can see the value (a
    `--show-secrets` plaintext, an in-memory value) the marker carries the value's keyed fingerprint,
    `[secret:<hex>]`, so a rule can tell that two withheld values are equal (a password is its generator's
    result) without seeing either; a ciphertext alone gives the bare `REDACTED`. A secret not known yet
    reaches the rules as the engine sends it: unknown, not withheld."""
    if is_unknown(envelope):
        return {SECRET_SIG_KEY: SECRET_SIG, "value": UNKNOWN}
    if "plaintext" in envelope:
        shown = fingerprint(decoded(envelope["plaintext"]))
    elif "value" in envelope:
        shown = fingerprint(envelope["value"])
    else:
        shown = ""
    return {SECRET_SIG_KEY: SECRET_SIG, "value": f"[secret:{shown}]" if shown else REDACTED}


def fingerprint(value: Any) -> str:
    """HMAC-SHA256 of a secret's value under this run's key, cut to FINGERPRINT_HEX digits. A string is
    taken as its text; anything else as its canonical JSON (a `--show-secrets` plaintext and the value in
    memory give the same fingerprint)."""
    if isinstance(value, str):
        data = b"s" + value.encode("utf-8", "surrogatepass")
    else:
        try:
            data = b"j" + json.dumps(_whole(value), sort_keys=True, separators=(",", ":"), allow_nan=True,
                                     ensure_ascii=False).encode("utf-8", "surrogatepass")
        except (TypeError, ValueError, RecursionError):
            data = b"r" + repr(type(value)).encode()  # not JSON: equal to nothing a generator holds
            data += secrets.token_bytes(16)
    return hmac.new(_RUN_KEY, data, hashlib.sha256).hexdigest()[:FINGERPRINT_HEX]


def decoded(plaintext: Any) -> Any:
    """A `--show-secrets` plaintext is the value's JSON text; a plaintext that is not JSON is its own value."""
    if not isinstance(plaintext, str):
        return plaintext
    try:
        return json.loads(plaintext)
    except (ValueError, RecursionError):
        return plaintext


def _whole(value: Any, depth: int = 0) -> Any:
    """Whole floats as ints, as the engine writes numbers (the wire holds 3.0 for an export's 3)."""
    if depth > 64:
        raise ValueError("too deep to fingerprint")
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {str(k): _whole(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [_whole(v, depth + 1) for v in value]
    return value
