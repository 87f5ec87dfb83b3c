"""An analyst's edit that breaks a guardrail is saved without the offending words, and the page
and the API say which rule removed what (issue 14 item 3); leads edit the name lists."""

from __future__ import annotations

import pytest
from django.urls import reverse
from knox.models import AuthToken
from pytest_django.asserts import assertContains
from rest_framework.test import APIClient

from generation.models import BrandGuideline
from tests.web.briefs.helpers import _brief


def _edit(client, brief, positive: str):
    return client.post(
        reverse("brief_prompt_edit", args=[brief.pk]), {"positive": positive, "negative": ""}
    )


def test_a_spanish_edit_with_children_and_a_competitor_is_saved_without_them_and_says_why(
    client, analyst, node
):
    brief = _brief(analyst, node)
    client.force_login(analyst)

    response = _edit(
        client, brief, "niños con mochila y útiles escolares, tarjeta Davivienda, luz cálida"
    )

    assert response.status_code == 302
    version = brief.latest_prompt
    assert version.number == 2
    # Only the name goes: "tarjeta" stays (a name is not a clause); school supplies stay.
    assert version.positive.startswith("mochila y útiles escolares, tarjeta, luz cálida, ")
    page = client.get(reverse("brief_detail", args=[brief.pk]))
    assertContains(page, "Se quitó «niños» (menores de edad), «Davivienda» (bancos competidores).")


def test_an_english_edit_says_which_rule_removed_what(en, analyst, node):
    brief = _brief(analyst, node)
    en.force_login(analyst)

    _edit(en, brief, "little girl holding a phone, casino chips, 0% interest")

    assert brief.latest_prompt.positive.startswith("holding a phone")
    page = en.get(reverse("brief_detail", args=[brief.pk]))
    assertContains(
        page,
        "Removed “little girl” (minors), “casino chips” (gambling), “0% interest” "
        "(rates and percentages).",
    )


def test_a_clean_edit_says_nothing_was_removed(en, analyst, node):
    brief = _brief(analyst, node)
    en.force_login(analyst)

    _edit(en, brief, "school supplies and a backpack on a desk, warm light")

    assert brief.latest_prompt.positive.startswith("school supplies and a backpack on a desk")
    page = en.get(reverse("brief_detail", args=[brief.pk]))
    assert "Removed “" not in page.content.decode()


def test_the_api_edit_is_saved_without_the_words_and_lists_what_it_removed(db, analyst, node):
    brief = _brief(analyst, node)
    api = APIClient()
    _row, token = AuthToken.objects.create(user=analyst)
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}", HTTP_ACCEPT_LANGUAGE="en")

    response = api.post(
        f"/api/v1/briefs/{brief.pk}/prompt/",
        {"positive": "woman paying by phone with a teenager, l0go t-shirt, warm light"},
        format="json",
    )

    assert response.status_code == 201
    body = response.json()
    assert body["positive"].startswith("woman paying by phone, warm light, ")
    assert body["removed"] == [
        {"words": "teenager", "rule": "minors", "concept": "minors"},
        {"words": "l0go", "rule": "logos and brand marks", "concept": "brand_marks"},
    ]
    assert body["removed_message"] == (
        "Removed “teenager” (minors), “l0go” (logos and brand marks)."
    )


@pytest.fixture
def lead_client(client, lead):
    client.force_login(lead)
    return client


def test_a_lead_adds_a_competitor_in_the_admin_and_the_next_edit_loses_it(
    lead_client, analyst, node
):
    guideline = BrandGuideline.objects.get(node=None)
    assert "Davivienda" in guideline.competitors_list
    assert "Shakira" in guideline.public_figures_list
    url = reverse("admin:generation_brandguideline_change", args=[guideline.pk])

    response = lead_client.post(
        url,
        {
            "node": "",
            "always_include": guideline.always_include,
            "negative_terms": guideline.negative_terms,
            "forbidden_terms": guideline.forbidden_terms,
            "competitors": guideline.competitors + "\nBanco Ejemplo",
            "public_figures": "Pepita Pérez",
            "notes": guideline.notes,
        },
    )

    assert response.status_code == 302
    guideline.refresh_from_db()
    assert guideline.competitors_list[-1] == "Banco Ejemplo"
    assert guideline.public_figures_list == ["Pepita Pérez"]
    brief = _brief(analyst, node)
    lead_client.force_login(analyst)
    _edit(lead_client, brief, "tarjeta Banco Ejemplo con Pepita Perez, Shakira sonriendo")
    # Shakira is off the edited list, so she stays; the lead's new names go.
    assert brief.latest_prompt.positive.startswith("tarjeta, Shakira sonriendo")
