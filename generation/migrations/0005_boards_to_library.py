"""Boards now belong to the library app (library/0001): drop them from this app's state only.

No table is touched: library.Board and library.BoardItem use the same tables.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("generation", "0004_boards"),
        ("library", "0001_boards_from_generation"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="BoardItem"),
                migrations.DeleteModel(name="Board"),
            ],
            database_operations=[],
        ),
    ]
