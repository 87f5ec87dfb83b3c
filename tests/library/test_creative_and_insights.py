"""The creative page and the insights page: exact figures on small catalogs built here.

The daily series are checked against DailyMetric summed in the test by a different route (a
loop over every row, the currency rate found by walking back day by day); the attribute figures
against a catalog whose pooled CTRs and interval are worked out by hand below.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import math
import random
import re
from collections import defaultdict
from decimal import Decimal

import numpy as np
import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from PIL import Image

from campaigns.models import DailyMetric, ExchangeRate, Objective, RankingRule
from campaigns.ranking.selectors import brief_ranking
from campaigns.rollups import image_rollup_refresh
from creatives.models import CreativeImage, ImageDescription
from generation.briefs import services
from generation.models import Brief
from library.creative_page import creative_page, daily_series
from library.insights import (
    MIN_PIECES,
    attribute_rows,
    full_ranking,
    insights_page,
    monthly_trend,
    percent_change,
    piece_attributes,
    pooled_lift,
    tier_of,
    wilson_interval,
)
from tests.factories import (
    make_account,
    make_ad,
    make_campaign,
    make_creative,
    make_exchange_rate,
    make_metric,
    make_node,
)

TODAY = timezone.localdate()
FIRST_DAY = TODAY - dt.timedelta(days=40)


def _jpeg(colour: tuple[int, int, int], size=(96, 64)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format="JPEG")
    return buffer.getvalue()


def _image(n: int, size=(96, 64)) -> CreativeImage:
    from creatives.services import creative_image_store

    image, _ = creative_image_store(
        data=_jpeg(((n * 53) % 256, (120 + n * 7) % 256, (n * 11) % 256), size), seen_on=FIRST_DAY
    )
    # Flat colours share a perceptual hash; distinct hashes keep every piece its own piece.
    CreativeImage.objects.filter(pk=image.pk).update(
        phash=f"{random.Random(1000 + n).getrandbits(64):016x}"
    )
    image.refresh_from_db()
    return image


@pytest.fixture
def en(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def _login(client, user):
    client.force_login(user)
    return client


def _chart_data(response, element_id: str) -> dict:
    match = re.search(
        rf'<script id="{element_id}" type="application/json">(.*?)</script>',
        response.content.decode(),
        re.S,
    )
    assert match, f"no {element_id} blob in the page"
    return json.loads(match.group(1))


# --- the creative page's daily series ----------------------------------------------------------


@pytest.fixture
def piece(db, media_storage):
    """Image X on three creatives (alone; in a carousel with Y; twice in one carousel), on a COP
    account and a USD account, plus an unrelated image Z on the same campaign.

    Day 0 is written by hand (figures below); days 1–19 are seeded random, with gaps. USD has
    no rate on days 0–1 (its spend there is left out) and none on day 10 (day 9's carries).
    """
    node = make_node(name="Wompi", slug="wompi")
    cop = make_account(platform="meta", default_node=node)
    usd = make_account(platform="google_ads", currency="USD")
    meta_campaign = make_campaign(
        account=cop, node=node, objective=Objective.TRAFFIC, start_date=FIRST_DAY, end_date=TODAY
    )
    google_campaign = make_campaign(
        account=usd, node=node, objective=Objective.TRAFFIC, start_date=FIRST_DAY, end_date=TODAY
    )
    x, y, z = _image(1), _image(2), _image(3)
    alone = make_ad(campaign=meta_campaign, creative=make_creative(images=[x]))
    carousel = make_ad(
        campaign=google_campaign, creative=make_creative(platform="google_ads", images=[x, y])
    )
    unrelated = make_ad(campaign=meta_campaign, creative=make_creative(images=[z]))
    twice = make_ad(campaign=meta_campaign, creative=make_creative(images=[x, x]))
    make_metric(ad=alone, date=FIRST_DAY, impressions=1000, clicks=25, spend_micros=12_500_000)
    make_metric(ad=carousel, date=FIRST_DAY, impressions=500, clicks=10, spend_micros=2_000_000)
    make_metric(ad=twice, date=FIRST_DAY, impressions=300, clicks=3, spend_micros=1_000_000)
    make_metric(ad=unrelated, date=FIRST_DAY, impressions=9999, clicks=99, spend_micros=9_000_000)
    rng = random.Random(7)
    for offset in range(1, 20):
        day = FIRST_DAY + dt.timedelta(days=offset)
        if offset == 12:
            continue  # no ad ran: the series still has the day, with zeros
        for ad in (alone, carousel, unrelated, twice):
            if rng.random() < 0.2:
                continue
            impressions = rng.randint(0, 5000)
            make_metric(
                ad=ad,
                date=day,
                impressions=impressions,
                clicks=rng.randint(0, impressions // 20),
                spend_micros=rng.randint(0, 90_000_000),
            )
    for offset in range(2, 20):
        if offset != 10:
            make_exchange_rate(
                currency="USD",
                date=FIRST_DAY + dt.timedelta(days=offset),
                rate=f"{3900 + offset}.25",
            )
    return x


def _expected_by_day(image: CreativeImage) -> dict[dt.date, tuple[int, int, float]]:
    """Every DailyMetric row, one by one: counted when its ad's creative shows the image."""
    rates = {
        (r.currency, r.date): r.rate
        for r in ExchangeRate.objects.filter(reporting_currency=settings.YENNI_REPORTING_CURRENCY)
    }
    sums: dict[dt.date, list] = defaultdict(lambda: [0, 0, Decimal(0)])
    rows = DailyMetric.objects.select_related("ad__creative", "ad__campaign__account")
    for row in rows:
        creative = row.ad.creative
        if creative is None:
            continue
        if image.pk not in {slot.image_id for slot in creative.image_slots.all()}:
            continue
        sums[row.date][0] += row.impressions
        sums[row.date][1] += row.clicks
        currency = row.ad.campaign.account.currency
        if currency == settings.YENNI_REPORTING_CURRENCY:
            sums[row.date][2] += Decimal(row.spend_micros)
            continue
        day = row.date
        while (currency, day) not in rates and day > FIRST_DAY - dt.timedelta(days=400):
            day -= dt.timedelta(days=1)
        if (currency, day) in rates:
            sums[row.date][2] += Decimal(row.spend_micros) * rates[(currency, day)]
    return {
        day: (shown, clicked, round(float(micros / 1_000_000), 2))
        for day, (shown, clicked, micros) in sums.items()
    }


def test_the_creative_pages_daily_series_are_the_daily_metrics_summed_per_day(en, analyst, piece):
    response = _login(en, analyst).get(reverse("creative_detail", args=[piece.pk]))

    assert response.status_code == 200
    data = _chart_data(response, "creative-chart-data")
    expected = _expected_by_day(piece)
    days = [FIRST_DAY + dt.timedelta(days=i) for i in range(20)]
    assert data["labels"] == [day.isoformat() for day in days]
    assert data["impressions"] == [expected.get(day, (0, 0, 0.0))[0] for day in days]
    assert data["clicks"] == [expected.get(day, (0, 0, 0.0))[1] for day in days]
    assert data["spend"] == [expected.get(day, (0, 0, 0.0))[2] for day in days]
    assert data["currency"] == "COP"
    # Day 0 by hand: X alone, X in the USD carousel (no rate yet: spend left out), X twice in
    # one carousel counted once; Z's ad not at all.
    assert (data["impressions"][0], data["clicks"][0], data["spend"][0]) == (1800, 38, 13.5)
    assert (data["impressions"][12], data["clicks"][12], data["spend"][12]) == (0, 0, 0.0)
    assert data["ctr"][12] is None and data["ctr_low"][12] is None


def test_each_days_ctr_carries_its_wilson_interval_in_percent(en, analyst, piece):
    data = _chart_data(
        _login(en, analyst).get(reverse("creative_detail", args=[piece.pk])),
        "creative-chart-data",
    )
    expected = _expected_by_day(piece)
    for i, label in enumerate(data["labels"]):
        shown, clicked, _spend = expected.get(dt.date.fromisoformat(label), (0, 0, 0.0))
        if not shown:
            assert (data["ctr"][i], data["ctr_low"][i], data["ctr_high"][i]) == (None, None, None)
            continue
        low, high = wilson_interval(clicked, shown)
        assert data["ctr"][i] == round(clicked / shown * 100, 4)
        assert (data["ctr_low"][i], data["ctr_high"][i]) == (
            round(low * 100, 4),
            round(high * 100, 4),
        )


def test_the_wilson_interval_of_25_clicks_in_1000_impressions():
    low, high = wilson_interval(25, 1000)

    # Roots of (p − 0.025)² = 1.96² p(1 − p) / 1000, solved by hand.
    assert low == pytest.approx(0.016990131293434, abs=1e-12)
    assert high == pytest.approx(0.036645289267843, abs=1e-12)


def test_the_wilson_interval_stays_inside_zero_and_one_at_the_edges():
    assert wilson_interval(0, 50) == (0.0, pytest.approx(0.0713475991333587, abs=1e-12))
    assert wilson_interval(10, 10)[1] == 1.0
    assert wilson_interval(3, 0) is None


def test_spend_on_days_without_any_exchange_rate_is_left_out_and_said(en, analyst, piece):
    series = daily_series(list(piece.creatives.values_list("pk", flat=True)))
    usd_without_rate = sum(
        m.spend_micros
        for m in DailyMetric.objects.filter(
            ad__campaign__account__currency="USD", date__lt=FIRST_DAY + dt.timedelta(days=2)
        )
    )

    assert series.spend_left_out == round(usd_without_rate / 1_000_000, 2)
    assert series.left_out_currencies == ("USD",)
    response = _login(en, analyst).get(reverse("creative_detail", args=[piece.pk]))
    assert "in USD is left out: there is no exchange rate for those days yet." in (
        response.content.decode()
    )


def test_the_creative_page_shows_the_copy_every_ad_and_the_descriptions_in_the_language(
    client, en, analyst, piece
):
    ImageDescription.objects.create(
        image=piece,
        backend="heuristic",
        model_id="heuristic-v1",
        text="Landscape image, bright and warm.",
        text_es="Imagen horizontal, luminosa y cálida.",
        attributes={"temperature": "warm"},
    )
    ImageDescription.objects.create(
        image=piece,
        backend="interrogator",
        model_id="blip",
        text="a woman holding a phone",
        attributes={},
    )

    english = _login(en, analyst).get(reverse("creative_detail", args=[piece.pk]))
    html = english.content.decode()
    assert html.count('data-testid="run"') == 3
    assert html.count('data-testid="copy"') == 3
    assert html.count('data-testid="description"') == 2
    assert "Landscape image, bright and warm." in html
    assert "a woman holding a phone" in html
    assert "Buy now, pay in 12 months." in html
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "es"
    spanish = client.get(reverse("creative_detail", args=[piece.pk])).content.decode()
    assert "Imagen horizontal, luminosa y cálida." in spanish
    assert "Landscape image, bright and warm." not in spanish
    # No Spanish text from the interrogator: its English text is shown, marked as English.
    assert '<p lang="en">a woman holding a phone</p>' in spanish


def test_the_creative_page_lists_only_the_briefs_the_user_may_see(en, analyst, lead, piece):
    own = Brief.objects.create(
        owner=analyst,
        node=piece.creatives.first().ads.first().campaign.node,
        objective=Objective.TRAFFIC,
        title="Mine",
        description="d",
    )
    others = Brief.objects.create(
        owner=lead, node=own.node, objective=Objective.TRAFFIC, title="The lead's", description="d"
    )
    services.brief_reference_mark(own, image_id=piece.pk, pinned=True)
    services.brief_reference_mark(others, image_id=piece.pk, pinned=True)

    html = _login(en, analyst).get(reverse("creative_detail", args=[piece.pk])).content.decode()

    assert html.count('data-testid="brief-use"') == 1
    assert reverse("brief_detail", args=[own.pk]) in html
    assert reverse("brief_detail", args=[others.pk]) not in html
    lead_html = _login(en, lead).get(reverse("creative_detail", args=[piece.pk])).content.decode()
    assert lead_html.count('data-testid="brief-use"') == 2


def test_an_unknown_image_is_a_not_found(en, analyst, db):
    assert _login(en, analyst).get(reverse("creative_detail", args=[999_999])).status_code == 404


# --- ranks on the creative page ---------------------------------------------------------------


@pytest.fixture
def ranked(db, media_storage):
    """Wompi traffic: 8 pieces of 4,000 impressions a day for 5 days, piece n with 20 + 5n
    clicks a day; piece 9 seen only 500 times (below the 1,000 minimum); piece 10 only 400
    days ago (outside the 365-day window); piece 11 on a campaign with no node."""
    node = make_node(name="Wompi", slug="wompi")
    account = make_account(platform="meta")
    campaign = make_campaign(account=account, node=node, objective=Objective.TRAFFIC)
    unmapped = make_campaign(account=account, node=None, objective=Objective.TRAFFIC)
    images = {}
    for n in range(1, 12):
        images[n] = image = _image(n)
        ad = make_ad(
            campaign=unmapped if n == 11 else campaign, creative=make_creative(images=[image])
        )
        start = TODAY - dt.timedelta(days=400 if n == 10 else 10)
        for offset in range(5):
            make_metric(
                ad=ad,
                date=start + dt.timedelta(days=offset),
                impressions=100 if n == 9 else 4_000,
                clicks=20 + 5 * n,
            )
    image_rollup_refresh()
    return node, images


def test_the_creative_page_ranks_the_piece_as_the_brief_ranking_does(en, analyst, ranked):
    node, images = ranked
    reference = brief_ranking(node=node, objective=Objective.TRAFFIC, top_n=50)
    positions = {ref.image_id: ref.position for ref in reference.references}
    assert reference.passed == 8

    for n in (1, 4, 8):
        html = _login(en, analyst).get(reverse("creative_detail", args=[images[n].pk])).content
        html = html.decode()
        assert f'data-status="ranked" data-position="{positions[images[n].pk]}"' in html
        assert f"{positions[images[n].pk]} of 8" in html
    # More clicks on the same impressions rank higher: piece 8 first, piece 1 last.
    assert positions[images[8].pk] == 1 and positions[images[1].pk] == 8


def test_the_creative_page_says_why_a_piece_has_no_rank(en, analyst, ranked):
    _node, images = ranked
    client = _login(en, analyst)

    gated = client.get(reverse("creative_detail", args=[images[9].pk])).content.decode()
    outside = client.get(reverse("creative_detail", args=[images[10].pk])).content.decode()
    unmapped = client.get(reverse("creative_detail", args=[images[11].pk])).content.decode()

    assert 'data-status="gated"' in gated
    assert "Not ranked: below the rule's minimums (1,000 impressions) in its window." in gated
    assert 'data-status="outside"' in outside
    assert "Not ranked: no results between" in outside and "the rule's window" in outside
    assert 'data-testid="rank-row"' not in unmapped
    assert "no rule ranks it" in unmapped


def test_the_creative_page_says_when_no_rule_covers_the_node_and_objective(en, analyst, ranked):
    _node, images = ranked
    RankingRule.objects.filter(objective=Objective.TRAFFIC).update(active=False)

    html = _login(en, analyst).get(reverse("creative_detail", args=[images[2].pk])).content
    html = html.decode()

    assert 'data-status="no_rule"' in html
    assert "No active ranking rule for this node and objective." in html


def test_tiers_are_the_best_and_worst_fifths_as_in_the_library():
    assert [tier_of(p, 10) for p in range(1, 11)] == (["top"] * 2 + ["middle"] * 6 + ["bottom"] * 2)
    # 12 × 20 % = 2.4: two pieces each way; 8 × 20 % = 1.6: two as well.
    assert [tier_of(p, 12) for p in range(1, 13)] == ["top"] * 2 + ["middle"] * 8 + ["bottom"] * 2
    assert [tier_of(p, 8) for p in range(1, 9)] == ["top"] * 2 + ["middle"] * 4 + ["bottom"] * 2
    assert [tier_of(p, 2) for p in (1, 2)] == ["top", "bottom"]
    assert tier_of(1, 1) == "top"


def test_the_creative_page_costs_the_same_queries_with_few_or_many_ads_and_days(
    en, analyst, ranked
):
    _node, images = ranked
    client = _login(en, analyst)
    url = reverse("creative_detail", args=[images[3].pk])
    client.get(url)
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    campaign = images[3].creatives.first().ads.first().campaign
    for _ in range(6):
        ad = make_ad(campaign=campaign, creative=make_creative(images=[images[3]]))
        for offset in range(20):
            make_metric(ad=ad, date=TODAY - dt.timedelta(days=30 - offset))
    for backend in ("heuristic", "interrogator", "other"):
        ImageDescription.objects.create(image=images[3], backend=backend, text="t")
    image_rollup_refresh()
    with CaptureQueriesContext(connection) as large:
        assert client.get(url).status_code == 200

    assert len(large) == len(small)
    # Session, user, groups, image, near-copies, creatives, ads, their spans, the daily sums,
    # briefs, boards, descriptions, and the rule, window build and totals for the one pair.
    assert len(small) <= 16, [q["sql"] for q in small.captured_queries]


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
        image = _image(100 + n)
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
    rows, undescribed = attribute_rows(
        ranking, piece_attributes(p.image_id for p in ranking.pieces), "en"
    )
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
    rows, _undescribed = attribute_rows(
        ranking, piece_attributes(p.image_id for p in ranking.pieces), "en"
    )
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


def test_percent_changes_keep_their_sign_even_when_they_round_to_zero():
    assert [percent_change(v) for v in (0.18, -0.123, -0.004, 0.0, 0.004)] == [
        "+18 %",
        "−12 %",
        "−0 %",
        "+0 %",
        "+0 %",
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

    points = monthly_trend(ranking, "en")

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


def test_the_insights_page_renders_charts_tables_and_the_causation_warning(
    en, analyst, described, monkeypatch
):
    # The page ranks as of today; the fixture's window ends on AS_OF.
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: AS_OF)
    response = _login(en, analyst).get(
        reverse("insights"), {"node": "bancolombia", "objective": "traffic"}
    )

    assert response.status_code == 200
    html = response.content.decode()
    data = _chart_data(response, "insights-chart-data")
    assert data["monthly"] == {"labels": ["2025-06"], "values": [2.5], "label": "CTR"}
    assert sum(data["histogram"]["counts"]) == 24
    for testid in ("chart-histogram", "chart-monthly", "histogram-table", "monthly-table"):
        assert f'data-testid="{testid}"' in html
    assert "Association, not causation." in html
    assert "+20 % CTR vs the node&#x27;s average (n = 12, 95 % interval +10 % … +31 %)" in html
    assert html.count('data-testid="piece"') == 12
    assert 'data-testid="attribute-thin" data-attribute="people" data-value="with"' in html


def test_the_insights_page_without_a_rule_says_so(en, analyst, described):
    RankingRule.objects.filter(objective=Objective.TRAFFIC).update(active=False)

    response = _login(en, analyst).get(reverse("insights"), {"node": "bancolombia"})

    assert response.status_code == 200
    assert 'data-testid="no-rule"' in response.content.decode()


def test_the_insights_page_costs_the_same_queries_with_twelve_or_twenty_four_pieces(
    en, analyst, described, monkeypatch
):
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: AS_OF)
    client = _login(en, analyst)
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


# --- permissions ------------------------------------------------------------------------------


@pytest.mark.parametrize("name,args", [("creative_detail", [1]), ("insights", [])])
def test_anonymous_users_are_sent_to_the_login_page(client, db, name, args):
    response = client.get(reverse(name, args=args))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("name", ["creative_detail", "insights"])
def test_a_user_outside_the_marketing_groups_is_refused(en, outsider, piece, name):
    args = [piece.pk] if name == "creative_detail" else []

    response = _login(en, outsider).get(reverse(name, args=args))

    assert response.status_code == 403
    assert 'data-testid="no-access"' in response.content.decode()


def test_a_lead_may_open_both_pages(en, lead, piece):
    client = _login(en, lead)

    assert client.get(reverse("creative_detail", args=[piece.pk])).status_code == 200
    assert client.get(reverse("insights")).status_code == 200


def test_creative_page_reads_with_the_selector_too(analyst, piece):
    page = creative_page(piece, user=analyst)

    assert [c.pk for c in page.creatives] == sorted(
        {c.pk for c in piece.creatives.all()}, reverse=True
    )
    assert len(page.runs) == 3
    assert page.totals["impressions"] == sum(page.series.impressions)
