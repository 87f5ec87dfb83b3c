"""Reads for the asset library: filters, full-text and semantic search, sorting, pages, tiers.

One card per image (never per ad), with its figures summed from the weekly rollup over the
filtered period, where it ran, its description and, when a node and an objective are chosen,
its performance tier under the active ranking rule.

Every page costs a fixed number of queries whatever its size: the sorted ids of one page, then
one query each for their rows, their figures and places, and their descriptions, plus one per
search word on PostgreSQL (tests/library/test_library_pages.py counts them). Sums per scope,
tiers and the vector and hash indexes are kept in the process. How each search works and why
is in docs/library.md.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import threading
import time
import unicodedata
from collections import OrderedDict
from dataclasses import dataclass, field, replace

import numpy as np
from django.conf import settings
from django.db import connection, transaction
from django.db.models import (
    BooleanField,
    Exists,
    F,
    FloatField,
    Func,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Sum,
)
from django.db.models.functions import Cast
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from campaigns.models import Campaign, ImageWeeklyRollup, Node, Objective, RankingRule
from campaigns.ranking import selectors as ranking
from campaigns.ranking.reasons import compact, format_metric
from creatives.models import (
    Creative,
    CreativeImage,
    CreativeImageSlot,
    ImageDescription,
    PlatformSlug,
)
from creatives.thumbnails import thumbnail_size
from library.embeddings import (
    EmbeddingUnavailable,
    embed_query,
    hash_index,
    indexes_clear,
    similar_by_description,
    similar_by_phash,
    vector_index,
)
from library.insights import full_ranking, tier_of

PAGE_SIZE = 48
MAX_PAGE_SIZE = 96
SEMANTIC_LIMIT = 240  # a semantic search shows the closest pieces, not a ranking of every one
MAX_WORDS = 8
TIER_CACHE_SECONDS = 600
TIER_CACHE_ENTRIES = 32

# The heuristic describer's colour names (generation.backends.describe.heuristic.COLOUR_NAMES,
# kept here so the web process does not import OpenCV for a list; a test keeps them equal).
COLOURS = (
    "red",
    "orange",
    "yellow",
    "green",
    "teal",
    "blue",
    "purple",
    "pink",
    "brown",
    "beige",
    "white",
    "grey",
    "black",
)
COLOUR_LABELS = {
    "red": _("red"),
    "orange": _("orange"),
    "yellow": _("yellow"),
    "green": _("green"),
    "teal": _("teal"),
    "blue": _("blue"),
    "purple": _("purple"),
    "pink": _("pink"),
    "brown": _("brown"),
    "beige": _("beige"),
    "white": _("white"),
    "grey": _("grey"),
    "black": _("black"),
}
# What a swatch shows for each colour name (the name is always printed beside it).
SWATCHES = {
    "red": "#d43c3c",
    "orange": "#f08a24",
    "yellow": "#f2c230",
    "green": "#3f9b4f",
    "teal": "#1f9c9c",
    "blue": "#2f5fd0",
    "purple": "#7b4cc2",
    "pink": "#e36fa8",
    "brown": "#8a5a36",
    "beige": "#e3d3b4",
    "white": "#ffffff",
    "grey": "#9aa1ad",
    "black": "#1b1b1b",
}

ORIENTATIONS = {
    "square": _("Square"),
    "landscape": _("Landscape"),
    "portrait": _("Portrait"),
}

TIERS = {
    "top": _("Top 20 %"),
    "middle": _("Middle"),
    "bottom": _("Bottom 20 %"),
    "thin": _("Not enough data"),
}


# --- sorting -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SortSpec:
    key: str
    label: object
    # "date" sorts images by their seen dates; "metric" by figures summed over the period.
    kind: str
    lower_is_better: bool = False


SORTS: dict[str, SortSpec] = {
    spec.key: spec
    for spec in [
        SortSpec("recent", _("Most recently run"), "date"),
        SortSpec("oldest", _("First run longest ago"), "date"),
        SortSpec("impressions", _("Impressions"), "metric"),
        SortSpec("clicks", _("Clicks"), "metric"),
        SortSpec("ctr", _("CTR"), "metric"),
        SortSpec("spend", _("Spend"), "metric"),
        SortSpec("cpc", _("CPC (cost per click)"), "metric", lower_is_better=True),
        SortSpec("cpm", _("CPM (cost per 1,000 impressions)"), "metric", lower_is_better=True),
        SortSpec("conversions", _("Conversions"), "metric"),
        SortSpec("conversion_rate", _("Conversion rate"), "metric"),
        SortSpec("cost_per_conversion", _("Cost per conversion"), "metric", lower_is_better=True),
        SortSpec("leads", _("Leads"), "metric"),
        SortSpec("cost_per_lead", _("Cost per lead"), "metric", lower_is_better=True),
        SortSpec("roas", _("ROAS"), "metric"),
    ]
}

# The rollup columns summed for every card and metric sort, by the name figures use.
SUMS = {
    "impressions": "impressions",
    "clicks": "clicks",
    "link_clicks": "link_clicks",
    "spend_micros": "spend_reporting_micros",
    "conversions": "conversions",
    "value_micros": "conversion_value_reporting_micros",
    "leads": "leads",
}
_RATIOS = {
    # metric: (numerator, denominator, factor): factor turns micros and per-mille into units.
    "ctr": ("clicks", "impressions", 1.0),
    "cpc": ("spend_micros", "clicks", 1e-6),
    "cpm": ("spend_micros", "impressions", 1e-3),
    "conversion_rate": ("conversions", "clicks", 1.0),
    "cost_per_conversion": ("spend_micros", "conversions", 1e-6),
    "cost_per_lead": ("spend_micros", "leads", 1e-6),
    "roas": ("value_micros", "spend_micros", 1.0),
}


def metric_value(key: str, sums: dict[str, float]) -> float | None:
    """The same metric in Python, from a card's sums."""
    if key in _RATIOS:
        num, den, factor = _RATIOS[key]
        return sums[num] * factor / sums[den] if sums.get(den) else None
    if key == "spend":
        return sums["spend_micros"] / 1e6
    return float(sums.get(key) or 0)


