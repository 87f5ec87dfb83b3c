"""The image file view serves the bank's private ad images to the marketing team only.

It checks what the library and creative pages check (analysts and marketing leads), so an
account in neither group cannot walk the ids and download the catalog.
"""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core.files.storage import default_storage
from django.shortcuts import resolve_url

from tests.factories import make_image, make_png

pytestmark = pytest.mark.usefixtures("media_storage")


def test_a_signed_in_user_gets_the_image_bytes(client, analyst):
    image = make_image()
    client.force_login(analyst)

    response = client.get(image.get_file_url())

    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["Cache-Control"] == "private, max-age=31536000, immutable"
    with default_storage.open(image.file.name, "rb") as stored:
        assert b"".join(response.streaming_content) == stored.read()


def test_the_served_bytes_are_the_bytes_that_were_stored(client, lead):
    from creatives.services import creative_image_store

    data = make_png(width=20, height=10)
    image, _created = creative_image_store(data=data)
    client.force_login(lead)

    response = client.get(image.get_file_url())

    assert b"".join(response.streaming_content) == data


def test_a_user_in_neither_group_is_refused_like_on_the_library_page(client, outsider):
    images = [make_image(), make_image()]
    client.force_login(outsider)

    responses = [client.get(image.get_file_url()) for image in images]
    library = client.get(resolve_url("library"))

    assert [r.status_code for r in responses] == [403, 403]
    assert library.status_code == 403
    assert all("image/" not in r["Content-Type"] for r in responses)
    assert [t.name for t in responses[0].templates][:1] == ["library/no_access.html"]


def test_a_head_request_answers_like_a_get_without_a_body(client, analyst):
    image = make_image()
    client.force_login(analyst)

    response = client.head(image.get_file_url())

    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert b"".join(response.streaming_content) == b""


def test_an_anonymous_visitor_is_sent_to_the_login_page(client, db):
    image = make_image()
    url = image.get_file_url()

    response = client.get(url)

    assert response.status_code == 302
    assert response.url == f"{resolve_url(settings.LOGIN_URL)}?next={url}"


def test_a_missing_file_is_a_not_found(client, analyst):
    image = make_image()
    default_storage.delete(image.file.name)
    client.force_login(analyst)

    response = client.get(image.get_file_url())

    assert response.status_code == 404


def test_an_unknown_image_is_a_not_found(client, analyst):
    client.force_login(analyst)

    response = client.get("/library/images/999999/file/")

    assert response.status_code == 404


def test_the_view_only_answers_reads(client, analyst):
    image = make_image()
    client.force_login(analyst)

    response = client.post(image.get_file_url())

    assert response.status_code == 405
