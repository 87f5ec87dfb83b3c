"""A brief computes the exact posterior quantiles only for the pieces that can reach its top.

The quantile functions (`betaincinv`, `gammaincinv`) were most of a brief's scoring time on the
10M-row history: every passing piece's bound, for four references. Cantelli's inequality
brackets each piece's quantile from its posterior mean and variance at the cost of a few
array operations; a piece whose bracket lies wholly below the top's cannot be among the
references nor change their places, so its exact bound is never computed. The answer must be
the one the exact pass over every piece gives: the property test below compares them over
random pools, rules and exclusions.
"""

from __future__ import annotations

import random
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import special

from campaigns.ranking import scoring
from campaigns.ranking.metrics import METRICS
from campaigns.ranking.pieces import PieceFigures, piece_table
from campaigns.ranking.scoring import RuleSpec, rank_pieces

PLATFORMS = ("meta", "google_ads", "linkedin", "x")


def _pool(seed: int, size: int, *, near_copies: bool = False, ties: bool = False):
    """`size` pieces with figures spread as a real node's are (thin and thick evidence, four
    platforms, some pieces shown on two); optionally look-alike hashes and exact twins."""
    rng = random.Random(seed)
    draws = np.random.default_rng(seed)
    pieces = []
    for i in range(size):
        impressions = int(10 ** rng.uniform(1.5, 6.5))
        clicks = int(draws.binomial(impressions, rng.uniform(0.002, 0.03)))
        conversions = float(draws.binomial(clicks, rng.uniform(0.0, 0.2)))
        spend = impressions * rng.uniform(5.0, 40.0)
        own = rng.choice(PLATFORMS)
        platforms = (own,) if rng.random() < 0.9 else tuple(sorted({own, rng.choice(PLATFORMS)}))
        bits = rng.getrandbits(64)
        if near_copies and i and rng.random() < 0.3:
            # A look-alike of the piece before it: a few bits apart, so diversity skips it.
            bits = int(pieces[-1].phash, 16) ^ (1 << rng.randrange(64))
        figures = dict(
            impressions=impressions,
            clicks=clicks,
            link_clicks=clicks,
            spend=spend,
            conversions=conversions,
            conversion_value=conversions * rng.uniform(50_000, 400_000),
            leads=conversions,
            video_views=impressions // 3,
            engagements=clicks * 2,
        )
        if ties and i and rng.random() < 0.25:
            # The same figures as the piece before it: tied on every metric.
            figures = {name: getattr(pieces[-1], name) for name in figures}
        pieces.append(
            PieceFigures(
                image_id=1_000 + i,
                phash=f"{bits:016x}",
                days=rng.randint(1, 90),
                platforms=platforms,
                **figures,
            )
        )
    return pieces


def _shown(result) -> str:
    """Everything a brief reads of a ranking, written out: floats by their repr, exact to the
    last bit, and a NaN equal to a NaN."""
    return repr(
        (
            result.considered,
            result.passed,
            result.gate_misses,
            result.prior,
            [
                (
                    ref.order,
                    ref.position,
                    ref.piece.image_id,
                    ref.estimate,
                    ref.tie_break,
                    ref.compared_with,
                )
                for ref in result.references
            ],
        )
    )


@pytest.fixture
def quantiles_counted(monkeypatch):
    """Count the pieces the exact quantile functions are asked about."""
    counted = {"pieces": 0}
    for name in ("betaincinv", "gammaincinv"):
        real = getattr(special, name)

        def counting(*args, _real=real):
            counted["pieces"] += int(np.size(np.broadcast(*args)))
            return _real(*args)

        monkeypatch.setattr(special, name, counting)
    return counted


@pytest.mark.parametrize("metric", ["ctr", "cost_per_conversion", "roas"])
def test_a_brief_over_two_thousand_pieces_computes_exact_quantiles_for_a_few_dozen(
    metric, quantiles_counted
):
    pieces = _pool(5, 2_000)

    result = rank_pieces(pieces, RuleSpec(metric=metric, top_n=4))

    assert len(result.references) == 4
    assert result.passed > 1_500
    # Before: every passing piece's bound, plus the references' other end.
    assert quantiles_counted["pieces"] <= 200


def test_the_full_order_still_computes_every_piece(quantiles_counted):
    pieces = _pool(5, 300)

    result = rank_pieces(pieces, RuleSpec(metric="ctr", top_n=300), diverse_distance=-1)

    assert len(result.references) == result.passed
    assert [ref.position for ref in result.references] == list(range(1, result.passed + 1))


