"""Real keys, requests and certificates for the pulumi-tls emulation, made deterministic.

pulumi-tls returns PEM text that consumers parse (a trusted root's DER, a PFX, SANs a front door
checks), so the emulation returns real objects: keys derived from the resource's type and name,
a fixed clock, serials from the name and RFC 6979 (deterministic) ECDSA signatures, so two runs
export alike. Anything unparseable (an unknown input during preview) yields None and the caller
falls back to shaped text.
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

MOCK_NOW = datetime(2026, 1, 1, tzinfo=UTC)
"""The emulated clock of certificate validity (the Azure mocks' `time` resources use the same instant)."""

PrivateKey = ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey
_CURVES: dict[str, ec.EllipticCurve] = {"P224": ec.SECP224R1(), "P256": ec.SECP256R1(), "P384": ec.SECP384R1(),
                                         "P521": ec.SECP521R1()}
_CURVE_ORDERS = {
    "P224": 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFF16A2E0B8F03E13DD29455C5C2A3D,
    "P256": 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551,
    "P384": int("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFC7634D81F4372DDF581A0DB248B0A77AECEC196ACCC52973", 16),
    "P521": int("01FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF"
                "A51868783BF2F966B7FCC0148F709A5D03BB5C9B8899C47AEBB6FB71E91386409", 16),
}
_SUBJECT_FIELDS = (
    ("commonName", NameOID.COMMON_NAME), ("organization", NameOID.ORGANIZATION_NAME),
    ("organizationalUnit", NameOID.ORGANIZATIONAL_UNIT_NAME), ("country", NameOID.COUNTRY_NAME),
    ("province", NameOID.STATE_OR_PROVINCE_NAME), ("locality", NameOID.LOCALITY_NAME),
    ("postalCode", NameOID.POSTAL_CODE), ("serialNumber", NameOID.SERIAL_NUMBER),
)
_KEY_USAGES = {"digital_signature", "content_commitment", "key_encipherment", "data_encipherment", "key_agreement",
               "cert_signing", "crl_signing", "encipher_only", "decipher_only"}
_EXTENDED_USAGES = {"server_auth": ExtendedKeyUsageOID.SERVER_AUTH, "client_auth": ExtendedKeyUsageOID.CLIENT_AUTH,
                    "code_signing": ExtendedKeyUsageOID.CODE_SIGNING,
                    "email_protection": ExtendedKeyUsageOID.EMAIL_PROTECTION,
                    "timestamping": ExtendedKeyUsageOID.TIME_STAMPING, "ocsp_signing": ExtendedKeyUsageOID.OCSP_SIGNING}


def rfc3339(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def derived_key(algorithm: str, curve: str, seed: str) -> PrivateKey | None:
    """A key of the requested kind derived from `seed`; None for RSA."""
    digest = hashlib.sha512(seed.encode()).digest()
    if algorithm == "ECDSA" and curve in _CURVES:
        scalar = int.from_bytes(digest + hashlib.sha512(digest).digest(), "big") % (_CURVE_ORDERS[curve] - 1) + 1
        return ec.derive_private_key(scalar, _CURVES[curve])
    if algorithm == "ED25519":
        return ed25519.Ed25519PrivateKey.from_private_bytes(digest[:32])
    return None


def key_outputs(key: PrivateKey) -> dict[str, Any]:
    """What pulumi-tls's PrivateKey returns: SEC1 PEM for ECDSA (PKCS#8 for ED25519), PKCS#8, the public key."""
    traditional = (serialization.PrivateFormat.TraditionalOpenSSL if isinstance(key, ec.EllipticCurvePrivateKey)
                   else serialization.PrivateFormat.PKCS8)
    public = key.public_key()
    try:
        openssh = public.public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode()
        private_openssh = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH,
                                            serialization.NoEncryption()).decode()
    except ValueError:
        openssh, private_openssh = "", ""  # curves OpenSSH does not know (P224): the provider returns ""
    blob = base64.b64decode(openssh.split()[1]) if openssh else b""
    return {
        "privateKeyPem": key.private_bytes(serialization.Encoding.PEM, traditional, serialization.NoEncryption()).decode(),
        "privateKeyPemPkcs8": key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                serialization.NoEncryption()).decode(),
        "privateKeyOpenssh": private_openssh,
        "publicKeyPem": public.public_bytes(serialization.Encoding.PEM,
                                            serialization.PublicFormat.SubjectPublicKeyInfo).decode(),
        "publicKeyOpenssh": openssh + "\n" if openssh else "",
        "publicKeyFingerprintMd5": ":".join(f"{b:02x}" for b in hashlib.md5(blob).digest()) if blob else "",
        "publicKeyFingerprintSha256": "SHA256:" + base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")
        if blob else "",
    }


