"""GET /api/v1/briefs/<id>/: a brief with its references, batches, picks and share links."""

from __future__ import annotations

from knox.models import AuthToken
from rest_framework.test import APIClient

from generation.briefs import services
from generation.sharing.links import share_link_create
from tests.api.helpers import BRIEFS, _brief_url, _finished_batch


def test_a_brief_shows_its_batches_with_their_jobs_its_picks_and_its_share_links(
    api_for, brief, analyst
):
    batch = _finished_batch(brief)
    first, second = batch.images.order_by("index")
    services.generated_image_pick(second, picked=True)
    link, _token = share_link_create(brief=brief, agency="Sancho BBDO", days=3, created_by=analyst)

    response = api_for(analyst).get(_brief_url(brief))

    assert response.status_code == 200
    body = response.json()
    assert [b["id"] for b in body["batches"]] == [batch.pk]
    shown = body["batches"][0]
    assert (shown["job"]["id"], shown["job"]["status"], shown["job"]["finished"]) == (
        batch.job_id,
        "succeeded",
        True,
    )
    assert (shown["prompt_version"], shown["seeds"]) == (1, [7, 8])
    assert [(i["id"], i["picked"]) for i in shown["images"]] == [
        (first.pk, False),
        (second.pk, True),
    ]
    assert [p["id"] for p in body["picks"]] == [second.pk]
    assert body["picks"][0]["url"] == f"http://testserver/api/v1/images/{second.pk}/file/"
    assert body["share_links"] == [
        {
            "id": link.pk,
            "brief": brief.pk,
            "agency": "Sancho BBDO",
            "token_hint": link.token_hint,
            "show_figures": False,
            "created_by": "andres_analyst",
            "created_at": link.created_at.astimezone().isoformat(),
            "expires_at": link.expires_at.astimezone().isoformat(),
            "revoked_at": None,
            "is_active": True,
            "is_expired": False,
            "is_revoked": False,
            "view_count": 0,
            "last_viewed_at": None,
        }
    ]


def test_a_brief_reference_carries_its_image_figures_and_reasons(api_for, brief, analyst):
    reference = brief.references.select_related("image").order_by("order").first()

    body = api_for(analyst).get(_brief_url(brief)).json()

    image = reference.image
    assert body["references"][0] == {
        "id": reference.pk,
        "image": {
            "id": image.pk,
            "url": f"http://testserver/api/v1/creative-images/{image.pk}/file/",
            "width": 96,
            "height": 64,
            "orientation": "landscape",
            "format": "JPEG",
            "byte_size": image.byte_size,
            "sha256": image.sha256,
            "first_seen": image.first_seen.isoformat(),
            "last_seen": image.last_seen.isoformat(),
        },
        "order": 1,
        "pinned": False,
        "excluded": False,
        "metric": "ctr",
        "estimate": reference.estimate,
        "interval_low": reference.interval_low,
        "interval_high": reference.interval_high,
        "weight": 1.0,
        "platforms": ["meta"],
        "figures": reference.figures,
        "reason": reference.reason_en,
        "reason_es": reference.reason_es,
        "reason_en": reference.reason_en,
    }


def test_reasons_follow_the_requests_language(brief, analyst):
    api = APIClient()
    _row, token = AuthToken.objects.create(user=analyst)
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")  # no Accept-Language

    body = api.get(_brief_url(brief)).json()

    assert body["references"][0]["reason"] == body["references"][0]["reason_es"]
    assert body["references"][0]["reason"].startswith("CTR 2,2 %")


def test_an_unknown_brief_is_a_json_404(api_for, brief, analyst):
    response = api_for(analyst).get(f"{BRIEFS}999999/")

    assert response.status_code == 404
    assert response.json() == {"detail": "No Brief matches the given query."}
