"""Leads edit brand guidelines and style presets here, and watch briefs and model jobs."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.template.defaultfilters import truncatechars
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from creatives.admin import ReadOnlyAdminMixin, ReadOnlyTabularInline, change_link
from generation.jobs import queue as jobs
from generation.models import (
    BrandGuideline,
    Brief,
    BriefReference,
    GeneratedImage,
    ImageBatch,
    ModelJob,
    PromptVersion,
    StylePreset,
)

GUIDELINE_ENGLISH_FIELDS = {"always_include", "negative_terms", "forbidden_terms"}


@admin.register(BrandGuideline)
class BrandGuidelineAdmin(admin.ModelAdmin):
    list_display = ("__str__", "always_count", "negative_count", "forbidden_count", "updated_at")
    autocomplete_fields = ("node",)
    fieldsets = (
        (None, {"fields": ("node",)}),
        (
            _("Applied to every prompt, whatever the brief says"),
            {"fields": ("always_include", "negative_terms", "forbidden_terms")},
        ),
        (
            # The concept guardrails' name lists (issue 14 item 3): names in any language.
            _("Names never allowed in a prompt"),
            {"fields": ("competitors", "public_figures")},
        ),
        (_("For the language model"), {"fields": ("notes",)}),
    )

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        formfield = super().formfield_for_dbfield(db_field, request, **kwargs)
        # These lists are written in English (the image model's language): marked as such.
        if formfield is not None and db_field.name in GUIDELINE_ENGLISH_FIELDS:
            formfield.widget.attrs["lang"] = "en"
        return formfield

    def has_delete_permission(self, request, obj: BrandGuideline | None = None) -> bool:
        # The global default carries the compliance terms every prompt relies on: edit it,
        # never delete it (a node's own guideline may go).
        if obj is not None and obj.node_id is None:
            return False
        return super().has_delete_permission(request, obj)

    @admin.display(description=_("always included"))
    def always_count(self, guideline: BrandGuideline) -> int:
        return len(guideline.always_include_list)

    @admin.display(description=_("negative terms"))
    def negative_count(self, guideline: BrandGuideline) -> int:
        return len(guideline.negative_terms_list)

    @admin.display(description=_("forbidden"))
    def forbidden_count(self, guideline: BrandGuideline) -> int:
        return len(guideline.forbidden_terms_list)


# The fields' own language, marked so screen readers (and the page-language check) read a
# Spanish name on an English page, or an English prompt phrase on a Spanish one, as such.
PRESET_FIELD_LANGUAGES = {"name_es": "es", "name_en": "en", "positive": "en", "negative": "en"}


@admin.register(StylePreset)
class StylePresetAdmin(admin.ModelAdmin):
    list_display = ("spanish_name", "english_name", "slug", "active", "position")
    list_editable = ("active", "position")
    prepopulated_fields = {"slug": ("name_en",)}
    search_fields = ("name_es", "name_en", "positive")
    ordering = ("position", "slug")

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        formfield = super().formfield_for_dbfield(db_field, request, **kwargs)
        language = PRESET_FIELD_LANGUAGES.get(db_field.name)
        if formfield is not None and language:
            formfield.widget.attrs["lang"] = language
        return formfield

    @admin.display(description=_("name (Spanish)"), ordering="name_es")
    def spanish_name(self, preset: StylePreset) -> str:
        return format_html('<span lang="es">{}</span>', preset.name_es)

    @admin.display(description=_("name (English)"), ordering="name_en")
    def english_name(self, preset: StylePreset) -> str:
        return format_html('<span lang="en">{}</span>', preset.name_en)


class ReferenceInline(ReadOnlyTabularInline):
    model = BriefReference
    fields = ("order", "image", "metric", "estimate", "weight", "pinned", "excluded", "reason_es")
    readonly_fields = fields


class PromptVersionInline(ReadOnlyTabularInline):
    model = PromptVersion
    fields = ("number", "source", "positive", "negative", "model_id", "fallback_reason")
    readonly_fields = fields


class BatchInline(ReadOnlyTabularInline):
    model = ImageBatch
    fields = ("created_at", "job_link", "image_count", "guidance_scale", "seed", "model_id")
    readonly_fields = fields

    @admin.display(description=_("job"))
    def job_link(self, batch: ImageBatch) -> str:
        return change_link(batch.job)


@admin.register(Brief)
class BriefAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("title", "node", "objective", "owner", "ranking_rule_version", "created_at")
    list_filter = ("node", "objective")
    search_fields = ("title", "description", "owner__username")
    date_hierarchy = "created_at"
    list_select_related = ("node", "owner")
    inlines = (ReferenceInline, PromptVersionInline, BatchInline)


class GeneratedImageInline(ReadOnlyTabularInline):
    model = GeneratedImage
    fields = ("preview", "index", "seed", "picked")
    readonly_fields = fields

    @admin.display(description=_("image"))
    def preview(self, image: GeneratedImage) -> str:
        # Through the app's file view (leads see every brief): the storage's own address is
        # /media/…, which no URL serves (or, on S3, a signed URL that outlives the page).
        url = reverse("generated_image_file", args=[image.pk])
        return format_html('<img src="{}" width="96" height="96" alt="">', url)


@admin.register(ImageBatch)
class ImageBatchAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("brief", "created_at", "image_count", "guidance_scale", "seed", "model_id")
    list_select_related = ("brief",)
    inlines = (GeneratedImageInline,)


@admin.register(ModelJob)
class ModelJobAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "id",
        "kind",
        "status",
        "stage",
        "backend",
        "brief",
        "attempts",
        "queued_at",
        "queue_wait_seconds",
        "load_seconds",
        "inference_seconds",
        "short_error",
    )
    list_filter = ("kind", "status", "backend")
    list_select_related = ("brief",)
    date_hierarchy = "queued_at"
    actions = ("run_again",)

    @admin.display(description=_("error"))
    def short_error(self, job: ModelJob) -> str:
        return truncatechars(job.error, 80)

    @admin.action(description=_("Queue the selected failed jobs again"), permissions=["view"])
    def run_again(self, request, queryset: QuerySet[ModelJob]) -> None:
        count = 0
        for job in queryset.filter(
            status__in=[ModelJob.Status.FAILED, ModelJob.Status.UNAVAILABLE]
        ):
            ModelJob.objects.filter(pk=job.pk).update(
                status=ModelJob.Status.QUEUED, attempts=0, error="", how_to_fix="", stage=""
            )
            jobs.job_enqueue(job)
            count += 1
        self.message_user(
            request,
            ngettext("%(count)d job queued again.", "%(count)d jobs queued again.", count)
            % {"count": count},
            messages.SUCCESS,
        )
