"""Rank pieces for a rule: gate, shrink, bound, diversify (near-copies folded beforehand).

Plain Python with dataclasses in and out; the selector feeds it figures aggregated in SQL, as a
PieceTable (campaigns.ranking.pieces).

Why shrinkage: a piece with 3 clicks out of 40 impressions shows a 7.5 % CTR that is mostly luck.
Each piece's rate is estimated with an empirical-Bayes prior fitted on every piece of the same
node and objective, and pieces are ordered by a cautious figure of that estimate: the value
each piece reaches with 80 % certainty (at least that CTR, at most that cost), so thin
evidence cannot win. The card shows it beside the estimate and its 90 % range.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from campaigns.ranking.metrics import METRICS, MetricSpec, Model
from campaigns.ranking.pieces import FOLD_DISTANCE, PieceFigures, PieceTable, piece_table

# Perceptual-hash distance (bits of 64) that keeps the returned references visibly different.
DIVERSE_DISTANCE = 10

# How a rule's evidence minimums are read (RankingRule.minimums_mode stores the same words).
SCALED = "scaled"  # a share of the node × objective's median impressions in the window
ABSOLUTE = "absolute"  # the rule's fixed impressions, spend, clicks and conversions


# The lower-tail probability the order reads by default: each piece's figure with 80 % certainty.
ORDER_QUANTILE = 0.20


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
    # ABSOLUTE reads the min_* figures above; SCALED ignores them and asks each piece for
    # `min_share_of_median` percent of the group's median impressions, so the bar follows the
    # account's size: a fixed 1,000 impressions lets in one piece in eight of a small account.
    minimums: str = ABSOLUTE
    min_share_of_median: float = 0.0
    # The posterior quantile the order reads, in the metric's good direction: the cautious
    # figure every reason shows ("at least 2.3 % with 80 % certainty"). 0.20 measured closest
    # to the best achievable precision@4 of the quantiles that keep thin evidence out, with
    # the rule's gate and the full prior, on six demo seeds (bench/ranking_quality.py
    # --orders; docs/ranking.md, "The statistics"). None: the shown interval's own end
    # (0.05 at 90 %), the order before.
    order_quantile: float | None = ORDER_QUANTILE
    # How much the fitted prior weighs, as a multiple of its method-of-moments strength.
    prior_weight: float = 1.0

    @property
    def order_tail(self) -> float:
        """The lower-tail probability of the rate the order is read at."""
        if self.order_quantile is None:
            return (1 - self.credible_level) / 2
        return self.order_quantile

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
    # The cautious figure over the typical one, in "higher is better" orientation: the order.
    goodness: float
    # What the piece is compared with, on the metric's own scale: the prior's mean (its
    # platform's, or the group's) that `goodness` is divided by. A reason names it, so the
    # order can be checked against the figure it comes from.
    typical: float | None = None
    # The cautious figure on the metric's own scale (at least this share or yield, at most
    # this cost) and the certainty it holds with (0.8): what `goodness` is made of.
    cautious: float | None = None
    certainty: float | None = None


@dataclass(frozen=True)
class Reference:
    # 1..top_n in the returned list; `position` is the place among every piece that passed
    # the gates (a near-identical piece skipped for diversity, or an excluded one, leaves a
    # gap): the number the full ranking gives it. A brief's reasons show `order`.
    order: int
    position: int
    piece: PieceFigures
    estimate: Estimate
    tie_break: float | None = None
    # The platforms whose typical figure the piece was compared with; empty: the whole group's.
    compared_with: tuple[str, ...] = ()


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


# --- priors and posteriors ----------------------------------------------------------------


def _columns(pieces: Sequence[PieceFigures]) -> dict[str, np.ndarray]:
    """Return each figure as one numpy column, read once for all the maths below."""
    return PieceTable.from_pieces(pieces).columns


def _num_den(spec: MetricSpec, cols: dict[str, np.ndarray], aov: float):
    num, den = cols[spec.numerator], cols[spec.denominator]
    if spec.model is Model.YIELD:
        num = num / aov
    return num, den


def _average_order_value(cols: dict[str, np.ndarray]) -> float:
    value, conversions = float(cols["conversion_value"].sum()), float(cols["conversions"].sum())
    if value <= 0 or conversions <= 0:
        return 1.0
    return value / conversions


def fit_prior(spec: MetricSpec, pieces: Sequence[PieceFigures], aov: float = 1.0) -> Prior:
    """Fit the group prior by the method of moments, net of each piece's sampling noise."""
    return _fit(spec, *_num_den(spec, _columns(pieces), aov))


