"""Admin for where the ads ran and in what money: platforms, ad accounts, exchange rates.

A lead adds and edits accounts (their default node, currency, time zone, whether they sync)
and the exchange rates that turn every currency into the reporting one. Platforms come from a
migration and are read-only.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import admin, messages
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from campaigns.models import AdAccount, Campaign, ExchangeRate, Platform
from creatives.admin import ReadOnlyAdminMixin, changelist_link, count_related


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
