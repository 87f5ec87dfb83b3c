"""Spanish unless the user chose English: the browser's Accept-Language does not pick the page.

The README promises Spanish by default; Django's LocaleMiddleware fell back to Accept-Language,
so the first page an English browser opened was English. Pages now follow only the language
switch (its cookie); the API keeps Accept-Language, which docs/api.md promises its clients.
"""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.urls import reverse

ENGLISH_BROWSER = "en-US,en;q=0.9"


def _lang(response) -> str:
    return re.search(r'<html lang="([^"]+)"', response.content.decode())[1]


def test_an_english_browser_gets_the_login_page_in_spanish(client, db):
    response = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE=ENGLISH_BROWSER)

    assert response.status_code == 200
    assert _lang(response) == "es"
    assert response["Content-Language"] == "es"
    assert "Iniciar sesión" in response.content.decode()
    assert "Accept-Language" not in response.get("Vary", "")


def test_an_english_browser_gets_a_signed_in_page_in_spanish(client, analyst):
    client.force_login(analyst)

    response = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE=ENGLISH_BROWSER)

    assert response.status_code == 200
    assert _lang(response) == "es"


def test_the_switch_turns_the_site_english_and_back_to_spanish(client, db):
    switched = client.post(reverse("set_language"), {"language": "en", "next": reverse("login")})
    english = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="es-CO,es;q=0.9")
    client.post(reverse("set_language"), {"language": "es", "next": reverse("login")})
    spanish = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE=ENGLISH_BROWSER)

    assert switched.status_code == 302
    assert switched.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    assert (_lang(english), english["Content-Language"]) == ("en", "en")
    assert (_lang(spanish), spanish["Content-Language"]) == ("es", "es")


@pytest.mark.parametrize("cookie", ["fr", "", "en-GB"])
def test_a_cookie_the_site_does_not_offer_reads_spanish_and_a_variant_its_language(
    client, db, cookie
):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = cookie

    response = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE=ENGLISH_BROWSER)

    assert _lang(response) == ("en" if cookie == "en-GB" else "es")


def test_the_api_still_answers_in_the_language_its_client_asks_for(client, db):
    english = client.get("/api/v1/briefs/", HTTP_ACCEPT_LANGUAGE="en")
    spanish = client.get("/api/v1/briefs/")

    assert (english.status_code, spanish.status_code) == (401, 401)
    assert english.json() == {"detail": "Authentication credentials were not provided."}
    assert spanish.json() == {"detail": "Las credenciales de autenticación no se proveyeron."}
