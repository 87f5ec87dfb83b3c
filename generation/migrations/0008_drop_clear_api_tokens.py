"""Delete the API tokens DRF stored in clear (authtoken_token), now that tokens are hashed.

rest_framework.authtoken kept each token's key as it is sent, so anyone who read the database or
a backup could use every token. Those tokens are rotated, not converted: they may already have
been copied. Their table, their migration records and their content types (with the permissions
on them) go; API clients ask an operator for a new token (`manage.py api_token USER`, shown once,
stored as a SHA-512 digest by django-rest-knox). Nothing to do on a database that never had them.
"""

from django.db import migrations
from django.db.migrations.recorder import MigrationRecorder


def drop_clear_tokens(apps, schema_editor):
    connection = schema_editor.connection
    if "authtoken_token" in connection.introspection.table_names():
        schema_editor.execute(
            schema_editor.sql_delete_table % {"table": schema_editor.quote_name("authtoken_token")}
        )
    MigrationRecorder(connection).migration_qs.filter(app="authtoken").delete()
    ContentType = apps.get_model("contenttypes", "ContentType")
    ContentType.objects.filter(app_label="authtoken").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("generation", "0007_rename_stored_sketches"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("knox", "0009_extend_authtoken_field"),
    ]

    operations = [
        migrations.RunPython(drop_clear_tokens, migrations.RunPython.noop, elidable=True),
    ]
