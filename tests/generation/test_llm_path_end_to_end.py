"""The language-model path end to end (issue 14 item 2): brief → job → model → checks → page.

The writer is the real LlmPromptWriter on the tiny random Llama the suite builds (real load,
chat template and generation). Its greedy answers are noise, so the first tests exercise the
fallback to the composer for real. `ScriptedWriter` is the same class, loaded the same way,
whose `_generate` answers from a script: everything after the model's words (parsing,
validation, retry, guardrails, token window, the job, the page) is the product's code.
"""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils.html import escape
from pytest_django.asserts import assertContains, assertNotContains

from generation.backends import runtime
from generation.backends.prompt.llm import LlmPromptWriter
from generation.backends.prompt.rules import CLIP_WINDOW, clip_window_tokens, split_phrases
from generation.briefs import services
from generation.jobs import handlers
from generation.models import ModelJob, PromptVersion
from tests.web.briefs import conftest as brief_pages

# The brief pages' fixtures: a small ranked catalog of Wompi, a brief on it, English pages.
node, brief, en = brief_pages.node, brief_pages.brief, brief_pages.en

REJECTED_EN = (
    "The language model's answer was rejected twice (the answer is not valid JSON with a "
    '"prompt" field). The composer wrote this prompt.'
)
REJECTED_ES = (
    "La respuesta del modelo de lenguaje se rechazó dos veces (la respuesta no es un JSON "
    "válido con un campo «prompt»). El compositor escribió este prompt."
)
FORBIDDEN = (
    '{"prompt": "kids with Davivienda card at a shop counter, warm light", '
    '"negative_prompt": "blurry", "rationale": "The brief asks for a shop."}'
)
CLEAN = (
    '{"prompt": "young woman receiving a payment on her phone at a shop counter, warm light", '
    '"negative_prompt": "blurry", "rationale": "Shop counter from the best reference."}'
)


class ScriptedWriter(LlmPromptWriter):
    """The real writer on the tiny model, whose answers come from `script` in turn."""

    script: list[str] = []
    shown: list[list[dict[str, str]]] = []

    def _generate(self, messages: list[dict[str, str]]) -> str:
        ScriptedWriter.shown.append(messages)
        return ScriptedWriter.script[min(len(ScriptedWriter.shown), len(self.script)) - 1]


def _llm_settings(settings, tiny_llm_dir, **options) -> None:
    settings.YENNI_MODELS = {
        **settings.YENNI_MODELS,
        "prompt": {
            "backend": "llm",
            "model": str(tiny_llm_dir),
            "device": "cpu",
            "dtype": "float32",
            "options": {"max_new_tokens": 24, **options},
        },
    }