def _fit(spec: MetricSpec, num: np.ndarray, den: np.ndarray) -> Prior:
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
        return Prior(mean=mean, strength=_weak_strength(mean, total_den, len(den)))
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
    floor = _weak_strength(mean, total_den, len(den))
    return Prior(mean=mean, strength=float(max(strength, floor)))


def _weak_strength(mean: float, total_den: float, count: int) -> float:
    """Return a prior worth two events, but never more exposure than an average piece.

    Enough to stop a lucky handful of events; weak enough for real evidence to move it.
    """
    average_exposure = total_den / max(count, 1)
    if mean <= 0:
        return max(average_exposure, 1.0)
    return max(min(2.0 / mean, average_exposure), 1e-9)


# A platform needs this many single-platform pieces in the group for a prior of its own.
MIN_PLATFORM_PIECES = 5


def _platform_priors(
    spec: MetricSpec,
    num: np.ndarray,
    den: np.ndarray,
    platforms: Sequence[tuple[str, ...]],
    group: Prior,
) -> tuple[np.ndarray, np.ndarray, list[tuple[str, ...]]]:
    """Return each piece's prior mean and strength: its platform's, else the group's, and
    the platforms whose prior it took (empty: the group's).

    Platforms differ more than pieces do (a LinkedIn click costs twice a Meta one), so a piece
    is compared with what its own platform makes typical. A piece shown on several platforms
    takes the average of theirs.
    """
    # One code per distinct platform set, so the per-piece work is numpy indexing.
    codes: dict[tuple[str, ...], int] = {}
    code_of = np.fromiter(
        (codes.setdefault(own, len(codes)) for own in platforms),
        dtype=np.int64,
        count=len(platforms),
    )
    sets = list(codes)
    fitted = {}
    for code, own in enumerate(sets):
        if len(own) == 1:
            index = np.flatnonzero(code_of == code)
            if len(index) >= MIN_PLATFORM_PIECES:
                fitted[own[0]] = _fit(spec, num[index], den[index])
    means, strengths, compared = [], [], []
    for own in sets:
        names = tuple(p for p in own if p in fitted and fitted[p].mean > 0)
        usable = [fitted[p] for p in names]
        if usable:
            means.append(sum(p.mean for p in usable) / len(usable))
            strengths.append(sum(p.strength for p in usable) / len(usable))
        else:
            means.append(group.mean)
            strengths.append(group.strength)
        compared.append(names)
    return (
        np.array(means)[code_of],
        np.array(strengths)[code_of],
        [compared[code] for code in code_of.tolist()],
    )


