"""What a page hands its charts, in the page's language.

static/js/charts.js formats the axis and tooltip numbers with Intl.NumberFormat in the locale
of the page's `lang` ("es" → es-CO: "1.500", "2,1 %", "COP 1.250"; tests/browser/
test_chart_locale.py reads them from Chart.js); the labels of the x axis come written from the
server, in the page's date format (yenni_site/formats).
"""

from __future__ import annotations

import re

from django.conf import settings
from django.urls import reverse

from tests.library.small_catalog import FIRST_DAY, chart_data, login


def _creative_page(client, analyst, piece, language: str):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return login(client, analyst).get(reverse("creative_detail", args=[piece.pk]))


def test_a_spanish_creative_page_hands_its_charts_colombian_day_labels(client, analyst, piece):
    response = _creative_page(client, analyst, piece, "es")

    data = chart_data(response, "creative-chart-data")
    assert re.search(r'<html lang="es"', response.content.decode())
    assert data["labels"][0] == FIRST_DAY.strftime("%d/%m/%Y")
    assert all(re.fullmatch(r"\d\d/\d\d/\d{4}", label) for label in data["labels"])
    # Figures go as plain numbers: the script formats them in the page's locale.
    assert data["impressions"][0] == 1800


def test_an_english_creative_page_hands_its_charts_iso_day_labels(client, analyst, piece):
    response = _creative_page(client, analyst, piece, "en")

    data = chart_data(response, "creative-chart-data")
    assert re.search(r'<html lang="en"', response.content.decode())
    assert data["labels"][0] == FIRST_DAY.isoformat()
