"""Syncing a Meta ad account from the fake Graph API: exact catalog, retries, resumption."""

from __future__ import annotations

import dataclasses
import datetime as dt
import gzip
import json

import pytest
from django.core import mail
from django.core.files.storage import default_storage

from campaigns.models import Ad, Campaign, DailyMetric, Objective
from creatives.models import Creative, CreativeImageSlot
from ingestion.models import IngestionRun, SyncBookmark
from tests.factories import make_node, make_rule
from tests.fakes.server import FailurePlan
from tests.ingestion.conftest import META_TOKEN, account_yesterday, catalog_totals, sync


def archived_files(account) -> list[str]:
    found = []

    def walk(folder: str) -> None:
        folders, files = default_storage.listdir(folder)
        found.extend(f"{folder}/{name}" for name in files)
        for name in folders:
            walk(f"{folder}/{name}")

    root = f"raw/platform=meta/account={account.external_id}"
    if default_storage.exists(root):
        walk(root)
    return sorted(found)


def test_a_first_sync_copies_the_account_history_exactly(fake_meta, meta_account):
    run = sync(meta_account)

    history = fake_meta.history
    assert run.status == IngestionRun.Status.SUCCEEDED, run.error
    assert catalog_totals(meta_account) == history.totals_by_ad()
    assert DailyMetric.objects.filter(ad__campaign__account=meta_account).count() == len(
        history.metrics
    )
    assert Campaign.objects.filter(account=meta_account).count() == 7
    assert Ad.objects.filter(campaign__account=meta_account).count() == 14
    assert Creative.objects.filter(platform="meta").count() == 14
    yesterday = account_yesterday(meta_account)
    assert (run.window_start, run.window_end) == (yesterday - dt.timedelta(days=62), yesterday)
    assert SyncBookmark.objects.get(account=meta_account).last_synced_date == yesterday
    # 3 pages of campaigns, 5 of ads, 5 of creatives, the insights call that names archived and
    # deleted ads (none here, so no lookup by id), 3 of insights for each of 9 weeks.
    assert run.api_calls == fake_meta.calls == 3 + 5 + 5 + 1 + 9 * 3
    assert run.fetched_count == 7 + 14 + 14 + len(history.metrics)
    assert run.created_count == 7 + 14 + 14 + len(history.metrics)
    assert (run.throttle_waits, run.waited_seconds) == (0, 0.0)


def test_a_sync_keeps_copy_objectives_and_links_between_ads_and_creatives(fake_meta, meta_account):
    sync(meta_account)

    campaign = Campaign.objects.get(external_id=fake_meta.history.campaigns[1].id)
    assert (campaign.objective_raw, campaign.objective) == ("OUTCOME_LEADS", Objective.LEADS)
    first = fake_meta.history.ads[0]
    ad = Ad.objects.select_related("creative", "campaign").get(external_id=first.id)
    assert ad.campaign.external_id == first.campaign_id
    assert ad.creative.external_id == first.creative_id
    assert (ad.creative.headline, ad.creative.call_to_action, ad.creative.landing_url) == (
        "Paga en cuotas, oferta 1",
        "LEARN_MORE",
        "https://example.co/oferta/1",
    )
    assert ad.creative.body == "Compra hoy y paga en 3 meses."


def test_conversions_and_leads_count_one_canonical_action_type(fake_meta, meta_account):
    sync(meta_account)

    metric = fake_meta.history.metrics[5]
    row = DailyMetric.objects.get(ad__external_id=metric.ad_id, date=metric.date)
    # The fake repeats purchases under omni_, plain, fb_pixel_ and onsite_web_ types.
    assert row.conversions == metric.conversions
    assert row.conversion_value_micros == metric.conversion_value_micros
    assert row.leads == metric.leads
    assert (row.link_clicks, row.reach, row.video_views, row.engagements) == (
        metric.link_clicks,
        metric.reach,
        metric.video_views,
        metric.engagements,
    )


