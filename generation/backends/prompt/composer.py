"""The composer: a deterministic prompt writer that needs no model.

It merges what the best past ads have in common (weighted by their rank) with the analyst's
brief, translated from Spanish on the CPU with no model (simplemma's Spanish lemmas and the
glossary in data/: phrases first, names and acronyms kept), and the style preset and brand
guidelines. The brief's subject leads; the tone sets the one lighting and colour temperature
unless the brand's required phrases set it (see `_light`); the references add palette,
composition and style. Same request in, byte-identical prompt out, whatever the order
of the references: weights are summed as exact fractions and every tie is broken
alphabetically. It is the default prompt writer and the language model's fallback.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, replace
from fractions import Fraction
from functools import lru_cache

import simplemma
from django.utils.translation import gettext, pgettext

from creatives.vocabulary import COLOUR_LABELS
from generation.backends.base import ModelRole, PromptRequest, PromptResult, ReferenceNote
from generation.backends.prompt import morphology, vocabulary
from generation.backends.prompt import rules as prompt_rules
from yenni_site.language import in_both_languages, page_language

# Photographic defects every SDXL negative prompt carries.
BASE_NEGATIVE = "blurry, low quality, deformed hands, extra fingers, distorted face"
# The subject when neither the brief nor the references give one.
FALLBACK_SUBJECT = "a bank customer in everyday life"
# A reference subject joins the prompt only when references holding half the weight share it:
# a single reference's subject would pull the image away from the brief.
REFERENCE_SUBJECT_SHARE = Fraction(1, 2)

# The Spanish → English glossary (data/glossary_es_en.tsv): the English, its part of speech and
# an adjective's standalone reading, by lowercase key without accents. Keys are dictionary forms
# (lemmas) or exact forms; simplemma finds a word's lemma, so "tiendas" reaches "tienda".
CURATED = vocabulary.glossary("glossary_es_en.tsv")
# The general lexicon (data/lexicon_es_en.tsv, ~1,780 everyday keys by category) under it: the
# curated entries win where both have a key. English text is read with the curated glossary
# only, as many short lexicon keys are English words too ("once", "come", "pan").
LEXICON, ADJECTIVE_READINGS = vocabulary.lexicon("lexicon_es_en.tsv")
GLOSSARY = {**LEXICON, **CURATED}
# Grammar words, translated only when the text reads as Spanish ("a" and "con" are English too).
CONNECTORS = vocabulary.pairs("connectors_es_en.tsv")
# Words spelt the same in both languages that a Spanish brief may carry.
SHARED_WORDS = vocabulary.words("shared_words.txt")
# Colombian places, names even as a brief's first word (data/places_co.txt).
PLACES = vocabulary.words("places_co.txt")
# A tone's one lighting and colour temperature (data/tones_es_en.tsv).
TONES = vocabulary.table("tones_es_en.tsv")

_MAX_KEY_WORDS = max(len(k.split()) for k in [*GLOSSARY, *CONNECTORS])
# Words keep inner digits and hyphens ("Tu360Compras", "Bre-B", "18-25"); anything else is one
# punctuation token.
_TOKEN = re.compile(r"\w+(?:[-'’]\w+)*|[^\w\s]")
_SENTENCE_END = {".", "!", "?", ":", ";", "¿", "¡", "(", '"', "“"}
# Spanish words that join the parts of one name ("Banco de Bogotá", "Eje del Café").
_NAME_JOINERS = {"de", "del", "la", "las", "los", "y"}


def _plain(word: str) -> str:
    """Lowercase without accents, so "crédito" and "credito" find the same entry."""
    decomposed = unicodedata.normalize("NFKD", word.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).replace("ñ", "n")


@lru_cache(maxsize=4096)
def _lemma(word: str) -> str:
    """The Spanish dictionary form of `word`, plain ("pequeños" → "pequeno").

    simplemma (MIT, maintained, pure Python) carries its Spanish lemma table in the wheel: no
    model and no download. The table loads on first use (about two seconds, once a process).
    """
    return _plain(simplemma.lemmatize(word.lower(), lang="es"))


@dataclass(frozen=True)
class Translation:
    text: str
    dropped: tuple[str, ...]  # Spanish words with no glossary entry, left out


def _reads_spanish(tokens: list[str]) -> bool:
    plain = [_plain(t) for t in tokens]
    if prompt_rules.spanish_words(" ".join(tokens)):
        return True
    english = [w for w in plain if w in prompt_rules.ENGLISH_STOP_WORDS]
    # A word English has too ("come", "red", "local", "festival") is no sign of Spanish.
    hits = [
        w
        for w, t in zip(plain, tokens, strict=True)
        if w not in SHARED_WORDS
        and not morphology.english_word(t.lower())
        and (w in GLOSSARY or (w.isalpha() and _lemma(t) in GLOSSARY))
    ]
    accented = any(_plain(t) != t.lower() for t in tokens if t[:1].islower())
    if english:
        return False
    if hits or accented:
        return True
    words = [t for t in tokens if t[:1].isalpha()]
    if words and all(morphology.english_word(t.lower()) for t in words):
        return False  # every word is English ("Fast loan approval")
    # No glossary word: simplemma's own Spanish word list decides ("Conductores de Bogotá" is
    # Spanish though no word of it is in the glossary, and must not pass through untranslated).
    return bool(words) and simplemma.in_target_language(" ".join(words), lang="es") >= 0.5


def _is_name(token: str, at_start: bool) -> bool:
    """A proper noun, acronym or code that passes through untranslated.

    All capitals ("QR", "PSE"), a digit or an inner capital inside a word ("Tu360Compras",
    "Bre-B"), or a capital not at the start of a sentence ("Medellín"). A capitalised first word
    is a name only when it is no Spanish word simplemma knows ("Wompi", not "Comparte").
    """
    if not token[0].isalpha():
        return token[0].isdigit()
    if len(token) > 1 and token.isupper():
        return True
    if any(ch.isdigit() for ch in token) or any(ch.isupper() for ch in token[1:]):
        return True
    if not token[0].isupper():
        return False
    if not at_start:
        return True
    if _plain(token) in PLACES:
        return True
    return not simplemma.is_known(token.lower(), lang="es") and _plain(token) not in GLOSSARY


_pluralise = morphology.pluralise


def _third_person(english: str) -> str:
    first, _, rest = english.partition(" ")
    if first.endswith(("s", "x", "ch", "sh", "o")):
        first += "es"
    elif first.endswith("y") and first[-2:-1] not in tuple("aeiou"):
        first = first[:-1] + "ies"
    else:
        first += "s"
    return f"{first} {rest}".strip()


def _verb_form(entry: tuple[str, str, str], surface: str, before: str) -> str:
    """The English of a Spanish verb in its place: "sin ir" → "without going"."""
    base, _, gerund = entry
    gerund = gerund or morphology.gerund(base)
    plain = _plain(surface)
    if plain.endswith(("ando", "iendo", "yendo")) or before in ("without", "que", "by"):
        return gerund
    if before in ("to", "for") or plain.endswith(("ar", "er", "ir", "te", "se")):
        return base  # an infinitive ("para dormir" → "to sleep")
    if not before or before in ("and", "or"):
        return base  # an imperative at the start ("Paga", "Recibe")
    if plain.endswith("n"):
        return base  # they pay
    return _third_person(base)  # "tu restaurante recibe" → "receives"


def _lookup(tokens: list[str], plain: list[str], i: int) -> tuple[int, tuple[str, str, str]] | None:
    """The longest glossary entry starting at token i, by exact form first, then by lemma.

    A lemma match of a plural Spanish noun gives the English plural ("tiendas" → "shops").
    """
    for size in range(min(_MAX_KEY_WORDS, len(tokens) - i), 0, -1):
        words = plain[i : i + size]
        if not all(w[:1].isalpha() for w in words):
            continue
        key = " ".join(words)
        if key in GLOSSARY:
            return size, GLOSSARY[key]
        if size == 1:
            # The singular's own entry before the lemma: simplemma's lemma of a feminine
            # plural is often the masculine ("señoras" → "señor", a man).
            for singular in (key[:-2], key[:-1]) if key.endswith("es") else (key[:-1],):
                entry = GLOSSARY.get(singular) if key.endswith("s") else None
                if entry and entry[1] in ("n", "a"):
                    english = _pluralise(entry[0]) if entry[1] == "n" else entry[0]
                    return 1, (entry[2] or english if entry[1] == "n" else english, *entry[1:])
        lemmas = [_lemma(t) for t in tokens[i : i + size]]
        key = " ".join(lemmas)
        if key in GLOSSARY:
            english, pos, alone = GLOSSARY[key]
            head = plain[i]
            if pos == "n" and head != lemmas[0] and head.endswith("s"):
                english = alone or _pluralise(english)
            return size, (english, pos, alone)
    return None


def translate(text: str) -> Translation:
    """English for a brief field: Spanish translated, names kept, the untranslatable dropped.

    Text that reads as English keeps its words (only glossary entries are replaced). Spanish
    text is read phrase by phrase: the longest glossary entry wins ("tienda de barrio" →
    "neighbourhood shop"), inflected words reach their entry through their lemma, names,
    acronyms and numbers pass unchanged ("QR", "Medellín", "Bre-B", "40"), adjectives move
    before their noun ("familia feliz" → "happy family"), and grammar words are kept only between
    two words they join, so a dropped word never leaves "a of with the" behind.
    """
    tokens = _TOKEN.findall(text or "")
    if not tokens:
        return Translation("", ())
    spanish = _reads_spanish(tokens)
    plain = [_plain(t) for t in tokens]
    items: list[tuple[str, str, str]] = []  # (english, part of speech, standalone form)
    dropped: list[str] = []
    i = 0
    while i < len(tokens):
        token = tokens[i]
        at_start = i == 0 or tokens[i - 1] in _SENTENCE_END
        phrase = _lookup(tokens, plain, i) if spanish else None
        if (
            spanish
            and _is_name(token, at_start)
            and not _glossary_name(plain[i], at_start)
            # "Costa Caribe", "Día de la Madre", "Estados Unidos": a phrase the lexicon holds.
            and not (phrase and phrase[0] >= 2)
        ):
            size = _name_length(tokens, i)
            # Two names joined by "y" are two names joined by "and" ("Tumaco y Buenaventura").
            name = [
                "and" if t in ("y", "e") and 0 < k < size - 1 else t
                for k, t in enumerate(tokens[i : i + size])
            ]
            items.append((" ".join(name), "p", ""))
            i += size
            continue
        found = phrase
        if found is None and spanish and token[0].isalpha() and plain[i] not in CONNECTORS:
            found = _guess(token, plain[i])
        if found is None and not spanish:
            key = plain[i]
            found = (1, CURATED[key]) if key in CURATED and key not in SHARED_WORDS else None
        if found:
            size, entry = found
            previous = items[-1][1] if items else ""
            if (
                entry[1] == "v"
                and size == 1
                and previous in ("n", "a")
                and (morphology.is_participle(plain[i]))
            ):
                # A participle after its noun is an adjective: "casa usada" → "used house".
                entry = (morphology.participle(entry[0]), "a", "")
            elif entry[1] == "n" and previous == "n" and plain[i] in ADJECTIVE_READINGS:
                entry = (ADJECTIVE_READINGS[plain[i]], "a", "")
            elif entry[1] == "n" and previous == "n" and _lemma(token) in ADJECTIVE_READINGS:
                entry = (ADJECTIVE_READINGS[_lemma(token)], "a", "")
            elif entry[1] == "n":
                compound = _compound(tokens, plain, i + size, entry)
                if compound:
                    entry, extra = compound
                    size += extra
            if entry[1] == "v" and previous == "v" and plain[i].endswith(("ar", "er", "ir")):
                # A verb before an infinitive: "quieren comprar" → "wanting to buy". "Querer"
                # loves a person ("los que más quieres") but wants a deed.
                wanted = {"love": "want", "loves": "wants", "loving": "wanting"}
                items[-1] = (wanted.get(items[-1][0], items[-1][0]), "v", "")
                items.append(("to", "c", ""))
                items.append((entry[0], "v", ""))
                i += size
                continue
            if entry[1] == "v":
                before = items[-1][0] if items else ""
                if before == "for" and plain[i].endswith(("ar", "er", "ir")):
                    items[-1] = ("to", "c", "")  # "para recorrer" → "to explore"
                    before = "to"
                if items and items[-1] == ("", "q", ""):
                    before = "que"
                entry = (_verb_form(entry, " ".join(tokens[i : i + size]), before), "v", "")
            items.append(entry)
            i += size
            continue
        size = 1
        if spanish and plain[i] in CONNECTORS:
            connector = CONNECTORS[plain[i]]
            # "que" is dropped, but the verb after it reads as a gerund ("que pagan" → "paying").
            items.append(
                (connector, "c", "") if connector else ("", "q" if plain[i] == "que" else "c", "")
            )
        elif not token[0].isalpha():
            items.append((token, "p", ""))
        elif not spanish or plain[i] in SHARED_WORDS:
            items.append((token, "w", ""))
        else:
            dropped.append(token)
            items.append(("", "gap", ""))
        i += size
    if spanish:
        items = _adjectives_first([it for it in items if it[1] not in ("q",)])
        items = _without_loose_connectors(items)
    words = [english for english, _, _ in items if english]
    joined = " ".join(words)
    # "un/una" translated before the noun moved: "a account" → "an account".
    joined = re.sub(r"\b([Aa]) (?=[aeiouAEIOU])", r"\1n ", joined)
    joined = re.sub(r"\s+([,.;:%!?)])", r"\1", joined)
    # "1 , 2" back to "1,2" and "18 - 25" to "18-25": the rules read them as one figure.
    joined = re.sub(r"(\d)\s*([-/.,])\s*(\d)", r"\1\2\3", joined)
    # A percentage is a figure for the copy, not the picture (and a rate claim the guardrails
    # remove, which would leave "up to the of" behind): it goes with its "up to the … of".
    joined = re.sub(
        r"\b(?:(?:up to|until|to|from|of|with|for|in)\s+)?(?:the\s+)?\d+(?:[.,]\d+)?%(?:\s+of\b)?",
        "",
        joined,
    )
    joined = re.sub(r"\(\s+", "(", joined)
    # "de 18 a 25 años", translated word by word, reads "of 18 to 25 years old".
    joined = re.sub(r"(?:\b(?:of|from) )?(\d+) to (\d+) years old\b", r"aged \1-\2", joined)
    return Translation(re.sub(r"\s+", " ", joined).strip(), tuple(dropped))


# Heads that measure or group their complement rather than name a kind of it: "grupo de amigos"
# is no "friends group", "millones de personas" no "people millions".
_PARTITIVES = {
    "grupo",
    "parte",
    "tipo",
    "clase",
    "millon",
    "millones",
    "mil",
    "miles",
    "cientos",
    "monton",
    "kilo",
    "litro",
    "taza",
    "vaso",
    "botella",
    "lista",
    "cantidad",
    "mayoria",
    "resto",
    "conjunto",
    "serie",
    "par",
    "docena",
    "variedad",
    "mundo",
    "dia",
    "mes",
    "ano",
    "semana",
    "hora",
    "fin",
    "centro",
    "norte",
    "sur",
    "oriente",
    "occidente",
    "zona",
    "ciudad",
}


def _compound(
    tokens: list[str], plain: list[str], j: int, head: tuple[str, str, str]
) -> tuple[tuple[str, str, str], int] | None:
    """ "dueños de perros" → "dog owners": noun + "de" + one bare noun, in English order.

    Only when the complement is one known noun with no article, name, adjective or further
    "de"/"y" after it ("dueños de perros y gatos" stays "owners of dogs and cats"), and the head
    is no quantity or part ("grupo de amigos"). The complement takes its singular, as English
    compounds do ("camiones de carga" → "cargo trucks").
    """
    if j + 1 >= len(tokens) or plain[j] != "de":
        return None
    if plain[j - 1] in _PARTITIVES or _lemma(tokens[j - 1]) in _PARTITIVES:
        return None
    word = tokens[j + 1]
    if not word.isalpha() or not word.islower() or plain[j + 1] in CONNECTORS:
        return None
    entry = GLOSSARY.get(plain[j + 1]) or GLOSSARY.get(_lemma(word))
    if not entry or entry[1] != "n" or " " in entry[0]:
        return None
    phrase = _lookup(tokens, plain, j + 1)
    if phrase and phrase[0] > 1:
        return None  # "de empresas familiares": the complement is a phrase of its own
    if j + 2 < len(tokens):
        after = plain[j + 2]
        following = GLOSSARY.get(after) or GLOSSARY.get(_lemma(tokens[j + 2]))
        if after in ("de", "y", "e", "o") or (
            after not in CONNECTORS and following and following[1] in ("n", "a")
        ):
            return None
    return (f"{entry[0]} {head[0]}", "n", ""), 2


def _guess(token: str, plain: str) -> tuple[int, tuple[str, str, str]] | None:
    """A word neither list holds, read from its shape (see `morphology`), or None.

    A diminutive or a form of a known word ("casita", "cafecito"), an adverb in -mente from its
    adjective ("rapidamente" → "quickly" when the lexicon says "rápido" is "quick"), or an
    English cognate that simplemma's English word list knows ("organización" → "organization").
    """
    if morphology.is_participle(plain):
        # simplemma keeps some participles as adjectives ("aprobado"): try the infinitive.
        stem = plain.rstrip("s")[:-3]
        endings = ("ar",) if plain.rstrip("s")[-3:-1] == "ad" else ("er", "ir")
        for infinitive in (stem + ending for ending in endings):
            entry = GLOSSARY.get(infinitive)
            if entry and entry[1] == "v":
                return 1, (morphology.participle(entry[0]), "a", "")
    for base in morphology.diminutive_base(plain):
        entry = GLOSSARY.get(base) or GLOSSARY.get(_lemma(base))
        if entry and entry[1] in ("n", "a"):
            english = entry[0]
            if entry[1] == "n" and plain.endswith("s"):
                english = _pluralise(english)
            return 1, (english, entry[1], entry[2])
    if plain.endswith("mente") and len(plain) > 7:
        stem = plain[:-5]
        entry = GLOSSARY.get(stem) or GLOSSARY.get(_plain(_lemma(stem)))
        if entry and entry[1] == "a" and " " not in entry[0]:
            adjective = entry[0]
            adverb = (
                adjective[:-1] + "ily"
                if adjective.endswith("y")
                else adjective[:-2] + "ly"
                if adjective.endswith("le")
                else adjective + "ly"
            )
            if morphology.english_word(adverb):
                return 1, (adverb, "x", "")
    lemma = _lemma(token)
    for form in dict.fromkeys((lemma, plain)):
        guess = morphology.cognate(form)
        if guess:
            english, pos = guess
            if pos == "n" and plain != lemma and plain.endswith("s"):
                english = _pluralise(english)
            return 1, (english, pos, "")
    return None


def _glossary_name(key: str, at_start: bool) -> bool:
    """A capitalised word the glossary translates anyway ("Navidad" → "Christmas")."""
    entry = GLOSSARY.get(key)
    return bool(entry) and (entry[1] == "N" or (at_start and entry[1] != "p"))


def _name_length(tokens: list[str], i: int) -> int:
    """How many tokens one name spans: "Eje Cafetero", "San Andrés", "Banco de Bogotá"."""
    j = i + 1
    while j < len(tokens):
        token = tokens[j]
        if token[:1].isupper() or (token[:1].isdigit() and tokens[j - 1][:1].isupper()):
            j += 1
        elif token.lower() in _NAME_JOINERS and j + 1 < len(tokens) and tokens[j + 1][:1].isupper():
            j += 2
        else:
            break
    return j - i


# Words that lead the word after them: kept only before a word.
_ARTICLES = {"the", "a", "an", "some", "their", "every"}


def _without_loose_connectors(items: list[tuple[str, str, str]]) -> list[tuple[str, str, str]]:
    """Grammar words that join nothing go: at either end, beside a gap or another connector.

    "el de con familia", with words that had no translation dropped, would read "the of with
    family"; only "family" stays. An article stays before its word ("the future"), a
    preposition between two words ("savings for the future", "for the future").
    """
    items = [it for it in items if it[0] or it[1] == "gap"]
    out: list[tuple[str, str, str]] = []
    for index, item in enumerate(items):
        english, pos, _ = item
        if pos == "gap":
            continue
        if pos == "c":
            following = items[index + 1] if index + 1 < len(items) else None
            if following is None or following[1] == "gap":
                continue
            if english in _ARTICLES:
                loose = following[1] == "c"
            else:
                # A preposition needs a word before it and a word (or an article) after it.
                # After a dropped word that was itself the object of a preposition ("sin
                # salir de casa" with "salir" dropped), the preposition belongs to the lost
                # phrase; after a dropped adjective ("ahorro escalonado para") it stays.
                start = index
                while start and items[start - 1][1] == "gap":
                    start -= 1
                loose = (
                    not out
                    or out[-1][1] == "c"
                    or (start < index and start > 0 and items[start - 1][1] == "c")
                    or (following[1] == "c" and following[0] not in _ARTICLES)
                )
            if loose:
                continue
        out.append(item)
    # An article left in front of a preposition or at the end ("the of") goes too.
    tidy: list[tuple[str, str, str]] = []
    for index, item in enumerate(out):
        nxt = out[index + 1] if index + 1 < len(out) else None
        if item[1] == "c" and item[0] in _ARTICLES and (nxt is None or nxt[1] == "c"):
            continue
        tidy.append(item)
    while tidy and tidy[-1][1] == "c":
        tidy.pop()
    return tidy


def _adjectives_first(items: list[tuple[str, str, str]]) -> list[tuple[str, str, str]]:
    """Spanish noun + adjectives ("mujer joven alegre") → English order ("cheerful young woman").

    An adjective standing alone (no noun before or after it) takes its noun form when it has
    one ("para jóvenes" → "for young adults").
    """
    out: list[tuple[str, str, str]] = []
    i = 0
    while i < len(items):
        _, pos, alone = items[i]
        if pos == "n":
            j = i + 1
            adjectives: list[tuple[str, str, str]] = []
            # "mujer joven y alegre": the run of adjectives may hold an "and".
            while j < len(items) and (
                items[j][1] == "a"
                or (items[j] == ("and", "c", "") and j + 1 < len(items) and items[j + 1][1] == "a")
            ):
                adjectives.append(items[j])
                j += 1
            out.extend(reversed(adjectives))
            out.append(items[i])
            i = j
            continue
        if pos == "a" and alone:
            followed_by_noun = i + 1 < len(items) and items[i + 1][1] in ("n", "a")
            if not followed_by_noun:
                out.append((alone, "n", ""))
                i += 1
                continue
        out.append(items[i])
        i += 1
    return out


# --- scoring the references ----------------------------------------------------------------


@dataclass(frozen=True)
class Choice:
    phrase: str
    share: Fraction  # of the total reference weight
    support: int  # references holding it


def _weights(references: list[ReferenceNote]) -> list[Fraction]:
    """Rank weights as exact fractions summing to 1 (equal when none is positive)."""
    raw = [Fraction(max(float(r.weight), 0.0)) for r in references]
    total = sum(raw, Fraction(0))
    if total == 0:
        return [Fraction(1, len(references))] * len(references)
    return [w / total for w in raw]


def _clean(value: object) -> str:
    return re.sub(r"\s+", " ", str(value or "")).strip().strip(".").lower()


_COUNT_WORDS = {1: "one person", 2: "two people", 3: "three people"}


def _people_phrase(people: object) -> str:
    if not isinstance(people, dict):
        return ""
    try:
        count = int(people.get("count") or 0)
    except (TypeError, ValueError):
        return ""
    if count <= 0:
        return ""  # "no people" in a positive prompt tends to bring people in
    base = _COUNT_WORDS.get(count, "a small group of people" if count <= 6 else "a crowd")
    age = _clean(people.get("age_range"))
    if not age:
        return base
    # "two people aged 25-35"; a worded range becomes its own phrase ("two people, young adults").
    return f"{base} aged {age}" if age[0].isdigit() else f"{base}, {age}"


# The heuristic describer writes one-word levels ("moderate", "medium"); alone in a prompt they
# mean nothing to the image model, so they become the phrase they stand for.
_LEVEL_PHRASES = {
    "composition": {
        "simple": "simple uncluttered composition",
        "moderate": "balanced composition",
        "busy": "rich detailed composition",
    },
    "lighting": {
        "bright": "bright lighting",
        "medium": "even lighting",
        "dim": "dim moody lighting",
        "dark": "low-key lighting",
    },
}


def _phrases_of(key: str, attributes: dict) -> list[str]:
    """The attribute's phrases in one reference (a palette gives one phrase per colour)."""
    value = attributes.get(key)
    if key in _LEVEL_PHRASES:
        phrase = _clean(value)
        return [_LEVEL_PHRASES[key].get(phrase, phrase)] if phrase else []
    if key == "palette":
        colours = value if isinstance(value, (list, tuple)) else [value]
        return list(dict.fromkeys(c for c in (_clean(v) for v in colours) if c))
    if key == "people":
        phrase = _people_phrase(value)
        return [phrase] if phrase else []
    if key == "temperature":
        tone = _clean(value)
        return [f"{tone} tones"] if tone in ("warm", "cool") else []
    phrase = _clean(value)
    return [phrase] if phrase else []


