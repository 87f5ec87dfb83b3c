"""Move the campaigns app's schema to a migration and back, for the migration tests."""

from __future__ import annotations

from django.db import connection
from django.db.migrations.executor import MigrationExecutor


def campaigns_migrated(targets):
    """Migrate campaigns to `targets`; return the models as they are then (the other apps at
    their latest)."""
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    executor.loader.build_graph()
    latest = [node for node in executor.loader.graph.leaf_nodes() if node[0] != "campaigns"]
    return executor.loader.project_state([*targets, *latest]).apps


def migrated_to_latest() -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
