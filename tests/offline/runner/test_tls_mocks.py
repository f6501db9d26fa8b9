"""The pulumi-tls emulation returns real, deterministic keys and certificates, and the Application
Gateway emulation refuses a reference to a part the gateway does not have, as ARM does."""

from __future__ import annotations

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from offline.runner.mocks.azure import SUBSCRIPTION_ID, _application_gateway
from offline.runner.mocks.core import ResourceCall
from offline.runner.mocks.misc import _cert_request, _locally_signed_cert, _private_key, _self_signed_cert

KEY = "tls:index/privateKey:PrivateKey"


def _call(type_: str, name: str, **inputs: object) -> ResourceCall:
    return ResourceCall(type=type_, name=name, inputs=dict(inputs), id=f"{name}-id", custom=True)


def _issue(name: str = "ca") -> tuple[dict[str, object], dict[str, object], dict[str, object]]:
    ca_key = _private_key(_call(KEY, f"{name}-key", algorithm="ECDSA", ecdsaCurve="P256"))
    ca = _self_signed_cert(_call("tls:index/selfSignedCert:SelfSignedCert", f"{name}-cert",
                                 privateKeyPem=ca_key["privateKeyPem"], subject={"commonName": "Test CA"},
                                 isCaCertificate=True, allowedUses=["cert_signing"], validityPeriodHours=48))
    leaf_key = _private_key(_call(KEY, f"{name}-leaf-key", algorithm="ECDSA", ecdsaCurve="P256"))
    request = _cert_request(_call("tls:index/certRequest:CertRequest", f"{name}-request",
                                  privateKeyPem=leaf_key["privateKeyPem"], subject={"commonName": "a.example"},
                                  dnsNames=["a.example", "b.example"]))
    # The key arrives as the SDK hands a secret input to the mocks: wrapped.
    leaf = _locally_signed_cert(_call(
        "tls:index/locallySignedCert:LocallySignedCert", f"{name}-leaf", certRequestPem=request["certRequestPem"],
        caCertPem=ca["certPem"], caPrivateKeyPem={"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270",
                                                  "value": ca_key["privateKeyPem"]},
        allowedUses=["server_auth", "digital_signature"], validityPeriodHours=24))
    return ca, leaf, leaf_key


def test_a_locally_signed_certificate_is_signed_by_its_ca_and_carries_the_requested_names() -> None:
    ca, leaf, leaf_key = _issue()
    ca_cert = x509.load_pem_x509_certificate(str(ca["certPem"]).encode())
    leaf_cert = x509.load_pem_x509_certificate(str(leaf["certPem"]).encode())
    leaf_cert.verify_directly_issued_by(ca_cert)
    names = leaf_cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert names.get_values_for_type(x509.DNSName) == ["a.example", "b.example"]
    assert ca_cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is True
    key = serialization.load_pem_private_key(str(leaf_key["privateKeyPem"]).encode(), password=None)
    assert key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo) == \
        leaf_cert.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    assert str(leaf_key["privateKeyPem"]).startswith("-----BEGIN EC PRIVATE KEY-----")  # pulumi-tls: SEC1 for ECDSA
    assert (leaf["validityStartTime"], leaf["validityEndTime"]) == ("2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z")


def test_the_emulation_is_deterministic_and_per_resource() -> None:
    first, second, other = _issue("ca"), _issue("ca"), _issue("other")
    assert first[1]["certPem"] == second[1]["certPem"]
    assert first[1]["certPem"] != other[1]["certPem"]


def test_an_unparseable_key_gives_shaped_text_not_a_crash() -> None:
    """During preview an input can be unknown (absent): the emulation still answers."""
    cert = _self_signed_cert(_call("tls:index/selfSignedCert:SelfSignedCert", "x", subject={"commonName": "x"}))
    assert str(cert["certPem"]).startswith("-----BEGIN CERTIFICATE-----")


GATEWAY = "azure-native:network:ApplicationGateway"
BASE = (f"/subscriptions/{SUBSCRIPTION_ID}/resourceGroups/rg/providers/Microsoft.Network/applicationGateways/agw")


def _gateway(root_ref: str) -> ResourceCall:
    return _call(GATEWAY, "agw", resourceGroupName="rg", applicationGatewayName="agw",
                 trustedRootCertificates=[{"name": "edge-ca", "data": "MIIB"}],
                 backendHttpSettingsCollection=[{"name": "https", "trustedRootCertificates": [{"id": f"{BASE}/{root_ref}"}]}])


def test_gateway_parts_get_ids_and_a_dangling_reference_is_refused() -> None:
    state = _application_gateway(_gateway("trustedRootCertificates/edge-ca"))
    assert state["trustedRootCertificates"][0]["id"] == f"{BASE}/trustedRootCertificates/edge-ca"
    with pytest.raises(ValueError, match=r"InvalidResourceReference: resource .*/trustedRootCertificates/edge-root"):
        _application_gateway(_gateway("trustedRootCertificates/edge-root"))
