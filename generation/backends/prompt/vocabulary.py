"""The prompt writers' word lists, read from the data files in data/ beside this module.

Word lists are data, not code: a glossary entry is one line anyone can add. The files ship
inside the package (pyproject's package-data) and are read through importlib.resources, so an
editable install, a wheel and a zipped install find them alike. Each list is read once per
process, when the module that needs it is imported.

Every file is UTF-8; blank lines and lines starting with # are skipped.
"""

from __future__ import annotations

from importlib import resources

# A glossary entry: the English, its part of speech ("n", "a" or "x") and, for an adjective,
# what it means standing alone ("" when it has no such reading).
Entry = tuple[str, str, str]


def _lines(name: str) -> list[str]:
    text = resources.files(__package__).joinpath("data", name).read_text(encoding="utf-8")
    return [line for line in text.splitlines() if line.strip() and not line.startswith("#")]


def words(name: str) -> frozenset[str]:
    """The words of a plain list: separated by spaces or line ends."""
    return frozenset(word for line in _lines(name) for word in line.split())


def pairs(name: str) -> dict[str, str]:
    """`word<TAB>reading` lines; a word alone on its line reads as nothing ("")."""
    found: dict[str, str] = {}
    for line in _lines(name):
        word, _tab, reading = line.partition("\t")
        found[word] = reading
    return found


def glossary(name: str) -> dict[str, Entry]:
    """`spanish<TAB>english<TAB>part of speech[<TAB>alone]` lines."""
    found: dict[str, Entry] = {}
    for line in _lines(name):
        spanish, english, part, *alone = line.split("\t")
        found[spanish] = (english, part, alone[0] if alone else "")
    return found


def table(name: str) -> dict[str, tuple[str, ...]]:
    """`key<TAB>field<TAB>field…` lines: the key and its fields (empty fields kept)."""
    found: dict[str, tuple[str, ...]] = {}
    for line in _lines(name):
        key, *fields = line.split("\t")
        found[key] = tuple(fields)
    return found


def lexicon(name: str) -> tuple[dict[str, Entry], dict[str, str]]:
    """A glossary file whose key may also have a second, adjective reading on a later line.

    Returns the entries (the first line of each key) and the adjective readings of keys whose
    first line is a noun ("seguro": "insurance" as a noun, "safe" after a noun).
    """
    found: dict[str, Entry] = {}
    adjectives: dict[str, str] = {}
    for line in _lines(name):
        spanish, english, part, *extra = line.split("\t")
        if spanish not in found:
            found[spanish] = (english, part, extra[0] if extra else "")
        elif part == "a" and found[spanish][1] == "n":
            adjectives.setdefault(spanish, english)
    return found, adjectives