def rank(key: str, references: list[ReferenceNote], weights: list[Fraction]) -> list[Choice]:
    """Every phrase of an attribute, best supported first, ties alphabetical."""
    share: dict[str, Fraction] = {}
    support: dict[str, int] = {}
    for reference, weight in zip(references, weights, strict=True):
        for phrase in _phrases_of(key, reference.attributes or {}):
            share[phrase] = share.get(phrase, Fraction(0)) + weight
            support[phrase] = support.get(phrase, 0) + 1
    ordered = sorted(share, key=lambda p: (-share[p], p))
    return [Choice(p, share[p], support[p]) for p in ordered]


def _percent(share: Fraction) -> int:
    return int(share * 100 + Fraction(1, 2))  # round half up, exactly


# --- the writer ----------------------------------------------------------------------------


class ComposerWriter:
    """Writes the prompt by rule; needs no weights, no model library and no device."""

    model_id = "composer-v1"
    usable = True
    device = ""
    weights_path = ""
    status_message = "The composer writes prompts by rule; it needs no model."
    how_to_fix = ""

    def __init__(self, config: ModelRole | None = None) -> None:
        self.config = config

    def write(self, request: PromptRequest) -> PromptResult:
        subject = translate(request.subject)
        audience = translate(request.audience)
        tone = translate(request.tone)
        dropped = list(dict.fromkeys([*subject.dropped, *audience.dropped, *tone.dropped]))
        found = _findings(list(request.references))
        styled = bool(request.style.positive)

        subject_text = subject.text or translate(request.title).text
        if not subject_text:
            subject_text = found.subject.phrase if found.subject else FALLBACK_SUBJECT
        # The brief first (subject, audience, tone), then the style preset, then what the
        # references share, best supported first: when the prompt is too long, enforce() drops
        # from the end, so the weakest reference evidence goes first.
        phrases: list[str] = [subject_text]
        if audience.text and audience.text.lower() not in subject_text.lower():
            phrases.append(audience.text)
        if tone.text:
            phrases.append(f"{tone.text} mood")
        light = _light(request)
        if light.lighting:
            phrases.append(light.lighting)
        phrases.extend(prompt_rules.split_phrases(request.style.positive))
        # A stable sort: equal shares keep the attribute order of _evidence.
        evidence = _evidence(
            found,
            tone=tone.text,
            styled=styled,
            light=light,
            subject=bool(subject.text),
            audience=bool(audience.text),
        )
        phrases.extend(phrase for _, phrase in sorted(evidence, key=lambda e: -e[0].share))
        if not found.style and not styled:
            phrases.append("advertising photograph")
        phrases.extend(request.guidelines.always_include)

        negative = [
            BASE_NEGATIVE,
            request.style.negative,
            *request.guidelines.negative_terms,
            *request.guidelines.forbidden_terms,
        ]
        draft = PromptResult(
            positive=prompt_rules.join_phrases(
                [p for phrase in phrases for p in prompt_rules.split_phrases(phrase)]
            ),
            negative=", ".join(n for n in negative if n),
            rationale="",
            model_id=self.model_id,
        )
        result = prompt_rules.enforce(draft, request.guidelines, request.style)
        # The rationale tells only what survived the rules and the token limit.
        final = prompt_rules.split_phrases(result.positive.lower())
        # Only what was offered can have been cut: a reference lighting the tone overrode was
        # never in the draft, so it is not "left out to fit the window".
        offered = {phrase for _, phrase in evidence}
        choices = [c for c in _told_choices(found, styled=styled) if c[3] in offered]
        kept = [c for c in choices if prompt_rules.split_phrases(c[3].lower())[0] in final]
        cut = [c[0] for c in choices if c not in kept]
        # Written once per site language (issue 16 item 6): the page shows the one it speaks.
        # In Spanish the tone is the analyst's own words, in English the prompt's.
        rationale_es, rationale = in_both_languages(
            lambda: _rationale(
                total=found.total,
                choices=[(label, choice) for label, _value, choice, _ in kept],
                tone=(tone.text and (request.tone or "").strip())
                if page_language() == "es"
                else tone.text,
                style_name=_style_name(request) if styled else "",
                dropped=dropped,
                cut=cut,
            )
        )
        return replace(result, rationale=rationale, rationale_es=rationale_es)


