"""The language-model prompt writer, run on a tiny random Llama saved with save_pretrained.

The tiny model's greedy answers are noise, so the real load → chat template → generate →
parse → validate → retry → fallback path runs unpatched in the fallback test. The tests of a
*usable* answer replace only the writer's `_generate` (what the model says); everything after
it — parsing, validation, the retry message, the rules — is the real code.
"""

from __future__ import annotations

import importlib.util
import json
from dataclasses import replace

import pytest

from generation.backends.base import (
    BackendUnavailable,
    Guidelines,
    ModelRole,
    PromptRequest,
    ReferenceNote,
    StyleSpec,
)
from generation.backends.prompt.composer import ComposerWriter
from generation.backends.prompt.llm import LlmPromptWriter, build_messages, parse_answer
from generation.backends.prompt.rules import BASE_FORBIDDEN, split_phrases

GUIDELINES = Guidelines(
    always_include=["natural diverse people"],
    negative_terms=["cartoon"],
    forbidden_terms=list(BASE_FORBIDDEN),
    notes="Show everyday, real-looking situations.",
)
REQUEST = PromptRequest(
    subject="Tarjeta de crédito para jóvenes",
    audience="universitarios",
    tone="alegre y cercano",
    objective="awareness",
    references=[
        ReferenceNote(
            text="a woman using a phone outdoors, soft light",
            attributes={"setting": "outdoors", "lighting": "soft light", "palette": ["blue"]},
            weight=2.0,
        ),
        ReferenceNote(
            text="a family at home, warm light",
            attributes={"setting": "home", "lighting": "warm light", "palette": ["orange"]},
            weight=1.0,
        ),
    ],
    guidelines=GUIDELINES,
    style=StyleSpec(name="Lifestyle", positive="candid lifestyle photography", negative="plastic"),
)
VALID = (
    '{"prompt": "a young woman paying with her phone at a café terrace, soft light", '
    '"negative_prompt": "cartoon, logo", '
    '"rationale": "Outdoor café and soft light from the heavier reference."}'
)


