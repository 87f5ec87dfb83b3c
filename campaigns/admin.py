"""Admin for the ad history, as marketing leads use it.

Leads edit what decides how the history is grouped and converted (nodes, accounts, node mapping
rules, exchange rates) and may re-assign a campaign's node and objective. Everything else came
from a platform and is read-only here: it is fixed at the source and re-ingested.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.humanize.templatetags.humanize import intcomma
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Max, Min, Sum
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect
from django.urls import path
from django.utils import formats, translation
from django.utils.functional import cached_property
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from campaigns.models import (
    RULE_FIELDS,
    Ad,
    AdAccount,
    Campaign,
    DailyMetric,
    ExchangeRate,
    Node,
    NodeMappingRule,
    Objective,
    Platform,
    RankingRule,
    RankingRuleVersion,
)
from campaigns.ranking.selectors import NoRuleError, brief_ranking
from campaigns.rollups import RollupError, image_ids_for_campaigns, image_rollup_refresh
from campaigns.services import NodeMappingResult, node_mapping_apply, ranking_rule_save
from creatives.admin import (
    ReadOnlyAdminMixin,
    change_link,
    changelist_link,
    count_related,
    first_image,
    image_thumbnail,
    ordered_slots_prefetch,
)
from creatives.models import CreativeImage, PlatformSlug


class CappedCountPaginator(Paginator):
    """Count at most CAP rows, so a filtered list over millions of rows stays fast.

    Django's list counts every row that matches the filters; on the metrics table that is a
    scan of millions. Past the cap the list says "more than" and pages stop at the cap: a lead
    narrows the filters instead of paging that far.
    """

    CAP = 10_000
    capped = False

    @cached_property
    def count(self) -> int:
        found = self.object_list.order_by()[: self.CAP + 1].count()
        self.capped = found > self.CAP
        return min(found, self.CAP)


def money(micros: int | None, currency: str) -> str:
    """Format an amount in micros as "1.234,56 COP" in the user's language."""
    amount = (micros or 0) / 1_000_000
    return f"{formats.number_format(amount, 2, use_l10n=True, force_grouping=True)} {currency}"


def node_mapping_message(result: NodeMappingResult, *, kept_manual: int | None = None) -> str:
    """Say what re-applying the rules did; `kept_manual` counts hand-set campaigns skipped."""
    message = gettext(
        "Mapping rules re-applied. Campaigns examined: %(examined)d; changed: %(changed)d; "
        "without a node: %(unmapped)d."
    ) % {"examined": result.examined, "changed": result.changed, "unmapped": result.unmapped}
    if kept_manual is None:
        return f"{message} {gettext('Campaigns whose node was set by hand were kept.')}"
    if kept_manual:
        skipped = ngettext(
            "Skipped %(count)d selected campaign whose node was set by hand.",
            "Skipped %(count)d selected campaigns whose node was set by hand.",
            kept_manual,
        ) % {"count": kept_manual}
        return f"{message} {skipped}"
    return message


@admin.register(Platform)
class PlatformAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("name", "slug", "accounts_link")
    fields = ("name", "slug", "accounts_link")
    readonly_fields = ("accounts_link",)

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(account_count=count_related(Platform, "accounts"))
        )

    @admin.display(description=_("ad accounts"), ordering="account_count")
    def accounts_link(self, platform: Platform) -> str:
        return changelist_link(AdAccount, platform.account_count, platform__id__exact=platform.pk)


@admin.register(Node)
class NodeAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "active", "campaigns_link", "accounts_link")
    list_filter = ("active",)
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}
    fields = ("name", "slug", "description", "active", "campaigns_link", "accounts_link")
    readonly_fields = ("campaigns_link", "accounts_link")

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                campaign_count=count_related(Node, "campaigns"),
                account_count=count_related(Node, "default_accounts"),
            )
        )

    @admin.display(description=_("campaigns"), ordering="campaign_count")
    def campaigns_link(self, node: Node) -> str:
        if node.pk is None:
            return "—"
        return changelist_link(Campaign, node.campaign_count, node__id__exact=node.pk)

    @admin.display(description=_("accounts with this default"), ordering="account_count")
    def accounts_link(self, node: Node) -> str:
        if node.pk is None:
            return "—"
        return changelist_link(AdAccount, node.account_count, default_node__id__exact=node.pk)