@dataclass(frozen=True)
class Findings:
    """What the references hold most, attribute by attribute (None where none holds it)."""

    total: int
    subject: Choice | None
    setting: Choice | None
    people: Choice | None
    lighting: Choice | None
    composition: Choice | None
    mood: Choice | None
    style: Choice | None
    temperature: Choice | None
    palette: Choice | None  # the two best colours together, as "blue and white"


def _findings(references: list[ReferenceNote]) -> Findings:
    weights = _weights(references) if references else []

    def top(key: str) -> Choice | None:
        ranked = rank(key, references, weights) if references else []
        return ranked[0] if ranked else None

    colours = (rank("palette", references, weights) if references else [])[:2]
    palette = None
    if colours:
        palette = Choice(
            " and ".join(c.phrase for c in colours),
            sum(
                (w for r, w in zip(references, weights, strict=True) if _has_colour(r, colours)),
                Fraction(0),
            ),
            sum(1 for r in references if _has_colour(r, colours)),
        )
    return Findings(
        total=len(references),
        subject=top("subject"),
        setting=top("setting"),
        people=top("people"),
        lighting=top("lighting"),
        composition=top("composition"),
        mood=top("mood"),
        style=top("style"),
        temperature=top("temperature"),
        palette=palette,
    )


# Words that give a phrase a lighting or a colour temperature.
_LIGHT_WORDS = re.compile(r"\b(?:light|lighting|lit|daylight|sunlight|low-key|high-key)\b", re.I)
_TEMPERATURES = {"warm": "warm", "cool": "cool", "cold": "cool"}


