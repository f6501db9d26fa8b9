"""Small validated value types: image references, quantities, CIDRs, DNS and Kubernetes names."""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated, Any

from pydantic import AfterValidator, Field

_TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
_DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")
_MUTABLE_TAGS = frozenset({"latest", "stable", "main", "master", "edge", "dev", "nightly"})
_REPOSITORY = re.compile(r"^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(/[a-z0-9]+([._-][a-z0-9]+)*)*$")
_CPU = re.compile(r"^([0-9]+m|[0-9]+(\.[0-9]{1,3})?)$")
_MEMORY = re.compile(r"^([0-9]+)(Ki|Mi|Gi)$")
_DNS_NAME = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
_K8S_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")


def _image_ref(value: str) -> str:
    if _DIGEST.match(value):
        return value
    if not _TAG.match(value):
        raise ValueError("an image tag ([A-Za-z0-9_.-], at most 128 characters) or a sha256:<64 hex> digest")
    if value.lower() in _MUTABLE_TAGS:
        raise ValueError(f"an immutable tag or digest, not the moving tag '{value}'")
    return value


def _repository(value: str) -> str:
    if not _REPOSITORY.match(value):
        raise ValueError("an image repository without tag, such as ghcr.io/acme/orchestrator")
    return value


def _cpu(value: str) -> str:
    if not _CPU.match(value):
        raise ValueError("a Kubernetes CPU quantity such as 250m or 1")
    return value


def _memory(value: str) -> str:
    if not _MEMORY.match(value):
        raise ValueError("a Kubernetes memory quantity such as 384Mi or 1Gi")
    return value


def _cidr(value: str) -> str:
    try:
        return str(ipaddress.ip_network(value, strict=True))
    except ValueError:
        raise ValueError("a CIDR block such as 10.40.0.0/16 (host bits zero)") from None


def _dns_name(value: str) -> str:
    if not _DNS_NAME.match(value):
        raise ValueError("a lower-case DNS name such as app.example.com")
    return value


def _k8s_name(value: str) -> str:
    if not _K8S_NAME.match(value):
        raise ValueError("a Kubernetes name: lower-case letters, digits and '-', at most 63 characters")
    return value


ImageRef = Annotated[str, AfterValidator(_image_ref)]
Repository = Annotated[str, AfterValidator(_repository)]
CpuQuantity = Annotated[str, AfterValidator(_cpu)]
MemoryQuantity = Annotated[str, AfterValidator(_memory)]
Cidr = Annotated[str, AfterValidator(_cidr)]
DnsName = Annotated[str, AfterValidator(_dns_name)]
K8sName = Annotated[str, AfterValidator(_k8s_name)]
Percent = Annotated[int, Field(ge=1, le=100)]


def memory_mebibytes(quantity: str) -> float:
    """`384Mi` -> 384.0; used to compare memory quantities."""
    match = _MEMORY.match(quantity)
    if match is None:
        raise ValueError(f"not a memory quantity: {quantity}")
    number, unit = int(match.group(1)), match.group(2)
    return number * {"Ki": 1 / 1024, "Mi": 1.0, "Gi": 1024.0}[unit]


def cpu_millicores(quantity: str) -> float:
    """`250m` -> 250.0, `1` -> 1000.0."""
    return float(quantity[:-1]) if quantity.endswith("m") else float(quantity) * 1000


def as_int(value: Any) -> Any:
    """Pulumi hands numbers over as strings ('25') or floats (25.0); accept those that are whole."""
    if isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and re.fullmatch(r"-?[0-9]+", value.strip()):
        return int(value)
    return value
