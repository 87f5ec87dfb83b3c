"""The brand rules applied to every prompt, whoever wrote it."""

from __future__ import annotations

from generation.backends.base import Guidelines, PromptResult, StyleSpec
from generation.backends.prompt.rules import (
    BASE_FORBIDDEN,
    CLIP_TOKEN_LIMIT,
    count_clip_tokens,
    enforce,
    split_phrases,
    validate,
)

NO_STYLE = StyleSpec()


def _result(positive: str, negative: str = "") -> PromptResult:
    return PromptResult(positive=positive, negative=negative, rationale="r", model_id="m")


def test_forbidden_terms_leave_the_positive_prompt_and_join_the_negative():
    guidelines = Guidelines(forbidden_terms=["logo", "celebrity"])
    result = enforce(
        _result("a woman holding a phone, bank logo on the wall, soft light", "blurry"),
        guidelines,
        NO_STYLE,
    )

    assert result.positive == "a woman holding a phone, soft light"
    assert result.negative == "blurry, logo, celebrity"
    assert result.rationale == "r"
    assert result.model_id == "m"


def test_forbidden_terms_match_any_case_and_simple_plurals_but_only_whole_words():
    guidelines = Guidelines(forbidden_terms=["logo", "celebrity", "text"])
    result = enforce(
        _result("a man reading, LOGOS everywhere, two celebrities, textured wall, context"),
        guidelines,
        NO_STYLE,
    )

    assert result.positive == "a man reading, textured wall, context"


def test_a_forbidden_clause_is_cut_from_the_subject_and_the_rest_of_the_subject_stays():
    guidelines = Guidelines(forbidden_terms=["logo"])
    result = enforce(
        _result("a young woman holding a credit card with the bank logo, park"),
        guidelines,
        NO_STYLE,
    )

    assert result.positive == "a young woman holding a credit card, park"


def test_a_brief_asking_to_break_the_guidelines_cannot_get_logo_celebrity_or_rate_through():
    # What a writer would produce from "con el logo del banco y una celebridad famosa, texto
    # con tasa 1,2 % mensual".
    guidelines = Guidelines(
        always_include=["natural diverse people"], forbidden_terms=list(BASE_FORBIDDEN)
    )
    result = enforce(
        _result(
            "a young woman with the bank logo and a famous celebrity, "
            "text with rate 1,2 % monthly, warm light"
        ),
        guidelines,
        NO_STYLE,
    )

    assert result.positive == "a young woman, warm light, natural diverse people"
    negative = split_phrases(result.negative)
    for term in ("logo", "celebrity", "rate", "text", "famous person"):
        assert term in negative
    assert validate(result.positive, guidelines) == []


def test_rates_and_prices_are_removed_even_when_no_guideline_forbids_them():
    result = enforce(
        _result("a couple at home, banner showing 1,2% monthly, sign with $500, sunny"),
        Guidelines(),
        NO_STYLE,
    )

    assert result.positive == "a couple at home, sunny"


def test_the_negative_prompt_holds_every_mandated_phrase_once_in_a_stable_order():
    guidelines = Guidelines(negative_terms=["cartoon", "Blurry"], forbidden_terms=["logo"])
    style = StyleSpec(name="Photo", positive="photograph", negative="oversaturated, cartoon")
    result = enforce(_result("a man, park", "blurry, low quality, Logo"), guidelines, style)

    assert result.negative == "blurry, low quality, Logo, cartoon, oversaturated"


def test_always_include_and_style_phrases_are_added_once_when_missing():
    guidelines = Guidelines(always_include=["natural diverse people", "warm light"])
    style = StyleSpec(name="Photo", positive="candid photograph, 35mm", negative="")
    result = enforce(_result("a family at home, Warm Light"), guidelines, style)

    assert result.positive == (
        "a family at home, Warm Light, candid photograph, 35mm, natural diverse people"
    )


def test_an_always_include_element_is_taken_out_of_the_negative_prompt():
    guidelines = Guidelines(always_include=["warm light"])
    result = enforce(_result("a family at home", "warm light, blurry"), guidelines, NO_STYLE)

    assert result.negative == "blurry"
    assert result.positive == "a family at home, warm light"


