"""Time the daily-metric upsert of ingestion against a plain COPY of the same rows, same run.

    python bench/ingest.py                      # 1M rows: 2,000 ads × 500 days
    python bench/ingest.py --rows 200000 --ads 1000

It needs PostgreSQL (`--database-url`, default a `yenni_bench_ingest` database on 127.0.0.1,
created and migrated if missing; its bench account is emptied on every run). Rows go through
`ingestion.services.daily_metrics_upsert` exactly as a sync writes them, a transaction per
7-day chunk, and then the same rows are COPYed into the same table, emptied (same indexes, same
foreign key). It prints rows/s for:

- upsert, first load: every row new;
- upsert, re-read: every row already there with other values (the look-back case);
- upsert, unchanged: every row already there with the same values (skipped by the upsert);
- COPY: the plain bulk load, the ceiling.

The target is an upsert first load at ≥ 0.5 of COPY.
"""

from __future__ import annotations

import datetime as dt
import sys
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import bench_parser, django_setup

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


def main() -> None:
    parser = bench_parser(__doc__)
    parser.add_argument(
        "--database-url", default="postgres://postgres@127.0.0.1:5432/yenni_bench_ingest"
    )
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--ads", type=int, default=2000)
    args = parser.parse_args()

    django_setup(database_url=args.database_url)
    catalog = empty_catalog(ads=args.ads, days=max(args.rows // args.ads, 1))
    first_load = time_upserts(catalog, bump=0, expect="created")
    reread = time_upserts(catalog, bump=1, expect="updated")
    unchanged = time_upserts(catalog, bump=1, expect=None)
    copy_time = time_copy(catalog)
    report(catalog, first_load, reread, unchanged, copy_time)


def empty_catalog(*, ads: int, days: int) -> Catalog:
    """Migrate; give the bench account 20 campaigns and `ads` ads and no metrics."""
    from django.core.management import call_command

    from campaigns.models import Ad, AdAccount, Campaign, DailyMetric, Platform

    call_command("migrate", verbosity=0)
    account, _ = AdAccount.objects.get_or_create(
        platform=Platform.objects.get(slug="meta"),
        external_id="act_bench_ingest",
        defaults={"name": "Bench ingest"},
    )
    DailyMetric.objects.filter(ad__campaign__account=account).delete()
    Ad.objects.filter(campaign__account=account).delete()
    Campaign.objects.filter(account=account).delete()
    campaigns = Campaign.objects.bulk_create(
        Campaign(account=account, external_id=f"c{i}", name=f"Campaign {i}") for i in range(20)
    )
    Ad.objects.bulk_create(
        Ad(campaign=campaigns[i % 20], external_id=f"a{i}", name=f"Ad {i}") for i in range(ads)
    )
    return Catalog(
        account=account,
        ad_ids=dict(Ad.objects.filter(campaign__account=account).values_list("external_id", "id")),
        campaign_ids={c.external_id: c.pk for c in campaigns},
        ads=ads,
        days=days,
    )


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


def time_copy(catalog: Catalog) -> float:
    """Seconds to COPY the same rows into the same, emptied, table: same indexes, same foreign
    key."""
    from django.db import connection, transaction

    from campaigns.models import DailyMetric
    from ingestion.services import METRIC_FIELDS

    ad_ids = catalog.ad_ids
    table = DailyMetric._meta.db_table
    columns = ", ".join(["ad_id", "date", *METRIC_FIELDS])
    DailyMetric.objects.filter(ad__campaign__account=catalog.account).delete()
    copy_time = 0.0
    for first, last in catalog.chunks:
        records = chunk_records(catalog, first, last)
        began = time.perf_counter()
        with (
            transaction.atomic(),
            connection.cursor() as cursor,
            cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
        ):
            for r in records:
                copy.write_row(
                    (ad_ids[r.ad_external_id], r.date, *(getattr(r, f) for f in METRIC_FIELDS))
                )
        copy_time += time.perf_counter() - began
    assert DailyMetric.objects.filter(ad__campaign__account=catalog.account).count() == catalog.rows
    return copy_time


def report(catalog: Catalog, first_load, reread, unchanged, copy_time) -> None:
    rows, ads, days = catalog.rows, catalog.ads, catalog.days

    def rate(seconds: float) -> str:
        return f"{rows / seconds:>10,.0f} rows/s ({seconds:6.2f} s)"

    print(f"{rows:,} daily rows ({ads:,} ads × {days} days), chunks of {CHUNK_DAYS} days")
    print(f"upsert, first load : {rate(first_load)}")
    print(f"upsert, re-read    : {rate(reread)}")
    print(f"upsert, unchanged  : {rate(unchanged)}")
    print(f"COPY               : {rate(copy_time)}")
    print(f"first load / COPY  : {copy_time / first_load:.2f} (target ≥ 0.5)")


if __name__ == "__main__":
    main()
