"""Save connector records into the catalog: campaigns, creatives, ads, then daily metrics.

`records_store` is the one chain every kind of run uses (API sync, replay, CSV file); the
upserts below it compare before writing, so a re-read that changes nothing writes nothing.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import dataclass

from django.db import connection

from campaigns.conversions import Counted, Counter, conversions_counter, figures_by_type
from campaigns.models import DAILY_METRIC_FIGURES, Ad, AdAccount, Campaign, DailyMetric
from campaigns.objectives import map_objective
from campaigns.services import node_mapping_apply
from creatives.models import Creative
from ingestion.connectors.records import (
    AdRecord,
    CampaignRecord,
    CreativeRecord,
    DailyMetricRecord,
    Parsed,
)

logger = logging.getLogger(__name__)

METRIC_FIELDS = list(DAILY_METRIC_FIGURES)
# What the upsert writes: the figures, then every conversion type the platform reported. Kept
# apart from METRIC_FIELDS, which the demo and bench/ingest.py write without the breakdown.
UPSERT_FIELDS = [*METRIC_FIELDS, "conversion_types"]
_COUNTED = ("conversions", "conversion_value_micros", "leads")


@dataclass
class UpsertCounts:
    """Rows the upserts created and updated (a deleted metric row counts as updated)."""

    created: int = 0
    updated: int = 0


@dataclass
class StoredCatalog:
    """What `records_store` saved, by external id: what later metrics and images attach to."""

    campaign_ids: dict[str, int]
    creatives: dict[str, Creative]
    ad_ids: dict[str, int]


def records_store(
    *,
    account: AdAccount,
    records: Parsed,
    counts: UpsertCounts,
    update_existing: bool = True,
    link_stored_creatives: bool = False,
) -> StoredCatalog:
    """Save a bundle of records in order: campaigns, creatives, ads, then its metrics.

    The metrics are merged: days and ads the bundle does not hold stay as they are (a sync's
    chunks, which replace whole days, go through `daily_metrics_upsert`). `update_existing` off
    keeps rows that already exist as they are (a CSV file never overwrites what the API said).
    `link_stored_creatives` links ads to stored creatives the bundle names but does not hold:
    where copy lives outside the listing (LinkedIn posts, X tweets), a replay keeps the links.
    Call inside a transaction.
    """
    slug = account.platform.slug
    campaign_ids = campaigns_upsert(
        account=account,
        records=records.campaigns,
        counts=counts,
        update_existing=update_existing,
    )
    creatives = creatives_upsert(
        platform=slug, records=records.creatives, counts=counts, update_existing=update_existing
    )
    if link_stored_creatives:
        wanted = {a.creative_external_id for a in records.ads} - set(creatives) - {""}
        creatives.update(
            (c.external_id, c)
            for c in Creative.objects.filter(platform=slug, external_id__in=wanted)
        )
    ad_ids = ads_upsert(
        account=account,
        records=records.ads,
        campaign_ids=campaign_ids,
        creatives=creatives,
        counts=counts,
        update_existing=update_existing,
    )
    daily_metrics_merge(
        account=account,
        records=records.metrics,
        ad_ids=ad_ids,
        campaign_ids=campaign_ids,
        counts=counts,
    )
    return StoredCatalog(campaign_ids=campaign_ids, creatives=creatives, ad_ids=ad_ids)


def _clip(value: str, length: int) -> str:
    return (value or "")[:length]


def campaigns_upsert(
    *,
    account: AdAccount,
    records: list[CampaignRecord],
    counts: UpsertCounts,
    update_existing: bool = True,
) -> dict[str, int]:
    """Create or update the account's campaigns; return their ids by external id.

    The objective is set on create, and again only when the platform's raw value changes, so
    an objective a lead corrected by hand survives every later sync of the same campaign.
    """
    slug = account.platform.slug
    existing = {c.external_id: c for c in Campaign.objects.filter(account=account)}
    to_create, to_update, to_map = [], [], []
    for record in {r.external_id: r for r in records}.values():
        start, end = record.start_date, record.end_date
        if start and end and start > end:
            end = None
        values = {
            "name": _clip(record.name, 500) or record.external_id,
            "status": _clip(record.status, 40),
            "start_date": start,
            "end_date": end,
        }
        campaign = existing.get(record.external_id)
        if campaign is None:
            campaign = Campaign(
                account=account,
                external_id=record.external_id,
                objective_raw=_clip(record.objective_raw, 100),
                objective=map_objective(slug, record.objective_raw),
                **values,
            )
            to_create.append(campaign)
            continue
        if not update_existing:
            continue
        changed = [name for name, value in values.items() if getattr(campaign, name) != value]
        if campaign.objective_raw != _clip(record.objective_raw, 100):
            campaign.objective_raw = _clip(record.objective_raw, 100)
            campaign.objective = map_objective(slug, record.objective_raw)
            changed += ["objective_raw", "objective"]
        if changed:
            if "name" in changed:
                to_map.append(campaign)
            for name, value in values.items():
                setattr(campaign, name, value)
            to_update.append(campaign)
    Campaign.objects.bulk_create(to_create, batch_size=1000)
    Campaign.objects.bulk_update(
        to_update,
        ["name", "status", "start_date", "end_date", "objective_raw", "objective"],
        batch_size=1000,
    )
    counts.created += len(to_create)
    counts.updated += len(to_update)
    created_ids = {c.external_id for c in to_create}
    ids = dict(Campaign.objects.filter(account=account).values_list("external_id", "id"))
    # New campaigns and renamed ones go through the node mapping rules.
    fresh = list(Campaign.objects.filter(account=account, external_id__in=created_ids))
    for campaign in fresh + to_map:
        campaign.account = account
    if fresh or to_map:
        node_mapping_apply(campaigns=fresh + to_map)
    return ids


def creatives_upsert(
    *,
    platform: str,
    records: list[CreativeRecord],
    counts: UpsertCounts,
    update_existing: bool = True,
) -> dict[str, Creative]:
    """Create or update creatives by (platform, external id); return them by external id."""
    by_id = {r.external_id: r for r in records}
    existing = {
        c.external_id: c
        for c in Creative.objects.filter(platform=platform, external_id__in=list(by_id))
    }
    to_create, to_update = [], []
    fields = ["name", "headline", "body", "call_to_action", "landing_url"]
    for record in by_id.values():
        values = {
            "name": _clip(record.name, 255),
            "headline": _clip(record.headline, 500),
            "body": record.body or "",
            "call_to_action": _clip(record.call_to_action, 100),
            "landing_url": _clip(record.landing_url, 2000),
        }
        creative = existing.get(record.external_id)
        if creative is None:
            to_create.append(Creative(platform=platform, external_id=record.external_id, **values))
        elif update_existing and any(getattr(creative, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(creative, k, v)
            to_update.append(creative)
    Creative.objects.bulk_create(to_create, batch_size=1000)
    Creative.objects.bulk_update(to_update, fields, batch_size=1000)
    counts.created += len(to_create)
    counts.updated += len(to_update)
    return {
        c.external_id: c
        for c in Creative.objects.filter(platform=platform, external_id__in=list(by_id))
    }


def ads_upsert(
    *,
    account: AdAccount,
    records: list[AdRecord],
    campaign_ids: dict[str, int],
    creatives: dict[str, Creative],
    counts: UpsertCounts,
    update_existing: bool = True,
) -> dict[str, int]:
    """Create or update the account's ads; return their ids by external id."""
    existing = {a.external_id: a for a in Ad.objects.filter(campaign__account=account)}
    to_create, to_update = [], []
    for record in {r.external_id: r for r in records}.values():
        campaign_id = campaign_ids.get(record.campaign_external_id)
        if campaign_id is None:
            logger.warning("Ad %s names an unknown campaign; skipped", record.external_id)
            continue
        creative = creatives.get(record.creative_external_id)
        values = {
            "campaign_id": campaign_id,
            "name": _clip(record.name, 500),
            "status": _clip(record.status, 40),
            "creative_id": creative.pk if creative else None,
        }
        ad = existing.get(record.external_id)
        if ad is None:
            to_create.append(Ad(external_id=record.external_id, **values))
        elif update_existing and any(getattr(ad, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(ad, k, v)
            to_update.append(ad)
    Ad.objects.bulk_create(to_create, batch_size=1000)
    Ad.objects.bulk_update(to_update, ["campaign", "name", "status", "creative"], batch_size=1000)
    counts.created += len(to_create)
    counts.updated += len(to_update)
    return dict(Ad.objects.filter(campaign__account=account).values_list("external_id", "id"))


# Daily metrics -----------------------------------------------------------------------------

MetricKey = tuple[int, dt.date]  # (ad id, date)


def daily_metrics_upsert(
    *,
    account: AdAccount,
    records: list[DailyMetricRecord],
    ad_ids: dict[str, int],
    campaign_ids: dict[str, int],
    since: dt.date,
    until: dt.date,
    counts: UpsertCounts,
    delete_missing: bool = True,
) -> None:
    """Make the account's metrics for since…until exactly what the platform just reported.

    Unchanged rows are not written; changed and new ones go in one upsert on (ad, date); rows
    the platform no longer reports for those days are deleted (unless `delete_missing` is
    off, for sources that hold only part of an account). A record that reports its conversion
    types is stored with all of them, and its conversions, their value and its leads are
    counted by the account's choice (campaigns/conversions.py); a record without them (a CSV
    export) keeps the figures it carries. Call inside a transaction.
    """
    latest: dict[MetricKey, tuple] = {}
    locked = _account_locked(account) if records else None
    count: Counter | None = None
    seen: set[str] = set()
    for record in records:
        ad_id = ad_ids.get(record.ad_external_id)
        if ad_id is None:
            ad_id = _ad_stub(
                account=account,
                record=record,
                campaign_ids=campaign_ids,
                ad_ids=ad_ids,
                counts=counts,
            )
            if ad_id is None:
                continue
        values = tuple(getattr(record, name) for name in METRIC_FIELDS)
        figures = None  # a source without types (a CSV file): its figures are kept
        if (
            record.conversions_by_type
            or record.conversion_values_by_type
            or record.reports_conversion_types
        ):
            figures = figures_by_type(record.conversions_by_type, record.conversion_values_by_type)
            # The platform reported its types ({} when all were zero): the account's choice
            # says what counts. A default from a bad setting raises ConversionChoiceError;
            # runs check it before their first call (connector_for_account).
            if count is None:
                count = conversions_counter(
                    platform=locked.platform.slug, choice=locked.conversion_choice()
                )
            values = _with_counted(values, count(figures))
        latest[(ad_id, record.date)] = (*values, figures)
        if figures:
            seen.update(figures)
    if seen and not seen <= set(locked.conversion_types_seen):
        # Under the account's lock: concurrent chunks of the account add to the list in turn.
        AdAccount.objects.filter(pk=account.pk).update(
            conversion_types_seen=sorted(seen | set(locked.conversion_types_seen))
        )
    upsert = (
        _daily_metrics_upsert_postgresql
        if connection.vendor == "postgresql"
        else _daily_metrics_upsert_orm
    )
    upsert(
        account=account,
        latest=latest,
        since=since,
        until=until,
        counts=counts,
        delete_missing=delete_missing,
    )


_COUNTED_AT = tuple(METRIC_FIELDS.index(name) for name in _COUNTED)


def _with_counted(values: tuple, counted: Counted) -> tuple:
    """Return a row's figures with conversions, their value and leads as counted."""
    row = list(values)
    for index, name in zip(_COUNTED_AT, _COUNTED, strict=True):
        row[index] = getattr(counted, name)
    return tuple(row)


def _account_locked(account: AdAccount) -> AdAccount:
    """Lock the account's row until the transaction ends; return it with its platform and its
    choice of types, as they are now.

    Every save of the account's daily rows takes this lock (a CSV file's too), and so does a
    recount (campaigns/conversion_recount.py), so the two never interleave: a chunk either
    ends before the recount reads the rows, or counts with the choice the recount applies.
    One query a chunk.
    """
    return (
        AdAccount.objects.select_for_update(no_key=True)
        .select_related("platform")
        .only("platform__slug", "conversion_types", "lead_types", "conversion_types_seen")
        .get(pk=account.pk)
    )


def _daily_metrics_upsert_orm(
    *,
    account: AdAccount,
    latest: dict[MetricKey, tuple],
    since: dt.date,
    until: dt.date,
    counts: UpsertCounts,
    delete_missing: bool,
) -> None:
    """The upsert on other databases (SQLite): compare in Python, then one bulk upsert."""
    existing = {
        (row[0], row[1]): tuple(row[2:])
        for row in DailyMetric.objects.filter(
            ad__campaign__account=account, date__range=(since, until)
        ).values_list("ad_id", "date", *UPSERT_FIELDS)
    }
    rows = []
    for (ad_id, date), values in latest.items():
        before = existing.get((ad_id, date))
        if before == values:
            continue
        if before is None:
            counts.created += 1
        else:
            counts.updated += 1
        rows.append(
            DailyMetric(ad_id=ad_id, date=date, **dict(zip(UPSERT_FIELDS, values, strict=True)))
        )
    DailyMetric.objects.bulk_create(
        rows,
        batch_size=2000,
        update_conflicts=True,
        unique_fields=["ad", "date"],
        update_fields=UPSERT_FIELDS,
    )
    stale = [key for key in existing if key not in latest] if delete_missing else []
    if stale:
        for ad_id, date in stale:
            DailyMetric.objects.filter(ad_id=ad_id, date=date).delete()
        counts.updated += len(stale)


_STAGE = "ingestion_daily_metric_stage"


def _daily_metrics_upsert_postgresql(
    *,
    account: AdAccount,
    latest: dict[MetricKey, tuple],
    since: dt.date,
    until: dt.date,
    counts: UpsertCounts,
    delete_missing: bool,
) -> None:
    """The upsert on PostgreSQL: COPY into a staging table, then one INSERT … ON CONFLICT.

    About as fast as a plain COPY, where row-by-row INSERTs through the ORM are several times
    slower (bench/ingest.py). Unchanged rows are skipped by the WHERE of the update, and
    RETURNING (xmax = 0) tells new rows from updated ones.
    """
    table = DailyMetric._meta.db_table
    columns = ", ".join(["ad_id", "date", *UPSERT_FIELDS])
    assignments = ", ".join(f"{name} = EXCLUDED.{name}" for name in UPSERT_FIELDS)
    # jsonb compares by value (key order, 3 = 3.0), so an unchanged breakdown is not written.
    current = ", ".join(f"{table}.{name}" for name in UPSERT_FIELDS)
    incoming = ", ".join(f"EXCLUDED.{name}" for name in UPSERT_FIELDS)
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS {_STAGE} ON COMMIT DELETE ROWS "
            f"AS SELECT {columns} FROM {table} WITH NO DATA"
        )
        # Several chunks may share one transaction (tests, replays): start empty each time.
        cursor.execute(f"TRUNCATE {_STAGE}")
        with cursor.copy(f"COPY {_STAGE} ({columns}) FROM STDIN") as copy:
            for (ad_id, date), (*values, figures) in latest.items():
                # The breakdown goes as JSON text, which COPY reads into the jsonb column.
                breakdown = None if figures is None else json.dumps(figures, separators=(",", ":"))
                copy.write_row((ad_id, date, *values, breakdown))
        # A fresh temporary table has no statistics; without them the joins below loop.
        cursor.execute(f"ANALYZE {_STAGE}")
        cursor.execute(
            f"INSERT INTO {table} ({columns}) SELECT {columns} FROM {_STAGE} "
            f"ON CONFLICT (ad_id, date) DO UPDATE SET {assignments} "
            f"WHERE ({current}) IS DISTINCT FROM ({incoming}) "
            "RETURNING (xmax = 0)"
        )
        written = [inserted for (inserted,) in cursor.fetchall()]
        counts.created += sum(written)
        counts.updated += len(written) - sum(written)
        if delete_missing:
            cursor.execute(
                f"DELETE FROM {table} m USING {Ad._meta.db_table} a, {Campaign._meta.db_table} c "
                "WHERE m.ad_id = a.id AND a.campaign_id = c.id AND c.account_id = %s "
                "AND m.date BETWEEN %s AND %s AND NOT EXISTS "
                f"(SELECT 1 FROM {_STAGE} s WHERE s.ad_id = m.ad_id AND s.date = m.date)",
                [account.pk, since, until],
            )
            counts.updated += cursor.rowcount


def daily_metrics_merge(
    *,
    account: AdAccount,
    records: list[DailyMetricRecord],
    ad_ids: dict[str, int],
    campaign_ids: dict[str, int],
    counts: UpsertCounts,
) -> None:
    """Upsert metrics from a partial source (replay, a CSV file); other rows stay as they are."""
    if not records:
        return
    daily_metrics_upsert(
        account=account,
        records=records,
        ad_ids=ad_ids,
        campaign_ids=campaign_ids,
        since=min(r.date for r in records),
        until=max(r.date for r in records),
        counts=counts,
        delete_missing=False,
    )


def _ad_stub(
    *,
    account: AdAccount,
    record: DailyMetricRecord,
    campaign_ids: dict[str, int],
    ad_ids: dict[str, int],
    counts: UpsertCounts,
) -> int | None:
    """Create an ad a metric names before the ad list showed it (created mid-run)."""
    campaign_id = campaign_ids.get(record.campaign_external_id)
    if campaign_id is None:
        logger.warning(
            "Metrics of ad %s of account %s name no known campaign; skipped",
            record.ad_external_id,
            account.pk,
        )
        return None
    ad, created = Ad.objects.get_or_create(
        campaign_id=campaign_id, external_id=record.ad_external_id
    )
    counts.created += int(created)
    ad_ids[record.ad_external_id] = ad.pk
    return ad.pk
