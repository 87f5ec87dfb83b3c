"""The language-model prompt writer: any causal chat model loaded through transformers.

The model is asked for one JSON object (prompt, negative prompt, rationale). Its answer is
parsed and checked with prompt_rules.validate; a rejected answer gets one retry with the
problems quoted back, and a second rejection hands the brief to the composer, whose result
says why in `fallback_reason`. Whatever the model writes, the brand rules are enforced after
it (here and again by the service), so a brief cannot talk the model out of them.

torch and transformers are imported inside the functions that need them.
"""

from __future__ import annotations

import importlib.util
import json
import re
from dataclasses import replace
from pathlib import Path

from django.utils import translation
from django.utils.translation import gettext, gettext_noop, ngettext

from generation.backends.base import (
    BackendUnavailable,
    ModelRole,
    PromptRequest,
    PromptResult,
)
from generation.backends.prompt import rules as prompt_rules
from generation.backends.prompt.composer import BASE_NEGATIVE, ComposerWriter
from generation.backends.runtime import (
    INSTALL_HINT,
    resolve_device,
    resolve_dtype,
    resolve_weights,
)

DEFAULT_MAX_NEW_TOKENS = 200
# References shown to the model: the best few carry the signal, more only lengthen the input.
MAX_REFERENCES = 6
MAX_RATIONALE_CHARS = 400

GPTQ_HINT = (
    "GPTQ checkpoints load through transformers with the gptqmodel and optimum packages "
    "(auto-gptq does not import with transformers 5): install the project's [gpu] extra on a "
    "CUDA machine (`pip install -c constraints.txt -e '.[ml,gpu]'`), or configure a "
    "non-quantized chat model."
)

SYSTEM_RULES = """You write prompts for Stable Diffusion XL for a bank's advertising team.
Answer with ONLY one JSON object, no other text:
{{"prompt": "...", "negative_prompt": "...", "rationale": "..."}}
Rules:
- Write in English only, even when the brief is in Spanish.
- "prompt": at most 60 words of short comma-separated phrases, the main subject first.
- Never ask for text, words, numbers, logos, brand names, real or famous people, interest rates
  or prices in the image.
- Put anything the image must not show in "negative_prompt", never as "no ..." in "prompt".
- The prompt must include: {always}.
- Never use these terms in the prompt: {forbidden}.
- Never name these banks or people: {names}.
- "rationale": one or two English sentences saying which references and brief fields drove
  your choices.{notes}"""


class LlmPromptWriter:
    """Loads a chat model once (per worker process) and writes prompts with it."""

    usable = True
    how_to_fix = ""

    def __init__(self, config: ModelRole) -> None:
        self.config = config
        self.model_id = config.model
        self.max_new_tokens = int(config.options.get("max_new_tokens") or DEFAULT_MAX_NEW_TOKENS)
        self.last_raw_answers: list[str] = []
        self.weights_path = resolve_weights(
            config.model, config.revision, what="language model weights"
        )
        quant_method = _check_checkpoint(self.weights_path, config.model)
        try:
            import torch
            from transformers import AutoModelForCausalLM, AutoTokenizer
        except ImportError as exc:
            raise BackendUnavailable(
                f"The language model writer needs {exc.name or exc}, which is not installed.",
                INSTALL_HINT,
            ) from exc

        self.device = resolve_device(config.device)
        dtype = resolve_dtype(config.dtype, self.device)
        if quant_method == "gptq" and config.dtype in ("", "auto") and self.device != "cpu":
            # GPTQ weights are quantized from float16 and its exllama kernels compute in it.
            dtype = torch.float16
        self.tokenizer = AutoTokenizer.from_pretrained(self.weights_path, local_files_only=True)
        if not getattr(self.tokenizer, "chat_template", None):
            raise BackendUnavailable(
                f"The language model {config.model!r} has no chat template.",
                "Configure a chat (instruction-tuned) model, e.g. one whose name ends in -chat "
                "or -instruct.",
            )
        kwargs: dict = {_dtype_argument(): dtype, "local_files_only": True}
        if self.device.startswith("cuda"):
            # device_map places quantized (GPTQ) layers where their kernels run.
            kwargs["device_map"] = self.device
        self.model = AutoModelForCausalLM.from_pretrained(self.weights_path, **kwargs)
        if not self.device.startswith("cuda"):
            self.model.to(self.device)
        self.model.eval()
        self.status_message = f"Loaded {config.model} on {self.device} ({str(dtype)[6:]})."

    # --- one answer ------------------------------------------------------------------------

    def _generate(self, messages: list[dict[str, str]]) -> str:
        """The model's greedy answer to a chat (the new text only)."""
        import torch

        encoded = _apply_template(self.tokenizer, messages)
        encoded = {k: v.to(self.model.device) for k, v in encoded.items()}
        pad_id = self.tokenizer.pad_token_id
        if pad_id is None:
            pad_id = self.tokenizer.eos_token_id
        with torch.inference_mode():
            output = self.model.generate(
                **encoded,
                max_new_tokens=self.max_new_tokens,
                do_sample=False,
                pad_token_id=pad_id,
            )
        new_tokens = output[0, encoded["input_ids"].shape[1] :]
        return self.tokenizer.decode(new_tokens, skip_special_tokens=True)

    # --- the writer contract ---------------------------------------------------------------

    def write(self, request: PromptRequest) -> PromptResult:
        messages = build_messages(request)
        self.last_raw_answers = []
        rejected: list[prompt_rules.Problem] = []
        for attempt in range(2):
            raw = self._generate(messages)
            self.last_raw_answers.append(raw)
            answer, problems = check_answer_problems(raw, request)
            if answer is not None and not problems:
                return self._result(answer, request)
            rejected.extend(p for p in problems if p not in rejected)
            if attempt == 0:
                messages = [
                    *messages,
                    {"role": "assistant", "content": raw},
                    {"role": "user", "content": retry_message([p.english for p in problems])},
                ]
        fallback = ComposerWriter(self.config).write(request)
        english, spanish = fallback_reasons(rejected)
        return replace(fallback, fallback_reason=english, fallback_reason_es=spanish)

    def _result(self, answer: dict, request: PromptRequest) -> PromptResult:
        negative = ", ".join(n for n in (_text(answer.get("negative_prompt")), BASE_NEGATIVE) if n)
        rationale = re.sub(r"\s+", " ", _text(answer.get("rationale")))
        # The rationale is shown as the model wrote it, unless it is empty or in Spanish.
        if not rationale or prompt_rules.spanish_words(rationale):
            rationale = (
                f"Written by the language model from the brief and "
                f"{len(request.references)} references."
            )
        result = PromptResult(
            positive=str(answer["prompt"]).strip(),
            negative=negative,
            rationale=rationale[:MAX_RATIONALE_CHARS],
            model_id=self.model_id,
            rationale_es=spanish_rationale(request),
        )
        return prompt_rules.enforce(result, request.guidelines, request.style)


