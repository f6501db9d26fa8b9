"""Every file the edge proxy loads is a file the pack evaluated.

The edge rules judge the HAProxy configuration held in a ConfigMap (`haproxy.cfg` and its other `.cfg` keys).
HAProxy reads every file named on its command line as one configuration, so a second file from a Secret (which
an export never shows in plain text), a hostPath, an emptyDir an init container writes, or the image itself could
hold `bind :80` or a frontend that no edge rule ever saw. Here each container that runs HAProxy is followed from
its argv (`command` and `args`, the image's entrypoint conventions, `-f` with or without a space, `-C`,
directories, everything after `--`, `HAPROXY_CFGFILES`) through its volume mounts to the volume each file comes
from. Only a key of a ConfigMap the stack declares with a `haproxy.cfg` passes. Inside the evaluated files, an
environment reference (`"${VAR}"`, which HAProxy expands when it parses) may stand only for a userlist password
hash: anywhere else it is text the rules cannot see.
"""

from __future__ import annotations

import base64
import binascii
import posixpath
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from pulumi_policy import PolicyResource, Severity

from .common import Meta, Stack, get, items, mapping, stack_rule
from .haproxy_config import (
    MAX_CONFIG_BYTES,
    SECTION_KEYWORDS,
    Config,
    OversizeError,
    is_loopback,
    parse_address,
    split_line,
)
from .k8s_objects import namespace_of
from .workloads import Container, pods

HAPROXY_KEY = "haproxy.cfg"
IMAGE_DEFAULT_ARGV = ("haproxy", "-f", "/usr/local/etc/haproxy/haproxy.cfg")
"""The official image's CMD (its entrypoint prefixes `haproxy` to arguments that start with `-`)."""
SHELLS = frozenset({"sh", "bash", "ash", "dash", "zsh", "ksh", "busybox", "python", "python3", "perl"})
LAUNCHERS = frozenset({"docker-entrypoint.sh", "env", "tini", "dumb-init", "nice", "exec"})
"""Programs that may run before `haproxy` in an argv: they start it with the same arguments (the official
image's entrypoint, an init). Anything else (a script from the image, a wrapper) decides what really runs."""
FLAGS_WITH_VALUE = frozenset({"-L", "-p", "-x", "-S", "-m", "-n", "-N"})
"""haproxy options whose value is the next word (the config-loading ones, -f and -C, are handled apart)."""
IMAGE_DEFAULT = "the image's default command"
CFGFILES_ENV = "HAPROXY_CFGFILES"
MAX_ARGV = 512
MAX_EXPANDED_WORD = 4096


@dataclass(frozen=True)
class Load:
    path: str
    how: str
    """How the argv names it: `-f`, `-f<path>`, `--`, `HAPROXY_CFGFILES`, the image default."""


def _basename(word: str) -> str:
    return word.rsplit("/", 1)[-1]


def is_haproxy_container(container: Container) -> bool:
    image = str(get(container.data, "image", default="")).rsplit("/", 1)[-1].split("@", 1)[0].split(":", 1)[0]
    words = [str(w) for w in (*items(get(container.data, "command")), *items(get(container.data, "args")))][:MAX_ARGV]
    return image.startswith("haproxy") or any("haproxy" in _basename(w) for w in words) \
        or any("haproxy " in w for w in words)


def _image_name(container: Container) -> str:
    return str(get(container.data, "image", default="")).rsplit("/", 1)[-1].split("@", 1)[0].split(":", 1)[0]


def _mounts_config(container: Container, namespace: str, configs: dict[tuple[str, str], ConfigSource]) -> bool:
    """The container mounts an HAProxy configuration the edge rules evaluate: whatever its image is called,
    what it runs must load that configuration and nothing else."""
    mounted = {str(get(m, "name")) for m in items(get(container.data, "volumeMounts"))}
    for volume in items(get(container.pod.spec, "volumes")):
        if str(get(volume, "name")) in mounted:
            for source, kind in _sources(mapping(volume)):
                if kind == "configMap" and (namespace, str(get(source, "name", default=""))) in configs:
                    return True
    return False


def effective_argv(container: Container) -> tuple[list[str], str]:
    """What the container executes (Kubernetes `command` replaces the image entrypoint, `args` its CMD), and
    a note on where it came from."""
    command = [str(w) for w in items(get(container.data, "command"))][:MAX_ARGV]
    args = [str(w) for w in items(get(container.data, "args"))][:MAX_ARGV]
    if command:
        return command + args, "command"
    if not args:
        return list(IMAGE_DEFAULT_ARGV), IMAGE_DEFAULT
    if args[0].startswith("-"):
        return ["haproxy", *args], "args"  # the image entrypoint runs `haproxy <args>`
    return args, "args"