def test_new_campaigns_go_through_the_node_mapping_rules(fake_meta, meta_account):
    compras = make_node(name="Compras", slug="compras")
    make_rule(node=compras, pattern="compras", priority=1)

    sync(meta_account)

    mapped = Campaign.objects.filter(account=meta_account, node=compras)
    assert sorted(mapped.values_list("name", flat=True)) == [
        "Campaign 2 compras",
        "Campaign 4 compras",
        "Campaign 6 compras",
    ]


def test_a_second_sync_rereads_the_look_back_and_changes_nothing(fake_meta, meta_account):
    sync(meta_account)
    before = list(DailyMetric.objects.order_by("pk").values())

    run = sync(meta_account)

    yesterday = account_yesterday(meta_account)
    assert run.status == IngestionRun.Status.SUCCEEDED, run.error
    assert (run.window_start, run.window_end) == (yesterday - dt.timedelta(days=27), yesterday)
    assert (run.created_count, run.updated_count) == (0, 0)
    assert list(DailyMetric.objects.order_by("pk").values()) == before


def test_a_reread_day_replaces_its_values(fake_meta, meta_account):
    sync(meta_account)
    history = fake_meta.history
    index = next(i for i, m in enumerate(history.metrics) if m.date == history.metrics[-1].date)
    revised = dataclasses.replace(history.metrics[index], impressions=5, clicks=1)
    history.metrics[index] = revised

    run = sync(meta_account)

    assert (run.created_count, run.updated_count) == (0, 1)
    row = DailyMetric.objects.get(ad__external_id=revised.ad_id, date=revised.date)
    assert (row.impressions, row.clicks) == (5, 1)
    assert catalog_totals(meta_account) == history.totals_by_ad()


def test_an_objective_set_by_hand_survives_until_the_platform_changes_it(fake_meta, meta_account):
    sync(meta_account)
    first = fake_meta.history.campaigns[0]
    Campaign.objects.filter(external_id=first.id).update(objective=Objective.AWARENESS)

    sync(meta_account)
    assert Campaign.objects.get(external_id=first.id).objective == Objective.AWARENESS

    fake_meta.history.campaigns[0] = dataclasses.replace(first, objective="OUTCOME_LEADS")
    sync(meta_account)
    campaign = Campaign.objects.get(external_id=first.id)
    assert (campaign.objective_raw, campaign.objective) == ("OUTCOME_LEADS", Objective.LEADS)


def test_throttles_and_server_errors_end_with_the_same_catalog_and_the_waits_recorded(
    fake_meta, meta_account
):
    fake_meta.failures = FailurePlan(throttle_every=5, error_every=7)

    run = sync(meta_account)

    assert run.status == IngestionRun.Status.SUCCEEDED, run.error
    assert catalog_totals(meta_account) == fake_meta.history.totals_by_ad()
    assert DailyMetric.objects.count() == len(fake_meta.history.metrics)
    assert fake_meta.throttled >= 8
    assert fake_meta.errors >= 5
    assert run.throttle_waits == fake_meta.throttled + fake_meta.errors
    assert run.api_calls == fake_meta.calls
    # Each throttle waits Meta's minute (scaled by the test's INGEST_WAIT_SCALE of 0.0002).
    assert run.waited_seconds >= fake_meta.throttled * 60 * 0.0002


def test_truncated_and_malformed_bodies_are_fetched_again(fake_meta, meta_account):
    fake_meta.failures = FailurePlan(truncate_calls={2, 20}, malformed_calls={9})

    run = sync(meta_account)

    assert run.status == IngestionRun.Status.SUCCEEDED, run.error
    assert fake_meta.broken_bodies == 3
    assert run.throttle_waits == 3
    assert catalog_totals(meta_account) == fake_meta.history.totals_by_ad()


