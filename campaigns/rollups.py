"""Keep the weekly per-image rollup that ranking reads, and the exchange rates it needs.

A brief's ranking must answer in milliseconds over years of daily metrics, so the daily rows
are summed once per image, node, objective, platform and week, with money converted to the
reporting currency at each day's rate. Ingestion, the demo and node re-mapping call
`image_rollup_refresh` for the images they touched.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Max, Min
from django.db.models.functions import Coalesce

from campaigns.models import (
    Ad,
    AdAccount,
    Campaign,
    DailyMetric,
    ExchangeRate,
    ImageWeeklyRollup,
    Node,
    PieceWeek,
    RankingCoverage,
    RankingPending,
)
from campaigns.ranking.pieces import FOLD_DISTANCE, near_duplicate_leaders
from creatives.models import CreativeImage, CreativeImageSlot

# SQLite allows 999 parameters in old builds; stay well under it.
ID_CHUNK = 500


class RollupError(Exception):
    """The rollup cannot be built; the message says what to fix."""


def _week_sql() -> str:
    if connection.vendor == "postgresql":
        return "CAST(date_trunc('week', m.date) AS date)"
    # SQLite: the coming Sunday (or today if Sunday), minus six days, is this week's Monday.
    return "date(m.date, 'weekday 0', '-6 days')"


def _next_week_sql(column: str) -> str:
    """The Monday a week after the date in `column`."""
    if connection.vendor == "postgresql":
        return f"{column} + 7"
    return f"date({column}, '+7 days')"


def _insert_sql(image_filter: str) -> str:
    week = _week_sql()
    return f"""
        INSERT INTO campaigns_imageweeklyrollup (
            image_id, node_id, objective, platform, week, active_days, impressions, clicks,
            link_clicks, spend_reporting_micros, conversions, conversion_value_reporting_micros,
            leads, video_views, engagements
        )
        SELECT s.image_id, c.node_id, c.objective, p.slug, {week},
            COUNT(DISTINCT m.date), SUM(m.impressions), SUM(m.clicks), SUM(m.link_clicks),
            CAST(ROUND(SUM(m.spend_micros * (CASE WHEN acc.currency = %s THEN 1 ELSE r.rate END)))
                 AS BIGINT),
            SUM(m.conversions),
            CAST(ROUND(SUM(m.conversion_value_micros
                           * (CASE WHEN acc.currency = %s THEN 1 ELSE r.rate END))) AS BIGINT),
            SUM(m.leads), SUM(m.video_views), SUM(m.engagements)
        FROM campaigns_dailymetric m
        JOIN campaigns_ad a ON a.id = m.ad_id
        JOIN campaigns_campaign c ON c.id = a.campaign_id
        JOIN campaigns_adaccount acc ON acc.id = c.account_id
        JOIN campaigns_platform p ON p.id = acc.platform_id
        JOIN creatives_creativeimageslot s ON s.creative_id = a.creative_id
        LEFT JOIN campaigns_exchangerate r
            ON r.currency = acc.currency AND r.reporting_currency = %s AND r.date = m.date
        WHERE c.node_id IS NOT NULL {image_filter}
        GROUP BY s.image_id, c.node_id, c.objective, p.slug, {week}
    """


def exchange_rates_fill_gaps(*, reporting_currency: str | None = None) -> int:
    """Carry each foreign currency's last known rate forward over days that have metrics.

    Sources publish no rate on some days (weekends, holidays); spend on those days converts at
    the previous rate, and the row says where it came from. Returns how many rows it added.
    """
    reporting = reporting_currency or settings.YENNI_REPORTING_CURRENCY
    added = 0
    currencies = (
        AdAccount.objects.exclude(currency=reporting).values_list("currency", flat=True).distinct()
    )
    for currency in currencies:
        span = DailyMetric.objects.filter(ad__campaign__account__currency=currency).aggregate(
            first=Min("date"), last=Max("date")
        )
        if span["first"] is None:
            continue
        known = dict(
            ExchangeRate.objects.filter(
                currency=currency, reporting_currency=reporting, date__lte=span["last"]
            ).values_list("date", "rate")
        )
        if not known:
            raise RollupError(
                f"No exchange rate from {currency} to {reporting}: spend in {currency} cannot "
                f"be compared. Add rates in the admin (Exchange rates) from {span['first']}."
            )
        earliest = min(known)
        if earliest > span["first"]:
            raise RollupError(
                f"The first {currency}→{reporting} exchange rate is for {earliest}, but there "
                f"is spend in {currency} from {span['first']}. Add rates from that day."
            )
        missing = []
        day, last_rate, last_day = earliest, known[earliest], earliest
        while day <= span["last"]:
            if day in known:
                last_rate, last_day = known[day], day
            else:
                missing.append(
                    ExchangeRate(
                        currency=currency,
                        reporting_currency=reporting,
                        date=day,
                        rate=last_rate,
                        source=f"carried forward from {last_day.isoformat()}",
                    )
                )
            day += dt.timedelta(days=1)
        ExchangeRate.objects.bulk_create(missing, batch_size=1000, ignore_conflicts=True)
        added += len(missing)
    return added


def image_rollup_refresh(
    *, image_ids: Iterable[int] | None = None, as_of: dt.date | None = None
) -> int:
    """Rebuild the weekly rollup for these images (every image when None); return row count.

    Then re-group near-duplicates and rebuild the cumulative piece weeks of every piece these
    images belong to (or belonged to before the re-grouping), and record what the tables now
    cover. `as_of` is accepted for callers of the older window totals and ignored: the piece
    weeks answer any day.
    """
    del as_of
    reporting = settings.YENNI_REPORTING_CURRENCY
    exchange_rates_fill_gaps(reporting_currency=reporting)
    params = [reporting, reporting, reporting]
    ids = None if image_ids is None else sorted(set(image_ids))
    with transaction.atomic():
        # Writes recorded so far are about to be counted: their records go first, before the
        # metrics are read, so a write still uncommitted now keeps its record (and a write
        # committed in between is counted and still reported: behind, never falsely current).
        pending_clear(image_ids=ids)
        # Rows saved after this point are not counted: the coverage says so.
        through = DailyMetric.objects.aggregate(top=Max("id"))["top"] or 0
        with connection.cursor() as cursor:
            if ids is None:
                ImageWeeklyRollup.objects.all().delete()
                cursor.execute(_insert_sql(""), params)
                written = cursor.rowcount
            else:
                written = 0
                for start in range(0, len(ids), ID_CHUNK):
                    chunk = ids[start : start + ID_CHUNK]
                    ImageWeeklyRollup.objects.filter(image_id__in=chunk).delete()
                    marks = ", ".join(["%s"] * len(chunk))
                    cursor.execute(_insert_sql(f"AND s.image_id IN ({marks})"), params + chunk)
                    written += cursor.rowcount
        regrouped = near_duplicates_refresh()
        if ids is None:
            piece_weeks_refresh()
            ranking_coverage_record(through=through)
        else:
            leaders = set(
                CreativeImage.objects.filter(id__in=ids).values_list(
                    Coalesce("near_duplicate_of_id", "id"), flat=True
                )
            )
            piece_weeks_refresh(piece_ids=leaders | regrouped)
            ranking_coverage_record(through=through, image_ids=ids)
    return written


def pending_clear(*, image_ids: list[int] | None) -> int:
    """Delete the records of daily-metric writes that a refresh of these images (every image
    when None) counts; return how many went.

    A record names a creative: a refresh of some images counts it when every image the creative
    shows is among them. A creative deleted since (no images left) stays recorded until a whole
    refresh, since which pieces held its results is no longer known.
    """
    if image_ids is None:
        deleted, _ = RankingPending.objects.all().delete()
        return deleted
    pending = list(RankingPending.objects.values_list("id", "creative_id"))
    if not pending:
        return 0
    shown: dict[int, set[int]] = {}
    creatives = sorted({creative for _, creative in pending})
    for start in range(0, len(creatives), ID_CHUNK):
        for creative, image in CreativeImageSlot.objects.filter(
            creative_id__in=creatives[start : start + ID_CHUNK]
        ).values_list("creative_id", "image_id"):
            shown.setdefault(creative, set()).add(image)
    refreshed = set(image_ids)
    counted = [
        record
        for record, creative in pending
        if shown.get(creative) and shown[creative] <= refreshed
    ]
    for start in range(0, len(counted), ID_CHUNK):
        RankingPending.objects.filter(id__in=counted[start : start + ID_CHUNK]).delete()
    return len(counted)


def near_duplicates_refresh(*, bits: int = FOLD_DISTANCE) -> set[int]:
    """Point every near-copy at its group's first-stored image.

    Returns the pieces whose membership changed: each moved image's old and new leader.
    """
    rows = list(
        CreativeImage.objects.order_by("id").values_list("id", "phash", "near_duplicate_of_id")
    )
    leaders = near_duplicate_leaders([phash for _, phash, _ in rows], distance=bits)
    changed = []
    pieces: set[int] = set()
    for (image_id, _, current), lead in zip(rows, leaders, strict=True):
        wanted = rows[lead][0] if rows[lead][0] != image_id else None
        if wanted != current:
            changed.append(CreativeImage(id=image_id, near_duplicate_of_id=wanted))
            pieces.update({current or image_id, wanted or image_id})
    CreativeImage.objects.bulk_update(changed, ["near_duplicate_of"], batch_size=1000)
    return pieces


# A piece's weekly figures straight from the daily metrics: each daily row counts once for
# each piece its creative shows (a carousel of two near-copies is one piece), money converted
# at the row's day rate, days counted once whatever the images and ads that ran that day.
PIECE_WEEKS_SELECT = """
    SELECT cp.piece_id, c.node_id, c.objective, p.slug AS platform, {week} AS week,
        COUNT(DISTINCT m.date) AS active_days, SUM(m.impressions) AS impressions,
        SUM(m.clicks) AS clicks, SUM(m.link_clicks) AS link_clicks,
        CAST(ROUND(SUM(m.spend_micros * (CASE WHEN acc.currency = %s THEN 1 ELSE r.rate END)))
             AS BIGINT) AS spend_reporting_micros,
        SUM(m.conversions) AS conversions,
        CAST(ROUND(SUM(m.conversion_value_micros
                       * (CASE WHEN acc.currency = %s THEN 1 ELSE r.rate END))) AS BIGINT)
            AS conversion_value_reporting_micros,
        SUM(m.leads) AS leads, SUM(m.video_views) AS video_views,
        SUM(m.engagements) AS engagements
    FROM campaigns_dailymetric m
    JOIN campaigns_ad a ON a.id = m.ad_id
    JOIN campaigns_campaign c ON c.id = a.campaign_id
    JOIN campaigns_adaccount acc ON acc.id = c.account_id
    JOIN campaigns_platform p ON p.id = acc.platform_id
    JOIN (
        SELECT DISTINCT s.creative_id, COALESCE(i.near_duplicate_of_id, i.id) AS piece_id
        FROM creatives_creativeimageslot s
        JOIN creatives_creativeimage i ON i.id = s.image_id
        WHERE 1 = 1 {piece_filter}
    ) cp ON cp.creative_id = a.creative_id
    LEFT JOIN campaigns_exchangerate r
        ON r.currency = acc.currency AND r.reporting_currency = %s AND r.date = m.date
    WHERE c.node_id IS NOT NULL
    GROUP BY cp.piece_id, c.node_id, c.objective, p.slug, {week}
