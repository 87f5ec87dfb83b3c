"""The analyst's brief pages through Django's test client: home, new brief, the brief page.

A small real catalog (six images of one node with a month of results) is ranked by the real
services; the default "none" image backend and the tiny random SDXL model run for real. Pages
are read in English (the msgids) unless a test is about Spanish, so the assertions survive
the Spanish translation.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import random
import urllib.request

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from PIL import Image
from pytest_django.asserts import assertContains, assertNotContains, assertRedirects

from campaigns.models import Objective
from campaigns.ranking.reasons import format_interval, format_metric
from campaigns.rollups import image_rollup_refresh
from creatives.models import CreativeImage
from generation.briefs import services
from generation.briefs.selectors import brief_thumbnails
from generation.models import (
    BrandGuideline,
    Brief,
    BriefReference,
    GeneratedImage,
    ImageBatch,
    ModelJob,
    PromptVersion,
    ShareLink,
    StylePreset,
)
from generation.sharing import links as sharing
from tests.factories import make_account, make_ad, make_campaign, make_creative, make_metric
from tests.factories import make_node as factory_node
from tests.test_storage_s3 import BUCKET, PREFIX, bucket, s3_endpoint, s3_storage  # noqa: F401 (fixtures)

TODAY = timezone.localdate()
FIRST_DAY = TODAY - dt.timedelta(days=40)
PIECES = 6


def _jpeg(colour: tuple[int, int, int], size=(96, 64)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format="JPEG")
    return buffer.getvalue()


def _png(size=(80, 80), colour=(20, 200, 40), fmt="PNG") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format=fmt)
    return buffer.getvalue()


def _image(n: int) -> CreativeImage:
    from creatives.services import creative_image_store

    image, _ = creative_image_store(data=_jpeg((230, (120 + n * 7) % 256, 30)), seen_on=FIRST_DAY)
    # Flat colours share a perceptual hash; distinct hashes keep every piece its own reference.
    CreativeImage.objects.filter(pk=image.pk).update(
        phash=f"{random.Random(n).getrandbits(64):016x}"
    )
    return image


@pytest.fixture
def node(db, media_storage):
    """Wompi with six traffic pieces over five days: piece n has 40 + 10n clicks on 4,000."""
    wompi = factory_node(name="Wompi", slug="wompi")
    account = make_account(platform="meta", default_node=wompi)
    campaign = make_campaign(
        account=account,
        node=wompi,
        objective=Objective.TRAFFIC,
        start_date=FIRST_DAY,
        end_date=TODAY,
    )
    for n in range(1, PIECES + 1):
        ad = make_ad(campaign=campaign, creative=make_creative(images=[_image(n)]))
        for offset in range(5):
            make_metric(
                ad=ad,
                date=FIRST_DAY + dt.timedelta(days=offset),
                impressions=4_000,
                clicks=40 + 10 * n,
            )
    image_rollup_refresh()
    return wompi


@pytest.fixture
def en(client):
    """Read the pages in English, the language of the msgids."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def _brief(owner, node, **fields) -> Brief:
    values = {
        "owner": owner,
        "node": node,
        "objective": Objective.TRAFFIC,
        "title": "Links de pago",
        "description": "Emprendedora recibiendo pagos con el celular",
        "audience": "Emprendedores jóvenes",
        "tone": "cercano y alegre",
    }
    values.update(fields)
    return services.brief_create(**values)


@pytest.fixture
def brief(analyst, node) -> Brief:
    return _brief(analyst, node)


@pytest.fixture
def other_analyst(db):
    from django.contrib.auth.models import Group, User

    user = User.objects.create_user(username="olga_other", password="s3cret-pass")
    user.groups.add(Group.objects.get(name="Analysts"))
    return user


@pytest.fixture(scope="session")
def tiny_sdxl(tmp_path_factory):
    from generation.backends.tiny.sdxl import build_tiny_sdxl

    return build_tiny_sdxl(tmp_path_factory.mktemp("web-tiny-models") / "sdxl")


@pytest.fixture
def tiny_image_model(settings, tiny_sdxl):
    settings.YENNI_MODELS = {
        **settings.YENNI_MODELS,
        "image": {
            "backend": "sdxl",
            "model": str(tiny_sdxl),
            "device": "cpu",
            "dtype": "float32",
            "options": {},
        },
    }
    settings.YENNI_IMAGE_SIZE = 64
    settings.YENNI_IMAGE_STEPS = 2
    return tiny_sdxl


