"""The creative page: exact figures on small catalogs built here.

The daily series are checked against DailyMetric summed in the test by a different route (a
loop over every row, the currency rate found by walking back day by day); ranks against the
brief ranking of the same pieces. Who may open the creative and insights pages is here too.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from campaigns.models import DailyMetric, ExchangeRate, Objective, RankingRule
from campaigns.ranking.full import tier_of
from campaigns.ranking.selectors import brief_ranking
from campaigns.rollups import image_rollup_refresh
from creatives.models import CreativeImage, ImageDescription
from generation.briefs import services
from generation.models import Brief
from library.creative_page import creative_page, daily_series
from library.intervals import wilson_interval
from tests.factories import (
    make_account,
    make_ad,
    make_campaign,
    make_creative,
    make_metric,
    make_node,
)
from tests.library.small_catalog import FIRST_DAY, TODAY, chart_data, image_of, login

# --- the creative page's daily series ----------------------------------------------------------


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
    response = login(en, analyst).get(reverse("creative_detail", args=[piece.pk]))

    assert response.status_code == 200
    data = chart_data(response, "creative-chart-data")
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
    data = chart_data(
        login(en, analyst).get(reverse("creative_detail", args=[piece.pk])),
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
    response = login(en, analyst).get(reverse("creative_detail", args=[piece.pk]))
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

    english = login(en, analyst).get(reverse("creative_detail", args=[piece.pk]))
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


def test_a_spanish_page_groups_thousands_the_colombian_way(client, analyst, piece):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "es"

    html = login(client, analyst).get(reverse("creative_detail", args=[piece.pk])).content.decode()

    # The first day: 1,000 + 500 + 300 impressions of the image's three ads.
    # Day first, as Colombia writes dates (yenni_site/formats/es).
    first_day = f'<th scope="row">{FIRST_DAY:%d/%m/%Y}</th><td class="num">1.800</td>'
    assert first_day in html
    assert "1\xa0800" not in html
    assert "1 800" not in html


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

    html = login(en, analyst).get(reverse("creative_detail", args=[piece.pk])).content.decode()

    assert html.count('data-testid="brief-use"') == 1
    assert reverse("brief_detail", args=[own.pk]) in html
    assert reverse("brief_detail", args=[others.pk]) not in html
    lead_html = login(en, lead).get(reverse("creative_detail", args=[piece.pk])).content.decode()
    assert lead_html.count('data-testid="brief-use"') == 2


def test_an_unknown_image_is_a_not_found(en, analyst, db):
    assert login(en, analyst).get(reverse("creative_detail", args=[999_999])).status_code == 404


# --- ranks on the creative page ---------------------------------------------------------------


@pytest.fixture
def ranked(db, media_storage):
    """Wompi traffic: 8 pieces of 4,000 impressions a day for 5 days, piece n with 20 + 5n
    clicks a day; piece 9 seen only 500 times (under the seeded rule's 5 % of the median piece's
    20,000 impressions, 1,000); piece 10 only 400 days ago (outside the 365-day window); piece 11
    on a campaign with no node."""
    node = make_node(name="Wompi", slug="wompi")
    account = make_account(platform="meta")
    campaign = make_campaign(account=account, node=node, objective=Objective.TRAFFIC)
    unmapped = make_campaign(account=account, node=None, objective=Objective.TRAFFIC)
    images = {}
    for n in range(1, 12):
        images[n] = image = image_of(n)
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
        html = login(en, analyst).get(reverse("creative_detail", args=[images[n].pk])).content
        html = html.decode()
        assert f'data-status="ranked" data-position="{positions[images[n].pk]}"' in html
        assert f"{positions[images[n].pk]} of 8" in html
    # More clicks on the same impressions rank higher: piece 8 first, piece 1 last.
    assert positions[images[8].pk] == 1 and positions[images[1].pk] == 8


def test_the_creative_page_says_why_a_piece_has_no_rank(en, analyst, ranked):
    _node, images = ranked
    client = login(en, analyst)

    gated = client.get(reverse("creative_detail", args=[images[9].pk])).content.decode()
    outside = client.get(reverse("creative_detail", args=[images[10].pk])).content.decode()
    unmapped = client.get(reverse("creative_detail", args=[images[11].pk])).content.decode()

    assert 'data-status="gated"' in gated
    assert (
        "Not ranked: below the rule's minimums (5 % of the median impressions) in its window."
        in gated
    )
    assert 'data-status="outside"' in outside
    assert "Not ranked: no results between" in outside and "the rule's window" in outside
    assert 'data-testid="rank-row"' not in unmapped
    assert "no rule ranks it" in unmapped


def test_the_creative_page_says_when_no_rule_covers_the_node_and_objective(en, analyst, ranked):
    _node, images = ranked
    RankingRule.objects.filter(objective=Objective.TRAFFIC).update(active=False)

    html = login(en, analyst).get(reverse("creative_detail", args=[images[2].pk])).content
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
    client = login(en, analyst)
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


# --- permissions ------------------------------------------------------------------------------


@pytest.mark.parametrize("name,args", [("creative_detail", [1]), ("insights", [])])
def test_anonymous_users_are_sent_to_the_login_page(client, db, name, args):
    response = client.get(reverse(name, args=args))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("name", ["creative_detail", "insights"])
def test_a_user_outside_the_marketing_groups_is_refused(en, outsider, piece, name):
    args = [piece.pk] if name == "creative_detail" else []

    response = login(en, outsider).get(reverse(name, args=args))

    assert response.status_code == 403
    assert 'data-testid="no-access"' in response.content.decode()


def test_a_lead_may_open_both_pages(en, lead, piece):
    client = login(en, lead)

    assert client.get(reverse("creative_detail", args=[piece.pk])).status_code == 200
    assert client.get(reverse("insights")).status_code == 200


def test_creative_page_reads_with_the_selector_too(analyst, piece):
    page = creative_page(piece, user=analyst)

    assert [c.pk for c in page.creatives] == sorted(
        {c.pk for c in piece.creatives.all()}, reverse=True
    )
    assert len(page.runs) == 3
    assert page.totals["impressions"] == sum(page.series.impressions)
