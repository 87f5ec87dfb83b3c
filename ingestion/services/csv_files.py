"""Import the CSV files analysts download by hand (parsing lives in ingestion/csv_import.py)."""

from __future__ import annotations

from django.utils.translation import gettext

from campaigns.models import AdAccount
from ingestion.csv_import import CsvFileError, CsvImport, google_ads_csv_parse, meta_csv_parse
from ingestion.csv_text import NO_DATA_ROWS, gettext_noop
from ingestion.models import IngestionRun
from ingestion.services.runs import IngestionError, account_label, run_lifecycle, run_start
from ingestion.services.store import records_store

CSV_PARSERS = {"meta": meta_csv_parse, "google_ads": google_ads_csv_parse}
MAX_PROBLEMS_SHOWN = 20
UNEXPECTED_ERROR = gettext_noop(
    "Nothing was imported: an unexpected error stopped the import (tell whoever runs Yenni). "
)


def ingestion_csv_import(*, account: AdAccount, data: bytes, filename: str = "") -> IngestionRun:
    """Import a hand-downloaded CSV file into the account, all of it or nothing.

    Campaigns, ads and creatives the file names are created when missing; ones already synced
    from the API keep what the API said. Metrics of the file's ad-days are replaced; others
    stay. The run row records the outcome; on failure its error lists what to fix, in the
    language of whoever imports. Whatever happens, the run ends: an admin upload never leaves
    one running.
    """
    run = run_start(account=account, kind=IngestionRun.Kind.CSV)
    with run_lifecycle(
        run,
        expected=(IngestionError,),
        error_prefix=f"{filename}: " if filename else "",
        unexpected_prefix=gettext(UNEXPECTED_ERROR),
    ) as tally:
        parsed = _csv_read(account=account, data=data)
        with tally.transaction() as counts:
            records_store(account=account, records=parsed, counts=counts, update_existing=False)
        dates = [m.date for m in parsed.metrics]
        run.window_start, run.window_end = min(dates), max(dates)
        run.fetched_count = len(parsed.metrics)
    return run


def _csv_read(*, account: AdAccount, data: bytes) -> CsvImport:
    """Parse the file with the account's platform's parser; raise if any of it is unusable."""
    parser = CSV_PARSERS.get(account.platform.slug)
    if parser is None:
        raise IngestionError(
            f"CSV files are imported for Meta and Google Ads accounts, not {account.platform}."
        )
    try:
        parsed = parser(data)
    except CsvFileError as exc:
        message = gettext(exc.template)
        raise IngestionError(message % exc.params if exc.params else message) from exc
    if parsed.problems:
        shown = "; ".join(
            f"line {line}: {message}" for line, message in parsed.problems[:MAX_PROBLEMS_SHOWN]
        )
        more = len(parsed.problems) - MAX_PROBLEMS_SHOWN
        raise IngestionError(
            f"{len(parsed.problems)} rows could not be read, so nothing was imported. {shown}"
            + (f"; and {more} more." if more > 0 else ".")
        )
    if parsed.currency and parsed.currency != account.currency:
        raise IngestionError(
            f"The file's amounts are in {parsed.currency}, but account "
            f"{account_label(account)} reports in {account.currency}. Nothing was imported."
        )
    if not parsed.metrics:
        raise IngestionError(gettext(NO_DATA_ROWS))
    return parsed