def test_a_few_candidates_give_exactly_the_answer_of_the_exact_pass_over_every_piece():
    pieces = _pool(8, 2_000, near_copies=True, ties=True)
    rule = RuleSpec(metric="ctr", tie_break_metric="cpc", top_n=6)

    assert _shown(rank_pieces(pieces, rule)) == _shown(
        rank_pieces(pieces, rule, exact_for_all=True)
    )


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 10_000),
    size=st.integers(1, 400),
    metric=st.sampled_from(sorted(METRICS)),
    tie_break=st.sampled_from(["", "ctr", "cpc", "cost_per_conversion"]),
    top_n=st.integers(1, 12),
    within_platform=st.booleans(),
    order_quantile=st.sampled_from([None, 0.2, 0.5, 0.8]),
    prior_weight=st.sampled_from([1.0, 0.25]),
    min_impressions=st.sampled_from([0, 1_000]),
    near_copies=st.booleans(),
    ties=st.booleans(),
    excluded_share=st.sampled_from([0.0, 0.01, 0.2]),
)
def test_the_answer_never_depends_on_which_pieces_were_computed_exactly(
    seed,
    size,
    metric,
    tie_break,
    top_n,
    within_platform,
    order_quantile,
    prior_weight,
    min_impressions,
    near_copies,
    ties,
    excluded_share,
):
    pieces = _pool(seed, size, near_copies=near_copies, ties=ties)
    rng = random.Random(seed)
    # Exclusions aim at the top, where they change the picks: a share of the best by CTR.
    by_ctr = sorted(pieces, key=lambda p: -(p.clicks / p.impressions))
    excluded = [p.image_id for p in by_ctr[: int(len(pieces) * excluded_share)]]
    excluded += [p.image_id for p in rng.sample(pieces, min(2, len(pieces)))]
    rule = RuleSpec(
        metric=metric,
        tie_break_metric=tie_break,
        top_n=top_n,
        within_platform=within_platform,
        order_quantile=order_quantile,
        prior_weight=prior_weight,
        min_impressions=min_impressions,
    )

    pruned = rank_pieces(pieces, rule, exclude_image_ids=excluded)
    exact = rank_pieces(pieces, rule, exclude_image_ids=excluded, exact_for_all=True)

    assert _shown(pruned) == _shown(exact)


def test_pieces_with_no_events_and_a_prior_of_zero_are_ranked_as_the_exact_pass_ranks_them():
    # No conversions anywhere: every prior mean is 0, the beta and gamma parameters degenerate
    # and the brackets say nothing; the candidates must then be every piece.
    pieces = [
        PieceFigures(
            image_id=i,
            phash=f"{random.Random(i).getrandbits(64):016x}",
            impressions=1_000 + i,
            clicks=10,
            spend=5e4,
        )
        for i in range(1, 60)
    ]
    for metric in ("conversion_rate", "cost_per_conversion", "roas"):
        rule = RuleSpec(metric=metric, top_n=4)
        assert _shown(rank_pieces(pieces, rule)) == _shown(
            rank_pieces(pieces, rule, exact_for_all=True)
        )


@settings(max_examples=150, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    size=st.integers(1, 300),
    metric=st.sampled_from(sorted(METRICS)),
    order_quantile=st.sampled_from([None, 0.01, 0.2, 0.5, 0.8, 0.99]),
    prior_weight=st.sampled_from([1.0, 0.25, 4.0]),
    within_platform=st.booleans(),
)
def test_every_pieces_exact_goodness_lies_within_its_bracket(
    seed, size, metric, order_quantile, prior_weight, within_platform
):
    # The candidates are right only if no piece scores above its bracket's high end: checked
    # here directly, against the quantile functions, whatever the tail read.
    table = piece_table(_pool(seed, size), fold=False)
    rule = RuleSpec(
        metric=metric,
        order_quantile=order_quantile,
        prior_weight=prior_weight,
        within_platform=within_platform,
    )
    spec = rule.spec
    aov = scoring._average_order_value(table.columns)
    passing, _ = scoring._gate(spec, table.columns, rule)
    _, inputs = scoring._inputs(spec, table.columns, passing, table.platforms, rule, aov)

    low, high = scoring._goodness_brackets(spec, inputs, rule)
    goodness = scoring._posterior_of(spec, inputs, rule, aov, None)["goodness"]

    computed = ~np.isnan(goodness)
    assert np.all(low[computed] <= goodness[computed])
    assert np.all(goodness[computed] <= high[computed])
    # A piece whose exact figure is undefined is always a candidate.
    assert np.all(np.isinf(high[~computed]))


@pytest.mark.parametrize("metric", ["ctr", "cost_per_conversion", "roas"])
def test_every_pieces_interval_in_a_full_ranking_is_the_one_it_gets_alone(metric):
    """The interval's ends are computed where read, one piece at a time and then the whole
    column at once (a full ranking reads them all): both ways give the same figures."""
    pieces = _pool(9, 300)
    spec = RuleSpec(metric=metric, top_n=300)

    full = rank_pieces(pieces, spec, diverse_distance=-1)

    assert len(full.references) > 250
    for k in range(0, 40, 4):
        # Read alone: the k-th piece is first once the pieces above it are excluded (the
        # priors are fitted with them all the same), and its ends are computed one by one.
        above = [r.piece.image_id for r in full.references[:k]]
        alone = rank_pieces(
            pieces, replace(spec, top_n=1), diverse_distance=-1, exclude_image_ids=above
        ).references[0]
        ref = full.references[k]
        assert alone.piece.image_id == ref.piece.image_id
        assert (alone.estimate.lower, alone.estimate.upper) == (
            ref.estimate.lower,
            ref.estimate.upper,
        )
    assert all(r.estimate.lower <= r.estimate.upper for r in full.references)
