"""The charts print numbers as the page's language writes them, whatever the browser's locale.

An English browser (Chromium with the en-US locale, sending Accept-Language: en-US) opens a
creative page: the page is Spanish (the site's default), so the daily chart's axis ticks and
tooltip read "1.800", not "1,800", and its days "27/10/2026". After the language switch, the same
chart reads "1,800" and "2026-10-27". The ticks and the tooltip are read from Chart.js itself.

Run alone with `pytest -m browser`.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from campaigns.models import DailyMetric
from tests.browser.conftest import launched
from tests.browser.steps import (
    LAPTOP,
    STEP_TIMEOUT_MS,
    analyst_create,
    demo_history_ending_today,
    log_in,
    problems_watched,
)

pytestmark = pytest.mark.browser

USERNAME = "carla_charts"
PASSWORD = "ch4rts-pass-2026"
DAILY = '[data-testid="chart-daily"][data-rendered="true"]'
CTR = '[data-testid="chart-ctr"][data-rendered="true"]'

# The impressions axis's tick labels, and the tooltip of the day with the most impressions.
READ_CHART = """(canvas) => {
  const chart = Chart.getChart(canvas);
  const values = chart.data.datasets[0].data;
  const busiest = values.indexOf(Math.max(...values));
  chart.tooltip.setActiveElements([{ datasetIndex: 0, index: busiest }], { x: 0, y: 0 });
  return {
    ticks: chart.scales.y.ticks.map((tick) => tick.label),
    days: chart.data.labels,
    tooltip: chart.tooltip.body.flatMap((part) => part.lines),
  };
}"""


def _busiest_image() -> int:
    """An image of the ad with the most impressions in a day: its chart's axis passes 1,000."""
    demo_history_ending_today()
    busiest = DailyMetric.objects.select_related("ad__creative").order_by("-impressions").first()
    assert busiest.impressions >= 1_000, busiest.impressions
    return busiest.ad.creative.images.order_by("pk").first().pk


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_an_english_browser_reads_the_spanish_charts_numbers_the_colombian_way(
    live_server, media_storage, chromium
):
    image_id = _busiest_image()
    analyst_create(username=USERNAME, password=PASSWORD, first_name="Carla")

    with launched(chromium) as browser:
        context = browser.new_context(viewport=LAPTOP, locale="en-US")
        context.set_default_timeout(STEP_TIMEOUT_MS)
        page = context.new_page()
        errors = problems_watched(page)
        log_in(page, live_server.url, username=USERNAME, password=PASSWORD)

        page.goto(f"{live_server.url}/creatives/{image_id}/")
        expect(page.locator(DAILY)).to_have_count(1)
        spanish = page.locator(DAILY).evaluate(READ_CHART)
        lang = page.evaluate("document.documentElement.lang")
        expect(page.locator(CTR)).to_have_count(1)
        ctr_series = page.locator(CTR).evaluate(
            "(canvas) => Chart.getChart(canvas).data.datasets.map((set) => set.label)"
        )

        page.get_by_role("button", name="EN").click()
        expect(page.locator("html")).to_have_attribute("lang", "en")
        expect(page.locator(DAILY)).to_have_count(1)
        english = page.locator(DAILY).evaluate(READ_CHART)
        assert errors == [], errors

    assert lang == "es"
    # Every series named in Spanish, the band's lower edge included (it read "… (low)").
    band = "Intervalo al 95 % de confianza"
    assert ctr_series == [band, band, "CTR (%)"]
    grouped = [t for t in spanish["ticks"] if re.fullmatch(r"\d{1,3}(\.\d{3})+", t)]
    assert grouped, spanish["ticks"]
    assert not any("," in t for t in spanish["ticks"]), spanish["ticks"]
    assert all(re.fullmatch(r"\d\d/\d\d/\d{4}", day) for day in spanish["days"])
    assert re.fullmatch(r"Impresiones: \d{1,3}(\.\d{3})+", spanish["tooltip"][0]), spanish
    assert [t.replace(".", ",") for t in spanish["ticks"]] == english["ticks"]
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\d", day) for day in english["days"])
    assert english["tooltip"][0] == spanish["tooltip"][0].replace(".", ",").replace(
        "Impresiones", "Impressions"
    )
