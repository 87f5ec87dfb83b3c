"""Seed the four platforms and the two groups with the permissions each needs."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

PLATFORMS = [
    ("meta", "Meta"),
    ("google_ads", "Google Ads"),
    ("linkedin", "LinkedIn"),
    ("x", "X"),
]

# Leads edit what decides how history is grouped and converted; what came from a platform
# they may only read (campaigns: they may re-assign node and objective, nothing else).
LEAD_PERMISSIONS = {
    "campaigns": {
        "adaccount": ["view", "add", "change"],
        "node": ["view", "add", "change"],
        "nodemappingrule": ["view", "add", "change", "delete"],
        "exchangerate": ["view", "add", "change", "delete"],
        "campaign": ["view", "change"],
        "ad": ["view"],
        "dailymetric": ["view"],
        "platform": ["view"],
    },
    "creatives": {
        "creative": ["view"],
        "creativeimage": ["view"],
        "creativeimageslot": ["view"],
        "imagedescription": ["view"],
    },
}

# Analysts use the web pages, not the admin: they read the catalog those pages show.
ANALYST_PERMISSIONS = {
    "campaigns": {
        "node": ["view"],
        "campaign": ["view"],
        "ad": ["view"],
        "dailymetric": ["view"],
        "platform": ["view"],
    },
    "creatives": {
        "creative": ["view"],
        "creativeimage": ["view"],
        "imagedescription": ["view"],
    },
}


def _grant(apps, group, spec):
    Permission = apps.get_model("auth", "Permission")
    for app_label, models in spec.items():
        for model, actions in models.items():
            codenames = [f"{action}_{model}" for action in actions]
            perms = list(
                Permission.objects.filter(
                    content_type__app_label=app_label, codename__in=codenames
                )
            )
            if len(perms) != len(codenames):
                found = {p.codename for p in perms}
                missing = sorted(set(codenames) - found)
                raise RuntimeError(f"Permissions missing for {app_label}: {missing}")
            group.permissions.add(*perms)


def forwards(apps, schema_editor):
    Platform = apps.get_model("campaigns", "Platform")
    for slug, name in PLATFORMS:
        Platform.objects.update_or_create(slug=slug, defaults={"name": name})

    # Permissions are normally created after all migrations; make them now so groups can hold them.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    leads, _ = Group.objects.get_or_create(name="Marketing leads")
    analysts, _ = Group.objects.get_or_create(name="Analysts")
    _grant(apps, leads, LEAD_PERMISSIONS)
    _grant(apps, analysts, ANALYST_PERMISSIONS)


def backwards(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Group.objects.filter(name__in=["Marketing leads", "Analysts"]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("campaigns", "0001_ad_history"),
        ("creatives", "0001_asset_library"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
