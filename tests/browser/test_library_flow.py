"""An analyst browses the library, saves a piece to a board and pins the board on a brief,
in a real browser against a real server, on a small demo history.

Log in, filter the library, open a piece, see its daily charts drawn, save it to a new board
named inline, open the board from the header, use it in a brief, and find the piece pinned on
the brief page. Then the insights page of the same node and objective draws its charts, and the
creative page fits a phone's width. A screenshot is saved after each step in var/screenshots/
(not committed).

Run alone with `pytest -m browser`.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from campaigns.models import Node
from campaigns.ranking.full import full_ranking
from campaigns.ranking.selectors import node_objective_pairs
from generation.briefs import services
from generation.models import Brief
from library.models import Board
from tests.browser.conftest import launched
from tests.browser.steps import (
    Shot,
    analyst_create,
    demo_history_ending_today,
    inline_script_is_refused,
    laptop_page,
    log_in,
    page_widths,
    phone_page,
    problems_watched,
    screenshot_taker,
)

pytestmark = pytest.mark.browser

USERNAME = "lina_library"
PASSWORD = "l1brary-pass-2026"
BOARD_NAME = "Ideas para el brief"
BRIEF_TITLE = "Cobros con QR"

CHART_DRAWN = '[data-testid="{}"][data-rendered="true"]'


def _demo_history() -> tuple[int, str, str, int]:
    """A small demo history ending today; the node × objective with the most ranked pieces,
    and the image of its best piece (node id, objective, node slug, image id)."""
    demo_history_ending_today()
    rankings = [
        full_ranking(node=node, objective=objective) for node, objective in node_objective_pairs()
    ]
    best = max(rankings, key=lambda r: (r.passed, -r.node.pk))
    assert best.passed >= 6, [(r.node.slug, r.objective, r.passed) for r in rankings]
    # The weakest ranked piece: ranked, yet not among the brief's few references, so the pin
    # on the brief page can only come from the board.
    return best.node.pk, best.objective, best.node.slug, best.pieces[-1].image_id


def _analyst_with_a_brief(node_id: int, objective: str) -> Brief:
    user = analyst_create(username=USERNAME, password=PASSWORD, first_name="Lina")
    return services.brief_create(
        owner=user,
        node=Node.objects.get(pk=node_id),
        objective=objective,
        title=BRIEF_TITLE,
        description="Una tendera cobra con un código QR en el mostrador",
        audience="Tenderos de barrio",
        tone="cercano",
    )


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_an_analyst_saves_a_piece_from_the_library_to_a_board_and_pins_it_on_a_brief(
    live_server, media_storage, chromium, screenshots: Path
):
    node_id, objective, node_slug, image_id = _demo_history()
    brief = _analyst_with_a_brief(node_id, objective)
    assert not brief.references.filter(image_id=image_id).exists()
    shot = screenshot_taker(screenshots, prefix="library-")

    with launched(chromium) as browser:
        page = laptop_page(browser)
        # Uncaught errors, console errors and Content-Security-Policy violations alike.
        errors = problems_watched(page)

        log_in(page, live_server.url, username=USERNAME, password=PASSWORD)
        _open_the_piece_from_the_filtered_library(
            page, live_server.url, node_slug, objective, image_id, shot
        )
        _see_the_creative_page_charts(page, shot)
        _save_it_to_a_new_board(page, image_id, shot)
        _open_the_board_from_the_header(page, image_id, shot)
        _use_the_board_in_the_brief(page, brief.pk, image_id, shot)
        _see_the_insights_charts(page, live_server.url, node_slug, objective, shot)
        _creative_page_fits_a_phone(browser, page, f"{live_server.url}/creatives/{image_id}/", shot)
        assert errors == [], errors
        inline_script_is_refused(page, errors)

    # The browser is closed, so the ORM may run on this thread again (see `launched`).
    board = Board.objects.get(owner__username=USERNAME)
    assert board.name == BOARD_NAME
    assert list(board.items.values_list("image_id", flat=True)) == [image_id]
    assert brief.references.get(image_id=image_id).pinned is True


def _open_the_piece_from_the_filtered_library(
    page, base_url: str, node_slug: str, objective: str, image_id: int, shot: Shot
) -> None:
    """The library, filtered through its form to the node, the objective and the bottom tier
    (the piece is the weakest ranked one); open the piece from its card."""
    page.goto(f"{base_url}/library/")
    filters = page.get_by_test_id("library-filters")
    filters.locator('[name="node"]').select_option(node_slug)
    filters.locator('[name="objective"]').select_option(objective)
    filters.locator('[name="tier"]').select_option("bottom")
    page.get_by_test_id("library-apply").click()
    page.wait_for_url(re.compile(rf"node={node_slug}.*tier=bottom|tier=bottom.*node={node_slug}"))
    card = page.locator(f'[data-testid="library-card"][data-image-id="{image_id}"]')
    expect(card).to_have_count(1)
    expect(page.locator('[data-testid="library-card"]:not([data-tier="bottom"])')).to_have_count(0)
    shot(page, "01-library-filtered")
    link = card.locator(f'a[href$="/creatives/{image_id}/"]').first
    expect(
        link,
        "The library card should link to the piece's creative page "
        "(templates/library/partials/card.html)",
    ).to_be_visible()
    link.click()
    page.wait_for_url(re.compile(rf"/creatives/{image_id}/$"))


def _see_the_creative_page_charts(page, shot: Shot) -> None:
    """The creative page draws its three daily charts from the page's figures."""
    for chart in ("chart-daily", "chart-ctr", "chart-spend"):
        expect(page.locator(CHART_DRAWN.format(chart))).to_have_count(1)
    expect(page.get_by_test_id("rank-row").first).to_have_attribute("data-status", "ranked")
    shot(page, "02-creative")


