"""The prompt's "Why this prompt" reads in the page's language (issue 16 item 6).

The rationale is written in both languages when the version is saved (the composer's, an edit's,
a restore's, the language model's) and the brief page shows the one its language asks for. A
row saved before the Spanish one existed shows its English one marked lang="en".
"""

from __future__ import annotations

import importlib

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape
from pytest_django.asserts import assertContains, assertNotContains

from generation.backends.base import ModelRole, PromptRequest, ReferenceNote, StyleSpec
from generation.backends.prompt.composer import ComposerWriter
from generation.backends.prompt.llm import spanish_rationale
from generation.briefs import services
from tests.web.briefs import conftest as brief_pages
from tests.web.briefs.helpers import _brief

# The brief pages' catalog: six described pieces of Wompi, ranked by the real services.
node = brief_pages.node

fill = importlib.import_module("generation.migrations.0012_prompt_version_rationale_es")


def _reference(weight: float, **attributes) -> ReferenceNote:
    return ReferenceNote(text="an ad", attributes=attributes, weight=weight)


REFERENCES = [
    _reference(3.0, setting="outdoors", palette=["blue", "white"]),
    _reference(1.0, setting="home", palette=["orange"]),
    _reference(2.0, setting="outdoors", palette=["blue"]),
    _reference(2.0, setting="office", palette=["white"]),
]


def _write(**fields):
    writer = ComposerWriter(ModelRole(role="prompt", backend="composer"))
    return writer.write(PromptRequest(**fields))


@pytest.mark.parametrize("active", ["es", "en"])
def test_the_composer_writes_its_rationale_in_spanish_and_in_english_whatever_is_active(active):
    with translation.override(active):
        result = _write(subject="a woman using a phone", tone="cheerful", references=REFERENCES)

    assert result.rationale == (
        "Palette blue and white from 3 of 4 references (88 % of the weight); "
        "setting 'outdoors' from 2 of 4 references (63 % of the weight). Tone: cheerful."
    )
    assert result.rationale_es == (
        "Paleta de azul y blanco de 3 de 4 referencias (88 % del peso); "
        "escenario «outdoors» de 2 de 4 referencias (63 % del peso). Tono: cheerful."
    )


def test_the_spanish_rationale_names_the_analysts_tone_the_spanish_preset_and_the_cut_words():
    result = _write(
        subject="cuenta de ahorros para zumbambico",
        tone="confiable",
        style=StyleSpec(name="Lifestyle", name_es="Estilo de vida", positive="lifestyle photo"),
    )

    assert result.rationale == (
        "No reference images were given, so the prompt comes from the brief alone. "
        "Tone: trustworthy; style preset: Lifestyle; "
        "brief words left out (no translation): zumbambico."
    )
    assert result.rationale_es == (
        "No se dieron imágenes de referencia, así que el prompt sale solo del brief. "
        "Tono: confiable; estilo predefinido: Estilo de vida; "
        "palabras del brief que quedaron por fuera (sin traducción): zumbambico."
    )


def test_references_that_share_nothing_are_told_in_both_languages():
    result = _write(subject="a shop owner", references=[_reference(1.0), _reference(2.0)])

    assert result.rationale == (
        "The 2 references share no setting, light or palette, so the brief led."
    )
    assert result.rationale_es == (
        "Las 2 referencias no comparten escenario, luz ni paleta, así que manda el brief."
    )


def test_the_language_models_prompt_gets_a_spanish_sentence_we_compose():
    request = PromptRequest(
        subject="pagos con QR",
        tone="cercano y alegre",
        references=[_reference(1.0), _reference(2.0), _reference(1.0)],
    )

    assert spanish_rationale(request) == (
        "Prompt escrito por el modelo de lenguaje a partir de 3 referencias, el tono "
        "«cercano y alegre» y las pautas de la marca."
    )
    one = PromptRequest(subject="pagos con QR", references=[_reference(1.0)])
    assert spanish_rationale(one) == (
        "Prompt escrito por el modelo de lenguaje a partir de 1 referencia y las pautas de la "
        "marca."
    )