"""
FIGURE_NAMES = (
    "active_days, impressions, clicks, link_clicks, spend_reporting_micros, conversions, "
    "conversion_value_reporting_micros, leads, video_views, engagements"
)
_FIGURES = [name.strip() for name in FIGURE_NAMES.split(",")]
TEMP_TABLE = "ranking_piece_weeks_tmp"


def piece_weeks_refresh(*, piece_ids: Iterable[int] | None = None) -> int:
    """Rebuild the piece series and their cumulative weeks (every piece when None).

    Returns the week rows written. One pass over the daily metrics of these pieces into a
    temporary table, then the series (span and totals) and the running sums per week.
    """
    reporting = settings.YENNI_REPORTING_CURRENCY
    ids = None if piece_ids is None else sorted(set(piece_ids))
    if ids == []:
        return 0
    written = 0
    with transaction.atomic(), connection.cursor() as cursor:
        if ids is None:
            cursor.execute("DELETE FROM campaigns_pieceweek")
            cursor.execute("DELETE FROM campaigns_pieceseries")
            chunks: list[list[int] | None] = [None]
        else:
            chunks = [ids[start : start + ID_CHUNK] for start in range(0, len(ids), ID_CHUNK)]
        for chunk in chunks:
            piece_filter, extra = "", []
            if chunk is not None:
                marks = ", ".join(["%s"] * len(chunk))
                cursor.execute(
                    "DELETE FROM campaigns_pieceweek WHERE series_id IN (SELECT id FROM "
                    f"campaigns_pieceseries WHERE piece_id IN ({marks}))",
                    chunk,
                )
                cursor.execute(
                    f"DELETE FROM campaigns_pieceseries WHERE piece_id IN ({marks})", chunk
                )
                piece_filter = f"AND COALESCE(i.near_duplicate_of_id, i.id) IN ({marks})"
                extra = chunk
            written += _piece_weeks_insert(
                cursor, piece_filter, [reporting, reporting, *extra, reporting]
            )
    return written


def _piece_weeks_insert(cursor, piece_filter: str, params: list) -> int:
    # The series are written in the order a ranking reads them (node, objective, piece), so a
    # brief's series lie on few pages (and their weeks, numbered after them, near each other):
    # at 10M daily rows the largest brief's series read 148 pages where they read 469.
    # (Floating sums, the conversions, may differ in their last bits between two builds of
    # the same history with or without this order: the database adds them in its own order.)
    select = PIECE_WEEKS_SELECT.format(week=_week_sql(), piece_filter=piece_filter)
    cursor.execute(f"DROP TABLE IF EXISTS {TEMP_TABLE}")
    cursor.execute(f"CREATE TEMPORARY TABLE {TEMP_TABLE} AS {select}", params)
    sums = ", ".join(f"SUM(w.{name})" for name in _FIGURES)
    cursor.execute(
        f"""
        INSERT INTO campaigns_pieceseries (
            piece_id, node_id, objective, platform, phash, first_week, last_week, {FIGURE_NAMES}
        )
        SELECT w.piece_id, w.node_id, w.objective, w.platform, i.phash, MIN(w.week),
            MAX(w.week), {sums}
        FROM {TEMP_TABLE} w JOIN creatives_creativeimage i ON i.id = w.piece_id
        GROUP BY w.piece_id, w.node_id, w.objective, w.platform, i.phash
        ORDER BY w.node_id, w.objective, w.piece_id, w.platform
        """
    )
    # Every week of each series' span, from a calendar of Mondays: a week without results
    # sums nothing new and so carries the running sums of the week before.
    running = ", ".join(
        f"SUM(COALESCE(w.{name}, 0)) OVER (PARTITION BY s.id ORDER BY k.week)" for name in _FIGURES
    )
    cursor.execute(
        f"""
        INSERT INTO campaigns_pieceweek (series_id, node_id, objective, week, {FIGURE_NAMES})
        WITH RECURSIVE weeks(week) AS (
            SELECT MIN(week) FROM {TEMP_TABLE}
            UNION ALL
            SELECT {_next_week_sql("week")} FROM weeks
            WHERE week < (SELECT MAX(week) FROM {TEMP_TABLE})
        )
        SELECT s.id, s.node_id, s.objective, k.week, {running}
        FROM campaigns_pieceseries s
        JOIN weeks k ON k.week >= s.first_week AND k.week <= s.last_week
        LEFT JOIN {TEMP_TABLE} w ON w.piece_id = s.piece_id AND w.node_id = s.node_id
            AND w.objective = s.objective AND w.platform = s.platform AND w.week = k.week
        WHERE s.piece_id IN (SELECT piece_id FROM {TEMP_TABLE})
        """
    )
    written = cursor.rowcount
    cursor.execute(f"DROP TABLE {TEMP_TABLE}")
    return written


def ranking_coverage_record(*, through: int, image_ids: Iterable[int] | None = None) -> None:
    """Record that the tables count every daily metric up to id `through` of each account a
    refresh covered: every account after a whole rebuild; after a refresh of some images, each
    account whose rows since its last coverage all show those images (or that has none).

    So a load that refreshed nothing, or only part of what it saved, stays reported as behind.
    """
    ids = None if image_ids is None else list(image_ids)
    for account in AdAccount.objects.all():
        coverage, _ = RankingCoverage.objects.get_or_create(account=account)
        if coverage.metric_id_through >= through:
            continue
        if ids is not None:
            uncounted = DailyMetric.objects.filter(
                id__gt=coverage.metric_id_through,
                id__lte=through,
                ad__campaign__account=account,
                ad__creative__isnull=False,
            ).exclude(ad__creative__image_slots__image_id__in=ids)
            if uncounted.exists():
                continue
        coverage.metric_id_through = through
        coverage.save(update_fields=["metric_id_through", "refreshed_at"])


def ranking_refresh(
    *, account: AdAccount | None = None, node: Node | None = None
) -> RankingRefreshResult:
    """Rebuild the ranking tables: everything, or the images one account's (or one node's)
    campaigns show. What `refresh_ranking` runs when the tables are behind the metrics."""
    started = time.perf_counter()
    if account is None and node is None:
        written = image_rollup_refresh()
        images = None
    else:
        campaigns = Campaign.objects.all()
        if account is not None:
            campaigns = campaigns.filter(account=account)
        if node is not None:
            campaigns = campaigns.filter(node=node)
        image_ids = image_ids_for_campaigns(campaigns.values_list("id", flat=True))
        written = image_rollup_refresh(image_ids=image_ids)
        images = len(image_ids)
    return RankingRefreshResult(
        images=images,
        rollup_rows=written,
        piece_weeks=PieceWeek.objects.count(),
        seconds=time.perf_counter() - started,
    )


@dataclass(frozen=True)
class RankingRefreshResult:
    images: int | None  # None: every image
    rollup_rows: int
    piece_weeks: int
    seconds: float


def rollup_stamp() -> int:
    """A number that changes whenever the rollup is rebuilt (its rows are deleted and inserted
    with new ids): what a cache of sums read from the rollup keys on."""
    return ImageWeeklyRollup.objects.aggregate(top=Max("id"))["top"] or 0


def image_ids_for_campaigns(campaign_ids: Iterable[int]) -> list[int]:
    """Return the images shown by these campaigns' ads, to refresh after a re-mapping."""
    return sorted(
        set(
            Ad.objects.filter(campaign_id__in=list(campaign_ids), creative__isnull=False)
            .values_list("creative__image_slots__image_id", flat=True)
            .distinct()
        )
        - {None}
    )
