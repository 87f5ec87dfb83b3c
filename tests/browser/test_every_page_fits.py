"""Every page a user or a lead opens, in Spanish, on a 1366-px laptop and a 390-px phone: a
full-page screenshot of each, and none wider than the window.

The screenshots stay in var/screenshots/every_page/<page>-<width>.png (ignored by git) to look
at. A page fails when its document is wider than the window (the whole page scrolls sideways)
or when a visible element sticks out past the right edge; the failure names the page, the
width and the element. A box that scrolls on its own (a wide table in .table-wrap, the admin's
results) holds its content in: sliding a table inside its box is fine, the page sliding is not.
Each page must also answer its status, show what it is for (so no screenshot is of a login
redirect), be in Spanish, and log no console error or Content-Security-Policy violation.

Run alone with
`CI=true .venv/bin/python -m pytest -q -m browser tests/browser/test_every_page_fits.py`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import Group, User

from campaigns.models import (
    Ad,
    Campaign,
    DailyMetric,
    ExchangeRate,
    NodeMappingRule,
    RankingRule,
)
from campaigns.ranking.selectors import brief_ranking, node_objective_pairs
from creatives.models import CreativeImage
from generation.briefs import services as brief_services
from generation.models import BrandGuideline, StylePreset
from generation.sharing.links import share_link_create, share_link_revoke
from library.boards import board_add, board_create
from tests.browser.conftest import launched
from tests.browser.steps import (
    STEP_TIMEOUT_MS,
    analyst_create,
    demo_history_ending_today,
    problems_watched,
)
from tests.web.briefs.helpers import _batch

pytestmark = pytest.mark.browser

WIDTHS = {1366: {"width": 1366, "height": 768}, 390: {"width": 390, "height": 844}}
PASSWORD = "every-page-2026"
LOCKED_USERNAME = "ana_sin_clave"

# The document's width against the window's, the page's language, and the outermost visible
# elements whose right edge passes the window's (with a CSS path to find them). An element is
# held in when a box between it and the body scrolls or clips (overflow-x other than visible),
# or when it is fixed to the window; an absolutely placed element is held by its containing
# block's ancestors only, as it escapes the boxes in between.
MEASURE = """() => {
  const root = document.documentElement;
  const edge = root.clientWidth + 1;
  const held = (el) => {
    const position = getComputedStyle(el).position;
    if (position === "fixed") return true;
    let up = position === "absolute" ? el.offsetParent : el.parentElement;
    for (; up && up !== document.body && up !== root; up = up.parentElement) {
      if (getComputedStyle(up).overflowX !== "visible") return true;
    }
    return false;
  };
  const visible = (el) => {
    const box = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    return box.width > 0 && box.height > 0 && style.visibility !== "hidden";
  };
  const name = (el) => {
    let part = el.tagName.toLowerCase();
    if (el.id) return `${part}#${el.id}`;
    const classes = [...el.classList].slice(0, 3);
    if (classes.length) part += "." + classes.join(".");
    return part;
  };
  const path = (el) => {
    const parts = [];
    for (let up = el; up && up !== document.body && parts.length < 4; up = up.parentElement) {
      parts.unshift(name(up));
      if (up.id) break;
    }
    return parts.join(" > ");
  };
  const wide = [...document.querySelectorAll("body *")].filter(
    (el) => el.getBoundingClientRect().right > edge && visible(el) && !held(el)
  );
  const sticking = wide
    .filter((el) => !wide.includes(el.parentElement))
    .map((el) => `${path(el)} (right edge ${Math.round(el.getBoundingClientRect().right)})`);
  // Text that runs out of its box (a long name with no spaces) leaves the box inside the
  // window: the text's own box is measured, and its element named.
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const range = document.createRange();
  for (let text = walker.nextNode(); text; text = walker.nextNode()) {
    const parent = text.parentElement;
    if (!text.textContent.trim() || !parent || wide.includes(parent)) continue;
    range.selectNodeContents(text);
    const right = range.getBoundingClientRect().right;
    // A box that clips its own text (a visually-hidden label) holds it in too.
    const clips = getComputedStyle(parent).overflowX !== "visible";
    if (right > edge && visible(parent) && !clips && !held(parent)) {
      sticking.push(`text of ${path(parent)} (right edge ${Math.round(right)})`);
    }
  }
  return {
    scroll: root.scrollWidth,
    client: root.clientWidth,
    lang: root.lang,
    sticking: sticking.slice(0, 6),
  };
}"""


# Lazy images below the fold never load in a full-page screenshot (it does not scroll): load
# them all, and wait until every image has loaded or failed.
LOAD_IMAGES = """() => {
  for (const img of document.querySelectorAll('img[loading="lazy"]')) img.loading = "eager";
}"""
IMAGES_SETTLED = "() => [...document.images].every((img) => img.complete)"


@dataclass(frozen=True)
class Visit:
    """A page to open: its screenshot name, address, the status it answers, and who opens it."""

    name: str
    path: str
    status: int = 200
    who: str = "analyst"
    # What the page must show, so a screenshot is of the page meant (data-testid values, or
    # CSS selectors when they start with "#" or hold a bracket).
    shows: tuple[str, ...] = ()


@dataclass
class Cast:
    """The users and the ids the pages need, written before the browser starts."""

    visits: list[Visit]
    users: dict[str, str]  # who → username ("" for the anonymous visitor)


def _user(username: str, *, group: str | None = None, staff: bool = False) -> User:
    user = User.objects.create_user(
        username=username, password=PASSWORD, first_name=username.split("_")[0].title()
    )
    user.is_staff = staff
    user.save(update_fields=["is_staff"])
    if group:
        user.groups.add(Group.objects.get(name=group))
    return user


def _everything() -> Cast:
    """The demo history, a brief with references, a prompt and picked images, two share links
    (one revoked), a board, and the users who open each page."""
    demo_history_ending_today()
    analyst = analyst_create(username="valentina_pages", password=PASSWORD, first_name="Valentina")
    _user("lucia_lead_pages", group="Marketing leads", staff=True)
    _user("otto_no_group_pages")
    # Staff with no permission: the admin refuses every list with the site's own 403 page.
    _user("sara_staff_pages", staff=True)
    # Brand guidelines and style presets are kept by a superuser (leads have no rights on them).
    User.objects.create_superuser(username="admin_pages", password=PASSWORD)

    counted = [
        (len(brief_ranking(node=node, objective=objective).references), node, objective)
        for node, objective in node_objective_pairs()
    ]
    ranked, node, objective = max(counted, key=lambda row: row[0])
    assert ranked >= 1, counted
    brief = brief_services.brief_create(
        owner=analyst,
        node=node,
        objective=objective,
        title="Pagos con el celular para emprendedoras de barrio en Medellín y Bogotá",
        description="Una emprendedora recibe pagos con el celular en su tienda, con el logo",
        audience="Emprendedores jóvenes",
        tone="cercano y alegre",
    )
    assert brief.references.exists() and brief.prompt_versions.exists()
    batch = _batch(brief, images=4)
    for image in list(batch.images.order_by("index"))[:2]:
        brief_services.generated_image_pick(image, picked=True)
    _, share_token = share_link_create(
        brief=brief, agency="Agencia Creativa Medellín", days=7, created_by=analyst
    )
    gone, gone_token = share_link_create(
        brief=brief, agency="Agencia Revocada", days=7, created_by=analyst
    )
    share_link_revoke(gone)

    image = CreativeImage.objects.order_by("pk").first()
    board = board_create(owner=analyst, name="Ideas de Navidad para pagos con QR")
    for piece in CreativeImage.objects.order_by("pk")[:3]:
        board_add(board, image_id=piece.pk, note="Buen contraste")

    campaign = Campaign.objects.order_by("pk").first()
    mapping = NodeMappingRule.objects.order_by("pk").first() or NodeMappingRule.objects.create(
        priority=10,
        account=campaign.account,
        campaign_name_pattern="tu360compras|t360|compras_tu360|marketplace_bancolombia",
        node=node,
        notes="Campañas del marketplace; las de Wompi se mapean por cuenta, no por nombre.",
    )
    ids = {
        "rankingrule": RankingRule.objects.order_by("pk").first().pk,
        "nodemappingrule": mapping.pk,
        "campaign": campaign.pk,
        "ad": Ad.objects.order_by("pk").first().pk,
        "dailymetric": DailyMetric.objects.order_by("pk").first().pk,
        "exchangerate": ExchangeRate.objects.order_by("pk").first().pk,
    }
    generation_ids = {
        "brandguideline": BrandGuideline.objects.order_by("pk").first().pk,
        "stylepreset": StylePreset.objects.order_by("pk").first().pk,
    }

    visits = [
        Visit("login", "/accounts/login/", who="anonymous", shows=("input[name=password]",)),
        Visit("share", f"/s/{share_token}/", who="anonymous", shows=("shared-image",)),
        Visit("share-gone", f"/s/{gone_token}/", status=410, who="anonymous", shows=("link-gone",)),
        Visit("share-not-found", "/s/no-existe-este-enlace/", status=404, who="anonymous"),
        Visit("home", "/", shows=("brief-card",)),
        Visit("brief-new", "/briefs/new/", shows=("create-brief",)),
        Visit(
            "brief-detail",
            f"/briefs/{brief.pk}/",
            shows=("reference", "textarea[name=positive]", "generated-image", "share-row"),
        ),
        Visit("library", "/library/", shows=("library-card",)),
        Visit("similar", f"/library/{image.pk}/similar/", shows=("library-card",)),
        # /creatives/<pk>/ takes an image id (a Creative id matched it only on a fresh database).
        Visit("creative", f"/creatives/{image.pk}/", shows=("creative", "chart-daily")),
        Visit("insights", "/insights/", shows=("chart-monthly",)),
        Visit("boards", "/boards/", shows=("board-card",)),
        Visit("board-detail", f"/boards/{board.pk}/", shows=("board-item",)),
        Visit("not-found", "/no-existe-esta-pagina/", status=404, shows=("error-404",)),
        Visit("home-no-group", "/", who="outsider", shows=("no-brief-access",)),
        Visit("library-no-access", "/library/", status=403, who="outsider", shows=("no-access",)),
        Visit("briefs-no-access", "/briefs/new/", status=403, who="outsider", shows=("no-access",)),
        Visit(
            "forbidden",
            "/admin/campaigns/rankingrule/",
            status=403,
            who="staff",
            shows=("error-403",),
        ),
        Visit("brief-detail-lead", f"/briefs/{brief.pk}/", who="lead", shows=("read-only-banner",)),
        Visit("admin-index", "/admin/", who="lead", shows=("#content-main",)),
    ]
    for model, pk in ids.items():
        visits.append(
            Visit(
                f"admin-{model}-list",
                f"/admin/campaigns/{model}/",
                who="lead",
                shows=("#result_list",),
            )
        )
        visits.append(
            Visit(
                f"admin-{model}-form",
                f"/admin/campaigns/{model}/{pk}/change/",
                who="lead",
                shows=("#content-main form",),
            )
        )
    for model, pk in generation_ids.items():
        visits.append(
            Visit(
                f"admin-{model}-list",
                f"/admin/generation/{model}/",
                who="admin",
                shows=("#result_list",),
            )
        )
        visits.append(
            Visit(
                f"admin-{model}-form",
                f"/admin/generation/{model}/{pk}/change/",
                who="admin",
                shows=("#content-main form",),
            )
        )
    users = {
        "anonymous": "",
        "analyst": "valentina_pages",
        "outsider": "otto_no_group_pages",
        "staff": "sara_staff_pages",
        "lead": "lucia_lead_pages",
        "admin": "admin_pages",
    }
    return Cast(visits=visits, users=users)


def _signed_in(browser, base_url: str, username: str):
    """A page in a Spanish (Colombia) context, signed in as username unless it is empty, and
    the list its console errors and Content-Security-Policy violations go to."""
    context = browser.new_context(viewport=WIDTHS[1366], locale="es-CO")
    context.set_default_timeout(STEP_TIMEOUT_MS)
    page = context.new_page()
    problems = problems_watched(page)
    if username:
        page.goto(f"{base_url}/accounts/login/")
        page.fill('input[name="username"]', username)
        page.fill('input[name="password"]', PASSWORD)
        page.locator('form:has(input[name="password"]) button[type="submit"]').click()
        page.wait_for_url(f"{base_url}/")
    return page, problems


def _selector(wanted: str) -> str:
    """A data-testid value as its selector; a CSS selector as it is."""
    return wanted if wanted.startswith("#") or "[" in wanted else f'[data-testid="{wanted}"]'


def _locked_out(page, base_url: str) -> int:
    """Fail the login until it locks; the last answer's status (429 once locked)."""
    status = 0
    for _ in range(settings.AXES_FAILURE_LIMIT + 1):
        page.goto(f"{base_url}/accounts/login/")
        page.fill('input[name="username"]', LOCKED_USERNAME)
        page.fill('input[name="password"]', "not-the-password")
        with page.expect_response(lambda answer: answer.request.method == "POST") as answer:
            page.locator('form:has(input[name="password"]) button[type="submit"]').click()
        page.wait_for_load_state()
        status = answer.value.status
        if status == 429:
            break
    return status


