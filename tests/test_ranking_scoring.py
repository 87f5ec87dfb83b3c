"""The pure ranking core: shrinkage, bounds, gates, folding, diversity, reasons."""

from __future__ import annotations

import random

import pytest
from django.utils import translation

from campaigns.ranking.metrics import METRICS
from campaigns.ranking.pieces import PieceFigures, fold_near_duplicates
from campaigns.ranking.reasons import ReasonContext, reason
from campaigns.ranking.scoring import RuleSpec, estimate_piece, fit_prior, rank_pieces


def _hash(n: int) -> str:
    """Return well-separated perceptual hashes: piece n differs from others in ~32 bits."""
    return f"{random.Random(n).getrandbits(64):016x}"


def _pool(count: int = 40, *, start: int = 100) -> list[PieceFigures]:
    """Ordinary pieces around a 1 % CTR with solid volume."""
    rng = random.Random(7)
    pieces = []
    for i in range(start, start + count):
        impressions = rng.randint(20_000, 80_000)
        ctr = rng.uniform(0.008, 0.012)
        clicks = round(impressions * ctr)
        pieces.append(
            PieceFigures(
                image_id=i,
                phash=_hash(i),
                impressions=impressions,
                clicks=clicks,
                spend=impressions * 12.0,
                leads=round(clicks * 0.05),
                conversions=round(clicks * 0.02),
                conversion_value=round(clicks * 0.02) * 80_000.0,
                days=30,
            )
        )
    return pieces


def test_a_tiny_lucky_piece_does_not_outrank_a_solid_one():
    lucky = PieceFigures(image_id=1, phash=_hash(1), impressions=40, clicks=3, days=2)
    solid = PieceFigures(image_id=2, phash=_hash(2), impressions=100_000, clicks=3_000, days=40)

    result = rank_pieces([lucky, solid, *_pool()], RuleSpec(metric="ctr", top_n=4))

    ranked_ids = [ref.piece.image_id for ref in result.references]
    assert ranked_ids[0] == 2
    assert 1 not in ranked_ids


def test_shrinkage_pulls_a_thin_piece_most_of_the_way_to_the_group_average():
    pool = _pool()
    spec = METRICS["ctr"]
    prior = fit_prior(spec, pool)
    thin = PieceFigures(image_id=1, phash=_hash(1), impressions=40, clicks=3)

    estimate = estimate_piece(spec, thin, prior, level=0.9)

    assert estimate.observed == pytest.approx(0.075)
    assert prior.mean < estimate.point < 0.02
    assert estimate.lower < prior.mean < estimate.upper


def test_a_cost_metric_ranks_the_cheapest_well_evidenced_piece_first():
    pool = _pool()
    cheap = PieceFigures(
        image_id=1, phash=_hash(1), impressions=50_000, clicks=1_000, spend=500_000.0, days=30
    )

    result = rank_pieces([*pool, cheap], RuleSpec(metric="cpc"))

    top = result.references[0]
    assert top.piece.image_id == 1
    assert top.estimate.observed == pytest.approx(500.0)
    assert top.estimate.lower <= top.estimate.point <= top.estimate.upper


def test_gates_keep_out_thin_pieces_and_say_which_gate_each_missed():
    pool = _pool(10)
    few_impressions = PieceFigures(image_id=1, phash=_hash(1), impressions=500, clicks=20)
    few_clicks = PieceFigures(image_id=2, phash=_hash(2), impressions=5_000, clicks=5)

    result = rank_pieces(
        [*pool, few_impressions, few_clicks],
        RuleSpec(metric="ctr", min_impressions=1_000, min_clicks=10),
    )

    assert result.considered == 12
    assert result.passed == 10
    assert [(m.gate, m.minimum, m.missed) for m in result.gate_misses] == [
        ("impressions", 1000.0, 1),
        ("clicks", 10.0, 1),
    ]


