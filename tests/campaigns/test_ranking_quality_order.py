"""What the ranking orders by (issue 15 follow-up): by default the conservative end of the
interval the card shows; the ordering quantile and the prior's weight measured by
bench/ranking_quality.py --orders change the order only where asked, never the shown interval's
level."""

from __future__ import annotations

import random
from dataclasses import replace

import pytest
from scipy import stats

from campaigns.ranking.pieces import PieceFigures
from campaigns.ranking.scoring import RuleSpec, rank_pieces


def _hash(n: int) -> str:
    return f"{random.Random(n).getrandbits(64):016x}"


def _pool() -> list[PieceFigures]:
    """Forty solid pieces around a 1 % CTR."""
    rng = random.Random(11)
    pieces = []
    for i in range(100, 140):
        impressions = rng.randint(20_000, 80_000)
        clicks = round(impressions * rng.uniform(0.008, 0.012))
        pieces.append(
            PieceFigures(
                image_id=i, phash=_hash(i), impressions=impressions, clicks=clicks, days=30
            )
        )
    return pieces


# A thin piece with a high rate (3 % on 1,000 impressions) and a solid one at 1.5 %.
THIN = PieceFigures(image_id=1, phash=_hash(1), impressions=1_000, clicks=30, days=5)
SOLID = PieceFigures(image_id=2, phash=_hash(2), impressions=200_000, clicks=3_000, days=60)


def _order(spec: RuleSpec) -> list[int]:
    return [ref.piece.image_id for ref in rank_pieces([THIN, SOLID, *_pool()], spec).references]


def test_the_default_order_is_each_pieces_figure_with_80_percent_certainty_over_the_typical():
    result = rank_pieces([THIN, SOLID, *_pool()], RuleSpec(metric="ctr", top_n=10))

    goodness = [ref.estimate.goodness for ref in result.references]
    assert goodness == sorted(goodness, reverse=True)
    for ref in result.references:
        estimate = ref.estimate
        a, b = _beta_of(ref.piece, result.prior, estimate.typical)
        assert estimate.certainty == 0.8
        assert estimate.cautious == pytest.approx(stats.beta.ppf(0.20, a, b), rel=1e-9)
        assert estimate.lower < estimate.cautious < estimate.point
        assert estimate.goodness == pytest.approx(estimate.cautious / estimate.typical)


def _beta_of(piece, prior, typical) -> tuple[float, float]:
    """The piece's beta posterior under one group prior (the pool is one platform's)."""
    assert typical == pytest.approx(prior.mean)
    return (
        prior.mean * prior.strength + piece.clicks,
        (1 - prior.mean) * prior.strength + piece.impressions - piece.clicks,
    )


def test_the_order_read_at_the_intervals_end_is_still_there_for_a_rule_that_asks_for_it():
    spec = RuleSpec(metric="ctr", top_n=10, order_quantile=None)

    for ref in rank_pieces([THIN, SOLID, *_pool()], spec).references:
        assert ref.estimate.certainty == 0.95
        assert ref.estimate.cautious == ref.estimate.lower
        assert ref.estimate.goodness == ref.estimate.lower / ref.estimate.typical


def test_a_costs_cautious_figure_is_the_most_it_costs_with_80_percent_certainty():
    pieces = [
        PieceFigures(
            image_id=i,
            phash=_hash(i),
            impressions=50_000,
            clicks=500 + 10 * i,
            spend=1_000_000.0,
            days=30,
        )
        for i in range(1, 13)
    ]

    result = rank_pieces(pieces, RuleSpec(metric="cpc", top_n=12, within_platform=False))

    for ref in result.references:
        estimate = ref.estimate
        shape = result.prior.mean * result.prior.strength + ref.piece.clicks
        rate = result.prior.strength + ref.piece.spend
        assert estimate.cautious == pytest.approx(rate / stats.gamma.ppf(0.20, shape), rel=1e-9)
        assert estimate.lower < estimate.point < estimate.cautious < estimate.upper
        assert estimate.goodness == pytest.approx(estimate.typical / estimate.cautious)
    assert [ref.piece.image_id for ref in result.references] == list(range(12, 0, -1))


def test_a_thin_strong_piece_ranks_below_a_solid_one_by_the_bound_and_above_it_by_the_median():
    spec = RuleSpec(metric="ctr", top_n=2, within_platform=False)

    assert _order(spec) == [2, 1]
    assert _order(replace(spec, order_quantile=0.5)) == [1, 2]


def test_the_ordering_quantile_leaves_the_shown_estimate_and_90_interval_as_they_were():
    spec = RuleSpec(metric="ctr", top_n=2, within_platform=False)

    shown = {
        ref.piece.image_id: (ref.estimate.point, ref.estimate.lower, ref.estimate.upper)
        for ref in rank_pieces([THIN, SOLID, *_pool()], spec).references
    }
    by_median = {
        ref.piece.image_id: (ref.estimate.point, ref.estimate.lower, ref.estimate.upper)
        for ref in rank_pieces(
            [THIN, SOLID, *_pool()], replace(spec, order_quantile=0.5)
        ).references
    }

    assert by_median == shown


