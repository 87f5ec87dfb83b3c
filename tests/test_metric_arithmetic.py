"""The plain arithmetic of figures (campaigns.ranking.metrics): columns, money, ratios of sums."""

from __future__ import annotations

import math

import numpy as np
import pytest

from campaigns.models import ImageWeeklyRollup, PieceSeries, PieceWeek
from campaigns.ranking.metrics import (
    FIGURE_COLUMNS,
    METRICS,
    MONEY_FIGURES,
    in_currency,
    metric_column,
    metric_value,
    pooled,
    ratio_parts,
    ratio_terms,
)
from campaigns.ranking.pieces import FIELDS, PieceFigures

SUMS = {
    "impressions": 200_000.0,
    "clicks": 2_000.0,
    "link_clicks": 1_500.0,
    "spend": 1_000_000.0,
    "conversions": 40.0,
    "conversion_value": 3_000_000.0,
    "leads": 25.0,
    "video_views": 0.0,
    "engagements": 500.0,
}


def test_every_piece_figure_has_a_column_in_every_table():
    assert set(FIGURE_COLUMNS) == set(FIELDS)
    for model in (ImageWeeklyRollup, PieceSeries, PieceWeek):
        columns = {field.name for field in model._meta.get_fields()}
        assert set(FIGURE_COLUMNS.values()) <= columns


def test_money_is_stored_in_micros_and_counts_are_not():
    assert {"spend", "conversion_value"} == MONEY_FIGURES
    assert in_currency("spend", 12_500_000) == 12.5
    assert in_currency("clicks", 25) == 25
    assert np.array_equal(in_currency("conversion_value", np.array([2e6])), np.array([2.0]))


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("ctr", 2_000 / 200_000),
        ("link_ctr", 1_500 / 200_000),
        ("conversion_rate", 40 / 2_000),
        ("cpc", 1_000_000 / 2_000),
        ("cpm", 1000 * 1_000_000 / 200_000),
        ("cost_per_lead", 1_000_000 / 25),
        ("cost_per_conversion", 1_000_000 / 40),
        ("roas", 3_000_000 / 1_000_000),
        ("impressions", 200_000),
        ("spend", 1_000_000),
    ],
)
def test_a_metric_is_a_ratio_of_sums_and_a_figure_is_itself(key, expected):
    assert metric_value(key, SUMS) == pytest.approx(expected, rel=1e-15)
    columns = {name: np.array([value, value]) for name, value in SUMS.items()}
    assert metric_column(key, columns) == pytest.approx([expected, expected], rel=1e-15)


def test_a_metric_with_nothing_below_the_line_is_undefined():
    assert metric_value("video_view_rate", {**SUMS, "impressions": 0}) is None
    assert metric_value("cost_per_lead", {**SUMS, "leads": 0}) is None
    column = metric_column("cpc", {"spend": np.array([10.0, 10.0]), "clicks": np.array([0, 5])})
    assert math.isnan(column[0]) and column[1] == 2.0


def test_costs_put_spend_on_top_and_their_events_below():
    assert ratio_terms("cpm") == ("spend", "impressions", 1000)
    assert ratio_terms("ctr") == ("clicks", "impressions", 1.0)
    assert ratio_terms("roas") == ("conversion_value", "spend", 1.0)
    for key, spec in METRICS.items():
        top, bottom, _scale = ratio_terms(key)
        assert {top, bottom} <= set(FIELDS), key
        assert spec.numerator in {top, bottom}


def test_pooling_weighs_pieces_by_their_volume():
    big = PieceFigures(image_id=1, phash="0", impressions=90_000, clicks=900)
    small = PieceFigures(image_id=2, phash="1", impressions=10_000, clicks=500)

    parts = [ratio_parts("ctr", big), ratio_parts("ctr", small)]

    assert parts == [(900, 90_000), (500, 10_000)]
    assert pooled(parts) == pytest.approx(1_400 / 100_000)
    assert pooled([]) is None
    assert ratio_parts("cpm", PieceFigures(image_id=3, phash="2", spend=5, impressions=2)) == (
        5000,
        2,
    )