@pytest.mark.parametrize(
    ("stored", "english", "spanish"),
    [
        ("Edited by Andrés Pérez.", "Edited by Andrés Pérez.", "Editado por Andrés Pérez."),
        ("Editado por andres_analyst.", "Edited by andres_analyst.", "Editado por andres_analyst."),
        (
            "Restored from version 2 by lucia.",
            "Restored from version 2 by lucia.",
            "Restaurada desde la versión 2 por lucia.",
        ),
        (
            "Restaurada desde la versión 12 por lucia.",
            "Restored from version 12 by lucia.",
            "Restaurada desde la versión 12 por lucia.",
        ),
        (
            "Written by the language model from the brief and 1 references.",
            "Written by the language model from the brief and 1 references.",
            "Prompt escrito por el modelo de lenguaje a partir de 1 referencia y las pautas de "
            "la marca.",
        ),
    ],
)
def test_the_migration_derives_both_languages_of_an_old_edit_restore_or_stand_in(
    stored, english, spanish
):
    assert fill.both_languages(stored) == (english, spanish)


def test_the_migration_leaves_a_composer_rationale_it_cannot_derive():
    assert fill.both_languages("Palette blue from 1 of 1 references (100 % of the weight).") is None


# --- the brief page -------------------------------------------------------------------------


@pytest.fixture
def brief(analyst, node):
    return _brief(analyst, node)


def _page(client, brief, language: str):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    client.force_login(brief.owner)
    return client.get(reverse("brief_detail", args=[brief.pk]))


@pytest.mark.parametrize(
    ("language", "text", "other"),
    [
        (
            "es",
            "Paleta de naranja y amarillo y estilo «flat graphic» de 4 de 4 referencias "
            "(100 % del peso). Tono: cercano y alegre.",
            "Palette orange",
        ),
        (
            "en",
            "Palette orange and yellow and style 'flat graphic' from 4 of 4 references "
            "(100 % of the weight). Tone: friendly and cheerful.",
            "Paleta de naranja",
        ),
    ],
)
def test_the_brief_page_shows_the_composers_rationale_in_its_language(
    db, client, brief, language, text, other
):
    page = _page(client, brief, language)

    assertContains(page, f"</strong> {escape(text)}</p>")
    assertNotContains(page, other)


@pytest.mark.parametrize(
    ("language", "text"),
    [("es", "Editado por andres_analyst."), ("en", "Edited by andres_analyst.")],
)
def test_an_edit_reads_in_the_page_language_whoever_saved_it_in_which(
    db, client, brief, language, text
):
    # Saved from an English page, read on a Spanish one and the reverse.
    with translation.override("en" if language == "es" else "es"):
        services.prompt_version_edit(
            brief, positive="a shop owner scanning a QR code", negative="", author=brief.owner
        )

    page = _page(client, brief, language)

    assertContains(page, f"</strong> {text}</p>")


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("es", "Restaurada desde la versión 1 por andres_analyst."),
        ("en", "Restored from version 1 by andres_analyst."),
    ],
)
def test_a_restore_reads_in_the_page_language(db, client, brief, language, text):
    services.prompt_version_edit(
        brief, positive="a shop owner scanning a QR code", negative="", author=brief.owner
    )
    with translation.override("es"):
        restored = services.prompt_version_restore(brief, number=1, author=brief.owner)

    assert (restored.rationale, restored.rationale_es) == (
        "Restored from version 1 by andres_analyst.",
        "Restaurada desde la versión 1 por andres_analyst.",
    )
    assertContains(_page(client, brief, language), f"</strong> {text}</p>")


def test_an_old_row_without_a_spanish_rationale_shows_the_english_one_marked_english(
    db, client, brief
):
    version = brief.latest_prompt
    version.rationale_es = ""
    version.save(update_fields=["rationale_es"])

    spanish = _page(client, brief, "es")
    english = _page(client, brief, "en")

    assertContains(spanish, f'</strong> <span lang="en">{escape(version.rationale)}</span></p>')
    assertContains(english, f"</strong> {escape(version.rationale)}</p>")
    assertNotContains(english, '<span lang="en">')
