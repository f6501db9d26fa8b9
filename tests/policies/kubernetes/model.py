"""One fixture: resources, the rule, and either nothing (compliant) or the resource it flags and the defect
its message must name (the cfn-lint way: good and bad templates per rule, the finding asserted)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tests.policies.conftest import resource
from tests.policies.fixtures import app_stack, dep, mutate


@dataclass(frozen=True)
class Fixture:
    rule: str
    resources: list[dict[str, Any]]
    flagged: str | None = None
    """Resource name the rule must flag ('stack' for stack-wide); None: the rule must stay silent."""
    message: str = ""
    """Case-insensitive substring of the message: the defect, named."""
    id: str = ""


def good(rule: str, resources: list[dict[str, Any]], ident: str = "") -> Fixture:
    return Fixture(rule, resources, None, "", ident or f"{rule}-good")


def bad(rule: str, resources: list[dict[str, Any]], flagged: str, message: str, ident: str = "") -> Fixture:
    return Fixture(rule, resources, flagged, message, ident or f"{rule}-{message[:30]}")


def one(type_: str, props: dict[str, Any], name: str = "subject") -> list[dict[str, Any]]:
    return [resource(type_, name, props)]


def blue(path: str, value: Any) -> dict[str, Any]:
    """The blue Deployment's inputs with one path set."""
    return mutate(dep("app-blue")["inputs"], path, value)


def as_kind(type_: str, kind: str, props: dict[str, Any]) -> list[dict[str, Any]]:
    """The blue pod template carried by another kind (same spec.template), in the compliant app stack."""
    return app_stack(**{"app-blue": resource(type_, "app-blue", {**props, "kind": kind})})
