"""generate/ and the jobs it queues: the batch's settings, its images, its refusals."""

from __future__ import annotations

import io

import pytest
from django.test import Client
from PIL import Image

from generation.backends.image.none import HOW_TO_ADD
from generation.models import ImageBatch, ModelJob
from tests.api.helpers import _brief_url, _generate


def test_generating_without_an_image_model_is_refused_up_front_and_queues_nothing(
    api_for, brief, analyst, django_capture_on_commit_callbacks
):
    api = api_for(analyst)

    response = _generate(api, brief, django_capture_on_commit_callbacks)

    assert response.status_code == 409
    assert response.json() == {
        "detail": "No image model is installed on this server, so no images can be generated. "
        "An operator adds one as docs/models.md says; meanwhile the prompt can be copied into "
        "any image tool.",
        "code": "no_image_model",
        "how_to_fix": HOW_TO_ADD,
    }
    assert not ImageBatch.objects.exists()
    assert not ModelJob.objects.filter(kind=ModelJob.Kind.GENERATE).exists()
    assert api.get(_brief_url(brief, "images/")).json() == []


def test_the_refusal_names_an_unknown_backend_in_the_operators_words(
    api_for, brief, analyst, settings
):
    settings.YENNI_MODELS = {**settings.YENNI_MODELS, "image": {"backend": "dalle"}}

    response = api_for(analyst).post(_brief_url(brief, "generate/"), {}, format="json")

    assert response.status_code == 409
    assert response.json()["code"] == "no_image_model"
    assert response.json()["how_to_fix"].startswith(
        "YENNI_IMAGE_BACKEND=dalle is not an image backend"
    )
    assert not ImageBatch.objects.exists()


def test_a_bad_generate_request_is_still_a_400_without_an_image_model(api_for, brief, analyst):
    response = api_for(analyst).post(_brief_url(brief, "generate/"), {"seed": -3}, format="json")

    assert response.status_code == 400
    assert not ImageBatch.objects.exists()


def test_the_refusal_is_in_spanish_for_a_spanish_client(api_for, brief, analyst):
    api = api_for(analyst)
    api.credentials(HTTP_AUTHORIZATION=api._credentials["HTTP_AUTHORIZATION"])

    response = api.post(_brief_url(brief, "generate/"), {}, format="json")

    assert response.status_code == 409
    assert response.json()["detail"].startswith(
        "No hay ningún modelo de imágenes instalado en este servidor"
    )


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
    api_for, brief, analyst, preset, image_model_configured
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
