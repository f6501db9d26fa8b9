"""The resource type tokens of the pinned providers, so that a resource no rule would recognise is
refused instead of judged as nothing.

A rule matches a resource by its type token. An export whose type is spelt another way (a letter
case, a typo, a look-alike character, a token the pinned provider does not have) would pass every
rule unseen, while no engine could have deployed it: the provider refuses a type it does not have.
The gate therefore reads every resource whose package is a pinned provider's against the tokens that
provider's SDK registers (its resources, its components and the old tokens it keeps as aliases),
and refuses the export naming the nearest real token. Kubernetes custom resources (a group with a
dot that no built-in API group has) are the one open family: their kinds are the cluster's.

`type_tokens.json` is generated from the installed SDKs (`python -m offline generate`), and
`generate --check` fails when an SDK's version differs from the one it was generated from. Standard
library only: `check --state` reads the export before it imports the SDK.
"""

from __future__ import annotations

import difflib
import json
import re
import sys
from functools import cache
from pathlib import Path

CATALOG = Path(__file__).with_name("type_tokens.json")
REQUIREMENTS = Path(__file__).resolve().parents[2] / "requirements.txt"
"""Where the providers are pinned: every pinned distribution that ships a resource plugin's
`pulumi-plugin.json` is a provider whose tokens the catalog holds."""
TOKEN = re.compile(r"[A-Za-z][A-Za-z0-9_-]*:[A-Za-z0-9_./-]+:[A-Za-z_][A-Za-z0-9_.-]*")
"""A Pulumi type token, `package:module:Name`, in ASCII (Pulumi's token grammar)."""
MAX_SUGGESTED = 200
"""Longer types get no suggestion: the nearest-token search is quadratic in the length (a 200,000
character type took minutes)."""
NESTED_MODULES = frozenset({"kubernetes", "azure-native"})
"""Providers whose modules are not `<module>/<resource>` (an API group and version, an API version)."""
JUDGED_UNPINNED = frozenset({"aws-native"})
"""Packages the program does not use but the pack has rules for (an `aws-native` database is judged
like an `aws` one). A custom resource of any other package no pinned provider has is refused: it
could only be a renamed resource (`k8s:apps/v1:Deployment` with a provider of its own) that no rule
would see."""
ENGINE_TYPES = frozenset({"pulumi:pulumi:Stack", "pulumi:pulumi:StackReference"})
PROVIDER_PREFIX = "pulumi:providers:"
_AZURE_VERSION = re.compile(r"/v\d{8}[a-z]*(?=:)")
"""An azure-native API-version module (`network/v20240501`): the same resource as the default module's."""


def canonical(type_: str) -> str:
    """The token the catalog holds for `type_`: azure-native's versioned modules as the default one."""
    return _AZURE_VERSION.sub("", type_, count=1) if type_.startswith("azure-native:") else type_


def _fold(text: str) -> str:
    return "".join(c for c in text.casefold() if c.isalnum())


class Catalog:
    def __init__(self, versions: dict[str, str], tokens: dict[str, list[str]]) -> None:
        self.versions = versions
        self.tokens = {package: frozenset(found) for package, found in tokens.items()}
        for package in set(self.tokens) - NESTED_MODULES:
            # Terraform-bridged providers also answer to the module-only form (`aws:ec2:SecurityGroupRule`).
            self.tokens[package] |= {_module_only(t) for t in self.tokens[package]}
        self.packages = {_fold(p): p for p in self.tokens}
        self.k8s_groups = {_group(t) for t in self.tokens.get("kubernetes", ())}
        self._folded_groups = {_fold(g): g for g in self.k8s_groups}

    def problem(self, type_: str, custom: bool, provider_type: str | None) -> str | None:
        """Why no engine could hold a resource of `type_` (custom or a component; its provider reference
        names a resource of type `provider_type`, if any), or None."""
        if not TOKEN.fullmatch(type_):
            return ("is not a Pulumi type token (package:module:Name, letters, digits, '_', '.', '-', and '/' in "
                    "the module)")
        package, module, name = type_.split(":")
        if provider_type is not None and provider_type != PROVIDER_PREFIX + package:
            return (f"is of package {package}, but its provider is a {provider_type} (the engine asks the provider "
                    "of the resource's own package)")
        if package == "pulumi":
            if type_ in ENGINE_TYPES:
                return None
            if module == "providers":
                return self._package_problem(name, "provider package")
            return f"is no engine type ({', '.join(sorted(ENGINE_TYPES))}, {PROVIDER_PREFIX}<package>)"
        if package not in self.tokens:
            problem = self._package_problem(package, "package")
            if problem is None and custom and package not in JUDGED_UNPINNED:
                problem = (f"is a resource of package {json.dumps(package)}, which no pinned provider is "
                           f"({', '.join(sorted(self.tokens))}) and no rule of this gate judges; a renamed resource "
                           "would pass unseen")
            return problem
        if canonical(type_) in self.tokens[package]:
            return None
        if package == "kubernetes" and self._custom_kind(module):
            return None
        hint = ""
        if len(type_) <= MAX_SUGGESTED:
            wanted = canonical(type_)
            folded = self._folded()[package].get(_fold(wanted))
            near = [folded] if folded else difflib.get_close_matches(wanted, self.tokens[package], n=1, cutoff=0.75)
            hint = f"; did you mean {json.dumps(near[0])}?" if near else ""
        return (f"is no resource type of the pinned provider {package} {self.versions.get(package, '')}".rstrip()
                + f" (no engine could hold it, and no rule would recognise it){hint}")

    @cache  # noqa: B019 - one catalog per process
    def _folded(self) -> dict[str, dict[str, str]]:
        """Each package's tokens by their folded spelling (built only to suggest a token)."""
        return {package: {_fold(t): t for t in sorted(found)} for package, found in self.tokens.items()}

    def _package_problem(self, package: str, what: str) -> str | None:
        pinned = self.packages.get(_fold(package))
        if pinned is not None and pinned != package:
            return f"names {what} {json.dumps(package)}; the pinned provider is {json.dumps(pinned)}"
        return None

    def _custom_kind(self, module: str) -> bool:
        """A Kubernetes custom resource's module (`<group>/<version>`): a group with a dot that is not
        a built-in group in another spelling."""
        group = module.split("/", 1)[0]
        if "." not in group or group in self.k8s_groups:
            return False
        return _fold(group) not in self._folded_groups


