"""Recount an account's conversions and leads from the figures by type its daily rows hold.

When a lead changes which types an account counts (or an operator changes a platform default),
every daily row of the account is counted again from `DailyMetric.conversion_types`, with no
call to the platform, and the ranking tables are rebuilt for the account's images. The whole
recount is one transaction: a failure anywhere leaves every row and the ranking as they were.
Rows without a breakdown (CSV exports, the demo) keep the figures they came with.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone
from django_q.tasks import async_task

from campaigns.conversions import ConversionChoice, Counter, conversions_counter
from campaigns.models import Ad, AdAccount, Campaign, ConversionRecount, DailyMetric
from campaigns.rollups import RollupError, image_ids_for_campaigns, image_rollup_refresh

logger = logging.getLogger(__name__)

# Ads whose daily rows are read, counted and written at a time: bounded memory (two years of
# days of 20 ads is some 15,000 rows), and each row read once through the ad index.
ADS_PER_BATCH = 20
COUNTED_FIELDS = ("conversions", "conversion_value_micros", "leads")


@dataclass(frozen=True)
class RecountOutcome:
    """What a recount did: the choice it applied, the rows it read and changed."""

    choice: ConversionChoice
    rows_read: int
    rows_changed: int
    # Rows with no breakdown, left as they were: a CSV file's, or stored before every type was
    # kept (replaying the raw archive fills those, without asking the platform).
    rows_without_types: int = 0
    # Set when the rows are recounted but the ranking tables could not follow (a currency
    # without exchange rates): the next ingestion run or recount catches up.
    ranking_note: str = ""


def conversion_recount_queue(*, account: AdAccount, user=None) -> ConversionRecount:
    """Create a queued recount of the account and hand it to the job queue once committed."""
    recount = ConversionRecount.objects.create(account=account, requested_by=user)
    transaction.on_commit(lambda: async_task("campaigns.tasks.conversion_recount_task", recount.pk))
    return recount


def conversion_recount_run(
    *, recount: ConversionRecount, ads_per_batch: int = ADS_PER_BATCH
) -> ConversionRecount:
    """Claim a queued recount and run it; the row records how it ended.

    Never raises for a failed recount: the rows are as they were, and the row says why, so
    the task (or the command) reports it rather than the queue retrying blindly. Does
    nothing when another worker already claimed it.
    """
    if not recount.claim():
        recount.refresh_from_db()
        return recount
    try:
        outcome = account_conversions_recount(
            account_id=recount.account_id, ads_per_batch=ads_per_batch
        )
    except Exception as exc:  # any failure: the transaction rolled back, say why
        logger.exception(
            "Conversion recount %s of account %s failed", recount.pk, recount.account_id
        )
        recount.status = ConversionRecount.Status.FAILED
        recount.error = f"{type(exc).__name__}: {exc}"[:2000]
    else:
        recount.status = ConversionRecount.Status.SUCCEEDED
        recount.choice = outcome.choice.as_dict()
        recount.rows_read, recount.rows_changed = outcome.rows_read, outcome.rows_changed
        recount.rows_without_types = outcome.rows_without_types
        recount.error = outcome.ranking_note
    recount.finished_at = timezone.now()
    recount.save(
        update_fields=[
            "status",
            "choice",
            "rows_read",
            "rows_changed",
            "rows_without_types",
            "error",
            "finished_at",
        ]
    )
    return recount


def account_conversions_recount(
    *, account_id: int, ads_per_batch: int = ADS_PER_BATCH
) -> RecountOutcome:
    """Count every daily row of the account again by its current choice; write changed ones.

    Then rebuild the ranking tables for the account's images. One transaction: the account's
    row is locked first, as every save of its daily rows locks it (ingestion/services/store.py),
    so no chunk saved with the old choice can land between the rows read and the commit.
    """
    with transaction.atomic():
        account = (
            AdAccount.objects.select_for_update(no_key=True)
            .select_related("platform")
            .get(pk=account_id)
        )
        choice = account.conversion_choice()
        count = conversions_counter(platform=account.platform.slug, choice=choice)
        of_account = DailyMetric.objects.filter(ad__campaign__account_id=account_id)
        without_types = of_account.filter(conversion_types__isnull=True).count()
        ad_ids = list(
            Ad.objects.filter(campaign__account_id=account_id)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        read = changed = 0
        seen: set[str] = set()
        for first in range(0, len(ad_ids), ads_per_batch):
            # No row locks: the account's lock above keeps every writer of its rows out.
            batch = list(
                DailyMetric.objects.filter(
                    ad_id__in=ad_ids[first : first + ads_per_batch],
                    conversion_types__isnull=False,
                ).values_list("pk", "conversion_types", *COUNTED_FIELDS)
            )
            read += len(batch)
            changed += _batch_recount(batch, count=count)
            seen.update(name for _, types, *_ in batch for name in types)
        if sorted(seen) != account.conversion_types_seen:
            # Every row was read: the list of types seen is set again from them (types of
            # rows deleted since drop out).
            AdAccount.objects.filter(pk=account_id).update(conversion_types_seen=sorted(seen))
        note = ""
        if changed:
            note = _ranking_refresh(account_id=account_id)
    return RecountOutcome(
        choice=choice,
        rows_read=read,
        rows_changed=changed,
        rows_without_types=without_types,
        ranking_note=note,
    )


def _batch_recount(batch: list[tuple], *, count: Counter) -> int:
    """Count (id, types, conversions, value, leads) rows again; write the ones whose figures
    moved. Return how many."""
    moved = []
    for pk, types, *before in batch:
        counted = count(types)
        figures = (counted.conversions, counted.conversion_value_micros, counted.leads)
        if tuple(before) != figures:
            moved.append((*figures, pk))
    if moved:
        _figures_write(moved)
    return len(moved)


def _figures_write(moved: list[tuple[float, int, int, int]]) -> None:
    """Write (conversions, value, leads, id) rows.

    Not bulk_update: its CASE over a whole batch costs the square of the batch on PostgreSQL
    (70,000 rows took 105 s). PostgreSQL takes the batch as arrays in one UPDATE … FROM
    unnest; SQLite runs one UPDATE a row, in process.
    """
    table = DailyMetric._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            conversions, values, leads, ids = (list(column) for column in zip(*moved, strict=True))
            cursor.execute(
                f"UPDATE {table} AS m SET conversions = n.conversions, "
                "conversion_value_micros = n.value, leads = n.leads "
                "FROM unnest(%s::double precision[], %s::bigint[], %s::integer[], %s::bigint[]) "
                "AS n (conversions, value, leads, id) WHERE m.id = n.id",
                [conversions, values, leads, ids],
            )
        else:
            assignments = ", ".join(f"{name} = %s" for name in COUNTED_FIELDS)
            cursor.executemany(f"UPDATE {table} SET {assignments} WHERE id = %s", moved)


def _ranking_refresh(*, account_id: int) -> str:
    """Rebuild the ranking tables for the account's images; return a note if they could not."""
    campaign_ids = Campaign.objects.filter(account_id=account_id).values_list("pk", flat=True)
    try:
        image_rollup_refresh(image_ids=image_ids_for_campaigns(campaign_ids))
    except RollupError as exc:
        # The rollup's own savepoint rolled back; the recounted rows stand, as after a sync.
        return f"The figures are recounted, but briefs do not see them yet: {exc}"
    return ""
