"""Syncing a LinkedIn ad account from the fake API: exact catalog, retries, resumption."""

from __future__ import annotations

import datetime as dt
import io

from django.core import mail
from django.core.management import call_command

from campaigns.models import Ad, Campaign, DailyMetric, Objective
from creatives.models import CreativeImageSlot
from ingestion.connectors.linkedin import LinkedInConnector
from ingestion.connectors.versions import VERSIONS
from ingestion.models import IngestionRun, SyncBookmark
from tests.fakes.server import FailurePlan
from tests.ingestion.conftest import LINKEDIN_TOKEN, account_yesterday, catalog_totals, sync


def test_a_first_sync_copies_the_account_history_exactly(fake_linkedin, linkedin_account):
    run = sync(linkedin_account)

    history = fake_linkedin.history
    assert run.status == IngestionRun.Status.SUCCEEDED, run.error
    assert catalog_totals(linkedin_account) == history.totals_by_ad()
    assert DailyMetric.objects.filter(ad__campaign__account=linkedin_account).count() == len(
        history.metrics
    )
    assert Campaign.objects.filter(account=linkedin_account).count() == 7
    assert Ad.objects.filter(campaign__account=linkedin_account).count() == 14
    assert CreativeImageSlot.objects.filter(creative__platform="linkedin").count() == 14
    # 3 pages of campaigns, 5 of creatives, a post and an image per creative, a call a week.
    assert run.api_calls == fake_linkedin.calls == 3 + 5 + 14 * 2 + 9
    assert SyncBookmark.objects.get(account=linkedin_account).last_synced_date == (
        account_yesterday(linkedin_account)
    )


def test_copy_comes_from_the_post_and_objectives_from_the_objective_type(
    fake_linkedin, linkedin_account
):
    sync(linkedin_account)

    ad = Ad.objects.select_related("creative").get(external_id=fake_linkedin.history.ads[0].id)
    assert (ad.creative.headline, ad.creative.body, ad.creative.landing_url) == (
        "Paga en cuotas, oferta 1",
        "Compra hoy y paga en 3 meses.",
        "https://example.co/oferta/1",
    )
    found = dict(
        Campaign.objects.filter(account=linkedin_account).values_list("objective_raw", "objective")
    )
    assert found == {
        "WEBSITE_VISIT": Objective.TRAFFIC,
        "LEAD_GENERATION": Objective.LEADS,
        "BRAND_AWARENESS": Objective.AWARENESS,
        "VIDEO_VIEW": Objective.ENGAGEMENT,
    }


def test_a_deleted_post_leaves_the_creative_without_copy_and_the_run_succeeds(
    fake_linkedin, linkedin_account
):
    fake_linkedin.deleted_posts = {f"urn:li:share:{fake_linkedin.history.creatives[0].id}"}

    run = sync(linkedin_account)

    assert run.status == IngestionRun.Status.SUCCEEDED, run.error
    ad = Ad.objects.select_related("creative").get(external_id=fake_linkedin.history.ads[0].id)
    assert (ad.creative.headline, ad.creative.image_slots.count()) == ("", 0)


def test_analytics_fields_are_split_into_chunks_and_merged(
    fake_linkedin, linkedin_account, monkeypatch
):
    monkeypatch.setattr(LinkedInConnector, "max_fields", 5)

    run = sync(linkedin_account)

    assert run.status == IngestionRun.Status.SUCCEEDED, run.error
    # 13 fields, 3 a call: five calls a week.
    assert run.api_calls == 3 + 5 + 14 * 2 + 9 * 5
    assert catalog_totals(linkedin_account) == fake_linkedin.history.totals_by_ad()
    metric = fake_linkedin.history.metrics[3]
    row = DailyMetric.objects.get(ad__external_id=metric.ad_id, date=metric.date)
    assert (row.leads, row.video_views, row.engagements, row.conversion_value_micros) == (
        metric.leads,
        metric.video_views,
        metric.engagements,
        metric.conversion_value_micros,
    )


def test_long_queries_are_tunnelled_as_posts(fake_linkedin, linkedin_account, monkeypatch):
    monkeypatch.setattr(LinkedInConnector, "max_url_length", 300)

    run = sync(linkedin_account)

    assert run.status == IngestionRun.Status.SUCCEEDED, run.error
    assert fake_linkedin.tunnelled == 9
    assert catalog_totals(linkedin_account) == fake_linkedin.history.totals_by_ad()


