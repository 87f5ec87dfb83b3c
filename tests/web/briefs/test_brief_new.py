"""The new-brief form: what it offers, what it creates, what it refuses and why."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.validators import MaxValueValidator
from django.urls import reverse
from django.utils.html import escape
from PIL import Image
from pytest_django.asserts import assertContains, assertNotContains, assertRedirects

from campaigns.models import Objective
from generation.models import Brief, StylePreset
from tests.factories import make_node as factory_node
from tests.web.briefs.helpers import _png


def test_the_new_brief_form_offers_active_nodes_objectives_presets_and_tone_ideas(
    en, analyst, node
):
    factory_node(name="Nodo cerrado", slug="cerrado").__class__.objects.filter(
        slug="cerrado"
    ).update(active=False)
    StylePreset.objects.create(slug="foto", name_es="Fotografía natural", name_en="Natural photo")
    StylePreset.objects.create(slug="old", name_es="Viejo", name_en="Old", active=False)
    en.force_login(analyst)

    response = en.get(reverse("brief_new"))

    assert response.status_code == 200
    assertContains(response, f'<option value="{node.pk}">Wompi</option>', html=True)
    assertNotContains(response, "Nodo cerrado")
    for value, label in Objective.choices:
        assertContains(response, f'<option value="{value}">{label}</option>', html=True)
    assertContains(response, "Natural photo")
    assertNotContains(response, ">Old<")
    assertContains(response, '<datalist id="tone-suggestions">')
    assertContains(response, '<option value="trustworthy"></option>', html=False)
    assertContains(response, 'name="image_count" value="4"')
    assertContains(response, 'name="guidance_scale" value="7"')
    assertContains(response, 'name="sketch_strength" value="0.6"')
    assertContains(response, '<details class="advanced">')
    assertContains(response, 'data-testid="create-brief"')
    for name in ("title", "description", "audience", "tone", "style_preset", "seed", "sketch"):
        assertContains(response, f'name="{name}"')


def test_the_new_brief_form_names_presets_in_spanish_by_default(client, analyst, node):
    StylePreset.objects.create(slug="foto", name_es="Fotografía natural", name_en="Natural photo")
    client.force_login(analyst)

    response = client.get(reverse("brief_new"))

    assertContains(response, "Fotografía natural")
    assertNotContains(response, "Natural photo")


def _form(node_row, **changes) -> dict:
    data = {
        "node": node_row.pk,
        "objective": "traffic",
        "title": "Links de pago",
        "description": "Emprendedora recibiendo pagos con el celular",
        "audience": "Emprendedores",
        "tone": "cercano",
        "style_preset": "",
        "image_count": "4",
        "guidance_scale": "7",
        "seed": "",
        "sketch_strength": "0.6",
    }
    data.update(changes)
    return data


def test_creating_a_brief_ranks_references_writes_the_prompt_and_opens_the_brief(en, analyst, node):
    preset = StylePreset.objects.create(slug="foto", name_es="Foto", name_en="Photo")
    en.force_login(analyst)

    response = en.post(
        reverse("brief_new"),
        _form(node, style_preset=preset.pk, seed="42", image_count="2", guidance_scale="6.5"),
    )

    brief = Brief.objects.get()
    assertRedirects(
        response, reverse("brief_detail", args=[brief.pk]), fetch_redirect_response=False
    )
    assert (brief.owner, brief.node, brief.objective, brief.style_preset) == (
        analyst,
        node,
        "traffic",
        preset,
    )
    assert (brief.seed, brief.image_count, brief.guidance_scale) == (42, 2, 6.5)
    assert brief.references.count() == 4
    assert brief.prompt_versions.get().number == 1
    page = en.get(reverse("brief_detail", args=[brief.pk]))
    assertContains(page, "Brief created: Yenni chose 4 references and wrote the prompt.")
    assertContains(page, 'data-testid="reference"', count=4)


def test_a_brief_can_start_from_a_sketch(en, analyst, node):
    en.force_login(analyst)
    sketch = SimpleUploadedFile("idea.png", _png(), content_type="image/png")

    response = en.post(
        reverse("brief_new"), {**_form(node, sketch_strength="0.4"), "sketch": sketch}
    )

    brief = Brief.objects.get()
    assert response.status_code == 302
    assert brief.sketch.name.startswith("sketches/")
    assert brief.sketch_strength == 0.4
    with brief.sketch.open("rb") as handle:
        assert Image.open(handle).size == (80, 80)


TOO_BIG = b"\x89PNG" + b"\0" * (10 * 1024 * 1024)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("node", "", "Choose the business unit the campaign is for."),
        ("node", "999999", "Choose one of the business units in the list."),
        ("objective", "sales", "Choose one of the objectives in the list."),
        ("title", "   ", "Give the brief a short title."),
        ("title", "t" * 121, "Keep the title under 120 characters (it has 121)."),
        ("description", "", "Say what the campaign is about."),
        ("description", "corto", "Say a little more: at least 10 characters (it has 5)."),
        ("description", "d" * 2001, "Keep it under 2000 characters (it has 2001)."),
        ("audience", "a" * 301, "Keep the audience under 300 characters."),
        ("tone", "t" * 301, "Keep the tone under 300 characters."),
        ("style_preset", "999999", "Select a valid choice. That choice is not one of the"),
        ("image_count", "0", "Ask for at least one image."),
        ("image_count", "9", "Ask for eight images at most."),
        ("image_count", "four", "Write a whole number of images, from 1 to 8."),
        ("guidance_scale", "0.5", "The guidance scale goes from 1 to 20."),
        ("guidance_scale", "21", "The guidance scale goes from 1 to 20."),
        ("seed", "-1", "The seed is a whole number from 0 to 2147483647."),
        ("seed", str(2**31), "The seed is a whole number from 0 to 2147483647."),
        ("sketch_strength", "0.01", "The distance from the sketch goes from 0.05 to 1."),
        ("sketch_strength", "1.5", "The distance from the sketch goes from 0.05 to 1."),
    ],
)
def test_a_bad_field_is_explained_and_no_brief_is_created(en, analyst, node, field, value, message):
    en.force_login(analyst)

    response = en.post(reverse("brief_new"), _form(node, **{field: value}))

    assert response.status_code == 200
    assert list(response.context["form"].errors) == [field]
    assertContains(response, escape(message))
    assertContains(response, "Some fields need a change before the brief can be created.")
    assertContains(response, 'aria-invalid="true"', count=1)
    assert Brief.objects.count() == 0


@pytest.mark.parametrize("field", ["title", "description", "audience", "tone"])
def test_each_text_is_taken_up_to_the_models_length_and_refused_one_character_over(
    en, analyst, node, field
):
    limit = Brief._meta.get_field(field).max_length
    en.force_login(analyst)

    refused = en.post(reverse("brief_new"), _form(node, **{field: "x" * (limit + 1)}))
    taken = en.post(reverse("brief_new"), _form(node, **{field: "x" * limit}))

    [message] = refused.context["form"].errors[field]
    assert f"under {limit} characters" in message
    brief = Brief.objects.get()
    assertRedirects(taken, reverse("brief_detail", args=[brief.pk]))
    assert len(getattr(brief, field)) == limit


@pytest.mark.parametrize(
    ("field", "over"),
    [("image_count", 1), ("guidance_scale", 0.5), ("sketch_strength", 0.05)],
)
def test_each_number_is_taken_up_to_the_models_maximum_and_refused_above_it(
    en, analyst, node, field, over
):
    [maximum] = [
        v.limit_value
        for v in Brief._meta.get_field(field).validators
        if isinstance(v, MaxValueValidator)
    ]
    en.force_login(analyst)

    refused = en.post(reverse("brief_new"), _form(node, **{field: str(maximum + over)}))
    taken = en.post(reverse("brief_new"), _form(node, **{field: str(maximum)}))

    assert list(refused.context["form"].errors) == [field]
    assert taken.status_code == 302
    assert getattr(Brief.objects.get(), field) == maximum


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        (
            "brief.png",
            b"%PDF-1.4 this is a document, not a picture",
            "The sketch is not an image Yenni can read. Upload a JPEG, PNG or WebP file.",
        ),
        (
            "small.png",
            _png(size=(63, 200)),
            "The sketch is 63×200 pixels; it needs at least 64 pixels on each side.",
        ),
        (
            "anim.gif",
            _png(fmt="GIF"),
            "The sketch is a GIF file; upload a JPEG, PNG or WebP image.",
        ),
        ("huge.png", TOO_BIG, "The sketch is 10.0 MB; upload one of 10 MB or less."),
        ("empty.png", b"", "The sketch file is empty."),
    ],
)
def test_a_bad_sketch_is_refused_with_a_clear_message(en, analyst, node, name, data, message):
    en.force_login(analyst)
    sketch = SimpleUploadedFile(name, data, content_type="image/png")

    response = en.post(reverse("brief_new"), {**_form(node), "sketch": sketch})

    assert response.status_code == 200
    assert response.context["form"].errors == {"sketch": [message]}
    assertContains(response, '<details class="advanced" open>', html=False)
    assert Brief.objects.count() == 0


def test_an_empty_new_brief_post_is_answered_with_the_required_fields(en, analyst, node):
    en.force_login(analyst)

    response = en.post(reverse("brief_new"), {})

    assert response.status_code == 200
    assert sorted(response.context["form"].errors) == [
        "description",
        "guidance_scale",
        "image_count",
        "node",
        "objective",
        "sketch_strength",
        "title",
    ]
    assert Brief.objects.count() == 0