def _batch(brief: Brief, *, status=ModelJob.Status.SUCCEEDED, images: int = 0, **fields):
    """A batch as a finished (or queued) job leaves it, with `images` stored PNGs."""
    finished = status in ModelJob.FINISHED
    job = ModelJob.objects.create(
        kind=ModelJob.Kind.GENERATE,
        backend="sdxl",
        brief=brief,
        status=status,
        finished_at=timezone.now() if finished else None,
        **{k: v for k, v in fields.items() if k in {"error", "how_to_fix", "stage", "queued_at"}},
    )
    batch = ImageBatch.objects.create(
        brief=brief,
        job=job,
        prompt_version=brief.latest_prompt,
        seed=fields.get("seed", 100),
        image_count=max(images, 1),
        guidance_scale=7.0,
    )
    for index in range(images):
        row = GeneratedImage(batch=batch, index=index, seed=batch.seed + index, width=8, height=8)
        row.file.save(f"b{batch.pk}-{index}.png", ContentFile(_png(size=(8, 8))), save=True)
    return batch


# --- home ----------------------------------------------------------------------------------


def test_home_lists_the_analysts_own_briefs_newest_first_with_their_thumbnails(
    en, analyst, other_analyst, node
):
    older = _brief(analyst, node, title="Primero")
    newer = _brief(analyst, node, title="Segundo", objective=Objective.LEADS)
    _brief(other_analyst, node, title="De Olga")
    en.force_login(analyst)

    response = en.get(reverse("home"))

    assert response.status_code == 200
    rows = response.context["rows"]
    assert [row.brief.title for row in rows] == ["Segundo", "Primero"]
    assert [row.status for row in rows] == ["prompt", "prompt"]
    top_images = list(
        older.references.order_by("-pinned", "order").values_list("image_id", flat=True)
    )[:4]
    assert [t.url for t in rows[1].thumbnails] == [
        reverse("library_image_file", args=[pk]) for pk in top_images
    ]
    assertContains(response, 'data-testid="brief-card"', count=2)
    assertContains(response, 'data-testid="new-brief"', count=1)
    assertContains(response, f'href="{reverse("brief_new")}"')
    assertContains(response, '<h2 id="briefs-title">My briefs</h2>', html=False)
    assertContains(response, "Prompt ready", count=2)
    assertContains(response, "<span>Leads</span>", html=False)
    assertContains(response, "<span>Traffic</span>", html=False)
    assertNotContains(response, "De Olga")
    assertNotContains(response, reverse("brief_detail", args=[newer.pk + 1]))


def test_home_shows_a_lead_every_brief_with_its_owner(en, lead, analyst, other_analyst, node):
    _brief(analyst, node, title="De Andrés")
    _brief(other_analyst, node, title="De Olga")
    en.force_login(lead)

    response = en.get(reverse("home"))

    assert [row.brief.title for row in response.context["rows"]] == ["De Olga", "De Andrés"]
    assertContains(response, "All briefs")
    assertContains(response, "by andres_analyst")
    assertContains(response, "by olga_other")


def test_home_names_the_objective_in_spanish_by_default(client, analyst, node):
    _brief(analyst, node)
    client.force_login(analyst)

    response = client.get(reverse("home"))

    assertContains(response, "<span>Tráfico</span>", html=False)


def test_thumbnails_prefer_picked_images_then_the_latest_batch_then_the_references(analyst, node):
    with_picks, with_batch, plain = (_brief(analyst, node, title=t) for t in "ABC")
    first = _batch(with_picks, images=3)
    services.generated_image_pick(first.images.get(index=2), picked=True)
    _batch(with_batch, images=2, seed=1)
    latest = _batch(with_batch, images=4, seed=50)
    _batch(with_batch, status=ModelJob.Status.FAILED, seed=90)  # newest, but made no images

    found = brief_thumbnails([with_picks.pk, with_batch.pk, plain.pk])

    def file_url(image):
        return reverse("generated_image_file", args=[image.pk])

    assert [t.url for t in found[with_picks.pk]] == [file_url(first.images.get(index=2))]
    assert [t.url for t in found[with_batch.pk]] == [
        file_url(image) for image in latest.images.order_by("index")
    ]
    references = plain.references.order_by("order").values_list("image_id", flat=True)[:4]
    assert [t.url for t in found[plain.pk]] == [
        reverse("library_image_file", args=[pk]) for pk in references
    ]


