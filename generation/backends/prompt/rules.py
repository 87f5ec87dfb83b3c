"""Brand and compliance rules applied to every prompt, outside any model.

The prompt service runs `enforce` on whatever a writer (the composer or a language model)
returns, so no brief can talk a model out of the rules: forbidden terms leave the positive
prompt and join the negative one, the always-include elements and the style preset are
present, rates and figures never reach the image model, and the prompt fits the 77-token
window of SDXL's CLIP text encoders. `validate` tells the language-model writer what was
wrong with an answer so it can retry once before falling back to the composer.

Plain Python on purpose: the web process imports this module, and it must never load torch.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import lru_cache

from django.utils import translation
from django.utils.translation import gettext, gettext_noop
from instant_clip_tokenizer import Tokenizer

from generation import guardrails
from generation.backends.base import Guidelines, PromptResult, StyleSpec
from generation.backends.prompt import vocabulary
from generation.guardrails.messages import rule_name

# Each of SDXL's two CLIP text encoders reads 77 tokens, its start and end markers included
# (both use CLIP's BPE vocabulary); whatever lies past them is cut off unread.
CLIP_WINDOW = 77
# What is left for the prompt's own tokens.
CLIP_TOKEN_LIMIT = CLIP_WINDOW - 2
# Fewer words than this is not a prompt an image model can do much with.
MIN_PROMPT_WORDS = 3

# Used by the service when no brand guideline exists: what a bank's ad image must never show.
BASE_FORBIDDEN: tuple[str, ...] = (
    "logo",
    "trademark",
    "brand name",
    "watermark",
    "text",
    "caption",
    "rate",
    "percentage",
    "price tag",
    "celebrity",
    "famous person",
    "lookalike",
    "politician",
    "child",
    "minor",
)

# --- token counting -----------------------------------------------------------------------


@lru_cache(maxsize=1)
def _clip_tokenizer() -> Tokenizer:
    # instant-clip-tokenizer: CLIP's own BPE vocabulary and merges compiled in (no torch, no
    # download), the same ids as CLIPTokenizer ("a photo of a cat" -> 320 1125 539 320 2368).
    return Tokenizer()


def count_clip_tokens(text: str) -> int:
    """How many CLIP BPE tokens `text` takes, exactly, start and end markers excluded."""
    if not text or not text.strip():
        return 0
    return len(_clip_tokenizer().encode(text))


def clip_window_tokens(text: str) -> int:
    """The tokens `text` fills of the 77-token window, start and end markers included."""
    return count_clip_tokens(text) + 2


# --- matching terms -----------------------------------------------------------------------

_IRREGULAR_PLURALS = {
    "child": "children",
    "person": "people",
    "man": "men",
    "woman": "women",
    "likeness": "likenesses",
}


def _word_variants(word: str) -> list[str]:
    """The word, its simple plural and, for a plural term, its singular."""
    variants = {word, word + "s", word + "es"}
    if len(word) > 2 and word.endswith("y") and word[-2] not in "aeiou":
        variants.add(word[:-1] + "ies")
    if word.endswith("ies") and len(word) > 4:
        variants.add(word[:-3] + "y")
    elif word.endswith("es") and len(word) > 3:
        variants.update({word[:-2], word[:-1]})
    elif word.endswith("s") and len(word) > 2:
        variants.add(word[:-1])
    for singular, plural in _IRREGULAR_PLURALS.items():
        if word in (singular, plural):
            variants.update({singular, plural})
    # Longest first, so the alternation prefers "logos" over "logo".
    return sorted(variants, key=lambda v: (-len(v), v))


@lru_cache(maxsize=512)
def term_pattern(term: str) -> re.Pattern[str] | None:
    """A case-insensitive whole-phrase pattern for `term`, its last word in either number."""
    words = re.findall(r"[\w']+", term.lower())
    if not words:
        return None
    head = [re.escape(w) for w in words[:-1]]
    last = "(?:" + "|".join(re.escape(v) for v in _word_variants(words[-1])) + ")"
    # Any run of spaces or hyphens between the words: "brand-name" is "brand name".
    body = r"[\s\-]+".join([*head, last])
    return re.compile(rf"(?<!\w){body}(?!\w)", re.IGNORECASE)


def find_terms(text: str, terms: list[str] | tuple[str, ...]) -> list[str]:
    """The terms (as written in the list) that occur in `text`, in list order, once each."""
    found: list[str] = []
    for term in terms:
        pattern = term_pattern(term)
        if pattern and pattern.search(text) and term not in found:
            found.append(term)
    return found


# Rates, prices and financial claims: never in an image (SDXL cannot spell them, and a figure in
# an ad is a regulated claim). Decimal commas ("1,2 %") are rewritten to dots before this runs.
_CLAIM = re.compile(
    r"\d+(?:\.\d+)?\s*%"
    r"|[$€£]\s*\d"
    r"|\d\s*(?:usd|cop|eur|pesos|dollars|dólares|euros)\b"
    r"|(?<!\w)(?:apr|interest rates?|tasas?|intereses?|cuotas?|porcentajes?|"
    r"percent|per cent)(?!\w)",
    re.IGNORECASE,
)
# Requests for written words in the picture.
_TEXT_OVERLAY = re.compile(
    r"(?<!\w)(?:text|caption|headline|slogan|tagline|lettering|typography|words?|sign)"
    r"\s+(?:saying|reading|that says|that reads|with)(?!\w)"
    r"|(?<!\w)(?:saying|reading|that says|that reads|written)\s*[\"'“‘]"
    r"|[\"“][^\"”]{2,}[\"”]",
    re.IGNORECASE,
)


def find_claims(text: str) -> list[str]:
    """The rate or claim fragments in `text` ("1.2 %", "interest rate"…), in order."""
    return [m.group(0).strip() for m in _CLAIM.finditer(_dot_decimals(text))]


def _dot_decimals(text: str) -> str:
    # "1,2 %" would otherwise be split at its comma into two phrases.
    return re.sub(r"(\d),(\d)", r"\1.\2", text)


# --- phrases ------------------------------------------------------------------------------


def split_phrases(text: str) -> list[str]:
    """Comma/semicolon/newline-separated phrases, tidied, empty ones dropped, duplicates once."""
    phrases: list[str] = []
    seen: set[str] = set()
    for raw in re.split(r"[,;\n]", _dot_decimals(text or "")):
        phrase = _tidy_phrase(raw)
        key = phrase.lower()
        if phrase and key not in seen:
            seen.add(key)
            phrases.append(phrase)
    return phrases


def join_phrases(phrases: list[str]) -> str:
    return ", ".join(phrases)


_DANGLING = {
    "a",
    "an",
    "the",
    "and",
    "or",
    "with",
    "of",
    "for",
    "in",
    "on",
    "at",
    "by",
    "to",
    "featuring",
    "showing",
    "including",
    "plus",
    "from",
    "without",
}


def _tidy_phrase(phrase: str) -> str:
    phrase = re.sub(r"\s+", " ", phrase).strip(" .:;-–—")
    phrase = re.sub(r"\s+([.!?])", r"\1", phrase)
    # A connector left at either end by a removal ("woman holding a card with") goes too.
    words = phrase.split(" ")
    while words and words[-1].lower() in _DANGLING:
        words.pop()
    while words and words[0].lower() in _DANGLING - {"a", "an", "the"}:
        words.pop(0)
    # Two articles in a row ("a the bank") mean the word between them was removed.
    tidy = " ".join(words)
    tidy = re.sub(r"(?<!\w)(?:a|an|the)\s+(?=(?:a|an|the)\s)", "", tidy, flags=re.IGNORECASE)
    return tidy.strip(" .:;-–—")


# A phrase is cut at these connectors (English and Spanish) so one forbidden clause ("with the
# bank logo", "con los niños") can go while the rest of the phrase stays.
_CLAUSE_SPLIT = re.compile(
    r"\s+(?=(?:with|and|featuring|showing|including|plus|next to|beside|alongside|while|"
    r"where|wearing|holding a sign|con|y|junto a|junto con|sin|mientras|donde)\b)|[.:]\s+",
    re.IGNORECASE,
)


def _is_claim(phrase: str, lists: guardrails.Lists) -> bool:
    return bool(_CLAIM.search(phrase)) or any(
        concept == guardrails.RATES for _, _, concept in guardrails.find(phrase, lists)
    )


def _is_banned(phrase: str, patterns: list[re.Pattern[str]], lists: guardrails.Lists) -> bool:
    return (
        any(p.search(phrase) for p in patterns)
        or bool(_CLAIM.search(phrase))
        or bool(guardrails.find(phrase, lists))
    )


def _clean_clauses(
    phrase: str, patterns: list[re.Pattern[str]], lists: guardrails.Lists, *, subject: bool
) -> str:
    """The phrase without its banned clauses.

    The subject keeps its first clause without the banned words (a brief's subject is never
    dropped whole); another phrase whose first clause is banned goes with it.
    """
    clauses = [c for c in _CLAUSE_SPLIT.split(phrase) if c.strip()]
    kept = [c for c in clauses if not _is_banned(c, patterns, lists)]
    if _is_banned(clauses[0], patterns, lists):
        if not subject:
            return ""
        # The concept guardrails take only the offending words ("niños" out of "niños con
        # mochila"); the guideline's own terms and claims are then cut as before.
        first = guardrails.scrub(clauses[0], lists).text
        for pattern in [*patterns, _CLAIM]:
            first = pattern.sub(" ", first)
        kept = [first, *kept]
    return _tidy_phrase(guardrails.trim(" ".join(kept)))


def _remove_banned(
    phrases: list[str], patterns: list[re.Pattern[str]], lists: guardrails.Lists
) -> list[str]:
    """Drop the clauses naming a forbidden thing; drop a phrase that makes a claim.

    A phrase with a rate or price goes whole, because half a claim ("sign saying … monthly")
    misleads the image model more than no phrase does. Another forbidden thing takes its own
    clause only, so "school" and "backpack" stay beside a removed "kids" (issue 14 item 3);
    a competitor's or a public figure's name takes only itself.
    """
    kept: list[str] = []
    for index, phrase in enumerate(phrases):
        # Names first, as names: "tarjeta Davivienda" keeps "tarjeta" (the clause rule below
        # would take the whole phrase for a name in its first clause).
        phrase = guardrails.scrub_names(phrase, lists).text
        if not phrase:
            continue
        if not _is_banned(phrase, patterns, lists):
            kept.append(phrase)
            continue
        if index and _is_claim(phrase, lists):
            continue
        cleaned = _clean_clauses(phrase, patterns, lists, subject=index == 0)
        if cleaned:
            kept.append(cleaned)
    return kept


def _has_phrase(phrases: list[str], wanted: str) -> bool:
    pattern = term_pattern(wanted)
    text = join_phrases(phrases)
    return bool(pattern and pattern.search(text)) or wanted.lower() in text.lower()


def _fit(phrases: list[str], required: list[str]) -> list[str]:
    """Drop the last unprotected phrases until the prompt fits the CLIP window.

    The first phrase (the subject) and every phrase carrying a required element (style preset,
    always-include) always stay, even if that leaves the prompt over the limit: `validate`
    reports such a prompt instead.
    """
    phrases = list(phrases)
    while count_clip_tokens(join_phrases(phrases)) > CLIP_TOKEN_LIMIT:
        droppable = [
            i
            for i in range(1, len(phrases))
            if not any(_has_phrase([phrases[i]], r) for r in required)
        ]
        if not droppable:
            break
        del phrases[droppable[-1]]
    return phrases


def _guideline_phrases(items: list[str]) -> list[str]:
    """Guideline/style entries as phrases (an entry may itself hold commas)."""
    phrases: list[str] = []
    for item in items:
        for phrase in split_phrases(item):
            if phrase.lower() not in {p.lower() for p in phrases}:
                phrases.append(phrase)
    return phrases


# --- the two entry points -----------------------------------------------------------------


def guardrail_lists(guidelines: Guidelines) -> guardrails.Lists:
    """The concept guardrails' lists for these guidelines (the defaults where none is set)."""
    defaults = guardrails.default_lists()
    return guardrails.Lists(
        competitors=tuple(
            defaults.competitors if guidelines.competitors is None else guidelines.competitors
        ),
        public_figures=tuple(
            defaults.public_figures
            if guidelines.public_figures is None
            else guidelines.public_figures
        ),
        forbidden_terms=tuple(_guideline_phrases(list(guidelines.forbidden_terms))),
    )


