"""The library's cards: one per image, with its figures in the query's scope, where it ran,
its description and its tier. Three queries per page whatever its size."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Sum
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from campaigns import figures
from campaigns.models import ImageWeeklyRollup
from campaigns.ranking.metrics import in_currency, metric_value
from creatives.models import CreativeImage, ImageDescription, PlatformSlug
from creatives.thumbnails import thumbnail_size
from creatives.vocabulary import COLOUR_LABELS, colour_swatch, orientation_of
from library.query import CARD_COLUMNS, LibraryQuery, rollup_q
from library.tiers import TIERS
from yenni_site.language import page_language


@dataclass(frozen=True)
class Figure:
    key: str
    label: object
    text: str


# How alike two pictures look, from how many of their 64-bit perceptual hashes' bits differ.
# Unrelated pictures differ in about half (32); re-encodes and resizes in a handful.
LIKENESS = [
    (4, _("Practically the same picture")),
    (10, _("Very alike")),
    (20, _("Somewhat alike")),
]
LIKENESS_LEAST = _("Not much alike")


@dataclass
class LibraryCard:
    image_id: int
    width: int
    height: int
    thumb_width: int
    thumb_height: int
    first_seen: dt.date | None
    last_seen: dt.date | None
    nodes: list[str] = field(default_factory=list)
    platforms: list[str] = field(default_factory=list)
    sums: dict[str, float] = field(default_factory=dict)  # money in the reporting currency
    figures: list[Figure] = field(default_factory=list)
    summary: str = ""
    palette: list[tuple[str, object, str]] = field(default_factory=list)  # name, label, swatch
    described: bool = False
    tier: str = ""
    similarity: float | None = None
    distance: int | None = None

    @property
    def orientation(self) -> str:
        return orientation_of(self.width, self.height)

    @property
    def likeness_label(self) -> object:
        """The perceptual-hash distance in words a marketer reads ("Muy parecida")."""
        if self.distance is None:
            return ""
        return next((label for most, label in LIKENESS if self.distance <= most), LIKENESS_LEAST)

    @property
    def tier_label(self) -> object:
        return TIERS.get(self.tier, "")

    @property
    def thumbnail_url(self) -> str:
        return reverse("library_thumbnail", args=[self.image_id])

    @property
    def image_url(self) -> str:
        return reverse("library_image_file", args=[self.image_id])

    @property
    def similar_url(self) -> str:
        return reverse("library_similar", args=[self.image_id])

    def as_dict(self) -> dict:
        return {
            "id": self.image_id,
            "width": self.width,
            "height": self.height,
            "orientation": self.orientation,
            "first_seen": self.first_seen.isoformat() if self.first_seen else None,
            "last_seen": self.last_seen.isoformat() if self.last_seen else None,
            "nodes": self.nodes,
            "platforms": self.platforms,
            "figures": {
                "impressions": int(self.sums.get("impressions", 0)),
                "clicks": int(self.sums.get("clicks", 0)),
                "spend": round(self.sums.get("spend", 0), 2),
                "conversions": round(float(self.sums.get("conversions", 0)), 2),
                "leads": int(self.sums.get("leads", 0)),
                "ctr": metric_value("ctr", self.sums),
                "cpc": metric_value("cpc", self.sums),
                "cpm": metric_value("cpm", self.sums),
                "cost_per_conversion": metric_value("cost_per_conversion", self.sums),
            },
            "summary": self.summary,
            "palette": [name for name, _label, _swatch in self.palette],
            "described": self.described,
            "tier": self.tier or None,
            "similarity": None if self.similarity is None else round(self.similarity, 4),
            "distance": self.distance,
        }


def card_figures(sums: dict[str, float]) -> list[Figure]:
    """The figures a card prints, from its sums: volumes, CTR, spend, CPC, conversions."""
    if not sums.get("impressions"):
        return []
    shown = [
        Figure("impressions", _("Impressions"), figures.compact(sums["impressions"])),
        Figure("clicks", _("Clicks"), figures.compact(sums["clicks"])),
    ]
    ctr = metric_value("ctr", sums)
    if ctr is not None:
        shown.append(Figure("ctr", _("CTR"), figures.metric("ctr", ctr)))
    shown.append(Figure("spend", _("Spend"), figures.compact_money(sums["spend"])))
    cpc = metric_value("cpc", sums)
    if cpc is not None:
        shown.append(Figure("cpc", _("CPC"), figures.metric("cpc", cpc)))
    if sums.get("conversions"):
        conversions = float(sums["conversions"])
        shown.append(Figure("conversions", _("Conversions"), figures.compact(conversions)))
    return shown


def library_cards(
    image_ids: list[int],
    query: LibraryQuery,
    *,
    tiers: dict[int, str] | None = None,
) -> list[LibraryCard]:
    """Cards for these images, in this order: three queries whatever their number."""
    if not image_ids:
        return []
    images = CreativeImage.objects.in_bulk(image_ids)
    cards: dict[int, LibraryCard] = {}
    for image_id in image_ids:
        image = images.get(image_id)
        if image is None:  # deleted since the ids were read
            continue
        thumb_width, thumb_height = thumbnail_size(image.width, image.height)
        cards[image_id] = LibraryCard(
            image_id=image_id,
            width=image.width,
            height=image.height,
            thumb_width=thumb_width,
            thumb_height=thumb_height,
            first_seen=image.first_seen,
            last_seen=image.last_seen,
            sums=dict.fromkeys(CARD_COLUMNS, 0),
            tier=(tiers or {}).get(image_id, ""),
        )
    _fill_places_and_sums(cards, query)
    _fill_descriptions(cards)
    for card in cards.values():
        card.sums = {name: in_currency(name, value) for name, value in card.sums.items()}
        card.figures = card_figures(card.sums)
    return list(cards.values())


def _fill_places_and_sums(cards: dict[int, LibraryCard], query: LibraryQuery) -> None:
    """Where each image ran (ever) and its stored sums in the query's scope, in one query."""
    in_scope = rollup_q(query)
    sums = {alias: Sum(column, filter=in_scope) for alias, column in CARD_COLUMNS.items()}
    rows = (
        ImageWeeklyRollup.objects.filter(image_id__in=list(cards))
        .values("image_id", "node__name", "platform")
        .annotate(**sums)
        .order_by("image_id", "node__name", "platform")
    )
    platform_names = dict(PlatformSlug.choices)
    for row in rows:
        card = cards[row["image_id"]]
        if row["node__name"] not in card.nodes:
            card.nodes.append(row["node__name"])
        name = platform_names.get(row["platform"], row["platform"])
        if name not in card.platforms:
            card.platforms.append(name)
        for alias in CARD_COLUMNS:
            card.sums[alias] += row[alias] or 0


def _fill_descriptions(cards: dict[int, LibraryCard]) -> None:
    spanish = page_language() == "es"
    rows = (
        ImageDescription.objects.filter(image_id__in=list(cards))
        .only("image_id", "text", "text_es", "attributes", "created_at")
        .order_by("image_id", "-created_at", "-id")
    )
    seen: set[int] = set()
    for row in rows:
        if row.image_id in seen:
            continue
        seen.add(row.image_id)
        card = cards[row.image_id]
        card.described = True
        card.summary = (row.text_es if spanish and row.text_es else row.text) or ""
        palette = (row.attributes or {}).get("palette") or []
        card.palette = [
            (name, COLOUR_LABELS.get(name, name), colour_swatch(name))
            for name in palette[:4]
            if isinstance(name, str)
        ]
