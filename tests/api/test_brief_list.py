"""GET /api/v1/briefs/: the user's briefs, newest first, filtered and paged."""

from __future__ import annotations

import pytest

from campaigns.models import Node
from generation.briefs import services
from generation.models import Brief
from tests.api.conftest import BRIEF_FIELDS
from tests.api.helpers import BRIEFS


def test_the_list_shows_the_analysts_briefs_newest_first(api_for, brief, analyst, wompi):
    newer = services.brief_create(owner=analyst, **{**BRIEF_FIELDS, "node": wompi, "title": "B"})

    response = api_for(analyst).get(BRIEFS)

    assert response.status_code == 200
    body = response.json()
    assert (body["count"], body["next"], body["previous"]) == (2, None, None)
    assert [row["id"] for row in body["results"]] == [newer.pk, brief.pk]
    assert body["results"][1] == {
        "id": brief.pk,
        "url": f"http://testserver/api/v1/briefs/{brief.pk}/",
        "title": "Links de pago",
        "node": {"slug": "wompi", "name": "Wompi"},
        "objective": "traffic",
        "owner": "andres_analyst",
        "style_preset": None,
        "ranked_at": brief.ranked_at.astimezone().isoformat(),
        "created_at": brief.created_at.astimezone().isoformat(),
        "updated_at": Brief.objects.get(pk=brief.pk).updated_at.astimezone().isoformat(),
    }


def test_the_list_filters_by_node_and_objective(api_for, brief, analyst, wompi):
    other_node = Node.objects.create(name="Compras", slug="compras")
    leads_brief = services.brief_create(
        owner=analyst, **{**BRIEF_FIELDS, "node": wompi, "objective": "leads"}
    )
    compras_brief = services.brief_create(owner=analyst, **{**BRIEF_FIELDS, "node": other_node})
    api = api_for(analyst)

    def ids(query: str) -> list[int]:
        return [row["id"] for row in api.get(f"{BRIEFS}?{query}").json()["results"]]

    assert ids("node=wompi") == [leads_brief.pk, brief.pk]
    assert ids("objective=traffic") == [compras_brief.pk, brief.pk]
    assert ids("node=wompi&objective=leads") == [leads_brief.pk]
    assert ids("node=compras&objective=awareness") == []


@pytest.mark.parametrize(
    ("query", "fields"),
    [
        ("node=nowhere", {"node": ["There is no node with the slug “nowhere”."]}),
        (
            "node=not a slug",
            {
                "node": [
                    'Enter a valid "slug" consisting of letters, numbers, underscores or hyphens.'
                ]
            },
        ),
        ("objective=fame", {"objective": ['"fame" is not a valid choice.']}),
    ],
)
def test_a_bad_filter_is_a_400_that_names_the_field(api_for, brief, analyst, query, fields):
    response = api_for(analyst).get(f"{BRIEFS}?{query}")

    assert response.status_code == 400
    assert response.json() == {
        "detail": f"Some fields are not valid: {next(iter(fields))}.",
        "fields": fields,
    }


def test_a_page_past_the_end_is_a_json_404(api_for, brief, analyst):
    response = api_for(analyst).get(f"{BRIEFS}?page=2")

    assert response.status_code == 404
    assert response.json() == {"detail": "Invalid page."}
