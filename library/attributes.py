"""What the pieces that did better or worse share: one row per attribute value, with its lift.

The attributes are what the describe model saw (main colour, people, text, light …). A row says
how the pieces with that value did against every piece of the node × objective, as a pooled
ratio with a 95 % interval (library.intervals). These are associations, not effects: pieces
with people may also have run in better months or on better audiences.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from campaigns import figures
from campaigns.ranking.full import FullRanking
from campaigns.ranking.metrics import ratio_parts
from creatives.models import ImageDescription
from creatives.vocabulary import COLOUR_LABELS
from library.intervals import MIN_PIECES, Lift, pooled_lift

ATTRIBUTE_LABELS = {
    "palette": gettext_lazy("Main colour"),
    "temperature": gettext_lazy("Colour temperature"),
    "people": gettext_lazy("People"),
    "text_overlay": gettext_lazy("Text on the image"),
    "orientation": gettext_lazy("Orientation"),
    "style": gettext_lazy("Style"),
    "lighting": gettext_lazy("Lighting"),
}
VALUE_LABELS = {
    **COLOUR_LABELS,
    "warm": gettext_lazy("warm"),
    "cool": gettext_lazy("cool"),
    "neutral": gettext_lazy("neutral"),
    "with": gettext_lazy("shown"),
    "without": gettext_lazy("none"),
    "none": gettext_lazy("none"),
    "little": gettext_lazy("a little"),
    "heavy": gettext_lazy("a lot"),
    "square": gettext_lazy("square"),
    "landscape": gettext_lazy("landscape"),
    "portrait": gettext_lazy("portrait"),
    "flat graphic": gettext_lazy("flat graphic"),
    "photograph": gettext_lazy("photograph"),
    "dark": gettext_lazy("dark"),
    "dim": gettext_lazy("dim"),
    "medium": gettext_lazy("medium"),
    "bright": gettext_lazy("bright"),
}


def attribute_values(attributes: dict) -> dict[str, str]:
    """The attribute values the insights compare, from one description's attributes."""
    found: dict[str, str] = {}
    palette = attributes.get("palette")
    if isinstance(palette, list) and palette and isinstance(palette[0], str):
        found["palette"] = palette[0]
    people = attributes.get("people")
    if isinstance(people, dict) and isinstance(people.get("count"), int):
        found["people"] = "with" if people["count"] > 0 else "without"
    for key in ("temperature", "text_overlay", "orientation", "style", "lighting"):
        value = attributes.get(key)
        if isinstance(value, str) and value:
            found[key] = value
    return found


def piece_attributes(image_ids: Iterable[int]) -> dict[int, dict[str, str]]:
    """Each image's compared attributes, from the configured describe backend where it wrote
    one, else the newest description of any backend. Reads only the attributes column."""
    preferred = settings.YENNI_MODELS["describe"]["backend"]
    chosen: dict[int, tuple[bool, dict]] = {}
    rows = (
        ImageDescription.objects.filter(image_id__in=list(image_ids))
        .order_by("-created_at", "-id")
        .values_list("image_id", "backend", "attributes")
    )
    for image_id, backend, attributes in rows:
        is_preferred = backend == preferred
        current = chosen.get(image_id)
        if current is None or (is_preferred and not current[0]):
            chosen[image_id] = (is_preferred, attributes or {})
    return {image_id: attribute_values(attrs) for image_id, (_p, attrs) in chosen.items()}


@dataclass(frozen=True)
class AttributeRow:
    attribute: str
    value: str
    label: str  # "Main colour: blue"
    lift: Lift
    text: str  # "+18 % CTR vs the node's average (n = 42, 95 % interval +9 % … +27 %)"
    verdict: str  # "better", "worse", "unclear" or "thin"

    @property
    def enough(self) -> bool:
        return self.lift.value is not None


def lift_text(lift: Lift, metric_label: str) -> str:
    if lift.value is None:
        return _("not enough data (n = {n}; at least {minimum} pieces needed)").format(
            n=lift.n, minimum=MIN_PIECES
        )
    return _(
        "{lift} {metric} vs the node's average (n = {n}, 95 % interval {low} … {high})"
    ).format(
        lift=figures.change(lift.value),
        metric=metric_label,
        n=lift.n,
        low=figures.change(lift.low),
        high=figures.change(lift.high),
    )


def _verdict(lift: Lift, lower_is_better: bool) -> str:
    if lift.value is None:
        return "thin"
    if lift.low <= 0 <= lift.high:
        return "unclear"
    above = lift.low > 0
    return "worse" if above == lower_is_better else "better"


def attribute_rows(
    ranking: FullRanking, attributes: dict[int, dict[str, str]]
) -> tuple[list[AttributeRow], int]:
    """Every attribute value's lift over the described pieces; and how many had no description.

    Rows with enough data come first, largest effect first; then the thin ones.
    """
    spec = ranking.spec
    described = [p for p in ranking.pieces if p.image_id in attributes]
    undescribed = ranking.passed - len(described)
    if not described:
        return [], undescribed
    parts = np.array([ratio_parts(spec.key, p.figures) for p in described], dtype=float)
    tops, bottoms = parts[:, 0], parts[:, 1]
    groups: dict[tuple[str, str], list[int]] = defaultdict(list)
    for i, piece in enumerate(described):
        for attribute, value in attributes[piece.image_id].items():
            groups[(attribute, value)].append(i)
    label = str(spec.label)
    rows = []
    for (attribute, value), members in groups.items():
        mask = np.zeros(len(described), dtype=bool)
        mask[members] = True
        lift = pooled_lift(tops, bottoms, mask)
        rows.append(
            AttributeRow(
                attribute=attribute,
                value=value,
                label=f"{ATTRIBUTE_LABELS[attribute]}: {VALUE_LABELS.get(value, value)}",
                lift=lift,
                text=lift_text(lift, label),
                verdict=_verdict(lift, ranking.rule.lower_is_better),
            )
        )
    rows.sort(
        key=lambda r: (
            not r.enough,
            -abs(r.lift.value) if r.enough else -r.lift.n,
            r.attribute,
            r.value,
        )
    )
    return rows, undescribed
