"""English word forms and Spanish word-shape fallbacks for the composer.

The composer's glossary and lexicon hold dictionary forms; this module makes the English forms
a phrase needs (plural, gerund, past participle, third person) and, for a Spanish word neither
list holds, guesses its English from its shape: a diminutive or a plural of a word it knows
("casita" → "casa"), an adverb in -mente from its adjective, and cognates by suffix ("-ción" →
"-tion", "-dad" → "-ty", "-oso" → "-ous", "-ico" → "-ic"…), kept only when the English word is
in simplemma's English word list (shipped in its wheel): a guess that is no English word is
dropped, never printed.
"""

from __future__ import annotations

from functools import lru_cache

import simplemma

# English nouns whose plural is not -s, and nouns with no plural in a prompt.
_IRREGULAR_PLURALS = {
    "person": "people",
    "man": "men",
    "woman": "women",
    "child": "children",
    "foot": "feet",
    "tooth": "teeth",
    "mouse": "mice",
    "wife": "wives",
    "life": "lives",
    "knife": "knives",
    "leaf": "leaves",
    "shelf": "shelves",
    "thief": "thieves",
    "potato": "potatoes",
    "tomato": "tomatoes",
    "hero": "heroes",
    "businessman": "businessmen",
    "businesswoman": "businesswomen",
    "fisherman": "fishermen",
    "gentleman": "gentlemen",
}
_UNCOUNTABLE = {
    "advice",
    "cattle",
    "clothing",
    "coffee",
    "equipment",
    "fish",
    "footwear",
    "furniture",
    "information",
    "insurance",
    "jewellery",
    "luggage",
    "machinery",
    "money",
    "news",
    "rice",
    "sheep",
    "software",
    "fruit",
    "paperwork",
    "payroll",
    "water",
    "electricity",
    "savings",
    "people",
    "wellbeing",
    "leasing",
    "tuition",
    "homework",
    "shopping",
    "banking",
    "cashback",
}
# English verbs whose past participle is not -ed (for "casa usada" → "used house" it is).
_IRREGULAR_PARTICIPLES = {
    "be": "been",
    "buy": "bought",
    "build": "built",
    "choose": "chosen",
    "come": "come",
    "do": "done",
    "drive": "driven",
    "eat": "eaten",
    "find": "found",
    "get": "got",
    "give": "given",
    "go": "gone",
    "grow": "grown",
    "have": "had",
    "know": "known",
    "lend": "lent",
    "make": "made",
    "pay": "paid",
    "put": "put",
    "read": "read",
    "run": "run",
    "see": "seen",
    "sell": "sold",
    "send": "sent",
    "show": "shown",
    "spend": "spent",
    "take": "taken",
    "teach": "taught",
    "think": "thought",
    "win": "won",
    "write": "written",
    "open": "opened",
    "fix": "fixed",
    "split": "split",
    "cut": "cut",
    "set": "set",
    "keep": "kept",
    "leave": "left",
    "lose": "lost",
    "meet": "met",
    "sleep": "slept",
}
_VOWELS = set("aeiou")


def pluralise(english: str) -> str:
    """The plural of an English noun phrase: its last word, regular or not."""
    *head, last = english.split(" ")
    if last in _UNCOUNTABLE or last.endswith(("ing", "ware")):
        plural = last
    elif last in _IRREGULAR_PLURALS:
        plural = _IRREGULAR_PLURALS[last]
    elif (ending := _irregular_ending(last)) is not None:
        # A compound of an irregular noun: "grandchild" → "grandchildren", "fireman" → "firemen".
        plural = last[: -len(ending)] + _IRREGULAR_PLURALS[ending]
    elif last.endswith(("s", "x", "ch", "sh", "z")):
        plural = last if last.endswith("s") else last + "es"
    elif last.endswith("y") and last[-2:-1] not in _VOWELS:
        plural = last[:-1] + "ies"
    else:
        plural = last + "s"
    return " ".join([*head, plural])


# Words that end like an irregular noun but are none: "human" → "humans".
_NOT_COMPOUNDS = {"human", "german", "roman", "shaman", "caiman", "talisman", "ottoman"}


def _irregular_ending(word: str) -> str | None:
    if word in _NOT_COMPOUNDS:
        return None
    for ending in ("woman", "child", "person", "man"):
        if word.endswith(ending) and len(word) > len(ending) + 2:
            return ending
    return None


def _doubles(verb: str) -> bool:
    """A short verb ending consonant-vowel-consonant doubles it: "shop" → "shopping"."""
    return (
        len(verb) >= 3
        and verb[-1] not in _VOWELS | {"w", "x", "y"}
        and verb[-2] in _VOWELS
        and verb[-3] not in _VOWELS
        and sum(ch in _VOWELS for ch in verb) == 1
    )


def gerund(base: str) -> str:
    """ "make" → "making", "shop" → "shopping", "see" → "seeing"; the first word of a phrase."""
    first, _, rest = base.partition(" ")
    if first.endswith("ie"):
        form = first[:-2] + "ying"
    elif first.endswith("e") and not first.endswith(("ee", "ye", "oe")) and len(first) > 2:
        form = first[:-1] + "ing"
    elif _doubles(first):
        form = first + first[-1] + "ing"
    else:
        form = first + "ing"
    return f"{form} {rest}".strip()


