"""The composer: the rule-based prompt writer, the default and the language model's fallback."""

from __future__ import annotations

import random
import re

from generation.backends.base import (
    Guidelines,
    ModelRole,
    PromptRequest,
    ReferenceNote,
    StyleSpec,
)
from generation.backends.prompt.composer import BASE_NEGATIVE, ComposerWriter, translate
from generation.backends.prompt.rules import (
    BASE_FORBIDDEN,
    CLIP_TOKEN_LIMIT,
    SPANISH_STOP_WORDS,
    count_clip_tokens,
    split_phrases,
    validate,
)

CONFIG = ModelRole(role="prompt", backend="composer")


def _reference(weight: float, **attributes) -> ReferenceNote:
    return ReferenceNote(
        text=attributes.get("subject", "an ad"), attributes=attributes, weight=weight
    )


def _references() -> list[ReferenceNote]:
    return [
        _reference(
            3.0,
            subject="a woman using a phone",
            setting="outdoors",
            palette=["blue", "white"],
            lighting="soft light",
            style="photograph",
        ),
        _reference(
            1.0,
            subject="a family at home",
            setting="home",
            palette=["orange", "white"],
            lighting="warm light",
            style="photograph",
        ),
        _reference(
            2.0,
            subject="a woman using a phone",
            setting="outdoors",
            palette=["blue", "yellow"],
            lighting="bright",
            style="photograph",
        ),
        _reference(
            2.0,
            subject="a man in an office",
            setting="office",
            palette=["grey"],
            lighting="soft light",
            style="photograph",
        ),
    ]


def _write(**fields) -> object:
    return ComposerWriter(CONFIG).write(PromptRequest(**fields))


def _words(text: str) -> list[str]:
    return re.findall(r"[^\W\d_]+", text.lower())


def test_the_composer_describes_itself_as_a_weightless_usable_backend():
    writer = ComposerWriter(CONFIG)

    assert writer.model_id == "composer-v1"
    assert writer.usable is True
    assert writer.device == ""
    assert writer.weights_path == ""


def test_the_same_request_gives_a_byte_identical_result_whatever_the_reference_order():
    references = _references()
    shuffled = list(references)
    random.Random(7).shuffle(shuffled)
    assert shuffled != references
    fields = {
        "subject": "Tarjeta de crédito para jóvenes",
        "tone": "alegre",
        "guidelines": Guidelines(forbidden_terms=list(BASE_FORBIDDEN)),
    }

    first = _write(references=references, **fields)
    second = _write(references=references, **fields)
    reordered = _write(references=list(reversed(shuffled)), **fields)

    assert first == second == reordered


def test_the_heavier_references_setting_and_palette_win():
    base = {"subject": "a young couple", "style": StyleSpec(positive="photograph")}
    beach = _reference(3.0, setting="beach", palette=["orange", "yellow"])
    office = _reference(1.0, setting="office", palette=["grey", "blue"])
    office_too = _reference(1.0, setting="office", palette=["grey"])

    beach_wins = _write(references=[beach, office, office_too], **base)
    office_wins = _write(
        references=[
            _reference(1.0, setting="beach", palette=["orange", "yellow"]),
            _reference(3.0, setting="office", palette=["grey", "blue"]),
            office_too,
        ],
        **base,
    )

    # beach 3/5 of the weight beats office 2/5; orange and yellow tie at 3/5: alphabetical.
    # Setting and palette share 3/5 (then 4/5): on a tie the setting comes first.
    assert split_phrases(beach_wins.positive) == [
        "a young couple",
        "photograph",
        "beach",
        "orange and yellow color palette",
    ]
    assert split_phrases(office_wins.positive) == [
        "a young couple",
        "photograph",
        "office",
        "grey and blue color palette",
    ]


def test_a_spanish_brief_is_translated_and_no_spanish_word_remains():
    result = _write(
        subject="Familia feliz ahorrando para su nueva casa",
        audience="parejas jóvenes",
        tone="cálido y confiable",
        references=_references(),
        guidelines=Guidelines(forbidden_terms=list(BASE_FORBIDDEN)),
    )

    phrases = split_phrases(result.positive)
    assert phrases[0] == "happy family saving for their new home"
    assert "warm and trustworthy mood" in phrases
    assert not set(_words(result.positive)) & SPANISH_STOP_WORDS
    assert validate(result.positive, Guidelines(forbidden_terms=list(BASE_FORBIDDEN))) == []


def test_spanish_words_without_a_translation_are_dropped_and_named_in_the_rationale():
    translation = translate("ahorro escalonado para el futuro")

    assert translation.text == "savings for the future"
    assert translation.dropped == ("escalonado",)
    result = _write(subject="ahorro escalonado para el futuro")
    assert result.positive.startswith("savings for the future, ")
    assert "escalonado" not in result.positive
    assert result.rationale == (
        "No reference images were given, so the prompt comes from the brief alone. "
        "Brief words left out (no translation): escalonado."
    )


def test_spanish_word_order_becomes_english_order():
    assert translate("mujer joven y alegre pagando con su celular").text == (
        "cheerful and young woman paying with their mobile phone"
    )
    assert translate("jóvenes emprendedores de 25 a 35 años").text == (
        "young entrepreneurs aged 25-35"
    )
    assert translate("tarjeta de crédito para jóvenes").text == "credit card for young adults"


def test_an_english_brief_keeps_its_words():
    assert translate("young woman paying with her phone").text == (
        "young woman paying with her phone"
    )