def test_rate_limits_and_server_errors_end_with_the_same_catalog_and_the_waits_recorded(
    fake_linkedin, linkedin_account
):
    fake_linkedin.failures = FailurePlan(throttle_every=5, error_every=7)

    run = sync(linkedin_account)

    assert run.status == IngestionRun.Status.SUCCEEDED, run.error
    assert catalog_totals(linkedin_account) == fake_linkedin.history.totals_by_ad()
    assert DailyMetric.objects.count() == len(fake_linkedin.history.metrics)
    assert fake_linkedin.throttled >= 9
    assert run.throttle_waits == fake_linkedin.throttled + fake_linkedin.errors
    assert run.waited_seconds > 0


def test_an_interrupted_sync_resumes_without_duplicates_and_never_bookmarks_unsaved_days(
    fake_linkedin, linkedin_account
):
    fake_linkedin.failures = FailurePlan(fail_after=3 + 5 + 28 + 4)

    failed = sync(linkedin_account)

    assert failed.status == IngestionRun.Status.FAILED
    bookmark = SyncBookmark.objects.get(account=linkedin_account).last_synced_date
    assert bookmark == failed.window_start + dt.timedelta(days=4 * 7 - 1)
    saved = set(DailyMetric.objects.values_list("ad__external_id", "date", "spend_micros"))
    assert saved == {
        (m.ad_id, m.date, m.spend_micros)
        for m in fake_linkedin.history.metrics
        if m.date <= bookmark
    }

    fake_linkedin.failures = FailurePlan()
    resumed = sync(linkedin_account)

    assert resumed.status == IngestionRun.Status.SUCCEEDED, resumed.error
    # LinkedIn's look-back is 0 days: the run continues the day after the bookmark.
    assert resumed.window_start == bookmark + dt.timedelta(days=1)
    assert catalog_totals(linkedin_account) == fake_linkedin.history.totals_by_ad()
    assert DailyMetric.objects.count() == len(fake_linkedin.history.metrics)


def test_an_expired_token_fails_the_run_naming_the_account_keeps_the_bookmark_and_alerts(
    fake_linkedin, linkedin_account
):
    fake_linkedin.failures = FailurePlan(expired_token=True)

    run = sync(linkedin_account)

    assert run.status == IngestionRun.Status.FAILED
    assert "“Tu360 LinkedIn” (LinkedIn 508000111)" in run.error
    assert "EXPIRED_ACCESS_TOKEN" in run.error
    assert LINKEDIN_TOKEN not in run.error
    assert SyncBookmark.objects.get(account=linkedin_account).last_synced_date is None
    assert len(mail.outbox) == 1
    assert f"#{run.pk}" in mail.outbox[0].body


def test_replay_rebuilds_the_metrics_and_keeps_the_copy(fake_linkedin, linkedin_account):
    sync(linkedin_account)
    DailyMetric.objects.all().delete()
    calls = fake_linkedin.calls
    today = dt.datetime.now(dt.UTC).date()

    call_command(
        "ingest_replay",
        "--platform=linkedin",
        "--account=508000111",
        f"--from={today}",
        f"--to={today}",
        stdout=io.StringIO(),
    )

    assert fake_linkedin.calls == calls
    assert catalog_totals(linkedin_account) == fake_linkedin.history.totals_by_ad()
    ad = Ad.objects.select_related("creative").get(external_id=fake_linkedin.history.ads[0].id)
    assert ad.creative.headline == "Paga en cuotas, oferta 1"


# Versions, LinkedIn's error detail, posts read once ------------------------------------------


def current_linkedin_versions() -> str:
    today = dt.datetime.now(dt.UTC).date()
    return ", ".join(VERSIONS["linkedin"].supported(today=today))


def test_the_version_header_is_a_current_one_by_default(fake_linkedin, linkedin_account):
    run = sync(linkedin_account)

    assert run.status == IngestionRun.Status.SUCCEEDED, run.error
    assert fake_linkedin.last_request.headers["linkedin-version"] == "202611"


def test_a_pinned_version_is_the_one_sent(fake_linkedin, linkedin_account, settings):
    settings.INGEST_API_VERSIONS = {**settings.INGEST_API_VERSIONS, "linkedin": "202603"}

    run = sync(linkedin_account)

    assert run.status == IngestionRun.Status.SUCCEEDED, run.error
    assert fake_linkedin.last_request.headers["linkedin-version"] == "202603"


def test_a_sunset_version_in_the_settings_is_refused_before_any_call(
    fake_linkedin, linkedin_account, settings
):
    settings.INGEST_API_VERSIONS = {**settings.INGEST_API_VERSIONS, "linkedin": "202510"}

    run = sync(linkedin_account)

    assert (run.status, fake_linkedin.calls) == (IngestionRun.Status.FAILED, 0)
    assert run.error == (
        "LinkedIn Marketing API 202510 was sunset on 2026-10-15 "
        "(YENNI_LINKEDIN_API_VERSION=202510). Set YENNI_LINKEDIN_API_VERSION to a current "
        f"version ({current_linkedin_versions()}) or leave it empty for Yenni's default."
    )