@admin.register(AdAccount)
class AdAccountAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "platform",
        "external_id",
        "currency",
        "default_node",
        "active",
        "campaigns_link",
    )
    list_filter = ("platform", "active", "currency", "default_node")
    list_select_related = ("platform", "default_node")
    search_fields = ("name", "=external_id")
    fields = (
        "platform",
        "external_id",
        "name",
        "currency",
        "time_zone",
        "default_node",
        "active",
        "campaigns_link",
        "created_at",
        "updated_at",
    )
    readonly_fields = ("campaigns_link", "created_at", "updated_at")

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(campaign_count=count_related(AdAccount, "campaigns"))
        )

    def get_readonly_fields(self, request, obj=None):
        # Ingestion finds an account by platform and id: changing them would orphan its history.
        if obj is not None:
            return ("platform", "external_id", *self.readonly_fields)
        return self.readonly_fields

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change and "default_node" in form.changed_data:
            self.message_user(
                request,
                gettext(
                    "Campaigns keep their node until you re-apply the mapping rules "
                    "(Node mapping rules → Re-apply mapping rules to all campaigns)."
                ),
                messages.INFO,
            )

    @admin.display(description=_("campaigns"), ordering="campaign_count")
    def campaigns_link(self, account: AdAccount) -> str:
        if account.pk is None:
            return "—"
        return changelist_link(Campaign, account.campaign_count, account__id__exact=account.pk)


@admin.register(NodeMappingRule)
class NodeMappingRuleAdmin(admin.ModelAdmin):
    list_display = (
        "priority",
        "account",
        "campaign_name_pattern",
        "pattern_kind",
        "node",
        "active",
        "notes",
    )
    list_display_links = ("priority", "campaign_name_pattern")
    list_filter = ("active", "node", "pattern_kind", "account__platform")
    list_select_related = ("account__platform", "node")
    search_fields = ("campaign_name_pattern", "notes", "account__name", "=account__external_id")
    autocomplete_fields = ("account",)
    fields = (
        "priority",
        "account",
        "campaign_name_pattern",
        "pattern_kind",
        "node",
        "active",
        "notes",
        "created_at",
        "updated_at",
    )
    readonly_fields = ("created_at", "updated_at")

    def get_urls(self):
        reapply = path(
            "reapply/",
            self.admin_site.admin_view(self.reapply_view),
            name="campaigns_nodemappingrule_reapply",
        )
        return [reapply, *super().get_urls()]

    def _can_reapply(self, request: HttpRequest) -> bool:
        return self.has_change_permission(request) and request.user.has_perm(
            "campaigns.change_campaign"
        )

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "can_reapply": self._can_reapply(request)}
        return super().changelist_view(request, extra_context=extra_context)

    def reapply_view(self, request: HttpRequest) -> HttpResponse:
        """Re-apply every active rule to every campaign not set by hand, then report counts."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self._can_reapply(request):
            raise PermissionDenied
        result = node_mapping_apply()
        self.message_user(request, node_mapping_message(result), messages.SUCCESS)
        return redirect("admin:campaigns_nodemappingrule_changelist")

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        self.message_user(
            request,
            gettext(
                "Campaigns keep their node until you re-apply the mapping rules with the "
                "button on the list of rules."
            ),
            messages.INFO,
        )


class PlatformObjectiveFilter(admin.SimpleListFilter):
    """Each raw objective the platforms sent, with what it maps to, so unknown ones stand out."""

    title = _("platform objective (raw)")
    parameter_name = "objective_raw"
    EMPTY = "__empty__"
    MAX_CHOICES = 300

    def lookups(self, request, model_admin):
        pairs = (
            Campaign.objects.order_by("objective_raw", "objective")
            .values_list("objective_raw", "objective")
            .distinct()[: self.MAX_CHOICES]
        )
        mapped: dict[str, list[str]] = defaultdict(list)
        for raw, objective in pairs:
            mapped[raw].append(str(Objective(objective).label))
        return [
            (raw or self.EMPTY, f"{raw or gettext('(empty)')} → {', '.join(labels)}")
            for raw, labels in mapped.items()
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if value is None:
            return queryset
        return queryset.filter(objective_raw="" if value == self.EMPTY else value)


class AccountFilter(admin.RelatedFieldListFilter):
    """The account filter, reading each account's platform (its name shows it) in one query."""

    def field_choices(self, field, request, model_admin):
        accounts = AdAccount.objects.select_related("platform").order_by("platform__name", "name")
        return [(account.pk, str(account)) for account in accounts]