def expand_argv(argv: list[str], container: Container) -> tuple[list[str], list[str]]:
    """Kubernetes `$(NAME)` references in command/args replaced by the container's literal env values (`$$` is a
    literal `$`); returns the argv and the names set from a reference (a ConfigMap or Secret key) the pack cannot
    read. An undefined name stays as written, as the kubelet leaves it."""
    literal: dict[str, str] = {}
    referenced: set[str] = set()
    for entry in items(get(container.data, "env")):
        name = str(get(entry, "name", default=""))
        value = get(entry, "value")
        if isinstance(value, str):
            literal[name] = value
            referenced.discard(name)
        elif name:
            referenced.add(name)
            literal.pop(name, None)
    hidden: list[str] = []
    out = []
    for word in argv:
        if "$" not in word or len(word) > MAX_EXPANDED_WORD:
            out.append(word)  # a longer word is kept as written (each reference would rescan it)
            continue
        text: list[str] = []
        index = 0
        while index < len(word):
            if word.startswith("$$", index):
                text.append("$")
                index += 2
                continue
            if word.startswith("$(", index):
                end = word.find(")", index + 2)
                name = word[index + 2:end] if end > 0 else ""
                if name in literal:
                    text.append(literal[name])
                    index = end + 1
                    continue
                if name in referenced and name not in hidden:
                    hidden.append(name)
            text.append(word[index])
            index += 1
        out.append("".join(text))
    return out, hidden


def parse_argv(argv: list[str]) -> tuple[list[Load], str | None, dict[str, str], str]:
    """(files loaded, -C directory, NAME=value words before haproxy, problem) for one argv.
    `problem` is set when haproxy is not what runs (a shell, another program): the files are then unknown."""
    start = next((i for i, w in enumerate(argv) if _basename(w) == "haproxy"), None)
    # A shell (or a word with blanks: a script) decides at run time what actually runs.
    if argv and (_basename(argv[0]) in SHELLS or any(any(c in w for c in " \t\n;&|`$") for w in argv[:(start or 0) + 1])):
        start = None
    if start is None:
        runner = _basename(argv[0]) if argv else ""
        if runner in SHELLS or any("haproxy" in w and any(c in w for c in " \t\n;&|") for w in argv):
            return [], None, {}, f"runs haproxy through `{' '.join(argv)[:120]}`, so the pack cannot tell which " \
                                 "files it loads"
        return [], None, {}, f"runs `{' '.join(argv)[:80]}` instead of haproxy, so the pack cannot tell which " \
                             "configuration it loads"
    assigned = {w.split("=", 1)[0]: w.split("=", 1)[1] for w in argv[:start] if "=" in w and not w.startswith("-")}
    unknown = [w for w in argv[:start] if "=" not in w and not w.startswith("-") and _basename(w) not in LAUNCHERS]
    if unknown:
        return [], None, {}, f"runs `{unknown[0][:60]}` before haproxy (`{' '.join(argv)[:120]}`), a program that " \
                             "decides what actually runs, so the pack cannot tell which files it loads"
    loads: list[Load] = []
    chdir: str | None = None
    rest = argv[start + 1:]
    index = 0
    files_only = False
    while index < len(rest):
        word = rest[index]
        following = rest[index + 1] if index + 1 < len(rest) else ""
        if files_only:
            loads.append(Load(word, "after `--`"))
        elif word == "--":
            files_only = True
        elif word.startswith("-f"):
            if word == "-f":
                loads.append(Load(following, "-f"))
                index += 1
            else:
                loads.append(Load(word[2:], f"`{word[:2]}` joined to the path"))
        elif word.startswith("-C"):
            chdir = word[2:] or following
            index += 0 if word[2:] else 1
        elif word in FLAGS_WITH_VALUE:
            index += 1
        elif word in ("-sf", "-st"):
            while index + 1 < len(rest) and not rest[index + 1].startswith("-"):
                index += 1
        elif not word.startswith("-"):
            loads.append(Load(word, "a bare argument"))
        index += 1
    return loads, chdir, assigned, ""