def guardrail_scrub(text: str, guidelines: Guidelines) -> guardrails.Scrubbed:
    """`text` without the forbidden concepts' words, and what went (for the edit's message)."""
    return guardrails.scrub(text, guardrail_lists(guidelines))


def enforce(result: PromptResult, guidelines: Guidelines, style: StyleSpec) -> PromptResult:
    """The result with the brand rules applied; idempotent (enforcing twice changes nothing)."""
    forbidden = _guideline_phrases(list(guidelines.forbidden_terms))
    patterns = [p for p in (term_pattern(t) for t in forbidden) if p is not None]
    always = [p for p in _guideline_phrases(list(guidelines.always_include)) if p]
    style_positive = split_phrases(style.positive)

    # The concept guardrails (Spanish and English, plurals, synonyms, leetspeak, the leads'
    # name lists, rates in words) and the guideline's terms, clause by clause.
    lists = guardrail_lists(guidelines)
    phrases = _remove_banned(split_phrases(result.positive), patterns, lists)
    # The style preset and the always-include elements are added when the writer left them
    # out; a guideline entry that is itself forbidden (a contradiction) is not added.
    for required in [*style_positive, *always]:
        if not _is_banned(required, patterns, lists) and not _has_phrase(phrases, required):
            phrases.append(required)
    phrases = _fit(phrases, [*style_positive, *always])

    mandated = _guideline_phrases(
        [*forbidden, *guidelines.negative_terms, *split_phrases(style.negative)]
    )
    always_keys = {p.lower() for p in always}
    negative = [p for p in split_phrases(result.negative) if p.lower() not in always_keys]
    for phrase in mandated:
        if phrase.lower() not in {n.lower() for n in negative}:
            negative.append(phrase)
    negative = _fit_negative(negative, {m.lower() for m in mandated})

    return replace(result, positive=join_phrases(phrases), negative=join_phrases(negative))