class NeedsMappingFilter(admin.SimpleListFilter):
    title = _("needs mapping")
    parameter_name = "needs_mapping"

    def lookups(self, request, model_admin):
        return [
            ("objective", _("Objective mapped to Other")),
            ("node", _("No node")),
        ]

    def queryset(self, request, queryset):
        if self.value() == "objective":
            return queryset.filter(objective=Objective.OTHER)
        if self.value() == "node":
            return queryset.filter(node__isnull=True)
        return queryset


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "account",
        "platform",
        "node",
        "node_source",
        "objective",
        "objective_raw",
        "status",
        "start_date",
        "end_date",
        "ads_link",
    )
    list_filter = (
        NeedsMappingFilter,
        ("account__platform", admin.RelatedFieldListFilter),
        "node",
        "node_source",
        "objective",
        PlatformObjectiveFilter,
        ("account", AccountFilter),
        "status",
    )
    list_select_related = ("account__platform", "node")
    date_hierarchy = "start_date"
    search_fields = (
        "name",
        "=external_id",
        "objective_raw",
        "account__name",
        "=account__external_id",
    )
    fields = (
        "name",
        "external_id",
        "account",
        "status",
        "start_date",
        "end_date",
        "objective_raw",
        "objective",
        "node",
        "node_source",
        "ads_link",
        "created_at",
        "updated_at",
    )
    # Leads may re-assign node and objective; the rest came from the platform.
    readonly_fields = (
        "name",
        "external_id",
        "account",
        "status",
        "start_date",
        "end_date",
        "objective_raw",
        "node_source",
        "ads_link",
        "created_at",
        "updated_at",
    )
    actions = ("reapply_mapping_rules", "return_to_mapping_rules")

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(ad_count=count_related(Campaign, "ads"))

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def save_model(self, request, obj, form, change):
        if change and "node" in form.changed_data:
            # A node chosen by hand wins over the rules from now on.
            obj.node_source = Campaign.NodeSource.MANUAL
        super().save_model(request, obj, form, change)
        if change and {"node", "objective"} & set(form.changed_data):
            # Ranking reads results by node and objective: move this campaign's results too.
            image_rollup_refresh(image_ids=image_ids_for_campaigns([obj.pk]))

    @admin.display(description=_("platform"), ordering="account__platform__name")
    def platform(self, campaign: Campaign) -> str:
        return campaign.account.platform.name

    @admin.display(description=_("ads"), ordering="ad_count")
    def ads_link(self, campaign: Campaign) -> str:
        if campaign.pk is None:
            return "—"
        return changelist_link(Ad, campaign.ad_count, campaign__id__exact=campaign.pk)

    @staticmethod
    def _plain(queryset):
        # The list's queryset carries annotations; updates want the bare rows it selects.
        return Campaign.objects.filter(pk__in=queryset.order_by().values("pk"))

    @admin.action(
        description=_("Re-apply mapping rules to selected campaigns"),
        permissions=["change"],
    )
    def reapply_mapping_rules(self, request, queryset):
        campaigns = self._plain(queryset)
        kept_manual = campaigns.filter(node_source=Campaign.NodeSource.MANUAL).count()
        result = node_mapping_apply(campaigns=campaigns)
        self.message_user(
            request, node_mapping_message(result, kept_manual=kept_manual), messages.SUCCESS
        )

    @admin.action(
        description=_("Let mapping rules decide the node again (undo a node set by hand)"),
        permissions=["change"],
    )
    def return_to_mapping_rules(self, request, queryset):
        campaigns = self._plain(queryset)
        campaigns.filter(node_source=Campaign.NodeSource.MANUAL).update(
            node_source=Campaign.NodeSource.UNMAPPED
        )
        result = node_mapping_apply(campaigns=campaigns)
        self.message_user(request, node_mapping_message(result, kept_manual=0), messages.SUCCESS)