# The live server answers from its own thread, so the data must be committed: a transactional
# test. serialized_rollback reloads what the migrations wrote (groups, ranking rules, brand
# guidelines, style presets) in case an earlier transactional test flushed it away.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_every_page_fits_a_1366_laptop_and_a_390_phone_in_spanish(
    chromium, live_server, media_storage, screenshots: Path
):
    cast = _everything()
    folder = screenshots / "every_page"
    folder.mkdir(parents=True, exist_ok=True)
    base = live_server.url
    found: dict[str, dict] = {}
    wrong_status: list[str] = []
    errors: list[str] = []
    missing: list[str] = []

    with launched(chromium) as browser:
        for who, username in cast.users.items():
            page, console = _signed_in(browser, base, username)
            visits = [visit for visit in cast.visits if visit.who == who]
            for width, viewport in WIDTHS.items():
                page.set_viewport_size(viewport)
                for visit in visits:
                    before = len(console)
                    response = page.goto(f"{base}{visit.path}")
                    status = response.status if response else 0
                    if status != visit.status or not page.url.endswith(visit.path):
                        wrong_status.append(f"{visit.name}: {status} at {page.url}")
                    page.wait_for_load_state("load")
                    missing += [
                        f"{visit.name}-{width}: nothing matches {wanted}"
                        for wanted in visit.shows
                        if not page.locator(_selector(wanted)).count()
                    ]
                    page.evaluate(LOAD_IMAGES)
                    page.wait_for_function(IMAGES_SETTLED)
                    page.screenshot(path=str(folder / f"{visit.name}-{width}.png"), full_page=True)
                    found[f"{visit.name}-{width}"] = page.evaluate(MEASURE)
                    # The page's own refusal (a 403, 404 or 410) is logged as a failed load.
                    refused = f"status of {visit.status}"
                    errors += [
                        f"{visit.name}-{width}: {line}"
                        for line in console[before:]
                        if not (visit.status != 200 and refused in line)
                    ]
                if who == "anonymous":
                    status = _locked_out(page, base)
                    if status != 429:
                        wrong_status.append(f"locked-out: {status}")
                    page.screenshot(path=str(folder / f"locked-out-{width}.png"), full_page=True)
                    found[f"locked-out-{width}"] = page.evaluate(MEASURE)
            page.context.close()
    print(f"screenshots in {folder}")

    # One list, so a failure names every page that needs work, not the first.
    problems = wrong_status + missing + errors
    for shot, seen in found.items():
        if not seen["lang"].startswith("es"):
            problems.append(f"{shot}: page language {seen['lang']!r}, not Spanish")
        if seen["scroll"] > seen["client"] + 1:
            problems.append(f"{shot}: page {seen['scroll']} px wide in {seen['client']}")
        problems += [f"{shot}: sticks out: {element}" for element in seen["sticking"]]
    assert not problems, "\n".join(problems)
    # Every page at both widths: a visit that silently fell out of the loop would shrink this.
    assert len(found) == 2 * (len(cast.visits) + 1)


OVERFLOWING_PAGE = """<!DOCTYPE html><html lang="es"><body style="margin:0">
  <div class="row"><span id="too-wide" style="display:inline-block;width:500px">ancho</span></div>
  <div style="overflow-x:auto">
    <table id="held"><tr><td style="width:900px">tabla</td></tr></table>
  </div>
  <h2 id="long-name" style="width:200px">T360C_AWR_Electro_Hogar_Retargeting_2026Q4_Always_On</h2>
  <span style="position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);
    white-space:nowrap">una etiqueta oculta muy larga que pasa del borde derecho</span>
</body></html>"""


def test_the_overflow_check_names_what_sticks_out_and_lets_scroll_boxes_hold_theirs(chromium):
    with launched(chromium) as browser:
        page = browser.new_page(viewport=WIDTHS[390])
        page.set_content(OVERFLOWING_PAGE)
        seen = page.evaluate(MEASURE)

    assert seen["scroll"] > seen["client"] == 390
    assert [line.split(" (")[0] for line in seen["sticking"]] == [
        "span#too-wide",
        "text of h2#long-name",
    ]
