"""Reads for the analyst's brief pages: the home list, the brief page, the progress poll.

Each read costs a fixed number of queries whatever the number of briefs, references or
batches, so the pages stay fast as the history grows (the tests assert the counts).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Exists, F, OuterRef, Q, QuerySet, Subquery, Window
from django.db.models.functions import RowNumber
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from campaigns import figures
from campaigns.ranking.metrics import METRICS
from creatives.models import PlatformSlug
from generation.briefs.permissions import briefs_visible_to
from generation.models import (
    Brief,
    BriefReference,
    GeneratedImage,
    ImageBatch,
    ModelJob,
    PromptVersion,
    ShareLink,
    StylePreset,
)
from yenni_site.language import page_language
from yenni_site.roles import is_lead

THUMBNAILS = 4
# Finished jobs the progress poll still reports, so a page polling when a job ends sees it end.
RECENT_JOBS = dt.timedelta(minutes=10)

UNFINISHED = (ModelJob.Status.QUEUED, ModelJob.Status.RUNNING)

STAGE_LABELS = {
    "starting": gettext_lazy("Starting"),
    "writing": gettext_lazy("Writing the prompt"),
    "loading": gettext_lazy("Loading the image model"),
    "generating": gettext_lazy("Generating images"),
    "saving": gettext_lazy("Saving the images"),
    "describing": gettext_lazy("Describing the references"),
}
STATUS_LABELS = {
    ModelJob.Status.QUEUED: gettext_lazy("Queued"),
    ModelJob.Status.RUNNING: gettext_lazy("Running"),
    ModelJob.Status.SUCCEEDED: gettext_lazy("Done"),
    ModelJob.Status.FAILED: gettext_lazy("Failed"),
    ModelJob.Status.UNAVAILABLE: gettext_lazy("No image model"),
}
BRIEF_STATUS_LABELS = {
    "shared": gettext_lazy("Shared"),
    "picked": gettext_lazy("Images chosen"),
    "generating": gettext_lazy("Generating"),
    "images": gettext_lazy("Images ready"),
    "prompt": gettext_lazy("Prompt ready"),
    "draft": gettext_lazy("Draft"),
}


# --- home ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Thumbnail:
    url: str
    alt: str


@dataclass(frozen=True)
class BriefRow:
    brief: Brief
    status: str
    status_label: str
    thumbnails: list[Thumbnail]


def home_briefs(user) -> QuerySet[Brief]:
    """The analyst's own briefs, or every brief for a lead, newest first, with their status."""
    briefs = briefs_visible_to(user)
    if not is_lead(user):
        briefs = briefs.filter(owner=user)
    now = timezone.now()
    batch_images = GeneratedImage.objects.filter(batch__brief=OuterRef("pk"))
    return briefs.annotate(
        is_shared=Exists(
            ShareLink.objects.filter(
                brief=OuterRef("pk"), revoked_at__isnull=True, expires_at__gt=now
            )
        ),
        has_picks=Exists(batch_images.filter(picked=True)),
        is_generating=Exists(
            ModelJob.objects.filter(
                brief=OuterRef("pk"), kind=ModelJob.Kind.GENERATE, status__in=UNFINISHED
            )
        ),
        has_images=Exists(batch_images),
        has_prompt=Exists(PromptVersion.objects.filter(brief=OuterRef("pk"))),
    ).order_by("-created_at", "-pk")


def brief_status(brief: Brief) -> str:
    """How far the brief got, from the annotations of home_briefs."""
    for key, flag in (
        ("shared", "is_shared"),
        ("picked", "has_picks"),
        ("generating", "is_generating"),
        ("images", "has_images"),
        ("prompt", "has_prompt"),
    ):
        if getattr(brief, flag, False):
            return key
    return "draft"


def home_rows(briefs: list[Brief]) -> list[BriefRow]:
    thumbnails = brief_thumbnails([brief.pk for brief in briefs])
    rows = []
    for brief in briefs:
        status = brief_status(brief)
        rows.append(
            BriefRow(
                brief=brief,
                status=status,
                status_label=str(BRIEF_STATUS_LABELS[status]),
                thumbnails=thumbnails.get(brief.pk, []),
            )
        )
    return rows


