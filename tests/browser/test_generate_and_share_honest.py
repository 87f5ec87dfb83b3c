"""The default install in a real browser: Generate says it is off before it is pressed, and
sharing a brief with no picked image asks first (issue 14 item 7).

No image model here (YENNI_IMAGE_BACKEND=none, what `bash scripts/run.sh` installs). Run alone
with `pytest -m browser`; screenshots go to var/screenshots/honest-*.png.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from campaigns.models import Node
from campaigns.ranking.selectors import brief_ranking, node_objective_pairs
from generation.briefs import services
from generation.models import Brief, ImageBatch, ModelJob, ShareLink
from tests.browser.conftest import launched
from tests.browser.steps import (
    analyst_create,
    demo_history_ending_today,
    laptop_page,
    log_in,
    problems_watched,
    screenshot_taker,
)

pytestmark = pytest.mark.browser

USERNAME = "hugo_honest"
PASSWORD = "h0nest-pass-2026"
AGENCY = "Agencia Norte"
OFF_ES = (
    "La generación de imágenes no está activa en esta instalación; pídale a su administrador "
    "que la active. Mientras tanto, puede copiar el prompt en cualquier herramienta de imágenes."
)
ASK_ES = (
    "No hay ninguna imagen elegida: la agencia verá el brief y sus referencias, pero ninguna "
    "imagen generada. ¿Compartir de todos modos?"
)


def _brief_on_the_demo_history(owner) -> Brief:
    """A brief for the node × objective with the most ranked pieces of a small demo history."""
    demo_history_ending_today()
    counted = [
        (len(brief_ranking(node=node, objective=objective).references), node.pk, objective)
        for node, objective in node_objective_pairs()
    ]
    _, node_id, objective = max(counted)
    return services.brief_create(
        owner=owner,
        node=Node.objects.get(pk=node_id),
        objective=objective,
        title="Pagos con QR",
        description="Pagos con QR para comercios pequeños",
        audience="Dueños de tiendas de barrio en Medellín",
        tone="cercano",
    )


# The live server answers from its own thread: a transactional test (see test_brief_flow.py).
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_with_no_image_model_generate_is_off_before_pressing_and_sharing_no_picks_asks_first(
    chromium, live_server, media_storage, settings, screenshots: Path
):
    assert settings.YENNI_MODELS["image"]["backend"] == "none"
    analyst = analyst_create(username=USERNAME, password=PASSWORD, first_name="Hugo")
    brief = _brief_on_the_demo_history(analyst)
    brief_url = f"{live_server.url}/briefs/{brief.pk}/"
    shot = screenshot_taker(screenshots, prefix="honest-")

    with launched(chromium) as browser:
        page = laptop_page(browser)
        problems = problems_watched(page)
        log_in(page, live_server.url, username=USERNAME, password=PASSWORD)
        page.goto(brief_url)

        # Generate with no model: said before pressing, in the analyst's words, nothing to press.
        off = page.get_by_test_id("generation-off")
        expect(off).to_be_visible()
        expect(off).to_have_text(OFF_ES)
        expect(page.get_by_test_id("generate")).to_be_disabled()
        expect(page.get_by_test_id("generation-operator-note")).to_have_count(0)
        assert "pip install" not in page.inner_text("body")
        page.get_by_test_id("generate").click(force=True)  # a disabled button does nothing
        expect(page.get_by_test_id("batch")).to_have_count(0)
        shot(page, "01-generate-off")

        # Share with no picks: the server asks first, and one press on the answer shares.
        page.fill('[name="agency"]', AGENCY)
        page.get_by_test_id("create-share").click()
        page.wait_for_url(f"{brief_url}share/")
        expect(page.get_by_test_id("share-no-picks")).to_have_text(ASK_ES)
        expect(page.get_by_test_id("share-url")).to_have_count(0)
        expect(page.get_by_test_id("share-row")).to_have_count(0)
        expect(page.locator('[name="agency"]')).to_have_value(AGENCY)
        shot(page, "02-share-asks")
        page.get_by_test_id("confirm-share").click()
        expect(page.get_by_test_id("share-url")).to_be_visible()
        expect(page.get_by_test_id("share-row")).to_have_count(1)
        expect(page.get_by_test_id("confirm-share")).to_have_count(0)
        shot(page, "03-shared-anyway")
        assert problems == [], problems

    # The browser is closed, so the ORM may run on this thread again (see `launched`).
    assert not ImageBatch.objects.filter(brief=brief).exists()
    assert not ModelJob.objects.filter(brief=brief, kind=ModelJob.Kind.GENERATE).exists()
    assert list(ShareLink.objects.filter(brief=brief).values_list("agency", flat=True)) == [AGENCY]
