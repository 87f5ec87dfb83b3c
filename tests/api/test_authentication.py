"""Who the API answers: tokens, browser sessions with CSRF, JSON errors in their language."""

from __future__ import annotations

from rest_framework.test import APIClient

from tests.api.helpers import BRIEFS, _brief_url


def test_an_anonymous_request_is_told_to_send_a_token(api_for, db):
    response = api_for(None).get(BRIEFS)

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert response.json() == {"detail": "Authentication credentials were not provided."}


def test_errors_speak_spanish_by_default(db):
    response = APIClient().get(BRIEFS)

    assert response.status_code == 401
    assert response.json() == {"detail": "Las credenciales de autenticación no se proveyeron."}


def test_a_wrong_token_is_a_401(api_for, db):
    api = api_for(None)
    api.credentials(HTTP_AUTHORIZATION="Token 0123456789abcdef", HTTP_ACCEPT_LANGUAGE="en")

    response = api.get(BRIEFS)

    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid token."}


def test_a_signed_in_browser_session_works_and_needs_the_csrf_token_to_change(brief, analyst):
    api = APIClient(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="en")
    api.force_login(analyst)

    read = api.get(BRIEFS)
    change = api.post(_brief_url(brief, "rank/"))

    assert read.status_code == 200
    assert change.status_code == 403
    assert change.json()["detail"] == "CSRF Failed: CSRF cookie not set."
    assert brief.prompt_versions.count() == 1


def test_unknown_api_addresses_answer_json_404s(api_for, analyst):
    api = api_for(analyst)

    nowhere = api.get("/api/v2/briefs/")
    no_slash = api.get("/api/v1/briefs")
    not_an_id = api.get("/api/v1/briefs/first/")

    assert [r.status_code for r in (nowhere, no_slash, not_an_id)] == [404, 404, 404]
    assert nowhere.json() == {
        "detail": "No API endpoint at this address. The endpoints are listed at /api/docs/."
    }
    assert no_slash.json() == {"detail": "Addresses end with a slash: /api/v1/briefs/"}
    assert not_an_id.json()["detail"].startswith("No API endpoint at this address.")
