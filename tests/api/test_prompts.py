"""A brief's prompt versions: listing them and saving the analyst's edit."""

from __future__ import annotations

import pytest

from generation.briefs import services
from tests.api.helpers import _brief_url


def test_the_prompt_versions_are_listed_newest_first(api_for, brief, analyst):
    services.prompt_version_edit(brief, positive="a bright shop", negative="", author=analyst)

    response = api_for(analyst).get(_brief_url(brief, "prompt/"))

    assert response.status_code == 200
    assert [(v["number"], v["source"], v["author"]) for v in response.json()] == [
        (2, "analyst", "andres_analyst"),
        (1, "composer", None),
    ]


def test_an_edited_prompt_is_saved_as_a_new_version_with_the_brand_rules_applied(
    api_for, brief, analyst
):
    response = api_for(analyst).post(
        _brief_url(brief, "prompt/"),
        {"positive": "woman smiling with a phone, golden hour, bank logo", "negative": "blurry"},
        format="json",
    )

    assert response.status_code == 201
    version = brief.prompt_versions.get(number=2)
    body = response.json()
    assert (body["number"], body["source"], body["author"]) == (2, "analyst", "andres_analyst")
    assert (body["positive"], body["negative"]) == (version.positive, version.negative)
    assert "logo" not in version.positive  # forbidden for a bank's images
    assert version.positive.startswith("woman smiling with a phone, golden hour")
    assert version.negative.startswith("blurry, logo")


@pytest.mark.parametrize(
    ("payload", "field", "message"),
    [
        ({"negative": "blurry"}, "positive", "This field is required."),
        ({"positive": "   "}, "positive", "This field may not be blank."),
        (
            {"positive": "p" * 2001},
            "positive",
            "Ensure this field has no more than 2000 characters.",
        ),
        (
            {"positive": "ok prompt", "negative": "n" * 2001},
            "negative",
            "Ensure this field has no more than 2000 characters.",
        ),
    ],
)
def test_a_bad_prompt_edit_is_a_400_and_saves_nothing(
    api_for, brief, analyst, payload, field, message
):
    response = api_for(analyst).post(_brief_url(brief, "prompt/"), payload, format="json")

    assert response.status_code == 400
    assert response.json()["fields"] == {field: [message]}
    assert brief.prompt_versions.count() == 1
