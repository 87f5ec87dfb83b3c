"""The ingestion admin as a marketing lead uses it: runs, bookmarks, CSV uploads, stuck runs."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Permission, User
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

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
        },
    )

    assert response.status_code == 302
    bookmark.refresh_from_db()
    assert bookmark.lookback_days == 7


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


def running_run(account, **fields) -> IngestionRun:
    return IngestionRun.objects.create(
        account=account,
        status=IngestionRun.Status.RUNNING,
        started_at=timezone.now() - dt.timedelta(hours=2),
        heartbeat_at=timezone.now() - dt.timedelta(hours=1),
        worker="yenni-worker-2:pid:[4026531836]:5120",
        **fields,
    )


def mark_failed(client, *runs: IngestionRun, confirm: bool):
    data = {"action": "mark_failed", "_selected_action": [run.pk for run in runs]}
    if confirm:
        data["post"] = "yes"
    return client.post(reverse("admin:ingestion_ingestionrun_changelist"), data)


def test_a_lead_is_asked_to_confirm_before_marking_a_run_as_failed(client, lead):
    run = running_run(make_account(platform="meta", name="Crédito Fácil Meta"))
    client.force_login(lead)

    response = mark_failed(client, run, confirm=False)

    page = response.content.decode()
    assert response.status_code == 200
    assert "Crédito Fácil Meta" in page
    assert "yenni-worker-2:pid:[4026531836]:5120" in page
    assert 'name="post" value="yes"' in page
    run.refresh_from_db()
    assert run.status == IngestionRun.Status.RUNNING
    assert LogEntry.objects.count() == 0


def test_a_lead_marks_a_stuck_run_as_failed_and_the_run_says_who_did_it(client, lead):
    account = make_account(platform="meta", name="Crédito Fácil Meta")
    stuck = running_run(account)
    finished = IngestionRun.objects.create(account=account, status=IngestionRun.Status.SUCCEEDED)
    client.force_login(lead)

    response = mark_failed(client, stuck, finished, confirm=True)

    assert response.status_code == 302
    stuck.refresh_from_db()
    finished.refresh_from_db()
    assert stuck.status == IngestionRun.Status.FAILED
    assert stuck.finished_at is not None
    assert stuck.error.startswith("Marcada como fallida en el admin por lucia_lead el ")
    assert finished.status == IngestionRun.Status.SUCCEEDED
    entry = LogEntry.objects.get()
    assert (entry.user, entry.object_id) == (lead, str(stuck.pk))
    assert entry.get_change_message() == "Marcada como fallida (estaba en curso)."
    messages = [str(m) for m in get_messages(response.wsgi_request)]
    assert messages == ["1 ejecución marcada como fallida."]


def test_marking_only_finished_runs_changes_nothing_and_says_so(client, lead):
    finished = IngestionRun.objects.create(
        account=make_account(platform="meta"), status=IngestionRun.Status.FAILED, error="x"
    )
    client.force_login(lead)

    response = mark_failed(client, finished, confirm=True)

    finished.refresh_from_db()
    assert (finished.status, finished.error) == (IngestionRun.Status.FAILED, "x")
    messages = [str(m) for m in get_messages(response.wsgi_request)]
    assert messages == [
        "Ninguna de las ejecuciones seleccionadas está en cola ni en curso; no se cambió nada."
    ]


def test_a_lead_marks_a_queued_run_nothing_will_start_as_failed(client, lead):
    account = make_account(platform="meta", name="Crédito Fácil Meta")
    # The schedule's run whose task the job queue lost: nothing judges it but a lead.
    lost = IngestionRun.objects.create(account=account)
    client.force_login(lead)

    page = mark_failed(client, lost, confirm=False).content.decode()
    mark_failed(client, lost, confirm=True)

    assert "Crédito Fácil Meta" in page and "En cola" in page
    lost.refresh_from_db()
    assert lost.status == IngestionRun.Status.FAILED
    assert lost.error.startswith("Marcada como fallida en el admin por lucia_lead el ")
    assert LogEntry.objects.get().get_change_message() == "Marcada como fallida (estaba en cola)."


def test_the_run_list_says_a_queued_run_whose_ingest_died_will_never_start(client, lead):
    from tests.ingestion.test_dead_runs import gone_worker

    account = make_account(platform="meta", name="Crédito Fácil Meta")
    dead = gone_worker()
    orphan = IngestionRun.objects.create(account=account, worker=dead)
    waiting = IngestionRun.objects.create(account=account)
    client.force_login(lead)

    page = client.get(reverse("admin:ingestion_ingestionrun_changelist")).content.decode()

    assert (
        "En cola — nunca empezará: el proceso que la puso en cola terminó (su proceso "
        f"{dead} ya no existe). El próximo ingest la cierra."
    ) in page
    assert page.count("nunca empezará") == 1  # the job queue's run is only queued
    # Showing it writes nothing: the next `ingest` closes it.
    orphan.refresh_from_db()
    waiting.refresh_from_db()
    assert orphan.status == waiting.status == IngestionRun.Status.QUEUED


def test_a_staff_user_without_the_stop_permission_cannot_mark_runs_as_failed(client, db):
    viewer = User.objects.create_user("vera_viewer", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_ingestionrun"))
    run = running_run(make_account(platform="meta"))
    client.force_login(viewer)

    listing = client.get(reverse("admin:ingestion_ingestionrun_changelist"))
    response = mark_failed(client, run, confirm=True)

    assert listing.status_code == 200
    assert "mark_failed" not in listing.content.decode()
    run.refresh_from_db()
    assert run.status == IngestionRun.Status.RUNNING
    assert response.status_code in (200, 302)
