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

import argparse
import datetime as dt
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CHUNK_DAYS = 7


def ensure_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    admin_url = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--database-url", default="postgres://postgres@127.0.0.1:5432/yenni_bench_ingest"
    )
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--ads", type=int, default=2000)
    args = parser.parse_args()

    ensure_database(args.database_url)
    os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("YENNI_SECRET_KEY", "bench-only-secret-key")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yenni_site.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction

    from campaigns.models import Ad, AdAccount, Campaign, DailyMetric, Platform
    from ingestion.connectors.records import DailyMetricRecord
    from ingestion.services import METRIC_FIELDS, UpsertCounts, daily_metrics_upsert

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
        Ad(campaign=campaigns[i % 20], external_id=f"a{i}", name=f"Ad {i}") for i in range(args.ads)
    )
    ad_ids = dict(Ad.objects.filter(campaign__account=account).values_list("external_id", "id"))
    campaign_ids = {c.external_id: c.pk for c in campaigns}
    days = max(args.rows // args.ads, 1)
    start = dt.date(2024, 1, 1)
    rows = days * args.ads

    def chunk_records(first: int, last: int, bump: int = 0) -> list[DailyMetricRecord]:
        return [
            DailyMetricRecord(
                ad_external_id=f"a{a}",
                date=start + dt.timedelta(days=d),
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
            for a in range(args.ads)
        ]

    chunks = [(d, min(d + CHUNK_DAYS - 1, days - 1)) for d in range(0, days, CHUNK_DAYS)]

    def upsert_pass(bump: int) -> tuple[float, UpsertCounts]:
        counts, elapsed = UpsertCounts(), 0.0
        for first, last in chunks:
            records = chunk_records(first, last, bump)
            began = time.perf_counter()
            with transaction.atomic():
                daily_metrics_upsert(
                    account=account,
                    records=records,
                    ad_ids=ad_ids,
                    campaign_ids=campaign_ids,
                    since=start + dt.timedelta(days=first),
                    until=start + dt.timedelta(days=last),
                    counts=counts,
                )
            elapsed += time.perf_counter() - began
        return elapsed, counts

    first_load, counts = upsert_pass(0)
    assert counts.created == rows, counts.created
    reread, counts = upsert_pass(1)
    assert counts.updated == rows, counts.updated
    unchanged, counts = upsert_pass(1)
    assert (counts.created, counts.updated) == (0, 0)

    # The same rows COPYed into the same, now empty, table: same indexes, same foreign key.
    table = DailyMetric._meta.db_table
    columns = ", ".join(["ad_id", "date", *METRIC_FIELDS])
    DailyMetric.objects.filter(ad__campaign__account=account).delete()
    copy_time = 0.0
    for first, last in chunks:
        records = chunk_records(first, last)
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
    assert DailyMetric.objects.filter(ad__campaign__account=account).count() == rows

    def rate(seconds: float) -> str:
        return f"{rows / seconds:>10,.0f} rows/s ({seconds:6.2f} s)"

    print(f"{rows:,} daily rows ({args.ads:,} ads × {days} days), chunks of {CHUNK_DAYS} days")
    print(f"upsert, first load : {rate(first_load)}")
    print(f"upsert, re-read    : {rate(reread)}")
    print(f"upsert, unchanged  : {rate(unchanged)}")
    print(f"COPY               : {rate(copy_time)}")
    print(f"first load / COPY  : {copy_time / first_load:.2f} (target ≥ 0.5)")


if __name__ == "__main__":
    main()