def participle(base: str) -> str:
    """ "use" → "used", "sell" → "sold", "plan" → "planned"; the first word of a phrase."""
    first, _, rest = base.partition(" ")
    if first in _IRREGULAR_PARTICIPLES:
        form = _IRREGULAR_PARTICIPLES[first]
    elif first.endswith("e"):
        form = first + "d"
    elif first.endswith("y") and first[-2:-1] not in _VOWELS:
        form = first[:-1] + "ied"
    elif _doubles(first):
        form = first + first[-1] + "ed"
    else:
        form = first + "ed"
    return f"{form} {rest}".strip()


def is_participle(plain: str) -> bool:
    """A Spanish past participle shape: "usada", "aprobados", "conocidas"."""
    return plain.endswith(("ado", "ada", "ados", "adas", "ido", "ida", "idos", "idas"))


@lru_cache(maxsize=8192)
def english_word(word: str) -> bool:
    """Whether `word` is in simplemma's English word list (its wheel's data, no download)."""
    return simplemma.is_known(word, lang="en")


# Spanish suffix → English suffixes to try, and the part of speech the word then has. Longest
# suffixes first; every guess must be an English word.
_COGNATES: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("aciones", ("ations",), "n"),
    ("acion", ("ation",), "n"),
    ("iciones", ("itions",), "n"),
    ("cion", ("tion",), "n"),
    ("ciones", ("tions",), "n"),
    ("sion", ("sion",), "n"),
    ("siones", ("sions",), "n"),
    ("idad", ("ity",), "n"),
    ("idades", ("ities",), "n"),
    ("dad", ("ty",), "n"),
    ("encia", ("ence", "ency"), "n"),
    ("ancia", ("ance", "ancy"), "n"),
    ("ismo", ("ism",), "n"),
    ("ista", ("ist",), "n"),
    ("istas", ("ists",), "n"),
    ("logia", ("logy",), "n"),
    ("grafia", ("graphy",), "n"),
    ("ura", ("ure",), "n"),
    ("uras", ("ures",), "n"),
    ("ario", ("ary",), "a"),
    ("aria", ("ary",), "a"),
    ("orio", ("ory",), "a"),
    ("oso", ("ous",), "a"),
    ("osa", ("ous",), "a"),
    ("ivo", ("ive",), "a"),
    ("iva", ("ive",), "a"),
    ("ico", ("ic", "ical"), "a"),
    ("ica", ("ic", "ical"), "a"),
    ("ente", ("ent",), "a"),
    ("ante", ("ant",), "a"),
    ("able", ("able",), "a"),
    ("ible", ("ible",), "a"),
    ("al", ("al",), "a"),
    ("ar", ("ar",), "a"),
    ("or", ("or",), "n"),
    ("ores", ("ors",), "n"),
    ("ia", ("y",), "n"),
    ("io", ("y",), "n"),
    ("o", ("",), "n"),
    ("a", ("",), "n"),
    ("e", ("",), "n"),
)


def cognate(plain: str) -> tuple[str, str] | None:
    """An English cognate of a plain Spanish word, with its part of speech, or None.

    "organizacion" → ("organization", "n"), "festival" → ("festival", "a"), "recurrente" →
    ("recurrent", "a"), "concierto" → None ("conciert" is no English word). Words under five
    letters are left alone: short words are where false friends live ("sin", "red", "once").
    """
    if len(plain) < 5 or not plain.isalpha():
        return None
    # "-ci-" inside a word is English "-ti-" ("tradicional" → "traditional").
    if "cion" in plain[:-4]:
        inner = plain.replace("cion", "tion")
        if english_word(inner):
            return inner, "a" if inner.endswith("al") else "n"
    for suffix, endings, pos in _COGNATES:
        # Dropping a bare final vowel is the loosest rule ("producto" → "product"): long
        # words only, as "costa", "carta" and "pasta" are no "cost", "cart" and "past".
        if not endings[0] and len(plain) < 6:
            continue
        if not plain.endswith(suffix):
            continue
        stem = plain[: -len(suffix)]
        for ending in endings:
            guess = stem + ending
            if len(guess) >= 4 and guess not in _FALSE_FRIENDS and english_word(guess):
                return guess, pos
    return None


# Spanish words whose look-alike English word means something else.
_FALSE_FRIENDS = {
    "actual",
    "asist",
    "carpet",
    "college",
    "embarrass",
    "exit",
    "fabric",
    "large",
    "lecture",
    "library",
    "parent",
    "realize",
    "sensible",
    "success",
    "support",
    "constipate",
    "introduce",
    "molest",
    "preserve",
    "dent",
    "lime",
    "rope",
    "sane",
    "pretend",
    "topic",
    "vase",
    "pie",
    "mayor",
    "once",
    "red",
    "sin",
    "soap",
    "bland",
    "arena",
    "code",
    "tuna",
    "fin",
    "sole",
}


def diminutive_base(plain: str) -> list[str]:
    """Base forms a diminutive may come from: "casita" → ["casa"], "cafecito" → ["cafe"]."""
    for suffix, endings in (
        ("citos", ("", "s")),
        ("citas", ("", "s")),
        ("cito", ("", "e")),
        ("cita", ("", "e")),
        ("itos", ("os", "o")),
        ("itas", ("as", "a")),
        ("ito", ("o", "")),
        ("ita", ("a", "")),
    ):
        if plain.endswith(suffix) and len(plain) > len(suffix) + 2:
            stem = plain[: -len(suffix)]
            return [stem + ending for ending in endings]
    return []
