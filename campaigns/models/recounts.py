"""Recounts of an account's conversions and leads from the figures by type it already holds."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from campaigns.models.accounts import AdAccount


class ConversionRecount(models.Model):
    """One recount of an account's daily figures after its choice of types changed.

    The source of truth for the job's status and outcome, as an ingestion run is for a sync:
    the task claims it with a conditional update, so a task delivered twice runs once.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")

    account = models.ForeignKey(
        AdAccount,
        on_delete=models.CASCADE,
        related_name="conversion_recounts",
        verbose_name=_("account"),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("requested by"),
    )
    # The types it counted, as resolved when it ran (the account's own or the default).
    choice = models.JSONField(_("types counted"), default=dict, blank=True)
    rows_read = models.PositiveIntegerField(_("daily rows read"), default=0)
    rows_changed = models.PositiveIntegerField(_("daily rows changed"), default=0)
    # Rows with no breakdown by type (CSV files, days stored before every type was kept):
    # they keep their figures, and the lead is told so.
    rows_without_types = models.PositiveIntegerField(_("daily rows without types"), default=0)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("queued at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("conversion recount")
        verbose_name_plural = _("conversion recounts")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["account", "-created_at"], name="conversion_recount_account_idx")
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.account_id} {self.get_status_display()}"

    def claim(self) -> bool:
        """Move a queued recount to running; False when another worker already took it."""
        now = timezone.now()
        taken = ConversionRecount.objects.filter(pk=self.pk, status=self.Status.QUEUED).update(
            status=self.Status.RUNNING, started_at=now
        )
        if taken:
            self.status, self.started_at = self.Status.RUNNING, now
        return bool(taken)