@pytest.fixture(autouse=True)
def fresh_models():
    """Each test loads its own writer (the runtime keeps one per process otherwise)."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    runtime.forget("prompt")
    yield
    runtime.forget("prompt")
    torch.set_num_threads(threads)


@pytest.fixture
def random_llm(settings, tiny_llm_dir) -> None:
    _llm_settings(settings, tiny_llm_dir)


@pytest.fixture
def scripted_llm(settings, tiny_llm_dir, monkeypatch):
    """The scripted writer as the "llm" backend; set `ScriptedWriter.script` in the test."""
    monkeypatch.setitem(runtime.BACKENDS["prompt"], "llm", f"{__name__}:{ScriptedWriter.__name__}")
    ScriptedWriter.script = []
    ScriptedWriter.shown = []
    _llm_settings(settings, tiny_llm_dir, scripted=True)
    return ScriptedWriter


def _rewrite(brief) -> PromptVersion:
    """Ask for a rewrite as the page does, then run the queued job as the worker would."""
    job = services.prompt_rewrite(brief, confirm=True)
    assert job is not None and job.kind == ModelJob.Kind.WRITE
    handlers.model_job_run(job.pk)
    job.refresh_from_db()
    assert job.status == ModelJob.Status.SUCCEEDED
    return brief.latest_prompt


# --- the random model: the fallback, for real ------------------------------------------------


def test_a_random_models_answer_falls_back_to_the_composer_with_the_reason_in_both_languages(
    brief, random_llm
):
    version = _rewrite(brief)

    assert (version.source, version.model_id) == ("composer", "composer-v1")
    assert version.fallback_reason == REJECTED_EN
    assert version.fallback_reason_es == REJECTED_ES
    # The composer's prompt is the one the brief gets, with the brand's rules applied.
    assert version.positive.split(", ")[0] != ""
    assert clip_window_tokens(version.positive) <= CLIP_WINDOW


def test_the_spanish_page_says_why_in_spanish_and_the_english_page_in_english(
    client, brief, random_llm
):
    _rewrite(brief)
    client.force_login(brief.owner)

    spanish = client.get(reverse("brief_detail", args=[brief.pk]))
    client.cookies["django_language"] = "en"
    english = client.get(reverse("brief_detail", args=[brief.pk]))

    assertContains(spanish, escape(REJECTED_ES), count=1)
    assertNotContains(spanish, "rejected twice")
    assertContains(english, escape(REJECTED_EN), count=1)


# --- the model's words, scripted -------------------------------------------------------------


def test_the_model_reads_the_same_brief_fields_references_and_guidelines_as_the_composer(
    brief, scripted_llm
):
    scripted_llm.script = [CLEAN]

    version = _rewrite(brief)

    request = services.prompt_request_for(brief)
    system, user = (m["content"] for m in scripted_llm.shown[0])
    assert f"- Subject: {brief.description}" in user
    assert f"- Audience: {brief.audience}" in user
    assert f"- Tone: {brief.tone}" in user
    assert request.references and all(r.text.strip() in user for r in request.references[:6])
    assert all(item in system for item in request.guidelines.always_include)
    assert all(term in system for term in request.guidelines.forbidden_terms)
    # The leads' name lists too, which the composer's guardrails apply.
    assert "- Never name these banks or people: Davivienda, Daviplata," in system
    assert "Shakira, Karol G" in system
    assert (version.source, version.fallback_reason, version.fallback_reason_es) == ("llm", "", "")
    assert version.positive.startswith(
        "young woman receiving a payment on her phone at a shop counter, warm light"
    )


def test_a_forbidden_concept_in_the_answer_is_refused_and_the_retry_is_used(brief, scripted_llm):
    scripted_llm.script = [FORBIDDEN, CLEAN]

    version = _rewrite(brief)

    assert len(scripted_llm.shown) == 2
    retry = scripted_llm.shown[1][-1]["content"]
    assert "kids (minors), Davivienda (competitor banks)" in retry
    assert version.source == "llm"
    assert "kids" not in version.positive and "Davivienda" not in version.positive


def test_an_answer_that_keeps_a_forbidden_concept_falls_back_and_names_it_in_both_languages(
    client, brief, scripted_llm
):
    scripted_llm.script = [FORBIDDEN]

    version = _rewrite(brief)

    assert version.source == "composer"
    assert version.fallback_reason == (
        "The language model's answer was rejected twice (the prompt contains forbidden "
        "content: kids (minors), Davivienda (competitor banks)). The composer wrote this prompt."
    )
    assert version.fallback_reason_es == (
        "La respuesta del modelo de lenguaje se rechazó dos veces (el prompt tiene contenido "
        "prohibido: kids (menores de edad), Davivienda (bancos competidores)). El compositor "
        "escribió este prompt."
    )
    for word in ("kids", "Davivienda", "davivienda"):
        assert word not in version.positive
    client.force_login(brief.owner)
    assertContains(
        client.get(reverse("brief_detail", args=[brief.pk])),
        "el prompt tiene contenido prohibido: kids (menores de edad)",
    )


def test_an_answer_over_the_token_window_is_trimmed_from_its_end_keeping_the_subject(
    brief, scripted_llm
):
    phrases = ", ".join(
        f"bright colourful market stall with fresh tropical fruit and flowers number {n}"
        for n in range(8)
    )
    scripted_llm.script = [
        '{"prompt": "shopkeeper smiling at a QR code stand, ' + phrases + '", '
        '"negative_prompt": "blurry", "rationale": "Market stalls from the references."}'
    ]

    version = _rewrite(brief)

    assert version.source == "llm"
    assert clip_window_tokens(version.positive) <= CLIP_WINDOW
    kept = split_phrases(version.positive)
    assert kept[0] == "shopkeeper smiling at a QR code stand"
    assert "number 0" in version.positive and "number 7" not in version.positive


def test_an_answer_whose_subject_alone_overflows_the_window_falls_back_saying_so(
    brief, scripted_llm
):
    subject = " ".join(["shopkeeper smiling at a bright QR code stand in a busy market"] * 8)
    scripted_llm.script = ['{"prompt": "' + subject + '", "rationale": "x"}']

    version = _rewrite(brief)

    assert version.source == "composer"
    assert "the prompt is too long" in version.fallback_reason
    assert "el prompt es demasiado largo" in version.fallback_reason_es
    assert clip_window_tokens(version.positive) <= CLIP_WINDOW


# --- an edit made while the rewrite waited ---------------------------------------------------


def test_an_edit_made_after_the_rewrite_was_queued_stays_the_current_prompt(brief, scripted_llm):
    scripted_llm.script = [CLEAN]
    job = services.prompt_rewrite(brief, confirm=True)
    edit = services.prompt_version_edit(
        brief, positive="shopkeeper in Medellín scanning a QR code", negative="", author=brief.owner
    )

    handlers.model_job_run(job.pk)

    job.refresh_from_db()
    versions = list(brief.prompt_versions.order_by("number"))
    written, current = versions[-2], versions[-1]
    assert (written.source, written.number) == ("llm", edit.number + 1)
    assert current.source == "analyst"
    assert (current.positive, current.negative) == (edit.positive, edit.negative)
    assert current.restored_from_id == edit.pk
    assert current.author == brief.owner
    assert current.rationale == (
        f"Your edit (version {edit.number}) stays the current prompt: the language model's "
        f"rewrite, asked for before it, finished after it and is version {written.number}, "
        "which you can restore."
    )
    assert current.rationale_es == (
        f"Su edición (versión {edit.number}) sigue siendo el prompt actual: la reescritura del "
        f"modelo de lenguaje, pedida antes, terminó después y es la versión {written.number}, "
        "que puede restaurar."
    )
    assert job.status == ModelJob.Status.SUCCEEDED
    assert job.result == {
        "prompt_version": written.number,
        "fallback": False,
        "kept_hand_edit": edit.number,
        "current_version": current.number,
    }


def test_an_edit_made_before_the_rewrite_was_asked_for_is_replaced_as_confirmed(
    brief, scripted_llm
):
    scripted_llm.script = [CLEAN]
    services.prompt_version_edit(
        brief, positive="shopkeeper in Medellín scanning a QR code", negative="", author=brief.owner
    )

    version = _rewrite(brief)

    assert version.source == "llm"
    job = ModelJob.objects.get(kind=ModelJob.Kind.WRITE)
    assert job.result == {"prompt_version": version.number, "fallback": False}


def test_an_edit_that_no_longer_fits_todays_guidelines_is_left_and_the_job_still_succeeds(
    brief, scripted_llm
):
    from generation.models import BrandGuideline

    scripted_llm.script = [CLEAN]
    job = services.prompt_rewrite(brief, confirm=True)
    edit = services.prompt_version_edit(
        brief, positive="shopkeeper in Medellín scanning a QR code", negative="", author=brief.owner
    )
    # A lead's new required elements take the whole window: the edit cannot be saved again.
    required = ", ".join(f"required brand element number {n} in every image" for n in range(12))
    assert BrandGuideline.objects.filter(node=None).update(always_include=required) == 1

    handlers.model_job_run(job.pk)

    job.refresh_from_db()
    assert job.status == ModelJob.Status.SUCCEEDED
    assert "kept_hand_edit" not in job.result
    assert brief.latest_prompt.number == edit.number + 1
    assert brief.latest_prompt.source != "analyst"
