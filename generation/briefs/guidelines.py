"""The brand guidelines and style in force for a brief: what every prompt is held to."""

from __future__ import annotations

from collections.abc import Iterable

from campaigns.models import Node
from generation.backends.base import Guidelines, StyleSpec
from generation.backends.prompt.rules import BASE_FORBIDDEN
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
    # The leads' name lists add up too; with no guideline at all the guardrails' defaults apply.
    competitors = _unique(n for layer in layers for n in layer.competitors_list)
    public_figures = _unique(n for layer in layers for n in layer.public_figures_list)
    return Guidelines(
        always_include=_unique(always),
        negative_terms=_unique(negative),
        forbidden_terms=_unique(forbidden),
        notes=notes,
        competitors=competitors if layers else None,
        public_figures=public_figures if layers else None,
    )


def style_spec(preset: StylePreset | None) -> StyleSpec:
    if preset is None:
        return StyleSpec()
    return StyleSpec(
        name=preset.name_en,
        positive=preset.positive,
        negative=preset.negative,
        name_es=preset.name_es,
    )


def _unique(items: Iterable[str]) -> list[str]:
    seen: dict[str, str] = {}
    for item in items:
        seen.setdefault(item.lower(), item)
    return list(seen.values())
