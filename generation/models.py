"""Briefs and everything the models make for them, plus the rules leads edit for the models.

Brand guidelines and style presets are edited by marketing leads in the admin. A brief holds
the analyst's request; its references, prompt versions, image batches and picks hang off it.
ModelJob is the source of truth for every background model run (describe, write, generate).
"""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import PurePosixPath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from campaigns.models import Objective
from campaigns.ranking.metrics import metric_value
from yenni_site.language import page_language

# What a new brief's description must at least say. Not a column rule (briefs made by
# scripts and tests may be shorter): the web form and the API read it from here.
DESCRIPTION_MIN_LENGTH = 10


# The image formats a sketch may be, by Pillow's name, and the extension it is stored with.
SKETCH_EXTENSIONS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}


def sketch_upload_to(instance, filename: str) -> str:
    """Where a sketch is stored: a new random name, never the one the browser sent.

    The service names the file after the format Pillow reads in its bytes (sketch.png); only
    that extension is kept, and only when it is one of a sketch's. A served file's type comes
    from its extension, so an upload called evil.html must never keep it.
    """
    extension = PurePosixPath(filename).suffix.lower()
    if extension.lstrip(".") not in SKETCH_EXTENSIONS.values():
        extension = ""
    return f"sketches/{timezone.now():%Y/%m}/{uuid.uuid4().hex}{extension}"


def _lines(text: str) -> list[str]:
    """One item per line (or per comma on a single line), stripped, without blanks."""
    items = text.splitlines() if "\n" in text.strip() else text.split(",")
    return [item.strip() for item in items if item.strip()]


