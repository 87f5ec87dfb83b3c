"""Time a brief's whole ranking, for today and for a past day, against the naive GROUP BY.

    python bench/ranking.py --creatives 20000 --months 24            # ≈10M daily rows
    python bench/ranking.py --creatives 1500 --months 12 --runs 30   # the default demo size

It needs PostgreSQL (`--database-url`, default a `yenni_bench` database on 127.0.0.1, created
if missing). The demo history is loaded into an empty database and kept, so later runs reuse
whatever history is there (the first line printed says its size); `--reload` rebuilds it.
By default the history is built fast (`bench/ranking_history.py`: the demo's plan and its own
daily simulation, written with binary COPY, image rows without files), a few minutes at ≈10M
rows where the demo loader takes 30+; `--history demo` loads it with `manage.py yenni_demo`.
The ranking tables are rebuilt whole first and that build is timed and printed apart
(`--skip-build` ranks on the tables as they are, refused unless they count every daily row). Each
round ranks every node × objective in turn (warm caches, as a server would be), as of today
(a brief opened now: the window ends today, whatever day the tables were built) and as of a
past day (`--past-days` before the history's last day), both sides one after the other, the
one that goes first alternating (`--order yenni-first`: always Yenni, as runs before
2026-12-06 15:10 UTC did; whatever follows a naive query pays for the caches it evicted),
and prints median and p95 for:

- yenni: the whole user path, `brief_ranking` (rule lookup, the freshness check, the window
  read from the cumulative piece weeks, scoring, reasons in two languages);
- naive: only the SQL a naive design runs — the same sums grouped per image straight from the
  daily metric table for the same window — without any scoring, so the ratio flatters it.

Targets (issue 15): yenni p95 ≤ 50 ms and naive / yenni ≥ 20× at the median and at p95.
"""

from __future__ import annotations

import datetime as dt
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
from bench.ranking_history import fast_history_build

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
    parser.add_argument("--past-days", type=int, default=180, help="the past as-of day's age")
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/yenni_bench")
    parser.add_argument("--reload", action="store_true", help="rebuild the demo history")
    parser.add_argument(
        "--order",
        choices=("balanced", "yenni-first"),
        default="balanced",
        help="which side runs first for each brief: alternating (default), or always Yenni",
    )
    parser.add_argument(
        "--skip-build",
        action="store_true",
        help="time the rankings on the tables as they are (refused when any node is behind)",
    )
    parser.add_argument(
        "--history",
        choices=("fast", "demo"),
        default="fast",
        help="build the history fast (default) or with the demo loader (images drawn, slow)",
    )
    args = parser.parse_args()

    with machine_load_printed():
        data_dir = os.environ.get("YENNI_DATA_DIR", ROOT / "var" / "bench")
        django_setup(database_url=args.database_url, data_dir=data_dir)
        days, briefs = prepare_history(args)
        first = {"balanced": "alternating", "yenni-first": "always Yenni"}[args.order]
        print(f"order: {args.order} (the side that runs first for each brief: {first})")
        report(time_rankings(briefs, days=days, runs=args.runs, order=args.order), days=days)


def prepare_history(args) -> tuple[dict[str, dt.date], list]:
    """Load the demo history unless one is there, and rebuild the ranking tables, timed.

    Returns the as-of days to rank ("today", "past") and every node × objective pair.
    """
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from campaigns.models import Campaign, DailyMetric, ImageWeeklyRollup, PieceWeek
    from campaigns.ranking.selectors import node_objective_pairs

    call_command("migrate", verbosity=0)
    # An existing history is reused whatever its size (the figures below say what it holds);
    # --reload rebuilds it at the size asked for.
    if args.reload or not Campaign.objects.exists():
        started = time.perf_counter()
        if args.history == "fast":
            print("building the history fast (bench/ranking_history.py):", flush=True)
            built = fast_history_build(seed=args.seed, creatives=args.creatives, months=args.months)
            print(
                f"history built in {time.perf_counter() - started:.0f} s: "
                f"{built.metric_rows:,} daily rows, {built.ads:,} ads, {built.images:,} images"
            )
        else:
            demo_history_load(seed=args.seed, creatives=args.creatives, months=args.months)
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
        print(f"vacuum analyze in {time.perf_counter() - started:.0f} s")

    if args.skip_build:
        _tables_current_or_exit()
    else:
        _tables_build_timed()

    last = DailyMetric.objects.latest("date").date
    days = {"today": timezone.localdate(), "past": last - dt.timedelta(days=args.past_days)}
    briefs = node_objective_pairs()
    print(
        f"PostgreSQL, {DailyMetric.objects.count():,} daily metric rows "
        f"({DailyMetric.objects.earliest('date').date} → {last}), "
        f"{ImageWeeklyRollup.objects.count():,} rollup rows, {PieceWeek.objects.count():,} "
        f"piece weeks, {len(briefs)} node × objective briefs, {args.runs} rounds; "
        f"as of today {days['today']} and of a past day {days['past']}"
    )
    return days, briefs


def _tables_current_or_exit() -> None:
    """--skip-build: rank on the tables as built, but only if they count every daily row
    (the freshness stamp the rankings themselves check); otherwise stop and say so."""
    from campaigns.models import Node
    from campaigns.ranking.selectors import ranking_behind

    behind = sorted({name for node in Node.objects.all() for name in ranking_behind(node=node)})
    if behind:
        sys.exit(f"--skip-build refused: the ranking tables are behind for {', '.join(behind)}")
    print("table build skipped (--skip-build): the freshness stamps say the tables are current")