def test_home_shows_twenty_briefs_a_page(en, analyst, node):
    for n in range(21):
        Brief.objects.create(
            owner=analyst,
            node=node,
            objective=Objective.TRAFFIC,
            title=f"B{n:02d}",
            description="x",
        )
    en.force_login(analyst)

    first = en.get(reverse("home"))
    second = en.get(reverse("home"), {"page": 2})

    assert len(first.context["rows"]) == 20
    assert [row.brief.title for row in second.context["rows"]] == ["B00"]
    assertContains(first, "Page 1 of 2")
    assertContains(first, 'href="?page=2"')


def test_home_tells_an_outsider_politely_there_is_no_access_to_briefs(en, outsider):
    en.force_login(outsider)

    response = en.get(reverse("home"))

    assert response.status_code == 200
    assertContains(response, "Your account has no access to briefs.")
    assertNotContains(response, 'data-testid="new-brief"')
    assert "rows" not in response.context


def test_home_costs_the_same_queries_with_two_briefs_or_twenty(
    en, analyst, node, django_assert_max_num_queries
):
    en.force_login(analyst)
    for title in ("A", "B"):
        _batch(_brief(analyst, node, title=title), images=2)
    # Session, user, six for the ad history, groups, count, page, and at most three for the
    # thumbnails (picked, latest batch, references).
    with django_assert_max_num_queries(14), CaptureQueriesContext(connection) as small:
        assert en.get(reverse("home")).status_code == 200

    for n in range(18):
        brief = _brief(analyst, node, title=f"More {n}")
        batch = _batch(brief, images=2)
        if n % 2:
            services.generated_image_pick(batch.images.first(), picked=True)
    with django_assert_max_num_queries(14), CaptureQueriesContext(connection) as large:
        response = en.get(reverse("home"))

    assert len(response.context["rows"]) == 20
    assert len(large.captured_queries) == len(small.captured_queries)


# --- new brief -----------------------------------------------------------------------------


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


# --- the brief page ------------------------------------------------------------------------


def test_the_brief_page_shows_the_request_the_ranking_and_each_reference_with_its_figures(
    en, brief
):
    en.force_login(brief.owner)

    response = en.get(reverse("brief_detail", args=[brief.pk]))

    assert response.status_code == 200
    for text in (
        "<h1>Links de pago</h1>",
        "<dd>Wompi</dd>",
        "<dd>Traffic</dd>",
        "<dd>Emprendedores jóvenes</dd>",
        "<dd>cercano y alegre</dd>",
        "<dd>andres_analyst</dd>",
    ):
        assertContains(response, text, html=False)
    assertContains(response, "Ranking rule version 1")
    assertContains(response, "success measured by CTR")
    assertContains(response, f"{PIECES} of {PIECES} pieces meet the rule's minimums")
    references = list(brief.references.order_by("order"))
    assertContains(response, 'data-testid="reference"', count=4)
    for ref in references:
        assertContains(response, f'data-image-id="{ref.image_id}"')
        assertContains(response, format_metric(ref.metric, ref.estimate, "en", "COP"))
        assertContains(
            response, format_interval(ref.metric, ref.interval_low, ref.interval_high, "en", "COP")
        )
        assertContains(response, escape(ref.reason_en), count=2)  # the card and the alt text
        assertContains(response, reverse("library_image_file", args=[ref.image_id]))
    assertContains(response, "<dt>Impressions</dt><dd>20k</dd>", count=4, html=False)
    assertContains(response, "Meta", count=4)
    assertContains(response, 'data-testid="pin"', count=4)
    assertContains(response, 'data-testid="exclude"', count=4)
    prompt = brief.latest_prompt
    assertContains(response, escape(prompt.positive))
    assertContains(response, "Version 1")
    assertContains(response, "Composer")
    assertContains(response, 'data-testid="save-prompt"')
    assertContains(response, 'data-testid="generate"')
    assertContains(response, 'data-pending="false"')


def test_the_brief_page_writes_figures_and_reasons_in_spanish_by_default(client, brief):
    client.force_login(brief.owner)

    response = client.get(reverse("brief_detail", args=[brief.pk]))

    ref = brief.references.order_by("order").first()
    assertContains(response, format_metric(ref.metric, ref.estimate, "es", "COP"))
    assertContains(response, escape(ref.reason_es))
    assertNotContains(response, escape(ref.reason_en))


