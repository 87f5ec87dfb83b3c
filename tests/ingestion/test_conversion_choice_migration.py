"""The choice of counted types moved from the sync bookmark to the account (ingestion/0005).

These tests migrate the test database back and forth, so they run outside a transaction;
serialized_rollback puts back what the data migrations wrote (platforms, groups) for later
tests, and each test ends with every app at its latest migration.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("ingestion", "0004_bookmark_creative_versions")]
AFTER = [("ingestion", "0005_conversion_choice_moves_to_account")]


def _migrate(targets):
    """Migrate ingestion to a target; return the models as they are then, every other app's
    at its latest migration (the state of ingestion's target alone would hold accounts
    without the columns campaigns added since, which PostgreSQL refuses to leave empty)."""
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    executor.loader.build_graph()
    latest = [node for node in executor.loader.graph.leaf_nodes() if node[0] != "ingestion"]
    return executor.loader.project_state([*targets, *latest]).apps


def _migrate_to_latest() -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())


def _account(apps, slug: str, external_id: str):
    return apps.get_model("campaigns", "AdAccount").objects.create(
        platform=apps.get_model("campaigns", "Platform").objects.get(slug=slug),
        external_id=external_id,
        name=external_id,
    )


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_meta_bookmarks_types_become_its_accounts_and_other_platforms_keep_the_default():
    try:
        old = _migrate(BEFORE)
        Bookmark = old.get_model("ingestion", "SyncBookmark")
        chosen = _account(old, "meta", "act_1")
        default = _account(old, "meta", "act_2")
        # Only Meta ever read the lists: a LinkedIn account's were ignored, and stay so.
        other = _account(old, "linkedin", "508")
        Bookmark.objects.create(
            account=chosen, conversion_actions=["lead"], lead_actions=["lead_grouped"]
        )
        Bookmark.objects.create(account=default, conversion_actions=[], lead_actions=[])
        Bookmark.objects.create(account=other, conversion_actions=["purchase"], lead_actions=[])

        new = _migrate(AFTER)

        accounts = new.get_model("campaigns", "AdAccount").objects
        assert list(
            accounts.order_by("external_id").values_list(
                "external_id", "conversion_types", "lead_types"
            )
        ) == [("508", None, None), ("act_1", ["lead"], ["lead_grouped"]), ("act_2", None, None)]
        field_names = {f.name for f in new.get_model("ingestion", "SyncBookmark")._meta.fields}
        assert not field_names & {"conversion_actions", "lead_actions"}

        back = _migrate(BEFORE)

        bookmark = back.get_model("ingestion", "SyncBookmark").objects.get(
            account__external_id="act_1"
        )
        assert (bookmark.conversion_actions, bookmark.lead_actions) == (["lead"], ["lead_grouped"])
    finally:
        _migrate_to_latest()
