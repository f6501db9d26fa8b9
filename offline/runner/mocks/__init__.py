"""Provider-faithful mocks shared by the tests and the offline runner.

`ProviderMocks` answers the SDK's mock runtime the way the providers would: auto-names, ids and
the computed outputs consumers read. Each provider package has its own module with a registry of
per-type handlers; `RecordingMonitor` keeps every registration with its options so the runner can
export the deployment and the policy gate can analyze it.
"""

from offline.runner.mocks import aws, azure, kubernetes, misc
from offline.runner.mocks.core import (
    REGISTRIES,
    MissingMockError,
    ProviderMocks,
    RecordingMonitor,
    Registration,
    Registry,
    autoname,
    stable_hex,
)

REGISTRIES.extend(
    Registry(module.RESOURCES, module.PACKAGE_DEFAULTS, module.CALLS, module.PREVIEW) for module in (aws, azure, kubernetes, misc)
)

__all__ = [
    "MissingMockError",
    "ProviderMocks",
    "RecordingMonitor",
    "Registration",
    "autoname",
    "stable_hex",
]