def test_a_brief_without_a_ranking_rule_says_so(en, analyst, node):
    from campaigns.models import RankingRule

    RankingRule.objects.filter(objective=Objective.LEADS).update(active=False)
    brief = _brief(analyst, node, objective=Objective.LEADS)
    en.force_login(analyst)

    response = en.get(reverse("brief_detail", args=[brief.pk]))

    assertContains(
        response, "No ranking rule covers this business unit and objective yet.", count=1
    )
    assertContains(response, "No references for this brief.")


def _refs(brief: Brief) -> list[int]:
    return list(brief.references.order_by("order").values_list("image_id", flat=True))


def test_pinning_excluding_and_ranking_again_keeps_the_pin_and_leaves_out_the_excluded(en, brief):
    first, second, third, _fourth = _refs(brief)
    en.force_login(brief.owner)

    pin = en.post(reverse("brief_reference", args=[brief.pk, third]), {"action": "pin"})
    exclude = en.post(reverse("brief_reference", args=[brief.pk, first]), {"action": "exclude"})
    rerank = en.post(reverse("brief_rerank", args=[brief.pk]))

    detail = reverse("brief_detail", args=[brief.pk])
    for response in (pin, exclude, rerank):
        assertRedirects(response, f"{detail}#references", fetch_redirect_response=False)
    active = brief.references.filter(excluded=False).order_by("-pinned", "order")
    assert active.first().image_id == third
    assert active.get(image_id=third).pinned is True
    assert first not in [r.image_id for r in active]
    assert second in [r.image_id for r in active]
    assert active.count() == 4  # the fifth-best piece took the excluded one's place
    assert brief.prompt_versions.count() == 2  # ranking again wrote a new prompt
    page = en.get(detail)
    assertContains(page, "Ranked again: 4 references, and a new prompt from them.")
    assertContains(page, "1 excluded reference")
    assertContains(page, 'data-testid="include"', count=1)
    assertContains(page, 'data-testid="reference"', count=5)
    assertContains(page, 'aria-pressed="true">Unpin</button>', count=1, html=False)
    assertContains(page, ">Pinned</span>", count=1, html=False)

    include = en.post(reverse("brief_reference", args=[brief.pk, first]), {"action": "include"})
    unpin = en.post(reverse("brief_reference", args=[brief.pk, third]), {"action": "unpin"})

    assert include.status_code == unpin.status_code == 302
    ref = brief.references.get(image_id=first)
    assert (ref.excluded, brief.references.get(image_id=third).pinned) == (False, False)


def test_an_unknown_reference_action_or_image_is_refused(en, brief):
    image_id = _refs(brief)[0]
    en.force_login(brief.owner)

    unknown = en.post(reverse("brief_reference", args=[brief.pk, image_id]), {"action": "star"})
    other_image = _image(99)
    missing = en.post(
        reverse("brief_reference", args=[brief.pk, other_image.pk]), {"action": "pin"}
    )

    assert unknown.status_code == 400
    assert unknown.content.decode() == "Unknown action: use pin, unpin, exclude or include."
    assert missing.status_code == 404
    assert not BriefReference.objects.filter(brief=brief, pinned=True).exists()


def test_editing_the_prompt_saves_version_two_and_the_guidelines_still_apply(en, analyst, node):
    BrandGuideline.objects.update_or_create(node=None, defaults={"forbidden_terms": "celebrity"})
    brief = _brief(analyst, node)
    en.force_login(analyst)

    response = en.post(
        reverse("brief_prompt_edit", args=[brief.pk]),
        {"positive": "a celebrity paying with a phone at a market stall", "negative": "blur"},
    )

    detail = reverse("brief_detail", args=[brief.pk])
    assertRedirects(response, f"{detail}#prompt", fetch_redirect_response=False)
    version = brief.latest_prompt
    assert (version.number, version.source, version.author) == (2, "analyst", analyst)
    assert "celebrity" not in version.positive
    assert {"blur", "celebrity"} <= {term.strip() for term in version.negative.split(",")}
    page = en.get(detail)
    assertContains(page, "Prompt saved as version 2.")
    assertContains(
        page, "The brand guidelines were applied: the saved prompt differs from what you typed."
    )
    assertContains(page, "Version 2")
    assertContains(page, "Edited by the analyst (andres_analyst)")
    assertContains(page, "2 versions")
    assertContains(page, escape(version.positive))


