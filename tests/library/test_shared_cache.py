"""The library's shared cache (library.shared): what one process computes, another reads, and
new data — a rollup rebuild, a description edit, a rule edit, a new image — shows on the very
next request without anyone clearing anything."""

from __future__ import annotations

import datetime as dt
import io
import json

import numpy as np
import pytest
from django.core.management import call_command
from django.test import Client, override_settings
from django.urls import reverse

from campaigns.models import Campaign, ImageWeeklyRollup, Objective, RankingRule
from campaigns.rollups import image_rollup_refresh
from campaigns.services import ranking_rule_save
from creatives.models import CreativeImage, ImageDescription
from library import search, shared
from library import selectors as library_selectors
from library.query import LibraryQuery
from library.sorting import scope_cache_clear, scope_sums
from library.tiers import tier_cache_clear, tier_map
from tests.factories import (
    make_ad,
    make_creative,
    make_image,
    make_metric,
    make_node,
    make_traffic_catalog,
)
from tests.test_settings import _clean_env, _settings

DAY = dt.date(2026, 10, 5)


@pytest.fixture(autouse=True)
def fresh_caches():
    library_selectors.library_caches_clear()
    yield
    library_selectors.library_caches_clear()


@pytest.fixture
def traffic(db, media_storage):
    """Five traffic pieces of one node: piece n has 40 + 10·n clicks a day on 4,000
    impressions for five days, so piece 5 has the most clicks and the best CTR."""
    node = make_node(name="Wompi", slug="wompi")
    make_traffic_catalog(node=node, day=DAY, png_seed=900)
    images = list(CreativeImage.objects.order_by("pk"))
    return {"node": node, "images": images}


@pytest.fixture
def analyst_client(analyst) -> Client:
    client = Client()
    client.force_login(analyst)
    return client


def _ids(client: Client, **params) -> list[int]:
    response = client.get(reverse("library_search_json"), {"page_size": 96, **params})
    assert response.status_code == 200
    return [card["id"] for card in json.loads(response.content)["results"]]


def _results(client: Client, **params) -> list[dict]:
    response = client.get(reverse("library_search_json"), {"page_size": 96, **params})
    assert response.status_code == 200
    return json.loads(response.content)["results"]


def _forget_this_process() -> None:
    """What a fresh gunicorn worker starts with: none of this process's own copies."""
    scope_cache_clear()
    tier_cache_clear()


def _traffic_rule(node, **changes) -> RankingRule:
    values = dict(
        node=node,
        objective=Objective.TRAFFIC,
        metric="ctr",
        min_impressions=0,
        min_spend=0,
        min_clicks=0,
        min_conversions=0,
        window_days=365,
        top_n=4,
    )
    values.update(changes)
    return RankingRule.objects.create(**values)


# --- one process computes, another reads ---------------------------------------------------------


def test_a_fresh_process_reads_the_scope_sums_another_process_summed(traffic):
    query = LibraryQuery(node=traffic["node"], sort="clicks")
    first = scope_sums(query)
    # A row changed in place keeps the rollup's stamp, so only a new summing would see it:
    # reading the old figure proves the sums came from the shared cache.
    row = ImageWeeklyRollup.objects.filter(image=traffic["images"][0]).first()
    ImageWeeklyRollup.objects.filter(pk=row.pk).update(clicks=row.clicks + 1_000_000)
    _forget_this_process()

    again = scope_sums(query)

    assert list(again.ids) == list(first.ids)
    assert list(again.columns["clicks"]) == list(first.columns["clicks"])
    shared.library_shared_clear()
    _forget_this_process()
    assert scope_sums(query).columns["clicks"][0] == first.columns["clicks"][0] + 1_000_000


def test_a_fresh_process_reads_the_tiers_another_process_ranked(traffic, monkeypatch):
    node = traffic["node"]
    _traffic_rule(node)
    first = tier_map(node=node, objective=Objective.TRAFFIC)
    _forget_this_process()

    def must_not_rank(**kwargs):
        raise AssertionError("ranked again although another process had ranked this rule")

    monkeypatch.setattr("library.tiers.full_ranking", must_not_rank)
    again = tier_map(node=node, objective=Objective.TRAFFIC)

    assert again == first
    assert sorted(first.values()) == ["bottom", "middle", "middle", "middle", "top"]


def test_a_fresh_process_reuses_the_vector_of_a_text_another_process_searched(monkeypatch):
    embedded: list[str] = []
    real = search.embed_query

    def counted(text: str) -> np.ndarray:
        embedded.append(text)
        return real(text)

    monkeypatch.setattr("library.search.embed_query", counted)

    first = search.query_vector("imagen cálida naranja")
    again = search.query_vector("imagen cálida naranja")
    other = search.query_vector("cool blue image")

    assert embedded == ["imagen cálida naranja", "cool blue image"]
    assert again.dtype == np.float32
    assert np.array_equal(first, again)
    assert np.array_equal(first, real("imagen cálida naranja"))
    assert not np.array_equal(first, other)


def test_a_cache_that_fails_costs_the_computation_not_the_page(traffic, analyst_client):
    broken = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "no_such_cache_table",
        }
    }
    expected = [image.pk for image in reversed(traffic["images"])]

    with override_settings(CACHES=broken):  # Django re-reads CACHES for the block
        found = _ids(analyst_client, sort="clicks", node="wompi")

    assert found == expected


# --- new data shows on the next request -----------------------------------------------------------


