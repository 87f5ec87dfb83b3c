"""Forbidden concepts found and removed in any prompt text, Spanish or English.

A guardrail is a concept (minors, alcohol, a competitor bank…), not a string: each concept holds
synonyms in both languages (data/concepts.tsv), competitor banks and public figures come from
lists leads edit in the admin, and rates and percentages are found in digits or in words. A
text is matched after folding case and accents and undoing leetspeak ("l0go" → "logo"), word
by word: English on Snowball stems (snowballstemmer, pure Python), Spanish by its plural, gender
and diminutive rules, so inflections ("niñas", "beer bottles", "pistolas") match the term
written once. Only the offending words leave the text:
"mochila" and "útiles escolares" stay beside a removed "niños".

Plain Python, no model and no Django import: the web process, the composer, the language-model
check and the API all call `scrub` on the same data.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import snowballstemmer

from generation.guardrails.persons import person_names

DATA = Path(__file__).parent / "data"

# Concept keys and their labels (English msgids; pages translate them with gettext).
MINORS = "minors"
BRAND_MARKS = "brand_marks"
ALCOHOL = "alcohol"
GAMBLING = "gambling"
WEAPONS = "weapons"
PUBLIC_FIGURES = "public_figures"
COMPETITORS = "competitors"
RATES = "rates"
PERSON_NAMES = "person_names"
GUIDELINE = "guideline"
ALLOWED = "allowed"

LABELS: dict[str, str] = {
    MINORS: "minors",
    BRAND_MARKS: "logos and brand marks",
    ALCOHOL: "alcohol",
    GAMBLING: "gambling",
    WEAPONS: "weapons",
    PUBLIC_FIGURES: "public figures",
    COMPETITORS: "competitor banks",
    RATES: "rates and percentages",
    PERSON_NAMES: "possible person name",
    GUIDELINE: "the brand's forbidden content",
}

# Leetspeak digits and signs inside a word that also has letters ("l0go", "c3rv3za", "@lcohol").
# "1" reads as "i" or "l", so both readings are tried.
_LEET = str.maketrans({"0": "o", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s"})
_WORD = re.compile(r"[\w@$]+")
# Words that join two removed words ("logotipo de Bancolombia") go with them, and are trimmed
# from the ends of a phrase a removal left hanging ("tarjeta con" → "tarjeta").
_CONNECTORS = frozenset(
    [
        "a",
        "al",
        "an",
        "and",
        "at",
        "by",
        "con",
        "de",
        "del",
        "el",
        "en",
        "for",
        "from",
        "in",
        "la",
        "las",
        "los",
        "of",
        "on",
        "or",
        "para",
        "por",
        "sin",
        "the",
        "to",
        "un",
        "una",
        "with",
        "y",
    ]
)
# Left at the end of a phrase by a removal ("con su bebé" → "con su"), they go too.
_POSSESSIVES = frozenset(
    ["su", "sus", "mi", "mis", "tu", "tus", "his", "her", "their", "its", "my", "your"]
)


@dataclass(frozen=True)
class Removal:
    """One forbidden occurrence: the words as written and the concept that removed them."""

    words: str
    concept: str

    @property
    def label(self) -> str:
        return LABELS.get(self.concept, self.concept)


@dataclass(frozen=True)
class Lists:
    """The lists leads edit (competitors, public figures) and the guideline's own terms."""

    competitors: tuple[str, ...] = ()
    public_figures: tuple[str, ...] = ()
    forbidden_terms: tuple[str, ...] = ()


@dataclass(frozen=True)
class Scrubbed:
    text: str
    removals: tuple[Removal, ...] = field(default_factory=tuple)

    @property
    def changed(self) -> bool:
        return bool(self.removals)


# --- normalising ---------------------------------------------------------------------------


def fold(text: str) -> tuple[str, list[int]]:
    """Lowercase without accents, and for each folded character its index in `text`."""
    chars: list[str] = []
    index: list[int] = []
    for i, ch in enumerate(text):
        plain = "".join(
            c for c in unicodedata.normalize("NFKD", ch.lower()) if not unicodedata.combining(c)
        )
        for c in plain:
            chars.append(c)
            index.append(i)
    return "".join(chars), index


def _readings(word: str) -> set[str]:
    """The word and, when it mixes letters with digits or signs, its leetspeak readings."""
    if not any(c.isalpha() for c in word) or word.isalpha():
        return {word.strip("@$")} if word.strip("@$") else set()
    readings = set()
    for one in ("i", "l"):
        readings.add(word.replace("1", one).translate(_LEET))
    return readings


