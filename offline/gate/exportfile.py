"""Deployment exports read from disk (`check --state`): ours, or `pulumi stack export` of a real
stack. Standard library only, so `check` can read the state and start the pack before it imports
the gRPC client.

The gate judges every resource of an export or refuses the file: an entry it cannot fully read
(not an object, no `urn` or `type`, a URN of another stack, a parent or provider that is not in the
file, a resource pending deletion) is one `OfflineError` line naming the entry, never a resource
silently left out. Reading is linear in the size of the file and bounded in depth.
"""

from __future__ import annotations

import difflib
import json
import math
import os
import re
import select
import stat
import time
import unicodedata
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from offline import OfflineError
from offline.files import decode_text, read_user_file
from offline.gate import tokens
from offline.wire import SECRET_SIG, SECRET_SIG_KEY, UNKNOWN

STACK_TYPE = "pulumi:pulumi:Stack"
VERSIONS = (3, 4)
"""Checkpoint versions `pulumi stack export` writes (4 only when the stack uses newer engine features)."""
MAX_DEPTH = 100
"""Nesting levels a value may have: deeper than any provider schema, shallow enough for the pack to decode."""
MAX_RESOURCES = 1_500
"""Resources one `check` judges by default, well within 10 s on 2 cores (docs/benchmarks.md);
`--max-resources` raises it and the allowances below with it; the time grows linearly."""
VALUES_PER_RESOURCE = 80
"""Property values (every object, list and scalar) allowed per resource of the limit: the gate's time
follows the number of values, and the shipped stacks average under 60 a resource."""
BYTES_PER_RESOURCE = 16 * 1024
"""Export bytes allowed per resource of the limit, checked before the file is parsed (the shipped
stacks' exports average under 3 KiB a resource)."""
NAME = re.compile(r"[A-Za-z0-9_.-]{1,100}")
"""What Pulumi allows in stack and project names."""
_FIELDS = {"urn": str, "type": str, "custom": bool, "delete": bool, "id": str, "parent": str, "protect": bool,
           "external": bool, "provider": str, "inputs": dict, "outputs": dict, "dependencies": list,
           "propertyDependencies": dict, "pendingReplacement": bool, "retainOnDelete": bool,
           "additionalSecretOutputs": list, "ignoreChanges": list, "deleteBeforeReplace": bool}
RESOURCE_KEYS = frozenset({
    "urn", "custom", "delete", "id", "type", "inputs", "outputs", "parent", "protect", "taint", "external",
    "dependencies", "initErrors", "provider", "propertyDependencies", "pendingReplacement", "additionalSecretOutputs",
    "aliases", "customTimeouts", "importID", "retainOnDelete", "deletedWith", "created", "modified", "sourcePosition",
    "stackTrace", "ignoreChanges", "replaceOnChanges", "refreshBeforeUpdate", "viewOf", "resourceHooks", "hideDiff",
    "replaceWith", "replacementTrigger", "deleteBeforeReplace"})
"""The keys of a resource entry (Pulumi's ResourceV3). Other keys are tolerated (newer engines add
some) unless they look like a misspelling of one of these."""
_FOLDED_KEYS = {k.casefold(): k for k in RESOURCE_KEYS}
_JSON_NAMES = {str: "a string", bool: "a boolean", dict: "an object", list: "a list", int: "a number",
               float: "a number", type(None): "null"}


def _meant(key: str) -> str | None:
    """The resource key `key` is a misspelling of (case, separators, white space, a letter or two), if any."""
    bare = "".join(c for c in key if c.isalnum()).casefold()
    if bare in _FOLDED_KEYS:
        return _FOLDED_KEYS[bare]
    near = difflib.get_close_matches(key.casefold(), list(_FOLDED_KEYS), n=1, cutoff=0.8)
    return _FOLDED_KEYS[near[0]] if near else None


def _kind(value: Any) -> str:
    return _JSON_NAMES.get(type(value), type(value).__name__)


def stack_from_deployment(deployment: Mapping[str, Any]) -> tuple[str, str]:
    """(stack, project) from the root stack URN of an export."""
    for resource in resources_of(deployment):
        if resource.get("type") == STACK_TYPE:
            return urn_stack(str(resource["urn"])), urn_project(str(resource["urn"]))
    raise OfflineError("the deployment has no pulumi:pulumi:Stack resource; is this a `pulumi stack export`?")


