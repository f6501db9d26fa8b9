"""HAProxy's certificate behind a cloud front door, and the public certificate of the Application Gateway.

Issue: production declared a cert-manager Certificate (issuer letsencrypt-production) that nothing
installed; the gateway pointed at a Key Vault certificate in a vault the same run creates."""

from __future__ import annotations

import base64
import hashlib
import re
from typing import Any

import pytest
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12

from components.config import ConfigError, parse
from components.edge.pfx import covers
from components.edge.proxy import TLS_CHECKSUM_ANNOTATION
from offline.runner.export import is_secret, to_deployment
from offline.runner.mocks import Registration
from offline.runner.mocks.pki import MOCK_NOW
from offline.runner.program import ProgramResult
from offline.runner.stacks import load_stack
from tests.helpers import find, one, plain, run_stack

SECRET = "kubernetes:core/v1:Secret"
DEPLOYMENT = "kubernetes:apps/v1:Deployment"
GATEWAY = "azure-native:network:ApplicationGateway"
VAULT = "azure-native:keyvault:Vault"
VAULT_SECRET = "azure-native:keyvault:Secret"
PRIVATE_KEY = "tls:index/privateKey:PrivateKey"
LOCALLY_SIGNED = "tls:index/locallySignedCert:LocallySignedCert"
PRODUCTION_STACKS = ("production", "production-azure")


def _edge(result: ProgramResult, type_: str, name: str) -> Registration:
    [match] = [r for r in find(result, type_, name) if "orchestrator:edge:EdgeProxy$" in r.urn]
    return match


def _chain(result: ProgramResult) -> list[x509.Certificate]:
    data = plain(_edge(result, SECRET, "edge-tls").inputs["stringData"])
    return x509.load_pem_x509_certificates(data["tls.crt"].encode())


def _dns_names(certificate: x509.Certificate) -> list[str]:
    extension = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    return [str(n) for n in extension.value.get_values_for_type(x509.DNSName)]


def _hostname(stack: str) -> str:
    return str(load_stack(stack).namespace()["edge"]["hostname"])


@pytest.mark.parametrize("stack", PRODUCTION_STACKS)
def test_production_needs_no_cert_manager(stack: str) -> None:
    spec = load_stack(stack)
    assert "preinstalledApiGroups" not in (spec.namespace().get("cluster") or {})
    resources = to_deployment(run_stack(stack))["deployment"]["resources"]
    assert [r["urn"] for r in resources if "cert-manager.io" in r["type"]] == []
    assert not [r for r in resources if r["type"] == "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition"
                and "cert-manager" in str(r.get("inputs"))]


@pytest.mark.parametrize("stack", PRODUCTION_STACKS)
def test_haproxy_serves_a_certificate_for_the_host_name_signed_by_the_programs_ca(stack: str) -> None:
    result = run_stack(stack)
    leaf, ca = _chain(result)
    leaf.verify_directly_issued_by(ca)
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is True
    assert leaf.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is False
    assert _dns_names(leaf) == [_hostname(stack)]
    usages = leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert x509.oid.ExtendedKeyUsageOID.SERVER_AUTH in usages
    # The key in the Secret is the one the leaf certifies.
    key_pem = plain(_edge(result, SECRET, "edge-tls").inputs["stringData"])["tls.key"]
    key = serialization.load_pem_private_key(key_pem.encode(), password=None)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    assert key.public_key().public_numbers() == leaf.public_key().public_numbers()  # type: ignore[union-attr]
    # Renewal: re-issued inside the early window, and a new certificate rolls HAProxy (it reads certs at start).
    signed = plain(_edge(result, LOCALLY_SIGNED, "edge-tls-cert").inputs)
    assert 0 < signed["earlyRenewalHours"] < signed["validityPeriodHours"]
    template = plain(_edge(result, DEPLOYMENT, "edge-deployment").inputs)["spec"]["template"]
    leaf_pem = leaf.public_bytes(serialization.Encoding.PEM).decode()
    assert template["metadata"]["annotations"][TLS_CHECKSUM_ANNOTATION] == hashlib.sha256(leaf_pem.encode()).hexdigest()


def test_the_ca_key_stays_secret_in_the_export() -> None:
    resources = {r["urn"].rsplit("::", 1)[1]: r for r in to_deployment(run_stack("production"))["deployment"]["resources"]}
    assert is_secret(resources["edge-ca-key"]["outputs"]["privateKeyPem"])
    assert is_secret(resources["edge-tls-cert"]["inputs"]["caPrivateKeyPem"])
    assert "PRIVATE KEY" not in str(resources["edge-ca-key"]["outputs"]["privateKeyPem"])
    assert "PRIVATE KEY" not in str(resources["edge-tls"]["inputs"])


# --- the Application Gateway trusts exactly that CA ------------------------------------------------


def _gateway(result: ProgramResult) -> dict[str, Any]:
    return dict(plain(one(result, GATEWAY).inputs))