@admin.register(Ad)
class AdAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "thumbnail",
        "label",
        "campaign_link",
        "node",
        "objective",
        "status",
        "start_date",
        "end_date",
    )
    list_display_links = ("thumbnail", "label")
    list_filter = (
        ("campaign__account__platform", admin.RelatedFieldListFilter),
        ("campaign__node", admin.RelatedFieldListFilter),
        "campaign__objective",
        "status",
    )
    list_select_related = ("campaign__node", "creative")
    date_hierarchy = "start_date"
    search_fields = ("name", "=external_id", "campaign__name", "=campaign__external_id")
    show_full_result_count = False
    paginator = CappedCountPaginator
    raw_id_fields = ("campaign", "creative")
    fields = (
        "name",
        "external_id",
        "status",
        "campaign",
        "creative",
        "images",
        "start_date",
        "end_date",
        "results",
        "created_at",
        "updated_at",
    )
    readonly_fields = ("images", "results")

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .prefetch_related(ordered_slots_prefetch("creative__image_slots"))
        )

    @admin.display(description=_("image"))
    def thumbnail(self, ad: Ad) -> str:
        return image_thumbnail(first_image(ad.creative))

    @admin.display(description=_("ad"), ordering="name")
    def label(self, ad: Ad) -> str:
        return str(ad)

    @admin.display(description=_("campaign"), ordering="campaign__name")
    def campaign_link(self, ad: Ad) -> str:
        return change_link(ad.campaign)

    @admin.display(description=_("node"), ordering="campaign__node__name")
    def node(self, ad: Ad) -> str:
        return str(ad.campaign.node or "—")

    @admin.display(description=_("objective"), ordering="campaign__objective")
    def objective(self, ad: Ad) -> str:
        return ad.campaign.get_objective_display()

    @admin.display(description=_("images"))
    def images(self, ad: Ad) -> str:
        if ad.creative is None:
            return "—"
        slots = ad.creative.image_slots.select_related("image").order_by("position")
        thumbnails = [(change_link(slot.image, image_thumbnail(slot.image)),) for slot in slots]
        return format_html_join(" ", "{}", thumbnails) if thumbnails else "—"

    @admin.display(description=_("results"))
    def results(self, ad: Ad) -> str:
        totals = ad.daily_metrics.aggregate(
            days=Count("pk"),
            impressions=Sum("impressions"),
            clicks=Sum("clicks"),
            spend_micros=Sum("spend_micros"),
            conversions=Sum("conversions"),
            leads=Sum("leads"),
        )
        summary = gettext(
            "%(days)s days: %(impressions)s impressions, %(clicks)s clicks, %(spend)s spent, "
            "%(conversions)s conversions, %(leads)s leads"
        ) % {
            "days": totals["days"],
            "impressions": formats.number_format(totals["impressions"] or 0, force_grouping=True),
            "clicks": formats.number_format(totals["clicks"] or 0, force_grouping=True),
            "spend": money(totals["spend_micros"], ad.campaign.account.currency),
            "conversions": formats.number_format(totals["conversions"] or 0, 2),
            "leads": formats.number_format(totals["leads"] or 0, force_grouping=True),
        }
        return changelist_link(DailyMetric, summary, ad__id__exact=ad.pk)


