"""How a node's best past pieces are picked: ranking rules, their metrics and their versions.

A lead edits a rule in the admin; every saved change makes a version, and a brief records the
version it ranked with (`RankingRule.snapshot()` is the settings both keep).
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q
from django.utils import translation
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

from campaigns.models.accounts import Node
from campaigns.models.history import Objective
from creatives.models import PlatformSlug


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

# The default rules' rationales exactly as campaigns/0004 seeded them. They stay stored in
# English, the catalogue's source language, and are shown through gettext while a lead keeps
# them: a stored key or a column per language would need a migration of every saved version,
# and a lead's own text is shown as written anyway. Never edit these sentences: the rows hold
# them, and an edit would make every seeded row read as a lead's English text.
SEEDED_RATIONALES = frozenset(
    (
        gettext_noop("Awareness pays for being seen: the cheapest thousand impressions win."),
        gettext_noop(
            "Traffic pays for visits: CTR measures the piece's own pull on every platform."
        ),
        gettext_noop("Engagement is interactions per impression."),
        gettext_noop(
            "A lead is the paid outcome; the click gate keeps out pieces that never had a chance."
        ),
        gettext_noop(
            "Sales are rare: a piece needs real traffic before its cost per sale means anything."
        ),
        gettext_noop("A neutral measure until a lead maps the campaign's objective."),
    )
)


def rationale_to_store(text: str) -> str:
    """Return the English source when `text` is a seeded rationale in any site language.

    The admin shows a seeded rationale translated; a lead who saves the rule without rewriting
    it posts the translation back, and storing that would freeze the rationale in one language.
    """
    wanted = text.strip()
    for source in SEEDED_RATIONALES:
        for code, _name in settings.LANGUAGES:
            with translation.override(code):
                if gettext(source) == wanted:
                    return source
    return text


class MinimumsMode(models.TextChoices):
    # The same words as campaigns.ranking.scoring.SCALED and ABSOLUTE.
    SCALED = "scaled", _("Scaled to the node's volume")
    ABSOLUTE = "absolute", _("Fixed figures")


RULE_FIELDS = (
    "node",
    "objective",
    "metric",
    "minimums_mode",
    "min_share_of_median",
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
    # Scaled by default: on a small account a fixed 1,000 impressions kept out most of the
    # truly best pieces (bench/ranking_quality.py), while shrinkage already discounts luck.
    minimums_mode = models.CharField(
        _("kind of minimums"),
        max_length=10,
        choices=MinimumsMode.choices,
        default=MinimumsMode.SCALED,
        help_text=_(
            "Scaled: a piece needs a share of the median impressions of the node's pieces for "
            "this objective, so the bar follows the account's size. Fixed: the impressions, "
            "spend, clicks and conversions below."
        ),
    )
    min_share_of_median = models.PositiveSmallIntegerField(
        _("share of the median impressions (%)"),
        default=5,
        validators=[MaxValueValidator(100)],
        help_text=_(
            "With scaled minimums: pieces with fewer impressions than this percentage of the "
            "median piece are not ranked."
        ),
    )
    min_impressions = models.PositiveIntegerField(
        _("minimum impressions"),
        default=0,
        help_text=_(
            "With fixed minimums: pieces seen fewer times than this are not ranked, too little "
            "evidence."
        ),
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
    def rationale_in_page_language(self) -> str:
        """The rationale to show: a seeded one translated, a lead's own as written."""
        if self.rationale in SEEDED_RATIONALES:
            return gettext(self.rationale)
        return self.rationale

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
