"""Which of the site's two languages a page is in, for texts stored once per language.

Words and figures follow the active language on their own (gettext, campaigns.figures). What
needs this is text written in both languages ahead of time and stored side by side: a
reference's `reason_es`/`reason_en`, a ranking's `message_es`/`message_en`, a style preset's
names, a description's `text_es`. It lives here, below every app, so that each app picks those
fields the same way without importing another app's selectors.

Which language a request gets is decided here too (SiteLanguageMiddleware): Spanish unless the
user chose English.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.middleware.locale import LocaleMiddleware
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.translation import get_language


def page_language() -> str:
    """Return "en" when the active language is English, else "es" (the site's default)."""
    active = get_language() or settings.LANGUAGE_CODE
    return "en" if active.startswith("en") else "es"


def in_page_language(*, es: str, en: str) -> str:
    """Return the text written for the active language."""
    return en if page_language() == "en" else es


def in_both_languages(write: Callable[[], str]) -> tuple[str, str]:
    """Return (Spanish, English): `write` called under each language, for texts stored in both."""
    return each_in_both_languages([write])[0]


def each_in_both_languages(writers: Sequence[Callable[[], str]]) -> list[tuple[str, str]]:
    """Return (Spanish, English) for each writer: every one called under each language, with
    one switch of language for all of them (a switch costs more than a short sentence)."""
    with translation.override("es"):
        spanish = [write() for write in writers]
    with translation.override("en"):
        english = [write() for write in writers]
    return list(zip(spanish, english, strict=True))


def chosen_language(request: HttpRequest) -> str:
    """Return the language the user chose with the site's switch, else the site's (Spanish).

    The switch (`/i18n/setlang/`) keeps the choice in the language cookie; a value the site
    does not offer, or none, means Spanish. Accept-Language is not read: see
    SiteLanguageMiddleware.
    """
    chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
    if chosen:
        try:
            return translation.get_supported_language_variant(chosen)
        except LookupError:
            pass
    return settings.LANGUAGE_CODE


class SiteLanguageMiddleware(LocaleMiddleware):
    """Pages in Spanish unless the user chose English; the API as its client asks.

    Django's LocaleMiddleware falls back to the browser's Accept-Language, so the first page an
    English browser opened was English although the site is Spanish by default (the README).
    Pages follow only the switch's cookie. The API keeps Django's choice, Accept-Language
    included: its clients have no switch to press, and docs/api.md promises them the header.
    """

    def process_request(self, request: HttpRequest) -> None:
        if _is_api(request):
            super().process_request(request)
            return
        translation.activate(chosen_language(request))
        request.LANGUAGE_CODE = translation.get_language()

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        if _is_api(request):
            return super().process_response(request, response)
        # The page depends on the cookie, not on Accept-Language: caches must key on that.
        patch_vary_headers(response, ("Cookie",))
        response.headers.setdefault("Content-Language", translation.get_language())
        return response


def _is_api(request: HttpRequest) -> bool:
    return request.path_info.startswith("/api/")
