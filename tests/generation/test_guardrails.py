"""Guardrails as concepts (issue 14 item 3): every example of the issue, both languages.

The rules run on every prompt through `enforce`, so these go through it as the composer, the
language-model writer, the analyst's edit and the API do; the module's own finder is tested
for what it reports and for the words it must leave alone.
"""

from __future__ import annotations

import pytest

from generation.backends.base import Guidelines, PromptRequest, PromptResult, StyleSpec
from generation.backends.prompt.composer import ComposerWriter
from generation.backends.prompt.rules import BASE_FORBIDDEN, enforce, validate
from generation.guardrails import Lists, default_lists, scrub

NO_STYLE = StyleSpec()
GUIDELINES = Guidelines(forbidden_terms=list(BASE_FORBIDDEN))


def _enforced(positive: str, guidelines: Guidelines = GUIDELINES) -> str:
    result = PromptResult(positive=positive, negative="", rationale="", model_id="m")
    return enforce(result, guidelines, NO_STYLE).positive


@pytest.mark.parametrize(
    ("typed", "saved"),
    [
        ("little girl holding a phone, warm light", "holding a phone, warm light"),
        ("teenager paying at a shop counter, warm light", "paying at a shop counter, warm light"),
        ("niños en el parque, luz cálida", "el parque, luz cálida"),
        ("kids in a park, warm light", "a park, warm light"),
        ("Davivienda card on a cafe table, warm light", "card on a cafe table, warm light"),
        ("tarjeta con el logotipo de Bancolombia, luz cálida", "tarjeta, luz cálida"),
        ("woman holding a card, l0go on the card", "woman holding a card"),
        ("woman smiling, 0 por ciento de interés", "woman smiling"),
        ("woman smiling, cero por ciento en tu primera compra", "woman smiling"),
        ("woman smiling, tasa del 1,2 % mensual", "woman smiling"),
        ("woman smiling, 0% interest", "woman smiling"),
        ("Shakira paying with her phone, warm light", "paying with her phone, warm light"),
        ("man at a desk, pistol on the desk", "man at a desk"),
        ("friends at a table, beer bottles", "friends at a table"),
        ("friends at a table, casino chips", "friends at a table"),
        ("amigos en una mesa, fichas de casino", "amigos en una mesa"),
        ("hombre con una pistola en la mano", "hombre"),
        ("amigos con cervezas en la terraza", "amigos"),
        ("Gustavo Petro paying with a phone", "paying with a phone"),
        ("tienda para menores de edad", "tienda"),
        ("los menores pagan con QR", "pagan con QR"),
        ("personas famosas en la tienda", "personas en la tienda"),
    ],
)
def test_each_example_of_the_issue_is_removed_from_the_positive_prompt(typed, saved):
    assert _enforced(typed) == saved


@pytest.mark.parametrize(
    "prompt",
    [
        "school supplies, backpack, notebooks on a desk",
        "útiles escolares y mochila sobre la mesa",
        "mother buying a backpack for school, warm light",
        "woman raising her arm in a park",
        "menor costo en tus pagos",
        "vino a la tienda a pagar con QR",
        "baby blue walls, credit card with a chip",
        "shopkeeper in Medellín scanning a QR code",
        "house number nine, armchair, logbook",
        "costos menores y pagos rápidos con el famoso pan de bono",
        "uniforme colegial y cuadernos",
        "friends celebrating a birthday, celebration at home",
    ],
)
def test_legitimate_words_are_not_removed(prompt):
    assert _enforced(prompt, Guidelines()) == prompt
    assert scrub(prompt, default_lists()).removals == ()


def test_school_and_backpack_stay_when_a_forbidden_concept_is_in_the_same_phrase():
    assert _enforced("niños con mochila y útiles escolares") == "mochila y útiles escolares"
    assert _enforced("kids with backpacks at school") == "backpacks at school"


def test_the_removal_says_which_words_went_for_which_concept():
    scrubbed = scrub("niños con mochila, logotipo de Bancolombia, tasa del 1,2 %", default_lists())

    assert scrubbed.text == "mochila"
    assert [(r.words, r.label) for r in scrubbed.removals] == [
        ("niños", "minors"),
        ("logotipo", "logos and brand marks"),
        ("Bancolombia", "logos and brand marks"),
        ("tasa del 1,2 %", "rates and percentages"),
    ]


def test_leetspeak_inflections_and_accents_are_undone_before_matching():
    found = scrub("C3RV3ZAS, Pistolas, NIÑAS, 1ogos, @lcohol", default_lists())

    assert found.text == ""
    assert [r.label for r in found.removals] == [
        "alcohol",
        "weapons",
        "minors",
        "logos and brand marks",
        "alcohol",
    ]


def test_the_lists_leads_edit_are_the_ones_applied():
    lists = Lists(competitors=("Banco Ejemplo",), public_figures=("Pepita Pérez",))

    assert scrub("Banco Ejemplo card, Pepita Perez smiling", lists).text == "card, smiling"
    # Davivienda is only in the default list, not in this one.
    assert scrub("Davivienda card", lists).text == "Davivienda card"


def test_a_guideline_list_replaces_the_default_competitors():
    guidelines = Guidelines(competitors=["Banco Ejemplo"], public_figures=[])

    assert _enforced("Banco Ejemplo card, Shakira", guidelines) == "card, Shakira"


def test_an_audience_of_kids_does_not_reach_the_composers_prompt():
    request = PromptRequest(
        subject="útiles escolares y mochila",
        audience="kids",
        tone="alegre",
        guidelines=GUIDELINES,
    )
    prompt = ComposerWriter().write(request).positive.lower()

    assert "kid" not in prompt
    assert "child" not in prompt


def test_the_language_model_check_names_the_concept_it_found():
    problems = validate("little girl with a Davivienda card, warm light", Guidelines())

    assert (
        "The prompt contains forbidden content: little girl (minors), Davivienda "
        "(competitor banks)." in problems
    )


def test_a_language_model_answer_with_a_forbidden_concept_is_rejected_and_says_which():
    from generation.backends.prompt.llm import check_answer

    raw = (
        '{"prompt": "teenager drinking beer bottles at a casino, warm light", '
        '"negative_prompt": "blurry", "rationale": "r"}'
    )
    answer, problems = check_answer(raw, PromptRequest(subject="x", guidelines=Guidelines()))

    assert answer is not None
    assert problems == [
        "The prompt contains forbidden content: teenager (minors), beer bottles (alcohol), "
        "casino (gambling)."
    ]
