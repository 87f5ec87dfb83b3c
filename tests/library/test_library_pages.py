"""The library's pages on a small hand-made catalog: access, grid, filters, sorting, paging,
thumbnails, "more like this" and the number of queries a page costs."""

from __future__ import annotations

import datetime as dt
import io
import json
import re

import numpy as np
import pytest
from django.core.files.storage import default_storage
from django.test import Client
from django.urls import reverse
from PIL import Image

from campaigns.models import ImageWeeklyRollup, Objective
from creatives.models import ImageDescription, ImageEmbedding, ImageThumbnail
from creatives.services import creative_image_store
from creatives.thumbnails import LONG_SIDE, thumbnail_name, thumbnails_make_missing
from creatives.vocabulary import COLOUR_LABELS
from generation.backends.describe import heuristic as describe_heuristic
from library import search
from library import selectors as library_selectors
from library.views.browse import LibraryFilterForm
from tests.factories import make_node

MONDAY = dt.date(2026, 3, 2)


def _png(seed: int, size: tuple[int, int] = (600, 400)) -> bytes:
    """A picture of random 8 × 8 blocks: distinct bytes and perceptual hashes per seed."""
    blocks = np.random.default_rng(seed).integers(0, 256, size=(8, 8, 3), dtype=np.uint8)
    picture = Image.fromarray(blocks, "RGB").resize(size, Image.Resampling.NEAREST)
    out = io.BytesIO()
    picture.save(out, format="PNG")
    return out.getvalue()


def _image(seed: int, size=(600, 400), seen: dt.date = MONDAY):
    image, _created = creative_image_store(data=_png(seed, size), seen_on=seen)
    return image


def _rollup(image, node, *, week=MONDAY, objective=Objective.TRAFFIC, platform="meta", **figures):
    values = {"impressions": 1000, "clicks": 10, "spend_reporting_micros": 5_000_000_000}
    values.update(figures)
    return ImageWeeklyRollup.objects.create(
        image=image,
        node=node,
        objective=objective,
        platform=platform,
        week=week,
        active_days=7,
        **values,
    )


def _describe(image, *, palette, text="", text_es=""):
    return ImageDescription.objects.create(
        image=image,
        backend="heuristic",
        model_id="heuristic-v1",
        text=text or f"Image mostly {palette[0]}.",
        text_es=text_es or f"Imagen sobre todo {palette[0]}.",
        attributes={"palette": palette, "temperature": "warm"},
    )


def _cards(response) -> list[int]:
    return [
        int(pk)
        for pk in re.findall(
            r'data-testid="library-card" data-image-id="(\d+)"', response.content.decode()
        )
    ]


def _json(client: Client, **params) -> dict:
    response = client.get(reverse("library_search_json"), params)
    assert response.status_code == 200
    return json.loads(response.content)


@pytest.fixture(autouse=True)
def fresh_caches():
    """The library keeps sums and indexes per process, keyed by row ids that a rolled-back
    test gives out again: every test starts with none."""
    library_selectors.library_caches_clear()
    yield
    library_selectors.library_caches_clear()


@pytest.fixture
def analyst_client(analyst) -> Client:
    client = Client()
    client.force_login(analyst)
    return client


@pytest.fixture
def shelf(db, media_storage):
    """Six images in two nodes with known weekly figures, three of them described."""
    wompi, compras = (
        make_node(name="Wompi", slug="wompi"),
        make_node(name="Compras", slug="compras"),
    )
    images = [_image(n, size=(600, 400) if n % 2 else (400, 600)) for n in range(1, 7)]
    # One week each at 1,000 impressions, 5,000 spent and 10 × n clicks; image 1 ran again
    # eight weeks later on Google (110 clicks); image 6 never ran.
    for n, image in enumerate(images[:5], start=1):
        _rollup(image, wompi if n <= 3 else compras, clicks=10 * n)
    _rollup(
        images[0], wompi, week=MONDAY + dt.timedelta(weeks=8), clicks=110, platform="google_ads"
    )
    _describe(images[0], palette=["orange", "white"])
    _describe(images[1], palette=["blue", "orange"])
    _describe(images[2], palette=["orange"])
    return {"images": images, "wompi": wompi, "compras": compras}


# --- access ------------------------------------------------------------------------------------


