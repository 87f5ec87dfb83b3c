"""X conversions: every web and mobile type read, the counted ones chosen by a setting (the
platform default) or by the account."""

from __future__ import annotations

import datetime as dt
import io
from collections import defaultdict

from django.core.management import call_command
from django.db.models import Sum

from campaigns.models import DailyMetric
from ingestion.connectors.x import XConnector
from ingestion.models import IngestionRun
from ingestion.services import ingestion_replay
from tests.fakes.history import FakeMetric
from tests.ingestion.conftest import catalog_totals, sync
from tests.ingestion.test_google_ads_conversions import chunk_split_at_midnight, stored_rows

DEFAULT_TYPES = ("conversion_purchases", "conversion_sign_ups", "conversion_custom")


def truth(fake_x, types) -> dict[str, float]:
    """Per ad id: the sum of the chosen conversion types the fake served."""
    objectives = {c.id: c.objective for c in fake_x.history.campaigns}
    totals: dict[str, float] = defaultdict(float)
    for m in fake_x.history.metrics:
        split = fake_x.conversion_split(m, objectives[m.campaign_id])
        totals[m.ad_id] += sum(split.get(name, 0) for name in types)
    return dict(totals)


def catalog_conversions(account) -> dict[str, float]:
    return {ad_id: totals[3] for ad_id, totals in catalog_totals(account).items()}


def test_purchases_sign_ups_and_custom_conversions_count_by_default(fake_x, x_account):
    run = sync(x_account)

    assert run.status == IngestionRun.Status.SUCCEEDED, run.error
    expected = truth(fake_x, DEFAULT_TYPES)
    assert catalog_conversions(x_account) == expected
    assert sum(expected.values()) == sum(m.conversions for m in fake_x.history.metrics)
    value = DailyMetric.objects.aggregate(total=Sum("conversion_value_micros"))["total"]
    assert value == sum(m.conversion_value_micros for m in fake_x.history.metrics)


def test_an_account_whose_conversions_are_sign_ups_shows_every_one(fake_x, x_account):
    def sign_ups_only(m: FakeMetric, objective: str) -> dict[str, int]:
        return {"conversion_sign_ups": m.conversions * 5}

    fake_x.conversion_split = sign_ups_only

    run = sync(x_account)

    assert run.status == IngestionRun.Status.SUCCEEDED, run.error
    total = DailyMetric.objects.aggregate(total=Sum("conversions"))["total"]
    assert total == sum(m.conversions * 5 for m in fake_x.history.metrics)
    assert total > 10_000


def test_the_setting_chooses_the_counted_types_mobile_ones_included(fake_x, x_account, settings):
    chosen = ["conversion_site_visits", "mobile_conversion_installs"]
    settings.INGEST_X_CONVERSION_METRICS = chosen

    run = sync(x_account)

    assert run.status == IngestionRun.Status.SUCCEEDED, run.error
    assert catalog_conversions(x_account) == truth(fake_x, chosen)
    # Neither type carries a sale amount.
    assert DailyMetric.objects.aggregate(total=Sum("conversion_value_micros"))["total"] == 0


def test_an_unknown_type_in_the_setting_fails_the_run_before_any_call_saying_what_is_known(
    fake_x, x_account, settings
):
    settings.INGEST_X_CONVERSION_METRICS = ["conversion_purchases", "conversion_signups"]

    run = sync(x_account)

    assert run.status == IngestionRun.Status.FAILED
    assert "YENNI_X_CONVERSION_METRICS" in run.error
    assert "'conversion_signups'" in run.error
    assert "conversion_sign_ups" in run.error
    assert fake_x.calls == 0


def test_mobile_conversions_are_asked_apart_and_only_for_ads_of_app_campaigns(fake_x, x_account):
    sync(x_account)

    app_campaigns = {c.id for c in fake_x.history.campaigns if c.objective == "APP_INSTALLS"}
    app_ads = sorted(a.id for a in fake_x.history.ads if a.campaign_id in app_campaigns)
    mobile = [q for q in fake_x.stats_requests if "MOBILE_CONVERSION" in q["metric_groups"]]
    web = [q for q in fake_x.stats_requests if q not in mobile]
    assert len(app_ads) == 2
    assert len(mobile) == len(web) == 9
    assert {q["metric_groups"] for q in mobile} == {"MOBILE_CONVERSION"}
    assert {q["entity_ids"] for q in mobile} == {",".join(app_ads)}
    assert {q["metric_groups"] for q in web} == {"ENGAGEMENT,BILLING,VIDEO,WEB_CONVERSION"}


