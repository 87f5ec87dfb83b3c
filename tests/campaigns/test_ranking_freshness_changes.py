"""Ranking tables are reported behind when daily rows are deleted or changed, not only added,
and a row still uncommitted while the tables were built is never taken as counted.

The coverage stamp used to be the highest daily-metric id the tables counted: ids only grow,
so it saw new rows, but a deleted row (a re-sync that no longer reports a day, an ad deleted
with its results, a raw ORM delete), a changed figure, or a row that another transaction had
numbered but not yet committed when the tables were built all left the tables stale while
`rank` answered with their figures (issue 15, freshness).
"""

from __future__ import annotations

import datetime as dt
import io
import itertools
import random

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from campaigns.models import DailyMetric, Objective
from campaigns.rollups import image_rollup_refresh
from creatives.models import CreativeImage
from ingestion.services.store import UpsertCounts, daily_metrics_upsert
from tests.factories import (
    make_account,
    make_ad,
    make_campaign,
    make_creative,
    make_image,
    make_metric,
    make_node,
)

DAY = dt.date(2026, 10, 5)
AS_OF = "2026-10-31"
_IMAGES = itertools.count(1)
STALE_ES = (
    "Los resultados de ranking están desactualizados: ejecute refresh_ranking (python manage.py "
    "refresh_ranking --account …) para {accounts}; las tablas de ranking aún no cuentan todas "
    "sus métricas diarias."
)


def _ad_with_results(campaign, *, clicks: int, days: int = 3):
    n = next(_IMAGES)
    # Images of their own size and hash: the tiny flat test images would be one piece.
    image = make_image(width=8 + n)
    CreativeImage.objects.filter(pk=image.pk).update(
        phash=f"{random.Random(1000 + n).getrandbits(64):016x}"
    )
    ad = make_ad(campaign=campaign, creative=make_creative(images=[image]))
    for offset in range(days):
        make_metric(ad=ad, date=DAY + dt.timedelta(days=offset), impressions=5_000, clicks=clicks)
    return ad


def _rank() -> str:
    out = io.StringIO()
    call_command(
        "rank", "--node", "wompi", "--objective", "traffic", "--as-of", AS_OF, "--lang", "en",
        stdout=out, stderr=io.StringIO(),
    )  # fmt: skip
    return out.getvalue()


def _stale_message() -> str:
    with pytest.raises(CommandError) as excinfo:
        _rank()
    return str(excinfo.value)


@pytest.fixture
def ranked(db, media_storage):
    """Two Wompi Meta ads with three days each, the tables built and up to date."""
    node = make_node(name="Wompi", slug="wompi")
    account = make_account(platform="meta", name="Wompi Meta", default_node=node)
    campaign = make_campaign(account=account, node=node, objective=Objective.TRAFFIC)
    strong = _ad_with_results(campaign, clicks=300)
    weak = _ad_with_results(campaign, clicks=100)
    image_rollup_refresh()
    assert _rank().splitlines()[1].startswith("  1. image ")  # fresh: it answers
    return account, strong, weak


def test_rows_deleted_by_a_resync_that_no_longer_reports_them_make_rank_refuse(ranked):
    account, _, _ = ranked

    # The platform reports nothing for these days any more: the store deletes the rows.
    daily_metrics_upsert(
        account=account,
        records=[],
        ad_ids={},
        campaign_ids={},
        since=DAY,
        until=DAY + dt.timedelta(days=1),
        counts=UpsertCounts(),
    )

    assert DailyMetric.objects.count() == 2  # the third day of each ad is left
    assert _stale_message() == STALE_ES.format(accounts="Wompi Meta")


def test_rows_deleted_through_the_orm_make_rank_refuse(ranked):
    _, strong, _ = ranked

    DailyMetric.objects.filter(ad=strong).delete()

    assert _stale_message() == STALE_ES.format(accounts="Wompi Meta")


def test_an_ad_deleted_with_its_results_makes_rank_refuse(ranked):
    _, strong, _ = ranked

    strong.delete()

    assert _stale_message() == STALE_ES.format(accounts="Wompi Meta")


def test_a_changed_figure_makes_rank_refuse(ranked):
    _, _, weak = ranked

    DailyMetric.objects.filter(ad=weak).update(clicks=900)

    assert _stale_message() == STALE_ES.format(accounts="Wompi Meta")


def test_after_a_delete_refresh_ranking_ranks_only_what_is_left(ranked):
    _, strong, weak = ranked
    DailyMetric.objects.filter(ad=strong).delete()

    call_command("refresh_ranking", stdout=io.StringIO())
    lines = _rank().splitlines()

    weak_image = weak.creative.image_slots.get().image_id
    assert lines[1].startswith(f"  1. image {weak_image}: CTR ")
    assert not any(line.startswith("  2. ") for line in lines)


def test_a_refresh_of_the_images_a_delete_touched_brings_the_tables_up_to_date(ranked):
    _, strong, _ = ranked
    DailyMetric.objects.filter(ad=strong, date=DAY).delete()
    strong_image = strong.creative.image_slots.get().image_id

    image_rollup_refresh(image_ids=[strong_image])
    lines = _rank().splitlines()

    assert lines[1].startswith(f"  1. image {strong_image}: CTR ")


def test_a_refresh_of_other_images_leaves_a_delete_reported(ranked):
    _, strong, weak = ranked
    DailyMetric.objects.filter(ad=strong, date=DAY).delete()

    image_rollup_refresh(image_ids=[weak.creative.image_slots.get().image_id])

    assert _stale_message() == STALE_ES.format(accounts="Wompi Meta")


@pytest.mark.skipif(
    "postgres" not in __import__("os").environ.get("DATABASE_URL", ""),
    reason="two concurrent connections need PostgreSQL",
)
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_row_uncommitted_while_the_tables_were_built_is_not_taken_as_counted(media_storage):
    import psycopg

    node = make_node(name="Wompi", slug="wompi")
    account = make_account(platform="meta", name="Wompi Meta", default_node=node)
    campaign = make_campaign(account=account, node=node, objective=Objective.TRAFFIC)
    early = _ad_with_results(campaign, clicks=300, days=1)
    later = _ad_with_results(campaign, clicks=100, days=1)
    image_rollup_refresh()
    settings = connection.settings_dict
    other = psycopg.connect(
        host=settings["HOST"],
        port=settings["PORT"] or 5432,
        user=settings["USER"],
        dbname=settings["NAME"],
        password=settings["PASSWORD"] or None,
    )
    try:
        # Another load numbers its row first and commits only after the tables were built...
        other.execute(
            "INSERT INTO campaigns_dailymetric (ad_id, date, impressions, reach, clicks, "
            "link_clicks, spend_micros, conversions, conversion_value_micros, leads, "
            "video_views, engagements) VALUES (%s, %s, 5000, 0, 2000, 0, 0, 0, 0, 0, 0, 0)",
            [early.pk, DAY + dt.timedelta(days=3)],
        )
        # ...while a row with a higher id commits at once, and the tables are rebuilt.
        make_metric(ad=later, date=DAY + dt.timedelta(days=3), impressions=5_000, clicks=100)
        image_rollup_refresh()
        other.commit()
    finally:
        other.close()

    assert _stale_message() == STALE_ES.format(accounts="Wompi Meta")
