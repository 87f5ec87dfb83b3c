"""What every run does, whatever it reads: start, record how it ended, refresh the ranking, alert.

API syncs, replays of the raw archive and CSV imports all go through `run_lifecycle`, so a run
row always ends the same way: a status, a finish time, an error that says what to fix, the rows
its committed transactions wrote, and the ranking tables brought up to date with them.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from campaigns.models import AdAccount, Campaign
from campaigns.rollups import RollupError, image_ids_for_campaigns, image_rollup_refresh
from ingestion.connectors.base import Connector
from ingestion.models import IngestionRun, SyncBookmark
from ingestion.services.heartbeat import RunTakenOver, run_heartbeat
from ingestion.services.store import UpsertCounts

logger = logging.getLogger(__name__)


class IngestionError(Exception):
    """A run cannot start or continue for a reason the operator must fix."""


def account_label(account: AdAccount) -> str:
    """Name an account the way operators search for it: name, platform and platform id."""
    return f"“{account.name}” ({account.platform.name} {account.external_id})"


def run_start(*, account: AdAccount, kind: str, **fields) -> IngestionRun:
    """Create a run that starts at once, not queued (a replay, a CSV import)."""
    run = IngestionRun.objects.create(account=account, kind=kind, **fields)
    run.claim()
    return run


def run_finish(run: IngestionRun, *, failed: bool, status: str = "") -> bool:
    """Record how the run ended; False, writing nothing, when someone else already ended it.

    A lead may mark a run failed, or the next run take it over, while its worker still runs:
    their verdict stands.
    """
    status = status or (IngestionRun.Status.FAILED if failed else IngestionRun.Status.SUCCEEDED)
    with transaction.atomic():
        # The row lock holds off a lead's "mark as failed" until this verdict is written.
        current = IngestionRun.objects.select_for_update().filter(pk=run.pk)
        if current.values_list("status", flat=True).first() != IngestionRun.Status.RUNNING:
            run.refresh_from_db()
            return False
        run.status, run.finished_at = status, timezone.now()
        run.save()
    return True


class RunTally:
    """What a run has committed so far, and the connector whose calls it reports."""

    def __init__(self, run: IngestionRun) -> None:
        self.run = run
        self.counts = UpsertCounts()
        self.connector: Connector | None = None

    @contextmanager
    def transaction(self) -> Iterator[UpsertCounts]:
        """Open a transaction whose row counts join the run's, and are saved, once it commits.

        A transaction rolled back leaves the run's counts as they were, so they never count
        rows that are not there.
        """
        counts = UpsertCounts()
        with transaction.atomic():
            # First in the transaction: a run someone else ended saves nothing more, and the
            # row lock keeps a takeover from passing a save in progress (PostgreSQL).
            run_heartbeat(self.run, force=True)
            yield counts
        self.counts.created += counts.created
        self.counts.updated += counts.updated
        self.run.created_count, self.run.updated_count = self.counts.created, self.counts.updated
        self.run.save(update_fields=["fetched_count", "created_count", "updated_count"])

    def calls_record(self) -> None:
        if self.connector is not None:
            stats = self.connector.stats
            self.run.api_calls = stats.api_calls
            self.run.throttle_waits = stats.waits
            self.run.waited_seconds = round(stats.waited_seconds, 3)


@contextmanager
def run_lifecycle(
    run: IngestionRun,
    *,
    expected: tuple[type[Exception], ...] = (),
    error_prefix: str = "",
    unexpected_prefix: str | None = "",
    alert: bool = False,
) -> Iterator[RunTally]:
    """Run the block as the started run's work, then record how it ended.

    An `expected` exception fails the run with its message after `error_prefix`; any other
    fails it with its type and message after `unexpected_prefix`, or, when that is None,
    propagates and leaves the run as it was. Otherwise nothing reaches the caller: the run row
    holds the outcome, so one account's failure does not stop others. `alert` e-mails a
    failure. The ranking tables are refreshed even after a failure: what committed before it
    is real.
    """
    tally = RunTally(run)
    failed = False
    try:
        yield tally
    except RunTakenOver as exc:
        logger.warning("Ingestion run %s stopped: %s", run.pk, exc)
        run.refresh_from_db()
        return
    except expected as exc:
        failed = True
        run.error = f"{error_prefix}{exc}"
        logger.warning("Ingestion run %s failed: %s", run.pk, exc)
    except Exception as exc:
        if unexpected_prefix is None:
            raise
        failed = True
        run.error = f"{unexpected_prefix}{type(exc).__name__}: {exc}"
        logger.exception("Ingestion run %s failed", run.pk)
    tally.calls_record()
    if not run_finish(run, failed=failed):
        return
    if failed and alert:
        ingestion_alert_send(run=run)
    ranking_tables_refresh(run=run)


def ranking_tables_refresh(*, run: IngestionRun) -> None:
    """Bring the ranking's rollups up to date with what the run saved.

    The run's rows are committed whatever happens here. A failure (spend in a currency with no
    exchange rate) is added to the run's error and alerted; the next run catches up.
    """
    if not (run.created_count or run.updated_count):
        return
    campaign_ids = Campaign.objects.filter(account_id=run.account_id).values_list("pk", flat=True)
    try:
        image_rollup_refresh(image_ids=image_ids_for_campaigns(campaign_ids))
    except RollupError as exc:
        note = f"The results are saved, but briefs do not see them yet: {exc}"
        run.error = f"{run.error}\n{note}" if run.error else note
        run.save(update_fields=["error"])
        ingestion_alert_send(run=run)


def ingestion_alert_send(*, run: IngestionRun) -> None:
    """E-mail the configured recipients that a run failed: which account, which error, what to do.

    Never raises: a mail server that refuses or never answers (EMAIL_TIMEOUT) is logged with
    its reason, and the run stays as it ended.
    """
    recipients = settings.INGEST_ALERT_EMAILS
    if not recipients:
        logger.warning("Ingestion run %s failed and YENNI_INGEST_ALERT_EMAILS is empty", run.pk)
        return
    account = run.account
    try:
        send_mail(
            f"[Yenni] Ingestion failed: {account.name} ({account.platform.name})",
            _alert_body(run),
            None,
            recipients,
        )
    except Exception as exc:  # an alert must never fail the run
        logger.error(
            "Could not e-mail the alert for ingestion run %s to %s through %s:%s: %s: %s",
            run.pk,
            ", ".join(recipients),
            settings.EMAIL_HOST,
            settings.EMAIL_PORT,
            type(exc).__name__,
            exc,
        )


def _alert_body(run: IngestionRun) -> str:
    account = run.account
    window = f"{run.window_start} – {run.window_end}" if run.window_start else "not computed"
    return (
        f"Ingestion run #{run.pk} of account {account_label(account)} failed.\n\n"
        f"Error: {run.error}\n\n"
        f"What to do: {_what_to_do(run)}\n\n"
        f"Window: {window}\n"
        f"Started: {run.started_at}\nFinished: {run.finished_at}\n"
        f"API calls: {run.api_calls}; waits: {run.throttle_waits} "
        f"({run.waited_seconds:.1f} s)\n\n"
        f"{settings.YENNI_BASE_URL}/admin/ingestion/ingestionrun/{run.pk}/change/\n"
    )


def _what_to_do(run: IngestionRun) -> str:
    if run.kind == IngestionRun.Kind.CSV:
        return (
            "fix the file as the error says and import it again from the admin "
            "(Ingestion runs › Import a CSV file)."
        )
    account_id = run.account.external_id
    if run.kind == IngestionRun.Kind.REPLAY:
        return (
            "fix what the error names, then run `python manage.py ingest_replay` again for "
            f"account {account_id}; the archive is still there."
        )
    saved = (
        SyncBookmark.objects.filter(account_id=run.account_id)
        .values_list("last_synced_date", flat=True)
        .first()
    )
    kept = f"saved up to {saved}" if saved else "nothing saved yet: it starts the back-fill again"
    return (
        "fix what the error names (a token, a setting, the platform's status), then run "
        f"`python manage.py ingest --account {account_id}` or wait for the daily run: it "
        f"continues from the bookmark ({kept}), so nothing saved is lost or counted twice."
    )
