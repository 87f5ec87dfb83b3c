"""Which of the site's two languages a page is in, for texts stored once per language.

Words and figures follow the active language on their own (gettext, campaigns.figures). What
needs this is text written in both languages ahead of time and stored side by side: a
reference's `reason_es`/`reason_en`, a ranking's `message_es`/`message_en`, a style preset's
names, a description's `text_es`. It lives here, below every app, so that each app picks those
fields the same way without importing another app's selectors.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.utils import translation
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
    with translation.override("es"):
        spanish = write()
    with translation.override("en"):
        english = write()
    return spanish, english
