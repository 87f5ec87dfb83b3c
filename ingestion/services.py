"""Workflows that write: sync an account from its platform, replay the raw archive, alert.

A run reads the account's campaigns, creatives and ads in full, then its daily metrics in
chunks of INGEST_CHUNK_DAYS days. The catalog is saved in one transaction; each chunk of
metrics is saved together with the bookmark in its own transaction, so the bookmark can never
pass data that was not committed, and an interrupted run keeps the chunks it finished.
"""

from __future__ import annotations

import datetime as dt
import gzip
import itertools
import json
import logging
import re
from collections.abc import Callable, Iterable
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.mail import send_mail
from django.db import connection, transaction
from django.utils import timezone

from campaigns.models import DAILY_METRIC_FIGURES, Ad, AdAccount, Campaign, DailyMetric
from campaigns.objectives import map_objective
from campaigns.rollups import RollupError, image_ids_for_campaigns, image_rollup_refresh
from campaigns.services import node_mapping_apply
from creatives.imaging import ImageRejected
from creatives.models import Creative, CreativeImage, CreativeImageSlot
from creatives.services import creative_image_store
from creatives.signals import images_added
from ingestion.connectors import connector_class
from ingestion.connectors.base import ArchiveWriter, Connector, ConnectorError
from ingestion.connectors.records import (
    AdRecord,
    CampaignRecord,
    CreativeRecord,
    DailyMetricRecord,
    Parsed,
)
from ingestion.credentials import platform_secret_options, token_for_account
from ingestion.csv_import import CsvFileError, google_ads_csv_parse, meta_csv_parse
from ingestion.images import ImageFetchError, image_fetch
from ingestion.models import ImageFetchFailure, IngestionRun, SyncBookmark

logger = logging.getLogger(__name__)

Progress = Callable[[str], None]

METRIC_FIELDS = list(DAILY_METRIC_FIGURES)


class IngestionError(Exception):
    """A run cannot start or continue for a reason the operator must fix."""


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