_ENGLISH = snowballstemmer.stemmer("english")


@lru_cache(maxsize=8192)
def _english_stem(word: str) -> str:
    return _ENGLISH.stemWord(word)


@lru_cache(maxsize=4096)
def spanish_forms(word: str) -> frozenset[str]:
    """A Spanish term's plural, other gender and diminutives ("niño" → niña, niños, niñitas).

    Spanish is inflected by rule here rather than stemmed: the Snowball Spanish stemmer also
    cuts English words ("nine" → "nin", the stem of "niño"), and briefs mix both languages.
    """
    forms = {word}
    if word.endswith("z"):
        forms.add(word[:-1] + "ces")
    elif word[-1:] in "aeiou":
        forms.add(word + "s")
    else:
        forms.add(word + "es")
    if word[-1:] in ("o", "a"):
        root = word[:-1]
        for ending in ("o", "a", "os", "as", "ito", "ita", "itos", "itas"):
            forms.add(root + ending)
    return frozenset(forms)


def _word_matches(reading: str, term_word: str) -> bool:
    # English: the same Snowball stem, never from a word shorter than the term (inflections only
    # add letters; a shorter word is another word: "arm" is not "arma"). Spanish: by rule.
    if reading == term_word or reading in spanish_forms(term_word):
        return True
    # An English inflection keeps the whole term but a final "y" or "e" ("babies", "gambling"):
    # a shared stem alone is not enough ("celebrate" and "celebrity" both stem to "celebr").
    base = term_word[:-1] if term_word[-1:] in ("y", "e") else term_word
    return (
        len(reading) >= len(term_word)
        and reading.startswith(base)
        and _english_stem(reading) == _english_stem(term_word)
    )


# --- the concepts --------------------------------------------------------------------------


@lru_cache(maxsize=1)
def concept_terms() -> dict[str, tuple[str, ...]]:
    """The concepts of data/concepts.tsv and their terms, in file order."""
    concepts: dict[str, list[str]] = {}
    for line in (DATA / "concepts.tsv").read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        key, term = line.split("\t")
        concepts.setdefault(key.strip(), []).append(term.strip())
    return {k: tuple(v) for k, v in concepts.items()}


def _term_words(term: str) -> tuple[str, ...]:
    folded, _ = fold(term)
    return tuple(w for w in _WORD.findall(folded))


# --- rates and percentages -----------------------------------------------------------------

_NUMBER_WORDS = (
    "cero|uno|una|dos|tres|cuatro|cinco|seis|siete|ocho|nueve|diez|once|doce|quince|veinte|"
    "treinta|cincuenta|cien|medio|zero|one|two|three|four|five|six|seven|eight|nine|ten|"
    "twelve|fifteen|twenty|thirty|fifty|hundred|half"
)
_NUMBER = (
    rf"(?:\d+(?:[.,]\d+)?"
    rf"|(?:{_NUMBER_WORDS})(?:\s+(?:punto|coma|point|y|and)\s+(?:{_NUMBER_WORDS}))?)"
)
_PERCENT = r"(?:%|por\s*ciento|porciento|percent|per\s*cent|pct)"
_RATE_WORDS = r"(?:tasas?|interes(?:es)?|interest|rates?|apr|cuotas?)"
# Matched on folded text (no accents, lowercase): "tasa del 1,2 %", "0 por ciento de interés",
# "cero por ciento", "0%", "2.5% APR", "$ 50.000", "100 USD".
_RATE = re.compile(
    rf"(?<!\w)(?:{_RATE_WORDS}\s+(?:de\s+|del\s+|of\s+|at\s+|al\s+)?)?"
    rf"{_NUMBER}\s*{_PERCENT}"
    rf"(?:\s+(?:de|of|en)\s+(?:interes|interest)\b)?"
    rf"(?:\s+(?:e\.?a\.?|anual|mensual|m\.?v\.?|apr|annual|monthly|interest)(?!\w))?"
    r"|[$€£]\s*\d[\d.,]*"
    r"|(?<!\w)\d[\d.,]*\s*(?:usd|cop|eur|pesos|dollars|dolares|euros)(?!\w)"
)


# --- finding and removing ------------------------------------------------------------------


@dataclass(frozen=True)
class _Token:
    start: int  # in the original text
    end: int
    readings: frozenset[str]