class MonthFilter(admin.SimpleListFilter):
    """Pick a month of results: the list then reads one index range of the date column.

    Used instead of date_hierarchy on daily metrics: besides MIN/MAX, date_hierarchy runs a
    SELECT DISTINCT over the truncated dates of every matching row, a full scan of millions.
    The months on offer come from one MIN/MAX query, which an index on the date answers at once.
    """

    title = _("month")
    parameter_name = "month"
    MAX_MONTHS = 36

    def lookups(self, request, model_admin):
        span = DailyMetric.objects.aggregate(first=Min("date"), last=Max("date"))
        if span["first"] is None:
            return []
        months = []
        year, month = span["last"].year, span["last"].month
        while (year, month) >= (span["first"].year, span["first"].month):
            if len(months) == self.MAX_MONTHS:
                break
            first_day = dt.date(year, month, 1)
            months.append(
                (first_day.strftime("%Y-%m"), formats.date_format(first_day, "YEAR_MONTH_FORMAT"))
            )
            year, month = (year - 1, 12) if month == 1 else (year, month - 1)
        return months

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        try:
            first_day = dt.datetime.strptime(self.value(), "%Y-%m").date()
        except ValueError:
            return queryset.none()
        next_month = (first_day + dt.timedelta(days=32)).replace(day=1)
        return queryset.filter(date__gte=first_day, date__lt=next_month)


@admin.register(DailyMetric)
class DailyMetricAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "date",
        "ad_link",
        "impressions",
        "clicks",
        "ctr",
        "spend",
        "conversions",
        "leads",
    )
    list_filter = (
        MonthFilter,
        ("date", admin.DateFieldListFilter),
        ("ad__campaign__account__platform", admin.RelatedFieldListFilter),
        ("ad__campaign__node", admin.RelatedFieldListFilter),
        "ad__campaign__objective",
        "ad__campaign__account__currency",
    )
    list_select_related = ("ad__campaign__account",)
    # A contains-search would scan millions of rows; the exact ad id uses an index.
    search_fields = ("=ad__external_id",)
    search_help_text = _("Exact ad id on the platform.")
    show_full_result_count = False
    paginator = CappedCountPaginator
    raw_id_fields = ("ad",)
    fields = (
        "ad",
        "date",
        "impressions",
        "reach",
        "clicks",
        "link_clicks",
        "ctr",
        "spend",
        "conversions",
        "conversion_value",
        "leads",
        "video_views",
        "engagements",
    )
    readonly_fields = ("ctr", "spend", "conversion_value")

    @admin.display(description=_("ad"), ordering="ad__name")
    def ad_link(self, metric: DailyMetric) -> str:
        return change_link(metric.ad)

    @admin.display(description=_("CTR"))
    def ctr(self, metric: DailyMetric) -> str:
        if not metric.impressions:
            return "—"
        rate = 100 * metric.clicks / metric.impressions
        return f"{formats.number_format(rate, 2, use_l10n=True)} %"

    @admin.display(description=_("spend"), ordering="spend_micros")
    def spend(self, metric: DailyMetric) -> str:
        return money(metric.spend_micros, metric.ad.campaign.account.currency)

    @admin.display(description=_("conversion value"), ordering="conversion_value_micros")
    def conversion_value(self, metric: DailyMetric) -> str:
        return money(metric.conversion_value_micros, metric.ad.campaign.account.currency)


@admin.register(ExchangeRate)
class ExchangeRateAdmin(admin.ModelAdmin):
    list_display = ("date", "currency", "reporting_currency", "rate", "source")
    list_filter = ("currency", "reporting_currency")
    date_hierarchy = "date"
    search_fields = ("currency", "source")
    fields = ("currency", "reporting_currency", "date", "rate", "source")

    def get_changeform_initial_data(self, request):
        return {
            "reporting_currency": settings.YENNI_REPORTING_CURRENCY,
            **super().get_changeform_initial_data(request),
        }


class RankingRuleForm(forms.ModelForm):
    platforms = forms.MultipleChoiceField(
        label=_("platforms counted"),
        choices=PlatformSlug.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Leave all unticked to count every platform."),
    )

    class Meta:
        model = RankingRule
        # The settings a version records are exactly the ones a lead edits.
        fields = RULE_FIELDS


class RankingRuleVersionInline(admin.TabularInline):
    model = RankingRuleVersion
    extra = 0
    can_delete = False
    fields = ("version", "changed_at", "changed_by", "changes_summary")
    readonly_fields = fields
    ordering = ("-version",)
    verbose_name_plural = _("history of changes")

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("changed_by")

    @admin.display(description=_("what changed"))
    def changes_summary(self, version: RankingRuleVersion) -> str:
        if not version.changes:
            return gettext("Created")
        return format_html_join(
            mark_safe("<br>"),
            "{}: {} → {}",
            (
                (name, _plain(before), _plain(after))
                for name, (before, after) in version.changes.items()
            ),
        )


