"""An API edit naming a person: the name leaves, the phrase stays, the answer says why."""

from __future__ import annotations

from tests.api.helpers import _brief_url


def test_an_api_edit_with_a_person_name_is_saved_without_it_and_says_so(api_for, brief, analyst):
    response = api_for(analyst).post(
        _brief_url(brief, "prompt/"),
        {"positive": "shop counter, mujer sonriendo con Juan Pérez, luz cálida", "negative": ""},
        format="json",
    )

    assert response.status_code == 201
    body = response.json()
    assert body["positive"].startswith("shop counter, mujer sonriendo, luz cálida")
    assert "Pérez" not in body["positive"]
    assert body["removed"] == [
        {"words": "Juan Pérez", "rule": "possible person name", "concept": "person_names"}
    ]
    assert body["removed_message"] == "Removed “Juan Pérez” (possible person name)."


def test_an_api_edit_naming_a_place_and_a_brand_keeps_them(api_for, brief, analyst):
    typed = "tendero en Santa Marta pagando con Wompi, luz cálida"

    response = api_for(analyst).post(
        _brief_url(brief, "prompt/"), {"positive": typed, "negative": ""}, format="json"
    )

    assert response.status_code == 201
    assert response.json()["positive"].startswith(typed)
    assert response.json()["removed"] == []
