"""The prompt's versions on the brief page: a rewrite asks before it replaces a hand edit, and
any older version can be restored as a new one (issue 14 item 5)."""

from __future__ import annotations

from django.urls import reverse
from django.utils.html import escape
from pytest_django.asserts import assertContains, assertNotContains, assertRedirects

from generation.briefs import services
from generation.models import BrandGuideline, PromptVersion

HAND_EDIT = "a shop owner in Medellín scanning a QR code, warm daylight"


def _restore_url(brief, number: int) -> str:
    return reverse("brief_prompt_restore", args=[brief.pk, number])


def _edited(brief):
    """Version 1 by the composer, version 2 the analyst's hand edit."""
    services.prompt_version_edit(brief, positive=HAND_EDIT, negative="blurry", author=brief.owner)
    return brief


def test_rewriting_over_a_hand_edit_asks_first_and_writes_nothing(db, en, brief):
    _edited(brief)
    en.force_login(brief.owner)

    response = en.post(reverse("brief_prompt_rewrite", args=[brief.pk]))

    assert response.status_code == 200
    assert list(brief.prompt_versions.values_list("number", flat=True)) == [2, 1]
    assert brief.latest_prompt.positive.startswith(HAND_EDIT)
    assertContains(
        response,
        "The current prompt, version 2, was edited by hand. Rewriting it from the references "
        "makes a new version the current prompt; version 2 stays in the version list, where "
        "you can restore it.",
    )
    assertContains(response, 'name="confirm" value="1"')
    assertContains(response, 'data-testid="rewrite-confirm"')


def test_rewriting_over_a_hand_edit_with_the_confirmation_writes_version_3(db, en, brief):
    _edited(brief)
    en.force_login(brief.owner)

    response = en.post(reverse("brief_prompt_rewrite", args=[brief.pk]), {"confirm": "1"})

    detail = reverse("brief_detail", args=[brief.pk])
    assertRedirects(response, f"{detail}#prompt", fetch_redirect_response=False)
    latest = brief.latest_prompt
    assert (latest.number, latest.source) == (3, PromptVersion.Source.COMPOSER)
    edit = brief.prompt_versions.get(number=2)
    assert edit.positive.startswith(HAND_EDIT)
    page = en.get(detail)
    assertContains(page, "Yenni wrote version 3 from the references.")
    assertContains(page, f'action="{_restore_url(brief, 2)}"')


def test_rewriting_a_prompt_the_composer_wrote_needs_no_confirmation(db, en, brief):
    en.force_login(brief.owner)

    response = en.post(reverse("brief_prompt_rewrite", args=[brief.pk]))

    assert response.status_code == 302
    assert (brief.latest_prompt.number, brief.latest_prompt.source) == (2, "composer")


def test_restoring_version_1_makes_version_3_with_its_texts_and_says_where_it_came_from(
    db, en, brief
):
    first = brief.latest_prompt
    _edited(brief)
    en.force_login(brief.owner)

    response = en.post(_restore_url(brief, 1))

    detail = reverse("brief_detail", args=[brief.pk])
    assertRedirects(response, f"{detail}#prompt", fetch_redirect_response=False)
    restored = brief.latest_prompt
    assert restored.number == 3
    assert (restored.positive, restored.negative) == (first.positive, first.negative)
    assert (restored.source, restored.author, restored.restored_from) == (
        PromptVersion.Source.ANALYST,
        brief.owner,
        first,
    )
    assert restored.rationale == "Restored from version 1 by andres_analyst."
    # History is never rewritten: versions 1 and 2 keep their texts.
    assert brief.prompt_versions.get(number=1).positive == first.positive
    assert brief.prompt_versions.get(number=2).positive.startswith(HAND_EDIT)
    page = en.get(detail)
    assertContains(page, "Version 1 restored as version 3.")
    assertContains(page, "restored from version 1")
    assertContains(page, escape(first.positive))


def test_the_version_list_offers_restore_on_every_version_but_the_current_one(db, en, brief):
    _edited(brief)
    en.force_login(brief.owner)

    page = en.get(reverse("brief_detail", args=[brief.pk]))

    assertContains(page, f'action="{_restore_url(brief, 1)}"', count=1)
    assertNotContains(page, f'action="{_restore_url(brief, 2)}"')
    assertContains(page, 'data-testid="restore-version"', count=1)