# --- the query a page answers ------------------------------------------------------------------


@dataclass(frozen=True)
class LibraryQuery:
    """What the analyst asked for, already validated (see library_views.LibraryFilterForm)."""

    text: str = ""
    semantic: bool = False
    node: Node | None = None
    platform: str = ""
    objective: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    tier: str = ""
    described: str = ""  # "yes", "no" or "" for either
    orientation: str = ""
    colour: str = ""
    sort: str = "recent"
    direction: str = ""  # "asc", "desc", or "" for the sort's natural order (best first)

    @property
    def sort_spec(self) -> SortSpec:
        return SORTS.get(self.sort, SORTS["recent"])

    @property
    def descending(self) -> bool:
        if self.direction:
            return self.direction == "desc"
        spec = self.sort_spec
        if spec.key == "oldest":
            return False
        return not spec.lower_is_better

    @property
    def has_rollup_filter(self) -> bool:
        return bool(self.node or self.platform or self.objective or self.date_from or self.date_to)

    @property
    def tier_scope(self) -> bool:
        """Tiers exist per node and objective: both must be chosen to show or filter them."""
        return bool(self.node and self.objective)


def _monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def rollup_q(query: LibraryQuery, prefix: str = "") -> Q:
    """Rollup rows inside the query's node, platform, objective and period.

    The rollup is weekly: a period takes every week (Monday to Sunday) that overlaps it.
    """
    q = Q()
    if query.node:
        q &= Q(**{f"{prefix}node": query.node})
    if query.platform:
        q &= Q(**{f"{prefix}platform": query.platform})
    if query.objective:
        q &= Q(**{f"{prefix}objective": query.objective})
    if query.date_from:
        q &= Q(**{f"{prefix}week__gte": _monday(query.date_from)})
    if query.date_to:
        q &= Q(**{f"{prefix}week__lte": query.date_to})
    return q