@dataclass(frozen=True)
class Light:
    """The prompt's one lighting phrase and one colour temperature, and who set them."""

    lighting: str  # the tone's lighting phrase to add ("" when another source holds it)
    temperature: str  # "warm", "cool" or "" (free for the references)
    settled: bool  # a lighting is already set (tone, style preset or always-include)


def _temperature(text: str) -> str:
    words = re.findall(r"[a-z]+", text.lower())
    return next((_TEMPERATURES[w] for w in words if w in _TEMPERATURES), "")


def _light(request: PromptRequest) -> Light:
    """Which source sets the light: the rule for one lighting and one colour temperature.

    The brand's required phrases (always-include, style preset) win over everything: they are
    in every prompt anyway. Then the brief's tone: the first tone word with an entry in
    data/tones_es_en.tsv sets the lighting and temperature. The references come last: their
    lighting and temperature join only where neither source set one, and their palette,
    composition and style always count. A contradicting phrase is dropped, never merged.
    """
    required = [
        *prompt_rules.split_phrases(request.style.positive),
        *request.guidelines.always_include,
    ]
    required_light = any(_LIGHT_WORDS.search(p) for p in required)
    required_temperature = next((t for t in map(_temperature, required) if t), "")
    tone = next(
        (TONES[w] for w in map(_plain, _TOKEN.findall(request.tone or "")) if w in TONES), None
    )
    lighting, temperature = (tone[0], tone[1]) if tone else ("", "")
    if required_light or (
        required_temperature and _temperature(lighting) not in ("", required_temperature)
    ):
        lighting = ""
    temperature = required_temperature or temperature
    return Light(lighting, temperature, settled=bool(lighting) or required_light)