def _save_it_to_a_new_board(page, image_id: int, shot: Shot) -> None:
    """Save the piece to a new board named inline; the page comes back saying so."""
    page.get_by_test_id("board-select").select_option("new")
    page.get_by_test_id("new-board-name").fill(BOARD_NAME)
    page.get_by_test_id("add-to-board").click()
    page.wait_for_url(re.compile(rf"/creatives/{image_id}/$"))
    expect(page.locator(".alert-success")).to_contain_text(BOARD_NAME)
    expect(page.get_by_test_id("board-select")).to_contain_text(f"{BOARD_NAME} ✓")
    shot(page, "03-saved")


def _open_the_board_from_the_header(page, image_id: int, shot: Shot) -> None:
    """Boards from the header, then the board's page with the one piece."""
    page.get_by_role("navigation", name=re.compile("Main navigation|Navegación")).locator(
        'a[href="/boards/"]'
    ).click()
    page.wait_for_url(re.compile(r"/boards/$"))
    page.get_by_test_id("board-card").get_by_role("link", name=BOARD_NAME).click()
    page.wait_for_url(re.compile(r"/boards/\d+/$"))
    expect(page.get_by_test_id("board-item")).to_have_count(1)
    expect(page.get_by_test_id("board-item")).to_have_attribute("data-image-id", str(image_id))
    shot(page, "04-board")


def _use_the_board_in_the_brief(page, brief_id: int, image_id: int, shot: Shot) -> None:
    """Use the board in the brief: the brief page opens with the piece pinned."""
    page.get_by_test_id("brief-select").select_option(str(brief_id))
    page.get_by_test_id("use-board").click()
    page.wait_for_url(re.compile(rf"/briefs/{brief_id}/(#references)?$"))
    pinned = page.locator(f'[data-testid="reference"][data-image-id="{image_id}"]')
    expect(pinned).to_have_count(1)
    expect(pinned).to_have_attribute("data-pinned", "true")
    shot(page, "05-brief-pinned")


def _see_the_insights_charts(page, base_url: str, node_slug: str, objective: str, shot: Shot):
    """The insights of the same node and objective draw both charts."""
    page.goto(f"{base_url}/insights/?node={node_slug}&objective={objective}")
    for chart in ("chart-histogram", "chart-monthly"):
        expect(page.locator(CHART_DRAWN.format(chart))).to_have_count(1)
    expect(page.get_by_test_id("piece").first).to_be_visible()
    shot(page, "06-insights")


def _creative_page_fits_a_phone(browser, page, creative_url: str, shot: Shot) -> None:
    """The creative page on a phone, its daily chart drawn: nothing wider than the screen."""
    phone = phone_page(browser, page, creative_url)
    expect(phone.locator(CHART_DRAWN.format("chart-daily"))).to_have_count(1)
    scroll_width, inner_width = page_widths(phone)
    shot(phone, "07-phone-creative")
    assert scroll_width <= inner_width, f"scrollWidth {scroll_width} > innerWidth {inner_width}"
