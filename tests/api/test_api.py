"""The REST API end to end: every endpoint's happy path, its failures, auth and the token command.

Requests go through the real URL map, token authentication and services on a small ranked
catalog; generation runs the default "none" backend and the tiny random SDXL.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone
from PIL import Image
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from campaigns.models import Node
from creatives.models import CreativeImage, ImageDescription
from generation.backends.image.none import HOW_TO_ADD, NO_IMAGE_MODEL
from generation.briefs import services
from generation.models import (
    Brief,
    BriefReference,
    GeneratedImage,
    ImageBatch,
    ModelJob,
    PromptVersion,
    ShareLink,
    StylePreset,
)
from generation.sharing.links import share_link_create, token_hash
from tests.api.conftest import BRIEF_FIELDS
from tests.factories import make_ad, make_creative, make_description, make_image, make_metric

BRIEFS = "/api/v1/briefs/"


def _brief_url(brief: Brief, action: str = "") -> str:
    return f"{BRIEFS}{brief.pk}/{action}"


def _generate(api: APIClient, brief: Brief, capture, **fields):
    """POST generate/ and run the queued job, as the broker would after the commit."""
    with capture(execute=True):
        response = api.post(_brief_url(brief, "generate/"), fields, format="json")
    return response


def _finished_batch(brief: Brief, images: int = 2) -> ImageBatch:
    """A batch whose job succeeded, with real PNG files, without running a model."""
    from django.core.files.base import ContentFile

    batch = services.batch_queue(brief, seed=7, image_count=images)
    ModelJob.objects.filter(pk=batch.job_id).update(
        status=ModelJob.Status.SUCCEEDED, finished_at=timezone.now()
    )
    for index in range(images):
        buffer = io.BytesIO()
        Image.new("RGB", (8, 8), (index, 0, 0)).save(buffer, format="PNG")
        row = GeneratedImage(batch=batch, index=index, seed=7 + index, width=8, height=8)
        row.file.save(f"b{batch.pk}-{index}.png", ContentFile(buffer.getvalue()))
    return batch


# --- listing and filtering -----------------------------------------------------------------


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


# --- creating a brief ----------------------------------------------------------------------


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
        "CTR 2.2 % (2.1–2.4 %) on 20k impressions over 5 days; 1st of 5 Wompi traffic pieces"
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


# --- reading a brief -----------------------------------------------------------------------


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
    assert body["picks"][0]["url"] == f"http://testserver/generated/{second.pk}/file/"
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
            "url": f"http://testserver/library/images/{image.pk}/file/",
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


def test_reasons_follow_the_requests_language(api_for, brief, analyst):
    api = api_for(analyst)
    api.credentials(HTTP_AUTHORIZATION=f"Token {analyst.auth_token.key}")  # no Accept-Language

    body = api.get(_brief_url(brief)).json()

    assert body["references"][0]["reason"] == body["references"][0]["reason_es"]
    assert body["references"][0]["reason"].startswith("CTR 2,2 %")


def test_an_unknown_brief_is_a_json_404(api_for, brief, analyst):
    response = api_for(analyst).get(f"{BRIEFS}999999/")

    assert response.status_code == 404
    assert response.json() == {"detail": "No Brief matches the given query."}


# --- actions: rank, references, prompt -----------------------------------------------------


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


# --- generating, jobs and images -----------------------------------------------------------


def test_generating_without_an_image_model_ends_unavailable_with_what_to_do(
    api_for, brief, analyst, django_capture_on_commit_callbacks
):
    api = api_for(analyst)

    response = _generate(api, brief, django_capture_on_commit_callbacks)

    assert response.status_code == 202
    batch = ImageBatch.objects.get(brief=brief)
    assert response["Location"] == f"/api/v1/jobs/{batch.job_id}/"
    queued = response.json()
    assert (queued["id"], queued["job"]["status"], queued["image_count"]) == (batch.pk, "queued", 4)
    job = api.get(response["Location"]).json()
    assert {key: job[key] for key in ("kind", "status", "finished", "attempts", "error")} == {
        "kind": "generate",
        "status": "unavailable",
        "finished": True,
        "attempts": 1,
        "error": NO_IMAGE_MODEL,
    }
    assert job["how_to_fix"] == HOW_TO_ADD
    assert job["status_label"] == "No model available"
    assert api.get(_brief_url(brief, "images/")).json() == []


@pytest.mark.slow
def test_generating_with_the_tiny_sdxl_model_makes_four_images(
    api_for, brief, analyst, tiny_image_model, django_capture_on_commit_callbacks
):
    api = api_for(analyst)

    response = _generate(api, brief, django_capture_on_commit_callbacks, seed=11)

    assert response.status_code == 202
    job = api.get(response["Location"]).json()
    assert (job["status"], job["error"], job["how_to_fix"]) == ("succeeded", "", "")
    assert job["progress"] == {"done": 4, "total": 4}
    assert job["inference_seconds"] > 0
    images = api.get(_brief_url(brief, "images/")).json()
    assert [(i["index"], i["seed"], i["width"], i["height"]) for i in images] == [
        (0, 11, 64, 64),
        (1, 12, 64, 64),
        (2, 13, 64, 64),
        (3, 14, 64, 64),
    ]
    browser = Client()
    browser.force_login(analyst)
    served = browser.get(images[0]["url"].removeprefix("http://testserver"))
    assert served.status_code == 200
    assert served["Content-Type"] == "image/png"
    assert Image.open(io.BytesIO(b"".join(served.streaming_content))).size == (64, 64)


def test_generate_takes_its_settings_from_the_request_or_else_the_brief(
    api_for, brief, analyst, preset
):
    response = api_for(analyst).post(
        _brief_url(brief, "generate/"),
        {"seed": 5, "guidance_scale": 9.5, "style_preset": "photo", "image_count": 2},
        format="json",
    )

    assert response.status_code == 202
    body = response.json()
    assert (body["seed"], body["guidance_scale"], body["style_preset"], body["image_count"]) == (
        5,
        9.5,
        "photo",
        2,
    )
    assert body["seeds"] == [5, 6]
    assert body["prompt_version"] == 1
    batch = ImageBatch.objects.get(pk=body["id"])
    assert (batch.seed, batch.guidance_scale, batch.style_preset, batch.image_count) == (
        5,
        9.5,
        preset,
        2,
    )


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("seed", -3, "Ensure this value is greater than or equal to 0."),
        ("seed", 2**31, "Ensure this value is less than or equal to 2147483647."),
        ("guidance_scale", 0, "Ensure this value is greater than or equal to 1.0."),
        ("guidance_scale", "Infinity", "A valid number is required."),
        ("style_preset", "neon", "There is no active style preset with the slug “neon”."),
        ("image_count", 9, "Ensure this value is less than or equal to 8."),
    ],
)
def test_a_bad_generate_request_is_a_400_and_queues_nothing(
    api_for, brief, analyst, field, value, message
):
    response = api_for(analyst).post(_brief_url(brief, "generate/"), {field: value}, format="json")

    assert response.status_code == 400
    assert response.json()["fields"] == {field: [message]}
    assert not ImageBatch.objects.exists()
    assert not ModelJob.objects.filter(kind=ModelJob.Kind.GENERATE).exists()


def test_a_job_that_no_brief_of_the_user_owns_is_not_found_but_a_lead_sees_it(
    api_for, brief, analyst, lead
):
    describe = ModelJob.objects.create(kind=ModelJob.Kind.DESCRIBE, backend="heuristic")

    assert api_for(analyst).get(f"/api/v1/jobs/{describe.pk}/").status_code == 404
    seen = api_for(lead).get(f"/api/v1/jobs/{describe.pk}/")
    assert seen.status_code == 200
    assert (seen.json()["kind"], seen.json()["brief"]) == ("describe", None)


def test_the_images_can_be_filtered_to_the_picked_ones(api_for, brief, analyst):
    batch = _finished_batch(brief, images=3)
    picked = batch.images.get(index=1)
    services.generated_image_pick(picked, picked=True)
    api = api_for(analyst)

    picked_only = api.get(_brief_url(brief, "images/?picked=true")).json()
    unpicked = api.get(_brief_url(brief, "images/?picked=false")).json()
    bad = api.get(_brief_url(brief, "images/?picked=maybe"))

    assert [i["id"] for i in picked_only] == [picked.pk]
    assert [i["index"] for i in unpicked] == [0, 2]
    assert bad.status_code == 400
    assert bad.json()["fields"] == {"picked": ["Must be a valid boolean."]}


def test_picking_and_unpicking_an_image(api_for, brief, analyst):
    image = _finished_batch(brief).images.get(index=0)
    api = api_for(analyst)

    picked = api.post(f"/api/v1/images/{image.pk}/pick/", {"picked": True}, format="json")
    image.refresh_from_db()
    picked_at = image.picked_at
    unpicked = api.post(f"/api/v1/images/{image.pk}/pick/", {"picked": False}, format="json")

    assert picked.status_code == 200
    assert (picked.json()["picked"], picked.json()["picked_at"]) == (
        True,
        picked_at.astimezone().isoformat(),
    )
    assert picked.json()["url"] == f"http://testserver/generated/{image.pk}/file/"
    assert unpicked.status_code == 200
    assert (unpicked.json()["picked"], unpicked.json()["picked_at"]) == (False, None)
    image.refresh_from_db()
    assert (image.picked, image.picked_at) == (False, None)


def test_a_pick_without_a_boolean_is_a_400(api_for, brief, analyst):
    image = _finished_batch(brief).images.get(index=0)

    response = api_for(analyst).post(f"/api/v1/images/{image.pk}/pick/", {}, format="json")

    assert response.status_code == 400
    assert response.json() == {
        "detail": "Some fields are not valid: picked.",
        "fields": {"picked": ["This field is required."]},
    }
    image.refresh_from_db()
    assert image.picked is False


# --- share links ---------------------------------------------------------------------------


def test_a_new_share_link_shows_its_address_once_and_stores_only_its_hash(
    api_for, brief, analyst, client
):
    api = api_for(analyst)

    response = api.post(
        _brief_url(brief, "share-links/"),
        {"agency": "  Sancho BBDO ", "days": 3, "show_figures": True},
        format="json",
    )

    assert response.status_code == 201
    body = response.json()
    match = re.fullmatch(r"http://testserver/s/([A-Za-z0-9_-]{43})/", body["url"])
    assert match is not None
    token = match.group(1)
    link = ShareLink.objects.get()
    assert link.token_hash == token_hash(token) == hashlib.sha256(token.encode()).hexdigest()
    assert token not in {link.token_hash, link.token_hint, link.agency}
    assert (link.agency, link.show_figures, link.created_by) == ("Sancho BBDO", True, analyst)
    assert (body["id"], body["token_hint"], body["is_active"]) == (link.pk, token[:6], True)
    assert link.expires_at - link.created_at == pytest.approx(
        dt.timedelta(days=3), abs=dt.timedelta(seconds=5)
    )
    # The address opens the agency's page, and the list never shows the secret again.
    assert client.get(body["url"].removeprefix("http://testserver")).status_code == 200
    listed = api.get(_brief_url(brief, "share-links/")).json()
    assert [(row["id"], row["view_count"]) for row in listed] == [(link.pk, 1)]
    assert "url" not in listed[0]
    assert token not in str(listed)


def test_a_share_link_lasts_the_configured_days_by_default(api_for, brief, analyst, settings):
    settings.YENNI_SHARE_DAYS = 10

    response = api_for(analyst).post(
        _brief_url(brief, "share-links/"), {"agency": "DDB"}, format="json"
    )

    assert response.status_code == 201
    link = ShareLink.objects.get()
    assert link.show_figures is False
    assert link.expires_at - link.created_at == pytest.approx(
        dt.timedelta(days=10), abs=dt.timedelta(seconds=5)
    )


@pytest.mark.parametrize(
    ("payload", "field", "message"),
    [
        ({}, "agency", "This field is required."),
        ({"agency": "   "}, "agency", "This field may not be blank."),
        ({"agency": "a" * 121}, "agency", "Ensure this field has no more than 120 characters."),
        ({"agency": "DDB", "days": 0}, "days", "Ensure this value is greater than or equal to 1."),
        ({"agency": "DDB", "days": 91}, "days", "Ensure this value is less than or equal to 90."),
        ({"agency": "DDB", "show_figures": "lots"}, "show_figures", "Must be a valid boolean."),
    ],
)
def test_a_bad_share_link_request_is_a_400_and_creates_nothing(
    api_for, brief, analyst, payload, field, message
):
    response = api_for(analyst).post(_brief_url(brief, "share-links/"), payload, format="json")

    assert response.status_code == 400
    assert response.json()["fields"] == {field: [message]}
    assert not ShareLink.objects.exists()


def test_a_revoked_link_stops_opening(api_for, brief, analyst, client):
    link, token = share_link_create(brief=brief, agency="DDB", days=3, created_by=analyst)
    api = api_for(analyst)

    response = api.post(f"/api/v1/share-links/{link.pk}/revoke/")
    again = api.post(f"/api/v1/share-links/{link.pk}/revoke/")

    assert response.status_code == 200
    link.refresh_from_db()
    assert (response.json()["is_active"], response.json()["is_revoked"]) == (False, True)
    assert response.json()["revoked_at"] == link.revoked_at.astimezone().isoformat()
    assert again.status_code == 200
    assert again.json()["revoked_at"] == response.json()["revoked_at"]  # revoking is idempotent
    assert client.get(f"/s/{token}/").status_code == 410


# --- catalog -------------------------------------------------------------------------------


@pytest.fixture
def creative(db, media_storage):
    images = [make_image(width=16, height=9), make_image(width=9, height=16)]
    description = make_description(image=images[0], text="A blue banner with a phone")
    ImageDescription.objects.filter(pk=description.pk).update(text_es="Un banner azul")
    return make_creative(platform="meta", headline="Paga en cuotas", images=images)


def test_the_creatives_list_shows_copy_images_sizes_and_descriptions(api_for, analyst, creative):
    first, second = (slot.image for slot in creative.image_slots.order_by("position"))

    response = api_for(analyst).get("/api/v1/creatives/")

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    row = body["results"][0]
    assert {key: row[key] for key in ("id", "platform", "headline", "body", "call_to_action")} == {
        "id": creative.pk,
        "platform": "meta",
        "headline": "Paga en cuotas",
        "body": "Buy now, pay in 12 months.",
        "call_to_action": "LEARN_MORE",
    }
    assert [
        (slot["position"], slot["image"]["id"], slot["image"]["width"], slot["image"]["height"])
        for slot in row["images"]
    ] == [(0, first.pk, 16, 9), (1, second.pk, 9, 16)]
    assert row["images"][0]["image"]["url"] == f"http://testserver/library/images/{first.pk}/file/"
    assert [(d["text"], d["text_es"]) for d in row["images"][0]["descriptions"]] == [
        ("A blue banner with a phone", "Un banner azul")
    ]
    assert row["images"][1]["descriptions"] == []


def test_the_creatives_list_filters_by_platform(api_for, analyst, creative):
    google = make_creative(platform="google_ads")
    api = api_for(analyst)

    meta_ids = [row["id"] for row in api.get("/api/v1/creatives/?platform=meta").json()["results"]]
    google_ids = [
        row["id"] for row in api.get("/api/v1/creatives/?platform=google_ads").json()["results"]
    ]
    bad = api.get("/api/v1/creatives/?platform=myspace")

    assert (meta_ids, google_ids) == ([creative.pk], [google.pk])
    assert bad.status_code == 400
    assert bad.json()["fields"] == {"platform": ['"myspace" is not a valid choice.']}


def test_a_creative_can_be_read_alone(api_for, analyst, creative):
    response = api_for(analyst).get(f"/api/v1/creatives/{creative.pk}/")
    missing = api_for(analyst).get("/api/v1/creatives/999999/")

    assert response.status_code == 200
    assert response.json()["headline"] == "Paga en cuotas"
    assert missing.status_code == 404


def test_a_creatives_metrics_are_daily_rows_per_ad_within_the_dates_asked(
    api_for, analyst, creative
):
    ad = make_ad(creative=creative)
    for day in range(1, 4):
        make_metric(ad=ad, date=dt.date(2024, 3, day), impressions=1000 * day, clicks=day)
    api = api_for(analyst)
    url = f"/api/v1/creatives/{creative.pk}/metrics/"

    everything = api.get(url).json()
    window = api.get(f"{url}?start=2024-03-02&end=2024-03-02").json()

    assert [row["date"] for row in everything["results"]] == [
        "2024-03-01",
        "2024-03-02",
        "2024-03-03",
    ]
    assert window["count"] == 1
    assert window["results"][0] == {
        "date": "2024-03-02",
        "ad_id": ad.pk,
        "ad_name": ad.name,
        "campaign_id": ad.campaign_id,
        "campaign_name": ad.campaign.name,
        "objective": "traffic",
        "platform": "meta",
        "currency": "COP",
        "impressions": 2000,
        "reach": 1000,
        "clicks": 2,
        "link_clicks": 2,
        "spend_micros": 12_500_000,
        "conversions": 2.0,
        "conversion_value_micros": 0,
        "leads": 1,
        "video_views": 0,
        "engagements": 0,
    }


@pytest.mark.parametrize(
    ("query", "fields"),
    [
        (
            "start=2024-02-30",
            {"start": ["Date has wrong format. Use one of these formats instead: YYYY-MM-DD."]},
        ),
        (
            "end=yesterday",
            {"end": ["Date has wrong format. Use one of these formats instead: YYYY-MM-DD."]},
        ),
        ("start=2024-03-05&end=2024-03-01", {"end": ["The end comes before the start."]}),
    ],
)
def test_a_bad_metrics_date_is_a_400_that_says_which(api_for, analyst, creative, query, fields):
    response = api_for(analyst).get(f"/api/v1/creatives/{creative.pk}/metrics/?{query}")

    assert response.status_code == 400
    assert response.json() == {
        "detail": f"Some fields are not valid: {next(iter(fields))}.",
        "fields": fields,
    }


def test_the_nodes_and_style_presets_are_listed(api_for, analyst, wompi, preset):
    Node.objects.create(name="Compras", slug="compras", active=False)
    api = api_for(analyst)

    nodes = api.get("/api/v1/nodes/").json()
    presets = api.get("/api/v1/style-presets/").json()

    assert [(n["slug"], n["name"], n["active"]) for n in nodes] == [
        ("compras", "Compras", False),
        ("wompi", "Wompi", True),
    ]
    assert [p["slug"] for p in presets] == list(StylePreset.objects.values_list("slug", flat=True))
    assert next(p for p in presets if p["slug"] == "photo") == {
        "id": preset.pk,
        "slug": "photo",
        "name": "Photograph",
        "name_es": "Fotografía",
        "name_en": "Photograph",
        "positive": "photograph",
        "negative": "",
        "active": True,
    }


# --- schema and docs -----------------------------------------------------------------------


def test_the_schema_is_openapi_3_and_lists_every_endpoint(api_for, analyst):
    response = api_for(analyst).get("/api/schema/")

    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert sorted(schema["paths"]) == [
        "/api/v1/briefs/",
        "/api/v1/briefs/{id}/",
        "/api/v1/briefs/{id}/generate/",
        "/api/v1/briefs/{id}/images/",
        "/api/v1/briefs/{id}/prompt/",
        "/api/v1/briefs/{id}/rank/",
        "/api/v1/briefs/{id}/references/{image_id}/",
        "/api/v1/briefs/{id}/share-links/",
        "/api/v1/creatives/",
        "/api/v1/creatives/{id}/",
        "/api/v1/creatives/{id}/metrics/",
        "/api/v1/images/{id}/pick/",
        "/api/v1/jobs/{id}/",
        "/api/v1/nodes/",
        "/api/v1/share-links/{id}/revoke/",
        "/api/v1/style-presets/",
    ]
    assert set(schema["components"]["securitySchemes"]) == {"tokenAuth", "cookieAuth"}
    request_types = {
        media
        for path in schema["paths"].values()
        for operation in path.values()
        for media in operation.get("requestBody", {}).get("content", {})
    }
    assert request_types == {"application/json"}


def test_the_schema_is_also_served_as_yaml(api_for, analyst):
    response = api_for(analyst).get("/api/schema/?format=yaml")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.oai.openapi; charset=utf-8"
    assert response.content.startswith(b"openapi: 3.")


def test_the_docs_page_loads_swagger_ui_from_our_own_static_files(client, analyst):
    client.force_login(analyst)

    response = client.get("/api/docs/")

    assert response.status_code == 200
    page = response.content.decode()
    assert (
        '<script src="/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js">'
        in (page)
    )
    assert "/api/schema/" in page
    # No CDN: every script and stylesheet comes from this server.
    assert re.findall(r'(?:src|href)="(https?:)?//', page) == []


def test_the_schema_and_docs_are_refused_to_anonymous_visitors(api_for, db):
    anonymous = api_for(None)

    schema = anonymous.get("/api/schema/")
    docs = anonymous.get("/api/docs/")

    assert (schema.status_code, docs.status_code) == (401, 401)
    assert schema["WWW-Authenticate"] == "Token"


# --- authentication ------------------------------------------------------------------------


def test_an_anonymous_request_is_told_to_send_a_token(api_for, db):
    response = api_for(None).get(BRIEFS)

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert response.json() == {"detail": "Authentication credentials were not provided."}


def test_errors_speak_spanish_by_default(db):
    response = APIClient().get(BRIEFS)

    assert response.status_code == 401
    assert response.json() == {"detail": "Las credenciales de autenticación no se proveyeron."}


def test_a_wrong_token_is_a_401(api_for, db):
    api = api_for(None)
    api.credentials(HTTP_AUTHORIZATION="Token 0123456789abcdef", HTTP_ACCEPT_LANGUAGE="en")

    response = api.get(BRIEFS)

    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid token."}


def test_a_signed_in_browser_session_works_and_needs_the_csrf_token_to_change(brief, analyst):
    api = APIClient(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="en")
    api.force_login(analyst)

    read = api.get(BRIEFS)
    change = api.post(_brief_url(brief, "rank/"))

    assert read.status_code == 200
    assert change.status_code == 403
    assert change.json()["detail"] == "CSRF Failed: CSRF cookie not set."
    assert brief.prompt_versions.count() == 1


def test_unknown_api_addresses_answer_json_404s(api_for, analyst):
    api = api_for(analyst)

    nowhere = api.get("/api/v2/briefs/")
    no_slash = api.get("/api/v1/briefs")
    not_an_id = api.get("/api/v1/briefs/first/")

    assert [r.status_code for r in (nowhere, no_slash, not_an_id)] == [404, 404, 404]
    assert nowhere.json() == {
        "detail": "No API endpoint at this address. The endpoints are listed at /api/docs/."
    }
    assert no_slash.json() == {"detail": "Addresses end with a slash: /api/v1/briefs/"}
    assert not_an_id.json()["detail"].startswith("No API endpoint at this address.")


# --- the api_token command -----------------------------------------------------------------


def test_the_command_prints_a_token_that_opens_the_api(api_for, analyst, capsys):
    call_command("api_token", "andres_analyst")
    first = capsys.readouterr().out.strip()
    call_command("api_token", "andres_analyst")
    second = capsys.readouterr().out.strip()

    assert first == second == Token.objects.get(user=analyst).key
    assert re.fullmatch(r"[0-9a-f]{40}", first)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {first}")
    assert api.get(BRIEFS).status_code == 200


def test_rotating_the_token_stops_the_old_one_at_once(analyst, capsys):
    call_command("api_token", "andres_analyst")
    old = capsys.readouterr().out.strip()

    call_command("api_token", "andres_analyst", "--rotate")
    new = capsys.readouterr().out.strip()

    assert new != old
    assert Token.objects.get(user=analyst).key == new
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {old}")
    assert api.get(BRIEFS).status_code == 401


def test_a_lead_gets_a_token_too(lead, capsys):
    call_command("api_token", "lucia_lead")

    assert capsys.readouterr().out.strip() == Token.objects.get(user=lead).key


@pytest.mark.parametrize(
    ("username", "message"),
    [
        (
            "otto_outsider",
            "otto_outsider is neither an analyst nor a marketing lead, so the API would refuse "
            "the token. Add the user to the Analysts or Marketing leads group first.",
        ),
        ("nobody", "There is no user named 'nobody'."),
    ],
)
def test_the_command_refuses_users_the_api_would_refuse(outsider, username, message):
    with pytest.raises(CommandError) as raised:
        call_command("api_token", username)

    assert str(raised.value) == message
    assert not Token.objects.exists()


def test_the_command_refuses_a_deactivated_analyst(analyst):
    User.objects.filter(pk=analyst.pk).update(is_active=False)

    with pytest.raises(CommandError) as raised:
        call_command("api_token", "andres_analyst")

    assert str(raised.value) == "andres_analyst is deactivated; reactivate the account first."


# --- queries -------------------------------------------------------------------------------


def test_the_brief_list_costs_the_same_queries_for_many_briefs(
    api_for, brief, analyst, wompi, django_assert_max_num_queries
):
    for n in range(8):
        Brief.objects.create(
            owner=analyst, node=wompi, objective="traffic", title=f"B{n}", description="d" * 10
        )
    api = api_for(analyst)

    # Token and user, groups, count, page: a query per brief would make it 13 or more.
    with django_assert_max_num_queries(4):
        response = api.get(BRIEFS)

    assert response.json()["count"] == 9


def test_a_brief_with_many_batches_and_images_reads_in_a_fixed_number_of_queries(
    api_for, brief, analyst, django_assert_max_num_queries
):
    for _ in range(3):
        _finished_batch(brief, images=3)
    for n in range(3):
        share_link_create(brief=brief, agency=f"Agency {n}", days=2, created_by=analyst)
    api = api_for(analyst)

    # Token, groups, brief, references, prompt versions, batches, their images, share links.
    with django_assert_max_num_queries(8):
        response = api.get(_brief_url(brief))

    body = response.json()
    assert (len(body["batches"]), len(body["references"]), len(body["share_links"])) == (3, 4, 3)


def test_the_creatives_list_reads_in_a_fixed_number_of_queries(
    api_for, analyst, creative, django_assert_max_num_queries
):
    for _ in range(6):
        make_creative(images=[make_image(), make_image()])
    api = api_for(analyst)

    # Token, groups, count, creatives, slots with images, descriptions.
    with django_assert_max_num_queries(6):
        response = api.get("/api/v1/creatives/")

    assert response.json()["count"] == 7


def test_the_metrics_read_in_a_fixed_number_of_queries(
    api_for, analyst, creative, django_assert_max_num_queries
):
    for n in range(4):
        ad = make_ad(creative=creative)
        make_metric(ad=ad, date=dt.date(2024, 3, 1 + n))
    api = api_for(analyst)

    # Token, groups, creative, count, rows joined to ad, campaign, account and platform.
    with django_assert_max_num_queries(5):
        response = api.get(f"/api/v1/creatives/{creative.pk}/metrics/")

    assert response.json()["count"] == 4


def test_the_image_files_listed_are_the_generated_ones(api_for, brief, analyst):
    batch = _finished_batch(brief)

    body = api_for(analyst).get(_brief_url(brief, "images/")).json()

    assert [i["url"] for i in body] == [
        f"http://testserver/generated/{image.pk}/file/" for image in batch.images.order_by("index")
    ]
    assert CreativeImage.objects.count() == 5  # nothing written to the catalog
