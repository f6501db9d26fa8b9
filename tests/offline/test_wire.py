"""Pulumi's wire values have one home in offline/, equal to the SDK's."""

from __future__ import annotations

import subprocess

from pulumi.runtime import rpc

from offline import wire


def test_wire_values_equal_the_sdk() -> None:
    assert rpc._special_sig_key == wire.SECRET_SIG_KEY
    assert rpc._special_secret_sig == wire.SECRET_SIG
    assert wire.UNKNOWN == rpc.UNKNOWN
    assert wire.is_secret_envelope(wire.secret_envelope(ciphertext="x"))
    assert not wire.is_secret_envelope({"ciphertext": "x"})


def test_offline_spells_each_wire_value_only_in_wire_py() -> None:
    for value in (wire.SECRET_SIG_KEY, wire.SECRET_SIG, wire.UNKNOWN):
        found = subprocess.run(["git", "grep", "-l", value, "--", "offline", "components", "ops"],
                               capture_output=True, text=True, check=False).stdout.split()
        assert found == ["offline/wire.py"], (value, found)
