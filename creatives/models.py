"""The asset library: creatives, their images (stored once by content), and descriptions."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from creatives.labels import call_to_action_label, describer_label
from creatives.vocabulary import orientation_of


class PlatformSlug(models.TextChoices):
    """The ad platforms Yenni reads; the same slugs as `campaigns.Platform`."""

    META = "meta", "Meta"
    GOOGLE_ADS = "google_ads", "Google Ads"
    LINKEDIN = "linkedin", "LinkedIn"
    X = "x", "X"


class Creative(models.Model):
    """The copy and destination of an ad, as the platform defines it."""

    platform = models.CharField(_("platform"), max_length=20, choices=PlatformSlug.choices)
    external_id = models.CharField(
        _("platform id"),
        max_length=128,
        blank=True,
        help_text=_("The creative's id on the platform; empty for pieces imported from files."),
    )
    name = models.CharField(_("name"), max_length=255, blank=True)
    headline = models.CharField(_("headline"), max_length=500, blank=True)
    body = models.TextField(_("body"), blank=True)
    call_to_action = models.CharField(_("call to action"), max_length=100, blank=True)
    landing_url = models.URLField(_("landing URL"), max_length=2000, blank=True)
    images = models.ManyToManyField(
        "CreativeImage",
        through="CreativeImageSlot",
        related_name="creatives",
        verbose_name=_("images"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("creative")
        verbose_name_plural = _("creatives")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["platform", "external_id"],
                condition=~Q(external_id=""),
                name="creative_unique_platform_external_id",
            ),
        ]

    def __str__(self) -> str:
        return self.headline or self.name or f"{self.get_platform_display()} {self.external_id}"

    def get_call_to_action_display(self) -> str:
        """The call to action as the button reads ("Más información"), not Meta's code."""
        return call_to_action_label(self.call_to_action)


class CreativeImage(models.Model):
    """One image file, stored once by its SHA-256 whatever number of ads use it."""

    class Format(models.TextChoices):
        JPEG = "JPEG", "JPEG"
        PNG = "PNG", "PNG"
        WEBP = "WEBP", "WebP"
        GIF = "GIF", "GIF"

    sha256 = models.CharField(_("SHA-256"), max_length=64, unique=True)
    file = models.FileField(_("file"), max_length=255)
    # 64-bit perceptual hash as 16 hex digits: near-duplicates differ in a few bits.
    phash = models.CharField(_("perceptual hash"), max_length=16, db_index=True)
    width = models.PositiveIntegerField(_("width"))
    height = models.PositiveIntegerField(_("height"))
    format = models.CharField(_("format"), max_length=8, choices=Format.choices)
    byte_size = models.PositiveBigIntegerField(_("size in bytes"))
    source_url = models.URLField(_("source URL"), max_length=2000, blank=True)
    first_seen = models.DateField(_("first seen"), null=True, blank=True)
    last_seen = models.DateField(_("last seen"), null=True, blank=True)
    created_at = models.DateTimeField(_("stored"), auto_now_add=True)
    # The first-stored image this one is a near-copy of (a re-encode, a small crop): ranking
    # counts such a group as one piece. Empty for originals. Recomputed with the rollups.
    near_duplicate_of = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="near_duplicates",
        verbose_name=_("near-duplicate of"),
    )

    class Meta:
        verbose_name = _("creative image")
        verbose_name_plural = _("creative images")
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(width__gt=0) & Q(height__gt=0), name="creative_image_positive_size"
            ),
            models.CheckConstraint(
                condition=Q(sha256__regex=r"^[0-9a-f]{64}$"), name="creative_image_sha256_hex"
            ),
            models.CheckConstraint(
                condition=Q(first_seen__isnull=True)
                | Q(last_seen__isnull=True)
                | Q(first_seen__lte=models.F("last_seen")),
                name="creative_image_seen_order",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.sha256[:12]} ({self.width}×{self.height})"

    @property
    def orientation(self) -> str:
        return orientation_of(self.width, self.height)

    def get_file_url(self) -> str:
        """Return the address that serves this image to signed-in users."""
        return reverse("library_image_file", args=[self.pk])


class CreativeImageSlot(models.Model):
    """Where an image sits inside a creative (a carousel has several)."""

    creative = models.ForeignKey(
        Creative, on_delete=models.CASCADE, related_name="image_slots", verbose_name=_("creative")
    )
    image = models.ForeignKey(
        CreativeImage,
        on_delete=models.PROTECT,
        related_name="slots",
        verbose_name=_("image"),
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("image in a creative")
        verbose_name_plural = _("images in creatives")
        ordering = ["creative", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["creative", "position"], name="creative_image_slot_unique_position"
            ),
        ]
        indexes = [models.Index(fields=["image", "creative"], name="slot_image_creative_idx")]

    def __str__(self) -> str:
        return f"{self.creative_id} #{self.position}: {self.image_id}"


class ImageDescription(models.Model):
    """What a model wrote about an image; one per image, backend and model."""

    image = models.ForeignKey(
        CreativeImage,
        on_delete=models.CASCADE,
        related_name="descriptions",
        verbose_name=_("image"),
    )
    backend = models.CharField(_("backend"), max_length=50)
    model_id = models.CharField(_("model"), max_length=255, blank=True)
    text = models.TextField(_("description"))
    text_es = models.TextField(_("description (Spanish)"), blank=True)
    attributes = models.JSONField(_("attributes"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("image description")
        verbose_name_plural = _("image descriptions")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["image", "backend", "model_id"], name="image_description_unique_model"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_backend_display()}: {self.text[:60]}"

    def get_backend_display(self) -> str:
        """What wrote the description, in words ("Descripción automática básica")."""
        return describer_label(self.backend)


class ImageEmbedding(models.Model):
    """A sentence embedding of an image's description: semantic search and "more like this".

    The vector is float32, little-endian, unit length, `dims` values; `text_hash` is the
    SHA-256 of the exact text embedded, so a changed description is embedded again and an
    unchanged one never is.
    """

    image = models.ForeignKey(
        CreativeImage,
        on_delete=models.CASCADE,
        related_name="embeddings",
        verbose_name=_("image"),
    )
    model_id = models.CharField(_("model"), max_length=255)
    dims = models.PositiveSmallIntegerField(_("dimensions"))
    vector = models.BinaryField(_("vector"))
    text_hash = models.CharField(_("SHA-256 of the text embedded"), max_length=64)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("image embedding")
        verbose_name_plural = _("image embeddings")
        constraints = [
            models.UniqueConstraint(
                fields=["image", "model_id"], name="image_embedding_unique_model"
            ),
            models.CheckConstraint(condition=Q(dims__gt=0), name="image_embedding_dims_positive"),
        ]
        indexes = [models.Index(fields=["model_id", "text_hash"], name="embedding_text_hash_idx")]

    def __str__(self) -> str:
        return f"{self.image_id} {self.model_id} ({self.dims})"


class ImageThumbnail(models.Model):
    """The small WebP the library grid shows, made once per image and kept beside it."""

    image = models.OneToOneField(
        CreativeImage,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="thumbnail",
        verbose_name=_("image"),
    )
    file = models.FileField(_("file"), max_length=255)
    width = models.PositiveIntegerField(_("width"))
    height = models.PositiveIntegerField(_("height"))
    byte_size = models.PositiveIntegerField(_("size in bytes"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("image thumbnail")
        verbose_name_plural = _("image thumbnails")
        constraints = [
            models.CheckConstraint(
                condition=Q(width__gt=0) & Q(height__gt=0), name="image_thumbnail_positive_size"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.image_id}: {self.width}×{self.height}"
