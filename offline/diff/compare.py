"""What `pulumi preview` would plan between two runs of the program: create, delete, update, replace.

Resources are matched by URN; an update is a difference in inputs (the provider diffs inputs
against the last inputs it stored). Whether an update becomes a replacement comes from a small table
of the properties each provider replaces on (`REPLACE_ON`), taken from the providers' own rules.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal, TextIO

from offline.diff.stateful_types import is_stateful
from offline.runner.export import unwrap
from offline.runner.mocks import Registration
from offline.runner.program import ProgramResult

ChangeKind = Literal["create", "delete", "update", "replace"]

_METADATA_IDENTITY = ("metadata.name", "metadata.namespace")
_SELECTOR = ("spec.selector",)

REPLACE_ON: dict[str, tuple[str, ...]] = {
    # pulumi-kubernetes: metadata.name/namespace for every kind, plus per-kind immutable fields.
    "kubernetes:apps/v1:Deployment": _SELECTOR,
    "kubernetes:apps/v1:DaemonSet": _SELECTOR,
    "kubernetes:apps/v1:StatefulSet": (
        "spec.selector", "spec.serviceName", "spec.volumeClaimTemplates", "spec.podManagementPolicy",
        "spec.revisionHistoryLimit",
    ),
    "kubernetes:batch/v1:Job": ("spec.selector", "spec.template", "spec.completions", "spec.parallelism"),
    # ConfigMaps and Secrets are immutable to the provider unless enableConfigMapMutable /
    # enableSecretMutable is set: a data change is a replacement (which also rolls their consumers).
    "kubernetes:core/v1:ConfigMap": ("data", "binaryData"),
    "kubernetes:core/v1:Secret": ("type", "data", "stringData"),
    "kubernetes:core/v1:Service": ("spec.clusterIP",),
    "kubernetes:core/v1:PersistentVolumeClaim": (
        "spec.accessModes", "spec.selector", "spec.storageClassName", "spec.volumeName",
    ),
    "kubernetes:core/v1:PersistentVolume": ("spec.csi", "spec.hostPath", "spec.local", "spec.nfs"),
    "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding": ("roleRef",),
    "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding": ("roleRef",),
    "kubernetes:storage.k8s.io/v1:StorageClass": ("parameters", "provisioner"),
    # AWS (ForceNew arguments of the underlying resources).
    "aws:rds/instance:Instance": (
        "identifier", "identifierPrefix", "engine", "kmsKeyId", "storageEncrypted", "username", "dbName",
        "availabilityZone", "characterSetName",
    ),
    "aws:elasticache/replicationGroup:ReplicationGroup": (
        "replicationGroupId", "atRestEncryptionEnabled", "kmsKeyId", "subnetGroupName",
    ),
    "aws:kms/key:Key": ("customerMasterKeySpec", "keySpec", "keyUsage", "multiRegion"),
    "aws:secretsmanager/secret:Secret": ("name", "namePrefix"),
    "aws:eks/cluster:Cluster": ("name", "roleArn"),
    # Azure: the resource's name and placement are part of its id.
    "azure-native:dbforpostgresql:Server": ("serverName",),
    "azure-native:redisenterprise:RedisEnterprise": ("clusterName",),
    "azure-native:keyvault:Vault": ("vaultName",),
    "azure-native:keyvault:Secret": ("vaultName", "secretName"),
}
ALL_INPUTS_REPLACE = ("random:", "tls:")
"""pulumi-random and pulumi-tls replace on any input change (every argument is ForceNew)."""
AZURE_PLACEMENT = ("resourceGroupName", "location")


def replace_paths(type_: str) -> tuple[str, ...]:
    paths = REPLACE_ON.get(type_, ())
    if type_.startswith("kubernetes:"):
        paths = _METADATA_IDENTITY + paths
    elif type_.startswith("azure-native:"):
        paths = AZURE_PLACEMENT + paths
    return paths


@dataclass(frozen=True)
class Change:
    urn: str
    type: str
    kind: ChangeKind
    stateful: bool
    changed_keys: list[str] = field(default_factory=list)
    """Dotted paths of the inputs that differ (`spec.selector.matchLabels.slot`, `ports[0].port`)."""

    @property
    def name(self) -> str:
        return self.urn.rsplit("::", 1)[-1]


@dataclass
class StackDiff:
    before: str
    after: str
    changes: list[Change]

    @property
    def stateful_changes(self) -> list[Change]:
        return [c for c in self.changes if c.stateful]

    def of_kind(self, kind: ChangeKind) -> list[Change]:
        return [c for c in self.changes if c.kind == kind]

    def by_urn(self) -> dict[str, Change]:
        return {c.urn: c for c in self.changes}

    @property
    def empty(self) -> bool:
        return not self.changes


def changed_paths(before: Any, after: Any, prefix: str = "") -> list[str]:
    """Leaf paths where two wire-form values differ (a whole list when its length differs)."""
    if isinstance(before, dict) and isinstance(after, dict):
        paths: list[str] = []
        for key in sorted(set(before) | set(after)):
            path = _join(prefix, key)
            if key not in before or key not in after:
                paths.append(path)
            else:
                paths.extend(changed_paths(before[key], after[key], path))
        return paths
    if isinstance(before, list) and isinstance(after, list) and len(before) == len(after):
        paths = []
        for index, (old, new) in enumerate(zip(before, after, strict=True)):
            paths.extend(changed_paths(old, new, f"{prefix}[{index}]"))
        return paths
    return [] if before == after else [prefix or "."]


_PLAIN_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")
_INDEX = re.compile(r"\[\d+\]")


def _join(prefix: str, key: str) -> str:
    """Pulumi's property path syntax: `a.b`, and `a["app.kubernetes.io/name"]` for keys with dots."""
    if _PLAIN_KEY.match(key):
        return f"{prefix}.{key}" if prefix else key
    return f'{prefix}["{key}"]'


