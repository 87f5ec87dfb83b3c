"""generate/ and the jobs it queues: the batch's settings, its images, its refusals."""

from __future__ import annotations

import io

import pytest
from django.test import Client
from PIL import Image

from generation.backends.image.none import HOW_TO_ADD, NO_IMAGE_MODEL
from generation.models import ImageBatch, ModelJob
from tests.api.helpers import _brief_url, _generate


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