def _posterior(
    spec: MetricSpec,
    num: np.ndarray,
    den: np.ndarray,
    raw_num: np.ndarray,
    mean: np.ndarray,
    strength: np.ndarray,
    *,
    level: float,
    aov: float,
    order_q: float | None = None,
) -> dict[str, np.ndarray]:
    """Return point, lower, upper, observed and goodness columns on the metric's own scale.

    `goodness` is the cautious figure (the rate's quantile at lower tail `order_q`) divided
    by the prior's mean: how far a piece beats what its group (or platform) makes typical, so
    pieces with different priors compare fairly. `cautious` is that quantile on the metric's
    own scale (a cost's is the most it costs at that certainty), `certainty` 1 − `order_q`
    (NaN when no order is asked for: an estimate outside a ranking shows no cautious figure).
    The interval's ends are computed only where read when the order reads another quantile.
    """
    # Imported here, not at the top: scipy.special costs ~0.3–1 s to import, on every Django
    # process start that imports the ranking, for work most requests never do.
    from scipy import special

    lo_q, hi_q = (1 - level) / 2, 1 - (1 - level) / 2
    # An estimate outside a ranking (no order) has no cautious figure to show.
    certainty = np.nan if order_q is None else 1 - order_q
    order_q = lo_q if order_q is None else order_q
    typical = np.where(mean > 0, mean, 1.0)
    nan = np.full_like(den, np.nan)
    if spec.model is Model.SHARE:
        num = np.minimum(num, den)
        a, b = _parameters(spec, num, den, mean, strength)
        # The beta and gamma quantiles, called directly: the scipy.stats wrappers cost more
        # than the maths for a few thousand pieces.
        ordered = special.betaincinv(a, b, order_q)
        return {
            "point": a / (a + b),
            "lower": ordered
            if order_q == lo_q
            else _Lazy(lambda i: special.betaincinv(a[i], b[i], lo_q)),
            "upper": _Lazy(lambda i: special.betaincinv(a[i], b[i], hi_q)),
            "observed": np.divide(num, den, out=nan.copy(), where=den > 0),
            "goodness": ordered / typical,
            "typical": mean,
            "cautious": ordered,
            "certainty": certainty,
        }
    shape, rate = _parameters(spec, num, den, mean, strength)
    lam_mean = shape / rate
    lam_order = special.gammaincinv(shape, order_q) / rate

    # `i`: one position, or a slice for the whole column (see _Lazy).
    def lam_lo(i):
        return lam_order[i] if order_q == lo_q else special.gammaincinv(shape[i], lo_q) / rate[i]

    def lam_hi(i):
        return special.gammaincinv(shape[i], hi_q) / rate[i]

    if spec.model is Model.YIELD:
        return {
            "point": lam_mean * aov,
            "lower": _Lazy(lambda i: lam_lo(i) * aov),
            "upper": _Lazy(lambda i: lam_hi(i) * aov),
            "observed": np.divide(raw_num, den, out=nan.copy(), where=den > 0),
            "goodness": lam_order / typical,
            "typical": mean * aov,
            "cautious": lam_order * aov,
            "certainty": certainty,
        }
    # A cost is the inverse of its rate: the rate's upper bound gives the cost's lower one.
    with np.errstate(divide="ignore"):
        return {
            "point": spec.scale / lam_mean,
            "lower": _Lazy(lambda i: _cost_of(spec.scale, lam_hi(i))),
            "upper": _Lazy(lambda i: _cost_of(spec.scale, lam_lo(i))),
            "observed": np.divide(spec.scale * den, raw_num, out=nan.copy(), where=raw_num > 0),
            "goodness": lam_order / typical,
            # The typical cost: the inverse of the typical rate.
            "typical": np.divide(spec.scale, mean, out=nan.copy(), where=mean > 0),
            # The most the piece costs with that certainty: the inverse of its cautious rate.
            "cautious": _cost_of(spec.scale, lam_order),
            "certainty": certainty,
        }