@pytest.fixture(autouse=True)
def one_torch_thread():
    """A 64-wide model spends its time handing work between threads: one thread is ~10× faster."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def writer(tiny_llm_dir) -> LlmPromptWriter:
    config = ModelRole(role="prompt", backend="llm", model=str(tiny_llm_dir), device="cpu")
    return LlmPromptWriter(config)


def _scripted(writer: LlmPromptWriter, monkeypatch, answers: list[str]) -> list[list[dict]]:
    """Make the model say `answers` in turn; return the chats it was shown."""
    shown: list[list[dict]] = []

    def fake_generate(messages):
        shown.append(messages)
        return answers[len(shown) - 1]

    monkeypatch.setattr(writer, "_generate", fake_generate)
    return shown


def test_the_writer_loads_a_chat_model_from_a_local_folder(writer, tiny_llm_dir):
    assert writer.usable is True
    assert writer.device == "cpu"
    assert writer.weights_path == tiny_llm_dir
    assert writer.model_id == str(tiny_llm_dir)
    assert writer.max_new_tokens == 200
    assert writer.status_message == f"Loaded {tiny_llm_dir} on cpu (float32)."


def test_a_random_models_answers_are_rejected_twice_and_the_composer_writes_the_prompt(writer):
    result = writer.write(REQUEST)

    assert len(writer.last_raw_answers) == 2
    assert result.fallback_reason == (
        "The language model's answer was rejected twice (the answer is not valid JSON with a "
        '"prompt" field). The composer wrote this prompt.'
    )
    assert result.fallback_reason_es == (
        "La respuesta del modelo de lenguaje se rechazó dos veces (la respuesta no es un JSON "
        "válido con un campo «prompt»). El compositor escribió este prompt."
    )
    assert result.model_id == "composer-v1"
    assert replace(result, fallback_reason="", fallback_reason_es="") == ComposerWriter().write(
        REQUEST
    )
    # The guidelines survive the fallback.
    assert "natural diverse people" in split_phrases(result.positive)
    assert "candid lifestyle photography" in split_phrases(result.positive)
    for term in ("logo", "celebrity", "cartoon", "plastic"):
        assert term in split_phrases(result.negative)


def test_the_same_brief_gives_the_same_answers_greedy_decoding(writer):
    writer.write(REQUEST)
    first = list(writer.last_raw_answers)
    writer.write(REQUEST)

    assert writer.last_raw_answers == first


def test_a_valid_answer_becomes_the_prompt_with_the_rules_applied(writer, monkeypatch):
    shown = _scripted(writer, monkeypatch, [f"```json\n{VALID}\n```"])

    result = writer.write(REQUEST)

    assert len(shown) == 1
    assert writer.last_raw_answers == [f"```json\n{VALID}\n```"]
    assert result.model_id == writer.model_id
    assert result.fallback_reason == ""
    assert result.positive == (
        "a young woman paying with her phone at a café terrace, soft light, "
        "candid lifestyle photography, natural diverse people"
    )
    negative = split_phrases(result.negative)
    assert negative[:2] == ["cartoon", "logo"]
    for term in ("blurry", "celebrity", "plastic", "rate"):
        assert term in negative
    assert result.rationale == "Outdoor café and soft light from the heavier reference."


def test_a_rejected_answer_is_retried_once_with_its_problems_quoted(writer, monkeypatch):
    spanish = (
        '{"prompt": "una mujer joven con su celular en la ciudad", '
        '"negative_prompt": "", "rationale": "x"}'
    )
    shown = _scripted(writer, monkeypatch, [spanish, f"Sure! Here it is: {VALID} Enjoy."])

    result = writer.write(REQUEST)

    assert len(shown) == 2
    assert writer.last_raw_answers == [spanish, f"Sure! Here it is: {VALID} Enjoy."]
    retry = shown[1]
    assert retry[:2] == shown[0]
    assert retry[2] == {"role": "assistant", "content": spanish}
    assert retry[3]["role"] == "user"
    assert retry[3]["content"].startswith(
        "Your answer was rejected: The prompt is not in English (Spanish words: una, con, su, "
        "en, la). Answer again with ONLY the JSON object"
    )
    assert result.fallback_reason == ""
    assert result.model_id == writer.model_id


def test_two_rejections_name_both_problems_in_the_fallback_reason(writer, monkeypatch):
    forbidden = '{"prompt": "a celebrity holding a credit card, bank logo", "rationale": ""}'
    _scripted(writer, monkeypatch, ["no json at all", forbidden])

    result = writer.write(REQUEST)

    assert result.fallback_reason == (
        "The language model's answer was rejected twice (the answer is not valid JSON with a "
        '"prompt" field; the prompt contains forbidden terms: logo, celebrity (a negation such '
        "as 'no text' belongs in the negative prompt)). The composer wrote this prompt."
    )
    assert result.model_id == "composer-v1"
    assert "celebrity" not in result.positive


def test_the_chat_carries_the_rules_the_brief_and_the_best_references_first():
    messages = build_messages(REQUEST)

    assert [m["role"] for m in messages] == ["system", "user"]
    system, user = messages[0]["content"], messages[1]["content"]
    assert "Answer with ONLY one JSON object" in system
    assert "The prompt must include: natural diverse people." in system
    assert "logo, trademark" in system
    assert "Brand notes: Show everyday, real-looking situations." in system
    assert user.splitlines() == [
        "Brief:",
        "- Subject: Tarjeta de crédito para jóvenes",
        "- Audience: universitarios",
        "- Tone: alegre y cercano",
        "- Objective: awareness",
        "- Style: candid lifestyle photography",
        "Best past ads (weight: description), best first:",
        "- 2.00: a woman using a phone outdoors, soft light",
        "- 1.00: a family at home, warm light",
        "Answer with the JSON object only.",
    ]


def test_parsing_finds_the_first_json_object_among_fences_and_prose():
    expected = json.loads(VALID)

    assert parse_answer(VALID) == expected
    assert parse_answer(f"```json\n{VALID}\n```") == expected
    assert parse_answer(f"Here is the prompt:\n{VALID}\nHope it helps!") == expected
    assert parse_answer('{"prompt": "a, b", "rationale": "x",}') == {
        "prompt": "a, b",
        "rationale": "x",
    }
    assert parse_answer('[1, 2] {"note": 1} {"prompt": "second"}') == {"prompt": "second"}
    assert parse_answer('{"prompt": 3}') is None
    assert parse_answer("no json here") is None
    assert parse_answer("") is None


def test_a_gptq_checkpoint_without_gptqmodel_is_unavailable_with_the_fix(tmp_path):
    if importlib.util.find_spec("gptqmodel") is not None:
        pytest.skip("gptqmodel is installed here: the checkpoint would load")
    (tmp_path / "config.json").write_text(
        json.dumps(
            {"model_type": "llama", "quantization_config": {"quant_method": "gptq", "bits": 4}}
        )
    )

    with pytest.raises(BackendUnavailable) as caught:
        LlmPromptWriter(ModelRole(role="prompt", backend="llm", model=str(tmp_path)))

    assert "GPTQ checkpoint" in caught.value.message
    assert "gptqmodel" in caught.value.message
    assert "[gpu] extra" in caught.value.how_to_fix


def test_a_missing_folder_is_unavailable(tmp_path):
    missing = tmp_path / "nowhere"

    with pytest.raises(BackendUnavailable) as caught:
        LlmPromptWriter(ModelRole(role="prompt", backend="llm", model=str(missing)))

    assert caught.value.message == f"The language model weights folder {missing} does not exist."


def test_a_folder_without_config_json_is_unavailable(tmp_path):
    with pytest.raises(BackendUnavailable) as caught:
        LlmPromptWriter(ModelRole(role="prompt", backend="llm", model=str(tmp_path)))

    assert caught.value.message == (
        f"The language model folder for {str(tmp_path)!r} has no config.json."
    )


def test_a_list_negative_is_joined_and_a_spanish_rationale_is_replaced(writer, monkeypatch):
    answer = {
        "prompt": "a young man paying with his phone in a bright café, morning light",
        "negative_prompt": ["cartoon", "dark"],
        "rationale": "La luz y el café vienen de la referencia con más peso.",
    }
    _scripted(writer, monkeypatch, [json.dumps(answer, ensure_ascii=False)])

    result = writer.write(REQUEST)

    assert split_phrases(result.negative)[:2] == ["cartoon", "dark"]
    assert result.rationale == "Written by the language model from the brief and 2 references."
    assert result.fallback_reason == ""
