"""Branded 404, 403 and 500 pages in the visitor's language, with DEBUG off."""

from __future__ import annotations

from unittest import mock

import pytest
from django.core.exceptions import PermissionDenied
from django.db import OperationalError
from django.test import Client
from django.urls import path

from yenni_site.urls import handler500
from yenni_site.urls import urlpatterns as site_urlpatterns


def _boom(request):
    raise RuntimeError("boom")


def _forbidden(request):
    raise PermissionDenied


# This module is the URLconf of the tests below: the site's pages plus two that fail.
urlpatterns = [
    path("test-errors/boom/", _boom),
    path("test-errors/forbidden/", _forbidden),
    *site_urlpatterns,
]
__all__ = ["handler500", "urlpatterns"]

pytestmark = pytest.mark.urls(__name__)


@pytest.fixture(autouse=True)
def _debug_off(settings):
    settings.DEBUG = False


@pytest.fixture
def browser():
    """A client that gets the error page instead of the exception, as a browser would."""
    return Client(raise_request_exception=False)


def test_an_unknown_page_is_the_branded_404_in_spanish(browser, db):
    response = browser.get("/no-such-page/")

    assert response.status_code == 404
    body = response.content.decode()
    assert 'data-testid="error-404"' in body
    assert "Página no encontrada" in body
    assert "css/base.css" in body
    assert '<html lang="es">' in body
    assert "Not Found" not in body


def test_the_404_is_english_with_the_language_cookie(browser, db):
    browser.cookies["django_language"] = "en"

    response = browser.get("/no-such-page/")

    assert response.status_code == 404
    assert "Page not found" in response.content.decode()
    assert '<html lang="en">' in response.content.decode()


def test_the_404_stays_spanish_for_a_browser_that_asks_for_english(browser, db):
    # Only the site's language switch makes pages English (yenni_site.language).
    response = browser.get("/no-such-page/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")

    assert "Page not found" not in response.content.decode()
    assert '<html lang="es">' in response.content.decode()


def test_a_refused_page_is_the_branded_403(browser, analyst):
    browser.force_login(analyst)

    response = browser.get("/test-errors/forbidden/")

    assert response.status_code == 403
    body = response.content.decode()
    assert 'data-testid="error-403"' in body
    assert "Sin acceso" in body
    assert "css/base.css" in body


def test_a_failing_view_gets_the_branded_500_in_the_visitors_language(browser, db):
    spanish = browser.get("/test-errors/boom/")
    browser.cookies["django_language"] = "en"
    english = browser.get("/test-errors/boom/")

    assert spanish.status_code == english.status_code == 500
    assert 'data-testid="error-500"' in spanish.content.decode()
    assert "Algo salió mal" in spanish.content.decode()
    assert "Something went wrong" in english.content.decode()
    assert "css/base.css" in spanish.content.decode()
    assert spanish["Cache-Control"] == "private, no-store"
    assert spanish["Content-Security-Policy"].startswith("default-src 'self'")


def test_the_500_page_shows_with_the_database_unreachable(browser, db):
    unreachable = OperationalError("could not connect to server")
    with (
        mock.patch(
            "django.db.backends.base.base.BaseDatabaseWrapper.ensure_connection",
            side_effect=unreachable,
        ),
        mock.patch("django.db.backends.utils.CursorWrapper.execute", side_effect=unreachable),
    ):
        browser.cookies["django_language"] = "en"
        response = browser.get("/test-errors/boom/")

    assert response.status_code == 500
    assert "Something went wrong" in response.content.decode()


def test_the_500_view_reads_nothing_from_the_database(rf, django_assert_num_queries, db):
    from yenni_site.errors import server_error

    with django_assert_num_queries(0):
        response = server_error(rf.get("/"))

    assert response.status_code == 500
