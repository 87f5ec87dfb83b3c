"""Reads for the asset library's pages: one page of cards for a query, and "more like this".

One card per image (never per ad), with its figures summed from the weekly rollup over the
filtered period, where it ran, its description and, when a node and an objective are chosen,
its performance tier under the active ranking rule. The parts live beside this module: the query
(library.query), the filtered set (library.filters), word and semantic search (library.search),
sorting (library.sorting), tiers (library.tiers) and the cards (library.cards).

Every page costs a fixed number of queries whatever its size: the sorted ids of one page, then
one query each for their rows, their figures and places, and their descriptions, plus one per
search word on PostgreSQL (tests/library/test_library_pages.py counts them). Sums per scope,
tiers and the vector and hash indexes are kept in the process. How each search works and why
is in docs/library.md.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

from django.utils.translation import gettext_lazy as _

from campaigns.models import Node, Objective
from creatives.models import PlatformSlug
from library.cards import LibraryCard, library_cards
from library.filters import library_images
from library.indexes import indexes_clear, similar_by_description, similar_by_phash, vector_index
from library.query import LibraryQuery
from library.search import semantic_matches
from library.shared import library_shared_clear
from library.sorting import (
    candidate_ids,
    date_sorted_ids,
    metric_order,
    scope_cache_clear,
)
from library.tiers import tier_cache_clear, tier_map

PAGE_SIZE = 24
MAX_PAGE_SIZE = 96
SEMANTIC_LIMIT = 240  # a semantic search shows the closest pieces, not a ranking of every one


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


def library_page(query: LibraryQuery, *, page: int = 1, page_size: int = PAGE_SIZE) -> LibraryPage:
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
            cards = library_cards(ids, query, tiers=tiers)
            for card in cards:
                card.similarity = scores.get(card.image_id)
            return LibraryPage(
                cards, count, page, page_size, True, notes, tiers_shown=tiers is not None
            )
        query = replace(query, semantic=False)

    images = library_images(query, tiers=tiers)
    if query.sort_spec.kind == "metric":
        candidates = candidate_ids(images, query)
        count = len(candidates)
        page = min(page, max(1, math.ceil(count / page_size)))
        offset = (page - 1) * page_size
        ordered = metric_order(candidates, query)
        ids = [int(pk) for pk in ordered[offset : offset + page_size]]
    else:
        count = images.count()
        page = min(page, max(1, math.ceil(count / page_size)))
        offset = (page - 1) * page_size
        ids = date_sorted_ids(images, query, offset=offset, limit=page_size)
    cards = library_cards(ids, query, tiers=tiers)
    return LibraryPage(cards, count, page, page_size, False, notes, tiers_shown=tiers is not None)


def _semantic_page(
    query: LibraryQuery,
    *,
    page: int,
    page_size: int,
    tiers: dict[int, str] | None,
    notes: list[str],
) -> tuple[list[int], int, dict[int, float]] | None:
    """The page's ids ranked by description similarity, or None to fall back to full-text."""
    filtered = replace(query, text="", semantic=False)

    def among():
        if not filtered.has_set_filter:
            return None
        return candidate_ids(library_images(filtered, tiers=tiers), filtered)

    found = semantic_matches(query.text, limit=SEMANTIC_LIMIT, among=among, notes=notes)
    if found is None:
        return None
    start = (page - 1) * page_size
    chosen = found[start : start + page_size]
    return [n.image_id for n in chosen], len(found), {n.image_id: n.score for n in chosen}


def library_caches_clear() -> None:
    """Forget every cache of the library, in this process and shared (tests roll back and
    reuse row ids)."""
    library_shared_clear()
    scope_cache_clear()
    tier_cache_clear()
    indexes_clear()


# --- "more like this" --------------------------------------------------------------------------


@dataclass
class SimilarPage:
    card: LibraryCard
    by_phash: list[LibraryCard]
    by_description: list[LibraryCard]
    has_embedding: bool


def similar_page(image_id: int, *, k: int = 12) -> SimilarPage | None:
    """An image's card with the images that look alike and those described alike."""
    everything = LibraryQuery()
    base = library_cards([image_id], everything)
    if not base:
        return None
    alike = similar_by_phash(image_id, k=k)
    described = similar_by_description(image_id, k=k)
    distances = {n.image_id: int(n.score) for n in alike}
    phash_cards = library_cards(list(distances), everything)
    for card in phash_cards:
        card.distance = distances[card.image_id]
    scores = {n.image_id: n.score for n in described}
    text_cards = library_cards(list(scores), everything)
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
