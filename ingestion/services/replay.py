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
    archive_folder,
    archived_body,
    archived_endpoint,
    archived_files,
)
from ingestion.services.runs import run_lifecycle, run_start
from ingestion.services.store import records_store
from ingestion.services.sync import Progress, connector_for_account

logger = logging.getLogger(__name__)


def ingestion_replay(
    *, account: AdAccount, date_from: dt.date, date_to: dt.date, progress: Progress | None = None
) -> IngestionRun:
    """Re-parse the raw archive fetched between two days (UTC) and upsert it; no API call.

    Files are applied in the order they were fetched, so a day read twice keeps its latest
    values. The bookmark does not move. Bodies that no longer parse are skipped and counted.
    """
    say = progress or (lambda message: None)
    run = run_start(
        account=account, kind=IngestionRun.Kind.REPLAY, window_start=date_from, window_end=date_to
    )
    bookmark, _ = SyncBookmark.objects.get_or_create(account=account)
    with run_lifecycle(run) as tally:
        connector = connector_for_account(account=account, bookmark=bookmark, with_token=False)
        folder = archive_folder(platform=account.platform.slug, account_id=account.external_id)
        files = archived_files(folder=folder, date_from=date_from, date_to=date_to)
        parsed, skipped = _archive_parse(connector=connector, files=files)
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


def _archive_parse(*, connector: Connector, files: list[str]) -> tuple[Parsed, int]:
    """Parse archived responses in order; return the records and how many files were skipped."""
    parsed = Parsed()
    skipped = 0
    for name in files:
        raw = archived_body(name)
        try:
            parsed.extend(connector.parse(archived_endpoint(name), [json.loads(raw)]))
        except (ValueError, ConnectorError, KeyError) as exc:
            skipped += 1
            logger.warning("Replay skipped %s: %s", name, exc)
    return connector.resolve(parsed), skipped
