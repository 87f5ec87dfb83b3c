"""Admin for ingestion: leads watch runs and failed images, and tune each account's bookmark."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext, gettext_noop, ngettext
from django.utils.translation import gettext_lazy as _

from campaigns.models import AdAccount
from creatives.admin import ReadOnlyAdminMixin
from ingestion.models import ImageFetchFailure, IngestionRun, SyncBookmark
from ingestion.services import CSV_PARSERS, ingestion_csv_import
from ingestion.services.heartbeat import (
    STOPPABLE,
    run_mark_failed,
    run_never_starts,
    site_text,
)

CSV_MAX_BYTES = 50 * 1024 * 1024
# The admin history line of a run a lead marked as failed (stored in the site's language).
STOPPED_LOG = gettext_noop("Marked as failed (it was running).")
STOPPED_QUEUED_LOG = gettext_noop("Marked as failed (it was queued).")


class CsvImportForm(forms.Form):
    account = forms.ModelChoiceField(
        label=_("account"),
        queryset=AdAccount.objects.filter(platform__slug__in=list(CSV_PARSERS)).select_related(
            "platform"
        ),
    )
    file = forms.FileField(label=_("CSV file"))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > CSV_MAX_BYTES:
            raise forms.ValidationError(_("The file is larger than 50 MB; split it by dates."))
        return upload


@admin.register(IngestionRun)
class IngestionRunAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "id",
        "account",
        "platform",
        "kind",
        "status_display",
        "window_start",
        "window_end",
        "fetched_count",
        "created_count",
        "updated_count",
        "api_calls",
        "throttle_waits",
        "waited_seconds",
        "images_failed",
        "started_at",
        "heartbeat_at",
        "duration_display",
    ]
    list_filter = ["status", "kind", "account__platform"]
    list_select_related = ["account__platform"]
    search_fields = ["account__name", "account__external_id", "error"]
    date_hierarchy = "created_at"
    readonly_fields = [
        *list_display,
        "since",
        "images_stored",
        "error",
        "created_at",
        "finished_at",
        "worker",
    ]
    change_list_template = "admin/ingestion/ingestionrun/change_list.html"
    actions = ["mark_failed"]

    def has_stop_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("ingestion.stop_ingestionrun")

    @admin.action(description=_("Mark as failed (stuck runs)"), permissions=["stop"])
    def mark_failed(self, request: HttpRequest, queryset) -> HttpResponse | None:
        """Fail runs whose worker is gone, after a confirmation page; record who did it.

        Runs are otherwise read-only: this is the lead's way out when a run shows "running"
        and nothing moves, or "queued" and nothing will start it. A worker still alive stops
        at its next heartbeat; a queued run's worker, or the job queue, finds it taken.
        """
        running = list(
            queryset.filter(status__in=STOPPABLE).select_related("account__platform").order_by("pk")
        )
        if not running:
            messages.warning(
                request,
                gettext("None of the selected runs is queued or running; nothing was changed."),
            )
            return None
        if request.POST.get("post") != "yes":
            context = {
                **self.admin_site.each_context(request),
                "title": gettext("Mark runs as failed"),
                "opts": self.model._meta,
                "runs": running,
                "action_checkbox_name": ACTION_CHECKBOX_NAME,
            }
            return TemplateResponse(
                request, "admin/ingestion/ingestionrun/mark_failed.html", context
            )
        was = {run.pk: run.status for run in running}
        marked = [
            run for run in running if run_mark_failed(run=run, user=request.user.get_username())
        ]
        for run in marked:
            queued = was[run.pk] == IngestionRun.Status.QUEUED
            self.log_change(request, run, site_text(STOPPED_QUEUED_LOG if queued else STOPPED_LOG))
        messages.success(
            request,
            ngettext(
                "%(count)s run marked as failed.", "%(count)s runs marked as failed.", len(marked)
            )
            % {"count": len(marked)},
        )
        return None

    def get_urls(self):
        view = self.admin_site.admin_view(self.csv_import_view)
        return [
            path("import-csv/", view, name="ingestion_ingestionrun_import_csv"),
            *super().get_urls(),
        ]

    def changelist_view(self, request: HttpRequest, extra_context=None) -> HttpResponse:
        extra_context = {
            **(extra_context or {}),
            "can_import_csv": request.user.has_perm("ingestion.add_ingestionrun"),
        }
        return super().changelist_view(request, extra_context)

    def csv_import_view(self, request: HttpRequest) -> HttpResponse:
        """Import a CSV file a lead downloaded by hand into an account."""
        if not request.user.has_perm("ingestion.add_ingestionrun"):
            raise PermissionDenied
        form = CsvImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            run = ingestion_csv_import(
                account=form.cleaned_data["account"], data=upload.read(), filename=upload.name
            )
            if run.status == IngestionRun.Status.SUCCEEDED:
                messages.success(
                    request,
                    ngettext(
                        "Imported %(rows)s row from %(name)s.",
                        "Imported %(rows)s rows from %(name)s.",
                        run.fetched_count,
                    )
                    % {"rows": run.fetched_count, "name": upload.name},
                )
                return redirect(reverse("admin:ingestion_ingestionrun_change", args=[run.pk]))
            messages.error(request, run.error)
        context = {
            **self.admin_site.each_context(request),
            "form": form,
            "title": gettext("Import a CSV file"),
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/ingestion/csv_import.html", context)

    @admin.display(description=_("status"), ordering="status")
    def status_display(self, run: IngestionRun) -> str:
        """The status, and for a queued run whose `ingest` died, that it will never start."""
        reason = run_never_starts(run)
        if reason is None:
            return run.get_status_display()
        return gettext(
            "Queued — it will never start: the process that queued it ended ({reason}). The "
            "next ingest closes it."
        ).format(reason=reason)

    @admin.display(description=_("platform"), ordering="account__platform__name")
    def platform(self, run: IngestionRun) -> str:
        return run.account.platform.name

    @admin.display(description=_("duration"))
    def duration_display(self, run: IngestionRun) -> str:
        duration = run.duration
        return f"{duration.total_seconds():.1f} s" if duration is not None else "—"


@admin.register(SyncBookmark)
class SyncBookmarkAdmin(admin.ModelAdmin):
    list_display = ["account", "last_synced_date", "lookback_days", "backfill_days", "updated_at"]
    list_select_related = ["account__platform"]
    list_filter = ["account__platform"]
    search_fields = ["account__name", "account__external_id"]
    readonly_fields = ["account", "updated_at"]

    def has_add_permission(self, request, obj=None) -> bool:
        # A bookmark is created by the account's first run.
        return False


@admin.register(ImageFetchFailure)
class ImageFetchFailureAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["creative", "position", "url", "error", "attempts", "last_tried_at"]
    list_select_related = ["creative"]
    search_fields = ["url", "error", "creative__external_id"]
    readonly_fields = [*list_display, "first_failed_at"]
