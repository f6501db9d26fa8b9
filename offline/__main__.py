import gc
import sys

# The provider SDKs' generated modules and the program allocate hundreds of thousands of long-lived
# objects; the default collector (every 700 allocations) rescans them over and over: ~0.5 s of a
# 3 s preview. Collect less often (cycles are still collected).
gc.set_threshold(50_000, 20, 10)

from offline import run_guarded  # noqa: E402 - after the collector setting, so the imports benefit

code = run_guarded("offline")
# At exit the interpreter's collector passes over those ~400,000 objects while it tears the modules
# down (~1 s); nothing is left to collect that matters, so leave them to the process's end.
gc.freeze()
sys.exit(code)
