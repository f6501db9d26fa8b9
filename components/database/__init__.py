"""database: one contract, one module per platform."""

from __future__ import annotations

from components.config import Platform
from components.database.contract import DatabaseArgs, PostgresCluster, PostgresOutputs


def implementation(platform: Platform) -> type[PostgresCluster]:
    # Imported lazily: each cloud SDK costs import time the other platforms need not pay.
    if platform is Platform.AWS:
        from components.database.aws import RdsPostgres

        return RdsPostgres
    if platform is Platform.AZURE:
        from components.database.azure import FlexiblePostgres

        return FlexiblePostgres
    from components.database.kubernetes import CnpgPostgres

    return CnpgPostgres


__all__ = ["DatabaseArgs", "PostgresCluster", "PostgresOutputs", "implementation"]
