"""Sort the library: by seen dates in the database, or by a metric over every image in NumPy.

Summing the weekly rollup over the whole catalog is the one expensive step of a page sorted by
a metric (580,000 rows for 20,000 images over a year: about 150 ms). It is done once per scope
(node, platform, objective, period) and rollup build, then every sort, filter and page of that
scope is NumPy over 20,000 numbers.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np
from cachetools import LRUCache
from django.db.models import Count, F, FloatField, Max, QuerySet, Sum
from django.db.models.functions import Cast

from campaigns.models import ImageWeeklyRollup
from campaigns.ranking.metrics import in_currency, metric_column
from campaigns.rollups import rollup_stamp
from creatives.models import CreativeImage
from library.query import CARD_COLUMNS, LibraryQuery, rollup_q
from library.shared import shared_get_or_compute, shared_key


@dataclass(frozen=True)
class ScopeSums:
    """Every image's sums in one rollup scope (node, platform, objective, period), by id."""

    ids: np.ndarray  # sorted int64
    columns: dict[str, np.ndarray]  # float64 figures (money in the reporting currency)

    def metric(self, key: str) -> np.ndarray:
        """The metric per image, NaN where it is undefined (no clicks for a CPC …)."""
        return metric_column(key, self.columns)


# Scopes kept in this process too, bounded by their images rather than their number: a
# whole-catalog scope holds every image, a node's quarter a few hundred. 500,000 rows are about
# 32 MB. The shared cache (library.shared) is what a fresh process reads them from.
SCOPE_CACHE_ROWS = 500_000


def _rows_kept(sums: ScopeSums) -> int:
    # A scope larger than the whole cache still goes in, alone, as the newest.
    return min(len(sums.ids), SCOPE_CACHE_ROWS)


# The least recently used scopes go first when the kept rows pass SCOPE_CACHE_ROWS.
_scope_cache: LRUCache = LRUCache(maxsize=SCOPE_CACHE_ROWS, getsizeof=_rows_kept)
_scope_lock = threading.Lock()


def scope_sums(query: LibraryQuery) -> ScopeSums:
    """The sums of every image in the query's rollup scope: from this process, else from the
    shared cache, else summed from the rollup (and shared).

    The key holds the rollup build (a rebuild gives new row ids, so its highest id changes):
    new figures are a new key, read on the next request of any process.
    """
    key = shared_key(
        "scope",
        query.node.pk if query.node else "",
        query.platform,
        query.objective,
        query.date_from or "",
        query.date_to or "",
        rollup_stamp(),
    )
    with _scope_lock:
        found = _scope_cache.get(key)
    if found is not None:
        return found
    found = shared_get_or_compute(key, lambda: _scope_sums_read(query))
    with _scope_lock:
        _scope_cache[key] = found
    return found


def _scope_sums_read(query: LibraryQuery) -> ScopeSums:
    # Floats, not integers: PostgreSQL sums bigints as numeric, several times slower.
    sums = {alias: Sum(Cast(column, FloatField())) for alias, column in CARD_COLUMNS.items()}
    rows = list(
        ImageWeeklyRollup.objects.filter(rollup_q(query))
        .values("image_id")
        .annotate(**sums)
        .order_by("image_id")
        .values_list("image_id", *CARD_COLUMNS)
    )
    table = np.array(rows, dtype=np.float64).reshape(len(rows), len(CARD_COLUMNS) + 1)
    return ScopeSums(
        ids=table[:, 0].astype(np.int64),
        columns={name: in_currency(name, table[:, i + 1]) for i, name in enumerate(CARD_COLUMNS)},
    )


def scope_cache_clear() -> None:
    with _scope_lock:
        _scope_cache.clear()
    _all_ids.clear()


_all_ids: dict[str, np.ndarray] = {}  # the newest key only


def all_image_ids() -> np.ndarray:
    """Every image's id, sorted: from this process, the shared cache, or the table.

    Keyed by the images' count and highest id (an image added or removed changes one), so the
    first unfiltered metric sort of a process reads 20,000 ids from the shared cache instead of
    loading the perceptual-hash index (about 90 ms on a busy machine).
    """
    found = CreativeImage.objects.aggregate(count=Count("id"), top=Max("id"))
    key = shared_key("images", found["count"], found["top"] or 0)
    ids = _all_ids.get(key)
    if ids is None:
        ids = shared_get_or_compute(
            key,
            lambda: np.fromiter(
                CreativeImage.objects.order_by("pk").values_list("pk", flat=True), dtype=np.int64
            ),
        )
        _all_ids.clear()
        _all_ids[key] = ids
    return ids


def candidate_ids(images: QuerySet, query: LibraryQuery) -> np.ndarray:
    """The ids the filters keep, sorted, read with as little work as the filters allow."""
    only_scope = not (
        (query.text and not query.semantic)
        or query.colour
        or query.described
        or query.orientation
        or query.tier
    )
    if only_scope and query.has_rollup_filter:
        return scope_sums(query).ids  # the images with rows in scope, exactly the filter
    if only_scope:
        return all_image_ids()
    ids = np.fromiter(images.order_by().values_list("pk", flat=True), dtype=np.int64)
    ids.sort()
    return ids


def metric_order(candidates: np.ndarray, query: LibraryQuery) -> np.ndarray:
    """Candidates by the metric (best first unless asked), ties by id; no figures last."""
    sums = scope_sums(query)
    values = sums.metric(query.sort_spec.key)
    metric = np.full(len(candidates), np.nan)
    if len(sums.ids):
        at = np.minimum(np.searchsorted(sums.ids, candidates), len(sums.ids) - 1)
        hit = sums.ids[at] == candidates
        metric[hit] = values[at[hit]]
    missing = np.isnan(metric)
    metric = np.where(missing, 0.0, metric)
    if query.descending:
        order = np.lexsort((-candidates, -metric, missing))
    else:
        order = np.lexsort((candidates, metric, missing))
    return candidates[order]


def date_sorted_ids(images: QuerySet, query: LibraryQuery, *, offset: int, limit: int) -> list[int]:
    """One page of ids by last (or first) seen date, newest first unless asked."""
    column = "last_seen" if query.sort_spec.key == "recent" else "first_seen"
    if query.descending:
        ordered = images.order_by(F(column).desc(nulls_last=True), "-pk")
    else:
        ordered = images.order_by(F(column).asc(nulls_last=True), "pk")
    return list(ordered.values_list("pk", flat=True)[offset : offset + limit])
