"""Reads of the ad history that pages and the API need."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.cache import cache
from django.db import connection
from django.db.models import Count
from django.utils import timezone

from campaigns.models import Ad, AdAccount, Campaign, DailyMetric, Objective
from creatives.models import Creative, CreativeImage


@dataclass(frozen=True)
class NodeObjectiveRow:
    """One node's campaign counts, one per objective in `Objective` order."""

    node_name: str | None  # None: campaigns no rule or account maps to a node yet
    counts: tuple[int, ...]

    @property
    def total(self) -> int:
        return sum(self.counts)


@dataclass(frozen=True)
class CatalogSummary:
    creatives: int
    images: int
    campaigns: int
    ads: int
    metrics_first_date: dt.date | None
    metrics_last_date: dt.date | None
    objectives: tuple[tuple[str, str], ...]  # (value, label) in taxonomy order
    by_node: tuple[NodeObjectiveRow, ...]  # named nodes by name, then the unmapped row

    @property
    def is_empty(self) -> bool:
        return not (self.creatives or self.images or self.campaigns)

    @property
    def objective_totals(self) -> tuple[int, ...]:
        width = len(self.objectives)
        return tuple(sum(row.counts[i] for row in self.by_node) for i in range(width))


def catalog_summary() -> CatalogSummary:
    """Return how much ad history Yenni holds, in six queries whatever its size.

    Counts come from indexed tables; daily metrics are never counted or scanned, only their
    first and last date (read from the date index), since that table holds millions of rows.
    """
    grouped = (
        Campaign.objects.order_by()
        .values("node__name", "objective")
        .annotate(n=Count("id"))
        .values_list("node__name", "objective", "n")
    )
    values = list(Objective.values)
    per_node: dict[str | None, list[int]] = {}
    for node_name, objective, n in grouped:
        per_node.setdefault(node_name, [0] * len(values))[values.index(objective)] += n
    rows = [
        NodeObjectiveRow(node_name=name, counts=tuple(per_node[name]))
        for name in sorted((name for name in per_node if name is not None), key=str.casefold)
    ]
    if None in per_node:
        rows.append(NodeObjectiveRow(node_name=None, counts=tuple(per_node[None])))
    # Two index seeks: SQLite scans the whole index when MIN and MAX share one query.
    dated = DailyMetric.objects.values_list("date", flat=True)
    first_date = dated.order_by("date").first()
    last_date = dated.order_by("-date").first()
    return CatalogSummary(
        creatives=Creative.objects.count(),
        images=CreativeImage.objects.count(),
        campaigns=sum(row.total for row in rows),
        ads=Ad.objects.count(),
        metrics_first_date=first_date,
        metrics_last_date=last_date,
        objectives=tuple(Objective.choices),
        by_node=tuple(rows),
    )


@dataclass(frozen=True)
class ConversionTypeSeen:
    """One conversion type of an account, with its totals over the recent days."""

    name: str
    days: int  # ad-days that reported it in the window
    count: float
    value_micros: int


# The days whose totals the list of types shows: what a lead weighs is what counts now, and
# the account's whole history (millions of rows) would take seconds to read for a page.
TYPES_SEEN_DAYS = 90
# How long those totals are reused (the names are always the account's current list).
TYPES_SEEN_CACHE_SECONDS = 600


def _types_seen_sql() -> str:
    """Every key of the rows' breakdowns with its totals: jsonb_each on PostgreSQL, json_each
    (JSON1) on SQLite; the rows are an account's, through its ads and campaigns, from a day."""
    if connection.vendor == "postgresql":
        each = "CROSS JOIN LATERAL jsonb_each(m.conversion_types) AS t"
        count = "CAST(t.value ->> 0 AS DOUBLE PRECISION)"
        value = "CAST(t.value ->> 1 AS NUMERIC)"
    else:
        each = "JOIN json_each(m.conversion_types) AS t"
        count = "json_extract(t.value, '$[0]')"
        value = "json_extract(t.value, '$[1]')"
    return f"""
        SELECT t.key, COUNT(*), SUM({count}), SUM({value})
        FROM campaigns_dailymetric m
        JOIN campaigns_ad a ON a.id = m.ad_id
        JOIN campaigns_campaign c ON c.id = a.campaign_id
        {each}
        WHERE c.account_id = %s AND m.date >= %s AND m.conversion_types IS NOT NULL
        GROUP BY t.key
    """


def conversion_types_seen(
    *, account: AdAccount, days: int = TYPES_SEEN_DAYS, today: dt.date | None = None
) -> list[ConversionTypeSeen]:
    """Return every type the account's history reports, with its totals over the last `days`,
    most counted first; types not reported lately come last, with zeros.

    The names come from the account's list (kept as rows are saved), the totals from one
    query bounded by the date index, reused for TYPES_SEEN_CACHE_SECONDS.
    """
    since = (today or timezone.localdate()) - dt.timedelta(days=days)
    # The creation time too: a database rebuilt (tests, a restore) may give an id again.
    created = account.created_at.timestamp()
    key = f"conversion-types-seen:{account.pk}:{created:.6f}:{since.isoformat()}"
    rows = cache.get(key)
    if rows is None:
        with connection.cursor() as cursor:
            cursor.execute(_types_seen_sql(), [account.pk, since])
            rows = cursor.fetchall()
        # A second or more on a large account: a lead editing it reads the totals once.
        cache.set(key, rows, TYPES_SEEN_CACHE_SECONDS)
    recent = {
        name: ConversionTypeSeen(
            name=name, days=int(n), count=float(count or 0), value_micros=int(value or 0)
        )
        for name, n, count, value in rows
    }
    for name in account.conversion_types_seen or []:
        recent.setdefault(name, ConversionTypeSeen(name=name, days=0, count=0.0, value_micros=0))
    return sorted(recent.values(), key=lambda t: (-t.count, -t.value_micros, t.name))