# --- full-text search --------------------------------------------------------------------------

# Accents and underscores folded the same way in the index, the query and the fallback, so
# "credito" finds "Crédito" and "celulares" finds "T360C_TRAF_Celulares_2026Q4".
FOLD_FROM = "ÁÉÍÓÚÜÑáéíóúüñ_"
FOLD_TO = "AEIOUUNaeiouun "


def search_words(text: str) -> list[str]:
    """The words of a search, lower-case and without accents, at most MAX_WORDS, in order."""
    decomposed = unicodedata.normalize("NFKD", text.lower().replace("_", " "))
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    words: list[str] = []
    for word in re.findall(r"\w+", plain):
        if word not in words:
            words.append(word)
    return words[:MAX_WORDS]


class TextMatches(Func):
    """True where the fields, joined by spaces, contain `word` (folded as above).

    PostgreSQL, by default: `to_tsvector('simple', …) @@ to_tsquery('simple', 'word:*')`, a
    word-prefix match answered by the GIN expression indexes of migration creatives 0004 (the
    expression here and there must stay identical). With `anywhere`, and on other databases
    (SQLite): the folded text contains the word anywhere (LIKE '%word%'), no index.
    """

    output_field = BooleanField()
    conditional = True

    def __init__(self, fields: list[str], word: str, *, anywhere: bool = False) -> None:
        super().__init__(*[F(name) for name in fields])
        self.word = word
        self.anywhere = anywhere

    def _document(self, compiler, connection_) -> tuple[str, list]:
        parts, params = [], []
        for expression in self.get_source_expressions():
            sql, part_params = compiler.compile(expression)
            parts.append(sql)
            params.extend(part_params)
        return "(" + " || ' ' || ".join(parts) + ")", params

    def _pattern(self) -> str:
        escaped = self.word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        return f"%{escaped}%"

    def as_postgresql(self, compiler, connection_, **extra) -> tuple[str, list]:
        document, params = self._document(compiler, connection_)
        folded = f"translate({document}, '{FOLD_FROM}', '{FOLD_TO}')"
        if self.anywhere:
            return f"{folded} ILIKE %s", [*params, self._pattern()]
        sql = f"to_tsvector('simple'::regconfig, {folded}) @@ to_tsquery('simple'::regconfig, %s)"
        return sql, [*params, f"{self.word}:*"]

    def as_sql(self, compiler, connection_, **extra) -> tuple[str, list]:
        document, params = self._document(compiler, connection_)
        for source, target in zip(FOLD_FROM, FOLD_TO, strict=True):
            document = f"REPLACE({document}, '{source}', '{target}')"
        return f"{document} LIKE %s ESCAPE '\\'", [*params, self._pattern()]


DESCRIPTION_FIELDS = ["text", "text_es"]
COPY_FIELDS = ["name", "headline", "body"]
CAMPAIGN_FIELDS = ["name"]


class IdIn(Func):
    """`pk = ANY(array)`: one parameter for thousands of ids (PostgreSQL)."""

    output_field = BooleanField()
    conditional = True

    def __init__(self, ids: np.ndarray) -> None:
        super().__init__(F("pk"))
        self.ids = [int(pk) for pk in ids]

    def as_sql(self, compiler, connection_, **extra) -> tuple[str, list]:
        sql, params = compiler.compile(self.get_source_expressions()[0])
        return f"{sql} = ANY(%s)", [*params, self.ids]


