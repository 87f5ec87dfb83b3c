"""Exact CLIP token counts and the 77-token window (issue 14 item 4).

The count was an estimate (no CLIP vocabulary was at hand): a long edit was saved at ~190 tokens
with the always-include items past the window SDXL reads, and the mandatory negative prompt was
~80 tokens by the project's own estimate. instant-clip-tokenizer carries CLIP's BPE vocabulary.
"""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from pytest_django.asserts import assertContains

from generation.backends.prompt.rules import (
    CLIP_TOKEN_LIMIT,
    CLIP_WINDOW,
    _clip_tokenizer,
    clip_window_tokens,
    count_clip_tokens,
    split_phrases,
)
from generation.briefs import services
from generation.models import BrandGuideline, PromptVersion, StylePreset
from tests.factories import make_node
from tests.web.briefs import conftest as brief_pages

# The brief pages' fixtures: a small ranked catalog of Wompi, a brief on it, English pages.
node, brief, en = brief_pages.node, brief_pages.brief, brief_pages.en

ALWAYS = ["natural diverse Colombian people", "warm natural light", "authentic everyday moment"]


def test_the_tokenizer_gives_clips_own_ids_and_markers():
    tokenizer = _clip_tokenizer()

    # The ids CLIP's tokenizer gives (openai/clip-vit-large-patch14, the vocabulary of both
    # SDXL text encoders), as independent CLIP tokenizer ports assert them in their own tests:
    # "a photo of a cat" → 320 1125 539 320 2368, "Hello, world!" → 3306 267 1002 256, and
    # case and repeated spaces normalised away. Then the start and end markers.
    assert tokenizer.encode("a photo of a cat") == [320, 1125, 539, 320, 2368]
    assert tokenizer.encode("Hello, world!") == [3306, 267, 1002, 256]
    assert tokenizer.encode("A PHOTO of  a Cat!") == [320, 1125, 539, 320, 2368, 256]
    assert (tokenizer.start_of_text(), tokenizer.end_of_text()) == (49406, 49407)
    assert CLIP_WINDOW == 77 and CLIP_TOKEN_LIMIT == 75


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        ("", 0),
        ("   ", 0),
        ("a photo of a cat", 5),
        # Whole words in CLIP's vocabulary: the old estimate counted "grandmother" 3, "café" 3.
        ("grandmother", 1),
        ("café", 1),
        ("photograph", 1),
        # CLIP cuts numbers into single digits; "." and "%" are tokens of their own.
        ("1.2%", 4),
        # Lower-cased first, as CLIP does.
        ("Logo", 1),
        ("warm light, soft focus", 5),
        # Spanish and names split into pieces: "medellín" is three.
        ("Pagos con QR en Medellín", 8),
        ("natural diverse Colombian people", 4),
    ],
)
def test_count_clip_tokens_is_exact_without_the_markers(text, tokens):
    assert count_clip_tokens(text) == tokens


def test_the_window_count_adds_the_start_and_end_markers():
    assert clip_window_tokens("a photo of a cat") == 7
    assert clip_window_tokens("") == 2


def test_the_default_mandatory_negative_prompt_fits_with_room_for_every_presets_negatives(db):
    guideline = BrandGuideline.objects.get(node=None)
    mandated = ", ".join([*guideline.forbidden_terms_list, *guideline.negative_terms_list])

    # Measured after migration 0010 shortened the lists (71 before, with 0002's lists).
    assert clip_window_tokens(mandated) == 61
    with_presets = {
        preset.slug: clip_window_tokens(f"{mandated}, {preset.negative}")
        for preset in StylePreset.objects.exclude(negative="")
    }
    assert max(with_presets.values()) == 70
    assert with_presets["flat-illustration"] == 70


def test_a_new_briefs_prompts_fit_the_window_with_every_always_include_item(brief):
    prompt = brief.latest_prompt

    assert clip_window_tokens(prompt.positive) <= CLIP_WINDOW
    assert clip_window_tokens(prompt.negative) <= CLIP_WINDOW
    assert all(item in split_phrases(prompt.positive) for item in ALWAYS)


