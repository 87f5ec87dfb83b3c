"""Time the daily-metric upsert of ingestion against a plain COPY of the same rows, same run.

    python bench/ingest.py                      # 1M rows: 2,000 ads × 500 days, 5 rounds
    python bench/ingest.py --rows 200000 --ads 1000 --rounds 7

It needs PostgreSQL (`--database-url`, default a `yenni_bench_ingest` database on 127.0.0.1,
created and migrated if missing; its bench account is emptied on every run, and its campaigns
and ads analyzed, as autovacuum would leave them). Each round loads the same rows twice into
the daily metric table, each time from the same empty state: the table truncated, then a
checkpoint; same indexes, same foreign key; the planner's statistics those of an untimed COPY
of the same rows made before round 1. Where the table holds other accounts' rows, the bench
account's are deleted and the table vacuumed instead, and the statistics, so perhaps the
plans, differ: give the bench a database of its own.

- upsert, first load: through `ingestion.services.daily_metrics_upsert` exactly as a sync
  writes them, a transaction per 7-day chunk; every row new;
- COPY: a plain COPY of the same rows into the same table, a transaction per chunk, the ceiling.

Odd rounds run the upsert first, even rounds COPY first, so neither side always gets the
warmer or the more tired machine. It prints each round's times and ratio, then the median
rows/s of each side (min–max) and the median of the rounds' ratios (upsert rows/s over COPY
rows/s; the target is ≥ 0.5). After the last round it analyzes the table, as autovacuum would
after such a load, and times, once:

- upsert, re-read: every row already there with other values (the look-back case);
- upsert, unchanged: every row already there with the same values (skipped by the upsert).

The machine's load is printed before and after: on a shared machine, read the ratio, not the
rows/s.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from operator import attrgetter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import bench_parser, django_setup, machine_load_printed

CHUNK_DAYS = 7
START = dt.date(2024, 1, 1)


@dataclass
class Catalog:
    """The bench account's ads and campaigns, by external id, and the days of rows to load."""

    account: object
    ad_ids: dict[str, int]
    campaign_ids: dict[str, int]
    ads: int
    days: int

    @property
    def rows(self) -> int:
        return self.days * self.ads

    @property
    def chunks(self) -> list[tuple[int, int]]:
        """First and last day index of each transaction's chunk."""
        last_day = self.days - 1
        return [(d, min(d + CHUNK_DAYS - 1, last_day)) for d in range(0, self.days, CHUNK_DAYS)]


@dataclass
class Round:
    """One round's seconds for each side."""

    upsert: float
    copy: float

    @property
    def ratio(self) -> float:
        """The upsert's rows/s over COPY's: the same rows, so COPY's seconds over the upsert's."""
        return self.copy / self.upsert


