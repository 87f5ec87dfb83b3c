"""Every image address the API answers opens with the API's own credentials (the token).

A client that holds only a token (no browser session) must be able to download each image the
API lists: the references' and the creatives' catalog images, and the generated images of a
brief it may see. The same address refuses what the matching list refuses.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core.files.storage import default_storage
from django.test import Client

from generation.briefs import services
from tests.api.helpers import _brief_url, _finished_batch


def _image_urls(body) -> Iterator[str]:
    """The `url` of every image object (catalog or generated) anywhere in a JSON answer."""
    if isinstance(body, dict):
        if "url" in body and "width" in body and "height" in body:
            yield body["url"]
        for value in body.values():
            yield from _image_urls(value)
    elif isinstance(body, list):
        for value in body:
            yield from _image_urls(value)


def _content(response) -> bytes:
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content


@pytest.fixture
def listed(api_for, brief, analyst, creative) -> dict[str, list[str]]:
    """Every image address the analyst's API answers hold, by answer."""
    batch = _finished_batch(brief, images=2)
    services.generated_image_pick(batch.images.get(index=1), picked=True)
    api = api_for(analyst)
    answers = {
        "brief": api.get(_brief_url(brief)),
        "brief images": api.get(_brief_url(brief, "images/")),
        "creatives": api.get("/api/v1/creatives/"),
        "creative": api.get(f"/api/v1/creatives/{creative.pk}/"),
    }
    assert [r.status_code for r in answers.values()] == [200] * 4
    return {name: sorted(set(_image_urls(r.json()))) for name, r in answers.items()}


def test_a_token_client_downloads_every_image_the_api_lists(api_for, analyst, brief, listed):
    api = api_for(analyst)  # a token only: no session cookie is ever set
    urls = sorted({url for found in listed.values() for url in found})

    responses = {url: api.get(url) for url in urls}

    # 5 references, 2 generated images (one picked), the creative's 2 images.
    assert len(urls) == 9
    assert {url: r.status_code for url, r in responses.items()} == {url: 200 for url in urls}
    assert not api.cookies
    for url, response in responses.items():
        assert response["Content-Type"].startswith("image/"), url
        assert response["Cache-Control"].startswith("private"), url
        assert _content(response)[:4] in (b"\x89PNG", b"\xff\xd8\xff\xe0"), url


def test_the_downloaded_bytes_are_the_stored_ones(api_for, analyst, brief, creative):
    batch = _finished_batch(brief, images=1)
    generated = batch.images.get()
    api = api_for(analyst)
    body = api.get(_brief_url(brief)).json()
    reference = body["references"][0]["image"]
    catalog_image = brief.references.get(image_id=reference["id"]).image

    generated_bytes = _content(api.get(body["batches"][0]["images"][0]["url"]))
    reference_bytes = _content(api.get(reference["url"]))

    with generated.file.open("rb") as stored:
        assert generated_bytes == stored.read()
    with default_storage.open(catalog_image.file.name, "rb") as stored:
        assert reference_bytes == stored.read()


def test_the_addresses_are_the_apis_own(listed):
    urls = [url for found in listed.values() for url in found]

    assert urls
    assert all(url.startswith("http://testserver/api/v1/") for url in urls), urls


def test_an_anonymous_client_gets_401_from_every_image_address(api_for, listed):
    anonymous = api_for(None)
    urls = sorted({url for found in listed.values() for url in found})

    responses = [anonymous.get(url) for url in urls]

    assert {r.status_code for r in responses} == {401}
    assert {r["WWW-Authenticate"] for r in responses} == {"Token"}
    assert all(r["Content-Type"] == "application/json" for r in responses)


def test_a_wrong_token_gets_401(listed):
    wrong = Client(HTTP_AUTHORIZATION="Token not-a-real-token")

    response = wrong.get(listed["brief"][0])

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_a_user_in_neither_group_gets_403(api_for, outsider, listed):
    api = api_for(outsider)
    urls = sorted({url for found in listed.values() for url in found})

    assert {api.get(url).status_code for url in urls} == {403}


def test_another_analyst_gets_the_catalog_images_but_not_the_briefs_generated_ones(
    api_for, other_analyst, brief, listed
):
    api = api_for(other_analyst)
    generated = listed["brief images"]
    catalog = listed["creative"]

    assert {api.get(url).status_code for url in generated} == {404}
    assert {api.get(url).status_code for url in catalog} == {200}


def test_a_lead_gets_every_image(api_for, lead, listed):
    api = api_for(lead)
    urls = sorted({url for found in listed.values() for url in found})

    assert {api.get(url).status_code for url in urls} == {200}


def test_a_signed_in_browser_opens_the_same_addresses(client, analyst, listed):
    client.force_login(analyst)

    assert {client.get(url).status_code for url in listed["brief"]} == {200}


def test_a_missing_image_is_a_json_404(api_for, analyst, brief):
    api = api_for(analyst)

    responses = [
        api.get("/api/v1/images/999999/file/"),
        api.get("/api/v1/creative-images/999999/file/"),
    ]

    assert [r.status_code for r in responses] == [404, 404]
    assert all(r["Content-Type"] == "application/json" for r in responses)


def test_a_client_asking_for_an_image_type_gets_the_file(api_for, analyst, listed):
    api = api_for(analyst)
    url = listed["creative"][0]

    response = api.get(url, HTTP_ACCEPT="image/png,image/*;q=0.8")
    missing = api.get("/api/v1/creative-images/999999/file/", HTTP_ACCEPT="image/*")

    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert missing.status_code == 404
    assert missing["Content-Type"] == "application/json"


def test_a_head_request_answers_like_a_get(api_for, analyst, listed):
    api = api_for(analyst)

    response = api.head(listed["creative"][0])

    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
