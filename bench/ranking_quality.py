"""Score rankings against the demo history's hidden true quality.

    python bench/ranking_quality.py                    # demo seed 7, default size, SQLite
    python bench/ranking_quality.py --creatives 4000 --months 12

For every node × objective of the demo history it ranks the pieces three ways and reports
precision@4 and NDCG@10 against the truth the demo wrote (`true_quality.json`):

- naive: sort by the observed value of the rule's metric (no minimums, no shrinkage);
- prototype: the original prototype's rule, the Euclidean distance to the ideal point
  (cost 0, the largest volume), unnormalised: awareness uses (CPM, impressions), every other
  objective the "consideration" pair (CPC, clicks); the prototype's "reach" pair
  (spend/reach, reach) has no counterpart, since Yenni never sums daily reach;
- yenni: the rule's ranking (minimums, near-duplicate folding, shrinkage, conservative bound).

Scenarios: the rule's own window (a year: volumes are large), the last 28 days before the demo's
end, and the year again at 2 % and 0.5 % of its volume (every count thinned binomially, spend
scaled; five draws each, averaged) — small accounts, where luck looks like talent and shrinkage
earns its keep.

Truth: a piece's hidden quality for an objective is what the objective pays for, taken from the
image's true rates — CTR for awareness, traffic and other (a better click-through rate also buys
cheaper impressions in the demo's auction), the engagement rate for engagement, CTR × lead rate
for leads, CTR × conversion rate for conversion. The relevant set is the top 10 % of the group's
pieces by truth (at least 4); NDCG uses the truth's percentile as the gain.
"""

from __future__ import annotations

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
    return replace(spec, min_impressions=0, min_spend=0.0, min_clicks=0, min_conversions=0.0)


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


METHODS = ("naive", "prototype", "yenni", "yenni-no-min")
SCENARIOS = (
    ("rule window", None, 1.0),
    ("last 28 days", 28, 1.0),
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
    args = parser.parse_args()

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
        for window_name, scores in summary.items():
            naive = statistics.mean(scores["naive"]["p4"])
            ratios = [
                statistics.mean(scores[m]["p4"]) / naive if naive else math.inf
                for m in ("yenni", "yenni-no-min")
            ]
            print(
                f"{window_name:30} precision@4 over naive: yenni {ratios[0]:.2f}×, "
                f"yenni without minimums {ratios[1]:.2f}×"
            )


def load_truth(args, data_dir: Path) -> tuple[dict[int, dict], object]:
    """Load the demo history unless it is there; return each image's true rates and the last
    day of the history."""
    from django.core.management import call_command

    from campaigns.models import Campaign, DailyMetric
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
    truth_doc = json.loads(truth_path.read_text())
    by_sha = dict(CreativeImage.objects.values_list("sha256", "id"))
    true_rates = {by_sha[sha]: entry["true"] for sha, entry in truth_doc["images"].items()}
    return true_rates, DailyMetric.objects.latest("date").date


def score_scenario(window_name, days, share, groups, true_rates, *, end, args, worse) -> dict:
    """Print and return precision@4 and NDCG@10 of every method over the groups, one window
    and volume; add the groups where yenni does worse than naive to `worse`."""
    from campaigns.calendar import window_first_day
    from campaigns.ranking.selectors import ranking_pieces, ranking_rule_for

    print(
        f"\n{window_name}: precision@4 and NDCG@10 "
        "(naive / prototype / yenni / yenni without the rule's minimums)"
    )
    print(f"{'node × objective':38} {'pieces':>6} {'median impr.':>12}   p@4             ndcg@10")
    scores = {m: {"p4": [], "ndcg": []} for m in METHODS}
    for node, objective in groups:
        rule = ranking_rule_for(node=node, objective=objective)
        window_days = days or rule.window_days
        pieces = ranking_pieces(
            node=node,
            objective=objective,
            platforms=rule.platforms or (),
            window_start=window_first_day(window_days=window_days, as_of=end),
            window_end=end,
        )
        pieces = [p for p in pieces if p.image_id in true_rates]
        if len(pieces) < args.min_pieces:
            continue
        draws = [pieces] if share == 1.0 else [thin(pieces, share, seed) for seed in range(5)]
        row = score_group(rule, objective, draws, true_rates)
        for name in METHODS:
            scores[name]["p4"].append(row[name][0])
            scores[name]["ndcg"].append(row[name][1])
        if row["yenni"][0] < row["naive"][0]:
            worse.append(f"{window_name}: {node.slug} × {objective}")
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


def score_group(rule, objective: str, draws, true_rates) -> dict[str, list[float]]:
    """Each method's precision@4 and NDCG@10 on one group, averaged over the draws."""
    from campaigns.ranking.scoring import rank_pieces
    from campaigns.ranking.selectors import rule_spec

    truth_of = TRUTH[objective]
    truth = {p.image_id: truth_of(true_rates[p.image_id]) for p in draws[0]}
    ordered_truth = sorted(truth, key=lambda i: -truth[i])
    relevant = set(ordered_truth[: max(4, len(ordered_truth) // 10)])
    n = len(ordered_truth)
    gains = {image: 1 - rank / n for rank, image in enumerate(ordered_truth)}
    spec = rule_spec(rule, top_n=10)
    row = {name: [0.0, 0.0] for name in METHODS}
    for drawn in draws:
        orders = {
            "naive": [
                p.image_id
                for p in sorted(drawn, key=lambda p: (-observed(p, rule.metric), p.image_id))
            ],
            "prototype": prototype_order(drawn, objective),
            "yenni": [ref.piece.image_id for ref in rank_pieces(drawn, spec).references],
            "yenni-no-min": [
                ref.piece.image_id for ref in rank_pieces(drawn, no_minimums(spec)).references
            ],
        }
        for name, ranked in orders.items():
            row[name][0] += precision_at(ranked, relevant, 4) / len(draws)
            row[name][1] += ndcg_at(ranked, gains, 10) / len(draws)
    return row


if __name__ == "__main__":
    main()