def test_an_empty_or_too_long_prompt_is_not_saved_and_says_why(en, brief):
    en.force_login(brief.owner)
    url = reverse("brief_prompt_edit", args=[brief.pk])

    empty = en.post(url, {"positive": "  ", "negative": ""})
    long = en.post(url, {"positive": "p" * 2001, "negative": "n" * 2001})

    assert empty.status_code == long.status_code == 200
    assert empty.context["prompt_form"].errors == {"positive": ["The prompt cannot be empty."]}
    assert long.context["prompt_form"].errors == {
        "positive": ["Keep the prompt under 2000 characters (it has 2001)."],
        "negative": ["Keep the negative prompt under 2000 characters (it has 2001)."],
    }
    assertContains(empty, "The prompt was not saved: see the message under the field.")
    assert brief.prompt_versions.count() == 1


def test_rewriting_the_prompt_from_the_references_makes_a_new_version(en, brief):
    en.force_login(brief.owner)

    response = en.post(reverse("brief_prompt_rewrite", args=[brief.pk]))

    assert response.status_code == 302
    version = brief.latest_prompt
    assert (version.number, version.source) == (2, PromptVersion.Source.COMPOSER)
    assertContains(
        en.get(reverse("brief_detail", args=[brief.pk])),
        "Yenni wrote version 2 from the references.",
    )


def test_a_brief_whose_prompt_is_still_being_written_shows_an_empty_prompt_form(
    en, analyst, node, lead
):
    brief = Brief.objects.create(
        owner=analyst, node=node, objective=Objective.TRAFFIC, title="Sin prompt", description="x"
    )
    en.force_login(analyst)

    response = en.get(reverse("brief_detail", args=[brief.pk]))
    en.force_login(lead)
    read_only = en.get(reverse("brief_detail", args=[brief.pk]))

    assert response.status_code == 200
    assert response.context["prompt_form"]["positive"].value() is None
    assertContains(response, "Yenni writes the prompt first, then makes the images.")
    assertContains(response, "Not ranked yet.")
    assertContains(read_only, "No prompt yet.")


def test_a_language_model_fallback_is_explained_on_the_page(en, brief):
    PromptVersion.objects.filter(brief=brief).update(
        fallback_reason="The language model could not be used (no weights); the composer wrote it."
    )
    en.force_login(brief.owner)

    response = en.get(reverse("brief_detail", args=[brief.pk]))

    assertContains(
        response,
        "The language model could not be used (no weights); the composer wrote it.",
        count=1,
    )


def test_generating_without_an_image_model_says_so_in_plain_words(
    en, brief, django_capture_on_commit_callbacks
):
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
    assertContains(
        page, "No image model is installed, so Yenni wrote the prompt but made no images."
    )
    assertContains(page, escape(batch.job.how_to_fix))
    assertContains(page, "YENNI_IMAGE_BACKEND=sdxl")
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


def test_bad_generate_settings_queue_nothing_and_say_why(en, brief):
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


# --- picks and progress --------------------------------------------------------------------


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
                "how_to_fix": "Install one.",
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


def test_progress_with_nothing_running_is_empty_and_not_pending(en, brief):
    en.force_login(brief.owner)

    response = en.get(reverse("brief_progress", args=[brief.pk]))

    assert json.loads(response.content) == {"pending": False, "jobs": []}


# --- generated image files -----------------------------------------------------------------


def test_a_generated_image_file_is_streamed_to_the_owner(en, brief):
    image = _batch(brief, images=1).images.get()
    en.force_login(brief.owner)

    response = en.get(reverse("generated_image_file", args=[image.pk]))

    assert response.status_code == 200
    assert response["Cache-Control"] == "private, max-age=86400"
    with image.file.open("rb") as stored:
        assert b"".join(response.streaming_content) == stored.read()


def test_a_generated_image_missing_from_storage_is_a_not_found(en, brief):
    image = _batch(brief, images=1).images.get()
    image.file.storage.delete(image.file.name)
    en.force_login(brief.owner)

    assert en.get(reverse("generated_image_file", args=[image.pk])).status_code == 404


