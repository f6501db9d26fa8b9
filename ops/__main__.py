"""`python -m ops`."""

import sys

from offline import run_guarded

sys.exit(run_guarded("ops"))
