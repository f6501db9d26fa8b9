"""Every Kubernetes object the program declares as a manifest, plus the artifacts real tools check.

Objects are rebuilt from their inputs (apiVersion, kind, metadata, spec, data...) as the provider
would send them to the API server; a name the program leaves to auto-naming takes the provider's
(mocked) auto-name, a namespaced object without a namespace lands in `default`, as it would. Secret
values never reach the disk: they are replaced by a placeholder of the right shape.

Layout of the output directory:
    manifests/<namespace or _cluster>/<kind>-<name>.yaml   one object per file
    index.yaml                                             path, apiVersion, kind, name, namespace, urn
    haproxy/<configmap>.cfg (and haproxy/haproxy.cfg)      from ConfigMaps holding `haproxy.cfg`
    prometheus/<namespace>-<name>.rules.yaml               rule groups of PrometheusRule objects
    grafana/<key>.json                                     dashboards from ConfigMaps (`*.json` keys)
    helm/<namespace>-<name>.values.yaml                    values of helm.sh/v3 Releases
"""

from __future__ import annotations

import base64
import json
import shutil
from pathlib import Path
from typing import Any

import yaml

from offline.runner.export import is_secret
from offline.runner.mocks import Registration
from offline.runner.mocks.kubernetes import CLUSTER_SCOPED_KINDS
from offline.runner.program import ProgramResult
from offline.wire import UNKNOWN

RenderedFile = tuple[str, Any]
"""(relative path, a mapping written as YAML, or text written as is)."""

NOT_OBJECTS = frozenset({
    # Pulumi constructs, not API objects: their content is rendered as artifacts where useful.
    "kubernetes:helm.sh/v3:Release",
    "kubernetes:helm.sh/v4:Chart",
    "kubernetes:yaml/v2:ConfigFile",
    "kubernetes:yaml/v2:ConfigGroup",
    "kubernetes:kustomize/v2:Directory",
})
SERVER_SET_METADATA = frozenset({"uid", "resourceVersion", "creationTimestamp", "generation", "managedFields"})
REDACTED = "redacted-by-offline-render"
REDACTED_B64 = base64.b64encode(REDACTED.encode()).decode()
HAPROXY_KEY = "haproxy.cfg"


def is_kubernetes_object(record: Registration) -> bool:
    return record.custom and record.type.startswith("kubernetes:") and record.type not in NOT_OBJECTS


def _redacted(value: Any, base64_secrets: bool) -> Any:
    """A secret's shape with every string replaced, so the object stays schema-valid."""
    if isinstance(value, dict):
        return {k: _redacted(v, base64_secrets) for k, v in value.items()}
    if isinstance(value, list):
        return [_redacted(v, base64_secrets) for v in value]
    if isinstance(value, str):
        return REDACTED_B64 if base64_secrets else REDACTED
    return _plain(value)


def _plain(value: Any, *, base64_secrets: bool = False) -> Any:
    if is_secret(value):
        return _redacted(value.get("value", value.get("plaintext", "")), base64_secrets)
    if isinstance(value, dict):
        return {k: _plain(v, base64_secrets=base64_secrets) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v, base64_secrets=base64_secrets) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def manifest(record: Registration) -> dict[str, Any]:
    """The object the provider would apply, from the resource's inputs."""
    inputs = dict(record.inputs)
    kind = str(inputs.get("kind") or record.type.rsplit(":", 1)[-1])
    obj: dict[str, Any] = {}
    for key, value in inputs.items():
        # Secret `data` is base64 in the API: keep the placeholder valid base64.
        obj[key] = _plain(value, base64_secrets=(kind == "Secret" and key == "data"))
    obj.setdefault("apiVersion", _api_version(record.type))
    obj.setdefault("kind", kind)
    metadata = {k: v for k, v in dict(obj.get("metadata") or {}).items() if k not in SERVER_SET_METADATA}
    computed = dict(record.outputs.get("metadata") or {})
    if not metadata.get("name"):
        metadata["name"] = computed.get("name")
    if kind not in CLUSTER_SCOPED_KINDS and not metadata.get("namespace"):
        metadata["namespace"] = computed.get("namespace", "default")
    obj["metadata"] = metadata
    return _ordered(obj)


def _api_version(type_: str) -> str:
    # kubernetes:apps/v1:Deployment -> apps/v1; kubernetes:core/v1:Service -> v1
    group_version = type_.split(":")[1]
    return group_version.removeprefix("core/")