def _resolve(path: str, chdir: str | None, working_dir: str | None) -> str | None:
    if path.startswith("/"):
        return posixpath.normpath(path)
    base = posixpath.join(working_dir or "", chdir) if chdir else working_dir
    if not base or not base.startswith("/"):
        return None
    return posixpath.normpath(posixpath.join(base, path))


@dataclass(frozen=True)
class ConfigSource:
    """A ConfigMap the edge rules evaluate: its evaluated keys."""

    keys: frozenset[str]


def configmap_texts(props: Any) -> dict[str, str]:
    """A ConfigMap's text keys: `data`, and `binaryData` (base64) decoded, as the kubelet writes both as files.
    A value that does not decode, or is larger than the pack reads, becomes a marker the parser reports."""
    texts = {str(k): v for k, v in mapping(get(props, "data")).items() if isinstance(v, str)}
    for key, value in mapping(get(props, "binaryData")).items():
        if not isinstance(value, str) or str(key) in texts:
            continue
        if len(value) > 2 * MAX_CONFIG_BYTES:
            texts[str(key)] = "#" * (MAX_CONFIG_BYTES + 1)  # oversize: reported, not read
            continue
        try:
            texts[str(key)] = base64.b64decode(value, validate=True).decode("utf-8", errors="replace")
        except (ValueError, binascii.Error):
            continue
    return texts


def evaluated_configmaps(stack: Stack) -> dict[tuple[str, str], ConfigSource]:
    found: dict[tuple[str, str], ConfigSource] = {}
    for resource in stack.of("kubernetes:core/v1:ConfigMap"):
        data = configmap_texts(resource.props)
        if not isinstance(data.get(HAPROXY_KEY), str):
            continue
        keys = {HAPROXY_KEY} | {str(k) for k, v in data.items() if str(k).endswith(".cfg") and isinstance(v, str)}
        name = str(get(resource.props, "metadata", "name", default=""))
        provider = resource.provider.props if resource.provider is not None else {}
        found[(namespace_of(resource.props, provider), name)] = ConfigSource(frozenset(keys))
    return found


def _volume_files(source: Mapping[str, Any], keys_in_data: frozenset[str] | None) -> dict[str, str] | None:
    """path inside the volume -> key, for a configMap/secret source; None when the keys are not known."""
    listed = items(get(source, "items"))
    if listed:
        return {posixpath.normpath(str(get(i, "path", default=""))): str(get(i, "key", default="")) for i in listed}
    if keys_in_data is None:
        return None
    return {key: key for key in keys_in_data}


def _describe(volume: Mapping[str, Any]) -> str:
    name = str(get(volume, "name", default="?"))
    if get(volume, "secret") is not None:
        return f"Secret '{get(volume, 'secret', 'secretName', default='?')}' (volume '{name}')"
    if get(volume, "hostPath") is not None:
        return f"hostPath {get(volume, 'hostPath', 'path', default='?')} (volume '{name}')"
    if get(volume, "emptyDir") is not None:
        return f"emptyDir volume '{name}' (written at run time)"
    kinds = [str(k) for k in volume if k != "name"]
    return f"{kinds[0] if kinds else 'an unknown'} volume '{name}'"


def _sources(volume: Mapping[str, Any]) -> list[tuple[Mapping[str, Any], str]]:
    """The file sources of a volume: [(source, kind)] for a configMap, secret or projected volume."""
    if get(volume, "configMap") is not None:
        return [(mapping(get(volume, "configMap")), "configMap")]
    if get(volume, "secret") is not None:
        return [(mapping(get(volume, "secret")), "secret")]
    out: list[tuple[Mapping[str, Any], str]] = []
    for source in items(get(volume, "projected", "sources")):
        for kind in ("configMap", "secret", "downwardAPI", "serviceAccountToken", "clusterTrustBundle"):
            if get(source, kind) is not None:
                out.append((mapping(get(source, kind)), kind))
    return out


def _mount_for(container: Container, path: str) -> Mapping[str, Any] | None:
    """The volume mount a path falls in (the deepest one, as the kernel resolves nested mounts)."""
    best: Mapping[str, Any] | None = None
    best_root = ""
    for mount in items(get(container.data, "volumeMounts")):
        if not get(mount, "mountPath"):
            continue
        root = posixpath.normpath(str(get(mount, "mountPath")))
        if (path == root or path.startswith(root.rstrip("/") + "/")) and (best is None or len(root) > len(best_root)):
            best, best_root = mount, root
    return best


