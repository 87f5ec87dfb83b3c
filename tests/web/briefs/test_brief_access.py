"""Who may do what on a brief page (the full table is in tests/web/test_brief_permissions.py)."""

from __future__ import annotations

from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains, assertRedirects

from generation.models import ImageBatch, ShareLink
from tests.web.briefs.helpers import _refs


def test_a_lead_sees_a_brief_read_only_and_cannot_change_it(en, lead, brief):
    image_id = _refs(brief)[0]
    en.force_login(lead)

    page = en.get(reverse("brief_detail", args=[brief.pk]))
    pin = en.post(reverse("brief_reference", args=[brief.pk, image_id]), {"action": "pin"})
    edit = en.post(reverse("brief_prompt_edit", args=[brief.pk]), {"positive": "x"})

    assert page.status_code == 200
    assertContains(page, "you can look at it, but only they can change it")
    for marker in ('data-testid="pin"', 'data-testid="save-prompt"', 'data-testid="generate"'):
        assertNotContains(page, marker)
    assert pin.status_code == edit.status_code == 403
    assertContains(pin, "Only the brief's owner can change it", status_code=403)
    assert not brief.references.filter(pinned=True).exists()
    assert brief.prompt_versions.count() == 1


def test_another_analyst_cannot_tell_a_brief_exists(en, other_analyst, brief):
    en.force_login(other_analyst)

    page = en.get(reverse("brief_detail", args=[brief.pk]))
    missing = en.get(reverse("brief_detail", args=[brief.pk + 1000]))
    generate = en.post(reverse("brief_generate", args=[brief.pk]), {"guidance_scale": "7"})

    assert page.status_code == missing.status_code == generate.status_code == 404
    assert not ImageBatch.objects.exists()


def test_analysts_who_see_the_team_can_look_but_not_change(en, other_analyst, brief, settings):
    settings.YENNI_ANALYSTS_SEE_TEAM = True
    en.force_login(other_analyst)

    page = en.get(reverse("brief_detail", args=[brief.pk]))
    share = en.post(reverse("brief_share", args=[brief.pk]), {"agency": "X", "days": "3"})

    assert page.status_code == 200
    assert share.status_code == 403
    assert not ShareLink.objects.exists()


def test_an_outsider_gets_a_polite_refusal(en, outsider, brief):
    en.force_login(outsider)

    response = en.get(reverse("brief_detail", args=[brief.pk]))

    assertContains(response, "You have no access to briefs", status_code=403)
    assertContains(
        response, "ask a marketing lead to add you to the Analysts group", status_code=403
    )


def test_an_anonymous_visitor_is_sent_to_log_in(client, brief):
    url = reverse("brief_detail", args=[brief.pk])

    response = client.get(url)

    assertRedirects(response, f"/accounts/login/?next={url}", fetch_redirect_response=False)
