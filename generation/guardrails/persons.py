"""Likely person names in free text, found without a named-entity model.

No NER model loads on the CPU default (spaCy's Spanish model is not installable here, see
docs/models.md), so person names are guessed by their shape: two or more capitalised words
in a row, with the Spanish particles "de", "del", "la" allowed inside ("Juan de la Cruz
Varela"), none of them a word of the prompt writer's vocabulary (its Spanish–English data
files), a Colombian place ("Santa Marta", "Valle del Cauca"), or one of the bank's own brand
and product names ("Bancolombia Empresas"). A word in capitals ("QR"), with a digit or an
inner capital ("Tu360Compras", "Bre-B") is a code, not a name. A word capitalised only
because a sentence starts there counts only when it is no vocabulary word either, so
"Pagos Rápidos" and "Young Woman" are not names but "Juan Pérez sonriendo" is. A phrase in
Title Case ("Shallow Depth Of Field", "Art Deco Style"), as a model may write, has no names.

It guesses: a name made of dictionary words ("Rosa Blanca") passes, and an unknown
capitalised pair of words is taken for a name. Plain Python, no Django import.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from pathlib import Path

DATA = Path(__file__).parent / "data"
PROMPT_DATA = Path(__file__).parent.parent / "backends" / "prompt" / "data"

# Inside a name only ("Juan de la Cruz"), never at its ends.
PARTICLES = frozenset(["de", "del", "la"])
_WORD = re.compile(r"[^\W_][\w'’-]*")


def _fold(word: str) -> str:
    plain = unicodedata.normalize("NFKD", word.lower())
    return "".join(c for c in plain if not unicodedata.combining(c))


def _words_of(lines: list[str], columns: int) -> set[str]:
    words: set[str] = set()
    for line in lines:
        if not line.strip() or line.startswith("#"):
            continue
        for field in line.split("\t")[:columns]:
            words.update(_fold(w) for w in _WORD.findall(field))
    return words


@lru_cache(maxsize=1)
def vocabulary() -> frozenset[str]:
    """Every word of the prompt writer's data (Spanish and English sides), folded."""
    words: set[str] = set()
    for path in sorted(PROMPT_DATA.glob("*.tsv")):
        words |= _words_of(path.read_text(encoding="utf-8").splitlines(), 2)
    for path in sorted(PROMPT_DATA.glob("*words*.txt")):
        words |= _words_of(path.read_text(encoding="utf-8").splitlines(), 1)
    # The describer's English labels: the photography words a model's prompt is made of
    # ("bokeh background", "cinematic shot"), which a model may write in Title Case.
    from generation.backends.describe.labels import LABELS

    words |= _words_of([label for group in LABELS.values() for label in group], 1)
    return frozenset(words)


@lru_cache(maxsize=1)
def places() -> frozenset[str]:
    """First words of Colombian places (the composer's list); later words follow by capital."""
    lines = (PROMPT_DATA / "places_co.txt").read_text(encoding="utf-8").splitlines()
    return frozenset(_words_of(lines, 1))


@lru_cache(maxsize=1)
def own_names() -> frozenset[str]:
    """The bank's own brand and product names, word by word (data/own_names.txt)."""
    lines = (DATA / "own_names.txt").read_text(encoding="utf-8").splitlines()
    return frozenset(_words_of(lines, 1))


def _known(folded: str) -> bool:
    vocabulary_ = vocabulary()
    if folded in vocabulary_:
        return True
    # Plurals of vocabulary words ("pagos", "rapidos", "comercios", "luces").
    return any(
        folded.endswith(end) and folded[: -len(end)] in vocabulary_ for end in ("s", "es")
    ) or (folded.endswith("ces") and folded[:-3] + "z" in vocabulary_)


def _capitalised(word: str) -> bool:
    return word[:1].isupper() and (len(word) == 1 or word[1:].islower() or "-" in word[1:])


def _code(word: str) -> bool:
    return (
        (len(word) > 1 and word.isupper())
        or any(c.isdigit() for c in word)
        or any(c.isupper() for c in word[1:].replace("-", ""))
    )


# English function words: capitalised inside a phrase, they mean Title Case ("Depth Of Field").
_TITLE_CASE_SIGNS = frozenset(["a", "an", "the", "of", "on", "in", "with", "and", "for", "at"])
_PHRASE = re.compile(r"[^,;.:!?\n]+")


def _title_case(phrase: str) -> bool:
    """Whether capitals in this phrase say nothing: a Title Case phrase, not a name.

    "Shallow Depth Of Field" (a capitalised "Of" inside) or three or more capitalised words,
    none in lower case, one of them a vocabulary word ("Art Deco Style", "Kodak Portra Film").
    "Carlos Andrés Gómez" has no vocabulary word and stays a name.
    """
    words = _WORD.findall(phrase)
    if any(_capitalised(w) and _fold(w) in _TITLE_CASE_SIGNS for w in words[1:]):
        return True
    content = [w for w in words if _fold(w) not in PARTICLES]
    return (
        len(content) >= 3
        and all(_capitalised(w) or _code(w) for w in content)
        and any(_known(_fold(w)) for w in content)
    )


def person_names(text: str) -> list[tuple[int, int]]:
    """(start, end) of each likely person name in `text`, in order."""
    title_case = [m.span() for m in _PHRASE.finditer(text or "") if _title_case(m.group(0))]
    return [
        (start, end)
        for start, end in _capitalised_runs(text)
        if not any(s <= start and end <= e for s, e in title_case)
    ]


def _capitalised_runs(text: str) -> list[tuple[int, int]]:
    tokens = [(m.start(), m.end(), m.group(0)) for m in _WORD.finditer(text or "")]
    found: list[tuple[int, int]] = []
    run: list[int] = []  # indexes of the name's words (particles included)

    def close() -> None:
        while run and _fold(tokens[run[-1]][2]) in PARTICLES:
            run.pop()
        names = [i for i in run if _fold(tokens[i][2]) not in PARTICLES]
        if len(names) >= 2:
            found.append((tokens[run[0]][0], tokens[run[-1]][1]))
        run.clear()

    in_place = False
    for i, (start, _end, word) in enumerate(tokens):
        folded = _fold(word)
        # Only spaces between two words keep a name going: a comma, a full stop or a dash ends it.
        joined = i > 0 and text[tokens[i - 1][1] : start].strip() == ""
        if not joined:
            close()
            in_place = False
        if folded in PARTICLES and run:
            run.append(i)
            continue
        if not _capitalised(word) or _code(word):
            close()
            in_place = False
            continue
        # A place's first word takes the capitalised words after it ("Santa Marta").
        if folded in places() or (in_place and joined):
            close()
            in_place = True
            continue
        # A vocabulary word is no name word, capitalised or not ("Pagos Rápidos"); an unknown
        # word counts even where a sentence starts ("Juan Pérez sonriendo").
        if folded in own_names() or _known(folded):
            close()
            continue
        run.append(i)
    close()
    return found
