"""The typed model of the `orchestrator:` stack config namespace.

Every stack setting is parsed here once, before any resource is declared. A bad value becomes one
`ConfigError` line naming the stack file, the key path, the value and what is allowed.

One module per concern (`app`, `database`, `cache`, `edge`, `monitoring`, `network`, `cluster`,
`rollout`), the root and its cross-section rules in `stack`; value types in `values`, `enums` and
`secret_names`; `errors` formats the one line, `paths` and `loading` read the stack's settings.
"""

from __future__ import annotations

from components.config.app import (
    CANARY_WEIGHTS,
    MEMORY_LIMIT_CEILING_MI,
    AppConfig,
    AutoscalingConfig,
    ProbesConfig,
    ProbeTiming,
    ResourceQuantities,
    ResourcesConfig,
    SlotsConfig,
)
from components.config.cache import CacheConfig
from components.config.cluster import ClusterConfig, NodePoolConfig
from components.config.database import DatabaseConfig
from components.config.edge import (
    CERT_MANAGER_GROUP,
    EdgeConfig,
    EdgeHealthCheckConfig,
    EdgeTlsConfig,
    RateLimitConfig,
)
from components.config.enums import CertificateSource, Environment, Platform, Slot, TlsVersion
from components.config.errors import ConfigError, describe_error
from components.config.loading import load, parse
from components.config.monitoring import (
    AlertReceiverConfig,
    LogsConfig,
    MonitoringConfig,
    SamplingConfig,
    TracingConfig,
)
from components.config.network import NetworkConfig
from components.config.paths import NAMESPACE, STACK_SECRETS, key_path, namespace_values, stack_file
from components.config.rollout import SLO_ERROR_RATE_PERCENT, SLO_P95_MILLISECONDS, RolloutConfig
from components.config.secret_names import secret_like_name
from components.config.stack import StackConfig
from components.config.values import cpu_millicores, memory_mebibytes

__all__ = [
    "CANARY_WEIGHTS", "CERT_MANAGER_GROUP", "MEMORY_LIMIT_CEILING_MI", "NAMESPACE", "SLO_ERROR_RATE_PERCENT",
    "SLO_P95_MILLISECONDS", "STACK_SECRETS", "AlertReceiverConfig", "AppConfig", "AutoscalingConfig", "CacheConfig",
    "CertificateSource", "ClusterConfig", "ConfigError", "DatabaseConfig", "EdgeConfig", "EdgeHealthCheckConfig",
    "EdgeTlsConfig", "Environment", "LogsConfig", "MonitoringConfig", "NetworkConfig", "NodePoolConfig", "Platform",
    "ProbeTiming", "ProbesConfig", "RateLimitConfig", "ResourceQuantities", "ResourcesConfig", "RolloutConfig",
    "SamplingConfig", "Slot", "SlotsConfig", "StackConfig", "TlsVersion", "TracingConfig", "cpu_millicores",
    "describe_error", "key_path", "load", "memory_mebibytes", "namespace_values", "parse", "secret_like_name",
    "stack_file",
]
