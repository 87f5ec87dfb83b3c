"""The ad history read-only: creatives, their daily metrics, nodes and style presets."""

from __future__ import annotations

import datetime as dt

import pytest

from campaigns.models import Node
from generation.models import StylePreset
from tests.factories import make_ad, make_creative, make_metric


def test_the_creatives_list_shows_copy_images_sizes_and_descriptions(api_for, analyst, creative):
    first, second = (slot.image for slot in creative.image_slots.order_by("position"))

    response = api_for(analyst).get("/api/v1/creatives/")

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    row = body["results"][0]
    assert {key: row[key] for key in ("id", "platform", "headline", "body", "call_to_action")} == {
        "id": creative.pk,
        "platform": "meta",
        "headline": "Paga en cuotas",
        "body": "Buy now, pay in 12 months.",
        "call_to_action": "LEARN_MORE",
    }
    assert [
        (slot["position"], slot["image"]["id"], slot["image"]["width"], slot["image"]["height"])
        for slot in row["images"]
    ] == [(0, first.pk, 16, 9), (1, second.pk, 9, 16)]
    assert (
        row["images"][0]["image"]["url"]
        == f"http://testserver/api/v1/creative-images/{first.pk}/file/"
    )
    assert [(d["text"], d["text_es"]) for d in row["images"][0]["descriptions"]] == [
        ("A blue banner with a phone", "Un banner azul")
    ]
    assert row["images"][1]["descriptions"] == []


def test_the_creatives_list_filters_by_platform(api_for, analyst, creative):
    google = make_creative(platform="google_ads")
    api = api_for(analyst)

    meta_ids = [row["id"] for row in api.get("/api/v1/creatives/?platform=meta").json()["results"]]
    google_ids = [
        row["id"] for row in api.get("/api/v1/creatives/?platform=google_ads").json()["results"]
    ]
    bad = api.get("/api/v1/creatives/?platform=myspace")

    assert (meta_ids, google_ids) == ([creative.pk], [google.pk])
    assert bad.status_code == 400
    assert bad.json()["fields"] == {"platform": ['"myspace" is not a valid choice.']}


def test_a_creative_can_be_read_alone(api_for, analyst, creative):
    response = api_for(analyst).get(f"/api/v1/creatives/{creative.pk}/")
    missing = api_for(analyst).get("/api/v1/creatives/999999/")

    assert response.status_code == 200
    assert response.json()["headline"] == "Paga en cuotas"
    assert missing.status_code == 404


def test_a_creatives_metrics_are_daily_rows_per_ad_within_the_dates_asked(
    api_for, analyst, creative
):
    ad = make_ad(creative=creative)
    for day in range(1, 4):
        make_metric(ad=ad, date=dt.date(2024, 3, day), impressions=1000 * day, clicks=day)
    api = api_for(analyst)
    url = f"/api/v1/creatives/{creative.pk}/metrics/"

    everything = api.get(url).json()
    window = api.get(f"{url}?start=2024-03-02&end=2024-03-02").json()

    assert [row["date"] for row in everything["results"]] == [
        "2024-03-01",
        "2024-03-02",
        "2024-03-03",
    ]
    assert window["count"] == 1
    assert window["results"][0] == {
        "date": "2024-03-02",
        "ad_id": ad.pk,
        "ad_name": ad.name,
        "campaign_id": ad.campaign_id,
        "campaign_name": ad.campaign.name,
        "objective": "traffic",
        "platform": "meta",
        "currency": "COP",
        "impressions": 2000,
        "reach": 1000,
        "clicks": 2,
        "link_clicks": 2,
        "spend_micros": 12_500_000,
        "conversions": 2.0,
        "conversion_value_micros": 0,
        "leads": 1,
        "video_views": 0,
        "engagements": 0,
    }


@pytest.mark.parametrize(
    ("query", "fields"),
    [
        (
            "start=2024-02-30",
            {"start": ["Date has wrong format. Use one of these formats instead: YYYY-MM-DD."]},
        ),
        (
            "end=yesterday",
            {"end": ["Date has wrong format. Use one of these formats instead: YYYY-MM-DD."]},
        ),
        ("start=2024-03-05&end=2024-03-01", {"end": ["The end comes before the start."]}),
    ],
)
def test_a_bad_metrics_date_is_a_400_that_says_which(api_for, analyst, creative, query, fields):
    response = api_for(analyst).get(f"/api/v1/creatives/{creative.pk}/metrics/?{query}")

    assert response.status_code == 400
    assert response.json() == {
        "detail": f"Some fields are not valid: {next(iter(fields))}.",
        "fields": fields,
    }


def test_the_nodes_and_style_presets_are_listed(api_for, analyst, wompi, preset):
    Node.objects.create(name="Compras", slug="compras", active=False)
    api = api_for(analyst)

    nodes = api.get("/api/v1/nodes/").json()
    presets = api.get("/api/v1/style-presets/").json()

    assert [(n["slug"], n["name"], n["active"]) for n in nodes] == [
        ("compras", "Compras", False),
        ("wompi", "Wompi", True),
    ]
    assert [p["slug"] for p in presets] == list(StylePreset.objects.values_list("slug", flat=True))
    assert next(p for p in presets if p["slug"] == "photo") == {
        "id": preset.pk,
        "slug": "photo",
        "name": "Photograph",
        "name_es": "Fotografía",
        "name_en": "Photograph",
        "positive": "photograph",
        "negative": "",
        "active": True,
    }
