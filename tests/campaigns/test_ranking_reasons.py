"""Reasons a marketer can check (issue 15 item 4).

The figure shown is the observed one (spend ÷ conversions, clicks ÷ impressions), the shrunk
estimate and its interval are labelled as an estimate, the reason names the typical figure the
ranking compares with (the piece's platform's, or the node's), the rank numbers are the order
shown, and ranking again after an exclusion leaves every other piece as it was.
"""

from __future__ import annotations

import datetime as dt
import random

import pytest
from django.utils import translation

from campaigns import figures
from campaigns.models import Campaign, Objective, RankingRule
from campaigns.ranking.selectors import BriefRanking, RankedReference, brief_ranking
from campaigns.rollups import image_rollup_refresh
from creatives.models import CreativeImage
from generation.briefs.selectors import reference_card
from generation.briefs.services import brief_rank
from generation.models import Brief, BriefReference
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
AS_OF = dt.date(2026, 10, 31)


def _phash(n: int) -> str:
    return f"{random.Random(n).getrandbits(64):016x}"


def _piece(
    campaign: Campaign,
    n: int,
    *,
    spend: float = 100_000.0,
    conversions: float = 10.0,
    impressions: int = 10_000,
    clicks: int = 200,
    phash: str | None = None,
) -> CreativeImage:
    image = make_image()
    # The tiny test images are flat colours whose perceptual hashes collide; give each its own.
    CreativeImage.objects.filter(pk=image.pk).update(phash=phash or _phash(n))
    image.refresh_from_db()
    ad = make_ad(campaign=campaign, creative=make_creative(images=[image]))
    make_metric(
        ad=ad,
        date=DAY,
        impressions=impressions,
        clicks=clicks,
        spend_micros=round(spend * 1_000_000),
        conversions=conversions,
    )
    return image


def _campaign(node, platform: str, objective: str) -> Campaign:
    account = make_account(platform=platform, default_node=node)
    return make_campaign(
        account=account,
        node=node,
        objective=objective,
        start_date=dt.date(2026, 9, 1),
        end_date=dt.date(2026, 10, 31),
    )


def _rule(node, objective: str, metric: str, *, within_platform: bool = True) -> RankingRule:
    """A rule of the node's own with no minimums: every piece with exposure is ranked."""
    return RankingRule.objects.create(
        node=node,
        objective=objective,
        metric=metric,
        min_impressions=0,
        min_spend=0,
        min_clicks=0,
        min_conversions=0,
        window_days=365,
        top_n=4,
        within_platform=within_platform,
    )


def _by_image(ranking: BriefRanking) -> dict[int, RankedReference]:
    return {ref.image_id: ref for ref in ranking.references}


@pytest.fixture
def wompi(db, media_storage):
    return make_node(name="Wompi", slug="wompi")


@pytest.fixture
def two_platforms(wompi):
    """Five Google Ads and five Meta pieces for conversions, 200 conversions each.

    Google Ads' pooled cost is COP 52,000 (52 M / 1,000) and Meta's COP 25,000 (25 M / 1,000);
    each platform has one cheap piece: COP 34,704 on Google Ads, COP 22,075 on Meta.
    """
    google = _campaign(wompi, "google_ads", Objective.CONVERSION)
    meta = _campaign(wompi, "meta", Objective.CONVERSION)
    pieces = {
        "google_cheap": _piece(google, 1, spend=6_940_800, conversions=200),
        "meta_cheap": _piece(meta, 11, spend=4_415_000, conversions=200),
    }
    for n in range(2, 6):
        pieces[f"google_{n}"] = _piece(google, n, spend=11_264_800, conversions=200)
        pieces[f"meta_{n}"] = _piece(meta, 10 + n, spend=5_146_250, conversions=200)
    _rule(wompi, Objective.CONVERSION, "cost_per_conversion")
    image_rollup_refresh(as_of=AS_OF)
    return pieces


def test_a_within_platform_reason_names_the_platform_figure_it_compares_to(wompi, two_platforms):
    ranking = brief_ranking(node=wompi, objective=Objective.CONVERSION, as_of=AS_OF)

    refs = _by_image(ranking)
    google = refs[two_platforms["google_cheap"].pk]
    meta = refs[two_platforms["meta_cheap"].pk]
    assert google.typical == pytest.approx(52_000)
    assert google.compared_with == ["google_ads"]
    assert meta.typical == pytest.approx(25_000)
    assert meta.compared_with == ["meta"]
    assert "; COP 34.704 frente a COP 52.000 típico de Google Ads en Wompi: 33 % más barato;" in (
        google.reason_es
    )
    assert "; COP 34,704 vs Google Ads’ typical COP 52,000 in Wompi: 33 % cheaper;" in (
        google.reason_en
    )
    assert "; COP 22.075 frente a COP 25.000 típico de Meta en Wompi: 12 % más barato;" in (
        meta.reason_es
    )
    assert "; COP 22,075 vs Meta’s typical COP 25,000 in Wompi: 12 % cheaper;" in meta.reason_en


