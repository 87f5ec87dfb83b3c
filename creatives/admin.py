"""Admin for the asset library: read-only, since creatives and images come from ingestion.

The small display helpers at the top (thumbnails, links, counts) are shared with
campaigns/admin/, which may import from creatives but not the other way round.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.contrib import admin
from django.db import models
from django.db.models import Count, Exists, OuterRef, Prefetch, Subquery
from django.db.models.functions import Coalesce
from django.forms.models import BaseInlineFormSet
from django.template.defaultfilters import filesizeformat, truncatechars
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from creatives.labels import call_to_action_label, describer_label
from creatives.models import Creative, CreativeImage, CreativeImageSlot, ImageDescription
from creatives.vocabulary import orientation_q

THUMBNAIL_PX = 64
PREVIEW_PX = 480
# Inlines cannot paginate: an image reused in hundreds of creatives shows the first rows and a
# link to the full, paginated list.
INLINE_MAX_ROWS = 50


def image_thumbnail(image: CreativeImage | None, *, size: int = THUMBNAIL_PX) -> str:
    """Return an <img> for a stored image, served by the signed-in image view.

    Its size comes from a class in static/css/admin_site.css, never a style attribute: the
    admin's Content-Security-Policy refuses inline styles, and the images then showed full size.
    """
    if image is None:
        return "—"
    return format_html(
        '<img src="{}" alt="{}" loading="lazy" class="{}">',
        image.get_file_url(),
        _("Image %(hash)s") % {"hash": image.sha256[:12]},
        "yenni-preview" if size > THUMBNAIL_PX else "yenni-thumb",
    )


def change_link(obj: models.Model | None, text: object = None) -> str:
    """Return a link to an object's admin change page."""
    if obj is None:
        return "—"
    opts = obj._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
    return format_html('<a href="{}">{}</a>', url, obj if text is None else text)


def changelist_link(model: type[models.Model] | str, text: object, **filters: object) -> str:
    """Return a link to a model's admin list, filtered by `filters` (admin lookups).

    `model` may be an "app_label.model_name" string, so this app can link to lists of apps that
    depend on it without importing them.
    """
    label = model if isinstance(model, str) else model._meta.label_lower
    url = reverse(f"admin:{label.replace('.', '_')}_changelist")
    if filters:
        url = f"{url}?{urlencode(filters)}"
    return format_html('<a href="{}">{}</a>', url, text)


def count_related(model: type[models.Model], relation: str, *, distinct: str = "") -> Coalesce:
    """Count the rows behind a reverse relation of `model` (e.g. a campaign's "ads").

    A correlated subquery instead of JOIN + GROUP BY: the database counts only for the rows of
    the page, and the list's own COUNT(*) and its actions see a plain, ungrouped query.
    `distinct` names a field of the related model to count distinct values of.
    """
    rel = model._meta.get_field(relation)
    fk_name = rel.field.name
    counted = (
        rel.related_model._default_manager.filter(**{fk_name: OuterRef("pk")})
        .order_by()
        .values(fk_name)
        .annotate(n=Count(distinct or "pk", distinct=bool(distinct)))
        .values("n")[:1]
    )
    return Coalesce(Subquery(counted, output_field=models.IntegerField()), 0)


def ordered_slots_prefetch(lookup: str = "image_slots") -> Prefetch:
    """Prefetch a creative's image slots in position order, with their images, in one query."""
    return Prefetch(
        lookup,
        queryset=CreativeImageSlot.objects.select_related("image").order_by("position"),
        to_attr="ordered_slots",
    )


def first_image(creative: Creative | None) -> CreativeImage | None:
    """Return the creative's first image from `ordered_slots_prefetch`, or None."""
    if creative is None:
        return None
    slots = getattr(creative, "ordered_slots", None)
    if slots is None:  # not prefetched (a single change page): one query is fine
        slot = creative.image_slots.select_related("image").order_by("position").first()
        return slot.image if slot else None
    return slots[0].image if slots else None


class ReadOnlyAdminMixin:
    """Data that only ingestion writes: everybody may look, nobody adds, edits or deletes.

    A wrong value is fixed at the source (the platform or the import file) and re-ingested,
    so the catalog never disagrees with the platform it came from.
    """

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class CappedInlineFormSet(BaseInlineFormSet):
    """Show at most INLINE_MAX_ROWS related rows; the page links to the full list."""

    def get_queryset(self):
        if not getattr(self, "_capped", False):
            self._queryset = super().get_queryset()[:INLINE_MAX_ROWS]
            self._capped = True
        return self._queryset


