"""A marketing lead's admin lists fit a 1366 × 768 laptop: no table wider than the screen, and
the title never under the buttons beside it. A screenshot of each list is saved in a temp
folder (its path is printed).

Run alone with `pytest -m browser tests/browser/test_admin_lists_fit.py`.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from django.contrib.auth.models import Group, User

from campaigns.models import NodeMappingRule
from tests.browser.conftest import launched
from tests.browser.steps import STEP_TIMEOUT_MS, log_in
from tests.factories import make_catalog, make_exchange_rate

pytestmark = pytest.mark.browser

LAPTOP_1366 = {"width": 1366, "height": 768}
USERNAME = "lucia_lead_1366"
PASSWORD = "l3ad-pass-2026"
LISTS = {
    "node-mapping": "/admin/campaigns/nodemappingrule/",
    "rules": "/admin/campaigns/rankingrule/",
    "campaigns": "/admin/campaigns/campaign/",
    "ads": "/admin/campaigns/ad/",
    "daily-metrics": "/admin/campaigns/dailymetric/",
    "exchange-rates": "/admin/campaigns/exchangerate/",
}
# The results table's right edge, the window's width, the title's box and the object tools'.
MEASURE = """() => {
  const box = (el) => { if (!el) return null; const r = el.getBoundingClientRect();
    return {left: r.left, top: r.top, right: r.right, bottom: r.bottom}; };
  const results = document.querySelector('.results');
  return {
    table: box(document.querySelector('#result_list')),
    scroll: results ? [results.scrollWidth, results.clientWidth] : null,
    page: [document.documentElement.scrollWidth, window.innerWidth],
    title: box(document.querySelector('#content h1')),
    tools: Array.from(document.querySelectorAll('.object-tools a, .object-tools button')).map(box),
  };
}"""


def _intersect(a: dict, b: dict) -> bool:
    return not (
        a["right"] <= b["left"]
        or b["right"] <= a["left"]
        or a["bottom"] <= b["top"]
        or b["bottom"] <= a["top"]
    )


def _lead_and_long_lists() -> None:
    """A lead, and lists whose names are as long as the real ones."""
    lead = User.objects.create_user(username=USERNAME, password=PASSWORD, is_staff=True)
    lead.groups.add(Group.objects.get(name="Marketing leads"))
    catalog = make_catalog()
    for campaign in catalog.campaigns:
        campaign.name = f"CO_{campaign.name}_Tu360Compras_Conversion_Prospecting_Q3_2026_Always_On"
        campaign.objective_raw = "OUTCOME_ENGAGEMENT_CONVERSIONS"
        campaign.save()
    NodeMappingRule.objects.create(
        priority=10,
        account=catalog.accounts[0],
        campaign_name_pattern="tu360compras|t360|compras_tu360|marketplace_bancolombia",
        node=catalog.nodes[0],
        notes="Campañas del marketplace; las de Wompi se mapean por cuenta, no por nombre.",
    )
    make_exchange_rate(currency="USD", date=dt.date(2026, 3, 2), rate="4072.03")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_leads_admin_lists_fit_a_1366_pixel_laptop(
    live_server, media_storage, chromium, tmp_path: Path
):
    _lead_and_long_lists()
    found = {}

    with launched(chromium) as browser:
        context = browser.new_context(viewport=LAPTOP_1366, locale="es-CO")
        context.set_default_timeout(STEP_TIMEOUT_MS)
        page = context.new_page()
        log_in(page, live_server.url, username=USERNAME, password=PASSWORD)
        for name, path in LISTS.items():
            response = page.goto(f"{live_server.url}{path}")
            assert response is not None and response.status == 200, name
            page.screenshot(path=str(tmp_path / f"admin-1366-{name}.png"), full_page=True)
            found[name] = page.evaluate(MEASURE)
    print(f"screenshots in {tmp_path}")

    problems = []
    for name, seen in found.items():
        width = LAPTOP_1366["width"]
        if seen["page"][0] > seen["page"][1]:
            problems.append(f"{name}: page {seen['page'][0]} px wide in {seen['page'][1]}")
        if seen["table"] and seen["table"]["right"] > width:
            problems.append(f"{name}: table ends at {seen['table']['right']:.0f} px")
        if seen["scroll"] and seen["scroll"][0] > seen["scroll"][1]:
            problems.append(f"{name}: results scroll {seen['scroll'][0]} in {seen['scroll'][1]}")
        for tool in seen["tools"]:
            if seen["title"] and tool and _intersect(seen["title"], tool):
                problems.append(f"{name}: a button covers the title")
    assert not problems, json.dumps(found, indent=1) + "\n" + "\n".join(problems)
