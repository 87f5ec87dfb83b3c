"""Generate tells the truth before it is pressed; sharing with no picked image asks first.

Issue 14 item 7. On the default install (`bash scripts/run.sh`: YENNI_IMAGE_BACKEND=none) the
brief page offered Generate, showed "queued", then put an operator's pip command in front of
the analyst; sharing a brief with no picked image gave the agency an empty page unasked.
"""

from __future__ import annotations

import pytest
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains, assertRedirects

from generation.backends import availability
from generation.models import ImageBatch, ModelJob, ShareLink
from tests.web.briefs import conftest as brief_pages
from tests.web.briefs.helpers import _batch

# The brief pages' fixtures: a small ranked catalog of Wompi, a brief on it, English pages.
node, brief, en = brief_pages.node, brief_pages.brief, brief_pages.en

OFF_ES = (
    "La generación de imágenes no está activa en esta instalación; pídale a su administrador "
    "que la active. Mientras tanto, puede copiar el prompt en cualquier herramienta de imágenes."
)
OFF_EN = (
    "Image generation is not active in this installation; ask your administrator to turn it "
    "on. Meanwhile you can copy the prompt into any image tool."
)
OPERATOR_WORDS = ("pip install", "YENNI_IMAGE_BACKEND", "constraints.txt")


@pytest.fixture
def image_model_configured(settings):
    """SDXL named in the settings (the page loads no weights, so none are needed here)."""
    settings.YENNI_MODELS = {**settings.YENNI_MODELS, "image": {"backend": "sdxl", "model": "x"}}


def _generate_data() -> dict[str, str]:
    return {"seed": "7", "guidance_scale": "7", "style_preset": "", "image_count": "4"}


# --- knowing up front ------------------------------------------------------------------------


def test_the_default_install_has_image_generation_off_with_the_operators_note(settings):
    assert settings.YENNI_MODELS["image"]["backend"] == "none"

    state = availability.image_generation()

    assert state.active is False
    assert "YENNI_IMAGE_BACKEND=sdxl" in state.operator_note


def test_sdxl_with_its_libraries_installed_counts_as_active(image_model_configured):
    assert availability.image_generation() == availability.ImageGeneration(active=True)


def test_an_unknown_backend_name_counts_as_off(settings):
    settings.YENNI_MODELS = {**settings.YENNI_MODELS, "image": {"backend": "dalle"}}

    state = availability.image_generation()

    assert state.active is False
    assert state.operator_note.startswith("YENNI_IMAGE_BACKEND=dalle is not an image backend")


def test_sdxl_without_its_libraries_counts_as_off_unless_a_gpu_cluster_runs_it(
    image_model_configured, settings, monkeypatch
):
    # A module name no machine has stands for diffusers missing on a CPU-only install.
    monkeypatch.setattr(availability, "IMAGE_LIBRARIES", ("torch", "no_such_library_h7"))
    settings.GPU_CLUSTER = ""

    off = availability.image_generation()
    settings.GPU_CLUSTER = "gpu"
    on_the_cluster = availability.image_generation()

    assert off.active is False
    assert "pip install -c constraints.txt" in off.operator_note
    assert on_the_cluster.active is True


# --- the brief page --------------------------------------------------------------------------


def test_with_no_image_model_the_analyst_reads_plain_spanish_before_pressing(client, brief):
    client.force_login(brief.owner)

    response = client.get(reverse("brief_detail", args=[brief.pk]))

    assertContains(response, OFF_ES, count=1)
    assertContains(response, 'data-testid="generation-off"', count=1)
    # The button stays in sight, switched off, so the analyst sees what is missing.
    assertContains(
        response,
        '<button type="button" class="btn btn-primary btn-large" data-testid="generate" '
        'disabled aria-describedby="generation-off">Generar</button>',
        html=True,
    )
    assertNotContains(response, reverse("brief_generate", args=[brief.pk]))
    for words in OPERATOR_WORDS:
        assertNotContains(response, words)


def test_staff_also_read_what_an_operator_does_to_turn_generation_on(en, brief):
    brief.owner.is_staff = True
    brief.owner.save(update_fields=["is_staff"])
    en.force_login(brief.owner)

    response = en.get(reverse("brief_detail", args=[brief.pk]))

    assertContains(response, OFF_EN, count=1)
    assertContains(response, 'data-testid="generation-operator-note"', count=1)
    assertContains(response, "YENNI_IMAGE_BACKEND=sdxl")
    assertContains(response, "docs/models.md")


def test_with_an_image_model_the_generate_button_posts_the_form(en, brief, image_model_configured):
    en.force_login(brief.owner)

    response = en.get(reverse("brief_detail", args=[brief.pk]))

    assertNotContains(response, OFF_EN)
    assertNotContains(response, 'data-testid="generation-off"')
    assertContains(response, f'action="{reverse("brief_generate", args=[brief.pk])}"', count=1)
    assertContains(
        response,
        '<button type="submit" class="btn btn-primary btn-large" data-testid="generate">'
        "Generate</button>",
        html=True,
    )


