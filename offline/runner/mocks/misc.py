"""pulumi-random, pulumi-tls and provider resources."""

from __future__ import annotations

import base64
import hashlib
from datetime import datetime, timedelta

import pulumi
from pulumi.runtime.rpc import unwrap_rpc_secret

from offline.runner.mocks import pki
from offline.runner.mocks.core import CallHandler, PreviewModel, Props, ResourceCall, ResourceHandler, merge

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
    algorithm = str(call.inputs.get("algorithm") or "RSA")
    # Per stack too: two stacks never share a key (as two real `up`s never would).
    seed = f"{pulumi.get_stack()}/{call.type}/{call.name}"
    key = pki.derived_key(algorithm, str(call.inputs.get("ecdsaCurve") or "P224"), seed)
    if key is None:
        # RSA cannot be derived deterministically at a usable cost: shaped text (nothing here uses RSA).
        return merge(call.inputs, {
            "privateKeyPem": _pem("RSA PRIVATE KEY", call), "privateKeyPemPkcs8": _pem("PRIVATE KEY", call),
            "privateKeyOpenssh": _pem("OPENSSH PRIVATE KEY", call), "publicKeyPem": _pem("PUBLIC KEY", call),
            "publicKeyOpenssh": "ssh-rsa AAAA" + call.name, "publicKeyFingerprintMd5": "00:11",
            "publicKeyFingerprintSha256": "SHA256:" + call.name,
        })
    return merge(call.inputs, pki.key_outputs(key))


def _plain(call: ResourceCall, key: str) -> object:
    """An input with its secret wrapper removed (a key PEM arrives secret, from PrivateKey's output)."""
    return unwrap_rpc_secret(call.inputs.get(key))


def _validity(call: ResourceCall) -> tuple[datetime, datetime]:
    hours = float(call.inputs.get("validityPeriodHours") or 0)
    return pki.MOCK_NOW, pki.MOCK_NOW + timedelta(hours=hours)


def _certificate_outputs(call: ResourceCall, pem: str) -> Props:
    start, end = _validity(call)
    return merge(call.inputs, {
        "certPem": pem, "validityStartTime": pki.rfc3339(start), "validityEndTime": pki.rfc3339(end),
        "readyForRenewal": False,
    })


def _self_signed_cert(call: ResourceCall) -> Props:
    """A real certificate (deterministic: derived keys, fixed clock, RFC 6979 signatures), so
    consumers and tests can parse and verify what the provider would return."""
    key = pki.load_key(_plain(call, "privateKeyPem"))
    if key is None:
        return _certificate_outputs(call, _pem("CERTIFICATE", call))
    start, end = _validity(call)
    pem = pki.issue(
        subject=pki.name(call.inputs.get("subject")), issuer=None, public_key=key.public_key(), signer=key,
        dns_names=call.inputs.get("dnsNames"), ip_addresses=call.inputs.get("ipAddresses"),
        is_ca=bool(call.inputs.get("isCaCertificate")), uses=call.inputs.get("allowedUses"),
        not_before=start, not_after=end, serial_seed=f"{call.type}/{call.name}",
    )
    return _certificate_outputs(call, pem)


def _cert_request(call: ResourceCall) -> Props:
    key = pki.load_key(_plain(call, "privateKeyPem"))
    pem = (pki.request(key, pki.name(call.inputs.get("subject")), call.inputs.get("dnsNames"),
                       call.inputs.get("ipAddresses")) if key is not None else _pem("CERTIFICATE REQUEST", call))
    return merge(call.inputs, {"certRequestPem": pem})


def _locally_signed_cert(call: ResourceCall) -> Props:
    """Signed by the given CA key, issuer from the given CA certificate, subject and names from the request."""
    signer = pki.load_key(_plain(call, "caPrivateKeyPem"))
    issuer = pki.load_certificate(_plain(call, "caCertPem"))
    csr = pki.load_request(_plain(call, "certRequestPem"))
    if signer is None or issuer is None or csr is None:
        return _certificate_outputs(call, _pem("CERTIFICATE", call))
    start, end = _validity(call)
    pem = pki.issue(
        subject=csr.subject, issuer=issuer, public_key=csr.public_key(), signer=signer,
        dns_names=pki.request_dns_names(csr), ip_addresses=None,
        is_ca=bool(call.inputs.get("isCaCertificate")), uses=call.inputs.get("allowedUses"),
        not_before=start, not_after=end, serial_seed=f"{call.type}/{call.name}",
    )
    return _certificate_outputs(call, pem)


RESOURCES: dict[str, ResourceHandler] = {
    "random:index/randomPassword:RandomPassword": _random_password,
    "random:index/randomString:RandomString": _random_string,
    "random:index/randomId:RandomId": _random_id,
    "tls:index/privateKey:PrivateKey": _private_key,
    "tls:index/selfSignedCert:SelfSignedCert": _self_signed_cert,
    "tls:index/certRequest:CertRequest": _cert_request,
    "tls:index/locallySignedCert:LocallySignedCert": _locally_signed_cert,
}
PACKAGE_DEFAULTS: dict[str, ResourceHandler] = {}
CALLS: dict[str, CallHandler] = {}
PREVIEW: dict[str, PreviewModel] = {"random": PreviewModel(), "tls": PreviewModel()}
"""Bridged providers: every attribute they generate (results, keys, certificates) is unknown until created."""
