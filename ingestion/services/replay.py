"""Replay the raw archive: parse stored responses again and save them, without an API call."""

from __future__ import annotations

import datetime as dt
import json
import logging

from campaigns.models import AdAccount
from ingestion.connectors.base import Connector, ConnectorError
from ingestion.connectors.records import Parsed
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
            # Metrics are merged: a replay of part of the archive deletes no row it did not read.
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