def _evidence(
    found: Findings,
    *,
    tone: str,
    styled: bool,
    light: Light | None = None,
    subject: bool = False,
    audience: bool = False,
) -> list[tuple[Choice, str]]:
    """The references' phrases for the prompt, in attribute order, with their support.

    The brief's subject leads: a reference's subject or people count only when the brief has
    none. The light follows `_light`: a reference's lighting, colour temperature or mood joins
    only when the brief and the brand left it open and it does not contradict them.
    """
    light = light or Light("", "", settled=False)
    evidence: list[tuple[Choice, str]] = []
    if found.setting:
        evidence.append((found.setting, found.setting.phrase))
    reference_temperature = found.temperature.phrase.split()[0] if found.temperature else ""
    if found.lighting and not light.settled:
        lit = _temperature(found.lighting.phrase)
        if lit in ("", light.temperature or lit):
            evidence.append((found.lighting, found.lighting.phrase))
    if found.palette:
        evidence.append((found.palette, f"{found.palette.phrase} color palette"))
    if found.people and not audience:
        evidence.append((found.people, found.people.phrase))
    if found.subject and not subject and found.subject.share >= REFERENCE_SUBJECT_SHARE:
        evidence.append((found.subject, found.subject.phrase))
    if found.temperature and not light.temperature:
        lit = _temperature(found.lighting.phrase) if found.lighting and not light.settled else ""
        if lit in ("", reference_temperature):
            evidence.append((found.temperature, found.temperature.phrase))
    if found.composition:
        evidence.append((found.composition, found.composition.phrase))
    if found.mood and not tone:
        evidence.append((found.mood, f"{found.mood.phrase} atmosphere"))
    if found.style and not styled:
        evidence.append((found.style, found.style.phrase))
    return evidence