# --- pieces kept apart so tests can reach them ---------------------------------------------


def spanish_rationale(request: PromptRequest) -> str:
    """What Spanish pages say about an LLM-written prompt (issue 16 item 6).

    The model's rationale is English and is not translated by another model: this sentence
    is composed here from what the model was given, so it is true without reading its answer.
    """
    with translation.override("es"):
        count = len(request.references)
        references = ngettext("{count} reference", "{count} references", count).format(count=count)
        tone = (request.tone or "").strip()
        if tone:
            return gettext(
                "Prompt written by the language model from {references}, the tone “{tone}” "
                "and the brand's guidelines."
            ).format(references=references, tone=tone)
        return gettext(
            "Prompt written by the language model from {references} and the brand's guidelines."
        ).format(references=references)


def build_messages(request: PromptRequest) -> list[dict[str, str]]:
    """The system rules and the brief (with the best references) as chat messages."""
    guidelines = request.guidelines
    notes = f"\nBrand notes: {guidelines.notes.strip()}" if guidelines.notes.strip() else ""
    # The leads' name lists, which the guardrails apply to the answer anyway: told up front,
    # the model need not spend its retry on them.
    lists = prompt_rules.guardrail_lists(guidelines)
    system = SYSTEM_RULES.format(
        always=", ".join(guidelines.always_include) or "nothing in particular",
        forbidden=", ".join(guidelines.forbidden_terms) or "none listed",
        names=", ".join([*lists.competitors, *lists.public_figures]) or "none listed",
        notes=notes,
    )
    lines = ["Brief:"]
    for label, value in (
        ("Title", request.title),
        ("Subject", request.subject),
        ("Audience", request.audience),
        ("Tone", request.tone),
        ("Objective", request.objective),
        ("Business unit", request.node),
    ):
        if value and value.strip():
            lines.append(f"- {label}: {value.strip()}")
    if request.style.positive:
        lines.append(f"- Style: {request.style.positive}")
    references = sorted(request.references, key=lambda r: (-r.weight, r.text))[:MAX_REFERENCES]
    if references:
        lines.append("Best past ads (weight: description), best first:")
        lines.extend(f"- {r.weight:.2f}: {r.text.strip()}" for r in references)
    else:
        lines.append("No past ads to learn from: work from the brief alone.")
    lines.append("Answer with the JSON object only.")
    return [
        {"role": "system", "content": system},
        {"role": "user", "content": "\n".join(lines)},
    ]


def retry_message(problems: list[str]) -> str:
    quoted = " ".join(problems)
    return (
        f"Your answer was rejected: {quoted} Answer again with ONLY the JSON object "
        '{"prompt": "...", "negative_prompt": "...", "rationale": "..."}, in English.'
    )