def test_new_results_show_on_the_next_request_after_the_rollup_is_rebuilt(traffic, analyst_client):
    images = traffic["images"]
    assert _ids(analyst_client, sort="clicks", node="wompi") == [i.pk for i in reversed(images)]
    # Piece 1, last so far, gets a day with more clicks than the others' whole week.
    ad = make_ad(
        campaign=Campaign.objects.get(node=traffic["node"]),
        creative=make_creative(images=[images[0]]),
    )
    make_metric(ad=ad, date=DAY + dt.timedelta(days=6), impressions=4_000, clicks=3_000)
    image_rollup_refresh()

    found = _ids(analyst_client, sort="clicks", node="wompi")

    assert found == [images[0].pk] + [i.pk for i in reversed(images[1:])]


def test_a_description_edit_shows_on_the_next_request(traffic, analyst_client):
    image = traffic["images"][2]
    description = ImageDescription.objects.create(
        image=image,
        backend="heuristic",
        model_id="heuristic-v1",
        text="Mostly orange.",
        text_es="Sobre todo naranja.",
        attributes={"palette": ["orange", "white"]},
    )
    assert _ids(analyst_client, colour="orange", sort="clicks") == [image.pk]
    assert _ids(analyst_client, colour="blue", sort="clicks") == []

    description.text_es = "Sobre todo azul."
    description.attributes = {"palette": ["blue", "white"]}
    description.save()

    assert _ids(analyst_client, colour="orange", sort="clicks") == []
    found = _results(analyst_client, colour="blue", sort="clicks")
    assert [card["id"] for card in found] == [image.pk]
    assert found[0]["summary"] == "Sobre todo azul."


def test_a_rule_edit_changes_the_tiers_on_the_next_request(traffic, analyst_client):
    rule = _traffic_rule(traffic["node"])
    params = {"node": "wompi", "objective": "traffic", "sort": "clicks"}
    tiers = {card["id"]: card["tier"] for card in _results(analyst_client, **params)}
    best = traffic["images"][-1].pk
    assert tiers[best] == "top"
    assert _ids(analyst_client, tier="top", **params) == [best]

    # A lead raises the bar out of reach in the admin: every piece is "not enough data".
    rule.minimums_mode = "absolute"
    rule.min_impressions = 10**9
    ranking_rule_save(rule=rule)

    tiers = {card["id"]: card["tier"] for card in _results(analyst_client, **params)}
    assert set(tiers.values()) == {"thin"}
    assert _ids(analyst_client, tier="top", **params) == []


def test_a_new_image_shows_on_the_next_request_of_an_unfiltered_metric_sort(
    traffic, analyst_client
):
    before = _ids(analyst_client, sort="clicks")
    assert len(before) == 5

    new = make_image(width=30, height=20)

    # Never run: no clicks, so it comes last.
    assert _ids(analyst_client, sort="clicks") == [*before, new.pk]


def test_a_deleted_image_leaves_the_next_request_of_an_unfiltered_metric_sort(
    traffic, analyst_client
):
    # Images that never ran (no slot holds them, so they can be deleted) come last, the
    # newest first (best-first sorts break ties by id the same way round).
    spare, gone = make_image(width=30, height=20), make_image(width=20, height=30)
    before = _ids(analyst_client, sort="clicks")
    assert before[-2:] == [gone.pk, spare.pk]

    gone.delete()

    assert _ids(analyst_client, sort="clicks") == [*before[:-2], spare.pk]


# --- where the shared cache lives ---------------------------------------------------------------


def test_with_nothing_set_the_shared_cache_is_the_database_and_with_redis_it_is_redis(tmp_path):
    plain = _settings(_clean_env(tmp_path, YENNI_SECRET_KEY="k"))
    redis = _settings(
        _clean_env(tmp_path, YENNI_SECRET_KEY="k", YENNI_REDIS_URL="redis://127.0.0.1:6379/3")
    )

    assert plain["cache"] == "django.core.cache.backends.db.DatabaseCache"
    assert redis["cache"] == "django.core.cache.backends.redis.RedisCache"


# --- warming after a rollup rebuild ------------------------------------------------------------


def test_after_library_warm_a_fresh_process_sums_and_ranks_nothing_for_one_click_scopes(
    traffic, analyst_client, monkeypatch
):
    _traffic_rule(traffic["node"])
    out = io.StringIO()
    call_command("library_warm", stdout=out)
    _forget_this_process()

    def must_not_run(*args, **kwargs):
        raise AssertionError("computed on a request although library_warm had done it")

    monkeypatch.setattr("library.sorting._scope_sums_read", must_not_run)
    monkeypatch.setattr("library.tiers.full_ranking", must_not_run)
    by_clicks = [image.pk for image in reversed(traffic["images"])]

    assert _ids(analyst_client, sort="clicks") == by_clicks
    assert _ids(analyst_client, sort="clicks", node="wompi") == by_clicks
    assert _ids(analyst_client, sort="clicks", objective="traffic") == by_clicks
    assert _ids(analyst_client, sort="clicks", platform="meta") == by_clicks
    tiered = _results(analyst_client, sort="clicks", node="wompi", objective="traffic")
    assert [card["tier"] for card in tiered] == ["top", "middle", "middle", "middle", "bottom"]
    # whole catalog, 1 node, 1 objective, 1 platform, 1 node × objective; 1 rule
    assert out.getvalue().startswith("Warmed 5 scopes and 1 tier maps in ")
