"""An analyst's whole brief, in a real browser against a real server, on the demo history.

Log in, open a brief, see references and a prompt, generate four images with the tiny SDXL
model, pick two, share them with an agency, watch the agency see exactly those two, revoke the
link, and watch the agency's page turn into the 410 "link gone" page. A screenshot is saved after
each step in var/screenshots/ (not committed) to look at when a step fails.

Run alone with `pytest -m browser`.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from campaigns.ranking.selectors import brief_ranking, node_objective_pairs
from generation.models import Brief, GeneratedImage, ShareLink
from tests.browser import conftest as browser_conftest
from tests.browser.conftest import launched
from tests.browser.steps import (
    Shot,
    analyst_create,
    demo_history_ending_today,
    laptop_page,
    log_in,
    page_widths,
    phone_page,
    problems_watched,
    screenshot_taker,
)

pytestmark = pytest.mark.browser

USERNAME = "bianca_browser"
PASSWORD = "br0wser-pass-2026"
AGENCY = "Agencia Creativa Medellín"
# Four 64×64 images in two steps take about a second; loading the pipeline takes a few more.
GENERATE_TIMEOUT_MS = 45_000
SEED = 4242

GENERATED = '[data-testid="generated-image"]'
SHARED = '[data-testid="shared-image"]'
# Every <img> in the page has finished loading and decoded to real pixels (a broken image has
# naturalWidth 0), so the images are really served, not just listed.
IMAGES_LOADED = """(selector) => [...document.querySelectorAll(selector)].every((el) => {
    const imgs = el.tagName === "IMG" ? [el] : [...el.querySelectorAll("img")];
    return imgs.length > 0 && imgs.every((img) => img.complete && img.naturalWidth > 0);
})"""
# The outermost elements that push the page past the right edge, to name the culprit on a
# failure. A box that scrolls or clips (a table in .table-wrap) holds its content in, except
# an absolutely placed element whose containing block lies outside that box: it escapes.
OVERFLOWING = """() => {
    const edge = window.innerWidth + 1;
    const held = (el) => {
        const position = getComputedStyle(el).position;
        let up = position === "absolute" ? el.offsetParent : el.parentElement;
        for (; up && up !== document.body; up = up.parentElement) {
            if (getComputedStyle(up).overflowX !== "visible") return true;
        }
        return position === "fixed";
    };
    const wide = [...document.querySelectorAll("body *")].filter(
        (el) => el.getBoundingClientRect().right > edge && !held(el)
    );
    return wide
        .filter((el) => !wide.includes(el.parentElement))
        .slice(0, 8)
        .map((el) => {
            const box = el.parentElement.closest("[class]");
            return `<${el.tagName.toLowerCase()} class="${el.className}"> inside `
                + `<${box.tagName.toLowerCase()} class="${box.className}">, right edge at `
                + Math.round(el.getBoundingClientRect().right);
        });
}"""


def _demo_history() -> tuple[int, str, int]:
    """A small demo history ending today; the node × objective with the most ranked pieces."""
    demo_history_ending_today()
    counted = [
        (len(brief_ranking(node=node, objective=objective).references), node.pk, objective)
        for node, objective in node_objective_pairs()
    ]
    references, node_id, objective = max(counted)
    assert references >= 1, counted
    return node_id, objective, references


def _ids_in(page, selector: str) -> list[int]:
    """The generated-image ids that the elements matching selector show.

    From data-image-id when the element has one, else from its image's address
    (…/images/<id>/ on the share page, …/generated/<id>/file/ on the brief page).
    """
    ids = []
    for element in page.locator(selector).all():
        value = element.get_attribute("data-image-id")
        if value is None:
            src = element.get_attribute("src") or element.locator("img").first.get_attribute("src")
            match = re.search(r"/(?:images|generated)/(\d+)/", src or "")
            assert match, f"no image id on {element.evaluate('e => e.outerHTML')}"
            value = match.group(1)
        ids.append(int(value))
    return ids


# The live server answers from its own thread, so the data must be committed: a transactional
# test. serialized_rollback reloads what the migrations wrote (groups, ranking rules, brand
# guidelines, style presets) in case an earlier transactional test flushed it away.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_an_analyst_briefs_generates_picks_shares_and_revokes_in_a_real_browser(
    chromium, live_server, media_storage, tiny_image_model, screenshots: Path
):
    node_id, objective, ranked = _demo_history()
    analyst_create(username=USERNAME, password=PASSWORD, first_name="Bianca")
    shot = screenshot_taker(screenshots)

    with launched(chromium) as browser:
        page = laptop_page(browser)
        # Revoking may ask "are you sure?" in a confirm() dialog: the analyst says yes.
        page.on("dialog", lambda dialog: dialog.accept())
        # Uncaught errors, console errors and Content-Security-Policy violations alike.
        problems = problems_watched(page)

        log_in(page, live_server.url, username=USERNAME, password=PASSWORD, shot=shot)
        brief_url = _create_brief(page, node_id, objective, shot)
        _see_references_and_a_prompt(page, ranked, shot)
        _generate_four_images(page, shot)
        picked = _pick_the_first_two(page, shot)
        share_url = _share_with_an_agency(page, live_server.url, shot)
        agency_page = _agency_sees_the_picked_images(browser, share_url, picked, shot)
        _revoke_and_agency_sees_link_gone(page, agency_page, shot)
        _brief_fits_a_phone(browser, page, brief_url, shot)
        assert problems == [], problems

    # The browser is closed, so the ORM may run on this thread again (see `launched`).
    brief = Brief.objects.get()
    assert brief_url.endswith(f"/briefs/{brief.pk}/")
    assert (brief.node_id, brief.objective) == (node_id, objective)
    assert sorted(
        GeneratedImage.objects.filter(batch__brief=brief, picked=True).values_list("pk", flat=True)
    ) == sorted(picked)
    link = ShareLink.objects.get(brief=brief)
    assert (link.agency, link.is_revoked, link.view_count) == (AGENCY, True, 1)


def _create_brief(page, node_id: int, objective: str, shot: Shot) -> str:
    """From home to the new-brief form, filled for a node and objective the demo history has
    ranked pieces for, and submitted; the new brief's address."""
    shot(page, "02-home")
    page.get_by_test_id("new-brief").click()
    page.wait_for_url(re.compile(r"/briefs/new/$"))
    page.select_option('[name="node"]', value=str(node_id))
    page.select_option('[name="objective"]', value=objective)
    page.fill('[name="title"]', "Pagos con el celular")
    page.fill(
        '[name="description"]',
        "Una emprendedora recibe pagos con el celular en su tienda, con el logo del banco",
    )
    page.fill('[name="audience"]', "Emprendedores jóvenes")
    page.fill('[name="tone"]', "cercano y alegre")
    page.fill('[name="image_count"]', "4")
    page.locator("details.advanced > summary").click()  # the seed is under "Advanced"
    page.fill('[name="seed"]', str(SEED))
    shot(page, "03-new-brief")
    page.get_by_test_id("create-brief").click()
    page.wait_for_url(re.compile(r"/briefs/\d+/$"))
    return page.url


