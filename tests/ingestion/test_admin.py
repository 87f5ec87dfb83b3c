"""The ingestion admin as a marketing lead uses it: runs, bookmarks, CSV uploads."""

from __future__ import annotations

from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from campaigns.models import DailyMetric
from ingestion.models import ImageFetchFailure, IngestionRun, SyncBookmark
from tests.factories import make_account, make_creative

FIXTURES = Path(__file__).parent / "fixtures"


def test_a_lead_watches_runs_failed_images_and_bookmarks(client, lead):
    account = make_account(platform="meta", name="Compras Meta")
    run = IngestionRun.objects.create(
        account=account, status=IngestionRun.Status.FAILED, error="Token expired"
    )
    SyncBookmark.objects.create(account=account)
    ImageFetchFailure.objects.create(
        creative=make_creative(), url="https://scontent.xx.fbcdn.net/a.jpg", error="HTTP 404"
    )
    client.force_login(lead)

    runs = client.get(reverse("admin:ingestion_ingestionrun_changelist"))
    detail = client.get(reverse("admin:ingestion_ingestionrun_change", args=[run.pk]))
    failures = client.get(reverse("admin:ingestion_imagefetchfailure_changelist"))
    bookmarks = client.get(reverse("admin:ingestion_syncbookmark_changelist"))

    assert [r.status_code for r in (runs, detail, failures, bookmarks)] == [200, 200, 200, 200]
    assert "Compras Meta" in runs.content.decode()
    assert "Token expired" in detail.content.decode()
    assert reverse("admin:ingestion_ingestionrun_import_csv") in runs.content.decode()


def test_a_lead_changes_an_accounts_look_back(client, lead):
    account = make_account(platform="meta")
    bookmark = SyncBookmark.objects.create(account=account)
    client.force_login(lead)

    response = client.post(
        reverse("admin:ingestion_syncbookmark_change", args=[bookmark.pk]),
        {
            "last_synced_date": "",
            "lookback_days": "7",
            "backfill_days": "",
            "conversion_actions": '["purchase"]',
            "lead_actions": "[]",
        },
    )

    assert response.status_code == 302
    bookmark.refresh_from_db()
    assert (bookmark.lookback_days, bookmark.conversion_actions) == (7, ["purchase"])


def test_a_lead_uploads_a_csv_file_and_lands_on_its_run(client, lead):
    account = make_account(platform="google_ads", currency="USD")
    client.force_login(lead)
    upload = SimpleUploadedFile(
        "report.csv", (FIXTURES / "google_ads_ad_report.csv").read_bytes(), "text/csv"
    )

    response = client.post(
        reverse("admin:ingestion_ingestionrun_import_csv"),
        {"account": account.pk, "file": upload},
    )

    run = IngestionRun.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:ingestion_ingestionrun_change", args=[run.pk])
    assert DailyMetric.objects.count() == 5


def test_a_broken_csv_upload_shows_what_is_wrong_and_imports_nothing(client, lead):
    account = make_account(platform="meta", currency="USD")
    client.force_login(lead)
    upload = SimpleUploadedFile("export.csv", b"Campaign name,Ad name\nA,B\n", "text/csv")

    response = client.post(
        reverse("admin:ingestion_ingestionrun_import_csv"),
        {"account": account.pk, "file": upload},
    )

    assert response.status_code == 200
    assert "required columns are missing" in response.content.decode()
    assert DailyMetric.objects.count() == 0


def test_an_analyst_cannot_upload_csv_files(client, analyst):
    client.force_login(analyst)

    response = client.get(reverse("admin:ingestion_ingestionrun_import_csv"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))