def brief_thumbnails(brief_ids: list[int]) -> dict[int, list[Thumbnail]]:
    """Up to four images per brief: the picked ones, else the latest batch's, else references.

    At most three queries for any number of briefs; each source is asked only about the
    briefs the previous one left without images.
    """
    found: dict[int, list[Thumbnail]] = {}
    missing = list(brief_ids)
    if missing:
        picked = _first_rows(
            GeneratedImage.objects.filter(batch__brief_id__in=missing, picked=True),
            partition="batch__brief_id",
            order=[F("picked_at").desc(nulls_last=True), F("pk").asc()],
        )
        for brief_id, pk in picked.values_list("batch__brief_id", "pk"):
            found.setdefault(brief_id, []).append(_generated_thumbnail(pk, _("Picked image")))
        missing = [pk for pk in missing if pk not in found]
    if missing:
        latest_batch = (
            ImageBatch.objects.filter(brief=OuterRef("batch__brief"), images__isnull=False)
            .order_by("-created_at", "-pk")
            .values("pk")[:1]
        )
        latest = _first_rows(
            GeneratedImage.objects.filter(batch__brief_id__in=missing).filter(
                batch_id=Subquery(latest_batch)
            ),
            partition="batch_id",
            order=[F("index").asc()],
        )
        for brief_id, pk in latest.values_list("batch__brief_id", "pk"):
            found.setdefault(brief_id, []).append(_generated_thumbnail(pk, _("Generated image")))
        missing = [pk for pk in missing if pk not in found]
    if missing:
        references = _first_rows(
            BriefReference.objects.filter(brief_id__in=missing, excluded=False),
            partition="brief_id",
            order=[F("pinned").desc(), F("order").asc(), F("pk").asc()],
        )
        for brief_id, image_id in references.values_list("brief_id", "image_id"):
            found.setdefault(brief_id, []).append(
                Thumbnail(
                    url=reverse("library_image_file", args=[image_id]),
                    alt=_("Reference image"),
                )
            )
    return found


def _first_rows(rows: QuerySet, *, partition: str, order: list) -> QuerySet:
    # A window numbers the rows of each brief, so one query returns at most four per brief
    # instead of every image of every brief.
    numbered = rows.annotate(
        row_number=Window(RowNumber(), partition_by=[F(partition)], order_by=order)
    )
    return numbered.filter(row_number__lte=THUMBNAILS).order_by(partition, "row_number")


def _generated_thumbnail(pk: int, alt: str) -> Thumbnail:
    return Thumbnail(url=reverse("generated_image_file", args=[pk]), alt=alt)


# --- the brief page ------------------------------------------------------------------------


@dataclass(frozen=True)
class Figure:
    label: str
    value: str


@dataclass(frozen=True)
class ReferenceCard:
    reference: BriefReference
    metric_label: str
    # The piece's own figure (spend ÷ conversions for a cost per conversion), the one a
    # marketer can check against its spend and conversions; "" when it has none.
    observed: str
    # The shrunk estimate and its likely range, labelled as such: "estimado COP 10.777
    # (COP 9.900–11.800)".
    estimate: str
    interval: str
    figures: list[Figure]
    platforms: list[str]
    reason: str


@dataclass(frozen=True)
class RankingSummary:
    rule_version: int | None
    metric_label: str
    window_start: dt.date | None
    window_end: dt.date | None
    considered: int | None
    passed: int | None
    message: str


@dataclass(frozen=True)
class JobLine:
    """What the page says about a job: its state in words and how long it has taken."""

    job: ModelJob
    label: str
    elapsed_seconds: int

    @property
    def elapsed_text(self) -> str:
        return elapsed_text(self.elapsed_seconds)


def elapsed_text(seconds: int) -> str:
    """12 s, 3 min 05 s: the same words the page's script writes while it polls."""
    if seconds < 60:
        return f"{seconds} s"
    return f"{seconds // 60} min {seconds % 60:02d} s"


@dataclass(frozen=True)
class BatchCard:
    batch: ImageBatch
    images: list[GeneratedImage]
    job: JobLine
    style_name: str


@dataclass
class BriefPage:
    brief: Brief
    ranking: RankingSummary
    references: list[ReferenceCard]
    excluded: list[ReferenceCard]
    prompt: PromptVersion | None
    prompt_versions: list[PromptVersion]
    batches: list[BatchCard]
    write_jobs: list[JobLine]
    style_name: str = ""
    share_links: list[ShareLink] = field(default_factory=list)

    @property
    def pending(self) -> bool:
        """Whether any job is still running: the page then polls for progress."""
        return any(not line.job.finished for line in [*self.write_jobs, *self.batch_jobs])

    @property
    def batch_jobs(self) -> list[JobLine]:
        return [card.job for card in self.batches]


def recent_jobs_since() -> dt.datetime:
    """Jobs that finished after this still show on the page (and in the progress poll)."""
    return timezone.now() - RECENT_JOBS


def brief_page(brief: Brief) -> BriefPage:
    """Everything the brief page shows, in seven queries whatever the brief holds."""
    references = list(brief.references.select_related("image").order_by("-pinned", "order"))
    versions = list(
        brief.prompt_versions.select_related("author", "restored_from").order_by("-number")
    )
    batches = list(
        brief.batches.select_related("job", "style_preset", "prompt_version")
        .prefetch_related("images")
        .order_by("-created_at", "-pk")
    )
    recent = timezone.now() - RECENT_JOBS
    failed = [ModelJob.Status.FAILED, ModelJob.Status.UNAVAILABLE]
    write_jobs = brief.jobs.filter(kind=ModelJob.Kind.WRITE).filter(
        Q(status__in=UNFINISHED) | Q(finished_at__gte=recent, status__in=failed)
    )
    cards = [reference_card(ref) for ref in references]
    return BriefPage(
        brief=brief,
        ranking=ranking_summary(brief),
        references=[card for card in cards if not card.reference.excluded],
        excluded=[card for card in cards if card.reference.excluded],
        prompt=versions[0] if versions else None,
        prompt_versions=versions,
        batches=[batch_card(batch) for batch in batches],
        write_jobs=[job_line(job) for job in write_jobs.order_by("queued_at", "pk")],
        style_name=brief.style_preset.name_for(page_language()) if brief.style_preset else "",
        share_links=list(brief.share_links.all()),
    )


