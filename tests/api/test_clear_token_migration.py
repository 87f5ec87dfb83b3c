"""generation/0008 deletes the tokens DRF kept in clear, with their table and records.

Runs outside a transaction (it migrates the test database back and forth); serialized_rollback
puts back what the data migrations wrote for later tests.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission, User
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.recorder import MigrationRecorder

BEFORE = [("generation", "0007_rename_stored_sketches")]
AFTER = [("generation", "0008_drop_clear_api_tokens")]


def _migrate(targets) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


def _latest() -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_clear_tokens_their_table_records_and_permissions_are_gone():
    try:
        _migrate(BEFORE)
        user = User.objects.create(username="analista")
        with connection.cursor() as cursor:
            # The table as rest_framework.authtoken made it, with a token in clear.
            cursor.execute(
                "CREATE TABLE authtoken_token (key varchar(40) NOT NULL PRIMARY KEY, "
                "created timestamp NOT NULL, user_id integer NOT NULL UNIQUE)"
            )
            cursor.execute(
                "INSERT INTO authtoken_token VALUES (%s, CURRENT_TIMESTAMP, %s)",
                ["0f3c" * 10, user.pk],
            )
        MigrationRecorder(connection).record_applied("authtoken", "0001_initial")
        token_type = ContentType.objects.create(app_label="authtoken", model="token")
        Permission.objects.create(content_type=token_type, codename="view_token", name="Can view")

        _migrate(AFTER)

        assert "authtoken_token" not in connection.introspection.table_names()
        assert not MigrationRecorder(connection).migration_qs.filter(app="authtoken").exists()
        assert not ContentType.objects.filter(app_label="authtoken").exists()
        assert not Permission.objects.filter(codename="view_token").exists()
        assert User.objects.filter(pk=user.pk).exists()
    finally:
        _latest()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_database_that_never_had_clear_tokens_migrates_as_well():
    try:
        _migrate(BEFORE)

        _migrate(AFTER)

        assert "authtoken_token" not in connection.introspection.table_names()
    finally:
        _latest()
