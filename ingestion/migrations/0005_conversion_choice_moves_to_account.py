"""The choice of conversion and lead types moves from the sync bookmark to the ad account.

Only Meta connectors ever read the bookmark's lists ("Meta only" in their help text), so only
Meta accounts take them over; an empty list meant "the site default", which is now an
account's unset choice (None). Back: a Meta account's own lists return to its bookmark.
"""

from django.db import migrations


def bookmark_to_account(apps, schema_editor):
    SyncBookmark = apps.get_model("ingestion", "SyncBookmark")
    AdAccount = apps.get_model("campaigns", "AdAccount")
    bookmarks = SyncBookmark.objects.filter(account__platform__slug="meta").select_related(
        "account"
    )
    for bookmark in bookmarks:
        fields = {}
        if bookmark.conversion_actions:
            fields["conversion_types"] = list(bookmark.conversion_actions)
        if bookmark.lead_actions:
            fields["lead_types"] = list(bookmark.lead_actions)
        if fields:
            AdAccount.objects.filter(pk=bookmark.account_id).update(**fields)


def account_to_bookmark(apps, schema_editor):
    SyncBookmark = apps.get_model("ingestion", "SyncBookmark")
    AdAccount = apps.get_model("campaigns", "AdAccount")
    accounts = AdAccount.objects.filter(platform__slug="meta").exclude(
        conversion_types__isnull=True, lead_types__isnull=True
    )
    for account in accounts:
        SyncBookmark.objects.update_or_create(
            account_id=account.pk,
            defaults={
                "conversion_actions": list(account.conversion_types or []),
                "lead_actions": list(account.lead_types or []),
            },
        )


class Migration(migrations.Migration):
    dependencies = [
        ("ingestion", "0004_bookmark_creative_versions"),
        ("campaigns", "0007_conversions_by_type_and_account_choice"),
    ]

    operations = [
        migrations.RunPython(bookmark_to_account, account_to_bookmark),
        migrations.RemoveField(model_name="syncbookmark", name="conversion_actions"),
        migrations.RemoveField(model_name="syncbookmark", name="lead_actions"),
    ]