def test_posting_generate_anyway_queues_nothing_and_says_why_in_plain_words(en, brief):
    en.force_login(brief.owner)

    response = en.post(reverse("brief_generate", args=[brief.pk]), _generate_data())

    detail = reverse("brief_detail", args=[brief.pk])
    assertRedirects(response, f"{detail}#generate", fetch_redirect_response=False)
    assert not ImageBatch.objects.exists()
    assert not ModelJob.objects.filter(kind=ModelJob.Kind.GENERATE).exists()
    page = en.get(detail)
    # Once as the page's message, once in the Generate section.
    assertContains(page, OFF_EN, count=2)
    assertNotContains(page, "Images queued")


def test_an_earlier_batch_without_a_model_shows_the_analyst_no_operator_command(en, brief):
    _batch(
        brief,
        status=ModelJob.Status.UNAVAILABLE,
        error="No image model is installed, so Yenni wrote the prompt but made no images.",
        how_to_fix="Set YENNI_IMAGE_BACKEND=sdxl and provide weights to generate images.",
    )
    en.force_login(brief.owner)

    page = en.get(reverse("brief_detail", args=[brief.pk]))
    progress = en.get(reverse("brief_progress", args=[brief.pk])).json()

    assertContains(page, "No images were made.")
    assertContains(page, "Ask your administrator to set up the model.", count=1)
    assertNotContains(page, "YENNI_IMAGE_BACKEND")
    assert [job["how_to_fix"] for job in progress["jobs"]] == [
        "Ask your administrator to set up the model."
    ]


def test_staff_still_read_the_operator_command_on_an_earlier_batch(en, brief):
    _batch(
        brief,
        status=ModelJob.Status.UNAVAILABLE,
        error="No image model is installed, so Yenni wrote the prompt but made no images.",
        how_to_fix="Set YENNI_IMAGE_BACKEND=sdxl and provide weights to generate images.",
    )
    brief.owner.is_staff = True
    brief.owner.save(update_fields=["is_staff"])
    en.force_login(brief.owner)

    page = en.get(reverse("brief_detail", args=[brief.pk]))
    progress = en.get(reverse("brief_progress", args=[brief.pk])).json()

    assertContains(page, "Set YENNI_IMAGE_BACKEND=sdxl and provide weights to generate images.")
    assert [job["how_to_fix"] for job in progress["jobs"]] == [
        "Set YENNI_IMAGE_BACKEND=sdxl and provide weights to generate images."
    ]


# --- sharing with no picked image ------------------------------------------------------------


def test_sharing_with_no_picked_image_asks_first_and_creates_no_link(en, brief):
    en.force_login(brief.owner)

    response = en.post(
        reverse("brief_share", args=[brief.pk]),
        {"agency": "Agencia Norte", "days": "7", "show_figures": "on"},
    )

    assert response.status_code == 200
    assert not ShareLink.objects.exists()
    assertContains(
        response,
        "No image is picked: the agency will see the brief and its references but no "
        "generated image. Share anyway?",
        count=1,
    )
    # The confirmation carries what was typed, so one press shares it.
    assertContains(response, 'data-testid="confirm-share"', count=1)
    assertContains(response, '<input type="hidden" name="confirm_no_picks" value="1">', html=True)
    assertContains(response, 'value="Agencia Norte"')


def test_confirming_shares_a_brief_with_no_picked_image(en, brief):
    en.force_login(brief.owner)

    response = en.post(
        reverse("brief_share", args=[brief.pk]),
        {"agency": "Agencia Norte", "days": "7", "confirm_no_picks": "1"},
    )

    assert response.status_code == 200
    link = ShareLink.objects.get()
    assert (link.agency, link.show_figures) == ("Agencia Norte", False)
    assertContains(response, "Link created for Agencia Norte.")
    assertNotContains(response, 'data-testid="confirm-share"')


def test_a_brief_with_a_picked_image_is_shared_without_a_question(en, brief):
    batch = _batch(brief, images=2)
    batch.images.filter(index=0).update(picked=True)
    en.force_login(brief.owner)

    response = en.post(
        reverse("brief_share", args=[brief.pk]), {"agency": "Agencia Norte", "days": "7"}
    )

    assert ShareLink.objects.count() == 1
    assertNotContains(response, 'data-testid="confirm-share"')
    assertContains(response, "Link created for Agencia Norte.")


def test_the_brief_page_warns_beside_the_share_form_while_nothing_is_picked(en, brief):
    en.force_login(brief.owner)

    response = en.get(reverse("brief_detail", args=[brief.pk]))

    assertContains(
        response,
        "No image is picked yet: pick the images the agency should see before sharing.",
        count=1,
    )