def test_a_190_token_edit_is_saved_trimmed_keeping_subject_and_required_items_inside(en, brief):
    subject = "a shop owner in Medellín showing a QR code on her phone to a customer"
    extras = [f"intricate ornamental background detail number {n}" for n in range(1, 24)]
    typed = ", ".join([subject, *extras])
    assert clip_window_tokens(typed) == 194
    en.force_login(brief.owner)

    response = en.post(
        reverse("brief_prompt_edit", args=[brief.pk]), {"positive": typed, "negative": ""}
    )

    assert response.status_code == 302
    saved = brief.prompt_versions.order_by("-number").first()
    phrases = split_phrases(saved.positive)
    assert phrases[0] == subject
    # The required items sit inside the window, after the earliest extras that still fit.
    assert phrases[-3:] == ALWAYS
    kept = phrases[1:-3]
    assert kept == extras[: len(kept)]
    # One more extra (8 tokens with its comma) would take it past 77.
    assert clip_window_tokens(saved.positive) == 74
    assert clip_window_tokens(saved.negative) <= CLIP_WINDOW


def test_an_edit_whose_subject_alone_overflows_is_refused_with_its_count(en, brief):
    subject = " ".join(["a colourful market stall with fresh tropical fruit and flowers"] * 8)
    versions = PromptVersion.objects.filter(brief=brief).count()
    en.force_login(brief.owner)

    response = en.post(
        reverse("brief_prompt_edit", args=[brief.pk]), {"positive": subject, "negative": ""}
    )

    assert response.status_code == 200
    assert PromptVersion.objects.filter(brief=brief).count() == versions
    tokens = clip_window_tokens(", ".join([subject, *ALWAYS]))
    assert tokens == 95
    assertContains(
        response,
        "Too long for the image model: the first phrase and the brand&#x27;s required elements "
        "alone take 95 of the 77 tokens it reads. Shorten the first phrase (before the first "
        "comma).",
    )
    assertContains(response, "The prompt was not saved: see the message under the field.")


def test_the_brief_page_shows_how_much_of_the_window_each_prompt_fills(en, brief):
    services.prompt_version_edit(
        brief, positive="a photo of a cat", negative="", author=brief.owner
    )
    en.force_login(brief.owner)

    response = en.get(reverse("brief_detail", args=[brief.pk]))

    # 5 + 3 commas + 4 + 3 + 3 + the two markers; the negative is the default mandated list.
    assertContains(response, "Prompt: 20 / 77 tokens · negative prompt: 61 / 77 tokens", count=1)


def test_the_brief_page_shows_the_count_in_spanish(client, brief):
    services.prompt_version_edit(
        brief, positive="a photo of a cat", negative="", author=brief.owner
    )
    client.force_login(brief.owner)

    response = client.get(reverse("brief_detail", args=[brief.pk]))

    assertContains(response, "Prompt: 20 / 77 tokens · prompt negativo: 61 / 77 tokens", count=1)


def test_the_default_guideline_passes_the_window_check(db):
    BrandGuideline.objects.get(node=None).full_clean()


def test_a_nodes_guideline_whose_negatives_overflow_the_window_is_refused_with_the_count(db):
    wompi = make_node(name="Wompi")
    extra = [f"unwanted element {n}" for n in range(1, 5)]
    guideline = BrandGuideline(node=wompi, negative_terms="\n".join(extra))
    # The global default's 61 tokens, the flat illustration's negatives, and these four.
    assert (
        clip_window_tokens(
            ", ".join(
                [
                    *BrandGuideline.objects.get(node=None).forbidden_terms_list,
                    *BrandGuideline.objects.get(node=None).negative_terms_list,
                    *extra,
                    StylePreset.objects.get(slug="flat-illustration").negative,
                ]
            )
        )
        == 86
    )

    with pytest.raises(ValidationError) as refused:
        guideline.full_clean()

    assert refused.value.message_dict == {
        "negative_terms": [
            # In the site's language (Spanish).
            "Demasiado largo para el modelo de imágenes: con los términos de la guía global y "
            "los negativos del estilo más largo, el prompt negativo ocuparía 86 de los 77 tokens "
            "que lee. Quite o acorte términos."
        ]
    }
    guideline.negative_terms = "cartoon"
    guideline.full_clean()
