"""Let marketing leads watch ingestion runs and failed images, and tune account bookmarks."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

LEAD_PERMISSIONS = [
    "view_ingestionrun",
    # Adding a run is importing a CSV file through the admin.
    "add_ingestionrun",
    "view_syncbookmark",
    "change_syncbookmark",
    "view_imagefetchfailure",
]


def forwards(apps, schema_editor):
    # Permissions are normally created after all migrations; make them now so the group holds them.
    app_config = apps.get_app_config("ingestion")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    leads, _ = Group.objects.get_or_create(name="Marketing leads")
    perms = list(
        Permission.objects.filter(content_type__app_label="ingestion", codename__in=LEAD_PERMISSIONS)
    )
    if len(perms) != len(LEAD_PERMISSIONS):
        raise RuntimeError("Ingestion permissions are missing.")
    leads.permissions.add(*perms)


def backwards(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    perms = Permission.objects.filter(
        content_type__app_label="ingestion", codename__in=LEAD_PERMISSIONS
    )
    for group in Group.objects.filter(name="Marketing leads"):
        group.permissions.remove(*perms)


class Migration(migrations.Migration):
    dependencies = [
        ("ingestion", "0001_runs_bookmarks_image_failures"),
        ("campaigns", "0002_platforms_and_groups"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
