"""Meta ads that were archived or deleted keep their creative, picture, status and history.

Meta hides both from the account's `ads` edge and from `act_…/insights?level=ad` unless a
status filter names them, refuses DELETED as an edge filter, and answers either by its own id
("Manage your ad object's status", Marketing API best practices; tests/fakes/meta.py).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections import Counter

import pytest
import requests
from django.core.management import call_command

from campaigns.models import Ad, DailyMetric
from creatives.models import CreativeImageSlot
from ingestion.models import IngestionRun
from tests.fakes.history import history_build
from tests.fakes.meta import FakeMeta
from tests.fakes.server import FakeServer
from tests.ingestion.conftest import META_TOKEN, account_yesterday, catalog_totals, sync
from tests.ingestion.test_meta_sync import archived_files

DAYS = 90


def _endpoints(account) -> Counter:
    """Calls by endpoint, as the raw archive names them (one file per answered call)."""
    return Counter(
        name.rsplit("-", 1)[1].removesuffix(".json.gz") for name in archived_files(account)
    )


@pytest.fixture
def removed_world(ingest_settings, meta_account):
    """14 ads over 90 days to yesterday: the second DELETED, the third ARCHIVED."""
    ingest_settings.INGEST_BACKFILL_DAYS = DAYS
    history = history_build(end=account_yesterday(meta_account), days=DAYS)
    history.ads[1] = dataclasses.replace(history.ads[1], removed=True)
    platform = FakeMeta(
        history,
        account_id="act_1001",
        token=META_TOKEN,
        page_size=3,
        insights_page_size=40,
        ad_statuses={history.ads[2].id: "ARCHIVED"},
    )
    with FakeServer(platform) as server:
        ingest_settings.INGEST_API_URLS = {**ingest_settings.INGEST_API_URLS, "meta": server.url}
        yield platform


# The fake follows Meta's documents ----------------------------------------------------------


def test_the_fake_hides_archived_and_deleted_ads_unless_a_status_filter_or_their_id_names_them(
    removed_world,
):
    meta = removed_world
    meta.page_size, meta.insights_page_size = 100, 1000  # one page for each question
    deleted, archived = meta.history.ads[1].id, meta.history.ads[2].id
    base = f"{meta.base_url}/v26.0"
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {META_TOKEN}"

    def get(path: str, **params) -> requests.Response:
        return session.get(f"{base}{path}", params={"limit": 500, **params}, timeout=10)

    def ad_ids(response: requests.Response, key: str = "id") -> set[str]:
        assert response.status_code == 200, response.text
        return {row[key] for row in response.json()["data"]}

    listed = ad_ids(get("/act_1001/ads", fields="id,effective_status"))
    assert len(listed) == 12 and not {deleted, archived} & listed
    with_archived = ad_ids(
        get("/act_1001/ads", effective_status='["ACTIVE","PAUSED","ARCHIVED"]', fields="id")
    )
    assert archived in with_archived and deleted not in with_archived
    refused = get("/act_1001/ads", effective_status='["ACTIVE","DELETED"]', fields="id")
    assert refused.status_code == 400 and refused.json()["error"]["code"] == 100

    week = json.dumps(
        {
            "since": str(meta.history.metrics[-1].date - dt.timedelta(days=6)),
            "until": str(meta.history.metrics[-1].date),
        }
    )
    plain = {"level": "ad", "time_increment": 1, "time_range": week}
    assert not {deleted, archived} & ad_ids(get("/act_1001/insights", **plain), "ad_id")
    everything = json.dumps(
        [
            {
                "field": "ad.effective_status",
                "operator": "IN",
                "value": ["ACTIVE", "PAUSED", "ARCHIVED", "DELETED"],
            }
        ]
    )
    filtered = ad_ids(get("/act_1001/insights", **plain, filtering=everything), "ad_id")
    assert {deleted, archived} <= filtered

    both = session.get(
        f"{base}/",
        params={"ids": f"{deleted},{archived}", "fields": "id,effective_status,creative{id}"},
        timeout=10,
    ).json()
    assert {both[deleted]["effective_status"], both[archived]["effective_status"]} == {
        "DELETED",
        "ARCHIVED",
    }
    assert both[deleted]["creative"] == {"id": meta.history.ads[1].creative_id}
    alone = session.get(f"{base}/{deleted}", params={"fields": "id,effective_status"}, timeout=10)
    assert alone.json() == {"id": deleted, "effective_status": "DELETED"}
    too_many = session.get(f"{base}/", params={"ids": ",".join([deleted] * 51)}, timeout=10)
    assert too_many.status_code == 400


# The sync ------------------------------------------------------------------------------------


def test_a_90_day_sync_keeps_archived_and_deleted_ads_whole_with_no_stub(
    removed_world, meta_account
):
    meta = removed_world
    history = meta.history
    deleted, archived = history.ads[1], history.ads[2]

    run = sync(meta_account)

    assert run.status == IngestionRun.Status.SUCCEEDED, run.error
    ads = {ad.external_id: ad for ad in Ad.objects.filter(campaign__account=meta_account)}
    assert set(ads) == {a.id for a in history.ads}  # no stub of an unknown ad
    assert all(ad.name and ad.status and ad.creative_id for ad in ads.values())
    for fake, status in ((deleted, "DELETED"), (archived, "ARCHIVED")):
        ad = Ad.objects.select_related("creative", "campaign").get(external_id=fake.id)
        assert (ad.status, ad.name, ad.campaign.external_id) == (
            status,
            fake.name,
            fake.campaign_id,
        )
        assert ad.creative.external_id == fake.creative_id
        assert ad.creative.headline == f"Paga en cuotas, oferta {history.ads.index(fake) + 1}"
        assert CreativeImageSlot.objects.filter(creative=ad.creative).count() == 1
        days = sorted(m.date for m in history.metrics if m.ad_id == fake.id)
        stored = DailyMetric.objects.filter(ad=ad).order_by("date")
        assert list(stored.values_list("date", flat=True)) == days
        assert len(days) == DAYS - DAYS // 9  # every day it served, 90 days back
    assert catalog_totals(meta_account) == history.totals_by_ad()
    assert DailyMetric.objects.filter(ad__campaign__account=meta_account).count() == len(
        history.metrics
    )
    assert run.created_count == 7 + 14 + 14 + len(history.metrics)
    # The deleted ads' question to insights and one lookup by id: two calls more than before.
    calls = _endpoints(meta_account)
    assert (calls["ads_delivered"], calls["ads_by_id"]) == (1, 1)
    assert run.api_calls == meta.calls == sum(calls.values())


def test_a_daily_sync_after_it_changes_nothing(removed_world, meta_account):
    sync(meta_account)
    before = list(Ad.objects.order_by("pk").values())
    rows = list(DailyMetric.objects.order_by("pk").values())

    run = sync(meta_account)

    assert run.status == IngestionRun.Status.SUCCEEDED, run.error
    assert (run.created_count, run.updated_count) == (0, 0)
    assert list(Ad.objects.order_by("pk").values()) == before
    assert list(DailyMetric.objects.order_by("pk").values()) == rows


def test_replay_brings_back_a_deleted_ad_with_its_creative_and_history(removed_world, meta_account):
    deleted = removed_world.history.ads[1]
    sync(meta_account)
    Ad.objects.filter(external_id=deleted.id).delete()  # its metrics go with it
    calls = removed_world.calls
    today = dt.datetime.now(dt.UTC).date()

    call_command(
        "ingest_replay",
        "--platform=meta",
        "--account=act_1001",
        f"--from={today - dt.timedelta(days=1)}",
        f"--to={today}",
        stdout=open("/dev/null", "w"),  # noqa: SIM115
    )

    assert removed_world.calls == calls
    ad = Ad.objects.select_related("creative").get(external_id=deleted.id)
    assert (ad.status, ad.creative.external_id) == ("DELETED", deleted.creative_id)
    assert catalog_totals(meta_account) == removed_world.history.totals_by_ad()


def test_deleted_ads_are_looked_up_fifty_at_a_time(ingest_settings, meta_account):
    ingest_settings.INGEST_BACKFILL_DAYS = 7
    history = history_build(
        end=account_yesterday(meta_account), days=7, campaigns=11, ads_per_campaign=5
    )
    history.ads = [dataclasses.replace(ad, removed=i > 1) for i, ad in enumerate(history.ads)]
    platform = FakeMeta(history, account_id="act_1001", token=META_TOKEN, page_size=50)
    with FakeServer(platform) as server:
        ingest_settings.INGEST_API_URLS = {**ingest_settings.INGEST_API_URLS, "meta": server.url}
        run = sync(meta_account)

    assert run.status == IngestionRun.Status.SUCCEEDED, run.error
    assert _endpoints(meta_account)["ads_by_id"] == 2  # 53 deleted ads: 50, then 3
    statuses = Counter(Ad.objects.values_list("status", flat=True))
    assert statuses == {"DELETED": 53, "ACTIVE": 2}
    assert not Ad.objects.filter(creative=None).exists()
    assert catalog_totals(meta_account) == history.totals_by_ad()


def test_an_ad_meta_no_longer_answers_by_id_keeps_its_history_and_the_run_goes_on(
    removed_world, meta_account
):
    history = removed_world.history
    gone = history.ads.pop(3)  # insights still report it, DELETED; its id answers #803
    removed_world.ad_statuses[gone.id] = "DELETED"

    run = sync(meta_account)

    assert run.status == IngestionRun.Status.SUCCEEDED, run.error
    assert Ad.objects.get(external_id=history.ads[1].id).status == "DELETED"
    # Refused naming it (#803, not archived), then asked again without it.
    calls = _endpoints(meta_account)
    assert calls["ads_by_id"] == 1
    assert run.api_calls == removed_world.calls == sum(calls.values()) + 1
    assert DailyMetric.objects.filter(ad__external_id=gone.id).count() == sum(
        m.ad_id == gone.id for m in history.metrics
    )
