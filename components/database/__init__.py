"""database: one contract, one module per platform."""

from __future__ import annotations

from components.database.contract import DatabaseArgs, PostgresCluster, PostgresOutputs

__all__ = ["DatabaseArgs", "PostgresCluster", "PostgresOutputs"]
