"""Boards moved from the generation app to the library: rows, ids and permissions survive.

These tests migrate the test database back and forth, so they run outside a transaction;
serialized_rollback puts back what the data migrations wrote (groups, rules) for later tests.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("generation", "0004_boards"), ("library", None)]
AFTER = [("generation", "0005_boards_to_library"), ("library", "0001_boards_from_generation")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor.loader.project_state([t for t in targets if t[1] is not None]).apps


@pytest.fixture(autouse=True)
def _back_to_the_latest_migrations():
    """Leave the database at every app's latest migration, as the next test expects: its
    serialized_rollback reloads rows (the seeded brand guideline) with every current column."""
    yield
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_boards_made_before_the_move_keep_their_rows_and_their_permissions():
    old = _migrate(BEFORE)
    user = old.get_model("auth", "User").objects.create(username="analista")
    image = old.get_model("creatives", "CreativeImage").objects.create(
        sha256="a" * 64,
        phash="0" * 16,
        width=10,
        height=10,
        format="PNG",
        byte_size=1,
        file="x.png",
    )
    board = old.get_model("generation", "Board").objects.create(owner=user, name="Ideas Ñandú")
    old.get_model("generation", "BoardItem").objects.create(board=board, image=image, note="nota")
    content_type = old.get_model("contenttypes", "ContentType").objects.get_or_create(
        app_label="generation", model="board"
    )[0]
    permission = old.get_model("auth", "Permission").objects.get_or_create(
        content_type=content_type, codename="view_board", defaults={"name": "Can view board"}
    )[0]
    group = old.get_model("auth", "Group").objects.create(name="Lectores de tableros")
    group.permissions.add(permission)

    new = _migrate(AFTER)

    moved = new.get_model("library", "Board").objects.get()
    assert (moved.pk, moved.name, moved.owner_id) == (board.pk, "Ideas Ñandú", user.pk)
    assert list(moved.items.values_list("image_id", "note")) == [(image.pk, "nota")]
    group_permissions = new.get_model("auth", "Group").objects.get(pk=group.pk).permissions
    assert list(group_permissions.values_list("content_type__app_label", "codename")) == [
        ("library", "view_board")
    ]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_move_can_be_undone_and_redone_without_losing_a_board():
    _migrate(AFTER)
    new = _migrate(AFTER)
    user = new.get_model("auth", "User").objects.create(username="lider")
    new.get_model("library", "Board").objects.create(owner=user, name="Campaña QR")

    old = _migrate(BEFORE)
    assert list(old.get_model("generation", "Board").objects.values_list("name", flat=True)) == [
        "Campaña QR"
    ]

    again = _migrate(AFTER)
    assert list(again.get_model("library", "Board").objects.values_list("name", flat=True)) == [
        "Campaña QR"
    ]