def main() -> None:
    parser = bench_parser(__doc__)
    parser.add_argument(
        "--database-url", default="postgres://postgres@127.0.0.1:5432/yenni_bench_ingest"
    )
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--ads", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5, help="upsert and COPY, alternating")
    args = parser.parse_args()
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")

    with machine_load_printed():
        django_setup(database_url=args.database_url)
        catalog = empty_catalog(ads=args.ads, days=max(args.rows // args.ads, 1))
        print(
            f"{catalog.rows:,} daily rows ({catalog.ads:,} ads × {catalog.days} days), "
            f"chunks of {CHUNK_DAYS} days, {args.rounds} rounds",
            flush=True,
        )
        statistics_prime(catalog)
        rounds = [time_round(catalog, number) for number in range(1, args.rounds + 1)]
        # Either side leaves the same rows behind, the ones the re-read then changes, in a
        # table analyzed as autovacuum would leave it after such a load.
        metrics_analyze()
        reread = time_upserts(catalog, bump=1, expect="updated")
        unchanged = time_upserts(catalog, bump=1, expect=None)
        report(catalog, rounds, reread, unchanged)


def empty_catalog(*, ads: int, days: int) -> Catalog:
    """Migrate; give the bench account 20 campaigns and `ads` ads and no metrics."""
    from django.core.management import call_command
    from django.db import connection

    from campaigns.models import Ad, AdAccount, Campaign, Platform

    call_command("migrate", verbosity=0)
    account, _ = AdAccount.objects.get_or_create(
        platform=Platform.objects.get(slug="meta"),
        external_id="act_bench_ingest",
        defaults={"name": "Bench ingest"},
    )
    metrics_empty(account)
    Ad.objects.filter(campaign__account=account).delete()
    Campaign.objects.filter(account=account).delete()
    campaigns = Campaign.objects.bulk_create(
        Campaign(account=account, external_id=f"c{i}", name=f"Campaign {i}") for i in range(20)
    )
    Ad.objects.bulk_create(
        Ad(campaign=campaigns[i % 20], external_id=f"a{i}", name=f"Ad {i}") for i in range(ads)
    )
    # Statistics as autovacuum leaves them once it has seen the ads: on tables never analyzed
    # the planner takes the account for a few rows, and the upsert's DELETE of missing rows
    # may scan the whole stage once per row (a first sync of a new account can meet that).
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {Campaign._meta.db_table}")
        cursor.execute(f"ANALYZE {Ad._meta.db_table}")
    return Catalog(
        account=account,
        ad_ids=dict(Ad.objects.filter(campaign__account=account).values_list("external_id", "id")),
        campaign_ids={c.external_id: c.pk for c in campaigns},
        ads=ads,
        days=days,
    )


def statistics_prime(catalog: Catalog) -> None:
    """COPY the rows once, untimed, and analyze them: every side then plans on these statistics.

    An ANALYZE of an empty table keeps each column's statistics from the last one that saw
    rows, so without this the first round would plan on whatever an earlier run left (a
    smaller load's dates make the upsert's DELETE loop: 0.07 of COPY instead of 0.83).
    """
    metrics_empty(catalog.account)
    seconds = time_copy(catalog)
    metrics_analyze()
    print(f"statistics taken from an untimed COPY of the same rows ({seconds:.0f} s)", flush=True)


def time_round(catalog: Catalog, number: int) -> Round:
    """Time both sides from the same empty table, the upsert first in odd rounds; print them."""
    upsert_first = number % 2 == 1
    seconds = {}
    for side in ("upsert", "copy") if upsert_first else ("copy", "upsert"):
        metrics_empty(catalog.account)
        if side == "upsert":
            seconds[side] = time_upserts(catalog, bump=0, expect="created")
        else:
            seconds[side] = time_copy(catalog)
    result = Round(**seconds)
    order = "upsert, COPY" if upsert_first else "COPY, upsert"
    print(
        f"round {number} ({order}): upsert {result.upsert:6.2f} s, COPY {result.copy:6.2f} s, "
        f"upsert / COPY {result.ratio:.2f}",
        flush=True,
    )
    return result


def metrics_empty(account) -> None:
    """Bring the daily metric table to the same empty state before each timed side.

    TRUNCATE gives fresh files and indexes, and the ANALYZE after it a row count of zero with
    the column statistics of the last full table (statistics_prime); where the table holds
    other accounts' rows, the bench account's are deleted and the table vacuumed instead
    (autovacuum may be off, and dead rows would slow whichever side came second). A
    checkpoint then writes out what the previous side left in shared buffers, so it is not
    written during the next one.
    """
    from django.db import DatabaseError, connection

    from campaigns.models import DailyMetric

    table = DailyMetric._meta.db_table
    # The statistics still say what the last emptying left: none of the rows loaded since.
    # Planned on them, the queries below may loop over the whole table once per row.
    metrics_analyze()
    with connection.cursor() as cursor:
        if DailyMetric.objects.exclude(ad__campaign__account=account).exists():
            DailyMetric.objects.filter(ad__campaign__account=account).delete()
            cursor.execute(f"VACUUM (ANALYZE) {table}")
        else:
            cursor.execute(f"TRUNCATE {table}")
            cursor.execute(f"ANALYZE {table}")
        # Needs a superuser or pg_checkpoint; without, the server writes when it will.
        with contextlib.suppress(DatabaseError):
            cursor.execute("CHECKPOINT")


def metrics_analyze() -> None:
    """Refresh the daily metric table's statistics, as autovacuum would after a large load."""
    from django.db import connection

    from campaigns.models import DailyMetric

    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {DailyMetric._meta.db_table}")


def chunk_records(catalog: Catalog, first: int, last: int, bump: int = 0) -> list:
    """Every ad's record for the days first to last; bump changes the impressions."""
    from ingestion.connectors.records import DailyMetricRecord

    return [
        DailyMetricRecord(
            ad_external_id=f"a{a}",
            date=START + dt.timedelta(days=d),
            impressions=1000 + (a * 7 + d * 13) % 5000 + bump,
            reach=700 + (a + d) % 300,
            clicks=(a + d) % 90,
            link_clicks=(a + d) % 60,
            spend_micros=((a * 31 + d) % 100_000) * 10_000,
            conversions=float((a + d) % 5),
            conversion_value_micros=((a + d) % 5) * 20_000_000,
            leads=(a + d) % 3,
            video_views=(a * d) % 400,
            engagements=(a + 2 * d) % 150,
        )
        for d in range(first, last + 1)
        for a in range(catalog.ads)
    ]


def time_upserts(catalog: Catalog, *, bump: int, expect: str | None) -> float:
    """Seconds to upsert every chunk, a transaction each, as a sync writes them; check that
    every row was `expect` (created or updated), or with None that none was written."""
    from django.db import transaction

    from ingestion.services import UpsertCounts, daily_metrics_upsert

    counts, elapsed = UpsertCounts(), 0.0
    for first, last in catalog.chunks:
        records = chunk_records(catalog, first, last, bump)
        began = time.perf_counter()
        with transaction.atomic():
            daily_metrics_upsert(
                account=catalog.account,
                records=records,
                ad_ids=catalog.ad_ids,
                campaign_ids=catalog.campaign_ids,
                since=START + dt.timedelta(days=first),
                until=START + dt.timedelta(days=last),
                counts=counts,
            )
        elapsed += time.perf_counter() - began
    if expect is None:
        assert (counts.created, counts.updated) == (0, 0)
    else:
        assert getattr(counts, expect) == catalog.rows, getattr(counts, expect)
    return elapsed


def copy_rows(catalog: Catalog) -> tuple[list[str], Callable]:
    """Every column of the daily metric table but its id, and what makes a record a row of them.

    A column takes the ad's id, or the record's attribute of the same name (as the upsert reads
    METRIC_FIELDS), or the field's default where the record has none: a column the table gains
    is written too, a JSON one through the field's own adapter. Attributes are read with one
    attrgetter, so the COPY side pays no more Python per row than it must.
    """
    from django.db import connection, models

    from campaigns.models import DailyMetric
    from ingestion.connectors.records import DailyMetricRecord

    ad_ids, on_record = catalog.ad_ids, DailyMetricRecord.__dataclass_fields__
    fields = [f for f in DailyMetric._meta.concrete_fields if not (f.primary_key or f.name == "ad")]
    plain = [f for f in fields if f.name in on_record and not isinstance(f, models.JSONField)]
    json = [f for f in fields if f.name in on_record and isinstance(f, models.JSONField)]
    missing = [f for f in fields if f.name not in on_record]
    values = attrgetter(*(f.name for f in plain))
    defaults = tuple(f.get_db_prep_save(f.get_default(), connection) for f in missing)

    def row(r) -> tuple:
        adapted = (f.get_db_prep_save(getattr(r, f.name), connection) for f in json)
        return (ad_ids[r.ad_external_id], *values(r), *adapted, *defaults)

    columns = ["ad_id", *(f.column for f in plain + json + missing)]
    return columns, row


def time_copy(catalog: Catalog) -> float:
    """Seconds to COPY the same rows into the same, emptied, table: same indexes, same foreign
    key, a transaction per chunk."""
    from django.db import connection, transaction

    from campaigns.models import DailyMetric

    table = DailyMetric._meta.db_table
    columns, row = copy_rows(catalog)
    copy_time = 0.0
    for first, last in catalog.chunks:
        records = chunk_records(catalog, first, last)
        began = time.perf_counter()
        with (
            transaction.atomic(),
            connection.cursor() as cursor,
            cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy,
        ):
            for r in records:
                copy.write_row(row(r))
        copy_time += time.perf_counter() - began
    assert DailyMetric.objects.filter(ad__campaign__account=catalog.account).count() == catalog.rows
    return copy_time


def report(catalog: Catalog, rounds: list[Round], reread: float, unchanged: float) -> None:
    rows = catalog.rows

    def rate(seconds: float) -> str:
        return f"{rows / seconds:>10,.0f} rows/s ({seconds:6.2f} s)"

    def spread(seconds: list[float]) -> str:
        """Median rows/s, then the slowest and fastest round's."""
        slow, fast = rows / max(seconds), rows / min(seconds)
        return f"{rate(statistics.median(seconds))}, rounds {slow:,.0f}–{fast:,.0f}"

    ratios = [r.ratio for r in rounds]
    print(f"upsert, first load : {spread([r.upsert for r in rounds])}")
    print(f"COPY               : {spread([r.copy for r in rounds])}")
    print(
        f"upsert / COPY      : median {statistics.median(ratios):.2f} of {len(rounds)} rounds "
        f"(min {min(ratios):.2f}, max {max(ratios):.2f}; target ≥ 0.5)"
    )
    print(f"upsert, re-read    : {rate(reread)} (once)")
    print(f"upsert, unchanged  : {rate(unchanged)} (once)")


if __name__ == "__main__":
    main()