def test_an_interrupted_sync_resumes_without_duplicates_and_never_bookmarks_unsaved_days(
    fake_meta, meta_account
):
    # Calls 1-13 list the catalog; then the platform goes down during the fifth week.
    fake_meta.failures = FailurePlan(fail_after=13 + 4 * 3 + 1)

    failed = sync(meta_account)

    assert failed.status == IngestionRun.Status.FAILED
    assert "gave up after 6 tries" in failed.error
    bookmark = SyncBookmark.objects.get(account=meta_account).last_synced_date
    assert bookmark == failed.window_start + dt.timedelta(days=4 * 7 - 1)
    saved = catalog_by_day(meta_account)
    expected = {
        (m.ad_id, m.date): (m.impressions, m.clicks, m.spend_micros)
        for m in fake_meta.history.metrics
        if m.date <= bookmark
    }
    assert saved == expected

    fake_meta.failures = FailurePlan()
    resumed = sync(meta_account)

    assert resumed.status == IngestionRun.Status.SUCCEEDED, resumed.error
    assert resumed.window_start == bookmark + dt.timedelta(days=1) - dt.timedelta(days=28)
    assert catalog_totals(meta_account) == fake_meta.history.totals_by_ad()
    assert DailyMetric.objects.count() == len(fake_meta.history.metrics)
    assert SyncBookmark.objects.get(account=meta_account).last_synced_date == (
        account_yesterday(meta_account)
    )


def catalog_by_day(account) -> dict:
    return {
        (ad, date): (impressions, clicks, spend)
        for ad, date, impressions, clicks, spend in DailyMetric.objects.filter(
            ad__campaign__account=account
        ).values_list("ad__external_id", "date", "impressions", "clicks", "spend_micros")
    }


def test_an_expired_token_fails_the_run_naming_the_account_keeps_the_bookmark_and_alerts(
    fake_meta, meta_account
):
    sync(meta_account)
    bookmark = SyncBookmark.objects.get(account=meta_account).last_synced_date
    mail.outbox.clear()
    fake_meta.failures = FailurePlan(expired_token=True)
    calls_before = fake_meta.calls

    run = sync(meta_account)

    assert run.status == IngestionRun.Status.FAILED
    assert "Tu360 Compras Meta" in run.error
    assert "act_1001" in run.error
    assert "YENNI_TOKEN_META_" in run.error
    assert META_TOKEN not in run.error
    # No retry on a refused token: one call and the run stops.
    assert fake_meta.calls == calls_before + 1
    assert SyncBookmark.objects.get(account=meta_account).last_synced_date == bookmark
    assert len(mail.outbox) == 1
    alert = mail.outbox[0]
    assert alert.to == ["ops@example.co"]
    assert "Tu360 Compras Meta" in alert.subject
    assert f"#{run.pk}" in alert.body
    assert run.error in alert.body


def test_a_missing_token_fails_the_run_saying_where_to_set_it(fake_meta, meta_account, monkeypatch):
    monkeypatch.delenv("YENNI_TOKEN_META_ACT_1001")

    run = sync(meta_account)

    assert run.status == IngestionRun.Status.FAILED
    assert "No meta token for account “Tu360 Compras Meta”" in run.error
    assert "YENNI_TOKEN_META_ACT_1001" in run.error
    assert fake_meta.calls == 0
    assert len(mail.outbox) == 1


def test_a_token_from_the_secrets_file_is_used(
    fake_meta, meta_account, monkeypatch, tmp_path, settings
):
    monkeypatch.delenv("YENNI_TOKEN_META_ACT_1001")
    secrets = tmp_path / "secrets.json"
    secrets.write_text(json.dumps({"meta": {"act_1001": META_TOKEN}}))
    settings.INGEST_SECRETS_FILE = str(secrets)

    run = sync(meta_account)

    assert run.status == IngestionRun.Status.SUCCEEDED, run.error


def test_a_redelivered_run_does_not_run_twice(fake_meta, meta_account):
    run = sync(meta_account)
    calls = fake_meta.calls

    again = sync_existing(run)

    assert again.status == IngestionRun.Status.SUCCEEDED
    assert fake_meta.calls == calls


def sync_existing(run: IngestionRun) -> IngestionRun:
    from ingestion.services import ingestion_run_account

    stale = IngestionRun.objects.get(pk=run.pk)
    stale.status = IngestionRun.Status.QUEUED  # the copy a re-delivered task would hold
    return ingestion_run_account(run=stale)