def _fit_negative(phrases: list[str], mandated: set[str]) -> list[str]:
    """Drop the writer's own trailing negatives (never the mandated ones) to fit the window.

    When the mandated phrases alone are over the window nothing is dropped: no drop could make
    it fit (the guideline admin refuses such lists, and the default ones leave room for a
    style preset's negatives).
    """
    phrases = list(phrases)
    only_mandated = [p for p in phrases if p.lower() in mandated]
    if count_clip_tokens(join_phrases(only_mandated)) > CLIP_TOKEN_LIMIT:
        return phrases
    while count_clip_tokens(join_phrases(phrases)) > CLIP_TOKEN_LIMIT:
        droppable = [i for i, p in enumerate(phrases) if p.lower() not in mandated]
        if not droppable:
            break
        del phrases[droppable[-1]]
    return phrases


# Which language a text is in, by its stop words (data/stop_words_es.txt, stop_words_en.txt).
SPANISH_STOP_WORDS = vocabulary.words("stop_words_es.txt")
ENGLISH_STOP_WORDS = vocabulary.words("stop_words_en.txt")


def spanish_words(text: str) -> list[str]:
    """The Spanish stop words in `text` when it reads as Spanish, else an empty list.

    Spanish: at least two Spanish stop-word occurrences and more of them than English ones.
    """
    words = re.findall(r"[^\W\d_]+", text.lower())
    spanish = [w for w in words if w in SPANISH_STOP_WORDS]
    english = [w for w in words if w in ENGLISH_STOP_WORDS]
    if len(spanish) >= 2 and len(spanish) > len(english):
        return spanish
    return []


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a model's prompt, in English (for the model and the logs) and in
    Spanish (for Spanish pages, when the composer writes the prompt instead)."""

    english: str
    spanish: str

    def __str__(self) -> str:
        return self.english


def _problem(template: str, spanish_params: dict | None = None, **params) -> Problem:
    """`template` (an English msgid) filled in English, and in Spanish through the catalogue."""
    with translation.override("es"):
        spanish = gettext(template).format(**{**params, **(spanish_params or {})})
    return Problem(template.format(**params), spanish)


def validate(text: str, guidelines: Guidelines) -> list[str]:
    """What is wrong with a model-written positive prompt: one English sentence per problem."""
    return [p.english for p in validate_problems(text, guidelines)]


def validate_problems(text: str, guidelines: Guidelines) -> list[Problem]:
    """What is wrong with a model-written positive prompt, in English and Spanish."""
    problems: list[Problem] = []
    words = re.findall(r"[^\W\d_]+", text or "")
    if not words:
        return [_problem(gettext_noop("The prompt is empty."))]
    if len(words) < MIN_PROMPT_WORDS:
        problems.append(
            _problem(
                gettext_noop("The prompt is too short ({count} words; at least {minimum})."),
                count=len(words),
                minimum=MIN_PROMPT_WORDS,
            )
        )
    spanish = spanish_words(text)
    if spanish:
        shown = ", ".join(dict.fromkeys(spanish))
        problems.append(
            _problem(
                gettext_noop("The prompt is not in English (Spanish words: {words})."),
                words=shown,
            )
        )
    terms = _guideline_phrases(list(guidelines.forbidden_terms))
    # What only the concept guardrails find (the checks below name the rest in their words).
    concepts = [
        r
        for r in guardrail_scrub(text, guidelines).removals
        if not find_terms(r.words, terms)
        and not find_claims(r.words)
        and r.concept != guardrails.GUIDELINE
    ]
    if concepts:
        shown = ", ".join(dict.fromkeys(f"{r.words} ({r.label})" for r in concepts))
        with translation.override("es"):
            shown_es = ", ".join(dict.fromkeys(f"{r.words} ({rule_name(r)})" for r in concepts))
        problems.append(
            _problem(
                gettext_noop("The prompt contains forbidden content: {found}."),
                spanish_params={"found": shown_es},
                found=shown,
            )
        )
    forbidden = find_terms(text, terms)
    if forbidden:
        problems.append(
            _problem(
                gettext_noop(
                    "The prompt contains forbidden terms: {terms} (a negation such as "
                    "'no text' belongs in the negative prompt)."
                ),
                terms=", ".join(forbidden),
            )
        )
    claims = find_claims(text)
    if claims:
        shown = ", ".join(dict.fromkeys(c.lower() for c in claims))
        problems.append(
            _problem(
                gettext_noop("The prompt asks for a rate or financial claim ({claims})."),
                claims=shown,
            )
        )
    if _TEXT_OVERLAY.search(text):
        problems.append(_problem(gettext_noop("The prompt asks for written text in the image.")))
    phrases = split_phrases(text)
    if phrases:
        kept = [phrases[0], *_guideline_phrases(list(guidelines.always_include))]
        needed = clip_window_tokens(join_phrases(kept))
        if needed > CLIP_WINDOW:
            problems.append(
                _problem(
                    gettext_noop(
                        "The prompt is too long: its subject and always-include elements alone "
                        "take {tokens} of the {window} tokens the image model reads (use short "
                        "comma-separated phrases)."
                    ),
                    tokens=needed,
                    window=CLIP_WINDOW,
                )
            )
    return problems
