"""Time a brief's ranking against the naive GROUP BY over the raw daily metrics, same run.

    python bench/ranking.py --creatives 20000 --months 24            # ≈10M daily rows
    python bench/ranking.py --creatives 1500 --months 12 --runs 30   # the default demo size

It needs PostgreSQL (`--database-url`, default a `yenni_bench` database on 127.0.0.1, created
if missing). The demo history is loaded into an empty database and kept, so later runs reuse
whatever history is there (the first line printed says its size); `--reload` rebuilds it.
Each round ranks every node × objective in turn (warm caches, as a server would be), and it
prints median and p95 for:

- yenni: the whole brief ranking (rule lookup, rollup aggregation in SQL, scoring, reasons);
- naive: only the SQL a naive design runs — the same sums grouped per image straight from the
  daily metric table — without any scoring, so the ratio flatters the naive side.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import (
    ROOT,
    bench_parser,
    demo_history_load,
    django_setup,
    machine_load_printed,
    percentile,
)

NAIVE_SQL = """
    SELECT s.image_id, SUM(m.impressions), SUM(m.clicks), SUM(m.link_clicks),
        SUM(m.spend_micros * (CASE WHEN acc.currency = %(reporting)s THEN 1 ELSE r.rate END)),
        SUM(m.conversions), SUM(m.leads), SUM(m.video_views), SUM(m.engagements),
        COUNT(DISTINCT m.date)
    FROM campaigns_dailymetric m
    JOIN campaigns_ad a ON a.id = m.ad_id
    JOIN campaigns_campaign c ON c.id = a.campaign_id
    JOIN campaigns_adaccount acc ON acc.id = c.account_id
    JOIN creatives_creativeimageslot s ON s.creative_id = a.creative_id
    LEFT JOIN campaigns_exchangerate r
        ON r.currency = acc.currency AND r.reporting_currency = %(reporting)s AND r.date = m.date
    WHERE c.node_id = %(node)s AND c.objective = %(objective)s
        AND m.date BETWEEN %(start)s AND %(end)s
    GROUP BY s.image_id
"""


def main() -> None:
    parser = bench_parser(__doc__)
    parser.add_argument("--creatives", type=int, default=20000)
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--runs", type=int, default=20, help="rounds over every brief")
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/yenni_bench")
    parser.add_argument("--reload", action="store_true", help="rebuild the demo history")
    args = parser.parse_args()

    with machine_load_printed():
        data_dir = os.environ.get("YENNI_DATA_DIR", ROOT / "var" / "bench")
        django_setup(database_url=args.database_url, data_dir=data_dir)
        as_of, briefs = prepare_history(args)
        report(*time_rankings(briefs, as_of=as_of, runs=args.runs))


def prepare_history(args) -> tuple:
    """Load the demo history unless one is there, and build the rollup and window totals.

    Returns the history's last day and every node × objective pair.
    """
    from django.core.management import call_command
    from django.db import connection

    from campaigns.models import Campaign, DailyMetric, ImageWeeklyRollup
    from campaigns.ranking.selectors import node_objective_pairs
    from campaigns.rollups import image_rollup_refresh, piece_weeks_refresh

    call_command("migrate", verbosity=0)
    # An existing history is reused whatever its size (the figures below say what it holds);
    # --reload rebuilds it at the size asked for.
    if args.reload or not Campaign.objects.exists():
        demo_history_load(seed=args.seed, creatives=args.creatives, months=args.months)
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
        print(f"vacuum analyze in {time.perf_counter() - started:.0f} s")

    if not ImageWeeklyRollup.objects.exists():
        started = time.perf_counter()
        rows = image_rollup_refresh()
        print(f"rollup rebuilt: {rows:,} rows in {time.perf_counter() - started:.1f} s")

    as_of = DailyMetric.objects.latest("date").date
    # The cumulative piece weeks, rebuilt whole (ingestion refreshes only what it touched).
    started = time.perf_counter()
    weeks = piece_weeks_refresh()
    print(f"piece weeks built: {weeks:,} rows in {time.perf_counter() - started:.1f} s")
    briefs = node_objective_pairs()
    print(
        f"PostgreSQL, {DailyMetric.objects.count():,} daily metric rows, "
        f"{ImageWeeklyRollup.objects.count():,} rollup rows, "
        f"{len(briefs)} node × objective briefs, {args.runs} rounds"
    )
    return as_of, briefs


def time_rankings(briefs, *, as_of, runs: int) -> tuple[dict[str, list[float]], int]:
    """Seconds per brief for the whole ranking, its data read alone and the naive query, and
    how many references the rankings returned."""
    from django.conf import settings
    from django.db import connection

    from campaigns.calendar import window_first_day
    from campaigns.ranking.selectors import brief_ranking, ranking_rule_for, rule_pieces

    times: dict[str, list[float]] = {"yenni": [], "read": [], "naive": []}
    references = 0
    # One warm-up round each, then timed rounds interleaved so noise hits both alike.
    for round_index in range(runs + 1):
        for node, objective in briefs:
            rule = ranking_rule_for(node=node, objective=objective)
            started = time.perf_counter()
            ranking = brief_ranking(node=node, objective=objective, as_of=as_of, rule=rule)
            yenni = time.perf_counter() - started
            started = time.perf_counter()
            rule_pieces(rule=rule, node=node, objective=objective, as_of=as_of)
            read = time.perf_counter() - started
            params = {
                "reporting": settings.YENNI_REPORTING_CURRENCY,
                "node": node.pk,
                "objective": objective,
                "start": window_first_day(window_days=rule.window_days, as_of=as_of),
                "end": as_of,
            }
            started = time.perf_counter()
            with connection.cursor() as cursor:
                cursor.execute(NAIVE_SQL, params)
                cursor.fetchall()
            naive = time.perf_counter() - started
            if round_index:
                times["yenni"].append(yenni)
                times["read"].append(read)
                times["naive"].append(naive)
                references += len(ranking.references)
    return times, references


def report(times: dict[str, list[float]], references: int) -> None:
    def line(name: str, values: list[float]) -> str:
        return (
            f"{name:>6}: median {statistics.median(values) * 1000:8.1f} ms   "
            f"p95 {percentile(values, 0.95) * 1000:8.1f} ms   ({len(values)} rankings)"
        )

    print(line("yenni", times["yenni"]) + " whole ranking: read, score, reasons")
    print(line("read", times["read"]) + " its data read alone")
    print(line("naive", times["naive"]) + " the naive query alone, no scoring")
    naive_times = times["naive"]

    def ratio(values: list[float]) -> str:
        median = statistics.median(naive_times) / statistics.median(values)
        p95 = percentile(naive_times, 0.95) / percentile(values, 0.95)
        return f"median {median:.1f}×, p95 {p95:.1f}×"

    print(f"naive query / yenni whole ranking: {ratio(times['yenni'])}")
    print(f"naive query / yenni data read:     {ratio(times['read'])}")
    print(f"{references / len(times['yenni']):.1f} references per brief on average")


if __name__ == "__main__":
    main()
