"""Google Ads conversions per conversion action: the fake answers as Google does, and each day's
record carries Google's primary total ("conversions") and every action by its name."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re

import requests
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db.models import Sum

from campaigns.models import DailyMetric
from ingestion.connectors.base import Exchange
from ingestion.connectors.google_ads import GoogleAdsConnector
from ingestion.connectors.records import Parsed
from ingestion.models import IngestionRun
from ingestion.services import ingestion_replay
from ingestion.services.archive import (
    archive_folder,
    archived_endpoint,
    archived_files,
    manifest_name,
)
from tests.fakes.history import FakeMetric
from tests.fakes.server import FailurePlan
from tests.ingestion.conftest import GOOGLE_TOKEN, sync

PRIMARY = ("Compra en línea", "Compra en la app")
MIXED_QUERY = (
    "SELECT segments.date, ad_group_ad.ad.id, segments.conversion_action, "
    "metrics.conversions, metrics.impressions FROM ad_group_ad "
    "WHERE segments.date BETWEEN '{since}' AND '{until}'"
)
ACTIONS_QUERY = (
    "SELECT segments.date, ad_group_ad.ad.id, segments.conversion_action, "
    "segments.conversion_action_name, metrics.conversions, metrics.conversions_value, "
    "metrics.all_conversions, metrics.all_conversions_value FROM ad_group_ad "
    "WHERE segments.date BETWEEN '{since}' AND '{until}'"
)
TOTALS_QUERY = (
    "SELECT segments.date, ad_group_ad.ad.id, metrics.impressions, metrics.conversions, "
    "metrics.conversions_value, metrics.all_conversions FROM ad_group_ad "
    "WHERE segments.date BETWEEN '{since}' AND '{until}'"
)


def last_week(fake_google) -> tuple[dt.date, dt.date]:
    end = max(m.date for m in fake_google.history.metrics)
    return end - dt.timedelta(days=6), end


def gaql(fake_google, query: str, version: str = "v26") -> requests.Response:
    return requests.post(
        f"{fake_google.base_url}/{version}/customers/{fake_google.customer_id}"
        "/googleAds:searchStream",
        json={"query": query},
        headers={"Authorization": f"Bearer {GOOGLE_TOKEN}"},
        timeout=10,
    )


def rows_of(response: requests.Response) -> list[dict]:
    assert response.status_code == 200, response.text
    return [row for batch in response.json() for row in batch.get("results") or []]


def connector_for(fake_google, **kwargs) -> GoogleAdsConnector:
    return GoogleAdsConnector(
        account_id="123-456-7890",
        token=GOOGLE_TOKEN,
        base_url=fake_google.base_url,
        wait_scale=0.0002,
        **kwargs,
    )


def expected_counts(m: FakeMetric) -> dict[str, float]:
    """What the fake's account reports for one ad-day, written out from the history's fields:
    two primary purchase actions sharing m.conversions (a third, rounded down, in the app), the
    credit form carrying m.leads and a WhatsApp click per 40 clicks, both secondary. Actions
    with no conversion that day send no row."""
    actions = {
        "Compra en línea": m.conversions - m.conversions // 3,
        "Compra en la app": m.conversions // 3,
        "Solicitud de crédito": m.leads,
        "Clic en WhatsApp": m.clicks // 40,
    }
    return {"conversions": float(m.conversions)} | {
        name: float(count) for name, count in actions.items() if count
    }


def expected_values(m: FakeMetric) -> dict[str, int]:
    app = m.conversions // 3
    app_value = m.conversion_value_micros * app // m.conversions if m.conversions else 0
    actions = {
        "Compra en línea": m.conversion_value_micros - app_value,
        "Compra en la app": app_value,
        "Solicitud de crédito": m.leads * 15_000_000,
        "Clic en WhatsApp": 0,
    }
    counts = expected_counts(m)
    return {"conversions": m.conversion_value_micros} | {
        name: value for name, value in actions.items() if name in counts
    }


# The fake answers as Google does -------------------------------------------------------------


def test_the_fake_refuses_a_conversion_action_segment_with_impressions_as_google_does(
    fake_google,
):
    since, until = last_week(fake_google)

    response = gaql(fake_google, MIXED_QUERY.format(since=since, until=until))

    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["code"], error["status"]) == (400, "INVALID_ARGUMENT")
    [failure] = error["details"]
    assert failure["@type"].endswith("google.ads.googleads.v26.errors.GoogleAdsFailure")
    [item] = failure["errors"]
    assert item["errorCode"] == {
        "queryError": "PROHIBITED_SEGMENT_WITH_METRIC_IN_SELECT_OR_WHERE_CLAUSE"
    }
    assert item["message"] == (
        "Cannot select the following segments because at least one unsupported metric is found "
        "in SELECT or WHERE clause: 'segments.conversion_action'(unsupported metrics: "
        "'impressions')."
    )


def test_the_fake_refuses_a_non_conversion_metric_in_the_where_clause_too(fake_google):
    since, until = last_week(fake_google)
    query = ACTIONS_QUERY.format(since=since, until=until) + " AND metrics.clicks > 0"

    response = gaql(fake_google, query)

    assert response.status_code == 400
    [item] = response.json()["error"]["details"][0]["errors"]
    assert item["errorCode"]["queryError"] == (
        "PROHIBITED_SEGMENT_WITH_METRIC_IN_SELECT_OR_WHERE_CLAUSE"
    )
    assert "(unsupported metrics: 'clicks')" in item["message"]


def test_the_fake_splits_conversions_by_action_and_primary_actions_add_up_to_the_total(
    fake_google,
):
    since, until = last_week(fake_google)

    by_action = rows_of(gaql(fake_google, ACTIONS_QUERY.format(since=since, until=until)))
    totals = rows_of(gaql(fake_google, TOTALS_QUERY.format(since=since, until=until)))

    first = by_action[0]
    assert set(first) == {"segments", "campaign", "adGroupAd", "metrics"}
    assert first["segments"]["conversionAction"].startswith(
        f"customers/{fake_google.customer_id}/conversionActions/"
    )
    names = {row["segments"]["conversionActionName"] for row in by_action}
    assert names == {*PRIMARY, "Solicitud de crédito", "Clic en WhatsApp"}
    primary: dict[tuple, float] = {}
    every: dict[tuple, float] = {}
    for row in by_action:
        key = (row["adGroupAd"]["ad"]["id"], row["segments"]["date"])
        metrics = row["metrics"]
        assert metrics["allConversions"] > 0  # rows of all-zero metrics are not sent
        primary[key] = primary.get(key, 0.0) + metrics.get("conversions", 0.0)
        every[key] = every.get(key, 0.0) + metrics["allConversions"]
        if row["segments"]["conversionActionName"] not in PRIMARY:
            assert "conversions" not in metrics  # a secondary action is in all_conversions only
    for row in totals:
        key = (row["adGroupAd"]["ad"]["id"], row["segments"]["date"])
        assert row["metrics"].get("conversions", 0.0) == primary.get(key, 0.0)
        assert row["metrics"].get("allConversions", 0.0) == every.get(key, 0.0)
    assert sum(primary.values()) == sum(
        m.conversions for m in fake_google.history.metrics_between(since, until)
    )
    assert sum(every.values()) > sum(primary.values())


# The connector -----------------------------------------------------------------------------


def test_each_day_record_carries_the_primary_total_and_every_conversion_action(fake_google):
    since, until = last_week(fake_google)

    records = connector_for(fake_google).fetch_daily_metrics(since, until)

    history = fake_google.history.metrics_between(since, until)
    assert len(records) == len(history)
    found = {(r.ad_external_id, r.date): r for r in records}
    for m in history:
        record = found[(m.ad_id, m.date)]
        assert record.conversions_by_type == expected_counts(m)
        assert record.conversion_values_by_type == expected_values(m)
        # Google's primary total stays the counted figure, as before.
        assert record.conversions == record.conversions_by_type["conversions"] == m.conversions
        assert record.conversion_value_micros == m.conversion_value_micros
        assert sum(record.conversions_by_type.get(name, 0) for name in PRIMARY) == m.conversions
        assert record.impressions == m.impressions
    secondary = [r.conversions_by_type.get("Solicitud de crédito", 0) for r in records]
    assert sum(secondary) == sum(m.leads for m in history) > 0


def test_a_chunk_costs_two_calls_the_totals_and_the_actions(fake_google):
    since, until = last_week(fake_google)
    connector = connector_for(fake_google)

    connector.fetch_daily_metrics(since, until)

    assert connector.stats.api_calls == fake_google.calls == 2
    query = fake_google.last_request.json()["query"]
    assert "segments.conversion_action_name" in query
    assert "metrics.all_conversions_value" in query


def test_a_removed_ads_conversions_are_kept(fake_google, google_account):
    history = fake_google.history
    removed = history.ads[0].id
    history.ads = [dataclasses.replace(ad, removed=ad.id == removed) for ad in history.ads]
    since, until = last_week(fake_google)

    records = connector_for(fake_google).fetch_daily_metrics(since, until)

    mine = {r.date: r for r in records if r.ad_external_id == removed}
    days = [m for m in history.metrics_between(since, until) if m.ad_id == removed]
    assert days and sum(m.leads for m in days) > 0
    assert {m.date: expected_counts(m) for m in days} == {
        day: r.conversions_by_type for day, r in mine.items()
    }
    run = sync(google_account)
    assert run.status == IngestionRun.Status.SUCCEEDED, run.error
    stored = DailyMetric.objects.filter(ad__external_id=removed).aggregate(n=Sum("conversions"))
    assert stored["n"] == sum(m.conversions for m in history.metrics if m.ad_id == removed)


def test_an_ad_day_with_conversions_but_no_row_in_the_totals_still_gets_a_record(fake_google):
    since, until = last_week(fake_google)
    served = {(m.ad_id, m.date) for m in fake_google.history.metrics}
    # A day this ad did not run (the history skips some ad-days, as paused ads do).
    ad, day = next(
        (ad, since + dt.timedelta(days=i))
        for ad in fake_google.history.ads
        for i in range(7)
        if (ad.id, since + dt.timedelta(days=i)) not in served
    )
    late = FakeMetric(
        ad_id=ad.id,
        campaign_id=ad.campaign_id,
        date=day,
        impressions=0,
        reach=0,
        clicks=0,
        link_clicks=0,
        spend_micros=0,
        conversions=4,
        conversion_value_micros=4 * 125_500_000,
        leads=2,
        video_views=0,
        engagements=0,
    )
    fake_google.conversions_only = [late]

    records = connector_for(fake_google).fetch_daily_metrics(since, until)

    [record] = [r for r in records if (r.ad_external_id, r.date) == (ad.id, day)]
    assert record.campaign_external_id == ad.campaign_id
    assert (record.impressions, record.clicks, record.spend_micros) == (0, 0, 0)
    assert (record.conversions, record.conversion_value_micros) == (4.0, 502_000_000)
    assert record.conversions_by_type == {
        "conversions": 4.0,
        "Compra en línea": 3.0,
        "Compra en la app": 1.0,
        "Solicitud de crédito": 2.0,
    }
    assert record.conversion_values_by_type == {
        "conversions": 502_000_000,
        "Compra en línea": 376_500_000,
        "Compra en la app": 125_500_000,
        "Solicitud de crédito": 30_000_000,
    }
    assert len(records) == len(fake_google.history.metrics_between(since, until)) + 1


def test_quota_and_server_errors_on_the_action_query_are_retried_like_the_totals(fake_google):
    since, until = last_week(fake_google)
    calm = connector_for(fake_google).fetch_daily_metrics(since, until)
    fake_google.calls = 0
    # Call 1 (the totals) passes; the action query is answered 429, 503, 429, then read.
    fake_google.failures = FailurePlan(throttle_every=2, error_every=3)

    connector = connector_for(fake_google)
    stormy = connector.fetch_daily_metrics(since, until)

    assert (fake_google.throttled, fake_google.errors, connector.stats.waits) == (2, 1, 3)
    assert stormy == calm


def test_a_query_google_refuses_fails_the_run_with_googles_error_code(
    fake_google, google_account, monkeypatch
):
    from ingestion.connectors import google_ads

    monkeypatch.setattr(
        google_ads,
        "ACTION_METRIC_QUERY",
        google_ads.ACTION_METRIC_QUERY.replace("metrics.conversions,", "metrics.impressions,"),
    )

    run = sync(google_account)

    assert run.status == IngestionRun.Status.FAILED
    assert "queryError PROHIBITED_SEGMENT_WITH_METRIC_IN_SELECT_OR_WHERE_CLAUSE" in run.error
    assert "(unsupported metrics: 'impressions')" in run.error


def test_replayed_bodies_give_the_same_records_and_a_reread_day_keeps_its_latest_actions(
    fake_google,
):
    since, until = last_week(fake_google)
    archived: list[Exchange] = []
    connector = connector_for(fake_google, archive=archived.append)
    connector.fetch_daily_metrics(since - dt.timedelta(days=7), since - dt.timedelta(days=1))
    connector.fetch_daily_metrics(since, until)
    # A day read again later: its credit applications were withdrawn meanwhile.
    target = next(m for m in fake_google.history.metrics_between(until, until) if m.leads)
    fake_google.history.metrics = [
        dataclasses.replace(m, leads=0) if m is target else m for m in fake_google.history.metrics
    ]
    latest = connector.fetch_daily_metrics(until, until)
    assert [e.endpoint for e in archived] == ["metrics", "metrics_by_action"] * 3

    replaying = connector_for(fake_google)
    parsed = Parsed()
    for exchange in archived:
        parsed.extend(replaying.parse(exchange.endpoint, [json.loads(exchange.body)]))
    replayed = replaying.resolve(parsed).metrics

    # The store keeps the last record of an ad-day; the replay must end where the sync did.
    final = {(r.ad_external_id, r.date): r for r in replayed}
    assert len(final) == len(fake_google.history.metrics_between(since - dt.timedelta(7), until))
    for record in latest:
        assert final[(record.ad_external_id, record.date)] == record
    withdrawn = final[(target.ad_id, target.date)]
    assert "Solicitud de crédito" not in withdrawn.conversions_by_type
    assert withdrawn.conversions_by_type["conversions"] == target.conversions


# Replaying part of a chunk ---------------------------------------------------------------------
# A chunk's two answers are archived by the UTC day each arrived: a chunk read just before
# midnight has its totals on one day and its actions on the next, and a replay reads days.


def archived_bodies(account) -> list[str]:
    folder = archive_folder(platform=account.platform.slug, account_id=account.external_id)
    return archived_files(
        folder=folder, date_from=dt.date(2000, 1, 1), date_to=dt.date.today() + dt.timedelta(2)
    )


def archived_day(name: str) -> dt.date:
    return dt.date.fromisoformat(
        re.sub(r".*/year=(\d+)/month=(\d+)/day=(\d+)/.*", r"\1-\2-\3", name)
    )


def archived_move_to_next_day(name: str) -> dt.date:
    """Move an archived body and its manifest to the next UTC day's folder, as if it had come
    just after midnight; return that day."""
    day = archived_day(name)
    after = day + dt.timedelta(days=1)
    moved = name.replace(
        f"/year={day:%Y}/month={day:%m}/day={day:%d}/",
        f"/year={after:%Y}/month={after:%m}/day={after:%d}/",
    )
    for old, new in ((name, moved), (manifest_name(name), manifest_name(moved))):
        with default_storage.open(old, "rb") as handle:
            default_storage.save(new, ContentFile(handle.read()))
        default_storage.delete(old)
    return after


def stored_rows(account) -> dict[tuple[str, dt.date], tuple]:
    return {
        (row[0], row[1]): row[2:]
        for row in DailyMetric.objects.filter(ad__campaign__account=account).values_list(
            "ad__external_id",
            "date",
            "impressions",
            "clicks",
            "spend_micros",
            "conversions",
            "conversion_value_micros",
            "leads",
            "conversion_types",
        )
    }


def chunk_split_at_midnight(account, second: str) -> tuple[dt.date, dt.date]:
    """Sync, then move the last chunk's trailing answers of endpoint `second` to the next UTC
    day; return the day of the chunk's first answers and the day of the moved ones."""
    run = sync(account)
    assert run.status == IngestionRun.Status.SUCCEEDED, run.error
    bodies = archived_bodies(account)
    trailing = []
    while archived_endpoint(bodies[-1]) == second:
        trailing.append(bodies.pop())
    assert trailing, f"the last answer is no {second}"
    moved_to = {archived_move_to_next_day(name) for name in trailing}
    assert len(moved_to) == 1
    return archived_day(bodies[-1]), moved_to.pop()


