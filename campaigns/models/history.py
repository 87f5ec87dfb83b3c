"""The ad history as the platforms report it: campaigns, ads, their daily results, exchange rates.

Written by ingestion (and the demo), read by everything else; a lead only re-assigns a
campaign's node and objective. `Objective` is the one objective taxonomy across platforms.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from campaigns.models.accounts import AdAccount, Node


def _dates_in_order(name: str) -> models.CheckConstraint:
    """A campaign's or an ad's flight: either date may be open, but never end before it starts."""
    return models.CheckConstraint(
        condition=Q(start_date__isnull=True)
        | Q(end_date__isnull=True)
        | Q(start_date__lte=F("end_date")),
        name=name,
    )


class Objective(models.TextChoices):
    """One objective taxonomy across platforms; the raw value is kept beside it."""

    AWARENESS = "awareness", _("Awareness")
    TRAFFIC = "traffic", _("Traffic")
    ENGAGEMENT = "engagement", _("Engagement")
    LEADS = "leads", _("Leads")
    CONVERSION = "conversion", _("Conversion")
    OTHER = "other", _("Other")


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
            _dates_in_order("campaign_dates_in_order"),
            models.CheckConstraint(
                condition=Q(objective__in=Objective.values), name="campaign_objective_in_taxonomy"
            ),
        ]
        indexes = [
            models.Index(fields=["node", "objective"], name="campaign_node_objective_idx"),
            # A node's accounts, read from the index alone by every brief's freshness check
            # (campaigns.ranking.selectors.ranking_behind).
            models.Index(fields=["node", "account"], name="campaign_node_account_idx"),
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
            _dates_in_order("ad_dates_in_order"),
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
    # Every conversion type the platform reported that day, {type: [count, value micros]}
    # (campaigns/conversions.py); conversions, their value and leads above are derived from
    # it by the account's choice, so a new choice is recounted without asking the platform.
    # Null when the source gave no breakdown (a CSV export, the demo): the figures above
    # are then kept as they came.
    conversion_types = models.JSONField(
        _("conversions by type"), null=True, blank=True, default=None, editable=False
    )
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
