"""Every check the live audit runs: its id, category, severity, title and remediation, in one table.

The severities reproduce the service specification's own example (security headers missing and
rate limiting not configured are medium; a public health endpoint is low); the rest follow the
same scale: critical = directly exploitable (secrets served, admin open), high = a browser or an
eavesdropper can be misled (plaintext, legacy TLS, bad certificate), medium = defence in depth
missing, low = information that helps an attacker.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from offline.gate.engine import SEVERITY_ORDER


class Category(StrEnum):
    TRANSPORT = "transport"
    SECURITY_HEADERS = "security-headers"
    RATE_LIMITING = "rate-limiting"
    EXPOSURE = "exposure"
    ERROR_HANDLING = "error-handling"
    SECRETS = "secrets-exposure"
    INPUT_VALIDATION = "input-validation"


@dataclass(frozen=True)
class Check:
    id: str
    category: Category
    severity: str
    title: str
    """What a failure means, as the finding's title."""
    remediation: str

    def __post_init__(self) -> None:
        if self.severity not in SEVERITY_ORDER:
            raise ValueError(f"{self.id}: severity {self.severity!r} is not one of {SEVERITY_ORDER}")


_CHECKS = (
    # transport
    Check("https-redirect", Category.TRANSPORT, "high", "Plain HTTP is not redirected to HTTPS",
          "Answer every plain-HTTP request with a 301/308 to the same host over https:// and forward nothing."),
    Check("tls-legacy-protocols", Category.TRANSPORT, "high", "TLS versions below 1.2 are accepted",
          "Set the minimum protocol to TLS 1.2 (edge.tls.minVersion); refuse SSL 3.0, TLS 1.0 and 1.1."),
    Check("tls-broken-ciphers", Category.TRANSPORT, "high", "Broken cipher suites are accepted",
          "Offer only AEAD suites with forward secrecy (ECDHE with AES-GCM or ChaCha20-Poly1305)."),
    Check("tls-legacy-ciphers", Category.TRANSPORT, "medium",
          "Cipher suites without forward secrecy or AEAD are accepted",
          "Remove static-RSA key exchange and CBC-mode suites; keep ECDHE with AES-GCM or ChaCha20-Poly1305."),
    Check("tls-1-3-missing", Category.TRANSPORT, "low", "TLS 1.3 is not offered",
          "Enable TLS 1.3 beside 1.2 (HAProxy does with an OpenSSL 1.1.1+ build and no ssl-max-ver)."),
    Check("certificate-invalid", Category.TRANSPORT, "high", "The certificate does not verify",
          "Serve a certificate that chains to a trusted CA, names the public host name and is within its validity."),
    Check("certificate-expiring", Category.TRANSPORT, "low", "The certificate expires within 14 days",
          "Renew the public certificate: ACM renews a DNS-validated one by itself; on Azure set a new "
          "appGatewayCertificatePfx stack secret and run `pulumi up`; cert-manager renews 30 days ahead."),
    # security headers
    Check("security-headers-missing", Category.SECURITY_HEADERS, "medium", "Security headers missing",
          "Set Strict-Transport-Security (max-age >= 1 year), X-Content-Type-Options: nosniff, "
          "X-Frame-Options or CSP frame-ancestors, and Referrer-Policy on every response, the edge's own included."),
    Check("version-banner", Category.SECURITY_HEADERS, "low", "Server or version banner disclosed",
          "Remove Server, X-Powered-By and similar headers at the edge (http-after-response del-header)."),
    # rate limiting
    Check("rate-limit-missing", Category.RATE_LIMITING, "medium", "Rate limiting not configured",
          "Track each client's request rate at the edge and answer 429 with Retry-After above the limit."),
    Check("rate-limit-loose", Category.RATE_LIMITING, "medium", "Rate limit is looser than configured",
          "Make the edge's per-client limit match edge.rateLimit; a limit keyed on a shared address is no limit."),
    # exposure
    Check("admin-unauthenticated", Category.EXPOSURE, "critical", "Admin endpoint served without authentication",
          "Deny /admin* to public sources and require authentication for internal ones."),
    Check("metrics-public", Category.EXPOSURE, "medium", "Metrics or diagnostic endpoints publicly accessible",
          "Deny /metrics, status and debug paths on the public frontend; scrape them on an internal port."),
    Check("health-public", Category.EXPOSURE, "low", "Health endpoint publicly accessible",
          "Deny /health*, /ready* and /live* on the public frontend; probes use an internal port."),
    # error handling
    Check("error-stack-trace", Category.ERROR_HANDLING, "medium", "Error pages reveal stack traces or database errors",
          "Answer errors with a generic page (HAProxy errorfiles, the framework's production mode)."),
    Check("error-version-disclosure", Category.ERROR_HANDLING, "low", "Error pages reveal software versions",
          "Replace default error pages with custom ones that name no product or version."),
    Check("error-internal-address", Category.ERROR_HANDLING, "low", "Error pages reveal internal addresses",
          "Replace error pages that name internal hosts, private IP addresses or cluster DNS names."),
    # secrets exposure
    Check("secret-files-served", Category.SECRETS, "critical", "Secret or repository files are served",
          "Never deploy .env files, VCS metadata or credentials with the application; deny dot-files at the edge."),
    Check("backup-files-served", Category.SECRETS, "high", "Backup or dump files are served",
          "Remove backups and dumps from the web root; deny common backup extensions at the edge."),
    # input validation
    Check("waf-not-blocking", Category.INPUT_VALIDATION, "high", "Injection probes are not blocked by the WAF",
          "Attach the WAF to the public entry point with the SQL injection, XSS and known-bad-inputs rule sets "
          "in blocking (prevention) mode."),
)

CHECKS: dict[str, Check] = {check.id: check for check in _CHECKS}
CATEGORIES: tuple[Category, ...] = tuple(Category)
"""The categories are the audit's tests: the specification's example counts 7."""