class BrandGuideline(models.Model):
    """The brand's rules for generated images: one global default and optional per-node rules.

    A node's negative and forbidden terms add to the default's (compliance always applies);
    its always-included elements replace the default's when it has any.
    """

    node = models.OneToOneField(
        "campaigns.Node",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="brand_guideline",
        verbose_name=_("node"),
        help_text=_("Empty: the global default used for every node."),
    )
    always_include = models.TextField(
        _("always include"),
        blank=True,
        help_text=_("One per line, in English: elements every prompt carries."),
    )
    negative_terms = models.TextField(
        _("negative terms"),
        blank=True,
        help_text=_("One per line, in English: always added to the negative prompt."),
    )
    forbidden_terms = models.TextField(
        _("forbidden content"),
        blank=True,
        help_text=_(
            "One per line, in English: never allowed in a prompt (removed if a brief asks for "
            "it) and always added to the negative prompt."
        ),
    )
    # The concept guardrails' name lists (generation.guardrails), edited by leads: a node's
    # names add to the default's. Any spelling, accents, case and plurals are matched.
    competitors = models.TextField(
        _("competitor banks and products"),
        blank=True,
        help_text=_(
            "One per line: never allowed in a prompt (removed with a note when an analyst "
            "types one)."
        ),
    )
    public_figures = models.TextField(
        _("public figures"),
        blank=True,
        help_text=_(
            "One per line, by name: never allowed in a prompt (removed with a note when an "
            "analyst types one)."
        ),
    )
    notes = models.TextField(
        _("notes for the prompt writer"),
        blank=True,
        help_text=_("Read by the language model; not copied into the prompt."),
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("brand guideline")
        verbose_name_plural = _("brand guidelines")
        ordering = [F("node__name").asc(nulls_first=True)]
        constraints = [
            # One global default: every empty node counts as node 0 (works on SQLite too,
            # where NULLS NOT DISTINCT does not exist).
            models.UniqueConstraint(Coalesce("node", Value(0)), name="brand_guideline_one_default"),
        ]

    def __str__(self) -> str:
        return str(self.node) if self.node_id else str(_("Global default"))

    def clean(self) -> None:
        """Refuse lists whose mandatory negative prompt the image model could not read whole.

        Every prompt's negative carries the global default's and the node's forbidden and
        negative terms, plus the brief's style preset's negatives; past CLIP's 77 tokens the
        rest is cut off unread, so the longest active preset is counted in.
        """
        from generation.backends.prompt.rules import CLIP_WINDOW, clip_window_tokens

        layers = [self]
        if self.node_id:
            default = BrandGuideline.objects.filter(node__isnull=True).exclude(pk=self.pk).first()
            layers = [default, self] if default else [self]
        terms: list[str] = []
        for layer in layers:
            for term in [*layer.forbidden_terms_list, *layer.negative_terms_list]:
                if term.lower() not in {t.lower() for t in terms}:
                    terms.append(term)
        presets = StylePreset.objects.filter(active=True).exclude(negative="")
        longest = max((p.negative for p in presets), key=clip_window_tokens, default="")
        tokens = clip_window_tokens(", ".join([*terms, longest] if longest else terms))
        if tokens > CLIP_WINDOW:
            raise ValidationError(
                {
                    "negative_terms": _(
                        "Too long for the image model: with the global default's terms and "
                        "the longest style preset's negatives, the negative prompt would take "
                        "%(tokens)s of the %(window)s tokens it reads. Remove or shorten terms."
                    )
                    % {"tokens": tokens, "window": CLIP_WINDOW}
                }
            )

    @property
    def always_include_list(self) -> list[str]:
        return _lines(self.always_include)

    @property
    def negative_terms_list(self) -> list[str]:
        return _lines(self.negative_terms)

    @property
    def forbidden_terms_list(self) -> list[str]:
        return _lines(self.forbidden_terms)

    @property
    def competitors_list(self) -> list[str]:
        return _lines(self.competitors)

    @property
    def public_figures_list(self) -> list[str]:
        return _lines(self.public_figures)


class StylePreset(models.Model):
    """A look an analyst can pick for a brief: phrases added to the prompts."""

    slug = models.SlugField(_("slug"), max_length=50, unique=True)
    name_es = models.CharField(_("name (Spanish)"), max_length=80)
    name_en = models.CharField(_("name (English)"), max_length=80)
    positive = models.TextField(_("added to the prompt"), blank=True)
    negative = models.TextField(_("added to the negative prompt"), blank=True)
    active = models.BooleanField(_("active"), default=True)
    position = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("style preset")
        verbose_name_plural = _("style presets")
        ordering = ["position", "slug"]

    def __str__(self) -> str:
        # In the page's language: the admin's titles and breadcrumbs name the preset with it.
        return self.name_for(get_language() or "es")

    def name_for(self, language: str) -> str:
        return self.name_en if language.startswith("en") else self.name_es


class Brief(models.Model):
    """An analyst's request for reference images: what, for whom, in which tone.

    Its fields' limits (lengths, choices, ranges) are the ones the web form and the API read.
    """

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="briefs",
        verbose_name=_("analyst"),
    )
    node = models.ForeignKey(
        "campaigns.Node", on_delete=models.PROTECT, related_name="briefs", verbose_name=_("node")
    )
    objective = models.CharField(_("objective"), max_length=20, choices=Objective.choices)
    title = models.CharField(_("title"), max_length=120)
    description = models.TextField(_("what the campaign is about"), max_length=2000)
    audience = models.CharField(_("audience"), max_length=300, blank=True)
    tone = models.CharField(_("tone"), max_length=300, blank=True)
    style_preset = models.ForeignKey(
        StylePreset,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="briefs",
        verbose_name=_("style preset"),
    )
    image_count = models.PositiveSmallIntegerField(
        _("number of images"), default=4, validators=[MinValueValidator(1), MaxValueValidator(8)]
    )
    guidance_scale = models.FloatField(
        _("guidance scale (CFG)"),
        default=7.0,
        validators=[MinValueValidator(1.0), MaxValueValidator(20.0)],
    )
    seed = models.PositiveBigIntegerField(_("seed"), null=True, blank=True)
    sketch = models.ImageField(_("sketch"), upload_to=sketch_upload_to, blank=True)
    # The name of the analyst's file, for people to recognise it; never used as a path.
    sketch_name = models.CharField(_("sketch's file name"), max_length=255, blank=True)
    sketch_strength = models.FloatField(
        _("distance from the sketch"),
        default=0.6,
        validators=[MinValueValidator(0.05), MaxValueValidator(1.0)],
    )
    ranking_rule = models.ForeignKey(
        "campaigns.RankingRule",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="briefs",
        verbose_name=_("ranking rule"),
    )
    ranking_rule_version = models.PositiveIntegerField(_("rule version"), null=True, blank=True)
    ranking = models.JSONField(_("ranking summary"), default=dict, blank=True)
    ranked_at = models.DateTimeField(_("ranked"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("brief")
        verbose_name_plural = _("briefs")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["owner", "-created_at"], name="brief_owner_idx")]

    def __str__(self) -> str:
        return self.title

    @property
    def latest_prompt(self) -> PromptVersion | None:
        return self.prompt_versions.order_by("-number").first()