class ReadOnlyTabularInline(ReadOnlyAdminMixin, admin.TabularInline):
    extra = 0
    can_delete = False
    formset = CappedInlineFormSet


class SlotOfCreativeInline(ReadOnlyTabularInline):
    model = CreativeImageSlot
    verbose_name = _("image")
    verbose_name_plural = _("images")
    fields = ("position", "thumbnail", "image", "size", "format")
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("image")

    @admin.display(description=_("preview"))
    def thumbnail(self, slot: CreativeImageSlot) -> str:
        return image_thumbnail(slot.image)

    @admin.display(description=_("size"))
    def size(self, slot: CreativeImageSlot) -> str:
        return f"{slot.image.width}×{slot.image.height}"

    @admin.display(description=_("format"))
    def format(self, slot: CreativeImageSlot) -> str:
        return slot.image.get_format_display()


class SlotOfImageInline(ReadOnlyTabularInline):
    model = CreativeImageSlot
    verbose_name = _("creative using this image")
    verbose_name_plural = _("creatives using this image (first 50)")
    fields = ("creative", "platform", "position")
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("creative").order_by("-creative_id")

    @admin.display(description=_("platform"))
    def platform(self, slot: CreativeImageSlot) -> str:
        return slot.creative.get_platform_display()


def labelled_values_filter(
    field: str, title, label: Callable[[str], str]
) -> type[admin.SimpleListFilter]:
    """A list filter on a column of codes (a status, a call to action, a describer) that names
    each code present in words, as the list's column does, instead of Django's raw values."""

    class LabelledValuesFilter(admin.SimpleListFilter):
        parameter_name = field

        def lookups(self, request, model_admin):
            # As Django's own filter on a column: the distinct values of the whole table.
            codes = (
                model_admin.model._default_manager.order_by()
                .values_list(field, flat=True)
                .distinct()
            )
            return sorted(((code, label(code)) for code in codes if code), key=lambda p: p[1])

        def queryset(self, request, queryset):
            if self.value():
                return queryset.filter(**{field: self.value()})
            return queryset

    LabelledValuesFilter.title = title
    return LabelledValuesFilter


class DescriptionInline(ReadOnlyTabularInline):
    model = ImageDescription
    fields = ("described_by", "model_id", "text", "text_es", "created_at")
    readonly_fields = fields

    @admin.display(description=_("described by"))
    def described_by(self, description: ImageDescription) -> str:
        return description.get_backend_display()


@admin.register(Creative)
class CreativeAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("thumbnail", "title", "platform", "button", "ads_link", "external_id")
    list_display_links = ("thumbnail", "title")
    list_filter = (
        "platform",
        labelled_values_filter("call_to_action", _("call to action"), call_to_action_label),
    )
    search_fields = ("headline", "body", "name", "=external_id", "landing_url")
    fields = (
        "platform",
        "external_id",
        "name",
        "headline",
        "body",
        "button",
        "landing_url",
        "ads_link",
        "created_at",
        "updated_at",
    )
    readonly_fields = ("ads_link", "button")
    inlines = (SlotOfCreativeInline,)

    # The image list links here filtered by one image (`CreativeImageAdmin.creatives_link`).
    # Since Django 5.2.20 a lookup across a many-to-many relation needs a list filter naming
    # it; this one lookup, by the image's id, is allowed without adding a filter to the
    # sidebar. Any other lookup through the images stays refused (400).
    IMAGE_LOOKUP = "images__id__exact"

    def lookup_allowed(self, lookup, value, request=None):
        return lookup == self.IMAGE_LOOKUP or super().lookup_allowed(lookup, value, request)

    def get_queryset(self, request):
        # Ads live in campaigns, which depends on this app: reach them through the "ads"
        # relation and an admin URL name, never an import.
        return (
            super()
            .get_queryset(request)
            .annotate(ad_count=count_related(Creative, "ads"))
            .prefetch_related(ordered_slots_prefetch())
        )

    @admin.display(description=_("image"))
    def thumbnail(self, creative: Creative) -> str:
        return image_thumbnail(first_image(creative))

    @admin.display(description=_("creative"), ordering="headline")
    def title(self, creative: Creative) -> str:
        return truncatechars(str(creative), 80)

    @admin.display(description=_("call to action"), ordering="call_to_action")
    def button(self, creative: Creative) -> str:
        return creative.get_call_to_action_display() or "—"

    @admin.display(description=_("ads"), ordering="ad_count")
    def ads_link(self, creative: Creative) -> str:
        return changelist_link("campaigns.ad", creative.ad_count, creative__id__exact=creative.pk)


