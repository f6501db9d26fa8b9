"""Protocol versions and cipher suites by sslyze (full handshakes per suite, legacy protocols included).

sslyze ships its own legacy OpenSSL build (nassl), so it can still offer SSL 3.0, TLS 1.0/1.1 and
broken suites that the system OpenSSL refuses to send: a server that accepts them is found.
"""

from __future__ import annotations

import datetime
import socket
from dataclasses import dataclass, field

from cryptography import x509

_BROKEN_MARKERS = ("_NULL_", "_anon_", "_EXPORT", "_RC4_", "_DES_", "_3DES_", "_DES40_", "_IDEA_", "_MD5")


@dataclass(frozen=True)
class TlsScan:
    accepted: dict[str, list[str]] = field(default_factory=dict)
    """Protocol name (`TLS 1.2`) -> accepted suites (IANA names); protocols accepting nothing are absent."""
    key_sizes: dict[str, int] = field(default_factory=dict)
    error: str | None = None

    @property
    def protocols(self) -> list[str]:
        return [name for name in PROTOCOL_NAMES if self.accepted.get(name)]


PROTOCOL_NAMES = ("SSL 2.0", "SSL 3.0", "TLS 1.0", "TLS 1.1", "TLS 1.2", "TLS 1.3")
LEGACY_PROTOCOLS = ("SSL 2.0", "SSL 3.0", "TLS 1.0", "TLS 1.1")


def broken_suites(scan: TlsScan) -> list[str]:
    """TLS 1.2 suites with no real protection (NULL, anonymous, export, RC4, DES/3DES, MD5, < 128-bit keys)."""
    return [s for s in scan.accepted.get("TLS 1.2", [])
            if any(m in s for m in _BROKEN_MARKERS) or scan.key_sizes.get(s, 128) < 128]


def legacy_suites(scan: TlsScan) -> list[str]:
    """TLS 1.2 suites that are not broken but lack forward secrecy (static RSA/DH) or AEAD (CBC mode)."""
    broken = set(broken_suites(scan))
    legacy = []
    for suite in scan.accepted.get("TLS 1.2", []):
        if suite in broken:
            continue
        forward_secret = suite.startswith(("TLS_ECDHE_", "TLS_DHE_"))
        aead = any(m in suite for m in ("_GCM_", "_CHACHA20_POLY1305", "_CCM"))
        if not (forward_secret and aead):
            legacy.append(suite)
    return legacy


def resolve(host: str, port: int) -> str:
    """The first address of `host` that accepts a TCP connection on `port` (what a client would use)."""
    last: OSError | None = None
    for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM):
        address = str(info[4][0])
        try:
            with socket.create_connection((address, port), timeout=5):
                return address
        except OSError as error:
            last = error
    raise last or OSError(f"{host} has no address")


def scan(host: str, port: int, address: str, *, timeout: int = 5) -> TlsScan:
    """Every protocol version's accepted suites; a scanner failure is reported, never raised."""
    from sslyze import (
        ScanCommand,
        ScanCommandAttemptStatusEnum,
        Scanner,
        ServerNetworkConfiguration,
        ServerNetworkLocation,
        ServerScanRequest,
        ServerScanStatusEnum,
    )

    commands = {
        "SSL 2.0": ScanCommand.SSL_2_0_CIPHER_SUITES, "SSL 3.0": ScanCommand.SSL_3_0_CIPHER_SUITES,
        "TLS 1.0": ScanCommand.TLS_1_0_CIPHER_SUITES, "TLS 1.1": ScanCommand.TLS_1_1_CIPHER_SUITES,
        "TLS 1.2": ScanCommand.TLS_1_2_CIPHER_SUITES, "TLS 1.3": ScanCommand.TLS_1_3_CIPHER_SUITES,
    }
    request = ServerScanRequest(
        server_location=ServerNetworkLocation(hostname=host, port=port, ip_address=address),
        network_configuration=ServerNetworkConfiguration(
            tls_server_name_indication=host, network_timeout=timeout, network_max_retries=1),
        scan_commands=set(commands.values()),
    )
    scanner = Scanner(per_server_concurrent_connections_limit=5)
    scanner.queue_scans([request])
    accepted: dict[str, list[str]] = {}
    key_sizes: dict[str, int] = {}
    for result in scanner.get_results():
        if result.scan_status is not ServerScanStatusEnum.COMPLETED or result.scan_result is None:
            trace = result.connectivity_error_trace
            return TlsScan(error=f"sslyze could not connect: {trace or result.connectivity_status}")
        attempts = {
            "SSL 2.0": result.scan_result.ssl_2_0_cipher_suites, "SSL 3.0": result.scan_result.ssl_3_0_cipher_suites,
            "TLS 1.0": result.scan_result.tls_1_0_cipher_suites, "TLS 1.1": result.scan_result.tls_1_1_cipher_suites,
            "TLS 1.2": result.scan_result.tls_1_2_cipher_suites, "TLS 1.3": result.scan_result.tls_1_3_cipher_suites,
        }
        for name, attempt in attempts.items():
            if attempt.status is not ScanCommandAttemptStatusEnum.COMPLETED or attempt.result is None:
                return TlsScan(error=f"sslyze could not scan {name}: {attempt.error_reason}")
            suites = attempt.result.accepted_cipher_suites
            if suites:
                accepted[name] = [s.cipher_suite.name for s in suites]
                key_sizes.update({s.cipher_suite.name: s.cipher_suite.key_size for s in suites})
    return TlsScan(accepted=accepted, key_sizes=key_sizes)


def not_after(der: bytes) -> datetime.datetime:
    return x509.load_der_x509_certificate(der).not_valid_after_utc
