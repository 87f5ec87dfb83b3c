"""Picking generated images, and the progress the page polls."""

from __future__ import annotations

import datetime as dt
import json

from django.urls import reverse
from django.utils import timezone
from pytest_django.asserts import assertContains, assertRedirects

from generation.briefs import services
from generation.models import GeneratedImage, ModelJob
from tests.web.briefs.helpers import _batch, _brief


def test_picking_works_as_a_form_and_unpicking_as_a_script_call(en, brief):
    image = _batch(brief, images=2).images.get(index=1)
    en.force_login(brief.owner)
    url = reverse("image_pick", args=[brief.pk, image.pk])

    form = en.post(url, {"picked": "true"})
    image.refresh_from_db()
    picked_at = image.picked_at
    script = en.post(url, {"picked": "false"}, headers={"accept": "application/json"})

    detail = reverse("brief_detail", args=[brief.pk])
    assertRedirects(form, f"{detail}#image-{image.pk}", fetch_redirect_response=False)
    assert picked_at is not None
    assert script.status_code == 200
    assert script.json() == {"id": image.pk, "picked": False}
    image.refresh_from_db()
    assert (image.picked, image.picked_at) == (False, None)


def test_a_picked_image_shows_as_picked_and_the_button_unpicks(en, brief):
    image = _batch(brief, images=1).images.get()
    services.generated_image_pick(image, picked=True)
    en.force_login(brief.owner)

    response = en.get(reverse("brief_detail", args=[brief.pk]))

    assertContains(response, 'data-picked="true"', count=1)
    assertContains(response, '<input type="hidden" name="picked" value="false">', html=True)
    assertContains(response, 'data-testid="pick" aria-pressed="true"', count=1)


def test_a_pick_needs_a_clear_value_and_an_image_of_this_brief(en, analyst, node, brief):
    image = _batch(brief, images=1).images.get()
    elsewhere = _batch(_brief(analyst, node, title="Otro"), images=1).images.get()
    en.force_login(analyst)

    unclear = en.post(reverse("image_pick", args=[brief.pk, image.pk]), {"picked": "yes"})
    foreign = en.post(reverse("image_pick", args=[brief.pk, elsewhere.pk]), {"picked": "true"})

    assert unclear.status_code == 400
    assert unclear.content.decode() == "Say picked=true or picked=false."
    assert foreign.status_code == 404
    assert not GeneratedImage.objects.filter(picked=True).exists()


def test_progress_reports_each_unfinished_or_recent_job_with_exact_fields(en, brief):
    now = timezone.now()
    old = _batch(brief, status=ModelJob.Status.SUCCEEDED, images=1)
    ModelJob.objects.filter(pk=old.job_id).update(finished_at=now - dt.timedelta(hours=1))
    queued = _batch(brief, status=ModelJob.Status.QUEUED, queued_at=now - dt.timedelta(seconds=30))
    running = _batch(brief, status=ModelJob.Status.RUNNING, stage="generating")
    ModelJob.objects.filter(pk=running.job_id).update(queued_at=now - dt.timedelta(seconds=75))
    done = _batch(
        brief,
        status=ModelJob.Status.UNAVAILABLE,
        error="No image model is installed.",
        how_to_fix="Install one.",
    )
    ModelJob.objects.filter(pk=done.job_id).update(
        queued_at=now - dt.timedelta(seconds=9), finished_at=now - dt.timedelta(seconds=5)
    )
    en.force_login(brief.owner)

    response = en.get(reverse("brief_progress", args=[brief.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    data = response.json()
    html = data["jobs"][2].pop("html")
    assert data == {
        "pending": True,
        "jobs": [
            {
                "id": running.job_id,
                "kind": "generate",
                "status": "running",
                "stage": "generating",
                "label": "Generating images",
                "elapsed_seconds": 75,
                "error": "",
                "how_to_fix": "",
                "batch_id": running.pk,
                "html": None,
            },
            {
                "id": queued.job_id,
                "kind": "generate",
                "status": "queued",
                "stage": "",
                "label": "Queued",
                "elapsed_seconds": 30,
                "error": "",
                "how_to_fix": "",
                "batch_id": queued.pk,
                "html": None,
            },
            {
                "id": done.job_id,
                "kind": "generate",
                "status": "unavailable",
                "stage": "",
                "label": "No image model",
                "elapsed_seconds": 4,
                "error": "No image model is installed.",
                # An operator's step: the analyst reads whom to ask (issue 14 item 7).
                "how_to_fix": "Ask your administrator to set up the model.",
                "batch_id": done.pk,
            },
        ],
    }
    assert html.strip().startswith(f'<article class="batch card" id="batch-{done.pk}"')
    assert 'data-testid="batch"' in html
    assert "No image model is installed." in html
    assert 'data-status="unavailable"' in html


def test_progress_of_a_finished_batch_carries_its_images_and_pick_buttons(en, brief):
    batch = _batch(brief, images=2)
    en.force_login(brief.owner)

    job = en.get(reverse("brief_progress", args=[brief.pk])).json()["jobs"][0]

    assert (job["status"], job["batch_id"]) == ("succeeded", batch.pk)
    assert job["html"].count('data-testid="generated-image"') == 2
    assert job["html"].count('data-testid="pick"') == 2


def test_a_language_model_writing_the_prompt_shows_in_the_prompt_section_and_in_progress(en, brief):
    job = ModelJob.objects.create(
        kind=ModelJob.Kind.WRITE,
        backend="llm",
        brief=brief,
        status=ModelJob.Status.RUNNING,
        stage="writing",
    )
    en.force_login(brief.owner)

    page = en.get(reverse("brief_detail", args=[brief.pk]))
    progress = en.get(reverse("brief_progress", args=[brief.pk])).json()

    assertContains(page, f'data-job-id="{job.pk}" data-kind="write"')
    assertContains(page, '<span class="job-label">Writing the prompt</span>', html=False)
    assertContains(page, 'data-pending="true"')
    assert [
        (j["id"], j["kind"], j["label"], j["batch_id"], j["html"]) for j in progress["jobs"]
    ] == [(job.pk, "write", "Writing the prompt", None, None)]
    assert progress["pending"] is True


def test_progress_with_nothing_running_is_empty_and_not_pending(en, brief):
    en.force_login(brief.owner)

    response = en.get(reverse("brief_progress", args=[brief.pk]))

    assert json.loads(response.content) == {"pending": False, "jobs": []}