def _word_sources(word: str) -> list[QuerySet]:
    """The image ids whose description, creative copy or campaign name holds the word."""
    described = ImageDescription.objects.filter(TextMatches(DESCRIPTION_FIELDS, word))
    copy = CreativeImageSlot.objects.filter(
        creative__in=Creative.objects.filter(TextMatches(COPY_FIELDS, word)).values("pk")
    )
    campaigns = CreativeImageSlot.objects.filter(
        # Campaign names are codes ("T360C_TRAF_Celulares_2026Q4") in a table of a few
        # thousand rows: a substring scan costs a millisecond and needs no index.
        creative__ads__campaign__in=Campaign.objects.filter(
            TextMatches(CAMPAIGN_FIELDS, word, anywhere=True)
        ).values("pk")
    )
    return [
        rows.order_by().values_list("image_id", flat=True) for rows in (described, copy, campaigns)
    ]


def text_image_ids(text: str) -> np.ndarray:
    """PostgreSQL: the sorted ids of images holding every word, one indexed query per word.

    The planner judges a sequential scan cheaper than the GIN index for a word most rows hold
    ("azul", "imagen"), because it prices to_tsvector per row at a fraction of its real cost:
    such a word took 0.6–1.5 s that way. Sequential scans are therefore switched off for these
    queries only (SET LOCAL, inside their own transaction): the index answers any word in tens
    of milliseconds, however common.
    """
    found: np.ndarray | None = None
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        for word in search_words(text):
            described, copy, campaigns = _word_sources(word)
            ids = np.fromiter(described.union(copy, campaigns, all=True), dtype=np.int64)
            found = np.unique(ids) if found is None else np.intersect1d(found, ids)
            if not len(found):
                break
    return found if found is not None else np.zeros(0, dtype=np.int64)


def text_q(text: str) -> Q:
    """Images whose descriptions, creative copy or campaign names hold every word of `text`.

    Each word may come from any of the three (an image of campaign "…_Celulares_…" described
    as orange matches "celulares naranja").
    """
    q = Q()
    for word in search_words(text):
        described, copy, campaigns = _word_sources(word)
        q &= Q(pk__in=described) | Q(pk__in=copy) | Q(pk__in=campaigns)
    return q


# --- tiers -------------------------------------------------------------------------------------


def _rollup_stamp() -> int:
    """Changes whenever the rollup is rebuilt (rows are deleted and inserted with new ids)."""
    return ImageWeeklyRollup.objects.aggregate(top=Max("id"))["top"] or 0


_tier_cache: OrderedDict[tuple, tuple[float, dict[int, str]]] = OrderedDict()
_tier_lock = threading.Lock()


def tier_map(*, node: Node, objective: str, as_of: dt.date | None = None) -> dict[int, str] | None:
    """Each image's tier under the active rule for node × objective; None when no rule.

    The rule ranks every piece that passes its gates (near-duplicates folded, as a brief does);
    the top 20 % of positions are "top", the last 20 % "bottom", the rest "middle"; pieces that
    ran there but miss a gate are "thin". A piece's near-copies share its tier.

    Kept in this process for ten minutes per rule version and rollup build: a few thousand
    small entries that would cost more to unpickle from a shared cache than to keep here.
    """
    try:
        rule = ranking.ranking_rule_for(node=node, objective=objective)
    except ranking.NoRuleError:
        return None
    as_of = as_of or timezone.localdate()
    key = (node.pk, objective, rule.pk, rule.version, as_of, _rollup_stamp())
    now = time.monotonic()
    with _tier_lock:
        found = _tier_cache.get(key)
        if found is not None and now - found[0] < TIER_CACHE_SECONDS:
            _tier_cache.move_to_end(key)
            return found[1]
    tiers = _compute_tiers(rule, node=node, objective=objective, as_of=as_of)
    with _tier_lock:
        _tier_cache[key] = (now, tiers)
        while len(_tier_cache) > TIER_CACHE_ENTRIES:
            _tier_cache.popitem(last=False)
    return tiers


