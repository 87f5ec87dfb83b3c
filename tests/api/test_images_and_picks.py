"""A brief's generated images: listing, filtering, picking."""

from __future__ import annotations

from creatives.models import CreativeImage
from generation.briefs import services
from tests.api.helpers import _brief_url, _finished_batch


def test_the_images_can_be_filtered_to_the_picked_ones(api_for, brief, analyst):
    batch = _finished_batch(brief, images=3)
    picked = batch.images.get(index=1)
    services.generated_image_pick(picked, picked=True)
    api = api_for(analyst)

    picked_only = api.get(_brief_url(brief, "images/?picked=true")).json()
    unpicked = api.get(_brief_url(brief, "images/?picked=false")).json()
    bad = api.get(_brief_url(brief, "images/?picked=maybe"))

    assert [i["id"] for i in picked_only] == [picked.pk]
    assert [i["index"] for i in unpicked] == [0, 2]
    assert bad.status_code == 400
    assert bad.json()["fields"] == {"picked": ["Must be a valid boolean."]}


def test_picking_and_unpicking_an_image(api_for, brief, analyst):
    image = _finished_batch(brief).images.get(index=0)
    api = api_for(analyst)

    picked = api.post(f"/api/v1/images/{image.pk}/pick/", {"picked": True}, format="json")
    image.refresh_from_db()
    picked_at = image.picked_at
    unpicked = api.post(f"/api/v1/images/{image.pk}/pick/", {"picked": False}, format="json")

    assert picked.status_code == 200
    assert (picked.json()["picked"], picked.json()["picked_at"]) == (
        True,
        picked_at.astimezone().isoformat(),
    )
    assert picked.json()["url"] == f"http://testserver/api/v1/images/{image.pk}/file/"
    assert unpicked.status_code == 200
    assert (unpicked.json()["picked"], unpicked.json()["picked_at"]) == (False, None)
    image.refresh_from_db()
    assert (image.picked, image.picked_at) == (False, None)


def test_a_pick_without_a_boolean_is_a_400(api_for, brief, analyst):
    image = _finished_batch(brief).images.get(index=0)

    response = api_for(analyst).post(f"/api/v1/images/{image.pk}/pick/", {}, format="json")

    assert response.status_code == 400
    assert response.json() == {
        "detail": "Some fields are not valid: picked.",
        "fields": {"picked": ["This field is required."]},
    }
    image.refresh_from_db()
    assert image.picked is False


def test_the_image_files_listed_are_the_generated_ones(api_for, brief, analyst):
    batch = _finished_batch(brief)

    body = api_for(analyst).get(_brief_url(brief, "images/")).json()

    assert [i["url"] for i in body] == [
        f"http://testserver/api/v1/images/{image.pk}/file/"
        for image in batch.images.order_by("index")
    ]
    assert CreativeImage.objects.count() == 5  # nothing written to the catalog
