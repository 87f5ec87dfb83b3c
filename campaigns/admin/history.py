"""Admin for the ad history itself, read-only: ads and their daily metrics.

These rows came from a platform: they are fixed at the source and re-ingested, never edited
here. The lists are built for tables of millions of rows: counts stop at a cap, the metrics
list filters by month instead of a date hierarchy, and search is by exact id.
"""

from __future__ import annotations

import datetime as dt
from functools import partial

from django.contrib import admin
from django.core.paginator import Paginator
from django.db.models import Count, Max, Min, Sum
from django.utils import formats
from django.utils.functional import cached_property
from django.utils.html import format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from campaigns import figures
from campaigns.models import Ad, DailyMetric
from campaigns.ranking.metrics import MICROS
from campaigns.statuses import status_label
from creatives.admin import (
    ReadOnlyAdminMixin,
    change_link,
    changelist_link,
    first_image,
    image_thumbnail,
    labelled_values_filter,
    ordered_slots_prefetch,
)


class CappedCountPaginator(Paginator):
    """Count at most CAP rows, so a filtered list over millions of rows stays fast.

    Django's list counts every row that matches the filters; on the metrics table that is a
    scan of millions. Past the cap the list says "more than" and pages stop at the cap: a lead
    narrows the filters instead of paging that far. An exact count up to the cap, rather than
    PostgreSQL's estimate of the table's size: the estimate ignores the filters and would differ
    on every ANALYZE, while "más de 10.000" is true and reads the same above and below the list
    (templates admin/campaigns/search_form.html and pagination.html share result_count.html).
    """

    CAP = 10_000
    capped = False

    @cached_property
    def count(self) -> int:
        found = self.object_list.order_by()[: self.CAP + 1].count()
        self.capped = found > self.CAP
        return min(found, self.CAP)

    @property
    def count_text(self) -> str:
        """The count as the site prints figures ("10.000"), for the lines above and below."""
        return figures.number(self.count)


def money(micros: int | None, currency: str) -> str:
    """Format an amount in micros as "1.234,56 COP" in the user's language.

    The code follows the amount, as these lists have always shown each row in its own account's
    currency; campaigns.figures.money, for the reporting currency, puts it first.
    """
    return f"{figures.number((micros or 0) / MICROS, 2)} {currency}"


@admin.register(Ad)
class AdAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "thumbnail",
        "label",
        "campaign_link",
        "node",
        "objective",
        "status_words",
        "start_date",
    )
    list_display_links = ("thumbnail", "label")
    list_filter = (
        ("campaign__account__platform", admin.RelatedFieldListFilter),
        ("campaign__node", admin.RelatedFieldListFilter),
        "campaign__objective",
        labelled_values_filter("status", _("status"), partial(status_label, of="ad")),
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
        "status_words",
        "campaign",
        "creative",
        "images",
        "start_date",
        "end_date",
        "results",
        "created_at",
        "updated_at",
    )
    readonly_fields = ("images", "results", "status_words")

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .prefetch_related(ordered_slots_prefetch("creative__image_slots"))
        )

    @admin.display(description=_("status"), ordering="status")
    def status_words(self, ad: Ad) -> str:
        return status_label(ad.status, of="ad")

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
        results = [
            figures.count_of_impressions(totals["impressions"] or 0),
            figures.count_of_clicks(totals["clicks"] or 0),
            gettext("%(spend)s spent")
            % {"spend": money(totals["spend_micros"], ad.campaign.account.currency)},
            figures.count_of_conversions(totals["conversions"] or 0),
            figures.count_of_leads(totals["leads"] or 0),
        ]
        # Each count with its noun in the singular or plural ("1 día", "1 conversión").
        summary = gettext("%(days)s: %(results)s") % {
            "days": figures.count_of_days(totals["days"]),
            "results": ", ".join(results),
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
        return figures.percent(metric.clicks / metric.impressions, 2)

    @admin.display(description=_("spend"), ordering="spend_micros")
    def spend(self, metric: DailyMetric) -> str:
        return money(metric.spend_micros, metric.ad.campaign.account.currency)

    @admin.display(description=_("conversion value"), ordering="conversion_value_micros")
    def conversion_value(self, metric: DailyMetric) -> str:
        return money(metric.conversion_value_micros, metric.ad.campaign.account.currency)
