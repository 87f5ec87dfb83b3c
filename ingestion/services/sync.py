"""Sync an account from its platform's API: queue the runs, then read and save each account.

A run reads the account's campaigns, creatives and ads in full, then its daily metrics in
chunks of INGEST_CHUNK_DAYS days. The catalog is saved in one transaction; each chunk of
metrics is saved together with the bookmark in its own transaction, so the bookmark can never
pass data that was not committed, and an interrupted run keeps the chunks it finished.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

from campaigns.conversions import ConversionChoiceError
from campaigns.models import AdAccount
from ingestion.connectors import connector_class
from ingestion.connectors.base import Connector, ConnectorError
from ingestion.connectors.records import Parsed
from ingestion.credentials import platform_secret_options, token_for_account
from ingestion.models import IngestionRun, SyncBookmark
from ingestion.services.archive import archive_writer
from ingestion.services.creative_images import creative_images_sync
from ingestion.services.creative_versions import (
    creative_versions_known,
    creative_versions_remember,
    creative_versions_settle,
)
from ingestion.services.heartbeat import (
    run_heartbeat,
    run_is_dead,
    run_skip_note,
    runs_dead_take_over,
    runs_never_started_close,
    runs_queued_superseded_close,
)
from ingestion.services.runs import (
    IngestionError,
    RunTally,
    account_label,
    ingestion_alert_send,
    run_finish,
    run_lifecycle,
)
from ingestion.services.store import StoredCatalog, daily_metrics_upsert, records_store

Progress = Callable[[str], None]

# Creatives whose images are fetched between two heartbeats.
IMAGE_SLICE = 20


# Windows and connectors -------------------------------------------------------------------


def account_yesterday(*, account: AdAccount, now: dt.datetime | None = None) -> dt.date:
    """Return yesterday in the account's time zone: the last day the platform has complete."""
    now = now or timezone.now()
    return now.astimezone(ZoneInfo(account.time_zone)).date() - dt.timedelta(days=1)


def sync_window(
    *,
    account: AdAccount,
    bookmark: SyncBookmark,
    since: dt.date | None = None,
    now: dt.datetime | None = None,
) -> tuple[dt.date, dt.date]:
    """Return the first and last day a run reads (start > end means nothing to read).

    From the bookmark minus the look-back (days platforms still revise), or the back-fill on a
    first sync, up to yesterday in the account's time zone; `since` overrides the start.
    """
    end = account_yesterday(account=account, now=now)
    if since is not None:
        return since, end
    if bookmark.last_synced_date is None:
        days = bookmark.backfill_days or settings.INGEST_BACKFILL_DAYS
        return end - dt.timedelta(days=days - 1), end
    lookback = bookmark.lookback_days
    if lookback is None:
        lookback = settings.INGEST_LOOKBACK_DAYS.get(account.platform.slug, 0)
    start = bookmark.last_synced_date + dt.timedelta(days=1) - dt.timedelta(days=lookback)
    return start, end


def _chunks(start: dt.date, end: dt.date, days: int) -> Iterable[tuple[dt.date, dt.date]]:
    while start <= end:
        chunk_end = min(end, start + dt.timedelta(days=max(days, 1) - 1))
        yield start, chunk_end
        start = chunk_end + dt.timedelta(days=1)


def _connector_options(*, account: AdAccount, bookmark: SyncBookmark) -> dict:
    return {
        "time_zone": account.time_zone,
        "oauth_token_url": settings.INGEST_API_URLS.get("google_oauth", ""),
        "creative_versions": creative_versions_known(
            bookmark=bookmark, platform=account.platform.slug
        ),
        **platform_secret_options(platform="google_ads", secrets_file=settings.INGEST_SECRETS_FILE),
    }


def connector_for_account(
    *, account: AdAccount, bookmark: SyncBookmark, with_token: bool = True
) -> Connector:
    """Build the account's connector from settings; raise IngestionError for no connector.

    Also checks, before any call, that the conversion types the account counts can be used: a
    default from a setting naming types the platform does not report fails the run at once.
    """
    slug = account.platform.slug
    cls = connector_class(slug)
    if cls is None:
        raise IngestionError(f"Yenni has no connector for {account.platform.name} yet.")
    try:
        account.conversion_choice()
    except ConversionChoiceError as exc:
        raise IngestionError(str(exc)) from exc
    token = ""
    if with_token:
        token = token_for_account(
            platform=slug,
            account_id=account.external_id,
            account_label=account_label(account),
            secrets_file=settings.INGEST_SECRETS_FILE,
        )
    return cls(
        account_id=account.external_id,
        account_label=account_label(account),
        token=token,
        base_url=settings.INGEST_API_URLS.get(slug, ""),
        version=settings.INGEST_API_VERSIONS.get(slug, ""),
        archive=archive_writer(platform=slug, account_id=account.external_id),
        timeout=settings.INGEST_TIMEOUT_SECONDS,
        max_retries=settings.INGEST_MAX_RETRIES,
        max_wait_seconds=settings.INGEST_MAX_WAIT_SECONDS,
        wait_scale=settings.INGEST_WAIT_SCALE,
        page_size=settings.INGEST_PAGE_SIZE,
        options=_connector_options(account=account, bookmark=bookmark),
    )