def _safe(part: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", part)


def archive_folder(*, platform: str, account_id: str) -> str:
    return f"raw/platform={_safe(platform)}/account={_safe(account_id)}"


def archive_writer(*, platform: str, account_id: str) -> ArchiveWriter:
    """Return a function that stores each response body gzipped, by the day it was fetched."""
    counter = itertools.count(1)
    folder = archive_folder(platform=platform, account_id=account_id)

    def write(endpoint: str, body: bytes) -> None:
        now = timezone.now().astimezone(dt.UTC)
        name = (
            f"{folder}/year={now:%Y}/month={now:%m}/day={now:%d}/"
            f"{now:%Y%m%dT%H%M%S%fZ}-{next(counter):05d}-{_safe(endpoint)}.json.gz"
        )
        default_storage.save(name, ContentFile(gzip.compress(body, mtime=0)))

    return write


def _connector_options(*, account: AdAccount, bookmark: SyncBookmark) -> dict:
    return {
        "time_zone": account.time_zone,
        "oauth_token_url": settings.INGEST_API_URLS.get("google_oauth", ""),
        "conversion_actions": bookmark.conversion_actions
        or settings.INGEST_META_CONVERSION_ACTIONS,
        "lead_actions": bookmark.lead_actions or settings.INGEST_META_LEAD_ACTIONS,
        **platform_secret_options(platform="google_ads", secrets_file=settings.INGEST_SECRETS_FILE),
    }


def _account_label(account: AdAccount) -> str:
    return f"“{account.name}” ({account.platform.name} {account.external_id})"


def connector_for_account(
    *, account: AdAccount, bookmark: SyncBookmark, with_token: bool = True
) -> Connector:
    """Build the account's connector from settings; raise IngestionError for no connector."""
    slug = account.platform.slug
    cls = connector_class(slug)
    if cls is None:
        raise IngestionError(f"Yenni has no connector for {account.platform.name} yet.")
    token = ""
    if with_token:
        token = token_for_account(
            platform=slug,
            account_id=account.external_id,
            account_label=_account_label(account),
            secrets_file=settings.INGEST_SECRETS_FILE,
        )
    return cls(
        account_id=account.external_id,
        account_label=_account_label(account),
        token=token,
        base_url=settings.INGEST_API_URLS.get(slug, ""),
        archive=archive_writer(platform=slug, account_id=account.external_id),
        timeout=settings.INGEST_TIMEOUT_SECONDS,
        max_retries=settings.INGEST_MAX_RETRIES,
        max_wait_seconds=settings.INGEST_MAX_WAIT_SECONDS,
        wait_scale=settings.INGEST_WAIT_SCALE,
        page_size=settings.INGEST_PAGE_SIZE,
        options=_connector_options(account=account, bookmark=bookmark),
    )


# Upserts ---------------------------------------------------------------------------------


class _Counts:
    def __init__(self) -> None:
        self.created = 0
        self.updated = 0


def _clip(value: str, length: int) -> str:
    return (value or "")[:length]


def campaigns_upsert(
    *,
    account: AdAccount,
    records: list[CampaignRecord],
    counts: _Counts,
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
    counts: _Counts,
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
    counts: _Counts,
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


def _metric_values(record: DailyMetricRecord) -> tuple:
    return tuple(getattr(record, name) for name in METRIC_FIELDS)


def daily_metrics_upsert(
    *,
    account: AdAccount,
    records: list[DailyMetricRecord],
    ad_ids: dict[str, int],
    campaign_ids: dict[str, int],
    since: dt.date,
    until: dt.date,
    counts: _Counts,
    delete_missing: bool = True,
) -> None:
    """Make the account's metrics for since…until exactly what the platform just reported.

    Unchanged rows are not written; changed and new ones go in one upsert on (ad, date); rows
    the platform no longer reports for those days are deleted (unless `delete_missing` is
    off, for sources that hold only part of an account). Call inside a transaction.
    """
    latest: dict[tuple[int, dt.date], DailyMetricRecord] = {}
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
        latest[(ad_id, record.date)] = record
    if connection.vendor == "postgresql":
        _daily_metrics_upsert_postgresql(
            account=account,
            rows=[(ad_id, date, *_metric_values(r)) for (ad_id, date), r in latest.items()],
            since=since,
            until=until,
            counts=counts,
            delete_missing=delete_missing,
        )
        return
    existing = {
        (row[0], row[1]): tuple(row[2:])
        for row in DailyMetric.objects.filter(
            ad__campaign__account=account, date__range=(since, until)
        ).values_list("ad_id", "date", *METRIC_FIELDS)
    }
    rows = []
    for (ad_id, date), record in latest.items():
        values = _metric_values(record)
        before = existing.get((ad_id, date))
        if before == values:
            continue
        if before is None:
            counts.created += 1
        else:
            counts.updated += 1
        rows.append(
            DailyMetric(ad_id=ad_id, date=date, **dict(zip(METRIC_FIELDS, values, strict=True)))
        )
    DailyMetric.objects.bulk_create(
        rows,
        batch_size=2000,
        update_conflicts=True,
        unique_fields=["ad", "date"],
        update_fields=METRIC_FIELDS,
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
    rows: list[tuple],
    since: dt.date,
    until: dt.date,
    counts: _Counts,
    delete_missing: bool,
) -> None:
    """The same upsert on PostgreSQL: COPY into a staging table, then one INSERT … ON CONFLICT.

    About as fast as a plain COPY, where row-by-row INSERTs through the ORM are several times
    slower (bench/ingest.py). Unchanged rows are skipped by the WHERE of the update, and
    RETURNING (xmax = 0) tells new rows from updated ones.
    """
    table = DailyMetric._meta.db_table
    columns = ", ".join(["ad_id", "date", *METRIC_FIELDS])
    assignments = ", ".join(f"{name} = EXCLUDED.{name}" for name in METRIC_FIELDS)
    current = ", ".join(f"{table}.{name}" for name in METRIC_FIELDS)
    incoming = ", ".join(f"EXCLUDED.{name}" for name in METRIC_FIELDS)
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS {_STAGE} ON COMMIT DELETE ROWS "
            f"AS SELECT {columns} FROM {table} WITH NO DATA"
        )
        # Several chunks may share one transaction (tests, replays): start empty each time.
        cursor.execute(f"TRUNCATE {_STAGE}")
        with cursor.copy(f"COPY {_STAGE} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
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
    counts: _Counts,
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
    counts: _Counts,
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


# Images ----------------------------------------------------------------------------------


def images_new_queue_description(*, image_ids: list[int]) -> None:
    """Announce new images; the generation app queues their describe job (see creatives.signals)."""
    if image_ids:
        images_added.send(sender=IngestionRun, image_ids=list(image_ids))


def creative_images_sync(
    *, creatives: dict[str, Creative], records: list[CreativeRecord], run: IngestionRun
) -> list[int]:
    """Download and attach the images of creatives that lack them; return new image ids.

    A URL already stored is not downloaded again; a failure is recorded on the creative
    (ImageFetchFailure) and tried again by the next run. Never raises for an image.
    """
    today = timezone.localdate()
    slots = {
        (slot.creative_id, slot.position): slot.image.source_url
        for slot in CreativeImageSlot.objects.filter(
            creative__in=list(creatives.values())
        ).select_related("image")
    }
    new_ids: list[int] = []
    for record in records:
        creative = creatives.get(record.external_id)
        if creative is None:
            continue
        for position, url in enumerate(record.image_urls):
            if slots.get((creative.pk, position)) == url:
                continue
            try:
                image = CreativeImage.objects.filter(source_url=url).first()
                if image is None:
                    data = image_fetch(
                        url,
                        allowed_hosts=settings.INGEST_IMAGE_HOSTS,
                        max_bytes=settings.INGEST_IMAGE_MAX_BYTES,
                        timeout=settings.INGEST_IMAGE_TIMEOUT_SECONDS,
                    )
                    image, created = creative_image_store(
                        data=data,
                        source_url=url[:2000],
                        seen_on=today,
                        max_pixels=settings.INGEST_IMAGE_MAX_PIXELS,
                    )
                    if created:
                        new_ids.append(image.pk)
                        run.images_stored += 1
            except (ImageFetchError, ImageRejected) as exc:
                _image_failure_record(creative=creative, position=position, url=url, error=exc)
                run.images_failed += 1
                continue
            except Exception as exc:  # an image must never fail the run
                logger.exception("Image %s of creative %s failed", position, creative.pk)
                _image_failure_record(creative=creative, position=position, url=url, error=exc)
                run.images_failed += 1
                continue
            with transaction.atomic():
                CreativeImageSlot.objects.update_or_create(
                    creative=creative, position=position, defaults={"image": image}
                )
                ImageFetchFailure.objects.filter(creative=creative, position=position).delete()
            slots[(creative.pk, position)] = url
    if new_ids:
        transaction.on_commit(lambda: images_new_queue_description(image_ids=new_ids))
    return new_ids


def _image_failure_record(*, creative: Creative, position: int, url: str, error: Exception):
    failure, created = ImageFetchFailure.objects.get_or_create(
        creative=creative,
        position=position,
        defaults={"url": url[:2000], "error": str(error)[:2000]},
    )
    if not created:
        failure.url = url[:2000]
        failure.error = str(error)[:2000]
        failure.attempts += 1
        failure.save(update_fields=["url", "error", "attempts", "last_tried_at"])


# Runs ------------------------------------------------------------------------------------


def ingestion_runs_queue(
    *,
    platform: str | None = None,
    account_external_id: str | None = None,
    since: dt.date | None = None,
) -> list[IngestionRun]:
    """Create a queued run for every active account (of a platform, or one account)."""
    accounts = AdAccount.objects.filter(active=True).select_related("platform")
    if platform:
        accounts = accounts.filter(platform__slug=platform)
    if account_external_id:
        accounts = accounts.filter(external_id=account_external_id)
    return [
        IngestionRun.objects.create(account=account, since=since)
        for account in accounts.order_by("platform__slug", "name", "pk")
        if connector_class(account.platform.slug) is not None
    ]


def ingestion_run_account(
    *, run: IngestionRun, progress: Progress | None = None, connector: Connector | None = None
) -> IngestionRun:
    """Sync the run's account from its platform; on failure record it and alert by e-mail.

    Does nothing when another worker already claimed the run. Never raises for a platform
    failure: the run row holds the outcome, so one account's failure does not stop others.
    """
    if not run.claim():
        run.refresh_from_db()
        return run
    account = AdAccount.objects.select_related("platform").get(pk=run.account_id)
    run.account = account
    busy = _running_sync_of(run)
    if busy is not None:
        # Two syncs of one account would race on its bookmark; this one stands down quietly.
        run.status = IngestionRun.Status.FAILED
        run.error = f"Run #{busy.pk} of this account is still running; this run did nothing."
        run.finished_at = timezone.now()
        run.save()
        return run
    failed = False
    try:
        bookmark, _ = SyncBookmark.objects.get_or_create(account=account)
        connector = connector or connector_for_account(account=account, bookmark=bookmark)
        _sync(run=run, account=account, bookmark=bookmark, connector=connector, progress=progress)
    except (ConnectorError, IngestionError) as exc:
        failed = True
        run.error = str(exc)
        logger.warning("Ingestion run %s failed: %s", run.pk, exc)
    except Exception as exc:
        failed = True
        run.error = f"Unexpected error: {type(exc).__name__}: {exc}"
        logger.exception("Ingestion run %s failed", run.pk)
    finally:
        if connector is not None:
            run.api_calls = connector.stats.api_calls
            run.throttle_waits = connector.stats.waits
            run.waited_seconds = round(connector.stats.waited_seconds, 3)
        run.status = IngestionRun.Status.FAILED if failed else IngestionRun.Status.SUCCEEDED
        run.finished_at = timezone.now()
        run.save()
    if failed:
        ingestion_alert_send(run=run)
    # Also after a failure: the chunks committed before it are real results.
    ranking_tables_refresh(run=run)
    return run


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
    run: IngestionRun,
    account: AdAccount,
    bookmark: SyncBookmark,
    connector: Connector,
    progress: Progress | None,
) -> None:
    say = progress or (lambda message: None)
    start, end = sync_window(account=account, bookmark=bookmark, since=run.since)
    run.window_start, run.window_end = start, end
    run.save(update_fields=["window_start", "window_end"])
    counts = _Counts()

    campaigns = connector.fetch_campaigns()
    creatives = connector.fetch_creatives()
    ads = connector.fetch_ads()
    run.fetched_count += len(campaigns) + len(creatives) + len(ads)
    with transaction.atomic():
        campaign_ids = campaigns_upsert(account=account, records=campaigns, counts=counts)
        creative_map = creatives_upsert(
            platform=account.platform.slug, records=creatives, counts=counts
        )
        ad_ids = ads_upsert(
            account=account,
            records=ads,
            campaign_ids=campaign_ids,
            creatives=creative_map,
            counts=counts,
        )
    _run_counts_save(run, counts)
    say(f"{len(campaigns)} campaigns, {len(ads)} ads, {len(creatives)} creatives")
    creative_images_sync(creatives=creative_map, records=creatives, run=run)
    run.save(update_fields=["images_stored", "images_failed"])

    total_days = max((end - start).days + 1, 0)
    done_days = 0
    for chunk_start, chunk_end in _chunks(start, end, settings.INGEST_CHUNK_DAYS):
        metrics = connector.fetch_daily_metrics(chunk_start, chunk_end)
        run.fetched_count += len(metrics)
        with transaction.atomic():
            daily_metrics_upsert(
                account=account,
                records=metrics,
                ad_ids=ad_ids,
                campaign_ids=campaign_ids,
                since=chunk_start,
                until=chunk_end,
                counts=counts,
            )
            # Same transaction as the rows: the bookmark never passes uncommitted data.
            if bookmark.last_synced_date is None or chunk_end > bookmark.last_synced_date:
                bookmark.last_synced_date = chunk_end
                bookmark.save(update_fields=["last_synced_date", "updated_at"])
        _run_counts_save(run, counts)
        done_days += (chunk_end - chunk_start).days + 1
        say(f"{done_days}/{total_days} days to {chunk_end}: {len(metrics)} metric rows")


def _run_counts_save(run: IngestionRun, counts: _Counts) -> None:
    run.created_count, run.updated_count = counts.created, counts.updated
    run.save(update_fields=["fetched_count", "created_count", "updated_count"])


def ingestion_alert_send(*, run: IngestionRun) -> None:
    """E-mail the configured recipients that a run failed: which account, which error."""
    recipients = settings.INGEST_ALERT_EMAILS
    if not recipients:
        logger.warning("Ingestion run %s failed and YENNI_INGEST_ALERT_EMAILS is empty", run.pk)
        return
    account = run.account
    label = _account_label(account)
    window = f"{run.window_start} – {run.window_end}" if run.window_start else "not computed"
    body = (
        f"Ingestion run #{run.pk} of account {label} failed.\n\n"
        f"Error: {run.error}\n\n"
        f"Window: {window}\n"
        f"Started: {run.started_at}\nFinished: {run.finished_at}\n"
        f"API calls: {run.api_calls}; waits: {run.throttle_waits} "
        f"({run.waited_seconds:.1f} s)\n\n"
        "The bookmark was left where the last saved data ends; the next run continues there.\n"
        f"{settings.YENNI_BASE_URL}/admin/ingestion/ingestionrun/{run.pk}/change/\n"
    )
    try:
        send_mail(
            f"[Yenni] Ingestion failed: {account.name} ({account.platform.name})",
            body,
            None,
            recipients,
        )
    except Exception:
        logger.exception("Could not send the alert for ingestion run %s", run.pk)


# Replay ----------------------------------------------------------------------------------


def _archived_files(*, folder: str, date_from: dt.date, date_to: dt.date) -> list[str]:
    names = []
    day = date_from
    while day <= date_to:
        path = f"{folder}/year={day:%Y}/month={day:%m}/day={day:%d}"
        if default_storage.exists(path):
            _dirs, files = default_storage.listdir(path)
            names += [f"{path}/{name}" for name in sorted(files) if name.endswith(".json.gz")]
        day += dt.timedelta(days=1)
    return names


def ingestion_replay(
    *, account: AdAccount, date_from: dt.date, date_to: dt.date, progress: Progress | None = None
) -> IngestionRun:
    """Re-parse the raw archive fetched between two days (UTC) and upsert it; no API call.

    Files are applied in the order they were fetched, so a day read twice keeps its latest
    values. The bookmark does not move. Bodies that no longer parse are skipped and counted.
    """
    say = progress or (lambda message: None)
    run = IngestionRun.objects.create(
        account=account, kind=IngestionRun.Kind.REPLAY, window_start=date_from, window_end=date_to
    )
    run.claim()
    bookmark, _ = SyncBookmark.objects.get_or_create(account=account)
    slug = account.platform.slug
    failed = False
    try:
        connector = connector_for_account(account=account, bookmark=bookmark, with_token=False)
        folder = archive_folder(platform=slug, account_id=account.external_id)
        parsed = Parsed()
        skipped = 0
        files = _archived_files(folder=folder, date_from=date_from, date_to=date_to)
        for name in files:
            endpoint = name.rsplit("/", 1)[1].split("-", 2)[2].removesuffix(".json.gz")
            with default_storage.open(name, "rb") as handle:
                raw = gzip.decompress(handle.read())
            try:
                parsed.extend(connector.parse(endpoint, [json.loads(raw)]))
            except (ValueError, ConnectorError, KeyError) as exc:
                skipped += 1
                logger.warning("Replay skipped %s: %s", name, exc)
        parsed = connector.resolve(parsed)
        run.fetched_count = len(parsed)
        say(f"{len(files)} archived responses, {skipped} skipped, {len(parsed)} records")
        counts = _Counts()
        with transaction.atomic():
            campaign_ids = campaigns_upsert(
                account=account, records=parsed.campaigns, counts=counts
            )
            creative_map = creatives_upsert(platform=slug, records=parsed.creatives, counts=counts)
            # Where copy lives outside the listing (LinkedIn posts, X tweets), keep the links.
            wanted = {a.creative_external_id for a in parsed.ads} - set(creative_map) - {""}
            creative_map.update(
                (c.external_id, c)
                for c in Creative.objects.filter(platform=slug, external_id__in=wanted)
            )
            ad_ids = ads_upsert(
                account=account,
                records=parsed.ads,
                campaign_ids=campaign_ids,
                creatives=creative_map,
                counts=counts,
            )
            # Upsert only: a replay of part of the archive must not delete rows it did not read.
            daily_metrics_merge(
                account=account,
                records=parsed.metrics,
                ad_ids=ad_ids,
                campaign_ids=campaign_ids,
                counts=counts,
            )
        if skipped:
            run.error = f"{skipped} archived responses could not be parsed and were skipped."
        _run_counts_save(run, counts)
    except Exception as exc:
        failed = True
        run.error = f"{type(exc).__name__}: {exc}"
        logger.exception("Replay %s failed", run.pk)
    run.status = IngestionRun.Status.FAILED if failed else IngestionRun.Status.SUCCEEDED
    run.finished_at = timezone.now()
    run.save()
    if not failed:
        ranking_tables_refresh(run=run)
    return run


# CSV imports -----------------------------------------------------------------------------

CSV_PARSERS = {"meta": meta_csv_parse, "google_ads": google_ads_csv_parse}
MAX_PROBLEMS_SHOWN = 20


def ingestion_csv_import(*, account: AdAccount, data: bytes, filename: str = "") -> IngestionRun:
    """Import a hand-downloaded CSV file into the account, all of it or nothing.

    Campaigns, ads and creatives the file names are created when missing; ones already synced
    from the API keep what the API said. Metrics of the file's ad-days are replaced; others
    stay. The run row records the outcome; on failure its error lists what to fix.
    """
    run = IngestionRun.objects.create(account=account, kind=IngestionRun.Kind.CSV)
    run.claim()
    slug = account.platform.slug
    try:
        parser = CSV_PARSERS.get(slug)
        if parser is None:
            raise IngestionError(
                f"CSV files are imported for Meta and Google Ads accounts, not {account.platform}."
            )
        parsed = parser(data)
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
                f"{_account_label(account)} reports in {account.currency}. Nothing was imported."
            )
        if not parsed.metrics:
            raise IngestionError("The file has no data rows. Nothing was imported.")
        counts = _Counts()
        with transaction.atomic():
            campaign_ids = campaigns_upsert(
                account=account, records=parsed.campaigns, counts=counts, update_existing=False
            )
            creative_map = creatives_upsert(
                platform=slug, records=parsed.creatives, counts=counts, update_existing=False
            )
            ad_ids = ads_upsert(
                account=account,
                records=parsed.ads,
                campaign_ids=campaign_ids,
                creatives=creative_map,
                counts=counts,
                update_existing=False,
            )
            daily_metrics_merge(
                account=account,
                records=parsed.metrics,
                ad_ids=ad_ids,
                campaign_ids=campaign_ids,
                counts=counts,
            )
        dates = [m.date for m in parsed.metrics]
        run.window_start, run.window_end = min(dates), max(dates)
        run.fetched_count = len(parsed.metrics)
        run.created_count, run.updated_count = counts.created, counts.updated
        run.status = IngestionRun.Status.SUCCEEDED
    except (CsvFileError, IngestionError) as exc:
        run.error = f"{filename + ': ' if filename else ''}{exc}"
        run.status = IngestionRun.Status.FAILED
    run.finished_at = timezone.now()
    run.save()
    if run.status == IngestionRun.Status.SUCCEEDED:
        ranking_tables_refresh(run=run)
    return run
