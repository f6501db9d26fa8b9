"""PKCS#12 (PFX) for the Application Gateway's listener certificate, and what the gateway needs to
trust a backend CA: pure functions of certificate text, used inside `apply`.

The gateway reads its listener certificate from Key Vault as a base64, password-less PFX; it trusts
a backend CA given as the base64 of the certificate's DER bytes (the body of its PEM).
"""

from __future__ import annotations

import base64
import binascii

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12

from components.config import ConfigError

MAX_PFX_BYTES = 64 * 1024
"""A certificate chain with its key is a few KiB; anything far larger is not one."""


def der_base64(pem: str) -> str:
    """The first certificate of a PEM text as base64 DER (a `.cer` file's content)."""
    certificate = x509.load_pem_x509_certificate(pem.encode())
    return base64.b64encode(certificate.public_bytes(serialization.Encoding.DER)).decode()


def bundle(key_pem: str, certificate_pem: str) -> str:
    """A password-less PFX (base64) of a private key and its certificate, as Key Vault serves it."""
    key = serialization.load_pem_private_key(key_pem.encode(), password=None)
    certificate = x509.load_pem_x509_certificate(certificate_pem.encode())
    data = pkcs12.serialize_key_and_certificates(
        b"edge", key, certificate, None, serialization.NoEncryption()  # type: ignore[arg-type]  # ECDSA/RSA keys only here
    )
    return base64.b64encode(data).decode()


def dns_names(certificate: x509.Certificate) -> list[str]:
    try:
        extension = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    except x509.ExtensionNotFound:
        return []
    return [str(name) for name in extension.value.get_values_for_type(x509.DNSName)]


def covers(names: list[str], hostname: str) -> bool:
    """Whether a certificate's DNS names cover `hostname` (a `*.` wildcard covers one label)."""
    host = hostname.lower().rstrip(".")
    for name in (n.lower().rstrip(".") for n in names):
        if name == host:
            return True
        if name.startswith("*.") and "." in host and host.split(".", 1)[1] == name[2:]:
            return True
    return False


def listener_expiry(pfx_base64: str, hostname: str, where: str) -> int:
    """Check a PFX given as a stack secret and return its certificate's expiry (unix seconds).

    Refused with one line: not base64, not a password-less PFX, no private key, or a certificate
    that does not cover `hostname` (the gateway would serve a name browsers refuse)."""
    text = "".join(pfx_base64.split())
    if len(text) > MAX_PFX_BYTES * 4 // 3 + 4:
        raise ConfigError(f"{where} is over {MAX_PFX_BYTES // 1024} KiB; give one certificate chain and its key")
    try:
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise ConfigError(f"{where} is not base64; set it to the output of `base64 -w0 edge.pfx`") from None
    try:
        key, certificate, _chain = pkcs12.load_key_and_certificates(data, None)
    except ValueError:
        raise ConfigError(f"{where} is not a PFX without password; export it with "
                          "`openssl pkcs12 -export -passout pass: ...`") from None
    if key is None or certificate is None:
        raise ConfigError(f"{where} holds no private key and certificate; export both into the PFX")
    names = dns_names(certificate)
    if not covers(names, hostname):
        raise ConfigError(f"{where}: its certificate names {', '.join(names) or 'no DNS name'}, not edge.hostname "
                          f"{hostname}; give a certificate for {hostname}")
    return int(certificate.not_valid_after_utc.timestamp())
