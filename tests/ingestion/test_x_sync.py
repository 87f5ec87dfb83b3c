"""Syncing an X Ads account from the fake API: exact catalog, retries, resumption."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io

from django.core import mail
from django.core.management import call_command

from campaigns.models import Ad, Campaign, DailyMetric, Objective
from creatives.models import Creative, CreativeImageSlot
from ingestion.models import IngestionRun, SyncBookmark
from tests.fakes.server import FailurePlan
from tests.ingestion.conftest import X_TOKEN, account_yesterday, catalog_totals, sync


def test_a_first_sync_copies_the_account_history_exactly(fake_x, x_account):
    run = sync(x_account)

    history = fake_x.history
    assert run.status == IngestionRun.Status.SUCCEEDED, run.error
    assert catalog_totals(x_account) == history.totals_by_ad()
    assert DailyMetric.objects.filter(ad__campaign__account=x_account).count() == len(
        history.metrics
    )
    assert Campaign.objects.filter(account=x_account).count() == 7
    assert Ad.objects.filter(campaign__account=x_account).count() == 14
    assert CreativeImageSlot.objects.filter(creative__platform="x").count() == 14
    # 3 cursor pages of campaigns and of line items, 5 of promoted tweets, one tweets call,
    # 4 pages of cards, one media library call per media key (legacy cards and tweets without
    # a card have none), and per 7 days one stats call plus one for the app campaign's
    # mobile conversions.
    assert run.api_calls == fake_x.calls == 3 + 3 + 5 + 1 + 4 + 10 + 9 * 2
    assert SyncBookmark.objects.get(account=x_account).last_synced_date == (
        account_yesterday(x_account)
    )


def test_objectives_come_from_the_line_items_and_copy_from_the_tweet(fake_x, x_account):
    sync(x_account)

    found = dict(
        Campaign.objects.filter(account=x_account).values_list("objective_raw", "objective")
    )
    assert found == {
        "WEBSITE_CLICKS": Objective.TRAFFIC,
        "ENGAGEMENTS": Objective.ENGAGEMENT,
        "REACH": Objective.AWARENESS,
        "VIDEO_VIEWS": Objective.ENGAGEMENT,
        "APP_INSTALLS": Objective.CONVERSION,
    }
    first = fake_x.history.ads[0]
    ad = Ad.objects.select_related("creative", "campaign").get(external_id=first.id)
    assert ad.campaign.external_id == first.campaign_id
    assert (ad.creative.external_id, ad.creative.headline, ad.creative.landing_url) == (
        first.creative_id,
        "Paga en cuotas, oferta 1",
        "https://example.co/oferta/1",
    )
    assert ad.creative.body == "Compra hoy y paga en 3 meses."


def test_rate_limits_and_server_errors_end_with_the_same_catalog_and_the_waits_recorded(
    fake_x, x_account
):
    fake_x.failures = FailurePlan(throttle_every=5, error_every=7)

    run = sync(x_account)

    assert run.status == IngestionRun.Status.SUCCEEDED, run.error
    assert catalog_totals(x_account) == fake_x.history.totals_by_ad()
    assert DailyMetric.objects.count() == len(fake_x.history.metrics)
    assert fake_x.throttled >= 4
    assert run.throttle_waits == fake_x.throttled + fake_x.errors
    # Each 429 waits until x-rate-limit-reset, about 60 s away (scaled by 0.0002).
    assert run.waited_seconds >= fake_x.throttled * 58 * 0.0002


def test_an_interrupted_sync_resumes_without_duplicates_and_never_bookmarks_unsaved_days(
    fake_x, x_account
):
    # The catalog takes 26 calls (see the first test); each 7-day chunk then takes 2.
    fake_x.failures = FailurePlan(fail_after=26 + 5 * 2)

    failed = sync(x_account)

    assert failed.status == IngestionRun.Status.FAILED
    bookmark = SyncBookmark.objects.get(account=x_account).last_synced_date
    assert bookmark == failed.window_start + dt.timedelta(days=5 * 7 - 1)
    saved = set(DailyMetric.objects.values_list("ad__external_id", "date", "clicks"))
    history = fake_x.history
    assert saved == {(m.ad_id, m.date, m.clicks) for m in history.metrics if m.date <= bookmark}

    fake_x.failures = FailurePlan()
    resumed = sync(x_account)

    assert resumed.status == IngestionRun.Status.SUCCEEDED, resumed.error
    assert resumed.window_start == bookmark + dt.timedelta(days=1) - dt.timedelta(days=14)
    assert catalog_totals(x_account) == history.totals_by_ad()
    assert DailyMetric.objects.count() == len(history.metrics)


def test_an_expired_token_fails_the_run_naming_the_account_keeps_the_bookmark_and_alerts(
    fake_x, x_account
):
    sync(x_account)
    bookmark = SyncBookmark.objects.get(account=x_account).last_synced_date
    mail.outbox.clear()
    fake_x.failures = FailurePlan(expired_token=True)

    run = sync(x_account)

    assert run.status == IngestionRun.Status.FAILED
    assert "“Wompi X” (X 18ce54d4x5t)" in run.error
    assert "UNAUTHORIZED_ACCESS" in run.error
    assert X_TOKEN not in run.error
    assert SyncBookmark.objects.get(account=x_account).last_synced_date == bookmark
    assert len(mail.outbox) == 1
    assert f"#{run.pk}" in mail.outbox[0].body


def test_replay_rebuilds_the_metrics_and_keeps_objectives(fake_x, x_account):
    sync(x_account)
    DailyMetric.objects.all().delete()
    calls = fake_x.calls
    today = dt.datetime.now(dt.UTC).date()

    call_command(
        "ingest_replay",
        "--platform=x",
        "--account=18ce54d4x5t",
        f"--from={today}",
        f"--to={today}",
        stdout=io.StringIO(),
    )

    assert fake_x.calls == calls
    assert catalog_totals(x_account) == fake_x.history.totals_by_ad()
    assert Campaign.objects.filter(account=x_account, objective=Objective.OTHER).count() == 0


def test_replay_restores_card_copy_ad_names_and_deleted_statuses(fake_x, x_account):
    history = fake_x.history
    history.ads[0] = dataclasses.replace(history.ads[0], removed=True)
    sync(x_account)
    Creative.objects.filter(platform="x").update(headline="", name="")
    Ad.objects.filter(campaign__account=x_account).update(name="", status="")
    calls = fake_x.calls
    today = dt.datetime.now(dt.UTC).date()

    call_command(
        "ingest_replay",
        "--platform=x",
        "--account=18ce54d4x5t",
        f"--from={today}",
        f"--to={today}",
        stdout=io.StringIO(),
    )

    assert fake_x.calls == calls
    first = history.creatives[0]
    creative = Creative.objects.get(platform="x", external_id=first.id)
    assert (creative.name, creative.headline) == (first.name, first.headline)
    ad = Ad.objects.get(external_id=history.ads[0].id)
    assert (ad.name, ad.status) == (first.body, "DELETED")
