"""The shared cache changes where the library's sums and tiers come from, never a page: over a
varied demo history, every query gives the same cards in the same order when it is computed
afresh, read back from the shared cache by a process without its own copies, and computed
with no shared cache at all (the library before issue 17).

The demo (seed 11, 120 creatives over three months) is built once per module and worker,
committed, and wiped at the end.
"""

from __future__ import annotations

import datetime as dt
import itertools
import random

import pytest
from django.test import override_settings
from django.utils import timezone

from campaigns.models import Node
from library import selectors as library_selectors
from library.query import SORTS, LibraryQuery
from library.sorting import scope_cache_clear
from library.tiers import tier_cache_clear
from tests.library.demo_catalog import demo_catalog_loaded

NO_SHARED_CACHE = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker, tmp_path_factory):
    with demo_catalog_loaded(
        tmp_path_factory, django_db_blocker, name="library-agrees", seed=11, creatives=120, months=3
    ):
        yield


@pytest.fixture(autouse=True)
def fresh_caches():
    library_selectors.library_caches_clear()
    yield
    library_selectors.library_caches_clear()


def _queries() -> list[LibraryQuery]:
    """Every sort, best first and both ways, over scopes, periods, filters and tiers."""
    nodes = list(Node.objects.order_by("slug"))
    rng = random.Random(17)
    queries = [LibraryQuery(sort=sort) for sort in SORTS]
    for sort, direction in itertools.product(["ctr", "cpc", "roas", "spend"], ["asc", "desc"]):
        queries.append(LibraryQuery(sort=sort, direction=direction))
    for _ in range(40):
        node = rng.choice([None, *nodes])
        objective = rng.choice(["", "traffic", "leads", "conversion", "awareness"])
        tier = ""
        if node and objective and rng.random() < 0.5:
            tier = rng.choice(["top", "middle", "bottom", "thin"])
        queries.append(
            LibraryQuery(
                node=node,
                objective=objective,
                platform=rng.choice(["", "", "meta", "google_ads"]),
                date_from=rng.choice([None, query_day(-60)]),
                date_to=rng.choice([None, query_day(-20)]),
                tier=tier,
                colour=rng.choice(["", "", "orange", "blue"]),
                orientation=rng.choice(["", "", "square", "portrait"]),
                described=rng.choice(["", "yes"]),
                sort=rng.choice(list(SORTS)),
            )
        )
    return queries


def query_day(offset: int) -> dt.date:
    return timezone.localdate() + dt.timedelta(days=offset)


def _page(query: LibraryQuery) -> dict:
    found = library_selectors.library_page(query, page_size=96)
    cards = [(c.image_id, c.tier, tuple(sorted(c.sums.items()))) for c in found.cards]
    return {"count": found.count, "cards": cards}


def test_every_query_gives_the_same_page_computed_shared_or_per_process(demo, db):
    queries = _queries()

    computed = [_page(query) for query in queries]
    scope_cache_clear()
    tier_cache_clear()
    shared = [_page(query) for query in queries]
    library_selectors.library_caches_clear()
    with override_settings(CACHES=NO_SHARED_CACHE):
        per_process = [_page(query) for query in queries]

    for query, first, second, third in zip(queries, computed, shared, per_process, strict=True):
        assert first == second == third, query
    # The property means something only if the pages hold cards, and tiers among them.
    assert sum(1 for page in computed if page["cards"]) >= len(queries) // 2
    assert any(tier for page in computed for _id, tier, _sums in page["cards"])