def _tables_build_timed() -> None:
    """The tables' build, apart from the rankings: the whole refresh (weekly rollup, near-copy
    groups, piece series and weeks, coverage), then the piece weeks alone."""
    from django.db import connection

    from campaigns.models import PieceSeries
    from campaigns.rollups import image_rollup_refresh, piece_weeks_refresh

    started = time.perf_counter()
    rows = image_rollup_refresh()
    whole = time.perf_counter() - started
    started = time.perf_counter()
    weeks = piece_weeks_refresh()
    alone = time.perf_counter() - started
    # As autovacuum would after a big write: statistics, and the visibility map that lets the
    # edge look-ups read the index alone.
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE campaigns_pieceseries")
        cursor.execute("VACUUM ANALYZE campaigns_pieceweek")
        # The writes the triggers recorded, emptied by the refresh: a brief's freshness check
        # reads this table, and its statistics still counted the rows it held.
        cursor.execute("VACUUM ANALYZE campaigns_rankingpending")
    print(
        f"table build (not in the timings below): whole refresh {whole:.1f} s "
        f"({rows:,} weekly rollup rows); piece weeks alone {alone:.1f} s "
        f"({weeks:,} cumulative piece weeks, {PieceSeries.objects.count():,} piece series)"
    )


def time_rankings(
    briefs, *, days: dict[str, dt.date], runs: int, order: str = "balanced"
) -> dict[str, list[float]]:
    """Seconds per brief for the whole ranking and for the naive query, per as-of day."""
    from django.conf import settings
    from django.db import connection
    from psycopg import ClientCursor

    from campaigns.calendar import window_first_day
    from campaigns.ranking.selectors import brief_ranking, ranking_rule_for

    times: dict[str, list[float]] = {
        f"{who} {label}": [] for label in days for who in ("yenni", "naive")
    }
    times["references"] = []

    def yenni(node, objective, as_of) -> float:
        started = time.perf_counter()
        ranking = brief_ranking(node=node, objective=objective, as_of=as_of)
        times["references"].append(len(ranking.references))
        return time.perf_counter() - started

    def naive(node, objective, as_of, window_days) -> float:
        params = {
            "reporting": settings.YENNI_REPORTING_CURRENCY,
            "node": node.pk,
            "objective": objective,
            "start": window_first_day(window_days=window_days, as_of=as_of),
            "end": as_of,
        }
        started = time.perf_counter()
        # Client-side binding, never prepared: PostgreSQL's generic plan for a prepared naive
        # query was twice as slow (130 → 245 ms median), which would flatter the ratio.
        connection.ensure_connection()
        with ClientCursor(connection.connection) as cursor:
            cursor.execute(NAIVE_SQL, params)
            cursor.fetchall()
        return time.perf_counter() - started

    # One warm-up round, then timed rounds; both sides interleaved so noise hits them alike.
    # Balanced: which side runs first alternates, so each follows the other as often as
    # itself. Whatever runs right after a naive query is slower (it evicts the machine's
    # caches: 0.4 → 1.0 ms for the next trivial query), and in a fixed order that was always
    # Yenni ("yenni-first", the order of the runs before 2026-12-06 15:10 UTC).
    for round_index in range(runs + 1):
        for brief_index, (node, objective) in enumerate(briefs):
            window_days = ranking_rule_for(node=node, objective=objective).window_days
            for day_index, (label, as_of) in enumerate(days.items()):
                naive_first = order == "balanced" and (round_index + brief_index + day_index) % 2
                if naive_first:
                    naive_seconds = naive(node, objective, as_of, window_days)
                    yenni_seconds = yenni(node, objective, as_of)
                else:
                    yenni_seconds = yenni(node, objective, as_of)
                    naive_seconds = naive(node, objective, as_of, window_days)
                if round_index:
                    times[f"yenni {label}"].append(yenni_seconds)
                    times[f"naive {label}"].append(naive_seconds)
                else:
                    times["references"].pop()
    return times


def report(times: dict[str, list[float]], *, days: dict[str, dt.date]) -> None:
    def line(name: str, values: list[float]) -> str:
        return (
            f"{name:>12}: median {statistics.median(values) * 1000:8.1f} ms   "
            f"p95 {percentile(values, 0.95) * 1000:8.1f} ms   ({len(values)} rankings)"
        )

    for label, as_of in days.items():
        yenni, naive = times[f"yenni {label}"], times[f"naive {label}"]
        print(f"as of {label} ({as_of}):")
        print(line(f"yenni {label}", yenni) + " whole brief_ranking")
        print(line(f"naive {label}", naive) + " the naive query alone, no scoring")
        median = statistics.median(naive) / statistics.median(yenni)
        p95 = percentile(naive, 0.95) / percentile(yenni, 0.95)
        met = percentile(yenni, 0.95) <= 0.050 and median >= 20 and p95 >= 20
        print(
            f"  naive / yenni: median {median:.1f}×, p95 {p95:.1f}×  "
            f"(target p95 ≤ 50 ms and ≥ 20×: {'met' if met else 'NOT met'})"
        )
    references = times["references"]
    print(f"{sum(references) / len(references):.1f} references per brief on average")


if __name__ == "__main__":
    main()