def test_near_duplicates_fold_into_one_piece_with_summed_figures():
    base = int(_hash(1), 16)
    near = f"{base ^ 0b11:016x}"  # two bits apart: a re-encode or a resize
    a = PieceFigures(image_id=1, phash=f"{base:016x}", impressions=1_000, clicks=10, days=5)
    b = PieceFigures(image_id=2, phash=near, impressions=3_000, clicks=60, days=9)
    c = PieceFigures(image_id=3, phash=_hash(3), impressions=2_000, clicks=20, days=4)

    folded = fold_near_duplicates([a, b, c])

    assert len(folded) == 2
    merged = next(p for p in folded if p.members == (1, 2))
    assert merged.image_id == 2  # shown as the member with the most impressions
    assert (merged.impressions, merged.clicks, merged.days) == (4_000, 70, 9)


def test_a_chain_of_small_differences_does_not_merge_different_pictures():
    base = int(_hash(1), 16)
    a = PieceFigures(image_id=1, phash=f"{base:016x}", impressions=1_000, clicks=10)
    b = PieceFigures(image_id=2, phash=f"{base ^ 0b11:016x}", impressions=1_000, clicks=10)
    c = PieceFigures(image_id=3, phash=f"{base ^ 0b1111:016x}", impressions=1_000, clicks=10)

    folded = fold_near_duplicates([a, b, c])

    assert sorted(p.members for p in folded) == [(1, 2), (3,)]


def test_the_returned_references_are_never_near_identical():
    pool = _pool(10)
    best = PieceFigures(image_id=1, phash=_hash(1), impressions=90_000, clicks=3_000)
    # Ten bits apart: not folded (different pieces) but too alike to show both.
    twin_hash = f"{int(_hash(1), 16) ^ 0b1111111111:016x}"
    twin = PieceFigures(image_id=2, phash=twin_hash, impressions=90_000, clicks=2_900)

    result = rank_pieces([*pool, best, twin], RuleSpec(metric="ctr", top_n=4))

    ids = [ref.piece.image_id for ref in result.references]
    assert ids[0] == 1
    assert 2 not in ids
    assert len(ids) == 4
    assert [ref.order for ref in result.references] == [1, 2, 3, 4]
    assert result.references[1].position == 3  # the twin held place 2


def test_the_ranking_does_not_depend_on_the_order_of_its_input():
    pieces = _pool(30)
    shuffled = pieces[:]
    random.Random(3).shuffle(shuffled)

    first = rank_pieces(pieces, RuleSpec(metric="cost_per_lead", tie_break_metric="ctr"))
    second = rank_pieces(shuffled, RuleSpec(metric="cost_per_lead", tie_break_metric="ctr"))

    assert first == second


@pytest.mark.parametrize("metric", sorted(METRICS))
def test_every_metric_gives_an_interval_around_its_estimate(metric):
    result = rank_pieces(_pool(), RuleSpec(metric=metric, top_n=4))

    assert len(result.references) == 4
    for ref in result.references:
        assert ref.estimate.lower <= ref.estimate.point <= ref.estimate.upper


def test_the_tie_break_orders_pieces_equal_on_the_success_metric():
    a = PieceFigures(image_id=1, phash=_hash(1), impressions=10_000, clicks=100, spend=200_000.0)
    b = PieceFigures(image_id=2, phash=_hash(2), impressions=10_000, clicks=100, spend=100_000.0)

    result = rank_pieces([a, b], RuleSpec(metric="ctr", tie_break_metric="cpc"))

    assert [ref.piece.image_id for ref in result.references] == [2, 1]


def test_roas_ranks_value_per_spend_highest_first():
    pool = _pool()
    strong = PieceFigures(
        image_id=1,
        phash=_hash(1),
        impressions=60_000,
        clicks=700,
        spend=600_000.0,
        conversions=40,
        conversion_value=3_200_000.0,
    )

    result = rank_pieces([*pool, strong], RuleSpec(metric="roas"))

    assert result.references[0].piece.image_id == 1
    assert result.references[0].estimate.observed == pytest.approx(3_200_000 / 600_000)


