"""Person names without a named-entity model (issue 14 item 3, "detected person names").

A heuristic: two or more capitalised words in a row (Spanish particles "de", "del", "la"
inside) that are not a place, a brand or product, or a word of the prompt writer's
vocabulary, and not only capitalised because a sentence starts there. A hit is removed as a
name is (the phrase stays) with the reason "possible person name".
"""

from __future__ import annotations

import pytest

from generation.backends.base import Guidelines, PromptResult, StyleSpec
from generation.backends.prompt.rules import BASE_FORBIDDEN, enforce, guardrail_scrub, validate
from generation.guardrails import PERSON_NAMES, default_lists, find, scrub
from generation.guardrails.persons import person_names

GUIDELINES = Guidelines(forbidden_terms=list(BASE_FORBIDDEN))


def _names(text: str) -> list[str]:
    return [text[start:end] for start, end in person_names(text)]


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("mujer sonriendo con Juan Pérez en la tienda", ["Juan Pérez"]),
        ("a woman next to Carlos Andrés Gómez, warm light", ["Carlos Andrés Gómez"]),
        ("foto con María José Rodríguez en Medellín", ["María José Rodríguez"]),
        ("retrato de Juan de la Cruz Varela", ["Juan de la Cruz Varela"]),
        ("shop owner, Valentina Restrepo holding a phone", ["Valentina Restrepo"]),
        ("tendero como Pedro Pablo del Castillo", ["Pedro Pablo del Castillo"]),
        ("woman like Taylor Swift on stage", ["Taylor Swift"]),
        ("a singer like Jorge Celedón on stage", ["Jorge Celedón"]),
        ("pagos con QR, Luisa Fernanda Ortiz sonriendo", ["Luisa Fernanda Ortiz"]),
        ("a man resembling Keanu Reeves in a café", ["Keanu Reeves"]),
        ("Juan Pérez sonriendo en la tienda", ["Juan Pérez"]),
        ("woman smiling, Carlos Andrés Gómez, warm light", ["Carlos Andrés Gómez"]),
        (
            "dos amigos, Andrés Felipe y Camila Torres, en el parque",
            ["Andrés Felipe", "Camila Torres"],
        ),
    ],
)
def test_likely_person_names_are_found(text, names):
    assert _names(text) == names


@pytest.mark.parametrize(
    "text",
    [
        "tendero en Santa Marta escaneando un código QR",
        "dueños de tiendas de barrio en Medellín",
        "pagos con Wompi y Bancolombia en el comercio",
        "compra a cuotas con Tu360Compras desde el celular",
        "Bancolombia Empresas, oficina moderna, luz natural",
        "Pagos Rápidos para comercios pequeños",
        "Tarjeta de crédito para jóvenes universitarios",
        "familia en San Andrés, playa, luz cálida",
        "Valle del Cauca, cultivo de café al amanecer",
        "Mujer Joven sonriendo con su celular",
        "Cartagena de Indias, balcones coloridos",
        "transferencias con Bre-B y PSE desde la app",
        "Plink y Nequi para pagar con QR en Bogotá",
        "Young Woman smiling at her phone, warm light",
        "emprendedora en Bogotá. Nueva tienda en el barrio",
        # A model writing in Title Case: capitals say nothing there.
        "Golden Hour Lighting, Bokeh Background",
        "Shot on Canon EOS, Kodak Portra Film",
        "Art Deco Style, Pop Art",
        "Soft Natural Light, Shallow Depth Of Field",
        # Towns and neighbourhoods a brief names, beyond the departments and their capitals.
        "Semana Santa trip to Villa de Leyva",
        "pareja en Guatapé con El Peñol al fondo",
        "cafetal en Salento, Quindío",
        "turistas en Barichara y Mompox",
        "tiendas de Floridablanca y Piedecuesta",
        "familias de Chía y Cajicá",
    ],
)
def test_places_brands_products_vocabulary_and_sentence_starts_are_not_names(text):
    assert _names(text) == []


def test_a_name_in_an_edit_is_removed_with_the_reason_and_its_phrase_stays():
    typed = "shop counter, mujer sonriendo con Juan Pérez, luz cálida"
    result = PromptResult(positive=typed, negative="", rationale="", model_id="")

    saved = enforce(result, GUIDELINES, StyleSpec()).positive
    removals = guardrail_scrub(typed, GUIDELINES).removals

    assert saved == "shop counter, mujer sonriendo, luz cálida"
    assert [(r.words, r.concept, r.label) for r in removals] == [
        ("Juan Pérez", PERSON_NAMES, "possible person name")
    ]


def test_a_language_models_answer_with_a_person_name_is_rejected_naming_it():
    problems = validate("a shopkeeper smiling beside Valentina Restrepo, warm light", GUIDELINES)

    assert problems == [
        "The prompt contains forbidden content: Valentina Restrepo (possible person name)."
    ]


def test_a_listed_public_figure_keeps_its_own_rule():
    assert [c for _, _, c in find("woman dancing with Karol G", default_lists())] == [
        "public_figures"
    ]
    assert [c for _, _, c in find("woman dancing with Camila Torres", default_lists())] == [
        PERSON_NAMES
    ]


def test_scrub_of_a_text_without_names_changes_nothing():
    text = "tendero en Santa Marta escaneando un código QR con Wompi"

    assert scrub(text, default_lists()).text == text


def test_the_reason_reads_posible_nombre_de_persona_on_spanish_pages():
    from django.utils import translation

    from generation.guardrails.messages import removal_message

    removals = guardrail_scrub("tienda, foto de Camila Torres", GUIDELINES).removals
    with translation.override("es"):
        message = removal_message(removals)

    assert message == "Se quitó «Camila Torres» (posible nombre de persona)."