def _told_choices(found: Findings, *, styled: bool) -> list[tuple[str, str, Choice, str]]:
    """What the rationale may tell: (label, how it names it, its support, its prompt phrase)."""
    choices: list[tuple[str, str, Choice, str]] = []
    for label in ("setting", "people", "lighting"):
        choice = getattr(found, label)
        if choice:
            choices.append((label, f"'{choice.phrase}'", choice, choice.phrase))
    if found.palette:
        phrase = found.palette.phrase
        choices.append(("palette", phrase, found.palette, f"{phrase} color palette"))
    if found.style and not styled:
        choices.append(("style", f"'{found.style.phrase}'", found.style, found.style.phrase))
    return choices


def _has_colour(reference: ReferenceNote, colours: list[Choice]) -> bool:
    held = set(_phrases_of("palette", reference.attributes or {}))
    return any(c.phrase in held for c in colours)


def _style_name(request: PromptRequest) -> str:
    spanish = request.style.name_es or request.style.name
    return spanish if page_language() == "es" else request.style.name


def _rationale(
    *,
    total: int,
    choices: list[tuple[str, Choice]],
    tone: str,
    style_name: str,
    dropped: list[str],
    cut: list[str],
) -> str:
    """Why the prompt reads as it does, in the active language (called once per language).

    The prompt's own words stay as written (they are English by design), quoted; the sentence
    around them, the attribute names and the colours follow the language.
    """
    # Choices with the same support ("2 of 3 references, 83 %") are told together; that keys
    # on numbers, not on which references, so the order of the references cannot change it.
    groups: dict[tuple[int, Fraction], list[str]] = {}
    for label, choice in choices:
        groups.setdefault((choice.support, choice.share), []).append(_told(label, choice.phrase))
    parts = [
        gettext("{items} from {support} of {total} references ({percent} % of the weight)").format(
            items=_and_list(items), support=support, total=total, percent=_percent(share)
        )
        for (support, share), items in sorted(groups.items(), key=lambda g: -g[0][1])
    ]
    if parts:
        first = "; ".join(parts)
        first = first[0].upper() + first[1:] + "."
    elif total:
        first = gettext(
            "The {total} references share no setting, light or palette, so the brief led."
        ).format(total=total)
    else:
        first = gettext("No reference images were given, so the prompt comes from the brief alone.")
    extras = []
    if tone:
        extras.append(gettext("tone: {tone}").format(tone=tone))
    if style_name:
        extras.append(gettext("style preset: {name}").format(name=style_name))
    if dropped:
        extras.append(
            gettext("brief words left out (no translation): {words}").format(
                words=", ".join(dropped)
            )
        )
    if cut:
        extras.append(
            gettext("left out to fit the image model's 77-token window: {labels}").format(
                labels=", ".join(_RATIONALE_LABELS[label]() for label in cut)
            )
        )
    if not extras:
        return first
    second = "; ".join(extras)
    return f"{first} {second[0].upper()}{second[1:]}."


# What the rationale calls each attribute; called, so each reads in the active language.
_RATIONALE_LABELS = {
    "setting": lambda: pgettext("prompt rationale", "setting"),
    "people": lambda: pgettext("prompt rationale", "people"),
    "lighting": lambda: pgettext("prompt rationale", "lighting"),
    "palette": lambda: pgettext("prompt rationale", "palette"),
    "style": lambda: pgettext("prompt rationale", "style"),
}


def _told(label: str, phrase: str) -> str:
    """One choice as the rationale tells it: "lighting 'soft light'", "paleta de blanco y negro"."""
    if label == "palette":
        # The palette's colours are the describer's names: each reads as the library names it.
        colours = [str(COLOUR_LABELS.get(c, c)) for c in phrase.split(" and ")]
        return gettext("palette {colours}").format(colours=_and_list(colours))
    words = gettext("'{words}'").format(words=phrase)
    return f"{_RATIONALE_LABELS[label]()} {words}"


def _and_list(items: list[str]) -> str:
    if len(items) == 1:
        return items[0]
    return gettext("{items} and {last}").format(items=", ".join(items[:-1]), last=items[-1])
