"""The three model roles' contracts: plain dataclasses in and out, no Django, no torch.

Each backend module imports its heavy libraries (torch, transformers, diffusers) inside the
functions that need them, so importing this package never loads a model library.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

# The largest seed an image backend takes: it fits any integer column and any RNG API. The
# web form and the API refuse larger ones.
SEED_MAX = 2**31 - 1


class BackendUnavailable(RuntimeError):
    """The configured backend cannot run here; `how_to_fix` tells an operator what to do."""

    def __init__(self, message: str, how_to_fix: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.how_to_fix = how_to_fix

    def __str__(self) -> str:
        return f"{self.message} {self.how_to_fix}".strip()


class OutOfMemory(RuntimeError):
    """The device ran out of memory even after the backend's own smaller retry."""


@dataclass(frozen=True)
class ModelRole:
    """Where one role's weights are and how to run them (from settings, see runtime.py)."""

    role: str  # "describe", "prompt" or "image"
    backend: str  # e.g. "heuristic", "interrogator", "composer", "llm", "sdxl", "none"
    model: str = ""  # a local folder or a Hugging Face model id
    revision: str = ""
    device: str = "auto"  # "auto", "cpu", "cuda", "cuda:1"…
    dtype: str = "auto"  # "auto", "float32", "float16", "bfloat16"
    options: dict = field(default_factory=dict)  # backend-specific (depth, clip model, refiner…)


# --- describe an image --------------------------------------------------------------------


@dataclass(frozen=True)
class Description:
    """What a describe backend says of one image.

    `text` is the English sentence the prompt writers read; `text_es` the Spanish one people
    read (empty when the backend writes only English). `attributes` holds the structured
    findings, keys from ATTRIBUTE_KEYS where the backend knows them.
    """

    text: str
    attributes: dict
    model_id: str
    text_es: str = ""


# The attribute keys every describe backend fills when it can; the composer reads these.
ATTRIBUTE_KEYS = (
    "subject",  # str: what the picture shows, e.g. "a woman using a phone"
    "composition",  # str
    "setting",  # str: "outdoors", "office", "home", "studio", "city street"…
    "people",  # {"count": int, "age_range": str | None}
    "lighting",  # str: "bright", "dim", "warm light", "soft light"…
    "palette",  # list[str]: colour names, most dominant first
    "temperature",  # "warm" | "cool" | "neutral"
    "mood",  # str
    "style",  # str: "photograph", "illustration", "flat graphic"…
    "medium",  # str
    "text_overlay",  # "none" | "little" | "heavy"
    "orientation",  # "square" | "landscape" | "portrait"
)


class Describer(Protocol):
    model_id: str

    def describe(self, images: list[bytes]) -> list[Description]:
        """Describe a batch of encoded images (JPEG/PNG/WebP bytes), one result per image."""
        ...


# --- write the prompt ---------------------------------------------------------------------


@dataclass(frozen=True)
class ReferenceNote:
    """One ranked reference as the prompt writer sees it: its description and rank weight."""

    text: str
    attributes: dict
    weight: float  # higher is better; the composer normalises the weights


@dataclass(frozen=True)
class Guidelines:
    """The brand rules in force for a brief (the node's, else the global default)."""

    always_include: list[str] = field(default_factory=list)  # "natural people", "warm light"…
    negative_terms: list[str] = field(default_factory=list)  # always in the negative prompt
    forbidden_terms: list[str] = field(default_factory=list)  # never in the positive prompt
    notes: str = ""  # free text for the LLM (not copied into the prompt)
    # Names leads edit in the admin (generation.guardrails); None: the default lists.
    competitors: list[str] | None = None
    public_figures: list[str] | None = None


@dataclass(frozen=True)
class StyleSpec:
    """A style preset: phrases added to the prompt and to the negative prompt."""

    name: str = ""  # the preset's English name
    positive: str = ""
    negative: str = ""
    name_es: str = ""  # its Spanish name, for the Spanish rationale


@dataclass(frozen=True)
class PromptRequest:
    subject: str  # what the campaign is about (the analyst's words, any language)
    objective: str = ""  # taxonomy code, e.g. "awareness"
    node: str = ""  # business unit name
    audience: str = ""
    tone: str = ""
    title: str = ""
    references: list[ReferenceNote] = field(default_factory=list)
    guidelines: Guidelines = field(default_factory=Guidelines)
    style: StyleSpec = field(default_factory=StyleSpec)


@dataclass(frozen=True)
class PromptResult:
    positive: str
    negative: str
    rationale: str  # English (the LLM's own words when it wrote the prompt)
    model_id: str
    # Set when the LLM's answers were rejected and the composer wrote the prompt instead.
    fallback_reason: str = ""
    # The rationale for Spanish pages (issue 16 item 6); "" when none was written.
    rationale_es: str = ""
    # The fallback reason for Spanish pages (issue 14 item 2).
    fallback_reason_es: str = ""


class PromptWriter(Protocol):
    model_id: str

    def write(self, request: PromptRequest) -> PromptResult: ...


# --- generate images ----------------------------------------------------------------------


@dataclass(frozen=True)
class GenerateRequest:
    prompt: str
    negative_prompt: str = ""
    count: int = 4
    seeds: list[int] = field(default_factory=list)  # one per image; empty: the backend draws
    guidance_scale: float = 7.0
    steps: int = 30
    width: int = 1024
    height: int = 1024
    scheduler: str = ""  # "" keeps the checkpoint's; "euler", "euler_a", "dpm++2m", "ddim"
    init_image: bytes | None = None  # an analyst's sketch: img2img
    strength: float = 0.6  # img2img: how far from the sketch (0 keeps it, 1 ignores it)
    use_refiner: bool = False


@dataclass(frozen=True)
class GeneratedImage:
    png: bytes
    seed: int
    width: int
    height: int


@dataclass(frozen=True)
class GenerateResult:
    images: list[GeneratedImage]
    model_id: str
    load_seconds: float = 0.0
    inference_seconds: float = 0.0
    batch_size_used: int = 0  # images per pipeline call (smaller after an out-of-memory retry)
    notes: list[str] = field(default_factory=list)


class ImageGenerator(Protocol):
    model_id: str

    def generate(self, request: GenerateRequest) -> GenerateResult: ...