def test_a_visitor_who_is_not_signed_in_is_sent_to_the_login_page(db):
    response = Client().get(reverse("library"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("name", ["library", "library_search_json"])
def test_a_signed_in_user_outside_the_marketing_team_is_refused(shelf, outsider, name):
    client = Client()
    client.force_login(outsider)

    response = client.get(reverse(name))

    assert response.status_code == 403


def test_an_outsider_cannot_make_or_read_a_thumbnail(shelf, outsider):
    client = Client()
    client.force_login(outsider)

    response = client.get(reverse("library_thumbnail", args=[shelf["images"][0].pk]))

    assert response.status_code == 403
    assert ImageThumbnail.objects.count() == 0


def test_a_lead_may_open_the_library(shelf, lead):
    client = Client()
    client.force_login(lead)

    assert client.get(reverse("library")).status_code == 200


# --- the grid ----------------------------------------------------------------------------------


def test_the_grid_shows_each_image_once_newest_first_with_lazy_sized_thumbnails(
    shelf, analyst_client
):
    images = shelf["images"]
    images[3].last_seen = MONDAY + dt.timedelta(days=30)
    images[3].save()

    response = analyst_client.get(reverse("library"))

    html = response.content.decode()
    assert _cards(response) == [images[3].pk, *[i.pk for i in reversed(images) if i != images[3]]]
    assert html.count('loading="lazy"') == 6
    landscape = images[0]
    assert (
        f'src="{reverse("library_thumbnail", args=[landscape.pk])}" width="320" height="213"'
        in html
    )
    assert 'data-count="6"' in html
    assert 'alt="Imagen sobre todo orange."' in html  # Spanish, the default language


def test_a_card_says_where_the_image_ran_and_its_figures_in_the_scope(shelf, analyst_client):
    first = shelf["images"][0]

    everything = _json(analyst_client, q="")
    only_meta = _json(analyst_client, platform="meta")

    card = next(c for c in everything["results"] if c["id"] == first.pk)
    assert card["nodes"] == ["Wompi"]
    assert card["platforms"] == ["Google Ads", "Meta"]
    assert card["figures"]["impressions"] == 2000
    assert card["figures"]["clicks"] == 120
    meta_card = next(c for c in only_meta["results"] if c["id"] == first.pk)
    assert meta_card["figures"]["clicks"] == 10
    assert meta_card["figures"]["ctr"] == pytest.approx(0.01)
    assert meta_card["platforms"] == ["Google Ads", "Meta"]  # where it ran, whatever the scope


# --- filters -----------------------------------------------------------------------------------


def test_the_node_filter_keeps_the_images_that_ran_in_that_node(shelf, analyst_client):
    found = _json(analyst_client, node="compras")

    assert sorted(c["id"] for c in found["results"]) == [i.pk for i in shelf["images"][3:5]]
    assert found["count"] == 2


def test_the_period_keeps_images_that_ran_in_it_and_sums_only_its_weeks(shelf, analyst_client):
    later = MONDAY + dt.timedelta(weeks=8)

    found = _json(analyst_client, date_from=later.isoformat(), date_to=later.isoformat())

    assert [c["id"] for c in found["results"]] == [shelf["images"][0].pk]
    assert found["results"][0]["figures"]["clicks"] == 110


def test_a_period_that_ends_before_it_starts_is_reported_and_not_applied(shelf, analyst_client):
    analyst_client.cookies["django_language"] = "en"  # the messages asserted in English
    response = analyst_client.get(
        reverse("library"), {"date_from": "2026-05-01", "date_to": "2026-04-01"}
    )

    assert "The end of the period comes before its start." in response.content.decode()
    assert len(_cards(response)) == 6


def test_the_colour_filter_reads_the_first_colour_of_the_palette(shelf, analyst_client):
    found = _json(analyst_client, colour="orange")

    assert sorted(c["id"] for c in found["results"]) == sorted(
        [shelf["images"][0].pk, shelf["images"][2].pk]
    )


def test_the_described_filter_splits_described_from_undescribed_images(shelf, analyst_client):
    described = _json(analyst_client, described="yes")
    undescribed = _json(analyst_client, described="no")

    assert sorted(c["id"] for c in described["results"]) == [i.pk for i in shelf["images"][:3]]
    assert sorted(c["id"] for c in undescribed["results"]) == [i.pk for i in shelf["images"][3:]]


def test_the_orientation_filter_compares_width_and_height(shelf, analyst_client):
    portrait = _json(analyst_client, orientation="portrait")

    assert sorted(c["id"] for c in portrait["results"]) == [
        shelf["images"][n].pk for n in (1, 3, 5)
    ]
    assert {c["orientation"] for c in portrait["results"]} == {"portrait"}


def test_an_unknown_choice_is_reported_and_the_default_used(shelf, analyst_client):
    found = _json(analyst_client, sort="prettiest", colour="chartreuse")

    assert found["count"] == 6
    assert set(found["errors"]) == {"sort", "colour"}


def test_asking_for_tiers_without_a_node_and_an_objective_explains_why_nothing_is_filtered(
    shelf, analyst_client
):
    analyst_client.cookies["django_language"] = "en"  # the messages asserted in English
    found = _json(analyst_client, tier="top")

    assert found["count"] == 6
    assert found["notes"] == ["Tiers exist per node and objective: choose both to filter by tier."]


# --- sorting and paging ------------------------------------------------------------------------


def test_sorting_by_ctr_puts_the_best_first_and_images_without_results_last(shelf, analyst_client):
    images = shelf["images"]

    found = _json(analyst_client, sort="ctr")

    # CTR: image 1 6 % (120 / 2,000), image 5 5 %, 4 4 %, 3 3 %, 2 2 %, image 6 none.
    assert [c["id"] for c in found["results"]] == [
        images[0].pk,
        images[4].pk,
        images[3].pk,
        images[2].pk,
        images[1].pk,
        images[5].pk,
    ]


def test_a_cost_sorts_cheapest_first_unless_asked_otherwise(shelf, analyst_client):
    images = shelf["images"]

    cheapest = _json(analyst_client, sort="cpc")
    dearest = _json(analyst_client, sort="cpc", direction="desc")

    # CPC: image 1 10,000 / 120 = 83.3, image 5 100, 4 125, 3 166.7, 2 250; image 6 none.
    assert [c["id"] for c in cheapest["results"]] == [
        images[0].pk,
        images[4].pk,
        images[3].pk,
        images[2].pk,
        images[1].pk,
        images[5].pk,
    ]
    assert [c["id"] for c in dearest["results"]] == [
        images[1].pk,
        images[2].pk,
        images[3].pk,
        images[4].pk,
        images[0].pk,
        images[5].pk,
    ]
    assert cheapest["results"][1]["figures"]["cpc"] == pytest.approx(100.0)


def test_pages_follow_each_other_without_gaps_or_repeats(shelf, analyst_client):
    first = _json(analyst_client, sort="clicks", page_size=4)
    second = _json(analyst_client, sort="clicks", page_size=4, page=2)
    beyond = _json(analyst_client, sort="clicks", page_size=4, page=9)

    ids = [c["id"] for c in first["results"]] + [c["id"] for c in second["results"]]
    assert sorted(ids) == sorted(i.pk for i in shelf["images"])
    assert (first["pages"], len(first["results"]), len(second["results"])) == (2, 4, 2)
    assert beyond["page"] == 2  # past the end: the last page


def test_a_page_costs_the_same_queries_whatever_its_size_or_the_number_of_results(
    shelf, analyst_client, django_assert_max_num_queries, django_assert_num_queries
):
    url = reverse("library")
    params = {"sort": "ctr", "node": "wompi", "objective": "traffic", "colour": "orange"}
    for n in range(7, 40):
        image = _image(n)
        _rollup(image, shelf["wompi"], clicks=n)
        _describe(image, palette=["orange"])
    analyst_client.get(url, params)  # the session and this process's tier cache are warm now

    with django_assert_max_num_queries(12) as small:
        analyst_client.get(url, {**params, "page_size": 2})
    with django_assert_num_queries(len(small.captured_queries)):
        response = analyst_client.get(url, {**params, "page_size": 40})

    assert len(_cards(response)) == 35


# --- thumbnails --------------------------------------------------------------------------------


def test_the_first_thumbnail_request_stores_a_webp_beside_the_image_and_later_ones_reuse_it(
    shelf, analyst_client
):
    image = shelf["images"][0]
    url = reverse("library_thumbnail", args=[image.pk])

    first = analyst_client.get(url)
    body = b"".join(first.streaming_content)
    made = ImageThumbnail.objects.get(image=image)
    second = analyst_client.get(url)
    b"".join(second.streaming_content)

    assert first.status_code == 200
    assert first["Content-Type"] == "image/webp"
    assert first["Cache-Control"] == "private, max-age=31536000, immutable"
    with Image.open(io.BytesIO(body)) as thumb:
        assert (thumb.format, thumb.size) == ("WEBP", (LONG_SIDE, 213))
    assert made.file.name == thumbnail_name(image)
    assert made.file.name.startswith(image.file.name.rsplit(".", 1)[0])
    assert ImageThumbnail.objects.get(image=image).created_at == made.created_at
    assert second.status_code == 200


def test_a_thumbnail_whose_file_was_removed_is_made_again(shelf, analyst_client):
    image = shelf["images"][1]
    url = reverse("library_thumbnail", args=[image.pk])
    b"".join(analyst_client.get(url).streaming_content)
    default_storage.delete(thumbnail_name(image))

    again = analyst_client.get(url)

    assert again.status_code == 200
    assert b"".join(again.streaming_content)[:4] == b"RIFF"
    assert default_storage.exists(thumbnail_name(image))


def test_an_image_whose_file_is_gone_has_no_thumbnail(shelf, analyst_client):
    image = shelf["images"][2]
    default_storage.delete(image.file.name)

    response = analyst_client.get(reverse("library_thumbnail", args=[image.pk]))

    assert response.status_code == 404
    assert not ImageThumbnail.objects.filter(image=image).exists()


def test_missing_thumbnails_are_made_in_bulk_and_broken_images_reported(shelf):
    broken = shelf["images"][5]
    default_storage.delete(broken.file.name)

    made, failed = thumbnails_make_missing()
    again, _ = thumbnails_make_missing()

    assert made == 5
    assert list(failed) == [broken.pk]
    assert failed[broken.pk].startswith("The image file could not be read")
    assert again == 0
    assert ImageThumbnail.objects.count() == 5


# --- more like this ----------------------------------------------------------------------------


def test_more_like_this_lists_the_closest_perceptual_hashes_first(shelf, analyst_client):
    source = shelf["images"][0]
    with Image.open(io.BytesIO(_png(1))) as picture:
        recoded = io.BytesIO()
        picture.save(recoded, format="JPEG", quality=80)
    twin, _ = creative_image_store(data=recoded.getvalue())  # the same picture as a JPEG

    response = analyst_client.get(reverse("library_similar", args=[source.pk]))

    html = response.content.decode()
    alike = html.split('data-testid="similar-phash"')[1].split('data-testid="similar-description"')[
        0
    ]
    assert response.status_code == 200
    assert _cards_in(alike)[0] == twin.pk
    assert source.pk not in _cards_in(alike)
    assert 'data-testid="no-embedding"' in html


def _cards_in(html: str) -> list[int]:
    return [int(pk) for pk in re.findall(r'data-image-id="(\d+)"', html)]


def test_more_like_this_for_an_unknown_image_is_not_found(db, analyst_client):
    assert analyst_client.get(reverse("library_similar", args=[999999])).status_code == 404


def test_a_semantic_search_without_embeddings_falls_back_to_words_and_says_so(
    shelf, analyst_client
):
    analyst_client.cookies["django_language"] = "en"  # the messages asserted in English
    assert not ImageEmbedding.objects.exists()

    found = _json(analyst_client, q="orange", semantic="on")

    assert found["semantic"] is False
    assert sorted(c["id"] for c in found["results"]) == [
        shelf["images"][0].pk,
        shelf["images"][2].pk,
    ]
    assert found["notes"][0].startswith("No image descriptions are embedded yet")


# --- pure helpers ------------------------------------------------------------------------------


def test_the_colour_list_is_the_describers_list():
    # One list (creatives.vocabulary): the filter offers exactly the names the describer writes.
    offered = [name for name, _label in LibraryFilterForm.base_fields["colour"].choices if name]
    assert tuple(offered) == describe_heuristic.COLOUR_NAMES
    assert set(COLOUR_LABELS) == set(describe_heuristic.COLOUR_NAMES)


def test_search_words_fold_case_accents_and_underscores():
    assert search.search_words("Crédito  T360C_TRAF_Celulares  crédito ÑANDÚ") == [
        "credito",
        "t360c",
        "traf",
        "celulares",
        "nandu",
    ]
