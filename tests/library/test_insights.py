"""The insights page: exact figures on a small catalog built here.

The attribute figures are checked against a catalog whose pooled CTRs and interval are worked
out by hand below.
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from campaigns import figures
from campaigns.models import DailyMetric, Objective, RankingRule
from campaigns.ranking.full import full_ranking
from campaigns.rollups import image_rollup_refresh
from creatives.models import ImageDescription
from library.attributes import attribute_rows, piece_attributes
from library.insights import insights_page, monthly_trend
from library.intervals import MIN_PIECES, pooled_lift
from tests.factories import (
    make_account,
    make_ad,
    make_campaign,
    make_creative,
    make_metric,
    make_node,
)
from tests.library.small_catalog import chart_data, image_of, login

# --- insights: the attribute figures on a catalog with known values --------------------------


AS_OF = dt.date(2025, 6, 30)


def _attributes(warm: bool, people: bool) -> dict:
    return {
        "palette": ["blue" if warm else "grey", "white"],
        "temperature": "warm" if warm else "cool",
        "people": {"count": 2 if people else 0, "age_range": None},
        "text_overlay": "little",
        "orientation": "landscape",
        "style": "photograph",
        "lighting": "bright",
    }


@pytest.fixture
def described(db, media_storage):
    """Bancolombia traffic, 24 pieces of 10,000 impressions each in June 2025.

    12 warm pieces with 280 or 320 clicks (alternating), 12 cool ones with 180 or 220: warm
    CTR 3.0 %, cool 2.0 %, node 2.5 %. 4 pieces (2 warm, 2 cool) show people.
    """
    node = make_node(name="Bancolombia", slug="bancolombia")
    account = make_account(platform="meta")
    campaign = make_campaign(
        account=account,
        node=node,
        objective=Objective.TRAFFIC,
        start_date=dt.date(2025, 6, 1),
        end_date=AS_OF,
    )
    for n in range(24):
        warm = n < 12
        clicks = (280 if n % 2 else 320) if warm else (180 if n % 2 else 220)
        image = image_of(100 + n)
        ImageDescription.objects.create(
            image=image,
            backend="heuristic",
            model_id="heuristic-v1",
            text="t",
            attributes=_attributes(warm, people=n in (0, 1, 12, 13)),
        )
        ad = make_ad(campaign=campaign, creative=make_creative(images=[image]))
        # Two days, in two different weeks of June: 4,000 then 6,000 impressions.
        make_metric(ad=ad, date=dt.date(2025, 6, 10), impressions=4_000, clicks=clicks // 2)
        make_metric(
            ad=ad, date=dt.date(2025, 6, 17), impressions=6_000, clicks=clicks - clicks // 2
        )
    image_rollup_refresh(as_of=AS_OF)
    return node


def test_a_warm_palette_shows_plus_twenty_percent_ctr_with_its_delta_method_interval(described):
    ranking = full_ranking(node=described, objective=Objective.TRAFFIC, as_of=AS_OF)
    attributes = piece_attributes(p.image_id for p in ranking.pieces)
    with translation.override("en"):
        rows, undescribed = attribute_rows(ranking, attributes)
    by_key = {(row.attribute, row.value): row for row in rows}

    assert ranking.passed == 24 and undescribed == 0
    warm = by_key[("temperature", "warm")]
    cool = by_key[("temperature", "cool")]
    assert warm.lift.n == 12 and cool.lift.n == 12
    assert warm.lift.group_metric == pytest.approx(0.03, abs=1e-15)
    assert warm.lift.value == pytest.approx(0.2, abs=1e-12)
    assert cool.lift.value == pytest.approx(-0.2, abs=1e-12)
    # By hand: each piece's influence on log(CTR_warm / CTR_node) is
    #   in(a/3600 − b/120000) − (a/6000 − b/240000),  a its clicks, b = 10,000;
    # warm pieces: ±20/3600 − (a/6000 − 1/24); cool pieces: −(a/6000 − 1/24).
    influence = [
        (a / 3600 - 10_000 / 120_000) - (a / 6000 - 10_000 / 240_000) for a in [320, 280] * 6
    ] + [-(a / 6000 - 10_000 / 240_000) for a in [220, 180] * 6]
    se = math.sqrt(24 / 23 * sum(z * z for z in influence))
    assert warm.lift.low == pytest.approx(1.2 * math.exp(-1.959963984540054 * se) - 1, abs=1e-12)
    assert warm.lift.high == pytest.approx(1.2 * math.exp(1.959963984540054 * se) - 1, abs=1e-12)
    assert (round(warm.lift.low, 4), round(warm.lift.high, 4)) == (0.1008, 0.3082)
    assert warm.text == "+20 % CTR vs the node's average (n = 12, 95 % interval +10 % … +31 %)"
    assert warm.verdict == "better" and cool.verdict == "worse"
    # palette[0] is blue exactly when warm here: the same figures under another name.
    assert by_key[("palette", "blue")].lift == warm.lift


def test_the_delta_method_interval_agrees_with_a_bootstrap_over_pieces(described):
    ranking = full_ranking(node=described, objective=Objective.TRAFFIC, as_of=AS_OF)
    tops = np.array([p.figures.clicks for p in ranking.pieces], dtype=float)
    bottoms = np.array([p.figures.impressions for p in ranking.pieces], dtype=float)
    attributes = piece_attributes(p.image_id for p in ranking.pieces)
    warm = np.array([attributes[p.image_id]["temperature"] == "warm" for p in ranking.pieces])
    lift = pooled_lift(tops, bottoms, warm)

    # Resample whole pieces with replacement, 20,000 times: the percentile interval.
    weights = np.random.default_rng(11).multinomial(24, [1 / 24] * 24, size=20_000)
    group = (weights * warm) @ tops / ((weights * warm) @ bottoms)
    node = weights @ tops / (weights @ bottoms)
    low, high = np.nanpercentile(group / node - 1, [2.5, 97.5])

    assert lift.low == pytest.approx(low, abs=0.015)
    assert lift.high == pytest.approx(high, abs=0.015)


def test_an_attribute_on_fewer_pieces_than_the_minimum_says_not_enough_data(described):
    ranking = full_ranking(node=described, objective=Objective.TRAFFIC, as_of=AS_OF)
    attributes = piece_attributes(p.image_id for p in ranking.pieces)
    with translation.override("en"):
        rows, _undescribed = attribute_rows(ranking, attributes)
    by_key = {(row.attribute, row.value): row for row in rows}

    with_people = by_key[("people", "with")]
    assert MIN_PIECES == 10
    assert with_people.lift.n == 4
    assert (with_people.lift.value, with_people.lift.low, with_people.lift.high) == (
        None,
        None,
        None,
    )
    assert with_people.text == "not enough data (n = 4; at least 10 pieces needed)"
    assert with_people.verdict == "thin"
    # The 20 pieces without people are the whole node but four: their CTR, 2.5 %, is the node's.
    without = by_key[("people", "without")]
    assert without.lift.n == 20 and without.lift.value == pytest.approx(0.0, abs=1e-12)
    assert without.verdict == "unclear"
    # Every piece shares these values: no difference, and an interval of exactly zero width.
    assert by_key[("style", "photograph")].lift.value == pytest.approx(0.0, abs=1e-12)
    assert [row.enough for row in rows].index(False) == len(rows) - 1


def test_percent_changes_that_round_to_zero_read_0_percent_with_no_sign():
    assert [figures.change(v) for v in (0.18, -0.123, -0.004, 0.0, 0.004)] == [
        "+18 %",
        "−12 %",
        "0 %",
        "0 %",
        "0 %",
    ]


def test_the_pooled_lift_needs_the_minimum_number_of_pieces_exactly():
    tops, bottoms = np.full(12, 30.0), np.full(12, 1000.0)
    mask = np.array([True] * 9 + [False] * 3)

    assert pooled_lift(tops, bottoms, mask).value is None
    mask[9] = True
    assert pooled_lift(tops, bottoms, mask).value == pytest.approx(0.0, abs=1e-12)


def test_the_monthly_trend_pools_the_weeks_by_the_month_of_their_monday(described):
    ranking = full_ranking(node=described, objective=Objective.TRAFFIC, as_of=AS_OF)
    make_metric(
        ad=DailyMetric.objects.first().ad, date=dt.date(2025, 7, 8), impressions=1000, clicks=40
    )
    image_rollup_refresh(as_of=AS_OF)

    with translation.override("en"):
        points = monthly_trend(ranking)

    assert [p.month for p in points] == [dt.date(2025, 6, 1), dt.date(2025, 7, 1)]
    assert points[0].value == pytest.approx(6000 / 240_000, abs=1e-15)
    assert points[0].volume == 240_000
    assert points[1].value == pytest.approx(0.04, abs=1e-15)
    assert [p.text for p in points] == ["2.5 %", "4.0 %"]


def test_the_insights_page_pools_the_node_average_and_shows_top_and_bottom_pieces(described):
    with translation.override("es"):
        page = insights_page(node_value="bancolombia", objective="traffic", as_of=AS_OF)

    assert page.node == described and page.objective == "traffic"
    assert page.ranking.passed == 24
    assert page.average == "2,5 %"
    assert [card.position for card in page.top] == [1, 2, 3, 4, 5, 6]
    assert [card.position for card in page.bottom] == [24, 23, 22, 21, 20, 19]
    assert {card.tier for card in page.top[:5]} == {"top"}
    assert {card.tier for card in page.bottom[:5]} == {"bottom"}
    assert sum(page.histogram.counts) == 24 and page.histogram.left_out == 0
    assert page.chart_data["monthly"]["values"] == [2.5]


def test_the_monthly_chart_is_labelled_as_the_pages_language_writes_months(described):
    with translation.override("es"):
        spanish = insights_page(node_value="bancolombia", objective="traffic", as_of=AS_OF)
    with translation.override("en"):
        english = insights_page(node_value="bancolombia", objective="traffic", as_of=AS_OF)

    assert spanish.chart_data["monthly"]["labels"] == ["jun 2025"]
    assert english.chart_data["monthly"]["labels"] == ["Jun 2025"]


def test_the_insights_page_renders_charts_tables_and_the_causation_warning(
    en, analyst, described, monkeypatch
):
    # The page ranks as of today; the fixture's window ends on AS_OF.
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: AS_OF)
    response = login(en, analyst).get(
        reverse("insights"), {"node": "bancolombia", "objective": "traffic"}
    )

    assert response.status_code == 200
    html = response.content.decode()
    data = chart_data(response, "insights-chart-data")
    assert data["monthly"] == {"labels": ["Jun 2025"], "values": [2.5], "label": "CTR"}
    assert sum(data["histogram"]["counts"]) == 24
    for testid in ("chart-histogram", "chart-monthly", "histogram-table", "monthly-table"):
        assert f'data-testid="{testid}"' in html
    assert "Association, not causation." in html
    assert "+20 % CTR vs the node&#x27;s average (n = 12, 95 % interval +10 % … +31 %)" in html
    assert html.count('data-testid="piece"') == 12
    assert 'data-testid="attribute-thin" data-attribute="people" data-value="with"' in html


def test_the_insights_page_without_a_rule_says_so(en, analyst, described):
    RankingRule.objects.filter(objective=Objective.TRAFFIC).update(active=False)

    response = login(en, analyst).get(reverse("insights"), {"node": "bancolombia"})

    assert response.status_code == 200
    assert 'data-testid="no-rule"' in response.content.decode()


def test_the_insights_page_costs_the_same_queries_with_twelve_or_twenty_four_pieces(
    en, analyst, described, monkeypatch
):
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: AS_OF)
    client = login(en, analyst)
    url = reverse("insights") + "?node=bancolombia&objective=traffic"
    client.get(url)
    with CaptureQueriesContext(connection) as large:
        assert client.get(url).status_code == 200
    ads = sorted(set(DailyMetric.objects.values_list("ad_id", flat=True)))
    DailyMetric.objects.filter(ad_id__in=ads[::2]).delete()
    image_rollup_refresh(as_of=AS_OF)
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200

    assert len(small) == len(large)
    assert len(large) <= 12, [q["sql"] for q in large.captured_queries]