def active_presets() -> list[StylePreset]:
    """The presets the generate form offers, as its choice field lists them."""
    return list(StylePreset.objects.filter(active=True))


def ranking_summary(brief: Brief) -> RankingSummary:
    data = brief.ranking or {}
    metric = data.get("metric") or ""
    spec = METRICS.get(metric)
    return RankingSummary(
        rule_version=brief.ranking_rule_version,
        metric_label=str(spec.label) if spec else "",
        window_start=_date(data.get("window_start")),
        window_end=_date(data.get("window_end")),
        considered=data.get("considered"),
        passed=data.get("passed"),
        message=data.get(f"message_{page_language()}") or "",
    )


def _date(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


def reference_card(ref: BriefReference) -> ReferenceCard:
    currency = settings.YENNI_REPORTING_CURRENCY
    spec = METRICS.get(ref.metric)
    estimate = interval = label = observed = ""
    raw = ref.figures or {}
    if spec is not None:
        label = str(spec.label)
        if ref.interval_low is not None and ref.interval_high is not None:
            interval = figures.interval(ref.metric, ref.interval_low, ref.interval_high, currency)
        if ref.estimate is not None:
            point = figures.metric(ref.metric, ref.estimate, currency)
            estimate = (
                _("estimate {point} ({interval})").format(point=point, interval=interval)
                if interval
                else point
            )
        own = ref.observed()
        if own is not None:
            observed = figures.metric(ref.metric, own, currency)
    shown = []
    for key, name in (
        ("impressions", _("Impressions")),
        ("clicks", _("Clicks")),
        ("leads", _("Leads")),
        ("conversions", _("Conversions")),
    ):
        if raw.get(key):
            shown.append(Figure(name, figures.compact(float(raw[key]))))
    if raw.get("spend"):
        shown.append(Figure(_("Spend"), figures.compact_money(float(raw["spend"]), currency)))
    if raw.get("days"):
        shown.append(Figure(_("Days"), str(raw["days"])))
    names = dict(PlatformSlug.choices)
    return ReferenceCard(
        reference=ref,
        metric_label=label,
        observed=observed,
        estimate=estimate,
        interval=interval,
        figures=shown,
        platforms=[names.get(slug, slug) for slug in ref.platforms or []],
        reason=ref.reason_for(page_language()),
    )


def batch_card(batch: ImageBatch) -> BatchCard:
    preset = batch.style_preset
    return BatchCard(
        batch=batch,
        images=list(batch.images.all()),
        job=job_line(batch.job),
        style_name=preset.name_for(page_language()) if preset else "",
    )


def job_line(job: ModelJob) -> JobLine:
    if job.status == ModelJob.Status.RUNNING:
        label = str(STAGE_LABELS.get(job.stage, STATUS_LABELS[job.status]))
    else:
        label = str(STATUS_LABELS.get(job.status, job.status))
    return JobLine(job=job, label=label, elapsed_seconds=max(int(job.elapsed.total_seconds()), 0))


# --- the progress poll ---------------------------------------------------------------------


def progress_jobs(brief: Brief) -> list[ModelJob]:
    """The brief's unfinished jobs and those that finished in the last few minutes."""
    recent = timezone.now() - RECENT_JOBS
    return list(
        brief.jobs.filter(Q(status__in=UNFINISHED) | Q(finished_at__gte=recent))
        .select_related("batch__style_preset", "batch__prompt_version")
        .prefetch_related("batch__images")
        .order_by("queued_at", "pk")
    )


def job_batch(job: ModelJob) -> ImageBatch | None:
    try:
        return job.batch
    except ImageBatch.DoesNotExist:
        return None


# --- what the brief workflow adds to library pages (see library.extensions) -----------------


def board_brief_choices(request, board) -> dict:
    """The board page's brief picker: the briefs this user may change, their own (can_change)."""
    own = Brief.objects.filter(owner=request.user).select_related("node").order_by("-created_at")
    return {"briefs": list(own[:50])}


def image_brief_references(request, image) -> dict:
    """The creative page's "briefs that used this image", among the briefs the user may see."""
    references = (
        BriefReference.objects.filter(image=image, brief__in=briefs_visible_to(request.user))
        .select_related("brief__node", "brief__owner")
        .order_by("-brief__created_at", "-brief_id")
    )
    return {"brief_references": list(references)}