def _under(path: str, prefix: str) -> bool:
    """`spec.selector.matchLabels.slot` is under `spec.selector`; list indexes are ignored."""
    bare = _INDEX.sub("", path)
    return bare == prefix or bare.startswith((prefix + ".", prefix + "[")) or prefix.startswith(bare + ".")


def forces_replacement(type_: str, paths: Iterable[str]) -> bool:
    changed = list(paths)
    if type_.startswith(ALL_INPUTS_REPLACE):
        return bool(changed)
    return any(_under(path, prefix) for path in changed for prefix in replace_paths(type_))


def _custom(result: ProgramResult) -> dict[str, Registration]:
    # Components have no provider state; only custom resources (incl. providers) are planned.
    return {r.urn: r for r in result.resources if r.custom}


def diff_programs(before: ProgramResult, after: ProgramResult) -> StackDiff:
    old, new = _custom(before), _custom(after)
    changes: list[Change] = []
    for urn, record in new.items():
        if urn not in old:
            changes.append(Change(urn=urn, type=record.type, kind="create", stateful=is_stateful(record)))
            continue
        paths = changed_paths(unwrap(old[urn].inputs), unwrap(record.inputs))
        if paths:
            kind: ChangeKind = "replace" if forces_replacement(record.type, paths) else "update"
            stateful = is_stateful(record) or is_stateful(old[urn])
            changes.append(Change(urn=urn, type=record.type, kind=kind, stateful=stateful, changed_keys=paths))
    for urn, record in old.items():
        if urn not in new:
            changes.append(Change(urn=urn, type=record.type, kind="delete", stateful=is_stateful(record)))
    return StackDiff(before=before.stack, after=after.stack, changes=changes)


_SYMBOL = {"create": "+", "delete": "-", "update": "~", "replace": "+-"}


def print_diff(diff: StackDiff, overrides: list[str], out: TextIO) -> None:
    title = ", ".join(overrides) if overrides else "no overrides"
    out.write(f"Diff of {diff.after} with {title} (offline, mocks):\n")
    if diff.empty:
        out.write("  no changes\n")
    for change in diff.changes:
        mark = "  STATEFUL" if change.stateful else ""
        keys = f"  [{', '.join(change.changed_keys)}]" if change.changed_keys else ""
        out.write(f"  {_SYMBOL[change.kind]:>2} {change.kind:<8} {change.type}  {change.name}{mark}{keys}\n")
    counts = ", ".join(f"{len(diff.of_kind(k))} to {k}" for k in ("create", "update", "replace", "delete") if diff.of_kind(k))
    out.write(f"\n{counts or 'nothing to do'}.\n")
    if diff.stateful_changes:
        names = ", ".join(c.name for c in diff.stateful_changes)
        out.write(f"REFUSED: {len(diff.stateful_changes)} stateful resource(s) would change: {names}\n")
    else:
        out.write("No stateful resource (database, cache, volume, secret, key, namespace) changes.\n")