# Runs ------------------------------------------------------------------------------------


def ingestion_runs_queue(
    *,
    platform: str | None = None,
    account_external_id: str | None = None,
    since: dt.date | None = None,
    worker: str = "",
) -> list[IngestionRun]:
    """Create a queued run for every active account (of a platform, or one account).

    `worker` names the process that will start them (`manage.py ingest` runs its own); none
    means the job queue does. Queued runs of any account whose `ingest` process died are
    closed first, as never started: nobody else would ever start them.
    """
    runs_never_started_close()
    accounts = AdAccount.objects.filter(active=True).select_related("platform")
    if platform:
        accounts = accounts.filter(platform__slug=platform)
    if account_external_id:
        accounts = accounts.filter(external_id=account_external_id)
    return [
        IngestionRun.objects.create(account=account, since=since, worker=worker)
        for account in accounts.order_by("platform__slug", "name", "pk")
        if connector_class(account.platform.slug) is not None
    ]


def ingestion_run_account(
    *, run: IngestionRun, progress: Progress | None = None, connector: Connector | None = None
) -> IngestionRun:
    """Sync the run's account from its platform; on failure record it and alert by e-mail.

    Does nothing when another worker already claimed the run, and stands down (skipped, not
    failed) while another sync of the account is alive; one whose worker died is taken over.
    Never raises for a platform failure: the run row holds the outcome, so one account's
    failure does not stop others.
    """
    if not run.claim():
        run.refresh_from_db()
        if run.status == IngestionRun.Status.RUNNING and run_is_dead(run):
            # The broker delivered the task again because its worker was killed: a new run
            # takes the dead one over now, rather than at the next schedule.
            successor = IngestionRun.objects.create(account_id=run.account_id, since=run.since)
            return ingestion_run_account(run=successor, progress=progress, connector=connector)
        return run
    account = AdAccount.objects.select_related("platform").get(pk=run.account_id)
    run.account = account
    alive, dead = runs_dead_take_over(run=run)
    for other in dead:
        ingestion_alert_send(run=other)
    if alive is not None:
        # Two syncs of one account would race on its bookmark. Standing down is no failure:
        # the live run reads the same days, so nobody is alerted.
        run.error = run_skip_note(alive=alive)
        run_finish(run, failed=False, status=IngestionRun.Status.SKIPPED)
        if progress is not None:
            progress(run.error)
        return run
    # Older queued runs of the account that read no other days would only repeat this one.
    runs_queued_superseded_close(run=run)
    with run_lifecycle(
        run,
        expected=(ConnectorError, IngestionError),
        unexpected_prefix="Unexpected error: ",
        alert=True,
    ) as tally:
        tally.connector = connector
        bookmark, _ = SyncBookmark.objects.get_or_create(account=account)
        tally.connector = connector or connector_for_account(account=account, bookmark=bookmark)
        tally.connector.heartbeat = lambda: run_heartbeat(run)
        _sync(tally=tally, bookmark=bookmark, connector=tally.connector, progress=progress)
    return run


def _running_sync_of(run: IngestionRun) -> IngestionRun | None:
    """Return another live sync of the run's account; runs whose worker died are closed first.

    A run still "running" after the queue's timeout lost its worker: it can never finish.
    """
    limit = dt.timedelta(seconds=settings.Q_TIMEOUT + 300)
    others = IngestionRun.objects.filter(
        account_id=run.account_id, kind=IngestionRun.Kind.API, status=IngestionRun.Status.RUNNING
    ).exclude(pk=run.pk)
    others.filter(started_at__lt=timezone.now() - limit).update(
        status=IngestionRun.Status.FAILED,
        finished_at=timezone.now(),
        error=f"The worker running it stopped: no end after {limit.total_seconds():.0f} s.",
    )
    return others.order_by("pk").first()