def test_a_lighter_prior_leaves_a_thin_piece_nearer_its_own_figure():
    spec = RuleSpec(metric="ctr", top_n=42, within_platform=False)

    def thin_estimate(weight: float) -> float:
        result = rank_pieces([THIN, SOLID, *_pool()], replace(spec, prior_weight=weight))
        return next(r.estimate.point for r in result.references if r.piece.image_id == 1)

    full, half = thin_estimate(1.0), thin_estimate(0.5)
    assert full < half < 30 / 1_000


def _small_account() -> list[PieceFigures]:
    """The small account of tests/campaigns/test_scaled_minimums.py: forty ordinary pieces of
    120–280 impressions near 1 % CTR, four truly better ones of 400–600 impressions at 5–8 %,
    three ordinary ones past 1,000 impressions, and a lucky piece seen 6 times with 3 clicks."""
    rng = random.Random(15)
    ordinary = [
        PieceFigures(
            image_id=100 + i,
            phash=_hash(100 + i),
            impressions=impressions,
            clicks=round(impressions * rng.uniform(0.006, 0.014)),
            days=20,
        )
        for i, impressions in enumerate(range(120, 280, 4))
    ]
    best = [
        PieceFigures(image_id=n, phash=_hash(n), impressions=imps, clicks=clicks, days=20)
        for n, imps, clicks in ((1, 600, 48), (2, 500, 35), (3, 450, 27), (4, 400, 20))
    ]
    long_running = [
        PieceFigures(image_id=n, phash=_hash(n), impressions=imps, clicks=clicks, days=20)
        for n, imps, clicks in ((50, 3_000, 33), (51, 2_400, 24), (52, 2_000, 18))
    ]
    lucky = PieceFigures(image_id=60, phash=_hash(60), impressions=6, clicks=3, days=2)
    return [*ordinary, *best, *long_running, lucky]


def test_the_held_out_winner_lets_a_piece_seen_six_times_into_a_small_accounts_top_four():
    """Why the default stays the 90 % bound with the rule's gate (docs/ranking.md, "The
    statistics"): the candidate that came closest to the best achievable precision@4 on
    held-out demo seeds 17, 19 and 23 (the 20th percentile, a quarter of the prior, no gate)
    ranks 3 clicks on 6 impressions third, above two of the truly better pieces."""
    seeded = RuleSpec(metric="ctr", minimums="scaled", min_share_of_median=5)
    candidate = replace(seeded, min_share_of_median=0, order_quantile=0.20, prior_weight=0.25)

    def order(spec: RuleSpec) -> list[int]:
        return [ref.piece.image_id for ref in rank_pieces(_small_account(), spec).references]

    assert order(seeded) == [1, 2, 3, 4]
    assert order(candidate) == [1, 2, 60, 3]


def test_a_nonparametric_grid_prior_ranks_the_small_accounts_piece_seen_six_times_first():
    """Why the grid prior measured by bench/ranking_quality.py --grid was not adopted
    (docs/ranking.md): fitted on the group, it puts a cluster of weight where the four truly
    better pieces are, and 3 clicks on 6 impressions is then most likely one of them, so even
    the conservative end of its 90 % interval ranks it above all four."""
    from bench.grid_prior_experiment import grid_order

    for tail in (None, 0.05, 0.20):
        order = grid_order(_small_account(), "ctr", within_platform=True, tail=tail)
        assert order[:5] == [60, 1, 2, 3, 4]


def test_the_log_normal_prior_experiment_recovers_the_spread_it_was_drawn_with():
    """bench/ranking_quality.py --grid measures a log-normal prior fitted by marginal
    likelihood (not adopted): on 300 pieces whose true rates were drawn with log σ = 0.5 around
    1 %, with 50,000 impressions each, the fitted prior's spread is 0.5 within a grid step."""
    import numpy as np

    from bench.grid_prior_experiment import GRID, _log_likelihood, _lognormal

    rng = np.random.default_rng(3)
    sigma = 0.5
    theta = np.exp(rng.normal(-sigma * sigma / 2, sigma, size=300))
    exposure = np.full(300, 50_000.0)
    events = rng.binomial(50_000, 0.01 * theta).astype(float)
    typical = np.full(300, events.sum() / exposure.sum())
    weights = _lognormal(_log_likelihood(events, exposure, typical, share=True))
    log_grid = np.log(GRID)
    centre = float(weights @ log_grid)
    fitted = float(np.sqrt(weights @ (log_grid - centre) ** 2))
    assert abs(fitted - sigma) <= 0.05


def test_the_log_normal_prior_keeps_the_small_accounts_piece_seen_six_times_out_of_the_top_four():
    """Unlike the nonparametric grid, the two-parameter log-normal cannot put a spike where the
    four truly better pieces are: read at the 20th percentile it ranks them first and 3 clicks
    on 6 impressions fifth. It was not adopted for another reason: with the rule's gate and the
    references' look-alike skips it measured level with the beta (docs/ranking.md)."""
    from bench.grid_prior_experiment import grid_order

    order = grid_order(_small_account(), "ctr", within_platform=True, tail=0.20, shape="lognormal")
    assert order[:5] == [1, 2, 3, 4, 60]
