"""Rank pieces for a rule: fold near-duplicates, gate, shrink, bound, diversify.

Plain Python with dataclasses in and out; the selector feeds it figures aggregated in SQL.

Why shrinkage: a piece with 3 clicks out of 40 impressions shows a 7.5 % CTR that is mostly luck.
Each piece's rate is estimated with an empirical-Bayes prior fitted on every piece of the same
node and objective, and pieces are ordered by a conservative bound of that estimate (the lower
credible bound of what is good, the upper bound of a cost), so thin evidence cannot win.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np
from scipy import stats

from campaigns.ranking.metrics import METRICS, MetricSpec, Model

# Perceptual-hash distances (bits of 64). Re-encodes and small crops of one image stay within
# FOLD; unrelated pictures sit near 32. DIVERSE keeps the returned set visibly different.
FOLD_DISTANCE = 6
DIVERSE_DISTANCE = 12

COUNT_FIELDS = (
    "impressions",
    "clicks",
    "link_clicks",
    "conversions",
    "leads",
    "video_views",
    "engagements",
)


@dataclass(frozen=True)
class PieceFigures:
    """One image's results within the rule's scope; money is in the reporting currency."""

    image_id: int
    phash: str
    impressions: float = 0
    clicks: float = 0
    link_clicks: float = 0
    spend: float = 0.0
    conversions: float = 0.0
    conversion_value: float = 0.0
    leads: float = 0
    video_views: float = 0
    engagements: float = 0
    days: int = 0
    platforms: tuple[str, ...] = ()
    # The images folded into this piece; empty means just `image_id`.
    member_image_ids: tuple[int, ...] = ()

    @property
    def members(self) -> tuple[int, ...]:
        return self.member_image_ids or (self.image_id,)

    def value(self, name: str) -> float:
        return float(getattr(self, name))


@dataclass(frozen=True)
class RuleSpec:
    metric: str
    min_impressions: int = 0
    min_spend: float = 0.0
    min_clicks: int = 0
    min_conversions: float = 0.0
    top_n: int = 4
    tie_break_metric: str = ""
    credible_level: float = 0.90
    # Judge each piece against its own platform's average: a LinkedIn CTR is not a Meta CTR.
    within_platform: bool = True
    version: int = 1

    @property
    def spec(self) -> MetricSpec:
        return METRICS[self.metric]


@dataclass(frozen=True)
class Prior:
    """The node × objective prior, as a mean and a strength in pseudo-trials or pseudo-spend."""

    mean: float
    strength: float


@dataclass(frozen=True)
class Estimate:
    point: float
    lower: float
    upper: float
    observed: float | None
    # The conservative bound in "higher is better" orientation, used for ordering.
    goodness: float


@dataclass(frozen=True)
class Reference:
    # 1..top_n in the returned list; `position` is the place among every piece that passed
    # the gates (a near-identical piece skipped for diversity leaves a gap).
    order: int
    position: int
    piece: PieceFigures
    estimate: Estimate
    tie_break: float | None = None


@dataclass(frozen=True)
class GateMiss:
    gate: str
    minimum: float
    missed: int


@dataclass(frozen=True)
class RankingResult:
    metric: str
    references: list[Reference]
    considered: int
    passed: int
    gate_misses: list[GateMiss] = field(default_factory=list)
    prior: Prior | None = None
    folded: int = 0


# --- near-duplicates ----------------------------------------------------------------------


def _phash_ints(pieces: Sequence[PieceFigures]) -> np.ndarray:
    return np.array([int(p.phash, 16) for p in pieces], dtype=np.uint64)


def fold_near_duplicates(
    pieces: Sequence[PieceFigures], *, distance: int = FOLD_DISTANCE
) -> list[PieceFigures]:
    """Merge pieces whose images are near-identical into one piece with summed figures.

    The merged piece is shown as its member with the most impressions.
    """
    n = len(pieces)
    if n == 0:
        return []
    hashes = _phash_ints(pieces)
    parent = list(range(n))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    # Compare in blocks of rows against every later piece: one numpy pass per block instead of
    # one per piece; a block of 512 × 20,000 hashes is 80 MB of uint64 at worst.
    for start in range(0, n, 512):
        block = hashes[start : start + 512, None] ^ hashes[None, :]
        rows, cols = np.nonzero(np.bitwise_count(block) <= distance)
        rows += start
        for i, j in zip(rows.tolist(), cols.tolist(), strict=True):
            if j <= i:
                continue
            ri, rj = find(i), find(j)
            if ri != rj:
                parent[max(ri, rj)] = min(ri, rj)

    groups: dict[int, list[PieceFigures]] = {}
    for i, piece in enumerate(pieces):
        groups.setdefault(find(i), []).append(piece)
    folded = []
    for members in groups.values():
        if len(members) == 1:
            folded.append(members[0])
            continue
        lead = max(members, key=lambda p: (p.impressions, -p.image_id))
        summed = {
            name: sum(getattr(p, name) for p in members)
            for name in (*COUNT_FIELDS, "spend", "conversion_value")
        }
        folded.append(
            replace(
                lead,
                **summed,
                # Days overlap when near-duplicates ran together: the longest run is honest.
                days=max(p.days for p in members),
                platforms=tuple(sorted({pl for p in members for pl in p.platforms})),
                member_image_ids=tuple(sorted(p.image_id for p in members)),
            )
        )
    return folded


# --- priors and posteriors ----------------------------------------------------------------


def _events_and_exposure(spec: MetricSpec, pieces: Sequence[PieceFigures], aov: float):
    num = np.array([p.value(spec.numerator) for p in pieces], dtype=float)
    den = np.array([p.value(spec.denominator) for p in pieces], dtype=float)
    if spec.model is Model.YIELD:
        num = num / aov
    return num, den


def _average_order_value(pieces: Sequence[PieceFigures]) -> float:
    value = sum(p.conversion_value for p in pieces)
    conversions = sum(p.conversions for p in pieces)
    if value <= 0 or conversions <= 0:
        return 1.0
    return value / conversions


def fit_prior(spec: MetricSpec, pieces: Sequence[PieceFigures], aov: float = 1.0) -> Prior:
    """Fit the group prior by the method of moments, net of each piece's sampling noise."""
    num, den = _events_and_exposure(spec, pieces, aov)
    keep = den > 0
    num, den = num[keep], den[keep]
    if spec.model is Model.SHARE:
        num = np.minimum(num, den)
    total_den = float(den.sum())
    if total_den <= 0:
        return Prior(mean=0.0, strength=1.0)
    mean = float(num.sum()) / total_den
    if spec.model is Model.SHARE:
        mean = min(max(mean, 1e-7), 1 - 1e-7)
    if len(den) < 2 or mean <= 0:
        # One piece (or no events at all) says nothing about spread: a weak prior.
        return Prior(mean=mean, strength=_weak_strength(spec, mean, total_den, len(den)))
    rates = num / den
    observed_var = float(np.sum(den * (rates - mean) ** 2) / total_den)
    if spec.model is Model.SHARE:
        noise = mean * (1 - mean) * len(den) / total_den
        between = max(observed_var - noise, mean * (1 - mean) * 1e-6)
        strength = mean * (1 - mean) / between - 1
    else:
        noise = mean * len(den) / total_den
        between = max(observed_var - noise, mean * mean * 1e-6)
        strength = mean / between  # gamma rate β: pseudo-exposure
    floor = _weak_strength(spec, mean, total_den, len(den))
    return Prior(mean=mean, strength=float(max(strength, floor)))