def urn_stack(urn: str) -> str:
    return urn.split("::", 1)[0].removeprefix("urn:pulumi:")


def urn_project(urn: str) -> str:
    parts = urn.split("::", 3)
    return parts[1] if len(parts) > 1 else ""


def resources_of(deployment: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The resources of an export that `validate` accepted (or of one the program produced)."""
    body = deployment.get("deployment") if "deployment" in deployment else deployment
    resources = (body or {}).get("resources") if isinstance(body, Mapping) else None
    if not isinstance(resources, list):
        raise OfflineError("the file is not a deployment export (no deployment.resources list)")
    return resources


# --- reading a file the user named ------------------------------------------------------------------


class _Flag:
    """What the strict reader refuses, left in place by the locating pass so its path can be spelled."""

    def __init__(self, problem: str) -> None:
        self.problem = problem


class _RefusedError(ValueError):
    pass


MAX_DIGITS = 308
"""Digits an integer may have: beyond, it is no finite double (the wire format of every number)."""
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def _float(token: str) -> float:
    value = float(token)
    if not math.isfinite(value):
        raise _RefusedError(f"the number {token[:40]} is out of range (JSON numbers here are finite doubles)")
    return value


def _int(token: str) -> int:
    if len(token.lstrip("-")) > MAX_DIGITS:
        raise _RefusedError(f"a number of {len(token.lstrip('-'))} digits is out of range (at most {MAX_DIGITS})")
    return int(token)


def _constant(token: str) -> Any:
    raise _RefusedError(f"{token} is not a JSON number (JSON has no NaN or Infinity)")


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    value = dict(pairs)
    if len(value) != len(pairs):
        raise _RefusedError("a duplicated key")
    if SIG_KEY in value:
        problem = special_value_problem(value)
        if problem is not None:
            raise _RefusedError(problem)
        return as_sent(value)
    return value


def _flagged(action: Callable[[str], Any]) -> Callable[[str], Any]:
    def flag(token: str) -> Any:
        try:
            return action(token)
        except _RefusedError as refused:
            return _Flag(str(refused))
    return flag


def _flag_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    value = dict(pairs)
    if len(value) != len(pairs):
        counts: dict[str, int] = {}
        for k, _ in pairs:
            counts[k] = counts.get(k, 0) + 1
        key = next(k for k, n in counts.items() if n > 1)
        # Strings are not quoted: any of them may be a secret.
        values = [json.dumps(v)[:40] if isinstance(v, (bool, int, float)) or v is None else _kind(v)
                  for k, v in pairs if k == key]
        value[_FLAG] = _Flag(f"the key {_short(key, 80)} appears {len(values)} times ({', '.join(values)}); "
                                  "JSON readers disagree on which one counts, so the file is refused")
    elif SIG_KEY in value:
        problem = special_value_problem(value)
        if problem is not None:
            value[_FLAG] = _Flag(problem)
    return value


_FLAG = "\x00duplicate"


def _locate(text: str) -> str:
    """Where the first refused token is: parse again, leaving flags in place, then find the first
    ("" when the rest of the file nests too deep to parse: the refusal is then said without a path)."""
    try:
        data = json.loads(text, parse_float=_flagged(_float), parse_int=_flagged(_int),
                          parse_constant=_flagged(_constant), object_pairs_hook=_flag_duplicates)
    except RecursionError:
        return ""
    found = _first(data, lambda v: isinstance(v, _Flag))
    if found is None:
        return ""
    trail, flag = found
    where = _spell(trail[0] if trail and trail[1] == _FLAG else trail)
    return flag.problem if where == "(top)" else f"{where}: {flag.problem}"


def _first(data: Any, wanted: Callable[[Any], bool]) -> tuple[Any, Any] | None:
    """The first value (in document order) `wanted` accepts, with its trail; iterative."""
    stack: list[tuple[Any, Any]] = [(data, None)]
    while stack:
        value, trail = stack.pop()
        if wanted(value):
            return trail, value
        if isinstance(value, dict):
            stack.extend(((v, (trail, str(k))) for k, v in reversed(value.items())))
        elif isinstance(value, list):
            stack.extend(((v, (trail, i)) for i, v in reversed(list(enumerate(value)))))
    return None


def _lone_surrogate(value: Any) -> bool:
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return True
    return isinstance(value, dict) and any(_lone_surrogate(k) for k in value)


def parse_json(raw: bytes, name: str, hint: str = "", first_check: Callable[[Any], None] | None = None) -> Any:
    """Strict JSON: UTF-8; no NaN/Infinity, numbers beyond a double, duplicated keys or lone surrogates
    (Python's reader accepts them all; JSON and Pulumi do not, and a duplicated key can hide a value
    from one reader and not another); bounded nesting. One OfflineError line for anything else,
    naming where. `first_check` sees the parsed value before the (slower) walks."""
    text = decode_text(raw, name, hint)
    try:
        data = json.loads(text, parse_float=_float, parse_int=_int, parse_constant=_constant, object_pairs_hook=_object)
    except json.JSONDecodeError as error:
        raise OfflineError(f"{name} is not valid JSON: {error}") from None
    except _RefusedError as error:
        raise OfflineError(f"{name}: {_locate(text) or error}") from None
    except ValueError as error:  # e.g. an integer beyond the interpreter's digit limit
        raise OfflineError(f"{name} is not valid JSON: {str(error).split(';')[0]}") from None
    except RecursionError:
        raise OfflineError(f"{name}: values nest deeper than {MAX_DEPTH} levels") from None
    if first_check is not None:
        first_check(data)
    where = too_deep(data)
    if where is not None:
        raise OfflineError(f"{name}: {where}: values nest deeper than {MAX_DEPTH} levels")
    # The key's longest run of digits reads the same in any case: more runs than exact keys means a
    # key spelled another way may be there (two counts, no copy of the text).
    if text.count(SIG_KEY[5:19]) != text.count(SIG_KEY):
        found = _first(data, _misspelt_signature_key)
        if found is not None:
            raise OfflineError(f"{name}: {_spell(found[0])}: the special-value key is spelled another way; "
                               f"Pulumi writes {SIG_KEY} (a secret in any other spelling would reach the rules)")
    if _SURROGATE_ESCAPE.search(text):
        found = _first(data, _lone_surrogate)
        if found is not None:
            raise OfflineError(f"{name}: {_spell(found[0])}: a lone UTF-16 surrogate escape (\\ud800-\\udfff) is "
                               "no Unicode character; write the character itself")
    return data


def too_deep(data: Any, limit: int = MAX_DEPTH) -> str | None:
    """The path of the first value nested deeper than `limit` (iterative: no recursion to exhaust;
    the path is spelled only when one is found)."""
    stack: list[tuple[Any, int, Any]] = [(data, 0, None)]  # (value, depth, (parent trail, key) or None)
    while stack:
        value, depth, trail = stack.pop()
        if depth > limit:
            return _spell(trail)
        if isinstance(value, dict):
            stack.extend((v, depth + 1, (trail, str(k))) for k, v in value.items() if isinstance(v, (dict, list)))
        elif isinstance(value, list):
            stack.extend((v, depth + 1, (trail, i)) for i, v in enumerate(value) if isinstance(v, (dict, list)))
    return None


def _spell(trail: Any) -> str:
    keys: list[str | int] = []
    while trail is not None:
        trail, key = trail
        keys.append(key)
    out = ""
    for key in reversed(keys):
        out += f"[{key}]" if isinstance(key, int) else (f".{key}" if out else key)
    return out or "(top)"


MAX_CONFIG_BYTES = 1024 * 1024
"""The most a policy configuration may hold (the shipped ones are under 4 KiB): `/dev/zero` or a
log file named by mistake is refused after 1 MiB, not parsed from 256 MiB."""


PIPE_WAIT = 60.0
"""Seconds a named pipe may stay silent: `<(pulumi stack export)` writes within them, a FIFO nobody
opens for writing would otherwise block the check forever."""


def read_input(path: Path, label: str, max_bytes: int, hint: str = "", wait: float = PIPE_WAIT) -> bytes:
    """`read_user_file`, except that a pipe (a FIFO, process substitution) is read without blocking:
    silent for `wait` seconds, it is one error line, not a hang."""
    try:
        fifo = stat.S_ISFIFO(path.stat().st_mode)
    except OSError:
        fifo = False
    if not fifo:
        return read_user_file(path, label, max_bytes, hint)
    chunks: list[bytes] = []
    size = 0
    descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    try:
        deadline = time.monotonic() + wait
        while True:
            ready, _, _ = select.select([descriptor], [], [], max(deadline - time.monotonic(), 0))
            if not ready:
                raise OfflineError(f"{label}: nothing was written to the pipe within {wait:g} s (a named pipe "
                                   "nobody writes to?)")
            chunk = os.read(descriptor, 1 << 20)
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)
            size += len(chunk)
            if size > max_bytes:
                raise OfflineError(f"{label} is over {max_bytes:,} bytes; at most that many are read{hint}")
    finally:
        os.close(descriptor)


def read_json_object(path: Path, what: str, shape: str, max_bytes: int = MAX_CONFIG_BYTES) -> dict[str, Any]:
    """A JSON object from a file the user named, or one OfflineError line saying what is wrong."""
    data = parse_json(read_input(path, f"{what} {path.name}", max_bytes), f"{what} {path.name}")
    if not isinstance(data, dict):
        raise OfflineError(f"{what} {path.name} must be {shape}")
    return data


def read_state(path: Path, max_resources: int = MAX_RESOURCES) -> dict[str, Any]:
    """A deployment export of at most `max_resources` resources (and `BYTES_PER_RESOURCE` bytes and
    `VALUES_PER_RESOURCE` values each; the bytes are checked before reading), validated."""
    raw = read_input(path, f"state file {path.name}", max_resources * BYTES_PER_RESOURCE,
                     f" (with --max-resources {max_resources:,}); raise --max-resources to read it")
    data = parse_json(raw, path.name, f" (e.g. `pulumi stack export --file {path.name}`)",
                      lambda parsed: within_limit(parsed, max_resources, path.name))
    validate(data, path.name)
    within_value_budget(resources_of(data), max_resources, path.name)
    return data


# --- what a readable export is --------------------------------------------------------------------


def validate(data: Any, name: str = "the export") -> None:
    """Refuse, with one line naming the entry, an export the gate could not judge completely."""
    if not isinstance(data, dict):
        raise OfflineError(f"{name}: the top level is {_kind(data)}; a `pulumi stack export` is an object")
    if "deployment" not in data:
        raise OfflineError(f"{name}: no \"deployment\"; is this a `pulumi stack export`?")
    _go_folded_keys(data, _FOLDED_TOP, "", name)
    version = data.get("version")
    if type(version) is not int or version not in VERSIONS:
        raise OfflineError(f"{name}: checkpoint \"version\" {json.dumps(version)} is not one this gate reads "
                           f"({', '.join(map(str, VERSIONS))})")
    body = data["deployment"]
    if not isinstance(body, dict):
        raise OfflineError(f"{name}: \"deployment\" is {_kind(body)}, not an object")
    _go_folded_keys(body, _FOLDED_DEPLOYMENT, "deployment: ", name)
    resources = body.get("resources")
    if not isinstance(resources, list):
        raise OfflineError(f"{name}: deployment.resources is {'missing' if resources is None else _kind(resources)}; "
                           "it must be the list of resources")
    pending = body.get("pending_operations")
    if pending:
        first = pending[0] if isinstance(pending, list) and isinstance(pending[0], dict) else {}
        urn = first.get("resource", {}).get("urn") if isinstance(first.get("resource"), dict) else None
        what = f" (first: {_short(str(first.get('type')), 40)} {_short(str(urn))})" if urn else ""
        raise OfflineError(f"{name}: deployment.pending_operations: an update was interrupted with operations in "
                           f"flight{what}; its resources may be missing or half-made: run `pulumi refresh` (or "
                           "`pulumi cancel`), then export again")
    seen: dict[str, int] = {}
    folded: dict[str, int] = {}
    roots: list[int] = []
    for index, entry in enumerate(resources):
        where = f"{name}: deployment.resources[{index}]"
        _check_entry(entry, where)
        urn = entry["urn"]
        if urn in seen:
            raise OfflineError(f"{where}: duplicate URN (also deployment.resources[{seen[urn]}]): {_short(urn)}")
        twin = folded.setdefault(_fold(urn), index)
        if twin != index:
            raise OfflineError(f"{where}: URN {_short(urn)} differs from deployment.resources[{twin}]'s only in case, "
                               "white space or compatibility characters; rename one of them")
        seen[urn] = index
        if entry["type"] == STACK_TYPE:
            roots.append(index)
    if not roots:
        raise OfflineError(f"{name}: no {STACK_TYPE} resource; is this a `pulumi stack export`?")
    if len(roots) > 1:
        raise OfflineError(f"{name}: deployment.resources[{roots[1]}]: a second {STACK_TYPE} resource")
    root = resources[roots[0]]["urn"]
    stack, project = urn_stack(root), urn_project(root)
    if not NAME.fullmatch(stack) or not NAME.fullmatch(project):
        raise OfflineError(f"{name}: deployment.resources[{roots[0]}]: stack {_short(stack)} of project {_short(project)} "
                           "is not a Pulumi stack and project name (letters, digits, '_', '.', '-')")
    for index, entry in enumerate(resources):
        where = f"{name}: deployment.resources[{index}]"
        urn = entry["urn"]
        if urn_stack(urn) != stack or urn_project(urn) != project:
            raise OfflineError(f"{where}: the URN belongs to stack {urn_stack(urn)!r} of project {urn_project(urn)!r}, "
                               f"the export is stack {stack!r} of project {project!r}")
        provider = str(entry["provider"]).rsplit("::", 1)[0] if entry.get("provider") else None
        problem = tokens.catalog().problem(entry["type"], bool(entry.get("custom")),
                                           resources[seen[provider]]["type"] if provider in seen else None)
        if problem is not None:
            raise OfflineError(f"{where}: type {_short(entry['type'], 100)} {problem}")
        references = [("parent", entry.get("parent"))]
        if entry.get("provider"):
            references.append(("provider", str(entry["provider"]).rsplit("::", 1)[0]))
        references += [("dependencies", d) for d in entry.get("dependencies") or []]
        for key, urns in (entry.get("propertyDependencies") or {}).items():
            references += [(f"propertyDependencies.{key}", d) for d in urns]
        for field, target in references:
            if target and target not in seen:
                raise OfflineError(f"{where}: {field} {_short(str(target))} is not a resource of this export")
            if target and seen[target] >= index:
                # Pulumi writes a resource after its parent, provider and dependencies; anything else is a
                # cycle or a hand-made order no engine wrote.
                which = "this resource itself" if seen[target] == index else f"deployment.resources[{seen[target]}], after it"
                raise OfflineError(f"{where}: {field} {_short(str(target))} is {which}; "
                                   "a resource must come after its parent, provider and dependencies")


TOP_KEYS = frozenset({"version", "deployment"})
DEPLOYMENT_KEYS = frozenset({"manifest", "secrets_providers", "resources", "pending_operations", "metadata"})
"""The keys Pulumi's checkpoint reader knows at the top level and in `deployment` (UntypedDeployment, DeploymentV3)."""
_FOLDED_TOP = {k.casefold(): k for k in TOP_KEYS}
_FOLDED_DEPLOYMENT = {k.casefold(): k for k in DEPLOYMENT_KEYS}


def _go_folded_keys(value: dict[str, Any], known: Mapping[str, str], prefix: str, name: str) -> None:
    """Pulumi reads an export with Go's JSON decoder, which matches keys to fields ignoring case (with
    Unicode folding: U+017F is "s") and lets the last match win. A key that is one of `known` in another
    case is therefore what Pulumi reads (a second "Resources" list replaces "resources"), while this
    gate would read the exact key: refused, so both read the same resources."""
    for key in value:
        meant = known.get(key.casefold())
        if meant is not None and meant != key:
            raise OfflineError(f"{name}: {prefix}key {_short(key, 60)} is {json.dumps(meant)} to Pulumi (its JSON "
                               "reader ignores case and takes the last match), not to this gate; write the key once, "
                               f"as {json.dumps(meant)}")


SIG_KEY = SECRET_SIG_KEY
ASSET_SIG, ARCHIVE_SIG = "c44067f5952c0a294b673a41bacd8c17", "0def7320c3a5731c473e5ecbe6d01bc7"
RESOURCE_SIG, OUTPUT_SIG = "5cf8f73096256a8f31e491e813e4eb8e", "d0e6a833031e9bbcd3f4e8bde6ca49a4"
SIGNATURES = {SECRET_SIG: "secret", ASSET_SIG: "asset", ARCHIVE_SIG: "archive", RESOURCE_SIG: "resource reference",
              OUTPUT_SIG: "output value"}
"""Pulumi's special-value signatures (the value of `SIG_KEY`): any other makes the policy SDK refuse
the whole resource, so every rule would crash on it."""
_ENVELOPE = ("ciphertext", "plaintext", "value")
_SHAPES: dict[str, tuple[tuple[str, ...], dict[str, tuple[type, ...]]]] = {
    # kind: (payload keys, exactly one present; every key allowed besides the signature, with its JSON types)
    "asset": (("path", "text", "uri"), {"path": (str,), "text": (str,), "uri": (str,), "hash": (str,)}),
    "archive": (("assets", "path", "uri"), {"assets": (dict,), "path": (str,), "uri": (str,), "hash": (str,)}),
    "resource reference": (("urn",), {"urn": (str,), "id": (str,), "packageVersion": (str,)}),
    "output value": ((), {"value": (object,), "secret": (bool,), "dependencies": (list,)}),
}
"""What Pulumi writes in each special value but a secret (the policy SDK raises on anything less)."""


def special_value_problem(value: dict[str, Any]) -> str | None:
    """Why an object holding the special-value key is malformed: an unknown signature, a secret with
    no or several payloads, an asset or archive without exactly one of its payloads, a key Pulumi
    does not write."""
    kind = SIGNATURES.get(value[SIG_KEY]) if isinstance(value[SIG_KEY], str) else None
    if kind is None:
        return f"unknown special-value signature {_short(str(value[SIG_KEY]), 60)} (Pulumi's: {', '.join(SIGNATURES)})"
    if kind == "secret":
        payloads = [k for k in _ENVELOPE if k in value]
        if len(payloads) != 1 or set(value) - {SIG_KEY, *_ENVELOPE}:
            return ("a secret envelope must hold exactly one of ciphertext, plaintext or value "
                    f"(it has {', '.join(sorted(k for k in value if k != SIG_KEY)) or 'none'})")
        if payloads[0] != "value" and not isinstance(value[payloads[0]], str):
            return f"a secret's {payloads[0]} is {_kind(value[payloads[0]])}, not a string"
        return None
    needed, allowed = _SHAPES[kind]
    extra = sorted(k for k in value if k != SIG_KEY and k not in allowed)
    present = [k for k in needed if k in value]
    if extra or (needed and len(present) != 1):
        return (f"{'an' if kind[0] in 'aeiou' else 'a'} {kind} holds {', '.join(allowed)}"
                f"{' (exactly one of ' + ', '.join(needed) + ')' if len(needed) > 1 else ''}; "
                f"it has {', '.join(sorted(k for k in value if k != SIG_KEY)) or 'none'}")
    for key, types in allowed.items():
        if key in value and not isinstance(value[key], types):
            return f"{'an' if kind[0] in 'aeiou' else 'a'} {kind}'s {key} is {_kind(value[key])}"
    if kind == "archive" and "assets" in value:
        for name, item in value["assets"].items():
            if not isinstance(item, dict) or item.get(SIG_KEY) not in (ASSET_SIG, ARCHIVE_SIG):
                return f"an archive's asset {_short(str(name), 60)} is {_kind(item)}, not an asset or archive"
    if kind == "output value" and not all(isinstance(d, str) for d in value.get("dependencies", ())):
        return "an output value's dependencies must be URNs"
    return None


def as_sent(value: dict[str, Any]) -> Any:
    """A special value as the engine hands it to an analyzer, which keeps secrets, assets and archives
    but neither output values nor resource references: an output value becomes its value (unknown
    when it has none), a secret one a secret envelope around it; a reference becomes the resource's
    id, or its URN when it has none."""
    signature = value.get(SIG_KEY)
    kind = SIGNATURES.get(signature) if isinstance(signature, str) else None
    if kind == "output value":
        inner = value.get("value", UNKNOWN)
        return {SIG_KEY: SECRET_SIG, "value": inner} if value.get("secret") else inner
    if kind == "resource reference":
        return value.get("id") or value["urn"]
    return value


def _misspelt_signature_key(value: Any) -> bool:
    return isinstance(value, dict) and any(len(k) == len(SIG_KEY) and k != SIG_KEY and k.casefold() == SIG_KEY
                                           for k in value)


def _path(trail: Any) -> str:
    spelled = _spell(trail)
    return "" if spelled == "(top)" else ("" if spelled.startswith("[") else ".") + spelled


def _fold(urn: str) -> str:
    """A URN as a reader skimming it sees it: compatibility forms, case and white space (and the
    invisible format characters) erased."""
    if urn.isascii():
        return "".join(urn.lower().split())
    text = unicodedata.normalize("NFKC", urn).casefold()
    return "".join(c for c in text if not c.isspace() and unicodedata.category(c) != "Cf")


def _short(text: str, limit: int = 160) -> str:
    text = json.dumps(text)
    return text if len(text) <= limit else text[:limit] + "...\""


def _check_entry(entry: Any, where: str) -> None:
    if not isinstance(entry, dict):
        raise OfflineError(f"{where}: is {_kind(entry)}, not a resource object")
    for key in ("urn", "type"):
        if key not in entry:
            near = difflib.get_close_matches(key, [str(k) for k in entry], n=1, cutoff=0.6)
            hint = f" (it has {json.dumps(near[0])}; the key is {json.dumps(key)})" if near else ""
            raise OfflineError(f"{where}: missing \"{key}\"{hint}")
    for key in entry:
        if key not in RESOURCE_KEYS:
            meant = _meant(key)
            if meant is not None:
                raise OfflineError(f"{where}: unknown key {_short(key, 60)}; Pulumi writes {json.dumps(meant)}, and a "
                                   "misspelt key would leave what it holds unjudged")
    for key, expected in _FIELDS.items():
        if key in entry and entry[key] is not None and not isinstance(entry[key], expected):
            raise OfflineError(f"{where}: \"{key}\" is {_kind(entry[key])}, not {_JSON_NAMES[expected]}")
    for bag in ("inputs", "outputs"):
        if isinstance(entry.get(bag), dict) and SIG_KEY in entry[bag]:
            kind = SIGNATURES.get(entry[bag][SIG_KEY]) if isinstance(entry[bag][SIG_KEY], str) else None
            raise OfflineError(f"{where}: \"{bag}\" is a special value ({kind or 'unknown'}), not a property map "
                               "(Pulumi makes each property a secret, never the whole map; no rule could see into it)")
    urn, type_ = entry["urn"], entry["type"]
    parts = urn.split("::", 3)  # a name may itself contain "::"
    if not urn.startswith("urn:pulumi:") or len(parts) < 4:
        raise OfflineError(f"{where}: \"urn\" {_short(urn)} is not a Pulumi URN (urn:pulumi:<stack>::<project>::<type>::<name>)")
    qualified = parts[2]
    if qualified.rsplit("$", 1)[-1] != type_:
        raise OfflineError(f"{where}: \"type\" {_short(type_)} is not the type its URN names ({_short(qualified)})")
    if entry.get("delete"):
        raise OfflineError(f"{where}: a resource pending deletion (\"delete\": true); finish the update or run "
                           "`pulumi refresh`, then export again")
    if entry.get("pendingReplacement"):
        raise OfflineError(f"{where}: a resource deleted and pending replacement (\"pendingReplacement\": true); "
                           "finish the update, then export again")
    for key in ("dependencies", "additionalSecretOutputs", "ignoreChanges"):
        for item in entry.get(key) or []:
            if not isinstance(item, str):
                raise OfflineError(f"{where}: \"{key}\" holds {_kind(item)}; it must list strings")
    for key, urns in (entry.get("propertyDependencies") or {}).items():
        if not isinstance(urns, list) or not all(isinstance(u, str) for u in urns):
            raise OfflineError(f"{where}: propertyDependencies.{key} must be a list of URNs")


def within_limit(data: Any, limit: int, name: str = "the export") -> None:
    """Refuse, before any other work, an export with more resources than the caller allowed (one of
    another shape is left to `validate`)."""
    body = data.get("deployment") if isinstance(data, dict) else None
    resources = body.get("resources") if isinstance(body, dict) else None
    count = len(resources) if isinstance(resources, list) else 0
    if count > limit:
        raise OfflineError(f"{name} has {count:,} resources; one check judges at most {limit:,} "
                           "(raise it with --max-resources N; the time grows linearly, see docs/benchmarks.md)")


def within_value_budget(resources: list[Any], max_resources: int, name: str = "the export") -> None:
    """Refuse an export holding more property values than `max_resources` resources are allowed (the
    count stops as soon as it is over: linear in the allowance, not in the file)."""
    budget = max_resources * VALUES_PER_RESOURCE
    count, stack = 0, list(resources)
    while stack:
        value = stack.pop()
        count += 1
        if count > budget:
            raise OfflineError(f"{name} holds more than {budget:,} property values ({VALUES_PER_RESOURCE} a resource "
                               f"with --max-resources {max_resources:,}); raise --max-resources to judge it "
                               "(the time grows linearly, see docs/benchmarks.md)")
        if isinstance(value, dict):
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
