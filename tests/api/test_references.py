"""Ranking a brief again, and pinning or excluding its references."""

from __future__ import annotations

import pytest

from generation.briefs import services
from generation.models import BriefReference
from tests.api.helpers import _brief_url
from tests.factories import make_image


def test_ranking_again_keeps_pins_and_exclusions_and_writes_a_new_prompt(api_for, brief, analyst):
    refs = list(brief.references.order_by("order"))
    services.brief_reference_mark(brief, image_id=refs[3].image_id, pinned=True)
    services.brief_reference_mark(brief, image_id=refs[0].image_id, excluded=True)

    response = api_for(analyst).post(_brief_url(brief, "rank/"))

    assert response.status_code == 200
    body = response.json()
    by_image = {ref["image"]["id"]: ref for ref in body["references"]}
    assert by_image[refs[3].image_id]["pinned"] is True
    assert by_image[refs[0].image_id]["excluded"] is True
    assert body["latest_prompt"]["number"] == 2
    assert brief.prompt_versions.count() == 2


def test_pinning_any_catalog_image_adds_it_to_the_references(api_for, brief, analyst):
    outside = make_image()

    response = api_for(analyst).post(
        _brief_url(brief, f"references/{outside.pk}/"), {"pinned": True}, format="json"
    )

    assert response.status_code == 200
    body = response.json()
    assert (body["image"]["id"], body["pinned"], body["excluded"], body["order"]) == (
        outside.pk,
        True,
        False,
        5,
    )
    assert BriefReference.objects.get(brief=brief, image=outside).pinned is True


def test_excluding_a_pinned_reference_unpins_it(api_for, brief, analyst):
    ref = brief.references.order_by("order").first()
    services.brief_reference_mark(brief, image_id=ref.image_id, pinned=True)

    response = api_for(analyst).post(
        _brief_url(brief, f"references/{ref.image_id}/"), {"excluded": True}, format="json"
    )

    assert response.status_code == 200
    assert (response.json()["pinned"], response.json()["excluded"]) == (False, True)
    ref.refresh_from_db()
    assert (ref.pinned, ref.excluded) == (False, True)


@pytest.mark.parametrize(
    ("payload", "detail", "fields"),
    [
        ({}, "Send pinned, excluded or both.", {}),
        (
            {"pinned": True, "excluded": True},
            "A reference cannot be pinned and excluded at once.",
            {},
        ),
        (
            {"pinned": "perhaps"},
            "Some fields are not valid: pinned.",
            {"pinned": ["Must be a valid boolean."]},
        ),
    ],
)
def test_a_bad_reference_mark_is_a_400_and_changes_nothing(
    api_for, brief, analyst, payload, detail, fields
):
    ref = brief.references.order_by("order").first()

    response = api_for(analyst).post(
        _brief_url(brief, f"references/{ref.image_id}/"), payload, format="json"
    )

    assert response.status_code == 400
    body = response.json()
    assert body["detail"] == detail
    assert {k: v for k, v in body["fields"].items() if k != "non_field_errors"} == fields
    ref.refresh_from_db()
    assert (ref.pinned, ref.excluded) == (False, False)


def test_marking_an_image_that_does_not_exist_is_a_404(api_for, brief, analyst):
    response = api_for(analyst).post(
        _brief_url(brief, "references/999999/"), {"pinned": True}, format="json"
    )

    assert response.status_code == 404
    assert response.json() == {"detail": "There is no image with id 999999."}
    assert brief.references.count() == 4
