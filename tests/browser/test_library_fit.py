"""The library page on a 1366-px laptop and a 390-px phone: 24 cards a page, nothing wider than
the screen, a page of reasonable height, and every filter's label and chosen option readable.
Screenshots are saved in a temp folder (its path is printed).

Run alone with `pytest -m browser tests/browser/test_library_fit.py`.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.browser.conftest import launched
from tests.browser.steps import STEP_TIMEOUT_MS, analyst_create, demo_history_ending_today, log_in

pytestmark = pytest.mark.browser

USERNAME = "lina_fit"
PASSWORD = "l1brary-fit-2026"
SCREENS = {"laptop": {"width": 1366, "height": 768}, "phone": {"width": 390, "height": 844}}
# Most screens of scrolling a page of 24 cards may take (it took 12 laptop screens with 48).
MAX_SCREENS = {"laptop": 7, "phone": 30}
# Each filter's label and the option it shows, measured in the select's own font.
MEASURE = """() => {
  const canvas = document.createElement('canvas').getContext('2d');
  const cut = [];
  for (const select of document.querySelectorAll('.lib-filters select')) {
    const style = getComputedStyle(select);
    canvas.font = `${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
    const option = select.options[select.selectedIndex];
    const text = option ? option.text : '';
    const room = select.clientWidth - parseFloat(style.paddingLeft) - 24;  // 24 px: the arrow
    if (canvas.measureText(text).width > room) cut.push(`${select.name}: "${text}"`);
  }
  for (const label of document.querySelectorAll('.lib-filters label')) {
    if (label.scrollWidth > label.clientWidth + 1) cut.push(`label "${label.textContent.trim()}"`);
  }
  return {
    cut,
    cards: document.querySelectorAll('[data-testid="library-card"]').length,
    widths: [document.documentElement.scrollWidth, window.innerWidth],
    height: document.documentElement.scrollHeight,
    pages: document.querySelectorAll('[data-testid="library-page"]').length,
  };
}"""


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_library_fits_a_laptop_and_a_phone_with_24_cards_a_page(
    live_server, media_storage, chromium, tmp_path: Path
):
    demo_history_ending_today()
    analyst_create(username=USERNAME, password=PASSWORD, first_name="Lina")
    found = {}

    with launched(chromium) as browser:
        for name, viewport in SCREENS.items():
            context = browser.new_context(viewport=viewport, locale="es-CO")
            context.set_default_timeout(STEP_TIMEOUT_MS)
            page = context.new_page()
            log_in(page, live_server.url, username=USERNAME, password=PASSWORD)
            response = page.goto(f"{live_server.url}/library/?sort=ctr")
            assert response is not None and response.status == 200
            page.screenshot(path=str(tmp_path / f"library-{name}.png"), full_page=True)
            found[name] = page.evaluate(MEASURE)
            context.close()
    print(f"screenshots in {tmp_path}")

    problems = []
    for name, seen in found.items():
        screens = seen["height"] / SCREENS[name]["height"]
        if seen["cards"] != 24:
            problems.append(f"{name}: {seen['cards']} cards")
        if seen["widths"][0] > seen["widths"][1]:
            problems.append(f"{name}: page {seen['widths'][0]} px wide in {seen['widths'][1]}")
        if screens > MAX_SCREENS[name]:
            problems.append(f"{name}: {seen['height']} px high, {screens:.1f} screens")
        if not seen["pages"]:
            problems.append(f"{name}: no page links")
        problems += [f"{name}: cut {cut}" for cut in seen["cut"]]
    assert not problems, json.dumps(found, indent=1) + "\n" + "\n".join(problems)
