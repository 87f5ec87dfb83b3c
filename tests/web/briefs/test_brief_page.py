"""The brief page: the request, the ranking and its references; pinning and excluding."""

from __future__ import annotations

from django.urls import reverse
from django.utils import translation
from django.utils.html import escape
from pytest_django.asserts import assertContains, assertNotContains, assertRedirects

from campaigns import figures
from campaigns.models import Objective
from generation.models import BriefReference
from tests.web.briefs.helpers import PIECES, _brief, _image, _refs


def test_the_brief_page_shows_the_request_the_ranking_and_each_reference_with_its_figures(
    en, brief
):
    en.force_login(brief.owner)

    response = en.get(reverse("brief_detail", args=[brief.pk]))

    assert response.status_code == 200
    for text in (
        "<h1>Links de pago</h1>",
        "<dd>Wompi</dd>",
        "<dd>Traffic</dd>",
        "<dd>Emprendedores jóvenes</dd>",
        "<dd>cercano y alegre</dd>",
        "<dd>andres_analyst</dd>",
    ):
        assertContains(response, text, html=False)
    assertContains(response, "Ranking rule version 1")
    assertContains(response, "success measured by CTR")
    assertContains(response, f"{PIECES} of {PIECES} pieces meet the rule's minimums")
    references = list(brief.references.order_by("order"))
    assertContains(response, 'data-testid="reference"', count=4)
    for ref in references:
        assertContains(response, f'data-image-id="{ref.image_id}"')
        with translation.override("en"):
            estimate = figures.metric(ref.metric, ref.estimate, "COP")
            interval = figures.interval(ref.metric, ref.interval_low, ref.interval_high, "COP")
            # The card's figure is the piece's own, clicks ÷ impressions; the shrunk estimate
            # and its range are labelled (issue 15 item 4).
            own = figures.metric(ref.metric, ref.figures["clicks"] / ref.figures["impressions"])
        assertContains(response, f'data-testid="observed">{own}</strong>', html=False)
        assertContains(response, f'data-testid="estimate">estimate {estimate} ({interval})<')
        assertContains(response, escape(ref.reason_en), count=2)  # the card and the alt text
        assertContains(response, reverse("library_image_file", args=[ref.image_id]))
    assertContains(response, "<dt>Impressions</dt><dd>20k</dd>", count=4, html=False)
    assertContains(response, '<p class="ref-platforms">Meta</p>', count=4, html=False)
    assertContains(response, 'data-testid="pin"', count=4)
    assertContains(response, 'data-testid="exclude"', count=4)
    prompt = brief.latest_prompt
    assertContains(response, escape(prompt.positive))
    assertContains(response, "Version 1")
    assertContains(response, "Composer")
    assertContains(response, 'data-testid="save-prompt"')
    assertContains(response, 'data-testid="generate"')
    assertContains(response, 'data-pending="false"')


def test_the_brief_page_writes_figures_and_reasons_in_spanish_by_default(client, brief):
    client.force_login(brief.owner)

    response = client.get(reverse("brief_detail", args=[brief.pk]))

    ref = brief.references.order_by("order").first()
    with translation.override("es"):
        assertContains(response, figures.metric(ref.metric, ref.estimate, "COP"))
    assertContains(response, escape(ref.reason_es))
    assertNotContains(response, escape(ref.reason_en))


def test_a_brief_without_a_ranking_rule_says_so(en, analyst, node):
    from campaigns.models import RankingRule

    RankingRule.objects.filter(objective=Objective.LEADS).update(active=False)
    brief = _brief(analyst, node, objective=Objective.LEADS)
    en.force_login(analyst)

    response = en.get(reverse("brief_detail", args=[brief.pk]))

    assertContains(
        response, "No ranking rule covers this business unit and objective yet.", count=1
    )
    assertContains(response, "No references for this brief.")


def test_pinning_excluding_and_ranking_again_keeps_the_pin_and_leaves_out_the_excluded(en, brief):
    first, second, third, _fourth = _refs(brief)
    en.force_login(brief.owner)

    pin = en.post(reverse("brief_reference", args=[brief.pk, third]), {"action": "pin"})
    exclude = en.post(reverse("brief_reference", args=[brief.pk, first]), {"action": "exclude"})
    rerank = en.post(reverse("brief_rerank", args=[brief.pk]))

    detail = reverse("brief_detail", args=[brief.pk])
    for response in (pin, exclude, rerank):
        assertRedirects(response, f"{detail}#references", fetch_redirect_response=False)
    active = brief.references.filter(excluded=False).order_by("-pinned", "order")
    assert active.first().image_id == third
    assert active.get(image_id=third).pinned is True
    assert first not in [r.image_id for r in active]
    assert second in [r.image_id for r in active]
    assert active.count() == 4  # the fifth-best piece took the excluded one's place
    assert brief.prompt_versions.count() == 2  # ranking again wrote a new prompt
    (fifth,) = {r.image_id for r in active} - {first, second, third, _fourth}
    page = en.get(detail)
    # What changed, in the numbers the page shows: the pinned piece stays, listed first.
    assertContains(
        page,
        "Ranked again: 4 references, and a new prompt from them. "
        f"Piece {first} left; piece {fifth} comes in at number 4.",
    )
    assertContains(page, "1 excluded reference")
    assertContains(page, 'data-testid="include"', count=1)
    assertContains(page, 'data-testid="reference"', count=5)
    assertContains(page, 'aria-pressed="true">Unpin</button>', count=1, html=False)
    assertContains(page, ">Pinned</span>", count=1, html=False)

    include = en.post(reverse("brief_reference", args=[brief.pk, first]), {"action": "include"})
    unpin = en.post(reverse("brief_reference", args=[brief.pk, third]), {"action": "unpin"})

    assert include.status_code == unpin.status_code == 302
    ref = brief.references.get(image_id=first)
    assert (ref.excluded, brief.references.get(image_id=third).pinned) == (False, False)


def test_an_unknown_reference_action_or_image_is_refused(en, brief):
    image_id = _refs(brief)[0]
    en.force_login(brief.owner)

    unknown = en.post(reverse("brief_reference", args=[brief.pk, image_id]), {"action": "star"})
    other_image = _image(99)
    missing = en.post(
        reverse("brief_reference", args=[brief.pk, other_image.pk]), {"action": "pin"}
    )

    assert unknown.status_code == 400
    assert unknown.content.decode() == "Unknown action: use pin, unpin, exclude or include."
    assert missing.status_code == 404
    assert not BriefReference.objects.filter(brief=brief, pinned=True).exists()
