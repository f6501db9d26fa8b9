"""Run the real Pulumi program without the Pulumi CLI or cloud credentials.

The program runs under the SDK's public mock runtime (`pulumi.runtime.set_mocks`) with the mocks in
`offline.runner.mocks`; the result is printed as `pulumi preview` would, exported in Pulumi's deployment
format, and checked by the policy pack over the analyzer protocol.
"""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
"""The project directory: Pulumi.yaml, the stack files, policies/ and docs/."""


class OfflineError(Exception):
    """A usage or input problem the user can fix; printed as one line, exit code 2."""


# The project's own top-level packages: a missing one of these is a bug, not a missing install.
PROJECT_PACKAGES = frozenset({"components", "offline", "ops", "policies", "tests", "benchmarks"})


def run_guarded(command: str) -> int:
    """Runs `<command>.cli.main()`; a Python without the dependencies gets one line and exit 2."""
    import importlib
    import sys

    try:
        main = importlib.import_module(f"{command}.cli").main
        return int(main())
    except ModuleNotFoundError as error:
        hint = missing_dependency(error, command)
        if hint is None:
            raise
        print(hint, file=sys.stderr)
        return 2


def missing_dependency(error: ModuleNotFoundError, command: str) -> str | None:
    """The one line for a Python that lacks the project's dependencies, or None when it is a bug."""
    top = (error.name or "").split(".", 1)[0]
    if not top or top in PROJECT_PACKAGES:
        return None
    return (f"error: this Python has no '{top}' module; run `.venv/bin/python -m {command}` "
            f"(`make preview` or `make test` creates .venv from requirements.txt)")