def test_every_type_is_kept_on_the_record_whatever_is_counted(fake_x, x_account):
    objectives = {c.id: c.objective for c in fake_x.history.campaigns}
    end = max(m.date for m in fake_x.history.metrics)
    since = end - dt.timedelta(days=6)
    connector = XConnector(
        account_id="18ce54d4x5t",
        token=fake_x.token,
        base_url=fake_x.base_url,
        options={"time_zone": "America/Bogota"},
    )

    records = connector.fetch_daily_metrics(since, end)

    expected = {
        (m.ad_id, m.date): fake_x.conversion_split(m, objectives[m.campaign_id])
        for m in fake_x.history.metrics_between(since, end)
    }
    assert {(r.ad_external_id, r.date): r.conversions_by_type for r in records} == expected
    purchases = {
        (r.ad_external_id, r.date): r.conversion_values_by_type["conversion_purchases"]
        for r in records
    }
    assert purchases == {
        (m.ad_id, m.date): m.conversion_value_micros
        for m in fake_x.history.metrics_between(since, end)
    }


def test_replay_rebuilds_conversions_that_mix_web_and_mobile_types(fake_x, x_account, settings):
    settings.INGEST_X_CONVERSION_METRICS = ["conversion_purchases", "mobile_conversion_sign_ups"]
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
    assert catalog_conversions(x_account) == truth(
        fake_x, ["conversion_purchases", "mobile_conversion_sign_ups"]
    )
    assert DailyMetric.objects.count() == len(fake_x.history.metrics)


def _stats(groups: str, metrics: dict) -> dict:
    return {
        "data_type": "stats",
        "time_series_length": 2,
        "data": [{"id": "pt1", "id_data": [{"segment": None, "metrics": metrics}]}],
        "request": {"params": {"start_time": "2026-03-02T05:00:00Z", "metric_groups": groups}},
    }


def test_mobile_installs_after_the_ad_stopped_make_a_day_of_their_own():
    connector = XConnector(account_id="18ce54d4x5t", options={"time_zone": "America/Bogota"})
    web = _stats(
        "ENGAGEMENT,WEB_CONVERSION",
        {
            "impressions": [1200, None],
            "conversion_sign_ups": {"metric": [3, None], "assisted": [40, None]},
        },
    )
    mobile = _stats(
        "MOBILE_CONVERSION",
        {"mobile_conversion_installs": {"post_view": [1, 2], "post_engagement": [4, 5]}},
    )
    parsed = connector.parse("stats", [web])
    connector.parse("mobile_stats", [mobile])

    metrics = connector.resolve(parsed).metrics

    assert [(m.date, m.impressions, m.conversions_by_type) for m in metrics] == [
        (dt.date(2026, 3, 2), 1200, {"conversion_sign_ups": 3, "mobile_conversion_installs": 5}),
        (dt.date(2026, 3, 3), 0, {"mobile_conversion_installs": 7}),
    ]


# Replaying part of a chunk (as Google's totals and actions: see test_google_ads_conversions) ---
# A chunk's web stats and the mobile stats of its app ads are separate answers, archived on two
# UTC days when the chunk was read across midnight.


def test_replaying_only_the_day_of_a_chunks_mobile_stats_keeps_the_stored_figures(
    fake_x, x_account, settings
):
    settings.INGEST_X_CONVERSION_METRICS = ["conversion_purchases", "mobile_conversion_sign_ups"]
    _web_day, mobile_day = chunk_split_at_midnight(x_account, "mobile_stats")
    before = stored_rows(x_account)
    assert any(name.startswith("mobile_") for row in before.values() for name in (row[-1] or {}))

    replay = ingestion_replay(account=x_account, date_from=mobile_day, date_to=mobile_day)

    assert replay.status == IngestionRun.Status.SUCCEEDED, replay.error
    assert replay.fetched_count > 0
    assert stored_rows(x_account) == before


def test_replaying_only_the_day_of_a_chunks_web_stats_keeps_the_stored_mobile_types(
    fake_x, x_account, settings
):
    settings.INGEST_X_CONVERSION_METRICS = ["conversion_purchases", "mobile_conversion_sign_ups"]
    web_day, _mobile_day = chunk_split_at_midnight(x_account, "mobile_stats")
    before = stored_rows(x_account)

    replay = ingestion_replay(account=x_account, date_from=web_day, date_to=web_day)

    assert replay.status == IngestionRun.Status.SUCCEEDED, replay.error
    assert stored_rows(x_account) == before


def test_replaying_both_days_of_a_split_x_chunk_is_the_sync_again(fake_x, x_account):
    web_day, mobile_day = chunk_split_at_midnight(x_account, "mobile_stats")
    before = stored_rows(x_account)
    DailyMetric.objects.all().delete()

    ingestion_replay(account=x_account, date_from=web_day, date_to=mobile_day)

    assert stored_rows(x_account) == before
