"""Syncing a Google Ads account from the fake REST API: exact catalog, retries, resumption."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import json

from django.core import mail
from django.core.management import call_command

from campaigns.models import Ad, Campaign, DailyMetric, Objective
from creatives.models import Creative, CreativeImageSlot
from ingestion.models import IngestionRun, SyncBookmark
from tests.fakes.server import FailurePlan
from tests.ingestion.conftest import GOOGLE_TOKEN, account_yesterday, catalog_totals, sync


def test_a_first_sync_copies_the_account_history_exactly(fake_google, google_account):
    run = sync(google_account)

    history = fake_google.history
    assert run.status == IngestionRun.Status.SUCCEEDED, run.error
    assert catalog_totals(google_account) == history.totals_by_ad()
    assert DailyMetric.objects.filter(ad__campaign__account=google_account).count() == len(
        history.metrics
    )
    assert Campaign.objects.filter(account=google_account).count() == 7
    assert Ad.objects.filter(campaign__account=google_account).count() == 14
    assert Creative.objects.filter(platform="google_ads").count() == 14
    assert CreativeImageSlot.objects.filter(creative__platform="google_ads").count() == 14
    # 3 search pages of campaigns, 5 of ads, 5 of image assets, and per week two streams: the
    # ad-day totals and the conversions by action.
    assert run.api_calls == fake_google.calls == 3 + 5 + 5 + 9 * 2
    assert SyncBookmark.objects.get(account=google_account).last_synced_date == (
        account_yesterday(google_account)
    )


def test_objectives_come_from_the_channel_and_the_bidding_strategy(fake_google, google_account):
    sync(google_account)

    found = dict(
        Campaign.objects.filter(account=google_account).values_list("objective_raw", "objective")
    )
    assert found == {
        "SEARCH - MANUAL_CPC": Objective.TRAFFIC,
        "PERFORMANCE_MAX - MAXIMIZE_CONVERSIONS": Objective.CONVERSION,
        "DISPLAY - TARGET_CPM": Objective.AWARENESS,
        "VIDEO - MANUAL_CPV": Objective.ENGAGEMENT,
    }


def test_an_ad_becomes_a_creative_with_its_copy_and_image(fake_google, google_account):
    sync(google_account)

    first = fake_google.history.ads[0]
    ad = Ad.objects.select_related("creative").get(external_id=first.id)
    assert ad.creative.external_id == first.id
    assert (ad.creative.headline, ad.creative.body, ad.creative.landing_url) == (
        "Paga en cuotas, oferta 1",
        "Compra hoy y paga en 3 meses.",
        "https://example.co/oferta/1",
    )
    assert ad.creative.image_slots.get().image.source_url.endswith(
        fake_google.history.creatives[0].image_path
    )


def test_quota_errors_and_server_errors_end_with_the_same_catalog_and_the_waits_recorded(
    fake_google, google_account
):
    fake_google.failures = FailurePlan(throttle_every=5, error_every=7)

    run = sync(google_account)

    assert run.status == IngestionRun.Status.SUCCEEDED, run.error
    assert catalog_totals(google_account) == fake_google.history.totals_by_ad()
    assert DailyMetric.objects.count() == len(fake_google.history.metrics)
    assert fake_google.throttled >= 4
    assert fake_google.errors >= 3
    assert run.throttle_waits == fake_google.throttled + fake_google.errors
    # Each quota error waits Google's retryDelay of 30 s (scaled by 0.0002 in tests).
    assert run.waited_seconds >= fake_google.throttled * 30 * 0.0002


def test_a_daily_quota_wait_past_the_ceiling_fails_the_run_without_spinning(
    fake_google, google_account, settings
):
    settings.INGEST_MAX_WAIT_SECONDS = 1
    fake_google.retry_delay = "41732s"
    fake_google.failures = FailurePlan(throttle_every=2)

    run = sync(google_account)

    assert run.status == IngestionRun.Status.FAILED
    assert "would pass this run's ceiling of 1 s" in run.error
    assert (fake_google.calls, run.throttle_waits) == (2, 0)


def test_an_interrupted_sync_resumes_without_duplicates_and_never_bookmarks_unsaved_days(
    fake_google, google_account
):
    # The 13 catalog calls, then three weeks of two calls each.
    fake_google.failures = FailurePlan(fail_after=13 + 3 * 2)

    failed = sync(google_account)

    assert failed.status == IngestionRun.Status.FAILED
    bookmark = SyncBookmark.objects.get(account=google_account).last_synced_date
    assert bookmark == failed.window_start + dt.timedelta(days=3 * 7 - 1)
    saved = set(
        DailyMetric.objects.values_list("ad__external_id", "date", "impressions", "spend_micros")
    )
    assert saved == {
        (m.ad_id, m.date, m.impressions, m.spend_micros)
        for m in fake_google.history.metrics
        if m.date <= bookmark
    }

    fake_google.failures = FailurePlan()
    resumed = sync(google_account)

    assert resumed.status == IngestionRun.Status.SUCCEEDED, resumed.error
    assert resumed.window_start == bookmark + dt.timedelta(days=1) - dt.timedelta(days=14)
    assert catalog_totals(google_account) == fake_google.history.totals_by_ad()
    assert DailyMetric.objects.count() == len(fake_google.history.metrics)


def test_an_expired_token_fails_the_run_naming_the_account_keeps_the_bookmark_and_alerts(
    fake_google, google_account
):
    sync(google_account)
    bookmark = SyncBookmark.objects.get(account=google_account).last_synced_date
    mail.outbox.clear()
    fake_google.failures = FailurePlan(expired_token=True)

    run = sync(google_account)

    assert run.status == IngestionRun.Status.FAILED
    assert "“Wompi Google” (Google Ads 123-456-7890)" in run.error
    assert "UNAUTHENTICATED" in run.error
    assert "YENNI_TOKEN_GOOGLE_ADS_" in run.error
    assert GOOGLE_TOKEN not in run.error
    assert SyncBookmark.objects.get(account=google_account).last_synced_date == bookmark
    assert len(mail.outbox) == 1
    assert "Wompi Google" in mail.outbox[0].subject
    assert f"#{run.pk}" in mail.outbox[0].body


def test_replay_rebuilds_the_metrics_from_the_archive(fake_google, google_account):
    sync(google_account)
    DailyMetric.objects.all().delete()
    calls = fake_google.calls
    today = dt.datetime.now(dt.UTC).date()

    call_command(
        "ingest_replay",
        "--platform=google_ads",
        "--account=123-456-7890",
        f"--from={today - dt.timedelta(days=1)}",
        f"--to={today}",
        stdout=io.StringIO(),
    )

    assert fake_google.calls == calls
    assert catalog_totals(google_account) == fake_google.history.totals_by_ad()
    assert DailyMetric.objects.count() == len(fake_google.history.metrics)


def test_the_secrets_file_gives_the_token_developer_token_and_manager_account(
    fake_google, google_account, monkeypatch, tmp_path, settings
):
    monkeypatch.delenv("YENNI_TOKEN_GOOGLE_ADS_123_456_7890")
    secrets = tmp_path / "secrets.json"
    secrets.write_text(
        json.dumps(
            {
                "google_ads": {
                    "default": GOOGLE_TOKEN,
                    "developer_token": "dev-token-1",
                    "login_customer_id": "111-222-3333",
                }
            }
        )
    )
    settings.INGEST_SECRETS_FILE = str(secrets)

    run = sync(google_account)

    assert run.status == IngestionRun.Status.SUCCEEDED, run.error
    headers = fake_google.last_request.headers
    assert (headers["developer-token"], headers["login-customer-id"]) == (
        "dev-token-1",
        "1112223333",
    )


def test_a_refresh_token_is_exchanged_once_for_an_access_token(
    fake_google, google_account, monkeypatch, settings
):
    settings.INGEST_API_URLS = {
        **settings.INGEST_API_URLS,
        "google_oauth": fake_google.base_url + "/token",
    }
    credentials = {"client_id": "c", "client_secret": "s", "refresh_token": "google-refresh-token"}
    monkeypatch.setenv("YENNI_TOKEN_GOOGLE_ADS_123_456_7890", json.dumps(credentials))

    run = sync(google_account)

    assert run.status == IngestionRun.Status.SUCCEEDED, run.error
    assert fake_google.token_exchanges == 1
    assert catalog_totals(google_account) == fake_google.history.totals_by_ad()


def test_a_revoked_refresh_token_fails_the_run_naming_the_account(
    fake_google, google_account, monkeypatch, settings
):
    settings.INGEST_API_URLS = {
        **settings.INGEST_API_URLS,
        "google_oauth": fake_google.base_url + "/token",
    }
    credentials = {"client_id": "c", "client_secret": "s", "refresh_token": "revoked"}
    monkeypatch.setenv("YENNI_TOKEN_GOOGLE_ADS_123_456_7890", json.dumps(credentials))

    run = sync(google_account)

    assert run.status == IngestionRun.Status.FAILED
    assert run.error.startswith(
        "The google_ads token of account “Wompi Google” (Google Ads 123-456-7890) was refused "
        "(the refresh token was refused: invalid_grant)."
    )
    assert fake_google.calls == 0


# Versions, fields and error details ----------------------------------------------------------


def test_a_sync_speaks_a_current_version_by_default_and_reads_start_date_time(
    fake_google, google_account
):
    run = sync(google_account)

    assert run.status == IngestionRun.Status.SUCCEEDED, run.error
    assert fake_google.last_request.path.startswith("/v26/customers/1234567890/")
    starts = set(
        Campaign.objects.filter(account=google_account).values_list("start_date", flat=True)
    )
    assert starts == {fake_google.history.campaigns[0].start_date}


def test_a_pinned_version_is_the_one_called(fake_google, google_account, settings):
    settings.INGEST_API_VERSIONS = {**settings.INGEST_API_VERSIONS, "google_ads": "v23"}

    run = sync(google_account)

    assert run.status == IngestionRun.Status.SUCCEEDED, run.error
    assert fake_google.last_request.path.startswith("/v23/")
    assert catalog_totals(google_account) == fake_google.history.totals_by_ad()


def test_a_sunset_version_in_the_settings_fails_before_any_call_naming_the_current_ones(
    fake_google, google_account, settings
):
    settings.INGEST_API_VERSIONS = {**settings.INGEST_API_VERSIONS, "google_ads": "v22"}

    run = sync(google_account)

    assert run.status == IngestionRun.Status.FAILED
    assert run.error == (
        "Google Ads API v22 was sunset on 2026-10-07 (YENNI_GOOGLE_ADS_API_VERSION=v22). Set "
        "YENNI_GOOGLE_ADS_API_VERSION to a current version (v23, v24, v25, v26) or leave it "
        "empty for Yenni's default."
    )
    assert fake_google.calls == 0
    assert "YENNI_GOOGLE_ADS_API_VERSION" in mail.outbox[0].body


def test_a_version_google_stopped_serving_fails_with_its_404_and_the_setting_to_change(
    fake_google, google_account, settings
):
    # Google sunset v23 before Yenni's table says so: the platform's 404 must still explain.
    fake_google.versions = {"v24", "v25", "v26"}
    settings.INGEST_API_VERSIONS = {**settings.INGEST_API_VERSIONS, "google_ads": "v23"}

    run = sync(google_account)

    assert run.status == IngestionRun.Status.FAILED
    assert run.error == (
        "Google Ads API does not answer version v23 (HTTP 404 NOT_FOUND: Method not found.). "
        "It may be sunset: set YENNI_GOOGLE_ADS_API_VERSION to a current version "
        "(v23, v24, v25, v26), or update Yenni."
    )
    assert fake_google.calls == 1


def test_a_field_the_version_removed_fails_with_googles_error_code_in_the_run_and_the_alert(
    fake_google, google_account, monkeypatch
):
    from ingestion.connectors import google_ads

    monkeypatch.setattr(
        google_ads,
        "CAMPAIGN_QUERY",
        "SELECT campaign.id, campaign.name, campaign.start_date FROM campaign",
    )

    run = sync(google_account)

    assert run.status == IngestionRun.Status.FAILED
    assert run.error == (
        "Google Ads answered HTTP 400 INVALID_ARGUMENT: Request contains an invalid argument. "
        "— queryError UNRECOGNIZED_FIELD: Unrecognized field in the query: "
        "'campaign.start_date'. (trace id req-1)"
    )
    assert "queryError UNRECOGNIZED_FIELD" in mail.outbox[0].body


def test_removed_ads_keep_their_history_on_the_real_ad_with_its_creative_and_image(
    fake_google, google_account
):
    history = fake_google.history
    removed = {history.ads[0].id, history.ads[5].id}
    history.ads = [dataclasses.replace(ad, removed=ad.id in removed) for ad in history.ads]

    run = sync(google_account)

    assert run.status == IngestionRun.Status.SUCCEEDED, run.error
    assert catalog_totals(google_account) == history.totals_by_ad()
    ads = Ad.objects.filter(external_id__in=removed).select_related("creative")
    assert sorted((ad.name, ad.status) for ad in ads) == [
        ("Ad 1", "REMOVED"),
        ("Ad 6", "REMOVED"),
    ]
    assert sorted(ad.creative.headline for ad in ads) == [
        "Paga en cuotas, oferta 1",
        "Paga en cuotas, oferta 6",
    ]
    assert CreativeImageSlot.objects.filter(creative__ads__external_id__in=removed).count() == 2
    # No stub ads: every ad with history is a listed one with its creative.
    assert not Ad.objects.filter(campaign__account=google_account, creative=None).exists()