def _ordered(obj: dict[str, Any]) -> dict[str, Any]:
    head = ["apiVersion", "kind", "metadata"]
    return {**{k: obj[k] for k in head if k in obj}, **{k: v for k, v in obj.items() if k not in head}}


def _contains_unknown(value: Any) -> bool:
    if isinstance(value, dict):
        return any(_contains_unknown(v) for v in value.values())
    if isinstance(value, list):
        return any(_contains_unknown(v) for v in value)
    return value == UNKNOWN


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "-" for c in text).strip("-") or "unnamed"


def render_manifests(result: ProgramResult) -> list[RenderedFile]:
    """Files to write, in registration order; the index last."""
    files: list[RenderedFile] = []
    index: list[dict[str, Any]] = []
    haproxy: list[tuple[str, str]] = []
    seen: set[str] = set()
    for record in result.resources:
        if not record.custom or not record.type.startswith("kubernetes:"):
            continue
        if record.type == "kubernetes:helm.sh/v3:Release":
            files.append(_helm_values(record))
            continue
        if not is_kubernetes_object(record):
            continue
        obj = manifest(record)
        meta = obj["metadata"]
        folder = meta.get("namespace") or "_cluster"
        path = f"manifests/{_slug(folder)}/{_slug(obj['kind'].lower())}-{_slug(str(meta['name']))}.yaml"
        if path in seen:
            # Same kind and name in two API groups (e.g. a CRD kind named like a core kind).
            path = path.replace(".yaml", f"-{_slug(obj['apiVersion'].split('/')[0])}.yaml")
        seen.add(path)
        files.append((path, obj))
        index.append({
            "path": path, "apiVersion": obj["apiVersion"], "kind": obj["kind"], "name": meta["name"],
            "namespace": meta.get("namespace"), "urn": record.urn, "unknowns": _contains_unknown(obj),
        })
        files.extend(_artifacts(obj, haproxy))
    if len(haproxy) == 1:
        # The single HAProxy config also under its canonical name, for `haproxy -c -f`.
        files.append((f"haproxy/{HAPROXY_KEY}", haproxy[0][1]))
    files.append(("index.yaml", {"stack": result.stack, "objects": index}))
    return files


def _artifacts(obj: dict[str, Any], haproxy: list[tuple[str, str]]) -> list[RenderedFile]:
    kind, meta = obj["kind"], obj["metadata"]
    name, namespace = str(meta["name"]), str(meta.get("namespace") or "_cluster")
    out: list[RenderedFile] = []
    if kind == "ConfigMap":
        data = obj.get("data") or {}
        if isinstance(data.get(HAPROXY_KEY), str):
            haproxy.append((name, data[HAPROXY_KEY]))
            out.append((f"haproxy/{_slug(name)}.cfg", data[HAPROXY_KEY]))
        for key, value in sorted(data.items()):
            if key.endswith(".json") and isinstance(value, str):
                out.append((f"grafana/{_slug(key)}", value))
    elif kind == "PrometheusRule" and isinstance(obj.get("spec"), dict):
        out.append((f"prometheus/{_slug(namespace)}-{_slug(name)}.rules.yaml", {"groups": obj["spec"].get("groups", [])}))
    return out


def _helm_values(record: Registration) -> RenderedFile:
    inputs = record.inputs
    values = inputs.get("values") or {}
    name = inputs.get("name") or record.name
    namespace = inputs.get("namespace") or "default"
    return (f"helm/{_slug(str(namespace))}-{_slug(str(name))}.values.yaml", _plain(values))


OWNED = ("manifests", "haproxy", "prometheus", "grafana", "helm", "index.yaml")
"""What a render writes into its output directory (and clears first, so no stale object survives)."""


def clear_rendered(out_dir: Path) -> None:
    for entry in OWNED:
        target = out_dir / entry
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()


def write_rendered(files: list[RenderedFile], out_dir: Path) -> list[Path]:
    written: list[Path] = []
    for relative, content in files:
        target = out_dir / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, str):
            text = content if content.endswith("\n") else content + "\n"
        elif relative.endswith(".json"):
            text = json.dumps(content, indent=2) + "\n"
        else:
            text = yaml.safe_dump(content, sort_keys=False, default_flow_style=False, width=120)
        target.write_text(text, encoding="utf-8")
        written.append(target)
    return written
