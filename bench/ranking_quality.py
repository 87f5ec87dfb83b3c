"""Score rankings against the demo history's hidden true quality.

    python bench/ranking_quality.py                    # demo seed 7, default size, SQLite
    python bench/ranking_quality.py --creatives 4000 --months 12
    python bench/ranking_quality.py --orders           # also the ordering candidates

Pieces are read through the product's own path (`rule_pieces`: the cumulative piece weeks,
near-copies folded once, whole weeks ending on the as-of day), so the figures are the product's.

For every node × objective of the demo history it ranks the pieces several ways and reports
precision@4 and NDCG@10 against the truth the demo wrote (`true_quality.json`):

- naive: sort by the observed value of the rule's metric (no minimums, no shrinkage);
- prototype: the original prototype's rule, the Euclidean distance to the ideal point
  (cost 0, the largest volume), unnormalised: awareness uses (CPM, impressions), every other
  objective the "consideration" pair (CPC, clicks); the prototype's "reach" pair
  (spend/reach, reach) has no counterpart, since Yenni never sums daily reach;
- yenni: the rule's ranking (minimums, near-duplicate folding, shrinkage, ordered by each
  piece's figure with 80 % certainty), with the rule's minimums as stored (the seeded rules:
  scaled, 5 % of the median impressions);
- fixed: the same rule with the fixed minimums the seeded rules had (1,000 impressions…);
- no-min: the same rule with no minimums at all: shrinkage alone against luck;
- best: the best achievable, an oracle that knows the demo's TRUE prior. For each group it ranks
  by the posterior mean of each piece's true quality given the count behind the rule's metric
  (clicks per impression for a CTR, leads per spend for a cost per lead…), with the true
  qualities of every image the demo drew for the group's node as a discrete prior (a sample of
  the distribution the generator draws from: `demo/images.py`, `_true_quality`) and the link
  from true quality to the metric's rate (log rate = platform term + slope × log quality)
  fitted on the full-volume pieces against the truth. It uses no more data than yenni, only
  knowledge yenni cannot have;
- best-set: a stricter oracle, the same with the group's own pieces' true qualities as the
  prior: it knows the very values to be found (in a 28-day window of twenty pieces, nearly
  which four are on top), more than any prior can; reported beside, never chosen on.

`--designs` also scores the gate designs and recency weightings that were measured before
choosing the defaults (issue 15 item 3): scaled shares of the median impressions, a calendar
half-life (the rule's recency setting) and weights on each piece's early weeks (a fatigue-aware
estimate), each against naive on the same pieces.

`--orders` scores the ordering candidates measured before keeping the default (issue 15
follow-up): the posterior quantile the order reads, the gate (none or the rule's) and the
prior's weight, each as its gap to the best achievable.

`--grid` scores a nonparametric prior fitted on each group (`bench/grid_prior_experiment.py`),
its posterior mean and the 5 % and 20 % quantiles, and a log-normal prior on the same grid
(fitted by marginal likelihood: μ and σ, σ alone with the mean at the platform's pooled rate,
or σ from the product's moments; with no gate, and with the rule's gate and the references'
look-alike skips), beside the best candidate of `--orders`;
`--ml-prior` the prior's weight fitted on each group by marginal likelihood
(`bench/ml_prior_experiment.py`); both measured, not adopted.

Scenarios: the rule's own window (a year: volumes are large), the last 28 days before the demo's
end, six 28-day windows four weeks apart averaged (one window is ~27 groups scored in quarters:
too coarse to choose on), and the year again at 2 % and 0.5 % of its volume (every count
thinned binomially, spend scaled; five draws each, averaged) — small accounts, where luck looks
like talent and shrinkage earns its keep.

Truth: a piece's hidden quality for an objective is what the objective pays for, taken from the
image's true rates — CTR for awareness, traffic and other (a better click-through rate also buys
cheaper impressions in the demo's auction), the engagement rate for engagement, CTR × lead rate
for leads, CTR × conversion rate for conversion. The relevant set is the top 10 % of the group's
pieces by truth (at least 4); NDCG uses the truth's percentile as the gain.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import statistics
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import ROOT, bench_parser, demo_history_load, django_setup, machine_load_printed

TRUTH = {
    "awareness": lambda t: t["ctr"],
    "traffic": lambda t: t["ctr"],
    "other": lambda t: t["ctr"],
    "engagement": lambda t: t["engagement_rate"],
    "leads": lambda t: t["ctr"] * t["lead_rate"],
    "conversion": lambda t: t["ctr"] * t["conversion_rate"],
}


def thin(pieces, share: float, seed: int):
    """Return the pieces as a smaller account would have seen them: counts thinned binomially."""
    import numpy as np

    rng = np.random.default_rng(seed)

    def draw(value: float) -> float:
        return float(rng.binomial(round(value), share))

    thinned = []
    for p in pieces:
        impressions = draw(p.impressions)
        thinned.append(
            replace(
                p,
                impressions=impressions,
                clicks=min(draw(p.clicks), impressions),
                link_clicks=min(draw(p.link_clicks), impressions),
                spend=p.spend * share,
                conversions=draw(p.conversions),
                conversion_value=p.conversion_value * share,
                leads=draw(p.leads),
                video_views=min(draw(p.video_views), impressions),
                engagements=min(draw(p.engagements), impressions),
            )
        )
    return thinned


def no_minimums(spec):
    """The same rule with its evidence minimums off: shrinkage alone against luck."""
    from campaigns.ranking.scoring import ABSOLUTE

    return replace(
        spec,
        minimums=ABSOLUTE,
        min_impressions=0,
        min_spend=0.0,
        min_clicks=0,
        min_conversions=0.0,
    )


def fixed_minimums(spec):
    """The same rule with the fixed minimums it stores (the seeded rules' 1,000 impressions…)."""
    from campaigns.ranking.scoring import ABSOLUTE

    return replace(spec, minimums=ABSOLUTE)


def scaled_minimums(spec, share: float):
    """The same rule asking each piece for `share` % of the group's median impressions."""
    from campaigns.ranking.scoring import SCALED

    return replace(spec, minimums=SCALED, min_share_of_median=share)


def best_order(
    drawn, full, metric: str, truth: dict[int, float], prior: list[float] | None = None
) -> list[int]:
    """The best achievable order: each piece's posterior mean of its true quality under the
    TRUE prior (see the module's docstring), given the count behind the rule's metric.

    `full` is the group at full volume, where the link from quality to the metric's rate is
    fitted; `drawn` the pieces as ranked (full or thinned: counts and money shrink together,
    so the rate per unit of exposure keeps its scale). `prior`: the true qualities the prior is
    made of (equally likely); None: the group's own (the best-set oracle).
    """
    import numpy as np

    from campaigns.ranking.metrics import METRICS

    spec = METRICS[metric]

    def counts(pieces) -> tuple[np.ndarray, np.ndarray]:
        return (
            np.array([p.value(spec.numerator) for p in pieces], dtype=float),
            np.array([p.value(spec.denominator) for p in pieces], dtype=float),
        )

    quality = np.array([truth[p.image_id] for p in full])
    sets = sorted({p.platforms for p in full})
    platform_of = np.array([sets.index(p.platforms) for p in full])
    events, exposure = counts(full)
    usable = (exposure > 0) & (quality > 0)
    log_quality = np.log(np.where(quality > 0, quality, 1.0))
    log_rate = np.log((events + 0.5) / np.where(exposure > 0, exposure, 1.0))
    design = np.column_stack(
        [log_quality, *[(platform_of == k).astype(float) for k in range(len(sets))]]
    )
    # Weighted by the evidence behind each observed rate; pieces with no exposure weigh 0.
    weight = np.sqrt(events + 0.5) * usable
    coef, *_ = np.linalg.lstsq(design * weight[:, None], log_rate * weight, rcond=None)
    slope, platform_terms = coef[0], coef[1:]
    # The true prior: the given qualities (or the group's own), equally likely.
    support = quality if prior is None else np.array(prior, dtype=float)
    grid = np.log(support[support > 0])
    drawn_events, drawn_exposure = counts(drawn)
    scored = []
    for i, piece in enumerate(drawn):
        if drawn_exposure[i] <= 0:
            scored.append((-math.inf, piece.image_id))
            continue
        expected = np.exp(platform_terms[platform_of[i]] + slope * grid) * drawn_exposure[i]
        log_likelihood = drawn_events[i] * np.log(expected) - expected
        posterior = np.exp(log_likelihood - log_likelihood.max())
        scored.append((float(posterior @ np.exp(grid) / posterior.sum()), piece.image_id))
    return [image for _, image in sorted(scored, key=lambda s: (-s[0], s[1]))]


def precision_at(ranked: list[int], relevant: set[int], k: int) -> float:
    top = ranked[:k]
    return sum(1 for image in top if image in relevant) / k


def ndcg_at(ranked: list[int], gains: dict[int, float], k: int) -> float:
    def dcg(items: list[float]) -> float:
        return sum(g / math.log2(i + 2) for i, g in enumerate(items))

    ideal = dcg(sorted(gains.values(), reverse=True)[:k])
    if ideal == 0:
        return 0.0
    return dcg([gains.get(image, 0.0) for image in ranked[:k]]) / ideal


# The as-of days of the "28 days at … ends" scenario, in days before the history's end.
ENDS_28 = (0, 28, 56, 84, 112, 140)

METHODS = (
    "naive",
    "prototype",
    "yenni",
    "fixed",
    "no-min",
    "best",
    "best-set",
    "best-diverse",
    "yenni-all",
)

# Orderings measured by --orders before choosing the default (issue 15 follow-up): the
# posterior quantile the order reads (the card's interval stays the 90 % one), the gate and the
# prior's weight; --grid adds the nonparametric prior. Filled by main(): empty unless asked for.
CANDIDATES: dict = {}


def order_candidates() -> dict:
    """Each candidate's name and how it changes the rule's spec: the ordering quantile (q),
    the gate (g: none, or the rule's own minimums) and the prior's weight (w)."""
    candidates = {}
    for quantile in (0.05, 0.10, 0.20, 0.30, 0.50):
        for gate in ("none", "rule"):
            for weight in (1.0, 0.5, 0.25):

                def transform(spec, q=quantile, g=gate, w=weight):
                    gated = scaled_minimums(spec, 0.0) if g == "none" else spec
                    return replace(gated, order_quantile=q, prior_weight=w)

                candidates[f"q{quantile:.2f} g:{gate} w{weight:g}"] = transform
    return candidates


def grid_candidates() -> dict:
    """The nonparametric prior's orders (called with the drawn pieces and the rule's spec:
    names starting "grid"), and the best candidate of --orders to read them against."""
    from bench.grid_prior_experiment import grid_order

    candidates = {}
    for tail in (None, 0.05, 0.20):
        label = "mean" if tail is None else f"q{tail:.2f}"

        def order(drawn, spec, t=tail):
            return grid_order(drawn, spec.metric, within_platform=spec.within_platform, tail=t)

        candidates[f"grid {label}"] = order

        # Named "grid lognormal", "grid 1d" and "grid mom".
        for variant in ("lognormal", "lognormal-1d", "lognormal-mom"):

            def fitted(drawn, spec, t=tail, v=variant):
                return grid_order(
                    drawn, spec.metric, within_platform=spec.within_platform, tail=t, shape=v
                )

            candidates[f"grid {variant.removeprefix('lognormal-')} {label}"] = fitted

        def gated(drawn, spec, t=tail):
            from campaigns.ranking.pieces import PieceTable
            from campaigns.ranking.scoring import _gate

            table = PieceTable.from_pieces(sorted(drawn, key=lambda p: p.image_id))
            passing, _ = _gate(spec.spec, table.columns, spec)
            kept = [table.piece(int(i)) for i in passing]
            ranked = grid_order(
                kept, spec.metric, within_platform=spec.within_platform, tail=t, shape="lognormal"
            )
            return diverse(ranked, drawn)

        candidates[f"grid lognormal g:rule {label}"] = gated

    reference = "q0.20 g:none w0.25"
    candidates[reference] = order_candidates()[reference]
    return candidates


SCENARIOS = (
    ("rule window", None, 1.0),
    ("last 28 days", 28, 1.0),
    # The same at six ends four weeks apart, averaged: one 28-day window scores ~27 groups in
    # steps of a quarter, too coarse to choose between orderings on.
    (f"28 days at {len(ENDS_28)} ends", 28, 1.0),
    ("rule window at 2 % volume", None, 0.02),
    ("rule window at 0.5 % volume", None, 0.005),
)


def observed(piece, key: str) -> float:
    """The piece's own raw figure for metric `key`, oriented so that higher is better."""
    from campaigns.ranking.metrics import METRICS, ratio_parts

    top, bottom = ratio_parts(key, piece)
    if bottom <= 0:
        return -math.inf
    return top / bottom if METRICS[key].higher_is_better else -(top / bottom)


def prototype_order(pieces, objective: str) -> list[int]:
    """The prototype's order: distance to the ideal point (cost 0, the largest volume)."""
    if objective == "awareness":
        top = max(p.impressions for p in pieces)

        def distance(p) -> float:
            cpm = 1000 * p.spend / p.impressions if p.impressions else math.inf
            return math.hypot(cpm, top - p.impressions)
    else:
        top = max(p.clicks for p in pieces)

        def distance(p) -> float:
            cpc = p.spend / p.clicks if p.clicks else math.inf
            return math.hypot(cpc, top - p.clicks)

    return [p.image_id for p in sorted(pieces, key=lambda p: (distance(p), p.image_id))]


def main() -> None:
    parser = bench_parser(__doc__)
    parser.add_argument("--creatives", type=int, default=1500)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--database-url", default="", help="default: SQLite in var/bench-quality")
    parser.add_argument("--min-pieces", type=int, default=8, help="skip smaller groups")
    parser.add_argument(
        "--designs",
        action="store_true",
        help="also score the gate designs and recency weightings measured before choosing",
    )
    parser.add_argument(
        "--orders",
        action="store_true",
        help="also score the ordering quantiles and gate shares measured before choosing",
    )
    parser.add_argument(
        "--grid", action="store_true", help="also score a nonparametric prior (not adopted)"
    )
    parser.add_argument(
        "--ml-prior",
        action="store_true",
        help="also score the prior's weight fitted by marginal likelihood (not adopted)",
    )
    args = parser.parse_args()
    if args.orders:
        CANDIDATES.update(order_candidates())
    if args.grid:
        CANDIDATES.update(grid_candidates())
    if args.ml_prior:
        from bench.ml_prior_experiment import ml_candidates

        CANDIDATES.update(ml_candidates(yenni_order))

    with machine_load_printed():
        data_dir = ROOT / "var" / f"bench-quality-{args.seed}-{args.creatives}-{args.months}"
        django_setup(database_url=args.database_url, data_dir=data_dir)
        from campaigns.ranking.selectors import node_objective_pairs

        true_rates, end = load_truth(args, data_dir)
        groups = node_objective_pairs()
        print(
            f"demo seed {args.seed}: {args.creatives} creatives, {args.months} months, "
            f"ending {end}; {len(groups)} node × objective groups"
        )
        summary: dict[str, dict[str, dict[str, list[float]]]] = {}
        worse: list[str] = []
        for window_name, days, share in SCENARIOS:
            summary[window_name] = score_scenario(
                window_name, days, share, groups, true_rates, end=end, args=args, worse=worse
            )
        print(
            "\ngroups where yenni's precision@4 is below naive: "
            + (", ".join(worse) if worse else "none")
        )
        print(
            f"\n{'scenario':30} {'precision@4':>11}  over naive: yenni  fixed  no-min   best"
            " best-set   yenni − best  yenni − best-set"
        )
        for window_name, scores in summary.items():
            means = {m: statistics.mean(scores[m]["p4"]) for m in METHODS}
            ratios = "  ".join(
                f"{means[m] / means['naive'] if means['naive'] else math.inf:5.2f}×"
                for m in ("yenni", "fixed", "no-min", "best", "best-set")
            )
            print(
                f"{window_name:30} {'yenni ' + format(means['yenni'], '.3f'):>11}"
                f"              {ratios}   {means['yenni'] - means['best']:+.3f}"
                f"         {means['yenni'] - means['best-set']:+.3f}"
            )
        if CANDIDATES:
            print_candidates(summary)
        if args.designs:
            score_designs(groups, true_rates, end=end, args=args)


def print_candidates(summary) -> None:
    """Each ordering candidate's mean precision@4 per scenario, minus the best achievable's."""
    print("\nOrdering candidates: mean precision@4 (− best achievable), per scenario")
    print(f"{'candidate':22} " + " ".join(f"{name[:27]:>27}" for name in summary))
    for name in ("naive", "yenni", "yenni-all", "best", "best-set", "best-diverse", *CANDIDATES):
        cells = []
        for scores in summary.values():
            mean = statistics.mean(scores[name]["p4"])
            best = statistics.mean(scores["best"]["p4"])
            cells.append(f"{mean:.3f} ({mean - best:+.3f})")
        print(f"{name:22} " + " ".join(f"{c:>27}" for c in cells))


def load_truth(args, data_dir: Path) -> tuple[dict[int, dict], object]:
    """Load the demo history unless it is there; return each image's true rates and the last
    day of the history."""
    from django.core.management import call_command

    from campaigns.models import Campaign, DailyMetric, Node
    from campaigns.ranking.selectors import ranking_behind
    from campaigns.rollups import ranking_refresh
    from creatives.models import CreativeImage

    call_command("migrate", verbosity=0)
    truth_path = data_dir / "demo" / "true_quality.json"
    if not Campaign.objects.exists() or not truth_path.exists():
        demo_history_load(
            seed=args.seed,
            creatives=args.creatives,
            months=args.months,
            announce=False,
            stderr=subprocess.DEVNULL,
        )
    # The product reads the cumulative piece weeks: build them where a load (or an older
    # bench's database) left them behind the daily metrics.
    if any(ranking_behind(node=node) for node in Node.objects.all()):
        ranking_refresh()
    truth_doc = json.loads(truth_path.read_text())
    by_sha = dict(CreativeImage.objects.values_list("sha256", "id"))
    true_rates = {
        by_sha[sha]: {**entry["true"], "node": entry["node"]}
        for sha, entry in truth_doc["images"].items()
    }
    return true_rates, DailyMetric.objects.latest("date").date


def group_pieces(node, objective, rule, *, days, end, true_rates, weighting=None):
    """The group's pieces in the window (the rule's, or the last `days`), read as the product
    reads them: `rule_pieces`, the cumulative piece weeks with near-copies folded, whole weeks
    ending on `end`. `weighting` = ("half-life", days) or ("early weeks", days) weighs the
    weeks (the early-weeks weighting is a design the product does not have: its own reader)."""
    import copy

    from campaigns.calendar import window_first_day
    from campaigns.ranking.selectors import rule_pieces

    scoped = copy.copy(rule)
    scoped.window_days = days or rule.window_days
    if weighting and weighting[0] == "early weeks":
        window_start = window_first_day(window_days=scoped.window_days, as_of=end)
        pieces = early_weeks_pieces(
            node, objective, rule, window_start=window_start, end=end, half_life=weighting[1]
        )
    else:
        scoped.half_life_days = weighting[1] if weighting else None
        table = rule_pieces(rule=scoped, node=node, objective=objective, as_of=end)
        pieces = [table.piece(i) for i in range(len(table))]
    return [p for p in pieces if p.image_id in true_rates]


def early_weeks_pieces(node, objective, rule, *, window_start, end, half_life: int):
    """Each piece's weeks weighed by its age since the image's first week anywhere, so a
    piece is judged mostly on its fresh weeks, before fatigue (the demo's click-through rate
    decays with an ad's age)."""
    from collections import defaultdict

    from django.db.models import F, Min, Sum

    from campaigns.calendar import week_monday
    from campaigns.models import ImageWeeklyRollup
    from campaigns.ranking.metrics import in_currency
    from campaigns.ranking.pieces import PieceFigures
    from campaigns.ranking.selectors import SUM_COLUMNS

    rows = ImageWeeklyRollup.objects.filter(
        node=node, objective=objective, week__gte=week_monday(window_start), week__lte=end
    )
    if rule.platforms:
        rows = rows.filter(platform__in=rule.platforms)
    first_week = dict(
        ImageWeeklyRollup.objects.values("image_id")
        .annotate(first=Min("week"))
        .values_list("image_id", "first")
    )
    grouped = rows.values("image_id", "platform", "week", phash=F("image__phash")).annotate(
        **{alias: Sum(column) for alias, column in SUM_COLUMNS.items()}
    )
    totals: dict[int, dict] = {}
    platforms: dict[int, set] = defaultdict(set)
    for row in grouped.order_by():
        image = row["image_id"]
        weight = 2 ** (-(row["week"] - first_week[image]).days / half_life)
        platforms[image].add(row["platform"])
        total = totals.setdefault(image, {"phash": row["phash"]})
        for alias in SUM_COLUMNS:
            if alias != "days":
                total[alias] = total.get(alias, 0.0) + float(row[alias] or 0) * weight
    return [
        PieceFigures(
            image_id=image,
            phash=total["phash"],
            impressions=total["impressions"],
            clicks=total["clicks"],
            link_clicks=total["link_clicks"],
            spend=in_currency("spend", total["spend"]),
            conversions=total["conversions"],
            conversion_value=in_currency("conversion_value", total["conversion_value"]),
            leads=total["leads"],
            video_views=total["video_views"],
            engagements=total["engagements"],
            platforms=tuple(sorted(platforms[image])),
        )
        for image, total in totals.items()
    ]


def group_truth(objective: str, pieces, true_rates) -> tuple[dict, set, dict]:
    """The group's true quality per piece, its relevant set (top 10 %, at least 4) and the
    NDCG gains (the truth's percentile)."""
    truth_of = TRUTH[objective]
    truth = {p.image_id: truth_of(true_rates[p.image_id]) for p in pieces}
    ordered_truth = sorted(truth, key=lambda i: -truth[i])
    relevant = set(ordered_truth[: max(4, len(ordered_truth) // 10)])
    n = len(ordered_truth)
    gains = {image: 1 - rank / n for rank, image in enumerate(ordered_truth)}
    return truth, relevant, gains


def score_scenario(window_name, days, share, groups, true_rates, *, end, args, worse) -> dict:
    """Print and return precision@4 and NDCG@10 of every method over the groups, one window
    and volume; add the groups where yenni does worse than naive to `worse`."""
    from campaigns.ranking.selectors import ranking_rule_for

    print(f"\n{window_name}: precision@4 and NDCG@10 ({' / '.join(METHODS)})")
    print(f"{'node × objective':38} {'pieces':>6} {'median impr.':>12}   {'p@4':36}   ndcg@10")
    scores = {m: {"p4": [], "ndcg": []} for m in (*METHODS, *CANDIDATES)}
    offsets = ENDS_28 if window_name.startswith("28 days at") else (0,)
    for node, objective in groups:
        rule = ranking_rule_for(node=node, objective=objective)
        rows = []
        for offset in offsets:
            as_of = end - dt.timedelta(days=offset)
            pieces = group_pieces(
                node, objective, rule, days=days, end=as_of, true_rates=true_rates
            )
            if len(pieces) < args.min_pieces:
                continue
            draws = [pieces] if share == 1.0 else [thin(pieces, share, s) for s in range(5)]
            rows.append(score_group(rule, objective, pieces, draws, true_rates, node.slug))
            shown = (pieces, draws)  # the latest end's pieces, for the printed sizes
        if not rows:
            continue
        row = {
            name: [statistics.mean(r[name][i] for r in rows) for i in (0, 1)] for name in rows[0]
        }
        for name in (*METHODS, *CANDIDATES):
            scores[name]["p4"].append(row[name][0])
            scores[name]["ndcg"].append(row[name][1])
        if row["yenni"][0] < row["naive"][0]:
            worse.append(f"{window_name}: {node.slug} × {objective}")
        pieces, draws = shown
        median_impressions = statistics.median(p.impressions for p in draws[0])
        p4 = " / ".join(f"{row[m][0]:.2f}" for m in METHODS)
        ndcg = " / ".join(f"{row[m][1]:.2f}" for m in METHODS)
        label = f"{node.slug} × {objective}"
        print(f"{label:38} {len(pieces):6d} {median_impressions:12,.0f}   {p4}   {ndcg}")
    means = {m: statistics.mean(scores[m]["p4"]) for m in METHODS}
    ndcgs = {m: statistics.mean(scores[m]["ndcg"]) for m in METHODS}
    print("mean precision@4: " + ", ".join(f"{m} {means[m]:.3f}" for m in METHODS))
    print("mean NDCG@10:     " + ", ".join(f"{m} {ndcgs[m]:.3f}" for m in METHODS))
    return scores


def score_group(rule, objective: str, full, draws, true_rates, node: str) -> dict[str, list[float]]:
    """Each method's precision@4 and NDCG@10 on one group, averaged over the draws."""
    from campaigns.ranking.selectors import rule_spec

    truth, relevant, gains = group_truth(objective, full, true_rates)
    # The demo's true prior for the node: every image it drew for the node, whether or not
    # it ran in this window or objective.
    truth_of = TRUTH[objective]
    prior = [truth_of(rates) for rates in true_rates.values() if rates["node"] == node]
    spec = rule_spec(rule, top_n=10)
    row = {name: [0.0, 0.0] for name in (*METHODS, *CANDIDATES)}
    for drawn in draws:
        orders = {
            "naive": naive_order(drawn, rule.metric),
            "prototype": prototype_order(drawn, objective),
            "yenni": yenni_order(drawn, spec),
            "fixed": yenni_order(drawn, fixed_minimums(spec)),
            "no-min": yenni_order(drawn, no_minimums(spec)),
            "best": best_order(drawn, full, rule.metric, truth, prior),
            "best-set": best_order(drawn, full, rule.metric, truth),
            "yenni-all": yenni_order(drawn, spec, diverse_distance=-1),
        }
        orders["best-diverse"] = diverse(orders["best"], drawn)
        for name, transform in CANDIDATES.items():
            if name in row:
                # The experiments' orders take the pieces; the other candidates change the spec.
                if name.startswith(("grid", "ml ")):
                    orders[name] = transform(drawn, spec)
                else:
                    orders[name] = yenni_order(drawn, transform(spec))
        for name, ranked in orders.items():
            row[name][0] += precision_at(ranked, relevant, 4) / len(draws)
            row[name][1] += ndcg_at(ranked, gains, 10) / len(draws)
    return row


def naive_order(pieces, metric: str) -> list[int]:
    return [p.image_id for p in sorted(pieces, key=lambda p: (-observed(p, metric), p.image_id))]


def yenni_order(pieces, spec, **options) -> list[int]:
    """The product's order of pieces already folded as `rule_pieces` folds them (a thinned draw
    keeps the same pieces): ranked as a table, not folded again."""
    from campaigns.ranking.pieces import PieceTable
    from campaigns.ranking.scoring import rank_pieces

    table = PieceTable.from_pieces(sorted(pieces, key=lambda p: p.image_id))
    return [ref.piece.image_id for ref in rank_pieces(table, spec, **options).references]


def diverse(ranked: list[int], pieces) -> list[int]:
    """`ranked` without the pieces that look like one kept before it, as the product skips
    them among its references (`scoring._diverse_picks`)."""
    from campaigns.ranking.scoring import DIVERSE_DISTANCE

    phash = {p.image_id: int(p.phash, 16) for p in pieces}
    kept: list[int] = []
    for image in ranked:
        if all((phash[image] ^ phash[k]).bit_count() > DIVERSE_DISTANCE for k in kept):
            kept.append(image)
    return kept


# Gate designs and recency weightings scored by --designs: (label, weighting, minimums).
SHARES = (0, 5, 10, 25, 50)
WEIGHTINGS = (
    None,
    ("half-life", 30),
    ("half-life", 60),
    ("half-life", 120),
    ("early weeks", 28),
    ("early weeks", 56),
)


def score_designs(groups, true_rates, *, end, args) -> None:
    """Print precision@4 of naive, the rule's fixed minimums and scaled shares of the median,
    for each recency weighting, in every scenario; the weighting changes naive's pieces too, so
    read each weighting's rows against the unweighted ones, not only against their own naive."""
    from campaigns.ranking.selectors import ranking_rule_for, rule_spec

    designs = ["naive", "fixed", *(f"scaled {share} %" for share in SHARES)]
    print("\nGate designs and recency weightings: mean precision@4 (× naive on the same pieces)")
    print(f"{'weighting':18} {'design':12} " + " ".join(f"{n[:24]:>24}" for n, *_ in SCENARIOS))
    for weighting in WEIGHTINGS:
        results: dict[str, dict[str, list[float]]] = {d: {} for d in designs}
        for window_name, days, share in SCENARIOS:
            for design in designs:
                results[design][window_name] = []
            for node, objective in groups:
                rule = ranking_rule_for(node=node, objective=objective)
                pieces = group_pieces(
                    node,
                    objective,
                    rule,
                    days=days,
                    end=end,
                    true_rates=true_rates,
                    weighting=weighting,
                )
                if len(pieces) < args.min_pieces:
                    continue
                _, relevant, _ = group_truth(objective, pieces, true_rates)
                draws = [pieces] if share == 1.0 else [thin(pieces, share, s) for s in range(5)]
                spec = rule_spec(rule, top_n=10)
                specs = {"fixed": fixed_minimums(spec)}
                specs.update({f"scaled {x} %": scaled_minimums(spec, x) for x in SHARES})
                for design in designs:
                    total = 0.0
                    for drawn in draws:
                        if design == "naive":
                            ranked = naive_order(drawn, rule.metric)
                        else:
                            ranked = yenni_order(drawn, specs[design])
                        total += precision_at(ranked, relevant, 4)
                    results[design][window_name].append(total / len(draws))
        label = "none" if weighting is None else f"{weighting[0]} {weighting[1]} d"
        for design in designs:
            cells = []
            for window_name, *_ in SCENARIOS:
                mean = statistics.mean(results[design][window_name])
                naive = statistics.mean(results["naive"][window_name])
                cells.append(f"{mean:.3f} ({mean / naive if naive else math.inf:.2f}×)")
            print(f"{label:18} {design:12} " + " ".join(f"{c:>24}" for c in cells))


if __name__ == "__main__":
    main()
