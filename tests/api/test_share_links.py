"""share-links/: creating, listing and revoking an agency's link."""

from __future__ import annotations

import datetime as dt
import hashlib
import re

import pytest

from generation.models import ShareLink
from generation.sharing.links import share_link_create, token_hash
from tests.api.helpers import _brief_url, _finished_batch


def test_a_new_share_link_shows_its_address_once_and_stores_only_its_hash(
    api_for, brief, analyst, client
):
    api = api_for(analyst)

    response = api.post(
        _brief_url(brief, "share-links/"),
        {"agency": "  Sancho BBDO ", "days": 3, "show_figures": True, "confirm": True},
        format="json",
    )

    assert response.status_code == 201
    body = response.json()
    match = re.fullmatch(r"http://testserver/s/([A-Za-z0-9_-]{43})/", body["url"])
    assert match is not None
    token = match.group(1)
    link = ShareLink.objects.get()
    assert link.token_hash == token_hash(token) == hashlib.sha256(token.encode()).hexdigest()
    assert token not in {link.token_hash, link.token_hint, link.agency}
    assert (link.agency, link.show_figures, link.created_by) == ("Sancho BBDO", True, analyst)
    assert (body["id"], body["token_hint"], body["is_active"]) == (link.pk, token[:6], True)
    assert link.expires_at - link.created_at == pytest.approx(
        dt.timedelta(days=3), abs=dt.timedelta(seconds=5)
    )
    # The address opens the agency's page, and the list never shows the secret again.
    assert client.get(body["url"].removeprefix("http://testserver")).status_code == 200
    listed = api.get(_brief_url(brief, "share-links/")).json()
    assert [(row["id"], row["view_count"]) for row in listed] == [(link.pk, 1)]
    assert "url" not in listed[0]
    assert token not in str(listed)


def test_a_share_link_lasts_the_configured_days_by_default(api_for, brief, analyst, settings):
    settings.YENNI_SHARE_DAYS = 10

    response = api_for(analyst).post(
        _brief_url(brief, "share-links/"), {"agency": "DDB", "confirm": True}, format="json"
    )

    assert response.status_code == 201
    link = ShareLink.objects.get()
    assert link.show_figures is False
    assert link.expires_at - link.created_at == pytest.approx(
        dt.timedelta(days=10), abs=dt.timedelta(seconds=5)
    )


@pytest.mark.parametrize(
    ("payload", "field", "message"),
    [
        ({}, "agency", "This field is required."),
        ({"agency": "   "}, "agency", "This field may not be blank."),
        ({"agency": "a" * 121}, "agency", "Ensure this field has no more than 120 characters."),
        ({"agency": "DDB", "days": 0}, "days", "Ensure this value is greater than or equal to 1."),
        ({"agency": "DDB", "days": 91}, "days", "Ensure this value is less than or equal to 90."),
        ({"agency": "DDB", "show_figures": "lots"}, "show_figures", "Must be a valid boolean."),
    ],
)
def test_a_bad_share_link_request_is_a_400_and_creates_nothing(
    api_for, brief, analyst, payload, field, message
):
    response = api_for(analyst).post(_brief_url(brief, "share-links/"), payload, format="json")

    assert response.status_code == 400
    assert response.json()["fields"] == {field: [message]}
    assert not ShareLink.objects.exists()


def test_a_revoked_link_stops_opening(api_for, brief, analyst, client):
    link, token = share_link_create(brief=brief, agency="DDB", days=3, created_by=analyst)
    api = api_for(analyst)

    response = api.post(f"/api/v1/share-links/{link.pk}/revoke/")
    again = api.post(f"/api/v1/share-links/{link.pk}/revoke/")

    assert response.status_code == 200
    link.refresh_from_db()
    assert (response.json()["is_active"], response.json()["is_revoked"]) == (False, True)
    assert response.json()["revoked_at"] == link.revoked_at.astimezone().isoformat()
    assert again.status_code == 200
    assert again.json()["revoked_at"] == response.json()["revoked_at"]  # revoking is idempotent
    assert client.get(f"/s/{token}/").status_code == 410


# --- no picked image: asked first, as on the web page (issue 14 item 7) ----------------------


def test_sharing_with_no_picked_image_asks_for_confirmation_and_creates_nothing(
    api_for, brief, analyst
):
    _finished_batch(brief)  # images, none picked

    response = api_for(analyst).post(
        _brief_url(brief, "share-links/"), {"agency": "DDB"}, format="json"
    )

    assert response.status_code == 409
    assert response.json() == {
        "detail": "No image of this brief is picked, so the agency would see the brief and its "
        "references without any image. Pick images first, or send confirm=true to share "
        "anyway.",
        "code": "no_picked_images",
    }
    assert not ShareLink.objects.exists()


def test_sharing_with_no_picked_image_and_confirm_false_is_still_asked(api_for, brief, analyst):
    response = api_for(analyst).post(
        _brief_url(brief, "share-links/"), {"agency": "DDB", "confirm": False}, format="json"
    )

    assert response.status_code == 409
    assert not ShareLink.objects.exists()


def test_sharing_with_no_picked_image_and_confirm_true_creates_the_link(api_for, brief, analyst):
    response = api_for(analyst).post(
        _brief_url(brief, "share-links/"), {"agency": "DDB", "confirm": True}, format="json"
    )

    assert response.status_code == 201
    assert ShareLink.objects.get().agency == "DDB"


def test_sharing_with_a_picked_image_needs_no_confirmation(api_for, brief, analyst):
    batch = _finished_batch(brief)
    batch.images.filter(index=1).update(picked=True)

    response = api_for(analyst).post(
        _brief_url(brief, "share-links/"), {"agency": "DDB"}, format="json"
    )

    assert response.status_code == 201
    assert ShareLink.objects.count() == 1


def test_the_confirmation_question_is_in_spanish_for_a_spanish_client(api_for, brief, analyst):
    api = api_for(analyst)
    api.credentials(HTTP_AUTHORIZATION=api._credentials["HTTP_AUTHORIZATION"])

    response = api.post(_brief_url(brief, "share-links/"), {"agency": "DDB"}, format="json")

    assert response.status_code == 409
    assert response.json()["detail"].startswith("Ninguna imagen de este brief está elegida")
