"""Reads for the model workflow: the guidelines in force, the descriptions a writer reads."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Exists, OuterRef, QuerySet

from campaigns.models import Node
from creatives.models import CreativeImage, ImageDescription
from generation.backends.base import Guidelines, StyleSpec
from generation.backends.prompt_rules import BASE_FORBIDDEN
from generation.models import BrandGuideline, StylePreset


def guidelines_for(node: Node | None) -> Guidelines:
    """The node's brand rules on top of the global default.

    Negative and forbidden terms add up (compliance always applies); the node's always-included
    elements replace the default's when it has any. With no guideline at all, the base
    compliance list still applies.
    """
    rows = {g.node_id: g for g in BrandGuideline.objects.filter(node__in=[node] if node else [])}
    default = BrandGuideline.objects.filter(node__isnull=True).first()
    own = rows.get(node.pk) if node else None
    layers = [g for g in (default, own) if g is not None]
    forbidden: list[str] = [] if layers else list(BASE_FORBIDDEN)
    negative: list[str] = []
    for layer in layers:
        forbidden += layer.forbidden_terms_list
        negative += layer.negative_terms_list
    always = (own.always_include_list if own else []) or (
        default.always_include_list if default else []
    )
    notes = "\n".join(layer.notes for layer in layers if layer.notes)
    return Guidelines(
        always_include=_unique(always),
        negative_terms=_unique(negative),
        forbidden_terms=_unique(forbidden),
        notes=notes,
    )


def style_spec(preset: StylePreset | None) -> StyleSpec:
    if preset is None:
        return StyleSpec()
    return StyleSpec(name=preset.name_en, positive=preset.positive, negative=preset.negative)


def _unique(items: Iterable[str]) -> list[str]:
    seen: dict[str, str] = {}
    for item in items:
        seen.setdefault(item.lower(), item)
    return list(seen.values())


def images_lacking_description(
    *, backend: str, model_id: str, image_ids: Iterable[int] | None = None
) -> QuerySet[CreativeImage]:
    """Images with no description from this backend and model (all images, or those ids)."""
    described = ImageDescription.objects.filter(
        image=OuterRef("pk"), backend=backend, model_id=model_id
    )
    images = CreativeImage.objects.filter(~Exists(described))
    if image_ids is not None:
        images = images.filter(pk__in=list(image_ids))
    return images.order_by("pk")


def descriptions_for(image_ids: Iterable[int], *, backend: str = "") -> dict[int, ImageDescription]:
    """One description per image: the given backend's newest, else any backend's newest."""
    best: dict[int, ImageDescription] = {}
    rows = ImageDescription.objects.filter(image_id__in=list(image_ids)).order_by("-created_at")
    for row in rows:
        current = best.get(row.image_id)
        if current is None or (row.backend == backend and current.backend != backend):
            best[row.image_id] = row
    return best
