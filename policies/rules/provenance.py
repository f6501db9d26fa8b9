"""Provenance proved by the value: is a secret a random generator's output?

The gate withholds every secret's value and sends, when it could see the value, its keyed fingerprint
(policies/rules/verify.py). A password is generated when its fingerprint equals that of a
`random.RandomPassword`/`RandomString` result in the stack, or, for a value sent in the clear, when it
equals a visible result. The wiring (`propertyDependencies`) stands in only where no value can be
compared: a secret the gate could not see (ciphertext), or a property bag whose generators show no
result (declared inputs: the recorded outputs compare the values). An `.apply()` keeps the wiring while
changing the value, so wiring never outweighs a value that differs.
"""

from __future__ import annotations

from typing import Any

from pulumi_policy import PolicyResource

from . import verify
from .cloud_tokens import of
from .common import Stack, get

GENERATORS = ("random:index/randomPassword:RandomPassword", "random:index/randomString:RandomString")


class Generated:
    """What the stack's generators hold in this property bag, read when built (build it just before the
    judgement that depends on it: a result unknown at preview is then a blind read of that judgement)."""

    def __init__(self, stack: Stack) -> None:
        self.visible: set[str] = set()
        self.fingerprints: set[str] = set()
        self.shown = False
        """Whether any generator shows a result at all."""
        for generator in of(stack, *GENERATORS):
            if "result" not in generator.props:
                continue
            self.shown = True
            result = get(generator.props, "result")
            if verify.is_withheld(result):
                fingerprint = verify.fingerprint(result)
                if fingerprint:
                    self.fingerprints.add(fingerprint)
            elif isinstance(result, str) and result:
                self.visible.add(result)

    def proves(self, value: Any, wired: list[PolicyResource]) -> bool | None:
        """True when `value` is proved generated, False when it is a literal, None when nothing can be
        compared and nothing is wired (a ciphertext: the caller reports it as unverifiable)."""
        if verify.is_withheld(value):
            fingerprint = verify.fingerprint(value)
            if fingerprint is None:
                return True if wired else None
            return fingerprint in self.fingerprints or (bool(wired) and not self.shown)
        if isinstance(value, str) and value in self.visible:
            return True
        # A visible value must equal a visible result; only when no wired generator shows one (inputs only,
        # a first preview) does the wiring stand in for the value.
        return bool(wired) and not any(get(g.props, "result") for g in wired)