def test_a_restored_version_goes_through_the_guidelines_of_today(db, en, brief):
    # Saved before a lead forbade the word: restoring it must not bring the word back.
    PromptVersion.objects.create(
        brief=brief, number=2, positive="a celebrity paying with a phone", source="analyst"
    )
    services.prompt_version_edit(brief, positive=HAND_EDIT, negative="", author=brief.owner)
    BrandGuideline.objects.update_or_create(node=None, defaults={"forbidden_terms": "celebrity"})
    en.force_login(brief.owner)

    en.post(_restore_url(brief, 2))

    restored = brief.latest_prompt
    assert (restored.number, restored.restored_from.number) == (4, 2)
    assert "celebrity" not in restored.positive
    assert "celebrity" in {term.strip() for term in restored.negative.split(",")}
    page = en.get(reverse("brief_detail", args=[brief.pk]))
    assertContains(
        page, "The brand guidelines were applied: the restored prompt differs from version 2."
    )


def test_a_version_over_the_token_window_is_not_restored_and_the_page_says_why(db, en, brief):
    # A first phrase of 120 words, saved before the token budget: no trim can keep it whole.
    PromptVersion.objects.create(
        brief=brief, number=2, positive=" ".join(["market"] * 120), source="analyst"
    )
    services.prompt_version_edit(brief, positive=HAND_EDIT, negative="", author=brief.owner)
    en.force_login(brief.owner)

    response = en.post(_restore_url(brief, 2), follow=True)

    assert brief.prompt_versions.count() == 3
    assert brief.latest_prompt.number == 3
    assertContains(response, "Version 2 was not restored: Too long for the image model")


def test_restoring_the_current_version_adds_nothing(db, en, brief):
    en.force_login(brief.owner)

    response = en.post(_restore_url(brief, 1), follow=True)

    assert brief.prompt_versions.count() == 1
    assertContains(response, "Version 1 is already the current prompt.")


def test_restoring_a_version_the_brief_does_not_have_is_a_404(db, en, brief):
    en.force_login(brief.owner)

    assert en.post(_restore_url(brief, 9)).status_code == 404
    assert brief.prompt_versions.count() == 1


def test_a_lead_reading_an_analysts_brief_sees_no_restore_and_cannot_restore(db, en, brief, lead):
    _edited(brief)
    en.force_login(lead)

    page = en.get(reverse("brief_detail", args=[brief.pk]))
    refused = en.post(_restore_url(brief, 1))
    rewrite = en.post(reverse("brief_prompt_rewrite", args=[brief.pk]), {"confirm": "1"})

    assert page.status_code == 200
    assertNotContains(page, 'data-testid="restore-version"')
    assert (refused.status_code, rewrite.status_code) == (403, 403)
    assert brief.prompt_versions.count() == 2


def test_another_analyst_cannot_restore_a_version_of_a_brief_they_cannot_see(
    db, en, brief, other_analyst
):
    en.force_login(other_analyst)

    assert en.post(_restore_url(brief, 1)).status_code == 404
    assert brief.prompt_versions.count() == 1


def test_in_spanish_the_page_asks_before_rewriting_and_offers_restaurar(db, client, brief):
    _edited(brief)
    client.force_login(brief.owner)

    asked = client.post(reverse("brief_prompt_rewrite", args=[brief.pk]))

    assertContains(
        asked,
        "El prompt actual, la versión 2, se editó a mano. Si lo reescribe a partir de las "
        "referencias, una versión nueva pasa a ser el prompt actual; la versión 2 queda en la "
        "lista de versiones, donde puede restaurarla.",
    )
    assertContains(asked, "Reescribir de todos modos")
    assertContains(asked, "Conservar la versión 2")
    assertContains(asked, "Restaurar la versión 1")


def test_ranking_again_keeps_a_hand_edit_as_the_current_prompt_and_says_so(db, en, brief):
    _edited(brief)
    en.force_login(brief.owner)

    response = en.post(reverse("brief_rerank", args=[brief.pk]), follow=True)

    assert list(brief.prompt_versions.values_list("number", flat=True)) == [2, 1]
    assert brief.latest_prompt.positive.startswith(HAND_EDIT)
    assertContains(
        response,
        "Ranked again: 4 references. Your edit, version 2, stays the current prompt; "
        "“Rewrite from the references” writes one from them.",
    )


def test_ranking_again_over_the_composers_prompt_still_writes_a_new_one(db, en, brief):
    en.force_login(brief.owner)

    en.post(reverse("brief_rerank", args=[brief.pk]))

    assert (brief.latest_prompt.number, brief.latest_prompt.source) == (2, "composer")


def test_in_spanish_ranking_again_says_the_edit_stays(db, client, brief):
    _edited(brief)
    client.force_login(brief.owner)

    response = client.post(reverse("brief_rerank", args=[brief.pk]), follow=True)

    assertContains(
        response,
        "Ranking rehecho: 4 referencias. Su edición, la versión 2, sigue siendo el prompt "
        "actual; «Reescribir a partir de las referencias» escribe uno a partir de ellas.",
    )
