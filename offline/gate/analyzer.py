"""Drive a CrossGuard policy pack exactly as the engine does, over the analyzer gRPC protocol.

The pack runs as `python -u -m pulumi.policy <engine address> <pack dir>` (cwd = pack dir); its
PolicyPack prints the port of its gRPC server; we call GetAnalyzerInfo, Configure, Analyze per
resource and AnalyzeStack with the SDK's own protobuf stubs. Nothing of the pack is imported.
"""

from __future__ import annotations

import collections
import hashlib
import json
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterable, Mapping
from concurrent import futures
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
from google.protobuf import empty_pb2, json_format
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc, engine_pb2, engine_pb2_grpc

from components.conventions import PROJECT
from offline import OfflineError
from offline.gate.encode import decoded, field_bool, field_bytes, field_string, struct_bytes, withhold
from offline.gate.packstart import StartedPack, start_pack
from offline.wire import SECRET_SIG, SECRET_SIG_KEY, is_unknown

LEVELS = {"advisory": analyzer_pb2.ADVISORY, "mandatory": analyzer_pb2.MANDATORY,
          "remediate": analyzer_pb2.REMEDIATE, "disabled": analyzer_pb2.DISABLED}
LEVEL_NAMES = {v: k for k, v in LEVELS.items()}
SEVERITIES = {analyzer_pb2.POLICY_SEVERITY_LOW: "low", analyzer_pb2.POLICY_SEVERITY_MEDIUM: "medium",
              analyzer_pb2.POLICY_SEVERITY_HIGH: "high", analyzer_pb2.POLICY_SEVERITY_CRITICAL: "critical",
              analyzer_pb2.POLICY_SEVERITY_UNSPECIFIED: "unspecified"}
WINDOW = 32
"""Analyze calls in flight at once."""
_CHANNEL_OPTIONS = [("grpc.max_receive_message_length", 400 * 1024 * 1024),
                    ("grpc.max_send_message_length", 400 * 1024 * 1024)]


@dataclass(frozen=True)
class PolicyMeta:
    name: str
    description: str
    enforcement: str
    severity: str
    stack_level: bool
    tags: tuple[str, ...]
    framework: dict[str, str]
    remediation: str
    url: str
    config_schema: dict[str, Any]


@dataclass(frozen=True)
class PackInfo:
    name: str
    version: str
    description: str
    policies: dict[str, PolicyMeta]


@dataclass(frozen=True)
class Diagnostic:
    policy: str
    enforcement: str
    severity: str
    urn: str
    message: str
    """The violation message, without the policy description the SDK prepends."""


@dataclass(frozen=True)
class Unverified:
    """A value a policy could not evaluate (unknown at preview, or a withheld secret)."""

    policy: str
    urn: str
    property: str
    reason: str
    """"unknown" or "secret"."""


@dataclass
class Results:
    diagnostics: list[Diagnostic] = field(default_factory=list)
    crashes: list[tuple[str, str, str]] = field(default_factory=list)
    """(policy, urn, error) of rules that raised."""
    unverified: list[Unverified] = field(default_factory=list)
    engine_logs: list[str] = field(default_factory=list)


UNVERIFIABLE_MARKER = "unverifiable "
"""The pack's prefix (policies/rules/verify.py MARKER; a test keeps the two equal)."""
_PREVIEW = " during preview: "
_SDK_UNKNOWN = re.compile(r"^\w+ value at \.(.*) can't be known during preview$")


