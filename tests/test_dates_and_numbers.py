"""Dates and numbers as Colombia writes them on Spanish pages ("6 dic 2026", "1.500", "2,2 %"),
and as English writes them on English pages ("6 Dec 2026", "1,500", "2.2 %").

yenni_site/formats/es and /en hold the formats; pages print dates through the named formats
(DATE_FORMAT, DATETIME_FORMAT, YEAR_MONTH_FORMAT, SHORT_DATE_FORMAT), so one place decides.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import formats, translation

from campaigns.models import ExchangeRate
from generation.models import ShareLink
from generation.sharing import pack
from generation.sharing.selectors import shared_brief
from tests.web.share.helpers import _batch, _brief, _catalog, _share

BOGOTA = ZoneInfo("America/Bogota")


def _text(html: str) -> str:
    """The visible text of a page, on one line."""
    body = html.split("<body", 1)[-1]
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", body, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body))


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("es", ["6 dic 2026", "6 dic 2026, 14:05", "dic 2026", "06/12/2026"]),
        ("en", ["6 Dec 2026", "6 Dec 2026, 14:05", "Dec 2026", "2026-12-06"]),
    ],
)
def test_the_named_date_formats_read_as_each_language_writes_them(language, expected):
    moment = dt.datetime(2026, 12, 6, 14, 5)
    with translation.override(language):
        written = [
            formats.date_format(moment, name)
            for name in ("DATE_FORMAT", "DATETIME_FORMAT", "YEAR_MONTH_FORMAT", "SHORT_DATE_FORMAT")
        ]

    assert written == expected


def test_spanish_numbers_group_with_a_point_and_decimals_with_a_comma():
    with translation.override("es"):
        assert formats.number_format(Decimal("1234567.5"), 1, force_grouping=True) == (
            "1.234.567,5"
        )
    with translation.override("en"):
        assert formats.number_format(Decimal("1234567.5"), 1, force_grouping=True) == (
            "1,234,567.5"
        )


# --- pages --------------------------------------------------------------------------------


@pytest.fixture
def shared(db, media_storage, analyst):
    """A shared brief whose link expires on a known day."""
    _catalog()
    brief = _brief(analyst)
    _batch(brief, seed=1000, picked=(1,))
    link, token = _share(brief, show_figures=True)
    ShareLink.objects.filter(pk=link.pk).update(
        expires_at=dt.datetime(2027, 1, 6, 12, 0, tzinfo=BOGOTA)
    )
    link.refresh_from_db()
    return link, token


@pytest.mark.parametrize(
    ("language", "sentence"),
    [
        ("es", "Este enlace funciona hasta el 6 ene 2027."),
        ("en", "This link works until 6 Jan 2027."),
    ],
)
def test_the_share_page_writes_its_expiry_date_in_the_pages_language(
    client, shared, language, sentence
):
    _link, token = shared

    response = client.get(reverse("share_page", args=[token]), {"lang": language})

    assert sentence in _text(response.content.decode())


@pytest.mark.parametrize(("language", "placeholder"), [("es", "dd/mm/aaaa"), ("en", "yyyy-mm-dd")])
def test_the_library_date_filter_is_a_box_in_the_pages_date_order(
    client, analyst, language, placeholder
):
    # Not <input type="date">: Chromium lays that out in its own interface language, not the
    # page's: 1 May read "05/01/2026" on a Spanish page.
    client.force_login(analyst)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language

    html = client.get(reverse("library")).content.decode()

    for name in ("date_from", "date_to"):
        box = re.search(rf'<input [^>]*name="{name}"[^>]*>', html)[0]
        assert 'type="text"' in box
        assert f'placeholder="{placeholder}"' in box
    assert 'type="date"' not in html


def test_a_date_typed_the_colombian_way_filters_the_library(client, analyst):
    client.force_login(analyst)

    response = client.get(reverse("library"), {"date_from": "01/05/2026", "date_to": "31/05/2026"})

    form = response.context["form"]
    assert form.is_valid(), form.errors
    assert (form.cleaned_data["date_from"], form.cleaned_data["date_to"]) == (
        dt.date(2026, 5, 1),
        dt.date(2026, 5, 31),
    )
    # Shown back as typed: the box is the one the user typed into.
    assert 'name="date_to" value="31/05/2026"' in response.content.decode()


def test_the_spanish_admin_shows_and_takes_dates_as_dd_mm_yyyy(client, lead):
    client.force_login(lead)
    rate = ExchangeRate.objects.create(currency="USD", date=dt.date(2026, 12, 6), rate=4000)
    add = reverse("admin:campaigns_exchangerate_add")

    shown = client.get(reverse("admin:campaigns_exchangerate_change", args=[rate.pk]))
    saved = client.post(
        add, {"currency": "EUR", "reporting_currency": "COP", "date": "07/12/2026", "rate": "4500"}
    )
    refused = client.post(
        add, {"currency": "EUR", "reporting_currency": "COP", "date": "12/31/2026", "rate": "1"}
    )

    assert 'name="date" value="06/12/2026"' in shown.content.decode()
    assert saved.status_code == 302
    assert ExchangeRate.objects.get(currency="EUR").date == dt.date(2026, 12, 7)
    assert refused.status_code == 200
    assert "date" in refused.context["adminform"].form.errors


# --- the ZIP's brief.html -------------------------------------------------------------------


def _brief_html(link, language: str) -> str:
    with translation.override(language):
        plan = pack.pack_plan(
            shared_brief(link), generated_at=dt.datetime(2026, 12, 6, 14, 5, tzinfo=BOGOTA)
        )
        data = b"".join(pack.pack_stream(plan))
    return _text(zipfile.ZipFile(io.BytesIO(data)).read("brief.html").decode())


def test_the_spanish_packs_brief_page_writes_numbers_and_dates_the_colombian_way(shared):
    link, _token = shared

    page = _brief_html(link, "es")

    assert "Impresiones 20.000" in page
    # The piece's own CTR first, then the estimate labelled as such (issue 15 item 4).
    assert (
        "CTR 2,2 % (450 clics / 20 mil impresiones) en 5 días; estimado 2,2 % (2,1–2,4 %)" in page
    )
    assert "Paquete generado el 6 dic 2026, 14:05." in page
    assert "20,000" not in page and "2.2 %" not in page


def test_the_english_packs_brief_page_writes_numbers_and_dates_the_english_way(shared):
    link, _token = shared

    page = _brief_html(link, "en")

    assert "Impressions 20,000" in page
    assert (
        "CTR 2.2 % (450 clicks / 20k impressions) over 5 days; estimate 2.2 % (2.1–2.4 %)" in page
    )
    assert "Pack made on 6 Dec 2026, 14:05." in page


def test_an_english_library_refuses_a_day_it_could_misread(client, analyst):
    # 05/01/2026 is 5 January in Colombia and May 1st in the US: English pages take ISO only.
    client.force_login(analyst)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    response = client.get(reverse("library"), {"date_from": "05/01/2026"})

    form = response.context["form"]
    assert form.errors == {"date_from": ["Enter a valid date."]}
    assert "date_from" not in form.cleaned_data
