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

from django.db import transaction
from django.utils import timezone
from django_q.tasks import async_task

from campaigns.conversions import ConversionChoice, conversions_count
from campaigns.models import AdAccount, Campaign, ConversionRecount, DailyMetric
from campaigns.rollups import RollupError, image_ids_for_campaigns, image_rollup_refresh

logger = logging.getLogger(__name__)

# Daily rows read, counted and written at a time: bounded memory on an account of millions.
BATCH_SIZE = 2000
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
    *, recount: ConversionRecount, batch_size: int = BATCH_SIZE
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
        outcome = account_conversions_recount(account_id=recount.account_id, batch_size=batch_size)
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


def account_conversions_recount(*, account_id: int, batch_size: int = BATCH_SIZE) -> RecountOutcome:
    """Count every daily row of the account again by its current choice; write changed ones.

    Then rebuild the ranking tables for the account's images. One transaction: the account's
    row is locked first (as a sync locks it to save a chunk, ingestion/services/store.py), so
    no chunk saved with the old choice can land between the rows read and the commit.
    """
    with transaction.atomic():
        account = (
            AdAccount.objects.select_for_update(no_key=True)
            .select_related("platform")
            .get(pk=account_id)
        )
        choice = account.conversion_choice()
        platform = account.platform.slug
        of_account = DailyMetric.objects.filter(ad__campaign__account_id=account_id)
        without_types = of_account.filter(conversion_types__isnull=True).count()
        rows = of_account.filter(conversion_types__isnull=False).only(
            "pk", "conversion_types", *COUNTED_FIELDS
        )
        read = changed = 0
        last_pk = 0
        while True:
            batch = list(
                rows.filter(pk__gt=last_pk)
                .order_by("pk")
                .select_for_update(no_key=True, of=("self",))[:batch_size]
            )
            if not batch:
                break
            last_pk = batch[-1].pk
            read += len(batch)
            changed += _batch_recount(batch, platform=platform, choice=choice)
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


def _batch_recount(batch: list[DailyMetric], *, platform: str, choice: ConversionChoice) -> int:
    """Count a batch of rows again; write the ones whose figures moved. Return how many."""
    moved = []
    for row in batch:
        counted = conversions_count(platform=platform, figures=row.conversion_types, choice=choice)
        figures = (counted.conversions, counted.conversion_value_micros, counted.leads)
        if (row.conversions, row.conversion_value_micros, row.leads) != figures:
            row.conversions, row.conversion_value_micros, row.leads = figures
            moved.append(row)
    DailyMetric.objects.bulk_update(moved, COUNTED_FIELDS, batch_size=len(batch) or 1)
    return len(moved)


def _ranking_refresh(*, account_id: int) -> str:
    """Rebuild the ranking tables for the account's images; return a note if they could not."""
    campaign_ids = Campaign.objects.filter(account_id=account_id).values_list("pk", flat=True)
    try:
        image_rollup_refresh(image_ids=image_ids_for_campaigns(campaign_ids))
    except RollupError as exc:
        # The rollup's own savepoint rolled back; the recounted rows stand, as after a sync.
        return f"The figures are recounted, but briefs do not see them yet: {exc}"
    return ""