def test_every_response_is_archived_gzipped_without_the_token(fake_meta, meta_account):
    sync(meta_account)

    files = archived_files(meta_account)
    today = dt.datetime.now(dt.UTC)
    assert len(files) == fake_meta.calls
    assert all(
        name.startswith(
            f"raw/platform=meta/account=act_1001/year={today:%Y}/month={today:%m}/day={today:%d}/"
        )
        for name in files
    )
    assert [name.rsplit("-", 1)[1] for name in files[:4]] == [
        "campaigns.json.gz",
        "campaigns.json.gz",
        "campaigns.json.gz",
        "adcreatives.json.gz",
    ]
    bodies = [gzip.decompress(default_storage.open(name).read()) for name in files]
    assert all(META_TOKEN.encode() not in body for body in bodies)
    assert sum(b"REDACTED" in body for body in bodies) > 0


def test_replay_rebuilds_the_metrics_from_the_archive_without_calling_the_api(
    fake_meta, meta_account
):
    from django.core.management import call_command

    sync(meta_account)
    DailyMetric.objects.all().delete()
    calls = fake_meta.calls
    today = dt.datetime.now(dt.UTC).date()

    call_command(
        "ingest_replay",
        "--platform=meta",
        "--account=act_1001",
        f"--from={today - dt.timedelta(days=1)}",
        f"--to={today}",
        stdout=open("/dev/null", "w"),  # noqa: SIM115
    )

    assert fake_meta.calls == calls
    assert catalog_totals(meta_account) == fake_meta.history.totals_by_ad()
    assert DailyMetric.objects.count() == len(fake_meta.history.metrics)
    replay = IngestionRun.objects.get(kind=IngestionRun.Kind.REPLAY)
    assert replay.status == IngestionRun.Status.SUCCEEDED


def test_images_are_stored_once_and_not_downloaded_again(fake_meta, meta_account):
    first = sync(meta_account)
    downloads = fake_meta.image_downloads

    second = sync(meta_account)

    assert (first.images_stored, first.images_failed) == (14, 0)
    assert downloads == 14
    assert (second.images_stored, fake_meta.image_downloads) == (0, 14)
    assert CreativeImageSlot.objects.filter(creative__platform="meta").count() == 14


@pytest.mark.parametrize("fixture_name", ["fake_meta"])
def test_the_sync_window_uses_the_per_account_look_back(fixture_name, request, meta_account):
    request.getfixturevalue(fixture_name)
    sync(meta_account)
    SyncBookmark.objects.filter(account=meta_account).update(lookback_days=3)

    run = sync(meta_account)

    assert run.window_start == account_yesterday(meta_account) - dt.timedelta(days=2)


def test_a_usage_header_at_95_percent_makes_the_sync_rest_before_meta_throttles(
    fake_meta, meta_account
):
    fake_meta.high_usage_every = 10

    run = sync(meta_account)

    assert run.status == IngestionRun.Status.SUCCEEDED, run.error
    assert fake_meta.high_usage_sent == 4
    assert fake_meta.throttled == 0
    assert run.throttle_waits == 4
    # Without a regain time, a rest lasts Meta's minimum of a minute (scaled by 0.0002).
    assert run.waited_seconds == pytest.approx(4 * 60 * 0.0002)
    assert catalog_totals(meta_account) == fake_meta.history.totals_by_ad()


# Runs standing down for a live run, and taking over dead ones: test_dead_runs.py.


def test_reduce_the_amount_of_data_halves_the_page_until_meta_answers(fake_meta, meta_account):
    # The sync asks for 100 rows a page; Meta refuses more than 30 for insights.
    fake_meta.max_insight_rows = 30

    run = sync(meta_account)

    assert run.status == IngestionRun.Status.SUCCEEDED, run.error
    assert fake_meta.too_much_data == 2  # 100 and 50 refused, 25 kept for every later page
    assert catalog_totals(meta_account) == fake_meta.history.totals_by_ad()


