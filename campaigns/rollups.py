"""Keep the weekly per-image rollup that ranking reads, and the exchange rates it needs.

A brief's ranking must answer in milliseconds over years of daily metrics, so the daily rows
are summed once per image, node, objective, platform and week, with money converted to the
reporting currency at each day's rate. Ingestion, the demo and node re-mapping call
`image_rollup_refresh` for the images they touched.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Max, Min
from django.utils import timezone

from campaigns.calendar import window_weeks
from campaigns.models import (
    Ad,
    AdAccount,
    DailyMetric,
    ExchangeRate,
    ImageWeeklyRollup,
    PieceWindowTotal,
    PieceWindowTotalsBuild,
    RankingRule,
)
from campaigns.ranking.pieces import FOLD_DISTANCE, near_duplicate_leaders
from creatives.models import CreativeImage

# SQLite allows 999 parameters in old builds; stay well under it.
ID_CHUNK = 500


class RollupError(Exception):
    """The rollup cannot be built; the message says what to fix."""


def _week_sql() -> str:
    if connection.vendor == "postgresql":
        return "CAST(date_trunc('week', m.date) AS date)"
    # SQLite: the coming Sunday (or today if Sunday), minus six days, is this week's Monday.
    return "date(m.date, 'weekday 0', '-6 days')"


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

    Then re-group near-duplicates and rebuild the window totals briefs read, as of `as_of`
    (today by default).
    """
    reporting = settings.YENNI_REPORTING_CURRENCY
    exchange_rates_fill_gaps(reporting_currency=reporting)
    params = [reporting, reporting, reporting]
    with transaction.atomic():
        with connection.cursor() as cursor:
            if image_ids is None:
                ImageWeeklyRollup.objects.all().delete()
                cursor.execute(_insert_sql(""), params)
                written = cursor.rowcount
            else:
                ids = sorted(set(image_ids))
                written = 0
                for start in range(0, len(ids), ID_CHUNK):
                    chunk = ids[start : start + ID_CHUNK]
                    ImageWeeklyRollup.objects.filter(image_id__in=chunk).delete()
                    marks = ", ".join(["%s"] * len(chunk))
                    cursor.execute(_insert_sql(f"AND s.image_id IN ({marks})"), params + chunk)
                    written += cursor.rowcount
        near_duplicates_refresh()
        window_totals_refresh(as_of=as_of)
    return written


def near_duplicates_refresh(*, bits: int = FOLD_DISTANCE) -> int:
    """Point every near-copy at its group's first-stored image; return how many changed."""
    rows = list(
        CreativeImage.objects.order_by("id").values_list("id", "phash", "near_duplicate_of_id")
    )
    leaders = near_duplicate_leaders([phash for _, phash, _ in rows], distance=bits)
    changed = []
    for (image_id, _, current), lead in zip(rows, leaders, strict=True):
        wanted = rows[lead][0] if rows[lead][0] != image_id else None
        if wanted != current:
            changed.append(CreativeImage(id=image_id, near_duplicate_of_id=wanted))
    CreativeImage.objects.bulk_update(changed, ["near_duplicate_of"], batch_size=1000)
    return len(changed)


WINDOW_TOTALS_SQL = """
    INSERT INTO campaigns_piecewindowtotal (
        window_days, week_from, week_to, piece_id, node_id, objective, platform, phash,
        active_days, impressions, clicks, link_clicks, spend_reporting_micros, conversions,
        conversion_value_reporting_micros, leads, video_views, engagements
    )
    SELECT %s, %s, %s, p.id, r.node_id, r.objective, r.platform, p.phash,
        SUM(r.active_days), SUM(r.impressions), SUM(r.clicks), SUM(r.link_clicks),
        SUM(r.spend_reporting_micros), SUM(r.conversions),
        SUM(r.conversion_value_reporting_micros), SUM(r.leads), SUM(r.video_views),
        SUM(r.engagements)
    FROM campaigns_imageweeklyrollup r
    JOIN creatives_creativeimage i ON i.id = r.image_id
    JOIN creatives_creativeimage p ON p.id = COALESCE(i.near_duplicate_of_id, i.id)
    WHERE r.week >= %s AND r.week <= %s
    GROUP BY p.id, p.phash, r.node_id, r.objective, r.platform
"""


def window_totals_refresh(
    *, as_of: dt.date | None = None, window_days: Iterable[int] | None = None
) -> int:
    """Rebuild the per-piece totals for each window length the active rules use."""
    as_of = as_of or timezone.localdate()
    if window_days is None:
        window_days = RankingRule.objects.filter(active=True, half_life_days__isnull=True)
        window_days = window_days.values_list("window_days", flat=True).distinct()
    written = 0
    with transaction.atomic(), connection.cursor() as cursor:
        for days in sorted(set(window_days)):
            week_from, week_to = window_weeks(window_days=days, as_of=as_of)
            PieceWindowTotal.objects.filter(window_days=days).delete()
            cursor.execute(WINDOW_TOTALS_SQL, [days, week_from, week_to, week_from, week_to])
            written += cursor.rowcount
            PieceWindowTotalsBuild.objects.update_or_create(
                window_days=days, defaults={"week_from": week_from, "week_to": week_to}
            )
    return written


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