def test_the_reason_reads_as_one_sentence_in_spanish_and_english():
    piece = PieceFigures(image_id=1, phash=_hash(1), impressions=240_000, clicks=5_040, days=34)
    spec = METRICS["ctr"]
    prior = fit_prior(spec, [piece, *_pool()])
    estimate = estimate_piece(spec, piece, prior, level=0.9)
    ctx = ReasonContext(
        node_name="Wompi", objective="traffic", position=3, ranked=312, currency="COP"
    )
    low, high = estimate.lower * 100, estimate.upper * 100

    with translation.override("en"):
        english = reason("ctr", estimate, piece, ctx)
    with translation.override("es"):
        spanish = reason("ctr", estimate, piece, ctx)

    # The piece's own CTR and what it is made of, then the estimate, then what it is compared
    # with: the group's pooled CTR, the prior's mean.
    typical = prior.mean * 100
    higher = round((0.021 / prior.mean - 1) * 100)
    assert english == (
        f"CTR 2.1 % (5,040 clicks / 240k impressions) over 34 days; estimate "
        f"{estimate.point * 100:.1f} % ({low:.1f}–{high:.1f} %); 2.1 % vs Wompi’s typical "
        f"{typical:.1f} %: {higher} % higher; 3rd of 312 Wompi traffic pieces"
    )

    def es(value: float) -> str:
        return f"{value:.1f}".replace(".", ",")

    assert spanish == (
        f"CTR 2,1 % (5.040 clics / 240 mil impresiones) en 34 días; estimado "
        f"{es(estimate.point * 100)} % ({es(low)}–{es(high)} %); 2,1 % frente a "
        f"{es(typical)} % típico de Wompi: {higher} % más alto; 3.º de 312 piezas de tráfico de "
        "Wompi"
    )


def test_a_roas_reason_counts_its_volume_in_spend():
    piece = PieceFigures(
        image_id=1,
        phash=_hash(1),
        impressions=60_000,
        clicks=700,
        spend=12_500_000.0,
        conversions=40,
        conversion_value=40_000_000.0,
        days=20,
    )
    spec = METRICS["roas"]
    estimate = estimate_piece(spec, piece, fit_prior(spec, [piece, *_pool()]), level=0.9)
    ctx = ReasonContext(
        node_name="Nequi", objective="conversion", position=1, ranked=12, currency="COP"
    )

    with translation.override("en"):
        english = reason("roas", estimate, piece, ctx)
    with translation.override("es"):
        spanish = reason("roas", estimate, piece, ctx)

    assert english.startswith("ROAS 3.20× (COP 40.0M in sales / COP 12.5M spend) over 20 days; ")
    assert english.endswith("; 1st of 12 Nequi conversion pieces")
    assert spanish.startswith(
        "ROAS 3,20× (COP 40,0 M en ventas / COP 12,5 M de inversión) en 20 días; estimado "
    )
    assert spanish.endswith("; 1.º de 12 piezas de conversión de Nequi")


def _platform_pool(platform: str, ctr: float, start: int) -> list[PieceFigures]:
    return [
        PieceFigures(
            image_id=i,
            phash=_hash(i),
            impressions=50_000,
            clicks=round(50_000 * ctr * (0.95 + 0.01 * (i % 10))),
            platforms=(platform,),
        )
        for i in range(start, start + 10)
    ]


def test_a_piece_is_judged_against_its_own_platforms_average():
    meta = _platform_pool("meta", 0.010, 100)
    linkedin = _platform_pool("linkedin", 0.004, 200)
    # 1.5× LinkedIn's typical CTR against 1.1× Meta's: the LinkedIn piece is the better one.
    linkedin_star = PieceFigures(
        image_id=1, phash=_hash(1), impressions=60_000, clicks=360, platforms=("linkedin",)
    )
    meta_good = PieceFigures(
        image_id=2, phash=_hash(2), impressions=60_000, clicks=660, platforms=("meta",)
    )
    pieces = [*meta, *linkedin, linkedin_star, meta_good]

    within = rank_pieces(pieces, RuleSpec(metric="ctr", top_n=2))
    raw = rank_pieces(pieces, RuleSpec(metric="ctr", top_n=2, within_platform=False))

    assert [ref.piece.image_id for ref in within.references] == [1, 2]
    assert raw.references[0].piece.image_id == 2
    assert 1 not in [ref.piece.image_id for ref in raw.references]