def _see_references_and_a_prompt(page, ranked: int, shot: Shot) -> None:
    """The brief page shows the ranked references from the history and a written prompt."""
    references = page.get_by_test_id("reference")
    expect(references.first).to_be_visible()
    expect(references).to_have_count(ranked)
    assert page.locator('textarea[name="positive"]').input_value().strip() != ""
    shot(page, "04-brief")


def _generate_four_images(page, shot: Shot) -> None:
    """Four images from the tiny model, the job marked succeeded, every image served."""
    page.get_by_test_id("generate").click()
    batch = page.get_by_test_id("batch")
    expect(batch).to_have_count(1, timeout=GENERATE_TIMEOUT_MS)
    expect(batch.get_by_test_id("job-status")).to_have_attribute(
        "data-status", "succeeded", timeout=GENERATE_TIMEOUT_MS
    )
    expect(batch.locator(GENERATED)).to_have_count(4, timeout=GENERATE_TIMEOUT_MS)
    page.wait_for_function(IMAGES_LOADED, arg=GENERATED)
    shot(page, "05-generated")


def _pick_the_first_two(page, shot: Shot) -> list[int]:
    """Pick the first two images; each shows data-picked="true" once the server has it."""
    picked = _ids_in(page, GENERATED)[:2]
    for image_id in picked:
        image = page.locator(f'{GENERATED}[data-image-id="{image_id}"]')
        expect(image).to_have_attribute("data-picked", "false")
        image.get_by_test_id("pick").click()
        expect(page.locator(f'{GENERATED}[data-image-id="{image_id}"]')).to_have_attribute(
            "data-picked", "true"
        )
    shot(page, "06-picked")
    return picked