def _parameters(
    spec: MetricSpec, num: np.ndarray, den: np.ndarray, mean: np.ndarray, strength: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The posterior's parameters: a share's beta (a, b), a rate's gamma (shape, rate). The
    exact bounds and their brackets both read them here, so they describe one distribution."""
    if spec.model is Model.SHARE:
        num = np.minimum(num, den)
        return mean * strength + num, (1 - mean) * strength + (den - num)
    return mean * strength + num, strength + den


def _cost_of(scale: float, rate):
    """A cost from its events-per-spend rate (one or a column): infinite where no events."""
    rate = np.asarray(rate, dtype=float)
    return np.where(rate > 0, scale / np.where(rate > 0, rate, 1.0), np.inf)


class _Lazy:
    """A column computed only where read: the interval's ends are needed for references alone.

    `compute(i)` takes a position or a slice. After `SINGLE_READS` positions it computes the
    whole column at once: a full ranking (the insights) reads every piece's, and one
    vectorised call costs less than thousands of scalar ones.
    """

    SINGLE_READS = 16

    def __init__(self, compute) -> None:
        self.compute = compute
        self.reads = 0
        self.column: np.ndarray | None = None

    def __getitem__(self, i: int) -> float:
        if self.column is None:
            self.reads += 1
            if self.reads <= self.SINGLE_READS:
                return float(self.compute(i))
            self.column = np.asarray(self.compute(slice(None)), dtype=float)
        return float(self.column[i])


def _estimate_at(columns: dict[str, np.ndarray], i: int) -> Estimate:
    observed = float(columns["observed"][i])
    typical = float(columns["typical"][i])
    cautious = float(columns["cautious"][i])
    certainty = float(columns["certainty"])
    shown = np.isfinite(cautious) and np.isfinite(certainty)
    return Estimate(
        point=float(columns["point"][i]),
        lower=float(columns["lower"][i]),
        upper=float(columns["upper"][i]),
        observed=None if np.isnan(observed) else observed,
        goodness=float(columns["goodness"][i]),
        typical=None if np.isnan(typical) or typical <= 0 else typical,
        cautious=cautious if shown else None,
        certainty=certainty if shown else None,
    )


def estimate_pieces(
    spec: MetricSpec,
    pieces: Sequence[PieceFigures],
    prior: Prior | Sequence[Prior],
    *,
    level: float,
    aov: float = 1.0,
) -> list[Estimate]:
    """Return each piece's posterior estimate; `prior` is one for all or one per piece."""
    if not pieces:
        return []
    priors = [prior] * len(pieces) if isinstance(prior, Prior) else list(prior)
    cols = _columns(pieces)
    num, den = _num_den(spec, cols, aov)
    columns = _posterior(
        spec,
        num,
        den,
        cols[spec.numerator],
        np.array([p.mean for p in priors], dtype=float),
        np.array([p.strength for p in priors], dtype=float),
        level=level,
        aov=aov,
    )
    return [_estimate_at(columns, i) for i in range(len(pieces))]


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


@dataclass(frozen=True)
class _Inputs:
    """The posterior's inputs for the pieces that passed the gates (positions in `passing`):
    their events and exposure, and the prior each is shrunk to."""

    num: np.ndarray
    den: np.ndarray
    raw: np.ndarray
    mean: np.ndarray
    strength: np.ndarray  # already weighted by the rule's prior_weight
    compared: list[tuple[str, ...]]


def _inputs(
    spec: MetricSpec,
    cols: dict[str, np.ndarray],
    passing: np.ndarray,
    platforms: list[tuple[str, ...]],
    rule: RuleSpec,
    aov: float,
) -> tuple[Prior, _Inputs]:
    """Fit the prior on every piece, then each passing piece's own (its platform's, or the
    group's), and say which platforms each is compared with (empty: the group)."""
    num, den = _num_den(spec, cols, aov)
    prior = _fit(spec, num, den)
    p_num, p_den = num[passing], den[passing]
    if rule.within_platform:
        mean, strength, compared = _platform_priors(
            spec, p_num, p_den, [platforms[i] for i in passing], prior
        )
    else:
        mean = np.full(len(passing), prior.mean)
        strength = np.full(len(passing), prior.strength)
        compared = [()] * len(passing)
    raw = cols[spec.numerator][passing]
    return prior, _Inputs(p_num, p_den, raw, mean, strength * rule.prior_weight, compared)


def _posterior_of(
    spec: MetricSpec, inputs: _Inputs, rule: RuleSpec, aov: float, only: np.ndarray | None
) -> dict[str, np.ndarray]:
    """The posterior columns of the pieces at `only` (positions in `passing`; None: all),
    in `only`'s order, under the priors fitted on all of them."""
    columns = (inputs.num, inputs.den, inputs.raw, inputs.mean, inputs.strength)
    if only is not None:
        columns = tuple(column[only] for column in columns)
    return _posterior(
        spec,
        *columns,
        level=rule.credible_level,
        aov=aov,
        order_q=rule.order_tail,
    )


def _goodness_brackets(
    spec: MetricSpec, inputs: _Inputs, rule: RuleSpec
) -> tuple[np.ndarray, np.ndarray]:
    """A bracket (low, high) around each passing piece's `goodness`, from its posterior's
    mean and variance alone: no quantile function.

    Cantelli's inequality holds for any distribution with mean μ and deviation σ: the
    quantile at tail probability q lies within [μ − σ·√((1−q)/q), μ + σ·√(q/(1−q))]. The beta
    (a share) and the gamma (a rate) have both in closed form. Each end is widened by a
    relative 1e-9, far above the quantile functions' rounding, so a bracket never excludes the
    figure they return; a degenerate posterior (no prior and no events) brackets everything.
    """
    q = rule.order_tail
    first, second = _parameters(spec, inputs.num, inputs.den, inputs.mean, inputs.strength)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if spec.model is Model.SHARE:
            a, b = first, second
            total = a + b
            mean = a / total
            deviation = np.sqrt(a * b / (total * total * (total + 1)))
            valid = (a > 0) & (b > 0)
        else:
            shape, rate = first, second
            mean = shape / rate
            deviation = np.sqrt(shape) / rate
            valid = (shape > 0) & (rate > 0)
        typical = np.where(inputs.mean > 0, inputs.mean, 1.0)
        low = np.maximum(mean - deviation * np.sqrt((1 - q) / q), 0.0) / typical
        high = (mean + deviation * np.sqrt(q / (1 - q))) / typical
    valid &= np.isfinite(low) & np.isfinite(high)
    low = np.where(valid, low * (1 - 1e-9) - 1e-300, -np.inf)
    high = np.where(valid, high * (1 + 1e-9) + 1e-300, np.inf)
    return low, high


# The candidates first asked for: enough for the references after diversity skips a few
# look-alikes (the set grows fourfold whenever it falls short; correct whatever the size).
CANDIDATES_PER_REFERENCE = 4
MIN_CANDIDATES = 16


def rank_pieces(
    pieces: Sequence[PieceFigures] | PieceTable,
    rule: RuleSpec,
    *,
    fold: bool = True,
    fold_distance: int = FOLD_DISTANCE,
    diverse_distance: int = DIVERSE_DISTANCE,
    exclude_image_ids: Iterable[int] = (),
    exact_for_all: bool = False,
) -> RankingResult:
    """Rank `pieces` under `rule`; the same input always gives the same output.

    A PieceTable (what the readers return) is ranked as it is: sorted, already folded. A list
    is sorted and, unless `fold=False`, its near-duplicates folded first. The maths runs on
    numpy columns; objects are built only for the references returned.

    `exclude_image_ids` (pieces an analyst excluded, by the image they are shown as) leave the
    list only: the priors are fitted and the counts made with them, so excluding one piece
    leaves every other piece's figures and relative order as they were. Refitting without it
    could move a whole platform to the group's prior (fewer than MIN_PLATFORM_PIECES left) and
    make a strong piece vanish.

    The exact bounds (the costly quantile functions) are computed only for the candidates that
    can reach the references (`_candidates`); `exact_for_all` computes every passing piece's,
    the reference the candidates are tested against. The answer is the same.
    """
    spec = rule.spec
    if isinstance(pieces, PieceTable):
        table = pieces
    else:
        table = piece_table(pieces, fold=fold, fold_distance=fold_distance)
    cols = table.columns
    aov = _average_order_value(cols)
    passing, gate_misses = _gate(spec, cols, rule)
    platforms = table.platforms
    prior, inputs = _inputs(spec, cols, passing, platforms, rule, aov)
    tie_spec = METRICS.get(rule.tie_break_metric) if rule.tie_break_metric else None
    tie_inputs: _Inputs | None = None
    ids = table.image_ids[passing]
    excluded = set(exclude_image_ids)
    brackets = None if exact_for_all else _goodness_brackets(spec, inputs, rule)
    wanted = rule.top_n + (int(np.isin(ids, list(excluded)).sum()) if excluded else 0)
    size = max(MIN_CANDIDATES, CANDIDATES_PER_REFERENCE * wanted)
    while True:
        # `candidates`: positions in `passing` (None: every one). The first `sure` places of
        # their order are the first places of the order over every passing piece.
        candidates, threshold = _candidates(brackets, size)
        main = _posterior_of(spec, inputs, rule, aov, candidates)
        goodness = main["goodness"]
        at = np.arange(len(passing)) if candidates is None else candidates
        sure = len(at) if threshold is None else int(np.count_nonzero(goodness >= threshold))
        # The tie-break only matters between pieces equal on the success metric: it is
        # computed for those pieces alone. Equal pieces are both candidates or both not (a
        # piece left out is strictly below every sure place).
        tied = _tied(goodness) if tie_spec else np.zeros(len(at), dtype=bool)
        tie = np.full(len(at), np.nan)
        tie_key = np.zeros(len(at))
        if tied.any():
            if tie_inputs is None:
                tie_inputs = _inputs(tie_spec, cols, passing, platforms, rule, aov)[1]
            need = np.flatnonzero(tied)
            tie[need] = _posterior_of(tie_spec, tie_inputs, rule, aov, at[need])["goodness"]
            has_tie = cols[tie_spec.denominator][passing[at]] > 0
            tie_key = np.where(has_tie & tied, tie, 0.0)
        # Best goodness first, then the tie-break, then the lowest image id: deterministic.
        order = np.lexsort((ids[at], -tie_key, -goodness))
        picked = _diverse_picks(
            order[:sure],
            table=table,
            passing=passing[at],
            ids=ids[at],
            excluded=excluded,
            top_n=rule.top_n,
            diverse_distance=diverse_distance,
        )
        if len(picked) >= rule.top_n or candidates is None:
            break
        # Look-alikes or exclusions used up the sure places: ask for more candidates.
        size *= CANDIDATES_PER_REFERENCE
    references: list[Reference] = []
    for position, k in picked:
        has_tie = bool(tied[k]) and cols[tie_spec.denominator][passing[at[k]]] > 0
        references.append(
            Reference(
                order=len(references) + 1,
                position=position,
                piece=table.piece(int(passing[at[k]])),
                estimate=_estimate_at(main, k),
                tie_break=float(tie[k]) if has_tie else None,
                compared_with=inputs.compared[at[k]],
            )
        )
    return RankingResult(
        metric=rule.metric,
        references=references,
        considered=len(table),
        passed=len(passing),
        gate_misses=gate_misses,
        prior=prior,
        folded=table.folded,
    )


def _candidates(
    brackets: tuple[np.ndarray, np.ndarray] | None, size: int
) -> tuple[np.ndarray | None, float | None]:
    """The pieces whose bracket reaches the `size`-th highest low end, and that low end.

    Those `size` pieces are sure to score at least the threshold; a piece whose high end is
    below it scores less than each of them, so it can neither be among them nor come between
    them. None, None: every piece (no brackets, too few pieces, or a bracket unbounded).
    """
    if brackets is None:
        return None, None
    low, high = brackets
    if size >= len(low):
        return None, None
    threshold = float(np.partition(low, len(low) - size)[len(low) - size])
    if not np.isfinite(threshold):
        return None, None
    return np.flatnonzero(~(high < threshold)), threshold


def _tied(goodness: np.ndarray) -> np.ndarray:
    """Whether each piece has the same goodness as another (NaNs equal each other, as the
    sort treats them)."""
    by_goodness = np.argsort(goodness, kind="stable")
    ranked = goodness[by_goodness]
    equal = (ranked[1:] == ranked[:-1]) | (np.isnan(ranked[1:]) & np.isnan(ranked[:-1]))
    tied = np.zeros(len(goodness), dtype=bool)
    tied[by_goodness[1:][equal]] = True
    tied[by_goodness[:-1][equal]] = True
    return tied


def _diverse_picks(
    order: np.ndarray,
    *,
    table: PieceTable,
    passing: np.ndarray,
    ids: np.ndarray,
    excluded: set[int],
    top_n: int,
    diverse_distance: int,
) -> list[tuple[int, int]]:
    """(place, index) of the first `top_n` pieces of `order` that are not excluded and do not
    look like one picked before; the place counts every piece of the order (a gap where one
    was skipped)."""
    picked: list[tuple[int, int]] = []
    picked_hashes: list[int] = []
    for position, k in enumerate(order.tolist(), start=1):
        if len(picked) >= top_n:
            break
        if excluded and int(ids[k]) in excluded:
            continue
        h = int(table.phashes[passing[k]], 16)
        if any((h ^ other).bit_count() <= diverse_distance for other in picked_hashes):
            continue
        picked_hashes.append(h)
        picked.append((position, k))
    return picked


def _gate(
    spec: MetricSpec, cols: dict[str, np.ndarray], rule: RuleSpec
) -> tuple[np.ndarray, list[GateMiss]]:
    """Return the positions of the pieces that pass the rule's minimums, and what the rest
    missed (each piece counted at its first missed gate; no exposure at all counts last)."""
    missed = np.zeros(len(cols[spec.denominator]), dtype=bool)
    gate_misses = []
    for figure, minimum in _minimums(cols, rule):
        if minimum:
            fails = ~missed & (cols[figure] < minimum)
            if fails.any():
                gate_misses.append(GateMiss(figure, minimum, int(fails.sum())))
            missed |= fails
    no_exposure = ~missed & (cols[spec.denominator] <= 0)
    if no_exposure.any():
        gate_misses.append(GateMiss(spec.denominator, 0.0, int(no_exposure.sum())))
    return np.nonzero(~missed & ~no_exposure)[0], gate_misses


def scaled_minimum(impressions: np.ndarray, share_percent: float) -> float:
    """Return the impressions a piece needs under a scaled rule: `share_percent` of the median
    of the pieces that were seen at all, rounded up to a whole impression.

    The median, not the mean: one always-on piece with millions of impressions would otherwise
    lift the bar over every other piece of a small account.
    """
    seen = impressions[impressions > 0]
    if not len(seen) or share_percent <= 0:
        return 0.0
    return float(np.ceil(float(np.median(seen)) * share_percent / 100))


def _minimums(cols: dict[str, np.ndarray], rule: RuleSpec) -> list[tuple[str, float]]:
    """Each gated figure and the least a piece needs of it, under the rule's mode."""
    if rule.minimums == SCALED:
        return [("impressions", scaled_minimum(cols["impressions"], rule.min_share_of_median))]
    return [(figure, float(getattr(rule, attr))) for figure, attr in GATES]