def _tokens(text: str) -> tuple[str, list[int], list[_Token]]:
    folded, index = fold(text)
    tokens = []
    for m in _WORD.finditer(folded):
        readings = frozenset(_readings(m.group(0)))
        if readings:
            tokens.append(_Token(index[m.start()], index[m.end() - 1] + 1, readings))
    return folded, index, tokens


def _matches(tokens: list[_Token], at: int, words: tuple[str, ...]) -> bool:
    if at + len(words) > len(tokens):
        return False
    return all(
        any(_word_matches(r, w) for r in tokens[at + k].readings) for k, w in enumerate(words)
    )


def _concepts(lists: Lists, *, names_only: bool = False) -> list[tuple[str, tuple[str, ...]]]:
    """(concept, term words) pairs, longest terms first so "fichas de casino" beats "casino".

    `names_only`: the leads' competitor and public-figure names alone, not the concepts'
    synonyms ("celebrity" is a public-figures term, but not a name).
    """
    pairs: list[tuple[str, tuple[str, ...]]] = []
    data = concept_terms()
    sources = [] if names_only else [(k, v) for k, v in data.items() if k != ALLOWED]
    sources += [
        (COMPETITORS, lists.competitors),
        (PUBLIC_FIGURES, lists.public_figures),
    ]
    if not names_only:
        sources.append((GUIDELINE, lists.forbidden_terms))
    for concept, terms in sources:
        for term in terms:
            words = _term_words(term)
            if words:
                pairs.append((concept, words))
    return sorted(pairs, key=lambda p: -len(p[1]))


def find(
    text: str, lists: Lists = Lists(), *, names_only: bool = False
) -> list[tuple[int, int, str]]:
    """Every forbidden span of `text`: (start, end, concept), in text order, not overlapping.

    `names_only`: only names: the leads' competitor and public-figure lists, and the person
    names persons.py guesses.
    """
    if not text or not text.strip():
        return []
    folded, index, tokens = _tokens(text)
    spans: list[tuple[int, int, str]] = []
    if not names_only:
        for m in _RATE.finditer(folded):
            spans.append((index[m.start()], index[m.end() - 1] + 1, RATES))
    allowed = [_term_words(t) for t in concept_terms().get(ALLOWED, ())]
    taken = [False] * len(tokens)
    for i in range(len(tokens)):
        for words in allowed:
            if _matches(tokens, i, words):
                for k in range(len(words)):
                    taken[i + k] = True
    for concept, words in _concepts(lists, names_only=names_only):
        for i in range(len(tokens) - len(words) + 1):
            if any(taken[i : i + len(words)]) or not _matches(tokens, i, words):
                continue
            for k in range(len(words)):
                taken[i + k] = True
            spans.append((tokens[i].start, tokens[i + len(words) - 1].end, concept))
    # Names no list holds, guessed by their shape (persons.py); a listed name keeps its rule.
    for start, end in person_names(text):
        if not any(start < e and s < end for s, e, _ in spans):
            spans.append((start, end, PERSON_NAMES))
    spans.sort()
    merged: list[tuple[int, int, str]] = []
    for start, end, concept in spans:
        if merged and start < merged[-1][1]:
            last = merged[-1]
            merged[-1] = (last[0], max(last[1], end), last[2])
        else:
            merged.append((start, end, concept))
    return merged


def scrub(text: str, lists: Lists = Lists()) -> Scrubbed:
    """`text` without its forbidden words, and what was removed for which concept."""
    spans = find(text, lists)
    if not spans:
        return Scrubbed(text)
    removals = tuple(Removal(text[s:e], c) for s, e, c in spans)
    # Join removals separated only by connectors ("logotipo de Bancolombia" goes whole).
    cuts: list[list[int]] = []
    for start, end, _ in spans:
        if cuts and _only_connectors(text[cuts[-1][1] : start]):
            cuts[-1][1] = end
        else:
            cuts.append([_with_lead_in(text, start, end), end])
    # A mark where words went, so only the phrases that lost words are tidied.
    parts, last = [], 0
    for start, end in cuts:
        parts.append(text[last:start])
        last = end
    parts.append(text[last:])
    return Scrubbed(_tidy(_CUT.join(parts)), removals)


_CUT = "\x00"

# A word that only ties a name to its noun ("tarjeta de Davivienda", "a card from Davivienda",
# "portrait of Lionel Messi") goes with the name.
_NAME_LEAD_INS = frozenset(["de", "del", "of", "from", "by"])
_POSSESSIVE_S = re.compile(r"^['’]s\b")