def test_a_generated_image_on_s3_redirects_to_a_signed_address(en, analyst, request):
    # Asked for here, not in the signature, so no local media folder fixture can override it.
    request.getfixturevalue("s3_storage")
    endpoint = request.getfixturevalue("s3_endpoint")
    brief = Brief.objects.create(
        owner=analyst,
        node=factory_node(),
        objective=Objective.TRAFFIC,
        title="S3",
        description="x" * 10,
    )
    image = _batch(brief, images=1).images.get()
    en.force_login(analyst)

    response = en.get(reverse("generated_image_file", args=[image.pk]))

    assert response.status_code == 302
    location = response["Location"]
    assert location.startswith(f"{endpoint}/{BUCKET}/{PREFIX}/{image.file.name}?")
    assert "X-Amz-Signature=" in location
    with urllib.request.urlopen(location, timeout=10) as fetched, image.file.open("rb") as stored:
        assert fetched.read() == stored.read()


# --- sharing -------------------------------------------------------------------------------


def test_creating_a_share_link_shows_its_address_once_then_only_lists_it(en, brief):
    en.force_login(brief.owner)

    response = en.post(
        reverse("brief_share", args=[brief.pk]),
        {"agency": "  Agencia Norte ", "days": "7", "show_figures": "on"},
    )

    assert response.status_code == 200
    link = ShareLink.objects.get()
    url = response.context["new_url"]
    token = url.removeprefix("http://testserver/s/").removesuffix("/")
    assert url == f"http://testserver{reverse('share_page', args=[token])}"
    assert sharing.share_link_resolve(token) == link
    assert (link.agency, link.show_figures, link.created_by) == ("Agencia Norte", True, brief.owner)
    assert round((link.expires_at - link.created_at).total_seconds() / 86400) == 7
    assertContains(response, f'value="{url}"', count=1)
    assertContains(response, 'data-testid="share-url"', count=1)
    assertContains(response, 'data-testid="copy-share"', count=1)
    assertContains(response, "Copy it now: this is the only time Yenni shows it.")
    assertContains(response, "Link created for Agencia Norte.")
    assertContains(response, 'data-testid="share-row"', count=1)

    again = en.get(reverse("brief_share", args=[brief.pk]))
    page = en.get(reverse("brief_detail", args=[brief.pk]))

    for later in (again, page):
        assertNotContains(later, token)
        assertNotContains(later, 'data-testid="share-url"')
        assertContains(later, 'data-testid="share-row"', count=1)
        assertContains(later, "an address cannot be shown again")
        assertContains(later, '<span class="status status-active">active</span>', html=True)


def test_share_links_list_their_views_expiry_and_status(en, brief):
    sharing.share_link_create(brief=brief, agency="Activa", days=3)
    expired, _ = sharing.share_link_create(brief=brief, agency="Vencida", days=1)
    ShareLink.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - dt.timedelta(days=1))
    revoked, token = sharing.share_link_create(brief=brief, agency="Revocada", days=3)
    sharing.share_link_open(token)
    sharing.share_link_revoke(revoked)
    en.force_login(brief.owner)

    response = en.get(reverse("brief_share", args=[brief.pk]))

    assertContains(response, 'data-testid="share-row"', count=3)
    assertContains(response, '<span class="status status-active">active</span>', html=True)
    assertContains(response, '<span class="status status-expired">expired</span>', html=True)
    assertContains(response, '<span class="status status-revoked">revoked</span>', html=True)
    assertContains(response, 'data-testid="revoke"', count=1)  # only the active link
    # The two links nobody opened.
    assertContains(response, '<span class="muted">never</span>', count=2, html=True)


def test_revoking_a_link_stops_it_and_removes_its_button(en, brief):
    link, token = sharing.share_link_create(brief=brief, agency="Agencia Sur", days=5)
    en.force_login(brief.owner)

    response = en.post(reverse("share_revoke", args=[brief.pk, link.pk]))

    assertRedirects(
        response, reverse("brief_share", args=[brief.pk]), fetch_redirect_response=False
    )
    link.refresh_from_db()
    assert link.is_revoked
    with pytest.raises(sharing.ShareLinkGone):
        sharing.share_link_resolve(token)
    page = en.get(reverse("brief_share", args=[brief.pk]))
    assertContains(page, "The link for Agencia Sur no longer opens.")
    assertNotContains(page, 'data-testid="revoke"')