def parse_unverified(policy: str, message: str, urn: str) -> list[Unverified] | None:
    """The SDK's advisory "can't run policy ... during preview: ..." diagnostic as what could not be
    evaluated: the pack's `unverifiable [[urn, property, reason], ...]`, or the SDK's own
    "<type> value at .<path> can't be known" (about the resource analyzed). None for anything else."""
    if not message.startswith("can't run policy ") or _PREVIEW not in message:
        return None
    detail = message.split(_PREVIEW, 1)[1]
    if detail.startswith(UNVERIFIABLE_MARKER):
        try:
            entries = json.loads(detail[len(UNVERIFIABLE_MARKER):])
        except ValueError:
            return None
        if not isinstance(entries, list):
            return None
        return [Unverified(policy, str(e[0]) or urn, str(e[1]), str(e[2])) for e in entries
                if isinstance(e, list) and len(e) == 3]
    match = _SDK_UNKNOWN.match(detail)
    return [Unverified(policy, urn, match.group(1) if match else detail, "unknown")]


class _Engine(engine_pb2_grpc.EngineServicer):
    """The minimal Engine service a pack may log to (the address the engine passes on the command line)."""

    def __init__(self) -> None:
        self.logs: list[str] = []

    def Log(self, request: Any, context: Any) -> Any:  # noqa: N802 - gRPC method name
        self.logs.append(f"{engine_pb2.LogSeverity.Name(request.severity).lower()}: {request.message}")
        return empty_pb2.Empty()

    def GetRootResource(self, request: Any, context: Any) -> Any:  # noqa: N802
        return engine_pb2.GetRootResourceResponse(urn="")

    def SetRootResource(self, request: Any, context: Any) -> Any:  # noqa: N802
        return engine_pb2.SetRootResourceResponse()


def to_wire(value: Any) -> Any:
    """Deployment-export values as the engine hands them to an analyzer, with every secret withheld
    (`encode.withhold`): for the policy configuration; property bags go through `encode.struct_bytes`."""
    if isinstance(value, dict):
        if value.get(SECRET_SIG_KEY) == SECRET_SIG:
            return withhold(value)
        return {k: to_wire(v) if isinstance(v, (dict, list)) else v for k, v in value.items()}
    if isinstance(value, list):
        return [to_wire(v) if isinstance(v, (dict, list)) else v for v in value]
    return value


Structs = dict[int, tuple[Mapping[str, Any], bytes]]
"""Serialized property bags by the identity of the mapping (kept alive beside its bytes): each bag is
sent twice (per resource and in the stack), and a resource's inputs often are its outputs' bag too."""


def _struct(value: Mapping[str, Any], cache: Structs | None = None) -> bytes:
    if cache is not None:
        hit = cache.get(id(value))
        if hit is not None and hit[0] is value:
            return hit[1]
    encoded = struct_bytes(value)
    if cache is not None:
        cache[id(value)] = (value, encoded)
    return encoded


def _name(urn: str) -> str:
    return urn.split("::", 3)[-1]  # a name may itself contain "::"


def providers_of(resources: Iterable[Mapping[str, Any]]) -> dict[str, Mapping[str, Any]]:
    return {str(r["urn"]): r for r in resources if str(r.get("type", "")).startswith("pulumi:providers:")}


BAGS = ("inputs", "outputs")
"""The two property bags of a resource in an export: declared inputs, recorded outputs."""


def bag_of(resource: Mapping[str, Any], bag: str) -> Mapping[str, Any]:
    """One property bag of a resource, or the other when it has none (a component's or the stack's
    outputs; a resource not yet created has no outputs). In the outputs, a top-level property the
    provider returned as a secret while it was declared in the clear is judged by its declared
    value (its content cannot be judged from the outputs; the inputs pass judges it too).

    A generator's (`random:*`) declared inputs carry the computed value they exist for in the outputs only
    (`result`); the inputs pass gets it too, so that a value declared elsewhere can be compared with it."""
    other = "outputs" if bag == "inputs" else "inputs"
    chosen = resource.get(bag) or resource.get(other) or {}
    declared = resource.get("inputs") or {}
    if bag == "inputs" and str(resource.get("type", "")).startswith(GENERATOR_PREFIX):
        computed = {k: v for k, v in (resource.get("outputs") or {}).items() if k not in chosen}
        if computed:
            chosen = {**chosen, **computed}
    if bag == "outputs" and chosen is not declared and any(_is_secret(v) and k in declared and not _is_secret(declared[k])
                                                           for k, v in chosen.items()):
        listed = resource.get("additionalSecretOutputs") or ()
        chosen = {k: declared[k] if _is_secret(v) and k in declared and not _is_secret(declared[k])
                  and _recorded_as_declared(v, declared[k], k in listed) else v
                  for k, v in chosen.items()}
    return chosen