def parse_answer(raw: str) -> dict | None:
    """The first JSON object with a string "prompt" in the answer, fences and prose tolerated."""
    text = re.sub(r"```(?:json)?", " ", raw or "", flags=re.IGNORECASE)
    decoder = json.JSONDecoder()
    for match in re.finditer(r"\{", text):
        candidate = text[match.start() :]
        for attempt in (candidate, re.sub(r",\s*([}\]])", r"\1", candidate)):
            try:
                value, _ = decoder.raw_decode(attempt)
            except ValueError:
                continue
            if isinstance(value, dict) and isinstance(value.get("prompt"), str):
                return value
    return None


def check_answer(raw: str, request: PromptRequest) -> tuple[dict | None, list[str]]:
    """The parsed answer and its problems (an empty list when it can be used)."""
    answer, problems = check_answer_problems(raw, request)
    return answer, [p.english for p in problems]


def check_answer_problems(
    raw: str, request: PromptRequest
) -> tuple[dict | None, list[prompt_rules.Problem]]:
    """check_answer's problems in English and Spanish (the fallback reason says them)."""
    answer = parse_answer(raw)
    if answer is None:
        with translation.override("es"):
            spanish = gettext(NOT_JSON)
        return None, [prompt_rules.Problem(NOT_JSON, spanish)]
    return answer, prompt_rules.validate_problems(answer["prompt"], request.guidelines)


NOT_JSON = gettext_noop('The answer is not valid JSON with a "prompt" field.')
REJECTED_TWICE = gettext_noop(
    "The language model's answer was rejected twice ({problems}). The composer wrote this prompt."
)


def fallback_reasons(rejected: list[prompt_rules.Problem]) -> tuple[str, str]:
    """Why the composer wrote the prompt: (English, Spanish), each naming every problem."""
    english = REJECTED_TWICE.format(problems="; ".join(_clause(p.english) for p in rejected))
    with translation.override("es"):
        spanish = gettext(REJECTED_TWICE).format(
            problems="; ".join(_clause(p.spanish) for p in rejected)
        )
    return english, spanish


def _text(value: object) -> str:
    """A JSON field as text: a list (a model's habit for negatives) joined with commas."""
    if isinstance(value, list):
        return ", ".join(str(v).strip() for v in value if str(v).strip())
    return str(value or "").strip()


def _clause(problem: str) -> str:
    """A problem sentence as a clause inside the fallback reason."""
    problem = problem.rstrip(".")
    return problem[0].lower() + problem[1:] if problem else problem


def _check_checkpoint(folder: Path, model: str) -> str:
    """The checkpoint's quantization method ("" if none); fails early, with the fix, on a
    folder transformers cannot load here."""
    config_file = folder / "config.json"
    if not config_file.is_file():
        raise BackendUnavailable(
            f"The language model folder for {model!r} has no config.json.",
            "Point the setting at a folder saved with save_pretrained.",
        )
    try:
        config = json.loads(config_file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BackendUnavailable(
            f"The language model's config.json for {model!r} cannot be read: {exc}.",
            "Fetch the weights again (python manage.py yenni_models fetch).",
        ) from exc
    quantization = config.get("quantization_config") or {}
    method = str(quantization.get("quant_method", "")).lower()
    if method != "gptq":
        return method
    missing = [name for name in ("gptqmodel", "optimum") if importlib.util.find_spec(name) is None]
    if missing:
        raise BackendUnavailable(
            f"The language model {model!r} is a GPTQ checkpoint, which needs "
            f"{' and '.join(missing)}, not installed here.",
            GPTQ_HINT,
        )
    return method


def _dtype_argument() -> str:
    """`dtype` since transformers 4.56 (`torch_dtype` before, deprecated in 5)."""
    import transformers

    major, minor = (int(p) for p in transformers.__version__.split(".")[:2])
    return "dtype" if (major, minor) >= (4, 56) else "torch_dtype"


def _apply_template(tokenizer, messages: list[dict[str, str]]) -> dict:
    """Tokenized chat; a template that refuses a system turn gets it inside the first user turn."""
    try:
        encoded = tokenizer.apply_chat_template(
            messages, add_generation_prompt=True, return_tensors="pt", return_dict=True
        )
    except Exception as exc:  # jinja2 TemplateError: "System role not supported" (Gemma…)
        if messages[0]["role"] != "system":
            raise
        merged = [
            {"role": "user", "content": f"{messages[0]['content']}\n\n{messages[1]['content']}"},
            *messages[2:],
        ]
        try:
            encoded = tokenizer.apply_chat_template(
                merged, add_generation_prompt=True, return_tensors="pt", return_dict=True
            )
        except Exception:
            raise exc from None
    return dict(encoded)