def test_replaying_only_the_day_of_a_chunks_actions_keeps_the_stored_figures(
    fake_google, google_account
):
    _totals_day, actions_day = chunk_split_at_midnight(google_account, "metrics_by_action")
    before = stored_rows(google_account)

    replay = ingestion_replay(account=google_account, date_from=actions_day, date_to=actions_day)

    assert replay.status == IngestionRun.Status.SUCCEEDED, replay.error
    assert replay.fetched_count > 0
    assert stored_rows(google_account) == before


def test_replaying_only_the_day_of_a_chunks_totals_keeps_the_stored_actions(
    fake_google, google_account
):
    totals_day, _actions_day = chunk_split_at_midnight(google_account, "metrics_by_action")
    before = stored_rows(google_account)
    assert any(len(row[-1] or {}) > 1 for row in before.values())  # actions are stored

    replay = ingestion_replay(account=google_account, date_from=totals_day, date_to=totals_day)

    assert replay.status == IngestionRun.Status.SUCCEEDED, replay.error
    assert stored_rows(google_account) == before


def test_replaying_both_days_of_a_split_chunk_is_the_sync_again(fake_google, google_account):
    totals_day, actions_day = chunk_split_at_midnight(google_account, "metrics_by_action")
    before = stored_rows(google_account)
    DailyMetric.objects.all().delete()

    ingestion_replay(account=google_account, date_from=totals_day, date_to=actions_day)

    assert stored_rows(google_account) == before


