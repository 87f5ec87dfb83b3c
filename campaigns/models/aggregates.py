"""Tables derived from the daily history so that ranking reads thousands of rows, not millions.

Nobody edits these: `campaigns.rollups` rebuilds them after every ingestion run, demo load or
re-mapping, and the ranking reads them in place of the daily metrics.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from campaigns.models.accounts import Node
from campaigns.models.history import Objective
from creatives.models import PlatformSlug


class ImageWeeklyRollup(models.Model):
    """One image's results for one week, within one node, objective and platform.

    Kept so a brief's ranking reads tens of thousands of rows instead of millions of daily
    metrics. Spend and value are converted to the reporting currency day by day before summing.
    A carousel's results count for each of its images: they cannot be told apart. There is no
    reach here on purpose: daily reach cannot be added up.
    """

    image = models.ForeignKey(
        "creatives.CreativeImage",
        on_delete=models.CASCADE,
        related_name="weekly_rollups",
        verbose_name=_("image"),
    )
    node = models.ForeignKey(
        Node, on_delete=models.CASCADE, related_name="+", verbose_name=_("node")
    )
    objective = models.CharField(_("objective"), max_length=20, choices=Objective.choices)
    platform = models.CharField(_("platform"), max_length=20, choices=PlatformSlug.choices)
    week = models.DateField(_("week (Monday)"))
    active_days = models.PositiveSmallIntegerField(_("days with results"), default=0)
    impressions = models.PositiveBigIntegerField(_("impressions"), default=0)
    clicks = models.PositiveBigIntegerField(_("clicks"), default=0)
    link_clicks = models.PositiveBigIntegerField(_("link clicks"), default=0)
    spend_reporting_micros = models.PositiveBigIntegerField(
        _("spend (micros of the reporting currency)"), default=0
    )
    conversions = models.FloatField(_("conversions"), default=0.0)
    conversion_value_reporting_micros = models.PositiveBigIntegerField(
        _("conversion value (micros of the reporting currency)"), default=0
    )
    leads = models.PositiveBigIntegerField(_("leads"), default=0)
    video_views = models.PositiveBigIntegerField(_("video views"), default=0)
    engagements = models.PositiveBigIntegerField(_("engagements"), default=0)

    class Meta:
        verbose_name = _("weekly image rollup")
        verbose_name_plural = _("weekly image rollups")
        constraints = [
            models.UniqueConstraint(
                fields=["image", "node", "objective", "platform", "week"],
                name="image_weekly_rollup_unique_key",
            ),
        ]
        indexes = [
            models.Index(
                fields=["node", "objective", "week"], name="rollup_node_objective_week_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.image_id} {self.node_id} {self.objective} {self.platform} {self.week}"


class PieceWindowTotal(models.Model):
    """A piece's results summed over one look-back window, per node, objective and platform.

    Read by a brief's ranking in place of the weekly rollup: a few thousand rows instead of
    tens of thousands. Rebuilt after the rollup for each window the active rules use; a piece
    is an original image with its near-duplicates folded in. `week_from`..`week_to` are the
    Mondays of the first and last weeks counted, exactly as the weekly path would count them.
    """

    window_days = models.PositiveIntegerField(_("window (days)"))
    week_from = models.DateField(_("first week"))
    week_to = models.DateField(_("last week"))
    piece = models.ForeignKey(
        "creatives.CreativeImage",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("piece"),
    )
    node = models.ForeignKey(Node, on_delete=models.CASCADE, related_name="+")
    objective = models.CharField(_("objective"), max_length=20, choices=Objective.choices)
    platform = models.CharField(_("platform"), max_length=20, choices=PlatformSlug.choices)
    phash = models.CharField(_("perceptual hash"), max_length=16)
    active_days = models.PositiveIntegerField(_("days with results"), default=0)
    impressions = models.PositiveBigIntegerField(default=0)
    clicks = models.PositiveBigIntegerField(default=0)
    link_clicks = models.PositiveBigIntegerField(default=0)
    spend_reporting_micros = models.PositiveBigIntegerField(default=0)
    conversions = models.FloatField(default=0.0)
    conversion_value_reporting_micros = models.PositiveBigIntegerField(default=0)
    leads = models.PositiveBigIntegerField(default=0)
    video_views = models.PositiveBigIntegerField(default=0)
    engagements = models.PositiveBigIntegerField(default=0)

    class Meta:
        verbose_name = _("piece window total")
        verbose_name_plural = _("piece window totals")
        constraints = [
            models.UniqueConstraint(
                fields=["node", "objective", "window_days", "platform", "piece"],
                name="piece_window_total_unique_key",
            ),
        ]
        indexes = [
            models.Index(
                fields=["node", "objective", "window_days", "week_from"],
                name="window_total_lookup_idx",
            ),
        ]

    def __str__(self) -> str:
        return (
            f"{self.piece_id} {self.node_id} {self.objective} {self.platform} {self.window_days}d"
        )


class PieceWindowTotalsBuild(models.Model):
    """Which window the piece totals hold for each window length, and when they were built."""

    window_days = models.PositiveIntegerField(_("window (days)"), unique=True)
    week_from = models.DateField(_("first week"))
    week_to = models.DateField(_("last week"))
    built_at = models.DateTimeField(_("built"), auto_now=True)

    class Meta:
        verbose_name = _("piece window totals build")
        verbose_name_plural = _("piece window totals builds")

    def __str__(self) -> str:
        return f"{self.window_days}d {self.week_from}..{self.week_to}"