def _file_problems(path: str, load: Load, container: Container, namespace: str, *,
                   configs: dict[tuple[str, str], ConfigSource], data_keys: dict[tuple[str, str], frozenset[str]],
                   loaded: set[tuple[str, str, str]]) -> Iterator[str]:
    """Why `path` (absolute) is not an evaluated configuration file; nothing when it is. Each ConfigMap key the
    path loads is added to `loaded` as (namespace, ConfigMap, key)."""
    label = f"{container.label} loads {path} ({load.how})"
    mount = _mount_for(container, path)
    if mount is None:
        yield f"{label} from the image's filesystem, not from the evaluated ConfigMap"
        return
    root = posixpath.normpath(str(get(mount, "mountPath")))
    inside = posixpath.relpath(path, root) if path != root else ""
    sub_path = str(get(mount, "subPath", default="") or "")
    if sub_path:
        inside = posixpath.normpath(posixpath.join(sub_path, inside)) if inside else posixpath.normpath(sub_path)
    inside = "" if inside == "." else inside
    volume = next((v for v in items(get(container.pod.spec, "volumes")) if get(v, "name") == get(mount, "name")), None)
    if volume is None:
        yield f"{label} from volume '{get(mount, 'name')}', which the pod does not declare"
        return
    sources = _sources(volume)
    if not sources:
        yield f"{label} from {_describe(volume)}, not from the evaluated ConfigMap"
        return
    volume_name = get(volume, "name", default="?")
    hits: list[tuple[str, str, str, str]] = []  # (file inside the volume, key, kind, source name)
    for source, kind in sources:
        name = str(get(source, "name", default=get(source, "secretName", default="")))
        files = _volume_files(source, data_keys.get((namespace, name)) if kind == "configMap" else None)
        if files is None:
            if kind == "configMap":
                yield f"{label} from ConfigMap '{name}' (volume '{volume_name}'), which the stack does not declare"
            else:
                yield f"{label} from {kind} '{name}' (volume '{volume_name}'), not from the evaluated ConfigMap"
            continue
        hits += [(file, key, kind, name) for file, key in files.items()
                 if file == inside or (posixpath.dirname(file) == inside and file.endswith(".cfg"))]
    directory = not any(file == inside for file, _, _, _ in hits)
    for file, key, kind, name in hits:
        if not directory and file != inside:
            continue
        shown = f"{label.removesuffix(f' ({load.how})')}/{posixpath.basename(file)} ({load.how}, a directory)" \
            if directory else label
        if kind != "configMap":
            yield f"{shown} from {kind} '{name}' (volume '{volume_name}'), not from the evaluated ConfigMap"
            continue
        loaded.add((namespace, name, key))
        config = configs.get((namespace, name))
        if config is None:
            yield f"{shown} from ConfigMap '{name}', which holds no haproxy.cfg the pack evaluates"
        elif key not in config.keys:
            yield f"{shown} from key '{key}' of ConfigMap '{name}', which is not a configuration the pack evaluates"


def _env_references(text: str) -> Iterator[tuple[int, list[str], list[str]]]:
    """(line number, words, variables) for each line expanding environment variables inside double quotes."""
    for number, line in enumerate(text.split("\n"), start=1):
        if "$" not in line:
            continue
        names: list[str] = []
        quote = ""
        index = 0
        while index < len(line):
            char = line[index]
            if quote != "'" and char == "\\":
                index += 2
                continue
            if char in "\"'" and (not quote or quote == char):
                quote = "" if quote else char
            elif char == "#" and not quote:
                break
            elif char == "$" and quote == '"':
                end = index + 1
                braced = end < len(line) and line[end] == "{"
                end += 1 if braced else 0
                begin = end
                while end < len(line) and (line[end].isalnum() or line[end] == "_"):
                    end += 1
                if end > begin:
                    names.append(line[begin:end])
                index = end
                continue
            index += 1
        if names:
            yield number, line.split("#", 1)[0].split(), names


CODE_DIRECTIVES = {
    "lua-load": "loads Lua code", "lua-load-per-thread": "loads Lua code", "lua-prepend-path": "adds a Lua module path",
    "external-check": "runs an external program for health checks", "setenv": "sets an environment variable",
    "presetenv": "sets an environment variable", "resetenv": "resets the environment"}
"""Global directives that bring in code or environment the pack cannot evaluate."""