def _recorded_as_declared(recorded: Mapping[str, Any], declared: Any, listed: bool) -> bool:
    """Whether a top-level output the engine recorded as a secret, declared in the clear, may be judged by
    its declared value: where the gate can read the recorded value (a `--show-secrets` plaintext) only if
    it is the declared one, else only where the engine itself makes such a value secret (a secret inside
    it makes the whole property secret; `additionalSecretOutputs` lists it). Otherwise it stays withheld,
    and unverifiable: a ciphertext must not hide a value that drifted from the declared one."""
    if "ciphertext" not in recorded and not is_unknown(recorded):
        shown = decoded(recorded["plaintext"]) if "plaintext" in recorded else recorded.get("value")
        return bool(shown == declared or _holds_secret(declared))
    return listed or _holds_secret(declared)


def _holds_secret(value: Any) -> bool:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if _is_secret(item):
                return True
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


GENERATOR_PREFIX = "random:"
"""The provider whose resources exist to compute a value (passwords, strings, ids)."""


def _is_secret(value: Any) -> bool:
    return isinstance(value, dict) and value.get(SECRET_SIG_KEY) == SECRET_SIG


class RequestWriter:
    """The engine's requests for the resources of one export, as protobuf bytes (see offline.gate.encode).
    `AnalyzeRequest` and the stack request's `AnalyzerResource` share fields 1-6 (type, properties, urn,
    name, options, provider); the parts that do not depend on the property bag are written once per
    resource, each bag once, each provider once."""

    def __init__(self, resources: Iterable[Mapping[str, Any]]) -> None:
        self.providers = providers_of(resources)
        self.structs: Structs = {}
        self._provider_bytes: dict[str, bytes] = {}
        self._common: dict[int, tuple[Mapping[str, Any], bytes, bytes]] = {}

    def _parts(self, resource: Mapping[str, Any]) -> tuple[bytes, bytes]:
        """(type, before the properties; urn, name, options and provider, after them)."""
        hit = self._common.get(id(resource))
        if hit is not None and hit[0] is resource:
            return hit[1], hit[2]
        urn = str(resource["urn"])
        head = field_string(1, str(resource["type"]))
        tail = field_string(3, urn) + field_string(4, _name(urn)) + field_bytes(5, options_bytes(resource))
        provider = self._provider(resource)
        if provider is not None:
            tail += field_bytes(6, provider)
        self._common[id(resource)] = (resource, head, tail)
        return head, tail

    def _provider(self, resource: Mapping[str, Any]) -> bytes | None:
        reference = resource.get("provider")
        if not reference:
            return None
        urn = str(reference).rsplit("::", 1)[0]
        known = self._provider_bytes.get(urn)
        if known is None:
            provider = self.providers.get(urn)
            if provider is None:
                return None
            known = (field_string(1, str(provider["type"])) + field_bytes(2, _struct(provider.get("inputs") or {}))
                     + field_string(3, urn) + field_string(4, _name(urn)))
            self._provider_bytes[urn] = known
        return known

    def analyze(self, resource: Mapping[str, Any], bag: str = "inputs") -> bytes:
        """What the engine sends for one resource: its inputs (or, to judge drift, its outputs)."""
        head, tail = self._parts(resource)
        properties = bag_of(resource, bag) if bag == "outputs" else resource.get("inputs") or {}
        return head + field_bytes(2, _struct(properties, self.structs)) + tail

    def stack_entry(self, resource: Mapping[str, Any], bag: str = "outputs") -> bytes:
        """One resource of the stack request (its field 1, `resources`): its outputs (or, to judge
        drift, its inputs) and its relations."""
        head, tail = self._parts(resource)
        body = [head, field_bytes(2, _struct(bag_of(resource, bag), self.structs)), tail,
                field_string(7, str(resource.get("parent") or ""))]
        body += [field_string(8, str(u)) for u in resource.get("dependencies") or []]
        for key, urns in (resource.get("propertyDependencies") or {}).items():
            entry = field_string(1, str(key)) + field_bytes(2, b"".join(field_string(1, str(u)) for u in urns))
            body.append(field_bytes(9, entry))
        return field_bytes(1, b"".join(body))

    def analyze_stack(self, resources: Iterable[Mapping[str, Any]], bag: str = "outputs") -> bytes:
        """What the engine sends for the whole stack, serialized."""
        return b"".join(self.stack_entry(resource, bag) for resource in resources)