def _sync(
    *,
    tally: RunTally,
    bookmark: SyncBookmark,
    connector: Connector,
    progress: Progress | None,
) -> None:
    run, account = tally.run, tally.run.account
    say = progress or (lambda message: None)
    start, end = sync_window(account=account, bookmark=bookmark, since=run.since)
    run.window_start, run.window_end = start, end
    run.save(update_fields=["window_start", "window_end"])

    with _stopped_at(bookmark, lambda endpoint: f"{endpoint}, before any daily metrics"):
        campaigns = connector.fetch_campaigns()
        creatives = connector.fetch_creatives()
        ads = connector.fetch_ads()
    catalog = Parsed(campaigns=campaigns, ads=ads, creatives=creatives)
    run.fetched_count += len(catalog)
    with tally.transaction() as counts:
        # Creatives the connector skipped as unchanged stay linked to their ads as stored.
        stored = records_store(
            account=account, records=catalog, counts=counts, link_stored_creatives=True
        )
        # A creative with pictures is remembered as read only once they are stored (below):
        # a run killed in between must leave it to be read again.
        with_pictures = [record.external_id for record in creatives if record.image_urls]
        creative_versions_remember(bookmark=bookmark, connector=connector, pending=with_pictures)
    say(f"{len(campaigns)} campaigns, {len(ads)} ads, {len(creatives)} creatives")
    # In slices with a beat between: a first sync can download thousands of images.
    for first in range(0, len(creatives), IMAGE_SLICE):
        run_heartbeat(run)
        records = creatives[first : first + IMAGE_SLICE]
        in_slice = {
            record.external_id: stored.creatives[record.external_id]
            for record in records
            if record.external_id in stored.creatives
        }
        creative_images_sync(creatives=in_slice, records=records, run=run)
        # Each picture of the slice is stored, or its failure recorded (read again next run).
        creative_versions_settle(
            bookmark=bookmark, connector=connector, creative_ids=[r.external_id for r in records]
        )
    run.save(update_fields=["images_stored", "images_failed"])

    total_days = max((end - start).days + 1, 0)
    done_days = 0
    for chunk_start, chunk_end in _chunks(start, end, settings.INGEST_CHUNK_DAYS):
        rows = _metrics_chunk_sync(
            tally=tally,
            bookmark=bookmark,
            connector=connector,
            stored=stored,
            since=chunk_start,
            until=chunk_end,
        )
        done_days += (chunk_end - chunk_start).days + 1
        say(f"{done_days}/{total_days} days to {chunk_end}: {rows} metric rows")


def _metrics_chunk_sync(
    *,
    tally: RunTally,
    bookmark: SyncBookmark,
    connector: Connector,
    stored: StoredCatalog,
    since: dt.date,
    until: dt.date,
) -> int:
    """Read and save one chunk of days, moving the bookmark with it; return the rows read."""
    with _stopped_at(bookmark, lambda endpoint: f"{endpoint} {since}–{until}"):
        metrics = connector.fetch_daily_metrics(since, until)
    tally.run.fetched_count += len(metrics)
    with tally.transaction() as counts:
        daily_metrics_upsert(
            account=tally.run.account,
            records=metrics,
            ad_ids=stored.ad_ids,
            campaign_ids=stored.campaign_ids,
            since=since,
            until=until,
            counts=counts,
        )
        # Same transaction as the rows: the bookmark never passes uncommitted data.
        if bookmark.last_synced_date is None or until > bookmark.last_synced_date:
            bookmark.last_synced_date = until
            bookmark.save(update_fields=["last_synced_date", "updated_at"])
    return len(metrics)


@contextmanager
def _stopped_at(bookmark: SyncBookmark, where: Callable[[str], str]) -> Iterator[None]:
    """Name the step a run stopped at, and what it kept, when the platform failed for good.

    Only for failures that retrying did not cure (timeouts, 5xx, bodies cut off): a refused
    token or a bad setting says what to fix on its own.
    """
    try:
        yield
    except ConnectorError as exc:
        if not exc.retryable:
            raise
        saved = bookmark.last_synced_date
        kept = (
            f"Days up to {saved} are saved; the next run continues from there."
            if saved
            else "Nothing is saved yet; the next run starts the back-fill again."
        )
        reason = exc.message.rstrip(".")
        exc.message = f"Stopped at {where(exc.endpoint or 'the platform')}: {reason}. {kept}"
        exc.args = (exc.message,)
        raise