# A platform needs this many single-platform pieces in the group for a prior of its own.
MIN_PLATFORM_PIECES = 5


def platform_priors(
    spec: MetricSpec, pieces: Sequence[PieceFigures], group: Prior, aov: float = 1.0
) -> list[Prior]:
    """Return each piece's prior: its platform's, fitted within the group, else the group's.

    Platforms differ more than pieces do (a LinkedIn click costs twice a Meta one), so a piece
    is compared with what its own platform makes typical. A piece shown on several platforms
    takes the average of theirs.
    """
    by_platform: dict[str, list[PieceFigures]] = {}
    for piece in pieces:
        if len(piece.platforms) == 1:
            by_platform.setdefault(piece.platforms[0], []).append(piece)
    fitted = {
        platform: fit_prior(spec, members, aov)
        for platform, members in by_platform.items()
        if len(members) >= MIN_PLATFORM_PIECES
    }
    priors = []
    for piece in pieces:
        own = [fitted[p] for p in piece.platforms if p in fitted and fitted[p].mean > 0]
        if not own:
            priors.append(group)
            continue
        priors.append(
            Prior(
                mean=sum(p.mean for p in own) / len(own),
                strength=sum(p.strength for p in own) / len(own),
            )
        )
    return priors


def _weak_strength(spec: MetricSpec, mean: float, total_den: float, count: int) -> float:
    """Return a prior worth two events, but never more exposure than an average piece.

    Enough to stop a lucky handful of events; weak enough for real evidence to move it.
    """
    average_exposure = total_den / max(count, 1)
    if mean <= 0:
        return max(average_exposure, 1.0)
    return max(min(2.0 / mean, average_exposure), 1e-9)


