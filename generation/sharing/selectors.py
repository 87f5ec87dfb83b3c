"""Reads for the agency's share page and its pack: only what the link's brief shows.

Everything here starts from one ShareLink's brief, so a page built from these reads cannot
show another brief's images or references. Performance figures (estimates, intervals,
impressions, spend, …) are left out unless the link was created with "show figures"; the
ranking's reason sentences quote figures, so without them a reference gets a sentence that
names the metric and nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from campaigns import figures
from campaigns.models import Objective
from campaigns.ranking.metrics import METRICS
from creatives.models import CreativeImage, PlatformSlug
from generation.models import Brief, BriefReference, GeneratedImage, PromptVersion, ShareLink
from yenni_site.language import page_language

# The figures a reference carries, in the order the page lists them. Lazy, so each label is
# translated in the language of the page that shows it.
FIGURE_LABELS = {
    "impressions": gettext_lazy("Impressions"),
    "clicks": gettext_lazy("Clicks"),
    "link_clicks": gettext_lazy("Link clicks"),
    "spend": gettext_lazy("Spend"),
    "conversions": gettext_lazy("Conversions"),
    "conversion_value": gettext_lazy("Conversion value"),
    "leads": gettext_lazy("Leads"),
    "video_views": gettext_lazy("Video views"),
    "engagements": gettext_lazy("Engagements"),
    "days": gettext_lazy("Days running"),
}
MONEY_FIGURES = {"spend", "conversion_value"}


@dataclass(frozen=True)
class SharedFigure:
    key: str
    label: str
    value: str


@dataclass(frozen=True)
class SharedReference:
    """A reference as the agency sees it; the figure fields are empty when they are hidden."""

    rank: int
    reference: BriefReference
    reason: str
    platforms: list[str]
    metric_label: str = ""
    estimate: str = ""
    interval: str = ""
    figures: list[SharedFigure] = field(default_factory=list)

    @property
    def image_id(self) -> int:
        return self.reference.image_id


@dataclass(frozen=True)
class SharedBrief:
    """Everything a share page or pack shows, read once."""

    link: ShareLink
    brief: Brief
    language: str
    objective_label: str
    style_name: str
    images: list[GeneratedImage]
    references: list[SharedReference]
    prompt: PromptVersion | None

    @property
    def show_figures(self) -> bool:
        return self.link.show_figures


def shared_images(brief: Brief) -> QuerySet[GeneratedImage]:
    """The brief's picked images across all its batches, newest batch first."""
    return (
        GeneratedImage.objects.filter(batch__brief=brief, picked=True)
        .select_related("batch__prompt_version", "batch__style_preset")
        .order_by("-batch__created_at", "-batch_id", "index")
    )


def shared_image(brief: Brief, image_pk: int) -> GeneratedImage | None:
    """A picked image of this brief, or None (unpicked, another brief's, or no such image)."""
    return shared_images(brief).filter(pk=image_pk).first()


def shared_references(brief: Brief) -> QuerySet[BriefReference]:
    """The references the brief keeps, in the order its prompt reads them (pins first)."""
    return (
        BriefReference.objects.filter(brief=brief, excluded=False)
        .select_related("image")
        .order_by("-pinned", "order", "pk")
    )


def shared_reference_image(brief: Brief, image_id: int) -> CreativeImage | None:
    """The past image behind one of the brief's kept references, or None."""
    ref = shared_references(brief).filter(image_id=image_id).first()
    return ref.image if ref else None


def shared_brief(link: ShareLink) -> SharedBrief:
    """Read what the link shows, in the active language (the page's, "es" or "en")."""
    brief = link.brief
    language = page_language()
    references = [
        _shared_reference(rank, ref, brief=brief, with_figures=link.show_figures)
        for rank, ref in enumerate(shared_references(brief), start=1)
    ]
    return SharedBrief(
        link=link,
        brief=brief,
        language=language,
        objective_label=str(Objective(brief.objective).label),
        style_name=brief.style_preset.name_for(language) if brief.style_preset else "",
        images=list(shared_images(brief)),
        references=references,
        prompt=brief.prompt_versions.order_by("-number").first(),
    )


def _shared_reference(
    rank: int, ref: BriefReference, *, brief: Brief, with_figures: bool
) -> SharedReference:
    platforms = [_platform_name(slug) for slug in ref.platforms or []]
    spec = METRICS.get(ref.metric)
    metric_label = str(spec.label) if spec else ""
    if not with_figures:
        return SharedReference(
            rank=rank,
            reference=ref,
            reason=_reason_without_figures(ref, brief=brief, metric_label=metric_label),
            platforms=platforms,
            metric_label=metric_label,
        )
    currency = settings.YENNI_REPORTING_CURRENCY
    estimate = interval = ""
    if spec and ref.estimate is not None:
        estimate = figures.metric(ref.metric, ref.estimate, currency)
        if ref.interval_low is not None and ref.interval_high is not None:
            interval = figures.interval(ref.metric, ref.interval_low, ref.interval_high, currency)
        own = ref.observed()
        if own is not None:
            # The figure shown is the piece's own, the one the agency can check against its
            # spend and results; the shrunk estimate follows, labelled (issue 15 item 4).
            interval = (
                _("estimate {point}; likely range {interval}").format(
                    point=estimate, interval=interval
                )
                if interval
                else _("estimate {point}").format(point=estimate)
            )
            estimate = figures.metric(ref.metric, own, currency)
    return SharedReference(
        rank=rank,
        reference=ref,
        reason=ref.reason_for(page_language())
        or _reason_without_figures(ref, brief=brief, metric_label=metric_label),
        platforms=platforms,
        metric_label=metric_label,
        estimate=estimate,
        interval=interval,
        figures=_figures(ref.figures or {}, currency),
    )


def _reason_without_figures(ref: BriefReference, *, brief: Brief, metric_label: str) -> str:
    parts = []
    if metric_label:
        parts.append(
            _("Among the best {objective} pieces of {node}, ranked by {metric}.").format(
                objective=str(Objective(brief.objective).label).lower(),
                node=brief.node.name,
                metric=metric_label,
            )
        )
    if ref.pinned:
        parts.append(_("Chosen by the analyst."))
    return " ".join(parts) or _("Chosen as a reference for this brief.")


def _figures(raw: dict, currency: str) -> list[SharedFigure]:
    """The figures worth showing: the ones the piece has (zeros say nothing), days always."""
    shown = []
    for key, label in FIGURE_LABELS.items():
        value = raw.get(key)
        if value is None or (not value and key != "days"):
            continue
        if key in MONEY_FIGURES:
            text = figures.money(value, currency, decimals=0)
        else:
            text = figures.number(value, 0 if float(value).is_integer() else 1)
        shown.append(SharedFigure(key=key, label=str(label), value=text))
    return shown


def _platform_name(slug: str) -> str:
    try:
        return str(PlatformSlug(slug).label)
    except ValueError:
        return slug
