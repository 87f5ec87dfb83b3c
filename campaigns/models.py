"""The ad history: platforms, accounts, nodes, campaigns, ads and their daily results."""

from __future__ import annotations

import re
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from creatives.models import PlatformSlug


class Objective(models.TextChoices):
    """One objective taxonomy across platforms; the raw value is kept beside it."""

    AWARENESS = "awareness", _("Awareness")
    TRAFFIC = "traffic", _("Traffic")
    ENGAGEMENT = "engagement", _("Engagement")
    LEADS = "leads", _("Leads")
    CONVERSION = "conversion", _("Conversion")
    OTHER = "other", _("Other")


class Platform(models.Model):
    slug = models.CharField(_("slug"), max_length=20, unique=True, choices=PlatformSlug.choices)
    name = models.CharField(_("name"), max_length=50)

    class Meta:
        verbose_name = _("platform")
        verbose_name_plural = _("platforms")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Node(models.Model):
    """A business unit whose ads are ranked together (tu360compras, wompi, …)."""

    slug = models.SlugField(_("slug"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=100)
    description = models.TextField(_("description"), blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("node")
        verbose_name_plural = _("nodes")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class AdAccount(models.Model):
    platform = models.ForeignKey(
        Platform, on_delete=models.PROTECT, related_name="accounts", verbose_name=_("platform")
    )
    external_id = models.CharField(_("account id"), max_length=64)
    name = models.CharField(_("name"), max_length=255)
    currency = models.CharField(
        _("currency"), max_length=3, default="COP", help_text=_("ISO 4217 code, e.g. COP, USD.")
    )
    time_zone = models.CharField(_("time zone"), max_length=64, default="America/Bogota")
    active = models.BooleanField(
        _("active"), default=True, help_text=_("Only active accounts are synced.")
    )
    default_node = models.ForeignKey(
        Node,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="default_accounts",
        verbose_name=_("default node"),
        help_text=_("Campaigns go to this node unless a mapping rule says otherwise."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("ad account")
        verbose_name_plural = _("ad accounts")
        ordering = ["platform__name", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["platform", "external_id"], name="ad_account_unique_platform_external_id"
            ),
            models.CheckConstraint(
                condition=Q(currency__regex=r"^[A-Z]{3}$"), name="ad_account_currency_iso"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.platform.name} {self.external_id})"

    def clean(self) -> None:
        self.currency = (self.currency or "").upper()
        try:
            from zoneinfo import ZoneInfo

            ZoneInfo(self.time_zone)
        except Exception as exc:  # ZoneInfo raises several types for bad names
            raise ValidationError(
                {"time_zone": _("Unknown time zone. Use a name like America/Bogota.")}
            ) from exc


class NodeMappingRule(models.Model):
    """Sends campaigns to a node by their account, a pattern in their name, or both.

    Rules are tried by priority (lowest number first); the first that matches wins; a campaign
    no rule matches takes its account's default node.
    """

    class PatternKind(models.TextChoices):
        CONTAINS = "contains", _("Name contains (ignoring case)")
        REGEX = "regex", _("Regular expression (ignoring case)")

    node = models.ForeignKey(
        Node, on_delete=models.CASCADE, related_name="mapping_rules", verbose_name=_("node")
    )
    account = models.ForeignKey(
        AdAccount,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="mapping_rules",
        verbose_name=_("account"),
        help_text=_("Leave empty to match campaigns of every account."),
    )
    campaign_name_pattern = models.CharField(
        _("campaign name pattern"),
        max_length=200,
        blank=True,
        help_text=_("Text to look for in the campaign name. Leave empty to match by account only."),
    )
    pattern_kind = models.CharField(
        _("pattern kind"), max_length=10, choices=PatternKind.choices, default=PatternKind.CONTAINS
    )
    priority = models.PositiveIntegerField(
        _("priority"), default=100, help_text=_("Lower numbers are tried first.")
    )
    active = models.BooleanField(_("active"), default=True)
    notes = models.CharField(_("notes"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("node mapping rule")
        verbose_name_plural = _("node mapping rules")
        ordering = ["priority", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(account__isnull=False) | ~Q(campaign_name_pattern=""),
                name="node_mapping_rule_account_or_pattern",
            ),
        ]

    def __str__(self) -> str:
        parts = []
        if self.account_id:
            parts.append(str(self.account))
        if self.campaign_name_pattern:
            parts.append(f"“{self.campaign_name_pattern}”")
        return f"{' + '.join(parts)} → {self.node}"

    def clean(self) -> None:
        if not self.account_id and not self.campaign_name_pattern:
            raise ValidationError(_("Give an account, a campaign name pattern, or both."))
        if self.pattern_kind == self.PatternKind.REGEX and self.campaign_name_pattern:
            try:
                re.compile(self.campaign_name_pattern)
            except re.error as exc:
                raise ValidationError(
                    {
                        "campaign_name_pattern": _("Not a valid regular expression: %(error)s")
                        % {"error": exc}
                    }
                ) from exc

    def matches(self, *, account_id: int, campaign_name: str) -> bool:
        if self.account_id and self.account_id != account_id:
            return False
        pattern = self.campaign_name_pattern
        if not pattern:
            return True
        if self.pattern_kind == self.PatternKind.REGEX:
            return re.search(pattern, campaign_name, flags=re.IGNORECASE) is not None
        return pattern.casefold() in campaign_name.casefold()


class Campaign(models.Model):
    class NodeSource(models.TextChoices):
        RULE = "rule", _("Mapping rule")
        ACCOUNT = "account", _("Account default")
        MANUAL = "manual", _("Set by hand")
        UNMAPPED = "unmapped", _("Unmapped")

    account = models.ForeignKey(
        AdAccount, on_delete=models.PROTECT, related_name="campaigns", verbose_name=_("account")
    )
    external_id = models.CharField(_("campaign id"), max_length=64)
    name = models.CharField(_("name"), max_length=500)
    objective_raw = models.CharField(
        _("platform objective"),
        max_length=100,
        blank=True,
        help_text=_("The objective exactly as the platform names it."),
    )
    objective = models.CharField(
        _("objective"), max_length=20, choices=Objective.choices, default=Objective.OTHER
    )
    status = models.CharField(_("status"), max_length=40, blank=True)
    start_date = models.DateField(_("start date"), null=True, blank=True)
    end_date = models.DateField(_("end date"), null=True, blank=True)
    node = models.ForeignKey(
        Node,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="campaigns",
        verbose_name=_("node"),
    )
    node_source = models.CharField(
        _("node assigned by"),
        max_length=10,
        choices=NodeSource.choices,
        default=NodeSource.UNMAPPED,
        help_text=_("Campaigns set by hand keep their node when mapping rules are re-applied."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ["-start_date", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "external_id"], name="campaign_unique_account_external_id"
            ),
            models.CheckConstraint(
                condition=Q(start_date__isnull=True)
                | Q(end_date__isnull=True)
                | Q(start_date__lte=F("end_date")),
                name="campaign_dates_in_order",
            ),
            models.CheckConstraint(
                condition=Q(objective__in=Objective.values), name="campaign_objective_in_taxonomy"
            ),
        ]
        indexes = [
            models.Index(fields=["node", "objective"], name="campaign_node_objective_idx"),
            models.Index(fields=["objective_raw"], name="campaign_objective_raw_idx"),
        ]

    def __str__(self) -> str:
        return self.name


class Ad(models.Model):
    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="ads", verbose_name=_("campaign")
    )
    external_id = models.CharField(_("ad id"), max_length=64)
    name = models.CharField(_("name"), max_length=500, blank=True)
    status = models.CharField(_("status"), max_length=40, blank=True)
    creative = models.ForeignKey(
        "creatives.Creative",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="ads",
        verbose_name=_("creative"),
    )
    start_date = models.DateField(_("start date"), null=True, blank=True)
    end_date = models.DateField(_("end date"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("ad")
        verbose_name_plural = _("ads")
        ordering = ["-start_date", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "external_id"], name="ad_unique_campaign_external_id"
            ),
            models.CheckConstraint(
                condition=Q(start_date__isnull=True)
                | Q(end_date__isnull=True)
                | Q(start_date__lte=F("end_date")),
                name="ad_dates_in_order",
            ),
        ]

    def __str__(self) -> str:
        return self.name or self.external_id


# The figures a daily metric row holds, in column order: ingestion and the demo write them all.
DAILY_METRIC_FIGURES = (
    "impressions",
    "reach",
    "clicks",
    "link_clicks",
    "spend_micros",
    "conversions",
    "conversion_value_micros",
    "leads",
    "video_views",
    "engagements",
)


class DailyMetric(models.Model):
    """One ad's results for one day, in the account's currency and time zone.

    Money is kept as integer micros (millionths of the currency unit), as Google reports it, so
    sums are exact. `reach` is that day's unique people and must never be summed across days.
    """

    ad = models.ForeignKey(
        Ad, on_delete=models.CASCADE, related_name="daily_metrics", verbose_name=_("ad")
    )
    date = models.DateField(_("date"))
    impressions = models.PositiveBigIntegerField(_("impressions"), default=0)
    reach = models.PositiveBigIntegerField(
        _("reach (that day)"), default=0, help_text=_("Unique people that day; not additive.")
    )
    clicks = models.PositiveBigIntegerField(_("clicks"), default=0)
    link_clicks = models.PositiveBigIntegerField(_("link clicks"), default=0)
    spend_micros = models.PositiveBigIntegerField(
        _("spend (micros of the account currency)"), default=0
    )
    # Platforms attribute fractional conversions (Google's data-driven attribution), so a float.
    conversions = models.FloatField(_("conversions"), default=0.0)
    conversion_value_micros = models.PositiveBigIntegerField(
        _("conversion value (micros of the account currency)"), default=0
    )
    leads = models.PositiveIntegerField(_("leads"), default=0)
    video_views = models.PositiveBigIntegerField(_("video views"), default=0)
    engagements = models.PositiveBigIntegerField(_("engagements"), default=0)

    class Meta:
        verbose_name = _("daily metric")
        verbose_name_plural = _("daily metrics")
        ordering = ["-date"]
        constraints = [
            models.UniqueConstraint(fields=["ad", "date"], name="daily_metric_unique_ad_date"),
            models.CheckConstraint(
                condition=Q(conversions__gte=0), name="daily_metric_conversions_non_negative"
            ),
        ]
        indexes = [models.Index(fields=["date"], name="daily_metric_date_idx")]

    def __str__(self) -> str:
        return f"{self.ad_id} {self.date}"

    @property
    def spend(self) -> Decimal:
        return Decimal(self.spend_micros) / Decimal(1_000_000)


class ExchangeRate(models.Model):
    """How many units of the reporting currency one unit of `currency` bought on `date`."""

    currency = models.CharField(_("currency"), max_length=3)
    reporting_currency = models.CharField(_("reporting currency"), max_length=3, default="COP")
    date = models.DateField(_("date"))
    rate = models.DecimalField(_("rate"), max_digits=20, decimal_places=8)
    source = models.CharField(_("source"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("exchange rate")
        verbose_name_plural = _("exchange rates")
        ordering = ["-date", "currency"]
        constraints = [
            models.UniqueConstraint(
                fields=["currency", "reporting_currency", "date"],
                name="exchange_rate_unique_currency_date",
            ),
            models.CheckConstraint(condition=Q(rate__gt=0), name="exchange_rate_positive"),
        ]

    def __str__(self) -> str:
        return f"1 {self.currency} = {self.rate} {self.reporting_currency} ({self.date})"


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


class RankingMetric(models.TextChoices):
    CTR = "ctr", _("CTR (clicks per impression)")
    LINK_CTR = "link_ctr", _("Link CTR (link clicks per impression)")
    CPC = "cpc", _("CPC (cost per click)")
    CPM = "cpm", _("CPM (cost per thousand impressions)")
    COST_PER_LEAD = "cost_per_lead", _("Cost per lead")
    COST_PER_CONVERSION = "cost_per_conversion", _("Cost per conversion")
    CONVERSION_RATE = "conversion_rate", _("Conversion rate (conversions per click)")
    ROAS = "roas", _("ROAS (conversion value per spend)")
    VIDEO_VIEW_RATE = "video_view_rate", _("Video view rate (views per impression)")
    ENGAGEMENT_RATE = "engagement_rate", _("Engagement rate (engagements per impression)")


# Which metrics are better when lower; every other metric is better when higher.
LOWER_IS_BETTER = {
    RankingMetric.CPC,
    RankingMetric.CPM,
    RankingMetric.COST_PER_LEAD,
    RankingMetric.COST_PER_CONVERSION,
}

RULE_FIELDS = (
    "node",
    "objective",
    "metric",
    "min_impressions",
    "min_spend",
    "min_clicks",
    "min_conversions",
    "window_days",
    "platforms",
    "top_n",
    "tie_break_metric",
    "half_life_days",
    "within_platform",
    "active",
    "rationale",
)


class RankingRule(models.Model):
    """How to pick the best past pieces for a node and objective.

    A rule with no node is the default for its objective. Every saved change makes a new
    version; a brief records the version it used.
    """

    node = models.ForeignKey(
        Node,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="ranking_rules",
        verbose_name=_("node"),
        help_text=_("Leave empty to make this the default for the objective."),
    )
    objective = models.CharField(_("objective"), max_length=20, choices=Objective.choices)
    metric = models.CharField(
        _("success metric"),
        max_length=30,
        choices=RankingMetric.choices,
        help_text=_(
            "What defines a good piece. Costs (CPC, CPM, cost per lead or conversion) are "
            "better when lower; every other metric is better when higher."
        ),
    )
    min_impressions = models.PositiveIntegerField(
        _("minimum impressions"),
        default=0,
        help_text=_("Pieces seen fewer times than this are not ranked: too little evidence."),
    )
    min_spend = models.DecimalField(
        _("minimum spend"),
        max_digits=16,
        decimal_places=2,
        default=Decimal("0"),
        help_text=_("In the reporting currency (COP unless configured otherwise)."),
    )
    min_clicks = models.PositiveIntegerField(_("minimum clicks"), default=0)
    min_conversions = models.DecimalField(
        _("minimum conversions"), max_digits=12, decimal_places=2, default=Decimal("0")
    )
    window_days = models.PositiveIntegerField(
        _("look-back window (days)"),
        default=365,
        help_text=_("Only results from this many days before the brief count."),
    )
    platforms = models.JSONField(
        _("platforms counted"),
        default=list,
        blank=True,
        help_text=_("Leave empty to count every platform."),
    )
    top_n = models.PositiveSmallIntegerField(
        _("number of references"), default=4, help_text=_("How many past pieces a brief shows.")
    )
    tie_break_metric = models.CharField(
        _("tie-break metric"),
        max_length=30,
        choices=RankingMetric.choices,
        blank=True,
        help_text=_("Used only when two pieces are equal on the success metric."),
    )
    half_life_days = models.PositiveIntegerField(
        _("recency half-life (days)"),
        null=True,
        blank=True,
        help_text=_(
            "Optional. Results this many days old count half as much, so tired pieces sink. "
            "Leave empty to weigh every day in the window the same."
        ),
    )
    within_platform = models.BooleanField(
        _("compare within each platform"),
        default=True,
        help_text=_(
            "Judge each piece against the average of its own platform: a LinkedIn click costs "
            "more than a Meta one. Untick to compare the raw figures across platforms."
        ),
    )
    active = models.BooleanField(_("active"), default=True)
    rationale = models.TextField(
        _("why this rule"), blank=True, help_text=_("A sentence or two for the next lead.")
    )
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("updated by"),
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("ranking rule")
        verbose_name_plural = _("ranking rules")
        ordering = ["objective", "node__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["node", "objective"],
                condition=Q(node__isnull=False),
                name="ranking_rule_unique_node_objective",
            ),
            models.UniqueConstraint(
                fields=["objective"],
                condition=Q(node__isnull=True),
                name="ranking_rule_unique_default_per_objective",
            ),
            models.CheckConstraint(
                condition=Q(top_n__gte=1) & Q(top_n__lte=50), name="ranking_rule_top_n_range"
            ),
            models.CheckConstraint(
                condition=Q(window_days__gte=1), name="ranking_rule_window_positive"
            ),
        ]

    def __str__(self) -> str:
        scope = self.node.name if self.node_id else gettext("Default")
        return f"{scope} · {self.get_objective_display()} · v{self.version}"

    @property
    def lower_is_better(self) -> bool:
        return self.metric in LOWER_IS_BETTER

    def clean(self) -> None:
        unknown = set(self.platforms or []) - set(PlatformSlug.values)
        if unknown:
            raise ValidationError({"platforms": _("Unknown platforms: %s") % ", ".join(unknown)})
        if self.tie_break_metric and self.tie_break_metric == self.metric:
            raise ValidationError(
                {"tie_break_metric": _("The tie-break must differ from the success metric.")}
            )

    def snapshot(self) -> dict:
        """Return the rule's settings as plain JSON values, for versions and briefs."""
        data = {}
        for name in RULE_FIELDS:
            value = getattr(self, "node_id" if name == "node" else name)
            if isinstance(value, Decimal):
                # Same text for 0 and 0.00: a form posts "0", the database returns "0.00".
                places = self._meta.get_field(name).decimal_places
                value = str(value.quantize(Decimal(1).scaleb(-places)))
            data[name] = value
        return data


class RankingRuleVersion(models.Model):
    """A saved state of a rule: who changed what, and when."""

    rule = models.ForeignKey(
        RankingRule, on_delete=models.CASCADE, related_name="versions", verbose_name=_("rule")
    )
    version = models.PositiveIntegerField(_("version"))
    state = models.JSONField(_("settings"))
    changes = models.JSONField(
        _("changes"), default=dict, help_text=_("Field: [before, after] for each change.")
    )
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("changed by"),
    )
    changed_at = models.DateTimeField(_("changed"), auto_now_add=True)

    class Meta:
        verbose_name = _("ranking rule version")
        verbose_name_plural = _("ranking rule versions")
        ordering = ["rule", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["rule", "version"], name="ranking_rule_version_unique"),
        ]

    def __str__(self) -> str:
        return f"v{self.version}"