def test_the_style_preset_goes_into_both_prompts():
    style = StyleSpec(
        name="Lifestyle", positive="candid lifestyle photography, 35mm", negative="plastic skin"
    )
    result = _write(subject="a man at a café", references=_references()[:2], style=style)

    phrases = split_phrases(result.positive)
    assert "candid lifestyle photography" in phrases
    assert "35mm" in phrases
    assert split_phrases(result.negative) == [*split_phrases(BASE_NEGATIVE), "plastic skin"]
    assert result.rationale.endswith(" Style preset: Lifestyle.")


def test_the_rationale_names_the_references_and_their_share_of_the_weight():
    references = [
        _reference(3.0, setting="outdoors", palette=["blue", "white"]),
        _reference(1.0, setting="home", palette=["orange"]),
        _reference(2.0, setting="outdoors", palette=["blue"]),
        _reference(2.0, setting="office", palette=["white"]),
    ]
    result = _write(subject="a woman using a phone", tone="cheerful", references=references)

    # blue or white is in 3 references holding 7/8 of the weight; outdoors in 2 holding 5/8
    # (62.5 %, rounded half up).
    assert result.rationale == (
        "Palette blue and white from 3 of 4 references (88 % of the weight); "
        "setting 'outdoors' from 2 of 4 references (63 % of the weight). Tone: cheerful."
    )


def test_without_references_the_brief_alone_makes_a_valid_prompt():
    guidelines = Guidelines(
        always_include=["natural diverse people"], forbidden_terms=list(BASE_FORBIDDEN)
    )
    result = _write(
        subject="cuenta de ahorros para mujeres emprendedoras",
        tone="confiable",
        guidelines=guidelines,
    )

    # The tone sets the one lighting ("confiable" → soft natural light, data/tones_es_en.tsv).
    assert result.positive == (
        "savings account for women entrepreneurs, trustworthy mood, soft natural light, "
        "advertising photograph, natural diverse people"
    )
    assert result.rationale == (
        "No reference images were given, so the prompt comes from the brief alone. "
        "Tone: trustworthy."
    )
    assert validate(result.positive, guidelines) == []
    assert result.fallback_reason == ""
    assert result.model_id == "composer-v1"


def test_a_spanish_brief_asking_for_logo_celebrity_and_a_rate_gets_none_of_them():
    guidelines = Guidelines(
        always_include=["natural diverse people"],
        negative_terms=["cartoon"],
        forbidden_terms=list(BASE_FORBIDDEN),
    )
    result = _write(
        subject=(
            "tarjeta de crédito para jóvenes con el logo del banco y una celebridad famosa, "
            "texto con tasa 1,2 % mensual"
        ),
        references=_references(),
        guidelines=guidelines,
    )

    phrases = split_phrases(result.positive)
    assert phrases[0] == "credit card for young adults"
    assert "natural diverse people" in phrases
    for banned in ("logo", "celebrity", "famous", "rate", "text", "1", "%"):
        assert banned not in result.positive
    negative = split_phrases(result.negative)
    for term in ("logo", "celebrity", "rate", "text", "cartoon"):
        assert term in negative
    assert validate(result.positive, guidelines) == []


def test_a_full_spanish_brief_fits_the_clip_window_without_dropping_reference_phrases():
    style = StyleSpec(
        name="Lifestyle",
        positive="candid lifestyle photography, 35mm, natural light",
        negative="oversaturated",
    )
    guidelines = Guidelines(
        always_include=["natural diverse people"], forbidden_terms=list(BASE_FORBIDDEN)
    )
    result = _write(
        subject="Tarjeta de crédito para jóvenes universitarios que pagan con el celular",
        audience="jóvenes de 18 a 25 años",
        tone="alegre y cercano",
        references=_references(),
        guidelines=guidelines,
        style=style,
    )

    assert count_clip_tokens(result.positive) <= CLIP_TOKEN_LIMIT
    phrases = split_phrases(result.positive)
    assert phrases[0] == "credit card for young university students paying with the mobile phone"
    assert phrases[-1] == "natural diverse people"
    # Everything fits now that common words count one token each: nothing had to be left out.
    assert "left out" not in result.rationale
    # The style preset's "natural light" is the one lighting: the references' "soft light" and
    # the tone's lighting give way to it, and the rationale does not claim them.
    assert "natural light" in phrases
    assert "soft light" not in phrases
    assert "bright daylight" not in phrases
    assert "lighting" not in result.rationale


def test_a_prompt_too_long_for_the_clip_window_says_which_reference_phrases_were_left_out():
    style = StyleSpec(
        name="Lifestyle",
        positive="candid lifestyle photography, 35mm film, natural light, shallow depth of field",
    )
    guidelines = Guidelines(
        always_include=["natural diverse Colombian people", "warm natural light"],
        forbidden_terms=list(BASE_FORBIDDEN),
    )
    result = _write(
        subject=(
            "Familia joven en su casa nueva pagando con la tarjeta de crédito desde el celular, "
            "emprendedora feliz en su tienda, viaje de vacaciones en la playa con amigos"
        ),
        audience="jóvenes y familias de 25 a 40 años",
        tone="alegre, cercano, confiable y moderno",
        references=_references(),
        guidelines=guidelines,
        style=style,
    )

    assert count_clip_tokens(result.positive) <= CLIP_TOKEN_LIMIT
    assert "left out to fit the image model's 77-token window: " in result.rationale
    assert split_phrases(result.positive)[-2:] == [
        "natural diverse Colombian people",
        "warm natural light",
    ]


def test_the_heuristic_describers_one_word_levels_become_phrases_the_image_model_understands():
    result = _write(
        subject="Pagos con el celular",
        references=[
            _reference(1.0, composition="moderate", lighting="medium", palette=["blue"]),
        ],
    )

    phrases = split_phrases(result.positive)
    assert "balanced composition" in phrases
    assert "even lighting" in phrases
    assert "moderate" not in phrases and "medium" not in phrases