def _module_only(token: str) -> str:
    package, module, name = token.split(":")
    return f"{package}:{module.split('/', 1)[0]}:{name}"


def _group(token: str) -> str:
    return token.split(":")[1].split("/", 1)[0]


@cache
def catalog() -> Catalog:
    data = json.loads(CATALOG.read_text(encoding="utf-8"))
    return Catalog(data["versions"], data["tokens"])


# --- generating the catalog from the installed SDKs -----------------------------------------------------


def scan(root: Path, package: str) -> set[str]:
    """Every quoted token of `package` in an SDK's sources: registered types, components, aliases
    (resource names start with a capital letter; functions, `getVpc`, do not)."""
    quoted = re.compile(rf"""["']({re.escape(package)}:[A-Za-z0-9_./-]+:[A-Z_][A-Za-z0-9_]*)["']""")
    found: set[str] = set()
    for path in root.rglob("*.py"):
        text = path.read_text(encoding="utf-8", errors="replace")
        if package + ":" in text:
            found.update(canonical(t) for t in quoted.findall(text))
    return found


def pinned_providers() -> dict[str, tuple[Path, str, str]]:
    """Pulumi package -> (SDK directory, distribution, version) of every provider requirements.txt pins."""
    from importlib import metadata

    found: dict[str, tuple[Path, str, str]] = {}
    for line in REQUIREMENTS.read_text(encoding="utf-8").splitlines():
        distribution = line.split("#", 1)[0].split("==", 1)[0].strip()
        if not distribution or "==" not in line:
            continue
        try:
            files = metadata.files(distribution) or []
        except metadata.PackageNotFoundError:
            raise SystemExit(f"{distribution} is not installed; install requirements.txt first") from None
        for file in files:
            if file.name == "pulumi-plugin.json" and len(file.parts) == 2:
                plugin = json.loads(Path(str(file.locate())).read_text(encoding="utf-8"))
                if plugin.get("resource") and isinstance(plugin.get("name"), str):
                    found[plugin["name"]] = (Path(str(file.locate())).parent, distribution,
                                             metadata.version(distribution))
    return found


def build() -> dict[str, object]:
    providers = pinned_providers()
    return {"versions": {package: version for package, (_, _, version) in sorted(providers.items())},
            "tokens": {package: sorted(scan(root, package)) for package, (root, _, _) in sorted(providers.items())}}


def main(argv: list[str] | None = None) -> int:
    """`python -m offline generate` (`--check`: exit 1 when an SDK's version is not the catalog's)."""
    check = "--check" in (argv or [])
    if check:
        recorded = json.loads(CATALOG.read_text(encoding="utf-8"))["versions"] if CATALOG.exists() else {}
        installed = {package: version for package, (_, _, version) in pinned_providers().items()}
        if recorded != installed:
            print(f"stale {CATALOG.name} (generated from {recorded}); run python -m offline generate", file=sys.stderr)
            return 1
        return 0
    CATALOG.write_text(json.dumps(build(), indent=0, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote offline/gate/{CATALOG.name}")
    return 0