def test_answers_pair_in_the_order_they_were_fetched(fake_google):
    since, until = last_week(fake_google)
    archived: list[Exchange] = []
    connector = connector_for(fake_google, archive=archived.append)
    connector.fetch_daily_metrics(since - dt.timedelta(days=7), since - dt.timedelta(days=1))
    connector.fetch_daily_metrics(since, until)
    (totals1, actions1, totals2, actions2) = [json.loads(e.body) for e in archived]
    last_week_days = {(m.ad_id, m.date) for m in fake_google.history.metrics_between(since, until)}

    def replayed(*bodies: tuple[str, object]) -> dict:
        replaying = connector_for(fake_google)
        for endpoint, body in bodies:
            replaying.parse(endpoint, [body])
        replaying.resolve(Parsed())
        return replaying.metrics_partial()

    whole = replayed(("metrics", totals1), ("metrics_by_action", actions1))
    # A run killed between its two calls: the next answer is another run's campaigns.
    killed = replayed(("metrics", totals2), ("campaigns", {"results": []}))
    actions_alone = replayed(("metrics_by_action", actions2))

    assert whole == {}
    assert set(killed) == last_week_days
    part = next(iter(killed.values()))
    assert part.delivery and part.keeps_type("Compra en línea")
    assert not part.keeps_type("conversions")  # the totals answer gives the primary total
    assert set(actions_alone) <= last_week_days and actions_alone
    assert {(p.delivery, p.keeps_type("Compra en línea")) for p in actions_alone.values()} == {
        (False, False)
    }