def options_bytes(resource: Mapping[str, Any]) -> bytes:
    """A resource's `AnalyzerResourceOptions`."""
    out = [field_bool(1, bool(resource.get("protect")))]
    out += [field_string(2, str(x)) for x in resource.get("ignoreChanges") or []]
    if "deleteBeforeReplace" in resource:
        out += [field_bool(3, bool(resource["deleteBeforeReplace"])), field_bool(4, True)]
    out += [field_string(5, str(x)) for x in resource.get("additionalSecretOutputs") or []]
    out += [field_string(6, a) for a in resource.get("aliases") or [] if isinstance(a, str)]
    out.append(field_string(8, str(resource.get("parent") or "")))
    return b"".join(out)


def analyze_request(resource: Mapping[str, Any], providers: Mapping[str, Mapping[str, Any]],
                    bag: str = "inputs") -> analyzer_pb2.AnalyzeRequest:
    """One resource's request as a message (the gate itself sends `RequestWriter.analyze`'s bytes)."""
    writer = RequestWriter(providers.values())
    return analyzer_pb2.AnalyzeRequest.FromString(writer.analyze(resource, bag))


def analyze_stack_request(resources: Iterable[Mapping[str, Any]], providers: Mapping[str, Mapping[str, Any]],
                          bag: str = "outputs") -> analyzer_pb2.AnalyzeStackRequest:
    """The stack request as a message (the gate itself sends `RequestWriter.analyze_stack`'s bytes)."""
    writer = RequestWriter(providers.values())
    return analyzer_pb2.AnalyzeStackRequest.FromString(writer.analyze_stack(resources, bag))


def _strip_description(message: str, description: str) -> str:
    if message.startswith(description):
        return message[len(description):].lstrip("\n")
    return message