def _compute_tiers(
    rule: RankingRule, *, node: Node, objective: str, as_of: dt.date
) -> dict[int, str]:
    # The insights page's full ranking and tier cut, so a piece shows the same tier on both.
    ranked = full_ranking(node=node, objective=objective, rule=rule, as_of=as_of)
    if not ranked.considered_image_ids:
        return {}
    tiers: dict[int, str] = {}
    for piece in ranked.pieces:
        tier = tier_of(piece.position, ranked.passed)
        for member in piece.member_image_ids:
            tiers[member] = tier
    for image_id in ranked.considered_image_ids:
        tiers.setdefault(image_id, "thin")
    if ranked.from_window_totals:
        # The window totals keep each piece under its first image: give its near-copies its tier.
        copies = CreativeImage.objects.filter(near_duplicate_of__in=list(tiers)).values_list(
            "pk", "near_duplicate_of"
        )
        for image_id, lead in copies:
            tiers.setdefault(image_id, tiers[lead])
    return tiers


# --- the filtered set --------------------------------------------------------------------------


def library_images(query: LibraryQuery, *, tiers: dict[int, str] | None = None) -> QuerySet:
    """Every image the query's filters keep (full-text included, semantic ranking not)."""
    images = CreativeImage.objects.all()
    if query.has_rollup_filter:
        rows = ImageWeeklyRollup.objects.filter(rollup_q(query), image=OuterRef("pk"))
        images = images.filter(Exists(rows))
    if query.text and not query.semantic and search_words(query.text):
        if connection.vendor == "postgresql":
            images = images.filter(IdIn(text_image_ids(query.text)))
        else:
            images = images.filter(text_q(query.text))
    if query.colour:
        images = images.filter(
            Exists(
                ImageDescription.objects.filter(
                    image=OuterRef("pk"), attributes__palette__0=query.colour
                )
            )
        )
    if query.described:
        described = Exists(ImageDescription.objects.filter(image=OuterRef("pk")))
        images = images.filter(described if query.described == "yes" else ~described)
    if query.orientation == "landscape":
        images = images.filter(width__gt=F("height") * 1.1)
    elif query.orientation == "portrait":
        images = images.filter(height__gt=F("width") * 1.1)
    elif query.orientation == "square":
        images = images.filter(width__lte=F("height") * 1.1, height__lte=F("width") * 1.1)
    if query.tier and tiers is not None:
        images = images.filter(pk__in=[pk for pk, tier in tiers.items() if tier == query.tier])
    return images


# --- cards -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Figure:
    key: str
    label: object
    text: str


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
    sums: dict[str, float] = field(default_factory=dict)
    figures: list[Figure] = field(default_factory=list)
    summary: str = ""
    palette: list[tuple[str, object, str]] = field(default_factory=list)  # name, label, swatch
    described: bool = False
    tier: str = ""
    similarity: float | None = None
    distance: int | None = None

    @property
    def orientation(self) -> str:
        if self.width > self.height * 1.1:
            return "landscape"
        if self.height > self.width * 1.1:
            return "portrait"
        return "square"

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
                "spend": round(self.sums.get("spend_micros", 0) / 1e6, 2),
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


def _figures(sums: dict[str, float], lang: str) -> list[Figure]:
    currency = settings.YENNI_REPORTING_CURRENCY
    if not sums.get("impressions"):
        return []
    shown = [
        Figure("impressions", _("Impressions"), compact(sums["impressions"], lang)),
        Figure("clicks", _("Clicks"), compact(sums["clicks"], lang)),
    ]
    ctr = metric_value("ctr", sums)
    if ctr is not None:
        shown.append(Figure("ctr", _("CTR"), format_metric("ctr", ctr, lang, currency)))
    spend = sums["spend_micros"] / 1e6
    shown.append(Figure("spend", _("Spend"), f"{currency} {compact(spend, lang)}"))
    cpc = metric_value("cpc", sums)
    if cpc is not None:
        shown.append(Figure("cpc", _("CPC"), format_metric("cpc", cpc, lang, currency)))
    if sums.get("conversions"):
        conversions = float(sums["conversions"])
        shown.append(Figure("conversions", _("Conversions"), compact(conversions, lang)))
    return shown