def test_a_piece_dearer_than_its_platform_says_how_much_more_expensive(wompi, two_platforms):
    ranking = brief_ranking(node=wompi, objective=Objective.CONVERSION, as_of=AS_OF)

    # Third and fourth: a Meta piece at COP 25,731 against Meta's COP 25,000.
    third = ranking.references[2]
    assert third.image_id == two_platforms["meta_2"].pk
    assert "; COP 25.731 frente a COP 25.000 típico de Meta en Wompi: 3 % más caro;" in (
        third.reason_es
    )
    assert "; COP 25,731 vs Meta’s typical COP 25,000 in Wompi: 3 % more expensive;" in (
        third.reason_en
    )


def test_a_reason_across_the_node_compares_with_the_node_typical_and_says_higher(wompi):
    campaign = _campaign(wompi, "meta", Objective.TRAFFIC)
    best = _piece(campaign, 1, clicks=300)
    for n, clicks in ((2, 200), (3, 200), (4, 200), (5, 100)):
        _piece(campaign, n, clicks=clicks)
    _rule(wompi, Objective.TRAFFIC, "ctr", within_platform=False)
    image_rollup_refresh(as_of=AS_OF)

    ranking = brief_ranking(node=wompi, objective=Objective.TRAFFIC, as_of=AS_OF)

    top = ranking.references[0]
    assert top.image_id == best.pk
    assert top.compared_with == []
    assert top.typical == pytest.approx(0.02)  # 1,000 clicks of 50,000 impressions
    assert "; 3,0 % frente a 2,0 % típico de Wompi: 50 % más alto;" in top.reason_es
    assert "; 3.0 % vs Wompi’s typical 2.0 %: 50 % higher;" in top.reason_en
    last = ranking.references[3]
    assert "; 2,0 % frente a 2,0 % típico de Wompi: igual;" in last.reason_es
    assert "; 2.0 % vs Wompi’s typical 2.0 %: the same;" in last.reason_en


@pytest.fixture
def a_big_piece(wompi):
    """A piece of COP 4.7 M spend and 450 conversions (COP 10,444 each) among four others."""
    campaign = _campaign(wompi, "meta", Objective.CONVERSION)
    big = _piece(campaign, 1, spend=4_700_000, conversions=450)
    for n in range(2, 6):
        _piece(campaign, n, spend=1_500_000, conversions=100)
    _rule(wompi, Objective.CONVERSION, "cost_per_conversion")
    image_rollup_refresh(as_of=AS_OF)
    return big


def test_the_reason_shows_spend_over_conversions_and_labels_the_estimate(wompi, a_big_piece):
    ranking = brief_ranking(node=wompi, objective=Objective.CONVERSION, as_of=AS_OF)

    ref = ranking.references[0]
    assert ref.image_id == a_big_piece.pk
    assert ref.observed == pytest.approx(4_700_000 / 450)
    # The shrunk estimate differs from the observed figure: it is the one labelled.
    assert round(ref.estimate) != round(4_700_000 / 450)
    # The most it costs with 80 % certainty, the figure the order reads: between the estimate
    # and the interval's dear end.
    assert ref.estimate < ref.cautious < ref.interval[1]
    with translation.override("es"):
        estimate_es = figures.metric("cost_per_conversion", ref.estimate)
        interval_es = figures.interval("cost_per_conversion", *ref.interval)
        cautious_es = figures.metric("cost_per_conversion", ref.cautious)
    with translation.override("en"):
        estimate_en = figures.metric("cost_per_conversion", ref.estimate)
        interval_en = figures.interval("cost_per_conversion", *ref.interval)
        cautious_en = figures.metric("cost_per_conversion", ref.cautious)
    assert ref.reason_es.startswith(
        "costo por conversión COP 10.444 (COP 4,7 M de inversión / 450 conversiones) en 1 día; "
        f"estimado {estimate_es} ({interval_es}), como máximo {cautious_es} con 80 % de certeza; "
        "COP 10.444 frente a "
    )
    assert ref.reason_en.startswith(
        "cost per conversion COP 10,444 (COP 4.7M spend / 450 conversions) over 1 day; "
        f"estimate {estimate_en} ({interval_en}), at most {cautious_en} with 80 % certainty; "
        "COP 10,444 vs "
    )
    assert ref.reason_en.endswith("; 1st of 5 Wompi conversion pieces")


def test_the_reference_card_shows_the_observed_cost_and_the_estimate_as_such(
    wompi, a_big_piece, analyst
):
    brief = Brief.objects.create(
        owner=analyst,
        node=wompi,
        objective=Objective.CONVERSION,
        title="Pagos",
        description="Pagos con QR",
    )
    ranking = brief_rank(brief, as_of=AS_OF)
    stored = BriefReference.objects.get(brief=brief, image=a_big_piece)
    low, high = ranking.references[0].interval

    with translation.override("es"):
        card = reference_card(stored)
        estimate = figures.metric("cost_per_conversion", ranking.references[0].estimate)
        interval = figures.interval("cost_per_conversion", low, high)

    assert card.observed == "COP 10.444"
    assert card.estimate == f"estimado {estimate} ({interval})"


