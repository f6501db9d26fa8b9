"""The closed sets of values stack settings choose from."""

from __future__ import annotations

from enum import StrEnum


class Platform(StrEnum):
    AWS = "aws"
    AZURE = "azure"
    KUBERNETES = "kubernetes"


class Environment(StrEnum):
    PRODUCTION = "production"
    STAGING = "staging"
    DEVELOPMENT = "development"


class Slot(StrEnum):
    BLUE = "blue"
    GREEN = "green"

    @property
    def other(self) -> Slot:
        return Slot.GREEN if self is Slot.BLUE else Slot.BLUE


class TlsVersion(StrEnum):
    TLS12 = "TLSv1.2"
    TLS13 = "TLSv1.3"


class CertificateSource(StrEnum):
    SELF_SIGNED = "self-signed"
    """A certificate generated with pulumi-tls; refused in production."""
    PRIVATE_CA = "private-ca"
    """A CA the program generates (pulumi-tls) signs HAProxy's certificate: for a cloud front door that
    terminates public TLS and either trusts that CA (the Application Gateway) or verifies nothing (the ALB)."""
    CERT_MANAGER = "cert-manager"
    """A cert-manager Certificate issued by `edge.tls.issuer`."""
    SECRET = "secret"
    """An existing kubernetes.io/tls Secret named by `edge.tls.secretName`."""
