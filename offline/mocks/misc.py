"""pulumi-random, pulumi-tls and provider resources."""

from __future__ import annotations

import base64
import hashlib

from offline.mocks.core import CallHandler, PreviewModel, Props, ResourceCall, ResourceHandler, merge

_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789"


def _secret_text(call: ResourceCall, length: int) -> str:
    """Deterministic, but shaped like the provider's result (length honoured)."""
    digest = hashlib.sha256(f"{call.type}/{call.name}".encode()).digest() * 8
    return "".join(_ALPHABET[b % len(_ALPHABET)] for b in digest[:length])


def _random_password(call: ResourceCall) -> Props:
    length = int(call.inputs.get("length", 16))
    result = _secret_text(call, length)
    return merge(call.inputs, {"result": result, "bcryptHash": "$2a$10$" + _secret_text(call, 53)})


def _random_string(call: ResourceCall) -> Props:
    length = int(call.inputs.get("length", 16))
    text = _secret_text(call, length)
    if call.inputs.get("upper") is False:
        text = text.lower()
    return merge(call.inputs, {"result": text})


def _random_id(call: ResourceCall) -> Props:
    size = int(call.inputs.get("byteLength", 8))
    raw = hashlib.sha256(call.name.encode()).digest()[:size]
    return merge(call.inputs, {
        "hex": raw.hex(), "b64Std": base64.b64encode(raw).decode(), "b64Url": base64.urlsafe_b64encode(raw).decode().rstrip("="),
        "dec": str(int.from_bytes(raw, "big")),
    })


def _pem(kind: str, call: ResourceCall) -> str:
    body = base64.b64encode(hashlib.sha512(f"{kind}/{call.name}".encode()).digest() * 4).decode()
    lines = [body[i:i + 64] for i in range(0, len(body), 64)]
    return f"-----BEGIN {kind}-----\n" + "\n".join(lines) + f"\n-----END {kind}-----\n"


def _private_key(call: ResourceCall) -> Props:
    return merge(call.inputs, {
        "privateKeyPem": _pem("PRIVATE KEY", call), "privateKeyOpenssh": _pem("OPENSSH PRIVATE KEY", call),
        "publicKeyPem": _pem("PUBLIC KEY", call), "publicKeyOpenssh": "ssh-ed25519 AAAA" + call.name,
        "publicKeyFingerprintMd5": "00:11", "publicKeyFingerprintSha256": "SHA256:" + call.name,
    })


def _self_signed_cert(call: ResourceCall) -> Props:
    return merge(call.inputs, {
        "certPem": _pem("CERTIFICATE", call), "validityStartTime": "2026-01-01T00:00:00Z",
        "validityEndTime": "2027-01-01T00:00:00Z", "readyForRenewal": False,
    })


RESOURCES: dict[str, ResourceHandler] = {
    "random:index/randomPassword:RandomPassword": _random_password,
    "random:index/randomString:RandomString": _random_string,
    "random:index/randomId:RandomId": _random_id,
    "tls:index/privateKey:PrivateKey": _private_key,
    "tls:index/selfSignedCert:SelfSignedCert": _self_signed_cert,
}
PACKAGE_DEFAULTS: dict[str, ResourceHandler] = {}
CALLS: dict[str, CallHandler] = {}
PREVIEW: dict[str, PreviewModel] = {"random": PreviewModel(), "tls": PreviewModel()}
"""Bridged providers: every attribute they generate (results, keys, certificates) is unknown until created."""
