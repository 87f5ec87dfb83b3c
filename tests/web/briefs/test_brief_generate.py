"""Generating images from the brief page: the form, the batches and what the page costs."""

from __future__ import annotations

import datetime as dt
import io

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from PIL import Image
from pytest_django.asserts import assertContains, assertNotContains, assertRedirects

from generation.briefs import services
from generation.models import ImageBatch, ModelJob, StylePreset
from generation.sharing import links as sharing
from tests.web.briefs.helpers import _batch, _brief, _refs


def test_a_batch_whose_model_is_missing_says_so_in_plain_words_and_whom_to_ask(
    en, brief, settings, tmp_path, django_capture_on_commit_callbacks
):
    # SDXL is configured but its weights folder is missing: the page cannot know that before
    # the job loads it (with no backend at all it says so before pressing, see
    # tests/generation/test_generate_honest.py), so the job ends in "No model available".
    missing = tmp_path / "no-weights-here"
    settings.YENNI_MODELS = {
        **settings.YENNI_MODELS,
        "image": {"backend": "sdxl", "model": str(missing), "device": "cpu", "options": {}},
    }
    en.force_login(brief.owner)

    with django_capture_on_commit_callbacks(execute=True):
        response = en.post(
            reverse("brief_generate", args=[brief.pk]),
            {"seed": "7", "guidance_scale": "7", "style_preset": "", "image_count": "4"},
        )

    detail = reverse("brief_detail", args=[brief.pk])
    assertRedirects(response, f"{detail}#batches", fetch_redirect_response=False)
    batch = ImageBatch.objects.get(brief=brief)
    assert (batch.seed, batch.image_count, batch.job.status) == (7, 4, "unavailable")
    page = en.get(detail)
    assertContains(page, "Images queued. They appear below as soon as they are ready.")
    assertContains(page, 'data-testid="batch"', count=1)
    assertContains(page, 'data-status="unavailable"')
    assertContains(page, "No images were made.")
    assertContains(page, escape(f"The image model weights folder {missing} does not exist."))
    # The operator's step (a settings change) is for staff; the analyst reads whom to ask.
    assertNotContains(page, escape(batch.job.how_to_fix))
    assertContains(page, "Ask your administrator to set up the model.")
    assertContains(page, 'data-pending="false"')


def test_generating_with_the_tiny_image_model_shows_four_images_to_pick(
    en, brief, tiny_image_model, django_capture_on_commit_callbacks
):
    en.force_login(brief.owner)

    with django_capture_on_commit_callbacks(execute=True):
        en.post(
            reverse("brief_generate", args=[brief.pk]),
            {"seed": "1234", "guidance_scale": "5", "style_preset": "", "image_count": "4"},
        )

    batch = ImageBatch.objects.get(brief=brief)
    assert batch.job.status == ModelJob.Status.SUCCEEDED, batch.job.error
    page = en.get(reverse("brief_detail", args=[brief.pk]))
    assertContains(page, 'data-status="succeeded"')
    assertContains(page, 'data-testid="generated-image"', count=4)
    assertContains(page, 'data-testid="pick"', count=4)
    assertContains(page, 'data-picked="false"', count=4)
    assertContains(page, "<dt>Seed</dt><dd>1234</dd>", html=False)
    assertContains(page, "<dt>CFG</dt><dd>5</dd>", html=False)
    assertContains(page, "<dt>Prompt</dt><dd>version 1</dd>", html=False)
    for image in batch.images.order_by("index"):
        assertContains(page, f'data-image-id="{image.pk}"')
        served = en.get(reverse("generated_image_file", args=[image.pk]))
        assert served.status_code == 200
        assert served["Content-Type"] == "image/png"
        assert Image.open(io.BytesIO(b"".join(served.streaming_content))).size == (64, 64)


def test_bad_generate_settings_queue_nothing_and_say_why(en, brief, settings):
    # An image model named, so the form is read (with none, nothing is read: issue 14 item 7).
    settings.YENNI_MODELS = {**settings.YENNI_MODELS, "image": {"backend": "sdxl", "model": "x"}}
    en.force_login(brief.owner)

    response = en.post(
        reverse("brief_generate", args=[brief.pk]),
        {"seed": "x", "guidance_scale": "30", "style_preset": "", "image_count": "12"},
    )

    assert response.status_code == 200
    assert response.context["generate_form"].errors == {
        "seed": ["The seed is a whole number from 0 to 2147483647."],
        "guidance_scale": ["The guidance scale goes from 1 to 20."],
        "image_count": ["Ask for eight images at most."],
    }
    assertContains(response, "Nothing was queued: see the messages under the fields.")
    assert not ImageBatch.objects.exists()


def test_the_generate_form_starts_from_the_briefs_settings(en, analyst, node):
    preset = StylePreset.objects.create(slug="foto", name_es="Foto", name_en="Photo")
    brief = _brief(analyst, node, style_preset=preset, image_count=2, guidance_scale=9.5)
    en.force_login(analyst)

    form = en.get(reverse("brief_detail", args=[brief.pk])).context["generate_form"]

    assert (form["image_count"].value(), form["guidance_scale"].value()) == (2, 9.5)
    assert (form["style_preset"].value(), form["seed"].value()) == (preset.pk, None)


def test_a_queued_batch_shows_its_status_line_and_the_page_follows_it(en, brief):
    _batch(brief, status=ModelJob.Status.QUEUED)
    en.force_login(brief.owner)

    response = en.get(reverse("brief_detail", args=[brief.pk]))

    assertContains(response, 'data-pending="true"')
    assertContains(response, 'data-status="queued"')
    assertContains(response, '<span class="job-label">Queued</span>', html=False)
    assertContains(response, 'class="gen-placeholder"', count=1)
    assertContains(response, "js/brief.js")
    assertNotContains(response, 'http-equiv="refresh"')


def test_batches_are_listed_newest_first_and_earlier_ones_stay(en, brief):
    old = _batch(brief, images=1, seed=1)
    new = _batch(brief, images=2, seed=2)
    ImageBatch.objects.filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(hours=1))
    en.force_login(brief.owner)

    response = en.get(reverse("brief_detail", args=[brief.pk]))

    cards = response.context["page"].batches
    assert [card.batch.pk for card in cards] == [new.pk, old.pk]
    assertContains(response, 'data-testid="generated-image"', count=3)


def test_the_brief_page_costs_the_same_queries_however_much_the_brief_holds(
    en, brief, django_assert_max_num_queries
):
    _batch(brief, images=1)
    en.force_login(brief.owner)
    url = reverse("brief_detail", args=[brief.pk])
    # Session, user, groups, brief, references, prompt versions, batches, their images, write
    # jobs, share links, style presets.
    with django_assert_max_num_queries(11), CaptureQueriesContext(connection) as small:
        assert en.get(url).status_code == 200

    for n in range(5):
        _batch(brief, images=3, seed=n)
        services.prompt_version_edit(
            brief, positive=f"version {n}", negative="", author=brief.owner
        )
        sharing.share_link_create(brief=brief, agency=f"Agencia {n}", days=5)
    services.brief_reference_mark(brief, image_id=_refs(brief)[0], excluded=True)
    with django_assert_max_num_queries(11), CaptureQueriesContext(connection) as large:
        assert en.get(url).status_code == 200

    assert len(large.captured_queries) == len(small.captured_queries)