def test_rank_numbers_in_the_reasons_are_the_order_shown_when_a_look_alike_is_skipped(wompi):
    campaign = _campaign(wompi, "meta", Objective.TRAFFIC)
    first = _piece(campaign, 1, clicks=400)
    # Five bits from the first: not folded into it (two bits), too alike to show beside it.
    look_alike_hash = f"{int(_phash(1), 16) ^ 0b11111:016x}"
    look_alike = _piece(campaign, 2, clicks=380, phash=look_alike_hash)
    others = [_piece(campaign, n, clicks=360 - 20 * n) for n in range(3, 7)]
    _rule(wompi, Objective.TRAFFIC, "ctr")
    image_rollup_refresh(as_of=AS_OF)

    ranking = brief_ranking(node=wompi, objective=Objective.TRAFFIC, as_of=AS_OF)

    shown = [ref.image_id for ref in ranking.references]
    assert shown == [first.pk, *(image.pk for image in others[:3])]
    assert look_alike.pk not in shown
    assert [ref.order for ref in ranking.references] == [1, 2, 3, 4]
    assert [ref.reason_en.rsplit("; ", 1)[1] for ref in ranking.references] == [
        "1st of 6 Wompi traffic pieces",
        "2nd of 6 Wompi traffic pieces",
        "3rd of 6 Wompi traffic pieces",
        "4th of 6 Wompi traffic pieces",
    ]
    assert [ref.reason_es.rsplit("; ", 1)[1] for ref in ranking.references] == [
        "1.º de 6 piezas de tráfico de Wompi",
        "2.º de 6 piezas de tráfico de Wompi",
        "3.º de 6 piezas de tráfico de Wompi",
        "4.º de 6 piezas de tráfico de Wompi",
    ]


def _figures_of(ref: RankedReference) -> tuple:
    return (ref.image_id, ref.estimate, ref.interval, ref.observed, ref.typical, ref.compared_with)


def test_excluding_a_reference_leaves_every_other_piece_as_it_was(wompi, two_platforms):
    before = brief_ranking(node=wompi, objective=Objective.CONVERSION, as_of=AS_OF)
    excluded = two_platforms["google_cheap"].pk
    assert before.references[0].image_id == excluded

    after = brief_ranking(
        node=wompi, objective=Objective.CONVERSION, as_of=AS_OF, exclude_image_ids=[excluded]
    )

    # Google Ads keeps its own typical figure with four pieces left: the prior is fitted on
    # every piece, the excluded one only leaves the list.
    assert [_figures_of(ref) for ref in after.references[:3]] == [
        _figures_of(ref) for ref in before.references[1:]
    ]
    assert excluded not in [ref.image_id for ref in after.references]
    assert [ref.order for ref in after.references] == [1, 2, 3, 4]
    assert (after.considered, after.passed) == (before.considered, before.passed)
    entering = after.references[3]
    assert entering.image_id not in [ref.image_id for ref in before.references]
    assert entering.reason_en.endswith("; 4th of 10 Wompi conversion pieces")


def test_ranking_a_brief_again_after_an_exclusion_says_what_changed(wompi, two_platforms, analyst):
    brief = Brief.objects.create(
        owner=analyst,
        node=wompi,
        objective=Objective.CONVERSION,
        title="Pagos",
        description="Pagos con QR",
    )
    first = brief_rank(brief, as_of=AS_OF)
    excluded = first.references[0].image_id
    BriefReference.objects.filter(brief=brief, image_id=excluded).update(excluded=True)

    again = brief_rank(brief, as_of=AS_OF)

    entering = again.references[3].image_id
    brief.refresh_from_db()
    assert brief.ranking["change_es"] == (
        f"Se quitó la pieza {excluded}; entra la pieza {entering} en el puesto 4."
    )
    assert brief.ranking["change_en"] == (
        f"Piece {excluded} left; piece {entering} comes in at number 4."
    )
    kept = list(
        brief.references.filter(excluded=False).order_by("order").values_list("image_id", "order")
    )
    assert kept == [(ref.image_id, ref.order) for ref in again.references]


def test_ranking_a_brief_again_with_nothing_changed_says_so(wompi, two_platforms, analyst):
    brief = Brief.objects.create(
        owner=analyst,
        node=wompi,
        objective=Objective.CONVERSION,
        title="Pagos",
        description="Pagos con QR",
    )
    brief_rank(brief, as_of=AS_OF)

    brief_rank(brief, as_of=AS_OF)

    brief.refresh_from_db()
    assert brief.ranking["change_es"] == "Las referencias no cambiaron."
    assert brief.ranking["change_en"] == "The references did not change."
