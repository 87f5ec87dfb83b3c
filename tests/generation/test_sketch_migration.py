"""Sketches stored before server-made names get one: generation/0007 renames them.

Runs outside a transaction (it migrates the test database back and forth); serialized_rollback
puts back what the data migrations wrote for later tests.
"""

from __future__ import annotations

import io
import re

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from PIL import Image

BEFORE = [("generation", "0006_brief_sketch_server_name")]
AFTER = [("generation", "0007_rename_stored_sketches")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor.loader.project_state(targets).apps


def _latest():
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (80, 80), (20, 200, 40)).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_sketch_stored_under_the_analysts_name_gets_a_server_name(media_storage):
    old_name = default_storage.save("sketches/2026/01/evil.html", ContentFile(_png()))
    try:
        old = _migrate(BEFORE)
        user = old.get_model("auth", "User").objects.create(username="analista")
        node = old.get_model("campaigns", "Node").objects.create(name="Wompi", slug="wompi")
        brief = old.get_model("generation", "Brief").objects.create(
            owner=user,
            node=node,
            objective="traffic",
            title="Links",
            description="Pagos con el celular",
            sketch=old_name,
        )
        missing = old.get_model("generation", "Brief").objects.create(
            owner=user, node=node, objective="traffic", title="Sin archivo", sketch="gone.png"
        )

        new = _migrate(AFTER)

        renamed = new.get_model("generation", "Brief").objects.get(pk=brief.pk)
        assert re.fullmatch(r"sketches/\d{4}/\d{2}/[0-9a-f]{32}\.png", renamed.sketch.name)
        assert renamed.sketch_name == "evil.html"
        with default_storage.open(renamed.sketch.name, "rb") as handle:
            assert handle.read() == _png()
        assert not default_storage.exists(old_name)
        untouched = new.get_model("generation", "Brief").objects.get(pk=missing.pk)
        assert (untouched.sketch.name, untouched.sketch_name) == ("gone.png", "")
    finally:
        _latest()
