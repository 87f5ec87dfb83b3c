"""Build the demo's ad history at bench size (≈10M daily rows) in minutes, for bench/ranking.py.

The demo loader (`manage.py yenni_demo`) takes 30+ minutes at 20,000 creatives × 24 months on
the project's machine: it draws and stores every image (~13 ms a drawing, then hashing and a
file write, ×21,000), and writes the daily rows one Python tuple at a time. The ranking bench
needs neither the pixels nor the tuples, only the same rows, so this builder:

- plans the same history (`demo.history.plan_history`: campaigns, creatives, ads, the truth)
  and saves the catalog with the demo loader's own steps, except the images;
- stores image rows without files: content hashes derived from the seed, and perceptual hashes
  that fold near-copies as the real ones do. Each variant (crop, tint, offer) gets its base's
  hash with k bits flipped, k drawn from the distances measured by drawing a sample of the
  plan's own variant pairs and hashing them as ingestion does; originals get random hashes;
- draws the daily rows with the demo's own simulation (`demo.metrics.simulate_daily_metrics`:
  the same distributions, row for row the same numbers) and writes them with binary COPY,
  a structured numpy array per chunk instead of a tuple per row.

Everything runs in one transaction: a failed build leaves the previous history as it was.
PostgreSQL only (the bench's database).
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass

import numpy as np

# Daily rows per COPY statement: each is one statement for the freshness triggers too.
COPY_ROWS = 1_000_000
# Variant pairs drawn per kind to measure how far a near-copy's perceptual hash lies.
SAMPLE_PAIRS = 20
POSTGRES_EPOCH = np.datetime64("2000-01-01", "D")


@dataclass(frozen=True)
class BuiltHistory:
    metric_rows: int
    images: int
    ads: int
    seconds: dict[str, float]  # per step
    fold_distances: dict[str, list[int]]  # measured per variant kind


def fast_history_build(*, seed: int, creatives: int, months: int) -> BuiltHistory:
    """Replace the catalog with the demo history of these parameters, images without files."""
    from django.db import connection, transaction

    from demo.history import plan_history
    from demo.loader import (
        _analyze_written_tables,
        _save_accounts,
        _save_ads,
        _save_campaigns,
        _save_creatives,
        _save_exchange_rates,
        _save_nodes,
        _save_rules,
        demo_catalog_wipe,
    )
    from demo.plan import DemoParameters

    if connection.vendor != "postgresql":
        raise SystemExit("The fast history build writes with PostgreSQL's binary COPY.")
    seconds: dict[str, float] = {}

    def step(name: str, started: float) -> None:
        seconds[name] = time.perf_counter() - started
        print(f"  {name}: {seconds[name]:.1f} s", flush=True)

    started = time.perf_counter()
    plan = plan_history(DemoParameters(seed=seed, creatives=creatives, months=months))
    step(f"plan ({len(plan.ads):,} ads, {len(plan.images):,} images)", started)
    started = time.perf_counter()
    distances = _variant_distances(plan)
    step("variant hash distances measured", started)
    with transaction.atomic():
        started = time.perf_counter()
        demo_catalog_wipe()
        nodes = _save_nodes(plan)
        accounts = _save_accounts(plan, nodes)
        _save_rules(plan, nodes, accounts)
        _save_exchange_rates(plan)
        image_ids = _save_images(plan, distances, seed=seed)
        creative_ids = _save_creatives(plan, image_ids)
        campaigns = _save_campaigns(plan, accounts, nodes)
        ad_ids = _save_ads(plan, campaigns, creative_ids)
        step("catalog", started)
        started = time.perf_counter()
        rows = _save_metrics(plan, np.array(ad_ids, dtype=np.int64))
        step(f"daily metrics ({rows:,} rows, binary COPY)", started)
        started = time.perf_counter()
        _analyze_written_tables()
        step("analyze", started)
    return BuiltHistory(
        metric_rows=rows,
        images=len(image_ids),
        ads=len(ad_ids),
        seconds=seconds,
        fold_distances=distances,
    )


def _variant_distances(plan) -> dict[str, list[int]]:
    """Perceptual-hash distances between drawn variant/base pairs, per variant kind."""
    from creatives.imaging import phash_distance, read_image_facts
    from demo.artwork import draw

    distances: dict[str, list[int]] = {}
    for spec in plan.images:
        if spec.variant_of is None or len(distances.get(spec.variant_kind, ())) >= SAMPLE_PAIRS:
            continue
        base = read_image_facts(draw(plan.images[spec.variant_of].art)).phash
        variant = read_image_facts(draw(spec.art)).phash
        distances.setdefault(spec.variant_kind, []).append(phash_distance(base, variant))
    for kind, found in sorted(distances.items()):
        print(f"    {kind}: {sorted(found)}")
    return distances


def _save_images(plan, distances: dict[str, list[int]], *, seed: int) -> list[int]:
    """Image rows without files, in plan order; near-copies hashed at measured distances."""
    from creatives.models import CreativeImage

    rng = np.random.default_rng([seed, 4242])
    phashes: list[int] = []
    for spec in plan.images:
        if spec.variant_of is None:
            phashes.append(int(rng.integers(0, 2**63)) | (int(rng.integers(0, 2)) << 63))
            continue
        flips = int(rng.choice(distances[spec.variant_kind]))
        bits = rng.choice(64, size=flips, replace=False)
        phashes.append(phashes[spec.variant_of] ^ sum(1 << int(b) for b in bits))
    rows = []
    for index, (spec, phash) in enumerate(zip(plan.images, phashes, strict=True)):
        first, last = plan.image_days[index]
        rows.append(
            CreativeImage(
                sha256=hashlib.sha256(f"bench:{seed}:{index}".encode()).hexdigest(),
                file=f"bench/{index}.{spec.art.image_format.lower()}",
                phash=f"{phash:016x}",
                width=spec.art.width,
                height=spec.art.height,
                format=spec.art.image_format,
                byte_size=40_000,
                source_url=spec.source_url,
                first_seen=plan.date(first),
                last_seen=plan.date(last),
            )
        )
    return [image.pk for image in CreativeImage.objects.bulk_create(rows, batch_size=2000)]


# COPY's binary layout for the daily metric columns the demo writes, in its METRIC_COLUMNS
# order: (name, numpy big-endian type). ad ids and counts are bigint, leads integer,
# conversions double precision, the date days since 2000-01-01.
_COLUMNS = (
    ("ad_id", ">i8"),
    ("date", ">i4"),
    ("impressions", ">i8"),
    ("reach", ">i8"),
    ("clicks", ">i8"),
    ("link_clicks", ">i8"),
    ("spend_micros", ">i8"),
    ("conversions", ">f8"),
    ("conversion_value_micros", ">i8"),
    ("leads", ">i4"),
    ("video_views", ">i8"),
    ("engagements", ">i8"),
)
_ROW = np.dtype(
    [("fields", ">i2")]
    + [field for name, kind in _COLUMNS for field in ((f"{name}_len", ">i4"), (name, kind))]
)
_HEADER = b"PGCOPY\n\xff\r\n\x00" + (0).to_bytes(4, "big") + (0).to_bytes(4, "big")
_TRAILER = (-1).to_bytes(2, "big", signed=True)


def _save_metrics(plan, ad_ids: np.ndarray) -> int:
    from django.db import connection

    from campaigns.models import DailyMetric
    from demo.loader import METRIC_COLUMNS
    from demo.metrics import simulate_daily_metrics

    assert tuple(name for name, _ in _COLUMNS) == METRIC_COLUMNS, "the demo's columns changed"
    first_day = (np.datetime64(plan.parameters.start_date, "D") - POSTGRES_EPOCH).astype(int)
    table = DailyMetric._meta.db_table
    columns = ", ".join(f'"{name}"' for name, _ in _COLUMNS)
    pending: list[np.ndarray] = []
    pending_rows = rows = 0

    def flush() -> None:
        nonlocal pending, pending_rows
        if not pending_rows:
            return
        with connection.cursor() as cursor:
            raw = cursor.connection  # the psycopg 3 connection under Django's wrapper
            with (
                raw.cursor() as copy_cursor,
                copy_cursor.copy(f'COPY "{table}" ({columns}) FROM STDIN (FORMAT BINARY)') as copy,
            ):
                copy.write(_HEADER)
                for block in pending:
                    copy.write(block.tobytes())
                copy.write(_TRAILER)
        pending, pending_rows = [], 0

    for chunk in simulate_daily_metrics(plan):
        block = np.empty(len(chunk), dtype=_ROW)
        block["fields"] = len(_COLUMNS)
        values = {
            "ad_id": ad_ids[chunk.ad],
            "date": first_day + chunk.day,
            **{name: getattr(chunk, name) for name, _ in _COLUMNS[2:]},
        }
        for name, kind in _COLUMNS:
            block[f"{name}_len"] = np.dtype(kind).itemsize
            block[name] = values[name]
        pending.append(block)
        pending_rows += len(chunk)
        rows += len(chunk)
        if pending_rows >= COPY_ROWS:
            flush()
    flush()
    return rows