def library_cards(
    image_ids: list[int],
    query: LibraryQuery,
    *,
    lang: str,
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
            sums=dict.fromkeys(SUMS, 0),
            tier=(tiers or {}).get(image_id, ""),
        )
    _fill_places_and_sums(cards, query)
    _fill_descriptions(cards, lang)
    for card in cards.values():
        card.figures = _figures(card.sums, lang)
    return list(cards.values())


def _fill_places_and_sums(cards: dict[int, LibraryCard], query: LibraryQuery) -> None:
    """Where each image ran (ever) and its figures in the query's scope, in one query."""
    in_scope = rollup_q(query)
    sums = {alias: Sum(column, filter=in_scope) for alias, column in SUMS.items()}
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
        for alias in SUMS:
            card.sums[alias] += row[alias] or 0


def _fill_descriptions(cards: dict[int, LibraryCard], lang: str) -> None:
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
        card.summary = (row.text_es if lang == "es" and row.text_es else row.text) or ""
        palette = (row.attributes or {}).get("palette") or []
        card.palette = [
            (name, COLOUR_LABELS.get(name, name), SWATCHES.get(name, "#cccccc"))
            for name in palette[:4]
            if isinstance(name, str)
        ]


# --- a page ------------------------------------------------------------------------------------


@dataclass
class LibraryPage:
    cards: list[LibraryCard]
    count: int
    number: int
    page_size: int
    semantic: bool = False
    # Plain-language notes for the analyst: why the search fell back, why tiers are missing.
    notes: list[str] = field(default_factory=list)
    tiers_shown: bool = False

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.count / self.page_size))

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages

    @property
    def first_index(self) -> int:
        return (self.number - 1) * self.page_size + 1 if self.count else 0

    @property
    def last_index(self) -> int:
        return min(self.count, self.number * self.page_size)


def library_page(
    query: LibraryQuery, *, page: int = 1, page_size: int = PAGE_SIZE, lang: str = "es"
) -> LibraryPage:
    """One page of the library for `query`: the cards in order, the count, notes."""
    page_size = max(1, min(page_size, MAX_PAGE_SIZE))
    page = max(1, page)
    notes: list[str] = []
    tiers = None
    if query.tier_scope:
        tiers = tier_map(node=query.node, objective=query.objective)
        if tiers is None:
            notes.append(
                str(
                    _(
                        "No active ranking rule covers this node and objective, so pieces have "
                        "no tier. A marketing lead can add one in the administration."
                    )
                )
            )
    elif query.tier:
        notes.append(str(_("Tiers exist per node and objective: choose both to filter by tier.")))
    if query.tier and tiers is None:
        query = replace(query, tier="")

    if query.semantic and query.text:
        result = _semantic_page(query, page=page, page_size=page_size, tiers=tiers, notes=notes)
        if result is not None:
            ids, count, scores = result
            cards = library_cards(ids, query, lang=lang, tiers=tiers)
            for card in cards:
                card.similarity = scores.get(card.image_id)
            return LibraryPage(
                cards, count, page, page_size, True, notes, tiers_shown=tiers is not None
            )
        query = replace(query, semantic=False)

    images = library_images(query, tiers=tiers)
    if query.sort_spec.kind == "metric":
        candidates = _candidate_ids(images, query)
        count = len(candidates)
        page = min(page, max(1, math.ceil(count / page_size)))
        offset = (page - 1) * page_size
        ordered = _metric_order(candidates, query)
        ids = [int(pk) for pk in ordered[offset : offset + page_size]]
    else:
        count = images.count()
        page = min(page, max(1, math.ceil(count / page_size)))
        offset = (page - 1) * page_size
        ids = _date_sorted_ids(images, query, offset=offset, limit=page_size)
    cards = library_cards(ids, query, lang=lang, tiers=tiers)
    return LibraryPage(cards, count, page, page_size, False, notes, tiers_shown=tiers is not None)