class BriefReference(models.Model):
    """A past image the ranking chose (or the analyst pinned) for a brief."""

    brief = models.ForeignKey(
        Brief, on_delete=models.CASCADE, related_name="references", verbose_name=_("brief")
    )
    image = models.ForeignKey(
        "creatives.CreativeImage",
        on_delete=models.PROTECT,
        related_name="brief_references",
        verbose_name=_("image"),
    )
    order = models.PositiveSmallIntegerField(_("rank"), default=0)
    metric = models.CharField(_("metric"), max_length=30, blank=True)
    estimate = models.FloatField(_("estimate"), null=True, blank=True)
    interval_low = models.FloatField(_("interval low"), null=True, blank=True)
    interval_high = models.FloatField(_("interval high"), null=True, blank=True)
    weight = models.FloatField(_("weight"), default=1.0)
    platforms = models.JSONField(_("platforms"), default=list, blank=True)
    figures = models.JSONField(_("figures"), default=dict, blank=True)
    reason_es = models.TextField(_("reason (Spanish)"), blank=True)
    reason_en = models.TextField(_("reason (English)"), blank=True)
    pinned = models.BooleanField(_("pinned"), default=False)
    excluded = models.BooleanField(_("excluded"), default=False)

    class Meta:
        verbose_name = _("brief reference")
        verbose_name_plural = _("brief references")
        ordering = ["brief", "order"]
        constraints = [
            models.UniqueConstraint(fields=["brief", "image"], name="brief_reference_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.brief_id} #{self.order}: {self.image_id}"

    def reason_for(self, language: str) -> str:
        return self.reason_en if language.startswith("en") else self.reason_es

    def observed(self) -> float | None:
        """The rule's metric of the piece's own stored figures (Σ spend / Σ conversions for a
        cost per conversion): the figure a marketer can check. None where it is undefined or
        a figure it needs is missing. The brief's cards and the agency's page both show it."""
        sums = {}
        for name, value in (self.figures or {}).items():
            if name == "days":  # a count of days is not a figure of any metric
                continue
            try:
                sums[name] = float(value)
            except (TypeError, ValueError):
                continue
        try:
            return metric_value(self.metric, sums)
        except KeyError:
            return None


class PromptVersion(models.Model):
    """One version of a brief's prompt: written by a model or edited by the analyst."""

    class Source(models.TextChoices):
        COMPOSER = "composer", _("Composer")
        LLM = "llm", _("Language model")
        ANALYST = "analyst", _("Edited by the analyst")

    brief = models.ForeignKey(
        Brief, on_delete=models.CASCADE, related_name="prompt_versions", verbose_name=_("brief")
    )
    number = models.PositiveIntegerField(_("version"))
    positive = models.TextField(_("prompt"), max_length=2000)
    negative = models.TextField(_("negative prompt"), max_length=2000, blank=True)
    rationale = models.TextField(_("rationale"), blank=True)  # English
    # The same rationale for Spanish pages (issue 16 item 6); empty on rows older than it that
    # the data migration could not translate: those pages show the English one, marked so.
    rationale_es = models.TextField(_("rationale (Spanish)"), blank=True)
    source = models.CharField(_("written by"), max_length=10, choices=Source.choices)
    model_id = models.CharField(_("model"), max_length=255, blank=True)
    fallback_reason = models.TextField(
        _("why the composer wrote it"),
        blank=True,
        help_text=_("Set when the language model's answers were rejected."),
    )
    # The same reason for Spanish pages; empty on rows older than it (shown in English then).
    fallback_reason_es = models.TextField(_("why the composer wrote it (Spanish)"), blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("edited by"),
    )
    # Set on a version the analyst restored: it copies that version's texts (history is never
    # rewritten), so the list can say where it came from.
    restored_from = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("restored from"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("prompt version")
        verbose_name_plural = _("prompt versions")
        ordering = ["brief", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["brief", "number"], name="prompt_version_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.brief_id} v{self.number}"

    @property
    def rationale_language(self) -> str:
        """The language of the rationale a page in the active language shows ("es" or "en").

        English when the page is, or when no Spanish one was written (an old row): then the
        page marks it lang="en" rather than pass English off as Spanish.
        """
        return "es" if page_language() == "es" and self.rationale_es else "en"

    @property
    def rationale_in_page_language(self) -> str:
        return self.rationale_es if self.rationale_language == "es" else self.rationale

    @property
    def fallback_reason_language(self) -> str:
        """The language of the fallback reason a page shows, as for the rationale."""
        return "es" if page_language() == "es" and self.fallback_reason_es else "en"

    @property
    def fallback_reason_in_page_language(self) -> str:
        if self.fallback_reason_language == "es":
            return self.fallback_reason_es
        return self.fallback_reason


class ModelJob(models.Model):
    """One background model run; claimed with a conditional update, leased while it runs."""

    class Kind(models.TextChoices):
        DESCRIBE = "describe", _("Describe images")
        WRITE = "write", _("Write the prompt")
        GENERATE = "generate", _("Generate images")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")
        UNAVAILABLE = "unavailable", _("No model available")

    FINISHED = (Status.SUCCEEDED, Status.FAILED, Status.UNAVAILABLE)

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.QUEUED
    )
    stage = models.CharField(_("stage"), max_length=20, blank=True)
    brief = models.ForeignKey(
        Brief,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="jobs",
        verbose_name=_("brief"),
    )
    backend = models.CharField(_("backend"), max_length=50, blank=True)
    model_id = models.CharField(_("model"), max_length=255, blank=True)
    payload = models.JSONField(_("parameters"), default=dict, blank=True)
    result = models.JSONField(_("result"), default=dict, blank=True)
    progress_done = models.PositiveIntegerField(_("done"), default=0)
    progress_total = models.PositiveIntegerField(_("total"), default=0)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    max_attempts = models.PositiveSmallIntegerField(_("maximum attempts"), default=2)
    queued_at = models.DateTimeField(_("queued"), default=timezone.now)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    lease_expires_at = models.DateTimeField(_("lease expires"), null=True, blank=True)
    queue_wait_seconds = models.FloatField(_("queue wait (s)"), null=True, blank=True)
    load_seconds = models.FloatField(_("model load (s)"), null=True, blank=True)
    inference_seconds = models.FloatField(_("inference (s)"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)
    how_to_fix = models.TextField(_("what to do"), blank=True)

    class Meta:
        verbose_name = _("model job")
        verbose_name_plural = _("model jobs")
        ordering = ["-queued_at", "-id"]
        indexes = [
            models.Index(fields=["status", "lease_expires_at"], name="model_job_status_idx"),
            models.Index(fields=["brief", "-queued_at"], name="model_job_brief_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_kind_display()} · {self.get_status_display()}"

    @property
    def finished(self) -> bool:
        return self.status in self.FINISHED

    @property
    def elapsed(self) -> dt.timedelta:
        return (self.finished_at or timezone.now()) - self.queued_at


class ImageBatch(models.Model):
    """One "generate" press: the prompt version, the settings and the images that came back."""

    brief = models.ForeignKey(
        Brief, on_delete=models.CASCADE, related_name="batches", verbose_name=_("brief")
    )
    # Empty until the job has written the prompt (a brief generated before any prompt existed).
    prompt_version = models.ForeignKey(
        PromptVersion,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="batches",
        verbose_name=_("prompt"),
    )
    job = models.OneToOneField(
        ModelJob, on_delete=models.PROTECT, related_name="batch", verbose_name=_("job")
    )
    style_preset = models.ForeignKey(
        StylePreset,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("style preset"),
    )
    image_count = models.PositiveSmallIntegerField(_("images asked for"), default=4)
    guidance_scale = models.FloatField(_("guidance scale (CFG)"), default=7.0)
    steps = models.PositiveSmallIntegerField(_("steps"), default=30)
    width = models.PositiveSmallIntegerField(_("width"), default=1024)
    height = models.PositiveSmallIntegerField(_("height"), default=1024)
    seed = models.PositiveBigIntegerField(_("first seed"))
    from_sketch = models.BooleanField(_("from the sketch"), default=False)
    sketch_strength = models.FloatField(_("distance from the sketch"), default=0.6)
    model_id = models.CharField(_("model"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("image batch")
        verbose_name_plural = _("image batches")
        ordering = ["brief", "-created_at"]

    def __str__(self) -> str:
        return f"{self.brief_id} · {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def seeds(self) -> list[int]:
        """Image i uses seed + i, so any one image can be made again on its own."""
        return [self.seed + i for i in range(self.image_count)]


class GeneratedImage(models.Model):
    batch = models.ForeignKey(
        ImageBatch, on_delete=models.CASCADE, related_name="images", verbose_name=_("batch")
    )
    index = models.PositiveSmallIntegerField(_("position"))
    seed = models.PositiveBigIntegerField(_("seed"))
    file = models.ImageField(_("file"), upload_to="generated/%Y/%m/")
    width = models.PositiveSmallIntegerField(_("width"))
    height = models.PositiveSmallIntegerField(_("height"))
    picked = models.BooleanField(_("picked"), default=False)
    picked_at = models.DateTimeField(_("picked at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("generated image")
        verbose_name_plural = _("generated images")
        ordering = ["batch", "index"]
        constraints = [
            models.UniqueConstraint(fields=["batch", "index"], name="generated_image_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.batch_id}/{self.index} seed {self.seed}"


class ShareLink(models.Model):
    """A read-only link for an agency. The token is shown once; only its SHA-256 is stored."""

    brief = models.ForeignKey(
        Brief, on_delete=models.CASCADE, related_name="share_links", verbose_name=_("brief")
    )
    agency = models.CharField(_("agency"), max_length=120)
    token_hash = models.CharField(_("token hash"), max_length=64, unique=True, editable=False)
    # The first characters, so people can tell links apart without the secret.
    token_hint = models.CharField(_("token starts with"), max_length=8, editable=False)
    show_figures = models.BooleanField(_("show figures"), default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"))
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    view_count = models.PositiveIntegerField(_("views"), default=0)
    last_viewed_at = models.DateTimeField(_("last view"), null=True, blank=True)

    class Meta:
        verbose_name = _("share link")
        verbose_name_plural = _("share links")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.agency} · {self.token_hint}…"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= timezone.now()

    @property
    def is_active(self) -> bool:
        return not self.is_revoked and not self.is_expired
