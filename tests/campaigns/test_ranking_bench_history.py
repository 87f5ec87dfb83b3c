"""The ranking bench's fast history (bench/ranking_history.py) writes the demo's own rows.

The bench builds the ≈10M-row history with binary COPY from numpy arrays instead of the demo
loader's tuples; its figures only mean something if every daily row, date and figure is the
one the demo loader writes for the same plan. PostgreSQL only: binary COPY is its format.
"""

from __future__ import annotations

import os

import pytest
from django.core.files.storage import default_storage

from bench.ranking_history import fast_history_build
from campaigns.models import DailyMetric
from creatives.models import CreativeImage
from demo.history import plan_history
from demo.loader import demo_history_load
from demo.plan import DemoParameters

pytestmark = pytest.mark.skipif(
    "postgres" not in os.environ.get("DATABASE_URL", ""),
    reason="the fast history writes with PostgreSQL's binary COPY",
)

COLUMNS = (
    "ad__external_id",
    "date",
    "impressions",
    "reach",
    "clicks",
    "link_clicks",
    "spend_micros",
    "conversions",
    "conversion_value_micros",
    "leads",
    "video_views",
    "engagements",
)


def _rows() -> list[tuple]:
    return sorted(DailyMetric.objects.values_list(*COLUMNS))


def test_the_fast_history_writes_every_daily_row_the_demo_loader_writes(db, media_storage):
    parameters = DemoParameters(seed=5, creatives=24, months=1)
    demo_history_load(plan=plan_history(parameters))
    expected = _rows()
    demo_phashes = dict(CreativeImage.objects.values_list("source_url", "phash"))

    built = fast_history_build(seed=5, creatives=24, months=1)

    assert built.metric_rows == len(expected) > 100
    assert _rows() == expected
    # Same images by source, none with a file, every hash well formed.
    fast = dict(CreativeImage.objects.values_list("source_url", "phash"))
    assert fast.keys() == demo_phashes.keys()
    assert all(len(phash) == 16 and int(phash, 16) >= 0 for phash in fast.values())


ROLLUP_COLUMNS = (
    "image__source_url",
    "node__slug",
    "objective",
    "platform",
    "week",
    "active_days",
    "impressions",
    "clicks",
    "spend_reporting_micros",
    "conversions",
    "leads",
)


def test_the_library_bench_fast_catalog_has_the_demo_rollup_and_describes_file_less_images(
    db, media_storage, client, lead
):
    """bench/library.py --history fast: the demo's weekly rollup, each image described as its
    drawn file would be (the sample covers every image at this size), and the library page
    showing file-less images."""
    from bench.library import fileless_describe, history_fast_build
    from campaigns.models import ImageWeeklyRollup
    from generation.descriptions import images_describe

    client.force_login(lead)

    def library_sources() -> tuple[int, list[str]]:
        response = client.get("/library/", {"sort": "impressions"})
        assert response.status_code == 200
        result = response.context["result"]
        html = response.content.decode()
        assert all(f"/library/{card.image_id}/" in html for card in result.cards)
        ids = [card.image_id for card in result.cards]
        sources = dict(CreativeImage.objects.filter(pk__in=ids).values_list("pk", "source_url"))
        return result.count, [sources[pk] for pk in ids]

    demo_history_load(plan=plan_history(DemoParameters(seed=5, creatives=24, months=1)))
    images_describe()
    expected_rollup = sorted(ImageWeeklyRollup.objects.values_list(*ROLLUP_COLUMNS))
    expected_texts = dict(CreativeImage.objects.values_list("source_url", "descriptions__text"))
    expected_page = library_sources()

    history_fast_build(seed=5, creatives=24, months=1)
    fileless_describe(seed=5, creatives=24, months=1)

    assert len(expected_rollup) > 20
    assert sorted(ImageWeeklyRollup.objects.values_list(*ROLLUP_COLUMNS)) == expected_rollup
    texts = dict(CreativeImage.objects.values_list("source_url", "descriptions__text"))
    assert texts == expected_texts
    assert None not in texts.values()
    assert expected_page[0] > 20
    # The same cards in the same order, none of them with a file behind it.
    assert library_sources() == expected_page
    files = list(CreativeImage.objects.values_list("file", flat=True))
    assert not any(default_storage.exists(name) for name in files)