def _plain(value) -> str:
    if value in (None, "", []):
        return "—"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


@admin.register(RankingRule)
class RankingRuleAdmin(admin.ModelAdmin):
    form = RankingRuleForm
    list_display = (
        "scope",
        "objective",
        "metric",
        "direction",
        "gates",
        "window_days",
        "top_n",
        "active",
        "version",
        "updated_by",
        "updated_at",
    )
    list_filter = ("objective", "metric", "active", ("node", admin.RelatedOnlyFieldListFilter))
    list_select_related = ("node", "updated_by")
    readonly_fields = ("version", "direction", "updated_by", "updated_at")
    inlines = [RankingRuleVersionInline]
    change_form_template = "admin/campaigns/rankingrule/change_form.html"
    fieldsets = (
        (None, {"fields": ("node", "objective", "active", "rationale")}),
        (
            _("What makes a piece good"),
            {
                "fields": (
                    "metric",
                    "direction",
                    "tie_break_metric",
                    "within_platform",
                    "half_life_days",
                )
            },
        ),
        (
            _("Evidence a piece needs before it can rank"),
            {"fields": ("min_impressions", "min_spend", "min_clicks", "min_conversions")},
        ),
        (_("Scope"), {"fields": ("window_days", "platforms", "top_n")}),
        (_("Version"), {"fields": ("version", "updated_by", "updated_at")}),
    )

    @admin.display(description=_("node"), ordering="node__name")
    def scope(self, rule: RankingRule) -> str:
        return rule.node.name if rule.node_id else gettext("Default for every node")

    @admin.display(description=_("direction"))
    def direction(self, rule: RankingRule) -> str:
        if not rule.metric:
            return "—"
        return gettext("lower is better") if rule.lower_is_better else gettext("higher is better")

    @admin.display(description=_("minimums"))
    def gates(self, rule: RankingRule) -> str:
        parts = []
        if rule.min_impressions:
            parts.append(gettext("%(n)s impressions") % {"n": intcomma(rule.min_impressions)})
        if rule.min_spend:
            parts.append(gettext("%(n)s spend") % {"n": intcomma(int(rule.min_spend))})
        if rule.min_clicks:
            parts.append(gettext("%(n)s clicks") % {"n": intcomma(rule.min_clicks)})
        if rule.min_conversions:
            parts.append(gettext("%(n)s conversions") % {"n": rule.min_conversions})
        return ", ".join(parts) or "—"

    def save_model(self, request, obj, form, change):
        ranking_rule_save(rule=obj, user=request.user)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = extra_context or {}
        rule = self.get_object(request, object_id)
        if rule is not None:
            extra_context["preview"] = _rule_preview(request, rule)
        return super().change_view(request, object_id, form_url, extra_context)


def _rule_preview(request: HttpRequest, rule: RankingRule) -> dict:
    """Rank with the saved rule now, for one node, so a lead sees what the rule picks."""
    nodes = [rule.node] if rule.node_id else list(Node.objects.filter(active=True))
    if not nodes:
        return {"error": gettext("There are no nodes yet.")}
    wanted = request.GET.get("preview_node")
    node = next((n for n in nodes if n.slug == wanted), nodes[0])
    try:
        ranking = brief_ranking(node=node, objective=rule.objective, rule=rule)
    except (NoRuleError, RollupError) as exc:
        return {"error": str(exc), "node": node, "nodes": nodes}
    images = CreativeImage.objects.in_bulk([ref.image_id for ref in ranking.references])
    spanish = translation.get_language() == "es"
    rows = [
        {
            "reference": ref,
            "image": images.get(ref.image_id),
            "reason": ref.reason_es if spanish else ref.reason_en,
        }
        for ref in ranking.references
    ]
    return {
        "node": node,
        "nodes": nodes if not rule.node_id else [],
        "ranking": ranking,
        "rows": rows,
        "message": ranking.message_es if spanish else ranking.message_en,
    }
