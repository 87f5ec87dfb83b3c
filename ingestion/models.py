"""What ingestion remembers: each run, each account's bookmark, and images it could not fetch."""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ingestion.workers import worker_name


class IngestionRun(models.Model):
    """One sync (or replay) of one ad account; the source of truth for its status and timings."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")
        # Another run of the account was alive: this one did nothing (not a failure).
        SKIPPED = "skipped", _("Skipped")

    class Kind(models.TextChoices):
        API = "api", _("Platform API")
        REPLAY = "replay", _("Replay of the raw archive")
        CSV = "csv", _("CSV file")

    account = models.ForeignKey(
        "campaigns.AdAccount",
        on_delete=models.PROTECT,
        related_name="ingestion_runs",
        verbose_name=_("account"),
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.API)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    since = models.DateField(
        _("requested start"),
        null=True,
        blank=True,
        help_text=_("Start the window here instead of at the bookmark."),
    )
    window_start = models.DateField(_("window start"), null=True, blank=True)
    window_end = models.DateField(_("window end"), null=True, blank=True)
    fetched_count = models.PositiveIntegerField(_("records fetched"), default=0)
    created_count = models.PositiveIntegerField(_("rows created"), default=0)
    updated_count = models.PositiveIntegerField(_("rows updated"), default=0)
    api_calls = models.PositiveIntegerField(_("API calls"), default=0)
    throttle_waits = models.PositiveIntegerField(_("waits"), default=0)
    waited_seconds = models.FloatField(_("seconds waited"), default=0.0)
    images_stored = models.PositiveIntegerField(_("images stored"), default=0)
    images_failed = models.PositiveIntegerField(_("images failed"), default=0)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("queued at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    # Refreshed by a running run at least every chunk and during waits; the next run of the
    # account takes over one whose heartbeat is older than INGEST_HEARTBEAT_TIMEOUT_SECONDS.
    heartbeat_at = models.DateTimeField(_("last heartbeat"), null=True, blank=True)
    worker = models.CharField(
        _("worker"),
        max_length=300,
        blank=True,
        help_text=_("The process that ran it: host, PID namespace and PID."),
    )

    class Meta:
        verbose_name = _("ingestion run")
        verbose_name_plural = _("ingestion runs")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["account", "-created_at"], name="ingestion_run_account_idx"),
            models.Index(fields=["status"], name="ingestion_run_status_idx"),
        ]
        permissions = [("stop_ingestionrun", "Can mark a running ingestion run as failed")]

    def __str__(self) -> str:
        return f"#{self.pk} {self.account} {self.get_status_display()}"

    @property
    def duration(self) -> dt.timedelta | None:
        if self.started_at is None:
            return None
        return (self.finished_at or timezone.now()) - self.started_at

    def claim(self) -> bool:
        """Move a queued run to running; False when another worker already took it.

        A conditional update, so a task the broker delivers twice runs once.
        """
        now, worker = timezone.now(), worker_name()
        taken = IngestionRun.objects.filter(pk=self.pk, status=self.Status.QUEUED).update(
            status=self.Status.RUNNING, started_at=now, heartbeat_at=now, worker=worker
        )
        if taken:
            self.status = self.Status.RUNNING
            self.started_at = self.heartbeat_at = now
            self.worker = worker
        return bool(taken)


class SyncBookmark(models.Model):
    """How far an account's metrics are synced, and how its syncs read."""

    account = models.OneToOneField(
        "campaigns.AdAccount",
        on_delete=models.CASCADE,
        related_name="sync_bookmark",
        verbose_name=_("account"),
    )
    last_synced_date = models.DateField(
        _("last complete day synced"),
        null=True,
        blank=True,
        help_text=_("Empty: the next sync back-fills. Advanced only after the data is saved."),
    )
    lookback_days = models.PositiveSmallIntegerField(
        _("look-back days"),
        null=True,
        blank=True,
        help_text=_("Days re-read before the bookmark. Empty: the platform's default."),
    )
    backfill_days = models.PositiveIntegerField(
        _("back-fill days"),
        null=True,
        blank=True,
        help_text=_("Days a first sync reads. Empty: the site default."),
    )
    # Creative id → what the platform said its version was when its copy and image were read
    # (LinkedIn: lastModifiedAt); a run reads again only creatives whose version moved.
    creative_versions = models.JSONField(
        _("creative versions read"), default=dict, blank=True, editable=False
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("sync bookmark")
        verbose_name_plural = _("sync bookmarks")
        ordering = ["account"]

    def __str__(self) -> str:
        return f"{self.account}: {self.last_synced_date or '—'}"


class ImageFetchFailure(models.Model):
    """A creative image that could not be stored; the next run tries it again."""

    creative = models.ForeignKey(
        "creatives.Creative",
        on_delete=models.CASCADE,
        related_name="image_fetch_failures",
        verbose_name=_("creative"),
    )
    url = models.URLField(_("image URL"), max_length=2000)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    error = models.TextField(_("error"))
    attempts = models.PositiveIntegerField(_("attempts"), default=1)
    first_failed_at = models.DateTimeField(_("first failed"), auto_now_add=True)
    last_tried_at = models.DateTimeField(_("last tried"), auto_now=True)

    class Meta:
        verbose_name = _("image fetch failure")
        verbose_name_plural = _("image fetch failures")
        ordering = ["-last_tried_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["creative", "position"], name="image_fetch_failure_unique_slot"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.creative_id} #{self.position}: {self.error[:60]}"
