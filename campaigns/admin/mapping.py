"""Admin for how the history is grouped: nodes, node mapping rules, and each campaign's node.

A lead edits nodes and the rules that send campaigns to them, re-applies the rules (to every
campaign from the list of rules, or to selected campaigns), and may set a campaign's node or
objective by hand. The campaign list's filters point at what still needs mapping.
"""

from __future__ import annotations

from collections import defaultdict
from functools import partial

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect
from django.urls import path
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from campaigns.models import Ad, AdAccount, Campaign, Node, NodeMappingRule, Objective
from campaigns.rollups import image_ids_for_campaigns, image_rollup_refresh
from campaigns.services import NodeMappingResult, node_mapping_apply
from campaigns.statuses import status_label
from creatives.admin import changelist_link, count_related, labelled_values_filter


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


@admin.register(NodeMappingRule)
class NodeMappingRuleAdmin(admin.ModelAdmin):
    # What a rule does reads left to right on a 1366-px laptop: order, pattern, node; the
    # notes stay on the rule's page.
    list_display = (
        "priority",
        "campaign_name_pattern",
        "node",
        "account",
        "pattern_kind",
        "active",
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
    # The columns a lead maps by, fitting a 1366-px laptop: the account, the raw objective and
    # the end date are on the campaign's page, and the filters list each account and raw value.
    list_display = (
        "name",
        "node",
        "node_source",
        "objective",
        "platform",
        "status_words",
        "start_date",
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
        labelled_values_filter("status", _("status"), partial(status_label, of="campaign")),
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
        "status_words",
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
        "status_words",
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

    @admin.display(description=_("status"), ordering="status")
    def status_words(self, campaign: Campaign) -> str:
        return status_label(campaign.status, of="campaign")

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
