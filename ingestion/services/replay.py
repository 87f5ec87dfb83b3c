"""Replay the raw archive: parse stored responses again and save them, without an API call."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging

from campaigns.models import DAILY_METRIC_FIGURES, AdAccount, DailyMetric
from ingestion.connectors.base import Connector, ConnectorError, PartialDay
from ingestion.connectors.records import DailyMetricRecord, Parsed
from ingestion.models import IngestionRun, SyncBookmark
from ingestion.services.archive import (
    ArchiveUntrusted,
    archive_folder,
    archived_endpoint,
    archived_files,
    archived_response,
)
from ingestion.services.runs import IngestionError, run_lifecycle, run_start
from ingestion.services.store import records_store
from ingestion.services.sync import Progress, connector_for_account

logger = logging.getLogger(__name__)

# Untrusted files named in a refusal; the count says how many more there are.
MAX_UNTRUSTED_SHOWN = 5
# A day's figures other than those counted from its conversion types.
DELIVERY_FIGURES = tuple(
    name
    for name in DAILY_METRIC_FIGURES
    if name not in ("conversions", "conversion_value_micros", "leads")
)


def ingestion_replay(
    *, account: AdAccount, date_from: dt.date, date_to: dt.date, progress: Progress | None = None
) -> IngestionRun:
    """Re-parse the raw archive fetched between two days (UTC) and upsert it; no API call.

    Files are applied in the order they were fetched, so a day read twice keeps its latest
    values. The bookmark does not move. Every body is checked against its manifest first: if
    any cannot be trusted (no manifest, another checksum), the run fails naming them and
    nothing is written. Trusted bodies that no longer parse are skipped and counted.
    """
    say = progress or (lambda message: None)
    run = run_start(
        account=account, kind=IngestionRun.Kind.REPLAY, window_start=date_from, window_end=date_to
    )
    bookmark, _ = SyncBookmark.objects.get_or_create(account=account)
    with run_lifecycle(run, expected=(IngestionError,)) as tally:
        connector = connector_for_account(account=account, bookmark=bookmark, with_token=False)
        folder = archive_folder(platform=account.platform.slug, account_id=account.external_id)
        files = archived_files(folder=folder, date_from=date_from, date_to=date_to)
        parsed, skipped, untrusted = _archive_parse(connector=connector, files=files)
        if untrusted:
            raise IngestionError(
                _refusal(account=account, files=files, untrusted=untrusted, since=date_from)
            )
        run.fetched_count = len(parsed)
        say(f"{len(files)} archived responses, {skipped} skipped, {len(parsed)} records")
        with tally.transaction() as counts:
            # Metrics are merged: a replay of part of the archive deletes no row it did not read,
            # and a record that holds half of its day keeps the other half as stored.
            parsed.metrics = _partial_days_completed(
                account=account, records=parsed.metrics, partial=connector.metrics_partial()
            )
            records_store(
                account=account, records=parsed, counts=counts, link_stored_creatives=True
            )
        if skipped:
            run.error = f"{skipped} archived responses could not be parsed and were skipped."
    return run


def _archive_parse(
    *, connector: Connector, files: list[str]
) -> tuple[Parsed, int, list[tuple[str, str]]]:
    """Check and parse archived responses in order.

    Return the records, how many trusted files did not parse, and (file, why) for every file
    that cannot be trusted.
    """
    parsed = Parsed()
    skipped = 0
    untrusted: list[tuple[str, str]] = []
    for name in files:
        try:
            response = archived_response(name)
        except ArchiveUntrusted as exc:
            untrusted.append((name, str(exc)))
            continue
        if untrusted:
            continue  # the replay is refused anyway; only the check goes on
        try:
            payload = json.loads(response.body)
            parsed.extend(connector.parse(archived_endpoint(name), [payload]))
        except (ValueError, ConnectorError, KeyError) as exc:
            skipped += 1
            logger.warning("Replay skipped %s: %s", name, exc)
    return connector.resolve(parsed), skipped, untrusted


def _partial_days_completed(
    *,
    account: AdAccount,
    records: list[DailyMetricRecord],
    partial: dict[tuple[str, dt.date], PartialDay],
) -> list[DailyMetricRecord]:
    """Complete the records that hold only half of their day with the stored row's other half.

    Some platforms answer a chunk of days in two calls (Google: the totals, then the
    conversions by action; X: the web stats, then the mobile conversions of app ads), archived
    on two UTC days when the chunk was read across midnight. Replaying one of those days alone
    gives records of half a day: stored as they are, the second answer's half would zero the
    day's impressions, clicks and spend, and the first answer's half would drop the second's
    conversion types. Each keeps the stored figures its half does not speak for (the connector
    says which: `metrics_partial`); a day with no stored row is stored as read. Never less
    than what was stored: the next sync, or a replay of both days, gives the whole day again.
    """
    wanted = [r for r in records if (r.ad_external_id, r.date) in partial]
    if not wanted:
        return records
    stored = {
        (row.ad.external_id, row.date): row
        for row in DailyMetric.objects.filter(
            ad__campaign__account=account,
            ad__external_id__in={r.ad_external_id for r in wanted},
            date__range=(min(r.date for r in wanted), max(r.date for r in wanted)),
        )
        .select_related("ad")
        .only("ad__external_id", "date", "conversion_types", *DELIVERY_FIGURES)
    }
    completed = []
    for record in records:
        key = (record.ad_external_id, record.date)
        part, row = partial.get(key), stored.get(key)
        if part is None or row is None:
            completed.append(record)
            continue
        changes: dict = {}
        if not part.delivery:
            changes.update((name, getattr(row, name)) for name in DELIVERY_FIGURES)
        kept = {
            name: figures
            for name, figures in (row.conversion_types or {}).items()
            if part.keeps_type(name) and name not in record.conversions_by_type
        }
        if kept:
            changes["conversions_by_type"] = {
                **{name: float(count) for name, (count, _value) in kept.items()},
                **record.conversions_by_type,
            }
            changes["conversion_values_by_type"] = {
                **{name: int(value) for name, (_count, value) in kept.items()},
                **record.conversion_values_by_type,
            }
        completed.append(dataclasses.replace(record, **changes))
    return completed


def _refusal(
    *, account: AdAccount, files: list[str], untrusted: list[tuple[str, str]], since: dt.date
) -> str:
    shown = "; ".join(f"{name}: {why}" for name, why in untrusted[:MAX_UNTRUSTED_SHOWN])
    more = len(untrusted) - MAX_UNTRUSTED_SHOWN
    return (
        f"Replay refused: {len(untrusted)} of {len(files)} archived responses between the days "
        f"asked cannot be trusted, so nothing was written. {shown}"
        + (f"; and {more} more." if more > 0 else ".")
        + " Fetch these days from the platform again: python manage.py ingest --platform "
        f"{account.platform.slug} --account {account.external_id} --since {since}"
    )
