"""Every platform honours the data-tier contract: outputs set, credentials Secret in the app namespace.

Runs over every shipped stack (local = kubernetes, staging/production = aws, production-azure =
azure), building the real implementation that `components.platforms.implementation` picks.
"""

from __future__ import annotations

import base64
from typing import Any

import pytest

from components.cache import contract as cache_contract
from components.config import Platform
from components.database import contract as db_contract
from offline.runner.export import is_secret
from tests.data.harness import DataTier, Resolved, build_data_tier
from tests.helpers import SHIPPED_STACKS, plain

PEER_KEYS = {"namespaceSelector", "podSelector", "ipBlock"}


def secret_entries(record: Any) -> dict[str, tuple[Any, bool]]:
    """key -> (plain value, travelled as a secret) of a Secret's stringData / data (wire form)."""
    entries: dict[str, tuple[Any, bool]] = {}
    for field, encoded in (("stringData", False), ("data", True)):
        block = record.inputs.get(field)
        if block is None:
            continue
        whole_secret = is_secret(block)
        for key, value in (plain(block) or {}).items():
            raw = (block.get("value", block.get("plaintext")) if whole_secret else block)[key]
            text = base64.b64decode(value).decode() if encoded and isinstance(value, str) else value
            entries[key] = (text, whole_secret or is_secret(raw))
    return entries


def assert_outputs_set(outputs: dict[str, Resolved]) -> None:
    for field, resolved in outputs.items():
        assert resolved.known, f"{field} is unknown after a non-preview run"
        assert resolved.value is not None, f"{field} is not set"
        if isinstance(resolved.value, str):
            assert resolved.value.strip() and resolved.value != "pending", f"{field} is a placeholder: {resolved.value!r}"


def assert_peers(peers: Any) -> None:
    assert isinstance(peers, list) and peers, "egress_peers must name at least one peer (an empty rule opens everything)"
    for peer in peers:
        assert isinstance(peer, dict) and peer and set(peer) <= PEER_KEYS, f"not a NetworkPolicyPeer in wire form: {peer}"


def tiers() -> list[str]:
    return list(SHIPPED_STACKS)


def test_every_platform_has_a_shipped_stack() -> None:
    platforms = {build_data_tier(stack).platform for stack in SHIPPED_STACKS}
    assert platforms == {p.value for p in Platform}


@pytest.mark.parametrize("stack", tiers())
def test_database_contract(stack: str) -> None:
    tier = build_data_tier(stack)
    out = tier.database
    assert_outputs_set(out)
    assert isinstance(out["port"].value, int) and 0 < out["port"].value < 65536
    assert out["ssl_mode"].value in {"require", "verify-ca", "verify-full"}
    assert_peers(out["egress_peers"].value)
    # Reads must be able to leave the primary (the replicas have their own endpoint on every platform).
    assert out["primary_host"].value != out["reader_host"].value
    secret = credentials(tier, out["credentials_secret"].value)
    entries = secret_entries(secret)
    missing = set(db_contract.CREDENTIAL_KEYS) - set(entries)
    assert not missing, f"{stack}: the database credentials Secret lacks {sorted(missing)}"
    for key in db_contract.SECRET_KEYS:
        assert entries[key][1], f"{stack}: database credentials '{key}' is not a secret Output"
        assert entries[key][0], f"{stack}: database credentials '{key}' is empty"
    assert entries[db_contract.HOST_KEY][0] == out["primary_host"].value
    assert str(entries[db_contract.PORT_KEY][0]) == str(out["port"].value)
    assert entries[db_contract.DATABASE_KEY][0] == out["database"].value
    assert entries[db_contract.SSLMODE_KEY][0] == out["ssl_mode"].value


@pytest.mark.parametrize("stack", tiers())
def test_cache_contract(stack: str) -> None:
    tier = build_data_tier(stack)
    out = tier.cache
    assert_outputs_set(out)
    assert isinstance(out["port"].value, int) and 0 < out["port"].value < 65536
    assert out["tls"].value is True, "docs/requirements.md: Redis with TLS"
    assert_peers(out["egress_peers"].value)
    secret = credentials(tier, out["credentials_secret"].value)
    entries = secret_entries(secret)
    missing = set(cache_contract.CREDENTIAL_KEYS) - set(entries)
    assert not missing, f"{stack}: the cache credentials Secret lacks {sorted(missing)}"
    for key in cache_contract.SECRET_KEYS:
        assert entries[key][1], f"{stack}: cache credentials '{key}' is not a secret Output"
        assert entries[key][0], f"{stack}: cache credentials '{key}' is empty"
    assert entries[cache_contract.HOST_KEY][0] == out["endpoint"].value
    assert str(entries[cache_contract.PORT_KEY][0]) == str(out["port"].value)


def credentials(tier: DataTier, name: Any) -> Any:
    in_app_namespace = tier.secrets(tier.app_namespace)
    assert name in in_app_namespace, (
        f"{tier.stack}: no Secret {name!r} in the app namespace {tier.app_namespace!r}; found {sorted(in_app_namespace)}"
    )
    return in_app_namespace[name]


def test_secret_entries_reads_both_wire_shapes() -> None:
    """The helper itself: stringData with a secret value, and a whole-secret base64 data block."""
    sig = {"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270"}

    class Record:
        inputs = {
            "stringData": {"host": "db", "password": {**sig, "value": "pw"}},
            "data": {**sig, "value": {"token": base64.b64encode(b"t0k").decode()}},
        }

    assert secret_entries(Record()) == {"host": ("db", False), "password": ("pw", True), "token": ("t0k", True)}