class OrientationFilter(admin.SimpleListFilter):
    """The same rule as CreativeImage.orientation (creatives.vocabulary), in the database."""

    title = _("orientation")
    parameter_name = "orientation"

    def lookups(self, request, model_admin):
        return [
            ("landscape", _("Landscape")),
            ("portrait", _("Portrait")),
            ("square", _("Square")),
        ]

    def queryset(self, request, queryset):
        return queryset.filter(orientation_q(self.value() or ""))


class DescribedFilter(admin.SimpleListFilter):
    title = _("described")
    parameter_name = "described"

    def lookups(self, request, model_admin):
        return [("yes", _("Yes")), ("no", _("No"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(described=True)
        if self.value() == "no":
            return queryset.filter(described=False)
        return queryset


@admin.register(CreativeImage)
class CreativeImageAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    # Not "thumbnail": that name is the image's stored WebP (ImageThumbnail), which the admin
    # would read row by row.
    list_display = (
        "picture",
        "short_hash",
        "size",
        "format",
        "orientation",
        "first_seen",
        "last_seen",
        "creatives_link",
        "described",
    )
    list_display_links = ("picture", "short_hash")
    list_filter = ("format", OrientationFilter, DescribedFilter)
    date_hierarchy = "first_seen"
    search_fields = ("=sha256", "=phash", "source_url")
    search_help_text = _("Full SHA-256 or perceptual hash, or part of the source URL.")
    fields = (
        "preview",
        "sha256",
        "phash",
        "size",
        "format",
        "orientation",
        "file_size",
        "source_url",
        "first_seen",
        "last_seen",
        "creatives_link",
        "created_at",
    )
    readonly_fields = ("preview", "size", "orientation", "file_size", "creatives_link")
    inlines = (SlotOfImageInline, DescriptionInline)

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                creative_count=count_related(CreativeImage, "slots", distinct="creative"),
                described=Exists(ImageDescription.objects.filter(image=OuterRef("pk"))),
            )
        )

    @admin.display(description=_("image"))
    def picture(self, image: CreativeImage) -> str:
        return image_thumbnail(image)

    @admin.display(description=_("preview"))
    def preview(self, image: CreativeImage) -> str:
        return format_html(
            '<a href="{}" target="_blank" rel="noopener">{}</a>',
            image.get_file_url(),
            image_thumbnail(image, size=PREVIEW_PX),
        )

    @admin.display(description=_("SHA-256"), ordering="sha256")
    def short_hash(self, image: CreativeImage) -> str:
        return image.sha256[:12]

    @admin.display(description=_("size"), ordering="width")
    def size(self, image: CreativeImage) -> str:
        return f"{image.width}×{image.height}"

    @admin.display(description=_("orientation"))
    def orientation(self, image: CreativeImage) -> str:
        return {
            "landscape": _("Landscape"),
            "portrait": _("Portrait"),
            "square": _("Square"),
        }[image.orientation]

    @admin.display(description=_("file size"), ordering="byte_size")
    def file_size(self, image: CreativeImage) -> str:
        return filesizeformat(image.byte_size)

    @admin.display(description=_("creatives"), ordering="creative_count")
    def creatives_link(self, image: CreativeImage) -> str:
        return changelist_link(
            Creative, image.creative_count, **{CreativeAdmin.IMAGE_LOOKUP: image.pk}
        )

    @admin.display(description=_("described"), boolean=True, ordering="described")
    def described(self, image: CreativeImage) -> bool:
        return image.described


@admin.register(ImageDescription)
class ImageDescriptionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("thumbnail", "summary", "described_by", "model_id", "created_at")
    list_display_links = ("thumbnail", "summary")
    list_filter = (
        labelled_values_filter("backend", _("described by"), describer_label),
        "model_id",
    )
    list_select_related = ("image",)
    date_hierarchy = "created_at"
    search_fields = ("text", "=image__sha256")
    fields = (
        "image_preview",
        "image",
        "described_by",
        "model_id",
        "text",
        "text_es",
        "attributes",
        "created_at",
    )
    readonly_fields = ("image_preview", "described_by")

    @admin.display(description=_("image"))
    def thumbnail(self, description: ImageDescription) -> str:
        return image_thumbnail(description.image)

    @admin.display(description=_("described by"), ordering="backend")
    def described_by(self, description: ImageDescription) -> str:
        return description.get_backend_display()

    @admin.display(description=_("preview"))
    def image_preview(self, description: ImageDescription) -> str:
        return image_thumbnail(description.image, size=PREVIEW_PX)

    @admin.display(description=_("description"), ordering="text")
    def summary(self, description: ImageDescription) -> str:
        return truncatechars(description.text, 120)
