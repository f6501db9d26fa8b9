"""aws implementation of the database contract (empty shell until its issue lands)."""

from __future__ import annotations

import pulumi

from components.database.contract import DatabaseArgs, PostgresCluster, PostgresOutputs


class RdsPostgres(PostgresCluster):
    def __init__(self, name: str, args: DatabaseArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("orchestrator:database:RdsPostgres", name, None, opts)
        self.outputs = PostgresOutputs(
            primary_host=pulumi.Output.from_input("pending"), reader_host=pulumi.Output.from_input("pending"),
            port=pulumi.Output.from_input(5432), database=pulumi.Output.from_input(args.config.database.name),
            credentials_secret=pulumi.Output.from_input("database-credentials"),
            ssl_mode=pulumi.Output.from_input("verify-full"), egress_peers=pulumi.Output.from_input([]))
        self.register_outputs({})
