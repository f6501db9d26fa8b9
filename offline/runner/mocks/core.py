"""The mock runtime's provider emulation and a monitor that records what the program declared."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
from google.protobuf import json_format, struct_pb2
from pulumi.output import Unknown
from pulumi.runtime import settings
from pulumi.runtime.mocks import MockCallArgs, MockMonitor, MockResourceArgs

from offline.wire import SECRET_SIG, SECRET_SIG_KEY, UNKNOWN

Props = dict[str, Any]


@dataclass(frozen=True)
class ResourceCall:
    """What a provider sees when asked to create a resource."""

    type: str
    name: str
    inputs: Props
    """Inputs as the SDK deserialized them (secrets as envelopes); in a preview, an input that is
    not known yet is the unknown sentinel string."""
    id: str
    """The id this emulation assigns (stable for a given type and name)."""
    custom: bool


ResourceHandler = Callable[[ResourceCall], Props]
"""Returns the provider's output state (inputs echoed, plus what the provider computes). Two
reserved keys: `__id`, the resource's id; `__planned`, the keys a preview already knows because the
provider's schema defaults them (not computed by the service)."""
PLANNED = "__planned"
CallHandler = Callable[[Props], Props]


def _no_checked_paths(_call: ResourceCall) -> tuple[str, ...]:
    return ()


@dataclass(frozen=True)
class PreviewModel:
    """How a provider answers a create during `pulumi preview`, when nothing exists yet: what it
    already knows (the checked inputs) stays known, what it would compute at create is unknown."""

    checked: Callable[[ResourceCall], tuple[str, ...]] = _no_checked_paths
    """Dotted paths the provider's Check fills in (auto-names): known in the preview, as in the state."""
    echo_only: bool = False
    """True: the provider answers with the checked inputs alone and nothing else (pulumi-kubernetes
    while its cluster is not reachable, as on a first deploy); the SDK resolves every other output as
    unknown. False: it plans every attribute (tfbridge providers, azure-native), so whatever it would
    compute, at any depth (an id, an endpoint nested in an input block), comes back unknown."""


class MissingMockError(Exception):
    """The program invoked a function no mock emulates: add it to the package's mock module."""


def stable_hex(*parts: str, length: int = 7) -> str:
    """Deterministic stand-in for the engine's random suffixes, so two runs export alike."""
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:length]


def autoname(type_: str, name: str, length: int = 7) -> str:
    """Pulumi's auto-naming: `<logical name>-<random hex>`."""
    return f"{name}-{stable_hex(type_, name, length=length)}"


def _package(type_: str) -> str:
    return type_.split(":", 1)[0]


@dataclass(frozen=True)
class Registry:
    """One provider package's emulation: handlers per resource type, per package, per invoke."""

    resources: Mapping[str, ResourceHandler]
    package_defaults: Mapping[str, ResourceHandler]
    calls: Mapping[str, CallHandler]
    previews: Mapping[str, PreviewModel]


REGISTRIES: list[Registry] = []
"""Filled by `offline.runner.mocks` from its per-package modules (which import this one, not the reverse)."""


class ProviderMocks(pulumi.runtime.Mocks):
    """Dispatches to the per-package emulations in offline.runner.mocks.<package>."""

    def __init__(self) -> None:
        self._resources: dict[str, ResourceHandler] = {}
        self._packages: dict[str, ResourceHandler] = {}
        self._calls: dict[str, CallHandler] = {}
        self._previews: dict[str, PreviewModel] = {}
        for registry in REGISTRIES:
            self._resources.update(registry.resources)
            self._packages.update(registry.package_defaults)
            self._calls.update(registry.calls)
            self._previews.update(registry.previews)

    def new_resource(self, args: MockResourceArgs) -> tuple[str | None, dict[Any, Any]]:
        if not args.custom:
            # Remote components (e.g. helm.v4.Chart) register as non-custom resources: the
            # engine would construct their children; the mock runtime cannot.
            return None, dict(args.inputs)
        resource_id = args.resource_id or f"{args.name}-{stable_hex(args.typ, args.name, length=8)}"
        creating = settings.is_dry_run() and not args.resource_id
        # In a preview, inputs that depend on unknown outputs arrive as the SDK's Unknown: the
        # handler sees the sentinel string in their place (whatever it derives from one is computed).
        inputs = _placeholders(dict(args.inputs)) if creating else dict(args.inputs)
        call = ResourceCall(type=args.typ, name=args.name, inputs=inputs, id=resource_id, custom=True)
        handler = self._resources.get(args.typ) or self._packages.get(_package(args.typ)) or _echo
        state = handler(call)
        state_id = str(state.pop("__id", resource_id))
        defaults = tuple(state.pop(PLANNED, ()))
        if not creating:
            return state_id, state
        # Nothing exists yet: no id, and only what the provider knows before it creates anything.
        model = self._previews.get(_package(args.typ), PreviewModel())
        return "", planned(dict(args.inputs), state, model, call, defaults)

    def known_in_preview(self, call: ResourceCall) -> tuple[str, ...]:
        """Output paths a preview knows beyond the declared inputs: what Check fills in, what the
        schema defaults."""
        handler = self._resources.get(call.type) or self._packages.get(_package(call.type)) or _echo
        model = self._previews.get(_package(call.type), PreviewModel())
        return (*model.checked(call), *handler(call).get(PLANNED, ()))

    def call(self, args: MockCallArgs) -> dict[Any, Any]:  # type: ignore[override]  # the SDK also accepts a bare dict
        handler = self._calls.get(args.token)
        if handler is None:
            module = f"offline/runner/mocks/{_package(args.token)}.py"
            raise MissingMockError(f"no mock emulates the invoke {args.token}; add it to {module}")
        return handler(dict(args.args))


