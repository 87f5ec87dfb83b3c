"""The ingest and ingest_schedule commands, and the sync window they read."""

from __future__ import annotations

import datetime as dt
import io
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django_q.models import Schedule

from campaigns.models import AdAccount
from ingestion.models import IngestionRun, SyncBookmark
from ingestion.services import sync_window
from tests.factories import make_account
from tests.ingestion.conftest import account_yesterday, catalog_totals


def test_ingest_syncs_every_active_account_and_one_failure_does_not_stop_the_others(
    fake_meta, meta_account
):
    # No token is set for this account: it fails before calling Meta.
    broken = make_account(platform="meta", external_id="act_2002", name="Wompi Meta")
    AdAccount.objects.filter(
        pk=make_account(platform="meta", external_id="act_3003", name="Old Meta").pk
    ).update(active=False)
    out = io.StringIO()

    with pytest.raises(CommandError, match=r"1 of 2 runs failed: #\d+ Wompi Meta"):
        call_command("ingest", "--platform=meta", stdout=out)

    runs = {run.account.external_id: run for run in IngestionRun.objects.select_related("account")}
    assert sorted(runs) == ["act_1001", "act_2002"]
    assert runs["act_1001"].status == IngestionRun.Status.SUCCEEDED
    assert runs["act_2002"].status == IngestionRun.Status.FAILED
    assert catalog_totals(meta_account) == fake_meta.history.totals_by_ad()
    assert catalog_totals(broken) == {}
    output = out.getvalue()
    assert "[1/2] Tu360 Compras Meta (Meta act_1001): 63/63 days to" in output
    assert "[2/2] Wompi Meta (Meta act_2002): failed" in output
    assert [m.subject for m in mail.outbox] == ["[Yenni] Ingestion failed: Wompi Meta (Meta)"]


def test_ingest_since_reads_from_that_day(fake_meta, meta_account):
    start = account_yesterday(meta_account) - dt.timedelta(days=9)

    call_command("ingest", "--account=act_1001", f"--since={start}", stdout=io.StringIO())

    run = IngestionRun.objects.get()
    assert (run.window_start, run.status) == (start, IngestionRun.Status.SUCCEEDED)
    assert {m.date for m in run.account.campaigns.first().ads.first().daily_metrics.all()} <= {
        start + dt.timedelta(days=d) for d in range(10)
    }


def test_ingest_without_a_matching_account_says_so(db):
    with pytest.raises(CommandError, match="No active account with a connector matches"):
        call_command("ingest", "--account=act_404", stdout=io.StringIO())


def test_ingest_schedule_keeps_one_daily_schedule_at_seven_in_bogota(db):
    call_command("ingest_schedule", stdout=io.StringIO())
    call_command("ingest_schedule", stdout=io.StringIO())

    # Besides the model-job reaper that `migrate` creates (tests/generation).
    schedule = Schedule.objects.exclude(name="yenni-model-jobs-reaper").get()
    assert (schedule.name, schedule.func, schedule.schedule_type, schedule.repeats) == (
        "yenni-ingest-daily",
        "ingestion.tasks.ingestion_all_accounts_task",
        Schedule.DAILY,
        -1,
    )
    local = schedule.next_run.astimezone(ZoneInfo("America/Bogota"))
    assert (local.hour, local.minute) == (7, 0)


def test_the_schedules_task_queues_and_runs_every_active_account(
    fake_meta, meta_account, django_capture_on_commit_callbacks
):
    from ingestion.tasks import ingestion_all_accounts_task

    with django_capture_on_commit_callbacks(execute=True):
        queued = ingestion_all_accounts_task()

    assert queued == 1
    assert IngestionRun.objects.get().status == IngestionRun.Status.SUCCEEDED
    assert catalog_totals(meta_account) == fake_meta.history.totals_by_ad()


@pytest.mark.parametrize(
    ("platform", "bookmark", "override", "expected_start"),
    [
        ("meta", None, None, dt.date(2024, 1, 1)),
        ("meta", dt.date(2026, 2, 20), None, dt.date(2026, 1, 24)),
        ("google_ads", dt.date(2026, 2, 20), None, dt.date(2026, 2, 7)),
        ("linkedin", dt.date(2026, 2, 20), None, dt.date(2026, 2, 21)),
        ("x", dt.date(2026, 2, 20), None, dt.date(2026, 2, 7)),
        ("meta", dt.date(2026, 2, 20), 2, dt.date(2026, 2, 19)),
    ],
)
def test_the_window_starts_at_the_bookmark_less_the_platforms_look_back(
    db, settings, platform, bookmark, override, expected_start
):
    settings.INGEST_BACKFILL_DAYS = 790
    account = make_account(platform=platform)
    mark = SyncBookmark.objects.create(
        account=account, last_synced_date=bookmark, lookback_days=override
    )
    # 03:00 UTC on 2 March is still 1 March in Bogotá: yesterday there is 28 February.
    now = dt.datetime(2026, 3, 2, 3, 0, tzinfo=dt.UTC)

    assert sync_window(account=account, bookmark=mark, now=now) == (
        expected_start,
        dt.date(2026, 2, 28),
    )


def test_the_back_fill_of_one_account_can_differ(db):
    account = make_account(platform="meta")
    mark = SyncBookmark.objects.create(account=account, backfill_days=10)
    now = dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.UTC)

    assert sync_window(account=account, bookmark=mark, now=now) == (
        dt.date(2026, 2, 20),
        dt.date(2026, 3, 1),
    )
