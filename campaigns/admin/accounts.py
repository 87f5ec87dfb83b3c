"""Admin for where the ads ran and in what money: platforms, ad accounts, exchange rates.

A lead adds and edits accounts (their default node, currency, time zone, whether they sync,
which conversion types count as conversions and leads) and the exchange rates that turn every
currency into the reporting one. Platforms come from a migration and are read-only.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import admin, messages
from django.utils import formats
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from campaigns import figures
from campaigns.admin.conversion_choice import AdAccountForm
from campaigns.conversion_recount import conversion_recount_queue
from campaigns.conversions import ConversionChoice, ConversionChoiceError
from campaigns.models import AdAccount, Campaign, ConversionRecount, ExchangeRate, Platform
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


def _choice_of(account: AdAccount) -> ConversionChoice | None:
    try:
        return account.conversion_choice()
    except ConversionChoiceError:
        return None


@admin.register(AdAccount)
class AdAccountAdmin(admin.ModelAdmin):
    form = AdAccountForm
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
    readonly_fields = ("campaigns_link", "created_at", "updated_at", "last_recount")
    actions = ["recount_conversions"]

    def get_fieldsets(self, request, obj=None):
        account = (
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
        if obj is None:
            # What an account's history holds is known once it exists: choose types then.
            return [(None, {"fields": account[:7]})]
        return [
            (None, {"fields": account}),
            (
                _("Conversions and leads"),
                {
                    "fields": (
                        "conversions_source",
                        "conversion_types",
                        "leads_source",
                        "lead_types",
                        "last_recount",
                    ),
                    "description": _(
                        "What this account counts as conversions and as leads, from the types "
                        "its platform reports (with their totals in the stored history). A "
                        "change recounts every day already stored, without asking the "
                        "platform again, and then the rankings."
                    ),
                },
            ),
        ]

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
        before = AdAccount.objects.select_related("platform").get(pk=obj.pk) if change else None
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
        if before is not None and _choice_of(before) != _choice_of(obj):
            conversion_recount_queue(account=obj, user=request.user)
            self.message_user(
                request,
                gettext(
                    "The conversions and leads of “%(account)s” are being recounted from the "
                    "figures by type already stored; no platform is asked again. The rankings "
                    "follow when it ends: see “Last recount” on the account."
                )
                % {"account": obj.name},
                messages.INFO,
            )

    @admin.action(description=_("Recount conversions and leads"), permissions=["change"])
    def recount_conversions(self, request, queryset) -> None:
        accounts = list(queryset)
        for account in accounts:
            conversion_recount_queue(account=account, user=request.user)
        self.message_user(
            request,
            ngettext(
                "%(count)d account is being recounted from the figures by type already "
                "stored; no platform is asked again.",
                "%(count)d accounts are being recounted from the figures by type already "
                "stored; no platform is asked again.",
                len(accounts),
            )
            % {"count": len(accounts)},
            messages.INFO,
        )

    @admin.display(description=_("campaigns"), ordering="campaign_count")
    def campaigns_link(self, account: AdAccount) -> str:
        if account.pk is None:
            return "—"
        return changelist_link(Campaign, account.campaign_count, account__id__exact=account.pk)

    @admin.display(description=_("last recount"))
    def last_recount(self, account: AdAccount) -> str:
        recount = account.conversion_recounts.order_by("-created_at", "-id").first()
        if recount is None:
            return gettext("None yet: the figures are as ingestion counted them.")
        when = formats.date_format(recount.finished_at or recount.created_at, "DATETIME_FORMAT")
        Status = ConversionRecount.Status
        if recount.status in (Status.QUEUED, Status.RUNNING):
            return gettext("%(status)s since %(when)s.") % {
                "status": recount.get_status_display(),
                "when": when,
            }
        if recount.status == Status.FAILED:
            return gettext(
                "Failed on %(when)s: %(error)s. Nothing changed: the daily figures and the "
                "rankings still count as before. Save the account again or use the action "
                "“Recount conversions and leads” to retry."
            ) % {"when": when, "error": recount.error}
        done = gettext("Done on %(when)s: %(read)s daily rows read, %(changed)s changed.") % {
            "when": when,
            "read": figures.number(recount.rows_read),
            "changed": figures.number(recount.rows_changed),
        }
        parts = [done]
        if recount.rows_without_types:
            parts.append(
                ngettext(
                    "%(rows)s daily row holds no types (a CSV file's, or stored before every "
                    "type was kept) and keeps its figures; replaying the raw archive fills it "
                    "without asking the platform (python manage.py ingest_replay).",
                    "%(rows)s daily rows hold no types (CSV files, or stored before every type "
                    "was kept) and keep their figures; replaying the raw archive fills them "
                    "without asking the platform (python manage.py ingest_replay).",
                    recount.rows_without_types,
                )
                % {"rows": figures.number(recount.rows_without_types)}
            )
        if recount.error:
            parts.append(recount.error)
        return " ".join(parts)


@admin.register(ExchangeRate)
class ExchangeRateAdmin(admin.ModelAdmin):
    list_display = ("date", "currency", "reporting_currency", "rate_shown", "source")
    list_filter = ("currency", "reporting_currency")
    date_hierarchy = "date"
    search_fields = ("currency", "source")
    fields = ("currency", "reporting_currency", "date", "rate", "source")

    @admin.display(description=_("rate"), ordering="rate")
    def rate_shown(self, obj) -> str:
        # The column stores eight decimals; the admin would print them all ("4072,03000000").
        return figures.rate(obj.rate)

    def get_changeform_initial_data(self, request):
        return {
            "reporting_currency": settings.YENNI_REPORTING_CURRENCY,
            **super().get_changeform_initial_data(request),
        }
