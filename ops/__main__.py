"""`python -m ops`."""

import sys

from offline import missing_dependency

try:
    from ops.cli import main

    code = main()
except ModuleNotFoundError as error:
    hint = missing_dependency(error, "ops")
    if hint is None:
        raise
    print(hint, file=sys.stderr)
    code = 2
sys.exit(code)