def _expansion_problems(container: Container, text: str, file: str) -> Iterator[str]:
    """Text whose meaning the environment or code outside the configuration decides: `"${VAR}"` expansions,
    `.if` blocks the environment decides, Lua, external programs and `program` sections."""
    references = {number: (words, names) for number, words, names in _env_references(text)}
    section = ""
    for number, raw in enumerate(text.split("\n"), start=1):
        parsed, _ = split_line(raw)
        if parsed and parsed[0] in SECTION_KEYWORDS:
            section = parsed[0]
            if section == "program":
                yield f"{container.label}: {file}:{number} declares 'program {' '.join(parsed[1:2])[:40]}', which " \
                      "makes HAProxy start another program the pack cannot evaluate"
        elif parsed and parsed[0] in CODE_DIRECTIVES:
            yield f"{container.label}: {file}:{number} '{' '.join(parsed)[:80]}' {CODE_DIRECTIVES[parsed[0]]}, which " \
                  "the pack cannot evaluate"
        if number not in references:
            continue
        words, names = references[number]
        password_hash = section == "userlist" and len(words) == 4 and words[0] == "user" and words[2] == "password" \
            and len(names) == 1 and words[3] == f'"${{{names[0]}}}"'
        if not password_hash:
            yield f"{container.label}: {file}:{number} expands ${{{', '.join(names)}}} from the environment, text the " \
                  "pack cannot evaluate (only a userlist password hash may come from the environment)"
    try:
        conditionals = Config.parse(text, file).conditionals
    except OversizeError:
        conditionals = []  # the edge rules report the oversize configuration themselves
    for line in conditionals:
        # The block is kept or dropped by the environment or the version at start-up, which the pack cannot see.
        yield f"{container.label}: {line.where} is a conditional block ('{line.text[:60]}'), decided by " \
              "the environment at start-up, which the pack cannot evaluate"


edge_config_evaluated = Meta(
    name="edge-config-evaluated",
    description="Every configuration file an HAProxy container loads is a ConfigMap key the edge rules evaluate.",
    severity=Severity.CRITICAL,
    categories=("AA", "TS"),
    references=("haproxy(1) -f/-C/--", "CIS Kubernetes 5.4.1 (prefer Secrets as files)"),
    remediation="Keep the whole HAProxy configuration in the edge ConfigMap (`haproxy.cfg`, mounted read-only) and "
                "load only it (`haproxy -f /usr/local/etc/haproxy/haproxy.cfg`); take a credential such as the admin "
                "password hash from a Secret through an environment variable named in the userlist "
                "(`user admin password \"${HAPROXY_ADMIN_PASSWORD_HASH}\"`), never as a second `-f` file, a "
                "directory, a Secret/hostPath/emptyDir file, or a shell wrapper.",
)


def _provider(resource: PolicyResource) -> Mapping[str, Any]:
    return resource.provider.props if resource.provider is not None else {}


@stack_rule(edge_config_evaluated)
def edge_config_evaluated_rule(stack: Stack) -> Iterator[tuple[str, str | None]]:
    configs = evaluated_configmaps(stack)
    data_keys: dict[tuple[str, str], frozenset[str]] = {}
    texts: dict[tuple[str, str], dict[str, str]] = {}
    for resource in stack.of("kubernetes:core/v1:ConfigMap"):
        key = (namespace_of(resource.props, _provider(resource)), str(get(resource.props, "metadata", "name", default="")))
        data = mapping(get(resource.props, "data"))
        data_keys[key] = frozenset({*(str(k) for k in data), *(str(k) for k in mapping(get(resource.props,
                                                                                              "binaryData")))})
        if key in configs:
            decoded = configmap_texts(resource.props)
            texts[key] = {k: decoded[k] for k in configs[key].keys if k in decoded}
    for resource in stack.resources:
        if not resource.resource_type.startswith("kubernetes:"):
            continue
        for pod in pods(resource.resource_type, resource.props):
            namespace = pod.namespace or namespace_of(resource.props, _provider(resource))
            for container in pod.containers():
                if not is_haproxy_container(container) and not _mounts_config(container, namespace, configs):
                    continue
                yield from ((m, resource.urn) for m in _container_problems(container, namespace, configs, data_keys,
                                                                           texts))