def _echo(call: ResourceCall) -> Props:
    return dict(call.inputs)


def _placeholders(value: Any) -> Any:
    if isinstance(value, Unknown):
        return UNKNOWN
    if isinstance(value, dict):
        return {k: _placeholders(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_placeholders(v) for v in value]
    return value


def planned(inputs: Props, state: Props, model: PreviewModel, call: ResourceCall, defaults: tuple[str, ...] = ()) -> Props:
    """A create's outputs in a preview: the declared inputs, the paths Check fills in, the schema's
    `defaults`, and the sentinel for everything else the provider would return (per `model`)."""
    if model.echo_only:
        out: Props = dict(inputs)
    else:
        out = {key: _plan(inputs[key], value) if key in inputs else UNKNOWN for key, value in state.items()}
        out.update({key: value for key, value in inputs.items() if key not in out})
    for path in (*model.checked(call), *defaults):
        *parents, leaf = path.split(".")
        source: Any = state
        for part in parents:
            source = source.get(part) if isinstance(source, dict) else None
        if not isinstance(source, dict) or leaf not in source:
            continue
        target = out
        for part in parents:
            nested = target.get(part)
            target[part] = nested = dict(nested) if isinstance(nested, dict) else {}
            target = nested
        target[leaf] = source[leaf]
    return out


def _plan(declared: Any, computed: Any) -> Any:
    """One property as planned: declared values echoed, computed additions (at any depth) unknown;
    a value whose shape the provider changes (a list answered as a map) is computed as a whole."""
    if isinstance(declared, Unknown):
        return declared
    if isinstance(declared, dict) and isinstance(computed, dict):
        out = {k: _plan(declared[k], v) if k in declared else UNKNOWN for k, v in computed.items()}
        out.update({k: v for k, v in declared.items() if k not in out})
        return out
    if isinstance(declared, list) and isinstance(computed, list):
        if len(declared) != len(computed):
            return UNKNOWN
        return [_plan(d, c) for d, c in zip(declared, computed, strict=True)]
    if isinstance(declared, (dict, list)) or isinstance(computed, (dict, list)):
        return UNKNOWN
    return declared


@dataclass
class Registration:
    """One RegisterResource request, as the engine would record it in the deployment."""

    urn: str
    type: str
    name: str
    custom: bool
    parent: str
    inputs: Props
    """Wire form: secrets stay envelopes, unknowns the sentinel string."""
    outputs: Props = field(default_factory=dict)
    id: str = ""
    provider: str = ""
    dependencies: list[str] = field(default_factory=list)
    property_dependencies: dict[str, list[str]] = field(default_factory=dict)
    protect: bool = False
    retain_on_delete: bool = False
    delete_before_replace: bool = False
    ignore_changes: list[str] = field(default_factory=list)
    additional_secret_outputs: list[str] = field(default_factory=list)
    remote: bool = False


def _wire(struct: Any) -> Props:
    return dict(json_format.MessageToDict(struct)) if struct is not None else {}


STACK_TYPE = "pulumi:pulumi:Stack"


def normalize_urn(urn: str) -> str:
    """URNs made by the SDK's own mock chain the root stack's type into children's; the engine does not."""
    return urn.replace(f"::{STACK_TYPE}$", "::")




def _is_secret_value(value: struct_pb2.Value) -> bool:
    fields = value.struct_value.fields if value.HasField("struct_value") else {}
    return SECRET_SIG_KEY in fields and fields[SECRET_SIG_KEY].string_value == SECRET_SIG


def _mark_secret_outputs(request: Any, response: Any) -> None:
    """What the engine does and the SDK's MockMonitor does not: outputs named in
    additionalSecretOutputs (e.g. RandomPassword.result), and outputs whose same-named input was
    secret, come back as secrets."""
    secret_keys = set(request.additionalSecretOutputs)
    secret_keys.update(key for key, value in request.object.fields.items() if _is_secret_value(value))
    for key in secret_keys:
        if key not in response.object.fields or _is_secret_value(response.object.fields[key]):
            continue
        inner = struct_pb2.Value()
        inner.CopyFrom(response.object.fields[key])
        envelope = struct_pb2.Struct()
        envelope.fields[SECRET_SIG_KEY].string_value = SECRET_SIG
        envelope.fields["value"].CopyFrom(inner)
        response.object.fields[key].struct_value.CopyFrom(envelope)


class RecordingMonitor(MockMonitor):
    """A MockMonitor that keeps every registration with its parent, dependencies and options."""

    def __init__(self, mocks: pulumi.runtime.Mocks) -> None:
        super().__init__(mocks)
        self.registrations: dict[str, Registration] = {}
        self.order: list[str] = []
        self.component_outputs: dict[str, Props] = {}

    def make_urn(self, parent: str, type_: str, name: str) -> str:
        """As the engine builds it: the parent's whole qualified type, then `$` and this type. The
        SDK's mock keeps only the parent's last type; the root stack is never part of the chain."""
        if parent:
            qualified = parent.split("::")[2]
            if qualified != STACK_TYPE:
                type_ = f"{qualified}${type_}"
        return "urn:pulumi:" + "::".join([pulumi.get_stack(), pulumi.get_project(), type_, name])

    def RegisterResource(self, request: Any) -> Any:  # noqa: N802 - the gRPC method name
        response = super().RegisterResource(request)
        if request.custom:
            _mark_secret_outputs(request, response)
        urn = normalize_urn(response.urn)
        if request.type == STACK_TYPE:
            return response
        record = Registration(
            urn=urn,
            type=request.type,
            name=request.name,
            custom=bool(request.custom),
            parent=normalize_urn(request.parent),
            inputs=_checked_inputs(request.type, _wire(request.object), _wire(response.object)) if request.custom
            else _wire(request.object),
            outputs=_wire(response.object) if request.custom else {},
            id=response.id,
            provider=request.provider,
            dependencies=[normalize_urn(d) for d in request.dependencies],
            property_dependencies={
                key: [normalize_urn(u) for u in deps.urns] for key, deps in request.propertyDependencies.items()
            },
            protect=bool(request.protect),
            retain_on_delete=bool(request.retainOnDelete),
            delete_before_replace=bool(request.deleteBeforeReplace),
            ignore_changes=list(request.ignoreChanges),
            additional_secret_outputs=list(request.additionalSecretOutputs),
            remote=bool(request.remote),
        )
        if urn not in self.registrations:
            self.order.append(urn)
        self.registrations[urn] = record
        return response

    def RegisterResourceOutputs(self, request: Any) -> Any:  # noqa: N802 - the gRPC method name
        self.component_outputs[normalize_urn(request.urn)] = _wire(request.outputs)
        return super().RegisterResourceOutputs(request)

    def by_type(self, type_: str) -> list[Registration]:
        return [self.registrations[u] for u in self.order if self.registrations[u].type == type_]


def merge(base: Mapping[str, Any], extra: Mapping[str, Any]) -> Props:
    """Inputs echoed as outputs, plus what the provider computes (computed values win)."""
    out = dict(base)
    out.update(extra)
    return out


def _checked_inputs(type_: str, inputs: Props, outputs: Props) -> Props:
    """The inputs as the engine records them: after the provider's Check. pulumi-kubernetes assigns
    an auto-name to `metadata.name` there, so state inputs carry it (rules and tools read it)."""
    if not type_.startswith("kubernetes:") or not isinstance(inputs.get("metadata"), dict):
        return inputs
    name = (outputs.get("metadata") or {}).get("name") if isinstance(outputs.get("metadata"), dict) else None
    if name is None or "name" in inputs["metadata"]:
        return inputs
    return {**inputs, "metadata": {**inputs["metadata"], "name": name}}