def estimate_pieces(
    spec: MetricSpec,
    pieces: Sequence[PieceFigures],
    prior: Prior | Sequence[Prior],
    *,
    level: float,
    aov: float = 1.0,
) -> list[Estimate]:
    """Return each piece's posterior point estimate and credible interval, on the metric's scale.

    `prior` is one prior for all pieces or one per piece. Each estimate's `goodness` is its
    conservative bound divided by its prior's mean: how far the piece beats what its group (or
    its platform) makes typical, so pieces with different priors compare fairly.

    Vectorised: one call of the quantile functions for all pieces keeps a brief's ranking in
    milliseconds with thousands of pieces.
    """
    if not pieces:
        return []
    priors = [prior] * len(pieces) if isinstance(prior, Prior) else list(prior)
    mean = np.array([p.mean for p in priors], dtype=float)
    strength = np.array([p.strength for p in priors], dtype=float)
    lo_q, hi_q = (1 - level) / 2, 1 - (1 - level) / 2
    num, den = _events_and_exposure(spec, pieces, aov)
    typical = np.where(mean > 0, mean, 1.0)
    if spec.model is Model.SHARE:
        num = np.minimum(num, den)
        a = mean * strength + num
        b = (1 - mean) * strength + (den - num)
        point = a / (a + b)
        lower = stats.beta.ppf(lo_q, a, b)
        upper = stats.beta.ppf(hi_q, a, b)
        observed = np.divide(num, den, out=np.full_like(num, np.nan), where=den > 0)
        return [
            Estimate(float(p), float(lo), float(hi), _maybe(o), goodness=float(g))
            for p, lo, hi, o, g in zip(point, lower, upper, observed, lower / typical, strict=True)
        ]

    shape = mean * strength + num
    rate = strength + den
    lam_mean = shape / rate
    lam_lo = stats.gamma.ppf(lo_q, shape, scale=1 / rate)
    lam_hi = stats.gamma.ppf(hi_q, shape, scale=1 / rate)
    raw_num = np.array([p.value(spec.numerator) for p in pieces], dtype=float)
    if spec.model is Model.YIELD:
        observed = np.divide(raw_num, den, out=np.full_like(den, np.nan), where=den > 0)
        return [
            Estimate(float(m * aov), float(lo * aov), float(hi * aov), _maybe(o), float(g))
            for m, lo, hi, o, g in zip(
                lam_mean, lam_lo, lam_hi, observed, lam_lo / typical, strict=True
            )
        ]
    with np.errstate(divide="ignore"):
        point = spec.scale / lam_mean
        lower = np.where(lam_hi > 0, spec.scale / lam_hi, np.inf)
        upper = np.where(lam_lo > 0, spec.scale / lam_lo, np.inf)
    observed = np.divide(
        spec.scale * den, raw_num, out=np.full_like(den, np.nan), where=raw_num > 0
    )
    return [
        Estimate(float(p), float(lo), float(hi), _maybe(o), goodness=float(g))
        for p, lo, hi, o, g in zip(point, lower, upper, observed, lam_lo / typical, strict=True)
    ]


