"""Every spelling of a cloud resource's type token, mapped to the one the pinned provider registers.

A rule must not be walked around by naming the resource differently:
- pulumi-aws tokens have a long form (`aws:ec2/securityGroupRule:SecurityGroupRule`) and the
  module-only form hand-written programs and exports use (`aws:ec2:SecurityGroupRule`);
- pulumi-aws and azure-native resources keep their old tokens as aliases after a rename
  (`aws:elasticloadbalancingv2/listener:Listener` is `aws:lb/listener:Listener`, `azure-native:cache:Redis`
  became `azure-native:redis:Redis`), so state written by an older provider carries the old name;
- versioned azure-native modules (`network/v20240501`) are the default module's resource (common's
  `base_type` strips the version).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from pulumi_policy import PolicyResource

from .common import AWS_ALIASES, AZURE_ALIASES, Stack, base_type


def _aws_short(token: str) -> str:
    package, _, rest = token.partition(":")
    module, _, kind = rest.partition(":")
    return f"{package}:{module.split('/', 1)[0]}:{kind}" if package == "aws" and "/" in module else token


def canonical(type_: str) -> str:
    """The pinned provider's token for any spelling of it."""
    return base_type(str(type_))


def spellings(token: str) -> tuple[str, ...]:
    """`token` and every other spelling the stack index may hold it under."""
    old = [o for o, new in (*AZURE_ALIASES.items(), *AWS_ALIASES.items()) if new == token]
    out = [token, _aws_short(token), *old, *(_aws_short(o) for o in old)]
    return tuple(dict.fromkeys(out))


def of(stack: Stack, *tokens: str) -> list[PolicyResource]:
    """The stack's resources of these types, however each was spelt."""
    found: list[PolicyResource] = []
    seen: set[int] = set()
    for token in tokens:
        for spelling in spellings(token):
            for resource in stack.of(spelling):
                if id(resource) not in seen:
                    seen.add(id(resource))
                    found.append(resource)
    return found


def kind_of(resource: PolicyResource) -> str:
    return canonical(resource.resource_type)


def accepts(tokens: Iterable[str]) -> Callable[[str], bool]:
    """A `resource_rule` type predicate matching every spelling of `tokens`."""
    wanted = frozenset(canonical(t) for t in tokens)
    return lambda type_: canonical(type_) in wanted


def _bounded(value: Any, depth: int = 0) -> Any:
    if depth > 8:
        return "..."
    if isinstance(value, Mapping):
        return {str(k)[:64]: _bounded(v, depth + 1) for k, v in list(value.items())[:32]}
    if isinstance(value, Sequence) and not isinstance(value, str | bytes):
        return [_bounded(v, depth + 1) for v in list(value[:32])]
    if isinstance(value, str):
        return value[:1024]
    return value if isinstance(value, int | float | bool) or value is None else type(value).__name__


def as_text(value: Any, limit: int = 256) -> str:
    """A value as text to compare or quote: strings and numbers as `str` does, containers as bounded JSON.
    `str()` of an export's value is not safe: nesting thousands deep overflows repr, megabytes flood a message."""
    if isinstance(value, str):
        return value
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e16:
        return str(int(value))  # the engine carries every number as a double: 3.0 was written 3
    if isinstance(value, bool | int | float) or value is None:
        return str(value)
    text = json.dumps(_bounded(value), sort_keys=True, default=str)
    return text if len(text) <= limit else text[:limit] + "..."


def cut(value: Any, limit: int = 120) -> str:
    """A value as a message quotes it: `as_text`, cut at `limit` characters."""
    text = as_text(value, limit)
    return text if len(text) <= limit else text[:limit] + "..."