def scrub_names(text: str, lists: Lists = Lists()) -> Scrubbed:
    """`text` without its competitor, public-figure and likely person names, and only them.

    A name is a modifier or a companion in its phrase, not the phrase: "tarjeta Davivienda"
    is still a card and "foto de Shakira sonriendo" still a smiling photo. So the name goes
    with a preposition that tied it to its noun and an English "'s", and its clause stays;
    the clause rule (enforce) is for things that make the scene itself wrong (minors, alcohol,
    weapons).
    """
    spans = find(text, lists, names_only=True)
    if not spans:
        return Scrubbed(text)
    removals = tuple(Removal(text[s:e], c) for s, e, c in spans)
    parts, last = [], 0
    for start, end, _ in spans:
        match = _LAST_WORD.search(text[:start])
        if match and fold(match.group(1))[0] in _NAME_LEAD_INS and match.start() >= last:
            start = match.start()
        possessive = _POSSESSIVE_S.match(text[end:])
        if possessive:
            end += possessive.end()
        parts.append(text[last:start])
        last = end
    parts.append(text[last:])
    return Scrubbed(_tidy(_CUT.join(parts)), removals)


_DETERMINERS = frozenset(
    [
        "a",
        "an",
        "the",
        "un",
        "una",
        "unos",
        "unas",
        "el",
        "la",
        "los",
        "las",
        "su",
        "sus",
        "his",
        "her",
        "their",
    ]
)
_LEAD_PREPOSITIONS = frozenset(["con", "with", "de", "del", "of", "for", "para", "y", "and"])
_LAST_WORD = re.compile(r"([^\W\d_]+)\s+$")


def _with_lead_in(text: str, start: int, end: int) -> int:
    """Where a removal starts once the words that only led to it go too.

    Its articles always go ("una pistola"); a preposition before them goes when nothing but a
    connector or the phrase's end follows, so "hombre con una pistola en la mano" reads
    "hombre en la mano" and not "hombre con en la mano".
    """
    after = fold(text[end:])[0].lstrip()
    next_word = re.match(r"[^\W\d_]+", after)
    ends_phrase = (
        not after or after[0] in ",;.\n" or bool(next_word and next_word.group(0) in _CONNECTORS)
    )
    match = _LAST_WORD.search(text[:start])
    while match and fold(match.group(1))[0] in _DETERMINERS:
        start = match.start()
        match = _LAST_WORD.search(text[:start])
    if ends_phrase and match and fold(match.group(1))[0] in _LEAD_PREPOSITIONS:
        start = match.start()
    return start


def _only_connectors(gap: str) -> bool:
    words = re.findall(r"[^\W\d_]+", fold(gap)[0])
    return not re.search(r"[,;.\n]", gap) and all(w in _CONNECTORS for w in words)


def _tidy(text: str) -> str:
    """Phrases that lost words lose their hanging connectors; emptied phrases go."""
    pieces = re.split(r"\s*([,;\n])\s*", text)
    out: list[str] = []
    for piece in pieces:
        if piece in (",", ";", "\n"):
            if out and out[-1] not in (",", ";", "\n"):
                out.append(piece)
            continue
        if _CUT in piece:
            piece = trim(piece.replace(_CUT, " "))
        if piece:
            out.append(piece)
    while out and out[-1] in (",", ";", "\n"):
        out.pop()
    joined = "".join(p + " " if p in (",", ";") else p for p in out)
    return re.sub(r"[ \t]+", " ", joined).strip()


def trim(phrase: str) -> str:
    """The phrase without the connectors a removal left hanging at its ends."""
    words = re.sub(r"\s+", " ", phrase).strip(" .:-–—'\"").split(" ")
    while words and (fold(words[-1])[0] in _CONNECTORS or fold(words[-1])[0] in _POSSESSIVES):
        words.pop()
    while words and fold(words[0])[0] in _CONNECTORS - _DETERMINERS:
        words.pop(0)
    return " ".join(w for w in words if w)


def _list_file(name: str) -> tuple[str, ...]:
    lines = (DATA / name).read_text(encoding="utf-8").splitlines()
    return tuple(line.strip() for line in lines if line.strip() and not line.startswith("#"))


@lru_cache(maxsize=1)
def default_lists() -> Lists:
    """The competitor and public-figure lists a fresh install starts with (no guideline yet)."""
    return Lists(
        competitors=_list_file("competitors.txt"),
        public_figures=_list_file("public_figures.txt"),
    )
