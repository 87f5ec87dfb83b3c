"""Boards move from the generation app to the library: the tables stay, only Django's state moves.

The tables keep their names (generation_board, generation_boarditem) and their rows. The content
types are renamed rather than recreated, so permissions given on boards keep pointing at them.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def _content_types_move(apps, schema_editor, *, source: str, target: str) -> None:
    """Rename the boards' content types from one app to the other, keeping their permissions.

    A content type already under the target name was made afresh by post_migrate (its
    permissions belong to nobody yet): it gives way to the old one, whose permissions may be
    assigned to groups and users.
    """
    content_type = apps.get_model("contenttypes", "ContentType")
    rows = content_type.objects.using(schema_editor.connection.alias)
    for model in ("board", "boarditem"):
        if not rows.filter(app_label=source, model=model).exists():
            continue
        rows.filter(app_label=target, model=model).delete()
        rows.filter(app_label=source, model=model).update(app_label=target)


def content_types_to_library(apps, schema_editor):
    _content_types_move(apps, schema_editor, source="generation", target="library")


def content_types_to_generation(apps, schema_editor):
    _content_types_move(apps, schema_editor, source="library", target="generation")


class Migration(migrations.Migration):
    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("creatives", "0004_library_embeddings_thumbnails_search"),
        ("generation", "0004_boards"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Board",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("name", models.CharField(max_length=80, verbose_name="name")),
                        ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="created")),
                        ("updated_at", models.DateTimeField(auto_now=True, verbose_name="updated")),
                        (
                            "owner",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="boards",
                                to=settings.AUTH_USER_MODEL,
                                verbose_name="owner",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "board",
                        "verbose_name_plural": "boards",
                        "db_table": "generation_board",
                        "ordering": ["-updated_at", "-id"],
                        "constraints": [
                            models.UniqueConstraint(
                                fields=("owner", "name"), name="board_unique_owner_name"
                            )
                        ],
                    },
                ),
                migrations.CreateModel(
                    name="BoardItem",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("note", models.CharField(blank=True, max_length=300, verbose_name="note")),
                        ("added_at", models.DateTimeField(auto_now_add=True, verbose_name="added")),
                        (
                            "board",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="items",
                                to="library.board",
                                verbose_name="board",
                            ),
                        ),
                        (
                            "image",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="board_items",
                                to="creatives.creativeimage",
                                verbose_name="image",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "board item",
                        "verbose_name_plural": "board items",
                        "db_table": "generation_boarditem",
                        "ordering": ["board", "added_at", "id"],
                        "constraints": [
                            models.UniqueConstraint(
                                fields=("board", "image"), name="board_item_unique_image"
                            )
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(content_types_to_library, content_types_to_generation),
    ]
