"""Counting the agency's views, and the images a share link serves."""

from __future__ import annotations

from django.urls import reverse

from creatives.services import creative_image_store
from generation.briefs import services
from generation.sharing import links as sharing
from tests.factories import (
    make_png,
)
from tests.web.share.helpers import DAY, _batch, _brief, _file_bytes, _page, _share, _tags

# --- counting views ------------------------------------------------------------------------


def test_each_page_view_is_counted_and_images_and_the_pack_are_not(client, brief, images):
    link, token = _share(brief)
    reference = brief.references.filter(excluded=False).first()

    _page(client, token)
    link.refresh_from_db()
    first_view = link.last_viewed_at
    assert link.view_count == 1
    assert first_view is not None

    assert client.get(reverse("share_image", args=[token, images[1].pk])).status_code == 200
    assert (
        client.get(reverse("share_reference_image", args=[token, reference.image_id])).status_code
        == 200
    )
    assert client.get(reverse("share_pack", args=[token])).status_code == 200
    link.refresh_from_db()
    assert link.view_count == 1
    assert link.last_viewed_at == first_view

    _page(client, token, lang="en")
    link.refresh_from_db()
    assert link.view_count == 2
    assert link.last_viewed_at > first_view


# --- images ---------------------------------------------------------------------------------


def test_a_picked_image_is_served_with_its_stored_bytes(client, brief, images):
    _link, token = _share(brief)

    response = client.get(reverse("share_image", args=[token, images[3].pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["Cache-Control"] == "private, no-store"
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    assert b"".join(response.streaming_content) == _file_bytes(images[3].file)


def test_an_unpicked_image_of_the_brief_is_not_served(client, brief, images):
    _link, token = _share(brief)

    response = client.get(reverse("share_image", args=[token, images[0].pk]))

    assert response.status_code == 404
    assert _tags(response).find("section", data_testid="link-unknown") != []


def test_a_picked_image_of_another_brief_is_not_served(client, brief, images, analyst):
    other = _brief(analyst, title="Otra")
    others = _batch(other, seed=8000, picked=(0,))
    _link, token = _share(brief)

    response = client.get(reverse("share_image", args=[token, others[0].pk]))

    assert response.status_code == 404


def test_an_image_unpicked_after_sharing_stops_being_served(client, brief, images):
    _link, token = _share(brief)
    services.generated_image_pick(images[1], picked=False)

    response = client.get(reverse("share_image", args=[token, images[1].pk]))

    assert response.status_code == 404


def test_a_kept_reference_image_is_served_with_its_stored_bytes(client, brief):
    _link, token = _share(brief)
    reference = brief.references.filter(excluded=False).select_related("image").first()

    response = client.get(reverse("share_reference_image", args=[token, reference.image_id]))

    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert b"".join(response.streaming_content) == _file_bytes(reference.image.file)


def test_an_excluded_reference_image_is_not_served(client, brief):
    _link, token = _share(brief)
    dropped = brief.references.order_by("order").first()
    services.brief_reference_mark(brief, image_id=dropped.image_id, excluded=True)

    response = client.get(reverse("share_reference_image", args=[token, dropped.image_id]))

    assert response.status_code == 404


def test_a_past_image_that_is_not_a_reference_of_the_brief_is_not_served(client, brief):
    _link, token = _share(brief)
    stranger, _ = creative_image_store(data=make_png(seed=424242), seen_on=DAY)

    response = client.get(reverse("share_reference_image", args=[token, stranger.pk]))

    assert response.status_code == 404


def test_images_need_an_active_link_too(client, brief, images):
    link, token = _share(brief)
    reference = brief.references.filter(excluded=False).first()
    sharing.share_link_revoke(link)

    picked = client.get(reverse("share_image", args=[token, images[1].pk]))
    past = client.get(reverse("share_reference_image", args=[token, reference.image_id]))
    forged = client.get(reverse("share_image", args=["x" * 43, images[1].pk]))

    assert (picked.status_code, past.status_code, forged.status_code) == (410, 410, 404)
