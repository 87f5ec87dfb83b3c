"""POST /api/v1/briefs/: a new brief, ranked, with its first prompt; each refusal says why."""

from __future__ import annotations

import pytest

from campaigns.models import Node
from generation.models import Brief, PromptVersion
from tests.api.conftest import BRIEF_FIELDS
from tests.api.helpers import BRIEFS, _brief_url


def test_creating_a_brief_ranks_its_references_and_writes_its_first_prompt(
    api_for, analyst, wompi, preset
):
    payload = {**BRIEF_FIELDS, "style_preset": "photo", "image_count": 2, "seed": 42}

    response = api_for(analyst).post(BRIEFS, payload, format="json")

    assert response.status_code == 201
    brief = Brief.objects.get()
    assert response["Location"] == f"/api/v1/briefs/{brief.pk}/"
    body = response.json()
    assert (brief.owner, brief.node, brief.style_preset) == (analyst, wompi, preset)
    assert (brief.image_count, brief.guidance_scale, brief.seed) == (2, 7.0, 42)
    assert {key: body[key] for key in ("title", "objective", "owner", "style_preset", "seed")} == {
        "title": "Links de pago",
        "objective": "traffic",
        "owner": "andres_analyst",
        "style_preset": "photo",
        "seed": 42,
    }
    assert body["can_change"] is True
    assert [ref["image"]["id"] for ref in body["references"]] == list(
        brief.references.order_by("order").values_list("image_id", flat=True)
    )
    assert len(body["references"]) == 4  # the default rule's top 4 of the 5 pieces
    assert body["references"][0]["reason"] == (
        "CTR 2.2 % (450 clicks / 20k impressions) over 5 days; estimate 2.2 % (2.1–2.4 %), "
        "at least 2.1 % with 80 % certainty; 2.2 % vs Meta’s typical 1.8 % in Wompi: 29 % "
        "higher; 1st of 5 Wompi traffic pieces"
    )
    version = PromptVersion.objects.get(brief=brief)
    assert body["latest_prompt"]["number"] == 1
    assert body["latest_prompt"]["source"] == "composer"
    assert body["latest_prompt"]["positive"] == version.positive
    assert "photograph" in version.positive  # the style preset reached the prompt
    assert (body["batches"], body["picks"], body["share_links"]) == ([], [], [])


def test_a_brief_needs_only_node_objective_title_and_description(api_for, analyst, wompi):
    payload = {key: BRIEF_FIELDS[key] for key in ("node", "objective", "title", "description")}

    response = api_for(analyst).post(BRIEFS, payload, format="json")

    assert response.status_code == 201
    brief = Brief.objects.get()
    assert (brief.audience, brief.tone, brief.style_preset, brief.seed) == ("", "", None, None)
    assert (brief.image_count, brief.guidance_scale) == (4, 7.0)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("node", "nowhere", "There is no active node with the slug “nowhere”."),
        ("node", "", "Give the node's slug as text (letters, digits, - and _)."),
        ("node", 12, "Give the node's slug as text (letters, digits, - and _)."),
        ("objective", "fame", '"fame" is not a valid choice.'),
        ("title", "", "This field may not be blank."),
        ("title", "x" * 121, "Ensure this field has no more than 120 characters."),
        ("description", "too short", "Ensure this field has at least 10 characters."),
        ("description", "y" * 2001, "Ensure this field has no more than 2000 characters."),
        ("audience", "a" * 301, "Ensure this field has no more than 300 characters."),
        ("tone", "t" * 301, "Ensure this field has no more than 300 characters."),
        ("style_preset", "neon", "There is no active style preset with the slug “neon”."),
        ("image_count", 0, "Ensure this value is greater than or equal to 1."),
        ("image_count", 9, "Ensure this value is less than or equal to 8."),
        ("image_count", "four", "A valid integer is required."),
        ("guidance_scale", 0.5, "Ensure this value is greater than or equal to 1.0."),
        ("guidance_scale", 20.5, "Ensure this value is less than or equal to 20.0."),
        ("guidance_scale", "NaN", "A valid number is required."),
        ("seed", -1, "Ensure this value is greater than or equal to 0."),
        ("seed", 2**31, "Ensure this value is less than or equal to 2147483647."),
        ("title", "a\x00b", "Null characters are not allowed."),
    ],
)
def test_each_bad_field_of_a_new_brief_is_a_400_with_its_message(
    api_for, analyst, wompi, field, value, message
):
    response = api_for(analyst).post(BRIEFS, {**BRIEF_FIELDS, field: value}, format="json")

    assert response.status_code == 400
    assert response.json() == {
        "detail": f"Some fields are not valid: {field}.",
        "fields": {field: [message]},
    }
    assert not Brief.objects.exists()


@pytest.mark.parametrize("field", ["title", "description", "audience", "tone"])
def test_each_text_is_taken_up_to_the_models_length_and_refused_one_character_over(
    api_for, analyst, wompi, field
):
    limit = Brief._meta.get_field(field).max_length
    api = api_for(analyst)

    refused = api.post(BRIEFS, {**BRIEF_FIELDS, field: "x" * (limit + 1)}, format="json")
    taken = api.post(BRIEFS, {**BRIEF_FIELDS, field: "x" * limit}, format="json")

    assert refused.status_code == 400
    assert refused.json()["fields"] == {
        field: [f"Ensure this field has no more than {limit} characters."]
    }
    assert taken.status_code == 201
    assert len(getattr(Brief.objects.get(), field)) == limit


def test_an_inactive_node_cannot_take_new_briefs(api_for, analyst, wompi):
    Node.objects.filter(pk=wompi.pk).update(active=False)

    response = api_for(analyst).post(BRIEFS, BRIEF_FIELDS, format="json")

    assert response.status_code == 400
    assert response.json()["fields"] == {"node": ["There is no active node with the slug “wompi”."]}


def test_a_body_that_is_not_json_is_a_400_that_says_so(api_for, analyst, wompi):
    response = api_for(analyst).post(BRIEFS, "{not json", content_type="application/json")

    assert response.status_code == 400
    assert response.json()["detail"].startswith("JSON parse error - ")
    assert not Brief.objects.exists()


def test_a_form_instead_of_json_is_a_415(api_for, analyst, wompi):
    response = api_for(analyst).post(BRIEFS, BRIEF_FIELDS)  # multipart, as a browser form

    assert response.status_code == 415
    assert response.json() == {
        "detail": 'Unsupported media type "multipart/form-data; boundary=BoUnDaRyStRiNg; '
        'charset=utf-8" in request.'
    }
    assert not Brief.objects.exists()


def test_a_list_instead_of_an_object_is_a_400(api_for, analyst, wompi):
    response = api_for(analyst).post(BRIEFS, [BRIEF_FIELDS], format="json")

    assert response.status_code == 400
    assert response.json() == {
        "detail": "Invalid data. Expected a dictionary, but got list.",
        "fields": {},
    }


def test_briefs_cannot_be_updated_or_deleted_directly(api_for, brief, analyst):
    api = api_for(analyst)

    responses = [
        api.put(_brief_url(brief), BRIEF_FIELDS, format="json"),
        api.patch(_brief_url(brief), {"title": "New"}, format="json"),
        api.delete(_brief_url(brief)),
    ]

    assert [r.status_code for r in responses] == [405, 405, 405]
    assert responses[2].json() == {"detail": 'Method "DELETE" not allowed.'}
    assert Brief.objects.get(pk=brief.pk).title == "Links de pago"
