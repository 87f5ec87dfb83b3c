"""The brief's prompt: editing it, rewriting it, and what the page says while it is written."""

from __future__ import annotations

from django.urls import reverse
from django.utils.html import escape
from pytest_django.asserts import assertContains, assertRedirects

from campaigns.models import Objective
from generation.models import BrandGuideline, Brief, PromptVersion
from tests.web.briefs.helpers import _brief


def test_editing_the_prompt_saves_version_two_and_the_guidelines_still_apply(en, analyst, node):
    BrandGuideline.objects.update_or_create(node=None, defaults={"forbidden_terms": "celebrity"})
    brief = _brief(analyst, node)
    en.force_login(analyst)

    response = en.post(
        reverse("brief_prompt_edit", args=[brief.pk]),
        {"positive": "a celebrity paying with a phone at a market stall", "negative": "blur"},
    )

    detail = reverse("brief_detail", args=[brief.pk])
    assertRedirects(response, f"{detail}#prompt", fetch_redirect_response=False)
    version = brief.latest_prompt
    assert (version.number, version.source, version.author) == (2, "analyst", analyst)
    assert "celebrity" not in version.positive
    assert {"blur", "celebrity"} <= {term.strip() for term in version.negative.split(",")}
    page = en.get(detail)
    assertContains(page, "Prompt saved as version 2.")
    assertContains(
        page, "The brand guidelines were applied: the saved prompt differs from what you typed."
    )
    assertContains(page, "Version 2")
    assertContains(page, "Edited by the analyst (andres_analyst)")
    assertContains(page, "2 versions")
    assertContains(page, escape(version.positive))


def test_an_empty_or_too_long_prompt_is_not_saved_and_says_why(en, brief):
    en.force_login(brief.owner)
    url = reverse("brief_prompt_edit", args=[brief.pk])

    empty = en.post(url, {"positive": "  ", "negative": ""})
    long = en.post(url, {"positive": "p" * 2001, "negative": "n" * 2001})

    assert empty.status_code == long.status_code == 200
    assert empty.context["prompt_form"].errors == {"positive": ["The prompt cannot be empty."]}
    assert long.context["prompt_form"].errors == {
        "positive": ["Keep the prompt under 2000 characters (it has 2001)."],
        "negative": ["Keep the negative prompt under 2000 characters (it has 2001)."],
    }
    assertContains(empty, "The prompt was not saved: see the message under the field.")
    assert brief.prompt_versions.count() == 1


def test_rewriting_the_prompt_from_the_references_makes_a_new_version(en, brief):
    en.force_login(brief.owner)

    response = en.post(reverse("brief_prompt_rewrite", args=[brief.pk]))

    assert response.status_code == 302
    version = brief.latest_prompt
    assert (version.number, version.source) == (2, PromptVersion.Source.COMPOSER)
    assertContains(
        en.get(reverse("brief_detail", args=[brief.pk])),
        "Yenni wrote version 2 from the references.",
    )


def test_a_brief_whose_prompt_is_still_being_written_shows_an_empty_prompt_form(
    en, analyst, node, lead
):
    brief = Brief.objects.create(
        owner=analyst, node=node, objective=Objective.TRAFFIC, title="Sin prompt", description="x"
    )
    en.force_login(analyst)

    response = en.get(reverse("brief_detail", args=[brief.pk]))
    en.force_login(lead)
    read_only = en.get(reverse("brief_detail", args=[brief.pk]))

    assert response.status_code == 200
    assert response.context["prompt_form"]["positive"].value() is None
    assertContains(response, "Yenni writes the prompt first, then makes the images.")
    assertContains(response, "Not ranked yet.")
    assertContains(read_only, "No prompt yet.")


def test_a_language_model_fallback_is_explained_on_the_page(en, brief):
    PromptVersion.objects.filter(brief=brief).update(
        fallback_reason="The language model could not be used (no weights); the composer wrote it."
    )
    en.force_login(brief.owner)

    response = en.get(reverse("brief_detail", args=[brief.pk]))

    assertContains(
        response,
        "The language model could not be used (no weights); the composer wrote it.",
        count=1,
    )