class PolicyPackProcess:
    """A running pack, as a context manager: `with PolicyPackProcess(pack_dir, ...) as pack: ...`."""

    def __init__(self, pack_dir: Path, *, project: str = PROJECT, stack: str = "offline",
                 dry_run: bool = True, config: Mapping[str, str] | None = None, python: str | None = None) -> None:
        self.pack_dir = pack_dir.resolve()
        self.project = project
        self.stack = stack
        self.dry_run = dry_run
        self.config = dict(config or {})
        self.python = python or sys.executable
        self._engine = _Engine()
        self._engine_server: grpc.Server | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._channel: grpc.Channel | None = None
        self.stub: analyzer_pb2_grpc.AnalyzerStub | None = None
        self.info: PackInfo | None = None
        self._levels: dict[str, str] = {}
        self._properties: dict[str, dict[str, Any]] = {}
        self._engine_port = 0
        self._memo: dict[bytes, Results] = {}
        """Answers by request digest, valid for the current configuration."""
        self._timeout: float | None = None
        self._deadline: float | None = None
        self._writer: RequestWriter | None = None
        self._writer_of: list[Mapping[str, Any]] | None = None
        """The resources `_writer` has written (both bags of one export are analyzed in turn)."""

    # --- lifecycle ---------------------------------------------------------------------------

    def __enter__(self) -> PolicyPackProcess:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        """Spawn the pack (unless `spawn` already did) and connect to it."""
        if self._process is None:
            self.spawn()
        if self.stub is None:
            self.connect()

    def spawn(self, started: StartedPack | None = None) -> None:
        """Start the pack's process without waiting for it (or adopt one `packstart` started even
        earlier): its interpreter and imports (~0.15 s) then overlap whatever the caller does next
        (running the program, reading config) until `connect`."""
        if started is None:
            started = start_pack(self.pack_dir, project=self.project, stack=self.stack, dry_run=self.dry_run,
                                 config=self.config, python=self.python)
        self._process = started.process
        self._engine_port = started.engine_port
        self._engine_server = grpc.server(futures.ThreadPoolExecutor(max_workers=1))
        engine_pb2_grpc.add_EngineServicer_to_server(self._engine, self._engine_server)
        try:
            bound = self._engine_server.add_insecure_port(f"127.0.0.1:{self._engine_port}")
        except RuntimeError:
            bound = 0
        if bound != self._engine_port:
            # The reserved port was taken in the meantime: the pack would log to a stranger.
            self.stop()
            raise OfflineError(f"loopback port {self._engine_port} for the engine service is taken; run again")
        self._engine_server.start()

    def connect(self) -> None:
        """Wait for the spawned pack's port, then handshake and read its policies."""
        assert self._process is not None and self._process.stdout is not None
        line = self._process.stdout.readline().decode().strip()
        if not line.isdigit():
            self._process.wait(timeout=10)
            stderr = self._process.stderr.read().decode() if self._process.stderr else ""
            last = [x for x in stderr.strip().splitlines() if x.strip()][-1:] or ["no output"]
            raise OfflineError(f"the policy pack in {self.pack_dir} did not start: {last[0]}")
        # Keep draining stderr so a chatty pack can never block on a full pipe.
        threading.Thread(target=self._drain, daemon=True).start()
        self._channel = grpc.insecure_channel(f"127.0.0.1:{line}", options=_CHANNEL_OPTIONS)
        grpc.channel_ready_future(self._channel).result(timeout=30)
        self.stub = analyzer_pb2_grpc.AnalyzerStub(self._channel)
        self._handshake(self._engine_port)
        self.info = self._get_info()

    def _drain(self) -> None:
        if self._process is not None and self._process.stderr is not None:
            for raw in self._process.stderr:
                self._engine.logs.append(raw.decode(errors="replace").rstrip())

    def stop(self) -> None:
        if self._channel is not None:
            self._channel.close()
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._process.kill()
        if self._engine_server is not None:
            self._engine_server.stop(0)

    # --- protocol ------------------------------------------------------------------------------

    def _handshake(self, engine_port: int) -> None:
        assert self.stub is not None
        try:
            self.stub.Handshake(analyzer_pb2.AnalyzerHandshakeRequest(
                engine_address=f"127.0.0.1:{engine_port}", root_directory=str(self.pack_dir),
                program_directory=str(self.pack_dir)))
        except grpc.RpcError as error:
            if error.code() != grpc.StatusCode.UNIMPLEMENTED:  # older SDKs do not implement it
                raise
        try:
            self.stub.ConfigureStack(analyzer_pb2.AnalyzerStackConfigureRequest(
                stack=self.stack, project=self.project, organization="organization", dry_run=self.dry_run))
        except grpc.RpcError as error:
            if error.code() != grpc.StatusCode.UNIMPLEMENTED:
                raise

    def _get_info(self) -> PackInfo:
        assert self.stub is not None
        info = self.stub.GetAnalyzerInfo(empty_pb2.Empty())
        policies = {}
        for p in info.policies:
            policies[p.name] = PolicyMeta(
                name=p.name, description=p.description, enforcement=LEVEL_NAMES.get(p.enforcementLevel, "advisory"),
                severity=SEVERITIES.get(p.severity, "unspecified"),
                stack_level=p.policy_type == analyzer_pb2.POLICY_TYPE_STACK, tags=tuple(p.tags),
                framework={"name": p.framework.name, "version": p.framework.version,
                           "reference": p.framework.reference, "specification": p.framework.specification},
                remediation=p.remediation_steps, url=p.url,
                config_schema=json_format.MessageToDict(p.configSchema.properties) if p.HasField("configSchema") else {})
        return PackInfo(info.name, info.version, info.description, policies)

    def configure(self, levels: Mapping[str, str], properties: Mapping[str, Mapping[str, Any]]) -> None:
        """Every policy's enforcement level explicitly (the proto default 0 would mean advisory)."""
        assert self.stub is not None and self.info is not None
        self._levels = dict(levels)
        self._properties = {k: dict(v) for k, v in properties.items()}
        self._memo.clear()
        self._send_config(self._levels)

    def _send_config(self, levels: Mapping[str, str]) -> None:
        assert self.stub is not None and self.info is not None
        request = analyzer_pb2.ConfigureAnalyzerRequest()
        for name in self.info.policies:
            entry = request.policyConfig[name]
            entry.enforcementLevel = LEVELS[levels.get(name, self.info.policies[name].enforcement)]
            entry.properties.update(to_wire(self._properties.get(name, {})))
        self.stub.Configure(request)

    def analyze(self, resources: Iterable[Mapping[str, Any]], bag: str = "inputs") -> Results:
        """Analyze per resource then AnalyzeStack, as the engine does: by default on the inputs
        (per resource) and outputs (stack); `bag="outputs"` swaps them, to judge recorded state.
        Answers to requests this process already answered under the same configuration are reused
        (a resource whose outputs equal its inputs, or a mutant's unchanged resources)."""
        assert self._channel is not None and self.info is not None
        resources = resources if isinstance(resources, list) else list(resources)
        if self._writer is None or resources is not self._writer_of:
            self._writer, self._writer_of = RequestWriter(resources), resources
        writer = self._writer
        # Requests go out as the bytes RequestWriter wrote (no serializer).
        analyze = self._channel.unary_unary("/pulumirpc.Analyzer/Analyze",
                                            response_deserializer=analyzer_pb2.AnalyzeResponse.FromString)
        results = Results()
        # Pipelined: up to WINDOW calls in flight, so building the next requests (here) overlaps the
        # pack's work (its own process); results are still taken in order.
        in_flight: collections.deque[tuple[Any, Any, str, bytes]] = collections.deque()
        for resource in resources:
            request = writer.analyze(resource, bag)
            key = _digest(request)
            known = self._memo.get(key)
            if known is not None:
                self._replay(known, results)
                continue
            in_flight.append((analyze.future(request, timeout=self._remaining()), request, resource["urn"], key))
            if len(in_flight) >= WINDOW:
                self._finish(analyze, in_flight, results)
        while in_flight:
            self._finish(analyze, in_flight, results)
        analyze_stack = self._channel.unary_unary("/pulumirpc.Analyzer/AnalyzeStack",
                                                  response_deserializer=analyzer_pb2.AnalyzeResponse.FromString)
        payload = writer.analyze_stack(resources, "outputs" if bag == "inputs" else "inputs")
        key = _digest(payload)
        known = self._memo.get(key)
        if known is not None:
            self._replay(known, results)
        else:
            self._call(analyze_stack, payload, "", results, stack_level=True, key=key)
        results.engine_logs = list(self._engine.logs)
        return results

    def set_timeout(self, seconds: float | None) -> None:
        """Judging must end within `seconds` from now (None: no limit); past it, OfflineError."""
        self._timeout = seconds
        self._deadline = None if seconds is None else time.monotonic() + seconds

    def _remaining(self) -> float | None:
        return None if self._deadline is None else max(self._deadline - time.monotonic(), 0.001)

    def _check_deadline(self, error: grpc.RpcError) -> None:
        if self._deadline is not None and error.code() == grpc.StatusCode.DEADLINE_EXCEEDED:
            raise OfflineError(f"the policy pack did not finish judging within {self._timeout:g} s (--timeout): "
                               "the export holds more, or more complex, content than one check is sized for")

    def _replay(self, known: Results, results: Results) -> None:
        results.diagnostics.extend(known.diagnostics)
        results.unverified.extend(known.unverified)

    def _finish(self, method: Any, in_flight: collections.deque[tuple[Any, Any, str, bytes]], results: Results) -> None:
        """Collect the oldest in-flight Analyze. A failed call is isolated policy by policy, which
        reconfigures the pack: first let every other in-flight call finish under the normal config."""
        future, request, urn, key = in_flight.popleft()
        try:
            response = future.result()
        except grpc.RpcError as error:
            self._check_deadline(error)
            for other, _, _, _ in in_flight:
                other.exception()  # waits; its outcome is collected in order later
            self._isolate(method, request, urn, results, stack_level=False, error=error)
            return
        self._collect(response, urn, results, key)

    def _call(self, method: Any, request: Any, urn: str, results: Results, *, stack_level: bool,
              key: bytes | None = None) -> None:
        try:
            response = method(request, timeout=self._remaining())
        except grpc.RpcError as error:
            self._check_deadline(error)
            self._isolate(method, request, urn, results, stack_level=stack_level, error=error)
            return
        self._collect(response, urn, results, key)

    def _collect(self, response: Any, urn: str, results: Results, key: bytes | None = None) -> None:
        assert self.info is not None
        answer = Results()
        for d in response.diagnostics:
            meta = self.info.policies.get(d.policyName)
            description = meta.description if meta else d.description
            message = _strip_description(d.message, description)
            unverified = parse_unverified(d.policyName, message, d.urn or urn)
            if unverified is not None:
                answer.unverified.extend(unverified)
                continue
            answer.diagnostics.append(Diagnostic(
                policy=d.policyName, enforcement=LEVEL_NAMES.get(d.enforcementLevel, "advisory"),
                severity=SEVERITIES.get(d.severity, meta.severity if meta else "unspecified"),
                urn=d.urn or urn, message=message))
        if key is not None:
            self._memo[key] = answer
        self._replay(answer, results)

    def _isolate(self, method: Any, request: Any, urn: str, results: Results, *, stack_level: bool,
                 error: grpc.RpcError) -> None:
        """A rule raised, which fails the whole RPC: rerun with one policy enabled at a time to name it,
        keeping the other policies' findings."""
        assert self.info is not None
        candidates = [p for p in self.info.policies.values() if p.stack_level == stack_level
                      and self._levels.get(p.name, p.enforcement) != "disabled"]
        try:
            for policy in candidates:
                self._send_config({name: (self._levels.get(name, meta.enforcement) if name == policy.name else "disabled")
                                   for name, meta in self.info.policies.items()})
                try:
                    self._collect(method(request, timeout=self._remaining()), urn, results)
                except grpc.RpcError as single:
                    self._check_deadline(single)
                    results.crashes.append((policy.name, urn, _details(single)))
        finally:
            self._send_config(self._levels)
        if not results.crashes:
            results.crashes.append(("(unknown policy)", urn, _details(error)))


def _digest(payload: bytes) -> bytes:
    return hashlib.blake2b(payload, digest_size=20).digest()


def _details(error: grpc.RpcError) -> str:
    text = error.details() if hasattr(error, "details") else str(error)
    return (text or str(error)).replace("Exception calling application: ", "").strip()
