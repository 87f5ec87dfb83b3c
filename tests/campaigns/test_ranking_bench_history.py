"""The ranking bench's fast history (bench/ranking_history.py) writes the demo's own rows.

The bench builds the ≈10M-row history with binary COPY from numpy arrays instead of the demo
loader's tuples; its figures only mean something if every daily row, date and figure is the
one the demo loader writes for the same plan. PostgreSQL only: binary COPY is its format.
"""

from __future__ import annotations

import os

import pytest

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