def _share_with_an_agency(page, base_url: str, shot: Shot) -> str:
    """Share the picks with an agency; the new link's address."""
    page.fill('[name="agency"]', AGENCY)
    page.get_by_test_id("create-share").click()
    share_url = page.get_by_test_id("share-url").input_value()
    assert share_url.startswith(f"{base_url}/s/"), share_url
    expect(page.get_by_test_id("share-row")).to_have_count(1)
    shot(page, "07-shared")
    return share_url


def _agency_sees_the_picked_images(browser, share_url: str, picked: list[int], shot: Shot):
    """The agency, not signed in, sees exactly the picked images; its page."""
    agency_page = laptop_page(browser)
    problems = problems_watched(agency_page)
    response = agency_page.goto(share_url)
    assert response is not None and response.status == 200
    expect(agency_page.locator(SHARED)).to_have_count(2)
    assert sorted(_ids_in(agency_page, SHARED)) == sorted(picked)
    agency_page.wait_for_function(IMAGES_LOADED, arg=SHARED)
    assert problems == [], problems
    shot(agency_page, "08-agency-page")
    return agency_page


def _revoke_and_agency_sees_link_gone(page, agency_page, shot: Shot) -> None:
    """The analyst revokes the link; the agency's reload answers 410 with the gone page."""
    revoke = page.get_by_test_id("share-row").get_by_test_id("revoke")
    with page.expect_response(lambda answer: "/revoke/" in answer.url) as revoked:
        revoke.click()
    assert revoked.value.ok or revoked.value.status == 302, revoked.value.status
    # A revoked link has nothing left to revoke.
    expect(page.get_by_test_id("share-row").get_by_test_id("revoke")).to_have_count(0)
    shot(page, "09-revoked")
    response = agency_page.reload()
    assert response is not None and response.status == 410
    expect(agency_page.get_by_test_id("link-gone")).to_be_visible()
    expect(agency_page.locator(SHARED)).to_have_count(0)
    shot(agency_page, "10-agency-link-gone")


def _brief_fits_a_phone(browser, page, brief_url: str, shot: Shot) -> None:
    """The brief page on a phone, with its four images: nothing wider than the screen."""
    phone = phone_page(browser, page, brief_url)
    expect(phone.locator(GENERATED)).to_have_count(4)
    scroll_width, inner_width = page_widths(phone)
    shot(phone, "11-phone-brief")
    assert scroll_width <= inner_width, (
        f"scrollWidth {scroll_width} > innerWidth {inner_width}; too wide: "
        f"{phone.evaluate(OVERFLOWING)}"
    )


def test_without_chromium_the_browser_test_fails_in_ci(monkeypatch, tmp_path):
    monkeypatch.setattr(browser_conftest, "CHROMIUM", tmp_path / "chromium")
    monkeypatch.setenv("CI", "true")

    with pytest.raises(pytest.fail.Exception, match="apt-get install -y chromium"):
        browser_conftest._chromium_or_skip()


def test_without_chromium_the_browser_test_is_skipped_outside_ci(monkeypatch, tmp_path):
    monkeypatch.setattr(browser_conftest, "CHROMIUM", tmp_path / "chromium")
    monkeypatch.delenv("CI", raising=False)

    with pytest.raises(pytest.skip.Exception, match="apt-get install -y chromium"):
        browser_conftest._chromium_or_skip()


def test_a_chromium_that_is_not_executable_counts_as_missing(monkeypatch, tmp_path):
    (tmp_path / "chromium").write_text("not a browser")
    monkeypatch.setattr(browser_conftest, "CHROMIUM", tmp_path / "chromium")
    monkeypatch.setenv("CI", "true")

    with pytest.raises(pytest.fail.Exception):
        browser_conftest._chromium_or_skip()