def _maybe(value: float) -> float | None:
    return None if np.isnan(value) else float(value)


def estimate_piece(
    spec: MetricSpec, piece: PieceFigures, prior: Prior, *, level: float, aov: float = 1.0
) -> Estimate:
    """Return one piece's estimate (see estimate_pieces)."""
    return estimate_pieces(spec, [piece], prior, level=level, aov=aov)[0]


# --- gates, ordering, diversity -----------------------------------------------------------

GATES = (
    ("impressions", "min_impressions"),
    ("spend", "min_spend"),
    ("clicks", "min_clicks"),
    ("conversions", "min_conversions"),
)


def _first_missed_gate(piece: PieceFigures, rule: RuleSpec) -> str | None:
    for figure, attr in GATES:
        minimum = getattr(rule, attr)
        if minimum and piece.value(figure) < minimum:
            return figure
    return None


def rank_pieces(
    pieces: Sequence[PieceFigures],
    rule: RuleSpec,
    *,
    fold_distance: int = FOLD_DISTANCE,
    diverse_distance: int = DIVERSE_DISTANCE,
) -> RankingResult:
    """Rank `pieces` under `rule`; the same input always gives the same output."""
    spec = rule.spec
    ordered_input = sorted(pieces, key=lambda p: p.image_id)
    folded = fold_near_duplicates(ordered_input, distance=fold_distance)
    aov = _average_order_value(folded)
    prior = fit_prior(spec, folded, aov)

    misses: dict[str, int] = {}
    passing: list[PieceFigures] = []
    for piece in folded:
        missed = _first_missed_gate(piece, rule)
        if missed is None and piece.value(spec.denominator) > 0:
            passing.append(piece)
        elif missed is not None:
            misses[missed] = misses.get(missed, 0) + 1
        else:
            misses[spec.denominator] = misses.get(spec.denominator, 0) + 1

    priors: Prior | list[Prior] = prior
    if rule.within_platform:
        priors = platform_priors(spec, passing, prior, aov)
    estimates = estimate_pieces(spec, passing, priors, level=rule.credible_level, aov=aov)
    ties: list[float | None] = [None] * len(passing)
    tie_spec = METRICS.get(rule.tie_break_metric) if rule.tie_break_metric else None
    if tie_spec:
        tie_prior: Prior | list[Prior] = fit_prior(tie_spec, folded, aov)
        if rule.within_platform:
            tie_prior = platform_priors(tie_spec, passing, tie_prior, aov)
        tie_estimates = estimate_pieces(
            tie_spec, passing, tie_prior, level=rule.credible_level, aov=aov
        )
        ties = [
            est.goodness if piece.value(tie_spec.denominator) > 0 else None
            for piece, est in zip(passing, tie_estimates, strict=True)
        ]
    scored = list(zip(passing, estimates, ties, strict=True))
    scored.sort(key=lambda item: (-item[1].goodness, -(item[2] or 0.0), item[0].image_id))

    references: list[Reference] = []
    picked_hashes: list[int] = []
    for position, (piece, est, tie) in enumerate(scored, start=1):
        if len(references) >= rule.top_n:
            break
        h = int(piece.phash, 16)
        if any((h ^ other).bit_count() <= diverse_distance for other in picked_hashes):
            continue
        picked_hashes.append(h)
        references.append(
            Reference(
                order=len(references) + 1,
                position=position,
                piece=piece,
                estimate=est,
                tie_break=tie,
            )
        )
    gate_misses = [
        GateMiss(gate=figure, minimum=float(getattr(rule, attr)), missed=misses[figure])
        for figure, attr in GATES
        if misses.get(figure)
    ]
    for figure, count in misses.items():
        if figure not in {g for g, _ in GATES}:
            gate_misses.append(GateMiss(gate=figure, minimum=0.0, missed=count))
    return RankingResult(
        metric=rule.metric,
        references=references,
        considered=len(folded),
        passed=len(passing),
        gate_misses=gate_misses,
        prior=prior,
        folded=len(ordered_input) - len(folded),
    )