def test_a_version_linkedin_stopped_answering_fails_with_its_error_and_the_setting(
    fake_linkedin, linkedin_account
):
    # A year on, 202611 is past its sunset (2027-11-15) and LinkedIn refuses it.
    fake_linkedin.today = dt.date(2027, 11, 20)

    run = sync(linkedin_account)

    assert (run.status, fake_linkedin.calls) == (IngestionRun.Status.FAILED, 1)
    assert run.error == (
        "LinkedIn Marketing API does not answer version 202611 (HTTP 404 NONEXISTENT_VERSION: "
        "Requested version 202611 is not active). It may be sunset: set "
        f"YENNI_LINKEDIN_API_VERSION to a current version ({current_linkedin_versions()}), or "
        "update Yenni."
    )


def test_linkedins_code_and_service_error_code_reach_the_run_and_the_alert(
    fake_linkedin, linkedin_account
):
    fake_linkedin.failures = FailurePlan(expired_token=True)

    run = sync(linkedin_account)

    assert run.error == (
        "The linkedin token of account “Tu360 LinkedIn” (LinkedIn 508000111) was refused "
        "(HTTP 401 EXPIRED_ACCESS_TOKEN code 65600: The token used in the request has expired)."
        " Authorise Yenni again in LinkedIn (scopes r_ads and r_ads_reporting) and set the new "
        "token as YENNI_TOKEN_LINKEDIN_508000111 (or YENNI_LINKEDIN_ACCESS_TOKEN), then run "
        "`python manage.py ingest --platform linkedin`."
    )
    assert run.error in mail.outbox[0].body


def test_a_second_run_with_no_new_data_reads_no_post_or_image_again(
    fake_linkedin, linkedin_account
):
    first = sync(linkedin_account)

    second = sync(linkedin_account)

    assert second.status == IngestionRun.Status.SUCCEEDED, second.error
    # Only the listings: 3 pages of campaigns, 5 of creatives; no post, image or analytics.
    assert (first.api_calls, second.api_calls) == (3 + 5 + 14 * 2 + 9, 3 + 5)
    assert (fake_linkedin.calls_by_kind["posts"], fake_linkedin.calls_by_kind["images"]) == (
        14,
        14,
    )
    ads = Ad.objects.filter(campaign__account=linkedin_account).select_related("creative")
    assert sorted(ad.creative.body for ad in ads)[:2] == [
        "Compra hoy y paga en 10 meses.",
        "Compra hoy y paga en 11 meses.",
    ]
    assert CreativeImageSlot.objects.filter(creative__platform="linkedin").count() == 14


def test_an_edited_creative_is_read_again_and_only_that_one(fake_linkedin, linkedin_account):
    sync(linkedin_account)
    edited = fake_linkedin.history.ads[4]
    fake_linkedin.creative_edit(
        edited.id, commentary="Ahora con 0 % de interés y sin cuota de manejo", at=1767225600000
    )

    run = sync(linkedin_account)

    assert run.status == IngestionRun.Status.SUCCEEDED, run.error
    assert run.api_calls == 3 + 5 + 2
    ad = Ad.objects.select_related("creative").get(external_id=edited.id)
    assert ad.creative.body == "Ahora con 0 % de interés y sin cuota de manejo"


def test_a_creative_whose_image_failed_is_read_again_by_the_next_run(
    fake_linkedin, linkedin_account
):
    first_image = fake_linkedin.history.creatives[0].image_path.removeprefix("/images/")
    fake_linkedin.broken_images[first_image] = "missing"
    first = sync(linkedin_account)
    assert first.images_failed == 1
    fake_linkedin.broken_images.clear()

    run = sync(linkedin_account)

    assert run.status == IngestionRun.Status.SUCCEEDED, run.error
    assert (run.api_calls, run.images_stored) == (3 + 5 + 2, 1)
    assert CreativeImageSlot.objects.filter(creative__platform="linkedin").count() == 14


def test_a_creative_read_more_than_thirty_days_ago_is_read_again(fake_linkedin, linkedin_account):
    # A post can change without its creative's lastModifiedAt moving.
    sync(linkedin_account)
    today = dt.datetime.now(dt.UTC).date()
    bookmark = SyncBookmark.objects.get(account=linkedin_account)
    stale = fake_linkedin.history.ads[2].id
    bookmark.creative_versions[stale]["read"] = (today - dt.timedelta(days=30)).isoformat()
    bookmark.save()

    run = sync(linkedin_account)

    assert run.api_calls == 3 + 5 + 2
    remembered = SyncBookmark.objects.get(account=linkedin_account).creative_versions
    assert remembered[stale] == {"modified": 1735689600000, "read": today.isoformat()}
    assert len(remembered) == 14