def test_the_gateway_trusts_by_value_the_ca_that_signed_haproxys_certificate() -> None:
    result = run_stack("production-azure")
    leaf, _ca = _chain(result)
    gateway = _gateway(result)
    [root] = gateway["trustedRootCertificates"]
    trusted = x509.load_der_x509_certificate(base64.b64decode(root["data"]))
    # By value: the trusted root verifies the served leaf, whatever either is called.
    leaf.verify_directly_issued_by(trusted)
    [settings] = gateway["backendHttpSettingsCollection"]
    assert [ref["id"] for ref in settings["trustedRootCertificates"]] == [
        f"{one(result, GATEWAY).id}/trustedRootCertificates/{root['name']}"]
    # The name the gateway sends (SNI, Host) and checks is one the leaf covers; the probe uses it too.
    assert covers(_dns_names(leaf), settings["hostName"])
    assert covers(_dns_names(leaf), gateway["probes"][0]["host"])
    assert settings["pickHostNameFromBackendAddress"] is False


def test_a_ca_from_elsewhere_would_not_verify_haproxys_certificate() -> None:
    """The by-value check above can fail: a CA of another stack does not verify this leaf, not even
    one that carries the same name."""
    leaf, ca = _chain(run_stack("production-azure"))
    _, other_ca = _chain(run_stack("production"))
    with pytest.raises((ValueError, InvalidSignature)):
        leaf.verify_directly_issued_by(other_ca)
    impostor_key = ec.derive_private_key(987654321, ec.SECP256R1())
    impostor = (x509.CertificateBuilder().subject_name(ca.subject).issuer_name(ca.subject)
                .public_key(impostor_key.public_key()).serial_number(ca.serial_number)
                .not_valid_before(ca.not_valid_before_utc).not_valid_after(ca.not_valid_after_utc)
                .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                .sign(impostor_key, hashes.SHA256()))
    with pytest.raises(InvalidSignature):
        leaf.verify_directly_issued_by(impostor)


def test_aws_front_door_gets_no_trust_settings_it_would_ignore() -> None:
    """The ALB does not verify target certificates: nothing to configure, HAProxy still serves HTTPS."""
    result = run_stack("production")
    assert find(result, GATEWAY) == []
    leaf, _ = _chain(result)
    assert _dns_names(leaf) == ["orchestrator.acme.example"]


# --- configuration ------------------------------------------------------------------------------


def _config(stack: str, **edits: Any) -> dict[str, Any]:
    raw = load_stack(stack).namespace()
    for path, value in edits.items():
        section: dict[str, Any] = raw
        *parents, last = path.split(".")
        for part in parents:
            section = section.setdefault(part, {})
        section[last] = value
    return raw


def test_production_refuses_self_signed_but_accepts_private_ca() -> None:
    with pytest.raises(ConfigError, match=re.escape("production needs edge.tls.certificate 'private-ca'")):
        parse(_config("production", **{"edge.tls.certificate": "self-signed"}), "production")
    assert parse(_config("production"), "production").edge.tls.certificate.value == "private-ca"


def test_private_ca_needs_a_front_door() -> None:
    with pytest.raises(ConfigError) as error:
        parse(_config("local", **{"edge.tls.certificate": "private-ca"}), "local")
    assert "needs a cloud front door that terminates public TLS" in str(error.value)
    assert "\n" not in str(error.value)


def test_azure_refuses_a_self_signed_backend_the_gateway_cannot_verify() -> None:
    raw = _config("production-azure", **{"environment": "staging", "edge.tls.certificate": "self-signed"})
    with pytest.raises(ConfigError, match=re.escape("'self-signed' cannot be verified by the Application Gateway")):
        parse(raw, "production-azure")
    raw["edge"]["tls"]["certificate"] = "private-ca"
    assert parse(raw, "production-azure").edge.tls.certificate.value == "private-ca"


def test_cert_manager_needs_its_api_group_declared_preinstalled() -> None:
    raw = _config("production", **{"edge.tls.certificate": "cert-manager", "edge.tls.issuer": "letsencrypt-production"})
    with pytest.raises(ConfigError) as error:
        parse(raw, "production")
    assert str(error.value).startswith("Pulumi.production.yaml: orchestrator: edge.tls.certificate 'cert-manager' needs "
                                       "cert-manager.io in cluster.preinstalledApiGroups")
    raw["cluster"]["preinstalledApiGroups"] = ["cert-manager.io"]
    assert parse(raw, "production").edge.tls.certificate.value == "cert-manager"


# --- the gateway's public certificate (finding 5) -----------------------------------------------


def _listener(result: ProgramResult) -> Registration:
    return one(result, VAULT_SECRET, "front-door-certificate")


