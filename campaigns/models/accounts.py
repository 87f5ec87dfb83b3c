"""Who ran the ads and which business unit they count for: platforms, accounts, nodes, rules.

These are the rows a marketing lead edits: they decide how the history is grouped (an
account's default node, the mapping rules tried in priority order) and they are what
ingestion looks an account up by.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from campaigns.conversions import ConversionChoice, account_choice
from creatives.models import PlatformSlug


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
    # Which of the platform's conversion types (campaigns/conversions.py) count as this
    # account's conversions and leads. None: the platform's default; [] counts nothing.
    conversion_types = models.JSONField(
        _("conversion types"),
        null=True,
        blank=True,
        default=None,
        help_text=_(
            "Types counted as conversions, with their value. Not set: the platform default."
        ),
    )
    lead_types = models.JSONField(
        _("lead types"),
        null=True,
        blank=True,
        default=None,
        help_text=_("Types counted as leads. Not set: the platform default."),
    )
    # Every type the account's stored days report, kept as rows are saved (and set again by
    # each recount): the lead's list to choose from, without reading millions of rows.
    conversion_types_seen = models.JSONField(
        _("conversion types seen"), default=list, blank=True, editable=False
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

    def conversion_choice(self) -> ConversionChoice:
        """Return the types this account counts: its own choice, or its platform's default.

        Raises ConversionChoiceError when the default comes from a setting that names types
        the platform does not report.
        """
        return account_choice(
            platform=self.platform.slug,
            conversion_types=self.conversion_types,
            lead_types=self.lead_types,
        )


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
