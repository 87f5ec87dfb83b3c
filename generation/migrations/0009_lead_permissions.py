"""Let marketing leads edit the brand's rules in the admin and watch briefs and model jobs.

Issue 14 item 6: the group held no `generation` permission, so only a superuser could edit the
brand guidelines (including the forbidden-word list) and style presets that leads maintain.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

LEAD_PERMISSIONS = [
    "view_brandguideline",
    "add_brandguideline",
    "change_brandguideline",
    # A node's own guideline may go; the admin keeps the global default from being deleted.
    "delete_brandguideline",
    "view_stylepreset",
    "add_stylepreset",
    "change_stylepreset",
    # No delete_stylepreset: deleting blanks the look recorded on every batch made with it;
    # leads switch a preset off ("active") instead.
    "view_brief",
    "view_imagebatch",
    "view_modeljob",
]


def forwards(apps, schema_editor):
    # Permissions are normally created after all migrations; make them now so the group holds them.
    app_config = apps.get_app_config("generation")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    leads, _ = Group.objects.get_or_create(name="Marketing leads")
    perms = list(
        Permission.objects.filter(
            content_type__app_label="generation", codename__in=LEAD_PERMISSIONS
        )
    )
    if len(perms) != len(LEAD_PERMISSIONS):
        raise RuntimeError("Generation permissions are missing.")
    leads.permissions.add(*perms)


def backwards(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    perms = Permission.objects.filter(
        content_type__app_label="generation", codename__in=LEAD_PERMISSIONS
    )
    for group in Group.objects.filter(name="Marketing leads"):
        group.permissions.remove(*perms)


class Migration(migrations.Migration):
    dependencies = [
        ("generation", "0008_drop_clear_api_tokens"),
        ("campaigns", "0002_platforms_and_groups"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