def test_enforcing_twice_changes_nothing():
    guidelines = Guidelines(
        always_include=["natural diverse people"],
        negative_terms=["cartoon"],
        forbidden_terms=list(BASE_FORBIDDEN),
    )
    style = StyleSpec(name="Photo", positive="candid photograph", negative="plastic skin")
    once = enforce(
        _result("a woman with a logo, text saying 2,5 %, beach, golden hour", "blurry"),
        guidelines,
        style,
    )

    assert enforce(once, guidelines, style) == once


def test_a_long_prompt_is_trimmed_from_the_end_keeping_subject_style_and_always_include():
    guidelines = Guidelines(always_include=["natural diverse people"])
    style = StyleSpec(name="Photo", positive="candid lifestyle photograph")
    extras = [
        f"intricate ornamental detail number {word}"
        for word in [
            "one",
            "two",
            "three",
            "four",
            "five",
            "six",
            "seven",
            "eight",
            "nine",
            "ten",
            "eleven",
            "twelve",
        ]
    ]
    subject = "a smiling grandmother teaching her grandson to use a banking application"
    long_prompt = ", ".join(
        [subject, "candid lifestyle photograph", *extras, "natural diverse people"]
    )
    assert count_clip_tokens(long_prompt) > CLIP_TOKEN_LIMIT

    result = enforce(_result(long_prompt), guidelines, style)

    phrases = split_phrases(result.positive)
    assert phrases[0] == subject
    assert "candid lifestyle photograph" in phrases
    assert "natural diverse people" in phrases
    assert count_clip_tokens(result.positive) <= CLIP_TOKEN_LIMIT
    # The earliest extras survive: trimming takes the trailing ones first.
    kept_extras = [p for p in phrases if p.startswith("intricate ornamental detail number")]
    assert kept_extras == extras[: len(kept_extras)]
    assert 0 < len(kept_extras) < len(extras)


# Exact counts: tests/generation/test_clip_tokens.py (issue 14 item 4).


def test_validate_accepts_a_clean_english_prompt():
    guidelines = Guidelines(forbidden_terms=list(BASE_FORBIDDEN))

    assert validate("a young woman paying with her phone in a café, warm light", guidelines) == []


def test_validate_rejects_an_empty_or_too_short_prompt():
    assert validate("", Guidelines()) == ["The prompt is empty."]
    assert validate("  , ", Guidelines()) == ["The prompt is empty."]
    assert validate("woman phone", Guidelines()) == [
        "The prompt is too short (2 words; at least 3)."
    ]


def test_validate_rejects_a_spanish_prompt():
    problems = validate("una mujer joven con su celular en la ciudad", Guidelines())

    assert problems == ["The prompt is not in English (Spanish words: una, con, su, en, la)."]


def test_validate_lets_an_english_prompt_with_one_spanish_looking_word_through():
    assert validate("a man at home, con artist costume, studio light", Guidelines()) == []


def test_validate_rejects_forbidden_terms_even_as_negations():
    problems = validate("a man at home, no text, no logos", Guidelines(forbidden_terms=["logo"]))

    assert problems == [
        "The prompt contains forbidden terms: logo (a negation such as 'no text' belongs in "
        "the negative prompt)."
    ]


def test_validate_rejects_rates_claims_and_text_overlays():
    problems = validate(
        'a happy couple, banner with text saying "only 1,2% APR", home', Guidelines()
    )

    assert problems == [
        "The prompt asks for a rate or financial claim (1.2%, apr).",
        "The prompt asks for written text in the image.",
    ]


def test_validate_rejects_a_subject_too_long_to_survive_trimming():
    subject = " ".join(["extraordinarily"] * 40)  # 2 CLIP tokens each, + start and end
    problems = validate(f"{subject}, warm light", Guidelines())

    assert problems == [
        "The prompt is too long: its subject and always-include elements alone take 82 of the "
        "77 tokens the image model reads (use short comma-separated phrases)."
    ]


def test_base_forbidden_covers_logos_text_rates_real_people_and_minors():
    for term in ("logo", "trademark", "watermark", "text", "rate", "celebrity", "child"):
        assert term in BASE_FORBIDDEN