def test_a_link_of_another_brief_cannot_be_revoked_through_this_one(en, analyst, node, brief):
    other = _brief(analyst, node, title="Otro")
    link, _ = sharing.share_link_create(brief=other, agency="Agencia", days=5)
    en.force_login(analyst)

    response = en.post(reverse("share_revoke", args=[brief.pk, link.pk]))

    assert response.status_code == 404
    link.refresh_from_db()
    assert link.is_revoked is False


@pytest.mark.parametrize(
    ("data", "errors"),
    [
        ({"agency": " ", "days": "14"}, {"agency": ["Name the agency the link is for."]}),
        ({"agency": "A", "days": "0"}, {"days": ["A link lasts between 1 and 90 days."]}),
        ({"agency": "A", "days": "91"}, {"days": ["A link lasts between 1 and 90 days."]}),
        ({"agency": "A", "days": ""}, {"days": ["Say how many days the link lasts (1 to 90)."]}),
        (
            {"agency": "a" * 121, "days": "3"},
            {"agency": ["Keep the agency's name under 120 characters."]},
        ),
    ],
)
def test_a_bad_share_form_creates_no_link_and_says_why(en, brief, data, errors):
    en.force_login(brief.owner)

    response = en.post(reverse("brief_share", args=[brief.pk]), data)

    assert response.status_code == 200
    assert response.context["share_form"].errors == errors
    assert response.context["new_url"] == ""
    assert not ShareLink.objects.exists()


def test_the_share_form_lasts_the_configured_days_by_default(en, brief, settings):
    settings.YENNI_SHARE_DAYS = 21
    en.force_login(brief.owner)

    response = en.get(reverse("brief_share", args=[brief.pk]))

    assertContains(response, 'name="days" value="21"')
    assertContains(response, 'data-testid="create-share"')


# --- who may do what (the full table is in test_brief_permissions.py) ------------------------


def test_a_lead_sees_a_brief_read_only_and_cannot_change_it(en, lead, brief):
    image_id = _refs(brief)[0]
    en.force_login(lead)

    page = en.get(reverse("brief_detail", args=[brief.pk]))
    pin = en.post(reverse("brief_reference", args=[brief.pk, image_id]), {"action": "pin"})
    edit = en.post(reverse("brief_prompt_edit", args=[brief.pk]), {"positive": "x"})

    assert page.status_code == 200
    assertContains(page, "only the analyst who opened it can change it")
    for marker in ('data-testid="pin"', 'data-testid="save-prompt"', 'data-testid="generate"'):
        assertNotContains(page, marker)
    assert pin.status_code == edit.status_code == 403
    assertContains(pin, "Only the brief's owner can change it", status_code=403)
    assert not brief.references.filter(pinned=True).exists()
    assert brief.prompt_versions.count() == 1


def test_another_analyst_cannot_tell_a_brief_exists(en, other_analyst, brief):
    en.force_login(other_analyst)

    page = en.get(reverse("brief_detail", args=[brief.pk]))
    missing = en.get(reverse("brief_detail", args=[brief.pk + 1000]))
    generate = en.post(reverse("brief_generate", args=[brief.pk]), {"guidance_scale": "7"})

    assert page.status_code == missing.status_code == generate.status_code == 404
    assert not ImageBatch.objects.exists()


def test_analysts_who_see_the_team_can_look_but_not_change(en, other_analyst, brief, settings):
    settings.YENNI_ANALYSTS_SEE_TEAM = True
    en.force_login(other_analyst)

    page = en.get(reverse("brief_detail", args=[brief.pk]))
    share = en.post(reverse("brief_share", args=[brief.pk]), {"agency": "X", "days": "3"})

    assert page.status_code == 200
    assert share.status_code == 403
    assert not ShareLink.objects.exists()


def test_an_outsider_gets_a_polite_refusal(en, outsider, brief):
    en.force_login(outsider)

    response = en.get(reverse("brief_detail", args=[brief.pk]))

    assertContains(response, "You have no access to briefs", status_code=403)
    assertContains(
        response, "ask a marketing lead to add you to the Analysts group", status_code=403
    )


def test_an_anonymous_visitor_is_sent_to_log_in(client, brief):
    url = reverse("brief_detail", args=[brief.pk])

    response = client.get(url)

    assertRedirects(response, f"/accounts/login/?next={url}", fetch_redirect_response=False)