def test_the_gateway_reads_the_vault_secret_this_run_writes() -> None:
    result = run_stack("production-azure")
    written = _listener(result)
    inputs = plain(written.inputs)
    vault = one(result, VAULT)
    assert inputs["vaultName"] == vault.outputs["name"] and inputs["secretName"] == "edge-tls"
    assert inputs["properties"]["contentType"] == "application/x-pkcs12"
    assert is_secret(written.inputs["properties"]["value"])
    gateway = one(result, GATEWAY)
    [ssl] = plain(gateway.inputs)["sslCertificates"]
    assert ssl["keyVaultSecretId"] == f"https://{vault.outputs['name']}.vault.azure.net/secrets/edge-tls"
    assert written.urn in gateway.dependencies
    # The identity the gateway runs as may read the vault's secrets.
    reader = plain(one(result, "azure-native:authorization:RoleAssignment", "front-door-certificate-reader").inputs)
    assert reader["scope"] == vault.id and reader["roleDefinitionId"].endswith("4633458b-17de-408a-b874-0445c86b69e6")


def test_without_the_stack_secret_a_bootstrap_certificate_lets_the_first_deploy_through() -> None:
    result = run_stack("production-azure")
    properties = plain(_listener(result).inputs)["properties"]
    key, certificate, _ = pkcs12.load_key_and_certificates(base64.b64decode(properties["value"]), None)
    assert key is not None and certificate is not None
    assert _dns_names(certificate) == ["orchestrator-az.acme.example"]
    assert properties["attributes"]["expires"] == int(certificate.not_valid_after_utc.timestamp())
    warnings = [d.message for d in result.diagnostics if d.severity == "warning"]
    assert any("appGatewayCertificatePfx is not set" in w and "pulumi config set --secret" in w for w in warnings)


def _pfx(hostname: str) -> tuple[str, x509.Certificate]:
    key = ec.derive_private_key(123456789, ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(x509.oid.NameOID.COMMON_NAME, hostname)])
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                   .serial_number(7).not_valid_before(MOCK_NOW).not_valid_after(MOCK_NOW.replace(year=2027))
                   .add_extension(x509.SubjectAlternativeName([x509.DNSName(hostname)]), critical=False)
                   .sign(key, hashes.SHA256()))
    data = pkcs12.serialize_key_and_certificates(b"edge", key, certificate, None, serialization.NoEncryption())
    return base64.b64encode(data).decode(), certificate


def test_the_stack_secret_is_written_as_is_and_its_expiry_follows_the_certificate() -> None:
    value, certificate = _pfx("orchestrator-az.acme.example")
    result = run_stack("production-azure", f"appGatewayCertificatePfx={value}")
    properties = plain(_listener(result).inputs)["properties"]
    assert properties["value"] == value
    assert properties["attributes"]["expires"] == int(certificate.not_valid_after_utc.timestamp())
    assert not [r for r in result.resources if "bootstrap" in r.name]


def test_a_stack_secret_for_another_host_name_is_refused_before_up() -> None:
    value, _ = _pfx("other.example")
    with pytest.raises(Exception, match=re.escape("names other.example, not edge.hostname orchestrator-az.acme.example")):
        run_stack("production-azure", f"appGatewayCertificatePfx={value}")


@pytest.mark.parametrize(("names", "host", "expected"), [
    (["orchestrator-az.acme.example"], "orchestrator-az.acme.example", True),
    (["*.acme.example"], "orchestrator-az.acme.example", True),
    (["*.acme.example"], "a.b.acme.example", False),
    (["*.acme.example"], "acme.example", False),
    (["ORCHESTRATOR-AZ.acme.example."], "orchestrator-az.acme.example", True),
    (["other.example"], "orchestrator-az.acme.example", False),
])
def test_names_cover_a_host_as_tls_clients_match_them(names: list[str], host: str, expected: bool) -> None:
    assert covers(names, host) is expected


def test_a_stack_secret_that_is_not_a_password_less_pfx_is_one_clear_line() -> None:
    from components.edge.pfx import listener_expiry

    where = "Pulumi.production-azure.yaml: orchestrator:appGatewayCertificatePfx"
    with pytest.raises(ConfigError, match=re.escape(f"{where} is not base64")):
        listener_expiry("not base64 !", "orchestrator-az.acme.example", where)
    with pytest.raises(ConfigError, match=re.escape(f"{where} is over 64 KiB")):
        listener_expiry("A" * 200_000, "orchestrator-az.acme.example", where)
    key = ec.derive_private_key(123456789, ec.SECP256R1())  # the key _pfx certifies
    _, certificate = _pfx("orchestrator-az.acme.example")
    locked = pkcs12.serialize_key_and_certificates(
        b"edge", key, certificate, None, serialization.BestAvailableEncryption(b"secret"))
    with pytest.raises(ConfigError, match=re.escape(f"{where} is not a PFX without password")):
        listener_expiry(base64.b64encode(locked).decode(), "orchestrator-az.acme.example", where)
    value, certificate = _pfx("orchestrator-az.acme.example")
    assert listener_expiry(value, "orchestrator-az.acme.example", where) == int(certificate.not_valid_after_utc.timestamp())
