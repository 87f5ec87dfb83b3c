"""Lists and detail pages read in a fixed number of queries, whatever they hold."""

from __future__ import annotations

import datetime as dt

from generation.models import Brief
from generation.sharing.links import share_link_create
from tests.api.helpers import BRIEFS, _brief_url, _finished_batch
from tests.factories import make_ad, make_creative, make_image, make_metric


def test_the_brief_list_costs_the_same_queries_for_many_briefs(
    api_for, brief, analyst, wompi, django_assert_max_num_queries
):
    for n in range(8):
        Brief.objects.create(
            owner=analyst, node=wompi, objective="traffic", title=f"B{n}", description="d" * 10
        )
    api = api_for(analyst)

    # Token and user, groups, count, page: a query per brief would make it 13 or more.
    with django_assert_max_num_queries(4):
        response = api.get(BRIEFS)

    assert response.json()["count"] == 9


def test_a_brief_with_many_batches_and_images_reads_in_a_fixed_number_of_queries(
    api_for, brief, analyst, django_assert_max_num_queries
):
    for _ in range(3):
        _finished_batch(brief, images=3)
    for n in range(3):
        share_link_create(brief=brief, agency=f"Agency {n}", days=2, created_by=analyst)
    api = api_for(analyst)

    # Token, groups, brief, references, prompt versions, batches, their images, share links.
    with django_assert_max_num_queries(8):
        response = api.get(_brief_url(brief))

    body = response.json()
    assert (len(body["batches"]), len(body["references"]), len(body["share_links"])) == (3, 4, 3)


def test_the_creatives_list_reads_in_a_fixed_number_of_queries(
    api_for, analyst, creative, django_assert_max_num_queries
):
    for _ in range(6):
        make_creative(images=[make_image(), make_image()])
    api = api_for(analyst)

    # Token, groups, count, creatives, slots with images, descriptions.
    with django_assert_max_num_queries(6):
        response = api.get("/api/v1/creatives/")

    assert response.json()["count"] == 7


def test_the_metrics_read_in_a_fixed_number_of_queries(
    api_for, analyst, creative, django_assert_max_num_queries
):
    for n in range(4):
        ad = make_ad(creative=creative)
        make_metric(ad=ad, date=dt.date(2024, 3, 1 + n))
    api = api_for(analyst)

    # Token, groups, creative, count, rows joined to ad, campaign, account and platform.
    with django_assert_max_num_queries(5):
        response = api.get(f"/api/v1/creatives/{creative.pk}/metrics/")

    assert response.json()["count"] == 4
