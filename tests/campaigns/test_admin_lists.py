"""The admin's lists as a lead reads them: counts that agree, rates and money formatted."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from campaigns.admin import history
from tests.factories import make_catalog


@pytest.fixture
def catalog(db, media_storage):
    return make_catalog()


@pytest.fixture
def spanish_lead(client, lead):
    client.force_login(lead)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "es"
    return client


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_a_capped_metrics_list_says_more_than_the_cap_at_the_top_and_the_bottom(
    spanish_lead, catalog, monkeypatch
):
    monkeypatch.setattr(history.CappedCountPaginator, "CAP", 1)
    url = reverse("admin:campaigns_dailymetric_changelist")

    html = spanish_lead.get(url, {"q": catalog.ads[0].external_id}).content.decode()
    top = re.search(r'<div id="toolbar">.*?</div>\s*</form>', html, re.S)
    bottom = re.search(r'<p class="paginator">.*?</p>', html, re.S)

    assert top and bottom
    assert "Más de 1 métricas diarias" in _text(top.group()), _text(top.group())
    assert "Más de 1 métricas diarias" in _text(bottom.group())


def test_an_uncapped_list_gives_the_same_count_at_the_top_and_the_bottom(spanish_lead, catalog):
    url = reverse("admin:campaigns_dailymetric_changelist")

    html = spanish_lead.get(url, {"q": catalog.ads[0].external_id}).content.decode()
    top = _text(re.search(r'<div id="toolbar">.*?</div>\s*</form>', html, re.S).group())
    bottom = _text(re.search(r'<p class="paginator">.*?</p>', html, re.S).group())

    count = re.search(r"(\d+) métricas? diarias?", bottom).group(1)
    assert f"{count} métrica" in top, top


@pytest.mark.parametrize(
    ("rate", "spanish"),
    [
        ("4072.03000000", "4.072,03"),
        ("4500.5", "4.500,50"),
        ("0.00024557", "0,0002456"),
        ("1", "1,00"),
    ],
)
def test_an_exchange_rate_reads_with_two_decimals_or_four_significant_figures(rate, spanish):
    from decimal import Decimal

    from django.utils import translation

    from campaigns import figures

    with translation.override("es"):
        assert figures.rate(Decimal(rate)) == spanish


def test_the_exchange_rate_list_shows_rates_with_colombian_separators_not_eight_decimals(
    spanish_lead, db
):
    import datetime as dt
    from decimal import Decimal

    from campaigns.models import ExchangeRate

    ExchangeRate.objects.create(
        currency="USD", reporting_currency="COP", date=dt.date(2026, 11, 2), rate=Decimal("4072.03")
    )

    html = spanish_lead.get(reverse("admin:campaigns_exchangerate_changelist")).content.decode()

    assert "4.072,03" in _text(html)
    assert "4072,03000000" not in html