def _date_sorted_ids(
    images: QuerySet, query: LibraryQuery, *, offset: int, limit: int
) -> list[int]:
    column = "last_seen" if query.sort_spec.key == "recent" else "first_seen"
    if query.descending:
        ordered = images.order_by(F(column).desc(nulls_last=True), "-pk")
    else:
        ordered = images.order_by(F(column).asc(nulls_last=True), "pk")
    return list(ordered.values_list("pk", flat=True)[offset : offset + limit])


# --- sorting by a metric -----------------------------------------------------------------------

# Scopes kept per process, bounded by their images rather than their number: a whole-catalog
# scope holds every image, a node's quarter a few hundred. 500,000 rows are about 32 MB.
SCOPE_CACHE_ROWS = 500_000


@dataclass(frozen=True)
class ScopeSums:
    """Every image's sums in one rollup scope (node, platform, objective, period), by id."""

    ids: np.ndarray  # sorted int64
    columns: dict[str, np.ndarray]  # float64, aligned with ids

    def metric(self, key: str) -> np.ndarray:
        """The metric per image, NaN where it is undefined (no clicks for a CPC …)."""
        if key in _RATIOS:
            num, den, factor = _RATIOS[key]
            denominator = self.columns[den]
            with np.errstate(divide="ignore", invalid="ignore"):
                values = self.columns[num] * factor / denominator
            return np.where(denominator > 0, values, np.nan)
        if key == "spend":
            return self.columns["spend_micros"] / 1e6
        return self.columns[key]


_scope_cache: OrderedDict[tuple, ScopeSums] = OrderedDict()
_scope_lock = threading.Lock()


def scope_sums(query: LibraryQuery) -> ScopeSums:
    """The sums of every image in the query's rollup scope, kept in this process.

    Summing the weekly rollup over the whole catalog is the one expensive step of a sorted
    page (580,000 rows for 20,000 images over a year: about 150 ms). It is done once per scope
    and rollup build, then every sort, filter and page of that scope is NumPy over 20,000
    numbers. A new rollup build gives new row ids, so a changed highest id starts afresh; the
    least recently used scopes go first when the kept rows pass SCOPE_CACHE_ROWS.
    """
    key = (
        query.node.pk if query.node else None,
        query.platform,
        query.objective,
        query.date_from,
        query.date_to,
        _rollup_stamp(),
    )
    with _scope_lock:
        found = _scope_cache.get(key)
        if found is not None:
            _scope_cache.move_to_end(key)
            return found
    # Floats, not integers: PostgreSQL sums bigints as numeric, several times slower.
    sums = {alias: Sum(Cast(column, FloatField())) for alias, column in SUMS.items()}
    rows = list(
        ImageWeeklyRollup.objects.filter(rollup_q(query))
        .values("image_id")
        .annotate(**sums)
        .order_by("image_id")
        .values_list("image_id", *SUMS)
    )
    table = np.array(rows, dtype=np.float64).reshape(len(rows), len(SUMS) + 1)
    found = ScopeSums(
        ids=table[:, 0].astype(np.int64),
        columns={alias: table[:, i + 1] for i, alias in enumerate(SUMS)},
    )
    with _scope_lock:
        _scope_cache[key] = found
        while len(_scope_cache) > 1 and (
            sum(len(kept.ids) for kept in _scope_cache.values()) > SCOPE_CACHE_ROWS
        ):
            _scope_cache.popitem(last=False)
    return found


def library_caches_clear() -> None:
    """Forget every in-process cache of the library (tests roll back and reuse row ids)."""
    with _scope_lock:
        _scope_cache.clear()
    with _tier_lock:
        _tier_cache.clear()
    indexes_clear()


def _candidate_ids(images: QuerySet, query: LibraryQuery) -> np.ndarray:
    """The ids the filters keep, sorted, read with as little work as the filters allow."""
    only_scope = not (
        (query.text and not query.semantic)
        or query.colour
        or query.described
        or query.orientation
        or query.tier
    )
    if only_scope and query.has_rollup_filter:
        return scope_sums(query).ids  # the images with rows in scope, exactly the filter
    if only_scope:
        return hash_index().ids  # every image, from the index "more like this" keeps anyway
    ids = np.fromiter(images.order_by().values_list("pk", flat=True), dtype=np.int64)
    ids.sort()
    return ids