def _container_problems(container: Container, namespace: str, configs: dict[tuple[str, str], ConfigSource],
                        data_keys: dict[tuple[str, str], frozenset[str]],
                        texts: dict[tuple[str, str], dict[str, str]]) -> Iterator[str]:
    argv, origin = effective_argv(container)
    argv, hidden = expand_argv(argv, container)
    for name in hidden:
        yield f"{container.label} runs an argv that expands $({name}), a variable from a reference the pack " \
              "cannot read, so the pack cannot tell which files it loads"
    if origin == IMAGE_DEFAULT and not _image_name(container).startswith("haproxy"):
        yield f"{container.label} mounts the HAProxy configuration but runs image " \
              f"{str(get(container.data, 'image', default='?'))[:80]}'s own command, which the pack cannot see"
        return
    loads, chdir, assigned, problem = parse_argv(argv)
    if problem:
        yield f"{container.label} {problem}"
        return
    yield from _master_cli(container, argv)
    if origin == IMAGE_DEFAULT:
        loads = [Load(load.path, origin) for load in loads]
    env = {str(get(e, "name", default="")): e for e in items(get(container.data, "env"))}
    cfgfiles = assigned.get(CFGFILES_ENV)
    if cfgfiles is None and CFGFILES_ENV in env:
        cfgfiles = get(env[CFGFILES_ENV], "value")
        if cfgfiles is None:
            yield f"{container.label} sets {CFGFILES_ENV} from a reference the pack cannot read"
    if cfgfiles:
        loads += [Load(p, CFGFILES_ENV) for p in str(cfgfiles).replace(";", ":").split(":") if p]
    if items(get(container.data, "envFrom")):
        yield f"{container.label} takes variables from envFrom, which can set {CFGFILES_ENV} or values the " \
              "configuration expands"
    if not loads:
        yield f"{container.label} names no configuration file ({origin}: `{' '.join(argv)[:80]}`)"
    working_dir = get(container.data, "workingDir")
    mounted: set[tuple[str, str]] = set()
    loaded: set[tuple[str, str, str]] = set()
    for load in loads:
        path = _resolve(load.path, chdir, str(working_dir) if working_dir else None)
        if path is None:
            yield f"{container.label} loads the relative path {load.path} ({load.how}) from a working directory " \
                  "the pack cannot see"
            continue
        problems = list(_file_problems(path, load, container, namespace, configs=configs, data_keys=data_keys,
                                       loaded=loaded))
        yield from problems
        if not problems:
            mounted.update((namespace, name) for name in _configmaps_at(container, path))
    for config_namespace, name in sorted({(n, c) for n, c, _ in loaded}):
        # The edge rules judge haproxy.cfg together with the ConfigMap's other .cfg keys; HAProxy running a
        # key without haproxy.cfg (a `.cfg` key mounted under another name) runs a configuration never judged alone.
        if (config_namespace, name, HAPROXY_KEY) not in loaded:
            keys = sorted(k for n, c, k in loaded if (n, c) == (config_namespace, name))
            yield f"{container.label} loads {', '.join(keys)[:120]} of ConfigMap '{name}' without its {HAPROXY_KEY}: " \
                  "the pack evaluates those keys only together with haproxy.cfg, not as HAProxy runs them"
    for key in sorted(mounted & set(texts)):
        for file, text in sorted(texts[key].items()):
            yield from _expansion_problems(container, text, file)


def _master_cli(container: Container, argv: list[str]) -> Iterator[str]:
    """`haproxy -S <address>` opens the master CLI (reload, every worker's runtime API): a unix socket or
    loopback only."""
    for index, word in enumerate(argv):
        if not word.startswith("-S"):
            continue
        value = word[2:] or (argv[index + 1] if index + 1 < len(argv) else "")
        host, port = parse_address(value.split(",")[0])
        if port is not None and not is_loopback(host):
            yield f"{container.label} opens the master CLI on the network address {value[:60]} (`-S`): every " \
                  "worker's admin runtime API, reachable from the pod network"


def _configmaps_at(container: Container, path: str) -> list[str]:
    names = []
    for mount in items(get(container.data, "volumeMounts")):
        root = posixpath.normpath(str(get(mount, "mountPath", default="")))
        if path == root or path.startswith(root.rstrip("/") + "/"):
            volume = next((v for v in items(get(container.pod.spec, "volumes")) if get(v, "name") == get(mount, "name")),
                          None)
            for source, kind in _sources(mapping(volume)):
                if kind == "configMap" and get(source, "name"):
                    names.append(str(get(source, "name")))
    return names


POLICIES = [edge_config_evaluated_rule]