def load_key(pem: object) -> PrivateKey | None:
    if not isinstance(pem, str):
        return None
    try:
        key = serialization.load_pem_private_key(pem.encode(), password=None)
    except (ValueError, TypeError):
        return None
    return key if isinstance(key, ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey) else None


def load_certificate(pem: object) -> x509.Certificate | None:
    if not isinstance(pem, str):
        return None
    try:
        return x509.load_pem_x509_certificate(pem.encode())
    except ValueError:
        return None


def load_request(pem: object) -> x509.CertificateSigningRequest | None:
    if not isinstance(pem, str):
        return None
    try:
        return x509.load_pem_x509_csr(pem.encode())
    except ValueError:
        return None


def name(subject: object) -> x509.Name:
    fields = subject if isinstance(subject, Mapping) else {}
    return x509.Name([x509.NameAttribute(oid, str(fields[key])) for key, oid in _SUBJECT_FIELDS if fields.get(key)])


def _alternative_names(dns_names: object, ip_addresses: object) -> list[x509.GeneralName]:
    names: list[x509.GeneralName] = [x509.DNSName(str(n)) for n in _strings(dns_names)]
    names += [x509.IPAddress(ipaddress.ip_address(str(a))) for a in _strings(ip_addresses)]
    return names


def _strings(value: object) -> list[str]:
    return [str(v) for v in value] if isinstance(value, Iterable) and not isinstance(value, str | bytes | Mapping) else []


def request(key: PrivateKey, subject: x509.Name, dns_names: object, ip_addresses: object) -> str:
    builder = x509.CertificateSigningRequestBuilder().subject_name(subject)
    names = _alternative_names(dns_names, ip_addresses)
    if names:
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
    return _sign(builder, key).public_bytes(serialization.Encoding.PEM).decode()


def request_dns_names(csr: x509.CertificateSigningRequest) -> list[str]:
    try:
        extension = csr.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    except x509.ExtensionNotFound:
        return []
    return [str(n) for n in extension.value.get_values_for_type(x509.DNSName)]


def _sign(builder: Any, key: PrivateKey) -> Any:
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return builder.sign(key, None)
    return builder.sign(key, hashes.SHA256(), ecdsa_deterministic=True)


def issue(
    *,
    subject: x509.Name,
    issuer: x509.Certificate | None,
    public_key: Any,
    signer: PrivateKey,
    dns_names: object,
    ip_addresses: object,
    is_ca: bool,
    uses: object,
    not_before: datetime,
    not_after: datetime,
    serial_seed: str,
) -> str:
    """A certificate as pulumi-tls builds it: the requested key usages, basic constraints, SANs and
    key identifiers; self-signed when `issuer` is None."""
    wanted = set(_strings(uses))
    serial = int.from_bytes(hashlib.sha256(serial_seed.encode()).digest()[:16], "big") >> 1
    builder = (x509.CertificateBuilder()
               .subject_name(subject)
               .issuer_name(issuer.subject if issuer is not None else subject)
               .public_key(public_key)
               .serial_number(serial)
               .not_valid_before(not_before)
               .not_valid_after(not_after)
               .add_extension(x509.BasicConstraints(ca=is_ca, path_length=None), critical=True)
               .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False))
    if issuer is not None:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.public_key()), critical=False)  # type: ignore[arg-type]
    if wanted & _KEY_USAGES:
        builder = builder.add_extension(x509.KeyUsage(
            digital_signature="digital_signature" in wanted, content_commitment="content_commitment" in wanted,
            key_encipherment="key_encipherment" in wanted, data_encipherment="data_encipherment" in wanted,
            key_agreement="key_agreement" in wanted, key_cert_sign="cert_signing" in wanted,
            crl_sign="crl_signing" in wanted, encipher_only=False, decipher_only=False), critical=True)
    extended = [oid for use, oid in _EXTENDED_USAGES.items() if use in wanted]
    if extended:
        builder = builder.add_extension(x509.ExtendedKeyUsage(extended), critical=False)
    names = _alternative_names(dns_names, ip_addresses)
    if names:
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
    return str(_sign(builder, signer).public_bytes(serialization.Encoding.PEM).decode())