def _metric_order(candidates: np.ndarray, query: LibraryQuery) -> np.ndarray:
    """Candidates by the metric (best first unless asked), ties by id; no figures last."""
    sums = scope_sums(query)
    values = sums.metric(query.sort_spec.key)
    metric = np.full(len(candidates), np.nan)
    if len(sums.ids):
        at = np.minimum(np.searchsorted(sums.ids, candidates), len(sums.ids) - 1)
        hit = sums.ids[at] == candidates
        metric[hit] = values[at[hit]]
    missing = np.isnan(metric)
    metric = np.where(missing, 0.0, metric)
    if query.descending:
        order = np.lexsort((-candidates, -metric, missing))
    else:
        order = np.lexsort((candidates, metric, missing))
    return candidates[order]


def _semantic_page(
    query: LibraryQuery,
    *,
    page: int,
    page_size: int,
    tiers: dict[int, str] | None,
    notes: list[str],
) -> tuple[list[int], int, dict[int, float]] | None:
    """The page's ids ranked by description similarity, or None to fall back to full-text."""
    try:
        vector = embed_query(query.text)
    except EmbeddingUnavailable as exc:
        notes.append(
            str(
                _("Semantic search is unavailable, so this is a word search instead: {reason}")
            ).format(reason=exc)
        )
        return None
    index = vector_index()
    if not len(index.ids):
        notes.append(
            str(
                _(
                    "No image descriptions are embedded yet, so this is a word search instead. "
                    "An operator can run: manage.py embed_images --pending"
                )
            )
        )
        return None
    filtered = replace(query, text="", semantic=False)
    among = None
    if _has_set_filter(filtered):
        among = _candidate_ids(library_images(filtered, tiers=tiers), filtered)
    found = index.top(vector, k=SEMANTIC_LIMIT, among=among)
    start = (page - 1) * page_size
    chosen = found[start : start + page_size]
    return [n.image_id for n in chosen], len(found), {n.image_id: n.score for n in chosen}


def _has_set_filter(query: LibraryQuery) -> bool:
    return bool(
        query.has_rollup_filter
        or query.colour
        or query.described
        or query.orientation
        or query.tier
    )


# --- "more like this" --------------------------------------------------------------------------


@dataclass
class SimilarPage:
    card: LibraryCard
    by_phash: list[LibraryCard]
    by_description: list[LibraryCard]
    has_embedding: bool


def similar_page(image_id: int, *, lang: str, k: int = 12) -> SimilarPage | None:
    """An image's card with the images that look alike and those described alike."""
    everything = LibraryQuery()
    base = library_cards([image_id], everything, lang=lang)
    if not base:
        return None
    alike = similar_by_phash(image_id, k=k)
    described = similar_by_description(image_id, k=k)
    distances = {n.image_id: int(n.score) for n in alike}
    phash_cards = library_cards(list(distances), everything, lang=lang)
    for card in phash_cards:
        card.distance = distances[card.image_id]
    scores = {n.image_id: n.score for n in described}
    text_cards = library_cards(list(scores), everything, lang=lang)
    for card in text_cards:
        card.similarity = scores[card.image_id]
    has_embedding = vector_index().position(image_id) is not None
    return SimilarPage(base[0], phash_cards, text_cards, has_embedding=has_embedding)


# --- the filter form's choices -----------------------------------------------------------------


def active_nodes() -> list[Node]:
    return list(Node.objects.filter(active=True).order_by("name"))


def objective_choices() -> list[tuple[str, object]]:
    return list(Objective.choices)


def platform_choices() -> list[tuple[str, str]]:
    return list(PlatformSlug.choices)
