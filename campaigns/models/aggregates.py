"""Tables derived from the daily history so that ranking reads thousands of rows, not millions.

Nobody edits these: `campaigns.rollups` refreshes them after every ingestion run, demo load or
re-mapping (for the images touched), and the ranking reads them in place of the daily metrics.
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


PIECE_FIGURES = (
    "active_days",
    "impressions",
    "clicks",
    "link_clicks",
    "spend_reporting_micros",
    "conversions",
    "conversion_value_reporting_micros",
    "leads",
    "video_views",
    "engagements",
)


class _Figures(models.Model):
    """The summed figures a piece table keeps; money in micros of the reporting currency."""

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
        abstract = True


class PieceSeries(_Figures):
    """One piece's whole history within one node, objective and platform: its weeks' span and
    its all-time totals (the figures).

    A piece is an original image with its near-copies folded in (`near_duplicate_of`). The
    series lists the pieces a window can hold without reading their weeks: one whose span
    ends inside the window contributes its totals minus what came before the window.
    """

    # No index of their own: `piece_series_piece_idx` is the piece's, and the node leads the
    # unique key and the window index. A node-only index misled the planner on the 10M-row
    # history (a node's series lie together on disk, so it read every objective's and
    # filtered them: 1 ms of a brief's 2.1 ms read, against 0.2 through the window index).
    piece = models.ForeignKey(
        "creatives.CreativeImage",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("piece"),
        db_index=False,
    )
    node = models.ForeignKey(Node, on_delete=models.CASCADE, related_name="+", db_index=False)
    objective = models.CharField(_("objective"), max_length=20, choices=Objective.choices)
    platform = models.CharField(_("platform"), max_length=20, choices=PlatformSlug.choices)
    phash = models.CharField(_("perceptual hash"), max_length=16)
    first_week = models.DateField(_("first week"))
    last_week = models.DateField(_("last week"))

    class Meta:
        verbose_name = _("piece series")
        verbose_name_plural = _("piece series")
        constraints = [
            models.UniqueConstraint(
                fields=["node", "objective", "platform", "piece"],
                name="piece_series_unique_key",
            ),
        ]
        indexes = [
            models.Index(fields=["node", "objective", "last_week"], name="piece_series_window_idx"),
            models.Index(fields=["piece"], name="piece_series_piece_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.piece_id} {self.node_id} {self.objective} {self.platform}"


class PieceWeek(_Figures):
    """A piece series' figures summed from its first week through this one (cumulative).

    Every week of the series' span has a row, a week without results carrying the sums of the
    one before (4 % more rows than weeks with results on the 10M-row history). A window's
    figures are the row at its last week (the series' totals when it ends sooner) minus the row
    at the week before its first. The series' node and objective are repeated here so that a
    brief reads each edge as one range of the edge index (node, objective, week), which holds
    the figures too: no look-up per series, no table read on PostgreSQL.
    `active_days` here counts the days with results of the piece on the platform (near-copies
    and carousel slots counted once).
    """

    series = models.ForeignKey(PieceSeries, on_delete=models.CASCADE, related_name="weeks")
    # The series' own, repeated for the edge index; no foreign key index of their own.
    node = models.ForeignKey(Node, on_delete=models.CASCADE, related_name="+", db_index=False)
    objective = models.CharField(_("objective"), max_length=20, choices=Objective.choices)
    week = models.DateField(_("week (Monday)"))

    class Meta:
        verbose_name = _("piece week (cumulative)")
        verbose_name_plural = _("piece weeks (cumulative)")
        constraints = [
            models.UniqueConstraint(fields=["series", "week"], name="piece_week_unique_key"),
        ]
        indexes = [
            # INCLUDE is PostgreSQL's (an index-only read); elsewhere the index is the key alone.
            models.Index(
                fields=["node", "objective", "week"],
                include=["series", *PIECE_FIGURES],
                name="piece_week_edge_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.series_id} {self.week}"


class RankingCoverage(models.Model):
    """What the ranking tables hold of one account's daily metrics: every row up to an id.

    Daily metric ids only grow, so a row of the account above `metric_id_through` is a result
    the tables have not counted (a load that did not refresh them): rankings say so.
    """

    account = models.OneToOneField(
        "campaigns.AdAccount",
        on_delete=models.CASCADE,
        related_name="ranking_coverage",
        verbose_name=_("account"),
    )
    metric_id_through = models.BigIntegerField(_("daily metrics counted through id"), default=0)
    refreshed_at = models.DateTimeField(_("refreshed"), auto_now=True)

    class Meta:
        verbose_name = _("ranking coverage")
        verbose_name_plural = _("ranking coverage")

    def __str__(self) -> str:
        return f"{self.account_id} ≤ {self.metric_id_through}"


class RankingPending(models.Model):
    """Daily metrics written since the ranking tables last counted them: one row per statement
    and account × node × creative it touched (inserted, changed or deleted rows alike).

    Database triggers on the daily metric table write these rows (migration 0012), so no path
    can skip them: the store's upsert and its deletes, a raw ORM delete, an ad deleted with its
    results, an UPDATE typed in a shell. A refresh deletes the rows it covers before it reads
    the metrics; a write still uncommitted then keeps its row, so the tables are never taken as
    counting it. Plain ids, not foreign keys: a deleted ad or campaign must not take the record
    of its deleted results with it.
    """

    account_id = models.BigIntegerField(_("account"))
    node_id = models.BigIntegerField(_("node"))
    creative_id = models.BigIntegerField(_("creative"))

    class Meta:
        verbose_name = _("pending ranking change")
        verbose_name_plural = _("pending ranking changes")
        indexes = [
            models.Index(fields=["node_id", "account_id"], name="ranking_pending_node"),
            models.Index(fields=["creative_id", "node_id"], name="ranking_pending_creative"),
        ]

    def __str__(self) -> str:
        return f"{self.account_id}/{self.node_id}/{self.creative_id}"