# Versions and Meta's own error detail ---------------------------------------------------------


def test_a_sync_speaks_a_current_graph_version_by_default(fake_meta, meta_account):
    run = sync(meta_account)

    assert run.status == IngestionRun.Status.SUCCEEDED, run.error
    assert fake_meta.last_request.path.startswith("/v26.0/act_1001/")


def test_a_version_meta_stopped_answering_fails_with_its_error_and_the_setting_to_change(
    fake_meta, meta_account, settings
):
    # After 2027-02-23 Meta answers only v26.0; Yenni's table still lists v25.0 as current.
    fake_meta.versions = {"v26.0"}
    settings.INGEST_API_VERSIONS = {**settings.INGEST_API_VERSIONS, "meta": "v25.0"}

    run = sync(meta_account)

    assert run.status == IngestionRun.Status.FAILED
    assert run.error == (
        "Meta Marketing API does not answer version v25.0 (HTTP 404 OAuthException code 2635: "
        "(#2635) You are calling a deprecated version of the Ads API. Please update to the "
        "latest version: v26.0. (trace id AbCdEf123)). It may be sunset: set "
        "YENNI_META_API_VERSION to a current version (v25.0, v26.0), or update Yenni."
    )
    assert fake_meta.calls == 1


def test_an_expired_version_in_the_settings_is_refused_before_any_call(
    fake_meta, meta_account, settings
):
    settings.INGEST_API_VERSIONS = {**settings.INGEST_API_VERSIONS, "meta": "v24.0"}

    run = sync(meta_account)

    assert (run.status, fake_meta.calls) == (IngestionRun.Status.FAILED, 0)
    assert run.error == (
        "Meta Marketing API v24.0 was sunset on 2026-11-10 (YENNI_META_API_VERSION=v24.0). Set "
        "YENNI_META_API_VERSION to a current version (v25.0, v26.0) or leave it empty for "
        "Yenni's default."
    )


def test_a_base_url_that_still_ends_in_a_version_is_refused_naming_both_settings(
    fake_meta, meta_account, settings
):
    url = settings.INGEST_API_URLS["meta"]
    settings.INGEST_API_URLS = {**settings.INGEST_API_URLS, "meta": f"{url}/v25.0"}

    run = sync(meta_account)

    assert (run.status, fake_meta.calls) == (IngestionRun.Status.FAILED, 0)
    assert run.error == (
        f"YENNI_META_API_URL={url}/v25.0 ends with an API version. The version is its own "
        f"setting now: set YENNI_META_API_URL={url} and YENNI_META_API_VERSION=v25.0, or leave "
        "the version empty for Yenni's default."
    )


def test_metas_code_subcode_message_and_trace_id_reach_the_run_and_the_alert(
    fake_meta, meta_account
):
    fake_meta.failures = FailurePlan(expired_token=True)

    run = sync(meta_account)

    assert run.error == (
        "The meta token of account “Tu360 Compras Meta” (Meta act_1001) was refused (HTTP 400 "
        "OAuthException code 190 (subcode 463): Error validating access token: Session has "
        "expired on Tuesday, 10-Nov-26. (trace id AbCdEf123)). Create a new system-user token "
        "with ads_read in Meta Business Settings and set it as YENNI_TOKEN_META_ACT_1001 (or "
        "YENNI_META_ACCESS_TOKEN), then run `python manage.py ingest --platform meta`."
    )
    assert run.error in mail.outbox[0].body


def test_an_account_the_token_cannot_see_fails_with_metas_words(fake_meta, meta_account):
    fake_meta.account_id = "act_9999"

    run = sync(meta_account)

    assert run.status == IngestionRun.Status.FAILED
    assert run.error == (
        "Meta answered HTTP 400 GraphMethodException code 100 (subcode 33): Unsupported get "
        "request. Object with ID 'act_1001' does not exist, cannot be loaded due to missing "
        "permissions, or does not support this operation. Please read the Graph API "
        "documentation at https://developers.facebook.com/docs/graph-api (trace id AbCdEf123)"
    )
